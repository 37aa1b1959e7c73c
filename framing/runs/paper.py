"""Regenerate every figure and table of the studies from their configs: what ``make paper`` runs.

Each experiment config is run (``pipeline.run_experiment``; cached stages are reused), then its
figures and comparison tables are copied into ``<out>/<experiment>/`` (the experiment name made a
safe folder name, :func:`framing.runs.folders.safe_name`; checked to lie inside ``<out>``, and emptied
only when an earlier ``framing paper`` wrote it): figures under the names that
say what they show (``stance-by-outlet-heatmap.pdf``, ``stance-interval-us.svg``, ...), tables as
CSV (text, so a diff shows what changed) and as LaTeX with booktabs rules beside it
(``outlet_table.tex``, for ``\\input`` in a paper that loads the booktabs package). ``<out>/SHA256SUMS`` lists the sha256 of every file: two
runs of the same configs on the same data and code give the same list (figures are saved
byte-identically, see :func:`framing.analysis.plots.save_figure`).
"""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Sequence
from pathlib import Path

from framing.infra.errors import ConfigError
from framing.infra.tableio import write_csv, write_latex
from framing.runs import config, pipeline
from framing.runs.folders import inside, read_table, safe_name, write_text

#: Comparison tables copied as CSV (those present in the run folder).
PAPER_TABLES: tuple[str, ...] = (
    "outlet_table", "outlet_table_also_by", "contrasts", "frame_table", "same_event",
    "distinguishing_terms", "disagreement_summary", "over_time", "robustness",
)
SUMS_FILE = "SHA256SUMS"


def build_paper(
    configs: Sequence[str | Path],
    out_dir: str | Path,
    *,
    root: str | Path = "reports/runs",
    force: bool = False,
    n_jobs: int | None = None,
    progress: bool = True,
    retrain: bool = False,
) -> dict[str, str]:
    """Run each experiment config and collect its figures and tables under ``out_dir``.

    Parameters
    ----------
    configs : sequence of path
        Experiment configs (TOML with a ``[corpus]`` table).
    out_dir : path
        Where the paper files go (one folder per experiment; emptied first, so nothing stale
        remains).
    root : path
        Folder of run folders (as for ``framing run``).
    force : bool
        Recompute every stage.
    n_jobs : int, optional
        Worker processes.
    progress : bool
        Print one line per experiment and per stage.
    retrain : bool
        Train each run's model again (``framing paper --retrain``); ``force`` alone reuses it.

    Returns
    -------
    dict
        Relative path -> sha256 of every file written (also in ``<out_dir>/SHA256SUMS``).
    """
    out = Path(out_dir)
    say = print if progress else (lambda *a, **k: None)
    if not configs:
        raise ConfigError("no experiment configs given; e.g. framing paper experiments/*.toml")
    loaded = [config.load_config(path) for path in configs]
    folders = _experiment_folders(loaded, out)
    sums: dict[str, str] = {}
    for cfg in loaded:
        say(f"== {cfg.name} ({cfg.source})")
        report = pipeline.run_experiment(cfg, root=root, force=force, n_jobs=n_jobs, progress=progress,
                                         retrain=retrain)
        run_dir = report.parent
        target = folders[cfg.name]
        _clear(target, out)
        (target / "figures").mkdir(parents=True)
        for figure in sorted((run_dir / "figures").glob("*")):
            if figure.is_file():
                shutil.copyfile(figure, inside(target / "figures", safe_name(figure.name)))
        for name in PAPER_TABLES:
            path = run_dir / f"{name}.parquet"
            if path.is_file():
                table = read_table(path)
                write_csv(table, target / f"{name}.csv", float_format="%.6g")
                write_latex(table, target / f"{name}.tex", caption=f"{cfg.name}: {name}")
        shutil.copyfile(report, target / "report.html")
        say(f"   {sum(1 for _ in target.rglob('*') if _.is_file())} files in {target}")
    for path in sorted(out.rglob("*")):
        if path.is_file() and path.name != SUMS_FILE:
            sums[path.relative_to(out).as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()
    write_text("".join(f"{digest}  {name}\n" for name, digest in sorted(sums.items())), out / SUMS_FILE)
    say(f"wrote {out / SUMS_FILE} ({len(sums)} files)")
    return sums


def _experiment_folders(loaded: Sequence[config.ExperimentConfig], out: Path) -> dict[str, Path]:
    """Experiment name -> its folder under ``out``: a safe name, inside ``out``, one per name."""
    folders: dict[str, Path] = {}
    for cfg in loaded:
        folder = inside(out, safe_name(cfg.name))
        # Case too: on macOS and Windows "Daily" and "daily" are one folder.
        clash = [n for n, other in folders.items() if other.name.casefold() == folder.name.casefold()]
        if clash:
            raise ConfigError(
                f"experiments {clash[0]!r} and {cfg.name!r} would share the folder {folder}: "
                "give them names that differ in letters or digits"
            )
        folders[cfg.name] = folder
    return folders


def _clear(target: Path, out: Path) -> None:
    """Delete ``target`` (an experiment folder under ``out``) when an earlier paper wrote it.

    A folder ``framing paper`` did not write (no report.html and nothing of it in the old
    SHA256SUMS) is left alone and refused: deleting it could lose someone's files.
    """
    if not target.exists() and not target.is_symlink():
        return
    if target.is_symlink() or not target.is_dir():
        raise ConfigError(f"{target} exists and is not a folder framing paper wrote; move it away")
    sums = out / SUMS_FILE
    listed = sums.is_file() and any(
        line.split("  ", 1)[-1].startswith(f"{target.name}/")
        for line in sums.read_text(encoding="utf-8", errors="replace").splitlines()
    )
    if listed or (target / "report.html").is_file() or not any(target.iterdir()):
        shutil.rmtree(target)
        return
    raise ConfigError(
        f"{target} exists and was not written by framing paper (no report.html, not in "
        f"{SUMS_FILE}); move it away or choose another output folder (-o)"
    )
