"""Lexicon features for documents or (sentence, target) pairs: :class:`LexiconVectorizer`.

The vectorizer counts (or weighs) the cues of a lexicon per category, overall and attributed to
target actors, so that its columns can sit next to a classifier's inputs (``FeatureUnion``,
``classifier`` ``feature_columns``).

The hybrid stance model's input columns (``lex__<feature>``, ``FEATURE_PREFIX``) are built by one
function, :func:`lexicon_feature_table`, from mention-mode rows: the rows of the mention table
(:func:`framing.stance.model_scoring.mention_examples`, target ids and all their spans) as they are, or
a labelled table turned into such rows by :func:`labelled_mention_rows`. Training, the NewsMTSC
study (``experiments/newsmtsc_protocol.py``), model scoring and
:class:`~framing.stance.classifier.StanceClassifier` (given a ``vectorizer``) all call it. Cues are weighted and attributed to targets exactly as in
:mod:`framing.stance.scoring` (see its module docstring: hedged cues count ``HEDGE_FACTOR``, negated cues
have flipped polarity, a cue goes to the nearest preceding mention in its sentence, else the
nearest following one).

The lexicon's own verdict on such a table, without any training, is :func:`lexicon_rule`: the
sign of the row's ``lex__polarity_sum``.
"""

from __future__ import annotations

import warnings
from bisect import bisect_right
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from framing.infra.defaults import DEFAULT_LEXICON, DEFAULT_TARGETS
from framing.infra.errors import ConfigError
from framing.lexicon.folder import Lexicon
from framing.lexicon.matcher import Hit
from framing.stance.scoring import attribute, cue_magnitude, resolve_lexicon
from framing.text.preprocess import split_sentences
from framing.text.targets import TargetSet, load_targets

UNITS: tuple[str, ...] = ("document", "mention")
WEIGHTINGS: tuple[str, ...] = ("count", "weight")
#: Features over all cues of a row (document) or all cues attributed to the row's target (mention).
SUMMARY_FEATURES: tuple[str, ...] = ("cues", "negated", "hedged", "polarity_sum", "polarity_mean")
#: Per-target summaries added in document mode, as ``<name>__<target>``.
TARGET_SUMMARY_FEATURES: tuple[str, ...] = ("cues", "polarity_sum")
#: Text columns looked for, in order, per unit.
TEXT_COLUMNS: dict[str, tuple[str, ...]] = {"document": ("text",), "mention": ("sentence", "text")}
DEFAULT_TARGET_SET = DEFAULT_TARGETS
#: Prefix of the lexicon feature columns in a classifier's input table (``lex__polarity_sum``).
FEATURE_PREFIX = "lex__"
#: Columns of the mention-mode rows read by :func:`lexicon_feature_table`.
MENTION_ROW_COLUMNS: tuple[str, ...] = ("sentence", "target", "spans", "language")


class LexiconVectorizer(TransformerMixin, BaseEstimator):
    """Per-category lexicon counts or weights, overall and per target, as a scikit-learn transformer.

    Parameters
    ----------
    lexicon : str, Path or Lexicon
        Lexicon name (under ``lexicons/``), folder, or a loaded :class:`~framing.lexicon.folder.Lexicon`.
    unit : {"document", "mention"}
        ``"document"``: one row per text (column ``text``; a title is not read, prepend it if
        it should count); cues are attributed to the targets the target set finds in each
        sentence of the text (sentences as :func:`framing.text.preprocess.split_sentences` cuts them).
        ``"mention"``: one row per (sentence, target) pair, as in the mention table: column
        ``sentence`` (or ``text``), ``target`` and, optionally, ``spans`` (the target's
        ``[start, end]`` spans in the sentence; without them the target set finds the target);
        the features count the cues attributed to the row's target.
    weighting : {"count", "weight"}
        ``"count"``: each cue counts 1. ``"weight"``: each cue counts its magnitude (term weight
        x intensity x ``HEDGE_FACTOR`` when hedged, see :mod:`framing.stance.scoring`).
    targets : sequence of str
        Targets with their own columns in document mode (ids of the target set).
    target_set : str, Path or TargetSet
        Target set used to find mentions (document mode, and the other targets of a sentence in
        mention mode).
    language_column : str
        Column with each row's ISO 639-1 code; it picks the lexicon language.
    default_language : str
        Language of rows without one (column absent or value missing).
    span_offset_column : str, optional
        Mention mode: a column whose value is subtracted from ``spans``, for spans that index
        the section string rather than the sentence (the mention table merged with the sentence
        table's ``start``).

    Attributes
    ----------
    lexicon_ : Lexicon
    target_set_ : TargetSet
    feature_names_out_ : ndarray of str
    lexicon_sha256_ : str
        Identifies the lexicon content (for run manifests).

    Notes
    -----
    Features (bare names; a ``FeatureUnion`` adds its prefix): one per lexicon category (sum of
    cue values); in document mode also ``<category>__<target>``, ``cues__<target>`` and
    ``polarity_sum__<target>`` per target; then ``cues``, ``negated``, ``hedged`` (counts),
    ``polarity_sum`` (sum of polarity x cue value; polarity after negation) and
    ``polarity_mean`` (``polarity_sum`` / sum of cue values, 0 without cues). Rows in a language
    the lexicon does not cover get zeros (and one warning per call).

    Examples
    --------
    >>> X = pd.DataFrame({"text": ["The US was accused of bullying China."], "language": ["en"]})
    >>> vec = LexiconVectorizer(targets=("US", "CN")).fit(X)
    >>> row = dict(zip(vec.get_feature_names_out(), vec.transform(X)[0]))
    >>> float(row["hegemony_containment__US"]), float(row["polarity_sum__US"]), float(row["cues__CN"])
    (1.0, -2.0, 0.0)
    """

    def __init__(
        self,
        lexicon: str | Path | Lexicon = DEFAULT_LEXICON,
        *,
        unit: str = "document",
        weighting: str = "count",
        targets: Sequence[str] = ("US", "CN", "EU"),
        target_set: str | Path | TargetSet = DEFAULT_TARGET_SET,
        language_column: str = "language",
        default_language: str = "en",
        span_offset_column: str | None = None,
    ) -> None:
        self.lexicon = lexicon
        self.unit = unit
        self.weighting = weighting
        self.targets = targets
        self.target_set = target_set
        self.language_column = language_column
        self.default_language = default_language
        self.span_offset_column = span_offset_column

    # -- scikit-learn API ------------------------------------------------------------------------

    def fit(self, X: pd.DataFrame, y: Any = None) -> LexiconVectorizer:
        """Load and check the lexicon and target set, learn the feature names; returns self."""
        _choice("unit", self.unit, UNITS)
        _choice("weighting", self.weighting, WEIGHTINGS)
        lexicon = resolve_lexicon(self.lexicon)
        target_set = (
            self.target_set if isinstance(self.target_set, TargetSet) else load_targets(self.target_set)
        )
        targets = self._checked_targets(target_set)
        if self.default_language not in lexicon.languages:
            raise ConfigError(
                f"default_language {self.default_language!r} is not covered by lexicon "
                f"{lexicon.id!r}; accepted: {', '.join(lexicon.languages)}"
            )
        self._check_X(X)
        categories = lexicon.category_names()
        clash = sorted(set(categories) & set(SUMMARY_FEATURES))
        if clash:
            raise ConfigError(
                f"lexicon {lexicon.id!r} has categories named like summary features: "
                f"{', '.join(clash)}; rename them (reserved: {', '.join(SUMMARY_FEATURES)})"
            )
        names = list(categories)
        if self.unit == "document":
            for target in targets:
                names += [f"{c}__{target}" for c in categories]
                names += [f"{s}__{target}" for s in TARGET_SUMMARY_FEATURES]
        names += list(SUMMARY_FEATURES)
        self.lexicon_ = lexicon
        self.target_set_ = target_set
        self.targets_ = targets
        self.feature_names_out_ = np.asarray(names, dtype=object)
        self.lexicon_sha256_ = lexicon.sha256
        return self

    def transform(self, X: pd.DataFrame) -> np.ndarray:
        """Feature matrix, one row per row of ``X``, columns as :meth:`get_feature_names_out`."""
        check_is_fitted(self, "feature_names_out_")
        self._check_X(X)
        texts = _column(X, TEXT_COLUMNS[self.unit])
        languages = self._languages(X)
        out = np.zeros((len(X), len(self.feature_names_out_)), dtype=np.float64)
        index = {name: i for i, name in enumerate(self.feature_names_out_)}
        uncovered: dict[str, int] = {}
        if self.unit == "mention":
            targets = X["target"].tolist()
            spans = X["spans"].tolist() if "spans" in X.columns else [None] * len(X)
            offsets = (
                X[self.span_offset_column].tolist() if self.span_offset_column else [0] * len(X)
            )
        for i, (text, language) in enumerate(zip(texts, languages, strict=True)):
            if not isinstance(text, str) or not text.strip():
                continue
            if language not in self.lexicon_.languages:
                uncovered[language] = uncovered.get(language, 0) + 1
                continue
            if self.unit == "document":
                cues = self._document_cues(text, language)
            else:
                cues = self._mention_cues(text, language, targets[i], spans[i], offsets[i], i)
            self._fill(out[i], cues, index)
        if uncovered:
            warnings.warn(
                f"lexicon {self.lexicon_.id!r} covers {', '.join(self.lexicon_.languages)}; rows in "
                f"other languages got zeros: "
                + ", ".join(f"{k}: {v}" for k, v in sorted(uncovered.items())),
                UserWarning,
                stacklevel=2,
            )
        return out

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """Bare feature names (see the class Notes)."""
        check_is_fitted(self, "feature_names_out_")
        return self.feature_names_out_.copy()

    # -- helpers ---------------------------------------------------------------------------------

    def _checked_targets(self, target_set: TargetSet) -> tuple[str, ...]:
        if isinstance(self.targets, str) or not all(isinstance(t, str) for t in self.targets):
            raise ConfigError(
                f"targets must be a sequence of target ids such as ('US', 'CN'); received "
                f"{self.targets!r}"
            )
        targets = tuple(self.targets)
        unknown = [t for t in targets if t not in target_set.target_ids]
        if unknown or len(set(targets)) != len(targets):
            raise ConfigError(
                f"targets {targets!r}: unknown or repeated id(s) {unknown or 'repeated'}; target set "
                f"{target_set.name!r} has {', '.join(target_set.target_ids)}"
            )
        return targets

    def _check_X(self, X: Any) -> None:
        needed = TEXT_COLUMNS[self.unit]
        if not isinstance(X, pd.DataFrame):
            raise ConfigError(
                f"X must be a pandas DataFrame with a {' or '.join(needed)} column "
                f"(unit={self.unit!r}); received {type(X).__name__}"
            )
        problems = []
        if not any(c in X.columns for c in needed):
            problems.append(" or ".join(needed))
        if self.unit == "mention":
            problems += [c for c in ("target",) if c not in X.columns]
            if self.span_offset_column and self.span_offset_column not in X.columns:
                problems.append(f"{self.span_offset_column} (span_offset_column)")
        if problems:
            raise ConfigError(
                f"X lacks column(s) {', '.join(problems)} needed for unit={self.unit!r}; it has "
                f"{', '.join(map(str, X.columns))}"
            )

    def _languages(self, X: pd.DataFrame) -> list[str]:
        if self.language_column not in X.columns:
            return [self.default_language] * len(X)
        return [
            v if isinstance(v, str) and v else self.default_language
            for v in X[self.language_column].tolist()
        ]

    def _value(self, hit: Hit) -> float:
        if self.weighting == "count":
            return 1.0
        return cue_magnitude(hit.weight, hit.intensity, hit.hedged)

    def _document_cues(self, text: str, language: str) -> list[tuple[Hit, str]]:
        """(hit, attributed target) for every cue of the text; target "" outside any mention."""
        hits = self.lexicon_.match(text, language=language)
        if not hits:
            return []
        sentences = split_sentences(text, language=language)
        starts = [s for s, _ in sentences] or [0]
        found = self.target_set_.find(text, language=language)
        by_sentence: dict[int, list[tuple[int, int, str]]] = {}
        for m in found:
            by_sentence.setdefault(bisect_right(starts, m.start) - 1, []).append(
                (m.start, m.end, m.target)
            )
        hits_by_sentence: dict[int, list[Hit]] = {}
        for hit in hits:
            hits_by_sentence.setdefault(bisect_right(starts, hit.start) - 1, []).append(hit)
        out: list[tuple[Hit, str]] = []
        for sentence, group in hits_by_sentence.items():
            owners = attribute([h.start for h in group], by_sentence.get(sentence, []))
            out += list(zip(group, owners, strict=True))
        return out

    def _mention_cues(
        self, text: str, language: str, target: Any, spans: Any, offset: Any, row: int
    ) -> list[tuple[Hit, str]]:
        """(hit, target) for the cues attributed to the row's target."""
        hits = self.lexicon_.match(text, language=language)
        if not hits:
            return []
        target = str(target)
        own = _sentence_spans(spans, offset, len(text), row, self.span_offset_column)
        mentions = [(s, e, target) for s, e in own]
        for m in self.target_set_.find(text, language=language):
            if m.target != target or not own:
                mentions.append((m.start, m.end, m.target))
        owners = attribute([h.start for h in hits], mentions)
        return [(h, target) for h, owner in zip(hits, owners, strict=True) if owner == target]

    def _fill(self, row: np.ndarray, cues: list[tuple[Hit, str]], index: dict[str, int]) -> None:
        document = self.unit == "document"
        total = signed = 0.0
        for hit, owner in cues:
            value = self._value(hit)
            row[index[hit.category]] += value
            row[index["cues"]] += 1
            row[index["negated"]] += hit.negated
            row[index["hedged"]] += hit.hedged
            total += value
            signed += hit.polarity * value
            if document and owner in self.targets_:
                row[index[f"{hit.category}__{owner}"]] += value
                row[index[f"cues__{owner}"]] += 1
                row[index[f"polarity_sum__{owner}"]] += hit.polarity * value
        row[index["polarity_sum"]] = signed
        row[index["polarity_mean"]] = signed / total if total else 0.0


# -- the hybrid model's feature columns --------------------------------------------------------


def mention_vectorizer(
    lexicon: str | Path | Lexicon = DEFAULT_LEXICON,
    *,
    target_set: str | Path | TargetSet = DEFAULT_TARGETS,
    language: str = "en",
) -> LexiconVectorizer:
    """A fitted mention-mode :class:`LexiconVectorizer`: what the hybrid model's features come from.

    Examples
    --------
    >>> vec = mention_vectorizer()
    >>> vec.unit, vec.lexicon_.id
    ('mention', 'framing-stance-v1')
    """
    vec = LexiconVectorizer(
        lexicon, unit="mention", target_set=target_set, default_language=language
    )
    return vec.fit(pd.DataFrame(columns=list(MENTION_ROW_COLUMNS)))


def as_mention_vectorizer(
    lexicon: str | Path | Lexicon | LexiconVectorizer,
    *,
    target_set: str | Path | TargetSet = DEFAULT_TARGETS,
    language: str = "en",
) -> LexiconVectorizer:
    """``lexicon`` itself when it is a fitted :class:`LexiconVectorizer` (e.g. a model's
    ``lexicon_vectorizer()``), else :func:`mention_vectorizer` of it, ``target_set`` and
    ``language``."""
    if isinstance(lexicon, LexiconVectorizer):
        return lexicon
    return mention_vectorizer(lexicon, target_set=target_set, language=language)


def labelled_mention_rows(
    table: pd.DataFrame, target_set: TargetSet, language: str
) -> pd.DataFrame:
    """Mention-mode rows (``MENTION_ROW_COLUMNS``) of a labelled table.

    A labelled row has ``sentence``, ``target`` (the mention text), ``span_start``, ``span_end``
    and, optionally, ``language``. ``spans`` is ``[[span_start, span_end]]`` (None without a
    span); ``language`` the row's own (blank or missing: ``language``); ``target`` is the id of a
    target-set mention overlapping the span (e.g. "US" for "the United States"), so that the
    vectorizer does not count that same mention as a competing target; otherwise the row's own
    target text.

    Examples
    --------
    >>> table = pd.DataFrame({"sentence": ["The United States bullied China."],
    ...                       "target": ["the United States"], "span_start": [0], "span_end": [17]})
    >>> labelled_mention_rows(table, load_targets(DEFAULT_TARGETS), "en")[["target", "spans"]].values.tolist()
    [['US', [[0, 17]]]]
    """
    languages = ([lang or language for lang in table["language"].fillna("").astype(str)]
                 if "language" in table.columns else [language] * len(table))
    targets, spans = [], []
    for sentence, target, start, end, lang in zip(
        table["sentence"], table["target"], table["span_start"], table["span_end"], languages,
        strict=True,
    ):
        if pd.isna(start) or pd.isna(end):
            targets.append(str(target))
            spans.append(None)
            continue
        start, end = int(start), int(end)
        overlap = [
            h.target
            for h in target_set.find(sentence, language=lang)
            if h.start < end and start < h.end
        ]
        targets.append(overlap[0] if overlap else str(target))
        spans.append([[start, end]])
    return pd.DataFrame(
        {"sentence": table["sentence"].tolist(), "target": targets, "spans": spans,
         "language": languages},
        index=table.index,
    )


def lexicon_feature_table(
    rows: pd.DataFrame, vectorizer: LexiconVectorizer, *, voices: Sequence[str] | None = None
) -> pd.DataFrame:
    """The hybrid model's feature columns for mention-mode rows: THE one feature builder.

    Parameters
    ----------
    rows : DataFrame
        ``sentence``, ``target`` (target id), optional ``spans`` (within the sentence) and
        ``language``: the mention table's rows, or :func:`labelled_mention_rows` of a labelled
        table.
    vectorizer : LexiconVectorizer
        Fitted, ``unit="mention"`` (:func:`mention_vectorizer`).
    voices : sequence of str, optional
        Each row's voice (:mod:`framing.text.voice`); adds the one-hot ``VOICE_FEATURES`` columns.

    Returns
    -------
    DataFrame
        Indexed like ``rows``: ``lex__<feature>`` for every feature of the vectorizer, then the
        voice columns when ``voices`` is given.

    Examples
    --------
    >>> rows = pd.DataFrame({"sentence": ["The US bullied China."], "target": ["US"],
    ...                      "spans": [[[4, 6]]], "language": ["en"]})
    >>> table = lexicon_feature_table(rows, mention_vectorizer())
    >>> float(table.loc[0, "lex__polarity_sum"]), float(table.loc[0, "lex__cues"])
    (-1.0, 1.0)
    """
    names = [f"{FEATURE_PREFIX}{n}" for n in vectorizer.get_feature_names_out()]
    values = (
        vectorizer.transform(rows) if len(rows) else np.zeros((0, len(names)), dtype=np.float64)
    )
    out = pd.DataFrame(values, columns=names, index=rows.index)
    if voices is not None:
        from framing.text.voice import voice_features

        out = pd.concat([out, voice_features(voices).set_index(rows.index)], axis=1)
    return out


def with_feature_columns(table: pd.DataFrame, features: pd.DataFrame) -> pd.DataFrame:
    """``table`` with the columns of ``features`` (replacing columns of the same name) at its end."""
    return pd.concat([table.drop(columns=list(features.columns), errors="ignore"), features], axis=1)


def sign_labels(polarity_sum: Sequence[float]) -> np.ndarray:
    """Lexicon rule: > 0 favor, < 0 against, 0 neutral.

    Examples
    --------
    >>> sign_labels([0.5, 0.0, -2.0]).tolist()
    ['favor', 'neutral', 'against']
    """
    values = np.asarray(polarity_sum, dtype=float)
    out = np.full(len(values), "neutral", dtype=object)
    out[values > 0] = "favor"
    out[values < 0] = "against"
    return out


def lexicon_rule(table: pd.DataFrame) -> np.ndarray:
    """The lexicon's own labels of a table: :func:`sign_labels` of its ``lex__polarity_sum`` column."""
    return sign_labels(table[f"{FEATURE_PREFIX}polarity_sum"])


def _choice(name: str, value: Any, accepted: tuple[str, ...]) -> None:
    if value not in accepted:
        raise ConfigError(f"{name}={value!r} is not accepted; accepted: {', '.join(accepted)}")


def _column(X: pd.DataFrame, candidates: tuple[str, ...]) -> list[Any]:
    for name in candidates:
        if name in X.columns:
            return X[name].tolist()
    raise ConfigError(f"X needs one of the columns {', '.join(candidates)}")  # pragma: no cover


def _sentence_spans(
    spans: Any, offset: Any, length: int, row: int, offset_column: str | None
) -> list[tuple[int, int]]:
    """The row target's spans within the sentence; [] when none are given."""
    if spans is None or (isinstance(spans, float) and np.isnan(spans)):
        return []
    try:
        base = int(offset)
        out = [(int(s[0]) - base, int(s[1]) - base) for s in spans]
    except (TypeError, ValueError, IndexError):
        raise ConfigError(
            f"row {row}: spans must be a list of [start, end] pairs and the offset a number; "
            f"received spans={spans!r}, offset={offset!r}"
        ) from None
    bad = [s for s in out if not 0 <= s[0] <= s[1] <= length]
    if bad:
        hint = (
            "" if offset_column else "; spans of the mention table index the section string: "
            "merge in the sentence table's start and pass span_offset_column='start'"
        )
        raise ConfigError(
            f"row {row}: span(s) {bad} fall outside the sentence (length {length}){hint}"
        )
    return out
