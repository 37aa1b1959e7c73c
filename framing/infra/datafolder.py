"""Versioned data folders: find one by name or path, read its ``meta.toml`` and tables, hash it.

Lexicons, target sets, boilerplate patterns, abbreviations and voice cues are each a folder
``<name>-v<version>/`` under :func:`framing.runs.paths.lexicons_dir`; codebooks are TOML files bundled in
``framing/data``. Every loader finds, reads and hashes them through this module, so a wrong name, a
broken ``meta.toml`` or a bad row gives the same kind of message everywhere: the file, the line
where known, what is wrong and what is accepted. What a folder's rows *mean* stays with its loader.

Names and paths
    A bare name (``"targets-v1"``, see :func:`framing.runs.paths.is_name`) is looked up under the
    lexicons folder (or, with ``bundled=True``, the package's data folder), then in the current
    folder; anything else (a ``Path``, a string with a separator or a leading ``.``/``~``) is a
    path, tried as given and then under the search folder.
Tables
    ``.tsv`` files are tab-separated with no quoting (a pattern may hold ``"``), everything else is
    CSV. The first row is the header; blank rows are skipped; cells are stripped; a row may leave
    out trailing optional columns. Line numbers are lines of the file (a quoted CSV field may span
    several).
Hashes
    :func:`folder_sha256` covers every file of the folder (relative name, length and content, in
    name order; hidden files and ``__pycache__`` left out; CRLF read as LF so that a Windows
    checkout gives the same digest). Run manifests and trained models record it: the recipe must
    not change.

Examples
--------
>>> folder = resolve("targets-v1", what="target set")
>>> meta = read_meta(folder, what="target set", files=("targets.csv", "aliases.csv"))
>>> meta["name"], folder_sha256(folder) == folder_sha256(folder.parent / "targets-v1")
('targets', True)
>>> rows = read_rows(folder / "targets.csv", ("target", "label", "description"))
>>> next(iter(rows))[0]  # the line number of the first data row
2
"""

from __future__ import annotations

import csv
import difflib
import hashlib
import io
import os
import re
import tomllib
from collections.abc import Collection, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from framing.infra import paths
from framing.infra.errors import DataError, FramingError

__all__ = [
    "META_FILE",
    "Rows",
    "files_sha256",
    "folder_files",
    "folder_sha256",
    "read_meta",
    "read_rows",
    "read_text",
    "read_toml",
    "resolve",
]

#: The description file of every versioned data folder.
META_FILE = "meta.toml"
#: Where tomllib's messages say the error is ("... (at line 3, column 7)").
_TOML_LINE_RE = re.compile(r"at line (\d+), column \d+")


# ---------------------------------------------------------------------------------------------
# Finding a folder or file


def search_folder(bundled: bool = False) -> Path | None:
    """Return the folder bare names are looked up in: the lexicons folder, or the package data.

    Returns None when there is no lexicons folder at all (a broken installation).

    Examples
    --------
    >>> search_folder(bundled=True).name
    'data'
    """
    if bundled:
        return paths.PACKAGE_DIR / "data"
    try:
        return paths.lexicons_dir()
    except FileNotFoundError:
        return None


def _exists(path: Path, suffix: str) -> bool:
    return path.is_file() if suffix else path.is_dir()


def resolve(
    name_or_path: str | os.PathLike,
    *,
    what: str = "lexicon",
    bundled: bool = False,
    suffix: str = "",
    error: type[FramingError] = DataError,
) -> Path:
    """Return the folder (or, with ``suffix``, the file) a name or path stands for, absolute.

    Parameters
    ----------
    name_or_path : str or path
        A bare name (``"targets-v1"``) or a path (module docstring: the rules).
    what : str
        What is looked for, for messages (``"target set"``, ``"codebook"``).
    bundled : bool
        Look bare names up in the package's data folder instead of the lexicons folder.
    suffix : str
        Look for a file with this ending (``".toml"``; a bare name may leave it out) instead of
        a folder.
    error : type
        The error raised when nothing is found (each loader keeps its own kind).

    Returns
    -------
    Path

    Raises
    ------
    FramingError
        Of type ``error``: a path that does not exist, or a name that is not there (the message
        lists the names that are, and the closest one).

    Examples
    --------
    >>> resolve("framing-stance-v1").name
    'framing-stance-v1'
    >>> resolve("codebook-state-v1", what="codebook", bundled=True, suffix=".toml").name
    'codebook-state-v1.toml'
    >>> resolve("targets-v2", what="target set")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    framing.infra.errors.DataError: no target set 'targets-v2' in ... (did you mean targets-v1?); ...
    """
    kind = "file" if suffix else "folder"
    text = os.fspath(name_or_path)
    if not text:
        raise error(f"no {what} given; give a {what} name or a {kind} path")
    root = search_folder(bundled)
    given = Path(text).expanduser()
    if not paths.is_name(name_or_path):
        for candidate in (given, *([root / given] if root and not given.is_absolute() else [])):
            if _exists(candidate, suffix):
                return candidate.resolve()
        raise error(f"{what} {kind} not found: {given.resolve()}")
    names = [text] if text.endswith(suffix) else [text + suffix, text]
    for candidate in [*(root / n for n in names if root), given]:
        if _exists(candidate, suffix):
            return candidate.resolve() if candidate is given else candidate
    raise error(_not_found(text, what, root, suffix, bundled))


def _not_found(name: str, what: str, root: Path | None, suffix: str, bundled: bool) -> str:
    if root is None or not root.is_dir():
        return (f"no {what} {name!r}: there is no lexicons folder (set {paths.LEXICONS_ENV}, "
                f"or give a folder path)")
    available = available_names(root, suffix)
    close = difflib.get_close_matches(name, available, n=1)
    hint = f" (did you mean {close[0]}?)" if close else ""
    listed = f"available bundled {what}s" if bundled else "available lexicons"
    return (f"no {what} {name!r} in {root}{hint}; {listed}: {', '.join(available) or 'none'} "
            f"(or give a {'file' if suffix else 'folder'} path)")


def available_names(root: Path, suffix: str = "") -> list[str]:
    """Names under ``root``: folders holding a ``meta.toml``, or (with ``suffix``) files' stems.

    Examples
    --------
    >>> "targets-v1" in available_names(paths.lexicons_dir())
    True
    """
    if suffix:
        return sorted(p.name[: -len(suffix)] for p in root.glob(f"*{suffix}") if p.is_file())
    return sorted(p.name for p in root.iterdir() if (p / META_FILE).is_file())


# ---------------------------------------------------------------------------------------------
# Reading files


def read_text(path: Path, *, expected: str = "", error: type[FramingError] = DataError) -> str:
    """Return a UTF-8 text file's content (a byte-order mark dropped); errors name file and line.

    Parameters
    ----------
    path : Path
    expected : str
        What the file should be, added to the "not found" message.
    error : type
        The error raised.

    Examples
    --------
    >>> import tempfile
    >>> bad = Path(tempfile.mkdtemp()) / "a.csv"
    >>> _ = bad.write_bytes(b"x\\n\\xe9\\n")
    >>> read_text(bad)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    framing.infra.errors.DataError: .../a.csv:2: not UTF-8 text (byte 2: invalid continuation byte); save it as UTF-8
    """
    if not path.is_file():
        raise error(f"{path}: file not found" + (f"; expected {expected}" if expected else ""))
    try:
        data = path.read_bytes()
    except OSError as err:
        raise error(f"{path}: cannot be read ({err.strerror or err})") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        raise error(f"{path}:{line}: not UTF-8 text (byte {err.start}: {err.reason}); "
                    "save it as UTF-8") from None


def read_toml(path: Path, *, error: type[FramingError] = DataError) -> dict[str, Any]:
    """Parse a UTF-8 TOML file; a syntax error names the file and line.

    Examples
    --------
    >>> import tempfile
    >>> bad = Path(tempfile.mkdtemp()) / "meta.toml"
    >>> _ = bad.write_text('name = "x"\\nversion = [\\n')
    >>> read_toml(bad)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    framing.infra.errors.DataError: .../meta.toml:3: not valid UTF-8 TOML (Invalid value (at end of document))
    """
    text = read_text(path, error=error)
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        found = _TOML_LINE_RE.search(str(err))
        line = int(found.group(1)) if found else text.count("\n") + 1
        raise error(f"{path}:{line}: not valid UTF-8 TOML ({err})") from None


def read_meta(
    folder: Path,
    *,
    what: str = "lexicon",
    files: Sequence[str] = (),
    required: Sequence[str] = (),
    accepted: Collection[str] | None = None,
) -> dict[str, Any]:
    """Read a data folder's ``meta.toml``: present, valid TOML, the required keys, no unknown ones.

    Parameters
    ----------
    folder : Path
    what : str
        What the folder is, for messages (``"target set"``).
    files : sequence of str
        The other files the folder holds, named when ``meta.toml`` is missing.
    required : sequence of str
        Keys that must be present.
    accepted : collection of str, optional
        Every key allowed; None allows any.

    Returns
    -------
    dict
        The parsed table; the loader checks the values.

    Raises
    ------
    DataError
        Missing file, bad TOML (file:line), missing or unknown keys.
    """
    path = folder / META_FILE
    if not path.is_file():
        raise DataError(f"{path}: missing; a {what} folder holds {', '.join((META_FILE, *files))}")
    meta = read_toml(path)
    missing = [key for key in required if key not in meta]
    if missing:
        raise DataError(f"{path}: missing key{'s' if len(missing) > 1 else ''} "
                        f"{', '.join(map(repr, missing))}; required: {', '.join(required)}")
    unknown = sorted(set(meta) - set(accepted)) if accepted is not None else []
    if unknown:
        raise DataError(f"{path}: unknown key(s) {', '.join(unknown)}; accepted: {', '.join(accepted)}")
    return meta


class Rows:
    """The rows of a CSV/TSV table as (line number, row) pairs; problems name the file and line.

    Parameters
    ----------
    path : Path
    columns : sequence of str
        The columns the loader reads, in their documented order.
    optional : collection of str
        Columns that may be missing from the header, or left out at the end of a row ("").
    strict : bool
        Refuse header columns not in ``columns`` (False: keep them in the rows).
    errors : list of str, optional
        Collect problems here instead of raising (a header problem gives no rows; a bad row is
        skipped), so that a loader can report every bad row at once.
    text : str, optional
        The file's content when the loader has read it already.
    """

    def __init__(
        self,
        path: Path,
        columns: Sequence[str],
        *,
        optional: Collection[str] = (),
        strict: bool = True,
        errors: list[str] | None = None,
        text: str | None = None,
    ) -> None:
        self.path, self.columns, self.optional, self._errors = path, tuple(columns), optional, errors
        self.tsv = path.suffix.lower() == ".tsv"
        kind = "tab-separated" if self.tsv else "comma-separated"
        if text is None:
            text = read_text(path, expected=f"a {kind} table with columns {', '.join(columns)}")
        options = {"delimiter": "\t", "quoting": csv.QUOTE_NONE} if self.tsv else {}
        self._reader = csv.reader(io.StringIO(text, newline=""), **options)
        self.header = [h.strip() for h in self._next_row() or []]
        self.ok = self._check_header(strict)

    def _problem(self, message: str) -> None:
        if self._errors is None:
            raise DataError(message)
        self._errors.append(message)

    def _next_row(self) -> list[str] | None:
        try:
            return next(self._reader, None)
        except csv.Error as err:
            raise DataError(f"{self.path}:{self._reader.line_num}: not valid CSV ({err})") from None

    def _check_header(self, strict: bool) -> bool:
        missing = [c for c in self.columns if c not in self.header and c not in self.optional]
        unknown = [c for c in self.header if c not in self.columns] if strict else []
        repeated = len(set(self.header)) != len(self.header)
        if not (missing or unknown or repeated):
            return True
        wrong = [f"lacks column(s) {', '.join(missing)}"] if missing else []
        wrong += [f"has unknown column(s) {', '.join(unknown)}"] if unknown else []
        wrong += ["repeats a column"] if repeated else []
        self._problem(f"{self.path}:1: header {' and '.join(wrong)}; found "
                      f"{', '.join(self.header) or 'nothing'}; expected {', '.join(self.columns)}")
        return False

    def __iter__(self) -> Iterator[tuple[int, dict[str, str]]]:
        if not self.ok:
            return
        width = len(self.header)
        shortest = max((i + 1 for i, c in enumerate(self.header) if c not in self.optional), default=0)
        while (row := self._next_row()) is not None:
            line = self._reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            if not shortest <= len(row) <= width:
                self._problem(
                    f"{self.path}:{line}: {len(row)} {'tab-separated ' if self.tsv else ''}fields, "
                    f"the header has {width} ({', '.join(self.header)})"
                    + ("" if self.tsv else "; quote fields that contain commas")
                )
                continue
            cells = {h: cell.strip() for h, cell in zip(self.header, row, strict=False)}
            yield line, {**dict.fromkeys(self.columns, ""), **cells}


def read_rows(path: Path, columns: Sequence[str], **options: Any) -> Rows:
    """Open a table of a data folder: :class:`Rows` (``optional``, ``strict``, ``errors``, ``text``).

    Examples
    --------
    >>> import tempfile
    >>> table = Path(tempfile.mkdtemp()) / "cues.tsv"
    >>> _ = table.write_text('language\\tterm\\nen\\tsaid\\n\\nen\\t"quote\\n')
    >>> list(read_rows(table, ("language", "term")))
    [(2, {'language': 'en', 'term': 'said'}), (4, {'language': 'en', 'term': '"quote'})]
    """
    return Rows(path, columns, **options)


# ---------------------------------------------------------------------------------------------
# Hashing


def folder_files(folder: Path) -> list[tuple[str, Path]]:
    """The folder's files, recursively, as (relative name, path) sorted by name.

    Hidden files and folders and ``__pycache__`` are left out.
    """
    files = []
    for path in folder.rglob("*"):
        parts = path.relative_to(folder).parts
        if path.is_file() and not any(p.startswith(".") or p == "__pycache__" for p in parts):
            files.append((path.relative_to(folder).as_posix(), path))
    return sorted(files)


def files_sha256(files: Iterable[tuple[str, Path]]) -> str:
    """sha256 over (name, content) pairs in the order given; CRLF is read as LF.

    Each file adds ``name NUL length NUL content``.

    Examples
    --------
    >>> files_sha256([]) == hashlib.sha256().hexdigest()
    True
    """
    digest = hashlib.sha256()
    for name, path in files:
        data = path.read_bytes().replace(b"\r\n", b"\n")
        digest.update(name.encode("utf-8") + b"\0" + str(len(data)).encode("ascii") + b"\0")
        digest.update(data)
    return digest.hexdigest()


def folder_sha256(folder: Path, extra: Iterable[tuple[str, Path]] = ()) -> str:
    """sha256 of a data folder (module docstring), then of ``extra`` (name, path) files in order.

    This is ``Lexicon.sha256`` and ``TargetSet.sha256``, recorded in run manifests and models.
    """
    return files_sha256([*folder_files(folder), *extra])
