"""Tables to raw article rows: CSV/TSV, JSON Lines, JSON and Parquet, whole or a piece at a time.

Columns are found through the column map, then by common names (``COLUMN_ALIASES``); one row per
record whatever happened to it, with ``source`` ``path#row=N`` (CSV, Parquet, JSON arrays; N counts
records from 1) or ``path#line=N`` (JSON Lines). Extra input columns whose names clash with the
article columns are kept with an ``input_`` prefix.

A table of headlines (short texts with no body) is read as such: when its only text is a title
column (a title or headline column and no text column, every column being a known field), or
when the text is mapped to a column named like a title (``--map text=headline``) and no other
column holds titles. Each headline is then the row's title, kept whole as one sentence, and the
text is empty; the row is processed by its title (status "ok" when its language is supported).
"""

from __future__ import annotations

import csv
import io
import json
import sys
import warnings
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from framing.corpus.decoding import _decode, _encoding_note
from framing.corpus.fields import (
    _RAW_COLUMNS,
    CLASH_PREFIX,
    COLUMN_ALIASES,
    HEADLINE,
    PUBLISHED_RAW,
    _file_problem,
)
from framing.corpus.files import _read_bytes
from framing.corpus.values import _is_missing, _is_nested, _join, _listing, _plain
from framing.infra import schema
from framing.infra.errors import DataError

#: Columns ``load`` computes: dropped when one of its own article tables is read again.
_RECOMPUTED = ("language_score", "duplicate_of", "near_duplicate_of", schema.ARTICLE_LANGUAGE_SOURCE)
_CSV_DELIMITERS = (",", ";", "\t")


def _read_table(path: Path, fmt: str, column_map: dict[str, str]) -> pd.DataFrame:
    if fmt == "parquet":
        return _read_parquet(path, column_map)
    data, error = _read_bytes(path)
    if data is None:
        return _file_problem(path, "unreadable", error)
    text, encoding, status, reason = _decode(data)
    if status is not None:
        return _file_problem(path, status, reason)
    if not text.strip():
        return _file_problem(
            path, "empty", "file is empty" if not data else "file has only whitespace"
        )
    if fmt == "csv":
        frame = _read_csv(text, path, column_map)
    elif fmt == "jsonl":
        frame = _read_jsonl(text, path, column_map)
    else:
        frame = _read_json(text, path, column_map)
    note = _encoding_note(encoding)
    if note:
        frame["reason"] = [_join(note, r) for r in frame["reason"].fillna("")]
    return frame


def _read_parquet(path: Path, column_map: dict[str, str]) -> pd.DataFrame:
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except (OSError, ValueError) as err:  # pyarrow's ArrowInvalid is a ValueError
        return _file_problem(path, "unreadable", f"not a readable Parquet file: {err}")
    frame = table.to_pandas()
    return _from_table(frame, path, "row", range(1, len(frame) + 1), column_map)


def _sniff_delimiter(text: str, path: Path) -> str:
    if path.suffix.lower() == ".tsv":
        return "\t"
    header = text.lstrip("\ufeff").split("\n", 1)[0]
    # The header's most frequent candidate: "," by default, ";" for Dutch/European Excel exports.
    return max(_CSV_DELIMITERS, key=lambda d: (header.count(d), d == ","))


def _read_csv(text: str, path: Path, column_map: dict[str, str]) -> pd.DataFrame:
    sep = _sniff_delimiter(text, path)
    try:
        header = pd.read_csv(io.StringIO(text), sep=sep, nrows=0).columns.tolist()
        resolved = _resolve_columns(header, column_map, path)
        with warnings.catch_warnings():
            # Without index_col=False, a first record with more fields than the header silently
            # turns its first column into the index (ids become outlets, texts shift); with it,
            # pandas drops the extra fields with a ParserWarning. Either way the record is broken.
            warnings.simplefilter("error", pd.errors.ParserWarning)
            frame = pd.read_csv(
                io.StringIO(text),
                sep=sep,
                dtype={column: str for column in resolved.values()},
                keep_default_na=False,
                na_values=[""],
                index_col=False,
            )
    except (pd.errors.ParserError, pd.errors.ParserWarning):
        # The fast parser stops at a malformed record; the csv module names each one instead.
        return _read_csv_leniently(text, path, sep, column_map)
    return _from_table(frame, path, "row", range(1, len(frame) + 1), column_map)


def _read_csv_leniently(
    text: str, path: Path, sep: str, column_map: dict[str, str]
) -> pd.DataFrame:
    reader = csv.reader(io.StringIO(text), delimiter=sep)
    try:
        header = next(reader)
        records, statuses, reasons = [], [], []
        for number, fields in enumerate(reader, start=1):
            if not any(fields):
                continue
            if len(fields) == len(header):
                records.append(
                    {name: value or None for name, value in zip(header, fields, strict=True)}
                )
                statuses.append(None)
                reasons.append(None)
            else:
                records.append({})
                statuses.append("unreadable")
                reasons.append(
                    f"CSV record {number} (ending on line {reader.line_num}) has {len(fields)} "
                    f"fields; the header has {len(header)}"
                )
    except csv.Error as err:
        return _file_problem(path, "unreadable", f"not a readable CSV file: {err}")
    frame = pd.DataFrame.from_records(records, columns=header)
    return _from_table(frame, path, "row", range(1, len(frame) + 1), column_map, statuses, reasons)


def _read_jsonl(text: str, path: Path, column_map: dict[str, str]) -> pd.DataFrame:
    records, numbers, statuses, reasons = [], [], [], []
    # Lines end at "\n" only: str.splitlines would also cut at U+2028, U+0085 and other characters
    # that JSON allows unescaped inside a string, breaking a valid record in two.
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        numbers.append(number)
        record, status, reason = _json_record(line, number)
        records.append(record)
        statuses.append(status)
        reasons.append(reason)
    frame = pd.DataFrame.from_records(records) if records else pd.DataFrame()
    return _from_table(frame, path, "line", numbers, column_map, statuses, reasons)


def _json_record(line: str, number: int) -> tuple[dict, str | None, str | None]:
    """(record, status, reason) of one JSONL line: status None when it holds a JSON object."""
    try:
        record = _json_loads(line)
    except json.JSONDecodeError as err:
        return {}, "unreadable", f"line {number} is not valid JSON: {err.msg} (column {err.colno})"
    except RecursionError:
        return {}, "unreadable", f"line {number} is nested too deeply to read as JSON"
    if not isinstance(record, dict):
        return {}, "unreadable", f"line {number} is a JSON {_json_type(record)}, not an object"
    return record, None, None


def _json_loads(text: str) -> Any:
    """``json.loads``, with integers too long for ``int`` (Python's digit limit) kept as their text.

    Raises ``json.JSONDecodeError``, and ``RecursionError`` for values nested too deeply.
    """
    return json.loads(text, parse_int=_json_int)


def _json_int(digits: str) -> int | str:
    limit = sys.get_int_max_str_digits()  # 0: no limit
    return digits if limit and len(digits.lstrip("-")) > limit else int(digits)


def _read_json(text: str, path: Path, column_map: dict[str, str]) -> pd.DataFrame:
    try:
        value = _json_loads(text)
    except json.JSONDecodeError as err:
        return _file_problem(
            path, "unreadable", f"not valid JSON: {err.msg} (line {err.lineno}, column {err.colno})"
        )
    except RecursionError:
        return _file_problem(path, "unreadable", "JSON nested too deeply to read")
    if isinstance(value, dict):
        frame = pd.DataFrame.from_records([value])
        table = _from_table(frame, path, "row", [1], column_map)
        table["source"] = str(path)  # one article per file: the file is the source
        return table
    if not isinstance(value, list):
        return _file_problem(path, "unreadable", f"JSON holds a {_json_type(value)}, not articles")
    statuses = [None if isinstance(item, dict) else "unreadable" for item in value]
    reasons = [
        None if s is None else f"record {i} is not a JSON object" for i, s in enumerate(statuses, 1)
    ]
    frame = pd.DataFrame.from_records([item if isinstance(item, dict) else {} for item in value])
    return _from_table(frame, path, "row", range(1, len(value) + 1), column_map, statuses, reasons)


def _json_type(value: Any) -> str:
    """The JSON name of a parsed value's type, for messages ("array", not Python's "list")."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, list | tuple):
        return "array"
    return {str: "string", dict: "object"}.get(type(value), type(value).__name__)


def _resolve_columns(
    columns: Sequence[Any], column_map: dict[str, str], path: Path
) -> dict[str, str]:
    """Map canonical fields to input columns: the column map first, then common names."""
    names = [str(column) for column in columns]
    resolved: dict[str, str] = {}
    for field, column in column_map.items():
        if column not in names:
            raise DataError(
                f"{path}: column {column!r} (mapped to {field}) is not in the file; the file has "
                f"columns: {_listing(names)}. Map an existing column, e.g. column_map="
                f"{{'{field}': '<column>'}} (CLI: --map {field}=<column>)"
            )
        resolved[field] = column
    lower = {}
    for name in names:
        lower.setdefault(name.lower(), name)
    for field, aliases in COLUMN_ALIASES.items():
        if field in resolved:
            continue
        for alias in aliases:
            column = lower.get(alias)
            if column is not None and column not in resolved.values():
                resolved[field] = column
                break
    if "text" not in resolved and not _headline_only(resolved, names):
        raise DataError(
            f"{path}: no text column; the file has columns: {_listing(names)}. Recognised names: "
            f"{', '.join(COLUMN_ALIASES['text'])}; or map yours, e.g. column_map={{'text': "
            f"'content_original'}} (CLI: --map text=content_original). A table of headlines "
            f"only: map the text to the headline column (--map text=<headline column>)"
        )
    return resolved


def _headline_only(resolved: dict[str, str], names: list[str]) -> bool:
    """Whether the table holds headlines only (see the module docstring): its title is its text.

    A title column without a text column counts only when every column is a known field: a
    table with another column (``body_text``) more likely has a body under an unknown name.
    """
    if "text" in resolved:
        return "title" not in resolved and resolved["text"].lower() in COLUMN_ALIASES["title"]
    return "title" in resolved and set(names) <= set(resolved.values())


def _only_titles(frame: pd.DataFrame, resolved: dict[str, str]) -> bool:
    """Whether every text of the table is empty and some title is not."""
    if "title" not in resolved or "text" not in resolved:
        return False
    columns = {str(column): column for column in frame.columns}
    texts, titles = frame[columns[resolved["text"]]], frame[columns[resolved["title"]]]
    return all(map(_is_missing, texts)) and not all(map(_is_missing, titles))


def _from_table(
    frame: pd.DataFrame,
    path: Path,
    unit: str,
    numbers: Iterable[int],
    column_map: dict[str, str],
    statuses: list[str | None] | None = None,
    reasons: list[str | None] | None = None,
) -> pd.DataFrame:
    """Turn an input table into raw article rows (canonical fields + the input's other columns)."""
    numbers = list(numbers)
    n = len(numbers)
    own = not column_map and set(schema.ARTICLE_COLUMNS) <= {str(c) for c in frame.columns}
    frame = _own_table(frame.reset_index(drop=True), column_map)
    if frame.shape[1] == 0 and n == 0:
        return _file_problem(path, "empty", "file holds no records")
    # Every line broken: no columns to resolve (and no text column to miss).
    resolved = _resolve_columns(frame.columns, column_map, path) if frame.shape[1] else {}
    if n == 0:  # a header and no records: one "empty" row, as for an empty file, so it is seen
        return _file_problem(path, "empty", "file holds no records (only a header)")
    by_name = {str(column): column for column in frame.columns}
    raw = {column: [None] * n for column in _RAW_COLUMNS}
    # the headline is the title; there is no body (also in an article table of headlines, read again)
    if _headline_only(resolved, list(by_name)) or (own and _only_titles(frame, resolved)):
        if "title" not in resolved:
            resolved = {("title" if f == "text" else f): c for f, c in resolved.items()}
        raw[HEADLINE] = [True] * n
    body = "title" if raw[HEADLINE][0] else "text"
    for field, column in resolved.items():
        raw[PUBLISHED_RAW if field == "published" else field] = frame[by_name[column]].tolist()
    prefix = f"{path}#{unit}="
    raw["source"] = [prefix + str(number) for number in numbers]
    if statuses is not None:
        raw["status"] = list(statuses)
        raw["reason"] = list(reasons)
    _decode_binary_cells(raw, frame, resolved)
    if body in resolved:  # say which column was empty, rather than a bare "no text" later
        blank = f"column {resolved[body]!r} is empty"
        for i, text in enumerate(raw[body]):
            if raw["status"][i] is not None:
                continue
            if _is_nested(text):  # str() of a list or record would be analysed as if it were prose
                raw["status"][i] = "unreadable"
                kind = _json_type(_plain(text))
                raw["reason"][i] = (
                    f"column {resolved[body]!r} holds {'an' if kind[0] in 'aeiou' else 'a'} "
                    f"{kind}, not text"
                )
            elif _is_missing(text):
                raw["status"][i], raw["reason"][i] = "empty", blank
    used = {by_name[column] for column in resolved.values()}
    extras = frame[[column for column in frame.columns if column not in used]]
    extras = extras.set_axis(_unclashed(extras.columns), axis=1)
    out = pd.DataFrame(raw)
    return pd.concat([out, extras], axis=1) if extras.shape[1] else out


def _own_table(frame: pd.DataFrame, column_map: dict[str, str]) -> pd.DataFrame:
    """An article table written by framing, read again (no column map): ready to load again.

    Its ``published_raw`` (the date as first stated) is the date; the columns ``load`` computes
    (``published``, ``language_score``, ``duplicate_of``, ``near_duplicate_of``,
    ``language_source``) are dropped.
    Its ``status``, ``reason`` and ``source`` stay as ``input_status`` ... (see ``_unclashed``).
    """
    names = {str(column) for column in frame.columns}
    if column_map or not set(schema.ARTICLE_COLUMNS) <= names:
        return frame
    drop = [c for c in frame.columns if str(c) in _RECOMPUTED]
    if PUBLISHED_RAW in names:
        drop += [c for c in frame.columns if str(c) == "published"]
        frame = frame.rename(columns={PUBLISHED_RAW: "_published_raw"})
    frame = frame.drop(columns=drop)
    return frame.rename(columns={"_published_raw": "published"})


def _unclashed(columns: Iterable[Any]) -> list[Any]:
    """Extra column names, ``input_``-prefixed where they would clash with an article column."""
    reserved = set(_RAW_COLUMNS) | set(schema.ARTICLE_COLUMNS)
    out = []
    for column in columns:
        name = column
        while str(name) in reserved:
            name = CLASH_PREFIX + str(name)
        reserved.add(str(name))
        out.append(name)
    return out


def _decode_binary_cells(
    raw: dict[str, list[Any]], frame: pd.DataFrame, resolved: dict[str, str]
) -> None:
    """Decode the bytes cells of the canonical fields (Parquet binary columns) as text, in place.

    The rules are those for files (:func:`_decode`), and a guessed encoding is noted in
    ``reason``. Bytes that are no text make the row "undecodable" (or "unreadable" when they look
    binary), except in the id column: the id is then their hex form, and the reason says so.
    """
    dtypes = {str(column): dtype for column, dtype in frame.dtypes.items()}
    for field, column in resolved.items():
        if not pd.api.types.is_object_dtype(dtypes[column]):  # str and numbers hold no bytes
            continue
        values = raw[PUBLISHED_RAW if field == "published" else field]
        for i, value in enumerate(values):
            if not isinstance(value, bytes | bytearray | memoryview):
                continue
            data = bytes(value)
            text, encoding, status, reason = _decode(data)
            if status is None:
                values[i] = text
                note = _encoding_note(encoding)
                if note:
                    raw["reason"][i] = _join(raw["reason"][i] or "", f"column {column!r} {note}")
            elif field == "article_id":
                values[i] = data.hex()
                raw["reason"][i] = _join(
                    raw["reason"][i] or "",
                    f"column {column!r} holds bytes that are not text ({reason}); the id is "
                    "their hex form",
                )
            else:
                values[i] = None
                if raw["status"][i] is None:
                    raw["status"][i], raw["reason"][i] = status, f"column {column!r}: {reason}"


def _parquet_pieces(
    path: Path, chunk_size: int, column_map: dict[str, str], skip: int
) -> Iterator[pd.DataFrame | None]:
    """Raw rows of a Parquet file, ``chunk_size`` records at a time; None for the ``skip`` first."""
    import pyarrow.parquet as pq

    try:
        reader = pq.ParquetFile(path)
    except (OSError, ValueError) as err:  # pyarrow's ArrowInvalid is a ValueError
        raise DataError(f"{path}: not a readable Parquet file: {err}") from err
    first = 1
    for number, batch in enumerate(reader.iter_batches(batch_size=chunk_size)):
        rows = range(first, first + batch.num_rows)
        first += batch.num_rows
        # Skipped chunks are still read (Parquet batches are not addressable by row), not converted.
        yield None if number < skip else _from_table(batch.to_pandas(), path, "row", rows, column_map)


def _jsonl_pieces(
    path: Path, chunk_size: int, column_map: dict[str, str], skip: int
) -> Iterator[pd.DataFrame | None]:
    """Raw rows of a JSON Lines file, ``chunk_size`` records (non-blank lines) at a time.

    Lines are read one by one; None stands for each of the ``skip`` first chunks.
    """
    try:
        handle = path.open("rb")
    except OSError as err:
        raise DataError(f"cannot open {path}: {err}") from err
    with handle:
        number, lines = 0, []
        line_no = 0
        for line in handle:
            line_no += 1
            if not line.strip():
                continue
            lines.append((line_no, line))
            if len(lines) == chunk_size:
                yield None if number < skip else _jsonl_piece(path, lines, column_map)
                number, lines = number + 1, []
        if lines or number == 0:
            yield None if number < skip else _jsonl_piece(path, lines, column_map)


def _jsonl_piece(path: Path, lines: list[tuple[int, bytes]], column_map: dict[str, str]) -> pd.DataFrame:
    if not lines:
        return _file_problem(path, "empty", "file holds no records")
    records, numbers, statuses, reasons = [], [], [], []
    for number, line in lines:
        numbers.append(number)
        text, encoding, status, reason = _decode(line)
        record = {}
        if status is None:
            record, status, reason = _json_record(text, number)
            note = _encoding_note(encoding)
            reason = _join(note, reason) if note and reason else (note or reason)
        records.append(record)
        statuses.append(status)
        reasons.append(reason)
    frame = pd.DataFrame.from_records(records) if any(records) else pd.DataFrame()
    return _from_table(frame, path, "line", numbers, column_map, statuses, reasons)
