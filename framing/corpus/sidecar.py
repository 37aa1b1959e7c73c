"""Sidecar metadata of text and HTML files: one row per file, keyed by its name or path."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path
from typing import Any

import pandas as pd

from framing.corpus.decoding import _decode
from framing.corpus.fields import COLUMN_ALIASES
from framing.corpus.files import SIDECAR_NAMES, _read_bytes
from framing.corpus.tables import _json_loads, _sniff_delimiter
from framing.infra.errors import ConfigError, DataError

#: Sidecar columns that name the file, in order of preference (case-insensitive).
SIDECAR_KEYS: tuple[str, ...] = ("file", "filename", "file_name", "path", "name")
#: Article fields a sidecar may state; its other columns are kept as extra columns.
SIDECAR_FIELDS: tuple[str, ...] = ("article_id", "outlet", "published", "title", "language")


def _read_sidecar(metadata: str | os.PathLike | pd.DataFrame) -> pd.DataFrame:
    if isinstance(metadata, pd.DataFrame):
        table, name = metadata.copy(), "metadata table"
    else:
        path = Path(metadata)
        if not path.is_file():
            raise DataError(f"metadata file not found: {metadata}")
        name = str(path)
        data, error = _read_bytes(path)
        text, _, status, reason = (
            _decode(data) if data is not None else (None, None, "unreadable", error)
        )
        if text is None:
            raise DataError(f"cannot read metadata file {path}: {reason or status}")
        if path.suffix.lower() in (".jsonl", ".ndjson"):
            try:
                records = [_json_loads(line) for line in text.splitlines() if line.strip()]
            except json.JSONDecodeError as err:
                raise DataError(
                    f"metadata file {path}: invalid JSON on line {err.lineno}: {err.msg}"
                ) from err
            except RecursionError as err:
                raise DataError(f"metadata file {path}: a line is nested too deeply") from err
            table = pd.DataFrame.from_records(records)
        elif path.suffix.lower() in (".csv", ".tsv"):
            table = pd.read_csv(
                io.StringIO(text),
                sep=_sniff_delimiter(text, path),
                dtype=str,
                keep_default_na=False,
            )
        else:
            raise ConfigError(f"metadata file {path}: accepted formats are .csv, .tsv, .jsonl")
    lower = {str(column).lower(): column for column in table.columns}
    key = next((lower[k] for k in SIDECAR_KEYS if k in lower), None)
    if key is None:
        raise DataError(
            f"{name}: no column naming the file; it has columns {', '.join(map(str, table.columns))}; "
            f"add one called {' or '.join(SIDECAR_KEYS)}"
        )
    renames = {key: "_file"}
    for field in SIDECAR_FIELDS:
        column = next((lower[a] for a in COLUMN_ALIASES[field] if a in lower), None)
        if column is not None and column not in renames:
            renames[column] = field
    table = table.rename(columns=renames)
    table["_file"] = table["_file"].map(lambda value: Path(str(value)).as_posix())
    if table["_file"].duplicated().any():
        repeated = table.loc[table["_file"].duplicated(), "_file"].tolist()[:5]
        raise DataError(f"{name}: files listed more than once: {', '.join(repeated)}")
    return table.set_index("_file")


def _folder_sidecar(folder: Path) -> pd.DataFrame | None:
    present = [folder / name for name in SIDECAR_NAMES if (folder / name).is_file()]
    if len(present) > 1:
        raise DataError(
            f"{folder}: two metadata sidecars ({', '.join(p.name for p in present)}); keep one"
        )
    return _read_sidecar(present[0]) if present else None


def _sidecar_row(sidecar: pd.DataFrame, path: Path, folder: Path | None) -> dict[str, Any]:
    keys = [path.relative_to(folder).as_posix()] if folder is not None else []
    keys += [path.name, path.as_posix()]
    for key in keys:
        if key in sidecar.index:
            return sidecar.loc[key].to_dict()
    return {}
