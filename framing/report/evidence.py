"""Evidence passages: the sentences that moved article scores most, per group and target, and
the lexicon-term spans of a sentence that both renderers highlight."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pandas as pd

from framing.analysis.report_tables import as_by, cell_text, is_missing
from framing.infra.errors import DataError
from framing.report.cells import as_float

__all__ = ["EVIDENCE_COLUMNS", "N_EVIDENCE", "evidence_passages", "term_segments"]


#: Evidence sentences shown per group and target.
N_EVIDENCE = 3
EVIDENCE_COLUMNS: tuple[str, ...] = (
    "target",
    "rank",
    "article_id",
    "sent_id",
    "sentence",
    "contribution",
    "article_score",
    "label",
    "terms",
)


def _items(value: Any) -> list[Any]:
    """A list cell as a list: lists, tuples and numpy arrays (after a parquet round trip)."""
    if is_missing(value) or isinstance(value, str | bytes | Mapping):
        return []
    try:
        return list(value)
    except TypeError:
        return []


def _spans(sentence: str, terms: Iterable[Any]) -> list[tuple[int, int, list[dict]]]:
    """Valid term spans of ``sentence``, sorted; overlapping spans merged (their terms kept)."""
    valid = []
    for term in terms:
        if not isinstance(term, Mapping):
            continue
        try:
            start, end = int(term["start"]), int(term["end"])
        except (KeyError, TypeError, ValueError):
            continue
        if 0 <= start < end <= len(sentence):
            valid.append((start, end, dict(term)))
    valid.sort(key=lambda s: (s[0], -s[1], str(s[2].get("term", ""))))
    merged: list[tuple[int, int, list[dict]]] = []
    for start, end, term in valid:
        if merged and start < merged[-1][1]:
            first, last, terms_in = merged[-1]
            merged[-1] = (first, max(last, end), [*terms_in, term])
        else:
            merged.append((start, end, [term]))
    return merged


def term_segments(sentence: str, terms: Iterable[Any]) -> list[tuple[str, tuple[dict, ...]]]:
    """``sentence`` cut into (text, terms) pieces; ``terms`` is empty between term spans."""
    out: list[tuple[str, tuple[dict, ...]]] = []
    position = 0
    for start, end, span_terms in _spans(sentence, terms):
        if start > position:
            out.append((sentence[position:start], ()))
        out.append((sentence[start:end], tuple(span_terms)))
        position = end
    if position < len(sentence):
        out.append((sentence[position:], ()))
    return out


def evidence_passages(
    scores: pd.DataFrame, *, by: str | Sequence[str] = ("outlet",), n: int = N_EVIDENCE
) -> pd.DataFrame:
    """The top evidence sentences per group and target, taken from the score table's evidence.

    Per (group, target), the evidence sentences of all its articles are ranked by the size of
    their contribution to the article score (largest ``|score|`` first; ties by article_id and
    sent_id); a sentence repeated word for word (a wire copy) is listed once.

    Parameters
    ----------
    scores : DataFrame
        The score table: ``article_id, target, score, label, evidence`` and the ``by`` columns.
        Evidence items are ``{sent_id, sentence, score, terms}``.
    by : str or sequence of str, default ("outlet",)
        Grouping columns.
    n : int, default 3
        Sentences per group and target.

    Returns
    -------
    DataFrame
        Columns ``by..., target, rank`` (1 = largest contribution), ``article_id, sent_id,
        sentence, contribution`` (the sentence's signed contribution), ``article_score, label``
        (of the article) and ``terms`` (list of dicts), sorted by group, target and rank.
    """
    by = as_by(by)
    columns = [*by, *EVIDENCE_COLUMNS]
    needed = ("article_id", "target", "score", "label", *by)
    missing = [c for c in needed if c not in scores.columns]
    if missing:
        raise DataError(
            f"the scores table lacks column(s) {', '.join(missing)}; it has "
            f"{', '.join(map(str, scores.columns))}"
        )
    if "evidence" not in scores.columns or not len(scores):
        return pd.DataFrame(columns=columns)
    rows = []
    view = scores[[*by, "target", "article_id", "score", "label", "evidence"]]
    for record in view.itertuples(index=False, name=None):
        keys, (target, article_id, score, label, evidence) = record[: len(by)], record[len(by) :]
        for item in _items(evidence):
            if not isinstance(item, Mapping) or is_missing(item.get("sentence")):
                continue
            rows.append(
                (
                    *keys,
                    cell_text(target),
                    str(article_id),
                    int(as_float(item.get("sent_id")) or 0),
                    str(item["sentence"]),
                    as_float(item.get("score")),
                    as_float(score),
                    cell_text(label),
                    [dict(t) for t in _items(item.get("terms")) if isinstance(t, Mapping)],
                )
            )
    if not rows:
        return pd.DataFrame(columns=columns)
    table = pd.DataFrame(rows, columns=[*by, *(c for c in EVIDENCE_COLUMNS if c != "rank")])
    table["_size"] = -table["contribution"].abs().fillna(-1.0)
    table = table.sort_values(
        [*by, "target", "_size", "article_id", "sent_id"], kind="mergesort", na_position="last"
    )
    table = table.drop_duplicates([*by, "target", "sentence"], keep="first")
    table["rank"] = table.groupby([*by, "target"], dropna=False, sort=False).cumcount() + 1
    table = table[table["rank"] <= n]
    return table[columns].reset_index(drop=True)
