"""Sentence embeddings with the default encoder (all-MiniLM-L6-v2, mean pooling), for event grouping.

:func:`encoder_embed` turns texts into L2-normalised vectors the way the model was trained to be
used (mean over non-padding tokens), so cosine similarity is a dot product. It is what
:func:`framing.analysis.events.group_events` uses with ``events = "encoder"``. The bundled model is
English; other languages embed less well (a multilingual encoder folder can be given).
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np

#: Tokens per text: a title and first sentence say what the story is; the rest adds cost (the
#: encoder's cost grows with length), not identity.
MAX_LENGTH = 64


def encoder_embed(
    texts: Sequence[str],
    *,
    model_path: str | Path | None = None,
    max_length: int = MAX_LENGTH,
    batch_size: int = 64,
    num_threads: int | None = None,
    bf16: bool = True,
    bf16_autocast: bool = False,
    progress: bool = False,
) -> np.ndarray:
    """Mean-pooled, L2-normalised encoder embeddings of ``texts``.

    Parameters
    ----------
    texts : sequence of str
    model_path : path, optional
        Local encoder folder (safetensors); default the bundled all-MiniLM-L6-v2.
    max_length : int
        Texts are truncated to this many tokens.
    batch_size : int
        Texts per forward pass (sorted by length, so batches pad little).
    num_threads : int, optional
        torch threads (default: the cores available).
    bf16 : bool
        Run a bfloat16 copy of the encoder whose linear layers are oneDNN fused kernels
        (:func:`framing.stance.classifier.bf16_fused_encoder`, as the classifier's
        ``precision="bf16"``; on a CPU with AMX several times fp32). Cosines move by about 0.01
        against fp32, which changes few events grouped by a threshold (README Results). The
        pooled vectors are float32 either way.
    bf16_autocast : bool
        With ``bf16``: the float32 encoder under bfloat16 autocast instead (the slower bf16 path
        of earlier versions, kept to compare against).
    progress : bool
        Show a progress bar (tqdm, on stderr) over the texts.

    Returns
    -------
    ndarray of shape (len(texts), hidden size), float32
        Rows have unit norm (an empty text gives the embedding of the empty input).

    Examples
    --------
    >>> v = encoder_embed(["EU and Japan sign chip pact", "Japan, EU agree on chips"])  # doctest: +SKIP
    >>> float(v[0] @ v[1]) > 0.5  # doctest: +SKIP
    True
    """
    import torch

    from framing.infra.threads import torch_threads
    from framing.stance.classifier import (
        _load_encoder,
        _torch_threads,
        bf16_fused_encoder,
        check_encoder_folder,
        default_model_path,
    )

    texts = ["" if not isinstance(t, str) else t for t in texts]
    folder = check_encoder_folder(model_path or default_model_path())
    with _torch_threads(torch, torch_threads(num_threads)):
        tokenizer, encoder = _load_encoder(folder)
        encoder.eval()
        if bf16 and not bf16_autocast:
            encoder = bf16_fused_encoder(torch, encoder)
        encoded = tokenizer(texts, truncation=True, max_length=max_length)
        lengths = np.array([len(ids) for ids in encoded["input_ids"]])
        order = np.argsort(lengths, kind="stable")
        out = np.zeros((len(texts), encoder.config.hidden_size), dtype=np.float32)
        autocast = (
            torch.autocast("cpu", dtype=torch.bfloat16)
            if bf16 and bf16_autocast
            else contextlib.nullcontext()
        )
        from tqdm.auto import tqdm

        bar = tqdm(total=len(texts), disable=not progress, desc="embedding", unit="text")
        with torch.inference_mode(), autocast, bar:
            for lo in range(0, len(texts), batch_size):
                rows = order[lo : lo + batch_size]
                batch = tokenizer.pad(
                    {k: [encoded[k][i] for i in rows] for k in encoded},
                    return_tensors="pt",
                )
                hidden = encoder(**batch).last_hidden_state
                mask = batch["attention_mask"].unsqueeze(-1)
                hidden = hidden.float()
                pooled = (hidden * mask.float()).sum(1) / mask.float().sum(1).clamp(min=1)
                out[rows] = torch.nn.functional.normalize(pooled, dim=1).numpy()
                bar.update(len(rows))
    return out
