"""LexiconVectorizer: the scikit-learn contract, features computed by hand with a tiny lexicon
written here, mention mode, and agreement with framing.stance.scoring on the seeds."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import FeatureUnion

from framing.infra.errors import ConfigError
from framing.lexicon.folder import load_lexicon
from framing.stance import scoring
from framing.stance.features import LexiconVectorizer

META = """\
name = "tiny-features"
version = 1
description = "A lexicon written for the feature tests."
languages = ["en", "nl"]
licence = "CC-BY-4.0"
sources = ["written for the tests"]

[categories.hostility]
kind = "frame"
definition = "an actor bullies or dominates"

[categories.cooperation]
kind = "frame"
definition = "working together"

[categories.negative]
kind = "evaluative"
definition = "unfavourable words"
"""

TERMS = """\
term,language,category,polarity,weight,note
bullying,en,hostility,-1,1,
hegemony,en,hostility,-1,2,
tariffs,en,hostility,0,1,
partnership,en,cooperation,1,1,
threat,en,negative,-1,1,
samenwerking,nl,cooperation,1,1,
"""

MODIFIERS = """\
term,language,kind,weight,scope,note
not,en,negator,,3,
may,en,hedge,,3,
strongly,en,intensifier,1.5,2,
"""

CATEGORIES = ["hostility", "cooperation", "negative"]
SUMMARY = ["cues", "negated", "hedged", "polarity_sum", "polarity_mean"]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    folder = tmp_path_factory.mktemp("lexicons") / "tiny-features-v1"
    folder.mkdir()
    (folder / "meta.toml").write_text(META, encoding="utf-8")
    (folder / "terms.csv").write_text(TERMS, encoding="utf-8")
    (folder / "modifiers.csv").write_text(MODIFIERS, encoding="utf-8")
    return load_lexicon(folder)


@pytest.fixture
def docs():
    return pd.DataFrame(
        {
            "text": [
                "The US praised the partnership. Bullying, said nobody.",
                "The US denounced China's hegemony.",
                "De VS steunen de samenwerking.",
                "",
            ],
            "language": ["en", "en", "nl", "en"],
        },
        index=[10, 11, 12, 13],
    )


def features(vec: LexiconVectorizer, X: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(vec.transform(X), columns=vec.get_feature_names_out(), index=X.index)


# ---------------------------------------------------------------------------------------------
# The contract (check_estimator skips text input, so it is written out here)


def test_init_only_stores(tiny):
    vec = LexiconVectorizer(tiny, unit="nonsense", targets=("XX",))
    assert vec.unit == "nonsense" and vec.targets == ("XX",)  # validated by fit, not __init__
    with pytest.raises(ConfigError, match="unit='nonsense'"):
        vec.fit(pd.DataFrame({"text": ["x"]}))


def test_clone_gives_an_unfitted_copy_with_the_same_params(tiny, docs):
    vec = LexiconVectorizer(tiny, weighting="weight", targets=("US", "CN")).fit(docs)
    copy = clone(vec)
    assert copy.get_params()["weighting"] == "weight"
    assert copy.get_params()["targets"] == ("US", "CN")
    assert not hasattr(copy, "feature_names_out_")


def test_not_fitted_error(tiny, docs):
    vec = LexiconVectorizer(tiny)
    with pytest.raises(NotFittedError):
        vec.transform(docs)
    with pytest.raises(NotFittedError):
        vec.get_feature_names_out()


def test_fit_returns_self_and_learns_attributes(tiny, docs):
    vec = LexiconVectorizer(tiny)
    assert vec.fit(docs) is vec
    assert vec.lexicon_sha256_ == tiny.sha256 and len(vec.lexicon_sha256_) == 64
    assert vec.targets_ == ("US", "CN", "EU")


@pytest.mark.parametrize("unit", ["document", "mention"])
def test_shape_matches_feature_names(tiny, docs, unit):
    X = docs.assign(target="US") if unit == "mention" else docs
    vec = LexiconVectorizer(tiny, unit=unit).fit(X)
    out = vec.transform(X)
    assert out.shape == (len(X), len(vec.get_feature_names_out()))
    assert out.dtype == np.float64


def test_feature_names_are_bare(tiny, docs):
    names = LexiconVectorizer(tiny, targets=("US", "CN")).fit(docs).get_feature_names_out().tolist()
    expected = (
        CATEGORIES
        + [f"{c}__US" for c in CATEGORIES] + ["cues__US", "polarity_sum__US"]
        + [f"{c}__CN" for c in CATEGORIES] + ["cues__CN", "polarity_sum__CN"]
        + SUMMARY
    )
    assert names == expected
    mention = LexiconVectorizer(tiny, unit="mention").fit(docs.assign(target="US"))
    assert mention.get_feature_names_out().tolist() == CATEGORIES + SUMMARY


def test_pickle_round_trip(tiny, docs):
    vec = LexiconVectorizer(tiny).fit(docs)
    again = pickle.loads(pickle.dumps(vec))
    np.testing.assert_array_equal(again.transform(docs), vec.transform(docs))


def test_set_output_pandas(tiny, docs):
    vec = LexiconVectorizer(tiny, targets=("US",)).fit(docs).set_output(transform="pandas")
    out = vec.transform(docs)
    assert isinstance(out, pd.DataFrame)
    assert out.columns.tolist() == vec.get_feature_names_out().tolist()
    assert out.index.tolist() == docs.index.tolist()


def test_feature_union_prefixes_the_bare_names(tiny, docs):
    union = FeatureUnion([("lex", LexiconVectorizer(tiny, targets=("US",)))]).fit(docs)
    assert union.get_feature_names_out()[0] == "lex__hostility"


# ---------------------------------------------------------------------------------------------
# Values by hand


def test_document_counts_by_hand(tiny, docs):
    out = features(LexiconVectorizer(tiny, targets=("US", "CN")).fit(docs), docs)
    first = out.loc[10]
    # praise is not in this lexicon: partnership (+1, US) and bullying (-1, no mention).
    assert first["cooperation"] == 1 and first["hostility"] == 1
    assert first["cooperation__US"] == 1 and first["hostility__US"] == 0
    assert first["cues"] == 2 and first["cues__US"] == 1
    assert first["polarity_sum"] == 0 and first["polarity_sum__US"] == 1
    second = out.loc[11]  # hegemony goes to the nearest preceding mention, China
    assert second["hostility__CN"] == 1 and second["hostility__US"] == 0
    assert second["polarity_mean"] == -1
    assert out.loc[12, "cooperation"] == 1 and out.loc[12, "cooperation__US"] == 1  # Dutch terms
    assert (out.loc[13] == 0).all()  # empty text


def test_weighting_applies_weight_hedge_and_intensity(tiny):
    X = pd.DataFrame({"text": [
        "The US may be a threat.", "The US wants a strongly deepened partnership.",
        "China is not a threat.", "China's hegemony.",
    ]})
    out = features(LexiconVectorizer(tiny, weighting="weight").fit(X), X)
    assert out.loc[0, "negative__US"] == 0.5 and out.loc[0, "hedged"] == 1
    assert out.loc[0, "polarity_sum"] == -0.5 and out.loc[0, "polarity_mean"] == -1
    assert out.loc[1, "cooperation__US"] == 1.5
    assert out.loc[2, "negated"] == 1 and out.loc[2, "polarity_sum__CN"] == 1  # flipped
    assert out.loc[3, "hostility__CN"] == 2
    counts = features(LexiconVectorizer(tiny).fit(X), X)
    assert counts.loc[0, "negative__US"] == 1 and counts.loc[3, "hostility__CN"] == 1


def test_language_column_and_default(tiny):
    X = pd.DataFrame({"text": ["De VS steunen de samenwerking."] * 3,
                      "lang": ["nl", None, "de"]})
    vec = LexiconVectorizer(tiny, language_column="lang", default_language="nl").fit(X)
    with pytest.warns(UserWarning, match="de: 1"):
        out = features(vec, X)
    assert out["cooperation"].tolist() == [1, 1, 0]


# ---------------------------------------------------------------------------------------------
# Mention mode


def test_mention_mode_counts_only_the_rows_target(tiny):
    sentence = "The US denounced China's hegemony and the partnership."
    X = pd.DataFrame({
        "sentence": [sentence, sentence],
        "target": ["US", "CN"],
        "spans": [[[4, 6]], [[17, 22]]],
    })
    out = features(LexiconVectorizer(tiny, unit="mention").fit(X), X)
    assert out.loc[0, "cues"] == 0  # every cue follows China, the nearest preceding mention
    assert out.loc[1, "hostility"] == 1 and out.loc[1, "cooperation"] == 1
    assert out.loc[1, "polarity_sum"] == 0 and out.loc[1, "polarity_mean"] == 0


def test_mention_mode_spans_in_the_section_string(tiny):
    sentence = "China is a threat."
    X = pd.DataFrame({"sentence": [sentence], "target": ["CN"], "spans": [[[100, 105]]],
                      "start": [100]})
    with pytest.raises(ConfigError, match="span_offset_column='start'"):
        LexiconVectorizer(tiny, unit="mention").fit(X).transform(X)
    vec = LexiconVectorizer(tiny, unit="mention", span_offset_column="start").fit(X)
    assert features(vec, X).loc[0, "negative"] == 1


def test_mention_mode_without_spans_finds_the_target(tiny):
    X = pd.DataFrame({"text": ["Washington blamed Beijing for bullying."], "target": ["US"]})
    out = features(LexiconVectorizer(tiny, unit="mention").fit(X), X)
    assert out.loc[0, "cues"] == 0  # bullying follows Beijing
    out = features(LexiconVectorizer(tiny, unit="mention").fit(X), X.assign(target="CN"))
    assert out.loc[0, "hostility"] == 1


def test_bad_settings_and_input(tiny, docs):
    with pytest.raises(ConfigError, match="weighting"):
        LexiconVectorizer(tiny, weighting="tfidf").fit(docs)
    with pytest.raises(ConfigError, match="unknown or repeated"):
        LexiconVectorizer(tiny, targets=("US", "MARS")).fit(docs)
    with pytest.raises(ConfigError, match="sequence of target ids"):
        LexiconVectorizer(tiny, targets="US").fit(docs)
    with pytest.raises(ConfigError, match="default_language"):
        LexiconVectorizer(tiny, default_language="fr").fit(docs)
    with pytest.raises(ConfigError, match="pandas DataFrame"):
        LexiconVectorizer(tiny).fit(["The US"])
    with pytest.raises(ConfigError, match="lacks column"):
        LexiconVectorizer(tiny, unit="mention").fit(docs)


# ---------------------------------------------------------------------------------------------
# Agreement with framing.stance.scoring on real text


@pytest.fixture(scope="module")
def seeds(seeds_dir):
    from framing.corpus import loading as corpus
    from framing.text import preprocess, targets

    articles = corpus.load([seeds_dir])
    sentences = preprocess.split_articles(articles)
    mentions = targets.find_mentions(
        sentences, dict(zip(articles.article_id, articles.language, strict=True)),
        targets.load_targets(),
    )
    return articles, sentences, mentions


def test_document_mode_agrees_with_scoring_on_the_seeds(seeds):
    articles, sentences, mentions = seeds
    body = sentences.section == "body"
    _, frames = scoring.score_lexicon(
        articles, sentences.loc[body], mentions.loc[mentions.section == "body"]
    )
    vec = LexiconVectorizer(weighting="weight").fit(articles)
    out = features(vec, articles.set_index("article_id"))
    lexicon = load_lexicon()
    checked = 0
    for frame in frames.itertuples():
        column = frame.category if frame.target == "" else f"{frame.category}__{frame.target}"
        assert out.loc[frame.article_id, column] == pytest.approx(frame.weight), column
        checked += frame.weight > 0
    assert checked > 20
    assert out.loc[:, [f"{c}__US" for c in lexicon.category_names()]].to_numpy().sum() > 0


def test_mention_mode_agrees_with_scoring_on_the_seeds(seeds):
    articles, sentences, mentions = seeds
    _, frames = scoring.score_lexicon(articles, sentences, mentions, article_frames=False)
    X = mentions.merge(sentences[["article_id", "sent_id", "start"]], on=["article_id", "sent_id"])
    X = X.merge(articles[["article_id", "language"]], on="article_id")
    vec = LexiconVectorizer(unit="mention", span_offset_column="start").fit(X)
    out = features(vec, X)
    out[["article_id", "target"]] = X[["article_id", "target"]]
    summed = out.groupby(["article_id", "target"])[vec.lexicon_.category_names()].sum()
    expected = frames.pivot_table(index=["article_id", "target"], columns="category",
                                  values="count", aggfunc="sum")
    pd.testing.assert_frame_equal(
        summed.sort_index(), expected[summed.columns].sort_index().astype(float),
        check_names=False,
    )
    assert summed.to_numpy().sum() > 20


# ---------------------------------------------------------------------------------------------
# The hybrid model's feature columns: one builder, one prefix


def test_one_feature_prefix_everywhere():
    from framing.stance import features, model_scoring

    assert features.FEATURE_PREFIX == "lex__"
    assert model_scoring.FEATURE_PREFIX is features.FEATURE_PREFIX


def test_lexicon_rule_is_the_sign_of_the_polarity_sum():
    from framing.stance.features import lexicon_rule, sign_labels

    assert sign_labels([3.0, -0.5, 0.0]).tolist() == ["favor", "against", "neutral"]
    table = pd.DataFrame({"lex__polarity_sum": [-1.0, 0.0, 2.5]})
    assert lexicon_rule(table).tolist() == ["against", "neutral", "favor"]


def test_labelled_mention_rows_use_the_overlapping_target_id():
    from framing.stance.features import labelled_mention_rows
    from framing.text.targets import load_targets

    targets = load_targets("targets-v1")
    sentence = "Norland said the United States acted."
    start = sentence.index("the United States")
    table = pd.DataFrame(
        {
            "sentence": [sentence, sentence],
            "target": ["the United States", "Norland"],
            "span_start": pd.array([start, None], dtype="Int64"),
            "span_end": pd.array([start + len("the United States"), None], dtype="Int64"),
        }
    )
    out = labelled_mention_rows(table, targets, "en")
    assert out["target"].tolist() == ["US", "Norland"]
    assert out["spans"].tolist() == [[[start, start + len("the United States")]], None]
    assert (out["language"] == "en").all()


def test_lexicon_feature_table_prefixes_names_and_adds_voices():
    from framing.stance.features import lexicon_feature_table, mention_vectorizer
    from framing.text.voice import VOICE_FEATURES

    vec = mention_vectorizer()
    rows = pd.DataFrame({"sentence": ["Washington bullied its allies.", "The EU met."],
                         "target": ["US", "EU"], "spans": [[[0, 10]], [[4, 6]]],
                         "language": ["en", "en"]}, index=[7, 9])
    table = lexicon_feature_table(rows, vec, voices=["author", "quoted"])
    names = [f"lex__{n}" for n in vec.get_feature_names_out()]
    assert list(table.columns) == [*names, *VOICE_FEATURES]
    assert list(table.index) == [7, 9]
    assert table.loc[7, "lex__cues"] >= 1 and table.loc[9, "lex__cues"] == 0
    assert table.loc[9, "voice__quoted"] == 1.0 and table.loc[7, "voice__quoted"] == 0.0
    np.testing.assert_array_equal(table[names].to_numpy(), vec.transform(rows))
    empty = lexicon_feature_table(rows.iloc[:0], vec)
    assert empty.shape == (0, len(names))


def test_labelled_rows_and_mention_rows_give_the_same_features():
    """A labelled row (mention text and one span) and the mention-table row of the same mention."""
    from framing.stance.features import (
        labelled_mention_rows,
        lexicon_feature_table,
        mention_vectorizer,
    )

    vec = mention_vectorizer()
    labelled = pd.DataFrame({"sentence": ["Washington bullied China again."],
                             "target": ["Washington"], "span_start": [0], "span_end": [10]})
    rows = labelled_mention_rows(labelled, vec.target_set_, "en")
    assert rows.loc[0, "target"] == "US" and rows.loc[0, "spans"] == [[0, 10]]
    mention = pd.DataFrame({"sentence": labelled["sentence"], "target": ["US"],
                            "spans": [[[0, 10]]], "language": ["en"]})
    pd.testing.assert_frame_equal(lexicon_feature_table(rows, vec),
                                  lexicon_feature_table(mention, vec))
