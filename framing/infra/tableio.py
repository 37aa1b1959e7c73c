"""Tables in and out: atomic writes, Parquet/CSV tables, LaTeX tables, safe names and hashes.

Every file framing writes goes through here: :func:`write_text`, :func:`write_json` and
:func:`write_table` write atomically (a temporary file renamed into place), :func:`read_table`
reads a table back and checks its columns, :func:`safe_name` and :func:`inside` keep names from
the corpus inside the output folder, :func:`check_outputs` refuses an output that is an input,
:func:`file_sha256` / :func:`folder_sha256` / :func:`table_sha256` give the digests of manifests
and caches, and :func:`latex_table` writes a table a paper can print (booktabs).

CSV files for people: cells that a spreadsheet would run as a formula are neutralised.

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
import dataclasses
import errno
import hashlib
import io
import json
import os
import re
import tempfile
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from framing.infra.errors import ConfigError, DataError
from framing.infra.schema import ARTICLE_COLUMNS, MENTION_COLUMNS, SENTENCE_COLUMNS

_REQUIRED = {
    "articles": ARTICLE_COLUMNS,
    "sentences": SENTENCE_COLUMNS,
    "mentions": MENTION_COLUMNS,
}

#: Longest name :func:`safe_name` returns (file systems allow 255 bytes; leave room for suffixes).
MAX_NAME = 100

# Characters allowed in a path component; everything else becomes "_".
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
# Device names Windows refuses as file names, whatever the extension.
_RESERVED = {
    "CON",
    "PRN",
    "AUX",
    "NUL",
    *(f"COM{i}" for i in range(1, 10)),
    *(f"LPT{i}" for i in range(1, 10)),
}
_CHUNK = 1 << 20
# mkstemp creates files readable by the owner only; give written files the usual permissions.
_UMASK = os.umask(0)
os.umask(_UMASK)

__all__ = [
    "FORMULA_START",
    "check_outputs",
    "csv_quoting",
    "csv_text",
    "file_sha256",
    "folder_sha256",
    "inside",
    "latex_table",
    "neutralise",
    "neutralise_cell",
    "read_csv",
    "read_table",
    "restore",
    "restore_cell",
    "safe_name",
    "table_sha256",
    "write_csv",
    "write_json",
    "write_latex",
    "write_table",
    "write_text",
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
    return write_text(csv_text(table, **to_csv), path)


def read_csv(source: str | os.PathLike | io.StringIO, **read_csv: Any) -> pd.DataFrame:
    """``pandas.read_csv(source, **read_csv)`` with the cells :func:`neutralise` escaped restored."""
    return restore(pd.read_csv(source, **read_csv))


# --------------------------------------------------------------------------------------------
# Names and atomic writes


def latex_table(table: pd.DataFrame, *, precision: int = 3, caption: str | None = None) -> str:
    """Return ``table`` as a LaTeX ``tabular`` with booktabs rules, ready for ``\\input``.

    Text is escaped for LaTeX (``&``, ``%``, ``_``, ``#``, ``$``, braces...), numbers are
    printed with ``precision`` decimals, missing values as empty cells, the index is left out.
    The document needs ``\\usepackage{booktabs}``. Deterministic: the same table gives the same
    text.

    Examples
    --------
    >>> t = pd.DataFrame({"outlet": ["A & B"], "mean": [-0.1234], "n": [12]})
    >>> print(latex_table(t))
    \\begin{tabular}{lrr}
    \\toprule
    outlet & mean & n \\\\
    \\midrule
    A \\& B & -0.123 & 12 \\\\
    \\bottomrule
    \\end{tabular}
    <BLANKLINE>
    """
    shown = table.reset_index(drop=True)
    shown.columns = [str(c) for c in shown.columns]
    styler = shown.style.hide(axis="index").format(precision=precision, na_rep="", escape="latex")
    styler = styler.format_index(escape="latex", axis="columns")
    text = styler.to_latex(hrules=True, column_format="".join(
        "r" if pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype) else "l"
        for dtype in shown.dtypes
    ))
    if caption:
        text = f"% {caption}\n{text}"
    return text


def write_latex(table: pd.DataFrame, path: str | os.PathLike, **options: Any) -> Path:
    """Write :func:`latex_table` of ``table`` to ``path`` atomically (UTF-8, LF line ends)."""
    return write_text(latex_table(table, **options), path)


def safe_name(name: str) -> str:
    """Return ``name`` as one safe path component: letters, digits, ``.``, ``_`` and ``-`` only.

    Separators and other characters become ``_``; leading dots are dropped (no ``..``, no hidden
    files); an empty result is ``_``; long names are cut to ``MAX_NAME`` characters. Distinct names
    may map to the same safe name (``"a/b"`` and ``"a_b"``). Idempotent.

    Examples
    --------
    >>> safe_name("../../x"), safe_name("EU Japan 2023"), safe_name("..")
    ('_.._x', 'EU_Japan_2023', '_')
    """
    text = _UNSAFE.sub("_", str(name)).lstrip(".")[:MAX_NAME].rstrip(".")
    if not text:
        return "_"
    if text.split(".")[0].upper() in _RESERVED:
        text = f"_{text}"[:MAX_NAME]
    return text


def inside(folder: str | os.PathLike, *parts: str | os.PathLike) -> Path:
    """Return ``folder / parts``, refusing a result that is not strictly inside ``folder``.

    Every writer that joins a name from a config or from data to its output folder goes
    through this check (after :func:`safe_name`, where the name is data): ``".."``, an absolute
    name, a NUL byte or a symbolic link leading out of the folder raise instead of writing (or
    deleting) elsewhere.

    Raises
    ------
    ConfigError
        The joined path is the folder itself or lies outside it.

    Examples
    --------
    >>> inside("out", "demo", "figures").as_posix()
    'out/demo/figures'
    >>> inside("out", "../victim")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    framing.infra.errors.ConfigError: 'out/../victim' would lie outside the output folder out; ...
    """
    path = Path(folder).joinpath(*parts)
    shown = "/".join(os.fspath(p) for p in (folder, *parts))
    try:
        base, real = Path(folder).resolve(), path.resolve()
    except (ValueError, OSError) as err:  # a NUL byte, a symlink loop
        raise ConfigError(f"{shown!r} is not a usable path inside {folder}: {err}") from None
    if real == base or not real.is_relative_to(base):
        raise ConfigError(
            f"{shown!r} would lie outside the output folder {folder}; names from configs and "
            "data must be plain file names"
        )
    return path


def _file_key(path: Path) -> tuple[Any, ...]:
    """Identity of a file: device and inode when it exists (hard links, case-insensitive file
    systems), else its absolute resolved path."""
    try:
        stat = path.stat()
    except (OSError, ValueError):
        return ("path", str(path.resolve()))
    return ("inode", stat.st_dev, stat.st_ino)


def check_outputs(
    outputs: Mapping[str, str | os.PathLike | Iterable[str | os.PathLike] | None],
    inputs: Mapping[str, str | os.PathLike | Iterable[str | os.PathLike] | None] | None = None,
    *,
    folders: Mapping[str, str | os.PathLike | Iterable[str | os.PathLike] | None] | None = None,
) -> None:
    """Refuse an output file that is the same file as an input or as another output.

    Call it before a command reads or writes anything. Keys are what the user typed (``"-o"``,
    ``"--frames"``, ``"ARTICLES"``), values a path, several paths or None (option not given).
    ``folders``: input folders whose every file is read (``framing ingest``): an output inside
    one would be read back as input by the next run, and is refused too.

    Raises
    ------
    ConfigError
        ``-o a.parquet is the same file as ARTICLES (a.parquet)``: one line naming both.

    Examples
    --------
    >>> check_outputs({"-o": "s.parquet", "--frames": "f.parquet"}, {"ARTICLES": "a.parquet"})
    >>> check_outputs({"-o": "a.parquet"}, {"ARTICLES": "a.parquet"})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    framing.infra.errors.ConfigError: -o a.parquet is the same file as ARTICLES (a.parquet); ...
    """

    def pairs(table: Mapping[str, Any] | None) -> list[tuple[str, Path]]:
        """(label, path) for every path of ``table``."""
        found = []
        for label, value in (table or {}).items():
            if value is None:
                continue
            many = not isinstance(value, str | os.PathLike)
            found.extend((label, Path(v)) for v in (value if many else [value]))
        return found

    seen: dict[tuple[Any, ...], tuple[str, Path]] = {}
    for label, path in pairs(inputs):
        seen.setdefault(_file_key(path), (label, path))
    for label, path in pairs(outputs):
        key = _file_key(path)
        if key in seen:
            other, where = seen[key]
            raise ConfigError(
                f"{label} {path} is the same file as {other} ({where}); write the output to "
                "another file"
            )
        seen[key] = (label, path)
        for other, folder in pairs(folders):
            if path.resolve().is_relative_to(folder.resolve()):
                raise ConfigError(
                    f"{label} {path} lies inside the input folder {other} ({folder}): it would be "
                    "read back as input; write the output outside that folder"
                )


def write_error(path: str | os.PathLike, err: OSError) -> DataError:
    """A one-line error naming the file that could not be written and why (full disk...)."""
    reason = err.strerror or str(err) or type(err).__name__
    hint = "; free some disk space or write elsewhere" if err.errno == errno.ENOSPC else ""
    return DataError(f"cannot write {path}: {reason}{hint}")


def _atomic(path: str | os.PathLike, write: Callable[[str], None]) -> Path:
    """Call ``write(tmp)`` on a temporary file beside ``path``, then rename it onto ``path``.

    Raises ``DataError`` naming ``path`` when the OS refuses (full disk, no permission).
    """
    try:
        return _atomic_write(Path(path), write)
    except OSError as err:  # pyarrow's write errors are OSErrors too
        raise write_error(path, err) from err


def _atomic_write(path: Path, write: Callable[[str], None]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(tmp)
        os.chmod(tmp, 0o666 & ~_UMASK)
        # On disk before the rename: after a power cut the name holds the old or the new content,
        # never an empty file (a rename can reach the disk before the data it points to).
        with open(tmp, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def write_text(text: str, path: str | os.PathLike) -> Path:
    """Write ``text`` to ``path`` as UTF-8 (LF line ends) atomically; return ``path``."""
    return _atomic(path, lambda tmp: Path(tmp).write_text(text, encoding="utf-8", newline="\n"))


def write_json(data: Any, path: str | os.PathLike) -> Path:
    """Write ``data`` as JSON atomically: sorted keys, 2-space indent, UTF-8, final newline.

    Examples
    --------
    >>> write_json({"b": 1, "a": [1, 2]}, "out/x.json")  # doctest: +SKIP
    """
    text = json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    return write_text(text, path)


def write_table(table: pd.DataFrame, path: str | Path) -> Path:
    """Write ``table`` to ``path`` (.parquet or .csv) atomically: a temporary file, then a rename.

    CSV is for people: formula cells are neutralised (:mod:`framing.infra.tableio`); Parquet keeps the
    raw values.
    """

    def write(tmp: str) -> None:
        if Path(path).suffix == ".csv":
            Path(tmp).write_text(csv_text(table), encoding="utf-8", newline="")
        else:
            table.to_parquet(tmp, index=False)

    return _atomic(path, write)


#: Columns of the tool's tables that hold ids, names or text: a CSV gives them back as written
#: ("007", "1e3", "NA"), never as numbers or missing values. So does every other "..._id" column.
_CSV_TEXT_COLUMNS = frozenset(
    {
        *(c for c in ARTICLE_COLUMNS if c != "language_score"),
        "published_raw",
        "id",
        "section",
        "target",
        "sentence",
        "voice",
        "method",
        "label",
    }
)
#: "..._id" columns that are numbers.
_CSV_NUMERIC_IDS = frozenset({"sent_id"})


def _csv_text_columns(path: Path) -> dict[str, type]:
    """``dtype`` for ``read_csv``: str for the id, name and text columns of the CSV at ``path``.

    Missing cells are the empty ones only (``keep_default_na=False``): ``write_table`` writes a
    missing value as an empty cell, and an outlet or id "NA" is text.
    """
    header = pd.read_csv(path, nrows=0).columns
    return {
        column: str
        for column in map(str, header)
        if column in _CSV_TEXT_COLUMNS
        or (column.endswith("_id") and column not in _CSV_NUMERIC_IDS)
    }


def read_table(path: str | Path, *, kind: str | None = None) -> pd.DataFrame:
    """Read a table written by ``write_table``; with ``kind``, check its required columns."""

    path = Path(path)
    try:
        if path.suffix == ".csv":
            table = read_csv(
                path, dtype=_csv_text_columns(path), keep_default_na=False, na_values=[""]
            )
        else:
            table = pd.read_parquet(path)
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


# --------------------------------------------------------------------------------------------
# Hashes


def file_sha256(path: str | os.PathLike) -> str:
    """Return the sha256 of a file's bytes, as ``sha256sum`` prints it (read in chunks).

    Parameters
    ----------
    path : path
        The file.

    Returns
    -------
    str
        64 hex characters.
    """
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _listed(path: Path, root: Path) -> bool:
    return not any(
        part.startswith(".") or part == "__pycache__" for part in path.relative_to(root).parts
    )


def folder_sha256(path: str | os.PathLike, *, pattern: str = "*") -> str:
    """Return a sha256 over a folder's files: relative names and contents, in sorted name order.

    Hidden files and folders and ``__pycache__`` are left out, so the digest is the same on any
    machine and after byte-compiling. For files with LF line ends it equals ``Lexicon.sha256``.

    Parameters
    ----------
    path : path
        The folder.
    pattern : str
        Glob of the files to include, searched recursively (``"*.py"``).

    Returns
    -------
    str
        64 hex characters. An empty folder has a digest too (that of no files).
    """
    root = Path(path)
    if not root.is_dir():
        raise DataError(f"not a folder: {root}")
    files = sorted(
        (p for p in root.rglob(pattern) if p.is_file() and _listed(p, root)),
        key=lambda p: p.relative_to(root).as_posix(),
    )
    digest = hashlib.sha256()
    for file in files:
        digest.update(file.relative_to(root).as_posix().encode("utf-8") + b"\0")
        digest.update(str(file.stat().st_size).encode("ascii") + b"\0")
        with open(file, "rb") as fh:
            while chunk := fh.read(_CHUNK):
                digest.update(chunk)
    return digest.hexdigest()


def _plain(value: Any) -> Any:
    """A cell or setting as JSON types: arrays and tuples as lists, numpy scalars as Python ones."""
    if isinstance(value, np.ndarray):
        return [_plain(v) for v in value.tolist()]
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, np.generic):
        return _plain(value.item())
    if isinstance(value, os.PathLike):
        return Path(value).as_posix()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _plain({f.name: getattr(value, f.name) for f in dataclasses.fields(value)})
    if value is pd.NA or value is pd.NaT or (isinstance(value, float) and value != value):
        return None  # JSON has no NaN; missing is missing
    return value


def _canonical(value: Any) -> str:
    return json.dumps(
        _plain(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    )


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def table_sha256(table: pd.DataFrame) -> str:
    """Return a sha256 of a table's column names and values, row by row, in order.

    The index is ignored, and so are dtypes that hold the same values (``object`` or ``str``
    strings). Cells holding lists, arrays or dicts are hashed through their JSON form, so a list
    column hashes the same before and after a Parquet round trip (which returns arrays).

    Parameters
    ----------
    table : DataFrame

    Returns
    -------
    str
        64 hex characters.

    Examples
    --------
    >>> a = pd.DataFrame({"x": [1, 2]})
    >>> table_sha256(a) == table_sha256(a.set_axis([5, 6])) != table_sha256(a[::-1])
    True
    """
    digest = hashlib.sha256()
    digest.update(_canonical([str(c) for c in table.columns]).encode("utf-8"))
    digest.update(f"\0{len(table)}\0".encode("ascii"))
    for i in range(table.shape[1]):
        column = table.iloc[:, i]
        try:
            hashed = pd.util.hash_pandas_object(column, index=False)
        except TypeError:  # unhashable cells (lists, arrays, dicts)
            hashed = pd.util.hash_pandas_object(column.map(_canonical).astype(object), index=False)
        digest.update(hashed.to_numpy(dtype="uint64").tobytes())
    return digest.hexdigest()
