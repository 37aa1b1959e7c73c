"""Cleaning as small pure ``str -> str`` functions, header extraction, sentence splitting.

Cleaning
--------
``clean_text`` chains five cleaners, each usable on its own:

1. ``normalize_unicode``: drop zero-width characters, byte-order marks, soft hyphens, control
   characters and bidirectional embeddings/overrides/isolates, and zero-width joiners and
   direction marks between two Latin letters or digits (elsewhere they carry meaning), then compose
   to NFC. Curly quotes, dashes and every other character are kept.
2. ``normalize_whitespace``: odd spaces (no-break, thin, ideographic, tab...) become plain spaces,
   every line-break convention becomes ``"\\n"``, runs of spaces collapse, lines are trimmed.
3. ``normalize_paragraphs``: every line becomes its own paragraph (``"\\n\\n"``), except a line
   break that falls inside a sentence of hard-wrapped text (the next line starts with a lower-case
   letter and the line does not end in ``. ! ? …``), which becomes a space. Web text flattened to
   plain text puts one paragraph, heading or page element per line; paragraphs matter downstream
   (they are always sentence breaks).
4. ``remove_boilerplate``: drops site chrome (see below).
5. ``tidy_paragraphs``: one blank line between paragraphs, none at the ends.

Only whitespace and the invisible characters of step 1 are ever changed; the visible characters of a
sentence that is kept are never altered.

Boilerplate
-----------
Driven by the data in ``lexicons/boilerplate-v1/patterns.tsv`` (pattern, scope, language, note). A
*block* is one non-empty line (after ``normalize_paragraphs``, one paragraph). A block is *matched*
when a ``line`` pattern matches all of it (blocks of at most ``LINE_MAX_CHARS``) or a ``paragraph``
pattern matches somewhere in it (blocks of at most ``PARAGRAPH_MAX_CHARS``; longer blocks are article
text). Patterns are written in lower case and matched against the lower-cased block. Those of
language ``"*"`` always apply; those of a language when ``language`` is that language, or when it is
None or a code without patterns of its own ("und", "zh"), which get every language's patterns.
Matched blocks are removed, and so are some unmatched ones next to them, by the **ad-block rule**:

* matched blocks separated by at most one unmatched *label* (a short block, at most
  ``AD_SHORT_WORDS`` words, that does not end in ``. ! ? … :``) form a run, and the labels inside a
  run go with it (a "By <advertiser>" between two lines of a promotion). A real short paragraph
  between two "Advertisement" markers ends in a period and stays;
* a run of at least ``AD_MIN_MATCHES`` matched blocks that is followed, somewhere later, by an
  unmatched block of body text (at least ``BODY_MIN_WORDS`` words ending in ``. ! ?``, or at least
  ``BODY_LONG_WORDS`` words) sits in the middle of the article (an inline promotion); up to
  ``AD_LEAD_BLOCKS`` short unmatched blocks directly before it are its teaser and pitch, and are
  removed too. Runs at the end of an article (footers) never take text before them, so
  a closing credit line ("X contributed to this report.") survives.

Known cost of the rule: a genuine short paragraph directly before a mid-text promotion of three or
more matched blocks is removed with it.

Header
------
``extract_header`` reads outlet, date and title from the first lines of a plain-text article. The
header is the non-empty lines before the first *body line* (at least ``BODY_MIN_WORDS`` words ending
in sentence-final punctuation, or at least ``BODY_LONG_WORDS`` words), looked for among the first
``HEADER_MAX_LINES`` non-empty lines; without a body line there is no header.

* A *dateline* is a header line of at most ``DATELINE_MAX_WORDS`` words that contains a date (ISO
  ``2023-07-05`` / ``2023/07/05``, or an English month name written out). Its first segment (split
  on ``|``, ``•``, ``·``, spaced dashes) that is not a date, a date label ("Updated:") or a byline
  ("By ...") names the outlet, less trailing edition words ("China Daily Global" -> "China Daily").
  Date labels, byline words and edition words are ``header_terms.tsv`` of the boilerplate lexicon.
* A *byline* is a header line of at most ``OUTLET_MAX_WORDS`` words opening with a byline word
  ("By", "Door"). Datelines and bylines are removed from the body.
* The *title* is the header line directly before the body, datelines and bylines skipped, when it
  has ``TITLE_MIN_WORDS`` to ``TITLE_MAX_WORDS`` words, does not end in a period or colon and is not
  chrome; the header lines above it (section labels such as a one- or two-word topic, navigation)
  are dropped.

Nothing is invented: what is not stated is None (an article that opens with body text has no
header).

Sentences
---------
``split_sentences`` runs nltk's ``PunktSentenceTokenizer`` without training and without downloads:
its ``PunktParameters`` get the abbreviations and sentence starters of
``lexicons/abbreviations-v1`` for the language (languages without a list use English). Paragraph
breaks (a blank line) are always sentence breaks. A piece Punkt splits off that has no letter or
digit (a closing quote, "!" after "?!?", the dots of ". . .") is joined to the sentence before it.
A paragraph with no ``. ? !`` before its closing punctuation is one sentence without asking Punkt.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from framing.infra import datafolder, paths
from framing.infra.defaults import DEFAULT_ABBREVIATIONS, DEFAULT_BOILERPLATE
from framing.infra.errors import DataError
from framing.infra.schema import PROCESSED_STATUSES, SENTENCE_COLUMNS

#: Versioned lexicon folders (under ``paths.lexicons_dir()``) this module reads.
BOILERPLATE_LEXICON = DEFAULT_BOILERPLATE
ABBREVIATIONS_LEXICON = DEFAULT_ABBREVIATIONS
#: Files of each folder besides meta.toml.
_BOILERPLATE_FILES = ("patterns.tsv", "header_terms.tsv")
_ABBREVIATIONS_FILES = ("abbreviations.tsv",)
#: Sentence-splitting language used when a text's language has no abbreviation list ("und", "zh").
FALLBACK_LANGUAGE = "en"
#: Punkt decisions (one per distinct candidate context) remembered per language before the memo
#: is emptied; bounds memory (~100 bytes each).
PUNKT_MEMO_LIMIT = 1_000_000

#: Blocks longer than this are never matched by ``line`` patterns.
LINE_MAX_CHARS = 200
#: Blocks longer than this are article text: ``paragraph`` patterns are not tried on them.
PARAGRAPH_MAX_CHARS = 1000
#: Ad-block rule (module docstring): a "short" block has at most this many words.
AD_SHORT_WORDS = 25
#: Ad-block rule: matched blocks a run needs before it takes the short blocks that lead into it.
AD_MIN_MATCHES = 3
#: Ad-block rule: at most this many short blocks before a mid-text run are removed with it.
AD_LEAD_BLOCKS = 2

#: Header heuristics (module docstring).
HEADER_MAX_LINES = 12
BODY_MIN_WORDS = 8
BODY_LONG_WORDS = 30
DATELINE_MAX_WORDS = 15
TITLE_MIN_WORDS = 5
TITLE_MAX_WORDS = 30
OUTLET_MAX_WORDS = 6

# --- regexes that are code, not language data ------------------------------------------------
#: Zero-width space, word joiner, byte-order mark / zero-width no-break space, soft hyphen,
#: Mongolian vowel separator, and C0/C1 control characters other than tab and line breaks.
INVISIBLE_RE = re.compile("[\u200b\u2060\ufeff\u00ad\u180e\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f]")
#: Bidirectional embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069): they change
#: how text is displayed, never what it says, and an unclosed override can make a quoted sentence
#: in a report read backwards.
BIDI_CONTROL_RE = re.compile("[\u202a-\u202e\u2066-\u2069]")
#: Zero-width joiner and non-joiner, left-to-right and right-to-left marks between two Latin letters
#: or digits ("E\u200dU", "Bei\u200cjing"): invisible there, and they would hide the word from the
#: target and lexicon matchers. Elsewhere (Arabic, Persian, Indic scripts, emoji) they carry meaning
#: and stay.
JOINER_IN_LATIN_RE = re.compile(
    "(?<=[0-9A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f])[\u200c-\u200f]+"
    "(?=[0-9A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f])"
)
#: Any character the two patterns above look at: most texts have none, and one search for them is
#: several times cheaper than the two substitutions.
_FORMAT_CHAR_RE = re.compile("[\u200c-\u200f\u202a-\u202e\u2066-\u2069]")
#: Every space character other than U+0020, and tabs.
ODD_SPACE_RE = re.compile("[\t\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]")
#: Line-break conventions other than "\n" (the paragraph separator U+2029 is handled first).
LINE_BREAK_RE = re.compile("\r\n|[\r\x0b\x0c\x85\u2028]")
MULTI_SPACE_RE = re.compile(" {2,}")
SPACE_AROUND_NEWLINE_RE = re.compile(" *\n *")
#: A single line break between two non-empty lines.
SINGLE_NEWLINE_RE = re.compile(r"(?<=[^\n])\n(?=[^\n])")
#: A paragraph break: a line break, optional blank lines and spaces, another line break.
PARAGRAPH_BREAK_RE = re.compile(r"\n\s*\n")
#: Characters after which a line break is never a hard wrap inside a sentence.
SENTENCE_FINAL_CHARS = frozenset(".!?…")
#: Punkt only ever breaks after one of these characters: paragraphs without them are one sentence.
PUNKT_END_RE = re.compile(r"[.?!]")
#: A Punkt candidate context that always holds a sentence break (see ``_punkt``): a lower-case
#: ASCII word of two letters or more (group 1), the mark, then spaces and a non-space character or
#: one of the characters Punkt treats as ending a word (its ``_re_non_word_chars``).
PLAIN_END_RE = re.compile(r"([a-z]{2,})[.?!](?:[ \n]+\S|[)\";}\]*:@'({\[\u2018\u2019\u201c\u201d\xab\xbb?!])")
#: Closing punctuation and spaces at the end of a paragraph, where no sentence can start.
PARAGRAPH_TAIL_CHARS = " \n.?!…\"'”’»)]}"
#: A line that ends a sentence: final punctuation, then optional closing quotes/brackets.
SENTENCE_END_RE = re.compile(r"[.!?…][\"'”’»)\]]*$")
#: A block that ends like text rather than like a label (a colon introduces a quote or a list).
TEXT_END_RE = re.compile(r"[.!?…:][\"'”’»)\]]*$")
#: Dates stated in a header.
ISO_DATE_RE = re.compile(r"(?<!\d)(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?!\d)")
TEXT_DATE_RE = re.compile(
    r"\b(?:\d{1,2}\.?\s+[^\W\d_]{3,10}\.?,?\s+\d{4}"
    r"|[^\W\d_]{3,10}\.?\s+\d{1,2}(?:st|nd|rd|th)?,?\s+\d{4})\b"
)
#: Separators between the parts of a dateline ("Outlet | Updated: ...").
DATELINE_SEP_RE = re.compile(r"\s+[|•·]\s+|\s+[–—]\s+|\s*\|\s*")
LETTER_RE = re.compile(r"[^\W\d_]")
ALNUM_RE = re.compile(r"[^\W_]")
#: A backslash escape inside a regex (\W, \S, \. ...), skipped when checking a pattern's case.
REGEX_ESCAPE_RE = re.compile(r"\\.")

_LANGUAGE_CODE_RE = re.compile(r"[a-z]{2,3}")
_BOILERPLATE_SCOPES = ("line", "paragraph")
_HEADER_KINDS = ("edition", "date_label", "byline")
_ABBREVIATION_KINDS = ("abbreviation", "sentence_starter")


# ================================================================================================
# Lexicon data
# ================================================================================================
@dataclass(frozen=True)
class BoilerplatePattern:
    """One row of ``patterns.tsv``."""

    pattern: str
    scope: str  # "line" or "paragraph"
    language: str  # ISO 639-1 code or "*"
    note: str
    source: str  # "path:line", for messages


@dataclass(frozen=True)
class Boilerplate:
    """A loaded boilerplate lexicon: chrome patterns and header terms."""

    name: str
    folder: Path
    patterns: tuple[BoilerplatePattern, ...]
    #: kind -> language -> lower-case terms (see ``header_terms.tsv``)
    header_terms: dict[str, dict[str, tuple[str, ...]]]
    _compiled: dict = field(default_factory=dict, compare=False, repr=False)

    def matchers(self, language: str | None) -> tuple[re.Pattern | None, re.Pattern | None]:
        """Return the combined (line, paragraph) regexes that apply to ``language``.

        The universal ("*") patterns and those of ``language``; every pattern when ``language`` is
        None or has no patterns of its own ("und", "zh": chrome words of other languages are harmless
        there, and an undetermined text may well be in one of them).
        """
        key = None if language is None else language.lower()
        if key not in self._compiled:
            if key is not None and not any(p.language == key for p in self.patterns):
                self._compiled[key] = self.matchers(None)
                return self._compiled[key]
            chosen = [p for p in self.patterns if key is None or p.language in ("*", key)]
            self._compiled[key] = tuple(
                _combine([p.pattern for p in chosen if p.scope == scope])
                for scope in _BOILERPLATE_SCOPES
            )
        return self._compiled[key]

    def terms(self, kind: str) -> tuple[str, ...]:
        """All terms of one kind, whatever their language, longest first."""
        found = {t for terms in self.header_terms.get(kind, {}).values() for t in terms}
        return tuple(sorted(found, key=lambda t: (-len(t), t)))


@dataclass(frozen=True)
class Abbreviations:
    """Punkt data for one language."""

    abbreviations: frozenset[str]
    sentence_starters: frozenset[str]


def _combine(patterns: Sequence[str]) -> re.Pattern | None:
    if not patterns:
        return None
    return re.compile("|".join(f"(?:{p})" for p in patterns))


def _read_meta(folder: Path, what: str, files: Sequence[str]) -> dict:
    """Read and check ``meta.toml`` of a lexicon folder."""
    required = ("name", "version", "description", "languages", "licence", "sources")
    return datafolder.read_meta(folder, what=what, files=files, required=required)


def _read_table(path: Path, columns: Sequence[str]) -> Iterable[tuple[str, dict[str, str]]]:
    """Yield ("path:line", row) for each data row of a tab-separated table with a header row."""
    for line, row in datafolder.read_rows(path, columns):
        yield f"{path}:{line}", row


def _check_language(where: str, value: str, *, allow_any: bool) -> str:
    if (allow_any and value == "*") or _LANGUAGE_CODE_RE.fullmatch(value):
        return value
    accepted = "an ISO 639-1 code such as en or nl" + (', or "*"' if allow_any else "")
    raise DataError(f"{where}: language {value!r} is not {accepted}")


@functools.lru_cache(maxsize=8)
def _load_boilerplate_cached(folder: Path) -> Boilerplate:
    meta = _read_meta(folder, "boilerplate lexicon", _BOILERPLATE_FILES)
    patterns = []
    for where, row in _read_table(
        folder / "patterns.tsv", ("pattern", "scope", "language", "note")
    ):
        if not row["pattern"]:
            raise DataError(f"{where}: empty pattern")
        try:
            # compiled inside a group, as it will be used, so global inline flags are refused here
            re.compile(f"(?:{row['pattern']})")
        except re.error as exc:
            raise DataError(
                f"{where}: pattern {row['pattern']!r} is not a valid regex ({exc})"
            ) from exc
        if any(ch.isupper() for ch in REGEX_ESCAPE_RE.sub("", row["pattern"])):
            raise DataError(
                f"{where}: pattern {row['pattern']!r} has upper-case letters; patterns are matched "
                f"against lower-cased text, so write them in lower case (escapes such as \\W are fine)"
            )
        if row["scope"] not in _BOILERPLATE_SCOPES:
            raise DataError(
                f"{where}: scope {row['scope']!r}; accepted: {list(_BOILERPLATE_SCOPES)}"
            )
        language = _check_language(where, row["language"], allow_any=True)
        patterns.append(
            BoilerplatePattern(row["pattern"], row["scope"], language, row["note"], where)
        )
    terms: dict[str, dict[str, list[str]]] = {}
    for where, row in _read_table(
        folder / "header_terms.tsv", ("term", "kind", "language", "note")
    ):
        if not row["term"]:
            raise DataError(f"{where}: empty term")
        if row["kind"] not in _HEADER_KINDS:
            raise DataError(f"{where}: kind {row['kind']!r}; accepted: {list(_HEADER_KINDS)}")
        language = _check_language(where, row["language"], allow_any=True)
        terms.setdefault(row["kind"], {}).setdefault(language, []).append(row["term"].lower())
    frozen = {k: {lang: tuple(v) for lang, v in d.items()} for k, d in terms.items()}
    return Boilerplate(f"{meta['name']}-v{meta['version']}", folder, tuple(patterns), frozen)


def load_boilerplate(name_or_path: str | Path | None = None) -> Boilerplate:
    """Load and validate a boilerplate lexicon folder.

    Parameters
    ----------
    name_or_path : str or Path, optional
        A folder, or the name of a folder under ``paths.lexicons_dir()``; default
        ``BOILERPLATE_LEXICON``.

    Returns
    -------
    Boilerplate
        Patterns and header terms. Loaded once per folder and process.

    Raises
    ------
    DataError
        When a file is missing or a row is wrong; the message names the file and line.
    """
    if name_or_path is None:
        # Called once per article: skip resolving the default folder's path every time.
        return _default_boilerplate(os.environ.get(paths.LEXICONS_ENV))
    folder = datafolder.resolve(name_or_path, what="boilerplate lexicon").resolve()
    return _load_boilerplate_cached(folder)


@functools.lru_cache(maxsize=4)
def _default_boilerplate(lexicons_env: str | None) -> Boilerplate:
    """The default boilerplate lexicon, cached per value of ``$FRAMING_LEXICONS``."""
    folder = datafolder.resolve(BOILERPLATE_LEXICON, what="boilerplate lexicon")
    return _load_boilerplate_cached(folder.resolve())


@functools.lru_cache(maxsize=8)
def _load_abbreviations_cached(folder: Path) -> dict[str, Abbreviations]:
    _read_meta(folder, "abbreviations lexicon", _ABBREVIATIONS_FILES)
    found: dict[str, dict[str, set[str]]] = {}
    columns = ("language", "kind", "term", "note")
    for where, row in _read_table(folder / "abbreviations.tsv", columns):
        language = _check_language(where, row["language"], allow_any=False)
        kind, term = row["kind"], row["term"].lower()
        if kind not in _ABBREVIATION_KINDS:
            raise DataError(f"{where}: kind {kind!r}; accepted: {list(_ABBREVIATION_KINDS)}")
        if not term or any(ch.isspace() for ch in term):
            raise DataError(f"{where}: term {row['term']!r} must be one non-empty token")
        if kind == "abbreviation" and term.endswith("."):
            raise DataError(
                f"{where}: abbreviation {row['term']!r} ends in a period; write it without the "
                f"final period (U.S. -> U.S, d.w.z. -> d.w.z)"
            )
        if kind == "sentence_starter" and not term.isalpha():
            raise DataError(
                f"{where}: sentence starter {row['term']!r} must be one word of letters"
            )
        found.setdefault(language, {k: set() for k in _ABBREVIATION_KINDS})[kind].add(term)
    return {
        lang: Abbreviations(frozenset(d["abbreviation"]), frozenset(d["sentence_starter"]))
        for lang, d in found.items()
    }


def load_abbreviations(name_or_path: str | Path | None = None) -> dict[str, Abbreviations]:
    """Load and validate an abbreviations lexicon folder (default ``ABBREVIATIONS_LEXICON``).

    ``name_or_path`` and the errors are as for :func:`load_boilerplate`.

    Returns
    -------
    dict
        Language code -> ``Abbreviations`` (lower-case abbreviations without their final period, and
        sentence starters).
    """
    name = ABBREVIATIONS_LEXICON if name_or_path is None else name_or_path
    folder = datafolder.resolve(name, what="abbreviations lexicon").resolve()
    return _load_abbreviations_cached(folder)


# ================================================================================================
# Cleaners: str -> str
# ================================================================================================
def normalize_unicode(text: str, *, form: str = "NFC") -> str:
    """Remove zero-width characters, BOMs, soft hyphens, bidi and other controls; compose to ``form``."""
    text = INVISIBLE_RE.sub("", text)
    if _FORMAT_CHAR_RE.search(text):
        text = JOINER_IN_LATIN_RE.sub("", BIDI_CONTROL_RE.sub("", text))
    return text if unicodedata.is_normalized(form, text) else unicodedata.normalize(form, text)


def normalize_whitespace(text: str) -> str:
    """Turn odd spaces into spaces and line breaks into "\\n"; collapse spaces; trim every line."""
    text = LINE_BREAK_RE.sub("\n", text.replace("\u2029", "\n\n"))
    text = MULTI_SPACE_RE.sub(" ", ODD_SPACE_RE.sub(" ", text))
    return SPACE_AROUND_NEWLINE_RE.sub("\n", text).strip(" ")


def _paragraph_or_wrap(match: re.Match) -> str:
    text, i = match.string, match.start()
    if text[i + 1].islower() and text[i - 1] not in SENTENCE_FINAL_CHARS:
        return " "  # hard wrap inside a sentence
    return "\n\n"


def normalize_paragraphs(text: str) -> str:
    """Make each line a paragraph ("\\n\\n"), joining hard-wrapped lines of one sentence with a space."""
    return SINGLE_NEWLINE_RE.sub(_paragraph_or_wrap, text)


def tidy_paragraphs(text: str) -> str:
    """Leave exactly one blank line between paragraphs and none at either end."""
    return PARAGRAPH_BREAK_RE.sub("\n\n", text).strip()


def _boilerplate_flags(
    blocks: Sequence[str], line_re: re.Pattern | None, para_re: re.Pattern | None
) -> list[bool]:
    flags = []
    for block in blocks:
        n = len(block)
        # lower-cased once here: a case-sensitive regex on lower-case text is ~3x faster than
        # re.IGNORECASE, and the patterns are checked to be lower case when loaded
        low = block.lower() if n <= PARAGRAPH_MAX_CHARS else ""
        hit = (
            line_re is not None and n <= LINE_MAX_CHARS and line_re.fullmatch(low) is not None
        ) or (para_re is not None and n <= PARAGRAPH_MAX_CHARS and para_re.search(low) is not None)
        flags.append(hit)
    return flags


def _ad_block_removals(blocks: Sequence[str], matched: Sequence[bool]) -> list[bool]:
    """Apply the ad-block rule (module docstring) to the blocks and their matched flags."""
    n = len(blocks)
    remove = list(matched)
    short = [len(b.split()) <= AD_SHORT_WORDS for b in blocks]
    # index of the last unmatched body-text block: a run before it sits mid-article
    last_body = max(
        (i for i in range(n) if not matched[i] and _is_body_line(blocks[i])), default=-1
    )
    i = 0
    while i < n:
        if not matched[i]:
            i += 1
            continue
        start, end, hits = i, i, 1  # run [start, end]
        while True:
            if end + 1 < n and matched[end + 1]:
                end, hits = end + 1, hits + 1
            elif (
                end + 2 < n
                and matched[end + 2]
                and short[end + 1]
                and TEXT_END_RE.search(blocks[end + 1]) is None
            ):
                remove[end + 1] = True  # a label sandwiched between two matched blocks
                end, hits = end + 2, hits + 1
            else:
                break
        if hits >= AD_MIN_MATCHES and last_body > end:
            j = start - 1
            while j >= 0 and start - j <= AD_LEAD_BLOCKS and not matched[j] and short[j]:
                remove[j] = True
                j -= 1
        i = end + 1
    return remove


def remove_boilerplate(
    text: str, *, language: str | None = None, lexicon: Boilerplate | None = None
) -> str:
    """Remove the lines that are site chrome (boilerplate lexicon + ad-block rule); keep the layout."""
    line_re, para_re = (lexicon or load_boilerplate()).matchers(language)
    if line_re is None and para_re is None:
        return text
    lines = text.split("\n")
    index = [i for i, line in enumerate(lines) if line.strip()]
    blocks = [lines[i].strip() for i in index]
    matched = _boilerplate_flags(blocks, line_re, para_re)
    if not any(matched):
        return text
    remove = _ad_block_removals(blocks, matched)
    dropped = {i for i, r in zip(index, remove, strict=True) if r}
    return "\n".join(line for i, line in enumerate(lines) if i not in dropped)


def clean_text(text: str, *, language: str | None = None) -> str:
    """Return ``text`` normalised, with site chrome and boilerplate removed, whitespace tidied.

    Parameters
    ----------
    text : str
        Raw article text.
    language : str, optional
        ISO 639-1 code: which language's boilerplate patterns apply besides the universal ones;
        None, or a code without patterns of its own ("und"), applies every language's patterns.

    Returns
    -------
    str
        Paragraphs separated by one blank line ("\\n\\n"); no other line breaks.

    Examples
    --------
    >>> clean_text("Markets rose\\u00a0today.\\nADVERTISEMENT\\n\\n\\nShares   fell later.", language="en")
    'Markets rose today.\\n\\nShares fell later.'
    """
    if not isinstance(text, str):
        raise TypeError(f"clean_text expects str, got {type(text).__name__}")
    text = normalize_paragraphs(normalize_whitespace(normalize_unicode(text)))
    return tidy_paragraphs(remove_boilerplate(text, language=language))


# ================================================================================================
# Header
# ================================================================================================
def _find_date(line: str) -> str | None:
    """The first date stated in ``line`` as "YYYY-MM-DD", or None."""
    for m in ISO_DATE_RE.finditer(line):
        try:
            return dt.date(int(m[1]), int(m[2]), int(m[3])).isoformat()
        except ValueError:
            continue
    for m in TEXT_DATE_RE.finditer(line):
        from dateutil import parser as date_parser  # imported here: rarely needed

        try:
            # default day/month never used: the regex demands day, month and year
            return date_parser.parse(m[0], default=dt.datetime(2000, 1, 1)).date().isoformat()
        except (ValueError, OverflowError):
            continue
    return None


def _starts_with(text: str, terms: Sequence[str]) -> bool:
    low = text.lower()
    return any(
        low.startswith(t) and (len(low) == len(t) or not low[len(t)].isalnum()) for t in terms
    )


def _outlet_from_dateline(line: str, lexicon: Boilerplate) -> str | None:
    labels, bylines, editions = (lexicon.terms(k) for k in ("date_label", "byline", "edition"))
    for part in DATELINE_SEP_RE.split(line):
        part = part.strip(" :,;")
        if (
            not part
            or _find_date(part)
            or any(ch.isdigit() for ch in part)
            or _starts_with(part, labels)
            or _starts_with(part, bylines)
            or not LETTER_RE.search(part)
            or len(part.split()) > OUTLET_MAX_WORDS
        ):
            continue
        words = part.split()
        while len(words) > 1 and words[-1].lower().strip(".,") in editions:
            words.pop()
        return " ".join(words)
    return None


def _is_body_line(line: str) -> bool:
    n = len(line.split())
    return n >= BODY_LONG_WORDS or (
        n >= BODY_MIN_WORDS and SENTENCE_END_RE.search(line) is not None
    )


def _is_chrome_line(line: str, lexicon: Boilerplate) -> bool:
    line_re, _ = lexicon.matchers(None)
    return (
        line_re is not None
        and len(line) <= LINE_MAX_CHARS
        and line_re.fullmatch(line.lower()) is not None
    )


def extract_header(raw: str) -> tuple[dict[str, str | None], str]:
    """Split a plain-text article into the metadata it states (outlet, published, title) and its body.

    Parameters
    ----------
    raw : str
        The text of a plain-text article file, as read.

    Returns
    -------
    (meta, body) : tuple
        ``meta`` is ``{"outlet": str | None, "published": "YYYY-MM-DD" | None, "title": str | None}``,
        None where the text states nothing; ``body`` is the text without the header lines that were
        used or dropped (Unicode and whitespace normalised, not otherwise cleaned).

    Examples
    --------
    >>> meta, body = extract_header(
    ...     "World | Asia\\nFloods close schools across the northern provinces\\n"
    ...     "Example Post | Updated: 2024-03-01\\nHeavy rain closed more than two hundred schools on Friday.")
    >>> meta
    {'outlet': 'Example Post', 'published': '2024-03-01', 'title': 'Floods close schools across the northern provinces'}
    >>> body
    'Heavy rain closed more than two hundred schools on Friday.'
    """
    meta: dict[str, str | None] = {"outlet": None, "published": None, "title": None}
    text = normalize_whitespace(normalize_unicode(raw))
    lines = text.split("\n")
    nonempty = [i for i, line in enumerate(lines) if line][:HEADER_MAX_LINES]
    body_at = next((i for i in nonempty if _is_body_line(lines[i])), None)
    if body_at is None:
        return meta, text.strip("\n")
    lexicon = load_boilerplate()
    header = [i for i in nonempty if i < body_at]
    datelines = [
        i for i in header if len(lines[i].split()) <= DATELINE_MAX_WORDS and _find_date(lines[i])
    ]
    for i in datelines:
        meta["published"] = meta["published"] or _find_date(lines[i])
        meta["outlet"] = meta["outlet"] or _outlet_from_dateline(lines[i], lexicon)
    bylines = [
        i
        for i in header
        if i not in datelines
        and len(lines[i].split()) <= OUTLET_MAX_WORDS
        and _starts_with(lines[i], lexicon.terms("byline"))
    ]
    candidates = [i for i in header if i not in datelines and i not in bylines]
    body_from = 0
    if candidates:
        i = candidates[-1]
        line = lines[i]
        n = len(line.split())
        if (
            TITLE_MIN_WORDS <= n <= TITLE_MAX_WORDS
            and line[-1] not in ".:"
            and LETTER_RE.search(line)
            and not _is_chrome_line(line, lexicon)
        ):
            meta["title"] = line
            body_from = i + 1
    drop = set(datelines) | set(bylines)
    body = "\n".join(line for i, line in enumerate(lines) if i >= body_from and i not in drop)
    return meta, body.strip("\n")


# ================================================================================================
# Sentences
# ================================================================================================
def _punkt_language(language: str | None) -> str:
    return _punkt_language_cached(language, os.environ.get(paths.LEXICONS_ENV))


@functools.lru_cache(maxsize=256)
def _punkt_language_cached(language: str | None, lexicons_env: str | None) -> str:
    # Cached per value of $FRAMING_LEXICONS, like _default_boilerplate: finding the lexicon folder
    # costs a path resolution, once per article before.
    code = (language or "").lower()
    return code if code in load_abbreviations() else FALLBACK_LANGUAGE


class _Decisions(dict):
    """Memo of a Punkt tokenizer's answer per candidate context, with a shortcut (see
    :func:`_punkt`)."""

    __slots__ = ("decide", "abbreviations")

    def __init__(self, decide: Callable[[str], bool], abbreviations: frozenset[str]) -> None:
        super().__init__()
        self.decide = decide
        self.abbreviations = abbreviations

    def __missing__(self, context: str) -> bool:
        if len(self) >= PUNKT_MEMO_LIMIT:
            self.clear()
        plain = PLAIN_END_RE.match(context)
        if plain is not None and plain.group(1) not in self.abbreviations:
            value = True
        else:
            value = self.decide(context)
        self[context] = value
        return value


@functools.cache
def _stdlib_punkt_classes():
    """nltk's ``PunktLanguageVars`` and ``PunktToken`` with their patterns compiled by :mod:`re`.

    nltk 3.10 compiles every pattern with the ``regex`` engine and runs each call under a
    wall-clock timeout, a backstop against patterns a caller supplies. These are nltk's own fixed
    patterns (the same sources, flags and meaning), run once per paragraph, candidate break and
    token; through the guard they took a third of the splitting time. The spans are nltk's:
    ``tests/test_preprocess.py`` compares them with a tokenizer built with nltk's own classes.
    Returns (language variables, token class) for ``PunktSentenceTokenizer``.
    """
    from nltk.tokenize.punkt import PunktLanguageVars, PunktToken

    non_punct = re.compile(r"[^\W\d]")

    class _Token(PunktToken):
        __slots__ = ()
        _RE_ELLIPSIS = re.compile(r"\.\.+$")
        _RE_NUMERIC = re.compile(r"^-?[\.,]?\d[\d,\.-]*\.?$")
        _RE_INITIAL = re.compile(r"[^\W\d]\.$")
        _RE_ALPHA = re.compile(r"[^\W\d]+$")

        @property
        def is_non_punct(self):
            return non_punct.search(self.type)

    class _Vars(PunktLanguageVars):
        __slots__ = ()
        re_boundary_realignment = re.compile(PunktLanguageVars.re_boundary_realignment.pattern,
                                             re.MULTILINE)

        def _word_tokenizer_re(self):
            return self._compiled("_re_word_tokenizer", lambda: self._word_tokenize_fmt % {
                "NonWord": self._re_non_word_chars, "MultiChar": self._re_multi_char_punct,
                "WordStart": self._re_word_start})

        def period_context_re(self):
            return self._compiled("_re_period_context", lambda: self._period_context_fmt % {
                "NonWord": self._re_non_word_chars, "SentEndChars": self._re_sent_end_chars})

        def _compiled(self, slot: str, source):
            # Compiled once and kept in the slot of nltk's class, as nltk does.
            try:
                return getattr(self, slot)
            except AttributeError:
                setattr(self, slot, re.compile(source(), re.UNICODE | re.VERBOSE))
                return getattr(self, slot)

    return _Vars(), _Token


@functools.cache
def _punkt(language: str):
    """One tokenizer per language, built once per process, its decisions memoised.

    Punkt looks at every ``. ? !`` followed by a space or closing punctuation and asks
    ``text_contains_sentbreak`` about a short context: the word before, the mark, what follows
    ("Mr. Trump", "said. The"). It was 60% of the splitting time. Two savings, same spans:

    - Without training data (no collocations, no orthographic statistics; the parameters never
      change while tokenizing) the answer depends on that string alone, and a third of the
      contexts recur, so answers are remembered per context.
    - Seven in ten distinct contexts are a plain lower-case word (ASCII letters, at least two, not
      an abbreviation) + mark + more text (``PLAIN_END_RE``). Punkt always answers yes to those:
      the word is one token that its first pass marks as a sentence break, which no later rule
      revisits (they concern abbreviations, ellipses, initials and numbers), and a token follows.
      That answer is given without asking; ``tests/test_preprocess.py`` checks it against Punkt.
    """
    from nltk.tokenize.punkt import PunktParameters, PunktSentenceTokenizer

    data = load_abbreviations().get(language) or Abbreviations(frozenset(), frozenset())
    params = PunktParameters()
    params.abbrev_types = set(data.abbreviations)
    params.sent_starters = set(data.sentence_starters)
    lang_vars, token_cls = _stdlib_punkt_classes()
    tokenizer = PunktSentenceTokenizer(params, lang_vars=lang_vars, token_cls=token_cls)
    # An instance attribute shadows the method that span_tokenize calls for each candidate.
    decisions = _Decisions(tokenizer.text_contains_sentbreak, frozenset(params.abbrev_types))
    tokenizer.text_contains_sentbreak = decisions.__getitem__
    return tokenizer


def _strip_span(text: str, start: int, end: int) -> tuple[int, int]:
    piece = text[start:end]
    stripped = piece.lstrip()
    start += len(piece) - len(stripped)
    return start, start + len(stripped.rstrip())


def split_sentences(text: str, *, language: str = "en") -> list[tuple[int, int]]:
    """Return the (start, end) character spans of the sentences of ``text``.

    Parameters
    ----------
    text : str
        Any text; a blank line is a paragraph break and always a sentence break.
    language : str
        ISO 639-1 code choosing the abbreviation list; codes without one use ``FALLBACK_LANGUAGE``.

    Returns
    -------
    list of (int, int)
        Spans into ``text``, in order, without surrounding whitespace; ``text[start:end]`` is a
        sentence.

    Examples
    --------
    >>> text = "Mr. Smith met U.S. officials. They talked.\\n\\nA new paragraph"
    >>> [text[s:e] for s, e in split_sentences(text)]
    ['Mr. Smith met U.S. officials.', 'They talked.', 'A new paragraph']
    """
    tokenizer = _punkt(_punkt_language(language))
    spans: list[tuple[int, int]] = []
    bounds = [0]
    for m in PARAGRAPH_BREAK_RE.finditer(text):
        bounds += [m.start(), m.end()]
    bounds.append(len(text))
    for p_start, p_end in zip(bounds[::2], bounds[1::2], strict=True):
        start, end = _strip_span(text, p_start, p_end)
        if start >= end:
            continue
        paragraph = text[start:end]
        if PUNKT_END_RE.search(paragraph.rstrip(PARAGRAPH_TAIL_CHARS)) is None:
            # no . ? ! before the closing punctuation: Punkt would find no break (a fast path
            # taken by most one-sentence paragraphs, with the same result)
            spans.append((start, end))
            continue
        first = len(spans)
        for s, e in tokenizer.span_tokenize(paragraph):
            s, e = _strip_span(paragraph, s, e)
            if s >= e:
                continue
            if len(spans) > first and ALNUM_RE.search(paragraph, s, e) is None:
                # a lone closing quote or "!" that Punkt split off belongs to the sentence before
                spans[-1] = (spans[-1][0], start + e)
            else:
                spans.append((start + s, start + e))
    return spans


def split_articles(articles: pd.DataFrame) -> pd.DataFrame:
    """Sentence table (``schema.SENTENCE_COLUMNS``) for the articles whose status is processed.

    Parameters
    ----------
    articles : DataFrame
        Article table with at least ``article_id``, ``title``, ``text``, ``language``, ``status``.
        Rows whose status is not in ``schema.PROCESSED_STATUSES`` are skipped.

    Returns
    -------
    DataFrame
        One row per sentence: the title (when not empty) is ``sent_id`` 0, section "title", kept
        whole; body sentences count from 1, section "body". ``start``/``end`` index the section
        string and ``text == section_string[start:end]``. The row's ``language`` picks the
        abbreviations (``FALLBACK_LANGUAGE`` when it has none).

    Raises
    ------
    DataError
        When a required column is missing.
    """
    required = ("article_id", "title", "text", "language", "status")
    missing = [c for c in required if c not in articles.columns]
    if missing:
        raise DataError(
            f"split_articles: the article table lacks columns {missing}; "
            f"it has {list(articles.columns)} and needs {list(required)}"
        )
    todo = articles.loc[articles["status"].isin(PROCESSED_STATUSES)]
    out: dict[str, list] = {c: [] for c in SENTENCE_COLUMNS}

    def add(article_id: str, sent_id: int, section: str, start: int, end: int, string: str) -> None:
        out["article_id"].append(article_id)
        out["sent_id"].append(sent_id)
        out["section"].append(section)
        out["start"].append(start)
        out["end"].append(end)
        out["text"].append(string[start:end])

    rows = zip(todo["article_id"], todo["title"], todo["text"], todo["language"], strict=True)
    for article_id, title, text, language in rows:
        article_id = str(article_id)
        title = title if isinstance(title, str) else ""
        text = text if isinstance(text, str) else ""
        start, end = _strip_span(title, 0, len(title))
        if start < end:
            add(article_id, 0, "title", start, end, title)
        lang = language if isinstance(language, str) else FALLBACK_LANGUAGE
        for sent_id, (s, e) in enumerate(split_sentences(text, language=lang), start=1):
            add(article_id, sent_id, "body", s, e, text)
    table = pd.DataFrame(out, columns=list(SENTENCE_COLUMNS))
    return table.astype(
        {
            "article_id": "str",
            "sent_id": "int64",
            "section": "str",
            "start": "int64",
            "end": "int64",
            "text": "str",
        }
    )
