"""The chained stages: every article accounted for, same output for 1 and 2 worker processes."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from framing import config, pipeline
from framing.schema import ARTICLE_COLUMNS, MENTION_COLUMNS, SENTENCE_COLUMNS


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
    assert list(m1.columns) == list(MENTION_COLUMNS)
    pd.testing.assert_frame_equal(s1, s2)
    pd.testing.assert_frame_equal(m1, m2)
    assert {"US", "CN", "EU"} <= set(m1["target"])


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
