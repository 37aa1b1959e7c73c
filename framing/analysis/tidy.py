"""Checks and small pieces shared by the analysis modules: arguments, score tables, tidy rows.

Argument checks raise :class:`~framing.infra.errors.ConfigError` naming the accepted values; a
score table that breaks its contract raises :class:`~framing.infra.errors.DataError`.
:func:`article_values` reduces a cell of a score table to one row per article, the unit of
analysis of every statistic (see :mod:`framing.analysis.statistics`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from framing.infra import schema
from framing.infra.errors import ConfigError, DataError

#: Largest number of values listed in an error message.
_SHOWN = 5


# --------------------------------------------------------------------------------------------
# arguments and tables


def as_tuple(by: str | Sequence[str], what: str = "by") -> tuple[str, ...]:
    """Return ``by`` as a tuple of column names (a single string is one column)."""
    if isinstance(by, str):
        return (by,)
    by = tuple(by)
    if not by or not all(isinstance(c, str) for c in by):
        raise ConfigError(f"{what}={by!r} is not accepted; give a column name or a sequence of them")
    return by


def require(table: pd.DataFrame, columns: Iterable[str], name: str) -> None:
    """Raise a ConfigError naming the columns ``table`` lacks."""
    if not isinstance(table, pd.DataFrame):
        raise ConfigError(f"{name} must be a pandas DataFrame; received {type(table).__name__}")
    missing = [c for c in dict.fromkeys(columns) if c not in table.columns]
    if missing:
        raise ConfigError(
            f"the {name} table lacks column(s) {', '.join(missing)}; it has "
            f"{', '.join(map(str, table.columns))}"
        )


def check_seed(random_state: Any) -> int:
    """Return ``random_state`` as a non-negative int, or raise: every random result is seeded."""
    if isinstance(random_state, bool) or not isinstance(random_state, int | np.integer):
        raise ConfigError(
            f"random_state={random_state!r} is not accepted; give a non-negative int (the run seed)"
        )
    if random_state < 0:
        raise ConfigError(f"random_state={random_state} is negative; give a non-negative int")
    return int(random_state)


def check_positive(value: Any, name: str) -> int:
    """Return ``value`` as an int >= 1, or raise a ConfigError naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise ConfigError(f"{name}={value!r} is not accepted; give a positive int")
    return int(value)


def check_level(ci: float) -> float:
    """Return the interval coverage ``ci`` as a float in (0, 1), or raise."""
    if isinstance(ci, bool) or not isinstance(ci, int | float) or not 0 < ci < 1:
        raise ConfigError(f"ci={ci!r} is not accepted; give a coverage in (0, 1), e.g. 0.95")
    return float(ci)


def is_missing(value: Any) -> bool:
    """Whether ``value`` is a missing scalar (None, NaN, NaT, pd.NA); list-likes never are."""
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # list-like values are not missing
        return False


def join_notes(messages: Iterable[str]) -> str:
    """The non-empty notes joined with "; " (the ``warning`` cell of a table)."""
    return "; ".join(m for m in messages if m)


def shown(values: Iterable[Any]) -> str:
    """The first few values for an error message, then how many more there are."""
    values = list(values)
    more = f" and {len(values) - _SHOWN} more" if len(values) > _SHOWN else ""
    return ", ".join(map(str, values[:_SHOWN])) + more


def group_items(table: pd.DataFrame, keys: Sequence[str]):
    """Yield ``(key tuple, sub-table)`` in sorted key order; missing key values are kept."""
    if table.empty:
        return
    for key, sub in table.groupby(list(keys), sort=True, dropna=False):
        yield (key if isinstance(key, tuple) else (key,)), sub


def sort_rows(table: pd.DataFrame, keys: Sequence[str]) -> pd.DataFrame:
    """``table`` sorted by ``keys`` (stable, missing values last) with a fresh index."""
    if table.empty:
        return table.reset_index(drop=True)
    return table.sort_values(list(keys), kind="mergesort", na_position="last").reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# score tables


def check_scores(
    scores: pd.DataFrame, by: Sequence[str], name: str = "scores", *, label: bool = True
) -> pd.DataFrame:
    """Validate a score table; return it with ``score`` numeric (NaN where unreadable)."""
    require(scores, ("article_id", "target", "score", *(("label",) if label else ()), *by), name)
    if "method" in scores.columns and "method" not in by:
        methods = sorted(map(str, scores["method"].dropna().unique()))
        if len(methods) > 1:
            raise ConfigError(
                f"the {name} table mixes scoring methods ({', '.join(methods)}); select one method "
                "or add 'method' to by"
            )
    score = pd.to_numeric(scores["score"], errors="coerce")
    outside = scores.loc[score.notna() & ((score < -1) | (score > 1)), "article_id"]
    if len(outside):
        raise DataError(
            f"the {name} table has scores outside [-1, 1] (article_id {shown(outside)}); "
            "scores run from -1 (against) to 1 (favor)"
        )
    labels = scores["label"].dropna() if label else pd.Series([], dtype=object)
    unknown = sorted(set(map(str, labels.unique())) - set(schema.STANCE_LABELS))
    if unknown:
        raise DataError(
            f"the {name} table has labels {shown(unknown)}; accepted labels: "
            f"{', '.join(schema.STANCE_LABELS)}"
        )
    return scores.assign(score=score)


def article_values(cell: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """One row per article of a cell (rows of one article averaged), sorted by article_id."""
    notes = []
    missing = int(cell["score"].isna().sum())
    if missing:
        notes.append(f"{missing} row(s) without a score left out")
    cell = cell[cell["score"].notna()]
    duplicated = int(cell["article_id"].duplicated().sum())
    if duplicated:
        notes.append(f"{duplicated} repeated (article, target) row(s) averaged into their article")
        agg = {"score": ("score", "mean")}
        if "n_mentions" in cell.columns:
            agg["n_mentions"] = ("n_mentions", "sum")
        if "label" in cell.columns:  # the label of an averaged article is that of its first row
            agg["label"] = ("label", "first")
        cell = cell.groupby("article_id", sort=True).agg(**agg).reset_index()
    return cell.sort_values("article_id", kind="mergesort"), notes

