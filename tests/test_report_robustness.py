"""Tests of the report's "Robustness of conclusions" section: a tiny run folder (write_comparison on
a hand-made score table) plus a multiverse written by hand (robustness.parquet,
multiverse.parquet, multiverse.json, one specification curve), through build_report."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from framing.analysis import plots, report_tables  # noqa: E402
from framing.infra import tableio  # noqa: E402
from framing.infra.errors import DataError  # noqa: E402
from framing.report.build import build_report  # noqa: E402

OUTLETS = ("Alpha", "Beta", "Gamma")
TARGETS = ("CN", "US")
LEAN = {"Alpha": -0.5, "Beta": 0.1, "Gamma": 0.5}
CN_CAPTION = "Specification curve of the contrasts toward CN (hand-drawn)"
US_NOTE = "7 pairs of groups: more than the 6 a curve shows side by side"
CHOICES = {
    "scorer": ["lexicon", "hybrid: newsmtsc-hybrid"],
    "target_kinds": ["default kinds", "name, short_name"],
    "aggregation": ["smoothed-v1", "author-v1"],
    "neutral_band": ["0", "0.1", "0.2"],
    "unit": ["article", "sentence"],
}
LABELS = {
    "scorer": "scorer",
    "target_kinds": "alias kinds",
    "aggregation": "aggregation (voice)",
    "neutral_band": "neutral band",
    "unit": "unit of analysis",
}


def _scores() -> pd.DataFrame:
    rows = []
    for outlet in OUTLETS:
        for i in range(6):
            for target in TARGETS:
                score = LEAN[outlet] + 0.1 * (i % 3 - 1)
                rows.append(
                    {
                        "article_id": f"{outlet.lower()}-{i}",
                        "outlet": outlet,
                        "target": target,
                        "method": "lexicon",
                        "score": score,
                        "label": "favor" if score > 0.1 else "against" if score < -0.1 else "neutral",
                        "confidence": 0.5,
                        "n_mentions": 1,
                        "n_cues": 1,
                        "evidence": [],
                    }
                )
    return pd.DataFrame(rows)


def _robustness() -> pd.DataFrame:
    """Six contrasts, US first (the report orders targets itself), one of each verdict and more."""
    rows = [
        ("US", "Alpha vs Beta", 48, 48, 0.05, -0.02, "−", 0.55, 0.10, 0.20, "flips"),
        ("US", "Alpha vs Gamma", 48, 48, -0.9, -0.85, "−", 1.0, 0.96, 0.0, "holds"),
        ("US", "Beta vs Gamma", 48, 0, float("nan"), float("nan"), "0", float("nan"),
         float("nan"), float("nan"), "not estimable"),
        ("CN", "Beta vs Gamma", 48, 40, 0.1, 0.05, "+", 0.6, 0.05, 0.1, "flips"),
        ("CN", "Alpha vs Gamma", 48, 48, -1.0, -0.95, "−", 1.0, 1.0, 0.0, "holds"),
        ("CN", "Alpha vs Beta", 48, 47, -0.6, -0.5, "−", 0.94, 0.5, 0.0, "same sign"),
    ]
    columns = ["target", "pair", "n_specs", "n_estimated", "baseline_diff", "median_diff", "sign",
               "share_same_sign", "share_excluding_zero", "share_reversed", "verdict"]
    table = pd.DataFrame(rows, columns=columns)
    groups = table["pair"].str.split(" vs ", expand=True)
    return table.assign(group_a=groups[0], group_b=groups[1])


def _multiverse_rows() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "spec": [1, 1, 2, 2],
            "scorer": ["lexicon"] * 4,
            "target": ["CN", "US", "CN", "US"],
            "pair": ["Alpha vs Beta"] * 4,
            "diff": [-0.6, 0.05, -0.4, -0.1],
            "ci_low": [-0.9, -0.2, -0.7, -0.3],
            "ci_high": [-0.3, 0.3, -0.1, 0.1],
            "baseline": [True, True, False, False],
        }
    )


def _record() -> dict:
    return {
        "format": 1,
        "settings": {
            "choices": CHOICES,
            "choice_labels": LABELS,
            "baseline": {
                "scorer": "lexicon",
                "target_kinds": "default kinds",
                "aggregation": "smoothed-v1",
                "neutral_band": "0",
                "unit": "article",
            },
            "n_specs": 48,
            "by": ["outlet"],
            "n_boot": 100,
            "ci": 0.95,
            "random_state": 13,
            "hold_share": 0.9,
        },
        "counts": {"n_specs": 48, "n_contrasts": 6, "holds": 2, "same_sign": 1, "flips": 2,
                   "not_estimable": 1},
        "files": {},
        "figures": [{"stem": "specification-curve-cn", "kind": "specification_curve",
                     "target": "CN", "caption": CN_CAPTION}],
        "notes": {"specification curve US": US_NOTE},
    }


def make_multiverse_run(run: Path) -> Path:
    report_tables.write_comparison(
        _scores(), run, random_state=3, n_boot=50, n_perm=49, min_n=2, formats=("svg",)
    )
    tableio.write_table(_robustness(), run / report_tables.TABLE_FILES["robustness"])
    tableio.write_table(_multiverse_rows(), run / report_tables.TABLE_FILES["multiverse"])
    tableio.write_json(_record(), run / report_tables.MULTIVERSE_FILE)
    fig, ax = plt.subplots(figsize=(3, 2))
    ax.plot([0, 1, 2], [-0.5, 0.0, 0.4])
    plots.save_figure(fig, run / report_tables.FIGURES_DIR / "specification-curve-cn", ("svg",))
    plt.close(fig)
    return run


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> Path:
    folder = make_multiverse_run(tmp_path_factory.mktemp("multiverse"))
    build_report(folder)
    return folder


@pytest.fixture(scope="module")
def page(run) -> str:
    return (run / "report.html").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def markdown(run) -> str:
    return (run / "report.md").read_text(encoding="utf-8")


def _section(text: str, start: str, end: str) -> str:
    return text[text.index(start) : text.index(end, text.index(start))]


def test_section_heading_and_design_in_both_renderings(page, markdown):
    assert '<h2 id="robustness">Robustness of conclusions</h2>' in page
    assert "## Robustness of conclusions" in markdown
    assert '<a href="#robustness">' in page and "(#robustness)" in markdown
    # After the comparisons, before provenance.
    assert page.index('id="robustness"') < page.index('id="provenance"')
    design = (
        "Every contrast of the report was recomputed under 48 specifications: every combination "
        "of scorer (lexicon, hybrid: newsmtsc-hybrid), alias kinds (default kinds; name, "
        "short_name), aggregation (voice) (smoothed-v1, author-v1), neutral band (0, 0.1, 0.2) "
        "and unit of analysis (article, sentence). The configured analysis is scorer: lexicon; "
        "alias kinds: default kinds; aggregation (voice): smoothed-v1; neutral band: 0; unit of "
        "analysis: article. A contrast holds when its interval excludes zero in the same "
        "direction in at least 90% of the specifications;"
    )
    assert design in page
    assert design.replace("short_name", r"short\_name") in markdown
    assert "it flips when fewer than 90% have the same sign" in page
    assert "is in multiverse.parquet." in page


def test_summary_counts_and_verdict_lists(page, markdown):
    summary = (
        "2 of 6 contrasts hold, 1 keeps its sign without an interval that excludes zero often "
        "enough, 2 flip and 1 could not be estimated."
    )
    for text in (page, markdown):
        assert summary in text
        assert ("Hold in at least 90% of specifications: CN: Alpha vs Gamma (same sign in 48 of "
                "48, interval clear of zero in 48); US: Alpha vs Gamma (same sign in 48 of 48, "
                "interval clear of zero in 46).") in text
        assert ("Keep their sign in at least 90%, the interval clear of zero in fewer: CN: Alpha "
                "vs Beta (same sign in 45 of 48, interval clear of zero in 24).") in text
        assert ("Flip: CN: Beta vs Gamma (same sign in 29 of 48, interval clear of zero in 2); "
                "US: Alpha vs Beta (same sign in 26 of 48, interval clear of zero in 5).") in text


def test_target_tables_are_ordered_by_target_then_verdict(page, markdown):
    section = _section(page, 'id="robustness"', 'id="provenance"')
    assert section.index('id="robustness-1">Target: CN<') < section.index('id="robustness-2">Target: US<')
    cn = _section(section, 'id="robustness-1"', 'id="robustness-2"')
    pairs = re.findall(r"<td[^>]*>((?:Alpha|Beta) vs \w+)</td>", cn)
    assert pairs == ["Alpha vs Gamma", "Alpha vs Beta", "Beta vs Gamma"]  # holds, same sign, flips
    for header in ("estimated", "configured estimate", "median", "same sign",
                   "interval excludes zero", "reversed", "verdict"):
        assert f">{header}<" in cn, header
    assert "47 of 48" in cn and "94%" in cn and "-0.60" in cn
    md = _section(markdown, "## Robustness of conclusions", "## Provenance")
    assert "| pair | estimated | configured estimate | median | same sign |" in md
    assert "| Beta vs Gamma | 0 of 48 | – | – | – | – | – | not estimable |" in md


def test_specification_curve_is_embedded_with_its_caption(page, markdown):
    section = _section(page, 'id="robustness-1"', 'id="robustness-2"')
    assert 'src="data:image/svg+xml;base64,' in section and CN_CAPTION in section
    assert "(figures/specification-curve-cn.svg)" in markdown
    assert "specification-curve-cn" not in page[page.index('id="provenance"') :]
    assert 'id="other-figures"' not in page  # shown in its section, not again
    assert f"No specification curve of US: {US_NOTE}." in page


def test_without_multiverse_json_there_is_no_section(run, tmp_path):
    folder = tmp_path / "plain"
    shutil.copytree(run, folder)
    (folder / report_tables.MULTIVERSE_FILE).unlink()
    out = build_report(folder)
    page = out["html"].read_text(encoding="utf-8")
    markdown = out["markdown"].read_text(encoding="utf-8")
    assert "Robustness of conclusions" not in page and "Robustness of conclusions" not in markdown
    assert "robustness.parquet" in page  # still listed among the folder's tables


def test_multiverse_json_without_robustness_table_gives_a_note(run, tmp_path):
    folder = tmp_path / "json-only"
    shutil.copytree(run, folder)
    (folder / report_tables.TABLE_FILES["robustness"]).unlink()
    page = build_report(folder)["html"].read_text(encoding="utf-8")
    assert "Robustness of conclusions" in page
    assert "No robustness.parquet in this run folder" in page


def test_robustness_table_lacking_a_column_is_named(run, tmp_path):
    folder = tmp_path / "broken"
    shutil.copytree(run, folder)
    path = folder / report_tables.TABLE_FILES["robustness"]
    tableio.write_table(_robustness().drop(columns=["verdict"]), path)
    with pytest.raises(DataError, match=r"robustness.parquet lacks column\(s\) verdict.*"
                                        r"write_multiverse"):
        build_report(folder)
