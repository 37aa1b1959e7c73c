"""Tests for framing.text.targets: alias matching rules, data validation, extra targets, mention tables.

Every sentence here is invented for the tests; the seed and AllSides tests read real data through
the ``seeds_dir`` / ``data_dir`` fixtures only.
"""

from __future__ import annotations

import re
import shutil
import unicodedata
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from framing.infra import schema
from framing.infra.errors import ConfigError, DataError
from framing.runs import config
from framing.text.targets import (
    ALIAS_FIELDS,
    MENTION_FLAG,
    MIXED_SCRIPT,
    Hit,
    TargetSet,
    find_mentions,
    load_targets,
    mention_summary,
)

LEXICON = config.lexicons_dir() / "targets-v1"


@pytest.fixture(scope="module")
def targets() -> TargetSet:
    return load_targets("targets-v1")


@pytest.fixture()
def folder(tmp_path: Path) -> Path:
    """A writable copy of targets-v1."""
    return Path(shutil.copytree(LEXICON, tmp_path / "targets-v1"))


def found(targets: TargetSet, text: str, language: str = "en") -> list[tuple[str, str]]:
    """(target, surface form) of every hit, checking on the way that spans index the text."""
    hits = targets.find(text, language=language)
    assert hits == sorted(hits, key=lambda h: (h.start, h.end, h.target))
    return [(h.target, text[h.start:h.end]) for h in hits]


# --------------------------------------------------------------------------------------------
# Loading


def test_default_set_has_three_targets_four_languages_and_region_off(targets):
    assert targets.target_ids == ("US", "CN", "EU")
    assert targets.languages == ("de", "en", "fr", "nl")
    assert "region" in targets.all_kinds and "region" not in targets.kinds
    assert {a.kind for a in targets.aliases} <= set(targets.all_kinds)
    assert len(targets.sha256) == 64 and int(targets.sha256, 16) >= 0


def test_load_by_path_equals_load_by_name_and_sha256_is_stable(targets, folder):
    again = load_targets(LEXICON)
    assert again.sha256 == targets.sha256
    assert load_targets(folder).sha256 == targets.sha256  # a copy elsewhere hashes the same
    entry = targets.manifest_entry()
    assert entry["sha256"] == targets.sha256 and entry["version"] == 1


def test_sha256_changes_with_content_but_not_with_crlf(targets, folder):
    aliases = folder / "aliases.csv"
    text = aliases.read_text(encoding="utf-8")
    aliases.write_bytes(text.replace("\n", "\r\n").encode("utf-8"))
    assert load_targets(folder).sha256 == targets.sha256
    aliases.write_text(text + "US,en,Stateside,name,insensitive,\n", encoding="utf-8")
    assert load_targets(folder).sha256 != targets.sha256


def test_meta_declares_what_the_project_requires():
    import tomllib

    meta = tomllib.loads((LEXICON / "meta.toml").read_text(encoding="utf-8"))
    assert meta["name"] == "targets" and meta["version"] == 1
    assert meta["licence"] == "CC-BY-4.0"
    assert "curated by the framing developers" in meta["sources"]
    assert meta["matching"]["off_by_default"] == ["region"]


def test_unknown_name_is_a_config_error_listing_available_lexicons():
    with pytest.raises(ConfigError, match=r"targets-v9.*available lexicons:.*targets-v1"):
        load_targets("targets-v9")


def test_unknown_kind_requested_is_a_config_error(targets):
    with pytest.raises(ConfigError, match=r"'metonym'.*accepted:.*capital_metonym"):
        load_targets(kinds=["name", "metonym"])


# --------------------------------------------------------------------------------------------
# Matching: one example per alias kind, and the rules of meta.toml


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        # name
        ("The United States and America both sent envoys.", "en", [("US", "United States"), ("US", "America")]),
        # short_name
        ("Talks between the US, the U.S.A. and the E.U. stalled.", "en",
         [("US", "US"), ("US", "U.S.A."), ("EU", "E.U.")]),
        # demonym
        ("American and Chinese negotiators met in a Sino-Indian forum.", "en",
         [("US", "American"), ("CN", "Chinese"), ("CN", "Sino")]),
        # capital_metonym
        ("Washington warned Beijing, and Brussels stayed silent.", "en",
         [("US", "Washington"), ("CN", "Beijing"), ("EU", "Brussels")]),
        # institution
        ("The Pentagon, the State Department and the European Commission disagreed with the CCP.", "en",
         [("US", "Pentagon"), ("US", "State Department"), ("EU", "European Commission"), ("CN", "CCP")]),
        # office
        ("A European Commissioner spoke first.", "en", [("EU", "European Commissioner")]),
        # leader_office
        ("The Biden administration replied from the Oval Office.", "en",
         [("US", "Biden administration"), ("US", "Oval Office")]),
        # collective
        ("Uncle Sam and the 27-member bloc agreed; the bloc said more later.", "en",
         [("US", "Uncle Sam"), ("EU", "the 27-member bloc"), ("EU", "the bloc")]),
    ],
)
def test_each_alias_kind_matches(targets, text, language, expected):
    assert found(targets, text, language) == expected


def test_every_default_kind_is_covered_by_the_examples_above(targets):
    # keeps the parametrised examples honest when a kind is added to meta.toml
    assert set(targets.kinds) == {
        "name", "short_name", "demonym", "capital_metonym", "institution", "office",
        "leader_office", "collective",
    }


@pytest.mark.parametrize(
    "text",
    [
        "Let us talk about the weather.",
        "Please join us for dinner.",
        "Tell US nothing.".lower(),
        "The committee stayed neutral on the issue.",
        "The EURO area and prices in EUR rose; eu is not a name.",
        "Europe and European voters went to the polls.",
        "Travellers crossed Europe by train.",
        "The Washington Post and the Washington Times ran the story.",
        "Ships crossed the South China Sea.",
        "Latin American and South American leaders met, as did African-American voters.",
        "The U.S.S.R. collapsed in 1991.",
        "She bought fine china and Brussels sprouts.",
        "George Washington crossed the river; Washington state voted.",
        "The US Open final drew a crowd.",
        "A vote in the House on the pentagon shape.",
    ],
)
def test_no_target_in_lookalikes_and_exclusions(targets, text):
    assert found(targets, text) == []


def test_possessives_match_and_span_the_name_only(targets):
    text = "China's exports, China\u2019s imports and the EU's rules."
    assert found(targets, text) == [("CN", "China"), ("CN", "China"), ("EU", "EU")]


def test_hyphen_compounds_match(targets):
    assert found(targets, "US-China talks and EU-Japan ties.") == [
        ("US", "US"), ("CN", "China"), ("EU", "EU"),
    ]


def test_longest_hit_wins(targets):
    text = "The European Union, the European Council and the U.S.A. met."
    assert [(h.target, h.alias) for h in targets.find(text, language="en")] == [
        ("EU", "European Union"), ("EU", "European Council"), ("US", "U.S.A."),
    ]


def test_case_rules(targets):
    assert found(targets, "WASHINGTON (Reuters) - a dateline, not the actor.") == []
    assert found(targets, "UNITED STATES and united states") == [
        ("US", "UNITED STATES"), ("US", "united states"),
    ]
    assert found(targets, "the white house on the corner") == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Volgens de VS is dat onzin.", [("US", "VS")]),
        ("Peking reageerde boos.", [("CN", "Peking")]),
        ("De Europese Unie en de EU-lidstaten zwegen.", [("EU", "Europese Unie"), ("EU", "EU")]),
        ("EU-commissaris Jansen sprak.", [("EU", "EU-commissaris")]),
        ("Het Witte Huis en de Amerikaanse regering.", [("US", "Witte Huis"), ("US", "Amerikaanse")]),
        ("Zij reisde naar Zuid-Amerika en Latijns-Amerika.", []),
        ("Uitslag: V. Jansen (VS) won.", []),
    ],
)
def test_dutch(targets, text, expected):
    assert found(targets, text, "nl") == expected


def test_german_and_french(targets):
    assert found(targets, "Die US-Regierung und Chinas Führung in Peking.", "de") == [
        ("US", "US"), ("CN", "Chinas"), ("CN", "Peking"),
    ]
    assert found(targets, "L'UE et les États-Unis, pas l'Amérique latine.", "fr") == [
        ("EU", "UE"), ("US", "États-Unis"),
    ]


def test_language_selects_aliases_and_und_uses_all(targets):
    text = "Team A VS Team B, en de VS."
    assert found(targets, text, "en") == []  # VS is a Dutch alias only
    assert found(targets, text, "nl") == [("US", "VS"), ("US", "VS")]
    assert found(targets, "Pékin et Peking", "und") == [("CN", "Pékin"), ("CN", "Peking")]
    assert found(targets, "Pékin et Peking", "xx") == [("CN", "Pékin"), ("CN", "Peking")]
    assert found(targets, "Pékin et Peking", "en") == []


def test_region_kind_only_when_asked():
    with_region = load_targets(kinds=["name", "short_name", "region"])
    assert found(with_region, "Europe and the EU") == [("EU", "Europe"), ("EU", "EU")]
    # The region kind still respects exclusions and "longest wins"
    assert found(with_region, "The Council of Europe and the European Union") == [
        ("EU", "European Union"),
    ]


def test_spans_index_original_text_even_when_lowercasing_changes_length(targets):
    # "İ" lower-cases to two characters; offsets after it must still be right
    text = "İİİ the United\u00a0States\nand\u2011China, then the E.U.\u2019s envoy."
    hits = targets.find(text, language="en")
    assert [(h.target, text[h.start:h.end]) for h in hits] == [
        ("US", "United\u00a0States"), ("CN", "China"), ("EU", "E.U."),
    ]


def wide(text: str) -> str:
    """``text`` in full-width forms (one character for one; NFKC folds them back)."""
    return text.translate({i: i + 0xFEE0 for i in range(0x21, 0x7F)})


CYRILLIC_ES, CYRILLIC_A, CYRILLIC_IE = "\u0421", "\u0430", "\u0415"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # compatibility forms are folded (NFKC); offsets index the original characters
        (f"{wide('China')} and the {wide('EU')} met.", [("CN", wide("China")), ("EU", wide("EU"))]),
        ("\ufb01ne words\u2026 China\u2026 the U.S.", [("CN", "China"), ("US", "U.S.")]),
        # capitals: an all-caps headline, a name in capitals, never the pronoun in lower case
        ("CHINA ACCUSES WASHINGTON OF COERCION", [("CN", "CHINA"), ("US", "WASHINGTON")]),
        (wide("CHINA SLAMS THE WHITE HOUSE"), [("CN", wide("CHINA")), ("US", wide("WHITE HOUSE"))]),
        ("They said CHINA and the WHITE HOUSE disagreed.", [("CN", "CHINA"), ("US", "WHITE HOUSE")]),
        ("BEIJING (Xinhua) -- Talks resumed.", []),  # a dateline, not the actor
        ("BEIJING\n\nTalks resumed.", []),  # a lone capitalised word is a dateline
        ("WASHINGTON, D.C. -- Talks resumed.", []),  # D and C are no words of a headline
        ("Let us know; Us too.", []),
        # dotted initialisms without the final dot or with spaces
        ("The U.S said so, and the U. S. agreed with the U. S",
         [("US", "U.S"), ("US", "U. S."), ("US", "U. S")]),
        ("The U.S.S.R. and U.S.S.R fell.", []),
    ],
)
def test_folded_capital_and_dotted_forms(targets, text, expected):
    assert found(targets, text) == expected
    assert all(h.flag == "" for h in targets.find(text, language="en"))


def test_mixed_script_lookalikes_are_counted_and_flagged(targets):
    es, a, ie = CYRILLIC_ES, CYRILLIC_A, CYRILLIC_IE
    text = f"{es}hina and Chin{a} met the {ie}U; \u041a\u0438\u0442\u0430\u0439 is Russian."
    hits = targets.find(text, language="und")
    assert [(h.target, text[h.start:h.end], h.flag) for h in hits] == [
        ("CN", f"{es}hina", MIXED_SCRIPT), ("CN", f"Chin{a}", MIXED_SCRIPT), ("EU", f"{ie}U", MIXED_SCRIPT),
    ]
    # words wholly in Cyrillic are Russian words, not lookalikes
    assert targets.find(f"{es}\u0428\u0410 and {ie}{es}", language="und") == []


def test_find_mentions_flags_mixed_script_rows(targets):
    spoof = f"{CYRILLIC_ES}hina"
    articles = pd.DataFrame({"article_id": ["m1"], "language": ["en"], "title": [""],
                             "text": [f"{spoof} spoke. China and {spoof} spoke again. The EU listened."]})
    mentions = find_mentions(sentence_table(articles), articles, targets)
    got = [(r.sent_id, r.target, r.aliases, getattr(r, MENTION_FLAG)) for r in mentions.itertuples()]
    assert got == [
        (1, "CN", [spoof], MIXED_SCRIPT),
        (2, "CN", ["China", spoof], MIXED_SCRIPT),
        (3, "EU", ["EU"], ""),
    ]


def test_find_tolerates_non_text(targets):
    assert targets.find("", language="en") == []
    assert targets.find(None, language="en") == []  # type: ignore[arg-type]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(
    ["China", "china", "US", "us", "U.S.", "EU", "EUR", "the bloc", "Washington Post", "İ", "'s",
     "-", " ", "\n", "x", "Amerikaanse", "Europe", "\u2019", "."]), max_size=25))
def test_hits_are_sorted_disjoint_and_bounded(targets, pieces):
    text = "".join(pieces)
    hits = targets.find(text, language="und")
    for hit in hits:
        assert 0 <= hit.start < hit.end <= len(text)
        surface = text[hit.start:hit.end]
        assert surface.lower().replace("\u2019", "'") == hit.alias.lower().replace("\u2019", "'")
        if surface[0].isalnum():
            assert hit.start == 0 or not text[hit.start - 1].isalnum()
        if surface[-1].isalnum():
            assert hit.end == len(text) or not text[hit.end].isalnum()
    for a, b in zip(hits, hits[1:], strict=False):
        assert a.end <= b.start or (a.start, a.end) == (b.start, b.end)


# --------------------------------------------------------------------------------------------
# The data itself


def test_every_alias_matches_itself(targets):
    # A lookalike rule or an exclusion that swallows a listed alias is a data bug.
    everything = load_targets(kinds=targets.all_kinds)
    for alias in everything.aliases:
        language = "und" if alias.language == "*" else alias.language
        hits = everything.find(alias.alias, language=language)
        assert any(h.target == alias.target and (h.start, h.end) == (0, len(alias.alias)) for h in hits), alias


def test_every_exclusion_covers_an_alias(folder):
    # An exclusion with no alias inside it would do nothing.
    (folder / "exclusions.csv").unlink()
    bare = load_targets(folder, kinds=load_targets(folder).all_kinds)
    with_exclusions = load_targets(kinds=bare.all_kinds)
    for exclusion in with_exclusions.exclusions:
        language = "und" if exclusion.language == "*" else exclusion.language
        assert bare.find(exclusion.pattern, language=language), exclusion
        assert with_exclusions.find(exclusion.pattern, language=language) == [], exclusion


# --------------------------------------------------------------------------------------------
# Validation: errors name the file, the line, the bad value and what is accepted


GOOD_ROW = "US,en,Stateside,name,insensitive,"


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("JP,en,Nippon,name,insensitive,", r"unknown target 'JP'; accepted: US, CN, EU"),
        ("US,english,Stateside,name,insensitive,", r"language 'english' is not accepted; accepted: de, en, fr, nl or '\*'"),
        ("US,en,Stateside,name,Sensitive,", r"case 'Sensitive' is not accepted; accepted: sensitive, insensitive"),
        ("US,en,Stateside,nickname,insensitive,", r"unknown kind 'nickname'; accepted: name, short_name"),
        ("US,en,,name,insensitive,", r"empty alias"),
        ("US,en,...,name,insensitive,", r"alias '...' has no letter or digit"),
        ("US,en,AMERICA,name,insensitive,", r"duplicate alias 'AMERICA' for US .*already listed at .*aliases.csv:\d+"),
        ("US,*,America,name,insensitive,", r"duplicate alias 'America' for US.*aliases.csv:\d+"),
        ("US,en,Stateside,name,insensitive,note,surplus", r"7 fields, the header has 6"),
        ("CN,en,STATESIDE,name,insensitive,",
         r"alias 'STATESIDE' is listed for CN here and for US at .*aliases.csv:\d+; an alias names "
         r"one target \(list it in meta.toml \[matching\] shared_aliases"),
        ("EU,de,Stateside,name,sensitive,", r"alias 'Stateside' is listed for EU here and for US at"),
    ],
)
def test_bad_alias_rows_name_file_line_value_and_accepted(folder, row, message):
    path = folder / "aliases.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join([*lines, GOOD_ROW, row]) + "\n", encoding="utf-8")
    bad_line = len(lines) + 2
    with pytest.raises(DataError) as err:
        load_targets(folder)
    text = str(err.value)
    assert f"aliases.csv:{bad_line}:" in text
    assert re.search(message, text), text
    assert f"aliases.csv:{bad_line - 1}:" not in text  # the good row is not blamed


def test_all_bad_rows_are_reported_at_once(folder):
    path = folder / "aliases.csv"
    with path.open("a", encoding="utf-8") as fh:
        fh.write("XX,en,a,name,insensitive,\nUS,zz,b,name,insensitive,\n")
    with pytest.raises(DataError, match=r"2 problem\(s\)(.|\n)*unknown target 'XX'(.|\n)*language 'zz'"):
        load_targets(folder)


def test_an_alias_for_two_targets_names_both_files_and_lines(folder, japan):
    japan[1].write_text(japan[1].read_text(encoding="utf-8") + "JP,en,Beijing,name,sensitive,\n",
                        encoding="utf-8")
    with pytest.raises(DataError) as err:
        load_targets(folder, extra=japan)
    assert re.search(r"japan-aliases.csv:6: alias 'Beijing' is listed for JP here and for CN at "
                     r".*targets-v1/aliases.csv:\d+", str(err.value)), err.value
    # allowed when meta.toml lists it: then both targets are named by the same span
    meta = folder / "meta.toml"
    listed = meta.read_text(encoding="utf-8").replace("shared_aliases = []", 'shared_aliases = ["Beijing"]')
    meta.write_text(listed, encoding="utf-8")
    both = load_targets(folder, extra=japan)
    assert found(both, "Beijing said no.") == [("CN", "Beijing"), ("JP", "Beijing")]
    meta.write_text(meta.read_text(encoding="utf-8").replace('["Beijing"]', "true"), encoding="utf-8")
    with pytest.raises(DataError, match=r"shared_aliases must be a list of aliases"):
        load_targets(folder)


def test_bad_targets_and_exclusions_rows(folder):
    with (folder / "targets.csv").open("a", encoding="utf-8") as fh:
        fh.write("us,lower case,\nCN,China again,\n")
    with (folder / "exclusions.csv").open("a", encoding="utf-8") as fh:
        fh.write("klingon,Qapla,\nen,South China Sea,\n")
    with pytest.raises(DataError) as err:
        load_targets(folder)
    text = str(err.value)
    assert re.search(r"targets.csv:5: target id 'us' is not accepted", text)
    assert re.search(r"targets.csv:6: target 'CN' is already defined at .*targets.csv:3", text)
    assert re.search(r"exclusions.csv:\d+: language 'klingon' is not accepted", text)
    assert re.search(r"exclusions.csv:\d+: duplicate exclusion 'South China Sea'", text)


def test_bad_header_and_missing_files(folder):
    (folder / "aliases.csv").write_text("target,lang,alias\nUS,en,X\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"aliases.csv:1: header lacks column\(s\) language, kind, case"):
        load_targets(folder)
    (folder / "aliases.csv").unlink()
    with pytest.raises(DataError, match=r"no aliases.csv"):
        load_targets(folder)
    (folder / "meta.toml").write_text("name = [", encoding="utf-8")
    with pytest.raises(DataError, match=r"meta.toml:1: not valid UTF-8 TOML"):
        load_targets(folder)


def test_not_utf8_is_reported(folder):
    (folder / "aliases.csv").write_bytes(",".join(ALIAS_FIELDS).encode() + b"\nUS,en,Am\xe9rique,name,insensitive,\n")
    with pytest.raises(DataError, match=r"aliases.csv:2: not UTF-8 text"):
        load_targets(folder)


# --------------------------------------------------------------------------------------------
# Adding a target by data only


@pytest.fixture()
def japan(tmp_path: Path) -> list[Path]:
    targets_file = tmp_path / "japan-targets.csv"
    targets_file.write_text("target,label,description\nJP,Japan,Japan as an actor\n", encoding="utf-8")
    aliases_file = tmp_path / "japan-aliases.csv"
    aliases_file.write_text(
        "target,language,alias,kind,case,note\n"
        "JP,*,Japan,name,sensitive,\n"
        "JP,en,Japanese,demonym,insensitive,\n"
        "JP,*,Tokyo,capital_metonym,sensitive,\n"
        "JP,nl,Japanse,demonym,insensitive,\n",
        encoding="utf-8",
    )
    return [targets_file, aliases_file]


def test_extra_files_add_a_target(targets, japan):
    # aliases file first: targets are read before aliases whatever the order
    with_japan = load_targets(extra=list(reversed(japan)))
    assert with_japan.target_ids == ("US", "CN", "EU", "JP")
    assert found(with_japan, "Tokyo and Washington; the Japanese and the EU.") == [
        ("JP", "Tokyo"), ("US", "Washington"), ("JP", "Japanese"), ("EU", "EU"),
    ]
    assert found(with_japan, "De Japanse regering en de VS.", "nl") == [("JP", "Japanse"), ("US", "VS")]
    assert with_japan.sha256 != targets.sha256
    assert load_targets(extra=list(reversed(japan))).sha256 == with_japan.sha256
    assert found(targets, "Tokyo and Japan") == []  # the base set is unchanged


def test_extra_folder_and_extra_errors(tmp_path, japan):
    extra_dir = tmp_path / "jp"
    extra_dir.mkdir()
    shutil.copy(japan[0], extra_dir / "targets.csv")
    shutil.copy(japan[1], extra_dir / "aliases.csv")
    assert "JP" in load_targets(extra=extra_dir).target_ids
    with pytest.raises(DataError, match=r"unknown target 'JP'"):
        load_targets(extra=japan[1])  # aliases without their target
    odd = tmp_path / "odd.csv"
    odd.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"odd.csv:1: header a,b is not one of the target tables"):
        load_targets(extra=odd)
    with pytest.raises(DataError, match=r"not found"):
        load_targets(extra=tmp_path / "missing.csv")


# --------------------------------------------------------------------------------------------
# Mention tables


def sentence_table(articles: pd.DataFrame) -> pd.DataFrame:
    """A minimal splitter of our own: title whole, body cut after '. ' (enough for these texts)."""
    rows = []
    for aid, title, text in zip(articles["article_id"], articles["title"], articles["text"], strict=True):
        if title:
            rows.append((aid, 0, "title", 0, len(title), title))
        start, sid = 0, 1
        for match in re.finditer(r"(?<=\.) +|\n+|$", text):
            if match.start() > start:
                rows.append((aid, sid, "body", start, match.start(), text[start:match.start()]))
                sid += 1
            start = match.end()
    return pd.DataFrame(rows, columns=list(schema.SENTENCE_COLUMNS))


@pytest.fixture()
def articles() -> pd.DataFrame:
    return pd.DataFrame({
        "article_id": ["a1", "a2", "a3"],
        "language": ["en", "nl", "und"],
        "title": ["China and the US talk", "", "Nothing here"],
        "text": [
            "Let us begin. Beijing said China would talk to the U.S. The EU's envoy stayed home.",
            "De VS en de Europese Unie. EU-commissaris Jansen reisde naar Peking.",
            "No actor in this text at all.",
        ],
    })


def test_find_mentions_rows_spans_and_aliases(articles, targets):
    sentences = sentence_table(articles)
    mentions = find_mentions(sentences, articles, targets)
    assert tuple(mentions.columns) == (*schema.MENTION_COLUMNS, schema.MENTION_VOICE, MENTION_FLAG)
    assert mentions[MENTION_FLAG].eq("").all()
    got = [(r.article_id, r.sent_id, r.section, r.target, r.n, r.aliases) for r in mentions.itertuples()]
    assert got == [
        ("a1", 0, "title", "US", 1, ["US"]),
        ("a1", 0, "title", "CN", 1, ["China"]),
        ("a1", 2, "body", "US", 1, ["U.S."]),
        ("a1", 2, "body", "CN", 2, ["Beijing", "China"]),
        ("a1", 3, "body", "EU", 1, ["EU"]),
        ("a2", 1, "body", "US", 1, ["VS"]),
        ("a2", 1, "body", "EU", 1, ["Europese Unie"]),
        ("a2", 2, "body", "CN", 1, ["Peking"]),
        ("a2", 2, "body", "EU", 1, ["EU-commissaris"]),
    ]
    sections = {(r.article_id, "title"): r.title for r in articles.itertuples()}
    sections |= {(r.article_id, "body"): r.text for r in articles.itertuples()}
    for row in mentions.itertuples():
        string = sections[(row.article_id, row.section)]
        assert [string[s:e] for s, e in row.spans] == row.aliases
        assert all(s >= 0 and e <= len(string) for s, e in row.spans)


def test_article_and_sentence_paths_agree(articles, targets):
    sentences = sentence_table(articles)
    by_article = find_mentions(sentences, articles, targets, by="article")
    by_sentence = find_mentions(sentences, articles, targets, by="sentence")
    mapping = find_mentions(sentences, dict(zip(articles.article_id, articles.language, strict=True)), targets)
    pd.testing.assert_frame_equal(by_article, by_sentence)
    pd.testing.assert_frame_equal(by_article, mapping)


def test_article_path_falls_back_when_sentences_do_not_match_the_text(articles, targets):
    sentences = sentence_table(articles)
    expected = find_mentions(sentences, articles, targets, by="sentence")
    changed = articles.copy()
    text = changed.loc[0, "text"]
    changed.loc[0, "text"] = text[3:] + text[:3]  # same length: hits land off their sentences
    changed.loc[1, "text"] = "short"  # sentences longer than the text
    pd.testing.assert_frame_equal(find_mentions(sentences, changed, targets, by="article"), expected)


def test_article_path_with_a_section_missing_from_the_sentences(articles, targets):
    # only a1's title is in the sentence table: its body string has no sentence to land in
    sentences = sentence_table(articles)
    sentences = sentences[(sentences.article_id == "a1") & (sentences.section == "title")]
    got = find_mentions(sentences, articles, targets, by="article")
    pd.testing.assert_frame_equal(got, find_mentions(sentences, articles, targets, by="sentence"))
    assert got.section.tolist() == ["title", "title"]


def test_find_mentions_empty_and_bad_input(articles, targets):
    sentences = sentence_table(articles).iloc[0:0]
    empty = find_mentions(sentences, articles, targets)
    assert empty.empty
    assert tuple(empty.columns) == (*schema.MENTION_COLUMNS, schema.MENTION_VOICE, MENTION_FLAG)
    with pytest.raises(DataError, match=r"sentence table lacks column\(s\) section"):
        find_mentions(sentence_table(articles).drop(columns="section"), articles, targets)
    with pytest.raises(ConfigError, match=r"by='fast' is not accepted; accepted: auto, article, sentence"):
        find_mentions(sentence_table(articles), articles, targets, by="fast")


def test_mention_summary(articles, targets):
    mentions = find_mentions(sentence_table(articles), articles, targets)
    summary = mention_summary(mentions, targets)
    assert summary.to_dict("records") == [
        {"target": "US", "mentions": 3, "sentences": 3, "articles": 2},
        {"target": "CN", "mentions": 4, "sentences": 3, "articles": 2},
        {"target": "EU", "mentions": 3, "sentences": 3, "articles": 2},
    ]
    assert mention_summary(mentions.iloc[0:0], targets)["mentions"].tolist() == [0, 0, 0]


# --------------------------------------------------------------------------------------------
# Real data


def read_seed(path: Path) -> pd.DataFrame:
    """Our own minimal reader: the whole file is the body; language by a few function words."""
    text = path.read_text(encoding="utf-8")
    dutch = len(re.findall(r"\b(?:de|het|een|van)\b", text)) > len(re.findall(r"\b(?:the|of|and)\b", text))
    return pd.DataFrame({"article_id": [path.stem], "language": ["nl" if dutch else "en"],
                         "title": [""], "text": [text]})


def test_seeds_mention_every_target(seeds_dir, targets):
    seeds = sorted(seeds_dir.glob("*.txt"))
    assert len(seeds) >= 3
    languages = {}
    for path in seeds:
        article = read_seed(path)
        languages[path.stem] = article.language[0]
        mentions = find_mentions(sentence_table(article), article, targets)
        assert set(mentions.target) == {"US", "CN", "EU"}, path.name
        text = article.text[0]
        for row in mentions.itertuples():
            assert [text[s:e] for s, e in row.spans] == row.aliases
        if article.language[0] == "nl":
            aliases = {(r.target, a) for r in mentions.itertuples() for a in r.aliases}
            assert ("US", "Washington") in aliases
            assert {("EU", "EU"), ("EU", "Europese Unie"), ("EU", "EU-commissaris")} <= aliases
    assert sorted(languages.values()).count("nl") == 1


@pytest.mark.slow
def test_allsides_hits_obey_the_rules(data_dir, targets):
    path = data_dir / "data" / "allsides_baly2020" / "articles.parquet"
    if not path.is_file():
        pytest.skip(f"{path} not found")
    texts = pd.read_parquet(path, columns=["content_original"])["content_original"].tolist()
    exact = {(a.target, a.alias) for a in targets.aliases if a.case == "sensitive"}
    counts = dict.fromkeys(targets.target_ids, 0)
    for text in texts:
        for hit in targets.find(text, language="en"):
            counts[hit.target] += 1
            surface = text[hit.start:hit.end]
            assert surface != "us" and surface.lower() != "eur"
            if (hit.target, hit.alias) in exact and not hit.flag:
                # as listed, in capitals (all-caps text), or a dotted initialism's variant
                form = unicodedata.normalize("NFKC", surface).replace("\u2019", "'")
                assert form in (hit.alias, hit.alias.upper()) or (
                    "." in hit.alias and form.replace(" ", "").rstrip(".") == hit.alias.rstrip(".")
                ), (surface, hit)
    # all three actors are named often in a US news corpus; US most
    assert counts["US"] > counts["CN"] > counts["EU"] > 1000


def test_hit_is_a_named_tuple():
    hit = Hit("US", 0, 2, "US", "short_name")
    assert hit._asdict() == {"target": "US", "start": 0, "end": 2, "alias": "US", "kind": "short_name",
                             "flag": ""}
