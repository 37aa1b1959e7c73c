"""Stance scores per (article, target) and frame counts, from lexicon cues; the aggregation rule.

Data flow: articles + sentences + mentions -> :func:`score_lexicon` -> ``scores``
(``schema.SCORE_COLUMNS``, method "lexicon") and ``frames`` (tidy counts per article, target and
category). :func:`aggregate` is the rule that turns evidence units into a score, a label and a
confidence; model scores use the same function with one unit per (sentence, target).
:func:`match_cues` lists every cue with its weights and target (the evidence behind the scores);
:func:`coverage` says how much of the target sentences the lexicon reaches.

Cue weights
-----------
A *cue* is one lexicon hit (:meth:`framing.lexicon.folder.Lexicon.match`) in a sentence. Its

- magnitude = ``weight`` x ``intensity`` x (``HEDGE_FACTOR`` = 0.5 when ``hedged``, else 1);
- signed weight = ``polarity`` x magnitude, where ``polarity`` is the term's polarity already
  flipped by a negator ("not a threat" counts +1 for *threat*).

Cues with polarity 0 (descriptive frame terms: *tariffs*, *semiconductors*) have signed weight 0:
they count as frames and in ``n_cues`` but cannot move a stance score.

Attribution rule
----------------
A cue is attributed to a target mentioned in the *same sentence*:

1. to the nearest mention *preceding* the cue, i.e. the mention with the largest end at or
   before the cue's start (the English and Dutch subject usually precedes its verb: "the US has ...
   abused export controls ... to suppress and contain China's semiconductors" -> US);
2. when no mention precedes it, to the nearest *following* mention (smallest start; a mention
   overlapping the cue counts as following: "containment of China" at the start of a sentence -> CN).

Ties (two targets on the same span) go to the target first in alphabetical order. Title
sentences (``sent_id`` 0) count like body sentences. Cues in sentences without any mention are not
attributed (target ``""``): they feed the article-level frame counts only, never a stance score.
Known gap: the rule is positional, not syntactic. "Beijing accused Washington of bullying" gives
*bullying* to the US, as it should; "Such moves damage trust, and China opposes them" gives
*damage* to China (no mention precedes it), although the moves are another actor's.

Aggregation rule (:func:`aggregate`)
------------------------------------
Evidence units i of one (article, target) each carry a signed value ``s_i`` and a mass
``m_i >= |s_i|`` (for lexicon cues ``s_i`` is the signed weight and ``m_i = |s_i|``; for a model,
one unit per sentence with ``s_i = p(favor) - p(against)`` and ``m_i = 1``). With
``S = sum s_i``, ``M = sum m_i``, ``P = sum max(s_i, 0)``, ``N = sum max(-s_i, 0)``:

- ``score = clip(S / (M + k), -1, 1)`` with the smoothing constant ``k = SMOOTHING = 2`` (the mass
  of two clear cues), so that few cues give small scores: one cue of weight 1 scores +-0.33, three
  agreeing ones +-0.6, ten +-0.83;
- ``label`` = "favor" if ``score > neutral_band``, "against" if ``score < -neutral_band``, else
  "neutral" (:func:`label_scores`);
- ``confidence = M / (M + k) x agreement``, where agreement is the share of the polar mass that
  agrees with the label (``P / (P + N)`` for favor, ``N / (P + N)`` for against,
  ``1 - |S| / (P + N)`` for neutral, 1 for neutral units without polar mass); 0 when ``M = 0``.

An (article, target) with mentions but no cue (or fewer than ``min_cues`` cues with a polarity)
gets score 0, label "neutral", confidence 0.

Matching
--------
The lexicon is run only where needed: on the sentences that mention a target (stance), plus all
other sentences when article-level frames are asked for. The selected sentences of an article are
joined with a line break between spaces and matched in one call; a line break is a break for the
matcher (no term or modifier spans it), so this equals matching sentence by sentence, at a fraction
of the calls.
"""

from __future__ import annotations

import warnings
from bisect import bisect_right
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from framing.infra import schema
from framing.infra.defaults import DEFAULT_AGGREGATION, DEFAULT_LEXICON, NEUTRAL_BAND  # noqa: F401 - re-exported
from framing.infra.errors import ConfigError, DataError
from framing.infra.pool import check_jobs, map_chunks
from framing.lexicon.folder import Lexicon, load_lexicon

#: Factor applied to the weight of a hedged cue ("may threaten", "reportedly coerced").
HEDGE_FACTOR = 0.5
#: Smoothing constant k of the aggregation rule: pseudo-mass at 0, equal to two clear cues.
SMOOTHING = 2.0
#: How model and hybrid mention predictions become an article's score, by versioned name: the
#: weight of a mention by its voice (:mod:`framing.text.voice`; a voice not listed weighs 1) and the
#: smoothing constant. A released rule is never changed; a new one gets a new name.
AGGREGATIONS: dict[str, dict] = {
    # Every sentence that names the target counts once: sum(s) / (n + 2).
    "smoothed-v1": {"weights": {}, "smoothing": SMOOTHING},
    # The plain mean of s over the sentences: one clear sentence among many still moves the score.
    "mean-v1": {"weights": {}, "smoothing": 0.0},
    # Only the author's own narration counts; reported and quoted words and the target's own
    # statements are left out.
    "author-v1": {"weights": {"reported": 0.0, "quoted": 0.0, "speaker": 0.0}, "smoothing": SMOOTHING},
    # Others' words count half; a sentence in which the target speaks does not count (its stance
    # is the target's own, toward something else).
    "voice-weighted-v1": {"weights": {"reported": 0.5, "quoted": 0.5, "speaker": 0.0},
                          "smoothing": SMOOTHING},
}


def aggregation_rule(name: str) -> dict:
    """The settings of a named aggregation rule (``AGGREGATIONS``).

    Examples
    --------
    >>> aggregation_rule("author-v1")["weights"]["quoted"]
    0.0
    """
    if name not in AGGREGATIONS:
        raise ConfigError(f"unknown aggregation rule {name!r}; accepted: {', '.join(AGGREGATIONS)}")
    return AGGREGATIONS[name]


def voice_weights(voices: Sequence[str] | pd.Series, rule: str) -> np.ndarray:
    """The weight of each mention under aggregation ``rule``, by its voice.

    Examples
    --------
    >>> voice_weights(["author", "reported", "speaker", ""], "voice-weighted-v1").tolist()
    [1.0, 0.5, 0.0, 1.0]
    """
    weights = aggregation_rule(rule)["weights"]
    return np.asarray([float(weights.get(str(v), 1.0)) for v in voices], dtype=np.float64)
#: Articles whose sentences are matched per batch (and per task handed to a worker process).
ARTICLES_PER_BATCH = 500
#: Sentences listed as evidence per (article, target).
EVIDENCE_SENTENCES = 3
METHOD = "lexicon"

#: Columns of the frames table returned by :func:`score_lexicon`.
FRAME_COLUMNS: tuple[str, ...] = ("article_id", "outlet", "target", "category", "count", "weight")
#: Columns of the cue table (one row per cue): ``row`` (position in the sentence table), then what
#: :func:`match_cues` returns.
CUE_COLUMNS: tuple[str, ...] = (
    "row", "article_id", "sent_id", "term", "category", "polarity", "weight", "start", "end",
    "negated", "hedged", "intensity", "magnitude", "signed", "target",
)
#: Joins the selected sentences of an article into one text for the matcher. The line break is a
#: break (no cue spans two sentences); the spaces around it keep a sentence's last and the next
#: sentence's first word in chunks of their own ("China." rather than "China.\nThe"), which the
#: matcher has seen before and memoised: a bare "\n" made ~1.7 M one-off chunks on AllSides.
_SENTENCE_JOIN = " \n "
_UNIT_COLUMNS = ("signed", "mass")
_ARTICLE_LEVEL = ""


# ---------------------------------------------------------------------------------------------
# Small pure pieces (also used by framing.stance.features)


def cue_magnitude(weight: float, intensity: float, hedged: bool) -> float:
    """Unsigned weight of a cue: ``weight x intensity x (HEDGE_FACTOR if hedged else 1)``.

    Examples
    --------
    >>> cue_magnitude(1.5, 1.0, True)
    0.75
    """
    return weight * intensity * (HEDGE_FACTOR if hedged else 1.0)


def attribute(
    cue_starts: Sequence[int], mentions: Iterable[tuple[int, int, str]]
) -> list[str]:
    """Attribute cues to targets by the rule in the module docstring.

    Parameters
    ----------
    cue_starts : sequence of int
        Start offsets of the cues in one sentence.
    mentions : iterable of (start, end, target)
        The target mentions of the same sentence, offsets in the same string.

    Returns
    -------
    list of str
        One target per cue; ``""`` when the sentence has no mention.

    Examples
    --------
    >>> attribute([40, 20, 0], [(5, 7, "US"), (25, 30, "CN")])
    ['CN', 'US', 'US']
    """
    found = list(mentions)
    if not found:
        return [_ARTICLE_LEVEL] * len(cue_starts)
    out = []
    for start in cue_starts:
        # Smallest key wins: preceding mentions (end <= start) before following ones; among
        # preceding the largest end, then the largest start; among following the smallest start;
        # then the target name, so that ties are deterministic.
        best = min(
            (0, -e, -s, t) if e <= start else (1, s, e, t) for s, e, t in found
        )
        out.append(best[3])
    return out


def label_scores(scores: np.ndarray | pd.Series, neutral_band: float = NEUTRAL_BAND) -> np.ndarray:
    """Stance labels (``schema.STANCE_LABELS``) of scores in [-1, 1].

    Parameters
    ----------
    scores : array-like of float
    neutral_band : float
        Scores within ``[-neutral_band, neutral_band]`` are "neutral".

    Returns
    -------
    ndarray of str
        "against" below the band, "favor" above it.

    Examples
    --------
    >>> label_scores(np.array([-0.5, 0.05, 0.2])).tolist()
    ['against', 'neutral', 'favor']
    """
    _check_band(neutral_band)
    values = np.asarray(scores, dtype=np.float64)
    against, neutral, favor = schema.STANCE_LABELS
    return np.where(values > neutral_band, favor, np.where(values < -neutral_band, against, neutral))


def aggregate(
    units: pd.DataFrame,
    *,
    by: Sequence[str] = ("article_id", "target"),
    smoothing: float = SMOOTHING,
    neutral_band: float = NEUTRAL_BAND,
) -> pd.DataFrame:
    """Score, label and confidence per group of evidence units (the rule in the module docstring).

    Parameters
    ----------
    units : DataFrame
        One row per evidence unit: the ``by`` columns, ``signed`` (a real number) and ``mass``
        (``>= |signed|``). Lexicon cues: signed weight and its absolute value; model predictions:
        ``p(favor) - p(against)`` and 1 per sentence.
    by : sequence of str
        Grouping columns.
    smoothing : float
        The constant k (>= 0) added to the mass in the denominator.
    neutral_band : float
        Scores within ``[-neutral_band, neutral_band]`` are labelled "neutral".

    Returns
    -------
    DataFrame
        The ``by`` columns, ``score`` (in [-1, 1]), ``label``, ``confidence`` (in [0, 1]) and
        ``n_units``, one row per group, sorted by ``by``.

    Examples
    --------
    >>> units = pd.DataFrame({"article_id": ["a", "a"], "target": ["US", "US"],
    ...                       "signed": [-1.5, 1.0], "mass": [1.5, 1.0]})
    >>> aggregate(units)[["score", "label"]].round(3).values.tolist()
    [[-0.111, 'against']]
    """
    by = list(by)
    missing = [c for c in (*by, *_UNIT_COLUMNS) if c not in units.columns]
    if missing:
        raise ConfigError(
            f"aggregate: the unit table lacks column(s) {', '.join(missing)}; it has "
            f"{', '.join(map(str, units.columns))} and needs {', '.join((*by, *_UNIT_COLUMNS))}"
        )
    if not np.isfinite(smoothing) or smoothing < 0:
        raise ConfigError(f"smoothing must be a finite number >= 0; received {smoothing!r}")
    _check_band(neutral_band)
    signed = pd.to_numeric(units["signed"], errors="coerce").to_numpy(dtype=np.float64)
    mass = pd.to_numeric(units["mass"], errors="coerce").to_numpy(dtype=np.float64)
    bad = ~np.isfinite(signed) | ~np.isfinite(mass) | (mass < np.abs(signed) - 1e-9)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ConfigError(
            f"aggregate: {int(bad.sum())} unit(s) have a missing or non-finite value or a mass "
            f"below |signed| (first: row {i}, signed={signed[i]!r}, mass={mass[i]!r}); each unit "
            f"needs finite signed and mass >= |signed|"
        )
    frame = units[by].copy()
    frame["signed"] = signed
    frame["mass"] = mass
    frame["pos"] = np.clip(signed, 0, None)
    frame["neg"] = np.clip(-signed, 0, None)
    sums = frame.groupby(by, sort=True, dropna=False).agg(
        S=("signed", "sum"), M=("mass", "sum"), P=("pos", "sum"), N=("neg", "sum"),
        n_units=("signed", "size"),
    )
    out = sums.reset_index()[by]
    score, label, confidence = _stance(
        sums["S"].to_numpy(), sums["M"].to_numpy(), sums["P"].to_numpy(), sums["N"].to_numpy(),
        smoothing, neutral_band,
    )
    out["score"], out["label"], out["confidence"] = score, label, confidence
    out["n_units"] = sums["n_units"].to_numpy(dtype=np.int64)
    return out


def _stance(
    S: np.ndarray, M: np.ndarray, P: np.ndarray, N: np.ndarray, k: float, band: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    with np.errstate(invalid="ignore", divide="ignore"):
        denominator = M + k
        score = np.where(denominator > 0, S / np.where(denominator > 0, denominator, 1), 0.0)
        score = np.clip(score, -1.0, 1.0)
        label = label_scores(score, band)
        polar = P + N
        safe = np.where(polar > 0, polar, 1.0)
        against, neutral, favor = schema.STANCE_LABELS
        agreement = np.select(
            [label == favor, label == against],
            [P / safe, N / safe],
            default=np.where(polar > 0, 1.0 - np.abs(S) / safe, 1.0),
        )
        support = np.where(denominator > 0, M / np.where(denominator > 0, denominator, 1), 0.0)
        confidence = np.where(M > 0, np.clip(support * agreement, 0.0, 1.0), 0.0)
    return score, label, confidence


def _check_band(neutral_band: float) -> None:
    if not isinstance(neutral_band, int | float) or not 0 <= neutral_band < 1:
        raise ConfigError(f"neutral_band must be a number in [0, 1); received {neutral_band!r}")


# ---------------------------------------------------------------------------------------------
# Matching sentences


def resolve_lexicon(lexicon: Lexicon | str | Path | None) -> Lexicon:
    """A loaded lexicon from a Lexicon, a lexicon name or folder, or None (``DEFAULT_LEXICON``).

    Parameters
    ----------
    lexicon : Lexicon, str, Path or None

    Returns
    -------
    Lexicon
    """
    if lexicon is None:
        return load_lexicon(DEFAULT_LEXICON)
    if isinstance(lexicon, Lexicon):
        return lexicon
    if isinstance(lexicon, str | Path):
        return load_lexicon(lexicon)
    raise ConfigError(
        f"lexicon must be a Lexicon, a lexicon name such as {DEFAULT_LEXICON!r} or a folder path; "
        f"received {type(lexicon).__name__}"
    )


def _worker_lexicon(lexicon: Lexicon) -> Lexicon:
    # The pool's worker state for cue matching: the lexicon travels once per worker, not per batch.
    return lexicon


def _match_items(
    lexicon: Lexicon, items: list[tuple[str, str, list[int], list[int]]]
) -> list[tuple]:
    """Match joined sentence groups: items are (language, joined text, sentence bases, rows).

    Returns (row, term, category, polarity, weight, start, end, negated, hedged, intensity) per
    hit, offsets within the sentence.
    """
    out: list[tuple] = []
    for language, text, bases, rows in items:
        for hit in lexicon.match(text, language=language):
            i = bisect_right(bases, hit.start) - 1
            base = bases[i]
            out.append((rows[i], hit.term, hit.category, hit.polarity, hit.weight,
                        hit.start - base, hit.end - base, hit.negated, hit.hedged, hit.intensity))
    return out


_check_jobs = check_jobs


def _article_batches(
    sentences: pd.DataFrame, selected: np.ndarray, languages: np.ndarray, lexicon: Lexicon
) -> Iterator[list[tuple[str, str, list[int], list[int]]]]:
    """Items (language, joined sentences, sentence bases, rows) per article, ARTICLES_PER_BATCH
    articles at a time, so that only one batch of joined text is held at once."""
    rows = np.flatnonzero(selected)
    if not len(rows):
        return
    codes = pd.factorize(sentences["article_id"].take(rows))[0]
    order = np.argsort(codes, kind="stable")  # articles in table order, sentences in row order
    rows, codes = rows[order], codes[order]
    bounds = np.flatnonzero(np.diff(codes)) + 1
    starts = np.concatenate([[0], bounds])
    ends = np.concatenate([bounds, [len(rows)]])
    for b in range(0, len(starts), ARTICLES_PER_BATCH):
        lo, hi = int(starts[b]), int(ends[min(b + ARTICLES_PER_BATCH, len(starts)) - 1])
        batch_rows = rows[lo:hi]
        texts = sentences["text"].take(batch_rows).tolist()
        langs = languages[batch_rows].tolist()
        items = []
        for s, e in zip(starts[b : b + ARTICLES_PER_BATCH].tolist(),
                        ends[b : b + ARTICLES_PER_BATCH].tolist(), strict=True):
            language = langs[s - lo]
            if language not in lexicon.languages:
                continue
            parts = [t if isinstance(t, str) else "" for t in texts[s - lo : e - lo]]
            bases, offset = [], 0
            for part in parts:
                bases.append(offset)
                offset += len(part) + len(_SENTENCE_JOIN)
            items.append((language, _SENTENCE_JOIN.join(parts), bases,
                          batch_rows[s - lo : e - lo].tolist()))
        if items:
            yield items


def _match_rows(
    sentences: pd.DataFrame,
    selected: np.ndarray,
    languages: np.ndarray,
    lexicon: Lexicon,
    n_jobs: int,
) -> list[tuple]:
    """Hits in the selected sentence rows (positions), grouped per article and matched joined."""
    batches = _article_batches(sentences, selected, languages, lexicon)
    n_articles = len(pd.unique(sentences["article_id"].take(np.flatnonzero(selected))))
    workers = min(n_jobs, -(-n_articles // ARTICLES_PER_BATCH))
    if workers > 1:
        # Compile the matchers here: forked workers inherit them instead of each compiling its own
        # (with the spawn start method they are rebuilt in the worker, with the same result).
        for language in lexicon.languages:
            lexicon.match("", language=language)
    # The batches are read lazily, a few per worker at a time: a batch of joined text exists only
    # while it is queued or matched. Results come back in batch order, whatever the workers.
    out: list[tuple] = []
    for hits in map_chunks(_match_items, batches, n_jobs=workers, init=_worker_lexicon,
                           init_args=(lexicon,)):
        out += hits
    return out


# ---------------------------------------------------------------------------------------------
# Tables


def require_columns(table: Any, columns: Sequence[str], name: str, contract: str = "") -> None:
    """Check an input table: ConfigError when it is no DataFrame, DataError naming what it lacks.

    ``contract`` (e.g. ``"schema.SENTENCE_COLUMNS"``), when given, ends the message as what was
    expected. Also used by :mod:`framing.stance.model_scoring`.
    """
    if not isinstance(table, pd.DataFrame):
        raise ConfigError(f"the {name} table must be a pandas DataFrame; received {type(table).__name__}")
    missing = [c for c in columns if c not in table.columns]
    if missing:
        expected = f"; expected {contract}" if contract else ""
        raise DataError(
            f"the {name} table lacks column(s) {', '.join(missing)}; it has "
            f"{', '.join(map(str, table.columns))}{expected}"
        )


def strongest_sentences(units: pd.DataFrame, size: str, n: int) -> pd.DataFrame:
    """The ``n`` rows of each (article_id, target) with the largest ``size``, ties by ``sent_id``.

    The evidence sentences of a score; grouped by article and target, strongest first. Also used
    by :mod:`framing.stance.model_scoring`.
    """
    ranked = units.sort_values(
        ["article_id", "target", size, "sent_id"], ascending=[True, True, False, True],
        kind="stable",
    )
    return ranked.groupby(["article_id", "target"], sort=False).head(n)


def cue_terms(cues: pd.DataFrame, keys: Sequence[str], wanted: set[tuple]) -> dict[tuple, list[dict]]:
    """The evidence terms of the cues whose ``keys`` values are in ``wanted``, by those values.

    Each term is ``{term, category, polarity, start, end}``, in cue-table order. Also used by
    :mod:`framing.stance.model_scoring`.
    """
    terms: dict[tuple, list[dict]] = {}
    for key, term, category, polarity, start, end in zip(
        zip(*(cues[k].tolist() for k in keys), strict=True),
        cues["term"].tolist(), cues["category"].tolist(), cues["polarity"].tolist(),
        cues["start"].tolist(), cues["end"].tolist(), strict=True,
    ):
        if key in wanted:
            terms.setdefault(key, []).append(
                {"term": term, "category": category, "polarity": int(polarity),
                 "start": int(start), "end": int(end)}
            )
    return terms


def score_table(
    table: pd.DataFrame, evidence: dict[tuple[str, str], list[dict]], order: dict[str, int]
) -> pd.DataFrame:
    """``schema.SCORE_COLUMNS`` of ``table`` with each row's ``evidence``, typed and sorted.

    ``order`` gives each article's place (an article not in it goes last); rows are sorted by it,
    then article id and target. Also used by :mod:`framing.stance.model_scoring`.
    """
    table = table.assign(evidence=[
        evidence.get(key, []) for key in zip(table["article_id"], table["target"], strict=True)
    ])
    table["_order"] = table["article_id"].map(order).fillna(len(order)).to_numpy(dtype=np.int64)
    table = table.sort_values(["_order", "article_id", "target"], kind="stable", ignore_index=True)
    table = table[list(schema.SCORE_COLUMNS)]
    return table.astype({"article_id": "str", "outlet": "str", "target": "str", "method": "str",
                         "score": "float64", "label": "str", "confidence": "float64",
                         "n_mentions": "int64", "n_cues": "int64"})


def sentence_rows(sentences: pd.DataFrame, article_ids: Any, sent_ids: Any) -> np.ndarray:
    """Row positions in ``sentences`` of (article_id, sent_id) pairs, e.g. of the mention rows.

    DataError when the sentence table repeats a sentence or a pair names none of its sentences.
    Also used by :mod:`framing.stance.model_scoring`.
    """
    n = len(sentences)
    ids = pd.concat(
        [sentences["article_id"].astype(str), pd.Series(article_ids).astype(str)], ignore_index=True
    )
    codes = pd.factorize(ids)[0].astype(np.int64)
    numbers = np.concatenate([
        sentences["sent_id"].to_numpy(dtype=np.int64), pd.Series(sent_ids).to_numpy(dtype=np.int64)
    ])
    # One integer per (article, sentence): article code x width + sent_id, the sent_ids shifted
    # to start at 0 when one is negative (so that a negative sent_id cannot name another article).
    low = int(min(numbers.min(initial=0), 0))
    width = int(max(numbers.max(initial=0), 0)) - low + 1
    keys = codes * width + (numbers - low)
    index = pd.Index(keys[:n])
    if not index.is_unique:
        dup = int(np.flatnonzero(index.duplicated())[0])
        raise DataError(
            f"the sentence table has (article_id, sent_id) "
            f"({sentences['article_id'].iloc[dup]!r}, {int(numbers[dup])}) more than once; each "
            f"sentence must appear once (schema.SENTENCE_COLUMNS)"
        )
    positions = index.get_indexer(keys[n:])
    if (positions < 0).any():
        first = int(np.flatnonzero(positions < 0)[0])
        raise DataError(
            f"{int((positions < 0).sum())} mention row(s) name a sentence missing from the sentence "
            f"table (first: article_id {ids.iloc[n + first]!r}, sent_id {int(numbers[n + first])}); "
            f"pass the sentence table the mentions were found in"
        )
    return positions


class _MentionSpans:
    """Every mention span, sorted by sentence row, with offsets within the sentence."""

    def __init__(
        self, mentions: pd.DataFrame, mention_rows: np.ndarray, sentence_starts: np.ndarray
    ) -> None:
        column = mentions["spans"].tolist()  # lists from find_mentions, arrays after Parquet
        counts = np.fromiter((_span_count(v) for v in column), dtype=np.int64, count=len(column))
        flat = [pair for value, n in zip(column, counts.tolist(), strict=True) if n
                for pair in value]
        try:
            pairs = np.asarray(flat, dtype=np.int64).reshape(len(flat), 2)
        except (TypeError, ValueError):
            raise DataError(
                "mention spans must be lists of [start, end] pairs of integers; received e.g. "
                f"{next((v for v in column if _span_count(v)), None)!r}"
            ) from None
        rows = np.repeat(mention_rows.astype(np.int64), counts)
        base = sentence_starts[rows]
        order = np.argsort(rows, kind="stable")
        self.rows = rows[order]
        self.starts = (pairs[:, 0] - base)[order] if len(pairs) else pairs[:, 0]
        self.ends = (pairs[:, 1] - base)[order] if len(pairs) else pairs[:, 1]
        targets = mentions["target"].astype(str).to_numpy(dtype=object)
        self.targets = np.repeat(targets, counts)[order]

    def of(self, row: int) -> list[tuple[int, int, str]]:
        """(start, end, target) of the mentions in one sentence row."""
        lo, hi = np.searchsorted(self.rows, [row, row + 1])
        return list(zip(self.starts[lo:hi].tolist(), self.ends[lo:hi].tolist(),
                        self.targets[lo:hi].tolist(), strict=True))


def _span_count(value: Any) -> int:
    if value is None or isinstance(value, float | str):
        return 0  # a missing value (NaN/None); a string is not a list of spans
    try:
        return len(value)
    except TypeError:
        return 0


def _cue_table(hits: list[tuple], sentences: pd.DataFrame, spans: _MentionSpans) -> pd.DataFrame:
    """One row per cue with magnitude, signed weight and attributed target."""
    columns = ["row", "term", "category", "polarity", "weight", "start", "end", "negated",
               "hedged", "intensity"]
    cues = pd.DataFrame.from_records(hits, columns=columns) if hits else pd.DataFrame(
        {c: pd.Series(dtype=t) for c, t in zip(
            columns, ["int64", "str", "str", "int64", "float64", "int64", "int64", "bool", "bool",
                      "float64"], strict=True)}
    )
    cues = cues.sort_values(["row", "start", "end", "category", "term"], kind="stable",
                            ignore_index=True)
    rows = cues["row"].to_numpy(dtype=np.int64)
    cues.insert(1, "article_id", sentences["article_id"].take(rows).astype(str).to_numpy())
    cues.insert(2, "sent_id", sentences["sent_id"].take(rows).to_numpy(dtype=np.int64))
    hedge = np.where(cues["hedged"].to_numpy(dtype=bool), HEDGE_FACTOR, 1.0)
    cues["magnitude"] = cues["weight"].to_numpy(dtype=np.float64) * cues["intensity"].to_numpy(
        dtype=np.float64) * hedge
    cues["signed"] = cues["polarity"].to_numpy(dtype=np.float64) * cues["magnitude"].to_numpy()
    targets = np.full(len(cues), _ARTICLE_LEVEL, dtype=object)
    if len(spans.rows) and len(cues):
        starts = cues["start"].to_numpy(dtype=np.int64)
        cuts = np.flatnonzero(np.diff(rows)) + 1
        # Only sentences that have cues and mentions: most mention sentences have no cue.
        with_mention = np.isin(rows, spans.rows)
        for lo, hi in zip([0, *cuts.tolist()], [*cuts.tolist(), len(rows)], strict=True):
            if with_mention[lo]:
                targets[lo:hi] = attribute(starts[lo:hi].tolist(), spans.of(int(rows[lo])))
    cues["target"] = targets.astype(str) if len(cues) else pd.Series(dtype="str")
    return cues[list(CUE_COLUMNS)]


class _Prepared:
    """Validated inputs and the cue table shared by score_lexicon and coverage."""

    def __init__(
        self,
        articles: pd.DataFrame,
        sentences: pd.DataFrame,
        mentions: pd.DataFrame,
        lexicon: Lexicon,
        *,
        all_sentences: bool,
        n_jobs: int,
    ) -> None:
        require_columns(articles, ("article_id", "language"), "article", "schema.ARTICLE_COLUMNS")
        require_columns(sentences, ("article_id", "sent_id", "start", "text"), "sentence",
                        "schema.SENTENCE_COLUMNS")
        require_columns(mentions, ("article_id", "sent_id", "target", "spans"), "mention",
                        "schema.MENTION_COLUMNS")
        self.lexicon = lexicon
        self.articles = articles.reset_index(drop=True)
        self.sentences = sentences.reset_index(drop=True)
        self.mentions = mentions.reset_index(drop=True)
        ids = self.articles["article_id"].astype(str)
        language = dict(zip(ids, self.articles["language"].tolist(), strict=True))
        outlet = (self.articles["outlet"].tolist() if "outlet" in self.articles.columns
                  else ["unknown"] * len(ids))
        self.outlet = {a: o if isinstance(o, str) and o else "unknown"
                       for a, o in zip(ids, outlet, strict=True)}
        sentence_ids = self.sentences["article_id"].astype(str)
        self.languages = sentence_ids.map(language).to_numpy(dtype=object)
        self.mention_rows = sentence_rows(
            self.sentences, self.mentions["article_id"], self.mentions["sent_id"]
        )
        selected = np.zeros(len(self.sentences), dtype=bool)
        selected[self.mention_rows] = True
        if all_sentences:
            selected[:] = True
        self._warn_languages(selected)
        hits = _match_rows(self.sentences, selected, self.languages, lexicon, n_jobs)
        spans = _MentionSpans(
            self.mentions, self.mention_rows, self.sentences["start"].to_numpy(dtype=np.int64)
        )
        self.cues = _cue_table(hits, self.sentences, spans)
        self.n_matched = int(selected.sum())

    def _warn_languages(self, selected: np.ndarray) -> None:
        langs = pd.Series(self.languages[selected])
        uncovered = langs[~langs.isin(self.lexicon.languages)]
        if len(uncovered):
            counts = uncovered.fillna("(article missing from the article table)").value_counts()
            warnings.warn(
                f"lexicon {self.lexicon.id!r} covers {', '.join(self.lexicon.languages)}; "
                f"{len(uncovered)} sentence(s) in other languages get no cues: "
                + ", ".join(f"{k}: {v}" for k, v in counts.items()),
                UserWarning,
                stacklevel=3,
            )


def _evidence(cues: pd.DataFrame, sentences: pd.DataFrame) -> dict[tuple[str, str], list[dict]]:
    """(article_id, target) -> up to EVIDENCE_SENTENCES evidence dicts, largest |contribution| first."""
    if not len(cues):
        return {}
    per_sentence = (
        cues.groupby(["article_id", "target", "row"], sort=True)
        .agg(contribution=("signed", "sum"), sent_id=("sent_id", "first"))
        .reset_index()
    )
    per_sentence["size"] = per_sentence["contribution"].abs()
    top = strongest_sentences(per_sentence, "size", EVIDENCE_SENTENCES)
    wanted = set(zip(top["article_id"].tolist(), top["target"].tolist(), top["row"].tolist(),
                     strict=True))
    terms = cue_terms(cues, ("article_id", "target", "row"), wanted)
    texts = sentences["text"].take(top["row"].to_numpy()).tolist()
    out: dict[tuple[str, str], list[dict]] = {}
    for aid, target, row, sent_id, contribution, text in zip(
        top["article_id"].tolist(), top["target"].tolist(), top["row"].tolist(),
        top["sent_id"].tolist(), top["contribution"].tolist(), texts, strict=True,
    ):
        out.setdefault((aid, target), []).append(
            {"sent_id": int(sent_id), "sentence": text, "score": round(float(contribution), 6),
             "terms": terms[(aid, target, row)]}
        )
    return out


def cue_units(cues: pd.DataFrame, mentions: pd.DataFrame,
              aggregation: str = DEFAULT_AGGREGATION) -> pd.DataFrame:
    """The attributed cues as aggregation units under ``aggregation`` (what :func:`aggregate` sums).

    Each cue weighs what the voice of its (sentence, target) mention weighs under the rule
    (:func:`voice_weights`; mention tables without a ``voice`` column weigh 1).

    Returns
    -------
    DataFrame
        ``article_id, sent_id, target, signed`` (weighted), ``mass`` (``|signed|``), ``polar``
        (1 for a cue with a polarity and a non-zero weight) and ``voice``, one row per cue
        attributed to a target, in cue order.
    """
    attributed = cues.loc[cues["target"] != _ARTICLE_LEVEL]
    keys = ["article_id", "sent_id", "target"]
    frame = pd.DataFrame({
        "article_id": attributed["article_id"].astype(str).to_numpy(),
        "sent_id": attributed["sent_id"].to_numpy(dtype=np.int64),
        "target": attributed["target"].astype(str).to_numpy(),
    })
    if schema.MENTION_VOICE in mentions.columns and len(frame):
        voices = pd.DataFrame({
            "article_id": mentions["article_id"].astype(str).to_numpy(),
            "sent_id": mentions["sent_id"].to_numpy(dtype=np.int64),
            "target": mentions["target"].astype(str).to_numpy(),
            "voice": mentions[schema.MENTION_VOICE].fillna("").astype(str).to_numpy(),
        }).drop_duplicates(keys)
        voice = frame.merge(voices, on=keys, how="left")["voice"].fillna("").to_numpy(dtype=object)
    else:
        voice = np.full(len(frame), "", dtype=object)
    weight = voice_weights(voice, aggregation)
    signed = attributed["signed"].to_numpy(dtype=np.float64) * weight
    frame["signed"] = signed
    frame["mass"] = np.abs(signed)
    frame["polar"] = ((attributed["polarity"].to_numpy() != 0) & (weight > 0)).astype(np.int64)
    frame["voice"] = voice
    return frame


def _scores(
    prep: _Prepared, *, min_cues: int, neutral_band: float, smoothing: float,
    aggregation: str = DEFAULT_AGGREGATION,
) -> pd.DataFrame:
    mentions = prep.mentions
    pairs = (
        pd.DataFrame({
            "article_id": mentions["article_id"].astype(str).to_numpy(),
            "target": mentions["target"].astype(str).to_numpy(),
            "sent_id": mentions["sent_id"].to_numpy(dtype=np.int64),
        })
        .groupby(["article_id", "target"], sort=True)["sent_id"].nunique()
        .rename("n_mentions").reset_index()
    )
    attributed = prep.cues.loc[prep.cues["target"] != _ARTICLE_LEVEL]
    units = cue_units(prep.cues, mentions, aggregation)
    stance = aggregate(units, smoothing=smoothing, neutral_band=neutral_band).merge(
        units.groupby(["article_id", "target"], sort=True)["polar"].sum().rename("n_polar"),
        on=["article_id", "target"], validate="one_to_one",
    )
    table = pairs.merge(stance, on=["article_id", "target"], how="left", validate="one_to_one")
    n_cues = table["n_units"].fillna(0).to_numpy(dtype=np.int64)
    weak = table["n_polar"].fillna(0).to_numpy(dtype=np.int64) < min_cues
    neutral = schema.STANCE_LABELS[1]
    table["score"] = np.where(weak, 0.0, table["score"].fillna(0.0).to_numpy(dtype=np.float64))
    table["label"] = np.where(weak, neutral, table["label"].fillna(neutral).to_numpy(dtype=object))
    table["confidence"] = np.where(
        weak, 0.0, table["confidence"].fillna(0.0).to_numpy(dtype=np.float64)
    )
    table["n_cues"] = n_cues
    table["outlet"] = table["article_id"].map(prep.outlet).fillna("unknown")
    table["method"] = METHOD
    order = {a: i for i, a in enumerate(prep.articles["article_id"].astype(str))}
    return score_table(table, _evidence(attributed, prep.sentences), order)


def _frames(prep: _Prepared, scores: pd.DataFrame, *, article_level: bool) -> pd.DataFrame:
    """Tidy frame table: every category for every article (target "") and scored (article, target)."""
    categories = prep.lexicon.category_names()
    keys: list[pd.DataFrame] = []
    if article_level:
        articles = prep.articles
        if "status" in articles.columns:
            articles = articles.loc[articles["status"].isin(schema.PROCESSED_STATUSES)]
        ids = pd.unique(articles["article_id"].astype(str))
        keys.append(pd.DataFrame({"article_id": ids, "target": _ARTICLE_LEVEL}))
    keys.append(scores[["article_id", "target"]])
    key = pd.concat(keys, ignore_index=True)
    grid = pd.DataFrame({
        "article_id": np.repeat(key["article_id"].to_numpy(dtype=object), len(categories)),
        "target": np.repeat(key["target"].to_numpy(dtype=object), len(categories)),
        "category": np.tile(np.asarray(categories, dtype=object), len(key)),
    })
    cues = prep.cues
    counted = [cues.loc[cues["target"] != _ARTICLE_LEVEL]]
    if article_level:
        counted.append(cues.assign(target=_ARTICLE_LEVEL))
    sums = (
        pd.concat(counted, ignore_index=True)
        .groupby(["article_id", "target", "category"], sort=False)
        .agg(count=("magnitude", "size"), weight=("magnitude", "sum"))
        .reset_index()
    )
    frames = grid.merge(sums, on=["article_id", "target", "category"], how="left")
    frames["count"] = frames["count"].fillna(0).to_numpy(dtype=np.int64)
    frames["weight"] = frames["weight"].fillna(0.0).round(6).to_numpy(dtype=np.float64)
    frames["outlet"] = frames["article_id"].map(prep.outlet).fillna("unknown")
    frames = frames[list(FRAME_COLUMNS)]
    return frames.astype({"article_id": "str", "outlet": "str", "target": "str", "category": "str"})


def score_lexicon(
    articles: pd.DataFrame,
    sentences: pd.DataFrame,
    mentions: pd.DataFrame,
    *,
    lexicon: Lexicon | str | Path | None = None,
    min_cues: int = 1,
    neutral_band: float = NEUTRAL_BAND,
    smoothing: float | None = None,
    article_frames: bool = True,
    n_jobs: int = 1,
    aggregation: str = DEFAULT_AGGREGATION,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Lexicon stance scores per (article, target) and frame counts per article and target.

    Parameters
    ----------
    articles : DataFrame
        Article table: ``article_id``, ``language`` (picks the lexicon language), and ``outlet``
        (``"unknown"`` when absent) and ``status`` (only ``schema.PROCESSED_STATUSES`` get
        article-level frame rows) when present.
    sentences : DataFrame
        Sentence table (``schema.SENTENCE_COLUMNS``).
    mentions : DataFrame
        Mention table (``schema.MENTION_COLUMNS``; ``spans`` index the section string).
    lexicon : Lexicon, str or Path, optional
        A loaded lexicon, a lexicon name or a folder; default ``DEFAULT_LEXICON``.
    min_cues : int
        Cues with a polarity needed for a non-zero score; below it the row is scored 0,
        "neutral", confidence 0 (its evidence is still listed).
    neutral_band : float
        Half-width of the neutral band (see :func:`label_scores`).
    smoothing : float, optional
        The constant k of :func:`aggregate` (default: the aggregation rule's).
    article_frames : bool
        Match every sentence and add article-level frame rows (target ``""``). With False only
        the sentences that mention a target are matched (faster) and ``frames`` has the target
        rows only.
    n_jobs : int
        Worker processes for matching (-1: all cores). Output is identical for any value.
    aggregation : str
        A rule of :data:`AGGREGATIONS`: each cue weighs what its sentence's voice weighs under
        the rule (``author-v1``: cues in quoted or reported sentences count 0), and the rule's
        smoothing applies; the default ``smoothed-v1`` weighs every cue 1 with k = 2.

    Returns
    -------
    scores : DataFrame
        ``schema.SCORE_COLUMNS``, method "lexicon": one row per (article, target) with at least
        one mention, in article order then by target. ``n_mentions`` counts sentences naming the
        target, ``n_cues`` the cues attributed to it (with or without polarity); ``evidence``
        lists up to 3 sentences with the largest |contribution| (sum of signed cue weights), each
        ``{sent_id, sentence, score, terms: [{term, category, polarity, start, end}]}`` with
        ``score`` the contribution and offsets within the sentence.
    frames : DataFrame
        ``FRAME_COLUMNS``: for every processed article (target ``""``, all its cues) and every
        scored (article, target) (the cues attributed to it), one row per lexicon category with
        ``count`` (cues) and ``weight`` (sum of cue magnitudes); zeros included.

    Raises
    ------
    DataError
        A table lacks a column, or a mention names a sentence missing from the sentence table.
    ConfigError
        An option is out of range.

    Examples
    --------
    >>> scores, frames = score_lexicon(articles, sentences, mentions)  # doctest: +SKIP
    >>> scores.loc[scores.target == "US", ["outlet", "score", "label"]]  # doctest: +SKIP
    """
    if not isinstance(min_cues, int) or isinstance(min_cues, bool) or min_cues < 0:
        raise ConfigError(f"min_cues must be an integer >= 0; received {min_cues!r}")
    _check_band(neutral_band)
    lex = resolve_lexicon(lexicon)
    prep = _Prepared(articles, sentences, mentions, lex, all_sentences=bool(article_frames),
                     n_jobs=_check_jobs(n_jobs))
    rule = aggregation_rule(aggregation)
    k = rule["smoothing"] if smoothing is None else smoothing
    scores = _scores(prep, min_cues=min_cues, neutral_band=neutral_band, smoothing=k,
                     aggregation=aggregation)
    return scores, _frames(prep, scores, article_level=bool(article_frames))


def concat_frames(parts: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """Frame tables of consecutive article chunks as one :func:`score_lexicon` call would give.

    A call lists the article-level rows (target ``""``) of all its articles first, then the
    per-target rows; chunks concatenated as they are would interleave the two.
    """
    parts = [part for part in parts if len(part)]
    if not parts:
        return pd.DataFrame(columns=list(FRAME_COLUMNS))
    table = pd.concat(parts, ignore_index=True)
    article_level = (table["target"] == _ARTICLE_LEVEL).to_numpy()
    return pd.concat([table[article_level], table[~article_level]], ignore_index=True)


def match_cues(
    articles: pd.DataFrame,
    sentences: pd.DataFrame,
    mentions: pd.DataFrame,
    *,
    lexicon: Lexicon | str | Path | None = None,
    all_sentences: bool = False,
    n_jobs: int = 1,
) -> pd.DataFrame:
    """Every cue with its weights and attributed target: the evidence behind the scores.

    Parameters
    ----------
    articles, sentences, mentions : DataFrame
        As for :func:`score_lexicon`.
    lexicon : Lexicon, str or Path, optional
        Default ``DEFAULT_LEXICON``.
    all_sentences : bool
        Match every sentence (cues outside mention sentences get target ``""``); by default
        only the sentences that mention a target.
    n_jobs : int
        Worker processes for matching.

    Returns
    -------
    DataFrame
        One row per cue, ``CUE_COLUMNS`` without ``row``: ``article_id, sent_id, term, category,
        polarity`` (after negation), ``weight`` (the term's), ``start, end`` (within the
        sentence), ``negated, hedged, intensity, magnitude, signed, target``; ordered by sentence
        table order, then start.

    Examples
    --------
    >>> cues = match_cues(articles, sentences, mentions)  # doctest: +SKIP
    >>> cues.groupby(["target", "category"]).signed.sum()  # doctest: +SKIP
    """
    prep = _Prepared(articles, sentences, mentions, resolve_lexicon(lexicon),
                     all_sentences=bool(all_sentences), n_jobs=_check_jobs(n_jobs))
    return prep.cues.drop(columns="row")


def coverage(
    articles: pd.DataFrame,
    sentences: pd.DataFrame,
    mentions: pd.DataFrame,
    lexicon: Lexicon | str | Path | None = None,
    *,
    top: int = 10,
    n_jobs: int = 1,
) -> dict[str, pd.DataFrame]:
    """How much of the target sentences the lexicon reaches, per language and category.

    Parameters
    ----------
    articles, sentences, mentions : DataFrame
        As for :func:`score_lexicon`.
    lexicon : Lexicon, str or Path, optional
        Default ``DEFAULT_LEXICON``.
    top : int
        Terms listed per language and category.
    n_jobs : int
        Worker processes for matching.

    Returns
    -------
    dict of DataFrame
        ``"by_language"``: ``language, category, sentences, with_cue, share`` where
        ``sentences`` counts the sentences mentioning any target and ``with_cue`` those with at
        least one cue of the category (category ``"any"``: of any category).
        ``"by_target"``: ``language, target, category, sentences, with_cue, share``, the same for
        the sentences naming each target, counting only the cues attributed to it.
        Every lexicon category appears, zeros included. ``"top_terms"``: ``language, category,
        rank, term, count``, the ``top`` most frequent terms per language and category in the
        sentences mentioning a target (ties by term).

    Examples
    --------
    >>> tables = coverage(articles, sentences, mentions)  # doctest: +SKIP
    >>> tables["by_language"].query("category == 'any'")  # doctest: +SKIP
    """
    if not isinstance(top, int) or isinstance(top, bool) or top < 1:
        raise ConfigError(f"top must be a positive integer; received {top!r}")
    lex = resolve_lexicon(lexicon)
    prep = _Prepared(articles, sentences, mentions, lex, all_sentences=False,
                     n_jobs=_check_jobs(n_jobs))
    rows = np.unique(prep.mention_rows)
    language_of_row = pd.Series(prep.languages, dtype=object).fillna("und").astype(str)
    cues = prep.cues.loc[prep.cues["row"].isin(rows)].copy()
    cues["language"] = language_of_row.to_numpy()[cues["row"].to_numpy(dtype=np.int64)]
    categories = lex.category_names()
    sentences_any = pd.DataFrame({"row": rows, "language": language_of_row.to_numpy()[rows]})
    by_language = _shares(sentences_any, cues, ["language"], categories)
    sentences_target = pd.DataFrame({
        "row": prep.mention_rows,
        "language": language_of_row.to_numpy()[prep.mention_rows],
        "target": prep.mentions["target"].astype(str).to_numpy(),
    }).drop_duplicates()
    by_target = _shares(
        sentences_target, cues.loc[cues["target"] != _ARTICLE_LEVEL], ["language", "target"],
        categories,
    )
    counts = (cues.groupby(["language", "category", "term"]).size().rename("count").reset_index()
              .sort_values(["language", "category", "count", "term"],
                           ascending=[True, True, False, True], kind="stable"))
    counts["rank"] = counts.groupby(["language", "category"]).cumcount() + 1
    top_terms = counts.loc[counts["rank"] <= top, ["language", "category", "rank", "term", "count"]]
    return {"by_language": by_language, "by_target": by_target,
            "top_terms": top_terms.reset_index(drop=True)}


def _shares(
    units: pd.DataFrame, cues: pd.DataFrame, keys: list[str], categories: list[str]
) -> pd.DataFrame:
    """Per ``keys`` and category ("any" first): sentences, those with a cue, and the share."""
    totals = units.groupby(keys, sort=True).size().rename("sentences").reset_index()
    with_any = (cues.drop_duplicates([*keys, "row"]).groupby(keys).size().rename("with_cue")
                .reset_index().assign(category="any"))
    with_category = (cues.drop_duplicates([*keys, "row", "category"])
                     .groupby([*keys, "category"]).size().rename("with_cue").reset_index())
    grid = totals.merge(pd.DataFrame({"category": ["any", *categories]}), how="cross")
    table = grid.merge(pd.concat([with_any, with_category], ignore_index=True),
                       on=[*keys, "category"], how="left")
    table["with_cue"] = table["with_cue"].fillna(0).to_numpy(dtype=np.int64)
    table["share"] = table["with_cue"] / table["sentences"]
    return table[[*keys, "category", "sentences", "with_cue", "share"]]
