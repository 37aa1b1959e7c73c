"""Table cells of the report: a value of a run folder's table as display text plus a sort key
(numbers, counts, shares, p-values, intervals, warnings), and a table of such typed columns."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import pandas as pd

from framing.analysis.report_tables import is_missing
from framing.report.document import Cell, Table

_MISSING_TEXT = "–"

#: A typed column: the frame's column (a tuple of columns for a cell of several values, such as
#: an interval's ends), the header shown, and the cell function of its value(s).
Column = tuple[str | tuple[str, ...], str, Callable[..., Cell]]


def as_float(value: Any) -> float:
    """A value as float; NaN when it is not a number."""
    try:
        out = float(value)
    except (TypeError, ValueError):
        return math.nan
    return out


def signed(x: float) -> str:
    """``+0.25`` / ``-0.40``; a value that rounds to zero is plain ``0.00`` (no ``-0.00``)."""
    text = f"{x:+.2f}"
    return text[1:] if float(text) == 0 else text


def num_cell(value: Any) -> Cell:
    """A signed number with two decimals."""
    x = as_float(value)
    return Cell(_MISSING_TEXT, None, True) if not math.isfinite(x) else Cell(signed(x), x, True)


def int_cell(value: Any) -> Cell:
    """A count."""
    x = as_float(value)
    return Cell(_MISSING_TEXT, None, True) if not math.isfinite(x) else Cell(str(int(x)), x, True)


def share_cell(value: Any) -> Cell:
    """A share as a whole percentage."""
    x = as_float(value)
    return (
        Cell(_MISSING_TEXT, None, True)
        if not math.isfinite(x)
        else Cell(f"{100 * x:.0f}%", x, True)
    )


def pvalue_cell(value: Any, cls: str = "") -> Cell:
    """A p- or q-value: three decimals, scientific below 0.001; ``cls`` marks it."""
    x = as_float(value)
    if not math.isfinite(x):
        return Cell(_MISSING_TEXT, None, True)
    return Cell(f"{x:.3f}" if x >= 0.001 else f"{x:.1e}", x, True, cls)


def interval_cell(low: Any, high: Any) -> Cell:
    """An interval ``[low, high]``, sorted by its low end."""
    lo, hi = as_float(low), as_float(high)
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return Cell(_MISSING_TEXT, None, True)
    return Cell(f"[{signed(lo)}, {signed(hi)}]", lo, True)


def str_cell(value: Any) -> Cell:
    """Text, sorted as text; empty when missing."""
    return Cell("" if is_missing(value) else str(value))


def warning_cell(value: Any) -> Cell:
    """A warning, marked "warn" when there is one."""
    text = "" if is_missing(value) else str(value)
    return Cell(text, None, False, "warn" if text else "")


#: The warning column most tables end with.
WARNING_COLUMN: Column = ("warning", "warning", warning_cell)


def _names(column: str | tuple[str, ...]) -> tuple[str, ...]:
    return (column,) if isinstance(column, str) else column


def column_names(columns: Sequence[Column]) -> tuple[str, ...]:
    """The frame columns that typed ``columns`` read, in order."""
    return tuple(name for column, _, _ in columns for name in _names(column))


def typed_table(
    frame: pd.DataFrame,
    columns: Sequence[Column],
    caption: str,
    note: str = "",
    *,
    keys: Sequence[str] = (),
) -> Table:
    """A table of ``frame``'s rows: its ``keys`` columns as text (each headed by its name), then
    one column per typed column, the cell function given the row's value(s) (None where the
    frame lacks a column)."""
    rows = tuple(
        (
            *(str_cell(r[c]) for c in keys),
            *(cell(*(r.get(c) for c in _names(column))) for column, _, cell in columns),
        )
        for _, r in frame.iterrows()
    )
    return Table((*keys, *(header for _, header, _ in columns)), rows, caption, note)
