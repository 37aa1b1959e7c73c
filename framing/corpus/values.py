"""Cell values as the article table wants them: missing or nested, text, ids, dates, language codes.

Also the two ways a message is put together: reasons joined with "; " and long column listings cut.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd


def _is_missing(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, float) and value != value:
        return True
    return isinstance(value, str) and not value.strip()


def _is_nested(value: Any) -> bool:
    """A list, record or array cell (JSON arrays/objects, Parquet list and struct columns)."""
    return isinstance(value, list | tuple | dict | np.ndarray)


def _plain(value: Any) -> Any:
    return value.tolist() if isinstance(value, np.ndarray) else value


def _as_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    return "" if _is_missing(value) else str(value)


def _as_id(value: Any) -> str | None:
    if _is_missing(value):
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # 12.0 from a column with gaps is the id "12"
    if isinstance(value, np.integer):
        return str(int(value))
    return str(value).strip()


def _as_raw_date(value: Any) -> str | None:
    if _is_missing(value):
        return None
    if isinstance(value, datetime | date | pd.Timestamp):
        return value.isoformat()
    if isinstance(value, np.datetime64):
        return str(pd.Timestamp(value).isoformat())
    return str(value).strip()


def _normalise_language(value: Any) -> str | None:
    """A stated language as an ISO 639-1-style code: "EN-us" -> "en"; missing -> None."""
    if _is_missing(value):
        return None
    return re.split(r"[-_]", str(value).strip().lower(), maxsplit=1)[0]


def _join(*parts: str) -> str:
    return "; ".join(part for part in parts if part)


def _listing(names: Sequence[str], limit: int = 30) -> str:
    shown = ", ".join(names[:limit])
    return shown + (f" ... ({len(names)} in all)" if len(names) > limit else "")
