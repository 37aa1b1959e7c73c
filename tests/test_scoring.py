"""Lexicon scoring: hand-made tables scored by hand with a tiny lexicon written here, the
aggregation rule, coverage, and the real pipeline on the seeds and the demo corpus."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from framing.infra import schema
from framing.infra.errors import ConfigError, DataError
from framing.lexicon.folder import load_lexicon
from framing.stance import scoring

META = """\
name = "tiny-stance"
version = 1
description = "A stance lexicon written for the scoring tests."
languages = ["en", "nl"]
licence = "CC-BY-4.0"
sources = ["written for the tests"]

[categories.hostility]
kind = "frame"
definition = "an actor bullies or dominates"

[categories.cooperation]
kind = "frame"
definition = "working together"

[categories.positive]
kind = "evaluative"
definition = "favourable words"

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
praise,en,positive,1,1,
threat,en,negative,-1,1,
samenwerking,nl,cooperation,1,1,
bedreiging,nl,negative,-1,1,
"""

MODIFIERS = """\
term,language,kind,weight,scope,note
not,en,negator,,3,
may,en,hedge,,3,
strongly,en,intensifier,1.5,2,
niet,nl,negator,,3,
"""

ALIASES = {"US": ("US", "Washington", "VS"), "CN": ("China", "Beijing"), "EU": ("EU", "Brussels")}


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    folder = tmp_path_factory.mktemp("lexicons") / "tiny-stance-v1"
    folder.mkdir()
    (folder / "meta.toml").write_text(META, encoding="utf-8")
    (folder / "terms.csv").write_text(TERMS, encoding="utf-8")
    (folder / "modifiers.csv").write_text(MODIFIERS, encoding="utf-8")
    return load_lexicon(folder)


def build(*docs: dict) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Article, sentence and mention tables from docs {id, body: [sentences], title?, outlet?,
    language?}; mentions are the ALIASES found as whole words, spans in the section string."""
    articles, sentences, mentions = [], [], []
    for doc in docs:
        body = " ".join(doc["body"])
        articles.append({
            "article_id": doc["id"], "outlet": doc.get("outlet", "Outlet A"),
            "language": doc.get("language", "en"), "title": doc.get("title", ""), "text": body,
            "status": "ok",
        })
        parts = [(0, "title", 0, doc["title"])] if doc.get("title") else []
        start = 0
        for sent_id, sentence in enumerate(doc["body"], start=1):
            parts.append((sent_id, "body", start, sentence))
            start += len(sentence) + 1
        for sent_id, section, start, sentence in parts:
            sentences.append({
                "article_id": doc["id"], "sent_id": sent_id, "section": section, "start": start,
                "end": start + len(sentence), "text": sentence,
            })
            for target, aliases in ALIASES.items():
                pattern = r"\b(?:" + "|".join(map(re.escape, aliases)) + r")\b"
                spans = [[start + m.start(), start + m.end()] for m in re.finditer(pattern, sentence)]
                if spans:
                    mentions.append({
                        "article_id": doc["id"], "sent_id": sent_id, "section": section,
                        "target": target, "n": len(spans), "spans": spans,
                        "aliases": [sentence[s - start : e - start] for s, e in spans],
                        "sentence": sentence,
                    })
    return (
        pd.DataFrame(articles),
        pd.DataFrame(sentences, columns=list(schema.SENTENCE_COLUMNS)),
        pd.DataFrame(mentions, columns=list(schema.MENTION_COLUMNS)),
    )


def score(tiny, *docs, **options):
    return scoring.score_lexicon(*build(*docs), lexicon=tiny, **options)


def row(scores: pd.DataFrame, article_id: str, target: str) -> pd.Series:
    found = scores.loc[(scores.article_id == article_id) & (scores.target == target)]
    assert len(found) == 1, f"{article_id}/{target}: {len(found)} rows"
    return found.iloc[0]


# ---------------------------------------------------------------------------------------------
# Scores computed by hand (k = 2)


def test_smoothing_constant_is_the_documented_one():
    # The hand-computed numbers below assume k = 2 and a hedge factor of 0.5.
    assert scoring.SMOOTHING == 2.0
    assert scoring.HEDGE_FACTOR == 0.5


def test_agreeing_cues_by_hand(tiny):
    scores, _ = score(tiny, {"id": "a", "body": ["The US praised the partnership."]})
    us = row(scores, "a", "US")
    # S = 1 + 1, M = 2: score = 2 / (2 + 2); confidence = M / (M + k) x agreement 1.
    assert us.score == pytest.approx(0.5)
    assert us.label == "favor"
    assert us.confidence == pytest.approx(0.5)
    assert (us.n_mentions, us.n_cues, us.method, us.outlet) == (1, 2, "lexicon", "Outlet A")


def test_conflicting_cues_by_hand(tiny):
    scores, _ = score(tiny, {"id": "a", "body": ["The US praised the partnership but is a threat."]})
    us = row(scores, "a", "US")
    # S = 1 + 1 - 1 = 1, M = 3: score 1 / 5; agreement with "favor" = 2 / 3.
    assert us.score == pytest.approx(0.2)
    assert us.confidence == pytest.approx(3 / 5 * 2 / 3)


def test_negation_flips_polarity(tiny):
    scores, _ = score(
        tiny,
        {"id": "plain", "body": ["The US is a threat."]},
        {"id": "negated", "body": ["The US is not a threat."]},
    )
    assert row(scores, "plain", "US").score == pytest.approx(-1 / 3)
    assert row(scores, "plain", "US").label == "against"
    assert row(scores, "negated", "US").score == pytest.approx(1 / 3)
    assert row(scores, "negated", "US").label == "favor"
    terms = row(scores, "negated", "US").evidence[0]["terms"]
    assert [(t["term"], t["polarity"]) for t in terms] == [("threat", 1)]


def test_hedge_halves_the_weight(tiny):
    scores, frames = score(tiny, {"id": "a", "body": ["The US may be a threat."]})
    us = row(scores, "a", "US")
    assert us.score == pytest.approx(-0.5 / 2.5)
    assert us.confidence == pytest.approx(0.5 / 2.5)
    weight = frames.loc[(frames.target == "US") & (frames.category == "negative"), "weight"]
    assert weight.tolist() == [0.5]


def test_intensity_multiplies(tiny):
    scores, _ = score(tiny, {"id": "a", "body": ["The US strongly praised it."]})
    assert row(scores, "a", "US").score == pytest.approx(1.5 / 3.5)


def test_cue_goes_to_nearest_preceding_mention(tiny):
    scores, _ = score(tiny, {"id": "a", "body": ["The US denounced China's hegemony over the EU."]})
    assert row(scores, "a", "CN").score == pytest.approx(-2 / 4)
    for target in ("US", "EU"):  # an earlier and a closer following mention get nothing
        other = row(scores, "a", target)
        assert (other.score, other.label, other.confidence, other.n_cues) == (0.0, "neutral", 0.0, 0)


def test_cue_without_preceding_mention_goes_to_nearest_following(tiny):
    scores, _ = score(tiny, {"id": "a", "body": ["Hegemony is what the US wants, China said."]})
    assert row(scores, "a", "US").score == pytest.approx(-0.5)
    assert row(scores, "a", "CN").n_cues == 0


def test_cues_in_sentences_without_mention_feed_article_frames_only(tiny):
    scores, frames = score(
        tiny, {"id": "a", "body": ["The US met the EU.", "Tariffs and bullying were everywhere."]}
    )
    assert scores.n_cues.tolist() == [0, 0]
    article = frames.loc[frames.target == ""].set_index("category")
    assert article.loc["hostility", "count"] == 2
    assert article.loc["hostility", "weight"] == pytest.approx(2.0)
    assert frames.loc[frames.target != "", "count"].sum() == 0


def test_title_counts_like_a_body_sentence(tiny):
    scores, _ = score(
        tiny, {"id": "a", "title": "The US praised the partnership", "body": ["Nothing else."]}
    )
    us = row(scores, "a", "US")
    assert us.score == pytest.approx(0.5)
    assert us.evidence[0]["sent_id"] == 0


def test_dutch_article_uses_dutch_terms(tiny):
    scores, _ = score(
        tiny,
        {"id": "nl", "language": "nl", "body": ["De VS steunen de samenwerking."]},
        {"id": "neg", "language": "nl", "body": ["De VS zijn niet een bedreiging."]},
    )
    assert row(scores, "nl", "US").score == pytest.approx(1 / 3)
    assert row(scores, "neg", "US").score == pytest.approx(1 / 3)


def test_mentions_without_cues_score_zero(tiny):
    scores, _ = score(tiny, {"id": "a", "body": ["Washington and Beijing talked on Monday."]})
    assert sorted(scores.target) == ["CN", "US"]
    assert (scores.score == 0).all() and (scores.confidence == 0).all()
    assert (scores.label == "neutral").all() and (scores.n_cues == 0).all()
    assert all(e == [] for e in scores.evidence)


def test_min_cues(tiny):
    doc = {"id": "a", "body": ["The US praised it."]}
    assert row(score(tiny, doc)[0], "a", "US").score > 0
    weak = row(score(tiny, doc, min_cues=2)[0], "a", "US")
    assert (weak.score, weak.label, weak.confidence, weak.n_cues) == (0.0, "neutral", 0.0, 1)
    assert weak.evidence  # what was found is still shown


def test_every_article_with_mentions_gets_a_row_per_target(tiny):
    docs = [
        {"id": "a", "title": "Brussels and Beijing", "body": ["The US praised the partnership."]},
        {"id": "b", "body": ["No actor here.", "China is a threat.", "China again."]},
        {"id": "c", "body": ["Nothing to see."]},
    ]
    scores, frames = score(tiny, *docs)
    assert list(zip(scores.article_id, scores.target, strict=True)) == [
        ("a", "CN"), ("a", "EU"), ("a", "US"), ("b", "CN")
    ]
    assert row(scores, "b", "CN").n_mentions == 2
    assert list(scores.columns) == list(schema.SCORE_COLUMNS)
    assert scores.score.between(-1, 1).all() and scores.confidence.between(0, 1).all()
    assert set(scores.label) <= set(schema.STANCE_LABELS)
    # frames: every article x category at article level, every scored pair x category.
    assert list(frames.columns) == list(scoring.FRAME_COLUMNS)
    assert len(frames) == (3 + 4) * len(tiny.category_names())


def test_evidence_lists_top_sentences_with_offsets_in_the_sentence(tiny):
    body = [
        "The US praised it.",  # +1
        "The US showed hegemony and bullying.",  # -3
        "The US is a threat.",  # -1
        "The US may be a threat.",  # -0.5
        "The US imposed tariffs.",  # 0
    ]
    scores, _ = score(tiny, {"id": "a", "body": body})
    evidence = row(scores, "a", "US").evidence
    assert [e["sent_id"] for e in evidence] == [2, 1, 3]  # |-3|, then the tie +1/-1 by sent_id
    assert [e["score"] for e in evidence] == [-3.0, 1.0, -1.0]
    for item in evidence:
        assert item["sentence"] == body[item["sent_id"] - 1]
        for term in item["terms"]:
            surface = item["sentence"][term["start"] : term["end"]].lower()
            assert surface.startswith(term["term"][:4])
            assert set(term) == {"term", "category", "polarity", "start", "end"}


def test_every_nonzero_score_has_evidence(tiny):
    docs = [
        {"id": f"d{i}", "body": [s]}
        for i, s in enumerate([
            "The US praised China.", "China is a threat to the EU.", "Brussels met Beijing.",
            "Hegemony, said the US of China.", "The EU may not be a threat.",
        ])
    ]
    scores, _ = score(tiny, *docs)
    nonzero = scores.loc[scores.score != 0]
    assert len(nonzero) >= 4
    assert all(len(e) >= 1 for e in nonzero.evidence)


def test_frames_with_and_without_article_level_rows(tiny):
    doc = {"id": "a", "body": ["Bullying happened.", "The US praised the partnership."]}
    _, full = score(tiny, doc)
    _, stance_only = score(tiny, doc, article_frames=False)
    assert set(full.target) == {"", "US"}
    assert set(stance_only.target) == {"US"}
    pd.testing.assert_frame_equal(
        full.loc[full.target == "US"].reset_index(drop=True), stance_only.reset_index(drop=True)
    )
    article = full.loc[full.target == ""].set_index("category")["count"].to_dict()
    assert article == {"hostility": 1, "cooperation": 1, "positive": 1, "negative": 0}


def test_spans_after_a_parquet_round_trip(tiny, tmp_path):
    articles, sentences, mentions = build(
        {"id": "a", "title": "Beijing praised", "body": ["The US denounced China's hegemony."]}
    )
    mentions.to_parquet(tmp_path / "m.parquet")
    again = pd.read_parquet(tmp_path / "m.parquet")
    first, _ = scoring.score_lexicon(articles, sentences, mentions, lexicon=tiny)
    second, _ = scoring.score_lexicon(articles, sentences, again, lexicon=tiny)
    pd.testing.assert_frame_equal(first, second)


def test_output_identical_with_worker_processes(tiny, monkeypatch):
    monkeypatch.setattr(scoring, "ARTICLES_PER_BATCH", 40)  # 12 batches for 2 workers
    templates = [
        "The US praised the partnership.", "China may be a threat.", "Hegemony, the EU said.",
        "Tariffs hit Beijing and Washington.", "Nothing here.",
    ]
    docs = [
        {"id": f"a{i:03d}", "title": "Brussels" if i % 3 else "",
         "body": [templates[i % 5], templates[(i * 7) % 5]]}
        for i in range(450)
    ]
    tables = build(*docs)
    one = scoring.score_lexicon(*tables, lexicon=tiny, n_jobs=1)
    two = scoring.score_lexicon(*tables, lexicon=tiny, n_jobs=2)
    for a, b in zip(one, two, strict=True):
        pd.testing.assert_frame_equal(a, b)


def test_uncovered_language_warns_and_gives_no_cues(tiny):
    with pytest.warns(UserWarning, match="de: 1"):
        scores, _ = score(tiny, {"id": "a", "language": "de", "body": ["The US is a threat."]})
    assert row(scores, "a", "US").n_cues == 0


def test_bad_input_gives_clear_errors(tiny):
    articles, sentences, mentions = build({"id": "a", "body": ["The US is a threat."]})
    with pytest.raises(DataError, match="sentence table lacks column"):
        scoring.score_lexicon(articles, sentences.drop(columns="start"), mentions, lexicon=tiny)
    orphan = mentions.assign(sent_id=7)
    with pytest.raises(DataError, match="missing from the sentence table"):
        scoring.score_lexicon(articles, sentences, orphan, lexicon=tiny)
    with pytest.raises(DataError, match="pairs of integers"):
        scoring.score_lexicon(articles, sentences, mentions.assign(spans=[[[1, 2, 3]]]),
                              lexicon=tiny)
    with pytest.raises(ConfigError, match="neutral_band"):
        scoring.score_lexicon(articles, sentences, mentions, lexicon=tiny, neutral_band=2)
    with pytest.raises(ConfigError, match="min_cues"):
        scoring.score_lexicon(articles, sentences, mentions, lexicon=tiny, min_cues=-1)
    with pytest.raises(ConfigError, match="n_jobs"):
        scoring.score_lexicon(articles, sentences, mentions, lexicon=tiny, n_jobs=0)


def test_empty_mentions(tiny):
    articles, sentences, mentions = build({"id": "a", "body": ["Bullying."]})
    assert mentions.empty
    scores, frames = scoring.score_lexicon(articles, sentences, mentions, lexicon=tiny)
    assert scores.empty and list(scores.columns) == list(schema.SCORE_COLUMNS)
    assert frames.set_index("category").loc["hostility", "count"] == 1


# ---------------------------------------------------------------------------------------------
# The pieces


@pytest.mark.parametrize(
    ("cues", "mentions", "expected"),
    [
        ([10], [(0, 3, "US"), (20, 25, "CN")], ["US"]),  # preceding wins over a closer following
        ([30], [(0, 3, "US"), (20, 25, "CN")], ["CN"]),  # the nearest preceding
        ([0], [(10, 13, "US"), (20, 25, "CN")], ["US"]),  # no preceding: the nearest following
        ([5], [(0, 8, "US"), (20, 25, "CN")], ["US"]),  # overlapping mention counts as following
        ([10], [(0, 3, "US"), (0, 3, "CN")], ["CN"]),  # same span: alphabetical
        ([1, 2], [], ["", ""]),
    ],
)
def test_attribute(cues, mentions, expected):
    assert scoring.attribute(cues, mentions) == expected


def test_aggregate_by_hand_and_model_units():
    units = pd.DataFrame({
        "article_id": ["a", "a", "b", "b", "b", "c"],
        "target": ["US"] * 6,
        "signed": [-1.5, 1.0, 0.9, 0.8, -0.1, 0.05],
        "mass": [1.5, 1.0, 1.0, 1.0, 1.0, 1.0],  # b, c: model-style, one unit of mass per sentence
    })
    out = scoring.aggregate(units).set_index("article_id")
    assert out.loc["a", "score"] == pytest.approx(-0.5 / 4.5)
    assert out.loc["a", "label"] == "against"
    assert out.loc["a", "confidence"] == pytest.approx(2.5 / 4.5 * 1.5 / 2.5)
    assert out.loc["b", "score"] == pytest.approx(1.6 / 5)
    assert out.loc["b", "confidence"] == pytest.approx(3 / 5 * 1.7 / 1.8)
    assert out.loc["c", "label"] == "neutral"
    assert out.loc["c", "confidence"] == pytest.approx(1 / 3 * 0.0)
    assert out["n_units"].tolist() == [2, 3, 1]


def test_aggregate_neutral_units_give_confident_neutral():
    units = pd.DataFrame({"article_id": ["a"] * 2, "target": ["EU"] * 2, "signed": [0.0, 0.0],
                          "mass": [1.0, 1.0]})
    out = scoring.aggregate(units).iloc[0]
    assert (out.score, out.label) == (0.0, "neutral")
    assert out.confidence == pytest.approx(0.5)


def test_aggregate_rejects_bad_units():
    units = pd.DataFrame({"article_id": ["a"], "target": ["US"], "signed": [2.0], "mass": [1.0]})
    with pytest.raises(ConfigError, match="mass"):
        scoring.aggregate(units)
    with pytest.raises(ConfigError, match="lacks column"):
        scoring.aggregate(units.drop(columns="mass"))
    with pytest.raises(ConfigError, match="smoothing"):
        scoring.aggregate(units.assign(mass=3.0), smoothing=-1)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.floats(-3, 3), st.floats(0, 3)), min_size=1, max_size=12),
       st.floats(0, 5))
def test_aggregate_stays_in_range(pairs, k):
    signed = [s for s, _ in pairs]
    units = pd.DataFrame({"article_id": "a", "target": "US", "signed": signed,
                          "mass": [abs(s) + extra for s, extra in pairs]})
    out = scoring.aggregate(units, smoothing=k).iloc[0]
    assert -1 <= out.score <= 1 and 0 <= out.confidence <= 1
    if abs(sum(signed)) > 1e-9 and out.score != 0:
        assert np.sign(out.score) == np.sign(sum(signed))


def test_label_scores_band():
    assert scoring.label_scores([-0.2, -0.1, 0.1, 0.11], 0.1).tolist() == [
        "against", "neutral", "neutral", "favor"
    ]


def test_match_cues_lists_the_evidence(tiny):
    tables = build({"id": "a", "body": ["The US may be a threat.", "Bullying happened."]})
    cues = scoring.match_cues(*tables, lexicon=tiny)
    assert cues[["sent_id", "term", "target", "hedged", "magnitude", "signed"]].values.tolist() == [
        [1, "threat", "US", True, 0.5, -0.5]
    ]
    everything = scoring.match_cues(*tables, lexicon=tiny, all_sentences=True)
    assert everything["target"].tolist() == ["US", ""]
    assert list(everything.columns) == list(scoring.CUE_COLUMNS[1:])


def test_coverage_by_hand(tiny):
    docs = [
        {"id": "a", "body": ["The US praised the partnership.", "The US met China.",
                             "Bullying, without any actor."]},
        {"id": "b", "language": "nl", "body": ["De VS steunen de samenwerking."]},
    ]
    tables = scoring.coverage(*build(*docs), lexicon=tiny)
    by = tables["by_language"].set_index(["language", "category"])
    assert by.loc[("en", "any"), ["sentences", "with_cue"]].tolist() == [2, 1]
    assert by.loc[("en", "any"), "share"] == pytest.approx(0.5)
    assert by.loc[("en", "hostility"), "with_cue"] == 0  # the cue sentence names no target
    assert by.loc[("nl", "cooperation"), "share"] == pytest.approx(1.0)
    targets = tables["by_target"].set_index(["language", "target", "category"])
    assert targets.loc[("en", "US", "any"), ["sentences", "with_cue"]].tolist() == [2, 1]
    assert targets.loc[("en", "CN", "any"), ["sentences", "with_cue"]].tolist() == [1, 0]
    assert targets.loc[("en", "US", "positive"), "share"] == pytest.approx(0.5)
    top = tables["top_terms"]
    assert top.loc[top.category == "cooperation", ["language", "term", "count"]].values.tolist() == [
        ["en", "partnership", 1], ["nl", "samenwerking", 1]
    ]


# ---------------------------------------------------------------------------------------------
# The real pipeline


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


def test_seeds_china_daily_against_the_us(seeds):
    articles, sentences, mentions = seeds
    scores, frames = scoring.score_lexicon(articles, sentences, mentions)
    outlet = dict(zip(articles.article_id, articles.outlet, strict=True))
    china_daily = next(a for a, o in outlet.items() if o == "China Daily")
    us = scores.loc[scores.target == "US"].set_index("article_id")["score"]
    assert len(us) == 3
    others = us.drop(china_daily)
    assert (us[china_daily] < others).all()
    assert us[china_daily] < 0
    hegemony = frames.loc[(frames.target == "") & (frames.category == "hegemony_containment")]
    counts = hegemony.set_index("article_id")["count"]
    assert (counts[china_daily] > counts.drop(china_daily)).all()
    # The evidence names the US as the actor of the hegemony sentence.
    evidence = scores.loc[(scores.article_id == china_daily) & (scores.target == "US"), "evidence"]
    terms = {t["term"] for e in evidence.iloc[0] for t in e["terms"]}
    assert {"hegemony", "suppress and contain"} <= terms


def test_seeds_dutch_derisking_through_dutch_terms(seeds):
    articles, sentences, mentions = seeds
    lexicon = load_lexicon()
    _, frames = scoring.score_lexicon(articles, sentences, mentions, lexicon=lexicon)
    dutch = articles.loc[articles.language == "nl", "article_id"].tolist()
    assert len(dutch) == 1
    count = frames.loc[(frames.article_id == dutch[0]) & (frames.target == "")
                       & (frames.category == "derisking_economic_security"), "count"].item()
    hits = [
        h for text in sentences.loc[sentences.article_id == dutch[0], "text"]
        for h in lexicon.match(text, language="nl") if h.category == "derisking_economic_security"
    ]
    dutch_terms = set(lexicon.terms.loc[lexicon.terms.language == "nl", "term"])
    assert count == len(hits) > 0
    assert {h.term for h in hits} <= dutch_terms


def test_demo_corpus_scores_follow_the_intended_stances():
    from framing.corpus import loading as corpus
    from framing.runs import config
    from framing.text import preprocess, targets

    articles = corpus.load([config.demo_corpus_path() / "articles.jsonl"])
    sentences = preprocess.split_articles(articles)
    mentions = targets.find_mentions(sentences, articles, targets.load_targets())
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the demo is en + nl: no uncovered-language warning
        scores, _ = scoring.score_lexicon(articles, sentences, mentions)
    gold = pd.read_csv(config.demo_corpus_path() / "gold.csv")
    merged = gold.merge(scores, on=["article_id", "target"], how="left")
    assert merged.score.notna().all()  # every intended stance has a score row
    means = merged.groupby("stance")["score"].mean()
    assert means[-1] < means[0] < means[1]
    us = scores.loc[scores.target == "US"].groupby("outlet")["score"].mean()
    assert us["Harmony Meridian"] < 0 < us["Eaglecrest Tribune"]
