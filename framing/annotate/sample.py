"""Draw items for coding: stratified and seeded, by strategy (random, uncertainty, disagreement).

Strategies
----------
Every strategy is stratified (default strata: outlet, language, target) and seeded.

``random``
    Each item gets a uniform key from the sha256 of ``(seed, item id)``, so an item's key does not
    depend on the rest of the corpus: adding articles does not reshuffle earlier choices.
``uncertainty``
    Items with a model prediction, ranked by the normalised entropy of
    ``(p_against, p_neutral, p_favor)``: ``H(p) / log 3``, 0 for a one-hot prediction, 1 for the
    uniform one. Entropy (rather than 1 - max p) also separates "torn between two labels" from
    "torn between three".
``disagreement``
    Items whose lexicon label (the sign of ``lexicon_signed``: > 0 favor, < 0 against, 0 neutral)
    differs from the model's ``predicted`` label, ranked by the model's probability of its own
    label (confident contradictions first: either the model is confidently wrong, the most useful
    training example, or the lexicon misfires, worth knowing), ties by ``|lexicon_signed|``.
    Only disagreeing items are eligible: when fewer disagree than asked, fewer are drawn.

Whole sentences (``min_targets`` of 2 or more): only sentences that name at least that many
different targets are drawn, and each drawn sentence brings an item for every target it names,
side by side in the sample. The draw unit is then the sentence (``n`` counts sentences, the key is
the sha256 of ``(seed, "<article_id>:<sent_id>")``), so the same words are coded toward each of
their targets: "China firmly opposes the US move" is neutral toward China and against the US, and
a model trained on both items learns which target a stance is about. Strata must be columns of the
sentence (outlet, language, leaning, ...), not ``target``; only the ``random`` strategy applies.

Allocation across strata: ``equal`` (default) gives each stratum the same share, and the share
of a stratum with too few eligible items goes to the others; ``proportional`` follows the
strata sizes (largest remainder). Which strata get the last few items is seeded.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from framing.annotate.items import ALL
from framing.infra import schema
from framing.infra.errors import ConfigError, DataError

__all__ = [
    "ALLOCATIONS",
    "CODER_COLUMNS",
    "DEFAULT_STRATA",
    "PREDICTION_REQUIRED",
    "SAMPLE_COLUMNS",
    "STRATEGIES",
    "Sample",
    "sample_items",
    "unit_keys",
]

#: Sampling strategies of :func:`sample_items`.
STRATEGIES: tuple[str, ...] = ("random", "uncertainty", "disagreement")
#: How a sample is spread over strata.
ALLOCATIONS: tuple[str, ...] = ("equal", "proportional")
#: Item columns a sample is stratified by, by default.
DEFAULT_STRATA: tuple[str, ...] = ("outlet", "language", "target")
#: Columns a prediction table must have for the model-based strategies.
PREDICTION_REQUIRED: tuple[str, ...] = (
    "article_id", "sent_id", "target", "p_against", "p_neutral", "p_favor", "predicted",
    "lexicon_signed",
)
_PROBA = ("p_against", "p_neutral", "p_favor")
_KEY = ["article_id", "sent_id", "target"]

#: Columns of a sample, coder-facing ones first (a spreadsheet shows them without scrolling).
CODER_COLUMNS: tuple[str, ...] = (
    "id", "target", "mention", "context_before", "sentence_marked", "context_after", "label", "note",
)
SAMPLE_COLUMNS: tuple[str, ...] = CODER_COLUMNS + (
    "outlet", "language", "article_id", "sent_id", "section", "sentence", "span_start",
    "span_end", "stratum", "strategy", "priority",
)


@dataclass
class Sample:
    """A drawn sample: the items to code, the per-stratum counts, and notes for the user.

    Attributes
    ----------
    items : DataFrame
        ``SAMPLE_COLUMNS``, in presentation order (seeded shuffle); ``label`` and ``note`` empty.
    strata : DataFrame
        One row per stratum: the stratum columns, ``available`` (after exclusions),
        ``eligible`` (for the strategy) and ``drawn``.
    notes : list of str
    params : dict
        strategy, seed, n, allocation, strata.
    """

    items: pd.DataFrame
    strata: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    params: dict[str, Any] = field(default_factory=dict)


def unit_keys(seed: int, ids: Iterable[str], salt: str) -> np.ndarray:
    """A uniform number in [0, 1) per id from sha256(seed, salt, id): independent of other ids."""
    out = [
        int.from_bytes(hashlib.sha256(f"{seed}\x1f{salt}\x1f{i}".encode()).digest()[:8], "big") / 2**64
        for i in ids
    ]
    return np.asarray(out, dtype=np.float64)


def _check_predictions(predictions: pd.DataFrame) -> pd.DataFrame:
    if not isinstance(predictions, pd.DataFrame):
        raise ConfigError(
            f"predictions must be a DataFrame (the table of `framing score --predictions`); "
            f"received {type(predictions).__name__}"
        )
    missing = [c for c in PREDICTION_REQUIRED if c not in predictions.columns]
    if missing:
        raise DataError(
            f"the prediction table lacks column(s) {missing}; required: {list(PREDICTION_REQUIRED)} "
            f"(write it with `framing score --method model --predictions FILE`)"
        )
    pred = predictions[list(PREDICTION_REQUIRED)].copy()
    pred["article_id"] = pred["article_id"].astype(str)
    sent_id = pd.to_numeric(pred["sent_id"], errors="coerce")
    if sent_id.isna().any() or (sent_id % 1 != 0).any():
        row = int(np.flatnonzero((sent_id.isna() | (sent_id % 1 != 0)).to_numpy())[0])
        raise DataError(
            f"the prediction table, row {row}: sent_id {predictions['sent_id'].iloc[row]!r} is not an integer"
        )
    pred["sent_id"] = sent_id.astype(np.int64)
    pred["target"] = pred["target"].astype(str)
    repeated = pred.duplicated(_KEY)
    if repeated.any():
        first = pred.loc[repeated].iloc[0]
        raise DataError(
            f"the prediction table repeats (article_id, sent_id, target) in {int(repeated.sum())} "
            f"row(s), first {first['article_id']!r}, {int(first['sent_id'])}, {first['target']!r}; "
            "expected one row per mention"
        )
    for col in (*_PROBA, "lexicon_signed"):
        pred[col] = pd.to_numeric(pred[col], errors="coerce").astype(np.float64)
    proba = pred[list(_PROBA)].to_numpy()
    bad = np.isfinite(proba) & ((proba < 0) | (proba > 1))
    if bad.any():
        row = int(np.flatnonzero(bad.any(axis=1))[0])
        raise DataError(
            f"the prediction table, row {row}: probabilities {proba[row].tolist()} outside [0, 1]"
        )
    predicted = pred["predicted"].astype(str)
    unknown = pred["predicted"].notna() & ~predicted.isin(schema.STANCE_LABELS)
    if unknown.any():
        row = int(np.flatnonzero(unknown.to_numpy())[0])
        raise DataError(
            f"the prediction table, row {row}: predicted label {pred['predicted'].iloc[row]!r}; "
            f"accepted: {list(schema.STANCE_LABELS)}"
        )
    return pred


def _lexicon_label(signed: pd.Series) -> pd.Series:
    against, neutral, favor = schema.STANCE_LABELS
    return pd.Series(
        np.select([signed > 0, signed < 0], [favor, against], default=neutral), index=signed.index
    ).where(signed.notna())


def _allocate(sizes: list[int], n: int, how: str, order: np.ndarray) -> list[int]:
    """Spread ``n`` draws over strata of ``sizes``; ``order`` (a permutation) breaks ties."""
    total = sum(sizes)
    if n >= total:
        return list(sizes)
    alloc = [0] * len(sizes)
    if how == "proportional":
        quota = [n * s / total for s in sizes]
        alloc = [math.floor(q) for q in quota]
        rank = sorted(range(len(sizes)), key=lambda k: (-(quota[k] - alloc[k]), order[k]))
        for k in rank[: n - sum(alloc)]:
            alloc[k] += 1
        return alloc
    remaining = n
    active = [k for k in range(len(sizes)) if sizes[k] > 0]
    while remaining > 0 and active:
        share = remaining // len(active)
        if share == 0:
            for k in sorted(active, key=lambda k: order[k])[:remaining]:
                alloc[k] += 1
            break
        for k in active:
            add = min(share, sizes[k] - alloc[k])
            alloc[k] += add
            remaining -= add
        active = [k for k in active if alloc[k] < sizes[k]]
    return alloc


def sample_items(
    items: pd.DataFrame,
    n: int,
    *,
    seed: int,
    strategy: str = "random",
    predictions: pd.DataFrame | None = None,
    strata: Sequence[str] = DEFAULT_STRATA,
    allocation: str = "equal",
    exclude: Iterable[str] = (),
    min_targets: int = 1,
) -> Sample:
    """Draw ``n`` items for manual coding, stratified and seeded (module docstring: strategies).

    Parameters
    ----------
    items : DataFrame
        From :func:`mention_items`.
    n : int
        Items to draw (fewer when fewer are eligible).
    seed : int
        The same items, seed and options give the same sample.
    strategy : {"random", "uncertainty", "disagreement"}
    predictions : DataFrame, optional
        Required by ``uncertainty`` and ``disagreement``: one row per (article_id, sent_id,
        target) with ``p_against``, ``p_neutral``, ``p_favor``, ``predicted`` and
        ``lexicon_signed`` (the prediction table of ``framing score``). Items without a row are
        not eligible.
    strata : sequence of str
        Item columns to stratify by; ``()`` for none.
    allocation : {"equal", "proportional"}
    exclude : iterable of str
        Item ids not to draw (items already sampled or coded).
    min_targets : int
        1 (default): items are drawn one by one. 2 or more: whole sentences naming at least that
        many targets, each with all its target items; ``n`` counts sentences (module docstring).

    Returns
    -------
    Sample

    Raises
    ------
    ConfigError
        Bad ``n``, ``seed``, ``strategy``, ``allocation`` or stratum column, or a model-based
        strategy without predictions.
    DataError
        A malformed prediction table, or predictions that match no item.

    Examples
    --------
    >>> items = pd.DataFrame({"id": ["a:1:US", "b:1:US", "c:1:CN"], "target": ["US", "US", "CN"],
    ...                       "outlet": "x", "language": "en"})
    >>> s = sample_items(items, 2, seed=1, strata=["target"])
    >>> sorted(s.items["target"])
    ['CN', 'US']
    """
    strata = _check_options(items, n, seed, strategy, allocation, strata)
    _check_min_targets(min_targets, strategy, strata)
    notes: list[str] = []
    excluded = set(map(str, exclude))
    pool = items.loc[~items["id"].astype(str).isin(excluded)].copy()
    if excluded:
        notes.append(f"excluded {len(items) - len(pool)} item(s) already sampled or coded")
    if min_targets > 1:
        return _sample_sentences(pool, n, seed, strata, allocation, min_targets, notes,
                                 n_excluded=len(items) - len(pool))
    pool["_rand"] = unit_keys(int(seed), pool["id"], "draw")
    pool["priority"] = pool["_rand"]
    pool["_second"] = 0.0
    eligible = pd.Series(True, index=pool.index)
    if strategy != "random":
        pool, eligible = _model_priority(pool, predictions, strategy, notes)
    pool["_eligible"] = eligible.to_numpy()
    # Within a stratum: highest priority first (random: the seeded key), ties by the seeded key.
    ascending = strategy == "random"
    pool = pool.sort_values(
        ["priority", "_second", "_rand"], ascending=[ascending, False, True], kind="stable"
    )
    keys, (picked, rows, n_eligible, drawn) = _draw_in_strata(pool, strata, n, seed, allocation)
    if drawn < n:
        notes.append(f"drew {drawn} item(s): only {n_eligible} eligible for strategy {strategy!r}, {n} asked")
    picked = _presented(picked, keys, seed, strategy)
    table = pd.DataFrame(rows, columns=[*keys, "available", "eligible", "drawn"])
    params = {"strategy": strategy, "seed": int(seed), "n": int(n), "allocation": allocation,
              "strata": strata, "n_drawn": int(drawn),
              "n_excluded": int(items["id"].astype(str).isin(excluded).sum())}
    extra = [c for c in strata if c not in SAMPLE_COLUMNS]
    return Sample(picked[list(SAMPLE_COLUMNS) + extra].reset_index(drop=True), table, notes, params)


def _check_min_targets(min_targets: int, strategy: str, strata: Sequence[str]) -> None:
    if isinstance(min_targets, bool) or not isinstance(min_targets, (int, np.integer)) or min_targets < 1:
        raise ConfigError(f"min_targets must be a positive integer; received {min_targets!r}")
    if min_targets > 1 and strategy != "random":
        raise ConfigError(f"whole sentences (min_targets={min_targets}) are drawn at random only; "
                          f"received strategy {strategy!r}")
    if min_targets > 1 and "target" in strata:
        raise ConfigError("whole sentences hold several targets: stratify by columns of the sentence "
                          "(e.g. --strata leaning or language), not target")


def _sample_sentences(
    pool: pd.DataFrame, n: int, seed: int, strata: list[str], allocation: str,
    min_targets: int, notes: list[str], *, n_excluded: int,
) -> Sample:
    """Draw ``n`` whole sentences naming ``min_targets`` or more targets, with all their items."""
    pool["_sentence"] = pool["article_id"].astype(str) + ":" + pool["sent_id"].astype(int).astype(str)
    width = pool.groupby("_sentence")["target"].transform("nunique")
    pool = pool.loc[width >= min_targets]
    notes.append(f"{pool['_sentence'].nunique()} sentence(s) name {min_targets} or more targets "
                 f"({len(pool)} item(s))")
    sentences = pool.sort_values(["_sentence", "target"], kind="stable").drop_duplicates("_sentence").copy()
    sentences["_rand"] = unit_keys(int(seed), sentences["_sentence"], "draw")
    sentences["priority"] = sentences["_rand"]
    sentences["_eligible"] = True
    sentences = sentences.sort_values(["_rand"], kind="stable")
    keys, (picked, rows, n_eligible, drawn) = _draw_in_strata(sentences, strata, n, seed, allocation)
    if drawn < n:
        notes.append(f"drew {drawn} sentence(s): only {n_eligible} name {min_targets} or more targets, {n} asked")
    order = dict(zip(picked["_sentence"], unit_keys(int(seed), picked["_sentence"], "order"), strict=True))
    chosen = pool.loc[pool["_sentence"].isin(order)].copy()
    chosen["priority"] = chosen["_sentence"].map(dict(zip(picked["_sentence"], picked["priority"], strict=True)))
    chosen["_order"] = chosen["_sentence"].map(order)
    chosen["_all"] = ALL
    chosen = _with_sample_columns(chosen.sort_values(["_order", "target"], kind="stable"), keys, "random")
    table = pd.DataFrame(rows, columns=[*keys, "available", "eligible", "drawn"])
    params = {"strategy": "random", "seed": int(seed), "n": int(n), "allocation": allocation,
              "strata": strata, "n_drawn": int(len(chosen)), "n_sentences": int(drawn),
              "min_targets": int(min_targets), "n_excluded": int(n_excluded)}
    extra = [c for c in strata if c not in SAMPLE_COLUMNS]
    return Sample(chosen[list(SAMPLE_COLUMNS) + extra].reset_index(drop=True), table, notes, params)


def _check_options(
    items: pd.DataFrame, n: int, seed: int, strategy: str, allocation: str, strata: Sequence[str]
) -> list[str]:
    """The stratum columns as a list, after checking the options of :func:`sample_items`."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise ConfigError(f"seed must be an integer; received {seed!r}")
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ConfigError(f"n must be a positive integer; received {n!r}")
    if strategy not in STRATEGIES:
        raise ConfigError(f"unknown strategy {strategy!r}; accepted: {list(STRATEGIES)}")
    if allocation not in ALLOCATIONS:
        raise ConfigError(f"unknown allocation {allocation!r}; accepted: {list(ALLOCATIONS)}")
    strata = list(strata)
    missing = [c for c in strata if c not in items.columns]
    if missing:
        raise ConfigError(f"unknown stratum column(s) {missing}; the items have {list(items.columns)}")
    return strata


def _model_priority(
    pool: pd.DataFrame, predictions: pd.DataFrame | None, strategy: str, notes: list[str]
) -> tuple[pd.DataFrame, pd.Series]:
    """``pool`` joined to its predictions with the strategy's ``priority``, and which items are eligible.

    ``uncertainty``: the normalised entropy; ``disagreement``: the model's probability of its own
    label (``_second``: ``|lexicon_signed|``), eligible where lexicon and model labels differ.
    Appends what it finds to ``notes``.
    """
    if predictions is None:
        raise ConfigError(
            f"strategy {strategy!r} needs predictions (`framing score --method model "
            "--predictions FILE`); use strategy 'random' without a model"
        )
    pred = _check_predictions(predictions)
    for col in ("article_id", "target"):
        pool[col] = pool[col].astype(str)
    pool["sent_id"] = pool["sent_id"].astype(np.int64)
    pool = pool.merge(pred, on=_KEY, how="left", validate="one_to_one")
    pool.index = range(len(pool))
    proba = pool[list(_PROBA)].to_numpy(dtype=np.float64)
    has = np.isfinite(proba).all(axis=1)
    if not has.any() and len(pool):
        raise DataError(
            f"the predictions match none of the {len(pool)} items by (article_id, sent_id, "
            "target): were they computed on the same run?"
        )
    if (~has).any():
        notes.append(f"{int((~has).sum())} of {len(pool)} item(s) have no prediction: not eligible")
    proba = np.where(np.isfinite(proba), proba, 0.0)
    sums = proba.sum(axis=1, keepdims=True)
    p = np.divide(proba, sums, out=np.full_like(proba, 1 / 3), where=sums > 0)
    if strategy == "uncertainty":
        with np.errstate(divide="ignore", invalid="ignore"):
            h = -np.nansum(np.where(p > 0, p * np.log(p), 0.0), axis=1) / np.log(len(_PROBA))
        pool["priority"] = h
        return pool, pd.Series(has, index=pool.index)
    lex = _lexicon_label(pool["lexicon_signed"])
    predicted = pool["predicted"].astype(str)
    column = {lab: k for k, lab in enumerate(schema.STANCE_LABELS)}
    idx = predicted.map(column).fillna(0).astype(int).to_numpy()
    pool["priority"] = p[np.arange(len(pool)), idx]
    pool["_second"] = pool["lexicon_signed"].abs().fillna(0.0)
    eligible = pd.Series(has, index=pool.index) & lex.notna() & pool["predicted"].notna() & (
        lex != predicted
    )
    notes.append(
        f"{int(eligible.sum())} of {int(has.sum())} predicted item(s) have lexicon label != model label"
    )
    return pool, eligible


def _draw(
    pool: pd.DataFrame, keys: list[str], n: int, seed: int, allocation: str
) -> tuple[pd.DataFrame, list[dict[str, Any]], int, int]:
    """Spread ``n`` draws over the strata of ``pool`` (sorted by priority) and take each one's first.

    Returns the drawn items (in stratum order), one row per stratum (the ``keys`` values,
    ``available``, ``eligible``, ``drawn``), the number of eligible items and the number drawn.
    """
    # Grouping by a list gives tuple names; the sort inside each group is kept.
    groups = list(pool.groupby(keys, sort=True, dropna=False))
    sizes = [int(part["_eligible"].sum()) for _, part in groups]
    order = unit_keys(int(seed), [json.dumps(list(g), default=str) for g, _ in groups], "strata")
    alloc = _allocate(sizes, int(n), allocation, order)
    chosen, rows = [], []
    for (g, part), size, k in zip(groups, sizes, alloc, strict=True):
        chosen.append(part.loc[part["_eligible"]].head(k))
        rows.append({**dict(zip(keys, g, strict=True)), "available": len(part), "eligible": size,
                     "drawn": k})
    picked = pd.concat(chosen) if chosen else pool.iloc[:0]
    return picked, rows, sum(sizes), sum(alloc)


def _presented(picked: pd.DataFrame, keys: list[str], seed: int, strategy: str) -> pd.DataFrame:
    """The drawn items in presentation order (a seeded shuffle), with every sample column."""
    picked = picked.assign(_order=unit_keys(int(seed), picked["id"], "order"))
    return _with_sample_columns(picked.sort_values("_order", kind="stable"), keys, strategy)


def _with_sample_columns(picked: pd.DataFrame, keys: list[str], strategy: str) -> pd.DataFrame:
    """``picked`` with its stratum, strategy, empty label and note, and every sample column."""
    picked["stratum"] = picked[keys].astype(str).agg(" | ".join, axis=1) if len(picked) else ""
    picked["strategy"] = strategy
    picked["label"] = ""
    picked["note"] = ""
    for col in SAMPLE_COLUMNS:
        if col not in picked.columns:
            picked[col] = ""
    return picked


def _draw_in_strata(
    pool: pd.DataFrame, strata: list[str], n: int, seed: int, allocation: str
) -> tuple[list[str], tuple[pd.DataFrame, list[dict[str, Any]], int, int]]:
    """The stratum keys (``["_all"]`` without strata) and :func:`_draw` over them."""
    keys = strata or ["_all"]
    if not strata:
        pool["_all"] = ALL
    return keys, _draw(pool, keys, n, seed, allocation)
