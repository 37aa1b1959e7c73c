"""The ``framing`` command: clear errors, summaries, files written."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from framing.cli import EXIT_USAGE, main
from framing.infra.cli_errors import EXIT_INTERRUPTED, EXIT_UNEXPECTED


def _write_csv(path, rows):
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def test_ingest_then_mentions(tmp_path):
    src = _write_csv(
        tmp_path / "in.csv",
        [
            {"site": "Harbour Ledger", "body": "Washington and Beijing traded accusations on Monday.\n\nThe EU urged calm."},
            {"site": "Polder Post", "body": "De VS en de Europese Unie spraken in Brussel over China."},
        ],
    )
    runner = CliRunner()
    res = runner.invoke(main, ["ingest", str(src), "-o", str(tmp_path / "a.parquet"),
                               "--map", "outlet=site", "--map", "text=body", "-j", "1"])
    assert res.exit_code == 0, res.output
    assert "articles: 2" in res.output
    res = runner.invoke(main, ["mentions", str(tmp_path / "a.parquet"), "-o", str(tmp_path / "m.parquet"), "-j", "1"])
    assert res.exit_code == 0, res.output
    ments = pd.read_parquet(tmp_path / "m.parquet")
    assert {"US", "CN", "EU"} <= set(ments["target"])
    assert "mentions per target" in res.output


def test_missing_text_column_is_a_clear_error(tmp_path):
    # a column of unknown name beside the headline may be the body: no guess, an error
    src = _write_csv(tmp_path / "in.csv", [{"outlet": "x", "headline": "EU", "body_html": "<p>EU</p>"}])
    res = CliRunner().invoke(main, ["ingest", str(src), "-o", str(tmp_path / "a.parquet"), "-j", "1"])
    assert res.exit_code == EXIT_USAGE
    assert "error:" in res.output and "text" in res.output and "--map text=" in res.output
    assert "Traceback" not in res.output


def test_a_table_of_headlines_only_is_ingested(tmp_path):
    src = _write_csv(tmp_path / "in.csv", [{"outlet": "x", "headline": "EU fines US tech giant"}])
    out = tmp_path / "a.parquet"
    res = CliRunner().invoke(main, ["ingest", str(src), "-o", str(out), "-j", "1", "--language", "en"])
    assert res.exit_code == 0, res.output
    assert "language from: given 1" in res.output
    row = pd.read_parquet(out).iloc[0]
    assert (row["status"], row["language"], row["title"]) == ("ok", "en", "EU fines US tech giant")


def test_bad_map_option(tmp_path):
    src = _write_csv(tmp_path / "in.csv", [{"outlet": "x", "text": "EU"}])
    res = CliRunner().invoke(main, ["ingest", str(src), "-o", str(tmp_path / "a.parquet"), "--map", "nonsense"])
    assert res.exit_code == EXIT_USAGE
    assert "CANONICAL=COLUMN" in res.output


def test_mentions_on_a_non_article_table(tmp_path):
    pd.DataFrame({"x": [1]}).to_parquet(tmp_path / "x.parquet")
    res = CliRunner().invoke(main, ["mentions", str(tmp_path / "x.parquet"), "-o", str(tmp_path / "m.parquet")])
    assert res.exit_code == EXIT_USAGE
    assert "missing columns" in res.output and "x.parquet" in res.output


@pytest.mark.slow  # fine-tunes MiniLM on the demo's weak labels (about a minute on 2 cores)
def test_demo_runs_end_to_end_and_prints_the_report(tmp_path, monkeypatch):
    from framing.runs import config

    monkeypatch.setenv(config.MODELS_ENV, str(tmp_path / "models"))
    res = CliRunner().invoke(main, ["demo", "--root", str(tmp_path), "-j", "1"])
    assert res.exit_code == 0, res.output
    report_line = [ln for ln in res.output.splitlines() if ln.startswith("report: ")]
    assert report_line, res.output
    report = report_line[-1].removeprefix("report: ")
    assert report.endswith("report.html")
    html = Path(report).read_text(encoding="utf-8")
    assert "Harmony Meridian" in html and "De Koersbode" in html
    # a second run reuses every cached stage and writes the same report
    res2 = CliRunner().invoke(main, ["demo", "--root", str(tmp_path), "-j", "1"])
    assert res2.exit_code == 0, res2.output
    assert Path(report).read_text(encoding="utf-8") == html


def test_score_compare_report(tmp_path):
    from framing.runs import config

    runner = CliRunner()
    arts = tmp_path / "a.parquet"
    res = runner.invoke(main, ["ingest", str(config.demo_corpus_path() / "articles.jsonl"), "-o", str(arts), "-j", "1"])
    assert res.exit_code == 0, res.output
    res = runner.invoke(main, ["score", str(arts), "-o", str(tmp_path / "s.parquet"), "--frames", str(tmp_path / "f.parquet"), "-j", "1"])
    assert res.exit_code == 0, res.output
    scores = pd.read_parquet(tmp_path / "s.parquet")
    assert scores["score"].between(-1, 1).all()
    assert {"US", "CN", "EU"} <= set(scores["target"])
    frames = pd.read_parquet(tmp_path / "f.parquet")
    assert (frames["target"] == "").any()  # article-level frame rows
    # without --frames only the sentences naming a target are matched: the same scores
    res = runner.invoke(main, ["score", str(arts), "-o", str(tmp_path / "s2.parquet"), "-j", "2"])
    assert res.exit_code == 0, res.output
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "s2.parquet"), scores)
    res = runner.invoke(main, ["compare", str(tmp_path / "s.parquet"), "-o", str(tmp_path / "cmp"), "--seed", "3",
                               "--frames", str(tmp_path / "f.parquet"), "--n-boot", "200", "--min-n", "2"])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "cmp" / "outlet_table.parquet").is_file()
    res = runner.invoke(main, ["report", str(tmp_path / "cmp")])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "cmp" / "report.html").is_file()


def test_lexicon_validate_and_stats():
    runner = CliRunner()
    res = runner.invoke(main, ["lexicon", "validate"])
    assert res.exit_code == 0, res.output
    for name in ("targets-v1", "framing-stance-v1", "boilerplate-v1", "abbreviations-v1"):
        assert f"ok  {name}" in res.output
    res = runner.invoke(main, ["lexicon", "stats", "framing-stance-v1"])
    assert res.exit_code == 0, res.output
    assert "hegemony_containment" in res.output


def test_run_with_a_misspelt_key_names_the_closest(tmp_path):
    cfg = tmp_path / "x.toml"
    (tmp_path / "c.jsonl").write_text("{\"text\": \"The EU met China.\"}\n", encoding="utf-8")
    cfg.write_text('name = "x"\nseed = 1\n[corpus]\ninputs = ["c.jsonl"]\n[scoring]\nmethdo = "lexicon"\n', encoding="utf-8")
    res = CliRunner().invoke(main, ["run", str(cfg)])
    assert res.exit_code == EXIT_USAGE
    assert "scoring.method" in res.output
    assert "Traceback" not in res.output


# --- every command ends in one line, whatever goes wrong --------------------------------------


def _boom(*args, **kwargs):
    raise RuntimeError("something inside broke\nsecond line")


@pytest.mark.parametrize(
    "target, args",
    [
        ("framing.corpus.loading.load", ["ingest", "{src}", "-o", "{tmp}/a.parquet", "-j", "1"]),
        ("framing.annotate.codebook.load_codebook", ["annotate", "sample", "{tmp}", "-o", "{tmp}/s", "-n", "5", "--seed", "1"]),
        ("framing.lexicon.folder.load_lexicon", ["lexicon", "stats", "framing-stance-v1"]),
    ],
)
def test_unexpected_errors_are_one_line_with_a_pointer_to_debug(tmp_path, monkeypatch, target, args):
    import importlib

    module, _, name = target.rpartition(".")
    if not hasattr(importlib.import_module(module), name):
        pytest.skip(f"{target} not found")
    monkeypatch.setattr(target, _boom)
    monkeypatch.delenv("FRAMING_DEBUG", raising=False)
    src = _write_csv(tmp_path / "in.csv", [{"outlet": "x", "text": "The EU met China."}])
    argv = [a.format(src=src, tmp=tmp_path) for a in args]
    res = CliRunner().invoke(main, argv)
    lines = [line for line in res.stderr.splitlines() if line.strip()]
    if not any("unexpected RuntimeError" in line for line in lines):
        pytest.skip(f"{target} is not reached by {argv[0]} here: {res.output}")
    assert res.exit_code == EXIT_UNEXPECTED, res.output
    assert "Traceback" not in res.output
    assert lines[-1].startswith("error: unexpected RuntimeError: something inside broke second line")
    assert "--debug" in lines[-1] and "FRAMING_DEBUG=1" in lines[-1]


def test_debug_flag_and_variable_let_the_traceback_through(tmp_path, monkeypatch):
    monkeypatch.setattr("framing.corpus.loading.load", _boom)
    src = _write_csv(tmp_path / "in.csv", [{"outlet": "x", "text": "The EU met China."}])
    args = ["ingest", str(src), "-o", str(tmp_path / "a.parquet"), "-j", "1"]
    res = CliRunner().invoke(main, ["--debug", *args])
    assert isinstance(res.exception, RuntimeError)
    monkeypatch.setenv("FRAMING_DEBUG", "1")
    res = CliRunner().invoke(main, args)
    assert isinstance(res.exception, RuntimeError)
    monkeypatch.setenv("FRAMING_DEBUG", "0")
    res = CliRunner().invoke(main, args)
    assert res.exit_code == EXIT_UNEXPECTED and not isinstance(res.exception, RuntimeError)


def test_ctrl_c_is_one_word(tmp_path, monkeypatch):
    def interrupt(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("framing.corpus.loading.load", interrupt)
    src = _write_csv(tmp_path / "in.csv", [{"outlet": "x", "text": "The EU met China."}])
    res = CliRunner().invoke(main, ["ingest", str(src), "-o", str(tmp_path / "a.parquet"), "-j", "1"])
    assert res.exit_code == EXIT_INTERRUPTED
    assert res.stderr.strip() == "interrupted"


def test_comparing_by_a_score_key_is_a_clear_error(tmp_path):
    scores = pd.DataFrame({"article_id": ["a", "b"], "outlet": ["x", "y"], "target": ["US", "US"],
                           "method": "lexicon", "score": [0.1, -0.2], "label": ["neutral", "neutral"],
                           "confidence": [0.5, 0.5], "n_mentions": [1, 1], "n_cues": [0, 0]})
    scores.to_parquet(tmp_path / "s.parquet")
    res = CliRunner().invoke(main, ["compare", str(tmp_path / "s.parquet"), "-o", str(tmp_path / "out"),
                                    "--by", "article_id", "--seed", "1"])
    assert res.exit_code == EXIT_USAGE, res.output
    assert res.stderr.strip().startswith("error: cannot compare by ['article_id']: 'article_id' is a key")
    from framing.infra.errors import ConfigError
    from framing.runs.config import ExperimentConfig

    with pytest.raises(ConfigError, match=r"compare.also_by in .*'outlet' is listed twice"):
        ExperimentConfig.from_dict({"name": "x", "seed": 1, "corpus": {"inputs": ["a.csv"]},
                                    "compare": {"also_by": ["outlet", "outlet"]}}, check_paths=False)


def test_compare_runs_without_a_seed_and_records_the_default(tmp_path):
    import json

    scores = pd.DataFrame({"article_id": [f"a{i}" for i in range(6)], "outlet": ["x", "y"] * 3,
                           "target": "US", "method": "lexicon", "score": [0.1, -0.2, 0.3, -0.1, 0.0, 0.2],
                           "label": "neutral", "confidence": 0.5, "n_mentions": 1, "n_cues": 0})
    scores.to_parquet(tmp_path / "s.parquet")
    res = CliRunner().invoke(main, ["compare", str(tmp_path / "s.parquet"), "-o", str(tmp_path / "out"),
                                    "--min-n", "1", "--n-boot", "50"])
    assert res.exit_code == 0, res.output + res.stderr
    settings = json.loads((tmp_path / "out" / "comparison.json").read_text())["settings"]
    assert settings["random_state"] == 13
