"""The simulated annotation loop (experiments/annotation_simulation.py) and its figure."""

from __future__ import annotations

import importlib.util

import numpy as np
import pandas as pd
import pytest

from framing.analysis import plots
from framing.infra.errors import ConfigError
from framing.runs import config
from framing.stance import datasets


def _driver():
    path = config.PROJECT_DIR / "experiments" / "annotation_simulation.py"
    spec = importlib.util.spec_from_file_location("annotation_simulation", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# ------------------------------------------------------------------------------------------
# learning_curve


def _summary():
    return pd.DataFrame({
        "strategy": ["random"] * 3 + ["uncertainty"] * 3,
        "n_labels": [100, 200, 300] * 2,
        "macro_f1_mean": [0.40, 0.50, 0.55, 0.42, 0.56, 0.61],
        "macro_f1_sd": [0.02, 0.02, 0.01, np.nan, np.nan, np.nan],
    })


def test_learning_curve_draws_the_table_values():
    ax = plots.learning_curve(_summary(), references={"lexicon rule": 0.3})
    lines = {line.get_label(): line for line in ax.lines}
    assert list(lines) == ["random", "uncertainty", "lexicon rule"]
    assert lines["uncertainty"].get_ydata().tolist() == [0.42, 0.56, 0.61]
    assert lines["random"].get_xdata().tolist() == [100, 200, 300]
    assert list(lines["lexicon rule"].get_ydata()) == [0.3, 0.3]
    # One band: uncertainty has no spread (one seed).
    (band,) = ax.collections
    ys = band.get_paths()[0].vertices[:, 1]
    assert (ys.min(), ys.max()) == pytest.approx((0.38, 0.56))  # 0.40 - 0.02 and 0.55 + 0.01


def test_learning_curve_refuses_to_aggregate():
    table = pd.concat([_summary(), _summary()])
    with pytest.raises(ConfigError, match="plots do not aggregate"):
        plots.learning_curve(table)
    with pytest.raises(ConfigError, match="needs column"):
        plots.learning_curve(_summary().drop(columns="macro_f1_sd"))


# ------------------------------------------------------------------------------------------
# drawing a batch


def test_short_disagreement_batches_are_filled_at_random():
    sim = _driver()
    pool = pd.DataFrame({"id": [f"r{k}" for k in range(6)], "target": "X",
                         "lex__polarity_sum": [1.0, 0.0, 0.0, -1.0, 0.0, 0.0]})
    predictions = pd.DataFrame({"id": pool["id"], "p_against": 0.1, "p_neutral": 0.8, "p_favor": 0.1,
                                "predicted": "neutral"})
    table = sim.prediction_table(predictions, pool)
    ids, filled = sim.draw(sim.as_items(pool), 4, seed=3, strategy="disagreement", predictions=table,
                           exclude=["r0"])
    # Lexicon favor/against vs model neutral: r0 (excluded) and r3 disagree.
    assert ids[0] == "r3" and filled == 3 and len(set(ids)) == 4 and "r0" not in ids
    again, _ = sim.draw(sim.as_items(pool), 4, seed=3, strategy="disagreement", predictions=table,
                        exclude=["r0"])
    assert again == ids


# ------------------------------------------------------------------------------------------
# the driver end to end, with a tiny encoder on a small NewsMTSC pool


@pytest.fixture(scope="module")
def encoder(data_dir, tiny_encoder_factory):
    texts = [*datasets.load_newsmtsc("train")["sentence"], *datasets.load_newsmtsc("test-rw")["sentence"]]
    return tiny_encoder_factory([*texts, "<< >>"])


def test_simulation_writes_every_round_and_resumes(tmp_path, encoder, monkeypatch):
    sim = _driver()
    out = tmp_path / "sim"
    argv = ["--base-model", str(encoder), "--pool-size", "200", "--start", "40", "--batch", "30",
            "--rounds", "2", "--epochs", "1", "--seeds", "1,2", "--threads", "1", "--out", str(out)]
    assert sim.main(argv) == 0
    results = pd.read_csv(out / "results.csv")
    assert len(results) == 3 * 2 * 3  # strategies x seeds x (rounds + 1)
    assert set(results.groupby(["strategy", "seed"])["n_labels"].apply(tuple)) == {(40, 70, 100)}
    counts = results[["n_against", "n_neutral", "n_favor"]].sum(axis=1)
    assert (counts == results["n_labels"]).all()
    assert results["macro_f1"].between(0, 1).all() and (results["n_test"] == 803).all()
    # Round 0 is one model per seed, shared by the strategies.
    first = results.loc[results["round"] == 0].groupby("seed")["macro_f1"].nunique()
    assert (first == 1).all()
    # Batches never repeat an item, and model-based batches differ from the random one.
    batches = {p.stem: pd.read_csv(p)["id"].tolist() for p in (out / "batches").glob("*.csv")}
    assert len(batches) == 3 * 2 * 2 and all(len(b) == len(set(b)) == 30 for b in batches.values())
    assert set(batches["uncertainty-seed1-round00"]) != set(batches["random-seed1-round00"])
    summary = pd.read_csv(out / "summary.csv")
    assert len(summary) == 3 * 3 and (summary["n_seeds"] == 2).all()
    md = (out / "results.md").read_text()
    assert "| labelled items | random | uncertainty | disagreement |" in md and "Seeds 1, 2" in md
    for ext in ("svg", "pdf", "png"):
        assert (out / f"learning-curve.{ext}").stat().st_size > 0
    figure = (out / "learning-curve.svg").read_bytes()

    # A rerun trains nothing: every round is read back; the figure is byte-identical.
    def refuse(*args, **kwargs):
        raise AssertionError("a finished round was trained again")

    monkeypatch.setattr(sim, "fit_and_score", refuse)
    assert sim.main(argv) == 0
    assert (out / "learning-curve.svg").read_bytes() == figure
    monkeypatch.undo()

    # An interrupted run resumes at the missing round and gets the same numbers (seeded).
    (out / "rounds" / "uncertainty-seed2-round02.csv").unlink()
    (out / "rounds" / "disagreement-seed2-round01.csv").unlink()
    assert sim.main(argv) == 0
    again = pd.read_csv(out / "results.csv")
    timing = ["train_seconds", "predict_seconds"]
    pd.testing.assert_frame_equal(again.drop(columns=timing), results.drop(columns=timing))
    # Other settings never mix into a folder.
    with pytest.raises(ConfigError, match="other settings"):
        sim.main([*argv, "--epochs", "2"])
