"""Articles to sentences and target mentions, in chunks over worker processes.

The chunked runner of :func:`framing.text.preprocess.split_articles` and
:func:`framing.text.targets.find_mentions`: every entry point (``framing mentions``, the scorer,
``framing run``) splits and finds mentions through :func:`sentences_and_mentions`.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import pandas as pd

from framing.infra.defaults import DEFAULT_TARGETS
from framing.infra.pool import map_chunks
from framing.infra.schema import MENTION_COLUMNS, PROCESSED_STATUSES, SENTENCE_COLUMNS
from framing.text import preprocess, targets

#: Articles per chunk handed to a worker process: big enough to amortise pickling the chunk.
CHUNK_SIZE = 1000


@dataclass(frozen=True)
class TargetSpec:
    """How to (re)load a target set inside a worker process."""

    name_or_path: str = DEFAULT_TARGETS
    extra: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()

    def load(self) -> targets.TargetSet:
        return targets.load_targets(
            self.name_or_path, extra=list(self.extra) or None, kinds=list(self.kinds) or None
        )


@functools.lru_cache(maxsize=1)
def _load_targets(spec: TargetSpec) -> targets.TargetSet:
    # Loaded once per process and spec: a streamed run asks for it for every chunk.
    return spec.load()


def _chunk_sentences_and_mentions(
    target_set: targets.TargetSet, chunk: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    sents = preprocess.split_articles(chunk)
    # The article table (not just a language map) lets the matcher run once per article text.
    ments = targets.find_mentions(sents, chunk, target_set)
    return sents, ments


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

    spec = target_spec or TargetSpec()
    todo = articles.loc[articles["status"].isin(PROCESSED_STATUSES)]
    chunks = [todo.iloc[i : i + chunk_size] for i in range(0, len(todo), chunk_size)]
    results = list(map_chunks(_chunk_sentences_and_mentions, chunks, n_jobs=n_jobs,
                              init=_load_targets, init_args=(spec,), progress=progress,
                              desc="sentences+mentions"))
    if not results:
        return (pd.DataFrame(columns=list(SENTENCE_COLUMNS)), pd.DataFrame(columns=list(MENTION_COLUMNS)))
    sents = pd.concat([r[0] for r in results], ignore_index=True)
    ments = pd.concat([r[1] for r in results], ignore_index=True)
    return sents, ments
