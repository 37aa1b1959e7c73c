"""Table cells of the report: a value of a run folder's table as display text plus a sort key
(numbers, counts, shares, p-values, intervals, warnings)."""

from __future__ import annotations

import math
from typing import Any

from framing.analysis.report_tables import is_missing
from framing.report.document import Cell

_MISSING_TEXT = "–"


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
