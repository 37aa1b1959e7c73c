"""The NewsMTSC study protocol (experiments/newsmtsc_protocol.py) on tiny invented data (actors
Norland, Sudmark; no real text)."""

from __future__ import annotations

import importlib.util
import sys
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from framing.infra.errors import ConfigError
from framing.runs import config
from framing.stance.features import FEATURE_PREFIX
from framing.stance.training import TrainingSetup


def _protocol():
    path = config.PROJECT_DIR / "experiments" / "newsmtsc_protocol.py"
    spec = importlib.util.spec_from_file_location("newsmtsc_protocol", path)
    module = importlib.util.module_from_spec(spec)
    # Registered before it runs, as the drivers' `import newsmtsc_protocol` does (dataclasses
    # look their module up there).
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


bm = _protocol()

TOML = """
name = "tiny_bench"
seeds = [13, 14]
variants = ["lexicon", "tfidf"]
[training]
epochs = 3
batch_size = 8
[linear]
C = [0.1, 10.0]
[tfidf]
ngram_range = [1, 2]
[[paper]]
model = "Some-SPC"
macro_f1_rw = 80.0
macro_f1_mt = 70.0
"""


def _table(rows):
    """Labelled table (datasets.LABELLED_COLUMNS) from (sentence, target, label); span = target."""
    out = pd.DataFrame(
        [
            (s, t, s.index(t), s.index(t) + len(t), lab, f"r{i}")
            for i, (s, t, lab) in enumerate(rows)
        ],
        columns=["sentence", "target", "span_start", "span_end", "label", "id"],
    )
    out[["span_start", "span_end"]] = out[["span_start", "span_end"]].astype("Int64")
    return out


TRAIN = _table(
    [
        (f"Norland {verb} the plan {k}.", "Norland", lab)
        for verb, lab in (("praised", "favor"), ("condemned", "against"), ("discussed", "neutral"))
        for k in ("today", "again", "loudly", "twice")
    ]
)
DEV = _table(
    [
        ("Sudmark praised the plan.", "Sudmark", "favor"),
        ("Sudmark condemned the plan.", "Sudmark", "against"),
        ("Sudmark discussed the plan.", "Sudmark", "neutral"),
    ]
)


@pytest.fixture
def config_file(tmp_path):
    path = tmp_path / "bench.toml"
    path.write_text(TOML, encoding="utf-8")
    return path


def test_config_reads_file_and_overrides(config_file):
    cfg = bm.load_benchmark_config(config_file)
    assert cfg.seeds == (13, 14) and cfg.variants == ("lexicon", "tfidf")
    assert cfg.training["epochs"] == 3 and cfg.paper[0]["model"] == "Some-SPC"
    short = bm.load_benchmark_config(
        config_file, variants=["hybrid"], seeds=[7], epochs=1, threads=1
    )
    assert short.seeds == (7,) and short.variants == ("hybrid",)
    assert short.training["epochs"] == 1 and short.training["num_threads"] == 1


def test_settings_id_ignores_seeds_variants_threads_but_not_epochs(config_file):
    base = bm.load_benchmark_config(config_file).settings_id()
    same = bm.load_benchmark_config(config_file, variants=["tfidf"], seeds=[1], threads=1)
    assert same.settings_id() == base
    assert bm.load_benchmark_config(config_file, epochs=1).settings_id() != base


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("seeds = []\n", "seeds"),
        ('seeds = [1]\nvariants = ["bert"]\n', "unknown variants"),
        ("seeds = [1]\nsead = 2\n", "unknown keys"),
        ("seeds = [1]\n[training]\nseed = 3\n", "training.seed"),
        ("seeds = [1\n", "cannot read"),
    ],
)
def test_bad_config_names_the_problem(tmp_path, text, message):
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        bm.load_benchmark_config(path)


def test_config_shares_the_training_knobs_of_train_configs(config_file):
    cfg = bm.load_benchmark_config(config_file, threads=1)
    assert isinstance(cfg, TrainingSetup)
    assert (cfg.lexicon, cfg.target_set, cfg.language) == (
        TrainingSetup().lexicon, TrainingSetup().target_set, TrainingSetup().language)
    assert cfg.training_arguments(5).seed == 5 and cfg.training_arguments(5).batch_size == 8
    assert cfg.result_knobs() == {"epochs": 3, "batch_size": 8}
    assert {"training", "lexicon", "target_set", "language"} <= set(cfg.to_dict())


def test_tfidf_text():
    text = bm.tfidf_text(pd.DataFrame({"sentence": ["A b."], "target": ["New Norland"]}))
    assert text == ["A b. tgt_new tgt_norland"]


def test_tfidf_selects_on_dev_and_learns_the_verbs():
    model, info = bm.fit_select_linear("tfidf", TRAIN, DEV, [], 13, {"C": [10.0, 0.001]}, {})
    assert info["selected"] == "C=10.0"  # both C separate the verbs: a tie keeps the first
    assert info["dev_macro_f1"] == 1.0
    assert model.predict(bm.model_input("tfidf", DEV, [])).tolist() == DEV["label"].tolist()


def test_selection_keeps_the_better_dev_score(monkeypatch):
    # Rig the candidates: every C but 2.0 predicts neutral only, so dev must pick C=2.0.
    real = bm.linear_model

    def rigged(variant, C, seed, linear, tfidf):
        model = real(variant, C, seed, linear, tfidf)
        if C != 2.0:
            model.predict = lambda X: ["neutral"] * len(X)
        return model

    monkeypatch.setattr(bm, "linear_model", rigged)
    _, info = bm.fit_select_linear("tfidf", TRAIN, DEV, [], 13, {"C": [1.0, 2.0, 3.0]}, {})
    assert info["selected"] == "C=2.0" and info["dev_macro_f1"] == 1.0


def test_result_rows_score_and_time_each_split():
    tests = {"test-rw": DEV, "test-mt": DEV.iloc[:2]}
    always_favor = lambda t: ["favor"] * len(t)  # noqa: E731
    info = {"train_seconds": 12.0, "epochs_run": 2, "dev_macro_f1": 0.5, "selected": "epoch=1"}
    out, predictions = bm.result_rows(
        "hybrid", 13, tests, always_favor, info, {"test-rw": 1.0}, "abc"
    )
    assert list(out.columns) == list(bm.RESULT_COLUMNS)
    rw = out.set_index("split").loc["test-rw"]
    assert rw["accuracy"] == pytest.approx(1 / 3)
    assert rw["macro_f1"] == pytest.approx((0.5 + 0 + 0) / 3)
    assert rw["seconds_per_epoch"] == 6.0 and rw["n"] == 3
    assert rw["inference_seconds"] >= 1.0 and rw["lexicon_sha256"] == "abc"
    assert predictions["test-mt"].tolist() == ["favor", "favor"]


def test_neural_info_counts_epochs_of_history():
    clf = SimpleNamespace(
        history_=[{"epoch": 0}, {"epoch": 1}],
        metrics_={"dev": {"macro_f1": 0.7}, "best_epoch": 1},
        train_seconds_=100.0,
    )
    assert bm.neural_info(clf) == {
        "selected": "epoch=1",
        "dev_macro_f1": 0.7,
        "train_seconds": 100.0,
        "epochs_run": 2,
    }


def test_summary_and_markdown_put_ours_beside_the_paper():
    rows = []
    for seed, f1 in ((13, 0.6), (14, 0.8)):
        for split in bm.TEST_SPLITS:
            rows.append(
                {
                    "variant": "tfidf",
                    "seed": seed,
                    "split": split,
                    "macro_f1": f1,
                    "accuracy": 0.9,
                    "seconds_per_epoch": np.nan,
                    "mentions_per_second": 100.0,
                }
            )
    summary = bm.summarise(pd.DataFrame(rows))
    row = summary.iloc[0]
    assert row["variant"] == "tfidf" and row["seeds"] == "13,14"
    assert row["macro_f1_rw"] == pytest.approx(0.7)
    assert row["macro_f1_rw_sd"] == pytest.approx(np.std([0.6, 0.8], ddof=1))
    table = bm.markdown_table(
        summary, [{"model": "Some-SPC", "macro_f1_rw": 80.0, "macro_f1_mt": 70.0}]
    )
    lines = table.strip().splitlines()
    assert lines[2].startswith("| tfidf (ours) | 13,14 | 70.0 ± 14.1 | 70.0 ± 14.1 | 90.0 ± 0.0")
    assert lines[3] == "| Some-SPC (paper) | – | 80.0 | 70.0 | – | – | – | – |"


def test_lexicon_features_are_added_to_every_split(config_file):
    cfg = bm.load_benchmark_config(config_file)
    data, names, seconds, lexicon = bm.with_lexicon_features({"a": TRAIN, "b": DEV}, cfg)
    assert f"{FEATURE_PREFIX}polarity_sum" in names and set(seconds) == {"a", "b"}
    for split, table in (("a", TRAIN), ("b", DEV)):
        assert len(data[split]) == len(table)
        assert list(data[split].columns) == list(table.columns) + names
    assert lexicon.id == cfg.lexicon


def test_read_results_restores_types_and_order(tmp_path):
    info = {"train_seconds": 10.0, "epochs_run": 2, "dev_macro_f1": 0.5, "selected": "epoch=2"}
    neural, _ = bm.result_rows("hybrid", 13, {"test-rw": DEV}, lambda t: t["label"], info)
    rule, _ = bm.result_rows("lexicon", 13, {"test-rw": DEV}, lambda t: t["label"], {})
    for name, table in (("b.csv", neural), ("a.csv", rule)):
        table.to_csv(tmp_path / name, index=False)
    out = bm.read_results([tmp_path / "b.csv", tmp_path / "a.csv"])
    assert out["variant"].tolist() == ["hybrid", "lexicon"]
    assert str(out["epochs_run"].dtype) == "Int64" and out["epochs_run"].tolist()[0] == 2
    assert out["selected"].tolist() == ["epoch=2", ""]
    with pytest.raises(ConfigError, match="no result files"):
        bm.read_results([])
