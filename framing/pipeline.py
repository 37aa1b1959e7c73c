"""The stages of the main job chained: ingest -> sentences -> mentions.

Each stage is a package function with a table in and a table out (see ``schema``); this module only
chains them, runs the per-article work in parallel chunks, and writes a run's tables.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from framing import corpus, preprocess, targets
from framing.schema import MENTION_COLUMNS, PROCESSED_STATUSES, SENTENCE_COLUMNS

#: Articles per chunk handed to a worker process: big enough to amortise pickling the chunk.
CHUNK_SIZE = 1000


@dataclass(frozen=True)
class TargetSpec:
    """How to (re)load a target set inside a worker process."""

    name_or_path: str = "targets-v1"
    extra: tuple[str, ...] = ()

    def load(self) -> targets.TargetSet:
        return targets.load_targets(self.name_or_path, extra=list(self.extra) or None)


_WORKER_TARGETS: targets.TargetSet | None = None


def _init_worker(spec: TargetSpec) -> None:
    global _WORKER_TARGETS
    _WORKER_TARGETS = spec.load()


def _chunk_sentences_and_mentions(chunk: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    assert _WORKER_TARGETS is not None
    sents = preprocess.split_articles(chunk)
    # The article table (not just a language map) lets the matcher run once per article text.
    ments = targets.find_mentions(sents, chunk, _WORKER_TARGETS)
    return sents, ments


def default_jobs() -> int:
    """Worker processes to use: one per available core."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not on Linux
        return max(1, os.cpu_count() or 1)


def sentences_and_mentions(
    articles: pd.DataFrame,
    *,
    target_spec: TargetSpec | None = None,
    n_jobs: int = 1,
    chunk_size: int = CHUNK_SIZE,
    progress: bool = False,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split the processable articles into sentences and find every target mention.

    Parameters
    ----------
    articles : DataFrame
        Article table (``schema.ARTICLE_COLUMNS``); rows whose status is not in
        ``schema.PROCESSED_STATUSES`` are skipped (they keep their status in the article table).
    target_spec : TargetSpec, optional
        Which target set to use (default ``targets-v1``).
    n_jobs : int
        Worker processes; 1 runs in this process. Output is identical for any value.
    chunk_size : int
        Articles per chunk.
    progress : bool
        Show a progress bar over chunks.

    Returns
    -------
    (sentences, mentions) : tuple of DataFrame
        Tables with ``schema.SENTENCE_COLUMNS`` and ``schema.MENTION_COLUMNS``.
    """
    from tqdm.auto import tqdm

    spec = target_spec or TargetSpec()
    todo = articles.loc[articles["status"].isin(PROCESSED_STATUSES)]
    chunks = [todo.iloc[i : i + chunk_size] for i in range(0, len(todo), chunk_size)]
    bar = dict(total=len(chunks), disable=not progress, desc="sentences+mentions", unit="chunk")
    if n_jobs <= 1 or len(chunks) <= 1:
        _init_worker(spec)
        results = [_chunk_sentences_and_mentions(c) for c in tqdm(chunks, **bar)]
    else:
        with ProcessPoolExecutor(n_jobs, initializer=_init_worker, initargs=(spec,)) as pool:
            results = list(tqdm(pool.map(_chunk_sentences_and_mentions, chunks), **bar))
    if not results:
        return (pd.DataFrame(columns=list(SENTENCE_COLUMNS)), pd.DataFrame(columns=list(MENTION_COLUMNS)))
    sents = pd.concat([r[0] for r in results], ignore_index=True)
    ments = pd.concat([r[1] for r in results], ignore_index=True)
    return sents, ments


def ingest(
    inputs: Sequence[str | Path],
    *,
    fmt: str | None = None,
    column_map: dict[str, str] | None = None,
    metadata: str | Path | None = None,
    languages: Sequence[str] | None = None,
    n_jobs: int = 1,
    progress: bool = False,
) -> pd.DataFrame:
    """Read, clean and identify the language of every input article (see ``corpus.load``)."""
    kwargs: dict = dict(fmt=fmt, column_map=column_map, metadata=metadata, progress=progress)
    if languages is not None:
        kwargs["supported_languages"] = tuple(languages)
    if n_jobs > 1:
        kwargs["n_jobs"] = n_jobs
    return corpus.load([str(p) for p in inputs], **kwargs)
