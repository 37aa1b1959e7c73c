"""The comparison step of a run folder: compute its tables, draw its figures, name both.

:func:`write_comparison` computes the comparison tables with :mod:`framing.analysis.statistics`
(and its siblings) and draws the figures with :mod:`framing.analysis.plots` into a run folder,
under the file names of :data:`TABLE_FILES` and the stems of :func:`figure_stem`;
``comparison.json`` records the settings, counts, files written and what was not computed (and
why). :func:`framing.report.build.build_report` reads that folder and never recomputes a
statistic (the run folder contract is in :mod:`framing.report.build`). The small helpers below
(grouping columns, group labels, slugs, nested look-ups, reading JSON) are shared with
:mod:`framing.report`, so that both sides name groups and figures alike.
"""

from __future__ import annotations

import hashlib
import json
import zlib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import framing
from framing.analysis import plots, statistics
from framing.analysis.disagreement import disagreement
from framing.analysis.events import same_event
from framing.analysis.frames import frame_table
from framing.analysis.terms import distinguishing_terms_by, language_name, target_names
from framing.infra import schema, tableio
from framing.infra.errors import ConfigError, DataError
from framing.text.language import detect_languages

__all__ = [
    "COMPARISON_FILE",
    "MULTIVERSE_FILE",
    "FIGURES_DIR",
    "TABLE_FILES",
    "figure_stem",
    "write_comparison",
]


#: What :func:`write_comparison` records about the tables it computed.
COMPARISON_FILE = "comparison.json"
#: Figures sub-folder of a run folder.
FIGURES_DIR = "figures"
#: Tables of the run folder contract: name -> file.
TABLE_FILES: dict[str, str] = {
    "scores": "scores.parquet",
    "outlet_table": "outlet_table.parquet",
    "contrasts": "contrasts.parquet",
    "frame_table": "frame_table.parquet",
    "distinguishing_terms": "distinguishing_terms.parquet",
    "same_event": "same_event.parquet",
    "disagreement_summary": "disagreement_summary.parquet",
    "also_by": "outlet_table_also_by.parquet",
    "by_voice": "outlet_table_by_voice.parquet",
    "over_time": "over_time.parquet",
    "disagreement_examples": "disagreement_examples.parquet",
    # Written by framing.analysis.multiverse.write_multiverse (recorded in multiverse.json).
    "multiverse": "multiverse.parquet",
    "robustness": "robustness.parquet",
}
#: What :func:`framing.analysis.multiverse.write_multiverse` records: choices, specifications,
#: counts, files and figures of the multiverse (specification curve) of a run.
MULTIVERSE_FILE = "multiverse.json"
#: Bumped when the layout of comparison.json changes.
COMPARISON_FORMAT = 1
#: Distinguishing terms listed per group and target.
N_TERMS = 10
#: Above this many groups, per-pair and per-group figures are not drawn (tables still are):
#: 20 outlets make 190 pairs, a forest plot nobody can read.
MAX_FIGURE_GROUPS = 12


def is_missing(value: Any) -> bool:
    """Whether a table cell is missing (None or NA); list-like cells never are."""
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # list-like values are not missing
        return False


def cell_text(value: Any) -> str:
    """A cell as text; a missing cell is "(missing)"."""
    return "(missing)" if is_missing(value) else str(value)


def as_by(by: str | Sequence[str]) -> tuple[str, ...]:
    """The grouping columns as a tuple (a single column name is accepted)."""
    if isinstance(by, str):
        return (by,)
    by = tuple(by)
    if not by or not all(isinstance(c, str) and c for c in by):
        raise ConfigError(f"by={by!r} is not accepted; give a column name or a sequence of them")
    return by


def group_name(by: Sequence[str]) -> str:
    """The column holding the group of a comparison (several ``by`` columns: joined)."""
    return by[0] if len(by) == 1 else "+".join(by)


def group_labels(table: pd.DataFrame, by: Sequence[str]) -> list[str]:
    """The group label of each row: the ``by`` values joined with " · "."""
    return [
        " · ".join(cell_text(v) for v in values)
        for values in zip(*(table[c] for c in by), strict=True)
    ]


def with_group(table: pd.DataFrame, by: Sequence[str]) -> pd.DataFrame:
    """``table`` plus the group column of :func:`group_name` (a copy only when it is new)."""
    if len(by) == 1:
        return table
    return table.assign(**{group_name(by): group_labels(table, by)})


def slug(*parts: Any) -> str:
    """A file-name slug; names without any ASCII letter or digit get a stable hash instead."""
    try:
        return plots.figure_name(*parts)
    except ConfigError:
        text = "\x1f".join(str(p) for p in parts)
        return f"x{zlib.crc32(text.encode('utf-8')):08x}"


#: Longest figure stem: long names are cut and given a hash of the whole stem (file systems
#: refuse names over 255 bytes; the format, a de-duplication suffix and a temporary prefix
#: are added to it).
MAX_STEM = 80


def _short(stem: str) -> str:
    """``stem``, or when longer than ``MAX_STEM`` its start plus a short hash of all of it."""
    if len(stem) <= MAX_STEM:
        return stem
    digest = hashlib.sha256(stem.encode("utf-8")).hexdigest()[:8]
    return f"{stem[: MAX_STEM - 9].rstrip('-')}-{digest}"


def figure_stem(
    kind: str,
    *,
    target: str | None = None,
    group: str | None = None,
    by: Sequence[str] = ("outlet",),
) -> str:
    """The file stem (under ``figures/``) of a report figure, named by what it shows.

    Parameters
    ----------
    kind : {"heatmap", "interval", "distribution", "difference", "frames", "terms"}
        The figure.
    target : str, optional
        The target it shows ("" or None for article-level frames).
    group : str, optional
        The group (distinguishing terms only).
    by : sequence of str
        The grouping columns (heatmap only).

    Returns
    -------
    str

    Examples
    --------
    >>> figure_stem("heatmap"), figure_stem("interval", target="US")
    ('stance-by-outlet-heatmap', 'stance-interval-us')
    >>> figure_stem("frames", target=""), figure_stem("terms", target="CN", group="Daily Planet")
    ('frames-article-level', 'distinguishing-terms-cn-daily-planet')
    """
    if kind == "heatmap":
        return _short(slug("stance by", *by, "heatmap"))
    if kind in ("interval", "distribution", "difference"):
        return _short(slug("stance", kind, slug(target)))
    if kind == "frames":
        return _short(slug("frames", slug(target) if target else "article level"))
    if kind == "over_time":
        return _short(slug("stance over time", slug(target)))
    if kind == "terms":
        return _short(slug("distinguishing terms", slug(target) if target else "all", slug(group)))
    raise ConfigError(
        f"figure kind {kind!r} is not known; accepted: heatmap, interval, distribution, "
        "difference, frames, terms"
    )


def nested_get(mapping: Any, *keys: str, default: Any = None) -> Any:
    """``mapping[keys[0]][keys[1]]...``, or ``default`` where a key or a mapping is missing."""
    for key in keys:
        if not isinstance(mapping, Mapping) or key not in mapping:
            return default
        mapping = mapping[key]
    return mapping


def read_json(path: Path) -> dict[str, Any]:
    """The JSON object in ``path``; ``{}`` when there is no such file."""
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as err:
        raise DataError(
            f"cannot read {path}: {err}; rewrite it (or delete it to go without)"
        ) from None
    if not isinstance(data, dict):
        raise DataError(f"{path} holds {type(data).__name__}; expected a JSON object")
    return data


def _lookup(by: Sequence[str], *tables: pd.DataFrame | None) -> pd.DataFrame | None:
    """``article_id`` and the ``by`` columns, one row per article, from the first table with
    them."""
    for table in tables:
        if table is not None and all(c in table.columns for c in ("article_id", *by)):
            return table[["article_id", *by]].drop_duplicates("article_id")
    return None


def _attach(
    table: pd.DataFrame, by: Sequence[str], lookup: pd.DataFrame | None, name: str
) -> pd.DataFrame:
    """``table`` with the ``by`` columns it lacks joined from ``lookup`` by article_id."""
    lacking = [c for c in by if c not in table.columns]
    if not lacking:
        return table
    if lookup is None or "article_id" not in table.columns:
        raise ConfigError(
            f"the {name} table lacks the grouping column(s) {', '.join(lacking)} and no table "
            f"given has them with article_id; pass articles with these columns, or change by"
        )
    return table.merge(
        lookup[["article_id", *lacking]], on="article_id", how="left", validate="many_to_one"
    )


class _Writer:
    """Collects what write_comparison writes: files, figure records and notes."""

    def __init__(self, run_dir: Path, formats: Sequence[str], titles: bool = False) -> None:
        self.run_dir = run_dir
        self.formats = tuple(formats)
        self.titles = titles  # each figure carries its caption as its title (paper export)
        self.files: dict[str, Path] = {}
        self.figures: list[dict[str, Any]] = []
        self.notes: dict[str, str] = {}

    def table(self, name: str, table: pd.DataFrame) -> None:
        path = self.run_dir / TABLE_FILES[name]
        tableio.write_table(table.reset_index(drop=True), path)
        self.files[name] = path

    def figure(self, ax: Any, stem: str, **record: Any) -> None:
        """Save a figure under ``stem`` (made unique, see :meth:`unique`) and record it."""
        unique = self.unique(stem, record)
        if self.titles and record.get("caption"):
            plots.add_title(ax, record["caption"])
        folder = self.run_dir / FIGURES_DIR
        paths = plots.save_figure(ax, tableio.inside(folder, unique), self.formats)
        for path in paths:
            self.files[f"{FIGURES_DIR}/{path.name}"] = path
        self.figures.append({"stem": unique, "base": stem, **record})

    def target_figure(self, ax: Any, kind: str, target: str, caption: str) -> None:
        """Save and record the figure of ``kind`` about one ``target`` (named by both)."""
        stem = figure_stem(kind, target=target)
        self.figure(ax, stem, kind=kind, target=target, group=None, caption=caption)

    def unique(self, stem: str, record: Mapping[str, Any]) -> str:
        """``stem``, or ``stem`` plus a short hash of what the figure shows when an earlier figure
        of this call has that stem ("Daily A" and "daily-a", "Le Monde" and "Le Mondé" slug
        alike): no figure overwrites another. The same inputs give the same names."""
        taken = {f["stem"] for f in self.figures}
        if stem not in taken:
            return stem
        shows = [stem, *(record.get(k) for k in ("kind", "target", "group"))]
        digest = hashlib.sha256(json.dumps(shows, ensure_ascii=False).encode("utf-8")).hexdigest()
        candidate, number = f"{stem}-{digest[:8]}", 2
        while candidate in taken:
            candidate, number = f"{stem}-{digest[:8]}-{number}", number + 1
        return candidate


def write_comparison(
    scores: pd.DataFrame,
    run_dir: str | Path,
    *,
    frames: pd.DataFrame | None = None,
    sentences: pd.DataFrame | None = None,
    mentions: pd.DataFrame | None = None,
    articles: pd.DataFrame | None = None,
    compare_with: pd.DataFrame | None = None,
    by: str | Sequence[str] = ("outlet",),
    also_by: Sequence[str] = (),
    voice_scores: pd.DataFrame | None = None,
    random_state: int,
    n_boot: int = 2000,
    n_perm: int = 9999,
    min_n: int = 5,
    ci: float = 0.95,
    test: str = "permutation",
    formats: Sequence[str] = ("svg", "pdf", "png"),
    figure_titles: bool = False,
) -> dict[str, Path]:
    """Compute the comparison tables and draw the figures into a run folder.

    Tables go through :func:`framing.infra.tableio.write_table` under the names of
    :data:`TABLE_FILES`; figures through :func:`framing.analysis.plots.save_figure` under
    ``figures/`` with the stems of :func:`figure_stem`; ``comparison.json`` records the settings,
    counts, files and what was not computed (and why). Files that an earlier call listed and this
    one did not write are deleted, so a report never shows a stale table.

    Parameters
    ----------
    scores : DataFrame
        The score table (``schema.SCORE_COLUMNS``, one scoring method). Written to
        ``scores.parquet`` unless that file already holds the same table.
    run_dir : str or Path
        The run folder (created when missing).
    frames : DataFrame, optional
        Frame counts (``scoring.FRAME_COLUMNS``) -> ``frame_table`` (denominators: the articles
        scored for each target; for article-level rows, every article of ``articles``).
    sentences : DataFrame, optional
        Sentence table -> distinguishing terms of each group over all sentences (used only when
        ``mentions`` is not given).
    mentions : DataFrame, optional
        Mention table -> distinguishing terms of each group per target, over the sentences
        that mention the target.
    articles : DataFrame, optional
        Article table: grouping columns the other tables lack (e.g. ``leaning``), the
        article-level frame denominators, and an ``event`` column for ``same_event``.
    compare_with : DataFrame, optional
        A score table of the other method (lexicon vs model) -> ``disagreement_*`` tables.
    by : str or sequence of str, default ("outlet",)
        Grouping columns. Several columns are compared as one combined group.
    also_by : sequence of str
        Further grouping columns, each on its own: one stance table per column (stacked in
        ``outlet_table_also_by.parquet`` with a ``grouping`` column) and a heatmap each, e.g.
        ``by=("leaning",), also_by=("outlet",)``.
    voice_scores : DataFrame, optional
        Article scores computed from one set of voices each (``article_id``, ``target``,
        ``score`` and ``voice``: e.g. "author" and "quoted or reported", from
        :func:`framing.stance.model_scoring.voice_scores`) -> one stance table per voice, stacked in
        ``outlet_table_by_voice.parquet``, and a heatmap each.
    random_state : int
        The run seed (bootstrap and permutations).
    n_boot, n_perm, min_n, ci, test
        As in :func:`framing.analysis.statistics.outlet_table` and
        :func:`framing.analysis.statistics.pairwise_contrasts`.
    formats : sequence of {"svg", "pdf", "png"}
        Figure formats (the HTML report embeds SVG, else PNG).
    figure_titles : bool, default False
        Draw each figure's caption as its title, so a figure copied into a paper carries its
        own caption (the report shows the caption under the figure either way).

    Returns
    -------
    dict of str to Path
        Everything written: table names, ``figures/<file>`` and ``comparison``.

    Examples
    --------
    >>> write_comparison(scores, "reports/runs/demo/abc", random_state=13)  # doctest: +SKIP
    """
    by = _checked_by(scores, by, also_by, formats)
    run = Path(run_dir)
    run.mkdir(parents=True, exist_ok=True)
    old = read_json(run / COMPARISON_FILE)
    lookup = _lookup(by, articles, scores)
    scores = _attach(scores, by, lookup, "scores")
    group = group_name(by)
    grouped = with_group(scores, by)
    out = _Writer(run, formats, titles=bool(figure_titles))
    _write_scores(scores, run, out)

    outlet = statistics.outlet_table(
        scores, by=by, n_boot=n_boot, random_state=random_state, min_n=min_n, ci=ci
    )
    out.table("outlet_table", outlet)
    contrasts = statistics.pairwise_contrasts(
        grouped,
        by=group,
        n_perm=n_perm,
        n_boot=n_boot,
        random_state=random_state,
        test=test,
        min_n=min_n,
        ci=ci,
    )
    out.table("contrasts", contrasts)
    frame_tab = _frame_table(frames, scores, articles, by, lookup, min_n, out)
    _distinguishing(mentions, sentences, articles, by, lookup, out)
    _same_event(grouped, articles, group, out)
    _disagreement(scores, compare_with, by, out)
    _figures(outlet, contrasts, frame_tab, by, ci, out)
    stats = {"n_boot": n_boot, "random_state": random_state, "min_n": min_n, "ci": ci}
    _also_by(scores, articles, also_by, by, out, **stats)
    _by_voice(voice_scores, scores, articles, by, out, **stats)
    _over_time(scores, articles, by, out, **stats)

    settings = {
        "by": list(by),
        "random_state": int(random_state),
        "n_boot": int(n_boot),
        "n_perm": int(n_perm),
        "ci": float(ci),
        "test": test,
        "min_n": int(min_n),
        "also_by": list(also_by),
    }
    if figure_titles:
        settings["figure_titles"] = True
    record = _record(run, scores, outlet, by, settings, out)
    out.files["comparison"] = tableio.write_json(record, run / COMPARISON_FILE)
    _drop_stale(run, old, record["files"])
    return dict(sorted(out.files.items()))


def _checked_by(scores: Any, by: Any, also_by: Sequence[str], formats: Any) -> tuple[str, ...]:
    """``by`` as a tuple of columns, once the arguments of :func:`write_comparison` are checked.

    Raises
    ------
    ConfigError
        ``scores`` is no DataFrame, a grouping column is not accepted, or a format is unknown.
    """
    if not isinstance(scores, pd.DataFrame):
        raise ConfigError(f"scores must be a pandas DataFrame; received {type(scores).__name__}")
    by = as_by(by)
    for columns in (by, tuple(also_by)):
        problem = schema.group_column_problem(columns)
        if problem:
            raise ConfigError(f"cannot compare by {list(columns)}: {problem}")
    unknown = [
        f for f in ([formats] if isinstance(formats, str) else formats) if f not in plots.FORMATS
    ]
    if unknown:
        raise ConfigError(f"formats {unknown} not accepted; accepted: {', '.join(plots.FORMATS)}")
    return by


def _record(
    run: Path,
    scores: pd.DataFrame,
    outlet: pd.DataFrame,
    by: Sequence[str],
    settings: dict[str, Any],
    out: _Writer,
) -> dict[str, Any]:
    """What comparison.json holds: settings, counts, files, figures and notes."""
    counts = {
        "n_articles": int(scores["article_id"].nunique()),
        "n_groups": int(outlet[list(by)].drop_duplicates().shape[0]) if len(outlet) else 0,
        "n_targets": int(scores["target"].nunique()),
        "n_mentions": int(pd.to_numeric(scores["n_mentions"], errors="coerce").fillna(0).sum())
        if "n_mentions" in scores.columns
        else None,
    }
    files = {name: path.relative_to(run).as_posix() for name, path in sorted(out.files.items())}
    return {
        "format": COMPARISON_FORMAT,
        "settings": settings,
        "counts": counts,
        "files": files,
        "figures": out.figures,
        "notes": out.notes,
        "framing_version": framing.__version__,
    }


def _also_by(scores, articles, also_by, by, out: _Writer, **stats: Any) -> None:
    """One stance table and heatmap per extra grouping column (each on its own)."""
    extra = [c for c in dict.fromkeys(also_by) if (c,) != tuple(by)]
    if not extra:
        out.notes["also_by"] = "no further grouping columns were asked for (also_by)"
        return
    parts = []
    for column in extra:
        table = _attach(scores, (column,), _lookup((column,), articles, scores), "scores")
        outlet = statistics.outlet_table(table, by=(column,), **stats)
        parts.append(outlet.rename(columns={column: "group"}).assign(grouping=column))
        if len(outlet):
            out.figure(
                plots.heatmap_outlet_target(outlet, row=column),
                figure_stem("heatmap", by=(column,)),
                kind="heatmap",
                target=None,
                group=column,
                caption=f"Mean stance per {column} and target (n = articles)",
            )
    stacked = pd.concat(parts, ignore_index=True)
    stacked["group"] = stacked["group"].astype(str)
    out.table("also_by", stacked[["grouping", *[c for c in stacked.columns if c != "grouping"]]])


def _by_voice(voice_scores, scores, articles, by, out: _Writer, **stats: Any) -> None:
    """One stance table and heatmap per voice (the author's narration, quoted or reported words)."""
    if voice_scores is None or not len(voice_scores):
        out.notes["by_voice"] = "no voice scores (model and hybrid methods only)"
        return
    lookup = _lookup(by, articles, scores)
    parts = []
    for voice, part in voice_scores.groupby("voice", sort=True):
        table = _attach(part.drop(columns=["voice"]), by, lookup, "scores")
        outlet = statistics.outlet_table(table, by=by, **stats)
        parts.append(outlet.assign(voice=str(voice)))
        if len(outlet) and len(by) == 1:
            out.figure(
                plots.heatmap_outlet_target(outlet, row=by[0]),
                figure_stem("heatmap", by=(*by, slug("voice", str(voice)))),
                kind="heatmap",
                target=None,
                group=str(voice),
                caption=f"Mean stance per {group_name(by)} and target, {voice} only (n = articles)",
            )
    stacked = pd.concat(parts, ignore_index=True)
    out.table("by_voice", stacked[["voice", *[c for c in stacked.columns if c != "voice"]]])


#: Period length for the over-time view, by the span of the dates: (longest span in days, freq).
_PERIODS: tuple[tuple[float, str], ...] = ((62, "W"), (2 * 366, "M"), (6 * 366, "Q"), (np.inf, "Y"))


def _over_time(scores, articles, by, out: _Writer, **stats: Any) -> None:
    """Mean stance per group and period, per target (periods sized to the span of the dates)."""
    lookup = _lookup(("published",), articles, scores)
    if lookup is None:
        out.notes["over_time"] = "no publication dates (published) in the article table"
        return
    dated = _attach(scores, ("published",), lookup, "scores")
    dates = pd.to_datetime(dated["published"], errors="coerce", format="ISO8601")
    if dates.notna().sum() < 2 or dates.dt.to_period("D").nunique() < 2:
        out.notes["over_time"] = "fewer than two distinct publication dates"
        return
    span = (dates.max() - dates.min()).days
    freq = next(f for limit, f in _PERIODS if span <= limit)
    periods = statistics.add_period(dated, freq=freq)
    periods = periods.loc[periods["period"].notna()]
    undated = dated.loc[dates.isna().to_numpy(), "article_id"].nunique() if "article_id" in dated else 0
    group = group_name(by)
    table = statistics.outlet_table(periods, by=(*by, "period"), **stats)
    out.table("over_time", table)
    table = with_group(table, by)
    if table[group].nunique() > MAX_FIGURE_GROUPS:
        out.notes["over_time"] = (
            f"{table[group].nunique()} groups: the table has them all, figures are drawn up to "
            f"{MAX_FIGURE_GROUPS} groups"
        )
        return
    level = f"{round(100 * stats['ci'])}%"
    for target, part in table.groupby("target", sort=True):
        part = part.assign(n_group=part.groupby(group)["n_articles"].transform("sum"))
        out.target_figure(
            plots.stance_over_time(part, group=group),
            "over_time",
            str(target),
            f"Mean stance toward {target} per {group} and period ({freq}), {level} interval"
            + _left_out(undated),
        )


def _left_out(undated: int) -> str:
    """The caption's note on articles the over-time figures leave out (no usable date: missing,
    unreadable, or outside the plausible range; the article table's reason says which)."""
    if not undated:
        return ""
    noun = "article" if undated == 1 else "articles"
    return (f"; {undated} scored {noun} without a usable publication date (missing, unreadable or "
            "implausible: see the article table's reason) left out")


def _write_scores(scores: pd.DataFrame, run: Path, out: _Writer) -> None:
    """Write scores.parquet unless it already holds this table (a pipeline run wrote it, and
    rewriting would change its bytes and invalidate the run's stage cache)."""
    path = run / TABLE_FILES["scores"]
    if path.is_file():
        try:
            same = tableio.table_sha256(tableio.read_table(path)) == tableio.table_sha256(scores)
        except DataError:
            same = False
        if same:
            out.files["scores"] = path
            return
    out.table("scores", scores)


def _frame_table(frames, scores, articles, by, lookup, min_n, out: _Writer) -> pd.DataFrame | None:
    if frames is None:
        out.notes["frame_table"] = "no frame counts were given (frames=None)"
        return None
    frames = _attach(frames, by, lookup, "frames")
    base = [scores[["article_id", *by, "target"]]]
    if articles is not None and all(c in articles.columns for c in ("article_id", *by)):
        processed = articles
        if "status" in articles.columns:
            processed = articles[articles["status"].isin(schema.PROCESSED_STATUSES)]
        base.append(processed[["article_id", *by]].assign(target=""))
    table = frame_table(frames, by=by, base=pd.concat(base, ignore_index=True), min_n=min_n)
    out.table("frame_table", table)
    return table


def _with_language(texts: pd.DataFrame, text_col: str, articles: pd.DataFrame | None
                   ) -> tuple[pd.DataFrame, str]:
    """``texts`` with a ``language`` column: its own, else the article's, else detected per
    article from its sentences (per text without article_id); and a note when detected."""
    if "language" in texts.columns:
        return texts, ""
    if (articles is not None and "article_id" in texts.columns
            and {"article_id", "language"} <= set(articles.columns)):
        known = articles[["article_id", "language"]].drop_duplicates("article_id")
        return texts.merge(known, on="article_id", how="left", validate="many_to_one"), ""
    keys = texts["article_id"] if "article_id" in texts.columns else pd.Series(range(len(texts)))
    joined = texts[text_col].fillna("").astype(str).groupby(keys.to_numpy(), sort=True).agg(" ".join)
    codes = dict(zip(joined.index, (c for c, _ in detect_languages(joined.tolist())), strict=True))
    return (texts.assign(language=[codes[k] for k in keys]),
            "language detected from the sentences (no article language was given)")


def _mention_names(mentions: pd.DataFrame | None) -> list[str]:
    """The multiword surface forms of a mention table's ``aliases`` (aliases of a run's own
    lexicon that the default one lacks)."""
    if mentions is None or "aliases" not in mentions.columns:
        return []
    forms = {str(a) for cell in mentions["aliases"] if not is_missing(cell)
             for a in (cell if not isinstance(cell, str) else [cell])}
    return sorted(f for f in forms if len(f.split()) > 1)


def _distinguishing(mentions, sentences, articles, by, lookup, out: _Writer) -> None:
    """Distinguishing terms per target, each language on its own (its groups against each other,
    without its stopwords, target names kept whole); what was left out goes to the notes. The
    groups' own names (an outlet's name in its datelines and bylines) are counted whole and not
    listed: that an outlet names itself sets nothing apart."""
    if mentions is not None:
        texts, text_col = _attach(mentions, by, lookup, "mentions"), "sentence"
    elif sentences is not None:
        texts, text_col = _attach(sentences, by, lookup, "sentences"), "text"
        texts = texts.assign(target="")
    else:
        out.notes["distinguishing_terms"] = "no sentences or mentions were given"
        return
    texts, detected = _with_language(texts, text_col, articles)
    own = sorted({str(v) for c in by for v in texts[c].dropna().unique() if str(v).strip()})
    names = target_names(extra=[*_mention_names(mentions), *own])
    tables, notes = [], [detected] if detected else []
    for target, part in texts.groupby("target", sort=True):
        if part[list(by)].drop_duplicates().shape[0] < 2:
            continue  # one group has no "rest" to be distinguished from
        table = distinguishing_terms_by(part, by, text_col=text_col, language_col="language",
                                        top=2 * N_TERMS, names=names)
        notes += [f"{target or 'all sentences'}, {note}" for note in table.attrs.get("notes", [])]
        table = table[~table["term"].isin(own)].reset_index(drop=True)
        if len(table):
            table.insert(len(by), "target", str(target))
            tables.append(table)
    if notes:
        out.notes["distinguishing_terms"] = "; ".join(notes)
    if not tables:
        out.notes["distinguishing_terms"] = "; ".join(
            ["no target has two groups of one language with words to compare", *notes])
        return
    out.table("distinguishing_terms", pd.concat(tables, ignore_index=True))


def _same_event(grouped, articles, group, out: _Writer) -> None:
    has_event = "event" in grouped.columns or (articles is not None and "event" in articles.columns)
    if not has_event:
        out.notes["same_event"] = (
            "no event column (add one with framing.analysis.events.group_events to the article table)"
        )
        return
    out.table("same_event", same_event(grouped, articles, by=group))


def _disagreement(scores, other, by, out: _Writer) -> None:
    if other is None:
        out.notes["disagreement_summary"] = "no second scoring method was given (compare_with)"
        return
    method = str(scores["method"].iloc[0]) if "method" in scores.columns and len(scores) else ""
    lexicon, model = (scores, other) if method == "lexicon" else (other, scores)
    result = disagreement(lexicon, model, by=(*by, "target"))
    out.table("disagreement_summary", result.summary)
    out.table("disagreement_examples", result.examples)


def _figures(outlet, contrasts, frame_tab, by, ci, out: _Writer) -> None:
    if not len(outlet):
        return
    group = group_name(by)
    table = with_group(outlet, by)
    n_groups = table[group].nunique()
    level = f"{round(100 * ci)}%"
    stem = figure_stem("heatmap", by=by)
    out.figure(
        plots.heatmap_outlet_target(table, row=group),
        stem,
        kind="heatmap",
        target=None,
        group=None,
        caption=f"Mean stance per {group} and target (n = articles)",
    )
    for target, part in table.groupby("target", sort=True):
        target = str(target)
        out.target_figure(
            plots.forest_plot(part, group=group, hue=None),
            "interval",
            target,
            f"Mean stance toward {target} per {group}, {level} bootstrap interval",
        )
        out.target_figure(
            plots.stance_distribution(part, group=group),
            "distribution",
            target,
            f"Shares of articles against, neutral and in favour of {target}",
        )
        pairs = (
            contrasts[contrasts["target"].astype(str) == target] if len(contrasts) else contrasts
        )
        if len(pairs) and n_groups <= MAX_FIGURE_GROUPS:
            out.target_figure(
                plots.forest_plot(pairs, group="pair", estimate="diff", hue=None, n_col=("n_a", "n_b")),
                "difference",
                target,
                f"Differences of mean stance toward {target}, {level} interval",
            )
    if frame_tab is not None and len(frame_tab):
        for target, part in with_group(frame_tab, by).groupby("target", sort=True):
            target = str(target)
            shown = target or "whole articles"
            out.target_figure(
                plots.frame_shares(part, group=group, target=target),
                "frames",
                target,
                f"Share of articles with each frame ({shown})",
            )
    terms_file = out.files.get("distinguishing_terms")
    if terms_file is not None and n_groups <= MAX_FIGURE_GROUPS:
        terms = with_group(tableio.read_table(terms_file), by)
        for (target, label), part in terms.groupby(["target", group], sort=True):
            within = ""
            if "language" in part.columns and len(part):
                # one figure per (target, group): the group's first language (the table has all)
                first = part["language"].iloc[0]
                part, within = part[part["language"] == first], f", {language_name(first)} texts"
            part = part.head(N_TERMS)
            if not len(part):
                continue
            out.figure(
                plots.distinguishing_terms_plot(part),
                figure_stem("terms", target=str(target), group=label),
                kind="terms",
                target=str(target),
                group=str(label),
                caption=f"Terms that distinguish {label} ({target or 'all sentences'}{within})",
            )


def _drop_stale(run: Path, old: Mapping[str, Any], files: Mapping[str, str]) -> None:
    """Delete files an earlier write_comparison listed that this one did not write."""
    keep = set(files.values())
    listed = nested_get(old, "files", default={})
    for rel in listed.values() if isinstance(listed, Mapping) else ():
        if not isinstance(rel, str) or rel in keep:
            continue
        path = (run / rel).resolve()
        if path.is_relative_to(run.resolve()) and path.is_file():
            path.unlink()
