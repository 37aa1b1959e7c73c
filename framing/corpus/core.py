"""Load any supported input into the article table (``schema.ARTICLE_COLUMNS``); never edit raw data.

``load`` reads text files, CSV/TSV, JSON Lines, JSON, Parquet and HTML, one row per input article
whatever happened to it (see ``schema.STATUSES``), then cleans, identifies the language, normalises
dates, gives ids and flags duplicates. ``summarise`` counts the result for the CLI.

Decisions worth knowing:

- Bytes to text: a UTF-8/UTF-16/UTF-32 byte-order mark decides; else strict UTF-8; else
  Windows-1252 when charset-normalizer finds it clean (the legacy encoding of English and Dutch text;
  charset-normalizer alone misreads short Western texts, e.g. "cafť"); else charset-normalizer's best
  guess. A non-UTF-8 decoding is noted in ``reason`` ("decoded as cp1252") although the status stays
  "ok", so a guessed encoding can be found and checked.
- A file whose lines are partly UTF-8 and partly not (files pasted together) is decoded line by
  line, UTF-8 or Windows-1252, and the reason says how many lines were not UTF-8.
- Binary files (a known binary signature, or more than 5% NUL bytes or control characters, without
  a UTF-16/32 mark) are "unreadable" with reason "binary file"; a few stray NUL bytes in a text file
  are removed by cleaning instead. UTF-16 without a mark is recognised by its NUL bytes, all on
  odd (little-endian) or all on even (big-endian) positions, and noted in ``reason``.
- Missing values in the string columns are NA (pandas' missing marker): test with ``pd.isna``.
- ``published_raw`` (extra column) keeps the date as the input stated it; ``published`` is its
  "YYYY-MM-DD" form, NA when it cannot be parsed or is incomplete (a year or month alone).
- Ids: the given id as text; else a content hash. Repeated ids get a suffix ``~2``, ``~3`` ... in
  input order, and the reason says so.
- Exact duplicates: same text after lowercasing and collapsing whitespace. Near duplicates (wire
  copies): estimated Jaccard similarity >= ``NEAR_DUPLICATE_THRESHOLD`` of word 5-gram shingles,
  with MinHash LSH; both point at the earliest matching row and nothing is dropped.
- Extra input columns whose names clash with the article columns are kept with an ``input_`` prefix.
"""

from __future__ import annotations

import codecs
import csv
import errno
import functools
import hashlib
import io
import json
import logging
import os
import re
import stat
import sys
import warnings
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from framing.infra import schema
from framing.infra.defaults import DEFAULT_LANGUAGES, MAX_CHARS
from framing.infra.errors import ConfigError, DataError
from framing.infra.pool import check_jobs, map_chunks
from framing.text.language import UNDETERMINED, detect_language
from framing.text.preprocess import clean_text, extract_header

__all__ = [
    "CANONICAL_FIELDS",
    "COLUMN_ALIASES",
    "FORMATS",
    "NEAR_DUPLICATE_THRESHOLD",
    "load",
    "summarise",
]

logger = logging.getLogger(__name__)

#: Input formats and the file name endings that select them.
FORMATS: dict[str, tuple[str, ...]] = {
    "txt": (".txt",),
    "csv": (".csv", ".tsv"),
    "jsonl": (".jsonl", ".ndjson"),
    "json": (".json",),
    "parquet": (".parquet", ".pq"),
    "html": (".html", ".htm"),
}
#: Formats that hold one article per file (metadata may come from a sidecar).
FILE_FORMATS: tuple[str, ...] = ("txt", "html")

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
#: Sidecar files found in a folder of text/HTML files, and the columns that name the file.
SIDECAR_NAMES: tuple[str, ...] = ("metadata.csv", "metadata.jsonl")
SIDECAR_KEYS: tuple[str, ...] = ("file", "filename", "file_name", "path", "name")
SIDECAR_FIELDS: tuple[str, ...] = ("article_id", "outlet", "published", "title", "language")

UNKNOWN_OUTLET = "unknown"
#: Extra column with the date exactly as the input stated it.
PUBLISHED_RAW = "published_raw"
#: Prefix for extra input columns whose names clash with the article columns.
CLASH_PREFIX = "input_"
#: Suffix pattern that keeps repeated ids apart: "<id>~2", "<id>~3", ...
ID_SUFFIX = "~{n}"

#: Near duplicates: estimated Jaccard similarity of word 5-gram shingles at or above this. On
#: AllSides, pairs above 0.5 are the same story (wire copies, syndicated columns); below it they
#: are related stories sharing background paragraphs.
NEAR_DUPLICATE_THRESHOLD = 0.5
SHINGLE_WORDS = 5
#: Bottom-k cap on shingles per article: keeps MinHash cost flat for long texts while staying
#: consistent between two copies (both keep the same smallest hashes).
MAX_SHINGLES = 256
NUM_PERM = 128
MINHASH_SEED = 1
#: datasketch's default since 2.0; named so that signatures are always built the same way.
MINHASH_SCHEME = "affine32"

#: Articles per task: cleaning, language id, truncation and duplicate sketches run chunk by chunk,
#: in worker processes when ``n_jobs > 1`` (the vectorised sketching also bounds memory this way).
CHUNK_SIZE = 512

# Binary signatures (code, not language data): PNG, JPEG, GIF, PDF, ZIP/docx, gzip, bzip2, 7z, xz.
_BINARY_SIGNATURES: tuple[bytes, ...] = (
    b"\x89PNG",
    b"\xff\xd8\xff",
    b"GIF87a",
    b"GIF89a",
    b"%PDF-",
    b"PK\x03\x04",
    b"\x1f\x8b",
    b"BZh",
    b"7z\xbc\xaf",
    b"\xfd7zXZ",
)
# UTF-32 marks first: the UTF-32-LE mark starts with the UTF-16-LE one.
_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")
_MAX_CONTROL_SHARE = 0.05
# UTF-16 without a byte-order mark: at least this share of the NUL bytes on one side (odd or even).
_UTF16_NUL_SHARE = 0.9
_CONTROL_SAMPLE = 65_536
_PREFERRED_LEGACY = "cp1252"
# Encoding label of a file decoded line by line (UTF-8 and cp1252), followed by the cp1252 lines.
_MIXED_PREFIX = "mixed:"
_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:$|[T ])")
_DATE_DEFAULTS = (datetime(2000, 1, 1), datetime(2001, 2, 2))
#: Characters removed from outlet names and ids: C0/C1 controls (NUL, tab, line breaks...), bidi
#: embeddings, overrides, isolates and marks, zero-width space, word joiner, BOM, line/paragraph
#: separators. Zero-width (non-)joiners stay: Persian and Indic names need them.
_LABEL_JUNK = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u200b\u200e\u200f\u2028\u2029\u202a-\u202e\u2060"
    "\u2066-\u2069\ufeff]"
)
#: Columns ``load`` computes: dropped when one of its own article tables is read again.
_RECOMPUTED = ("language_score", "duplicate_of", "near_duplicate_of")
_YEAR_FIRST = re.compile(r"^\s*\d{4}\D")
# Two numbers that could each be a day or a month ("05/07"): only then can the order matter.
_TWO_SMALL_NUMBERS = re.compile(r"(?<!\d)(?:0?[1-9]|1[0-2])\D{1,2}(?:0?[1-9]|1[0-2])(?!\d)")
_SENTENCE_END = re.compile(r"[.!?\u2026][\"'\u201d\u2019)\]]*\s")
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
_HTML_DROP = ("script", "style", "iframe", "noscript", "object", "embed", "template")
_CSV_DELIMITERS = (",", ";", "\t")

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
)


# --------------------------------------------------------------------------------------------
# Public API


def load(
    inputs: str | os.PathLike | Iterable[str | os.PathLike],
    *,
    fmt: str | None = None,
    column_map: Mapping[str, str] | None = None,
    metadata: str | os.PathLike | pd.DataFrame | None = None,
    supported_languages: Sequence[str] = DEFAULT_LANGUAGES,
    max_chars: int = MAX_CHARS,
    near_duplicates: bool | float = True,
    progress: bool = False,
    n_jobs: int | None = 1,
    dayfirst: bool | Iterable[str] = False,
) -> pd.DataFrame:
    """Load articles from files or folders into the article table.

    Parameters
    ----------
    inputs : path or iterable of paths
        Files and/or folders. A folder is read recursively (sorted, hidden files skipped); without
        ``fmt`` only files with a known ending (see ``FORMATS``) are read. ``metadata.csv`` and
        ``metadata.jsonl`` at the top of a folder are sidecars, never articles.
    fmt : {"txt", "csv", "jsonl", "json", "parquet", "html"}, optional
        Force the format instead of guessing it from the file ending. In a folder, files whose
        ending belongs to another format are then skipped; files with an unknown ending are read.
    column_map : mapping, optional
        ``{canonical field: input column}`` for tabular inputs, e.g. AllSides needs
        ``{"outlet": "source", "text": "content_original", "article_id": "ID"}``. Fields not
        mapped are found by common names (``COLUMN_ALIASES``, case-insensitive). Keys must be among
        ``CANONICAL_FIELDS``.
    metadata : path or DataFrame, optional
        Sidecar for text/HTML files: one row per file, a key column (file/filename/path/name) with
        the file name (or path relative to the folder), and any of article_id, outlet, published,
        title, language; other columns are kept as extra columns. Default: ``metadata.csv`` or
        ``metadata.jsonl`` in the input folder. Sidecar values win over what the file states.
    supported_languages : sequence of str
        ISO 639-1 codes that are processed; other articles get status "unsupported_language".
    max_chars : int
        Longer cleaned texts are truncated at a paragraph or sentence boundary, status "too_large".
    near_duplicates : bool or float
        Flag near duplicates (``near_duplicate_of``); a float sets the Jaccard threshold
        (default ``NEAR_DUPLICATE_THRESHOLD``). Exact duplicates are always flagged.
    progress : bool
        Show tqdm progress bars over files and articles.
    n_jobs : int, optional
        Processes for the per-article work: cleaning, language identification, truncation and
        duplicate sketches (-1: all cores). Output is identical, in input order, whatever the value.
    dayfirst : bool or iterable of str
        How to read a date such as "05/07/2023" that is valid either way: False (default) reads it
        month first (2023-05-07), True day first (2023-07-05) for every outlet; a list of outlet
        names reads day first for those outlets only. The ``reason`` of such a row says which
        order was used; a date that cannot be read leaves ``published`` empty and says why.

    Returns
    -------
    pandas.DataFrame
        One row per input article: ``schema.ARTICLE_COLUMNS``, then ``published_raw``, then the
        input's other columns as they are. ``source`` is ``path``, ``path#row=N`` (CSV, Parquet,
        JSON arrays; N counts records from 1, the header is not one) or ``path#line=N`` (JSONL).

    Raises
    ------
    ConfigError
        Unknown format, column-map key or bad option.
    DataError
        An input is missing, a folder holds no readable file, or a tabular file lacks a mapped
        column or a text column. Problems of single files or rows never raise: they become rows
        with a status and a reason.

    Examples
    --------
    >>> articles = load("articles.parquet", column_map={"text": "content_original"})  # doctest: +SKIP
    >>> articles.loc[articles.status == "ok", ["outlet", "language", "title"]]  # doctest: +SKIP
    """
    column_map = _check_column_map(column_map)
    fmt = _check_format(fmt)
    if isinstance(supported_languages, str):
        supported_languages = (supported_languages,)
    supported = tuple(_normalise_language(code) or "" for code in supported_languages)
    if not any(supported):
        raise ConfigError(
            f"no supported languages given (received {list(supported_languages)!r}): every article "
            "would be unsupported_language; give ISO 639-1 codes, e.g. ('en', 'nl') "
            "(CLI: --languages en,nl)"
        )
    if not isinstance(max_chars, int) or max_chars < 1:
        raise ConfigError(f"max_chars must be a positive integer; received {max_chars!r}")
    threshold = _near_duplicate_threshold(near_duplicates)
    workers = _check_n_jobs(n_jobs)
    order = _check_dayfirst(dayfirst)
    sidecar = _read_sidecar(metadata) if metadata is not None else None

    files = _expand_inputs(inputs, fmt)
    folder_sidecars: dict[Path, pd.DataFrame | None] = {}  # read once per folder
    frames: list[pd.DataFrame] = []
    rows: list[dict[str, Any]] = []  # one-article files, gathered into one frame (keeps order)
    for path, file_fmt, folder, problem in _progress(files, progress, "reading files", "file"):
        if problem:
            rows.append(_problem_row(path, "unreadable", problem))
            continue
        if file_fmt in FILE_FORMATS:
            if sidecar is None and folder is not None and folder not in folder_sidecars:
                folder_sidecars[folder] = _folder_sidecar(folder)
            stated = sidecar if sidecar is not None else folder_sidecars.get(folder)
            rows.append(_read_single(path, file_fmt, folder, stated))
            continue
        if rows:
            frames.append(pd.DataFrame(rows))
            rows = []
        frames.append(_read_table(path, file_fmt, column_map))
    if rows:
        frames.append(pd.DataFrame(rows))
    raw = _concat(frames)
    return _finish(raw, supported, max_chars, threshold, progress, workers, dayfirst=order)


#: Formats that ``read_chunks`` can read a piece at a time.
CHUNKED_FORMATS: tuple[str, ...] = ("parquet", "jsonl")


def read_chunks(
    path: str | os.PathLike,
    *,
    chunk_size: int = 1000,
    fmt: str | None = None,
    column_map: Mapping[str, str] | None = None,
    supported_languages: Sequence[str] = DEFAULT_LANGUAGES,
    max_chars: int = MAX_CHARS,
    near_duplicates: bool | float = True,
    skip: int = 0,
    taken_ids: set[str] | None = None,
    dayfirst: bool | Iterable[str] = False,
) -> Iterator[pd.DataFrame]:
    """Article tables of one big Parquet or JSONL file, ``chunk_size`` records at a time.

    Memory holds one chunk (a Parquet file is read batch by batch, a JSONL file line by line), so
    a corpus larger than memory can be scored piece by piece. Each chunk is what :func:`load`
    gives for those records (same ``source`` numbering, statuses and reasons), except that
    duplicates are flagged within the chunk only.

    Parameters
    ----------
    path : path
        A ``.parquet`` or ``.jsonl``/``.ndjson`` file (or give ``fmt``).
    chunk_size : int
        Records per chunk (the last one may hold fewer).
    fmt, column_map, supported_languages, max_chars, near_duplicates, dayfirst
        As for :func:`load`.
    skip : int
        Chunks to pass over unread (but numbered), e.g. those a resumed run already scored.
    taken_ids : set of str, optional
        Article ids used by earlier chunks; a repeat is renamed ``id~2`` as :func:`load` does
        over the whole file. Updated in place with every yielded chunk's ids.

    Yields
    ------
    pandas.DataFrame
        Article tables (``schema.ARTICLE_COLUMNS`` and the input's other columns). A chunk of
        broken JSONL lines yields their "unreadable" rows; nothing is dropped.

    Raises
    ------
    ConfigError
        A format other than Parquet or JSONL, or a bad option.
    DataError
        The file cannot be opened, or lacks a mapped or text column.
    """
    path = Path(path)
    column_map = _check_column_map(column_map)
    kind = _check_format(fmt) or _format_of(path, strict=False)
    if kind not in CHUNKED_FORMATS:
        raise ConfigError(
            f"{path}: reading in chunks needs Parquet or JSONL; received {kind or path.suffix!r}. "
            "Convert the corpus, or load it whole with `framing ingest`"
        )
    if not isinstance(chunk_size, int) or isinstance(chunk_size, bool) or chunk_size < 1:
        raise ConfigError(f"chunk_size must be a positive integer; received {chunk_size!r}")
    if not path.is_file():
        raise DataError(f"input {path} does not exist or is not a file")
    supported = tuple(_normalise_language(c) or "" for c in supported_languages)
    threshold = _near_duplicate_threshold(near_duplicates)
    order = _check_dayfirst(dayfirst)
    taken = taken_ids if taken_ids is not None else set()
    pieces = _parquet_pieces if kind == "parquet" else _jsonl_pieces
    for number, raw in enumerate(pieces(path, chunk_size, column_map, skip)):
        if number < skip:
            continue
        yield _finish(raw, supported, max_chars, threshold, False, 1, taken, dayfirst=order)


def articles_from_frame(
    frame: pd.DataFrame,
    path: str | os.PathLike,
    *,
    first_row: int = 1,
    column_map: Mapping[str, str] | None = None,
    supported_languages: Sequence[str] = DEFAULT_LANGUAGES,
    max_chars: int = MAX_CHARS,
    near_duplicates: bool | float = True,
    taken_ids: set[str] | None = None,
    dayfirst: bool | Iterable[str] = False,
) -> pd.DataFrame:
    """The article table of some records of a tabular file, already read into ``frame``.

    What :func:`load` gives for those rows of ``path`` (``source`` is ``path#row=N``, N counting
    from ``first_row``), duplicates flagged among these rows only. For chunked readers and
    distributed scoring (a Dask partition is such a frame).

    Parameters
    ----------
    frame : DataFrame
        The records as read (input column names).
    path : path
        The file they come from (for ``source``).
    first_row : int
        Number of the frame's first record in the file (from 1).
    column_map, supported_languages, max_chars, near_duplicates, taken_ids, dayfirst
        As for :func:`read_chunks`.

    Returns
    -------
    pandas.DataFrame
        The article table.
    """
    column_map = _check_column_map(column_map)
    supported = tuple(_normalise_language(c) or "" for c in supported_languages)
    threshold = _near_duplicate_threshold(near_duplicates)
    rows = range(first_row, first_row + len(frame))
    raw = _from_table(frame, Path(path), "row", rows, column_map)
    order = _check_dayfirst(dayfirst)
    return _finish(raw, supported, max_chars, threshold, False, 1, taken_ids, dayfirst=order)


def _parquet_pieces(
    path: Path, chunk_size: int, column_map: dict[str, str], skip: int
) -> Iterator[pd.DataFrame | None]:
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


def summarise(articles: pd.DataFrame) -> dict[str, Any]:
    """Count an article table by status, language and outlet, so every input article is accounted for.

    Parameters
    ----------
    articles : pandas.DataFrame
        A table returned by ``load``.

    Returns
    -------
    dict
        ``n_articles``, ``n_processed`` (status in ``schema.PROCESSED_STATUSES``), ``by_status``
        (every status in ``schema.STATUSES``, zeros included), ``by_language`` and ``by_outlet``
        (most frequent first), ``n_duplicates`` and ``n_near_duplicates``. Plain ints: JSON-ready.

    Examples
    --------
    >>> table = pd.DataFrame({"status": ["ok", "empty"], "language": ["en", "und"],
    ...                       "outlet": ["A", "A"], "duplicate_of": [None, None],
    ...                       "near_duplicate_of": [None, None]})
    >>> summarise(table)["by_status"]["empty"]
    1
    """
    status_counts = articles["status"].value_counts()
    by_status = {status: int(status_counts.get(status, 0)) for status in schema.STATUSES}
    for status, count in status_counts.items():  # a status outside the schema still shows up
        by_status.setdefault(str(status), int(count))
    return {
        "n_articles": len(articles),
        "n_processed": int(articles["status"].isin(schema.PROCESSED_STATUSES).sum()),
        "by_status": by_status,
        "by_language": _counts(articles["language"]),
        "by_outlet": _counts(articles["outlet"]),
        "n_duplicates": int(articles["duplicate_of"].notna().sum()),
        "n_near_duplicates": int(articles["near_duplicate_of"].notna().sum()),
    }


# --------------------------------------------------------------------------------------------
# Options


def _check_format(fmt: str | None) -> str | None:
    if fmt is None:
        return None
    name = str(fmt).lower().lstrip(".")
    if name == "tsv":
        return "csv"
    if name not in FORMATS:
        raise ConfigError(f"unknown input format {fmt!r}; accepted: {_accepted_formats()}")
    return name


def _accepted_formats() -> str:
    return ", ".join(f"{name} ({'/'.join(ends)})" for name, ends in FORMATS.items())


def _check_column_map(column_map: Mapping[str, str] | None) -> dict[str, str]:
    if column_map is None:
        return {}
    if not isinstance(column_map, Mapping):
        raise ConfigError(
            f"column_map must be a mapping {{field: input column}}; received {type(column_map).__name__}"
        )
    checked: dict[str, str] = {}
    for key, column in column_map.items():
        if key not in CANONICAL_FIELDS:
            raise ConfigError(
                f"unknown column_map key {key!r}; accepted keys: {', '.join(CANONICAL_FIELDS)} "
                "(each names the input column holding that field, e.g. text=content_original)"
            )
        if not isinstance(column, str) or not column:
            raise ConfigError(f"column_map[{key!r}] must be a column name; received {column!r}")
        # One column for two fields (outlet = text) is a slip: the article table would hold the
        # text twice and lose the real column of one of them.
        other = next((field for field, name in checked.items() if name == column), None)
        if other is not None:
            raise ConfigError(
                f"column_map maps input column {column!r} to two fields, {other} and {key}; "
                f"map each field to its own column (CLI: --map {other}={column} and "
                f"--map {key}=<another column>)"
            )
        checked[key] = column
    return checked


def _check_dayfirst(dayfirst: bool | Iterable[str] | None) -> bool | frozenset[str]:
    """True/False for every outlet, or the set of outlets whose dates are read day first."""
    if dayfirst is None or isinstance(dayfirst, bool | np.bool_):
        return bool(dayfirst)
    if isinstance(dayfirst, str) or not isinstance(dayfirst, Iterable):
        raise ConfigError(
            "dayfirst must be true, false or a list of outlet names whose dates are written day "
            f"first; received {dayfirst!r}"
        )
    names = list(dayfirst)
    bad = [name for name in names if not isinstance(name, str) or not name.strip()]
    if bad:
        raise ConfigError(f"dayfirst: outlet names must be non-empty text; received {bad[0]!r}")
    return frozenset(_clean_label(name).strip() for name in names)


def _near_duplicate_threshold(near_duplicates: bool | float) -> float | None:
    if near_duplicates is True:
        return NEAR_DUPLICATE_THRESHOLD
    if near_duplicates is False or near_duplicates is None:
        return None
    if isinstance(near_duplicates, int | float) and 0.0 < float(near_duplicates) < 1.0:
        from datasketch import MinHashLSH

        try:  # thresholds near 1 leave too few LSH bands; datasketch tells
            MinHashLSH(threshold=float(near_duplicates), num_perm=NUM_PERM)
        except ValueError as err:
            raise ConfigError(f"near_duplicates={near_duplicates!r} is unusable: {err}") from err
        return float(near_duplicates)
    raise ConfigError(
        "near_duplicates must be True, False or a Jaccard threshold between 0 and 1; "
        f"received {near_duplicates!r}"
    )


def _check_n_jobs(n_jobs: int | None) -> int:
    return 1 if n_jobs is None else check_jobs(n_jobs)


# --------------------------------------------------------------------------------------------
# Finding files


class _Input(NamedTuple):
    """A file to read: its format, the folder it was found in (or None), and why it cannot be read."""

    path: Path
    fmt: str
    folder: Path | None
    problem: str = ""  # non-empty: no reading; the file gets one "unreadable" row saying this


def _expand_inputs(
    inputs: str | os.PathLike | Iterable[str | os.PathLike],
    fmt: str | None,
) -> list[_Input]:
    """Every file to read, in order, with its format and the folder it was found in (or None)."""
    if isinstance(inputs, str | os.PathLike):
        inputs = [inputs]
    files: list[_Input] = []
    for item in inputs:
        path = Path(item)
        if path.is_dir():
            files.extend(_folder_files(path, fmt))
        elif path.is_file():
            files.append(_Input(path, fmt or _format_of(path, strict=True), None))
        elif os.path.lexists(path):
            raise DataError(f"input {item} cannot be read: {_special_file(path)}")
        else:
            raise DataError(f"input not found: {item} (give a file or a folder)")
    return files


def _format_of(path: Path, *, strict: bool) -> str | None:
    ending = path.suffix.lower()
    for name, endings in FORMATS.items():
        if ending in endings:
            return name
    if strict:
        raise ConfigError(
            f"cannot tell the format of {path} from its ending {ending or '(none)'!r}; "
            f"accepted: {_accepted_formats()}; or pass fmt= (CLI: --format)"
        )
    return None


def _folder_files(folder: Path, fmt: str | None) -> list[_Input]:
    """Files of ``folder`` (recursive, sorted, hidden ones skipped) that ``fmt`` selects.

    Named pipes, sockets, devices, broken symbolic links and links to files outside the folder are
    never opened: each gets an ``_Input`` with a ``problem``.
    """
    found, skipped = [], []
    root = Path(os.path.realpath(folder))
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if any(part.startswith(".") for part in relative.parts) or path.is_dir():
            continue
        if len(relative.parts) == 1 and path.name.lower() in SIDECAR_NAMES:
            continue
        detected = _format_of(path, strict=False)
        if fmt is None and detected is None or fmt is not None and detected not in (fmt, None):
            skipped.append(relative.as_posix())
            continue
        target = Path(os.path.realpath(path))  # never raises, even for a link loop
        problem = "" if path.is_file() else _special_file(path)
        if not problem and not target.is_relative_to(root):
            problem = f"symbolic link to a file outside the input folder {folder}; not read"
        found.append(_Input(path, fmt or detected, folder, problem))
    if skipped:
        logger.warning(
            "%s: skipped %d file(s) of another format: %s", folder, len(skipped), skipped[:10]
        )
    if not found:
        wanted = FORMATS[fmt] if fmt else tuple(e for ends in FORMATS.values() for e in ends)
        raise DataError(
            f"no input files in folder {folder}: looked for {', '.join(wanted)}"
            + (f"; it holds {', '.join(skipped[:10])}" if skipped else "; it holds no files")
        )
    return found


def _special_file(path: Path) -> str:
    """Why ``path``, which is not a regular file nor a folder, is not read."""
    try:
        mode = path.stat().st_mode
    except OSError as err:
        if err.errno == errno.ENOENT and path.is_symlink():
            return "broken symbolic link: its target does not exist"
        if err.errno == errno.ELOOP:
            return "symbolic link loop: it never reaches a file"
        return f"cannot read file: {err.strerror or err}"
    kinds = (
        (stat.S_ISFIFO, "a named pipe (FIFO)"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
    )
    kind = next((name for test, name in kinds if test(mode)), "")
    return f"not a regular file{': ' + kind if kind else ''}; not read"


# --------------------------------------------------------------------------------------------
# Bytes to text


def _decode(data: bytes) -> tuple[str | None, str | None, str | None, str]:
    """Return (text, encoding, status, reason); status is None when the bytes are text."""
    for mark, encoding in _BOMS:
        if data.startswith(mark):
            try:
                return data.decode(encoding), encoding, None, ""
            except UnicodeDecodeError as err:
                reason = (
                    f"starts with a {encoding} byte-order mark but is not valid {encoding}: "
                    f"{err.reason} at byte {err.start}"
                )
                return None, None, "undecodable", reason
    if data.startswith(_BINARY_SIGNATURES):
        return None, None, "unreadable", "binary file"
    # A few stray NUL bytes in a long text (scraped data) do not make it binary: the share decides,
    # so one NUL cell no longer turns a whole CSV into a single "unreadable" row.
    if data.count(b"\x00") > _MAX_CONTROL_SHARE * len(data):
        text, encoding = _bomless_utf16(data)
        if text is None:
            return None, None, "unreadable", "binary file"
    else:
        text, encoding = _decode_text(data)
        if text is None:
            return None, None, "undecodable", "not UTF-8, and no known encoding fits the bytes"
    sample = text[:_CONTROL_SAMPLE]
    if sample and len(_CONTROL.findall(sample)) > _MAX_CONTROL_SHARE * len(sample):
        return None, None, "unreadable", "binary file"
    return text, encoding, None, ""


def _decode_text(data: bytes) -> tuple[str | None, str | None]:
    """(text, encoding) of bytes without a byte-order mark: UTF-8, else line by line, else a guess."""
    try:
        text, encoding = data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        text, encoding = _mixed_decode(data)
        if text is None:
            text, encoding = _guess_decode(data)
    return text, encoding


def _bomless_utf16(data: bytes) -> tuple[str | None, str | None]:
    """(text, "utf-16-le" or "utf-16-be") of UTF-16 text without a byte-order mark, else (None, None).

    In UTF-16 the spaces, digits and punctuation of any script (and every Latin letter) have a
    NUL high byte, so the NULs of such a text sit on every other byte, all odd (little-endian) or
    all even (big-endian); binary data has NULs on both. The bytes must also decode strictly.
    """
    if len(data) % 2:
        return None, None
    sample = data[: _CONTROL_SAMPLE * 2]
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    if max(even, odd) < _UTF16_NUL_SHARE * (even + odd):
        return None, None
    encoding = "utf-16-le" if odd > even else "utf-16-be"
    try:
        return data.decode(encoding), encoding
    except UnicodeDecodeError:
        return None, None


def _guess_decode(data: bytes) -> tuple[str | None, str | None]:
    # Windows-1252 first: charset-normalizer alone calls short Latin-1/cp1252 texts mac_latin2 or
    # cp852 ("cafť", "ôdealö"); restricted to cp1252 it still rejects Cyrillic, Greek, CJK, etc.
    from charset_normalizer import from_bytes

    best = from_bytes(data, cp_isolation=[_PREFERRED_LEGACY]).best() or from_bytes(data).best()
    if best is None:
        return None, None
    return str(best), best.encoding


def _mixed_decode(data: bytes) -> tuple[str | None, str | None]:
    """UTF-8 lines and Windows-1252 lines in one file (files pasted together), each decoded as such.

    Only when some line with non-ASCII bytes is valid UTF-8 and some other line is not: decoding the
    whole file as cp1252 would turn the UTF-8 lines into mojibake ("cafÃ©"). Returns (None, None)
    otherwise, or when a non-UTF-8 line is not valid cp1252 either.
    """
    lines = data.splitlines(keepends=True)
    utf8_lines, other = 0, []
    for i, line in enumerate(lines):
        if line.isascii():
            continue
        try:
            line.decode("utf-8")
            utf8_lines += 1
        except UnicodeDecodeError:
            other.append(i)
    if not utf8_lines or not other:
        return None, None
    parts = []
    for i, line in enumerate(lines):
        try:
            parts.append(line.decode(_PREFERRED_LEGACY if i in other else "utf-8"))
        except UnicodeDecodeError:
            return None, None
    return "".join(parts), f"{_MIXED_PREFIX}{len(other)}"


def _read_bytes(path: Path) -> tuple[bytes | None, str]:
    """The file's bytes, or (None, why not). A named pipe or device is never opened (it may block)."""
    try:
        if not stat.S_ISREG(path.stat().st_mode):
            return None, _special_file(path)
        return path.read_bytes(), ""
    except OSError as err:
        return None, f"cannot read file: {err.strerror or err}"


def _encoding_note(encoding: str | None) -> str:
    if encoding in (None, "utf-8", "utf-8-sig", "utf-16", "utf-32"):
        return ""
    if encoding in ("utf-16-le", "utf-16-be"):
        return f"decoded as {encoding} (no byte-order mark; guessed from the NUL bytes)"
    if encoding.startswith(_MIXED_PREFIX):
        n = int(encoding[len(_MIXED_PREFIX) :])
        return f"mixed encodings: {n} line(s) decoded as {_PREFERRED_LEGACY}, the others as UTF-8"
    return f"decoded as {encoding} (not UTF-8)"


# --------------------------------------------------------------------------------------------
# One article per file: txt and html


def _read_single(
    path: Path, fmt: str, folder: Path | None, sidecar: pd.DataFrame | None
) -> dict[str, Any]:
    """One raw article row from a text or HTML file, sidecar values applied."""
    row: dict[str, Any] = dict.fromkeys(_RAW_COLUMNS)
    row["source"] = str(path)
    data, error = _read_bytes(path)
    if data is None:
        row.update(status="unreadable", reason=error)
    else:
        text, encoding, status, reason = _decode(data)
        if status is not None:
            row.update(status=status, reason=reason)
        elif not text.strip():
            row.update(
                status="empty", reason="file is empty" if not data else "file has only whitespace"
            )
        else:
            fields = _parse_txt(text) if fmt == "txt" else _parse_html(text)
            row.update(fields)
            row["reason"] = _join(_encoding_note(encoding), fields.get("reason") or "")
    extras: dict[str, Any] = {}
    if sidecar is not None:
        stated = _sidecar_row(sidecar, path, folder)
        for key, value in stated.items():
            if key in SIDECAR_FIELDS:
                if not _is_missing(value):
                    row[PUBLISHED_RAW if key == "published" else key] = value
            else:
                extras[key] = value
    return {**row, **extras}


def _parse_txt(text: str) -> dict[str, Any]:
    meta, body = extract_header(text)
    return {
        "outlet": meta.get("outlet"),
        PUBLISHED_RAW: meta.get("published"),
        "title": meta.get("title"),
        "text": body,
    }


def _parse_html(html: str) -> dict[str, Any]:
    """Main text and metadata of a web page with trafilatura; scripts and iframes removed first."""
    try:
        import lxml.html
        import trafilatura
    except ImportError as err:  # a broken install must not look like an empty page
        raise DataError(
            f"reading HTML needs trafilatura, which cannot be imported ({err}); install the "
            "project's dependencies (pip install -e .)"
        ) from err
    try:
        tree = lxml.html.fromstring(_XML_DECLARATION.sub("", html, count=1))
    except (ValueError, lxml.etree.ParserError) as err:
        return {"status": "unreadable", "reason": f"cannot parse HTML: {err}"}
    # trafilatura keeps an iframe's fallback content; these elements are never article text.
    for element in list(tree.iter(*_HTML_DROP)):
        element.drop_tree()
    document = trafilatura.bare_extraction(tree, with_metadata=True, include_comments=False)
    if document is None or not (document.text or "").strip():
        return {"status": "empty", "reason": "no main text found in the HTML"}
    title = document.title or None
    text = document.text
    if title:  # the page heading repeats the title; keep it only in the title column
        first, _, rest = text.partition("\n")
        if first.strip() == title.strip():
            text = rest
    return {
        "outlet": document.sitename or None,
        PUBLISHED_RAW: document.date,
        "title": title,
        "text": text,
    }


# --------------------------------------------------------------------------------------------
# Sidecar metadata


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


# --------------------------------------------------------------------------------------------
# Tables: csv, jsonl, json, parquet


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
    if "text" not in resolved:
        raise DataError(
            f"{path}: no text column; the file has columns: {_listing(names)}. Recognised names: "
            f"{', '.join(COLUMN_ALIASES['text'])}; or map yours, e.g. column_map={{'text': "
            f"'content_original'}} (CLI: --map text=content_original)"
        )
    return resolved


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
    frame = _own_table(frame.reset_index(drop=True), column_map)
    if frame.shape[1] == 0 and n == 0:
        return _file_problem(path, "empty", "file holds no records")
    # Every line broken: no columns to resolve (and no text column to miss).
    resolved = _resolve_columns(frame.columns, column_map, path) if frame.shape[1] else {}
    if n == 0:  # a header and no records: one "empty" row, as for an empty file, so it is seen
        return _file_problem(path, "empty", "file holds no records (only a header)")
    by_name = {str(column): column for column in frame.columns}
    raw = {column: [None] * n for column in _RAW_COLUMNS}
    for field, column in resolved.items():
        raw[PUBLISHED_RAW if field == "published" else field] = frame[by_name[column]].tolist()
    prefix = f"{path}#{unit}="
    raw["source"] = [prefix + str(number) for number in numbers]
    if statuses is not None:
        raw["status"] = list(statuses)
        raw["reason"] = list(reasons)
    _decode_binary_cells(raw, frame, resolved)
    if "text" in resolved:  # say which column was empty, rather than a bare "no text" later
        blank = f"column {resolved['text']!r} is empty"
        for i, text in enumerate(raw["text"]):
            if raw["status"][i] is not None:
                continue
            if _is_nested(text):  # str() of a list or record would be analysed as if it were prose
                raw["status"][i] = "unreadable"
                kind = _json_type(_plain(text))
                raw["reason"][i] = (
                    f"column {resolved['text']!r} holds {'an' if kind[0] in 'aeiou' else 'a'} "
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
    (``published``, ``language_score``, ``duplicate_of``, ``near_duplicate_of``) are dropped.
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


# --------------------------------------------------------------------------------------------
# After reading: clean, identify language, statuses, dates, ids, duplicates


def _finish(
    raw: pd.DataFrame,
    supported: tuple[str, ...],
    max_chars: int,
    threshold: float | None,
    progress: bool,
    workers: int,
    taken_ids: set[str] | None = None,
    *,
    dayfirst: bool | frozenset[str] = False,
) -> pd.DataFrame:
    n = len(raw)
    titles_in = [_as_text(value) for value in raw["title"].tolist()]
    texts_in = [_as_text(value) for value in raw["text"].tolist()]
    stated = [_normalise_language(value) for value in raw["language"].tolist()]
    statuses = [None if _is_missing(value) else str(value) for value in raw["status"].tolist()]
    reasons = [_as_text(value) for value in raw["reason"].tolist()]
    outlets, given_ids = _clean_labels(raw["outlet"].tolist(), raw["article_id"].tolist(), reasons)

    todo = [i for i in range(n) if statuses[i] is None]
    work = [(titles_in[i], texts_in[i], stated[i]) for i in todo]
    done = _process_all(work, max_chars, threshold is not None, workers, progress)

    titles, texts = [""] * n, [""] * n
    languages, scores = [UNDETERMINED] * n, [0.0] * n
    keys: list[tuple[int, int] | None] = [None] * n
    signatures: list[np.ndarray | None] = [None] * n
    for i, item in zip(todo, done, strict=True):
        titles[i], texts[i], keys[i], signatures[i] = (
            item.title,
            item.text,
            item.key,
            item.signature,
        )
        languages[i], scores[i] = item.language, item.score
        if not item.text:
            statuses[i] = "empty"
            reasons[i] = _join(
                reasons[i], "no text left after cleaning" if texts_in[i].strip() else "no text"
            )
            continue
        notes = []
        if item.cut_from:
            notes.append(
                f"text has {item.cut_from:,} characters, more than max_chars={max_chars:,}; "
                f"truncated to {len(item.text):,} at a {item.boundary} boundary"
            )
        if item.language not in supported:
            statuses[i] = "unsupported_language"
            notes.insert(
                0, _language_reason(item.language, item.score, stated[i] is not None, supported)
            )
        else:
            statuses[i] = "too_large" if notes else "ok"
        reasons[i] = _join(*notes, reasons[i])

    published_raw = [_as_raw_date(value) for value in raw[PUBLISHED_RAW].tolist()]
    orders = [dayfirst] * n if isinstance(dayfirst, bool) else [o in dayfirst for o in outlets]
    published = _normalise_dates(published_raw, orders, reasons)
    ids = _article_ids(
        given_ids, outlets, titles_in, texts_in, raw["source"].tolist(), reasons, taken_ids
    )
    duplicate_of, near_duplicate_of = _duplicates(keys, signatures, ids, threshold)

    columns = {
        "article_id": ids,
        "outlet": outlets,
        "published": published,
        "language": languages,
        "language_score": np.asarray(scores, dtype=float),
        "title": titles,
        "text": texts,
        "source": [str(value) for value in raw["source"].tolist()],
        "status": statuses,
        "reason": reasons,
        "duplicate_of": duplicate_of,
        "near_duplicate_of": near_duplicate_of,
        PUBLISHED_RAW: published_raw,
    }
    # Fixed dtypes whatever the data: text columns are pandas' string dtype (missing is NA).
    articles = pd.DataFrame(
        {
            name: values if name == "language_score" else pd.array(values, dtype="str")
            for name, values in columns.items()
        },
        index=pd.RangeIndex(n),
    )
    extras = raw.drop(columns=list(_RAW_COLUMNS)).reset_index(drop=True)
    if extras.shape[1]:
        reserved = set(columns)
        extras.columns = [
            CLASH_PREFIX + str(c) if str(c) in reserved else c for c in extras.columns
        ]
        articles = pd.concat([articles, extras], axis=1)
    return articles


def _clean_labels(
    outlets_in: list[Any], ids_in: list[Any], reasons: list[str]
) -> tuple[list[str], list[Any]]:
    """Outlet names and given ids without control or bidi formatting characters (noted in reasons).

    A NUL or a right-to-left override in an outlet name would travel into every table, figure
    caption and report; names and ids are labels, so such characters carry no meaning there.
    """
    outlets, ids = [], []
    for i, (outlet, given) in enumerate(zip(outlets_in, ids_in, strict=True)):
        name, cleaned = _as_text(outlet), []
        if _LABEL_JUNK.search(name):
            name = _clean_label(name)
            cleaned.append("outlet name")
        if isinstance(given, str) and _LABEL_JUNK.search(given):
            given = _clean_label(given)
            cleaned.append("article id")
        if cleaned:
            reasons[i] = _join(
                reasons[i],
                f"{' and '.join(cleaned)} held control or bidirectional formatting characters "
                "(removed)",
            )
        outlets.append(name.strip() or UNKNOWN_OUTLET)
        ids.append(given)
    return outlets, ids


def _clean_label(value: str) -> str:
    """``value`` without control and bidi formatting characters; runs of spaces collapsed."""
    if not _LABEL_JUNK.search(value):
        return value
    return " ".join(_LABEL_JUNK.sub(_label_junk_replacement, value).split())


def _label_junk_replacement(match: re.Match) -> str:
    return " " if match.group().isspace() else ""


class _Processed(NamedTuple):
    """One article after cleaning, language id, truncation and sketching."""

    title: str
    text: str
    language: str
    score: float
    cut_from: int  # length before truncation; 0 when not truncated
    boundary: str  # where the truncated text was cut
    key: tuple[int, int] | None  # exact-duplicate key; None without text
    signature: np.ndarray | None  # MinHash values; None without shingles or when not asked


def _process_chunk(
    work: list[tuple[str, str, str | None]], max_chars: int, want_signatures: bool
) -> list[_Processed]:
    """Clean, identify the language (unless stated: score 1.0), truncate and sketch a chunk."""
    cleaned = []
    for title, text, language in work:
        title = clean_text(title, language=language) if title else ""
        text = clean_text(text, language=language) if text else ""
        if language is not None:
            score = 1.0
        elif text:
            language, score = detect_language(f"{title}\n{text}")
        else:
            language, score = UNDETERMINED, 0.0
        cut_from, boundary = 0, ""
        if len(text) > max_chars:
            cut_from = len(text)
            text, boundary = _truncate(text, max_chars)
        cleaned.append((title, text, language, float(score), cut_from, boundary))
    with_text = [i for i, item in enumerate(cleaned) if item[1]]
    keys: list[tuple[int, int] | None] = [None] * len(cleaned)
    signatures: list[np.ndarray | None] = [None] * len(cleaned)
    if with_text:
        found, shingles = _sketch_inputs(
            [cleaned[i][1] for i in with_text], want_shingles=want_signatures
        )
        for position, i in enumerate(with_text):
            keys[i] = found[position]
        if shingles is not None:
            for i, signature in zip(with_text, _signatures(shingles), strict=True):
                signatures[i] = signature
    return [_Processed(*item, keys[i], signatures[i]) for i, item in enumerate(cleaned)]


def _process_all(
    work: list[tuple[str, str, str | None]],
    max_chars: int,
    want_signatures: bool,
    workers: int,
    progress: bool,
) -> list[_Processed]:
    chunks = [work[start : start + CHUNK_SIZE] for start in range(0, len(work), CHUNK_SIZE)]
    process = functools.partial(_process_chunk, max_chars=max_chars, want_signatures=want_signatures)
    bar = _bar(len(work), progress, "cleaning", "article")
    results: list[_Processed] = []
    try:
        # fork starts the workers without re-importing the package (where the platform has it)
        for part in map_chunks(process, chunks, n_jobs=workers, start_method="fork"):
            results.extend(part)  # in input order: deterministic output
            bar.update(len(part))
    finally:
        bar.close()
    return results


def _language_reason(language: str, score: float, stated: bool, supported: tuple[str, ...]) -> str:
    accepted = ", ".join(supported)
    if language == UNDETERMINED:
        return f"language could not be determined (supported: {accepted})"
    how = "stated" if stated else f"detected, confidence {score:.2f}"
    return f"language {language!r} ({how}) is not supported (supported: {accepted})"


def _truncate(text: str, max_chars: int) -> tuple[str, str]:
    """Cut ``text`` to at most ``max_chars`` at the last paragraph, sentence or word boundary."""
    head = text[:max_chars]
    floor = max_chars // 2  # never give up more than half the allowance for a nicer boundary
    cut = head.rfind("\n\n")
    if cut >= floor:
        return head[:cut].rstrip(), "paragraph"
    ends = [match.end() for match in _SENTENCE_END.finditer(head, floor)]
    if ends:
        return head[: ends[-1]].rstrip(), "sentence"
    cut = max(head.rfind(" "), head.rfind("\n"))
    if cut >= floor:
        return head[:cut].rstrip(), "word"
    return head, "character"


def _normalise_dates(
    values: list[str | None], dayfirst: list[bool], reasons: list[str]
) -> list[str | None]:
    """The "YYYY-MM-DD" form of each stated date (None if unusable); notes go into ``reasons``."""
    cache: dict[tuple[str, bool], tuple[str | None, str]] = {}  # many rows share a date
    out: list[str | None] = []
    for i, (value, order) in enumerate(zip(values, dayfirst, strict=True)):
        if value is None:
            out.append(None)
            continue
        key = (value, order)
        if key not in cache:
            cache[key] = _parse_date(value, order)
        parsed, note = cache[key]
        out.append(parsed)
        if note:
            reasons[i] = _join(reasons[i], note)
    return out


def _parse_date(value: str, dayfirst: bool = False) -> tuple[str | None, str]:
    """("YYYY-MM-DD" or None, note): None for an unusable date, with the note saying why.

    A year or month alone is not a date. A date valid in both orders ("05/07/2023") is read
    month first, or day first with ``dayfirst``, and the note says which; a date that starts with
    its year is always year-month-day.
    """
    shown = value if len(value) <= 60 else value[:57] + "..."
    match = _ISO_DATE.match(value)
    if match:
        try:
            return date(*map(int, match.groups())).isoformat(), ""
        except ValueError:
            return None, f"date {shown!r} does not exist; published left empty"
    year_first = bool(_YEAR_FIRST.match(value))
    read, problem = _read_date(value, dayfirst and not year_first)
    if read is None:
        return None, f"date {shown!r} {problem}; published left empty"
    if year_first or not _TWO_SMALL_NUMBERS.search(value):
        return read.isoformat(), ""
    other, _ = _read_date(value, not dayfirst, complete_check=False)
    if other is None or other == read:
        return read.isoformat(), ""
    used, alternative = ("day", "month") if dayfirst else ("month", "day")
    return read.isoformat(), (
        f"date {shown!r} is ambiguous: read {used} first as {read.isoformat()} "
        f"({alternative} first would give {other.isoformat()}; see the dayfirst setting)"
    )


def _read_date(value: str, dayfirst: bool, complete_check: bool = True) -> tuple[date | None, str]:
    """The date dateutil reads in ``value``, or (None, why not)."""
    from dateutil import parser

    # Parsed twice with different defaults: a part the text does not state comes out different,
    # so an incomplete date is caught instead of filled in with today's day.
    defaults = _DATE_DEFAULTS if complete_check else _DATE_DEFAULTS[:1]
    try:
        readings = [parser.parse(value, default=d, dayfirst=dayfirst) for d in defaults]
    except (ValueError, OverflowError, TypeError):
        return None, "could not be read as a date"
    if readings[0].date() != readings[-1].date():
        return None, "is not a complete date (a year or month alone)"
    return readings[0].date(), ""


def _article_ids(
    given: list[Any],
    outlets: list[str],
    titles: list[str],
    texts: list[str],
    sources: list[Any],
    reasons: list[str],
    taken: set[str] | None = None,
) -> list[str]:
    """Given ids as text, else content hashes; repeats get a suffix and a note in ``reasons``.

    ``taken`` holds ids used by earlier chunks of the same input (streaming): they count as
    repeats too, and the set is updated with this chunk's final ids.
    """
    ids = []
    for value, outlet, title, text, source in zip(
        given, outlets, titles, texts, sources, strict=True
    ):
        identifier = _as_id(value)
        if identifier is None:
            # Hash of the content as read (not as cleaned): ids stay put when cleaning improves.
            basis = f"{outlet}\n{title}\n{text}" if text.strip() else f"source\n{source}"
            identifier = hashlib.sha1(basis.encode("utf-8")).hexdigest()[:16]
        ids.append(identifier)
    earlier = taken if taken is not None else set()
    seen = set(ids)
    if len(seen) == len(ids) and earlier.isdisjoint(seen):
        earlier.update(ids)
        return ids
    seen |= earlier
    counts: dict[str, int] = {}
    for i, identifier in enumerate(ids):
        counts[identifier] = counts.get(identifier, 0) + 1
        if counts[identifier] == 1 and identifier not in earlier:
            continue
        number = max(counts[identifier], 2)  # an id first used by an earlier chunk: ~2
        renamed = identifier + ID_SUFFIX.format(n=number)
        while renamed in seen:
            number += 1
            renamed = identifier + ID_SUFFIX.format(n=number)
        seen.add(renamed)
        ids[i] = renamed
        reasons[i] = _join(
            reasons[i], f"id {identifier!r} already used by an earlier row; renamed {renamed!r}"
        )
    earlier.update(ids)
    return ids


# --------------------------------------------------------------------------------------------
# Duplicates


def _duplicates(
    keys: list[tuple[int, int] | None],
    signatures: list[np.ndarray | None],
    ids: list[str],
    threshold: float | None,
) -> tuple[list[str | None], list[str | None]]:
    """Return (duplicate_of, near_duplicate_of): ids of the earliest exact / near copy, or None.

    An exact duplicate is not also checked for near copies; texts under ``SHINGLE_WORDS`` words
    are only checked for exact copies.
    """
    n = len(keys)
    duplicate_of: list[str | None] = [None] * n
    near_of: list[str | None] = [None] * n
    first_with: dict[tuple[int, int], int] = {}
    candidates: list[int] = []
    for row, key in enumerate(keys):
        if key is None:
            continue
        first = first_with.setdefault(key, row)
        if first != row:
            duplicate_of[row] = ids[first]
        elif signatures[row] is not None:
            candidates.append(row)
    if threshold is None or len(candidates) < 2:
        return duplicate_of, near_of
    matrix = np.stack([signatures[row] for row in candidates])
    for position, earlier in enumerate(_near_matches(matrix, threshold).tolist()):
        if earlier >= 0:
            near_of[candidates[position]] = ids[candidates[earlier]]
    return duplicate_of, near_of


def _near_matches(matrix: np.ndarray, threshold: float) -> np.ndarray:
    """Per row of ``matrix`` (MinHash values, one row per text in input order): the earliest
    earlier row sharing an LSH band with it whose estimated Jaccard similarity is at least
    ``threshold``; -1 when none.

    The banding of datasketch's ``MinHashLSH`` (its bands and rows for the threshold; a band is
    shared when its values are equal), so the same pairs are found as when inserting every row into
    its index and querying it first. Computed band by band with numpy: that index holds 25 hash
    tables of Python objects, about 9 KB per article (1.9 GB for 200,000 articles).
    """
    from datasketch.lsh import _optimal_param

    bands, width = _optimal_param(threshold, NUM_PERM, 0.5, 0.5)
    n = len(matrix)
    best = np.full(n, n, dtype=np.int64)  # n: no match yet
    for band in range(bands):
        block = np.ascontiguousarray(matrix[:, band * width : (band + 1) * width])
        keys = block.view(np.dtype((np.void, block.dtype.itemsize * width))).ravel()
        group = np.unique(keys, return_inverse=True)[1].ravel()
        order = np.argsort(group, kind="stable")  # by group; input order inside a group
        starts = np.flatnonzero(np.r_[True, group[order][1:] != group[order][:-1]])
        ends = np.r_[starts[1:], n]
        for start, end in zip(starts.tolist(), ends.tolist(), strict=True):
            if end - start > 1:
                _match_in_bucket(matrix, order[start:end].tolist(), threshold, best)
    return np.where(best < n, best, -1)


def _match_in_bucket(matrix: np.ndarray, rows: list[int], threshold: float, best: np.ndarray) -> None:
    """Lower ``best[row]`` to the earliest earlier row of the bucket similar enough to ``row``."""
    size = np.float64(matrix.shape[1])
    for k, row in enumerate(rows[1:], start=1):
        for earlier in rows[:k]:
            if earlier >= best[row]:
                break
            # As datasketch's MinHash.jaccard: the share of equal values.
            if np.count_nonzero(matrix[row] == matrix[earlier]) / size >= threshold:
                best[row] = earlier
                break


def _signatures(shingles: list[np.ndarray]) -> list[np.ndarray | None]:
    """MinHash values (``NUM_PERM`` of them) per shingle set; None for an empty set."""
    from datasketch import MinHash

    filled = [values for values in shingles if len(values)]
    sketches = iter(
        MinHash.bulk(
            filled, num_perm=NUM_PERM, seed=MINHASH_SEED, hashfunc=_identity, scheme=MINHASH_SCHEME
        )
    )
    return [next(sketches).hashvalues if len(values) else None for values in shingles]


def _identity(value: Any) -> Any:
    return value


_SHINGLE_WEIGHTS = np.array(
    [
        0x9E3779B97F4A7C15,
        0xC2B2AE3D27D4EB4F,
        0x165667B19E3779F9,
        0x27D4EB2F165667C5,
        0xFF51AFD7ED558CCD,
    ],
    dtype=np.uint64,
)[:SHINGLE_WORDS]


def _mix64(values: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser: spreads consecutive integers over 64 bits (wrapping arithmetic)."""
    z = values + np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def _sketch_inputs(
    texts: list[str], *, want_shingles: bool
) -> tuple[list[tuple[int, int]], list[np.ndarray] | None]:
    """Exact-duplicate keys and shingle hashes for a batch of non-empty texts, vectorised.

    Texts are lowercased and split on whitespace (pyarrow). Each word gets a stable 64-bit hash;
    the exact key is (position-weighted sum of word hashes, word count): equal for texts equal up
    to case and spacing. Shingles are hashed word 5-grams (32 bits), distinct, capped to the
    ``MAX_SHINGLES`` smallest; texts shorter than 5 words get no shingles.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    words = pc.utf8_split_whitespace(pc.utf8_lower(pa.array(texts, type=pa.large_string())))
    lengths = pc.list_value_length(words).to_numpy(zero_copy_only=False).astype(np.int64)
    encoded = pc.dictionary_encode(pc.list_flatten(words))
    vocabulary = encoded.dictionary.to_numpy(zero_copy_only=False).astype(object)
    word_hash = pd.util.hash_array(vocabulary)[encoded.indices.to_numpy(zero_copy_only=False)]
    starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))
    owner = np.repeat(np.arange(len(texts)), lengths)
    position = np.arange(len(word_hash), dtype=np.int64) - starts[owner]
    weighted = word_hash * _mix64(position.astype(np.uint64) + np.uint64(1))
    sums = np.zeros(len(texts), dtype=np.uint64)
    filled = lengths > 0  # reduceat needs non-empty segments
    if filled.any():
        sums[filled] = np.add.reduceat(weighted, starts[filled])
    keys = list(zip(sums.tolist(), lengths.tolist(), strict=True))
    if not want_shingles:
        return keys, None

    k = len(_SHINGLE_WEIGHTS)
    m = max(len(word_hash) - k + 1, 0)
    hashes = np.zeros(m, dtype=np.uint64)
    for j in range(k):
        hashes = hashes + word_hash[j : j + m] * _SHINGLE_WEIGHTS[j]
    inside = owner[:m] == owner[k - 1 : k - 1 + m]  # the 5-gram does not cross into the next text
    # One sortable key per (text, shingle): text index in the high 32 bits, shingle hash below.
    combined = np.sort(
        (owner[:m][inside].astype(np.uint64) << np.uint64(32)) | (hashes[inside] >> np.uint64(32))
    )
    distinct = np.ones(len(combined), dtype=bool)
    distinct[1:] = combined[1:] != combined[:-1]
    combined = combined[distinct]  # np.sort + mask: np.unique is far slower here
    text_of = (combined >> np.uint64(32)).astype(np.int64)
    first = np.searchsorted(text_of, np.arange(len(texts)))
    keep = (np.arange(len(combined)) - first[text_of]) < MAX_SHINGLES  # sorted: the smallest first
    combined, text_of = combined[keep], text_of[keep]
    values = (combined & np.uint64(0xFFFFFFFF)).astype(np.uint32)
    bounds = np.searchsorted(text_of, np.arange(len(texts) + 1))
    return keys, [values[bounds[i] : bounds[i + 1]] for i in range(len(texts))]


# --------------------------------------------------------------------------------------------
# Small helpers


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


def _counts(values: pd.Series) -> dict[str, int]:
    counts = values.fillna("(missing)").astype(str).value_counts()
    ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return {name: int(count) for name, count in ordered}


def _bar(total: int, enabled: bool, desc: str, unit: str):
    from tqdm.auto import tqdm

    return tqdm(total=total, disable=not enabled, desc=desc, unit=unit)


def _progress(items: list, enabled: bool, desc: str, unit: str) -> Iterator:
    if not enabled:
        yield from items
        return
    bar = _bar(len(items), True, desc, unit)
    try:
        for item in items:
            yield item
            bar.update(1)
    finally:
        bar.close()
