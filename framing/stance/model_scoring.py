"""Stance scores from a trained classifier: mentions -> (sentence, target) examples -> article scores.

Data flow: articles + sentences + mentions -> :func:`mention_examples` (one classifier input per
(article, sentence, target)) -> :func:`predict_mentions` (probabilities, each distinct input
classified once) -> :func:`score_model` -> ``scores`` (``schema.SCORE_COLUMNS``, method "model" or
"hybrid") and the mention-level prediction table (``PREDICTION_COLUMNS``).

Methods
-------
``model``
    A :class:`~framing.stance.classifier.StanceClassifier` without lexicon features (transformer only).
``hybrid``
    A classifier trained with lexicon feature columns (``lex__<feature>``): the same lexicon
    features are computed for every (sentence, target) with
    :class:`~framing.stance.features.LexiconVectorizer` in mention mode (cues attributed to the row's
    target by the rule of :mod:`framing.stance.scoring`) and fused into the model. The vectorizer is
    the model's own (:meth:`~framing.stance.classifier.StanceClassifier.lexicon_vectorizer`: the
    lexicon it was trained with, named in the model folder), with the target set the mentions
    were found with; a lexicon whose sha256 differs from the model's is used with a warning, and
    the manifest records both.

The method is a property of the model: asking for ``hybrid`` with a model trained without lexicon
features (or ``model`` with one trained with them) is a configuration error.

Classifier input
----------------
One example per (article, sentence, target): the sentence; as second segment the first alias of
the target found in it (the surface form, e.g. "Washington", like NewsMTSC's mention text); the
mention span marked in the sentence (the first hit of the target, offsets within the sentence).

Aggregation rule
----------------
:func:`framing.stance.scoring.aggregate`, with one evidence unit per (sentence, target): signed value
``s = p(favor) - p(against)``, mass 1. So ``score = sum(s) / (n + 2)`` over the n sentences that
name the target; label by the neutral band; confidence ``n / (n + 2) x agreement``. A single
clearly hostile sentence (p(against) = 0.95) in an article scores about -0.32; the mass of neutral
sentences pulls a score toward 0, so a score is "how much of what the article says about the
target is for or against it". The evidence are the ``EVIDENCE_SENTENCES`` sentences with the
largest ``|s|``, each with its probabilities, the mention spans (category ``"mention"``) and, for
hybrid, the lexicon cues attributed to the target (so the report highlights both).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from framing.infra import schema
from framing.infra.defaults import DEFAULT_TARGETS
from framing.infra.errors import ConfigError
from framing.stance.features import (
    FEATURE_PREFIX,
    as_mention_vectorizer,
    lexicon_feature_table,
    with_feature_columns,
)
from framing.stance.scoring import (
    DEFAULT_AGGREGATION,
    NEUTRAL_BAND,
    aggregate,
    aggregation_rule,
    cue_terms,
    require_columns,
    score_table,
    sentence_rows,
    strongest_sentences,
    voice_weights,
)

METHODS: tuple[str, ...] = ("model", "hybrid")
#: Sentences listed as evidence per (article, target).
EVIDENCE_SENTENCES = 3
#: Category given to a mention span in the evidence terms.
MENTION_CATEGORY = "mention"

#: Columns of the example table of :func:`mention_examples`.
EXAMPLE_COLUMNS: tuple[str, ...] = (
    "article_id", "sent_id", "target", "mention", "sentence", "span_start", "span_end",
    "spans", "language", "voice",
)
#: Columns of the mention-level prediction table returned by :func:`score_model`.
PREDICTION_COLUMNS: tuple[str, ...] = (
    "article_id", "sent_id", "target", "mention", "sentence", "p_against", "p_neutral",
    "p_favor", "predicted", "signed", "lexicon_signed", "n_cues", "voice",
)


def mention_examples(
    articles: pd.DataFrame, sentences: pd.DataFrame, mentions: pd.DataFrame
) -> pd.DataFrame:
    """Classifier inputs: one row per (article, sentence, target) of the mention table.

    Parameters
    ----------
    articles : DataFrame
        ``article_id`` and ``language`` (``"und"`` when absent).
    sentences : DataFrame
        ``schema.SENTENCE_COLUMNS``: the ``start`` of each sentence turns the mention spans
        (offsets in the section string) into offsets within the sentence.
    mentions : DataFrame
        ``schema.MENTION_COLUMNS``.

    Returns
    -------
    DataFrame
        ``EXAMPLE_COLUMNS``: ``target`` is the target id, ``mention`` the first alias found in
        the sentence (the classifier's second segment), ``span_start``/``span_end`` the first
        span and ``spans`` all spans of the target, within the sentence. Mention-table order.

    Raises
    ------
    DataError
        A table lacks a column, the sentence table repeats a sentence, or a mention names a
        sentence missing from it.
    """
    require_columns(mentions, ("article_id", "sent_id", "target", "spans", "aliases"), "mention")
    require_columns(sentences, ("article_id", "sent_id", "start", "text"), "sentence")
    require_columns(articles, ("article_id",), "article")
    where = sentence_rows(sentences, mentions["article_id"], mentions["sent_id"])
    base = sentences["start"].to_numpy(dtype=np.int64)[where]
    texts = sentences["text"].to_numpy(dtype=object)[where]
    language = _by_article(articles, "language")
    spans_out, first_start, first_end, first_alias = [], [], [], []
    for spans, aliases, offset, text in zip(
        mentions["spans"].tolist(), mentions["aliases"].tolist(), base.tolist(), texts.tolist(),
        strict=True,
    ):
        inside = [
            [int(s) - offset, int(e) - offset]
            for s, e in (spans if spans is not None else [])
            if 0 <= int(s) - offset <= int(e) - offset <= len(text)
        ]
        spans_out.append(inside)
        first_start.append(inside[0][0] if inside else pd.NA)
        first_end.append(inside[0][1] if inside else pd.NA)
        names = list(aliases) if aliases is not None else []
        first_alias.append(str(names[0]) if names else None)
    ids = mentions["article_id"].astype(str)
    out = pd.DataFrame({
        "article_id": ids.to_numpy(),
        "sent_id": mentions["sent_id"].to_numpy(dtype=np.int64),
        "target": mentions["target"].astype(str).to_numpy(),
        "mention": first_alias,
        "sentence": texts,
        "span_start": pd.array(first_start, dtype="Int64"),
        "span_end": pd.array(first_end, dtype="Int64"),
        "spans": spans_out,
        "language": ids.map(language).fillna("und").astype(str).to_numpy(),
        "voice": (mentions["voice"].fillna("").astype(str).to_numpy() if "voice" in mentions.columns
                  else np.full(len(mentions), "", dtype=object)),
    })
    # A mention without a recorded alias is classified against its target id ("US").
    out["mention"] = out["mention"].where(out["mention"].notna(), out["target"])
    return out[list(EXAMPLE_COLUMNS)]


def lexicon_features(
    examples: pd.DataFrame,
    lexicon: Any,
    *,
    target_set: Any = DEFAULT_TARGETS,
    default_language: str = "en",
) -> tuple[pd.DataFrame, list[str]]:
    """Lexicon mention features (``lex__<feature>`` columns) for :func:`mention_examples` rows.

    Parameters
    ----------
    examples : DataFrame
        ``sentence``, ``target`` (target id), ``spans`` (within the sentence), ``language``;
        with a ``voice`` column, the voice columns a model trained with voice features reads
        are added too.
    lexicon : str, Path, Lexicon or fitted LexiconVectorizer
        A vectorizer (e.g. a model's ``lexicon_vectorizer()``) is used as it is; otherwise a
        mention-mode vectorizer is built from the lexicon, ``target_set`` and
        ``default_language``.
    target_set : str, Path or TargetSet
        Finds the other targets of each sentence (they compete for the cues).
    default_language : str
        For rows whose language the lexicon does not cover (they get zeros and a warning).

    Returns
    -------
    (DataFrame, list of str)
        ``examples`` with the feature columns added, and the feature column names.
    """
    vec = as_mention_vectorizer(lexicon, target_set=target_set, language=default_language)
    voices = examples["voice"] if "voice" in examples.columns else None
    features = lexicon_feature_table(examples, vec, voices=voices)
    return with_feature_columns(examples, features), list(features.columns)


def predict_mentions(
    examples: pd.DataFrame,
    clf: Any,
    *,
    batch_size: int = 64,
    precision: str = "fp32",
    num_threads: int | None = None,
    progress: bool = False,
    dedupe: bool = True,
    **options: Any,
) -> np.ndarray:
    """Label probabilities for each example row, each distinct input classified once.

    Rows with the same sentence, mention, span and feature values (wire copies, repeated
    headlines) share one forward pass. ``dedupe=False`` classifies every row (to measure the
    saving); ``options`` go to ``predict_proba`` (``length_sorted``, ``pad_to``, ``grad_mode``).

    Returns
    -------
    ndarray of shape (len(examples), len(clf.classes_))
    """
    n_labels = len(clf.classes_)
    if not len(examples):
        return np.zeros((0, n_labels), dtype=np.float64)
    columns = ["sentence", "mention", "span_start", "span_end", *fused_columns(clf)]
    if dedupe:
        key = examples[columns].astype(str).agg("\x1f".join, axis=1)
        codes, _ = pd.factorize(key, sort=False)
    else:
        codes = np.arange(len(examples))
    first = pd.Series(np.arange(len(codes))).groupby(codes).first().to_numpy()
    inputs = examples.iloc[first].rename(columns={"mention": "target_text"})
    inputs = inputs.drop(columns="target").rename(columns={"target_text": "target"})
    proba = clf.predict_proba(
        inputs, batch_size=batch_size, precision=precision, num_threads=num_threads,
        progress=progress, **options,
    )
    return proba[codes]


def fused_columns(clf: Any) -> tuple[str, ...]:
    """The feature columns a fitted classifier fuses (its ``feature_columns_``, else its
    ``feature_columns``)."""
    return tuple(getattr(clf, "feature_columns_", None) or clf.feature_columns)


def check_method(method: str | None, clf: Any, where: str = "") -> str:
    """The scoring method of ``clf`` ("hybrid" with feature columns, else "model"), checked
    against the ``method`` asked for (None: take the model's)."""
    actual = "hybrid" if len(fused_columns(clf)) else "model"
    if method is None:
        return actual
    if method not in METHODS:
        raise ConfigError(f"method {method!r} is not a model method; accepted: {list(METHODS)}")
    if method != actual:
        detail = (
            "was trained without lexicon features: use method 'model', or train a hybrid model "
            "(framing train with a lexicon)"
            if actual == "model"
            else f"was trained with lexicon features ({_lexicon_name(clf)}): use method 'hybrid'"
        )
        raise ConfigError(f"{where or 'the model'} {detail}")
    return actual


def load_model(name_or_path: str | Path) -> Any:
    """A saved :class:`~framing.stance.classifier.StanceClassifier` from a model name or folder."""
    from framing.infra.paths import resolve_model
    from framing.stance.classifier import StanceClassifier

    return StanceClassifier.load(resolve_model(name_or_path))


def score_model(
    articles: pd.DataFrame,
    sentences: pd.DataFrame,
    mentions: pd.DataFrame,
    model: Any,
    *,
    method: str | None = None,
    lexicon: Any = None,
    target_set: Any = DEFAULT_TARGETS,
    neutral_band: float = NEUTRAL_BAND,
    aggregation: str = DEFAULT_AGGREGATION,
    batch_size: int = 64,
    precision: str = "fp32",
    num_threads: int | None = None,
    progress: bool = False,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Model or hybrid stance scores per (article, target), with evidence.

    Parameters
    ----------
    articles, sentences, mentions : DataFrame
        As for :func:`framing.stance.scoring.score_lexicon`.
    model : StanceClassifier, str or Path
        A fitted classifier, or a saved model's name (under ``config.models_dir()``) or folder.
    method : {"model", "hybrid"}, optional
        Checked against the model (see the module docstring); default: the model's.
    lexicon : str, Path or Lexicon, optional
        Lexicon of the hybrid features; default: the one named in the model folder. Lexicon cues
        are also listed in the evidence of hybrid scores.
    target_set : str, Path or TargetSet
        The target set the mentions were found with (for the features' competing mentions).
    neutral_band : float
        As for :func:`framing.stance.scoring.aggregate`.
    aggregation : str
        A rule of :data:`framing.stance.scoring.AGGREGATIONS` (voice weights and smoothing); the
        mentions' ``voice`` column (``targets.find_mentions``) weighs each sentence.
    batch_size, precision, num_threads, progress
        Passed to :meth:`~framing.stance.classifier.StanceClassifier.predict_proba`.

    Returns
    -------
    scores : DataFrame
        ``schema.SCORE_COLUMNS``, one row per (article, target) with a mention, in article order
        then by target; ``n_mentions`` counts sentences, ``n_cues`` the lexicon cues attributed
        to the target (0 for method "model").
    predictions : DataFrame
        ``PREDICTION_COLUMNS``: one row per (article, sentence, target), mention-table order.
    """
    clf = load_model(model) if isinstance(model, str | Path) else model
    method = check_method(method, clf)
    examples = mention_examples(articles, sentences, mentions)
    lex = None
    if method == "hybrid":
        vec = clf.lexicon_vectorizer(lexicon=lexicon, target_set=target_set)
        lex = vec.lexicon_
        examples, names = lexicon_features(examples, vec)
        missing = [c for c in fused_columns(clf) if c not in names]
        if missing:
            raise ConfigError(
                f"the model expects lexicon features {missing} that lexicon {lex.id!r} does not "
                f"produce; score with the lexicon it was trained with ({_lexicon_name(clf)})"
            )
    proba = predict_mentions(
        examples, clf, batch_size=batch_size, precision=precision, num_threads=num_threads,
        progress=progress,
    )
    labels = [str(c) for c in clf.classes_]
    p = {lab: proba[:, labels.index(lab)] if lab in labels else np.zeros(len(examples))
         for lab in schema.STANCE_LABELS}
    against, neutral, favor = schema.STANCE_LABELS
    aggregation_rule(aggregation)  # an unknown rule fails here, before the cues are matched
    predictions = examples[["article_id", "sent_id", "target", "mention", "sentence", "voice"]].copy()
    predictions["p_against"], predictions["p_neutral"], predictions["p_favor"] = (
        p[against], p[neutral], p[favor]
    )
    predictions["predicted"] = (
        np.asarray(labels, dtype=object)[proba.argmax(axis=1)] if len(examples)
        else np.asarray([], dtype=object)
    )
    predictions["signed"] = p[favor] - p[against]
    has_lex = f"{FEATURE_PREFIX}polarity_sum" in examples.columns
    predictions["lexicon_signed"] = (
        examples[f"{FEATURE_PREFIX}polarity_sum"].to_numpy(dtype=np.float64) if has_lex
        else np.zeros(len(examples))
    )
    predictions["n_cues"] = (
        examples[f"{FEATURE_PREFIX}cues"].to_numpy(dtype=np.int64) if has_lex
        else np.zeros(len(examples), dtype=np.int64)
    )
    cues = _cues(articles, sentences, mentions, lex) if lex is not None else None
    scores = _scores(
        articles, predictions, examples, cues, method, neutral_band=neutral_band,
        aggregation=aggregation,
    )
    return scores, predictions[list(PREDICTION_COLUMNS)].reset_index(drop=True)


def rescore(
    predictions: pd.DataFrame,
    *,
    aggregation: str = DEFAULT_AGGREGATION,
    neutral_band: float = NEUTRAL_BAND,
) -> pd.DataFrame:
    """Article scores from stored mention predictions under another aggregation rule or band.

    No model is run: a mention is classified once, and every rule is a different sum of the same
    predictions (what the multiverse and the article-level validation need).

    Parameters
    ----------
    predictions : DataFrame
        The prediction table of :func:`score_model` (``article_id``, ``target``, ``signed``,
        ``voice``).
    aggregation : str
        A rule of :data:`framing.stance.scoring.AGGREGATIONS`.
    neutral_band : float

    Returns
    -------
    DataFrame
        ``article_id, target, score, label, confidence, n_units``, one row per (article, target).

    Examples
    --------
    >>> p = pd.DataFrame({"article_id": ["a", "a"], "target": ["US", "US"], "signed": [-0.9, 0.8],
    ...                   "voice": ["author", "speaker"]})
    >>> rescore(p, aggregation="author-v1")[["score", "label"]].round(2).values.tolist()
    [[-0.3, 'against']]
    """
    rule = aggregation_rule(aggregation)
    weight = voice_weights(predictions["voice"] if "voice" in predictions else [""] * len(predictions),
                           aggregation)
    units = pd.DataFrame({
        "article_id": predictions["article_id"].astype(str).to_numpy(),
        "target": predictions["target"].astype(str).to_numpy(),
        "signed": predictions["signed"].to_numpy(dtype=np.float64) * weight,
        "mass": weight,
    })
    return aggregate(units, smoothing=rule["smoothing"], neutral_band=neutral_band)


#: Voice groups of :func:`voice_scores`: name -> the voices (``framing.text.voice``) it keeps.
VOICE_GROUPS: dict[str, tuple[str, ...]] = {
    "author": ("author",),
    "quoted or reported": ("quoted", "reported"),
}


def voice_scores(
    predictions: pd.DataFrame,
    *,
    neutral_band: float = NEUTRAL_BAND,
) -> pd.DataFrame:
    """Article scores from the author's narration only, and from quoted or reported words only.

    Each (article, target) gets one score per voice group of ``VOICE_GROUPS`` that it has a
    sentence of, aggregated by ``smoothed-v1`` over those sentences only (no model is run).

    Returns
    -------
    DataFrame
        ``article_id, target, score, label, confidence, n_units, voice``.

    Examples
    --------
    >>> p = pd.DataFrame({"article_id": ["a", "a"], "target": ["US", "US"], "signed": [-0.9, 0.6],
    ...                   "voice": ["author", "quoted"]})
    >>> voice_scores(p)[["voice", "score"]].round(2).values.tolist()
    [['author', -0.3], ['quoted or reported', 0.2]]
    """
    parts = []
    for name, voices in VOICE_GROUPS.items():
        part = predictions.loc[predictions["voice"].isin(voices)]
        if len(part):
            parts.append(rescore(part, aggregation="smoothed-v1", neutral_band=neutral_band).assign(voice=name))
    columns = ["article_id", "target", "score", "label", "confidence", "n_units", "voice"]
    return pd.concat(parts, ignore_index=True)[columns] if parts else pd.DataFrame(columns=columns)


def _by_article(articles: pd.DataFrame, column: str) -> pd.Series:
    """``column`` of the article table by article id (as str; the first row of a repeated id),
    empty when the table has no such column."""
    if column not in articles.columns:
        return pd.Series(dtype=object)
    ids = articles["article_id"].astype(str)
    return articles.assign(article_id=ids).drop_duplicates("article_id").set_index("article_id")[column]


def _lexicon_name(clf: Any) -> Any:
    record = getattr(clf, "lexicon_record_", None) or {}
    return record.get("name") or getattr(clf, "lexicon_name", None)


def _cues(articles, sentences, mentions, lex) -> pd.DataFrame:
    """Lexicon cues attributed to targets, keyed by (article_id, sent_id, target)."""
    from framing.stance.scoring import match_cues

    cues = match_cues(articles, sentences, mentions, lexicon=lex)
    return cues.loc[cues["target"] != ""]


def _evidence(
    predictions: pd.DataFrame, examples: pd.DataFrame, cues: pd.DataFrame | None
) -> dict[tuple[str, str], list[dict]]:
    strength = predictions["signed"].abs()
    ranked = predictions.assign(_strength=strength, row_pos=np.arange(len(predictions)))
    top = strongest_sentences(ranked, "_strength", EVIDENCE_SENTENCES)
    terms: dict[tuple, list[dict]] = {}
    if cues is not None and len(cues):
        wanted = set(zip(top["article_id"], top["sent_id"], top["target"], strict=True))
        terms = cue_terms(cues, ("article_id", "sent_id", "target"), wanted)
    spans = examples["spans"].tolist()
    out: dict[tuple[str, str], list[dict]] = {}
    for row in top.itertuples(index=False):
        sentence = row.sentence
        mention_terms = [
            {"term": sentence[s:e], "category": MENTION_CATEGORY, "polarity": 0,
             "start": int(s), "end": int(e)}
            for s, e in spans[row.row_pos]
        ]
        found = mention_terms + terms.get((row.article_id, row.sent_id, row.target), [])
        out.setdefault((row.article_id, row.target), []).append({
            "sent_id": int(row.sent_id),
            "sentence": sentence,
            "score": round(float(row.signed), 6),
            "probabilities": {
                "against": round(float(row.p_against), 6),
                "neutral": round(float(row.p_neutral), 6),
                "favor": round(float(row.p_favor), 6),
            },
            "terms": sorted(found, key=lambda t: (t["start"], t["end"], t["category"])),
        })
    return out


def _scores(
    articles: pd.DataFrame,
    predictions: pd.DataFrame,
    examples: pd.DataFrame,
    cues: pd.DataFrame | None,
    method: str,
    *,
    neutral_band: float,
    aggregation: str,
) -> pd.DataFrame:
    table = rescore(predictions, aggregation=aggregation, neutral_band=neutral_band)
    counts = predictions.groupby(["article_id", "target"], sort=True).agg(
        n_mentions=("sent_id", "nunique"), n_cues=("n_cues", "sum")
    )
    table = table.merge(counts, on=["article_id", "target"], validate="one_to_one")
    ids = articles["article_id"].astype(str)
    outlet = _by_article(articles, "outlet")
    table["outlet"] = table["article_id"].map(outlet).fillna("unknown").astype(str)
    table["method"] = method
    order = {a: i for i, a in enumerate(pd.unique(ids))}
    return score_table(table, _evidence(predictions, examples, cues), order)
