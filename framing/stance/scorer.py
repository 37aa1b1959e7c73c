"""The one scorer: how every entry point turns an article table into stance scores.

``framing score``, ``framing stream``, the Dask path (``framing stream --dask``) and ``framing run``
all build a :class:`Scorer` from a :class:`framing.runs.config.ScoringConfig` (method, lexicon, model,
target set and alias kinds, neutral band, precision, aggregation rule) and call it on article
tables, whole or chunk by chunk. The same config and corpus therefore give the same tables
through every entry point (``tests/test_scorer.py`` runs all four on the demo corpus).

A scorer loads its resources once (target set, lexicon, model) and is then called per chunk:

>>> from framing.stance.settings import ScoringConfig
>>> from framing.corpus.loading import articles_from_frame
>>> import functools

import pandas as pd
>>> articles = articles_from_frame(pd.DataFrame({
...     "id": ["a1"], "outlet": ["Harbour Ledger"],
...     "text": ["Critics say Washington abused export controls to keep its hegemony. "
...              "The cooperation with the EU is welcome."]}),
...     "example.csv")
>>> tables = Scorer(ScoringConfig(method="lexicon"))(articles)
>>> sorted(tables)
['frames', 'mentions', 'scores', 'sentences']
>>> tables["scores"][["target", "label"]].values.tolist()
[['EU', 'favor'], ['US', 'against']]
"""

from __future__ import annotations

import dataclasses
import functools
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from framing.infra.defaults import DEFAULT_TARGETS
from framing.infra.errors import ConfigError
from framing.infra.pool import map_chunks
from framing.infra.schema import PROCESSED_STATUSES
from framing.stance import scoring
from framing.stance.settings import (
    MODEL_METHODS,
    PRECISIONS,
    SCORING_METHODS,
    ScoringConfig,
    TargetsConfig,
)
from framing.text.mentions import (
    CHUNK_SIZE,
    TargetSpec,
    _chunk_sentences_and_mentions,
    _load_targets,
    sentences_and_mentions,
)

__all__ = ["Scorer", "TABLES", "check_config", "flat_scoring", "scoring_config", "target_spec"]

#: The tables a scorer returns besides ``sentences`` and ``mentions``, per method.
TABLES: dict[str, tuple[str, ...]] = {
    "lexicon": ("scores", "frames"),
    "model": ("scores", "predictions"),
    "hybrid": ("scores", "predictions"),
}


def scoring_config(
    *,
    method: str = "lexicon",
    model: str | os.PathLike | None = None,
    lexicon: str | os.PathLike | None = None,
    target_set: str | os.PathLike = DEFAULT_TARGETS,
    target_kinds: Sequence[str] = (),
    extra_aliases: Sequence[str | os.PathLike] = (),
    precision: str = "fp32",
    aggregation: str = scoring.DEFAULT_AGGREGATION,
    neutral_band: float = scoring.NEUTRAL_BAND,
) -> ScoringConfig:
    """A :class:`~framing.runs.config.ScoringConfig` from flat settings (command-line options).

    ``lexicon=None`` is the default lexicon (the model's own for the hybrid).

    >>> scoring_config(method="lexicon", target_kinds=["name"]).targets.kinds
    ('name',)
    """
    return ScoringConfig(
        method=method, model=os.fspath(model) if model else "",
        lexicon=os.fspath(lexicon) if lexicon else "", neutral_band=float(neutral_band),
        precision=precision, aggregation=aggregation,
        targets=TargetsConfig(lexicon=os.fspath(target_set),
                              extra=tuple(Path(p) for p in extra_aliases), kinds=tuple(target_kinds)),
    )


def flat_scoring(config: ScoringConfig) -> dict[str, Any]:
    """The settings of ``config`` as flat JSON values (the inverse of :func:`scoring_config`).

    Settings at their default beyond the first six are left out, so that records written before
    they existed keep their meaning (a streamed run's key).
    """
    out: dict[str, Any] = {
        "method": config.method, "model": config.model or None, "lexicon": config.lexicon or None,
        "target_set": os.fspath(config.targets.lexicon), "precision": config.precision,
        "aggregation": config.aggregation,
    }
    if config.targets.kinds:
        out["target_kinds"] = list(config.targets.kinds)
    if config.targets.extra:
        out["extra_aliases"] = [Path(p).as_posix() for p in config.targets.extra]
    if config.neutral_band != scoring.NEUTRAL_BAND:
        out["neutral_band"] = config.neutral_band
    return out


def check_config(config: ScoringConfig) -> None:
    """Raise ConfigError when ``config`` cannot be scored (before any resource is loaded)."""
    if config.method not in SCORING_METHODS:
        raise ConfigError(f"method {config.method!r}; accepted: {list(SCORING_METHODS)}")
    if config.method in MODEL_METHODS and not config.model:
        raise ConfigError(f"method {config.method!r} needs a model (name or folder; see `framing train`)")
    if config.precision not in PRECISIONS:
        raise ConfigError(f"precision {config.precision!r}; accepted: {list(PRECISIONS)}")
    if config.aggregation not in scoring.AGGREGATIONS:
        raise ConfigError(f"aggregation {config.aggregation!r}; accepted: {list(scoring.AGGREGATIONS)}")
    if not 0 <= config.neutral_band < 1:
        raise ConfigError(f"neutral_band must be in [0, 1); received {config.neutral_band!r}")


def target_spec(config: ScoringConfig) -> TargetSpec:
    """The target set of ``config`` (name or folder, extra alias files, alias kinds)."""
    targets = config.targets
    return TargetSpec(
        str(targets.lexicon), tuple(str(p) for p in targets.extra), tuple(targets.kinds)
    )


class Scorer:
    """Scores article tables with resources loaded once; the same tables whatever the entry point.

    Parameters
    ----------
    config : ScoringConfig
        What to compute. ``lexicon`` "" means the default: ``scoring.DEFAULT_LEXICON`` for the
        lexicon method, the lexicon the model was trained with for the hybrid.
    article_frames : bool
        Lexicon method: also count frames over every sentence (article-level frame rows); the
        scores do not depend on it.
    num_threads : int, optional
        torch threads for the model (default: the cores available).
    model, lexicon : optional
        An already loaded classifier or lexicon to use instead of loading ``config.model`` or
        ``config.lexicon`` (a run that has loaded them for other stages, a test).

    Raises
    ------
    ConfigError
        Unknown method, a model method without a model, a model that does not fit the method.

    Examples
    --------
    >>> scorer = Scorer(ScoringConfig(method="lexicon", neutral_band=0.2))
    >>> scorer.tables, scorer.lexicon.id
    (('scores', 'frames'), 'framing-stance-v1')
    """

    def __init__(self, config: ScoringConfig, *, article_frames: bool = True,
                 num_threads: int | None = None, model: Any = None, lexicon: Any = None) -> None:
        check_config(config if model is None or config.model else
                     dataclasses.replace(config, model="(given)"))
        self.config = config
        self.article_frames = article_frames
        self.num_threads = num_threads
        self.spec = target_spec(config)
        self.model = None
        if config.method == "lexicon":
            self.lexicon = scoring.resolve_lexicon(lexicon if lexicon is not None else config.lexicon or None)
            return
        from framing.stance import model_scoring

        self.model = model if model is not None else model_scoring.load_model(config.model)
        model_scoring.check_method(config.method, self.model, f"model {config.model}")
        # None: the hybrid uses the lexicon the model was trained with.
        self.lexicon = lexicon if lexicon is not None else (
            scoring.resolve_lexicon(config.lexicon) if config.lexicon else None)

    @property
    def tables(self) -> tuple[str, ...]:
        """Names of the tables :meth:`__call__` returns besides sentences and mentions."""
        return TABLES[self.config.method]

    def with_method(self, method: str) -> Scorer:
        """A scorer of another method sharing this one's settings (and its model, if any)."""
        return Scorer(dataclasses.replace(self.config, method=method),
                      article_frames=self.article_frames, num_threads=self.num_threads,
                      model=self.model if method in MODEL_METHODS else None)

    def __call__(
        self,
        articles: pd.DataFrame,
        *,
        sentences: pd.DataFrame | None = None,
        mentions: pd.DataFrame | None = None,
        n_jobs: int = 1,
        progress: bool = False,
        keep_mentions: bool = True,
    ) -> dict[str, pd.DataFrame]:
        """Score one article table.

        Parameters
        ----------
        articles : DataFrame
            Article table (``schema.ARTICLE_COLUMNS``); rows whose status is not processed are
            kept out of the scores (they stay in the article table).
        sentences, mentions : DataFrame, optional
            Computed earlier with this scorer's target set (a cached run stage); found here
            when not given.
        n_jobs : int
            Worker processes for sentences and mentions; the tables do not depend on it.
        progress : bool
            Progress bars.
        keep_mentions : bool
            False: return only the tables of :data:`TABLES` (the lexicon method then splits,
            finds mentions and scores in one pass per worker, which is faster).

        Returns
        -------
        dict of str to DataFrame
            ``sentences``, ``mentions`` (unless ``keep_mentions`` is False) and the tables of
            :data:`TABLES` for the method.
        """
        if sentences is None or mentions is None:
            if not keep_mentions and self.config.method == "lexicon":
                # Sentences, mentions and scores in one pass per chunk and worker (same tables).
                scores, frames, _ = lexicon_scores(
                    articles, target_spec=self.spec, lexicon=self.lexicon,
                    neutral_band=self.config.neutral_band, article_frames=self.article_frames,
                    n_jobs=n_jobs, progress=progress, aggregation=self.config.aggregation,
                )
                return {"scores": scores, "frames": frames}
            sentences, mentions = sentences_and_mentions(
                articles, target_spec=self.spec, n_jobs=n_jobs, progress=progress
            )
        out = {"sentences": sentences, "mentions": mentions}
        cfg = self.config
        if cfg.method == "lexicon":
            out["scores"], out["frames"] = scoring.score_lexicon(
                articles, sentences, mentions, lexicon=self.lexicon,
                neutral_band=cfg.neutral_band, article_frames=self.article_frames, n_jobs=n_jobs,
                aggregation=cfg.aggregation,
            )
            return out
        from framing.stance import model_scoring

        out["scores"], out["predictions"] = model_scoring.score_model(
            articles, sentences, mentions, self.model, method=cfg.method,
            lexicon=self.lexicon if cfg.method == "hybrid" else None,
            target_set=self.spec.name_or_path, neutral_band=cfg.neutral_band,
            precision=cfg.precision, num_threads=self.num_threads,
            aggregation=cfg.aggregation, progress=progress,
        )
        return out


# --------------------------------------------------------------------------------------------
# The lexicon method in one pass per chunk


def _lexicon_state(spec: TargetSpec, lexicon) -> tuple:
    return _load_targets(spec), lexicon


def _chunk_lexicon_scores(state: tuple, chunk: pd.DataFrame, *, article_frames: bool,
                          neutral_band: float, aggregation: str) -> tuple:
    target_set, lexicon = state
    sents, ments = _chunk_sentences_and_mentions(target_set, chunk)
    scores, frames = scoring.score_lexicon(chunk, sents, ments, lexicon=lexicon,
                                           article_frames=article_frames, neutral_band=neutral_band,
                                           aggregation=aggregation)
    return scores, frames, len(sents), len(ments)


def lexicon_scores(
    articles: pd.DataFrame,
    *,
    target_spec: TargetSpec | None = None,
    lexicon=None,
    article_frames: bool = True,
    neutral_band: float = scoring.NEUTRAL_BAND,
    n_jobs: int = 1,
    chunk_size: int = CHUNK_SIZE,
    progress: bool = False,
    aggregation: str = scoring.DEFAULT_AGGREGATION,
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, int]]:
    """Sentences, mentions and lexicon scores in one pass per chunk of articles.

    The same scores and frames as :func:`sentences_and_mentions` followed by
    ``scoring.score_lexicon``, but each worker process splits, finds mentions and scores its
    chunk in one go: the sentence and mention tables never travel between processes, and the
    matcher's memos stay warm in the worker. The faster way when only the scores are wanted
    (``framing score --method lexicon``).

    Parameters
    ----------
    articles : DataFrame
        Article table; rows with a status outside ``schema.PROCESSED_STATUSES`` are skipped.
    target_spec : TargetSpec, optional
        Target set (default ``targets-v1``).
    lexicon : Lexicon, str or Path, optional
        Default ``scoring.DEFAULT_LEXICON``.
    article_frames, neutral_band, aggregation
        As for ``scoring.score_lexicon``.
    n_jobs, chunk_size, progress
        As for :func:`sentences_and_mentions`.

    Returns
    -------
    (scores, frames, counts)
        ``counts``: ``sentences`` and ``mentions`` (rows made along the way).
    """

    spec = target_spec or TargetSpec()
    lex = scoring.resolve_lexicon(lexicon)
    todo = articles.loc[articles["status"].isin(PROCESSED_STATUSES)]
    chunks = [todo.iloc[i : i + chunk_size] for i in range(0, len(todo), chunk_size)]
    work = functools.partial(_chunk_lexicon_scores, article_frames=bool(article_frames),
                             neutral_band=float(neutral_band), aggregation=aggregation)
    results = list(map_chunks(work, chunks, n_jobs=n_jobs, init=_lexicon_state,
                              init_args=(spec, lex), progress=progress, desc="lexicon scores"))
    if not results:  # nothing processable: empty tables with the full columns
        empty = articles.iloc[:0]
        sents, ments = sentences_and_mentions(empty, target_spec=spec)
        scores, frames = scoring.score_lexicon(empty, sents, ments, lexicon=lex,
                                               article_frames=article_frames, neutral_band=neutral_band,
                                               aggregation=aggregation)
        return scores, frames, {"sentences": 0, "mentions": 0}
    scores = pd.concat([r[0] for r in results], ignore_index=True)
    frames = scoring.concat_frames([r[1] for r in results])
    counts = {"sentences": sum(r[2] for r in results), "mentions": sum(r[3] for r in results)}
    return scores, frames, counts
