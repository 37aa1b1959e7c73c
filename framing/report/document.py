"""The report as data: the blocks both renderers draw, the context the sections read, and the
look-ups they share (figures and their captions, notes on absent tables, rows of a target)."""

from __future__ import annotations

import urllib.parse
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from framing.analysis.report_tables import TABLE_FILES, cell_text, group_labels, nested_get

#: Figure formats embedded in the HTML, in order of preference (PDF is linked only).
EMBED_FORMATS: tuple[str, ...] = ("svg", "png")


@dataclass(frozen=True)
class Cell:
    """One table cell: its text, a numeric sort key, and classes for the renderers."""

    text: str
    sort: float | None = None  # numeric sort key; None: sort as text
    numeric: bool = False
    cls: str = ""


@dataclass(frozen=True)
class Table:
    """A sortable table with a caption and an optional note under it."""

    headers: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    caption: str = ""
    note: str = ""


@dataclass(frozen=True)
class Heading:
    """A heading of ``level`` 2 to 4; level-2 headings make the table of contents."""

    level: int
    text: str
    anchor: str


@dataclass(frozen=True)
class Para:
    """A paragraph of text."""

    text: str


@dataclass(frozen=True)
class Note:
    """A note: what is not shown, and why."""

    text: str


@dataclass(frozen=True)
class Stats:
    """Key figures as (label, value) pairs."""

    items: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Figure:
    """A figure of the run folder: its files by format."""

    stem: str
    caption: str
    files: tuple[tuple[str, str], ...]  # (format, path relative to the run folder)


@dataclass(frozen=True)
class Folded:
    """Figures behind a summary line (many small figures would bury the tables)."""

    summary: str
    figures: tuple[Figure, ...]


@dataclass(frozen=True)
class Passage:
    """An evidence sentence, its term spans and a line about where it comes from."""

    sentence: str
    terms: tuple[dict, ...]
    meta: str


@dataclass(frozen=True)
class Passages:
    """A numbered list of evidence passages."""

    items: tuple[Passage, ...]


@dataclass
class Context:
    """What the sections read: the run folder's manifest, comparison record, tables and figures."""

    run: Path
    title: str
    manifest: dict[str, Any]
    comparison: dict[str, Any]
    tables: dict[str, pd.DataFrame]
    figures: dict[str, dict[str, str]]
    by: tuple[str, ...]
    targets: list[str]
    n_evidence: int
    max_rows: int
    used_figures: set[str] = field(default_factory=set)
    multiverse: dict[str, Any] = field(default_factory=dict)  # multiverse.json, if any


def href(path: str) -> str:
    """A relative file path as a URL path (spaces, brackets and quotes percent-encoded)."""
    return urllib.parse.quote(path, safe="/")


def render_block(block: Any, renderers: Mapping[type, Callable[[Any], str]]) -> str | None:
    """``block`` as text by the renderer of its type (None for a type the renderer skips)."""
    for kind, render in renderers.items():
        if isinstance(block, kind):
            return render(block)
    return None


def numeric_columns(table: Table) -> list[bool]:
    """Per column of ``table``: does any row hold a number there (right-aligned, sorted by value)."""
    return [
        any(row[i].numeric for row in table.rows) if table.rows else False
        for i in range(len(table.headers))
    ]


def target_rows(table: pd.DataFrame, target: str) -> pd.DataFrame:
    """The rows of ``table`` about ``target``."""
    return table[table["target"].map(cell_text) == target]


def cap_rows(
    table: pd.DataFrame,
    max_rows: int,
    order: Sequence[str],
    what: str,
    ascending: bool | Sequence[bool] = True,
) -> tuple[pd.DataFrame, str]:
    """At most ``max_rows`` rows of ``table`` (the first by ``order``) and a note when cut."""
    if len(table) <= max_rows:
        return table, ""
    shown = table.sort_values(
        list(order), ascending=ascending, kind="mergesort", na_position="last"
    ).head(max_rows)
    return shown, f"showing {max_rows} of {len(table)} rows ({what}); the file holds them all"


def absent(ctx: Context, name: str, what: str) -> Note:
    """The note shown for a missing table, with the reason comparison.json records."""
    reason = nested_get(ctx.comparison, "notes", name)
    why = f" ({reason})" if isinstance(reason, str) and reason else ""
    return Note(f"No {TABLE_FILES[name]} in this run folder{why}: {what} not shown.")


def figure_blocks(ctx: Context, stem: str, caption: str) -> list[Figure]:
    """The figure ``stem`` (an empty list when the folder lacks it), marked as shown."""
    files = ctx.figures.get(stem)
    if not files:
        return []
    ctx.used_figures.add(stem)
    return [Figure(stem, caption, tuple(sorted(files.items())))]


def recorded_stem(
    ctx: Context, base: str, kind: str, target: str | None = None, group: str | None = None
) -> str:
    """The stem write_comparison gave the figure of ``kind``/``target``/``group`` (named ``base``
    by :func:`figure_stem`, with a suffix when another figure's name slugged alike)."""
    for record in nested_get(ctx.comparison, "figures", default=[]) or []:
        if not isinstance(record, Mapping) or not isinstance(record.get("stem"), str):
            continue
        shows = (record.get("kind"), record.get("target"), record.get("group"))
        if record.get("base", record["stem"]) == base and shows == (kind, target, group):
            return record["stem"]
    return base


def figure_caption(ctx: Context, stem: str, default: str) -> str:
    """The caption comparison.json records for ``stem``, else ``default``."""
    for record in nested_get(ctx.comparison, "figures", default=[]) or []:
        if isinstance(record, Mapping) and record.get("stem") == stem and record.get("caption"):
            return str(record["caption"])
    return default


def recorded_figure(
    ctx: Context,
    base: str,
    kind: str,
    default: str,
    target: str | None = None,
    group: str | None = None,
) -> list[Figure]:
    """The figure write_comparison drew of ``kind``/``target``/``group`` (named ``base``) with its
    recorded caption, else ``default`` (an empty list when the folder lacks it)."""
    stem = recorded_stem(ctx, base, kind, target, group)
    return figure_blocks(ctx, stem, figure_caption(ctx, stem, default))


def group_word(ctx: Context) -> str:
    """The grouping columns as words ("outlet", "leaning × outlet")."""
    return " × ".join(ctx.by)


def group_list(ctx: Context) -> list[str]:
    """The sorted group labels of the outlet (else the score) table."""
    for name in ("outlet_table", "scores"):
        table = ctx.tables.get(name)
        if table is not None and all(c in table.columns for c in ctx.by):
            return sorted(set(group_labels(table, ctx.by)))
    return []


def scoring_method(ctx: Context) -> str:
    """The scoring method from the manifest, else from the score table."""
    method = nested_get(ctx.manifest, "config", "scoring", "method")
    if isinstance(method, str) and method:
        return method
    scores = ctx.tables.get("scores")
    if scores is not None and "method" in scores.columns:
        return ", ".join(sorted(map(str, scores["method"].dropna().unique())))
    return ""


def page_subtitle(ctx: Context) -> str:
    """The line under the title: what the report shows, experiment and run."""
    parts = ["Stance and framing by outlet"]
    experiment = nested_get(ctx.manifest, "experiment")
    if experiment and str(experiment) != ctx.title:
        parts.append(f"experiment {experiment}")
    run_id = nested_get(ctx.manifest, "run_id")
    if run_id:
        parts.append(f"run {run_id}")
    return " · ".join(parts)


def page_footer(ctx: Context) -> str:
    """The footer line: which framing made the report, and from what."""
    version = nested_get(
        ctx.manifest, "framing_version", default=nested_get(ctx.comparison, "framing_version")
    )
    made = f"framing {version}" if version else "framing"
    return (
        f"Generated by {made} from the tables and figures of this run folder; no statistic "
        "was recomputed for the report. Click a column header to sort a table."
    )
