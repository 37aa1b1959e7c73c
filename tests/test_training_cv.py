"""`framing train` without a test set: K-fold cross-validation, and the provenance of coded labels."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from framing.cli import main
from framing.infra.errors import ConfigError
from framing.runs import config
from framing.runs.folders import file_sha256
from framing.stance import training

# Invented sentences, four per label; the mention is a target of targets-v1.
ROWS = [
    ("Washington praised the generous plan.", "Washington", "favor"),
    ("Beijing welcomed the fair offer.", "Beijing", "favor"),
    ("Brussels praised the careful deal.", "Brussels", "favor"),
    ("Washington applauded the kind gesture.", "Washington", "favor"),
    ("Washington condemned the brutal raid.", "Washington", "against"),
    ("Beijing attacked the unfair offer.", "Beijing", "against"),
    ("Brussels condemned the harsh deal.", "Brussels", "against"),
    ("Beijing denounced the cruel blockade.", "Beijing", "against"),
    ("Washington discussed the plan on Tuesday.", "Washington", "neutral"),
    ("Beijing received the offer.", "Beijing", "neutral"),
    ("Brussels signed the deal.", "Brussels", "neutral"),
    ("Brussels published the report on Monday.", "Brussels", "neutral"),
]
CODEBOOK = "codebook-stance-v1"


def _coded(path, rows=ROWS, source=f"coded:{CODEBOOK}"):
    """A labelled file shaped like the labelled.csv of `framing annotate import`."""
    table = pd.DataFrame({
        "id": [f"a{k}:1:X" for k in range(len(rows))],
        "sentence": [s for s, _, _ in rows],
        "target": [m for _, m, _ in rows],
        "span_start": [s.index(m) for s, m, _ in rows],
        "span_end": [s.index(m) + len(m) for s, m, _ in rows],
        "label": [lab for _, _, lab in rows],
        "label_source": source,
    })
    table.to_csv(path, index=False)
    return path


def _import_json(folder, labelled_sha256, codes_sha256="c0de" * 16):
    meta = {"codebook": {"id": CODEBOOK, "sha256": "b00c" * 16}, "labelled_sha256": labelled_sha256,
            "codes_sha256": codes_sha256, "n_labelled": len(ROWS)}
    (folder / "import.json").write_text(json.dumps(meta), encoding="utf-8")


# ------------------------------------------------------------------------------------------
# config


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"train": "x.csv", "cv_folds": 1}, "integer >= 2"),
        ({"train": "x.csv", "cv_folds": True}, "integer >= 2"),
        ({"train": "x.csv", "cv_folds": "5"}, "integer >= 2"),
        ({"train": "x.csv", "cv_folds": 5, "test": ["y.csv"]}, "keep one of them"),
        ({"train": "x.csv", "cv_fold": 5}, "did you mean data.cv_folds"),
    ],
)
def test_cv_folds_config_errors(tmp_path, data, message):
    with pytest.raises(ConfigError, match=message):
        training.train_config_from_dict({"seed": 1, "data": data}, source=tmp_path / "t.toml")


def test_cv_folds_only_in_the_settings_dict_when_set(tmp_path):
    plain = training.train_config_from_dict({"seed": 1, "data": {"train": "x.csv"}},
                                            source=tmp_path / "t.toml")
    # Absent, not null: `framing run` keys its trained models by this dict.
    assert "cv_folds" not in plain.to_dict()
    cv = training.train_config_from_dict({"seed": 1, "data": {"train": "x.csv", "cv_folds": 4}},
                                         source=tmp_path / "t.toml")
    assert cv.cv_folds == 4 and cv.to_dict()["cv_folds"] == 4


# ------------------------------------------------------------------------------------------
# cross_validate with a stand-in classifier (no encoder: the fold logic alone)


class _Recorder:
    """Predicts the label it saw most often in training for the row's target; records what it saw."""

    seen: list[set[str]] = []
    classes_ = np.asarray(["against", "neutral", "favor"], dtype=object)

    def fit(self, X, y, X_dev=None, y_dev=None):
        _Recorder.seen.append(set(X["sentence"]))
        self.dev_rows_ = None if X_dev is None else len(X_dev)
        self.by_target_ = pd.Series(list(y), index=X["target"].to_numpy()).groupby(level=0).agg(
            lambda s: s.value_counts().index[0])
        return self

    def predict_proba(self, X):
        out = np.full((len(X), 3), 0.1)
        for k, target in enumerate(X["target"]):
            label = self.by_target_.get(target, "neutral")
            out[k, list(self.classes_).index(label)] = 0.8
        return out


def _table(rows=ROWS):
    return pd.DataFrame(rows, columns=["sentence", "target", "label"])


def test_cross_validate_holds_every_row_out_once_and_pools_them():
    _Recorder.seen = []
    table = _table()
    cv = training.cross_validate(table, _Recorder, folds=4, seed=7, dev=table.iloc[:2])
    assert cv["folds"] == 4 and cv["n"] == len(ROWS) and len(cv["per_fold"]) == 4
    held_out = [set(table["sentence"]) - seen for seen in _Recorder.seen]
    assert all(len(h) == 3 for h in held_out)  # 12 rows, 4 folds
    assert set().union(*held_out) == set(table["sentence"])
    assert sum(len(h) for h in held_out) == len(ROWS)  # disjoint
    for h in held_out:  # stratified: one row of each label per fold
        labels = table.set_index("sentence").loc[sorted(h), "label"]
        assert sorted(labels) == ["against", "favor", "neutral"]
    f1 = [f["macro_f1"] for f in cv["per_fold"]]
    assert cv["macro_f1_mean"] == pytest.approx(np.mean(f1))
    assert cv["macro_f1_sd"] == pytest.approx(np.std(f1, ddof=1))
    assert cv["pooled"]["n"] == len(ROWS)
    assert sum(c["count"] for c in cv["pooled"]["confusion"]) == len(ROWS)
    # The stand-in predicts by target only, so it cannot be right on every row.
    assert cv["pooled"]["accuracy"] < 1
    json.dumps(cv)  # JSON-ready


def test_cross_validate_is_seeded():
    _Recorder.seen = []
    training.cross_validate(_table(), _Recorder, folds=3, seed=1)
    first = list(_Recorder.seen)
    _Recorder.seen = []
    training.cross_validate(_table(), _Recorder, folds=3, seed=1)
    assert _Recorder.seen == first
    _Recorder.seen = []
    training.cross_validate(_table(), _Recorder, folds=3, seed=2)
    assert _Recorder.seen != first


def test_cross_validate_refuses_labels_with_fewer_rows_than_folds():
    rows = ROWS[:2] + ROWS[4:8] + ROWS[8:12]  # two favor rows
    with pytest.raises(ConfigError, match="favor 2.*lower cv_folds to 2"):
        training.cross_validate(_table(rows), _Recorder, folds=3, seed=1, where="coded.csv")


# ------------------------------------------------------------------------------------------
# coded data provenance


def test_coded_data_links_the_codes_of_the_import(tmp_path):
    path = _coded(tmp_path / "labelled.csv")
    table = training.load_dataset(str(path))
    record = training.coded_data(str(path), table)
    assert record["labelled_sha256"] == file_sha256(path)
    assert record["codes_sha256"] is None and "no import.json" in record["note"]
    assert record["codebook"]["id"] == CODEBOOK and record["n_coded"] == len(ROWS)
    _import_json(tmp_path, file_sha256(path))
    record = training.coded_data(str(path), table)
    assert record["codes_sha256"] == "c0de" * 16 and record["note"] == ""
    assert record["codebook"] == {"id": CODEBOOK, "sha256": "b00c" * 16}
    _import_json(tmp_path, "f" * 64)  # the import wrote another labelled file
    record = training.coded_data(str(path), table)
    assert record["codes_sha256"] is None and "another labelled file" in record["note"]


def test_coded_data_reads_what_annotate_import_writes(tmp_path):
    from framing.annotate.agreement import codes_sha256
    from framing.annotate.codebook import load_codebook
    from framing.annotate.export import write_sample
    from framing.annotate.importing import import_codes, write_import
    from framing.annotate.items import mark_spans
    from framing.annotate.sample import SAMPLE_COLUMNS, Sample

    rows = [{"id": f"a{k}:1:US", "target": "US", "mention": m, "context_before": "",
             "sentence_marked": mark_spans(s, [(s.index(m), s.index(m) + len(m))]),
             "context_after": "", "label": "", "note": "", "outlet": "o", "language": "en",
             "article_id": f"a{k}", "sent_id": 1, "section": "body", "sentence": s,
             "span_start": s.index(m), "span_end": s.index(m) + len(m), "stratum": "", "strategy": "random",
             "priority": 0.0} for k, (s, m, _) in enumerate(ROWS)]
    sample = Sample(pd.DataFrame(rows, columns=list(SAMPLE_COLUMNS)), pd.DataFrame())
    codebook = load_codebook()
    paths = write_sample(sample, tmp_path / "sample", codebook=codebook)
    for coder in ("ann", "bob"):
        pd.DataFrame({"id": [r["id"] for r in rows], "label": [lab for _, _, lab in ROWS]}).to_csv(
            tmp_path / f"{coder}.csv", index=False)
    result = import_codes(paths["sample"], [tmp_path / "ann.csv", tmp_path / "bob.csv"])
    written = write_import(result, tmp_path / "import")
    spec = str(written["labelled"])
    record = training.coded_data(spec, training.load_dataset(spec))
    assert record["labelled_sha256"] == written["labelled_sha256"]
    assert record["codes_sha256"] == written["codes_sha256"] == codes_sha256(result.codes)
    assert record["codebook"] == {"id": codebook.id, "sha256": codebook.sha256}
    assert record["n_coded"] == len(ROWS) and record["note"] == ""


def test_coded_data_is_none_for_other_labels(tmp_path):
    gold = _coded(tmp_path / "gold.csv", source="")
    assert training.coded_data(str(gold), training.load_dataset(str(gold))) is None
    weak = _coded(tmp_path / "weak.csv", source="weak:framing-stance-v1@abc")
    assert training.coded_data(str(weak), training.load_dataset(str(weak))) is None


def test_cross_validation_on_weak_labels_is_refused(tmp_path):
    weak = _coded(tmp_path / "weak.csv", source="weak:framing-stance-v1@abc")
    cfg = training.TrainConfig(name="w", seed=1, train=str(weak), lexicon="", cv_folds=3)
    with pytest.raises(ConfigError, match="agreement with the lexicon"):
        training.train(cfg, output=tmp_path / "model", progress=False)
    assert not (tmp_path / "model").exists()


# ------------------------------------------------------------------------------------------
# end to end: `framing train` on coded labels with cv_folds


@pytest.fixture(scope="module")
def encoder(tiny_encoder_factory):
    return tiny_encoder_factory([s for s, _, _ in ROWS] + ["<< >>"])


def test_train_cross_validates_coded_labels_and_records_their_hashes(tmp_path, encoder, monkeypatch):
    monkeypatch.setenv(config.MODELS_ENV, str(tmp_path / "models"))
    coded = tmp_path / "coding" / "round1"
    coded.mkdir(parents=True)
    path = _coded(coded / "labelled.csv")
    _import_json(coded, file_sha256(path))
    (tmp_path / "train.toml").write_text(
        f'name = "tiny-coded"\nseed = 5\nbase_model = "{encoder}"\n\n'
        '[data]\ntrain = "coding/round1/labelled.csv"\ncv_folds = 3\n\n'
        "[training]\nepochs = 4\nlearning_rate = 3e-3\nhead_learning_rate = 1e-2\nbatch_size = 4\n"
        "max_length = 32\nwarmup_ratio = 0.0\nearly_stopping_patience = 4\nprogress_bar = false\n"
        "num_threads = 1\n",
        encoding="utf-8",
    )
    res = CliRunner().invoke(main, ["train", str(tmp_path / "train.toml")])
    assert res.exit_code == 0, res.output
    assert "fold 3/3" in res.output and "pooled out-of-fold" in res.output
    folder = tmp_path / "models" / "tiny-coded"
    record = json.loads((folder / training.TRAINING_META).read_text())
    cv = record["cross_validation"]
    assert cv["folds"] == 3 and cv["seed"] == 5 and cv["n"] == len(ROWS)
    assert [f["n_test"] for f in cv["per_fold"]] == [4, 4, 4]
    assert cv["pooled"]["n"] == len(ROWS)
    assert cv["macro_f1_mean"] == pytest.approx(np.mean([f["macro_f1"] for f in cv["per_fold"]]))
    assert record["test"] == {} and record["config"]["cv_folds"] == 3
    assert record["coded_data"]["labelled_sha256"] == file_sha256(path)
    assert record["coded_data"]["codes_sha256"] == "c0de" * 16
    assert record["data_sha256"][str(path.resolve())] == file_sha256(path)
    card = (folder / "README.md").read_text()
    assert "## Cross-validation" in card and f"codebook `{CODEBOOK}`" in card
    # The saved model is the one trained on all rows: it predicts every row.
    from framing.stance.model_scoring import load_model

    assert len(load_model(folder).predict(training.with_features(
        training.load_dataset(str(path)), "framing-stance-v1")[0])) == len(ROWS)
