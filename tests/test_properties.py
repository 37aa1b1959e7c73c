"""Property-based tests (Hypothesis) of the cleaners, the mention finder, the lexicon matcher and
aggregation, and a short fuzzing run over the readers.

Properties: offsets always index the text they came from; scores stay in [-1, 1] and confidences
in [0, 1]; extra whitespace in the raw text changes nothing downstream; no article, group or
(article, target) pair is lost on the way; the readers turn any bytes into rows with a status, or
a clear error. Every test is derandomised (same examples on every run) and kept small for CI.
"""

from __future__ import annotations

import csv
import io
import json
import re
import unicodedata

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from framing.corpus import loading as corpus
from framing.infra import schema
from framing.infra.errors import DataError, FramingError
from framing.lexicon.folder import load_lexicon
from framing.stance import scoring
from framing.text import preprocess
from framing.text.targets import _LOOKALIKES, _fold, load_targets

#: Same examples on every run, no example database, no deadline (the CI machine is shared).
PROPERTY = settings(
    derandomize=True,
    database=None,
    deadline=None,
    max_examples=75,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


@pytest.fixture(scope="module")
def target_set():
    return load_targets("targets-v1")


@pytest.fixture(scope="module")
def stance_lexicon():
    return load_lexicon("framing-stance-v1")


# ---------------------------------------------------------------------------------------------
# Strategies

#: Words no alias, lexicon term or modifier can be made of (so planted ones are the only hits).
FILLER = st.text(alphabet="xqzk", min_size=1, max_size=6)
SEPARATORS = st.sampled_from([" ", " ", ", ", ". ", "; ", " (", ") ", "\n", "\n\n", ": "])
ALIASES = [
    ("US", "Washington"),
    ("US", "United States"),
    ("US", "U.S."),
    ("CN", "China"),
    ("CN", "Beijing"),
    ("CN", "Chinese"),
    ("EU", "European Union"),
    ("EU", "EU"),
    ("EU", "Brussels"),
]
TERMS = ["bullying", "hegemony", "coercion", "partnership", "threat", "praise", "win-win"]
MODIFIERS = ["not", "never", "may", "very", "reportedly"]
#: Any character except surrogates; C0/C1 controls and unusual spaces are included on purpose.
ANY_TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=200)
WORDY = st.lists(
    st.one_of(FILLER, st.sampled_from([a for _, a in ALIASES] + TERMS + MODIFIERS), ANY_TEXT),
    max_size=25,
)


def joined(parts: list[str], seps: list[str]) -> str:
    out = []
    for i, part in enumerate(parts):
        out.append(part)
        out.append(seps[i % len(seps)] if seps else " ")
    return "".join(out)


@st.composite
def planted(draw, items: list[str]) -> tuple[str, list[tuple[str, int, int]]]:
    """Filler words with some of ``items`` planted between them: (text, [(item, start, end)])."""
    tokens = draw(st.lists(st.one_of(FILLER, st.sampled_from(items)), min_size=1, max_size=30))
    text, spans = "", []
    for token in tokens:
        if text:
            text += draw(SEPARATORS)
        if token in items:
            spans.append((token, len(text), len(text) + len(token)))
        text += token
    return text, spans


WHITESPACE_RUNS = st.sampled_from([" ", "  ", "\t", "\u00a0", " \u2009 ", "\u3000", " \t "])


@st.composite
def respaced(draw, text: str) -> str:
    """``text`` with each space widened into a run of spaces, tabs and odd spaces, each line break
    written as CRLF or LF with spaces around it, and whitespace added at both ends."""
    out = []
    for char in text:
        if char == " ":
            out.append(draw(WHITESPACE_RUNS))
        elif char == "\n":
            out.append(draw(st.sampled_from(["\n", "\r\n", " \n", "\n\t"])))
        else:
            out.append(char)
    return draw(WHITESPACE_RUNS) + "".join(out) + draw(WHITESPACE_RUNS)


PROSE = st.lists(
    st.one_of(
        FILLER, st.sampled_from([a for _, a in ALIASES] + TERMS + MODIFIERS + ["Mr.", "etc."])
    ),
    min_size=1,
    max_size=40,
).flatmap(
    lambda words: st.lists(SEPARATORS, min_size=len(words), max_size=len(words)).map(
        lambda seps: joined(words, seps)
    )
)


# ---------------------------------------------------------------------------------------------
# Cleaners


def test_clean_text_leaves_only_paragraphs_of_plain_spaced_text():
    @PROPERTY
    @given(ANY_TEXT)
    def check(raw):
        out = preprocess.clean_text(raw, language="en")
        assert out == out.strip()
        assert preprocess.INVISIBLE_RE.search(out) is None
        assert preprocess.ODD_SPACE_RE.search(out) is None and "\r" not in out
        assert "  " not in out and "\n\n\n" not in out
        assert " \n" not in out and "\n " not in out
        assert re.search(r"(?<!\n)\n(?!\n)", out) is None  # paragraph breaks only
        # Nothing visible is invented: every character was in the (composed) input.
        assert set(out) - {" ", "\n"} <= set(unicodedata.normalize("NFC", raw))

    check()


def test_clean_text_is_idempotent():
    @PROPERTY
    @given(st.one_of(ANY_TEXT, PROSE))
    def check(raw):
        once = preprocess.clean_text(raw, language="en")
        assert preprocess.clean_text(once, language="en") == once

    check()


def test_clean_text_ignores_extra_whitespace():
    @PROPERTY
    @given(st.data())
    def check(data):
        raw = data.draw(PROSE)
        spread = data.draw(respaced(raw))
        assert preprocess.clean_text(spread, language="en") == preprocess.clean_text(
            raw, language="en"
        )

    check()


def test_sentence_spans_cover_the_text_in_order():
    @PROPERTY
    @given(st.one_of(ANY_TEXT, PROSE))
    def check(raw):
        text = preprocess.clean_text(raw, language="en")
        spans = preprocess.split_sentences(text, language="en")
        previous_end = 0
        covered = set()
        for start, end in spans:
            assert previous_end <= start < end <= len(text)
            piece = text[start:end]
            assert piece == piece.strip() and piece
            covered.update(range(start, end))
            previous_end = end
        # No text lost: every non-space character is inside some sentence.
        assert {i for i, ch in enumerate(text) if not ch.isspace()} <= covered

    check()


# ---------------------------------------------------------------------------------------------
# Mention finder


def test_mention_offsets_index_the_text(target_set):
    # Glued words ("xqChina", "EUR", "US-made") test the word-boundary rule.
    glue = st.one_of(SEPARATORS, st.sampled_from(["", "", "-", "'"]))

    @PROPERTY
    @given(
        WORDY.flatmap(
            lambda parts: st.lists(glue, min_size=len(parts), max_size=len(parts)).map(
                lambda seps: joined(parts, seps)
            )
        ),
        st.sampled_from(["en", "nl", "und", "zh"]),
    )
    def check(text, language):
        hits = target_set.find(text, language=language)
        assert [h.start for h in hits] == sorted(h.start for h in hits)
        for hit in hits:
            assert 0 <= hit.start < hit.end <= len(text)
            surface = _surface_key(text[hit.start : hit.end], hit)
            alias = _fold(hit.alias)[1]
            dotted = _DOTTED.fullmatch(hit.alias)
            assert surface == alias or (
                dotted and surface.replace(" ", "").rstrip(".") == alias.rstrip(".")
            ), (surface, hit)
            # the folded characters around the span (NFKC may turn "¼" into "1⁄4")
            before = _fold(text[max(0, hit.start - 4) : hit.start])[1][-1:]
            after = _fold(text[hit.end : hit.end + 4])[1][:1]
            if surface[0].isalnum():
                assert not before.isalnum(), (before, hit)
            if surface[-1].isalnum():
                assert not after.isalnum(), (after, hit)

    check()


#: A dotted initialism: its hits may be spelled "U.S", "U. S." (see targets._dotted_variants).
_DOTTED = re.compile(r"(?:[A-Z]\.){2,}")


def _surface_key(surface: str, hit) -> str:
    """The folded form of a hit's surface: NFKC, the character map and lower case, the way
    aliases are folded; a hit flagged mixed-script reads its Cyrillic/Greek lookalikes as Latin."""
    if hit.flag:
        surface = surface.translate(_LOOKALIKES)
    return _fold(surface)[1]


#: ASCII -> full-width forms (one character each; NFKC folds them back).
FULL_WIDTH = {i: i + 0xFEE0 for i in range(0x21, 0x7F)} | {0x20: 0x3000}


def test_planted_aliases_are_found_exactly(target_set):
    target_of = dict((alias, target) for target, alias in ALIASES)

    @PROPERTY
    @given(planted([alias for _, alias in ALIASES]))
    def check(sample):
        text, spans = sample
        found = [(h.target, h.start, h.end) for h in target_set.find(text, language="en")]
        assert found == [(target_of[alias], start, end) for alias, start, end in spans]

    check()


def test_planted_aliases_in_full_width_or_capitals_are_found_exactly(target_set):
    target_of = dict((alias, target) for target, alias in ALIASES)
    # capital metonyms in capitals count only in an all-caps segment of two words or more (a
    # lone "BEIJING" is a dateline): tests/test_targets.py has examples; here the other aliases
    anywhere = [alias for alias in target_of if alias not in ("Washington", "Beijing", "Brussels")]

    @PROPERTY
    @given(st.one_of(planted([alias for _, alias in ALIASES]).map(lambda s: (*s, "wide")),
                     planted(anywhere).map(lambda s: (*s, "caps"))))
    def check(sample):
        text, spans, form = sample
        changed = text.translate(FULL_WIDTH) if form == "wide" else text.upper()
        found = [(h.target, h.start, h.end) for h in target_set.find(changed, language="en")]
        assert found == [(target_of[alias], start, end) for alias, start, end in spans], changed

    check()


def _article_table(texts: list[str]) -> pd.DataFrame:
    n = len(texts)
    return pd.DataFrame(
        {
            "article_id": [f"a{i}" for i in range(n)],
            "outlet": ["x"] * n,
            "title": [""] * n,
            "text": texts,
            "language": ["en"] * n,
            "status": ["ok"] * n,
        }
    )


def test_mentions_do_not_depend_on_whitespace_or_on_the_fast_path(target_set):
    from framing.text.targets import find_mentions

    @settings(PROPERTY, max_examples=60)
    @given(st.data())
    def check(data):
        raw = data.draw(PROSE)
        if data.draw(st.booleans()):  # all-caps segments must agree between the two paths
            raw = raw.upper()
        text = preprocess.clean_text(raw, language="en")
        assume(text)
        spread = preprocess.clean_text(data.draw(respaced(raw)), language="en")
        tables = []
        for body in (text, spread):
            articles = _article_table([body])
            sentences = preprocess.split_articles(articles)
            by_article = find_mentions(sentences, articles, target_set, by="article")
            by_sentence = find_mentions(sentences, articles, target_set, by="sentence")
            pd.testing.assert_frame_equal(by_article, by_sentence)
            tables.append(by_article)
        pd.testing.assert_frame_equal(tables[0], tables[1])

    check()


# ---------------------------------------------------------------------------------------------
# Lexicon matcher


def test_lexicon_hits_index_the_text_and_follow_the_table(stance_lexicon):
    polarity = {
        (row.term, row.language, row.category): row.polarity
        for row in stance_lexicon.terms.itertuples()
    }
    categories = set(stance_lexicon.category_names())

    @PROPERTY
    @given(st.one_of(PROSE, ANY_TEXT), st.sampled_from(["en", "nl"]))
    def check(text, language):
        hits = stance_lexicon.match(text, language=language)
        keys = [(h.start, h.end, h.category, h.term) for h in hits]
        assert keys == sorted(keys)
        for hit in hits:
            assert 0 <= hit.start < hit.end <= len(text)
            assert hit.category in categories and hit.weight > 0 and hit.intensity > 0
            base = polarity[(hit.term, language, hit.category)]
            assert hit.polarity == (-base if hit.negated else base)

    check()


def test_planted_terms_are_found_exactly(stance_lexicon):
    @PROPERTY
    @given(planted(TERMS))
    def check(sample):
        text, spans = sample
        hits = stance_lexicon.match(text, language="en")
        assert [(h.start, h.end) for h in hits] == [(s, e) for _, s, e in spans]
        assert not any(h.negated or h.hedged or h.intensity != 1.0 for h in hits)

    check()


def test_lexicon_matches_do_not_depend_on_spacing(stance_lexicon):
    runs = st.sampled_from(["  ", "\t", "\u00a0", " \u00a0 ", "   "])

    @PROPERTY
    @given(planted(TERMS + MODIFIERS), st.data(), st.integers(0, 5))
    def check(sample, data, pad):
        text, _ = sample
        text = text.replace("\n", " ")  # a line break is a break for the matcher: keep breaks fixed
        wide = "".join(data.draw(runs) if ch == " " else ch for ch in text)
        narrow_hits = stance_lexicon.match(text, language="en")
        wide_hits = stance_lexicon.match(" " * pad + wide, language="en")

        def key(hits, source, offset=0):
            return [
                (
                    h.term,
                    h.category,
                    h.polarity,
                    h.negated,
                    h.hedged,
                    h.intensity,
                    " ".join(source[h.start - offset : h.end - offset].split()),
                )
                for h in hits
            ]

        assert key(wide_hits, " " * pad + wide) == key(narrow_hits, text)

    check()


# ---------------------------------------------------------------------------------------------
# Aggregation


UNITS = st.lists(
    st.tuples(
        st.sampled_from(["a1", "a2", "a3"]),
        st.sampled_from(["US", "CN"]),
        st.floats(-4, 4, allow_nan=False),
        st.floats(0, 2, allow_nan=False),
    ),
    min_size=1,
    max_size=40,
)


def _units(rows) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "article_id": [r[0] for r in rows],
            "target": [r[1] for r in rows],
            "signed": [r[2] for r in rows],
            "mass": [abs(r[2]) + r[3] for r in rows],
        }
    )


def test_aggregate_keeps_every_group_and_stays_in_range():
    @PROPERTY
    @given(UNITS, st.floats(0, 0.9), st.floats(0, 5))
    def check(rows, band, smoothing):
        units = _units(rows)
        out = scoring.aggregate(units, neutral_band=band, smoothing=smoothing)
        groups = set(zip(units["article_id"], units["target"], strict=True))
        assert set(zip(out["article_id"], out["target"], strict=True)) == groups
        assert len(out) == len(groups) and out["n_units"].sum() == len(units)
        assert out["score"].between(-1, 1).all() and out["confidence"].between(0, 1).all()
        assert (out["label"] == scoring.label_scores(out["score"], band)).all()
        sums = units.groupby(["article_id", "target"])["signed"].sum()
        for row in out.itertuples():
            total = sums[(row.article_id, row.target)]
            if abs(total) > 1e-9 and row.score != 0:
                assert np.sign(row.score) == np.sign(total)

    check()


def test_aggregate_ignores_unit_order_and_favour_never_lowers_a_score():
    @PROPERTY
    @given(UNITS, st.randoms(use_true_random=False), st.floats(0.01, 4))
    def check(rows, rng, extra):
        units = _units(rows)
        shuffled = units.sample(frac=1, random_state=rng.randint(0, 2**31)).reset_index(drop=True)
        a, b = scoring.aggregate(units), scoring.aggregate(shuffled)
        assert np.allclose(a["score"], b["score"]) and np.allclose(a["confidence"], b["confidence"])
        # One more favourable unit for the first group never lowers its score (M >= |S|).
        first = units.iloc[[0]].assign(signed=extra, mass=extra)
        more = scoring.aggregate(pd.concat([units, first], ignore_index=True))
        assert (more["score"] >= a["score"] - 1e-12).all()

    check()


def test_score_lexicon_scores_every_mentioned_pair_once(target_set, stance_lexicon):
    from framing.text.targets import find_mentions

    @settings(PROPERTY, max_examples=40)
    @given(st.lists(PROSE, min_size=1, max_size=4))
    def check(raws):
        texts = [preprocess.clean_text(raw, language="en") for raw in raws]
        assume(all(texts))
        articles = _article_table(texts)
        sentences = preprocess.split_articles(articles)
        mentions = find_mentions(sentences, articles, target_set)
        scores, frames = scoring.score_lexicon(
            articles, sentences, mentions, lexicon=stance_lexicon
        )
        pairs = set(zip(mentions["article_id"], mentions["target"], strict=True))
        scored = list(zip(scores["article_id"], scores["target"], strict=True))
        assert len(scored) == len(set(scored)) and set(scored) == pairs
        assert scores["score"].between(-1, 1).all() and scores["confidence"].between(0, 1).all()
        assert set(frames.loc[frames["target"] == "", "article_id"]) == set(articles["article_id"])

    check()


# ---------------------------------------------------------------------------------------------
# Fuzzing the readers


def _accounted(articles: pd.DataFrame) -> None:
    assert len(articles) >= 1
    assert articles["status"].isin(list(schema.STATUSES)).all()
    assert articles.loc[articles["status"] != "ok", "reason"].str.strip().ne("").all()
    assert articles["article_id"].is_unique


@pytest.mark.parametrize("ending", ["txt", "csv", "jsonl", "json", "html"])
def test_readers_turn_any_bytes_into_rows_or_a_clear_error(ending, tmp_path):
    path = tmp_path / f"fuzz.{ending}"

    @settings(PROPERTY, max_examples=30)
    @given(
        st.one_of(
            st.binary(max_size=300),
            ANY_TEXT.map(lambda s: s.encode("utf-8")),
            ANY_TEXT.map(lambda s: s.encode("utf-16")),
        )
    )
    def check(data):
        path.write_bytes(data)
        try:
            articles = corpus.load(path, near_duplicates=False)
        except DataError as err:  # only tables can lack a text column
            assert ending in ("csv", "jsonl", "json") and "no text column" in str(err)
            return
        _accounted(articles)

    check()


#: Text a person could put in a cell: letters of any script, punctuation, spaces, line breaks.
CELL = st.text(
    st.characters(exclude_categories=("Cs", "Cc", "Co", "Cn")) | st.sampled_from("\n\r\t"),
    max_size=80,
)


def test_every_csv_record_becomes_one_row(tmp_path):
    path = tmp_path / "fuzz.csv"

    @settings(PROPERTY, max_examples=60)
    @given(
        st.lists(st.tuples(CELL, CELL), min_size=1, max_size=8), st.sampled_from([",", ";", "\t"])
    )
    def check(records, delimiter):
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter=delimiter)
        writer.writerow(["id", "title", "text"])
        for i, (title, text) in enumerate(records):
            writer.writerow([f"r{i}", title, text])
        path.write_text(buffer.getvalue(), encoding="utf-8", newline="")
        articles = corpus.load(path, near_duplicates=False)
        _accounted(articles)
        assert articles["article_id"].tolist() == [f"r{i}" for i in range(len(records))]

    check()


def test_every_jsonl_line_becomes_one_row(tmp_path):
    path = tmp_path / "fuzz.jsonl"
    line = st.one_of(
        st.builds(lambda t: json.dumps({"text": t}), CELL),
        st.builds(lambda t: json.dumps({"text": t}, ensure_ascii=False), CELL),
        CELL.map(lambda s: s.replace("\n", " ").replace("\r", " ")),  # garbage
        st.builds(lambda v: json.dumps(v), st.one_of(st.integers(), st.lists(st.integers()))),
    )

    @settings(PROPERTY, max_examples=60)
    @given(st.lists(line, min_size=1, max_size=8))
    def check(lines):
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        try:
            articles = corpus.load(path, near_duplicates=False)
        except FramingError as err:
            assert "no text column" in str(err)  # every parsed object lacked "text"
            return
        _accounted(articles)
        non_blank = [ln for ln in lines if ln.strip()]
        if non_blank:
            assert len(articles) == len(non_blank)

    check()
