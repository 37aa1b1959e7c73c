"""Lexicon loading, validation and matching: tiny lexicons written here, the curated lexicon,
the seeds, and (slow) every frame firing on the real corpora."""

from __future__ import annotations

import json
import pickle
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from framing.infra.errors import ConfigError, DataError
from framing.lexicon.folder import Lexicon, lexicon_stats, load_lexicon
from framing.lexicon.importers import read_csv_dictionary, read_liwc_dic
from framing.lexicon.matcher import Hit, _parse_term, _variant_key
from framing.lexicon.tokens import _normaliser

META = """\
name = "tiny"
version = 1
description = "A lexicon written for the tests."
languages = ["en", "nl"]
licence = "CC-BY-4.0"
sources = ["written for the tests"]

[matching]
gap_tokens = 3

[categories.containment]
kind = "frame"
definition = "containing a rival"

[categories.derisking]
kind = "frame"
definition = "managing dependence as a risk"

[categories.negative]
kind = "evaluative"
definition = "unfavourable words"
"""

TERMS = """\
term,language,category,polarity,weight,note
hegemony,en,containment,-1,1.5,
suppress and contain,en,containment,-1,1.5,
decoupling,en,containment,0,1,
de-risk,en,derisking,0,1.5,
reduce ... dependence,en,derisking,0,1,
secure ... supply-chain,en,derisking,0,1,
supply-chain,en,derisking,0,0.5,
threat,en,negative,-1,1,
damage,en,negative,-1,1,
afhankelijkheid ... verminderen,nl,derisking,0,1.5,
eu-commissaris,nl,derisking,0,1,
bedreiging,nl,negative,-1,1,
"""

MODIFIERS = """\
term,language,kind,weight,scope,note
not,en,negator,,3,
n't,en,negator,,3,
not only,en,intensifier,1.25,3,
may,en,hedge,,3,
reportedly,en,hedge,,4,
seriously,en,intensifier,1.5,3,
slightly,en,diminisher,0.5,2,
geen,nl,negator,,2,
niet,nl,negator,,3,
mogelijk,nl,hedge,,3,
"""


def write_lexicon(
    root: Path, terms: str = TERMS, modifiers: str | None = MODIFIERS, meta: str = META
) -> Path:
    folder = root / "tiny-v1"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "meta.toml").write_text(meta, encoding="utf-8")
    (folder / "terms.csv").write_text(terms, encoding="utf-8")
    if modifiers is not None:
        (folder / "modifiers.csv").write_text(modifiers, encoding="utf-8")
    return folder


@pytest.fixture()
def tiny(tmp_path: Path) -> Lexicon:
    return load_lexicon(write_lexicon(tmp_path))


@pytest.fixture(scope="module")
def tiny_shared(tmp_path_factory) -> Lexicon:
    """The tiny lexicon once per module (for property tests, which rerun the test body)."""
    return load_lexicon(write_lexicon(tmp_path_factory.mktemp("tiny")))


@pytest.fixture(scope="module")
def curated() -> Lexicon:
    return load_lexicon("framing-stance-v1")


def found(lex: Lexicon, text: str, language: str = "en") -> dict[str, Hit]:
    """Hits keyed by the text they cover (checks that offsets index the text)."""
    return {text[h.start : h.end]: h for h in lex.match(text, language=language)}


# -- loading -----------------------------------------------------------------------------------


def test_load_tiny(tiny):
    assert (tiny.name, tiny.version, tiny.id) == ("tiny", "1", "tiny-v1")
    assert tiny.languages == ("en", "nl")
    assert tiny.category_names("frame") == ["containment", "derisking"]
    assert tiny.categories["negative"].kind == "evaluative"
    assert list(tiny.terms.columns) == [
        "term",
        "language",
        "category",
        "polarity",
        "weight",
        "note",
        "source",
    ]
    assert tiny.terms.loc[0, "source"] == "terms.csv:2"
    assert tiny.gap_tokens == 3
    assert set(tiny.modifiers["kind"]) == {"negator", "hedge", "intensifier", "diminisher"}


def test_curated_lexicon_meets_coverage(curated):
    stats = lexicon_stats(curated)
    frames = curated.category_names("frame")
    assert len(frames) == 6
    assert (stats.loc[frames, "en"] >= 40).all(), stats
    assert (stats.loc[frames, "nl"] >= 25).all(), stats
    assert stats.loc["modifier:negator", ["en", "nl"]].min() > 0
    assert stats.loc[frames, "kind"].eq("frame").all()
    assert stats["total"].sum() == len(curated.terms) + len(curated.modifiers)


def test_curated_lexicon_has_no_pattern_in_two_categories(curated):
    owner: dict[tuple[str, str], str] = {}
    for row in curated.terms.itertuples():
        norm = _normaliser(row.language, True)
        for variant in _parse_term(row.term, norm):
            key = (row.language, _variant_key(variant, norm))
            assert owner.setdefault(key, row.category) == row.category, (key, row.term)


def test_unknown_lexicon_name_lists_available():
    with pytest.raises(DataError, match="framing-stance-v1"):
        load_lexicon("no-such-lexicon-v9")


# -- matching: stems, multiword, gaps, hyphens --------------------------------------------------


def test_inflections_match_by_stem(tiny):
    hits = found(tiny, "They decoupled, then decouple again; talk of hegemonies and threats.")
    assert {"decoupled", "decouple", "hegemonies", "threats"} <= set(hits)
    assert hits["decoupled"].term == "decoupling"


def test_stems_keep_derivations_apart(tiny):
    # Snowball: hegemony -> hegemoni, hegemonic -> hegemon; the rule is "inflections, not other words".
    assert found(tiny, "A hegemonic power.") == {}


def test_multiword_term_with_inflection(tiny):
    hits = found(tiny, "Washington suppressed and contained the rival.")
    assert hits["suppressed and contained"].category == "containment"
    assert found(tiny, "Washington suppressed, and contained the rival.") == {}


def test_hyphenated_terms_match_all_spellings(tiny):
    text = "To de-risk, derisking, de-risked and de risk."
    assert [h.term for h in tiny.match(text, language="en")] == ["de-risk"] * 4
    assert "EU-commissaris" in found(tiny, "De EU-commissaris sprak.", "nl")


def test_gap_term_english(tiny):
    hits = found(tiny, "Europe wants to reduce its dependence on China.")
    assert hits["reduce its dependence"].term == "reduce ... dependence"
    assert found(tiny, "reduce costs, and their dependence") == {}  # never across punctuation
    assert found(tiny, "reduce a b c d dependence") == {}  # more than gap_tokens = 3 words


def test_gap_term_dutch_and_reordering(tiny):
    text = "Het doel is de afhankelijkheid van China te verminderen."
    assert "afhankelijkheid van China te verminderen" in found(tiny, text, "nl")
    assert "afhankelijkheden verminderen" in found(
        tiny, "Zij willen afhankelijkheden verminderen.", "nl"
    )
    # Word order is as written, and Snowball keeps the -t form apart: not matched (documented).
    assert found(tiny, "Dat vermindert de afhankelijkheid.", "nl") == {}


def test_nested_same_category_keeps_the_longer(tiny):
    hits = found(tiny, "We must secure the supply chain now.")
    assert list(hits) == ["secure the supply chain"]
    assert list(found(tiny, "The supply-chain is long.")) == ["supply-chain"]


def test_offsets_are_exact_with_awkward_text(tiny):
    text = "«Hegemony»  is  a\u00a0threat.\n\nIt isn’t a “threat”; DAMAGE\tseriously."
    hits = tiny.match(text, language="en")
    assert [text[h.start : h.end] for h in hits] == ["Hegemony", "threat", "threat", "DAMAGE"]
    second = text.index("“threat”") + 1
    assert [(h.start, h.end) for h in hits] == [
        (1, 9),
        (18, 24),
        (second, second + 6),
        (text.index("DAMAGE"), len(text) - 11),
    ]
    assert [h.negated for h in hits] == [
        False,
        False,
        True,
        False,
    ]  # "isn’t" before the second threat


_WORDS = [
    "hegemony",
    "Hegemonies",
    "de-risked",
    "reduce",
    "its",
    "dependence",
    "not",
    "isn't",
    "threat",
    "Threats'",
    "supply",
    "chain",
    "secure",
    "the",
    "China's",
    "l'hegemony",
    "—",
    "“threat”",
]
_SEPARATORS = [" ", " ", " ", "  ", ", ", ".\n\n", "\u00a0", "\t", " - "]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(_WORDS), st.sampled_from(_SEPARATORS)), max_size=25))
def test_every_hit_covers_text_that_matches_alone(tiny_shared, pieces):
    lex = tiny_shared
    text = "".join(word + sep for word, sep in pieces)
    for hit in lex.match(text, language="en"):
        assert 0 <= hit.start < hit.end <= len(text)
        alone = lex.match(text[hit.start : hit.end], language="en")
        assert (hit.term, hit.category) in {(h.term, h.category) for h in alone}, (text, hit)


_WILDCARD_TERMS = TERMS + "escalat*,en,negative,-1,1,\nco-operat*,en,derisking,0,1,\n"


def test_prefix_wildcards_anywhere_in_a_chunk(tmp_path):
    lex = load_lexicon(write_lexicon(tmp_path, terms=_WILDCARD_TERMS))
    text = ("Escalation, “escalating” threats; de-escalated? They co-operated (co operation) "
            "and l'escalation.")
    expected = [("Escalation", "escalat*"), ("escalating", "escalat*"), ("threats", "threat"),
                ("co-operated", "co-operat*"), ("co operation", "co-operat*"),
                ("escalation", "escalat*")]  # "de-escalated" does not start with the prefix
    for _ in range(2):  # the chunks' renderings and prefix matches are memoised the first time
        assert [(text[h.start : h.end], h.term) for h in lex.match(text, language="en")] == expected


@settings(max_examples=100, deadline=None)
@given(st.lists(st.lists(st.sampled_from(_WORDS), min_size=1, max_size=8), max_size=6))
def test_sentences_joined_by_a_spaced_line_break_match_as_alone(tiny_shared, sentences):
    # framing.stance.scoring matches the sentences of an article in one call, joined by " \n ".
    texts = [" ".join(words) for words in sentences]
    joined, base, expected = " \n ".join(texts), 0, []
    for text in texts:
        expected += [h._replace(start=h.start + base, end=h.end + base)
                     for h in tiny_shared.match(text, language="en")]
        base += len(text) + 3
    assert tiny_shared.match(joined, language="en") == expected


# -- matching: modifiers -----------------------------------------------------------------------


def test_negation_flips_polarity(tiny):
    hit = found(tiny, "China is not a threat.")["threat"]
    assert (hit.negated, hit.polarity, hit.hedged, hit.intensity) == (True, 1, False, 1.0)
    assert found(tiny, "This isn't a threat.")["threat"].negated
    assert found(tiny, "Dat is geen bedreiging.", "nl")["bedreiging"].negated


def test_negation_window_and_punctuation(tiny):
    assert not found(tiny, "Not, a threat.")["threat"].negated
    assert not found(tiny, "not a big new threat")["threat"].negated  # 3 words between, scope 3
    assert found(tiny, "not a big threat")["threat"].negated


def test_longer_modifier_wins(tiny):
    hit = found(tiny, "It is not only a threat.")["threat"]
    assert (hit.negated, hit.polarity, hit.intensity) == (False, -1, 1.25)


def test_hedges_and_intensity(tiny):
    hit = found(tiny, "They may seriously damage it.")["damage"]
    assert (hit.hedged, hit.negated, hit.intensity) == (True, False, 1.5)
    assert found(tiny, "slightly damage")["damage"].intensity == 0.5
    assert found(tiny, "It is reportedly a threat.")["threat"].hedged
    assert found(tiny, "Dat is mogelijk een bedreiging.", "nl")["bedreiging"].hedged


def test_modifiers_match_exact_forms_not_stems(tiny):
    # "reported" has the stem of "reportedly" but is not a hedge.
    assert not found(tiny, "It reported a threat.")["threat"].hedged


def test_modifier_inside_a_gap(tiny):
    hit = found(tiny, "Zij willen de afhankelijkheid niet verminderen.", "nl")[
        "afhankelijkheid niet verminderen"
    ]
    assert hit.negated


def test_unknown_language_and_bad_text(tiny):
    with pytest.raises(ConfigError, match="covers: en, nl"):
        tiny.match("x", language="es")
    with pytest.raises(TypeError):
        tiny.match(None, language="en")
    assert tiny.match("", language="en") == []
    assert tiny.match("   ", language="en") == []


# -- validation --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (
            "war,en,conflict,0,1,",
            r"terms\.csv:3: bad category 'conflict'; accepted: containment, derisking, negative",
        ),
        ("war,es,negative,0,1,", r"terms\.csv:3: bad language 'es'; accepted: en, nl"),
        ("war,en,negative,2,1,", r"terms\.csv:3: bad polarity '2'; accepted: -1, 0, 1"),
        ("war,en,negative,-1,0,", r"terms\.csv:3: bad weight '0'; accepted: a number > 0"),
        (",en,negative,-1,1,", r"terms\.csv:3: empty term"),
        (
            "threats,en,negative,-1,1,",
            r"terms\.csv:3: duplicated term 'threats': line 2 .*'threat'",
        ),
        (
            "thr*eat,en,negative,-1,1,",
            r"terms\.csv:3: term 'thr\*eat': '\*' is allowed only at the end",
        ),
        (
            "... war,en,negative,-1,1,",
            r"terms\.csv:3: term '\.\.\. war': '\.\.\.' must stand between",
        ),
        ("war,en,negative,-1", r"terms\.csv:3: 4 fields, the header has 6"),
        (
            "threats,en,containment,1,1,",
            r"terms\.csv:3: term 'threats' has polarity \+1 in category 'containment', but line 2 "
            r"has the same stemmed form 'threat' \(en\) with polarity -1 in category 'negative'",
        ),
    ],
)
def test_bad_term_rows_name_file_and_line(tmp_path, line, message):
    terms = "term,language,category,polarity,weight,note\nthreat,en,negative,-1,1,\n" + line + "\n"
    with pytest.raises(DataError, match=message):
        load_lexicon(write_lexicon(tmp_path, terms=terms))


@pytest.mark.parametrize("polarity", ["-1", "0"])
def test_a_term_in_two_categories_with_one_polarity_is_accepted(tmp_path, polarity):
    terms = ("term,language,category,polarity,weight,note\nthreat,en,negative,-1,1,\n"
             f"threat,en,containment,{polarity},1,\n")
    loaded = load_lexicon(write_lexicon(tmp_path, terms=terms))
    assert loaded.terms["category"].tolist() == ["negative", "containment"]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (
            "never,en,negation,,3,",
            r"modifiers\.csv:2: bad kind 'negation'; accepted: negator, hedge, intensifier, diminisher",
        ),
        (
            "very,en,intensifier,0.5,2,",
            r"modifiers\.csv:2: bad weight '0\.5'; accepted: a number > 1",
        ),
        ("never,en,negator,,0,", r"modifiers\.csv:2: bad scope '0'"),
        ("nev*,en,negator,,3,", r"modifiers\.csv:2: bad term 'nev\*'"),
    ],
)
def test_bad_modifier_rows_name_file_and_line(tmp_path, line, message):
    modifiers = "term,language,kind,weight,scope,note\n" + line + "\n"
    with pytest.raises(DataError, match=message):
        load_lexicon(write_lexicon(tmp_path, modifiers=modifiers))


def test_bad_meta_and_folder_name(tmp_path):
    with pytest.raises(DataError, match=r"meta\.toml: missing key 'licence'"):
        load_lexicon(
            write_lexicon(tmp_path / "a", meta=META.replace('licence = "CC-BY-4.0"\n', ""))
        )
    with pytest.raises(DataError, match="kind 'topic' is not one of frame, evaluative, other"):
        load_lexicon(
            write_lexicon(tmp_path / "b", meta=META.replace('kind = "frame"', 'kind = "topic"', 1))
        )
    folder = write_lexicon(tmp_path / "c")
    renamed = folder.rename(folder.with_name("tiny-v2"))
    with pytest.raises(DataError, match="should be called 'tiny-v1'"):
        load_lexicon(renamed)


def test_missing_header_column(tmp_path):
    with pytest.raises(DataError, match=r"terms\.csv:1: header lacks column\(s\) polarity"):
        load_lexicon(
            write_lexicon(tmp_path, terms="term,language,category,weight\nthreat,en,negative,1\n")
        )


# -- provenance --------------------------------------------------------------------------------


def test_sha256_is_stable_and_tracks_content(tmp_path):
    first = load_lexicon(write_lexicon(tmp_path / "a")).sha256
    assert re.fullmatch(r"[0-9a-f]{64}", first)
    assert load_lexicon(write_lexicon(tmp_path / "b")).sha256 == first  # same files elsewhere
    crlf = write_lexicon(tmp_path / "c", terms=TERMS.replace("\n", "\r\n"))
    assert load_lexicon(crlf).sha256 == first  # line endings do not count
    changed = write_lexicon(
        tmp_path / "d", terms=TERMS.replace("damage,en,negative,-1,1", "damage,en,negative,-1,0.5")
    )
    assert load_lexicon(changed).sha256 != first


def test_curated_sha256_is_stable(curated, tmp_path):
    copy = shutil.copytree(curated.path, tmp_path / curated.path.name)
    assert load_lexicon(copy).sha256 == curated.sha256 == load_lexicon("framing-stance-v1").sha256


def test_pickle_round_trip(tiny):
    text = "It is not a threat to de-risk."
    tiny.match(text, language="en")  # compiled matchers are dropped from the pickle
    clone = pickle.loads(pickle.dumps(tiny))
    assert clone.match(text, language="en") == tiny.match(text, language="en")
    assert clone.sha256 == tiny.sha256


def test_lexicon_stats_counts(tiny):
    stats = lexicon_stats(tiny)
    assert list(stats.columns) == ["kind", "en", "nl", "total"]
    assert stats.loc["derisking", "en"] == 4
    assert stats.loc["derisking", "nl"] == 2
    assert stats.loc["modifier:negator", "en"] == 2
    assert stats.loc["negative", "total"] == 3


# -- other dictionary formats ------------------------------------------------------------------

LIWC = """\
%
1\tposemo
2\tnegemo
3\ttrade
%
happ*\t1
trade war\t2\t3
tariff\t3
abus*\t2
"""


def test_liwc_dic_with_wildcards(tmp_path):
    path = tmp_path / "tiny.dic"
    path.write_text(LIWC, encoding="utf-8")
    lex = read_liwc_dic(path)
    assert (
        lex.name == "tiny"
        and lex.languages == ("en",)
        and list(lex.categories) == ["posemo", "negemo", "trade"]
    )
    text = "Happiness, then a trade war; they abused a tariff. Unhappy tariffs."
    got = [(text[h.start : h.end], h.category) for h in lex.match(text, language="en")]
    assert got == [
        ("Happiness", "posemo"),
        ("trade war", "negemo"),
        ("trade war", "trade"),
        ("abused", "negemo"),
        ("tariff", "trade"),
    ]  # "Unhappy" is no prefix match; exact "tariff" is not "tariffs" (stem=False, as LIWC)
    assert [h.term for h in read_liwc_dic(path, stem=True).match("tariffs", language="en")] == [
        "tariff"
    ]
    assert len(lex.sha256) == 64


def test_liwc_dic_errors_name_the_line(tmp_path):
    path = tmp_path / "bad.dic"
    path.write_text(LIWC.replace("tariff\t3", "tariff\t7"), encoding="utf-8")
    with pytest.raises(DataError, match=r"bad\.dic:8: bad category id '7'; accepted: 1, 2, 3"):
        read_liwc_dic(path)
    path.write_text("happy\t1\n", encoding="utf-8")
    with pytest.raises(DataError, match="category block"):
        read_liwc_dic(path)


def test_csv_dictionary(tmp_path):
    path = tmp_path / "dict.csv"
    pd.DataFrame(
        {
            "word": ["sanctions", "partnership", "bedreiging"],
            "cat": ["conflict", "coop", "neg"],
            "lang": ["en", "en", "nl"],
            "pol": ["negative", "1", "-1"],
        }
    ).to_csv(path, index=False)
    lex = read_csv_dictionary(path, term="word", category="cat", language="lang", polarity="pol")
    assert lex.languages == ("en", "nl")
    hits = found(lex, "New sanction on the partnership.")
    assert (hits["sanction"].polarity, hits["partnership"].polarity) == (-1, 1)
    assert found(lex, "een bedreiging", "nl")["bedreiging"].category == "neg"
    fixed = read_csv_dictionary(path, term="word", category="cat", language="en")
    assert fixed.languages == ("en",) and set(fixed.terms["polarity"]) == {0}
    with pytest.raises(DataError, match=r"column\(s\) term='lemma' not in the header"):
        read_csv_dictionary(path, term="lemma", category="cat", language="en")
    path.write_text("word,cat\nwar,conflict\nwar,conflict\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"dict\.csv:3: duplicated term 'war'"):
        read_csv_dictionary(path, term="word", category="cat", language="en")


# -- the curated lexicon on the seeds ----------------------------------------------------------


def _seed(seeds_dir: Path, prefix: str) -> str:
    (path,) = sorted(seeds_dir.glob(f"{prefix}_*.txt"))
    return path.read_text(encoding="utf-8")


def _terms(lex: Lexicon, text: str, language: str, category: str) -> set[str]:
    return {h.term for h in lex.match(text, language=language) if h.category == category}


def test_china_daily_seed_fires_hegemony(curated, seeds_dir):
    terms = _terms(curated, _seed(seeds_dir, "000"), "en", "hegemony_containment")
    assert {
        "hegemony",
        "suppress and contain",
        "decoupling",
        "chain breaking",
        "abuse ... export controls",
        "generalize ... concept of national security",
        "coerce",
    } <= terms


def test_uk_seed_fires_derisking(curated, seeds_dir):
    terms = _terms(curated, _seed(seeds_dir, "001"), "en", "derisking_economic_security")
    assert {"de-risk", "decrease ... dependence", "secure ... supply-chain"} <= terms


def test_dutch_seed_fires_derisking_in_dutch(curated, seeds_dir):
    text = _seed(seeds_dir, "002")
    hits = [
        h for h in curated.match(text, language="nl") if h.category == "derisking_economic_security"
    ]
    assert {
        "afhankelijkheid ... verminderen",
        "de-risking",
        "risico's ... beperken",
        "risicovermindering",
    } <= {h.term for h in hits}
    assert "afhankelijkheid van China te verminderen" in {text[h.start : h.end] for h in hits}


def test_seed_negation_and_intensity(curated, seeds_dir):
    text = _seed(seeds_dir, "000")
    hits = {text[h.start : h.end]: h for h in curated.match(text, language="en")}
    assert hits["damaged"].intensity == 1.5  # "seriously damaged"
    assert hits["abuse export control"].negated  # "urged ... not to abuse export control measures"
    assert not hits["abused export control"].negated


# -- every frame fires on the real corpora (slow) ----------------------------------------------

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


@pytest.mark.slow
def test_every_frame_fires_on_allsides_china_sentences(curated, data_dir):
    articles = pd.read_parquet(
        data_dir / "data" / "allsides_baly2020" / "articles.parquet", columns=["content_original"]
    )
    china = re.compile(r"\b(China|Chinese|Beijing)\b")
    counts: dict[str, int] = {}
    for text in articles["content_original"]:
        if china.search(text):
            for sentence in _SENTENCE_END.split(text):
                if china.search(sentence):
                    for hit in curated.match(sentence, language="en"):
                        counts[hit.category] = counts.get(hit.category, 0) + 1
    assert all(counts.get(c, 0) >= 50 for c in curated.categories), counts


@pytest.mark.slow
def test_every_frame_fires_on_dpg_dutch_articles(curated, data_dir):
    path = data_dir / "data" / "dpgmedia2019" / "dpgMedia2019-articles-byarticle-all.jsonl"
    counts: dict[str, int] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        for hit in curated.match(json.loads(line)["text"], language="nl"):
            counts[hit.category] = counts.get(hit.category, 0) + 1
    assert all(counts.get(c, 0) >= 1 for c in curated.categories), counts
