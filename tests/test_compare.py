"""Outlet comparison statistics on small synthetic tables written here (seeded numpy).

Outlets (Norwell Post, Ostby Herald, ...), targets (NL, SM) and sentences are invented.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.multitest import multipletests

from framing.analysis.disagreement import disagreement
from framing.analysis.events import group_events, same_event
from framing.analysis.frames import frame_table
from framing.analysis.statistics import (
    add_period,
    cliffs_delta,
    cohens_d,
    outlet_table,
    pairwise_contrasts,
    permutation_pvalue,
)
from framing.analysis.terms import distinguishing_terms, distinguishing_terms_by
from framing.infra.errors import ConfigError, DataError

SEED = 20240613


def _label(score: float) -> str:
    return "against" if score < -1 / 3 else "favor" if score > 1 / 3 else "neutral"


def make_scores(groups: dict[str, tuple[int, float]], *, target: str = "NL", seed: int = SEED,
                spread: float = 0.4, by: str = "outlet") -> pd.DataFrame:
    """One row per article: group -> (number of articles, mean score); scores clipped to [-1, 1]."""
    rng = np.random.default_rng(seed)
    rows = []
    for group, (n, loc) in groups.items():
        values = np.clip(rng.normal(loc, spread, size=n), -1, 1)
        for k, value in enumerate(values):
            rows.append({"article_id": f"{group[:3]}-{target}-{k:03d}", by: group, "target": target,
                         "method": "lexicon", "score": float(value), "label": _label(value),
                         "confidence": 0.5, "n_mentions": 2, "n_cues": 1, "evidence": []})
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------------------------
# outlet_table


def test_outlet_table_counts_means_and_shares():
    scores = pd.DataFrame({
        "article_id": ["a1", "a2", "a3", "a4", "b1"],
        "outlet": ["Norwell Post"] * 4 + ["Ostby Herald"],
        "target": ["NL"] * 5,
        "score": [1.0, 0.5, 0.0, -0.5, 0.25],
        "label": ["favor", "favor", "neutral", "against", "neutral"],
        "n_mentions": [3, 1, 2, 4, 7],
    })
    table = outlet_table(scores, random_state=SEED, n_boot=500, min_n=3)
    assert table["outlet"].tolist() == ["Norwell Post", "Ostby Herald"]
    norwell = table.iloc[0]
    assert norwell["n_articles"] == 4 and norwell["n_mentions"] == 10
    assert norwell["mean"] == pytest.approx(0.25)
    assert (norwell["share_against"], norwell["share_neutral"], norwell["share_favor"]) == (0.25, 0.25, 0.5)
    assert norwell["warning"] == ""
    ostby = table.iloc[1]
    assert np.isnan(ostby["ci_low"]) and np.isnan(ostby["ci_high"])
    assert "n=1 < min_n=3" in ostby["warning"] and "no interval" in ostby["warning"]


def test_bootstrap_interval_contains_mean_and_is_seeded():
    scores = make_scores({"Norwell Post": (40, 0.3), "Ostby Herald": (30, -0.2)})
    first = outlet_table(scores, random_state=7)
    again = outlet_table(scores, random_state=7)
    other = outlet_table(scores, random_state=8)
    pd.testing.assert_frame_equal(first, again)
    assert not np.allclose(first["ci_low"], other["ci_low"])
    assert ((first["ci_low"] < first["mean"]) & (first["mean"] < first["ci_high"])).all()
    # the interval is about the mean's uncertainty: roughly 2 * 1.96 * sd / sqrt(n) wide
    expected = 2 * 1.96 * first["sd"] / np.sqrt(first["n_articles"])
    assert np.allclose(first["ci_high"] - first["ci_low"], expected, rtol=0.2)


def test_cell_interval_does_not_depend_on_other_groups_or_row_order():
    both = make_scores({"Norwell Post": (25, 0.3), "Ostby Herald": (25, -0.2)})
    alone = both[both["outlet"] == "Norwell Post"].iloc[::-1]
    full = outlet_table(both, random_state=3).set_index("outlet")
    single = outlet_table(alone, random_state=3).set_index("outlet")
    assert single.loc["Norwell Post", "ci_low"] == full.loc["Norwell Post", "ci_low"]
    assert single.loc["Norwell Post", "ci_high"] == full.loc["Norwell Post", "ci_high"]


def test_min_n_warning_fires_only_below_min_n():
    scores = make_scores({"Norwell Post": (3, 0.0), "Ostby Herald": (8, 0.0)})
    table = outlet_table(scores, random_state=1, min_n=5).set_index("outlet")
    assert table.loc["Norwell Post", "warning"].startswith("n=3 < min_n=5: too few articles")
    assert table.loc["Ostby Herald", "warning"] == ""


def test_outlet_table_groups_by_any_columns_and_keeps_missing_groups():
    scores = make_scores({"Norwell Post": (6, 0.3), "Ostby Herald": (6, -0.3)})
    scores["leaning"] = np.where(scores["outlet"] == "Norwell Post", "left", None)
    table = outlet_table(scores, by=("leaning",), random_state=1)
    assert table["leaning"].tolist()[0] == "left" and pd.isna(table["leaning"].tolist()[1])
    assert table["n_articles"].tolist() == [6, 6]
    assert "group value missing" in table["warning"].iloc[1]


def test_repeated_article_rows_are_one_cluster():
    scores = pd.DataFrame({
        "article_id": ["a", "a", "b"], "outlet": ["N"] * 3, "target": ["NL"] * 3,
        "score": [1.0, 0.0, -1.0], "label": ["favor", "neutral", "against"],
    })
    row = outlet_table(scores, random_state=0, min_n=1).iloc[0]
    assert row["n_articles"] == 2
    assert row["mean"] == pytest.approx((0.5 - 1.0) / 2)
    assert "averaged into their article" in row["warning"]


def test_bad_score_tables_are_refused_with_a_reason():
    scores = make_scores({"Norwell Post": (5, 0.0)})
    with pytest.raises(ConfigError, match="mixes scoring methods"):
        outlet_table(pd.concat([scores, scores.assign(method="model")]), random_state=0)
    with pytest.raises(DataError, match=r"outside \[-1, 1\]"):
        outlet_table(scores.assign(score=2.0), random_state=0)
    with pytest.raises(DataError, match="accepted labels"):
        outlet_table(scores.assign(label="positive"), random_state=0)
    with pytest.raises(ConfigError, match="lacks column"):
        outlet_table(scores.drop(columns="label"), random_state=0)
    with pytest.raises(ConfigError, match="random_state"):
        outlet_table(scores, random_state=None)


def test_add_period():
    table = pd.DataFrame({"published": ["2024-06-13", "2024-07-01", "not a date", None]})
    assert add_period(table)["period"].tolist() == ["2024-06", "2024-07", None, None]
    assert add_period(table, freq="Y")["period"].tolist()[:2] == ["2024", "2024"]
    with pytest.raises(ConfigError, match="period frequency"):
        add_period(table, freq="fortnight")


# --------------------------------------------------------------------------------------------
# pairwise contrasts


@pytest.fixture(scope="module")
def three_outlets() -> pd.DataFrame:
    """Norwell and Ostby hold the same multiset of scores (a null difference); Pellam is +0.8."""
    base = make_scores({"Norwell Post": (30, 0.0)}, spread=0.3)
    ostby = base.assign(outlet="Ostby Herald", article_id=base["article_id"].str.replace("Nor", "Ost"),
                        score=base["score"].to_numpy()[::-1])
    pellam = base.assign(outlet="Pellam Courier", article_id=base["article_id"].str.replace("Nor", "Pel"),
                         score=np.clip(base["score"] + 0.8, -1, 1))
    return pd.concat([base, ostby, pellam], ignore_index=True).assign(
        label=lambda t: t["score"].map(_label))


def test_large_difference_is_significant_and_null_is_not(three_outlets):
    table = pairwise_contrasts(three_outlets, random_state=SEED, n_perm=1999).set_index("pair")
    assert table.index.tolist() == ["Norwell Post vs Ostby Herald", "Norwell Post vs Pellam Courier",
                                    "Ostby Herald vs Pellam Courier"]
    null = table.loc["Norwell Post vs Ostby Herald"]
    assert null["diff"] == pytest.approx(0.0, abs=1e-12)
    assert null["p_value"] == 1.0 and null["q_value"] == 1.0
    assert null["cliffs_delta"] == 0.0
    for pair in ("Norwell Post vs Pellam Courier", "Ostby Herald vs Pellam Courier"):
        row = table.loc[pair]
        assert row["q_value"] < 0.05
        assert row["diff"] < -0.5 and row["ci_high"] < 0 and row["ci_low"] < row["diff"] < row["ci_high"]
        assert row["cliffs_delta"] < -0.8 and row["cohens_d"] < -1.5


def test_random_null_difference_is_not_significant():
    scores = make_scores({"Norwell Post": (40, 0.1), "Ostby Herald": (40, 0.1)}, seed=11)
    row = pairwise_contrasts(scores, random_state=SEED, n_perm=999).iloc[0]
    assert row["q_value"] > 0.05


def test_mannwhitney_option(three_outlets):
    table = pairwise_contrasts(three_outlets, random_state=0, test="mannwhitney").set_index("pair")
    assert table.loc["Norwell Post vs Pellam Courier", "p_value"] < 0.001
    assert table.loc["Norwell Post vs Ostby Herald", "p_value"] == pytest.approx(1.0)
    assert set(table["test"]) == {"mannwhitney"}


def test_contrasts_are_seeded_and_bh_matches_statsmodels():
    groups = {"Norwell Post": (12, 0.0), "Ostby Herald": (12, 0.15), "Pellam Courier": (12, 0.35),
              "Quarry Times": (12, -0.2)}
    scores = pd.concat([make_scores(groups, target="NL"), make_scores(groups, target="SM", seed=5)])
    first = pairwise_contrasts(scores, random_state=4, n_perm=499, n_boot=300)
    pd.testing.assert_frame_equal(first, pairwise_contrasts(scores, random_state=4, n_perm=499,
                                                             n_boot=300))
    assert len(first) == 2 * 6  # every pair of 4 outlets, for both targets: one family
    p = first["p_value"].to_numpy()
    assert np.allclose(first["q_value"], multipletests(p, method="fdr_bh")[1])
    # and by hand: q_(i) = min over j >= i of m * p_(j) / j
    order = np.argsort(p)
    ranked = p[order] * len(p) / np.arange(1, len(p) + 1)
    by_hand = np.empty_like(p)
    by_hand[order] = np.minimum(1, np.minimum.accumulate(ranked[::-1])[::-1])
    assert np.allclose(first["q_value"], by_hand)


def test_contrast_filters_and_small_n_warning():
    scores = pd.concat([make_scores({"Norwell Post": (3, 0.0), "Ostby Herald": (9, 0.5)}, target="NL"),
                        make_scores({"Norwell Post": (9, 0.0), "Ostby Herald": (9, 0.5)}, target="SM")])
    table = pairwise_contrasts(scores, target="NL", random_state=0, n_perm=99)
    assert table["target"].tolist() == ["NL"]
    assert table["warning"].iloc[0].startswith("n_a=3 < min_n=5")
    with pytest.raises(ConfigError, match="not in the scores"):
        pairwise_contrasts(scores, target="EU", random_state=0)
    with pytest.raises(ConfigError, match="test="):
        pairwise_contrasts(scores, random_state=0, test="t-test")
    only = pairwise_contrasts(scores, groups=["Norwell Post"], random_state=0, n_perm=99)
    assert only.empty


def test_effect_sizes_by_hand():
    assert cliffs_delta(np.array([1.0, 1.0]), np.array([0.0, 0.0])) == 1.0
    assert cliffs_delta(np.array([0.0, 1.0]), np.array([0.0, 1.0])) == 0.0
    # pairs (a, b): (0,0) tie, (0,1) a<b, (2,0) a>b, (2,1) a>b -> (2 - 1) / 4
    assert cliffs_delta(np.array([0.0, 2.0]), np.array([0.0, 1.0])) == 0.25
    assert cohens_d(np.array([1.0, 2.0, 3.0]), np.array([0.0, 1.0, 2.0])) == pytest.approx(1.0)
    assert np.isnan(cohens_d(np.array([1.0, 1.0]), np.array([1.0, 1.0])))


def test_permutation_pvalue_detects_a_difference_and_never_returns_zero():
    rng = np.random.default_rng(0)
    p = permutation_pvalue(np.ones(20), -np.ones(20), 199, rng)
    assert p == pytest.approx(1 / 200)


# --------------------------------------------------------------------------------------------
# frames


def test_frame_table_shares_by_hand():
    frames = pd.DataFrame({
        "article_id": ["a1", "a1", "a2", "a3", "b1", "a1"],
        "outlet": ["Norwell Post"] * 4 + ["Ostby Herald", "Norwell Post"],
        "target": ["NL", "NL", "NL", "NL", "NL", ""],
        "category": ["conflict", "cooperation", "conflict", "conflict", "cooperation", "conflict"],
        "count": [2, 1, 1, 0, 3, 4],
    })
    table = frame_table(frames, min_n=1)
    norwell = table[(table["outlet"] == "Norwell Post") & (table["target"] == "NL")].set_index("category")
    # conflict: 2 + 1 + 0 = 3 of 4 cues; articles a1, a2 of a1, a2, a3
    assert norwell.loc["conflict", "count"] == 3 and norwell.loc["conflict", "cue_share"] == 0.75
    assert norwell.loc["conflict", "n_with_frame"] == 2 and norwell.loc["conflict", "n_articles"] == 3
    assert norwell.loc["cooperation", "article_share"] == pytest.approx(1 / 3)
    ostby = table[table["outlet"] == "Ostby Herald"].set_index("category")
    assert ostby.loc["conflict", "count"] == 0 and ostby.loc["conflict", "article_share"] == 0  # zero filled
    article_level = table[(table["outlet"] == "Norwell Post") & (table["target"] == "")]
    assert article_level["cue_share"].tolist() == [1.0, 0.0]
    # a base with more articles (some without cues) lowers article_share, not cue_share
    base = pd.DataFrame({"article_id": ["a1", "a2", "a3", "a4", "b1"],
                         "outlet": ["Norwell Post"] * 4 + ["Ostby Herald"]})
    based = frame_table(frames, base=base, min_n=1)
    row = based[(based["outlet"] == "Norwell Post") & (based["target"] == "NL")
                & (based["category"] == "conflict")].iloc[0]
    assert row["n_articles"] == 4 and row["article_share"] == 0.5 and row["cue_share"] == 0.75
    # a per-target base (the score table): article-level rows count every article of the outlet
    per_target = base.assign(target=["NL", "NL", "NL", "SM", "NL"])
    based = frame_table(frames, base=per_target, min_n=1).set_index(["outlet", "target", "category"])
    assert based.loc[("Norwell Post", "NL", "conflict"), "n_articles"] == 3
    assert based.loc[("Norwell Post", "", "conflict"), "n_articles"] == 4
    with pytest.raises(ConfigError, match="not in categories"):
        frame_table(frames, categories=["conflict"])


# --------------------------------------------------------------------------------------------
# distinguishing terms

FILLER = ["minister", "said", "the", "talks", "on", "trade", "would", "continue", "next", "week", "in",
          "the", "capital", "while", "officials", "met", "delegates", "and", "reporters", "asked",
          "about", "the", "budget", "plan"]


def _sentences(rng: np.random.Generator, n: int, planted: str | None, rate: float) -> list[str]:
    out = []
    for _ in range(n):
        words = list(rng.choice(FILLER, size=12))
        if planted and rng.random() < rate:
            words.insert(int(rng.integers(0, 12)), planted)
        out.append(" ".join(words).capitalize() + ".")
    return out


def test_log_odds_puts_the_planted_word_on_top():
    rng = np.random.default_rng(SEED)
    side_a = _sentences(rng, 200, "hegemony", 0.5)
    side_b = _sentences(rng, 200, "partnership", 0.5)
    table = distinguishing_terms(side_a, side_b, top=5, labels=("Norwell", "Ostby"))
    assert table.iloc[0]["term"] == "hegemony" and table.iloc[0]["favours"] == "Norwell"
    assert table[table["favours"] == "Ostby"].iloc[0]["term"] == "partnership"
    assert table.iloc[0]["z"] > 5
    # a filler word is not distinguishing
    filler = distinguishing_terms(side_a, side_b, top=None).set_index("term")
    assert abs(filler.loc["minister", "z"]) < 3
    pd.testing.assert_frame_equal(table, distinguishing_terms(side_a, side_b, top=5,
                                                              labels=("Norwell", "Ostby")))


def test_log_odds_formula_by_hand():
    # corpus a: "x x y", corpus b: "y y"; pooled prior x: 2/5, y: 3/5, prior_total 5
    table = distinguishing_terms(["xx xx yy"], ["yy yy"], prior_total=5.0, min_count=1,
                                 top=None).set_index("term")
    alpha = {"xx": 2.0, "yy": 3.0}
    ya, yb = {"xx": 2, "yy": 1}, {"xx": 0, "yy": 2}
    for term in ("xx", "yy"):
        a, b = ya[term] + alpha[term], yb[term] + alpha[term]
        delta = np.log(a / (3 + 5 - a)) - np.log(b / (2 + 5 - b))
        assert table.loc[term, "log_odds"] == pytest.approx(delta)
        assert table.loc[term, "z"] == pytest.approx(delta / np.sqrt(1 / a + 1 / b))


def test_token_pattern_stopwords_and_errors():
    table = distinguishing_terms(["De-risking the 2024 EU's plan"], ["the plan"], min_count=1,
                                 top=None)
    assert set(table["term"]) == {"de-risking", "the", "eu", "plan"}
    english = distinguishing_terms(["the plan is good"], ["the plan"], min_count=1, top=None,
                                   stop_words="english")
    assert "the" not in set(english["term"])
    dutch = distinguishing_terms(["de handel met China"], ["de handel"], min_count=1, top=None,
                                 stop_words=["de", "met"])
    assert set(dutch["term"]) == {"handel", "china"}
    cased = distinguishing_terms(["the US and us"], ["us"], min_count=1, top=None, lowercase=False)
    assert {"US", "us"} <= set(cased["term"])
    with pytest.raises(DataError, match="no word tokens"):
        distinguishing_terms(["123"], ["456"])
    with pytest.raises(ConfigError, match="stop_words"):
        distinguishing_terms(["a b"], ["c d"], stop_words="dutch")
    with pytest.raises(ConfigError, match="not one string"):
        distinguishing_terms("some text", ["c d"])


def test_background_prior_is_accepted():
    rng = np.random.default_rng(1)
    side_a = _sentences(rng, 100, "hegemony", 0.6)
    side_b = _sentences(rng, 100, None, 0.0)
    background = _sentences(rng, 100, None, 0.0)
    for prior in (background, {"minister": 50, "said": 40}):
        table = distinguishing_terms(side_a, side_b, prior=prior, top=3)
        assert table.iloc[0]["term"] == "hegemony"


def test_distinguishing_terms_by_group():
    rng = np.random.default_rng(2)
    rows = [(outlet, s) for outlet, word in (("Norwell Post", "hegemony"), ("Ostby Herald", "tariffs"),
                                             ("Pellam Courier", "summit"))
            for s in _sentences(rng, 80, word, 0.6)]
    sentences = pd.DataFrame(rows, columns=["outlet", "text"])
    table = distinguishing_terms_by(sentences, "outlet", top=3)
    assert table.columns[:2].tolist() == ["outlet", "term"]
    tops = table.groupby("outlet", sort=True)["term"].first().to_dict()
    assert tops == {"Norwell Post": "hegemony", "Ostby Herald": "tariffs", "Pellam Courier": "summit"}
    assert (table.groupby("outlet").size() <= 3).all() and (table["z"] > 0).all()


# --------------------------------------------------------------------------------------------
# events


def test_same_event_deviation_from_the_event_mean():
    scores = pd.DataFrame({
        "article_id": ["x1", "x2", "y1", "z1", "w1", "w2"],
        "outlet": ["Norwell Post", "Norwell Post", "Ostby Herald", "Norwell Post", "Ostby Herald",
                   "Pellam Courier"],
        "target": ["NL"] * 6,
        "score": [1.0, 0.5, -0.5, 0.2, 0.0, 0.3],
    })
    articles = pd.DataFrame({"article_id": ["x1", "x2", "y1", "z1", "w1", "w2"],
                             "event": ["ev-a", "ev-a", "ev-a", "ev-b", "", None]})
    table = same_event(scores, articles)
    assert table["event"].tolist() == ["ev-a", "ev-a", "ev-b"]  # one-offs left out
    ev_a = table[table["event"] == "ev-a"].set_index("outlet")
    # outlet means 0.75 and -0.5; the event mean weighs outlets equally: 0.125
    assert ev_a.loc["Norwell Post", "mean"] == 0.75 and ev_a.loc["Norwell Post", "n_articles"] == 2
    assert ev_a["event_mean"].tolist() == [0.125, 0.125]
    assert ev_a.loc["Ostby Herald", "deviation"] == pytest.approx(-0.625)
    assert table.iloc[2]["warning"].startswith("only one outlet")
    with pytest.raises(ConfigError, match="pass the article table"):
        same_event(scores)


EVENT_ARTICLES = [
    # (id, outlet, date, title, text)
    ("n-01", "Norwell Post", "2025-03-03", "Harbour tariffs on Ostavian steel",
     "Norland imposes harbour tariffs on Ostavian steel after a dumping probe into steel imports."),
    ("o-01", "Ostby Herald", "2025-03-04", "Ostavia condemns steel tariffs",
     "Ostavia condemned the harbour tariffs Norland set on Ostavian steel imports."),
    ("p-01", "Pellam Courier", "2025-03-05", "Steel tariffs: what the harbour levy means",
     "The harbour levy on Ostavian steel imports explained: tariffs, dumping and the probe."),
    ("n-02", "Norwell Post", "2025-03-04", "Vaccine plan for rural clinics",
     "Rural clinics get a vaccine plan with mobile teams and a new nurse budget."),
    ("o-02", "Ostby Herald", "2025-03-05", "Nurses welcome rural vaccine teams",
     "Nurses welcomed mobile vaccine teams for rural clinics and the nurse budget."),
    ("p-02", "Pellam Courier", "2025-03-25", "Steel tariffs on Ostavian imports extended",
     "Norland extended harbour tariffs on Ostavian steel imports after the dumping probe."),
    ("q-01", "Quarry Times", None, "Ostavia condemns Norland's steel tariffs",
     "Ostavia condemned the harbour tariffs on its steel imports."),
]


def _event_articles() -> pd.DataFrame:
    return pd.DataFrame(EVENT_ARTICLES, columns=["article_id", "outlet", "published", "title", "text"])


def test_group_events_by_window_and_similarity():
    events = group_events(_event_articles(), window_days=3, threshold=0.2).set_index("article_id")
    steel = events.loc["n-01", "event"]
    assert steel == "ev-2025-03-03-1"
    assert events.loc[["o-01", "p-01"], "event"].tolist() == [steel, steel]
    assert events.loc["q-01", "event"] == steel  # undated: joins on similarity alone
    assert events.loc["n-02", "event"] == events.loc["o-02", "event"] != steel
    assert events.loc["p-02", "event"] == ""  # same story three weeks later: a new (one-off) event
    assert events.loc["n-01", "event_size"] == 4 and np.isnan(events.loc["n-01", "similarity"])
    assert events.index.tolist() == sorted(events.index)


def test_group_events_with_a_custom_embedding():
    articles = pd.DataFrame({"article_id": ["a", "b", "c", "d"], "title": "", "text": ["1", "2", "3", "4"],
                             "published": ["2025-01-01", "2025-01-02", "2025-01-02", "2025-01-09"]})
    vectors = {"1": [1.0, 0.0], "2": [0.9, 0.1], "3": [0.0, 1.0], "4": [1.0, 0.0]}

    def embed(texts: list[str]) -> np.ndarray:
        return np.array([vectors[t.strip()] for t in texts])

    events = group_events(articles, embed=embed, threshold=0.8, window_days=3)
    assert events["event"].tolist() == ["ev-2025-01-01-1", "ev-2025-01-01-1", "", ""]
    everything = group_events(articles, embed=embed, threshold=-1.0, window_days=30)
    assert everything["event"].nunique() == 1
    with pytest.raises(ConfigError, match="embed returned shape"):
        group_events(articles, embed=lambda texts: np.zeros((1, 2)))


def test_group_events_on_the_seeds(seeds_dir):
    """The seeds tell one event in three outlets; TF-IDF joins the two English ones (the Dutch one
    needs a cross-lingual embedding)."""
    from framing.corpus import loading as corpus

    articles = corpus.load(seeds_dir)
    events = group_events(articles).merge(articles[["article_id", "language"]], on="article_id")
    english = events[events["language"] == "en"]
    assert len(english) == 2 and english["event"].nunique() == 1 and english["event"].iloc[0] != ""


# --------------------------------------------------------------------------------------------
# lexicon versus model


def test_disagreement_summary_and_examples():
    evidence = [{"sent_id": 1, "sentence": "Norland praised the deal.", "score": 0.8, "terms": []}]
    lexicon = pd.DataFrame({
        "article_id": ["a", "b", "c", "d", "e"], "outlet": ["Norwell Post"] * 4 + ["Ostby Herald"],
        "target": ["NL"] * 5, "score": [0.8, 0.0, -0.6, 0.5, 0.1],
        "label": ["favor", "neutral", "against", "favor", "neutral"],
        "evidence": [evidence, [], [], [], []],
    })
    model = pd.DataFrame({
        "article_id": ["a", "b", "c", "d", "f"], "outlet": ["Norwell Post"] * 4 + ["Ostby Herald"],
        "target": ["NL"] * 5, "score": [-0.7, 0.1, -0.5, 0.6, 0.0],
        "label": ["against", "neutral", "against", "favor", "neutral"],
        "language": ["en"] * 5,
    })
    result = disagreement(lexicon, model, by=("outlet", "target"), examples=2)
    summary = result.summary.set_index("outlet")
    assert summary.loc["Norwell Post", "n_both"] == 4
    assert summary.loc["Norwell Post", "agreement"] == 0.75
    assert summary.loc["Ostby Herald", "n_lexicon_only"] == 1 and summary.loc["Ostby Herald", "n_model_only"] == 1
    assert np.isnan(summary.loc["Ostby Herald", "agreement"])
    assert -1 <= summary.loc["Norwell Post", "pearson"] <= 1
    example = result.examples.iloc[0]
    assert (example["article_id"], example["label_lexicon"], example["label_model"]) == ("a", "favor", "against")
    assert example["passage_lexicon"] == "Norland praised the deal." and example["passage_model"] == ""
    by_language = disagreement(lexicon, model, by=("language",)).summary
    assert by_language["language"].tolist()[0] == "en"  # a by column may come from the model table
    with pytest.raises(ConfigError, match="neither score table"):
        disagreement(lexicon, model, by=("country",))


def test_closest_event_matches_the_mean_cosine_of_each_event_one_by_one():
    """The per-event means come from one reduction; the choice and its similarity are those of a
    plain loop over the events (slice means, ties to the earlier event)."""
    from framing.analysis import events as ev

    rng = np.random.default_rng(5)
    vectors = rng.normal(size=(60, 6))
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    members = [[k for k in range(1, 59) if k % 7 == e] for e in range(7)] + [[59], [59]]  # a tie
    for i in (0, 59):
        best, best_sim, offset = -1, -np.inf, 0
        sims = ev._cosines(vectors, i, [j for group in members for j in group])
        for e, group in enumerate(members):
            mean = float(sims[offset : offset + len(group)].mean())
            offset += len(group)
            if mean > best_sim + 1e-12:
                best, best_sim = e, mean
        assert ev._closest_event(vectors, i, members, range(len(members))) == (best, best_sim)
    assert ev._closest_event(vectors, 0, members, range(0)) == (-1, -np.inf)


def test_event_grouping_by_member_sums_gives_the_events_of_the_member_by_member_means():
    """Dense embeddings go through the sums of each event's members (one product per article);
    the same vectors given sparse go member by member: the same events and similarities."""
    from scipy import sparse

    rng = np.random.default_rng(11)
    centres = rng.normal(size=(25, 16))
    story = rng.integers(0, 25, size=600)
    vectors = centres[story] + rng.normal(scale=0.8, size=(600, 16))
    days = pd.Timestamp("2025-01-01") + pd.to_timedelta(rng.integers(0, 40, size=600), unit="D")
    published = days.strftime("%Y-%m-%d").to_numpy().astype(object)
    published[::37] = None  # undated articles: compared with every event
    articles = pd.DataFrame({"article_id": [f"a{k:03d}" for k in range(600)], "title": "",
                             "text": [str(k) for k in range(600)], "published": published})
    dense = group_events(articles, embed=lambda texts: vectors, threshold=0.5, window_days=3)
    member_by_member = group_events(articles, embed=lambda texts: sparse.csr_matrix(vectors),
                                    threshold=0.5, window_days=3)
    assert dense["event"].tolist() == member_by_member["event"].tolist()
    assert dense["event_size"].tolist() == member_by_member["event_size"].tolist()
    np.testing.assert_allclose(dense["similarity"], member_by_member["similarity"], rtol=1e-12)
    assert (dense["event_size"] > 2).sum() > 50 and dense["event"].nunique() > 20


def test_encoder_embed_bf16_copy_is_close_to_fp32_and_repeatable(tiny_encoder_factory):
    """The event stage's bf16 encoder (bfloat16 weights, fused linear layers) gives unit vectors
    within bf16 rounding of fp32 and of the autocast path, the same on a second call, and leaves
    the fp32 path exact (the encoder folder is loaded anew each call, never changed)."""
    torch = pytest.importorskip("torch")
    from transformers import AutoModel

    from framing.analysis.embeddings import encoder_embed
    from framing.stance.classifier import (
        _fused_linear_class,
        _fused_linear_works,
        bf16_fused_encoder,
    )

    texts = ["the eu and japan sign a chip pact", "japan and the eu agree on chips",
             "china opposes the export controls", ""]
    folder = tiny_encoder_factory(texts)
    fp32 = encoder_embed(texts, model_path=folder, bf16=False)
    fused = encoder_embed(texts, model_path=folder)
    autocast = encoder_embed(texts, model_path=folder, bf16_autocast=True)
    np.testing.assert_allclose(np.linalg.norm(fused, axis=1), 1.0, atol=1e-5)
    assert np.abs(fused - fp32).max() < 0.05 and np.abs(autocast - fp32).max() < 0.05
    assert not np.array_equal(fused, fp32)  # really computed in bfloat16
    np.testing.assert_array_equal(fused, encoder_embed(texts, model_path=folder))
    np.testing.assert_array_equal(fp32, encoder_embed(texts, model_path=folder, bf16=False))
    encoder = bf16_fused_encoder(torch, AutoModel.from_pretrained(folder))
    assert all(p.dtype == torch.bfloat16 for p in encoder.parameters())
    if _fused_linear_works(torch):
        n_fused = sum(isinstance(m, _fused_linear_class()) for m in encoder.modules())
        assert n_fused == 6 * encoder.config.num_hidden_layers + 1  # q, k, v, out, ff in, ff out; pooler
