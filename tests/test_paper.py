"""`framing paper`: every figure and table of the studies, identical on a second run."""

from __future__ import annotations

from click.testing import CliRunner

from framing.cli import main
from framing.runs import config
from framing.runs.paper import SUMS_FILE, build_paper

CONFIG = """
name = "paper_small"
seed = 7
[corpus]
inputs = ["{demo}/articles.jsonl"]
[scoring]
method = "lexicon"
[compare]
by = ["outlet"]
also_by = ["language"]
n_boot = 200
n_perm = 199
min_n = 2
"""


def test_two_runs_give_identical_files(tmp_path):
    cfg = tmp_path / "paper_small.toml"
    cfg.write_text(CONFIG.replace("{demo}", config.demo_corpus_path().as_posix()), encoding="utf-8")
    first = build_paper([cfg], tmp_path / "paper1", root=tmp_path / "runs1", n_jobs=1, progress=False)
    second = build_paper([cfg], tmp_path / "paper2", root=tmp_path / "runs2", n_jobs=1, progress=False)
    assert first == second
    figures = [name for name in first if name.startswith("paper_small/figures/")]
    assert any(name.endswith("stance-by-outlet-heatmap.pdf") for name in figures)
    assert any(name.endswith("stance-by-language-heatmap.svg") for name in figures)
    assert any("stance-over-time-" in name for name in figures)
    assert {"paper_small/outlet_table.csv", "paper_small/outlet_table_also_by.csv"} <= set(first)
    # every table also as LaTeX (booktabs) beside its CSV, with the same rows
    csvs = sorted(name for name in first if name.endswith(".csv"))
    assert sorted(name for name in first if name.endswith(".tex")) == [n[:-4] + ".tex" for n in csvs]
    tex = (tmp_path / "paper1" / "paper_small" / "outlet_table.tex").read_text(encoding="utf-8")
    assert "\\toprule" in tex and "\\midrule" in tex and tex.rstrip().endswith("\\end{tabular}")
    rows = tex.split("\\midrule")[1].split("\\bottomrule")[0].strip().splitlines()
    n_csv = len((tmp_path / "paper1" / "paper_small" / "outlet_table.csv").read_text().splitlines()) - 1
    assert len(rows) == n_csv
    sums = (tmp_path / "paper1" / SUMS_FILE).read_text()
    assert sums == (tmp_path / "paper2" / SUMS_FILE).read_text()
    assert len(sums.splitlines()) == len(first)
    html = (tmp_path / "paper1" / "paper_small" / "report.html").read_text(encoding="utf-8")
    assert "Stance by language" in html


def test_paper_command_without_configs_is_a_usage_error():
    res = CliRunner().invoke(main, ["paper"])
    assert res.exit_code == 2
    assert "Traceback" not in res.output
