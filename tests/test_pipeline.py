"""The chained stages: every article accounted for, same output for 1 and 2 worker processes."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from framing.infra.schema import ARTICLE_COLUMNS, MENTION_COLUMNS, MENTION_VOICE, SENTENCE_COLUMNS
from framing.runs import config, pipeline


@pytest.fixture(scope="module")
def demo_articles() -> pd.DataFrame:
    return pipeline.ingest([config.demo_corpus_path() / "articles.jsonl"])


def test_demo_ingest_accounts_for_every_line(demo_articles):
    path = config.demo_corpus_path() / "articles.jsonl"
    lines = [ln for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip()]
    assert len(demo_articles) == len(lines)
    assert list(demo_articles.columns[: len(ARTICLE_COLUMNS)]) == list(ARTICLE_COLUMNS)
    assert set(demo_articles["language"]) >= {"en", "nl"}
    given = {json.loads(ln)["article_id"] for ln in lines}
    assert set(demo_articles["article_id"]) == given


def test_demo_duplicates_flagged_not_dropped(demo_articles):
    assert demo_articles["duplicate_of"].notna().sum() >= 1
    assert demo_articles["near_duplicate_of"].notna().sum() >= 1


def test_sentences_and_mentions_same_for_one_and_two_jobs(demo_articles):
    s1, m1 = pipeline.sentences_and_mentions(demo_articles, n_jobs=1, chunk_size=7)
    s2, m2 = pipeline.sentences_and_mentions(demo_articles, n_jobs=2, chunk_size=7)
    assert list(s1.columns) == list(SENTENCE_COLUMNS)
    assert list(m1.columns) == [*MENTION_COLUMNS, MENTION_VOICE, "flag"]
    pd.testing.assert_frame_equal(s1, s2)
    pd.testing.assert_frame_equal(m1, m2)
    assert {"US", "CN", "EU"} <= set(m1["target"])


@pytest.mark.parametrize("frames", [True, False])
def test_lexicon_scores_in_one_pass_equal_the_two_stages(demo_articles, frames):
    from framing.stance import scoring

    sents, ments = pipeline.sentences_and_mentions(demo_articles)
    scores, frame_table = scoring.score_lexicon(demo_articles, sents, ments, article_frames=frames)
    for jobs in (1, 2):
        got, got_frames, counts = pipeline.lexicon_scores(
            demo_articles, article_frames=frames, n_jobs=jobs, chunk_size=6)
        pd.testing.assert_frame_equal(got, scores)
        pd.testing.assert_frame_equal(got_frames, frame_table)
        assert counts == {"sentences": len(sents), "mentions": len(ments)}
    empty, empty_frames, counts = pipeline.lexicon_scores(demo_articles.iloc[:0])
    assert len(empty) == 0 and list(empty.columns) == list(scores.columns)
    assert counts == {"sentences": 0, "mentions": 0}


def test_skipped_statuses_get_no_sentences():
    articles = pd.DataFrame(
        [
            dict(article_id="a", outlet="x", published=None, language="en", language_score=1.0,
                 title="", text="The EU met China.", source="t", status="ok", reason="",
                 duplicate_of=None, near_duplicate_of=None),
            dict(article_id="b", outlet="x", published=None, language="de", language_score=1.0,
                 title="", text="Die EU traf China.", source="t", status="unsupported_language",
                 reason="de", duplicate_of=None, near_duplicate_of=None),
        ]
    )
    sents, ments = pipeline.sentences_and_mentions(articles)
    assert set(sents["article_id"]) == {"a"}
    assert set(ments["target"]) == {"EU", "CN"}


def test_join_metadata_by_id_with_repeated_ids(tmp_path):
    articles = pd.DataFrame({"article_id": ["7", "7~2", "8"], "outlet": ["unknown"] * 3})
    meta = tmp_path / "m.jsonl"
    meta.write_text(
        '{"id": "7", "publisher": "Polder Post", "partisan": "true"}\n'
        '{"id": "7", "publisher": "Dike Daily", "partisan": "false"}\n',
        encoding="utf-8",
    )
    out = pipeline.join_metadata(articles, meta)
    assert out["outlet"].tolist() == ["Polder Post", "Dike Daily", "unknown"]
    assert out["partisan"].tolist()[:2] == ["true", "false"]
    assert len(out) == len(articles)


def test_every_experiment_config_is_valid():
    import tomllib

    from framing.runs.config import PROJECT_DIR, load_config

    # Pipeline experiments have a [corpus] table; benchmark configs (own drivers) do not.
    paths = [p for p in sorted((PROJECT_DIR / "experiments").glob("*.toml"))
             if "corpus" in tomllib.loads(p.read_text(encoding="utf-8"))]
    assert len(paths) >= 3
    for path in paths:
        cfg = load_config(path, check_paths=False)
        assert cfg.seed is not None and cfg.name == path.stem


def test_eu_japan_2023_china_daily_most_negative_on_us(seeds_dir, tmp_path):
    """The study with lexicon scoring (the hybrid run, which trains a model, is a slow test)."""
    import dataclasses

    from framing.runs.config import PROJECT_DIR, MultiverseConfig, TrainingConfig, load_config

    cfg = load_config(PROJECT_DIR / "experiments" / "eu_japan_2023.toml", check_paths=False)
    cfg = dataclasses.replace(
        cfg, scoring=dataclasses.replace(cfg.scoring, method="lexicon"), training=TrainingConfig(),
        multiverse=MultiverseConfig(),  # its hybrid scorer needs the trained model (slow tests)
    )
    report = pipeline.run_experiment(cfg, root=tmp_path, n_jobs=1)
    scores = pd.read_parquet(report.parent / "scores.parquet")
    us = scores[scores["target"] == "US"].set_index("outlet")["score"]
    assert us.idxmin() == "China Daily"
    assert us["China Daily"] < us.drop("China Daily").min() - 0.3
    html = report.read_text(encoding="utf-8")
    assert "<mark" in html and "hegemony" in html
    for outlet in ("China Daily", "GlobalData (UK business site)", "Dutch tech site"):
        assert outlet in html


@pytest.mark.slow  # trains the NewsMTSC hybrid model on first use (about 10-15 minutes on 2 cores)
def test_eu_japan_2023_hybrid_china_daily_lowest_on_us(seeds_dir, tmp_path):
    from framing.runs.config import PROJECT_DIR, load_config

    cfg = load_config(PROJECT_DIR / "experiments" / "eu_japan_2023.toml")
    report = pipeline.run_experiment(cfg, root=tmp_path, n_jobs=1)
    scores = pd.read_parquet(report.parent / "scores.parquet")
    assert set(scores["method"]) == {"hybrid"}
    us = scores[scores["target"] == "US"].set_index("outlet")["score"]
    assert us.idxmin() == "China Daily", us.to_dict()
    html = report.read_text(encoding="utf-8")
    assert "Lexicon versus model" in html and "<mark" in html
    top = scores[(scores["target"] == "US") & (scores["outlet"] == "China Daily")]["evidence"].iloc[0]
    assert top[0]["score"] < 0  # the strongest passage is against the US
    assert "hegemony" in html


def test_seeds_foundation_end_to_end(seeds_dir):
    """The foundation's acceptance case: three seeds read, cleaned, languages known, mentions found."""
    articles = pipeline.ingest([seeds_dir])
    articles = articles.sort_values("source").reset_index(drop=True)
    assert len(articles) == 3
    assert articles["language"].tolist() == ["en", "en", "nl"]
    assert (articles["status"] == "ok").all()
    text = "\n".join(articles["text"])
    for chrome in ("BACK TO THE TOP", "Registration Number", "All rights reserved",
                   "free sample", "Privacy Policy", "License for publishing"):
        assert chrome.lower() not in text.lower(), chrome
    sents, ments = pipeline.sentences_and_mentions(articles)
    for article_id in articles["article_id"]:
        assert set(ments.loc[ments["article_id"] == article_id, "target"]) == {"US", "CN", "EU"}
    dutch = articles.loc[articles["language"] == "nl", "article_id"].item()
    dutch_us = ments[(ments["article_id"] == dutch) & (ments["target"] == "US")]
    assert "Washington" in {a for aliases in dutch_us["aliases"] for a in aliases}
    us_aliases = {a for aliases in ments.loc[ments["target"] == "US", "aliases"] for a in aliases}
    assert "us" not in us_aliases
    for _, row in ments.iterrows():  # every span points at its alias in the sentence's section
        sent = sents[(sents["article_id"] == row["article_id"]) & (sents["sent_id"] == row["sent_id"])].iloc[0]
        section = articles.loc[articles["article_id"] == row["article_id"], "title" if row["section"] == "title" else "text"].item()
        for (start, end), alias in zip(row["spans"], row["aliases"], strict=True):
            assert section[start:end] == alias
            assert sent["start"] <= start and end <= sent["end"]
