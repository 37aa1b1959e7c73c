"""The ``framing`` command: clear errors, summaries, files written."""

from __future__ import annotations

import pandas as pd
from click.testing import CliRunner

from framing.cli import EXIT_USAGE, main


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
    src = _write_csv(tmp_path / "in.csv", [{"outlet": "x", "headline": "EU"}])
    res = CliRunner().invoke(main, ["ingest", str(src), "-o", str(tmp_path / "a.parquet"), "-j", "1"])
    assert res.exit_code == EXIT_USAGE
    assert "error:" in res.output and "text" in res.output
    assert "Traceback" not in res.output


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
