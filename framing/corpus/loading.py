"""Files to the article table: ``load``, ``read_chunks``, ``articles_from_frame`` and ``summarise``.

``load`` reads text files, CSV/TSV, JSON Lines, JSON, Parquet and HTML, one row per input article
whatever happened to it (see ``schema.STATUSES``), then cleans, identifies the language, normalises
dates, gives ids and flags duplicates; raw data is never edited. ``summarise`` counts the result
for the CLI. The data flow, one module a step: :mod:`~framing.corpus.files` (what to read),
:mod:`~framing.corpus.decoding` (bytes to text), :mod:`~framing.corpus.documents` with
:mod:`~framing.corpus.sidecar` (one article per file) or :mod:`~framing.corpus.tables` (one per
record), then :mod:`~framing.corpus.finish` (with :mod:`~framing.corpus.labels`,
:mod:`~framing.corpus.dates` and :mod:`~framing.corpus.duplicates`).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from framing.corpus.documents import _read_single
from framing.corpus.fields import _concat, _problem_row
from framing.corpus.files import FILE_FORMATS, _expand_inputs, _format_of
from framing.corpus.finish import _finish
from framing.corpus.options import (
    _check_column_map,
    _check_date_bounds,
    _check_dayfirst,
    _check_format,
    _check_language,
    _check_n_jobs,
    _near_duplicate_threshold,
)
from framing.corpus.progress import _progress
from framing.corpus.sidecar import _folder_sidecar, _read_sidecar
from framing.corpus.tables import _from_table, _jsonl_pieces, _parquet_pieces, _read_table
from framing.corpus.values import _normalise_language
from framing.infra import schema
from framing.infra.defaults import DEFAULT_LANGUAGES, MAX_CHARS
from framing.infra.errors import ConfigError, DataError

__all__ = ["articles_from_frame", "load", "read_chunks", "summarise"]


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
    language: str | None = None,
    date_floor: str | date | None = "1900-01-01",
    date_ceiling: str | date | None = None,
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
    language : str, optional
        The language of the short texts (headlines) that cannot be identified alone: fewer than
        ``SHORT_TEXT_CHARS`` characters detected with a probability below ``CONTEXT_CONFIDENCE``,
        or undetermined (:func:`framing.text.language.needs_context`). Long texts keep their
        detected language; a language column in the input wins for every row. Without it such a
        text takes the dominant language of its outlet's reliably identified articles, else of
        the corpus's (:mod:`framing.corpus.languages`); ``language_source`` says which.
    date_floor, date_ceiling : str or date, optional
        Plausible dates ("YYYY-MM-DD"): a date before the floor (default 1900-01-01; None: no
        floor) or after the ceiling (default None: the day of the run) leaves ``published``
        empty, and the ``reason`` says so; ``published_raw`` keeps the stated value.

    Returns
    -------
    pandas.DataFrame
        One row per input article: ``schema.ARTICLE_COLUMNS``, then ``language_source``
        (``schema.LANGUAGE_SOURCES``), then ``published_raw``, then the input's other columns as
        they are. ``source`` is ``path``, ``path#row=N`` (CSV, Parquet,
        JSON arrays; N counts records from 1, the header is not one) or ``path#line=N`` (JSONL).

    Raises
    ------
    ConfigError
        Unknown format, column-map key or bad option.
    DataError
        An input is missing, a folder holds no readable file, or a tabular file lacks a mapped
        column or a text column (a table of headlines only, with a title or headline column and
        no other column, is read as headlines: see :mod:`framing.corpus.tables`). Problems of single files or rows never raise: they become rows
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
    given = _check_language(language)
    bounds = _check_date_bounds(date_floor, date_ceiling)
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
    return _finish(
        raw, supported, max_chars, threshold, progress, workers,
        dayfirst=order, language=given, date_bounds=bounds,
    )


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
    language: str | None = None,
    date_floor: str | date | None = "1900-01-01",
    date_ceiling: str | date | None = None,
) -> Iterator[pd.DataFrame]:
    """Article tables of one big Parquet or JSONL file, ``chunk_size`` records at a time.

    Memory holds one chunk (a Parquet file is read batch by batch, a JSONL file line by line), so
    a corpus larger than memory can be scored piece by piece. Each chunk is what :func:`load`
    gives for those records (same ``source`` numbering, statuses and reasons), except that
    duplicates are flagged, and the outlet's or corpus's language of short texts is found,
    within the chunk only.

    Parameters
    ----------
    path : path
        A ``.parquet`` or ``.jsonl``/``.ndjson`` file (or give ``fmt``).
    chunk_size : int
        Records per chunk (the last one may hold fewer).
    fmt, column_map, supported_languages, max_chars, near_duplicates, dayfirst
        As for :func:`load`.
    language, date_floor, date_ceiling
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
    given = _check_language(language)
    bounds = _check_date_bounds(date_floor, date_ceiling)
    taken = taken_ids if taken_ids is not None else set()
    pieces = _parquet_pieces if kind == "parquet" else _jsonl_pieces
    for number, raw in enumerate(pieces(path, chunk_size, column_map, skip)):
        if number < skip:
            continue
        yield _finish(
            raw, supported, max_chars, threshold, False, 1, taken,
            dayfirst=order, language=given, date_bounds=bounds,
        )


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
    language: str | None = None,
    date_floor: str | date | None = "1900-01-01",
    date_ceiling: str | date | None = None,
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
    language, date_floor, date_ceiling
        As for :func:`load` (the context of short texts is found among these rows only).

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
    given = _check_language(language)
    bounds = _check_date_bounds(date_floor, date_ceiling)
    return _finish(
        raw, supported, max_chars, threshold, False, 1, taken_ids,
        dayfirst=order, language=given, date_bounds=bounds,
    )


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
        (most frequent first), ``by_language_source`` (when the table has ``language_source``), ``n_duplicates`` and ``n_near_duplicates``. Plain ints: JSON-ready.

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
        **(
            {"by_language_source": _counts(articles[schema.ARTICLE_LANGUAGE_SOURCE])}
            if schema.ARTICLE_LANGUAGE_SOURCE in articles.columns
            else {}
        ),
        "n_duplicates": int(articles["duplicate_of"].notna().sum()),
        "n_near_duplicates": int(articles["near_duplicate_of"].notna().sum()),
    }


def _counts(values: pd.Series) -> dict[str, int]:
    counts = values.fillna("(missing)").astype(str).value_counts()
    ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return {name: int(count) for name, count in ordered}
