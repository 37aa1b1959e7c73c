"""Run folders and table files: atomic writes, readable errors on bad table files."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pandas as pd

from framing.errors import DataError
from framing.schema import ARTICLE_COLUMNS, MENTION_COLUMNS, SENTENCE_COLUMNS

_REQUIRED = {"articles": ARTICLE_COLUMNS, "sentences": SENTENCE_COLUMNS, "mentions": MENTION_COLUMNS}


def write_table(table: pd.DataFrame, path: str | Path) -> Path:
    """Write ``table`` to ``path`` (.parquet or .csv) atomically: a temporary file, then a rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    os.close(fd)
    try:
        if path.suffix == ".csv":
            table.to_csv(tmp, index=False)
        else:
            table.to_parquet(tmp, index=False)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def read_table(path: str | Path, *, kind: str | None = None) -> pd.DataFrame:
    """Read a table written by ``write_table``; with ``kind``, check its required columns."""
    path = Path(path)
    try:
        table = pd.read_csv(path) if path.suffix == ".csv" else pd.read_parquet(path)
    except Exception as err:  # pyarrow raises many types; the user needs the file name
        raise DataError(f"cannot read table {path}: {err}") from err
    if kind is not None:
        missing = [c for c in _REQUIRED[kind] if c not in table.columns]
        if missing:
            raise DataError(
                f"{path} does not look like a {kind} table: missing columns {missing}; "
                f"it has {list(table.columns)}"
            )
    return table
