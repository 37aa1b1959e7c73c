"""Streaming: chunked reading, scoring chunk by chunk, resuming a killed run.

The corpus is invented here (outlets, sentences); targets are the default US, CN and EU.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from framing.corpus import loading as corpus
from framing.infra.errors import ConfigError
from framing.runs import pipeline, stream
from framing.stance import model_scoring, scoring
from framing.stance.classifier import StanceClassifier, TrainingArguments

SENTENCES = [
    "Washington bullied its allies again over chips.",
    "The EU wants to reduce dependence on China.",
    "Beijing praised the cooperation and welcomed the talks.",
    "Brussels and Tokyo signed a deal on semiconductors.",
    "The US abused export controls to keep its hegemony.",
    "China was accused of coercion by the bloc.",
]
OUTLETS = ("Harbour Ledger", "Polder Post", "Ridge Times")


def _records(n: int = 23) -> list[dict]:
    out = []
    for i in range(n):
        text = " ".join(SENTENCES[(i + k) % len(SENTENCES)] for k in range(1 + i % 4))
        out.append({"id": f"n{i % 19}", "outlet": OUTLETS[i % 3], "title": f"Story {i}",
                    "text": text, "date": f"2023-07-{1 + i % 28:02d}"})
    return out


@pytest.fixture()
def jsonl(tmp_path: Path) -> Path:
    lines = [json.dumps(r) for r in _records()]
    lines.insert(4, "{not json")  # a broken line: an "unreadable" row, never dropped
    lines.insert(9, "")
    lines.insert(11, json.dumps({"id": "empty", "outlet": "Ridge Times", "text": ""}))
    path = tmp_path / "corpus.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture()
def parquet(tmp_path: Path) -> Path:
    path = tmp_path / "corpus.parquet"
    pd.DataFrame(_records(31)).to_parquet(path, row_group_size=7)
    return path


def _whole(path: Path, settings: stream.StreamSettings) -> dict[str, pd.DataFrame]:
    """One in-memory pass over the whole file, as `framing score` does it."""
    articles = corpus.load(path, near_duplicates=False)
    return stream.ChunkScorer(settings)(articles)


def _roundtrip(table: pd.DataFrame, tmp_path: Path, name: str) -> pd.DataFrame:
    from framing.runs.folders import write_table

    write_table(table, tmp_path / f"{name}.parquet")
    return pd.read_parquet(tmp_path / f"{name}.parquet")


def _plain(table: pd.DataFrame) -> pd.DataFrame:
    """Evidence as canonical JSON: nested values read back from Parquet compare as text."""
    out = table.copy()
    if "evidence" in out.columns:
        out["evidence"] = [json.dumps(_lists(v), sort_keys=True) for v in out["evidence"]]
    return out


def _lists(value):
    if isinstance(value, dict):
        return {k: _lists(v) for k, v in value.items() if v is not None}
    if isinstance(value, list | tuple | np.ndarray):
        return [_lists(v) for v in value]
    return value.item() if hasattr(value, "item") else value


@pytest.mark.parametrize("fixture", ["jsonl", "parquet"])
def test_read_chunks_equals_load(fixture, request):
    path = request.getfixturevalue(fixture)
    whole = corpus.load(path, near_duplicates=False)
    taken: set[str] = set()
    parts = list(corpus.read_chunks(path, chunk_size=5, near_duplicates=False, taken_ids=taken))
    chunked = pd.concat(parts, ignore_index=True)
    assert len(parts) == -(-len(whole) // 5)
    columns = ["article_id", "source", "status", "reason", "title", "text", "language", "published"]
    pd.testing.assert_frame_equal(chunked[columns], whole[columns])
    assert taken == set(whole["article_id"])
    assert chunked["article_id"].is_unique  # ids repeated in later chunks were renamed id~2


def test_read_chunks_skip_passes_over_chunks_but_keeps_numbering(parquet):
    whole = corpus.load(parquet, near_duplicates=False)
    rest = pd.concat(corpus.read_chunks(parquet, chunk_size=7, skip=2), ignore_index=True)
    assert rest["source"].tolist() == whole["source"].iloc[14:].tolist()


def test_read_chunks_refuses_other_formats(tmp_path):
    path = tmp_path / "corpus.csv"
    path.write_text("id,text\n1,hello\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="Parquet or JSONL"):
        next(corpus.read_chunks(path))
    with pytest.raises(ConfigError, match="chunk_size"):
        next(corpus.read_chunks(tmp_path / "x.jsonl", chunk_size=0))


def test_stream_equals_one_pass_and_accounts_for_every_article(jsonl, tmp_path):
    settings = stream.StreamSettings(chunk_size=4)
    state = stream.score_stream(jsonl, tmp_path / "out", settings)
    whole = _whole(jsonl, settings)
    out = tmp_path / "out"
    for name in ("scores", "frames"):
        expected = _plain(_roundtrip(whole[name], tmp_path, f"whole-{name}"))
        pd.testing.assert_frame_equal(_plain(pd.read_parquet(out / f"{name}.parquet")), expected)
    articles = pd.read_parquet(out / "articles.parquet")
    assert len(articles) == state["counts"]["articles"] == len(whole["articles"]) == 25
    assert "text" not in articles.columns
    assert state["counts"]["status"] == {"empty": 1, "ok": 23, "unreadable": 1}
    assert state["chunks"] == 7 and state["finished"] and state["resumed_from"] == 0
    assert json.loads((out / "stream.json").read_text())["finished"] is True


def test_finished_run_resumes_to_the_same_output(jsonl, tmp_path):
    settings = stream.StreamSettings(chunk_size=6)
    stream.score_stream(jsonl, tmp_path / "out", settings)
    first = (tmp_path / "out" / "scores.parquet").read_bytes()
    state = stream.score_stream(jsonl, tmp_path / "out", settings)
    assert state["resumed_from"] == state["chunks"] == 5
    assert (tmp_path / "out" / "scores.parquet").read_bytes() == first


KILLER = textwrap.dedent("""
    import os, signal, sys
    from framing.runs import stream
    real = stream._write_part
    calls = []

    def write_then_die(output, number, tables):
        calls.append(number)
        if len(calls) == 3:  # the third chunk: leave it half-written, then die like kill -9
            tmp = output / stream.PARTS / (stream._TMP_PREFIX + f"{number:06d}")
            tmp.mkdir(parents=True)
            (tmp / "articles.parquet").write_bytes(b"half")
            os.kill(os.getpid(), signal.SIGKILL)
        return real(output, number, tables)

    stream._write_part = write_then_die
    stream.score_stream(sys.argv[1], sys.argv[2], stream.StreamSettings(chunk_size=4))
""")


def test_killed_run_restarts_to_the_same_output(jsonl, tmp_path):
    killed = tmp_path / "killed"
    proc = subprocess.run([sys.executable, "-c", KILLER, str(jsonl), str(killed)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    parts = sorted(p.name for p in (killed / stream.PARTS).iterdir())
    assert parts == [".tmp-000002", "000000", "000001"]
    assert not (killed / "scores.parquet").exists()

    state = stream.score_stream(jsonl, killed, stream.StreamSettings(chunk_size=4))
    assert state["resumed_from"] == 2
    stream.score_stream(jsonl, tmp_path / "clean", stream.StreamSettings(chunk_size=4))
    for name in ("articles", "scores", "frames"):
        a = pd.read_parquet(killed / f"{name}.parquet")
        b = pd.read_parquet(tmp_path / "clean" / f"{name}.parquet")
        pd.testing.assert_frame_equal(_plain(a), _plain(b))
    articles = pd.read_parquet(killed / "articles.parquet")
    assert articles["article_id"].is_unique and len(articles) == 25  # no duplicates, no gaps
    assert not list((killed / stream.PARTS).glob(".tmp-*"))


def test_other_settings_or_input_are_refused_not_mixed(jsonl, tmp_path):
    out = tmp_path / "out"
    stream.score_stream(jsonl, out, stream.StreamSettings(chunk_size=4))
    with pytest.raises(ConfigError, match="another settings|restart"):
        stream.score_stream(jsonl, out, stream.StreamSettings(chunk_size=5))
    state = stream.score_stream(jsonl, out, stream.StreamSettings(chunk_size=5), restart=True)
    assert state["resumed_from"] == 0 and state["chunks"] == 5
    os.utime(jsonl, ns=(1, 1))  # the input changed since
    with pytest.raises(ConfigError, match="another input"):
        stream.score_stream(jsonl, out, stream.StreamSettings(chunk_size=5))
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "notes.txt").write_text("mine")
    with pytest.raises(ConfigError, match="not empty"):
        stream.score_stream(jsonl, tmp_path / "busy", stream.StreamSettings())


def test_settings_are_checked():
    with pytest.raises(ConfigError, match="needs a model"):
        stream.StreamSettings(method="hybrid")
    with pytest.raises(ConfigError, match="method"):
        stream.StreamSettings(method="magic")
    with pytest.raises(ConfigError, match="chunk_size"):
        stream.StreamSettings(chunk_size=0)


def test_hybrid_stream_equals_one_pass(parquet, tmp_path, tiny_encoder_factory):
    articles = corpus.load(parquet, near_duplicates=False)
    sentences, mentions = pipeline.sentences_and_mentions(articles)
    examples = model_scoring.mention_examples(articles, sentences, mentions)
    with_lex, names = model_scoring.lexicon_features(examples, scoring.DEFAULT_LEXICON)
    labels = np.where(examples["sentence"].str.contains("bullied|abused"), "against",
                      np.where(examples["sentence"].str.contains("praised"), "favor", "neutral"))
    encoder = tiny_encoder_factory(examples["sentence"].tolist() + ["<< >>"])
    args = TrainingArguments(seed=3, epochs=2, batch_size=8, max_length=48, progress_bar=False,
                             num_threads=1, early_stopping_patience=None, class_weights=None)
    lex = scoring.resolve_lexicon(None)
    clf = StanceClassifier(model_path=encoder, args=args, feature_columns=tuple(names),
                           lexicon_name=lex.id, lexicon_sha256=lex.sha256)
    clf.fit(with_lex.assign(target=with_lex["mention"]), labels)
    folder = clf.save(tmp_path / "model")

    settings = stream.StreamSettings(method="hybrid", model=str(folder), chunk_size=9)
    stream.score_stream(parquet, tmp_path / "out", settings)
    whole = _whole(parquet, settings)
    for name in ("scores", "predictions"):
        got = pd.read_parquet(tmp_path / "out" / f"{name}.parquet")
        expected = _roundtrip(whole[name], tmp_path, f"whole-{name}")
        pd.testing.assert_frame_equal(_plain(got), _plain(expected), check_exact=False, atol=1e-6)
    assert len(pd.read_parquet(tmp_path / "out" / "predictions.parquet")) == len(mentions)


def test_cli_stream_resumes_and_reports(jsonl, tmp_path):
    from click.testing import CliRunner

    from framing.cli import main

    runner = CliRunner()
    args = ["stream", str(jsonl), "-o", str(tmp_path / "out"), "--chunk-size", "10"]
    first = runner.invoke(main, args)
    assert first.exit_code == 0, first.output
    assert "ok 23" in first.output and "unreadable 1" in first.output
    again = runner.invoke(main, args)
    assert "resumed: 3 chunk(s)" in again.output
    other = runner.invoke(main, args[:-1] + ["7"])
    assert other.exit_code == 2 and "restart" in other.output


def test_cli_stream_reads_short_texts_and_dates_as_ingest_does(tmp_path):
    """--language and --date-floor/--date-ceiling reach the chunks (as for framing ingest); at
    their defaults the settings key is the one runs had before these options existed."""
    from click.testing import CliRunner

    from framing.cli import main

    records = [{"id": f"h{i}", "outlet": OUTLETS[i % 3], "text": text, "date": date}
               for i, (text, date) in enumerate([
                   ("EU and Japan sign chip pact", "2023-07-04"),
                   ("Beijing slams export curbs", "1850-01-01"),
                   ("Washington weighs new rules", "2091-05-05"),
                   ("Brussels backs the deal", "2023-07-05")])]
    path = tmp_path / "headlines.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["stream", str(path), "-o", str(out), "--language", "en",
                                       "--date-floor", "2000-01-01", "--date-ceiling", "2030-01-01"])
    assert result.exit_code == 0, result.output
    articles = pd.read_parquet(out / "articles.parquet").set_index("article_id")
    assert (articles["language"] == "en").all() and (articles["language_source"] == "given").all()
    assert articles["published"].isna().tolist() == [False, True, True, False]
    state = json.loads((out / stream.STATE_FILE).read_text())
    assert state["settings"]["language"] == "en" and state["settings"]["date_ceiling"] == "2030-01-01"
    plain = stream.StreamSettings()
    assert plain.key() != stream.StreamSettings(language="en").key()
    assert plain.key() == stream.StreamSettings(language="", date_ceiling="").key()
    before = {k: v for k, v in plain.to_dict().items()
              if k not in ("num_threads", "dayfirst", "language", "date_floor", "date_ceiling")}
    import hashlib

    assert plain.key() == hashlib.sha256(json.dumps(before, sort_keys=True).encode()).hexdigest()[:12]


@pytest.mark.slow
def test_stream_equals_one_pass_on_allsides(data_dir, tmp_path):
    """2,000 real articles in chunks of 500 give the tables of one pass over them."""
    import pyarrow.parquet as pq

    source = data_dir / "data" / "allsides_baly2020" / "articles.parquet"
    path = tmp_path / "allsides-2000.parquet"
    pq.write_table(pq.read_table(source).slice(0, 2000), path, row_group_size=700)
    column_map = {"article_id": "ID", "outlet": "source", "text": "content_original"}
    settings = stream.StreamSettings(column_map=column_map, chunk_size=500)
    state = stream.score_stream(path, tmp_path / "out", settings)
    assert state["counts"]["articles"] == 2000 and state["chunks"] == 4
    whole = stream.ChunkScorer(settings)(corpus.load(path, column_map=column_map,
                                                     near_duplicates=False))
    for name in ("scores", "frames"):
        expected = _plain(_roundtrip(whole[name], tmp_path, f"whole-{name}"))
        pd.testing.assert_frame_equal(_plain(pd.read_parquet(tmp_path / "out" / f"{name}.parquet")),
                                      expected)
    assert {"US", "CN", "EU"} <= set(pd.read_parquet(tmp_path / "out" / "scores.parquet")["target"])
