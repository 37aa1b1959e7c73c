"""CSV files for people: cells that a spreadsheet would run as a formula are neutralised.

Spreadsheets (Excel, LibreOffice Calc, Google Sheets) run a CSV cell that starts with ``=``,
``+``, ``-`` or ``@`` as a formula, and some also when it starts with a tab or a carriage return
(OWASP, "CSV Injection"). Outlet names, ids, titles and texts come from the corpus, so a cell
such as ``=HYPERLINK("http://example.invalid","click")`` in sample.csv would run on a coder's
machine. Every CSV ``framing`` writes for people goes through :func:`write_csv` (or
:func:`csv_text`), which follows OWASP's rule: such a cell gets a single quote (``'``) in front,
which spreadsheets show as text.

The rule, unambiguous so the tool's own readers (:func:`read_csv`, :func:`restore`,
:func:`restore_cell`) give back the original values exactly:

- written: a text cell (or column name) that starts with ``=``, ``+``, ``-``, ``@``, tab, carriage
  return **or a single quote** gets one ``'`` in front (so a value that really started with a
  quote keeps it: ``'abc`` is written ``''abc``);
- read: a cell that starts with ``'`` followed by one of those characters (quote included) loses
  its first character; any other cell is kept as it is. This is also what a spreadsheet means by
  a leading quote, so a coded file saved from a spreadsheet reads the same way.

Only text cells are touched: numbers in numeric columns, such as ``-0.3`` in a score column, are
written as numbers and left alone (a spreadsheet reads a plain number, never a formula, there).
Parquet files keep the raw values; only CSV is for people.

A carriage return inside a text cell would end the row for CSV readers unless the cell is quoted,
and Python's ``csv`` quotes it only when it is part of the line terminator; a table with such a
cell is therefore written with every text cell quoted (:func:`csv_quoting`).

Examples
--------
>>> neutralise_cell('=HYPERLINK("http://example.invalid","click")')
'\\'=HYPERLINK("http://example.invalid","click")'
>>> restore_cell(neutralise_cell("-5")), restore_cell(neutralise_cell("'quoted")), neutralise_cell(-0.3)
('-5', "'quoted", -0.3)
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = [
    "FORMULA_START",
    "csv_quoting",
    "csv_text",
    "neutralise",
    "neutralise_cell",
    "read_csv",
    "restore",
    "restore_cell",
    "write_csv",
]

#: First characters that make a spreadsheet read a cell as a formula (OWASP, CSV Injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
#: The escape put in front of such a cell; a cell that starts with it is escaped too.
QUOTE = "'"
_ESCAPED = (*FORMULA_START, QUOTE)


def neutralise_cell(value: Any) -> Any:
    """``value`` with a ``'`` in front if it is text starting with a formula character or a quote.

    Anything that is not a ``str`` (numbers, missing values) is returned unchanged.
    """
    if isinstance(value, str) and value.startswith(_ESCAPED):
        return QUOTE + value
    return value


def restore_cell(value: Any) -> Any:
    """The original of a cell written by :func:`neutralise_cell` (other values unchanged)."""
    if isinstance(value, str) and len(value) > 1 and value[0] == QUOTE and value[1] in _ESCAPED:
        return value[1:]
    return value


def _map_text(table: pd.DataFrame, cell: Callable[[Any], Any]) -> pd.DataFrame:
    """A copy of ``table`` with ``cell`` applied to every text cell and column name."""
    out = table.copy()
    for i, dtype in enumerate(out.dtypes):
        if pd.api.types.is_object_dtype(dtype) or isinstance(dtype, (pd.StringDtype, pd.CategoricalDtype)):
            mapped = out.iloc[:, i].astype(object).map(cell)
            # Keep a text column's dtype; categories may not survive the mapping, so those become text.
            out.isetitem(i, mapped if isinstance(dtype, pd.CategoricalDtype) else mapped.astype(dtype))
    out.columns = [cell(c) for c in out.columns]
    return out


def neutralise(table: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``table`` with every text cell and column name passed through :func:`neutralise_cell`.

    Numeric columns are not touched: ``-0.3`` in a float column stays the number ``-0.3``. The
    index is not touched either (write with ``index=False``).
    """
    return _map_text(table, neutralise_cell)


def restore(table: pd.DataFrame) -> pd.DataFrame:
    """The inverse of :func:`neutralise`, for a table read from a CSV that ``framing`` wrote."""
    return _map_text(table, restore_cell)


def csv_quoting(cells: Iterable[Any]) -> int:
    """``csv.QUOTE_NONNUMERIC`` if a text cell holds a carriage return, else ``csv.QUOTE_MINIMAL``."""
    has_cr = any(isinstance(c, str) and "\r" in c for c in cells)
    return csv.QUOTE_NONNUMERIC if has_cr else csv.QUOTE_MINIMAL


def csv_text(table: pd.DataFrame, **to_csv: Any) -> str:
    """CSV text of ``table`` (no index, unless asked) with formula cells neutralised.

    Parameters
    ----------
    table : DataFrame
    **to_csv
        Passed to ``DataFrame.to_csv`` (e.g. ``float_format``, ``lineterminator``).
    """
    to_csv.setdefault("index", False)
    text = [table.iloc[:, i] for i, dtype in enumerate(table.dtypes) if not pd.api.types.is_numeric_dtype(dtype)]
    to_csv.setdefault("quoting", csv_quoting([*table.columns, *(v for col in text for v in col)]))
    return neutralise(table).to_csv(**to_csv)


def write_csv(table: pd.DataFrame, path: str | os.PathLike, **to_csv: Any) -> Path:
    """Write ``table`` as CSV for people (:func:`csv_text`) atomically, UTF-8, LF line ends."""
    from framing.runs import write_text

    return write_text(csv_text(table, **to_csv), path)


def read_csv(source: str | os.PathLike | io.StringIO, **read_csv: Any) -> pd.DataFrame:
    """``pandas.read_csv(source, **read_csv)`` with the cells :func:`neutralise` escaped restored."""
    return restore(pd.read_csv(source, **read_csv))
