"""One function per figure: a table and ``ax=None`` in, ``Axes`` out.

Plot functions never compute statistics: they reshape and draw the numbers of the table they
are given (a heatmap cell shows exactly its table value), so a figure and its table cannot
disagree. Compute with :mod:`framing.analysis.statistics`, :mod:`~framing.analysis.frames`,
:mod:`~framing.analysis.terms` or :mod:`~framing.analysis.events`, then plot.

Figures are made with the object-oriented API on the Agg canvas (``matplotlib.figure.Figure``,
never ``pyplot``): nothing needs a display, nothing accumulates in pyplot's figure registry, and
the caller's backend is left alone. To draw into a notebook figure, pass its ``ax``.

:func:`save_figure` writes PDF, SVG and PNG that are byte-identical on rerun: no creation date
(PDF ``CreationDate``, SVG ``Date``), no software tag (PNG ``Software``), a fixed ``svg.hashsalt``
(SVG element ids), fixed dpi and fonts (DejaVu Sans, shipped with matplotlib). Name figures by
content with :func:`figure_name` (``stance-by-outlet-cn``), never by position.

Examples
--------
>>> table = pd.DataFrame({"outlet": ["A", "B"], "target": ["US", "US"], "mean": [0.2, -0.4],
...                       "n_articles": [12, 9]})
>>> ax = heatmap_outlet_target(table)
>>> [t.get_text() for t in ax.texts]
['0.20\\nn=12', '-0.40\\nn=9']
"""

from __future__ import annotations

import contextlib
import os
import re
import textwrap
import unicodedata
import warnings
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib as mpl
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from framing.infra import schema
from framing.infra.errors import ConfigError

#: Figure formats :func:`save_figure` writes, with the metadata that would change on every run.
FORMATS: dict[str, dict[str, Any]] = {
    "pdf": {"CreationDate": None},
    "svg": {"Date": None},
    "png": {"Software": None},
}
#: Resolution of raster output; vector output does not depend on it.
DPI = 200
#: Colours of the stance labels (ColorBrewer RdBu ends and a neutral grey), against to favor.
STANCE_COLOURS: dict[str, str] = {"against": "#b2182b", "neutral": "#bababa", "favor": "#2166ac"}
#: Diverging colour map for scores in [-1, 1]; sequential one for shares in [0, 1].
SCORE_CMAP = "RdBu"
SHARE_CMAP = "Blues"
#: The stance scale, said on every stance axis so a figure copied alone still reads right.
STANCE_SCALE = "\u22121 against \u2026 +1 in favour"

#: The fixed style: seaborn "whitegrid" at "paper" scale, plus what makes output reproducible.
STYLE: dict[str, Any] = {
    **sns.axes_style("whitegrid"),
    **sns.plotting_context("paper"),
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans"],  # shipped with matplotlib: same glyphs on every machine
    "figure.dpi": 100,
    "savefig.dpi": DPI,
    "savefig.bbox": "tight",
    "savefig.pad_inches": 0.05,
    "pdf.fonttype": 42,  # TrueType: text stays text in the PDF
    "svg.fonttype": "path",
    "svg.hashsalt": "framing",  # SVG ids are hashes salted with this; default is random per run
    "axes.prop_cycle": mpl.cycler(color=sns.color_palette("colorblind").as_hex()),
}

_SLUG = re.compile(r"[^a-z0-9]+")


@contextlib.contextmanager
def plot_style() -> Iterator[None]:
    """Context manager applying :data:`STYLE` (matplotlib ``rc_context``).

    Examples
    --------
    >>> with plot_style():
    ...     mpl.rcParams["svg.hashsalt"]
    'framing'
    """
    with mpl.rc_context(STYLE):
        yield


def figure_name(*parts: Any) -> str:
    """A file stem that says what the figure shows: words lower-cased, ASCII, joined by "-".

    Examples
    --------
    >>> figure_name("stance by outlet", "China")
    'stance-by-outlet-china'
    >>> figure_name("Frames", "Le Monde", "Ü")
    'frames-le-monde-u'
    """
    text = " ".join(str(p) for p in parts if p is not None and str(p) != "")
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    slug = _SLUG.sub("-", ascii_text.lower()).strip("-")
    if not slug:
        raise ConfigError(f"figure name parts {parts!r} leave no letters or digits for a file name")
    return slug


def save_figure(
    fig: Figure | Axes,
    path_stem: str | Path,
    formats: Sequence[str] = ("pdf", "svg", "png"),
    *,
    dpi: int = DPI,
) -> list[Path]:
    """Save a figure in several formats, byte-identically on rerun.

    Parameters
    ----------
    fig : Figure or Axes
        The figure (or an Axes of it).
    path_stem : str or Path
        Path without extension, e.g. ``run/figures/stance-by-outlet-cn``; folders are created.
    formats : sequence of {"pdf", "svg", "png"}
        Formats to write.
    dpi : int, default 200
        Raster resolution (PNG).

    Returns
    -------
    list of Path
        The files written, in the order of ``formats``.
    """
    if isinstance(fig, Axes):
        fig = fig.figure
    if not isinstance(fig, Figure):
        raise ConfigError(f"save_figure needs a matplotlib Figure or Axes; received {type(fig).__name__}")
    formats = [formats] if isinstance(formats, str) else list(formats)
    unknown = [f for f in formats if f not in FORMATS]
    if unknown or not formats:
        raise ConfigError(f"formats {unknown or formats} not accepted; accepted: {', '.join(FORMATS)}")
    stem = Path(path_stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    if not isinstance(fig.canvas, FigureCanvasAgg):
        FigureCanvasAgg(fig)  # a figure made elsewhere (e.g. a GUI backend) saves through Agg too
    written = []
    with plot_style():
        for fmt in formats:
            path = stem.with_name(f"{stem.name}.{fmt}")
            partial = path.with_name(f".{path.name}.partial")
            fig.savefig(partial, format=fmt, dpi=dpi, metadata=FORMATS[fmt])
            os.replace(partial, path)  # readers never see a half-written figure
            written.append(path)
    return written


# --------------------------------------------------------------------------------------------
# helpers


def stance_label(target: Any = None, quantity: str = "Mean stance") -> str:
    """The axis label of a stance quantity: what it is, toward whom, on which scale.

    Examples
    --------
    >>> stance_label("China")
    'Mean stance toward China (\u22121 against \u2026 +1 in favour)'
    >>> stance_label(None, "Difference in mean stance")
    'Difference in mean stance (\u22121 against \u2026 +1 in favour)'
    """
    toward = f" toward {target}" if target is not None and str(target) != "" else ""
    return f"{quantity}{toward} ({STANCE_SCALE})"


def add_title(ax: Axes, title: str, width: int = 70) -> Axes:
    """Put ``title`` (wrapped at ``width`` characters) above the axes, left-aligned: a figure
    exported for a paper then carries its own caption."""
    import textwrap

    ax.set_title(textwrap.fill(str(title), width), fontsize=8, loc="left")
    return ax


def _with_n(labels: Sequence[Any], table: pd.DataFrame, n_col: str | Sequence[str] | None) -> list[str]:
    """Labels with their number of articles: "A (n=12)", or "A vs B (n=12/9)" for two columns."""
    labels = [str(label) for label in labels]
    columns = [n_col] if isinstance(n_col, str) else list(n_col or ())
    if not columns or not all(c in table.columns for c in columns):
        return labels
    counts = [table[c].to_numpy() for c in columns]
    return [f"{label} (n={'/'.join(_count(c[i]) for c in counts)})" for i, label in enumerate(labels)]


def _count(value: Any) -> str:
    return str(int(value)) if pd.notna(value) else "?"


def _zero_line(ax: Axes, where: float, *, vertical: bool) -> None:
    """The zero (or reference) line, drawn dark and solid so "no stance" stands out."""
    draw = ax.axvline if vertical else ax.axhline
    draw(where, color="0.15", linewidth=1.0, linestyle="-", zorder=1)


def _axes(ax: Axes | None, figsize: tuple[float, float]) -> tuple[Axes, contextlib.AbstractContextManager]:
    """The Axes to draw on and the style context to draw in (the fixed style for a new figure;
    the caller's own style when the caller gives the Axes)."""
    if ax is not None:
        if not isinstance(ax, Axes):
            raise ConfigError(f"ax must be a matplotlib Axes or None; received {type(ax).__name__}")
        return ax, contextlib.nullcontext()
    with plot_style():
        fig = Figure(figsize=figsize)
        FigureCanvasAgg(fig)
        return fig.add_subplot(), plot_style()


def _require(table: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    if not isinstance(table, pd.DataFrame):
        raise ConfigError(f"{what} takes a DataFrame; received {type(table).__name__}")
    missing = [c for c in dict.fromkeys(columns) if c is not None and c not in table.columns]
    if missing:
        raise ConfigError(
            f"{what} needs column(s) {', '.join(missing)}; the table has {', '.join(map(str, table.columns))}"
        )
    if table.empty:
        raise ConfigError(f"{what} received an empty table: nothing to plot")


def _one_target(table: pd.DataFrame, target: str | None, what: str) -> tuple[pd.DataFrame, str | None]:
    """Rows of one target: ``target`` if given, else the table's only target."""
    if "target" not in table.columns:
        return table, target
    present = list(dict.fromkeys(table["target"]))
    if target is None:
        if len(present) > 1:
            raise ConfigError(f"{what}: the table holds targets {present}; choose one with target=")
        return table, present[0]
    if target not in present:
        raise ConfigError(f"{what}: target {target!r} not in the table; present: {present}")
    return table[table["target"] == target], target


def _matrix(table: pd.DataFrame, row: str, col: str, value: str, what: str) -> pd.DataFrame:
    """Reshape to a row x col matrix; refuses duplicates (aggregating them would be statistics)."""
    if table.duplicated([row, col]).any():
        dup = table.loc[table.duplicated([row, col]), [row, col]].head(3).to_records(index=False)
        raise ConfigError(
            f"{what}: several rows per ({row}, {col}), e.g. {[tuple(d) for d in dup]}; filter the "
            "table to one row per cell (plots do not aggregate)"
        )
    rows = list(dict.fromkeys(table[row]))
    cols = list(dict.fromkeys(table[col]))
    return table.pivot(index=row, columns=col, values=value).reindex(index=rows, columns=cols)


def _annotated_heatmap(
    matrix: pd.DataFrame, texts: np.ndarray, ax: Axes, *, cmap: str, vmin: float, vmax: float,
    center: float | None, cbar_label: str,
) -> Axes:
    with warnings.catch_warnings():  # seaborn 0.13 calls a colormap method matplotlib 3.11 deprecates
        warnings.simplefilter("ignore", PendingDeprecationWarning)
        sns.heatmap(matrix.astype(float), ax=ax, annot=texts, fmt="", cmap=cmap, vmin=vmin, vmax=vmax,
                    center=center, linewidths=0.5, linecolor="white",
                    cbar_kws={"label": cbar_label}, annot_kws={"fontsize": 7})
    ax.set_xlabel(matrix.columns.name or "")
    ax.set_ylabel(matrix.index.name or "")
    ax.tick_params(axis="y", rotation=0)
    return ax


def _cell_texts(values: pd.DataFrame, fmt: str, counts: pd.DataFrame | None) -> np.ndarray:
    texts = np.full(values.shape, "", dtype=object)
    for i in range(values.shape[0]):
        for j in range(values.shape[1]):
            v = values.iat[i, j]
            if pd.isna(v):
                continue
            text = format(float(v), fmt)
            if counts is not None and not pd.isna(counts.iat[i, j]):
                text += f"\nn={int(counts.iat[i, j])}"
            texts[i, j] = text
    return texts


# --------------------------------------------------------------------------------------------
# figures


def heatmap_outlet_target(
    table: pd.DataFrame,
    *,
    value: str = "mean",
    row: str = "outlet",
    col: str = "target",
    n_col: str | None = "n_articles",
    fmt: str = ".2f",
    ax: Axes | None = None,
) -> Axes:
    """Heatmap of a value (mean stance by default) per outlet and target, each cell annotated.

    Parameters
    ----------
    table : DataFrame
        One row per (row, col), e.g. :func:`framing.analysis.statistics.outlet_table` output.
    value : str, default "mean"
        Column shown (colour scale -1 ... 1, centred on 0).
    row, col : str
        Columns giving the heatmap rows and columns (order of first appearance in the table).
    n_col : str or None, default "n_articles"
        Column with the number of articles, printed under the value ("n=12"); ignored when the
        table lacks it, omitted when None.
    fmt : str, default ".2f"
        Format of the value in each cell.
    ax : Axes, optional
        Where to draw (default: a new figure).

    Returns
    -------
    Axes
        One text per cell with a value; empty cells (no articles) stay blank.
    """
    _require(table, (value, row, col), "heatmap_outlet_target")
    matrix = _matrix(table, row, col, value, "heatmap_outlet_target")
    counts = None
    if n_col is not None and n_col in table.columns:
        counts = _matrix(table, row, col, n_col, "heatmap_outlet_target")
    ax, style = _axes(ax, (1.6 + 1.1 * matrix.shape[1], 1.0 + 0.45 * matrix.shape[0]))
    with style:
        label = stance_label() if value == "mean" else value
        return _annotated_heatmap(matrix, _cell_texts(matrix, fmt, counts), ax, cmap=SCORE_CMAP,
                                  vmin=-1, vmax=1, center=0, cbar_label=label)


def forest_plot(
    table: pd.DataFrame,
    *,
    group: str = "outlet",
    estimate: str = "mean",
    low: str = "ci_low",
    high: str = "ci_high",
    hue: str | None = "target",
    target: str | None = None,
    reference: float | None = 0.0,
    n_col: str | Sequence[str] | None = "n_articles",
    xlabel: str | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Point estimates with their intervals, one row per group, one colour per target.

    Works for :func:`framing.analysis.statistics.outlet_table` output (``mean``, ``ci_low``,
    ``ci_high``) and for :func:`framing.analysis.statistics.pairwise_contrasts` output
    (``group="pair", estimate="diff"``). A row without an interval (one article) is drawn as a
    point only.

    Parameters
    ----------
    table : DataFrame
        The table to draw.
    group : str, default "outlet"
        Column of the row labels (order of first appearance, top to bottom).
    estimate, low, high : str
        Columns of the point estimate and the interval ends.
    hue : str or None, default "target"
        Column splitting points into colours (ignored when the table lacks it).
    target : str, optional
        Keep only this target.
    reference : float or None, default 0.0
        Draw a vertical reference line here, dark and solid (None: none).
    n_col : str, pair of str, or None, default "n_articles"
        Column(s) with the number of articles, added to each row label ("A (n=12)"; two columns,
        e.g. ``("n_a", "n_b")`` for contrasts, give "A vs B (n=12/9)"); ignored when absent.
    xlabel : str, optional
        The x-axis label; default: :func:`stance_label` of the one target shown (the quantity,
        the target and the scale) when ``estimate`` is "mean", else ``estimate``.
    ax : Axes, optional
        Where to draw.

    Returns
    -------
    Axes
        Per hue value, one line of points (``ax.lines``, labelled by the hue value) and one
        collection of interval segments (``ax.collections``); a legend when there are several.
    """
    _require(table, (group, estimate, low, high), "forest_plot")
    if target is not None:
        table, _ = _one_target(table, target, "forest_plot")
    hue = hue if hue is not None and hue in table.columns else None
    groups = list(dict.fromkeys(table[group]))
    if xlabel is None:
        xlabel = _default_xlabel(table, estimate)
    labels = dict(zip(table[group], _with_n(table[group], table, n_col if not hue else None), strict=True))
    position = {g: k for k, g in enumerate(groups)}
    levels = list(dict.fromkeys(table[hue])) if hue else [None]
    width = 0.6 / max(len(levels), 1)
    ax, style = _axes(ax, (5.0, 1.0 + 0.35 * len(groups) * max(1, len(levels) ** 0.5)))
    with style:
        palette = mpl.rcParams["axes.prop_cycle"].by_key()["color"]
        for k, level in enumerate(levels):
            part = table if level is None else table[table[hue] == level]
            y = part[group].map(position).to_numpy(dtype=float) + (k - (len(levels) - 1) / 2) * width
            x = part[estimate].to_numpy(dtype=float)
            lows, highs = part[low].to_numpy(dtype=float), part[high].to_numpy(dtype=float)
            colour = palette[k % len(palette)]
            # Interval ends are drawn as given (not as x -/+ error: no rounding); a row without
            # an interval is a point only.
            has = np.isfinite(lows) & np.isfinite(highs)
            ax.hlines(y[has], lows[has], highs[has], color=colour, linewidth=1.2)
            ax.plot(x, y, marker="o", markersize=4, linestyle="none", color=colour,
                    label="_nolegend_" if level is None else str(level))
        if reference is not None:
            _zero_line(ax, reference, vertical=True)
        ax.set_yticks(range(len(groups)), [labels[g] for g in groups])
        ax.set_ylim(len(groups) - 0.5, -0.5)  # first group on top
        ax.set_xlabel(xlabel)
        ax.set_ylabel("")
        if hue and len(levels) > 1:
            ax.legend(title=hue, frameon=False, fontsize=7)
    return ax


def _default_xlabel(table: pd.DataFrame, estimate: str) -> str:
    """The stance label of a mean or difference of one target; the column name otherwise."""
    targets = list(dict.fromkeys(table["target"].astype(str))) if "target" in table.columns else []
    target = targets[0] if len(targets) == 1 else None
    if estimate == "mean":
        return stance_label(target)
    if estimate == "diff":
        toward = f" toward {target}" if target else ""
        return f"Difference in mean stance{toward}, a \u2212 b (stance {STANCE_SCALE})"
    return estimate


def stance_distribution(
    table: pd.DataFrame,
    *,
    group: str = "outlet",
    target: str | None = None,
    n_col: str | None = "n_articles",
    ax: Axes | None = None,
) -> Axes:
    """Stacked bars of the shares of against / neutral / favor articles per group.

    Parameters
    ----------
    table : DataFrame
        :func:`framing.analysis.statistics.outlet_table` output (``share_against``,
        ``share_neutral``, ``share_favor``).
    group : str, default "outlet"
        Column of the bar labels.
    target : str, optional
        Keep only this target; without it, every row is a bar labelled "group · target" when the
        table holds several targets.
    n_col : str or None, default "n_articles"
        Number of articles, added to each label ("(n=12)") when present.
    ax : Axes, optional
        Where to draw.

    Returns
    -------
    Axes
        Three bar patches per row (one per label, in ``schema.STANCE_LABELS`` order) and a legend.
    """
    share_cols = [f"share_{label}" for label in schema.STANCE_LABELS]
    _require(table, (group, *share_cols), "stance_distribution")
    if target is not None:
        table, _ = _one_target(table, target, "stance_distribution")
    several = "target" in table.columns and table["target"].nunique() > 1
    labels = [f"{g} · {t}" if several else str(g)
              for g, t in zip(table[group], table.get("target", table[group]), strict=True)]
    if n_col is not None and n_col in table.columns:
        labels = [f"{lab} (n={int(n)})" for lab, n in zip(labels, table[n_col], strict=True)]
    y = np.arange(len(table))
    ax, style = _axes(ax, (5.0, 1.0 + 0.3 * len(table)))
    with style:
        left = np.zeros(len(table))
        for label, column in zip(schema.STANCE_LABELS, share_cols, strict=True):
            share = table[column].to_numpy(dtype=float)
            ax.barh(y, np.nan_to_num(share), left=left, color=STANCE_COLOURS[label], label=label,
                    height=0.7)
            left += np.nan_to_num(share)
        ax.set_yticks(y, labels)
        ax.set_ylim(len(table) - 0.5, -0.5)
        ax.set_xlim(0, 1)
        chosen = table["target"].iloc[0] if "target" in table.columns and not several and len(table) else None
        ax.set_xlabel(f"Share of articles against, neutral and in favour of {chosen}" if chosen
                      else "Share of articles against, neutral and in favour")
        ax.legend(ncols=3, loc="lower center", bbox_to_anchor=(0.5, 1.0), frameon=False, fontsize=7)
    return ax


def frame_shares(
    table: pd.DataFrame,
    *,
    group: str = "outlet",
    target: str | None = None,
    share: str = "article_share",
    fmt: str = ".2f",
    ax: Axes | None = None,
) -> Axes:
    """Heatmap of frame shares: groups by frame categories, for one target.

    Parameters
    ----------
    table : DataFrame
        :func:`framing.analysis.frames.frame_table` output.
    group : str, default "outlet"
        Column of the heatmap rows.
    target : str, optional
        The target ("" for article-level frames); required when the table holds several.
    share : {"article_share", "cue_share"} or any column
        The value shown (colour scale 0 ... 1).
    fmt : str, default ".2f"
        Format of the value in each cell.
    ax : Axes, optional
        Where to draw.

    Returns
    -------
    Axes
        One text per non-empty cell.
    """
    _require(table, (group, "category", share), "frame_shares")
    table, chosen = _one_target(table, target, "frame_shares")
    matrix = _matrix(table, group, "category", share, "frame_shares")
    ax, style = _axes(ax, (1.6 + 0.9 * matrix.shape[1], 1.2 + 0.45 * matrix.shape[0]))
    with style:
        _annotated_heatmap(matrix, _cell_texts(matrix, fmt, None), ax, cmap=SHARE_CMAP, vmin=0,
                           vmax=1, center=None, cbar_label=share)
        ax.tick_params(axis="x", rotation=30)
        if chosen:
            ax.set_title(f"target: {chosen}", fontsize=8)
    return ax


def distinguishing_terms_plot(
    table: pd.DataFrame,
    *,
    value: str = "z",
    term: str = "term",
    ax: Axes | None = None,
) -> Axes:
    """Horizontal bars of the z-scores of distinguishing terms (one comparison).

    Parameters
    ----------
    table : DataFrame
        :func:`framing.analysis.terms.distinguishing_terms` output, or the rows of one group of
        :func:`framing.analysis.terms.distinguishing_terms_by` (filter first: one row per term).
    value : str, default "z"
        Column of the bar lengths.
    term : str, default "term"
        Column of the bar labels.
    ax : Axes, optional
        Where to draw.

    Returns
    -------
    Axes
        One bar per row, in table order from the top; with a ``favours`` column, bars are
        coloured by side and a legend names the sides.
    """
    _require(table, (term, value), "distinguishing_terms_plot")
    if table[term].duplicated().any():
        raise ConfigError(
            "distinguishing_terms_plot: terms repeat (several groups?); filter the table to one "
            "comparison first"
        )
    y = np.arange(len(table))
    x = table[value].to_numpy(dtype=float)
    ax, style = _axes(ax, (4.5, 1.0 + 0.22 * len(table)))
    with style:
        palette = sns.color_palette("colorblind").as_hex()
        if "favours" in table.columns:
            sides = list(dict.fromkeys(table["favours"]))
            for k, side in enumerate(sides):
                mask = (table["favours"] == side).to_numpy()
                ax.barh(y[mask], x[mask], color=palette[k % len(palette)], label=str(side), height=0.7)
            ax.legend(title="favours", frameon=False, fontsize=7)
        else:
            ax.barh(y, x, color=palette[0], height=0.7)
        ax.axvline(0, color="0.3", linewidth=0.8)
        ax.set_yticks(y, [str(t) for t in table[term]])
        ax.set_ylim(len(table) - 0.5, -0.5)
        ax.set_xlabel(f"{value} (log-odds, informative Dirichlet prior)" if value == "z" else value)
    return ax


def stance_over_time(
    table: pd.DataFrame,
    *,
    time: str = "period",
    group: str = "outlet",
    target: str | None = None,
    estimate: str = "mean",
    low: str = "ci_low",
    high: str = "ci_high",
    band: bool = True,
    n_col: str | None = "n_group",
    ylabel: str | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Mean stance per period, one line per group, with its interval as a band.

    Parameters
    ----------
    table : DataFrame
        :func:`framing.analysis.statistics.outlet_table` grouped by ``(group, time)`` (see
        :func:`framing.analysis.statistics.add_period`), one target (or choose one with ``target``).
    time : str, default "period"
        Column of the periods; they are placed in sorted order (period strings such as
        "2024-06" or "2024Q2" sort chronologically). A period a group lacks is a gap in its line.
    group : str, default "outlet"
        Column of the lines.
    target : str, optional
        The target; required when the table holds several.
    estimate, low, high : str
        Columns of the point estimate and interval ends.
    band : bool, default True
        Shade the interval.
    n_col : str or None, default "n_group"
        Column with the group's number of articles over all periods (the same on each of its
        rows; the caller computes it): each legend entry shows it ("A (n=40)"); ignored when
        absent.
    ylabel : str, optional
        The y-axis label; default: :func:`stance_label` of the target when ``estimate`` is
        "mean", else ``estimate``.
    ax : Axes, optional
        Where to draw.

    Returns
    -------
    Axes
        One line per group (``ax.lines``), one band per group when ``band``, and a legend.
    """
    _require(table, (time, group, estimate, *((low, high) if band else ())), "stance_over_time")
    table, chosen = _one_target(table, target, "stance_over_time")
    table = table[table[time].notna()]
    periods = sorted(dict.fromkeys(table[time]), key=str)
    position = {p: k for k, p in enumerate(periods)}
    ax, style = _axes(ax, (6.0, 3.0))
    with style:
        for g in dict.fromkeys(table[group]):
            part = table[table[group] == g]
            if part[time].duplicated().any():
                raise ConfigError(f"stance_over_time: several rows for {group}={g!r} in one period; "
                                  "give one row per (group, period)")
            part = part.set_index(part[time].map(position)).reindex(range(len(periods)))
            x = np.arange(len(periods))
            label = str(g)
            if n_col is not None and n_col in part.columns:
                label = f"{g} (n={_count(part[n_col].iloc[0])})"
            (line,) = ax.plot(x, part[estimate].to_numpy(dtype=float), marker="o", markersize=3,
                              linewidth=1.2, label=label)
            if band:
                ax.fill_between(x, part[low].to_numpy(dtype=float), part[high].to_numpy(dtype=float),
                                color=line.get_color(), alpha=0.15, linewidth=0)
        _zero_line(ax, 0.0, vertical=False)
        ax.set_xticks(range(len(periods)), [str(p) for p in periods], rotation=45, ha="right")
        ax.set_ylim(-1.05, 1.05)
        ax.set_ylabel(ylabel if ylabel is not None
                      else stance_label(chosen) if estimate == "mean" else estimate, fontsize=7)
        ax.set_xlabel(time)
        if chosen:
            ax.set_title(f"target: {chosen}", fontsize=8)
        ax.legend(title=group, frameon=False, fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return ax


def learning_curve(
    table: pd.DataFrame,
    *,
    x: str = "n_labels",
    estimate: str = "macro_f1_mean",
    spread: str | None = "macro_f1_sd",
    hue: str = "strategy",
    references: dict[str, float] | None = None,
    xlabel: str = "labelled items",
    ylabel: str = "macro-F1",
    ax: Axes | None = None,
) -> Axes:
    """A score against the number of labels, one line per strategy, with a band of +/- its spread.

    Parameters
    ----------
    table : DataFrame
        One row per (hue, x), e.g. the mean and standard deviation over seeds of an annotation
        simulation (``experiments/annotation_simulation.py``); the plot does not aggregate.
    x : str, default "n_labels"
        Column of the x positions (numeric).
    estimate : str, default "macro_f1_mean"
        Column of the line.
    spread : str or None, default "macro_f1_sd"
        Column of the half-width of the shaded band (``estimate`` -/+ ``spread``); None, or NaN
        (one seed), for no band.
    hue : str, default "strategy"
        Column of the lines, in order of first appearance.
    references : dict, optional
        label -> value, each drawn as a dashed horizontal line (e.g. the lexicon rule, which
        needs no labels).
    xlabel, ylabel : str
        Axis labels.
    ax : Axes, optional
        Where to draw.

    Returns
    -------
    Axes
        One line per hue value (``ax.lines``, labelled by it, then one per reference), one band
        per hue value with a spread, and a legend.

    Examples
    --------
    >>> t = pd.DataFrame({"strategy": ["random"] * 2, "n_labels": [100, 200],
    ...                   "macro_f1_mean": [0.5, 0.6], "macro_f1_sd": [0.02, 0.01]})
    >>> [line.get_label() for line in learning_curve(t).lines]
    ['random']
    """
    _require(table, (x, estimate, hue, spread), "learning_curve")
    if table.duplicated([hue, x]).any():
        raise ConfigError(
            f"learning_curve: several rows per ({hue}, {x}); give one row per point (e.g. the mean "
            "over seeds): plots do not aggregate"
        )
    ax, style = _axes(ax, (5.0, 3.2))
    with style:
        for level in dict.fromkeys(table[hue]):
            part = table[table[hue] == level].sort_values(x, kind="stable")
            xs = part[x].to_numpy(dtype=float)
            ys = part[estimate].to_numpy(dtype=float)
            (line,) = ax.plot(xs, ys, marker="o", markersize=3.5, linewidth=1.4, label=str(level))
            if spread is not None:
                half = part[spread].to_numpy(dtype=float)
                if np.isfinite(half).any():
                    ax.fill_between(xs, ys - half, ys + half, color=line.get_color(), alpha=0.18,
                                    linewidth=0)
        for k, (label, value) in enumerate((references or {}).items()):
            ax.axhline(float(value), color=str(0.25 + 0.2 * k), linewidth=0.9, linestyle="--",
                       label=str(label), zorder=0)
        positions = sorted(set(table[x].tolist()))
        if len(positions) <= 12:  # few label counts: tick each one that was run
            ax.set_xticks(positions, [f"{p:g}" for p in positions])
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        ax.legend(title=hue, frameon=False, fontsize=7, title_fontsize=7)
    return ax


# --------------------------------------------------------------------------------------------
# specification curve

#: Colour of an estimate whose interval includes zero (or that has no interval).
UNDECIDED_COLOUR = "#878787"
_SPEC_COLUMNS = ("spec", "pair", "diff", "ci_low", "ci_high")


def specification_curve(
    table: pd.DataFrame,
    *,
    choices: Sequence[str],
    target: str | None = None,
    target_name: str | None = None,
    choice_labels: Mapping[str, str] | None = None,
    max_pairs: int = 6,
) -> Axes:
    """Specification curve: each contrast under every specification, sorted, over its choices.

    After Simonsohn, Simmons & Nelson (2020) and R's ``specr``: one column of two panels per
    pair of groups. The top panel shows the pair's estimates sorted ascending, each with its
    interval, coloured by side (interval entirely below zero: "against" colour, entirely above:
    "favor" colour, otherwise grey); a hollow diamond marks the configured (baseline)
    specification. The panel beneath has one row per choice value and a dot where the
    specification above uses it, so a reader sees which choices move the estimate.

    Parameters
    ----------
    table : DataFrame
        :func:`framing.analysis.multiverse.contrasts` output: one row per (spec, pair) with
        ``spec, pair, diff, ci_low, ci_high`` and one column per choice; ``target``,
        ``baseline`` and ``n_a, n_b`` are used when present. A NaN ``diff`` (not estimable) is
        left out of the curve and counted in the pair's label ("7 of 8 estimable").
    choices : sequence of str
        The choice columns, in the order of the matrix rows; each column's values are listed
        in their order of first appearance in the table sorted by ``spec``.
    target : str, optional
        The target; required when the table holds several.
    target_name : str, optional
        How the y-axis label names the target (default: ``target``).
    choice_labels : mapping, optional
        Column -> name in the matrix labels ("unit of analysis: sentence").
    max_pairs : int, default 6
        More pairs than this is refused: filter the table first.

    Returns
    -------
    Axes
        The first pair's top panel (``save_figure`` of it saves the whole figure). The figure
        has ``2 x n_pairs`` axes: row 0 the curves (label of the pair above each, as its top
        x-axis label, so that :func:`add_title` can put a caption above), row 1 the choices.
        Artists carry labels: "estimates" and "intervals" (curve), "baseline" (diamond),
        "choices" (matrix dots, coloured like their estimate; the baseline column shaded).
        The layout is computed once and then fixed, so saving twice gives the same bytes.
    """
    what = "specification_curve"
    choices = _choice_columns(table, choices, what)
    _require(table, (*_SPEC_COLUMNS, *choices), what)
    table, chosen = _one_target(table, target, what)
    if table.duplicated(["pair", "spec"]).any():
        raise ConfigError(f"{what}: several rows per (pair, spec); give one row per specification "
                          "and pair (plots do not aggregate)")
    pairs = sorted(dict.fromkeys(table["pair"].astype(str)))
    if not isinstance(max_pairs, int) or max_pairs < 1:
        raise ConfigError(f"{what}: max_pairs must be a positive integer; received {max_pairs!r}")
    if len(pairs) > max_pairs:
        raise ConfigError(f"{what}: {len(pairs)} pairs of groups, more than max_pairs={max_pairs} "
                          "side by side; filter the table to fewer pairs (or raise max_pairs)")
    names = dict(choice_labels or {})
    rows = _choice_rows(table, choices)
    labels = [f"{names.get(dim, dim)}: {value}" for dim, value in rows]
    n_specs = max(int(np.count_nonzero(table["pair"].astype(str) == p)) for p in pairs)
    size = _curve_sizes(len(pairs), n_specs, labels)
    with plot_style():
        fig = Figure(figsize=size["figsize"], layout="constrained")
        FigureCanvasAgg(fig)
        axes = fig.subplots(2, len(pairs), sharex="col", sharey="row", squeeze=False,
                            gridspec_kw={"height_ratios": size["heights"], "hspace": 0.02})
        for k, pair in enumerate(pairs):
            part = table[table["pair"].astype(str) == pair].sort_values("spec", kind="stable")
            curve = _curve_panel(axes[0, k], part, pair, wrap=size["wrap"], dot=size["dot"])
            _choice_panel(axes[1, k], curve, rows, choices, dot=size["dot"])
        ylabel = stance_label(target_name if target_name is not None else chosen,
                              "Difference in mean stance")
        axes[0, 0].set_ylabel(textwrap.fill(ylabel, 40), fontsize=7)
        axes[1, 0].set_yticks(range(len(rows)), labels, fontsize=7)
        for ax in axes[:, 1:].ravel():
            ax.tick_params(axis="y", labelleft=False)
        fig.legend(handles=_curve_legend(table), loc="outside lower center", ncols=4,
                   frameon=False, fontsize=7)
        _even_label_lines([ax.xaxis.label for ax in axes[0]])
        # Lay out once (twice: tick labels depend on the panel sizes), then fix the positions:
        # another layout pass at each save would move them by fractions of a point, and a figure
        # saved twice would differ. A caption added later (add_title) is kept by the tight bbox.
        for _ in range(2):
            fig.draw_without_rendering()
        fig.set_layout_engine("none")
    return axes[0, 0]


def _even_label_lines(labels: Sequence[Any]) -> None:
    """Pad the pair labels to the same number of lines, so that a caption above the first
    column (:func:`add_title`) clears a taller label of another column."""
    lines = [label.get_text().count("\n") + 1 for label in labels]
    for label, n in zip(labels, lines, strict=True):
        label.set_text(label.get_text() + "\n " * (max(lines) - n))


def _curve_sizes(n_pairs: int, n_specs: int, labels: Sequence[str]) -> dict[str, Any]:
    """Figure size from the numbers of pairs, specifications and choice rows, and the dot
    diameter (points) from the room each specification has, so neighbouring dots stay apart."""
    column = min(max(2.4, 1.0 + 0.035 * n_specs), 4.5)
    top, bottom = 2.4, 0.35 + 0.19 * len(labels)
    width = 0.9 + 0.055 * max(len(label) for label in labels) + column * n_pairs
    spacing = 72 * (column - 0.2) / max(n_specs, 1)  # points between neighbouring specifications
    return {"figsize": (width, top + bottom + 1.1), "heights": [top, bottom],
            "wrap": int(column * 20), "dot": min(4.0, 0.8 * spacing)}


def _choice_columns(table: Any, choices: Sequence[str], what: str) -> list[str]:
    """The choice columns as a list; refuses none, and names the ones the table lacks."""
    choices = [choices] if isinstance(choices, str) else list(choices or ())
    if not choices:
        raise ConfigError(f"{what}: give at least one choice column (choices=[...])")
    if isinstance(table, pd.DataFrame):
        unknown = [c for c in choices if c not in table.columns]
        if unknown:
            raise ConfigError(f"{what}: choice column(s) {', '.join(map(str, unknown))} not in the "
                              f"table; it has {', '.join(map(str, table.columns))}")
    return choices


def _choice_text(value: Any) -> str:
    return "(none)" if pd.isna(value) else str(value)


def _choice_rows(table: pd.DataFrame, choices: Sequence[str]) -> list[tuple[str, str]]:
    """(dimension, value) rows: dimensions as given, values in order of first appearance by spec
    (not re-sorted: "0.1" stays before "0.05" if the table says so)."""
    ordered = table.sort_values("spec", kind="stable")
    return [(dim, value) for dim in choices for value in dict.fromkeys(ordered[dim].map(_choice_text))]


def _side_colours(low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """Per estimate: "against" colour when its interval is entirely below 0, "favor" colour when
    entirely above, grey otherwise (including no interval)."""
    colours = np.full(len(low), UNDECIDED_COLOUR, dtype=object)
    with np.errstate(invalid="ignore"):
        colours[high < 0] = STANCE_COLOURS["against"]
        colours[low > 0] = STANCE_COLOURS["favor"]
    return colours


def _curve_panel(ax: Axes, part: pd.DataFrame, pair: str, *, wrap: int, dot: float) -> pd.DataFrame:
    """Draw one pair's sorted estimates; return its estimable rows in drawing order, with their
    x position (``_x``) and colour (``_colour``)."""
    estimable = part[np.isfinite(part["diff"].to_numpy(dtype=float))]
    curve = estimable.sort_values(["diff", "spec"], kind="stable")
    x = np.arange(1, len(curve) + 1, dtype=float)
    y = curve["diff"].to_numpy(dtype=float)
    low, high = curve["ci_low"].to_numpy(dtype=float), curve["ci_high"].to_numpy(dtype=float)
    colours = _side_colours(low, high)
    curve = curve.assign(_x=x, _colour=colours)
    has = np.isfinite(low) & np.isfinite(high)
    ax.vlines(x[has], low[has], high[has], colors=list(colours[has]), linewidth=min(1.0, 0.3 * dot),
              zorder=2, label="intervals")
    ax.scatter(x, y, c=list(colours), s=dot**2, linewidths=0, zorder=3, label="estimates")
    base = _baseline_mask(curve)
    if base.any():
        ax.scatter(x[base], y[base], marker="D", s=(2 * dot) ** 2, facecolors="none", edgecolors="0.1",
                   linewidths=1.1, zorder=4, label="baseline", clip_on=False)
    _zero_line(ax, 0.0, vertical=False)
    if not len(curve):
        ax.text(0.5, 0.5, "no estimable specification", transform=ax.transAxes, ha="center",
                va="center", fontsize=7, color="0.3")
    title = pair
    if {"n_a", "n_b"} <= set(part.columns):
        marked = part[_baseline_mask(part)]
        first = (marked if len(marked) else part).iloc[0]
        title = f"{pair} (n={_count(first['n_a'])}/{_count(first['n_b'])})"
    title = textwrap.fill(title, max(wrap, 20))
    if len(curve) < len(part):  # the curve leaves these out: say so
        title += f"\n{len(curve)} of {len(part)} estimable"
    ax.xaxis.set_label_position("top")
    ax.set_xlabel(title, fontsize=8)
    ax.tick_params(axis="y", labelsize=7)
    return curve


def _baseline_mask(part: pd.DataFrame) -> np.ndarray:
    if "baseline" not in part.columns:
        return np.zeros(len(part), dtype=bool)
    return part["baseline"].fillna(False).astype(bool).to_numpy()


def _choice_panel(ax: Axes, curve: pd.DataFrame, rows: list[tuple[str, str]],
                  choices: Sequence[str], *, dot: float) -> None:
    """Dots of the choices each drawn specification uses, under its estimate (same x)."""
    position = {row: k for k, row in enumerate(rows)}
    xs, ys, colours = [], [], []
    for dim in choices:
        for x, value, colour in zip(curve["_x"], curve[dim].map(_choice_text), curve["_colour"],
                                    strict=True):
            xs.append(x)
            ys.append(position[(dim, value)])
            colours.append(colour)
    ax.scatter(xs, ys, c=colours, s=(0.8 * dot) ** 2, linewidths=0, zorder=3, label="choices")
    for x in curve["_x"][_baseline_mask(curve)]:
        ax.axvspan(x - 0.5, x + 0.5, color="0.88", linewidth=0, zorder=0)
    for k in range(1, len(rows)):
        if rows[k][0] != rows[k - 1][0]:
            ax.axhline(k - 0.5, color="0.45", linewidth=0.6, zorder=1)
    ax.set_ylim(len(rows) - 0.5, -0.5)
    ax.set_xlim(0.3, max(len(curve), 1) + 0.7)
    ax.grid(axis="x", visible=False)
    ax.xaxis.set_major_locator(mpl.ticker.MaxNLocator(nbins=6, integer=True, min_n_ticks=1))
    ax.tick_params(axis="x", labelsize=7)
    ax.set_xlabel("Specifications, sorted by estimate", fontsize=7)


def _curve_legend(table: pd.DataFrame) -> list[Line2D]:
    """Proxy artists naming the colours and the baseline marker."""
    def dot(colour: str, label: str) -> Line2D:
        return Line2D([], [], color=colour, marker="o", markersize=4, linewidth=1.0, label=label)

    estimable = np.isfinite(table["diff"].to_numpy(dtype=float))
    missing = estimable & ~(np.isfinite(table["ci_low"].to_numpy(dtype=float))
                            & np.isfinite(table["ci_high"].to_numpy(dtype=float)))
    handles = [dot(STANCE_COLOURS["against"], "interval below 0"),
               dot(UNDECIDED_COLOUR, "interval includes 0" + (" or none" if missing.any() else "")),
               dot(STANCE_COLOURS["favor"], "interval above 0")]
    if _baseline_mask(table).any():
        handles.append(Line2D([], [], color="0.1", marker="D", markersize=6, markerfacecolor="none",
                              linestyle="none", label="configured specification"))
    return handles
