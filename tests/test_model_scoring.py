"""Model and hybrid scoring: mentions -> classifier inputs -> article scores, on a tiny BERT.

Sentences and actors are invented (Norland/Sudmark are not targets; the targets are the default
US, CN and EU of targets-v1).
"""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pandas as pd
import pytest

from framing.infra import schema
from framing.infra.errors import ConfigError
from framing.runs import config, pipeline
from framing.stance import model_scoring, training
from framing.stance.classifier import StanceClassifier, TrainingArguments
from framing.stance.scoring import SMOOTHING

ARTICLES = [
    ("a1", "Harbour Ledger", "Washington bullied its allies again. The EU met in Brussels. "
     "Washington bullied the bloc over tariffs."),
    ("a2", "Polder Post", "China praised the new deal. Beijing welcomed the talks."),
    ("a3", "Harbour Ledger", "The EU met China in Brussels on Monday."),
]


def _articles() -> pd.DataFrame:
    return pd.DataFrame({
        "article_id": [a for a, _, _ in ARTICLES],
        "outlet": [o for _, o, _ in ARTICLES],
        "published": [None] * 3,
        "language": ["en"] * 3,
        "language_score": [1.0] * 3,
        "title": [""] * 3,
        "text": [t for _, _, t in ARTICLES],
        "source": ["test"] * 3,
        "status": ["ok"] * 3,
        "reason": [""] * 3,
        "duplicate_of": [None] * 3,
        "near_duplicate_of": [None] * 3,
    })


@pytest.fixture(scope="module")
def tables():
    articles = _articles()
    sentences, mentions = pipeline.sentences_and_mentions(articles, n_jobs=1)
    return articles, sentences, mentions


@pytest.fixture(scope="module")
def models(tiny_encoder_factory, tables):
    """A transformer-only and a hybrid tiny model, trained on weak labels of the invented corpus."""
    articles, sentences, mentions = tables
    examples = model_scoring.mention_examples(articles, sentences, mentions)
    encoder = tiny_encoder_factory(examples["sentence"].tolist() + ["<< >>"])
    labels = np.where(examples["sentence"].str.contains("bullied"), "against",
                      np.where(examples["sentence"].str.contains("praised|welcomed"), "favor", "neutral"))
    args = TrainingArguments(seed=5, epochs=20, learning_rate=3e-3, head_learning_rate=1e-2,
                             batch_size=4, max_length=48, warmup_ratio=0.0, dropout=0.0,
                             class_weights=None, early_stopping_patience=None,
                             progress_bar=False, num_threads=1)
    plain = examples.assign(target=examples["mention"])
    transformer = StanceClassifier(model_path=encoder, args=args).fit(plain, labels)
    with_lex, names = model_scoring.lexicon_features(examples, "framing-stance-v1")
    from framing.lexicon.folder import load_lexicon

    lex = load_lexicon("framing-stance-v1")
    hybrid = StanceClassifier(model_path=encoder, args=args, feature_columns=tuple(names),
                              lexicon_name=lex.id, lexicon_sha256=lex.sha256)
    hybrid.fit(with_lex.assign(target=with_lex["mention"]), labels)
    return transformer, hybrid


def test_mention_examples_spans_index_the_sentence(tables):
    articles, sentences, mentions = tables
    ex = model_scoring.mention_examples(articles, sentences, mentions)
    assert list(ex.columns) == list(model_scoring.EXAMPLE_COLUMNS)
    assert len(ex) == len(mentions)
    for row in ex.itertuples():
        assert row.sentence[row.span_start:row.span_end] == row.mention
        for s, e in row.spans:
            assert 0 <= s < e <= len(row.sentence)
    first = ex.loc[(ex.article_id == "a1") & (ex.target == "US")].iloc[0]
    assert first.mention == "Washington"


def test_hybrid_scores_follow_the_rule_and_carry_evidence(models, tables):
    articles, sentences, mentions = tables
    _, hybrid = models
    scores, predictions = model_scoring.score_model(articles, sentences, mentions, hybrid)
    assert list(scores.columns) == list(schema.SCORE_COLUMNS)
    assert list(predictions.columns) == list(model_scoring.PREDICTION_COLUMNS)
    assert set(scores["method"]) == {"hybrid"}
    assert scores["score"].between(-1, 1).all() and scores["confidence"].between(0, 1).all()
    # the aggregation rule: sum(p_favor - p_against) / (n + k), one unit per sentence
    for row in scores.itertuples():
        mine = predictions[(predictions.article_id == row.article_id) & (predictions.target == row.target)]
        expected = (mine["p_favor"] - mine["p_against"]).sum() / (len(mine) + SMOOTHING)
        assert row.score == pytest.approx(np.clip(expected, -1, 1))
        assert row.n_mentions == mine["sent_id"].nunique()
    us = scores.set_index(["article_id", "target"]).loc[("a1", "US")]
    cn = scores.set_index(["article_id", "target"]).loc[("a2", "CN")]
    assert us["score"] < 0 < cn["score"]
    assert us["n_cues"] >= 2  # "bullied" twice, attributed to Washington
    evidence = us["evidence"]
    assert 1 <= len(evidence) <= model_scoring.EVIDENCE_SENTENCES
    top = evidence[0]
    categories = {t["category"] for t in top["terms"]}
    assert model_scoring.MENTION_CATEGORY in categories and len(categories) >= 2
    for t in top["terms"]:
        assert top["sentence"][t["start"]:t["end"]].lower().startswith(t["term"][:4].lower())
    assert set(top["probabilities"]) == set(schema.STANCE_LABELS)


def test_model_method_and_mismatch_errors(models, tables):
    articles, sentences, mentions = tables
    transformer, hybrid = models
    scores, predictions = model_scoring.score_model(articles, sentences, mentions, transformer)
    assert set(scores["method"]) == {"model"}
    assert (scores["n_cues"] == 0).all() and (predictions["lexicon_signed"] == 0).all()
    with pytest.raises(ConfigError, match="without lexicon features"):
        model_scoring.score_model(articles, sentences, mentions, transformer, method="hybrid")
    with pytest.raises(ConfigError, match="with lexicon features"):
        model_scoring.score_model(articles, sentences, mentions, hybrid, method="model")


def test_identical_inputs_are_classified_once(models, tables):
    articles, sentences, mentions = tables
    _, hybrid = models
    twice = pd.concat([articles, articles.assign(article_id=articles["article_id"] + "-copy")])
    s2, m2 = pipeline.sentences_and_mentions(twice, n_jobs=1)
    calls = []
    original = hybrid.predict_proba

    def counting(X, **kwargs):
        calls.append(len(X))
        return original(X, **kwargs)

    hybrid.predict_proba = counting
    try:
        scores, _ = model_scoring.score_model(twice, s2, m2, hybrid)
    finally:
        del hybrid.predict_proba
    assert calls == [len(m2) // 2]
    a = scores.set_index(["article_id", "target"])["score"]
    assert a.loc[("a1", "US")] == a.loc[("a1-copy", "US")]


def test_saved_model_scores_the_same_and_warns_on_a_changed_lexicon(models, tables, tmp_path):
    articles, sentences, mentions = tables
    _, hybrid = models
    folder = hybrid.save(tmp_path / "m")
    before, _ = model_scoring.score_model(articles, sentences, mentions, hybrid)
    after, _ = model_scoring.score_model(articles, sentences, mentions, folder)
    np.testing.assert_allclose(before["score"], after["score"], atol=1e-6)
    meta = json.loads((folder / "framing_model.json").read_text())
    meta["lexicon"]["sha256"] = "0" * 64
    (folder / "framing_model.json").write_text(json.dumps(meta))
    with pytest.warns(UserWarning, match="lexicon changed since training"):
        model_scoring.score_model(articles, sentences, mentions, folder)


def test_weak_labels_are_confident_and_marked(tables):
    articles, sentences, mentions = tables
    weak = training.weak_labels(articles, sentences, mentions, seed=1)
    assert training.is_weak(weak)
    assert weak["label_source"].str.startswith("weak:framing-stance-v1@").all()
    by_id = weak.set_index("id")["label"]
    assert by_id["a1:1:US"] == "against"  # "Washington bullied its allies again."
    assert by_id["a2:1:CN"] == "favor"  # "China praised the new deal."
    assert by_id["a3:1:CN"] == "neutral"  # no cue at all
    # capped per label, seeded
    capped = training.weak_labels(articles, sentences, mentions, seed=1, per_label=1)
    assert capped["label"].value_counts().max() == 1
    again = training.weak_labels(articles, sentences, mentions, seed=1, per_label=1)
    pd.testing.assert_frame_equal(capped, again)


def test_run_with_weak_hybrid_trains_once_then_reuses(tiny_encoder_factory, tmp_path, monkeypatch):
    """The demo config end to end with a tiny encoder instead of MiniLM."""
    monkeypatch.setenv(config.MODELS_ENV, str(tmp_path / "models"))
    demo = config.load_config(config.demo_corpus_path() / "demo.toml")
    texts = [json.loads(line)["text"] for line in
             (config.demo_corpus_path() / "articles.jsonl").read_text(encoding="utf-8").splitlines()
             if line.strip()]
    encoder = tiny_encoder_factory(texts + ["<< >>"])
    cfg = dataclasses.replace(
        demo,
        training=dataclasses.replace(demo.training, base_model=str(encoder),
                                     arguments=config.FrozenDict(epochs=1, batch_size=32,
                                                                 max_length=64, progress_bar=False)),
        compare=dataclasses.replace(demo.compare, n_boot=200, n_perm=199),
    )
    said = []
    report = pipeline.run_experiment(cfg, root=tmp_path / "runs", n_jobs=1, progress=True)
    run_dir = report.parent
    scores = pd.read_parquet(run_dir / "model_scores.scores.parquet")
    assert set(scores["method"]) == {"hybrid"}
    assert (tmp_path / "models" / "demo-weak-hybrid" / "model.safetensors").is_file()
    card = (tmp_path / "models" / "demo-weak-hybrid" / "README.md").read_text()
    assert "Weakly supervised" in card
    assert (run_dir / "disagreement_summary.parquet").is_file()
    by_voice = pd.read_parquet(run_dir / "outlet_table_by_voice.parquet")
    assert set(by_voice["voice"]) <= set(model_scoring.VOICE_GROUPS) and "author" in set(by_voice["voice"])
    assert "Stance by voice" in report.read_text(encoding="utf-8")
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert "scoring.model" in json.dumps(manifest["inputs"])
    stamp = (tmp_path / "models" / "demo-weak-hybrid" / "model.safetensors").stat().st_mtime_ns
    monkeypatch.setattr("builtins.print", lambda *a, **k: said.append(" ".join(map(str, a))))
    pipeline.run_experiment(cfg, root=tmp_path / "runs", n_jobs=1, progress=True)
    assert any("reusing" in line for line in said)
    assert (tmp_path / "models" / "demo-weak-hybrid" / "model.safetensors").stat().st_mtime_ns == stamp
    # --force recomputes the run's stages (weak labels included) but reuses the model trained on
    # the same labels; --retrain trains it again.
    said.clear()
    pipeline.run_experiment(cfg, root=tmp_path / "runs", n_jobs=1, progress=True, force=True)
    assert any("weak labels:" in line for line in said) and any("reusing" in line for line in said)
    assert (tmp_path / "models" / "demo-weak-hybrid" / "model.safetensors").stat().st_mtime_ns == stamp
    said.clear()
    pipeline.run_experiment(cfg, root=tmp_path / "runs", n_jobs=1, progress=True, retrain=True)
    assert any("fine-tuning" in line for line in said) and not any("reusing" in line for line in said)
    assert (tmp_path / "models" / "demo-weak-hybrid" / "model.safetensors").stat().st_mtime_ns != stamp


def test_speed_switches_do_not_change_probabilities(models, tables):
    """Each optimisation can be switched off for the benchmarks; the probabilities stay put."""
    articles, sentences, mentions = tables
    _, hybrid = models
    examples, _ = model_scoring.lexicon_features(
        model_scoring.mention_examples(articles, sentences, mentions), "framing-stance-v1")
    fast = model_scoring.predict_mentions(examples, hybrid)
    slow = model_scoring.predict_mentions(examples, hybrid, dedupe=False, length_sorted=False,
                                          pad_to=64, grad_mode="grad", batch_size=2, num_threads=1)
    np.testing.assert_allclose(slow, fast, atol=1e-5)
    with pytest.raises(ConfigError, match="grad_mode"):
        model_scoring.predict_mentions(examples, hybrid, grad_mode="off")


def test_voice_column_reaches_the_predictions(models, tables):
    articles, sentences, mentions = tables
    assert "voice" in mentions.columns and set(mentions["voice"]) <= {"author", "reported", "quoted", "speaker"}
    _, predictions = model_scoring.score_model(articles, sentences, mentions, models[1])
    assert predictions["voice"].tolist() == mentions["voice"].tolist()


def test_rescore_equals_score_model_for_the_same_rule(models, tables):
    articles, sentences, mentions = tables
    for rule in ("smoothed-v1", "author-v1", "voice-weighted-v1", "mean-v1"):
        scores, predictions = model_scoring.score_model(articles, sentences, mentions, models[1], aggregation=rule)
        again = model_scoring.rescore(predictions, aggregation=rule)
        merged = scores.merge(again, on=["article_id", "target"], suffixes=("", "_again"))
        assert len(merged) == len(scores)
        np.testing.assert_allclose(merged["score"], merged["score_again"])


def test_aggregation_rules_weigh_voices():
    predictions = pd.DataFrame({
        "article_id": ["a"] * 3, "target": ["CN"] * 3, "signed": [-0.9, -0.9, 0.6],
        "voice": ["speaker", "reported", "author"],
    })
    score = {rule: float(model_scoring.rescore(predictions, aggregation=rule)["score"].iloc[0])
             for rule in ("smoothed-v1", "author-v1", "voice-weighted-v1", "mean-v1")}
    assert score["smoothed-v1"] == pytest.approx(-1.2 / (3 + SMOOTHING))
    assert score["author-v1"] == pytest.approx(0.6 / (1 + SMOOTHING))
    assert score["voice-weighted-v1"] == pytest.approx((0.6 - 0.45) / (1.5 + SMOOTHING))
    assert score["mean-v1"] == pytest.approx(-1.2 / 3)
    with pytest.raises(ConfigError, match="unknown aggregation rule 'max-v9'"):
        model_scoring.rescore(predictions, aggregation="max-v9")


def test_voice_scores_split_author_from_others():
    predictions = pd.DataFrame({
        "article_id": ["a", "a", "a", "b"], "target": ["US"] * 4, "signed": [-0.8, 0.5, 0.9, 0.2],
        "voice": ["author", "quoted", "speaker", "reported"],
    })
    table = model_scoring.voice_scores(predictions).set_index(["article_id", "voice"])
    assert table.loc[("a", "author"), "score"] == pytest.approx(-0.8 / 3)
    assert table.loc[("a", "quoted or reported"), "score"] == pytest.approx(0.5 / 3)
    assert ("b", "author") not in table.index  # b has no sentence in the author's voice
    assert len(table) == 3  # the speaker sentence counts in neither


def test_hybrid_owning_its_vectorizer_scores_the_same(models, tables, tmp_path):
    """The one-object hybrid (vectorizer inside) gives the scores of the hybrid trained on
    precomputed lex__ columns, in memory and after save/load."""
    from framing.stance.features import mention_vectorizer
    from framing.text.voice import VOICE_FEATURES

    articles, sentences, mentions = tables
    _, hybrid = models
    examples = model_scoring.mention_examples(articles, sentences, mentions)
    labels = np.where(examples["sentence"].str.contains("bullied"), "against",
                      np.where(examples["sentence"].str.contains("praised|welcomed"), "favor", "neutral"))
    X = examples.assign(target_id=examples["target"], target=examples["mention"])
    owned = StanceClassifier(model_path=hybrid.model_path, args=hybrid.args,
                             feature_columns=VOICE_FEATURES, vectorizer=mention_vectorizer())
    owned.fit(X, labels)
    assert owned.feature_columns_ == tuple(hybrid.feature_columns)
    expected, expected_predictions = model_scoring.score_model(articles, sentences, mentions, hybrid)
    scores, predictions = model_scoring.score_model(articles, sentences, mentions, owned)
    pd.testing.assert_frame_equal(scores, expected)
    pd.testing.assert_frame_equal(predictions, expected_predictions)
    loaded = StanceClassifier.load(owned.save(tmp_path / "owned"))
    assert loaded.vectorizer is not None and loaded.feature_columns == VOICE_FEATURES
    again, _ = model_scoring.score_model(articles, sentences, mentions, loaded)
    pd.testing.assert_frame_equal(again, expected)


def test_the_multiverse_model_pass_by_chunks_equals_one_pass(models, tables, tmp_path):
    """framing.runs.multiverse classifies article chunks one by one: the same predictions."""
    from framing.lexicon.folder import load_lexicon
    from framing.runs.multiverse import _predictions_stage

    articles, sentences, mentions = tables
    _, hybrid = models
    folder = hybrid.save(tmp_path / "tiny-hybrid")
    settings = {"method": "hybrid", "lexicon": None, "target_set": "targets-v1",
                "precision": "fp32", "aggregation": "smoothed-v1"}
    lexicon = load_lexicon("framing-stance-v1")
    whole = _predictions_stage(articles, sentences, mentions, folder, lexicon,
                               scoring_settings=settings, chunk_articles=100)
    by_one = _predictions_stage(articles, sentences, mentions, folder, lexicon,
                                scoring_settings=settings, chunk_articles=1)
    assert len(whole) == len(mentions) and "sentence" not in whole.columns
    pd.testing.assert_frame_equal(whole, by_one)


def test_the_streamed_multiverse_units_equal_those_of_the_whole_tables(models, tables, tmp_path):
    """`framing multiverse` keeps only the units of each chunk of articles: the units of the
    lexicon and of a model are those computed from the whole corpus's tables."""
    from framing.analysis import multiverse as mv
    from framing.lexicon.folder import load_lexicon
    from framing.runs.multiverse import _predictions_stage, _stream_units_stage
    from framing.stance.scoring import match_cues
    from framing.text.targets import load_targets

    articles, sentences, mentions = tables
    _, hybrid = models
    folder = hybrid.save(tmp_path / "tiny-hybrid")
    settings = {"method": "hybrid", "lexicon": None, "target_set": "targets-v1",
                "precision": "fp32", "aggregation": "smoothed-v1"}
    lexicon, target_set = load_lexicon("framing-stance-v1"), load_targets()
    from framing.infra.tableio import write_table

    stored = write_table(articles, tmp_path / "articles.parquet")  # as a run's articles stage
    streamed = _stream_units_stage(
        stored, lexicon, target_set, scorers=[["lexicon", ""], ["hybrid", str(folder)]],
        scoring_settings=settings, name_or_path="targets-v1", extra=[], kinds=[],
        chunk_articles=2, n_jobs=1, model_1=folder)
    kinds = mv.mention_kinds(mentions, target_set)
    whole = {
        "units_0": mv.lexicon_units(match_cues(articles, sentences, mentions, lexicon=lexicon),
                                    mentions, kinds),
        "units_1": mv.model_units(_predictions_stage(articles, sentences, mentions, folder, lexicon,
                                                     scoring_settings=settings), mentions, kinds),
    }
    assert set(streamed) == set(whole)
    for name, expected in whole.items():
        assert len(expected) > 0
        if name == "units_0":
            assert (expected["mass"] > 0).any()  # cues were attributed
        order = ["article_id", "sent_id", "target", "mention", "signed"]
        pd.testing.assert_frame_equal(
            streamed[name].sort_values(order).reset_index(drop=True),
            expected.sort_values(order).reset_index(drop=True), check_exact=False, rtol=1e-6,
            check_dtype=False)
