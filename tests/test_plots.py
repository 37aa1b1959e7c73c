"""Figures from hand-made tables: they show exactly the table's values, and save byte-identically.

Outlets (Norwell Post, Ostby Herald, Pellam Courier) and numbers are invented.
"""

from __future__ import annotations

import ast
import hashlib
import inspect
import os
import subprocess
import sys
from pathlib import Path

import matplotlib as mpl
import numpy as np
import pandas as pd
import pytest
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from framing.analysis import plots
from framing.infra.errors import ConfigError

OUTLETS = ["Norwell Post", "Ostby Herald", "Pellam Courier"]


@pytest.fixture
def outlet_table() -> pd.DataFrame:
    """What statistics.outlet_table returns, written by hand (one cell left empty)."""
    rows = [
        ("Norwell Post", "NL", 12, 0.25, 0.05, 0.45, 0.1, 0.5, 0.4),
        ("Norwell Post", "SM", 9, -0.40, -0.6, -0.2, 0.6, 0.3, 0.1),
        ("Ostby Herald", "NL", 7, -0.125, -0.4, 0.15, 0.4, 0.4, 0.2),
        ("Ostby Herald", "SM", 1, 0.5, np.nan, np.nan, 0.0, 0.0, 1.0),
        ("Pellam Courier", "NL", 20, 0.0, -0.1, 0.1, 0.2, 0.6, 0.2),
    ]
    return pd.DataFrame(rows, columns=["outlet", "target", "n_articles", "mean", "ci_low", "ci_high",
                                       "share_against", "share_neutral", "share_favor"])


def _point_lines(ax: Axes) -> list:
    """The lines of points of a forest plot (the reference line has no marker)."""
    return [line for line in ax.lines if line.get_marker() == "o"]


def _points(ax: Axes) -> list[tuple[float, float]]:
    return [tuple(xy) for line in _point_lines(ax) for xy in np.column_stack(line.get_data())]


def test_heatmap_shows_exactly_the_table_values(outlet_table):
    ax = plots.heatmap_outlet_target(outlet_table)
    assert isinstance(ax, Axes)
    texts = [t.get_text() for t in ax.texts]
    assert texts == ["0.25\nn=12", "-0.40\nn=9", "-0.12\nn=7", "0.50\nn=1", "0.00\nn=20"]
    assert [t.get_text() for t in ax.get_yticklabels()] == OUTLETS
    assert [t.get_text() for t in ax.get_xticklabels()] == ["NL", "SM"]
    mesh = ax.collections[0].get_array()
    assert mesh.count() == 5 and mesh.mask.sum() == 1  # Pellam x SM is empty, not zero
    bare = plots.heatmap_outlet_target(outlet_table, n_col=None, fmt=".3f")
    assert [t.get_text() for t in bare.texts][:2] == ["0.250", "-0.400"]


def test_heatmap_refuses_to_aggregate(outlet_table):
    with pytest.raises(ConfigError, match="plots do not aggregate"):
        plots.heatmap_outlet_target(pd.concat([outlet_table, outlet_table.head(1)]))
    with pytest.raises(ConfigError, match="needs column"):
        plots.heatmap_outlet_target(outlet_table.drop(columns="mean"))
    with pytest.raises(ConfigError, match="empty table"):
        plots.heatmap_outlet_target(outlet_table.head(0))


def test_forest_plot_points_and_intervals(outlet_table):
    ax = plots.forest_plot(outlet_table)
    assert len(_point_lines(ax)) == 2 and len(ax.collections) == 2  # points and intervals per target
    assert [t.get_text() for t in ax.get_yticklabels()] == OUTLETS
    xs = sorted(x for x, _ in _points(ax))
    assert xs == sorted(outlet_table["mean"])
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["NL", "SM"]
    # intervals span exactly ci_low ... ci_high; the SM row with one article has none
    nl, sm = (np.array([seg[:, 0] for seg in c.get_segments()]) for c in ax.collections)
    assert nl.tolist() == [[0.05, 0.45], [-0.4, 0.15], [-0.1, 0.1]]
    assert sm.tolist() == [[-0.6, -0.2]]
    one = plots.forest_plot(outlet_table, target="NL")
    assert len(_point_lines(one)) == 1 and one.get_legend() is None


def test_forest_plot_of_contrasts():
    contrasts = pd.DataFrame({"pair": ["Norwell Post vs Ostby Herald", "Norwell Post vs Pellam Courier"],
                              "diff": [0.3, -0.1], "ci_low": [0.1, -0.3], "ci_high": [0.5, 0.1]})
    ax = plots.forest_plot(contrasts, group="pair", estimate="diff")
    assert [x for x, _ in _points(ax)] == [0.3, -0.1]
    assert ax.get_xlabel() == "Difference in mean stance, a \u2212 b (stance \u22121 against \u2026 +1 in favour)"


def test_stance_distribution_bars_are_the_shares(outlet_table):
    ax = plots.stance_distribution(outlet_table, target="NL")
    assert len(ax.patches) == 3 * 3
    widths = np.array([p.get_width() for p in ax.patches]).reshape(3, 3)  # label x outlet
    nl = outlet_table[outlet_table["target"] == "NL"]
    assert np.allclose(widths, nl[["share_against", "share_neutral", "share_favor"]].to_numpy().T)
    assert [t.get_text() for t in ax.get_yticklabels()] == [
        "Norwell Post (n=12)", "Ostby Herald (n=7)", "Pellam Courier (n=20)"]
    every = plots.stance_distribution(outlet_table)
    assert len(every.patches) == 3 * 5
    assert every.get_yticklabels()[0].get_text() == "Norwell Post · NL (n=12)"


@pytest.fixture
def frame_table() -> pd.DataFrame:
    rows = [(o, t, c, s) for o, shares in (("Norwell Post", (0.5, 0.25)), ("Ostby Herald", (0.0, 1.0)))
            for t in ("NL", "") for c, s in zip(("conflict", "cooperation"), shares, strict=True)]
    return pd.DataFrame(rows, columns=["outlet", "target", "category", "article_share"])


def test_frame_shares_heatmap(frame_table):
    ax = plots.frame_shares(frame_table, target="NL")
    assert [t.get_text() for t in ax.texts] == ["0.50", "0.25", "0.00", "1.00"]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["conflict", "cooperation"]
    assert ax.get_title() == "target: NL"
    with pytest.raises(ConfigError, match="choose one with target="):
        plots.frame_shares(frame_table)


def test_distinguishing_terms_plot():
    terms = pd.DataFrame({"term": ["hegemony", "decoupling", "partnership"], "favours": ["a", "a", "b"],
                          "z": [6.5, 3.2, -4.1]})
    ax = plots.distinguishing_terms_plot(terms)
    assert [p.get_width() for p in ax.patches] == [6.5, 3.2, -4.1]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["hegemony", "decoupling", "partnership"]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["a", "b"]
    with pytest.raises(ConfigError, match="terms repeat"):
        plots.distinguishing_terms_plot(pd.concat([terms, terms]))


def test_stance_over_time_one_line_per_outlet():
    table = pd.DataFrame({
        "outlet": ["Norwell Post"] * 3 + ["Ostby Herald"] * 2,
        "period": ["2024-06", "2024-07", "2024-08", "2024-06", "2024-08"],
        "target": "NL", "mean": [0.1, 0.2, 0.3, -0.2, -0.1],
        "ci_low": [0.0, 0.1, 0.2, -0.3, -0.2], "ci_high": [0.2, 0.3, 0.4, -0.1, 0.0],
    })
    ax = plots.stance_over_time(table)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["Norwell Post", "Ostby Herald"]
    lines = [line for line in ax.lines if line.get_label() in ("Norwell Post", "Ostby Herald")]
    assert len(lines) == 2 and len(ax.collections) == 2  # lines and bands
    assert lines[0].get_ydata().tolist() == [0.1, 0.2, 0.3]
    ostby = lines[1].get_ydata()
    assert ostby[0] == -0.2 and np.isnan(ostby[1]) and ostby[2] == -0.1  # a missing month is a gap
    assert [t.get_text() for t in ax.get_xticklabels()] == ["2024-06", "2024-07", "2024-08"]
    with pytest.raises(ConfigError, match="choose one with target="):
        plots.stance_over_time(pd.concat([table, table.assign(target="SM")]))


def test_plot_into_a_given_axes(outlet_table):
    fig = Figure()
    ax = fig.add_subplot()
    assert plots.heatmap_outlet_target(outlet_table, ax=ax) is ax
    with pytest.raises(ConfigError, match="ax must be"):
        plots.forest_plot(outlet_table, ax="left")


def _digests(paths: list[Path]) -> list[str]:
    return [hashlib.sha256(p.read_bytes()).hexdigest() for p in paths]


def test_saving_twice_gives_identical_bytes(outlet_table, tmp_path):
    ax = plots.forest_plot(outlet_table)
    first = plots.save_figure(ax.figure, tmp_path / "one" / plots.figure_name("stance by outlet"))
    assert [p.name for p in first] == ["stance-by-outlet.pdf", "stance-by-outlet.svg", "stance-by-outlet.png"]
    second = plots.save_figure(ax, tmp_path / "two" / "stance-by-outlet")
    assert _digests(first) == _digests(second)
    # a figure drawn again from the same table saves the same bytes too
    again = plots.save_figure(plots.forest_plot(outlet_table), tmp_path / "three" / "stance-by-outlet")
    assert _digests(first) == _digests(again)
    pdf, svg, png = (p.read_bytes() for p in first)
    assert b"CreationDate" not in pdf and b"<dc:date>" not in svg and b"Software" not in png


def test_saving_in_a_new_process_gives_identical_bytes(outlet_table, tmp_path):
    """A rerun is a new process (new hash seed, new font cache state): same bytes."""
    outlet_table.to_csv(tmp_path / "table.csv", index=False)
    script = (
        "import sys, hashlib, pandas as pd\n"
        "from framing.analysis import plots\n"
        "t = pd.read_csv(sys.argv[1])\n"
        "paths = plots.save_figure(plots.heatmap_outlet_target(t), sys.argv[2])\n"
        "print(' '.join(hashlib.sha256(p.read_bytes()).hexdigest() for p in paths))\n"
    )
    digests = []
    for k, seed in enumerate(("1", "2")):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        out = subprocess.run([sys.executable, "-c", script, str(tmp_path / "table.csv"),
                              str(tmp_path / f"run{k}" / "heat")], env=env, capture_output=True,
                             text=True, check=True)
        digests.append(out.stdout.split())
    assert len(digests[0]) == 3 and digests[0] == digests[1]


def test_save_figure_rejects_unknown_formats(outlet_table, tmp_path):
    ax = plots.forest_plot(outlet_table)
    with pytest.raises(ConfigError, match="accepted: pdf, svg, png"):
        plots.save_figure(ax, tmp_path / "x", formats=("jpg",))
    assert plots.save_figure(ax, tmp_path / "x", formats="png") == [tmp_path / "x.png"]


def test_plot_style_is_fixed_and_restored():
    before = mpl.rcParams["svg.hashsalt"]
    with plots.plot_style():
        assert mpl.rcParams["svg.hashsalt"] == "framing"
        assert mpl.rcParams["font.sans-serif"][0] == "DejaVu Sans"
    assert mpl.rcParams["svg.hashsalt"] == before


def test_figure_names_say_what_they_show():
    assert plots.figure_name("stance by outlet", "China") == "stance-by-outlet-china"
    assert plots.figure_name("Frames", "De Koersbode", "") == "frames-de-koersbode"
    with pytest.raises(ConfigError, match="no letters or digits"):
        plots.figure_name("--", "")


def test_plots_compute_no_statistics():
    """The plotting module calls no aggregation: every number drawn comes from the table."""
    forbidden = {"mean", "median", "std", "var", "quantile", "percentile", "groupby", "agg",
                 "aggregate", "pivot_table", "value_counts", "describe", "sum", "bootstrap"}
    tree = ast.parse(inspect.getsource(plots))
    called = {node.func.attr for node in ast.walk(tree)
              if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)}
    assert not called & forbidden
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom | ast.Import)
                for alias in node.names} | {node.module for node in ast.walk(tree)
                                            if isinstance(node, ast.ImportFrom)}
    statistics_modules = {"statistics", "frames", "terms", "events", "disagreement", "tidy"}
    assert not {"scipy", "statsmodels"} & imported
    assert not (statistics_modules | {f"framing.analysis.{m}" for m in statistics_modules}) & imported


# --- figures that stand alone: quantity, target, scale, n and the zero line on the figure ---

SCALE = "(\u22121 against \u2026 +1 in favour)"


def test_interval_plot_says_quantity_target_scale_and_n(outlet_table):
    part = outlet_table[outlet_table["target"] == "NL"]
    ax = plots.forest_plot(part, hue=None)
    assert ax.get_xlabel() == f"Mean stance toward NL {SCALE}"
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == ["Norwell Post (n=12)", "Ostby Herald (n=7)", "Pellam Courier (n=20)"]
    zero = [line for line in ax.lines if list(line.get_xdata()) == [0, 0]]
    assert len(zero) == 1 and zero[0].get_linestyle() == "-"


def test_contrast_plot_labels_carry_both_counts():
    contrasts = pd.DataFrame({"target": ["NL"], "pair": ["Norwell Post vs Ostby Herald"], "n_a": [12],
                              "n_b": [7], "diff": [0.3], "ci_low": [0.1], "ci_high": [0.5]})
    ax = plots.forest_plot(contrasts, group="pair", estimate="diff", hue=None, n_col=("n_a", "n_b"))
    assert [t.get_text() for t in ax.get_yticklabels()] == ["Norwell Post vs Ostby Herald (n=12/7)"]
    assert ax.get_xlabel().startswith("Difference in mean stance toward NL, a \u2212 b")


def test_heatmap_colour_bar_and_over_time_axis_say_the_scale(outlet_table):
    ax = plots.heatmap_outlet_target(outlet_table)
    colour_bar = ax.figure.axes[-1]
    assert colour_bar.get_ylabel() == f"Mean stance {SCALE}"
    table = pd.DataFrame({"outlet": ["Norwell Post"] * 2 + ["Ostby Herald"] * 2, "target": ["NL"] * 4,
                          "period": ["2024-01", "2024-02"] * 2, "n_group": [7, 7, 11, 11],
                          "mean": [0.1, 0.2, -0.1, -0.3], "ci_low": [0.0] * 4, "ci_high": [0.3] * 4})
    ax = plots.stance_over_time(table)
    assert ax.get_ylabel() == f"Mean stance toward NL {SCALE}"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["Norwell Post (n=7)", "Ostby Herald (n=11)"]


def test_titles_for_paper_export_are_wrapped_and_saved_identically(outlet_table, tmp_path):
    caption = "Mean stance toward NL per outlet, 95% bootstrap interval; " * 3
    digests = []
    for k in range(2):
        ax = plots.add_title(plots.forest_plot(outlet_table, target="NL", hue=None), caption)
        assert ax.get_title(loc="left") .count("\n") >= 2
        (path,) = plots.save_figure(ax, tmp_path / f"f{k}", formats=("svg",))
        digests.append(hashlib.sha256(path.read_bytes()).hexdigest())
    assert digests[0] == digests[1]


# --- specification curve: every specification's estimate, sorted, over the choices behind it ---

SPEC_DIMS = ("scorer", "neutral_band", "unit")
SPEC_PAIRS = ("Norwell Post vs Ostby Herald", "Norwell Post vs Pellam Courier")


@pytest.fixture
def spec_table() -> pd.DataFrame:
    """What multiverse.contrasts returns for 2 pairs x 8 specs x 3 choices, by hand; spec 3 is
    the configured one, the band values come "0.1" before "0" (the figure keeps that order),
    and the second pair has one spec without an estimate and one without an interval."""
    choices = [(s, b, u) for s in ("lexicon", "hybrid: newsmtsc-hybrid") for b in ("0.1", "0")
               for u in ("article", "sentence")]
    # spec: (diff, ci_low, ci_high) per pair
    first = [(0.30, 0.15, 0.45), (-0.10, -0.25, 0.05), (0.05, -0.10, 0.20), (0.50, 0.35, 0.65),
             (-0.40, -0.55, -0.25), (0.20, 0.05, 0.35), (0.00, -0.15, 0.15), (0.10, -0.05, 0.25)]
    second = [(-0.30, -0.45, -0.15), (-0.20, -0.35, -0.05), (0.10, -0.05, 0.25), (0.40, np.nan, np.nan),
              (-0.05, -0.20, 0.10), (0.25, 0.10, 0.40), (0.15, 0.01, 0.29), (np.nan, np.nan, np.nan)]
    rows = []
    for pair, estimates, n_b in ((SPEC_PAIRS[0], first, 9), (SPEC_PAIRS[1], second, 20)):
        for spec, ((scorer, band, unit), (diff, low, high)) in enumerate(
                zip(choices, estimates, strict=True), start=1):
            rows.append({"spec": spec, "scorer": scorer, "neutral_band": band, "unit": unit,
                         "target": "NL", "group_a": "Norwell Post", "group_b": pair.split(" vs ")[1],
                         "pair": pair, "n_a": 12 if spec == 3 else 11, "n_b": n_b, "diff": diff,
                         "ci_low": low, "ci_high": high, "baseline": spec == 3})
    table = pd.DataFrame(rows)
    return table.iloc[::-1].reset_index(drop=True)  # row order is not spec order


def _panels(ax: Axes) -> dict[tuple[int, int], Axes]:
    """The figure's axes by (row, column) of their grid."""
    return {(a.get_subplotspec().rowspan.start, a.get_subplotspec().colspan.start): a
            for a in ax.figure.axes}


def _collection(ax: Axes, label: str):
    (found,) = [c for c in ax.collections if c.get_label() == label]
    return found


def _expected_colour(low: float, high: float) -> tuple:
    colour = (plots.STANCE_COLOURS["against"] if high < 0 else plots.STANCE_COLOURS["favor"] if low > 0
              else plots.UNDECIDED_COLOUR)
    return mpl.colors.to_rgba(colour)


def test_specification_curve_has_a_curve_and_a_choice_matrix_per_pair(spec_table):
    labels = {"neutral_band": "neutral band", "unit": "unit of analysis"}
    ax = plots.specification_curve(spec_table, choices=SPEC_DIMS, target_name="the Netherlands",
                                   choice_labels=labels)
    panels = _panels(ax)
    assert sorted(panels) == [(0, 0), (0, 1), (1, 0), (1, 1)] and panels[0, 0] is ax
    titles = [" ".join(panels[0, k].get_xlabel().split()) for k in (0, 1)]  # wrapped, padded
    assert titles[0] == "Norwell Post vs Ostby Herald (n=12/9)"  # n of the baseline row
    assert titles[1] == "Norwell Post vs Pellam Courier (n=12/20) 7 of 8 estimable"
    assert ax.get_ylabel().replace("\n", " ") == f"Difference in mean stance toward the Netherlands {SCALE}"
    assert [t.get_text() for t in panels[1, 0].get_yticklabels()] == [
        "scorer: lexicon", "scorer: hybrid: newsmtsc-hybrid", "neutral band: 0.1", "neutral band: 0",
        "unit of analysis: article", "unit of analysis: sentence"]
    assert panels[1, 1].get_xlabel() == "Specifications, sorted by estimate"
    zero = [line for line in ax.lines if list(line.get_ydata()) == [0, 0]]
    assert len(zero) == 1 and zero[0].get_linestyle() == "-"
    legend = [t.get_text() for t in ax.figure.legends[0].get_texts()]
    assert legend[-1] == "configured specification" and "interval includes 0 or none" in legend


def test_specification_curve_sorts_estimates_and_colours_them_by_interval(spec_table):
    panels = _panels(plots.specification_curve(spec_table, choices=SPEC_DIMS))
    for column, pair in enumerate(SPEC_PAIRS):
        rows = spec_table[(spec_table["pair"] == pair) & spec_table["diff"].notna()]
        rows = rows.sort_values(["diff", "spec"])
        points = _collection(panels[0, column], "estimates")
        offsets = np.asarray(points.get_offsets())
        assert offsets[:, 0].tolist() == list(range(1, len(rows) + 1))
        assert offsets[:, 1].tolist() == rows["diff"].tolist()  # ascending, NaN left out
        expected = [_expected_colour(lo, hi) for lo, hi in zip(rows["ci_low"], rows["ci_high"], strict=True)]
        assert [tuple(c) for c in points.get_facecolors()] == expected
        # intervals are drawn as given, only where there is one
        has = rows["ci_low"].notna().to_numpy()
        segments = _collection(panels[0, column], "intervals").get_segments()
        assert [seg[:, 1].tolist() for seg in segments] == rows[["ci_low", "ci_high"]].to_numpy()[has].tolist()
    second = _collection(panels[0, 1], "estimates").get_facecolors()
    assert {tuple(c) for c in second} == {mpl.colors.to_rgba(c) for c in (
        plots.STANCE_COLOURS["against"], plots.STANCE_COLOURS["favor"], plots.UNDECIDED_COLOUR)}


def test_specification_curve_marks_the_baseline_and_its_choices(spec_table):
    panels = _panels(plots.specification_curve(spec_table, choices=SPEC_DIMS))
    rows = spec_table[spec_table["pair"] == SPEC_PAIRS[0]].sort_values(["diff", "spec"])
    x = rows["spec"].tolist().index(3) + 1
    baseline = _collection(panels[0, 0], "baseline")
    assert np.asarray(baseline.get_offsets()).tolist() == [[x, 0.05]]
    assert len(baseline.get_facecolors()) == 0 or baseline.get_facecolors()[0][3] == 0  # hollow
    # under each estimate, one dot per dimension, in the row of its value
    dots = np.asarray(_collection(panels[1, 0], "choices").get_offsets())
    assert sorted(dots[dots[:, 0] == x][:, 1].tolist()) == [0, 3, 4]  # lexicon, band 0, article
    assert len(dots) == 3 * 8
    without = spec_table.drop(columns="baseline")
    bare = _panels(plots.specification_curve(without, choices=["unit"]))
    assert not [c for c in bare[0, 0].collections if c.get_label() == "baseline"]
    assert [t.get_text() for t in bare[1, 0].get_yticklabels()] == ["unit: article", "unit: sentence"]


def test_specification_curve_refuses_bad_input(spec_table):
    with pytest.raises(ConfigError, match="choice column.*aggregation.*not in the table"):
        plots.specification_curve(spec_table, choices=["scorer", "aggregation"])
    with pytest.raises(ConfigError, match="needs column.*ci_high"):
        plots.specification_curve(spec_table.drop(columns="ci_high"), choices=SPEC_DIMS)
    with pytest.raises(ConfigError, match="empty table"):
        plots.specification_curve(spec_table.head(0), choices=SPEC_DIMS)
    with pytest.raises(ConfigError, match="at least one choice"):
        plots.specification_curve(spec_table, choices=[])
    with pytest.raises(ConfigError, match="filter the table to fewer pairs"):
        plots.specification_curve(spec_table, choices=SPEC_DIMS, max_pairs=1)
    with pytest.raises(ConfigError, match="choose one with target="):
        plots.specification_curve(pd.concat([spec_table, spec_table.assign(target="SM")]), choices=SPEC_DIMS)
    with pytest.raises(ConfigError, match="plots do not aggregate"):
        plots.specification_curve(pd.concat([spec_table, spec_table.head(1)]), choices=SPEC_DIMS)


def test_specification_curve_saves_identical_bytes(spec_table, tmp_path):
    ax = plots.specification_curve(spec_table, choices=SPEC_DIMS, target="NL")
    first = plots.save_figure(ax, tmp_path / "one" / "specification-curve-nl", formats=("svg", "png"))
    second = plots.save_figure(ax, tmp_path / "two" / "specification-curve-nl", formats=("svg", "png"))
    again = plots.save_figure(plots.specification_curve(spec_table, choices=SPEC_DIMS, target="NL"),
                              tmp_path / "three" / "specification-curve-nl", formats=("svg", "png"))
    assert _digests(first) == _digests(second) == _digests(again)
