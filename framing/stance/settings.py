"""How stance is scored: the settings of the one scorer (``ScoringConfig``) and of its target set.

Every entry point (``framing score``, ``framing stream``, the Dask path, ``framing run``) builds a
:class:`framing.stance.scorer.Scorer` from a :class:`ScoringConfig`; an experiment config reads it
from its ``[scoring]`` and ``[targets]`` tables (``framing.runs.config``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from framing.infra.defaults import (
    DEFAULT_AGGREGATION,
    DEFAULT_LEXICON,
    DEFAULT_TARGETS,
    NEUTRAL_BAND,
)
from framing.infra.settings import Choice, ListOf, NameOrPath, Number, PathValue, _check

#: Scoring methods (the ``method`` column of the score table).
SCORING_METHODS: tuple[str, ...] = ("lexicon", "model", "hybrid")
#: Scoring methods that need a trained model.
MODEL_METHODS: tuple[str, ...] = ("model", "hybrid")


def _aggregations() -> tuple[str, ...]:
    from framing.stance.scoring import AGGREGATIONS  # read when needed: scoring loads the matcher

    return tuple(AGGREGATIONS)


@dataclass(frozen=True)
class TargetsConfig:
    """The target set: actors and their aliases.

    >>> TargetsConfig(kinds=("name", "short_name")).kinds
    ('name', 'short_name')
    """

    #: Lexicon name under ``lexicons_dir()`` or an absolute folder path.
    lexicon: str = field(
        default=DEFAULT_TARGETS,
        metadata=_check(NameOrPath(f"a lexicon name such as {DEFAULT_TARGETS!r} or a folder")),
    )
    #: Further targets/aliases/exclusions files or folders, absolute.
    extra: tuple[Path, ...] = field(default=(), metadata=_check(ListOf(PathValue(must_exist="any"))))
    #: Alias kinds to use; () uses the target set's default kinds.
    kinds: tuple[str, ...] = field(default=(), metadata=_check(ListOf(unique=True)))


#: Model inference precisions (``StanceClassifier.predict_proba``).
PRECISIONS: tuple[str, ...] = ("fp32", "bf16", "int8")


@dataclass(frozen=True)
class ScoringConfig:
    """How stance is scored per (article, target): the one config of every entry point.

    ``framing score``, ``framing stream``, the Dask path and ``framing run`` all build a
    :class:`framing.stance.scorer.Scorer` from one of these. In an experiment config it is the
    ``[scoring]`` section, with ``targets`` filled from the ``[targets]`` section.

    >>> ScoringConfig(method="lexicon", neutral_band=0.2, targets=TargetsConfig(kinds=("name",)))
    ScoringConfig(method='lexicon', lexicon='framing-stance-v1', model='', neutral_band=0.2, precision='fp32', aggregation='smoothed-v1')
    """

    #: One of ``SCORING_METHODS``.
    method: str = field(default="lexicon", metadata=_check(Choice(SCORING_METHODS)))
    #: Stance lexicon name under ``lexicons_dir()`` or an absolute folder path. "" means the
    #: default: ``framing-stance-v1`` for the lexicon method, the model's own for the hybrid.
    lexicon: str = field(
        default=DEFAULT_LEXICON,
        metadata=_check(NameOrPath(f"a lexicon name such as {DEFAULT_LEXICON!r} or a folder")),
    )
    #: Trained model name under ``models_dir()`` or an absolute folder path; "" for none.
    model: str = field(default="", metadata=_check(NameOrPath()))
    #: Scores with absolute value below this are labelled neutral.
    neutral_band: float = field(default=NEUTRAL_BAND, metadata=_check(Number(0, 1, high_open=True)))
    #: Model inference precision: "fp32", "bf16" (about 2.5x faster here, same NewsMTSC
    #: macro-F1 within 0.5 points, see README Results) or "int8".
    precision: str = field(default="fp32", metadata=_check(Choice(PRECISIONS)))
    #: How mention predictions (model, hybrid) or lexicon cues become article scores: a rule of
    #: ``framing.stance.scoring.AGGREGATIONS`` (voice weights, smoothing).
    aggregation: str = field(default=DEFAULT_AGGREGATION, metadata=_check(Choice(_aggregations)))
    #: The target set and alias kinds whose mentions are scored (an experiment's ``[targets]``;
    #: not a key of ``[scoring]``, hence left out of comparisons and of ``to_dict``).
    targets: TargetsConfig = field(default_factory=TargetsConfig, compare=False, repr=False)
