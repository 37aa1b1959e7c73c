"""Tests of framing.analysis.terms: stopwords per language, comparison within a language, names
kept whole, the minimum count and determinism, on a bilingual table of sentences we wrote (two
English and two Dutch outlets). The log-odds statistic itself is tested in test_compare.py."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

from framing.analysis import report_tables
from framing.analysis.terms import (
    MIN_COUNT,
    distinguishing_terms,
    distinguishing_terms_by,
    language_name,
    stopwords_for,
    target_names,
)
from framing.infra.errors import ConfigError
from framing.report.build import build_report

# Sentence frames per language; {w} is the outlet's own word, {n} a name of the US.
ENGLISH = [
    "The {n} said on Monday that the {w} would be discussed with its partners in the region.",
    "Officials in the {n} have warned that the {w} is not going to be easy for anyone.",
    "It was the {w} again, and the {n} was asked about it by reporters at the summit.",
    "They said that the {n} and its allies will review the {w} before the end of the year.",
]
DUTCH = [
    "De {n} hebben maandag gezegd dat de {w} met de partners in de regio wordt besproken.",
    "Volgens ambtenaren van de {n} is de {w} voor niemand een makkelijke zaak.",
    "Het ging weer over de {w}, en de {n} werden er door journalisten naar gevraagd op de top.",
    "Zij zeiden dat de {n} en hun bondgenoten de {w} voor het einde van het jaar herzien.",
]
OUTLETS = {
    # outlet: (language, frames, its own word, the name of the US it uses)
    "Norwell Post": ("en", ENGLISH, "tariffs", "United States"),
    "Ostby Herald": ("en", ENGLISH, "sanctions", "US"),
    "Pellam Courant": ("nl", DUTCH, "heffingen", "Verenigde Staten"),
    "Quarle Dagblad": ("nl", DUTCH, "sancties", "VS"),
}


def bilingual(repeat: int = 5) -> pd.DataFrame:
    """One row per sentence: outlet, language, text."""
    rows = [
        (outlet, language, frame.format(w=word, n=name))
        for outlet, (language, frames, word, name) in OUTLETS.items()
        for _ in range(repeat)
        for frame in frames
    ]
    return pd.DataFrame(rows, columns=["outlet", "language", "text"])


def test_stopword_lists_per_language():
    assert stopwords_for("en") == frozenset(ENGLISH_STOP_WORDS)
    assert {"de", "een", "en", "van", "het"} <= stopwords_for("nl")
    assert {"der", "und"} <= stopwords_for("de") and {"le", "et"} <= stopwords_for("fr")
    assert stopwords_for("und") == frozenset() and stopwords_for("xx") == frozenset()
    assert stopwords_for(" NL ") == stopwords_for("nl")
    assert language_name("nl") == "Dutch" and language_name(None) == "undetermined language"


def test_no_stopword_in_the_terms_of_a_bilingual_table():
    table = distinguishing_terms_by(bilingual(), "outlet", language_col="language", top=None,
                                    min_words=10, names=target_names())
    assert len(table)
    for language in ("en", "nl"):
        terms = set(table.loc[table["language"] == language, "term"])
        assert not terms & stopwords_for(language), language  # names ("US") are not words
        assert len(terms) > 5
    # each outlet's own word and its name of the US (20 times each, never in the rest) on top
    tops = table.groupby("outlet", sort=True)["term"].apply(lambda t: set(t.head(2))).to_dict()
    assert tops == {outlet: {word, name} for outlet, (_, _, word, name) in OUTLETS.items()}


def test_language_column_and_comparison_within_a_language():
    table = distinguishing_terms_by(bilingual(), "outlet", language_col="language", top=5,
                                    min_words=10)
    assert table.columns[:3].tolist() == ["outlet", "language", "term"]
    assert table.groupby("outlet")["language"].unique().map(tuple).to_dict() == {
        "Norwell Post": ("en",), "Ostby Herald": ("en",),
        "Pellam Courant": ("nl",), "Quarle Dagblad": ("nl",),
    }
    # the rest of an English outlet is the other English outlet only: its sentences' counts
    norwell = table[table["outlet"] == "Norwell Post"].set_index("term")
    assert norwell.loc["tariffs", "count_rest"] == 0
    english_words = sum(len(f.split()) for f in ENGLISH)
    assert norwell["count_rest"].max() < english_words * 5  # no Dutch word counted in the rest
    # without a language column, words of the other language set an outlet apart (the old lists)
    mixed = distinguishing_terms_by(bilingual(), "outlet", top=5, min_words=10)
    assert "language" not in mixed.columns
    assert set(mixed.loc[mixed["outlet"] == "Pellam Courant", "term"]) & {"de", "het", "van"}


def test_names_are_kept_whole():
    table = distinguishing_terms_by(bilingual(), "outlet", language_col="language", top=None,
                                    min_words=10, names=target_names())
    terms = set(table["term"])
    assert {"United States", "US", "Verenigde Staten", "VS"} <= terms
    assert not {"united", "states", "verenigde", "staten", "us"} & terms
    norwell = table[table["outlet"] == "Norwell Post"].set_index("term")
    assert norwell.loc["United States", "count_group"] == 20
    # "US" is a name (case-sensitive), so the English stopword "us" does not remove it; the
    # pronoun stays a stopword
    pair = distinguishing_terms(["the US told us so"] * 3, ["they told them"] * 3, language="en",
                                names=target_names(), top=None)
    assert set(pair["term"]) == {"US", "told"}
    # longest name first; names of your own; the hyphen keeps compounds whole
    own = distinguishing_terms(
        ["Xi Jinping met the United States of America delegation, an anti-American move"] * 3,
        ["the delegation met"] * 3, language="en", names={**target_names(), "Xi Jinping": True},
        top=None, min_count=1,
    )
    assert {"Xi Jinping", "United States of America", "anti-american"} <= set(own["term"])
    assert not {"xi", "jinping", "United States", "American"} & set(own["term"])
    with pytest.raises(ConfigError, match="names"):
        distinguishing_terms(["a b"], ["c d"], names="United States")


def test_min_count_is_respected():
    sentences = bilingual()
    once = pd.DataFrame([("Norwell Post", "en", "A rare zeppelin twice zeppelin appeared.")],
                        columns=sentences.columns)
    table = distinguishing_terms_by(pd.concat([sentences, once]), "outlet",
                                    language_col="language", top=None, min_words=10)
    assert (table["count_group"] + table["count_rest"] >= MIN_COUNT).all()
    assert "zeppelin" not in set(table["term"])  # 2 occurrences < 3
    assert "tariffs" in set(table["term"])
    looser = distinguishing_terms_by(pd.concat([sentences, once]), "outlet",
                                     language_col="language", top=None, min_words=10, min_count=2)
    assert "zeppelin" in set(looser["term"])


def test_groups_skipped_with_a_note():
    sentences = bilingual()
    few = pd.DataFrame([("Rimsby Gazette", "en", "Short note on tariffs."),
                        ("Solo Journal", "de", "Die Zölle der Vereinigten Staaten steigen.")],
                       columns=sentences.columns)
    table = distinguishing_terms_by(pd.concat([sentences, few]), "outlet", language_col="language",
                                    top=3)
    notes = table.attrs["notes"]
    assert any(n.startswith("English: Rimsby Gazette not listed") for n in notes)
    assert any(n.startswith("German: Solo Journal only") for n in notes)
    assert not {"Rimsby Gazette", "Solo Journal"} & set(table["outlet"])


def test_deterministic_and_independent_of_row_order():
    sentences = bilingual()
    kwargs = {"language_col": "language", "top": 5, "min_words": 10, "names": target_names()}
    first = distinguishing_terms_by(sentences, "outlet", **kwargs)
    again = distinguishing_terms_by(sentences, "outlet", **kwargs)
    shuffled = sentences.sample(frac=1.0, random_state=np.random.RandomState(3))
    other = distinguishing_terms_by(shuffled, "outlet", **kwargs)
    pd.testing.assert_frame_equal(first, again)
    pd.testing.assert_frame_equal(first, other)


def test_write_comparison_lists_terms_per_language(tmp_path):
    """The report's table: a language column from the article table, outlet names not listed,
    and the notes of what was not compared."""
    sentences = pd.concat([bilingual(), pd.DataFrame(
        [("Solo Zeitung", "de", "Die Vereinigten Staaten erheben neue Zölle auf Stahl.")],
        columns=["outlet", "language", "text"])], ignore_index=True)
    sentences["text"] = [f"WIRE ({o}) - {t}" for o, t in zip(sentences["outlet"], sentences["text"],
                                                             strict=True)]
    sentences["article_id"] = [f"{o[:3]}-{i % 4}" for i, o in enumerate(sentences["outlet"])]
    articles = (sentences[["article_id", "outlet", "language"]]
                .drop_duplicates("article_id").reset_index(drop=True))
    mentions = sentences.rename(columns={"text": "sentence"}).drop(columns=["outlet", "language"])
    mentions = mentions.assign(target="US", aliases=[["United States"]] * len(mentions))
    scores = articles.assign(target="US", score=0.0, label="neutral")
    report_tables.write_comparison(scores, tmp_path, mentions=mentions, articles=articles,
                                   random_state=1, n_boot=20, n_perm=19, min_n=1,
                                   formats=("svg",))
    table = pd.read_parquet(tmp_path / report_tables.TABLE_FILES["distinguishing_terms"])
    assert table.columns[:4].tolist() == ["outlet", "target", "language", "term"]
    assert set(table["language"]) == {"en", "nl"}
    assert not set(table["term"]) & set(OUTLETS)  # "(Norwell Post)" in a dateline is no term
    assert not {"norwell", "post", "de", "the"} & set(table["term"])
    record = json.loads((tmp_path / report_tables.COMPARISON_FILE).read_text(encoding="utf-8"))
    assert record["notes"]["distinguishing_terms"] == (
        "US, German: Solo Zeitung only, no other group to compare with")
    # the report: one list per language, under its name, and the note
    markdown = build_report(tmp_path)["markdown"].read_text(encoding="utf-8")
    section = markdown[markdown.index("### Distinguishing terms"):]
    assert section.index("#### Dutch") < section.index("#### English")
    assert "| Norwell Post | United States (1.8), tariffs (1.8) |" in section
    assert "Not compared: German: Solo Zeitung only" in section
