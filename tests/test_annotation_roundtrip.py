"""The annotation loop end to end through the command line, on the seeds and on the demo corpus:
run -> annotate sample -> two coders (written here) -> annotate import (alpha) -> train -> evaluate.

The coders' labels are invented by the test (a rule on the sentence, the second coder changing
every fourth item); the model is a tiny BERT, so the point is the round trip, not the accuracy.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from framing.cli import main
from framing.runs import config, pipeline
from framing.stance import training

LABELS = ("against", "neutral", "favor")


def _fill(sample_csv: Path, out: Path, label_of) -> Path:
    """Copy the sample CSV (codebook comments kept) with the label column filled by a coder."""
    rows = list(csv.reader(io.StringIO(sample_csv.read_text(encoding="utf-8"))))
    head = next(i for i, r in enumerate(rows) if r and r[0] == "id")
    columns = rows[head]
    kept = rows[: head + 1]
    for k, row in enumerate(rows[head + 1:]):
        record = dict(zip(columns, row, strict=False))
        row[columns.index("label")] = label_of(k, record)
        kept.append(row)
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(kept)
    out.write_text(buf.getvalue(), encoding="utf-8")
    return out


def _coder_one(k: int, record: dict) -> str:
    return LABELS[len(record["sentence_marked"]) % 3]


def _coder_two(k: int, record: dict) -> str:
    label = _coder_one(k, record)
    return LABELS[(LABELS.index(label) + 1) % 3] if k % 4 == 0 else label


@pytest.mark.parametrize("corpus", ["seeds", "demo"])
def test_sample_code_import_train_evaluate(corpus, tmp_path, tiny_encoder_factory, monkeypatch,
                                           data_dir):
    monkeypatch.setenv(config.MODELS_ENV, str(tmp_path / "models"))
    if corpus == "seeds":
        inputs = [data_dir / "seeds"]
    else:
        inputs = [config.demo_corpus_path() / "articles.jsonl"]
    cfg = config.ExperimentConfig.from_dict(
        {"name": f"rt_{corpus}", "seed": 3,
         "corpus": {"inputs": [str(p) for p in inputs]},
         "compare": {"n_boot": 100, "n_perm": 99, "min_n": 1}},
        base_dir=tmp_path,
    )
    run_dir = pipeline.run_experiment(cfg, root=tmp_path / "runs", n_jobs=1).parent
    runner = CliRunner()
    res = runner.invoke(main, ["annotate", "sample", str(run_dir), "-o", str(tmp_path / "s"),
                               "-n", "30", "--seed", "13"])
    assert res.exit_code == 0, res.output
    sample_csv = tmp_path / "s" / "sample.csv"
    coders = [_fill(sample_csv, tmp_path / "alice.csv", _coder_one),
              _fill(sample_csv, tmp_path / "bob.csv", _coder_two)]
    res = runner.invoke(main, ["annotate", "import", str(sample_csv), *map(str, coders),
                               "-o", str(tmp_path / "coded")])
    assert res.exit_code == 0, res.output
    agreement = pd.read_csv(tmp_path / "coded" / "agreement.csv")
    overall = agreement[(agreement["target"] == "(all)") & (agreement["label"] == "(all)")].iloc[0]
    assert 0 < overall["alpha"] < 1  # the second coder differs on every fourth item
    labelled = tmp_path / "coded" / "labelled.csv"
    table = training.load_dataset(str(labelled))
    assert len(table) >= 20 and set(table["label"]) <= set(LABELS)
    encoder = tiny_encoder_factory(table["sentence"].tolist() + ["<< >>"])
    (tmp_path / "train.toml").write_text(
        f'name = "coded-{corpus}"\nseed = 5\nbase_model = "{encoder}"\n\n'
        f'[data]\ntrain = "{labelled}"\ncv_folds = 2\n\n'
        "[training]\nepochs = 2\nbatch_size = 8\nmax_length = 64\nprogress_bar = false\n"
        "num_threads = 1\n",
        encoding="utf-8",
    )
    res = runner.invoke(main, ["train", str(tmp_path / "train.toml")])
    assert res.exit_code == 0, res.output
    folder = tmp_path / "models" / f"coded-{corpus}"
    record = json.loads((folder / training.TRAINING_META).read_text())
    assert record["cross_validation"]["folds"] == 2
    assert record["coded_data"]["labelled_sha256"] == training.dataset_sha256(str(labelled))
    assert record["coded_data"]["codes_sha256"]  # the import's hash of every coder's codes
    res = runner.invoke(main, ["evaluate", f"coded-{corpus}", str(labelled),
                               "-o", str(tmp_path / "eval.json")])
    assert res.exit_code == 0, res.output
    (report,) = json.loads((tmp_path / "eval.json").read_text()).values()
    assert report["n"] == len(table) and 0 <= report["macro_f1"] <= 1
