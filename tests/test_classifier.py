"""The stance classifier on a tiny BERT built from config (2 layers, hidden 32, own vocabulary).

The tiny encoder is saved once per session and loaded through the real ``from_pretrained(path)``
code path. Sentences, actors (Norland, Sudmark, Ostavia) and vocabulary are invented here.
"""

from __future__ import annotations

import json
import pickle

import numpy as np
import pandas as pd
import pytest

from framing.infra.errors import ConfigError, DataError
from framing.stance.classifier import (
    MENTION_CLOSE,
    MENTION_OPEN,
    StanceClassifier,
    TrainingArguments,
    mark_mention,
)
from framing.stance.trainer import length_batches

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

# (sentence, mention, label): the verb decides the stance toward the mention.
EXAMPLES = [
    ("Norland praised the generous plan.", "Norland", "favor"),
    ("Critics say Sudmark praised the new treaty.", "Sudmark", "favor"),
    ("Ostavia welcomed the generous offer.", "Ostavia", "favor"),
    ("Many welcomed Norland and its plan.", "Norland", "favor"),
    ("Norland condemned the brutal raid.", "Norland", "against"),
    ("Critics say Sudmark attacked the new treaty.", "Sudmark", "against"),
    ("Ostavia condemned the harsh offer.", "Ostavia", "against"),
    ("Many attacked Norland and its plan.", "Norland", "against"),
    ("Norland met the envoy on Tuesday.", "Norland", "neutral"),
    ("Critics say Sudmark signed the new treaty.", "Sudmark", "neutral"),
    ("Ostavia discussed the offer.", "Ostavia", "neutral"),
    ("Many visited Norland and its capital.", "Norland", "neutral"),
]
DEV = [
    ("Sudmark praised the plan.", "Sudmark", "favor"),
    ("Sudmark condemned the plan.", "Sudmark", "against"),
    ("Sudmark discussed the plan.", "Sudmark", "neutral"),
]


def _frame(rows) -> pd.DataFrame:
    table = pd.DataFrame(rows, columns=["sentence", "target", "label"])
    table["span_start"] = [s.index(m) for s, m, _ in rows]
    table["span_end"] = table["span_start"] + table["target"].str.len()
    # Two invented lexicon features: counts of "positive" and "negative" verbs.
    table["lex_pos"] = table["sentence"].str.count("praised|welcomed").astype(float)
    table["lex_neg"] = table["sentence"].str.count("condemned|attacked").astype(float)
    return table


TRAIN = _frame(EXAMPLES)
DEV_TABLE = _frame(DEV)


def _args(**changes) -> TrainingArguments:
    base = dict(
        seed=7,
        epochs=30,
        learning_rate=3e-3,
        head_learning_rate=1e-2,
        batch_size=4,
        max_length=32,
        warmup_ratio=0.0,
        dropout=0.0,
        class_weights=None,
        early_stopping_patience=None,
        progress_bar=False,
        num_threads=1,
    )
    base.update(changes)
    return TrainingArguments(**base)


@pytest.fixture(scope="session")
def tiny_encoder(tiny_encoder_factory):
    """A tiny BERT whose vocabulary covers the invented sentences and the mention markers."""
    folder = tiny_encoder_factory([s for s, _, _ in EXAMPLES + DEV] + [MENTION_OPEN + MENTION_CLOSE])
    assert (folder / "model.safetensors").is_file()
    return folder


@pytest.fixture(scope="module")
def fitted(tiny_encoder):
    clf = StanceClassifier(model_path=tiny_encoder, args=_args())
    return clf.fit(TRAIN, TRAIN["label"])


def test_tiny_tokenizer_knows_the_words(tiny_encoder):
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(tiny_encoder)
    ids = tok(mark_mention("Norland praised the plan.", 0, 7), text_pair="Norland")["input_ids"]
    assert tok.unk_token_id not in ids


def test_overfits_the_training_examples(fitted):
    assert (fitted.predict(TRAIN) == TRAIN["label"].to_numpy()).all()
    losses = [record["train_loss"] for record in fitted.history_]
    assert losses[-1] < 0.2 * losses[0]


def test_predict_proba_rows_sum_to_one_in_label_order(fitted):
    proba = fitted.predict_proba(TRAIN)
    assert proba.shape == (12, 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert list(fitted.classes_) == ["against", "neutral", "favor"]
    assert fitted.classes_[proba.argmax(axis=1)].tolist() == fitted.predict(TRAIN).tolist()


def test_predictions_do_not_depend_on_batching_or_order(fitted):
    full = fitted.predict_proba(TRAIN, batch_size=64)
    small = fitted.predict_proba(TRAIN, batch_size=1)
    np.testing.assert_allclose(full, small, atol=1e-5)
    reversed_rows = fitted.predict_proba(TRAIN.iloc[::-1])
    np.testing.assert_allclose(full[::-1], reversed_rows, atol=1e-5)


def test_save_reload_gives_identical_probabilities(fitted, tmp_path, monkeypatch):
    folder = fitted.save(tmp_path / "model")
    names = {p.name for p in folder.iterdir()}
    assert {
        "model.safetensors",
        "config.json",
        "framing_model.json",
        "README.md",
        "tokenizer.json",
    } <= names
    assert not any(n.endswith((".bin", ".pkl", ".pt")) for n in names)
    meta = json.loads((folder / "framing_model.json").read_text())
    assert meta["label2id"] == {"against": 0, "neutral": 1, "favor": 2}
    assert meta["training_arguments"]["seed"] == 7
    assert meta["input_format"]["mention_open"] == MENTION_OPEN

    # Loading and predicting must never unpickle anything.
    def refuse(*args, **kwargs):
        raise AssertionError("unpickling attempted")

    monkeypatch.setattr(pickle, "load", refuse)
    monkeypatch.setattr(pickle, "loads", refuse)
    monkeypatch.setattr(torch, "load", refuse)
    loaded = StanceClassifier.load(folder)
    assert np.array_equal(loaded.predict_proba(TRAIN), fitted.predict_proba(TRAIN))
    assert loaded.args == fitted.args


def test_fusion_shapes_with_and_without_lexicon_features(tiny_encoder, fitted, tmp_path):
    assert fitted.model_.head.in_features == 32
    clf = StanceClassifier(
        model_path=tiny_encoder,
        args=_args(epochs=2),
        feature_columns=["lex_pos", "lex_neg"],
        lexicon_name="toy-v1",
        lexicon_sha256="0" * 64,
    )
    clf.fit(TRAIN, TRAIN["label"])
    assert clf.model_.head.in_features == 32 + 2
    np.testing.assert_allclose(clf.feature_mean_, [4 / 12, 4 / 12])
    proba = clf.predict_proba(TRAIN)
    assert proba.shape == (12, 3)
    # The features reach the head: changing one changes the probabilities.
    shifted = TRAIN.assign(lex_pos=TRAIN["lex_pos"] + 5)
    assert not np.allclose(proba, clf.predict_proba(shifted))
    with pytest.raises(DataError, match="lex_neg"):
        clf.predict_proba(TRAIN.drop(columns="lex_neg"))
    folder = clf.save(tmp_path / "fused")
    meta = json.loads((folder / "framing_model.json").read_text())
    assert meta["feature_columns"] == ["lex_pos", "lex_neg"]
    assert meta["lexicon"] == {"name": "toy-v1", "sha256": "0" * 64}
    np.testing.assert_array_equal(
        StanceClassifier.load(folder).predict_proba(shifted), clf.predict_proba(shifted)
    )


def test_same_seed_same_model_other_seed_other_weights(tiny_encoder):
    def train(seed):
        clf = StanceClassifier(model_path=tiny_encoder, args=_args(seed=seed, epochs=2))
        return clf.fit(TRAIN, TRAIN["label"])

    first, again, other = train(1), train(1), train(2)
    assert np.array_equal(first.predict_proba(TRAIN), again.predict_proba(TRAIN))
    head = [m.model_.head.weight.detach() for m in (first, again, other)]
    assert torch.equal(head[0], head[1])
    assert not torch.equal(head[0], head[2])


def test_dev_set_keeps_best_checkpoint_and_stops_early(tiny_encoder, tmp_path):
    args = _args(
        epochs=40, eval_every=1, early_stopping_patience=2, checkpoint_dir=str(tmp_path / "ckpt")
    )
    clf = StanceClassifier(model_path=tiny_encoder, args=args)
    clf.fit(TRAIN, TRAIN["label"], X_dev=DEV_TABLE, y_dev=DEV_TABLE["label"])
    f1s = [r["dev_macro_f1"] for r in clf.history_]
    assert len(clf.history_) < 40 * 3  # stopped early
    assert clf.metrics_["best_step"] == clf.history_[int(np.argmax(f1s))]["step"]
    assert (
        json.loads((tmp_path / "ckpt" / "best.json").read_text())["step"]
        == clf.metrics_["best_step"]
    )
    # Training went on past the best step, yet the kept weights are the best ones, not the last.
    assert clf.history_[-1]["step"] > clf.metrics_["best_step"]
    from safetensors.torch import load_file

    best_weights = load_file(tmp_path / "ckpt" / "best.safetensors")
    assert torch.equal(best_weights["head.weight"], clf.model_.head.weight.detach())
    best = clf.metrics_["dev"]["macro_f1"]
    assert best == max(f1s)
    from sklearn.metrics import f1_score

    predicted = clf.predict(DEV_TABLE)
    assert f1_score(DEV_TABLE["label"], predicted, average="macro") == pytest.approx(best)


def test_refuses_a_folder_with_only_pickle_weights(tiny_encoder, tmp_path):
    folder = tmp_path / "pickled"
    folder.mkdir()
    for name in ("config.json", "tokenizer.json", "tokenizer_config.json"):
        (folder / name).write_bytes((tiny_encoder / name).read_bytes())
    (folder / "pytorch_model.bin").write_bytes(b"never read")
    clf = StanceClassifier(model_path=folder, args=_args())
    with pytest.raises(DataError, match=r"no model\.safetensors.*pytorch_model\.bin"):
        clf.fit(TRAIN, TRAIN["label"])
    with pytest.raises(DataError, match="not a saved StanceClassifier"):
        StanceClassifier.load(folder)


def test_missing_seed_is_an_error(tiny_encoder):
    with pytest.raises(ConfigError, match="seed"):
        TrainingArguments(seed=None)
    with pytest.raises(ConfigError, match="seed"):
        StanceClassifier(model_path=tiny_encoder).fit(TRAIN, TRAIN["label"])


def test_training_arguments_validate_and_round_trip():
    args = _args(class_weights={"favor": 2.0})
    assert TrainingArguments.from_dict(args.to_dict()) == args
    with pytest.raises(ConfigError, match="batch_size"):
        _args(batch_size=0)
    with pytest.raises(ConfigError, match="class_weights"):
        _args(class_weights="equal")
    with pytest.raises(ConfigError, match="unknown training arguments"):
        TrainingArguments.from_dict({"seed": 1, "lr": 0.1})


def test_estimator_contract(tiny_encoder):
    from sklearn.base import clone
    from sklearn.exceptions import NotFittedError

    clf = StanceClassifier(model_path=tiny_encoder, args=_args(), feature_columns=("lex_pos",))
    copy = clone(clf)
    assert copy.get_params() == clf.get_params()
    assert not hasattr(copy, "model_")
    with pytest.raises(NotFittedError):
        clf.predict_proba(TRAIN)


def test_bad_rows_are_named(fitted):
    bad_span = TRAIN.assign(span_end=TRAIN["span_end"] + 100)
    with pytest.raises(DataError, match=r"X row 0 .*span"):
        fitted.predict_proba(bad_span)
    with pytest.raises(DataError, match=r"row 1: unknown label 'pro'"):
        StanceClassifier(args=_args()).fit(TRAIN.iloc[:2], ["favor", "pro"])
    with pytest.raises(DataError, match=r"missing columns \['target'\]"):
        fitted.predict_proba(TRAIN.drop(columns="target"))
    with pytest.raises(DataError, match="target is empty"):
        fitted.predict_proba(TRAIN.assign(target=""))


def test_rows_without_span_are_left_unmarked(fitted):
    assert mark_mention("Norland waits.", 0, 7) == f"{MENTION_OPEN}Norland{MENTION_CLOSE} waits."
    assert mark_mention("Norland waits.", None, None) == "Norland waits."
    no_spans = TRAIN.drop(columns=["span_start", "span_end"])
    na_spans = TRAIN.assign(span_start=pd.NA, span_end=pd.NA).astype(
        {"span_start": "Int64", "span_end": "Int64"}
    )
    np.testing.assert_allclose(fitted.predict_proba(no_spans), fitted.predict_proba(na_spans))
    assert not np.allclose(fitted.predict_proba(no_spans), fitted.predict_proba(TRAIN))


def test_empty_input_gives_empty_output(fitted):
    assert fitted.predict_proba(TRAIN.iloc[:0]).shape == (0, 3)
    assert fitted.predict(TRAIN.iloc[:0]).shape == (0,)


@pytest.mark.parametrize("precision", ["bf16", "int8"])
def test_reduced_precision_paths(fitted, precision):
    proba = fitted.predict_proba(TRAIN, precision=precision)
    assert proba.shape == (12, 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert np.abs(proba - fitted.predict_proba(TRAIN)).max() < 0.2
    with pytest.raises(ConfigError, match="fp16"):
        fitted.predict_proba(TRAIN, precision="fp16")


def test_bf16_fast_path_agrees_with_autocast_and_is_deterministic(fitted, tmp_path):
    """precision="bf16": a bfloat16 copy with fused linear kernels, same labels as autocast."""
    from framing.stance.classifier import _fused_linear_class, _fused_linear_works

    fast = fitted.predict_proba(TRAIN, precision="bf16")
    autocast = fitted.predict_proba(TRAIN, precision="bf16", bf16_autocast=True)
    exact = fitted.predict_proba(TRAIN)
    np.testing.assert_allclose(fast.sum(axis=1), 1.0)
    assert (fast.argmax(axis=1) == autocast.argmax(axis=1)).all()
    assert (fast.argmax(axis=1) == exact.argmax(axis=1)).all()
    assert np.abs(fast - autocast).max() < 0.05 and np.abs(fast - exact).max() < 0.05
    # Same inputs, same outputs: again in this process, and from a saved and reloaded copy.
    assert np.array_equal(fast, fitted.predict_proba(TRAIN, precision="bf16"))
    reloaded = StanceClassifier.load(fitted.save(tmp_path / "model"))
    assert np.array_equal(fast, reloaded.predict_proba(TRAIN, precision="bf16"))
    # The copy is bfloat16 with fused linear layers (GELU inside the feed-forward one); the
    # fitted float32 model is left as it was.
    copy = fitted._bf16
    assert copy.head.weight.dtype == torch.float32
    assert {p.dtype for p in copy.encoder.parameters()} == {torch.bfloat16}
    assert all(p.dtype == torch.float32 for p in fitted.model_.parameters())
    assert not any(type(m).__name__ == "FusedLinear" for m in fitted.model_.modules())
    if _fused_linear_works(torch):
        fused = [m for m in copy.encoder.modules() if isinstance(m, _fused_linear_class())]
        # Per layer: query, key, value, attention output, two feed-forward; plus BERT's pooler.
        assert len(fused) == 6 * fitted.model_.encoder.config.num_hidden_layers + 1
        assert sum(m.activation == "gelu" for m in fused) == fitted.model_.encoder.config.num_hidden_layers
        assert not any(isinstance(m, torch.nn.Linear) for m in copy.encoder.modules())


def test_length_batches_cover_every_index_once_and_bucket():
    lengths = np.array([5, 50, 6, 49, 7, 48, 8, 47])
    batches = length_batches(lengths, 2, np.random.default_rng(0), bucket_batches=4)
    flat = np.concatenate(batches)
    assert sorted(flat.tolist()) == list(range(8))
    # Sorted within one mega-batch: every batch pairs similar lengths.
    assert all(abs(lengths[b[0]] - lengths[b[1]]) <= 2 for b in batches)
    again = length_batches(lengths, 2, np.random.default_rng(0), bucket_batches=4)
    assert all(np.array_equal(a, b) for a, b in zip(batches, again, strict=True))
    plain = length_batches(lengths, 3, np.random.default_rng(0), bucketing=False)
    assert [len(b) for b in plain] == [3, 3, 2]


@pytest.mark.slow
def test_real_minilm_predicts_probabilities():
    """Loads the bundled all-MiniLM-L6-v2, trains one step on 3 invented rows, predicts 3 rows."""
    rows = TRAIN.iloc[[0, 4, 8]]
    clf = StanceClassifier(
        args=TrainingArguments(seed=3, epochs=1, batch_size=3, max_length=32, progress_bar=False)
    )
    clf.fit(rows, rows["label"])
    assert clf.model_.head.in_features == 384
    proba = clf.predict_proba(DEV_TABLE)
    assert proba.shape == (3, 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert clf.base_model_["name"].startswith("sentence-transformers/all-MiniLM-L6-v2")


def test_training_goes_on_from_a_saved_classifier(fitted, tmp_path):
    """A saved model's folder as the base model: its fine-tuned encoder, a new head."""
    folder = fitted.save(tmp_path / "first")
    again = StanceClassifier(model_path=folder, args=_args(epochs=1, learning_rate=1e-12, head_learning_rate=1e-12))
    again.fit(TRAIN, TRAIN["label"])
    saved = fitted.model_.encoder.state_dict()
    for name, value in again.model_.encoder.state_dict().items():
        if not name.startswith("pooler."):
            # steps of 1e-12: the encoder is the saved one
            assert torch.allclose(value, saved[name], atol=1e-6), name
    fresh = StanceClassifier(model_path=fitted.model_path, args=_args(epochs=1, learning_rate=1e-12,
                                                                      head_learning_rate=1e-12))
    fresh.fit(TRAIN, TRAIN["label"])
    word = "embeddings.word_embeddings.weight"
    assert not torch.allclose(fresh.model_.encoder.state_dict()[word], saved[word], atol=1e-6)


# ---------------------------------------------------------------------------------------------
# The hybrid model as one object: the classifier owns its lexicon vectorizer


@pytest.fixture(scope="module")
def hybrid_pair(tiny_encoder):
    """The same hybrid trained twice: owning its vectorizer, and on precomputed lex__ columns."""
    from framing.stance.features import mention_vectorizer
    from framing.stance.training import with_features

    raw = TRAIN.drop(columns=["lex_pos", "lex_neg"])
    owned = StanceClassifier(model_path=tiny_encoder, args=_args(epochs=3),
                             vectorizer=mention_vectorizer())
    owned.fit(raw, raw["label"])
    table, names = with_features(raw, mention_vectorizer())
    vec = mention_vectorizer()
    given = StanceClassifier(model_path=tiny_encoder, args=_args(epochs=3),
                             feature_columns=tuple(names), lexicon_name=vec.lexicon_.id,
                             lexicon_sha256=vec.lexicon_sha256_)
    given.fit(table, table["label"])
    return raw, table, owned, given


def test_hybrid_owning_its_vectorizer_equals_precomputed_features(hybrid_pair):
    raw, table, owned, given = hybrid_pair
    assert owned.feature_columns_ == given.feature_columns_
    assert all(c.startswith("lex__") for c in owned.feature_columns_)
    assert owned.vectorizer_.unit == "mention" and owned.vectorizer is not owned.vectorizer_
    # Raw rows (features built inside) and precomputed columns give the same probabilities.
    np.testing.assert_array_equal(owned.predict_proba(raw), given.predict_proba(table))
    np.testing.assert_array_equal(owned.predict_proba(table), owned.predict_proba(raw))
    # An old-style hybrid builds its columns from its lexicon name when they are missing.
    np.testing.assert_array_equal(given.predict_proba(raw), given.predict_proba(table))


def test_hybrid_saves_its_vectorizer_and_loads_as_one_object(hybrid_pair, tmp_path):
    raw, _, owned, _ = hybrid_pair
    folder = owned.save(tmp_path / "hybrid")
    meta = json.loads((folder / "framing_model.json").read_text())
    assert meta["vectorizer"]["lexicon"] == "framing-stance-v1"
    assert meta["vectorizer"]["target_set"] == "targets-v1" and meta["vectorizer"]["unit"] == "mention"
    assert meta["feature_columns"] == list(owned.feature_columns_)
    assert meta["lexicon"]["name"] == "framing-stance-v1" and len(meta["lexicon"]["sha256"]) == 64
    loaded = StanceClassifier.load(folder)
    assert loaded.vectorizer.get_params() == owned.vectorizer.get_params()
    assert loaded.feature_columns == () and loaded.feature_columns_ == owned.feature_columns_
    np.testing.assert_array_equal(loaded.predict_proba(raw), owned.predict_proba(raw))


def test_model_folders_without_vectorizer_settings_still_load(hybrid_pair, tmp_path):
    """Folders written before the vectorizer was saved: plain feature columns, lexicon by name."""
    raw, table, owned, given = hybrid_pair
    for clf, name in ((owned, "owned"), (given, "given")):
        folder = clf.save(tmp_path / name)
        meta_path = folder / "framing_model.json"
        meta = json.loads(meta_path.read_text())
        del meta["vectorizer"]
        meta_path.write_text(json.dumps(meta))
        old = StanceClassifier.load(folder)
        assert old.vectorizer is None and old.feature_columns == clf.feature_columns_
        np.testing.assert_array_equal(old.predict_proba(table), clf.predict_proba(table))
        np.testing.assert_array_equal(old.predict_proba(raw), clf.predict_proba(raw))


def test_hybrid_estimator_contract(tiny_encoder):
    from sklearn.base import clone
    from sklearn.utils.estimator_checks import (
        check_get_params_invariance,
        check_no_attributes_set_in_init,
        check_parameters_default_constructible,
        check_set_params,
    )

    from framing.stance.features import LexiconVectorizer

    clf = StanceClassifier(model_path=tiny_encoder, args=_args(),
                           vectorizer=LexiconVectorizer(unit="mention", weighting="weight"))
    for check in (check_no_attributes_set_in_init, check_get_params_invariance,
                  check_set_params, check_parameters_default_constructible):
        check("StanceClassifier", clf)
    params = clf.get_params(deep=True)
    assert params["vectorizer__weighting"] == "weight" and params["vectorizer__unit"] == "mention"
    clf.set_params(vectorizer__target_set="targets-v1")
    assert clf.vectorizer.target_set == "targets-v1"
    copy = clone(clf)
    assert copy.vectorizer is not clf.vectorizer
    assert copy.vectorizer.get_params() == clf.vectorizer.get_params()
    assert not hasattr(copy, "model_") and not hasattr(copy, "vectorizer_")


def test_vectorizer_must_be_mention_mode(tiny_encoder):
    from framing.stance.features import LexiconVectorizer

    clf = StanceClassifier(model_path=tiny_encoder, args=_args(epochs=1),
                           vectorizer=LexiconVectorizer(unit="document"))
    with pytest.raises(ConfigError, match="unit='mention'"):
        clf.fit(TRAIN, TRAIN["label"])


@pytest.mark.parametrize("total", [1, 2, 7, 40, 333])
@pytest.mark.parametrize("ratio", [0.0, 0.1, 0.3, 0.9])
def test_learning_rate_schedule_is_linear_warmup_then_decay(total, ratio):
    """transformers' schedule, set up to give the hand-written factors of before, float for float."""
    from framing.stance.trainer import _linear_scheduler

    warmup = int(ratio * total)
    param = torch.nn.Parameter(torch.zeros(1))
    optimizer = torch.optim.AdamW([param], lr=0.5)
    scheduler = _linear_scheduler(optimizer, warmup, total)
    seen = []
    for _ in range(total):
        seen.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    expected = [
        0.5 * ((k + 1) / (warmup + 1) if k < warmup else max(0.0, (total - k) / max(1, total - warmup)))
        for k in range(total)
    ]
    assert seen == expected


# ---------------------------------------------------------------------------------------------
# Mention pooling: the mention's own tokens beside the sentence mean


def test_mention_positions_are_the_marked_tokens_or_the_target_segment(tiny_encoder):
    from framing.stance.classifier import _encode, _marked_span

    clf = StanceClassifier(model_path=tiny_encoder, args=_args(), pooling="mean+mention")
    rows = TRAIN.iloc[[5, 7]].copy()  # "Critics say Sudmark ...", "Many attacked Norland ..."
    unmarked = rows.drop(columns=["span_start", "span_end"])
    from framing.stance.classifier import _load_tokenizer

    tokenizer = _load_tokenizer(tiny_encoder)
    for table, expect in ((rows, "marked"), (unmarked, "target")):
        texts, pairs = clf._inputs(table, "X")
        encoded = _encode(tokenizer, texts, pairs, 32, clf._spans(texts))
        for i, (text, target) in enumerate(zip(texts, pairs, strict=True)):
            tokens = tokenizer.convert_ids_to_tokens([encoded["input_ids"][i][j] for j in encoded["mention"][i]])
            assert "".join(t.removeprefix("##") for t in tokens) == target.lower(), (expect, tokens)
            if expect == "marked":  # the first segment's tokens, not the second segment's
                assert max(encoded["mention"][i]) < encoded["input_ids"][i].index(tokenizer.sep_token_id)
                assert _marked_span(text) is not None
            else:
                assert _marked_span(text) is None


def test_mention_pooling_fits_saves_and_loads(tiny_encoder, tmp_path):
    clf = StanceClassifier(model_path=tiny_encoder, args=_args(epochs=15), pooling="mean+mention")
    clf.fit(TRAIN, TRAIN["label"])
    assert clf.model_.head.in_features == 2 * clf.model_.encoder.config.hidden_size  # no features
    proba = clf.predict_proba(TRAIN)
    assert (clf.predict(TRAIN) == TRAIN["label"]).mean() >= 0.75
    folder = clf.save(tmp_path / "pooled")
    meta = json.loads((folder / "framing_model.json").read_text())
    assert meta["params"]["pooling"] == "mean+mention"
    assert "mention" in meta["input_format"]["pooling"]
    loaded = StanceClassifier.load(folder)
    assert loaded.pooling == "mean+mention"
    assert np.array_equal(loaded.predict_proba(TRAIN), proba)


def test_folders_without_pooling_load_as_mean_and_bad_pooling_is_refused(fitted, tiny_encoder, tmp_path):
    folder = fitted.save(tmp_path / "old")
    meta_file = folder / "framing_model.json"
    meta = json.loads(meta_file.read_text())
    del meta["params"]["pooling"]  # as written before pooling existed
    meta_file.write_text(json.dumps(meta))
    loaded = StanceClassifier.load(folder)
    assert loaded.pooling == "mean"
    assert np.array_equal(loaded.predict_proba(TRAIN), fitted.predict_proba(TRAIN))
    with pytest.raises(ConfigError, match="pooling 'max'"):
        StanceClassifier(model_path=tiny_encoder, args=_args(), pooling="max").fit(TRAIN, TRAIN["label"])


def test_bf16_training_learns_the_examples_and_is_reproducible(tiny_encoder):
    """bf16 autocast + fused AdamW: still learns, same seed same weights, weights stay float32."""
    def train(precision, seed=7):
        clf = StanceClassifier(model_path=tiny_encoder, args=_args(precision=precision, seed=seed))
        return clf.fit(TRAIN, TRAIN["label"])

    bf16, again = train("bf16"), train("bf16")
    assert (bf16.predict(TRAIN) == TRAIN["label"].to_numpy()).all()
    assert all(p.dtype == torch.float32 for p in bf16.model_.parameters())
    assert np.array_equal(bf16.predict_proba(TRAIN), again.predict_proba(TRAIN))
    fp32 = train("fp32")
    assert not torch.equal(bf16.model_.head.weight.detach(), fp32.model_.head.weight.detach())
    # fp32 stays out of the recorded arguments: models trained before the option keep their keys.
    assert "precision" not in fp32.args.to_dict() and bf16.args.to_dict()["precision"] == "bf16"


def test_an_unknown_training_precision_is_a_config_error():
    with pytest.raises(ConfigError, match="precision"):
        _args(precision="fp16")
