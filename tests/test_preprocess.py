"""Cleaners, boilerplate removal, header extraction, sentence splitting, lexicon validation."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from framing.infra.errors import DataError
from framing.infra.schema import SENTENCE_COLUMNS
from framing.text import preprocess as pp

# The three seed articles (read through the seeds_dir fixture; their text is never copied here).
SEED_CN = "000_b88d6d00c0fd3b28.txt"  # English, outlet chrome above and a copyright footer below
SEED_UK = "001_fd76b48553022400.txt"  # English, an inline advertisement block mid-text
SEED_NL = "002_40c3f375ec706a8f.txt"  # Dutch, a section label above the headline


def read_seed(seeds_dir: Path, name: str) -> str:
    path = seeds_dir / name
    if not path.is_file():
        pytest.skip(f"seed {path} not found")
    return path.read_text(encoding="utf-8")


def raw_lines(raw: str) -> list[str]:
    """Non-empty lines of a raw text, whitespace-normalised as the cleaners do."""
    text = pp.normalize_whitespace(pp.normalize_unicode(raw))
    return [line for line in text.split("\n") if line]


# ------------------------------------------------------------------------------------------------
# cleaners
# ------------------------------------------------------------------------------------------------
def test_normalize_unicode_drops_invisibles_composes_and_keeps_quotes():
    text = (
        "\ufeffZero\u200bwidth co\u00adoperation caf\u0065\u0301 \u201cquoted\u201d \u2018too\u2019"
    )
    assert (
        pp.normalize_unicode(text)
        == "Zerowidth cooperation caf\u00e9 \u201cquoted\u201d \u2018too\u2019"
    )


def test_normalize_whitespace_odd_spaces_line_breaks_and_trimming():
    text = "  One\u00a0two\u2009three\tfour  \r\nnext\u3000line \rlast\u2028end  "
    assert pp.normalize_whitespace(text) == "One two three four\nnext line\nlast\nend"


def test_normalize_paragraphs_lines_become_paragraphs_wraps_are_joined():
    text = "A headline without a period\nThe first paragraph is hard\nwrapped here.\nNext one."
    assert pp.normalize_paragraphs(text) == (
        "A headline without a period\n\nThe first paragraph is hard wrapped here.\n\nNext one."
    )
    # a sentence end before a lower-case line is not a wrap
    assert pp.normalize_paragraphs("It ended.\nnew start") == "It ended.\n\nnew start"


def test_tidy_paragraphs_one_blank_line_between_and_none_at_ends():
    assert pp.tidy_paragraphs("\n\nFirst.\n\n\n \n\nSecond.\n\n") == "First.\n\nSecond."


def test_clean_text_keeps_sentence_characters_and_paragraphs():
    text = "The minister\u00a0said \u201cno\u201d \u2014 twice.\n\n\n\nShe left at 5\u202fp.m. on Friday."
    assert (
        pp.clean_text(text)
        == "The minister said \u201cno\u201d \u2014 twice.\n\nShe left at 5 p.m. on Friday."
    )


def test_clean_text_rejects_non_strings():
    with pytest.raises(TypeError, match="expects str"):
        pp.clean_text(None)  # type: ignore[arg-type]


# ------------------------------------------------------------------------------------------------
# boilerplate
# ------------------------------------------------------------------------------------------------
MINI_AD = """\
Home | World | Harbours
The council approved the new harbour budget on Tuesday after a long debate about costs and delays.

Is your fleet ready for winter?

Compare every ferry operator in one handy report. Save time. Plan ahead.

Fleet report \u2013 free sample

Thank you for registering.

Your confirmation email has been sent.

Not convinced yet? Request your free trial today

By ExampleCorp
Visit our privacy policy to learn how we use your personal data. You can unsubscribe at any time.

Harbour officials said the first works would start in March, weather permitting, and last two years.

Advertisement

The mayor thanked the residents for their patience.

Staff writers contributed to this report.

Copyright 2024 Example Media. All rights reserved.
Back to top
"""

MINI_BODY = [
    "The council approved the new harbour budget on Tuesday after a long debate about costs and delays.",
    "Harbour officials said the first works would start in March, weather permitting, and last two years.",
    "The mayor thanked the residents for their patience.",
    "Staff writers contributed to this report.",
]


def test_boilerplate_and_inline_ad_block_removed_body_kept():
    assert pp.clean_text(MINI_AD, language="en").split("\n\n") == MINI_BODY


def test_short_paragraph_between_ad_markers_is_kept():
    text = "Advertisement\n\nHe declined to comment.\n\nAdvertisement\n\nThe talks resume next week in Geneva."
    assert (
        pp.clean_text(text, language="en")
        == "He declined to comment.\n\nThe talks resume next week in Geneva."
    )


def test_footer_run_does_not_take_the_credit_line_before_it():
    text = (
        "Officials in both capitals described the talks as constructive and long overdue.\n\n"
        "Wire services contributed.\n\nGlobal Edition\nBack to top\n"
        "Copyright 2020 Example. All rights reserved.\nRegistration Number: 1234567"
    )
    assert pp.clean_text(text).split("\n\n")[-1] == "Wire services contributed."


def test_dutch_boilerplate_only_with_dutch_or_unknown_language():
    text = "Het kabinet presenteerde vandaag de plannen voor de zorg.\n\nLees ook: Kamer wil debat\n\nAdvertentie\n\nSchrijf je in voor de nieuwsbrief van de redactie.\n\n\u00a9 2024 Voorbeeld Media. Alle rechten voorbehouden."
    assert (
        pp.clean_text(text, language="nl")
        == "Het kabinet presenteerde vandaag de plannen voor de zorg."
    )
    assert pp.clean_text(text) == "Het kabinet presenteerde vandaag de plannen voor de zorg."
    assert pp.clean_text(text, language="und") == pp.clean_text(text)  # unknown: all patterns
    assert "Advertentie" in pp.clean_text(text, language="en")  # Dutch chrome words are Dutch data


def test_long_paragraph_mentioning_a_privacy_policy_is_article_text():
    body = (
        "The regulator said the company had changed its privacy policy three times in a year, and "
        "that visitors who agree to our privacy policy, as the banner puts it, rarely read it. " * 8
    )
    assert len(body) > pp.PARAGRAPH_MAX_CHARS
    assert pp.clean_text(body) == body.strip()


def test_seed_cn_footer_and_navigation_removed_body_intact(seeds_dir):
    raw = read_seed(seeds_dir, SEED_CN)
    meta, body = pp.extract_header(raw)
    cleaned = pp.clean_text(body, language="en").split("\n\n")
    lines = raw_lines(raw)
    # raw lines: 2 chrome lines, title, dateline, 16 body paragraphs, 5 footer lines
    assert len(lines) == 25
    assert cleaned == lines[4:20]
    assert not any(
        w in pp.clean_text(raw).lower() for w in ("rights reserved", "registration", "copyright")
    )


def test_seed_uk_ad_block_removed_body_sentences_intact(seeds_dir):
    raw = read_seed(seeds_dir, SEED_UK)
    lines = raw_lines(raw)
    cleaned = pp.clean_text(raw, language="en").split("\n\n")
    # raw lines 0-5 and 15-18 are the article; 6-14 are the advertisement with its sign-up form
    assert len(lines) == 19
    assert cleaned == lines[:6] + lines[15:]


def test_seed_nl_body_intact(seeds_dir):
    raw = read_seed(seeds_dir, SEED_NL)
    meta, body = pp.extract_header(raw)
    assert pp.clean_text(body, language="nl").split("\n\n") == raw_lines(raw)[2:]


# ------------------------------------------------------------------------------------------------
# header
# ------------------------------------------------------------------------------------------------
def test_header_seed_cn(seeds_dir):
    raw = read_seed(seeds_dir, SEED_CN)
    meta, body = pp.extract_header(raw)
    lines = raw_lines(raw)
    assert meta == {"outlet": "China Daily", "published": "2023-07-05", "title": lines[2]}
    assert body.split("\n")[0] == lines[4]  # chrome, title and dateline gone


def test_header_seed_nl_skips_section_label(seeds_dir):
    raw = read_seed(seeds_dir, SEED_NL)
    meta, body = pp.extract_header(raw)
    lines = raw_lines(raw)
    assert meta == {"outlet": None, "published": None, "title": lines[1]}
    assert len(lines[0].split()) < pp.TITLE_MIN_WORDS  # the label above is not taken for the title
    assert body.split("\n")[0] == lines[2]


def test_header_seed_uk_states_nothing(seeds_dir):
    raw = read_seed(seeds_dir, SEED_UK)
    meta, body = pp.extract_header(raw)
    assert meta == {"outlet": None, "published": None, "title": None}
    assert raw_lines(body) == raw_lines(raw)


def test_header_english_date_and_byline():
    raw = (
        "Politics\nVoters head to the polls in a tight regional race\n"
        "By Jane Doe | The Example Times Online | Published: March 3, 2024\n\n"
        "Polling stations opened at seven in the morning across the region."
    )
    meta, body = pp.extract_header(raw)
    assert meta == {
        "outlet": "The Example Times",
        "published": "2024-03-03",
        "title": "Voters head to the polls in a tight regional race",
    }
    assert body == "Polling stations opened at seven in the morning across the region."


def test_header_byline_between_title_and_body():
    raw = "Dijken worden verhoogd langs de hele rivier\nDoor Anna de Vries\n\nHet waterschap begint volgende maand met de werkzaamheden aan de dijk."
    meta, body = pp.extract_header(raw)
    assert meta["title"] == "Dijken worden verhoogd langs de hele rivier"
    assert body == "Het waterschap begint volgende maand met de werkzaamheden aan de dijk."


def test_header_short_or_period_final_first_line_is_not_a_title():
    raw = "Storm warning issued.\nResidents were told to stay indoors as winds reached record speeds overnight."
    assert pp.extract_header(raw)[0]["title"] is None
    raw = "Brief\nResidents were told to stay indoors as winds reached record speeds overnight."
    assert pp.extract_header(raw)[0]["title"] is None


def test_header_invalid_date_is_not_published():
    meta, _ = pp.extract_header(
        "Example Daily | Updated: 2023-02-30\nA headline about an impossible calendar date today\n"
        "The story begins here and continues for a good while longer."
    )
    # not a date, so not a dateline: nothing is read from it
    assert meta == {
        "outlet": None,
        "published": None,
        "title": "A headline about an impossible calendar date today",
    }


# ------------------------------------------------------------------------------------------------
# sentences
# ------------------------------------------------------------------------------------------------
def sentences(text: str, language: str = "en") -> list[str]:
    return [text[s:e] for s, e in pp.split_sentences(text, language=language)]


def test_english_abbreviations_do_not_split():
    assert sentences("Mr. Smith met U.S. officials. They spoke on Jan. 5 with Gov. Brown.") == [
        "Mr. Smith met U.S. officials.",
        "They spoke on Jan. 5 with Gov. Brown.",
    ]


def test_abbreviation_followed_by_sentence_starter_splits():
    assert sentences("Talks were held in the U.S. The results were mixed.") == [
        "Talks were held in the U.S.",
        "The results were mixed.",
    ]


def test_dutch_abbreviations_do_not_split():
    text = "Dhr. Jansen sprak o.a. met de minister. Het ging d.w.z. over geld, ca. 5 miljoen."
    assert sentences(text, "nl") == [
        "Dhr. Jansen sprak o.a. met de minister.",
        "Het ging d.w.z. over geld, ca. 5 miljoen.",
    ]


def test_paragraph_break_is_a_sentence_break_and_spans_index_text():
    text = "  A heading without a period\n\nFirst sentence here. Second one?\n \n\u201cA quote.\u201d  "
    spans = pp.split_sentences(text)
    assert [text[s:e] for s, e in spans] == [
        "A heading without a period",
        "First sentence here.",
        "Second one?",
        "\u201cA quote.\u201d",
    ]


# Candidate contexts as Punkt builds them (the word before a mark, the mark, what follows), with
# the cases its rules treat apart: abbreviations, initials, numbers, ellipses, capitals, quotes.
_CONTEXT_WORDS = st.one_of(
    st.from_regex(r"[a-z]{1,9}", fullmatch=True),
    st.sampled_from(["mr", "u.s", "jan", "gov", "e.g", "said", "it", "A", "J", "No", "1", "2019",
                     "(said", "“it", "U.S", "...", "co-op", "don't", "café", "Über"]),
)
_CONTEXT_AFTER = st.lists(
    st.sampled_from(list(" \n\t\u00a0\x1c\u200b\")”’»:;([{*@!?.,-–")
                    + ["The", "the", "I", "said", "A.", "5"]),
    min_size=1,
    max_size=6,
).map("".join)


@settings(max_examples=400, deadline=None)
@given(word=_CONTEXT_WORDS, mark=st.sampled_from(".?!"), after=_CONTEXT_AFTER)
def test_punkt_memo_and_shortcut_give_punkts_answer(word, mark, after):
    # The memo answers PLAIN_END_RE contexts without asking Punkt; every answer must be Punkt's.
    decisions = pp._punkt("en").text_contains_sentbreak.__self__
    context = word + mark + after
    assert decisions[context] == decisions.decide(context), context


def test_memoised_tokenizer_splits_like_plain_punkt():
    from nltk.tokenize.punkt import PunktSentenceTokenizer

    tokenizer = pp._punkt("en")
    plain = PunktSentenceTokenizer(tokenizer._params)
    # our tokenizer scans with stdlib patterns; the plain one with nltk's own language variables
    assert type(plain._lang_vars) is not type(tokenizer._lang_vars)
    assert plain._Token is not tokenizer._Token
    text = (
        "Mr. Smith said so. The U.S. and the E.U. agreed! Really? Yes... it held. (He left.) "
        "Then 3. items came, J. Doe wrote; \u201cwe won.\u201d she said. no capital here. Gov. Brown "
        "spoke. ok. Done"
    )
    for _ in range(2):  # the second round answers from the memo
        assert list(tokenizer.span_tokenize(text)) == list(plain.span_tokenize(text))


_PARAGRAPH_PIECES = st.lists(
    st.one_of(_CONTEXT_WORDS, st.sampled_from(
        [".", "?", "!", "...", " ", "  ", "\n", "\u201d", "\u2019", ")", "(", "\"", "'", "--", ";", ":",
         ",", "\u00bb", "\u00ab", "}", "]", "5.", "U.S.", "Mr.", "The", "\u00a0", "\t"])),
    min_size=1, max_size=40,
).map("".join)


@settings(max_examples=300, deadline=None)
@given(text=_PARAGRAPH_PIECES)
def test_stdlib_patterns_split_like_nltks_own(text):
    # The tokenizer's scanning patterns are compiled by re, nltk's by the regex engine: same spans.
    from nltk.tokenize.punkt import PunktSentenceTokenizer

    tokenizer = pp._punkt("en")
    plain = PunktSentenceTokenizer(tokenizer._params)
    assert list(tokenizer.span_tokenize(text)) == list(plain.span_tokenize(text)), text


def test_lone_punctuation_joins_the_sentence_before():
    assert sentences("Can you believe it?!?! He said yes.") == [
        "Can you believe it?!?!",
        "He said yes.",
    ]


def test_unknown_language_falls_back_to_english():
    assert sentences("Mr. Li met U.S. officials. Then he left.", "zh") == [
        "Mr. Li met U.S. officials.",
        "Then he left.",
    ]


def test_split_sentences_empty():
    assert pp.split_sentences("") == []
    assert pp.split_sentences(" \n\n \n") == []


def test_split_articles_columns_and_sent_id_rules():
    articles = pd.DataFrame(
        {
            "article_id": ["a1", "a2", "a3", "a4"],
            "title": [" Ministers meet in Brussels ", "", "Skipped title", None],
            "text": [
                "Mr. Smith met U.S. officials. They talked.\n\nA second paragraph.",
                "Dhr. Jansen sprak o.a. met de minister. Daarna niet.",
                "Not processed.",
                "Unknown language text. Still split.",
            ],
            "language": ["en", "nl", "en", "und"],
            "status": ["ok", "too_large", "empty", "ok"],
        }
    )
    sents = pp.split_articles(articles)
    assert list(sents.columns) == list(SENTENCE_COLUMNS)
    assert "a3" not in set(sents["article_id"])
    a1 = sents[sents["article_id"] == "a1"]
    assert list(a1["sent_id"]) == [0, 1, 2, 3]
    assert list(a1["section"]) == ["title", "body", "body", "body"]
    assert a1.iloc[0]["text"] == "Ministers meet in Brussels"
    a2 = sents[sents["article_id"] == "a2"]
    assert list(a2["sent_id"]) == [1, 2]  # no title: body counts from 1
    assert list(a2["text"]) == ["Dhr. Jansen sprak o.a. met de minister.", "Daarna niet."]
    assert list(sents[sents["article_id"] == "a4"]["sent_id"]) == [1, 2]
    by_id = articles.set_index("article_id")
    for row in sents.itertuples():
        section = by_id.loc[row.article_id, "title" if row.section == "title" else "text"]
        assert section[row.start : row.end] == row.text
    assert sents["sent_id"].dtype == "int64" and sents["start"].dtype == "int64"


def test_split_articles_empty_table_and_missing_columns():
    empty = pd.DataFrame(columns=["article_id", "title", "text", "language", "status"])
    assert list(pp.split_articles(empty).columns) == list(SENTENCE_COLUMNS)
    with pytest.raises(DataError, match="lacks columns \\['language'\\]"):
        pp.split_articles(
            pd.DataFrame({"article_id": ["x"], "title": [""], "text": ["A."], "status": ["ok"]})
        )


# ------------------------------------------------------------------------------------------------
# properties
# ------------------------------------------------------------------------------------------------
# text with the characters and chrome the cleaners care about over-represented
messy_text = st.lists(
    st.one_of(
        st.text(max_size=8),
        st.sampled_from(
            list(" \n\n\t.?!\u00a0\u200b\u00ad\ufeff\u2028\u2029\r\u201c\u201d\u0301|")
        ),
        st.sampled_from(
            ["Advertisement", "Mr.", "U.S.", "Copyright 2020", "Back to top", "Thank you"]
        ),
    ),
    max_size=60,
).map("".join)


@settings(max_examples=300, deadline=None)
@given(messy_text)
def test_clean_text_is_idempotent(text):
    once = pp.clean_text(text)
    assert pp.clean_text(once) == once


@settings(max_examples=300, deadline=None)
@given(messy_text, st.sampled_from(["en", "nl", "de", "und"]))
def test_sentence_spans_inside_text_in_order_and_stripped(text, language):
    spans = pp.split_sentences(text, language=language)
    previous_end = 0
    for start, end in spans:
        assert previous_end <= start < end <= len(text)
        assert text[start:end] == text[start:end].strip()
        previous_end = end


@settings(max_examples=200, deadline=None)
@given(messy_text)
def test_extract_header_never_invents_and_never_raises(text):
    meta, body = pp.extract_header(text)
    assert set(meta) == {"outlet", "published", "title"}
    if meta["published"] is not None:
        assert len(meta["published"]) == 10 and meta["published"][4] == "-"
    normalized = pp.normalize_whitespace(pp.normalize_unicode(text))
    for value in (meta["outlet"], meta["title"]):
        assert value is None or value in normalized
    assert set(body.split("\n")) <= set(normalized.split("\n"))  # only whole lines are dropped


# ------------------------------------------------------------------------------------------------
# lexicon data
# ------------------------------------------------------------------------------------------------
META = 'name = "{name}"\nversion = 1\ndescription = "test"\nlanguages = ["en"]\nlicence = "MIT"\nsources = ["test"]\n'
HEADER_TERMS = "term\tkind\tlanguage\tnote\nglobal\tedition\t*\tx\n"


def write_boilerplate(folder: Path, rows: str, terms: str = HEADER_TERMS) -> Path:
    folder.mkdir()
    (folder / "meta.toml").write_text(META.format(name="boilerplate"), encoding="utf-8")
    (folder / "patterns.tsv").write_text(
        "pattern\tscope\tlanguage\tnote\n" + rows, encoding="utf-8"
    )
    (folder / "header_terms.tsv").write_text(terms, encoding="utf-8")
    return folder


def test_shipped_lexicons_load():
    lexicon = pp.load_boilerplate()
    assert lexicon.name == "boilerplate-v1"
    assert {p.language for p in lexicon.patterns} >= {"*", "en", "nl"}
    abbreviations = pp.load_abbreviations()
    assert {"en", "nl"} <= set(abbreviations)
    assert {"mr", "u.s"} <= abbreviations["en"].abbreviations
    assert {"dhr", "o.a", "d.w.z"} <= abbreviations["nl"].abbreviations


def test_custom_boilerplate_lexicon_is_used(tmp_path):
    lexicon = pp.load_boilerplate(
        write_boilerplate(tmp_path / "bp", "promo code.*\tline\t*\tshop\n")
    )
    text = "Promo code SAVE10\n\nThe budget passed."
    assert pp.remove_boilerplate(text, lexicon=lexicon).strip() == "The budget passed."


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        (
            "advert\tline\t*\tok\n(unclosed\tline\t*\tbad regex\n",
            r"patterns\.tsv:3: pattern '\(unclosed' is not a valid regex",
        ),
        (
            "advert\tsidebar\t*\tx\n",
            r"patterns\.tsv:2: scope 'sidebar'; accepted: \['line', 'paragraph'\]",
        ),
        ("Advert\tline\t*\tx\n", r"patterns\.tsv:2: .*upper-case"),
        (
            "advert\tline\tEnglish\tx\n",
            r"patterns\.tsv:2: language 'English' is not an ISO 639-1 code",
        ),
        ("advert\tline\t*\n", r"patterns\.tsv:2: 3 tab-separated fields, the header has 4"),
    ],
)
def test_bad_boilerplate_row_names_file_and_line(tmp_path, rows, message):
    folder = write_boilerplate(tmp_path / "bp", rows)
    with pytest.raises(DataError, match=message):
        pp.load_boilerplate(folder)


def test_bad_header_term_names_file_and_line(tmp_path):
    folder = write_boilerplate(
        tmp_path / "bp", "advert\tline\t*\tx\n", HEADER_TERMS + "daily\tmasthead\ten\tx\n"
    )
    with pytest.raises(DataError, match=r"header_terms\.tsv:3: kind 'masthead'"):
        pp.load_boilerplate(folder)


def test_bad_abbreviation_row_names_file_and_line(tmp_path):
    folder = tmp_path / "ab"
    folder.mkdir()
    (folder / "meta.toml").write_text(META.format(name="abbreviations"), encoding="utf-8")
    (folder / "abbreviations.tsv").write_text(
        "language\tkind\tterm\tnote\nen\tabbreviation\tmr\ttitle\nen\tabbreviation\tU.S.\tplace\n",
        encoding="utf-8",
    )
    with pytest.raises(
        DataError, match=r"abbreviations\.tsv:3: abbreviation 'U\.S\.' ends in a period"
    ):
        pp.load_abbreviations(folder)


def test_missing_meta_is_named(tmp_path):
    folder = tmp_path / "nometa"
    folder.mkdir()
    with pytest.raises(DataError, match=r"meta\.toml: missing"):
        pp.load_boilerplate(folder)


# ------------------------------------------------------------------------------------------------
# real corpora
# ------------------------------------------------------------------------------------------------
@pytest.mark.slow
def test_allsides_sample_clean_keeps_most_text_and_splits(data_dir):
    path = data_dir / "data" / "allsides_baly2020" / "articles.parquet"
    if not path.is_file():
        pytest.skip(f"{path} not found")
    df = pd.read_parquet(path, columns=["ID", "title", "content_original"]).head(300)
    cleaned = [pp.clean_text(t, language="en") for t in df["content_original"]]
    kept = sum(map(len, cleaned)) / df["content_original"].str.len().sum()
    assert kept > 0.95  # boilerplate is a small share of the text
    articles = pd.DataFrame(
        {
            "article_id": df["ID"],
            "title": df["title"],
            "text": cleaned,
            "language": "en",
            "status": "ok",
        }
    )
    sents = pp.split_articles(articles)
    assert sents["article_id"].nunique() == len(df)
    assert 10 < len(sents) / len(df) < 100
