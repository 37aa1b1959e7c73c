"""Write ``report.html`` and ``report.md`` from a run folder's tables and figures.

:func:`build_report` reads a folder that :func:`framing.analysis.report_tables.write_comparison`
filled (``framing compare``, ``framing run``), turns it into blocks (:mod:`framing.report.blocks`)
and renders them twice (:mod:`framing.report.html`, :mod:`framing.report.markdown`). The report
never recomputes a statistic: every mean, interval, p- and q-value it shows is a cell of a table
in the folder. It only selects rows, sorts, formats and counts them.

Run folder contract
-------------------
Every file is optional. A section whose table is absent is left out with a note naming the file
that would fill it; at least one table or figure must be present.

``manifest.json`` (:meth:`framing.runs.folders.Run.write_manifest`)
    Read: ``experiment``, ``run_id``, ``seed``, ``framing_version``, ``code_sha256``, ``git``
    (``sha``, ``dirty``), ``versions``, ``config`` (``description``, ``report.title``,
    ``scoring.method``, ``scoring.lexicon``, ``scoring.model``, ``targets.lexicon``,
    ``compare.*``), ``inputs`` (key path -> {path: sha256}: ``scoring.lexicon``,
    ``targets.lexicon``, ``scoring.model``, ``corpus.inputs``), ``counts`` (``n_articles``,
    ``n_processed``, from ``corpus.summarise``) and, when present, ``lexicons`` (role ``scoring``
    or ``targets`` -> ``{name, version, sha256}``). Never read: ``timings``, ``platform``,
    ``run_dir``, ``command_line`` (they differ between identical runs).
``comparison.json`` (written by :func:`framing.analysis.report_tables.write_comparison`)
    ``settings`` the tables were computed with (``by``, ``random_state``, ``n_boot``,
    ``n_perm``, ``ci``, ``test``, ``min_n``), ``counts`` (``n_articles``, ``n_groups``,
    ``n_targets``, ``n_mentions`` of the score table), ``files`` written, ``figures`` (stem,
    kind, target, group, caption) and ``notes`` (table name -> why it was not computed).
``scores.parquet``
    ``schema.SCORE_COLUMNS`` (plus grouping columns); its ``evidence`` gives the passages.
``outlet_table.parquet``
    :func:`framing.analysis.statistics.outlet_table`; the columns before ``target`` are the
    groups (``by``).
``contrasts.parquet``
    :func:`framing.analysis.statistics.pairwise_contrasts`.
``frame_table.parquet``
    :func:`framing.analysis.frames.frame_table` (target ``""``: frames in whole articles).
``distinguishing_terms.parquet``
    :func:`framing.analysis.terms.distinguishing_terms_by` per target, with a ``target`` column.
``same_event.parquet``
    :func:`framing.analysis.events.same_event`.
``disagreement_summary.parquet``, ``disagreement_examples.parquet``
    :func:`framing.analysis.disagreement.disagreement` (lexicon versus model).
``multiverse.json`` (:data:`framing.analysis.report_tables.MULTIVERSE_FILE`, written by
    :func:`framing.analysis.multiverse.write_multiverse`)
    ``settings`` (``choices``: dimension -> its values, ``choice_labels``, ``baseline``,
    ``hold_share``), ``counts`` (``n_specs``, ``n_contrasts``, ``holds``, ``same_sign``, ``flips``,
    ``not_estimable``), ``figures`` (stem, kind ``specification_curve``, target, caption) and
    ``notes``. Without it the section "Robustness of conclusions" is left out (no note).
``robustness.parquet``
    :func:`framing.analysis.multiverse.robustness`: one row per contrast (``target``, ``pair``,
    ``n_specs``, ``n_estimated``, ``baseline_diff``, ``median_diff``, ``share_same_sign``,
    ``share_excluding_zero``, ``share_reversed``, ``verdict``).
``multiverse.parquet``
    One row per specification and contrast (``spec``, the choices, ``target``, ``pair``,
    ``diff``, ``ci_low``, ``ci_high``, ``baseline``); listed, not shown row by row.
``figures/<stem>.svg|png|pdf``
    Named by :func:`framing.analysis.report_tables.figure_stem` (``stance-by-outlet-heatmap``,
    ``stance-interval-us``, ...);
    any other figure in the folder is shown under "Other figures".

The HTML file is self-contained: figures are embedded as base64 ``data:`` images (SVG preferred:
an SVG shown through ``<img>`` cannot run scripts, and its element ids cannot clash with the
page's), the style and the table-sorting script are inline, and a Content-Security-Policy allows
exactly those two (by their sha256) and ``data:`` images, nothing remote. Every piece of text from
the data (article text, outlet names, terms, ids) is escaped; highlighting escapes the segments
between term spans and never inserts raw text. Output is deterministic: the same folder gives
byte-identical files (no dates, everything sorted).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from framing.analysis import plots
from framing.analysis.report_tables import (
    COMPARISON_FILE,
    FIGURES_DIR,
    MULTIVERSE_FILE,
    TABLE_FILES,
    cell_text,
    nested_get,
    read_json,
)
from framing.infra import tableio
from framing.infra.defaults import MANIFEST_FILE
from framing.infra.errors import ConfigError, DataError
from framing.report.blocks import assemble
from framing.report.cells import column_names
from framing.report.document import Context
from framing.report.evidence import N_EVIDENCE
from framing.report.extra_blocks import AGREEMENT_COLUMNS, EXAMPLE_COLUMNS
from framing.report.html import render_html
from framing.report.markdown import render_markdown

__all__ = ["MAX_ROWS", "REPORT_HTML", "REPORT_MD", "build_report"]


#: Report files written into the run folder.
REPORT_HTML = "report.html"
REPORT_MD = "report.md"
#: Rows shown of a long table (contrasts, same event, examples); the file holds them all.
MAX_ROWS = 200


def _figure_files(run: Path) -> dict[str, dict[str, str]]:
    """Stem -> {format: path relative to the run folder} of ``figures/*.svg|png|pdf``."""
    folder = run / FIGURES_DIR
    found: dict[str, dict[str, str]] = {}
    if not folder.is_dir():
        return found
    for path in sorted(folder.iterdir()):
        fmt = path.suffix.lstrip(".").lower()
        if path.is_file() and fmt in plots.FORMATS and not path.name.startswith("."):
            found.setdefault(path.stem, {})[fmt] = path.relative_to(run).as_posix()
    return found


_NEEDED: dict[str, tuple[str, ...]] = {
    "scores": ("article_id", "target", "score", "label"),
    "outlet_table": ("target", "n_articles", "mean", "ci_low", "ci_high"),
    "contrasts": (
        "target",
        "pair",
        "n_a",
        "n_b",
        "mean_a",
        "mean_b",
        "diff",
        "ci_low",
        "ci_high",
        "p_value",
        "q_value",
        "cliffs_delta",
    ),
    "frame_table": ("target", "category", "n_articles", "article_share"),
    "distinguishing_terms": ("target", "term", "z"),
    "same_event": ("event", "target", "n_articles", "mean", "event_mean", "n_outlets", "deviation"),
    "also_by": ("grouping", "group", "target", "n_articles", "mean"),
    "by_voice": ("voice", "target", "n_articles", "mean"),
    "over_time": ("period", "target", "n_articles", "mean"),
    "disagreement_summary": column_names(AGREEMENT_COLUMNS),
    "disagreement_examples": column_names(EXAMPLE_COLUMNS),
    "robustness": (
        "target",
        "pair",
        "n_specs",
        "n_estimated",
        "share_same_sign",
        "share_excluding_zero",
        "verdict",
    ),
    "multiverse": ("spec", "target", "pair", "diff"),
}
#: The function that writes a table, where it is not write_comparison (named in errors).
_WRITERS: dict[str, str] = {
    "robustness": "framing.analysis.multiverse.write_multiverse",
    "multiverse": "framing.analysis.multiverse.write_multiverse",
}


def _read_tables(run: Path) -> dict[str, pd.DataFrame]:
    tables = {}
    for name, file in TABLE_FILES.items():
        path = run / file
        if not path.is_file():
            continue
        table = tableio.read_table(path)
        missing = [c for c in _NEEDED[name] if c not in table.columns]
        if missing:
            raise DataError(
                f"{path} lacks column(s) {', '.join(missing)}; it has "
                f"{', '.join(map(str, table.columns))}; rewrite it with "
                f"{_WRITERS.get(name, 'framing.analysis.report_tables.write_comparison')}"
            )
        tables[name] = table
    return tables


def _by(
    tables: Mapping[str, pd.DataFrame], comparison: Mapping, manifest: Mapping
) -> tuple[str, ...]:
    outlet = tables.get("outlet_table")
    if outlet is not None:
        columns = list(outlet.columns)
        by = tuple(columns[: columns.index("target")])
        if by:
            return by
    for value in (
        nested_get(comparison, "settings", "by"),
        nested_get(manifest, "config", "compare", "by"),
    ):
        if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
            return tuple(value)
    return ("outlet",)


def _targets(tables: Mapping[str, pd.DataFrame]) -> list[str]:
    found: set[str] = set()
    for name in ("outlet_table", "contrasts", "scores"):
        table = tables.get(name)
        if table is not None and "target" in table.columns:
            found.update(cell_text(t) for t in table["target"].dropna().unique())
    found.discard("")
    return sorted(found)


def build_report(
    run_dir: str | Path,
    *,
    title: str | None = None,
    n_evidence: int = N_EVIDENCE,
    max_rows: int = MAX_ROWS,
) -> dict[str, Path]:
    """Write ``report.html`` and ``report.md`` from a run folder's tables and figures.

    Nothing is recomputed: see the module docstring for the files read (the run folder contract).

    Parameters
    ----------
    run_dir : str or Path
        The run folder.
    title : str, optional
        Report title (default: the manifest's ``report.title``, else its experiment name, else
        "framing report").
    n_evidence : int, default 3
        Evidence sentences per group and target.
    max_rows : int, default 200
        Rows shown of a long table (contrasts, same event, examples).

    Returns
    -------
    dict of str to Path
        ``{"html": <run>/report.html, "markdown": <run>/report.md}``.

    Raises
    ------
    DataError
        The folder does not exist, holds no table or figure of the contract, or a file is
        unreadable or lacks columns (the message names the file).

    Examples
    --------
    >>> build_report("reports/runs/demo/3f9c2a7be041")  # doctest: +SKIP
    {'html': PosixPath('.../report.html'), 'markdown': PosixPath('.../report.md')}
    """
    run = Path(run_dir)
    if not run.is_dir():
        raise DataError(
            f"run folder not found: {run}; give the folder written by framing compare "
            "or framing run"
        )
    for name, value in (("n_evidence", n_evidence), ("max_rows", max_rows)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
            raise ConfigError(f"{name}={value!r} is not accepted; give a positive int")
    manifest = read_json(run / MANIFEST_FILE)
    comparison = read_json(run / COMPARISON_FILE)
    multiverse = read_json(run / MULTIVERSE_FILE)
    tables = _read_tables(run)
    figures = _figure_files(run)
    if not tables and not figures:
        raise DataError(
            f"nothing to report in {run}: none of {', '.join(TABLE_FILES.values())} and no "
            f"figures/; run write_comparison (framing compare) first"
        )
    if title is None:
        title = next(
            (
                str(t)
                for t in (
                    nested_get(manifest, "config", "report", "title"),
                    nested_get(manifest, "experiment"),
                )
                if t
            ),
            "framing report",
        )
    ctx = Context(
        run=run,
        title=str(title),
        manifest=manifest,
        comparison=comparison,
        tables=tables,
        figures=figures,
        by=_by(tables, comparison, manifest),
        targets=_targets(tables),
        n_evidence=int(n_evidence),
        max_rows=int(max_rows),
        multiverse=multiverse,
    )
    blocks = assemble(ctx)
    html_path = tableio.write_text(render_html(ctx, blocks), run / REPORT_HTML)
    md_path = tableio.write_text(render_markdown(ctx, blocks), run / REPORT_MD)
    return {"html": html_path, "markdown": md_path}
