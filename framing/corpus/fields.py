"""The raw article table every reader gives ``finish``: its fields and columns, and problem rows.

A reader (one article per file, or a table) fills the canonical fields, keeps the date as stated in
``published_raw`` and sets ``status``/``reason`` only for what it could not read; a file that
cannot be read at all becomes one problem row.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

#: Fields a column map (or a sidecar) may fill.
CANONICAL_FIELDS: tuple[str, ...] = (
    "article_id",
    "outlet",
    "published",
    "title",
    "text",
    "language",
)
#: Input column names recognised without a map (case-insensitive), in order of preference.
COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "text": ("text", "content", "body", "article", "content_original"),
    "outlet": ("outlet", "source", "publisher", "site", "sitename", "media"),
    "title": ("title", "headline"),
    "published": ("published", "date", "published_at", "pubdate"),
    "article_id": ("article_id", "id"),
    "language": ("language", "lang"),
}
#: Extra column with the date exactly as the input stated it.
PUBLISHED_RAW = "published_raw"
#: Raw column marking the rows of a headline-only table (True): the title is what is analysed.
HEADLINE = "_headline"
#: Prefix for extra input columns whose names clash with the article columns.
CLASH_PREFIX = "input_"
#: Columns of the raw article table, in order; the input's other columns follow them.
_RAW_COLUMNS: tuple[str, ...] = (
    "article_id",
    "outlet",
    PUBLISHED_RAW,
    "title",
    "text",
    "language",
    "source",
    "status",
    "reason",
    HEADLINE,
)


def _problem_row(path: Path, status: str, reason: str) -> dict[str, Any]:
    """The raw row of a file that was not read."""
    return {**dict.fromkeys(_RAW_COLUMNS), "source": str(path), "status": status, "reason": reason}


def _file_problem(path: Path, status: str, reason: str) -> pd.DataFrame:
    row = dict.fromkeys(_RAW_COLUMNS)
    row.update(source=str(path), status=status, reason=reason)
    return pd.DataFrame([row])


def _concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    frames = [frame for frame in frames if len(frame)]
    if not frames:
        return pd.DataFrame({column: [] for column in _RAW_COLUMNS}, dtype=object)
    if len(frames) == 1:
        return frames[0].reset_index(drop=True)
    return pd.concat(frames, ignore_index=True, sort=False)
