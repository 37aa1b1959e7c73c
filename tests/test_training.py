"""`framing train` / `framing evaluate` / `framing weak-label`: configs, saved folders, reports."""

from __future__ import annotations

import dataclasses
import json

import pandas as pd
import pytest
from click.testing import CliRunner

from framing.cli import EXIT_USAGE, main
from framing.infra.errors import ConfigError
from framing.runs import config
from framing.stance import training

# Invented labelled sentences; the mention is a target of targets-v1 so lexicon features fire.
ROWS = [
    ("Washington praised the generous plan.", "Washington", "favor"),
    ("Beijing welcomed the fair offer.", "Beijing", "favor"),
    ("Brussels praised the careful deal.", "Brussels", "favor"),
    ("Washington condemned the brutal raid.", "Washington", "against"),
    ("Beijing attacked the unfair offer.", "Beijing", "against"),
    ("Brussels condemned the harsh deal.", "Brussels", "against"),
    ("Washington discussed the plan on Tuesday.", "Washington", "neutral"),
    ("Beijing received the offer.", "Beijing", "neutral"),
    ("Brussels signed the deal.", "Brussels", "neutral"),
]


def _labelled(path, rows=ROWS, **extra):
    table = pd.DataFrame(rows, columns=["text", "actor", "stance"])
    table["span_start"] = [s.index(m) for s, m, _ in rows]
    table["span_end"] = table["span_start"] + table["actor"].str.len()
    for key, value in extra.items():
        table[key] = value
    table.to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def encoder(tiny_encoder_factory):
    return tiny_encoder_factory([s for s, _, _ in ROWS] + ["<< >>"])


def _config(tmp_path, encoder, **changes) -> str:
    train = _labelled(tmp_path / "train.csv")
    body = {
        "name": "tiny-hybrid",
        "seed": 3,
        "base_model": str(encoder),
        "data": {"train": train.name, "dev": train.name, "test": [train.name],
                 "columns": {"sentence": "text", "target": "actor", "label": "stance"}},
        "training": {"epochs": 25, "learning_rate": 3e-3, "head_learning_rate": 1e-2,
                     "batch_size": 3, "max_length": 32, "warmup_ratio": 0.0, "dropout": 0.0,
                     "class_weights": "balanced", "early_stopping_patience": 25,
                     "progress_bar": False, "num_threads": 1},
    }
    body.update(changes)
    path = tmp_path / "train.toml"
    path.write_text(_toml(body), encoding="utf-8")
    return str(path)


def _toml(data: dict, prefix: str = "") -> str:
    simple = {k: v for k, v in data.items() if not isinstance(v, dict)}
    tables = {k: v for k, v in data.items() if isinstance(v, dict)}
    lines = [f"{k} = {json.dumps(v)}" for k, v in simple.items()]
    for key, value in tables.items():
        lines += ["", f"[{prefix}{key}]", _toml(value, f"{prefix}{key}.")]
    return "\n".join(lines)


def test_train_saves_a_complete_model_folder_and_evaluate_reports(tmp_path, encoder, monkeypatch):
    monkeypatch.setenv(config.MODELS_ENV, str(tmp_path / "models"))
    runner = CliRunner()
    res = runner.invoke(main, ["train", _config(tmp_path, encoder)])
    assert res.exit_code == 0, res.output
    folder = tmp_path / "models" / "tiny-hybrid"
    for name in ("model.safetensors", "config.json", "framing_model.json", "README.md",
                 training.TRAINING_META):
        assert (folder / name).is_file(), name
    meta = json.loads((folder / "framing_model.json").read_text())
    assert meta["lexicon"]["name"] == "framing-stance-v1" and len(meta["lexicon"]["sha256"]) == 64
    assert meta["feature_columns"] and all(c.startswith("lex__") for c in meta["feature_columns"])
    assert meta["label2id"] == {"against": 0, "neutral": 1, "favor": 2}
    record = json.loads((folder / training.TRAINING_META).read_text())
    assert record["weak_labels"] is False
    # a run that names this training config reuses the model instead of training it again
    from framing.runs.pipeline import _trained_with

    cfg = training.load_train_config(tmp_path / "train.toml")
    assert _trained_with(folder, training.reuse_key(cfg))
    assert not _trained_with(folder, training.reuse_key(dataclasses.replace(cfg, seed=4)))
    assert len(next(iter(record["data_sha256"].values()))) == 64
    (test_report,) = record["test"].values()
    assert test_report["macro_f1"] > 0.8  # it can fit nine sentences
    res = runner.invoke(main, ["evaluate", "tiny-hybrid", str(tmp_path / "train.csv"),
                               "--map", "sentence=text", "--map", "target=actor",
                               "--map", "label=stance", "-o", str(tmp_path / "eval.json")])
    assert res.exit_code == 0, res.output
    assert "macro-F1" in res.output and "confusion" in res.output and "calibration" in res.output
    report = json.loads((tmp_path / "eval.json").read_text())
    (rep,) = report.values()
    assert rep["macro_f1"] == pytest.approx(test_report["macro_f1"])
    assert {r["label"] for r in rep["per_class"]} == {"against", "neutral", "favor"}
    assert sum(c["count"] for c in rep["confusion"]) == len(ROWS)
    assert 0 <= rep["ece"] <= 1
    # the saved model scores a corpus by name, with its per-mention probabilities
    arts = tmp_path / "a.parquet"
    assert runner.invoke(main, ["ingest", str(config.demo_corpus_path() / "articles.jsonl"),
                                "-o", str(arts), "-j", "1"]).exit_code == 0
    res = runner.invoke(main, ["score", str(arts), "-o", str(tmp_path / "s.parquet"), "--method",
                               "hybrid", "--model", "tiny-hybrid", "--predictions",
                               str(tmp_path / "p.parquet"), "-j", "1"])
    assert res.exit_code == 0, res.output
    scores = pd.read_parquet(tmp_path / "s.parquet")
    assert set(scores["method"]) == {"hybrid"} and scores["score"].between(-1, 1).all()
    predictions = pd.read_parquet(tmp_path / "p.parquet")
    assert len(predictions) >= scores["n_mentions"].sum()
    res = runner.invoke(main, ["score", str(arts), "-o", str(tmp_path / "s2.parquet"),
                               "--method", "model", "--model", "tiny-hybrid"])
    assert res.exit_code == EXIT_USAGE and "with lexicon features" in res.output


def test_evaluate_refuses_weak_labels(tmp_path, encoder, monkeypatch):
    monkeypatch.setenv(config.MODELS_ENV, str(tmp_path / "models"))
    cfg = _config(tmp_path, encoder, lexicon="", training={
        "epochs": 1, "batch_size": 9, "max_length": 32, "progress_bar": False})
    assert CliRunner().invoke(main, ["train", cfg]).exit_code == 0
    weak = _labelled(tmp_path / "weak.csv", label_source="weak:framing-stance-v1@abc")
    res = CliRunner().invoke(main, ["evaluate", "tiny-hybrid", str(weak), "--map", "sentence=text",
                                    "--map", "target=actor", "--map", "label=stance"])
    assert res.exit_code == EXIT_USAGE
    assert "weak labels" in res.output and "Traceback" not in res.output


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"sede": 3}, "did you mean seed"),
        ({"training": {"epochs": 0}}, "epochs must be a positive integer"),
        ({"training": {"seed": 4}}, "give the seed once"),
        ({"data": {"tran": "x.csv"}}, "did you mean data.train"),
        ({"name": "../escape"}, "without path separators"),
    ],
)
def test_config_errors_name_the_key(tmp_path, change, message):
    body = {"name": "m", "seed": 1, "data": {"train": "x.csv"}}
    body.update(change)
    with pytest.raises(ConfigError, match=message):
        training.train_config_from_dict(body, source=tmp_path / "t.toml")


def test_weak_label_command_writes_a_trainable_file(tmp_path):
    runner = CliRunner()
    arts = tmp_path / "a.parquet"
    assert runner.invoke(main, ["ingest", str(config.demo_corpus_path() / "articles.jsonl"),
                                "-o", str(arts), "-j", "1"]).exit_code == 0
    res = runner.invoke(main, ["weak-label", str(arts), "-o", str(tmp_path / "w.csv"),
                               "--seed", "2", "--per-label", "20", "-j", "1"])
    assert res.exit_code == 0, res.output
    table = training.load_dataset(str(tmp_path / "w.csv"))
    assert training.is_weak(table)
    assert set(table["label"]) == {"against", "neutral", "favor"}
    assert table["label"].value_counts().max() <= 20
    for row in table.itertuples():
        assert row.sentence[row.span_start:row.span_end] == row.target


@pytest.mark.parametrize("name, train, dev", [
    ("state-hybrid", "newsmtsc:train + state:train", "state:dev"),
    ("state-pairs-hybrid", "newsmtsc:train + state:train + state:train@state-pairs-v1",
     "state:dev + newsmtsc:dev-rw"),
])
def test_state_training_config_runs_on_a_tiny_slice(tmp_path, encoder, monkeypatch, name, train, dev):
    """experiments/models/<state model>.toml as it is, on a few rows of each of its datasets."""
    from framing.stance import datasets

    monkeypatch.setenv(config.MODELS_ENV, str(tmp_path / "models"))
    cfg = training.load_train_config(config.PROJECT_DIR / "experiments" / "models" / f"{name}.toml")
    assert cfg.train == train and cfg.dev == dev
    assert {"state:test-en", "state:test-nl", "newsmtsc:test-rw", "park:test"} <= set(cfg.test)
    rows = pd.DataFrame(ROWS, columns=["sentence", "target", "label"])
    rows["span_start"] = [s.index(m) for s, m, _ in ROWS]
    rows["span_end"] = rows["span_start"] + rows["target"].str.len()
    seen = []

    def tiny(spec, columns=None):
        seen.append(spec)
        parts = spec.split(training.SPEC_JOIN)
        table = rows.assign(id=[f"{spec}#{i}" for i in range(len(rows))], label_source="test",
                            language=["en", "nl", "en"] * 3, target_id="US")
        return pd.concat([table] * len(parts), ignore_index=True)[
            [*datasets.LABELLED_COLUMNS, "label_source", "language", "target_id"]]

    monkeypatch.setattr(training, "load_dataset", tiny)
    monkeypatch.setattr(training, "dataset_sha256", lambda spec: "0" * 64)
    small = dataclasses.replace(cfg, base_model=str(encoder), training={
        **cfg.training, "epochs": 2, "max_length": 32, "eval_every": None, "progress_bar": False,
        "num_threads": 1})
    folder, record = training.train(small, output=tmp_path / "models" / "state-tiny", progress=False)
    assert (folder / "model.safetensors").is_file()
    assert set(record["test"]) == set(cfg.test)
    assert seen[0] == train


def test_state_and_park_specs_are_checked():
    with pytest.raises(ConfigError, match="not a state split"):
        training.train_config_from_dict({"name": "x", "seed": 1, "data": {"train": "state:validation"}})
    cfg = training.train_config_from_dict(
        {"name": "x", "seed": 1, "data": {"train": ["newsmtsc:train", "state:train"], "test": ["state:test-nl", "park:test"]}})
    assert cfg.train == "newsmtsc:train + state:train" and cfg.test == ("state:test-nl", "park:test")


def test_voice_features_are_opt_in_and_mark_the_speaker():
    table = pd.DataFrame({"sentence": ["China firmly opposes the US move.", "The EU signed the deal."],
                          "target": ["China", "EU"], "span_start": [0, 4], "span_end": [5, 6],
                          "label": ["neutral", "neutral"], "id": ["a", "b"], "language": ["en", "en"]})
    plain, names = training.with_features(table, "framing-stance-v1")
    assert not any(n.startswith("voice__") for n in names)
    voiced, names = training.with_features(table, "framing-stance-v1", voice=True)
    assert names[-3:] == ["voice__reported", "voice__quoted", "voice__speaker"]
    assert voiced["voice__speaker"].tolist() == [1.0, 0.0]
    cfg = training.train_config_from_dict({"name": "x", "seed": 1, "voice_features": True,
                                           "data": {"train": "newsmtsc:train"}})
    assert cfg.voice_features and cfg.to_dict()["voice_features"] is True
    assert "voice_features" not in dataclasses.replace(cfg, voice_features=False).to_dict()


def test_pooling_is_a_config_key_kept_out_of_old_keys():
    body = {"name": "x", "seed": 1, "data": {"train": "newsmtsc:train"}}
    plain = training.train_config_from_dict(body)
    assert plain.pooling == "mean" and "pooling" not in plain.to_dict()  # old reuse keys stay valid
    pooled = training.train_config_from_dict({**body, "pooling": "mean+mention"})
    assert pooled.to_dict()["pooling"] == "mean+mention"
    with pytest.raises(ConfigError, match="pooling in <dict>: received 'max'; accepted: mean, mean\\+mention"):
        training.train_config_from_dict({**body, "pooling": "max"})


@pytest.mark.slow  # newsmtsc-hybrid (reused when there, else about 13 minutes) and the state model (8)
def test_state_model_trains_and_evaluates(data_dir):
    """experiments/models/state-hybrid.toml for real: the state test splits, NewsMTSC, Park et al."""
    cfg = training.load_train_config(config.PROJECT_DIR / "experiments" / "models" / "state-hybrid.toml")
    folder, record = training.train(cfg, progress=False)
    report = record["test"]
    # Measured 2026-12-02 (README Results): state test English 50.9, Dutch 30.5, NewsMTSC test-rw
    # 79.8; the lexicon rule scores 42.5 on the English state test.
    assert report["state:test-en"]["macro_f1"] > 0.475
    assert report["newsmtsc:test-rw"]["macro_f1"] > 0.75
    assert set(report) == {"state:test-en", "state:test-nl", "newsmtsc:test-rw", "newsmtsc:test-mt", "park:test"}
    res = CliRunner().invoke(main, ["evaluate", str(folder), "state:test-en"])
    assert res.exit_code == 0, res.output
    assert "macro-F1" in res.output
