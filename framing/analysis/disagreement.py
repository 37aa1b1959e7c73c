"""Where the lexicon and the model disagree: agreement, correlation and example passages."""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
from scipy import stats
from sklearn.metrics import cohen_kappa_score

from framing.analysis.tidy import as_tuple, check_scores, group_items
from framing.infra import schema
from framing.infra.errors import ConfigError, DataError


class Disagreement(NamedTuple):
    """What :func:`disagreement` returns: a summary table and example passages."""

    summary: pd.DataFrame
    examples: pd.DataFrame


def _passage(evidence: Any) -> str:
    """The sentence of the first evidence item ("" when there is none)."""
    if evidence is None or isinstance(evidence, str | bytes | float):
        return ""
    try:
        items = list(evidence)  # a list, or a numpy array after a parquet round trip
    except TypeError:
        return ""
    for item in items:
        if isinstance(item, Mapping) and item.get("sentence"):
            return str(item["sentence"])
    return ""


def _correlation(x: np.ndarray, y: np.ndarray, kind: str) -> float:
    if len(x) < 3 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return float("nan")
    if kind == "pearson":
        return float(np.corrcoef(x, y)[0, 1])
    return float(stats.spearmanr(x, y).statistic)


def _kappa(a: pd.Series, b: pd.Series) -> float:
    if len(a) < 2 or (a.nunique() == 1 and b.nunique() == 1):
        return float("nan")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return float(cohen_kappa_score(a, b, labels=list(schema.STANCE_LABELS)))


def disagreement(
    lexicon_scores: pd.DataFrame,
    model_scores: pd.DataFrame,
    *,
    by: str | Sequence[str] = ("outlet", "language", "target"),
    examples: int = 3,
) -> Disagreement:
    """Where the lexicon and the model disagree: agreement, correlation and example passages.

    Rows are matched on (article_id, target). A ``by`` column may come from either table (the
    lexicon table wins when both have it).

    Parameters
    ----------
    lexicon_scores, model_scores : DataFrame
        Two score tables (``article_id, target, score, label``; ``evidence`` for passages).
    by : str or sequence of str, default ("outlet", "language", "target")
        Grouping columns of the summary.
    examples : int, default 3
        Disagreements listed per group: the largest score differences first (ties by article_id,
        target).

    Returns
    -------
    Disagreement
        ``summary``: per group ``n_both, n_lexicon_only, n_model_only, agreement`` (share of equal
        labels), ``kappa`` (Cohen's), ``pearson``, ``spearman`` (of the scores; NaN below 3 pairs
        or for constant scores); ``examples``: ``by..., article_id, target, label_lexicon,
        label_model, score_lexicon, score_model, passage_lexicon, passage_model`` (the first
        evidence sentence of each).
    """
    by = as_tuple(by)
    if isinstance(examples, bool) or not isinstance(examples, int) or examples < 0:
        raise ConfigError(f"examples={examples!r} is not accepted; give an int >= 0")
    keys = ["article_id", "target"]
    lex = check_scores(lexicon_scores, (), "lexicon_scores")
    mod = check_scores(model_scores, (), "model_scores")
    for name, table in (("lexicon_scores", lex), ("model_scores", mod)):
        if table.duplicated(keys).any():
            raise DataError(f"the {name} table repeats (article_id, target) rows; give one method")
    absent = [c for c in by if c not in lex.columns and c not in mod.columns and c not in keys]
    if absent:
        raise ConfigError(f"column(s) {', '.join(absent)} are in neither score table; by={by}")

    def part(table: pd.DataFrame, suffix: str) -> pd.DataFrame:
        columns = {c: f"{c}_{suffix}" for c in ("score", "label", "evidence") if c in table.columns}
        extra = [c for c in by if c in table.columns and c not in keys]
        return table[[*keys, *columns, *extra]].rename(columns=columns)

    merged = part(lex, "lexicon").merge(part(mod, "model"), on=keys, how="outer",
                                        suffixes=("", "_from_model"), indicator=True)
    for column in by:
        if f"{column}_from_model" in merged.columns:
            merged[column] = merged[column].combine_first(merged.pop(f"{column}_from_model"))
    for column in ("evidence_lexicon", "evidence_model"):
        if column not in merged.columns:
            merged[column] = None
    rows, picked = [], []
    for key, cell in group_items(merged, list(by)):
        both = cell[cell["_merge"] == "both"]
        x = both["score_lexicon"].to_numpy(dtype=float)
        y = both["score_model"].to_numpy(dtype=float)
        rows.append({**dict(zip(by, key, strict=True)), "n_both": len(both),
                     "n_lexicon_only": int((cell["_merge"] == "left_only").sum()),
                     "n_model_only": int((cell["_merge"] == "right_only").sum()),
                     "agreement": float((both["label_lexicon"] == both["label_model"]).mean())
                     if len(both) else np.nan,
                     "kappa": _kappa(both["label_lexicon"], both["label_model"]),
                     "pearson": _correlation(x, y, "pearson"),
                     "spearman": _correlation(x, y, "spearman")})
        differ = both[both["label_lexicon"] != both["label_model"]]
        if examples and len(differ):
            differ = differ.assign(_gap=-(differ["score_lexicon"] - differ["score_model"]).abs())
            picked.append(differ.sort_values(["_gap", *keys], kind="mergesort").head(examples))
    summary_columns = [*by, "n_both", "n_lexicon_only", "n_model_only", "agreement", "kappa",
                       "pearson", "spearman"]
    example_columns = list(dict.fromkeys([*by, *keys, "label_lexicon", "label_model",
                                          "score_lexicon", "score_model", "passage_lexicon",
                                          "passage_model"]))
    summary = pd.DataFrame(rows, columns=summary_columns)
    if picked:
        chosen = pd.concat(picked, ignore_index=True)
        chosen["passage_lexicon"] = chosen["evidence_lexicon"].map(_passage)
        chosen["passage_model"] = chosen["evidence_model"].map(_passage)
        chosen = chosen[example_columns]
    else:
        chosen = pd.DataFrame(columns=example_columns)
    return Disagreement(summary, chosen.reset_index(drop=True))

