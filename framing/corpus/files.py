"""Inputs to the files to read: folders walked, formats told from endings, bytes read safely.

A folder is read recursively (sorted, hidden files skipped); its top-level ``metadata.csv`` or
``metadata.jsonl`` is a sidecar, never an article. Named pipes, sockets, devices, broken links and
links out of the folder are never opened: each becomes one "unreadable" row saying why.
"""

from __future__ import annotations

import errno
import logging
import os
import stat
from collections.abc import Iterable
from pathlib import Path
from typing import NamedTuple

from framing.infra.errors import ConfigError, DataError

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
#: Sidecar files at the top of a folder of text/HTML files (never read as articles).
SIDECAR_NAMES: tuple[str, ...] = ("metadata.csv", "metadata.jsonl")


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


def _accepted_formats() -> str:
    return ", ".join(f"{name} ({'/'.join(ends)})" for name, ends in FORMATS.items())


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


def _read_bytes(path: Path) -> tuple[bytes | None, str]:
    """The file's bytes, or (None, why not). A named pipe or device is never opened (it may block)."""
    try:
        if not stat.S_ISREG(path.stat().st_mode):
            return None, _special_file(path)
        return path.read_bytes(), ""
    except OSError as err:
        return None, f"cannot read file: {err.strerror or err}"
