"""Shared fixtures. Real corpora are found through one setting: ``$FRAMING_DATA`` (default ../shared)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from pathlib import Path

import pytest

from framing.runs import config


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The shared data folder; tests that need it are skipped, loudly, when it is absent."""
    path = config.data_dir()
    if not path.is_dir():
        pytest.skip(f"shared data folder not found at {path} (set {config.DATA_ENV})")
    return path


@pytest.fixture(scope="session")
def seeds_dir(data_dir: Path) -> Path:
    return data_dir / "seeds"


_SPECIAL_TOKENS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]


def build_tiny_encoder(folder: Path, texts: Iterable[str]) -> Path:
    """Save a 2-layer, hidden-32 BERT with a WordPiece vocabulary of the words of ``texts``.

    Saved like a hub model (config.json, model.safetensors, vocab.txt), so tests load it through
    the real ``from_pretrained(path)`` code path. Seeded: the same texts give the same weights.
    """
    import torch
    from transformers import BertConfig, BertModel, BertTokenizer

    folder.mkdir(parents=True, exist_ok=True)
    words = sorted({w for t in texts for w in re.findall(r"\w+|[^\w\s]", t.lower())})
    words = [w for w in words if w not in _SPECIAL_TOKENS]
    (folder / "vocab.txt").write_text("\n".join(_SPECIAL_TOKENS + words) + "\n", encoding="utf-8")
    tokenizer = BertTokenizer(vocab=str(folder / "vocab.txt"))
    config = BertConfig(
        vocab_size=len(_SPECIAL_TOKENS) + len(words),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=128,
    )
    torch.manual_seed(0)
    BertModel(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


@pytest.fixture(scope="session")
def tiny_encoder_factory(tmp_path_factory) -> Callable[[Iterable[str]], Path]:
    """``factory(texts) -> folder`` of a tiny BERT whose vocabulary covers ``texts``."""
    pytest.importorskip("torch")
    pytest.importorskip("transformers")

    def make(texts: Iterable[str]) -> Path:
        return build_tiny_encoder(tmp_path_factory.mktemp("tiny-bert"), texts)

    return make
