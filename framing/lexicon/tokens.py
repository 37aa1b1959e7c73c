"""Tokens, keys and stems: a chunk of text cut into units, and the matching string of a chunk.

The rules (tokens, breaks, stems) are those documented in :mod:`framing.lexicon`. Text and terms
go through the same :class:`_Normaliser`, so a term's stemmed form (checked when a lexicon is
loaded) is the form the matcher looks for.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from typing import Any

from nltk.stem.snowball import SnowballStemmer

#: ISO 639-1 code -> name of nltk's Snowball stemmer (pure Python, needs no download).
SNOWBALL_LANGUAGES: dict[str, str] = {
    "ar": "arabic",
    "da": "danish",
    "de": "german",
    "en": "english",
    "es": "spanish",
    "fi": "finnish",
    "fr": "french",
    "hu": "hungarian",
    "it": "italian",
    "nb": "norwegian",
    "nl": "dutch",
    "no": "norwegian",
    "pt": "portuguese",
    "ro": "romanian",
    "ru": "russian",
    "sv": "swedish",
}

#: The token a break (punctuation, line break) becomes in the matching string.
BREAK = "¦"
#: A word token: letters/digits plus combining marks, soft hyphens, hyphens and apostrophes.
_WORD_RE = re.compile(r"[\w\u0300-\u036f\u00ad'’‘ʼ\-‐‑]+")
#: Inside a separator, any character other than these (tab, no-break spaces, quotation marks)
#: is a break. A line break is a break: headlines and list items often lack a full stop.
_BREAK_CHAR_RE = re.compile(r"[^\t\u00a0\u2009\u202f\"“”„‟«»‹›`´]")
_EDGE_CHARS = "'’‘ʼ-‐‑\u00ad"
_KEY_TABLE = str.maketrans({c: None for c in _EDGE_CHARS})
_UNIFY_TABLE = str.maketrans({"’": "'", "‘": "'", "ʼ": "'"})
#: Distinct chunks remembered per language before the memo is emptied (bounds memory).
_CACHE_LIMIT = 2_000_000
#: Joins the units of one chunk in a matching string ("isn't" -> "is" _JOIN "nt").
_JOIN = "\x1f"


class _Memo(dict):
    """A dict that computes missing values with ``fn`` (fast ``map(memo.__getitem__, ...)``)."""

    __slots__ = ("fn",)

    def __init__(self, fn: Any) -> None:
        super().__init__()
        self.fn = fn

    def __missing__(self, key: str) -> Any:
        if len(self) >= _CACHE_LIMIT:
            self.clear()
        value = self[key] = self.fn(key)
        return value


def _word_units(word: str, offset: int) -> list[tuple[str, int, int]]:
    """Split one word token into (key, start, end) units; see :mod:`framing.lexicon`."""
    core = word.strip(_EDGE_CHARS)
    if not core:
        # A lone dash is punctuation; lone apostrophes are quotation marks.
        return [(BREAK, offset, offset + len(word))] if any(c in "-‐‑" for c in word) else []
    start = offset + len(word) - len(word.lstrip(_EDGE_CHARS))
    unified = core.translate(_UNIFY_TABLE)
    if unified.lower().endswith("n't"):
        # English contraction: "isn't" -> "is" + "n't" (the negator is a token of its own).
        head = _word_units(core[:-3], start) if len(core) > 3 else []
        return [*head, (_key(core[-3:]), start + len(core) - 3, start + len(core))]
    units: list[tuple[str, int, int]] = []
    # French elision (l', d', qu'...): split after a short head.
    cut = unified.find("'")
    while cut > 0:
        head, tail = unified[:cut], unified[cut + 1 :]
        if not (len(head) <= 2 or head.lower().endswith("qu")) or tail.lower() == "s":
            break
        units.append((_key(head), start, start + cut))
        start += cut + 1
        core, unified = core[cut + 1 :], unified[cut + 1 :]
        cut = unified.find("'")
    lower = unified.lower()
    key = _key(core[:-2] if lower.endswith("'s") and len(lower) > 2 else core)
    if key:
        units.append((key, start, start + len(core)))
    return units


def _key(surface: str) -> str:
    """The matching key of a token: NFC, lower case, without hyphens and apostrophes."""
    return unicodedata.normalize("NFC", surface.translate(_KEY_TABLE)).lower()


def _units(chunk: str) -> list[tuple[str, int, int]]:
    """Units (key, start, end) of a space-free chunk: word keys and breaks; never empty."""
    units: list[tuple[str, int, int]] = []
    pos = 0
    for m in _WORD_RE.finditer(chunk):
        s, e = m.span()
        if s > pos and _BREAK_CHAR_RE.search(chunk, pos, s):
            units.append((BREAK, pos, s))
        units.extend(_word_units(m.group(), s))
        pos = e
    if pos < len(chunk) and _BREAK_CHAR_RE.search(chunk, pos):
        units.append((BREAK, pos, len(chunk)))
    # An empty chunk (double space, a lone quotation mark) becomes a break so that every chunk
    # has at least one unit; a multiword term does not span it.
    return units or [(BREAK, 0, len(chunk))]


class _Normaliser:
    """Per language: the matching string of a chunk (stems, or surface keys), and memos.

    In a matching string, the units of one chunk are joined by :data:`_JOIN` and chunks by a
    space, so that a position tells its chunk by counting spaces (no per-text tables).

    Memos at three levels, because each is far smaller than the one above it: distinct chunks
    ("China's," "(China"; kept by each :class:`~framing.lexicon.matcher._Matcher`, which adds its
    prefix-wildcard matches), distinct word tokens ("China's"), distinct keys ("china"; their
    stems). A chunk seen for the first time is rendered from the renderings of its word tokens, so
    the work per new chunk is one regex pass; the units with their offsets
    (:meth:`~framing.lexicon.matcher._Doc.unit`) are computed only for the few chunks that hold a
    hit.
    """

    def __init__(self, language: str, stem: bool) -> None:
        self.language = language
        self.stem = stem
        stemmer = SnowballStemmer(SNOWBALL_LANGUAGES[language]) if stem else None
        self.word = _Memo(stemmer.stem if stemmer else str)
        self.token = _Memo(self._render_token)
        self.units = _Memo(_units)

    def word_stem(self, key: str) -> str:
        return key if key == BREAK else self.word[key]

    def _render_token(self, word: str) -> tuple[str, str]:
        """(stem string, surface string) of one word token; empty strings when it has no unit."""
        keys = [k for k, _, _ in _word_units(word, 0)]
        return _JOIN.join([self.word_stem(k) for k in keys]), _JOIN.join(keys)

    def render(self, chunk: str) -> tuple[str, str]:
        """The matching strings of a chunk: of its units' stems, and of their keys (surface)."""
        # The units of _units(chunk), rendered without building them: the same regex pass, with
        # each word token's renderings taken from the token memo.
        token = self.token
        stems: list[str] = []
        keys: list[str] = []
        pos = 0
        for m in _WORD_RE.finditer(chunk):
            s, e = m.span()
            if s > pos and _BREAK_CHAR_RE.search(chunk, pos, s):
                stems.append(BREAK)
                keys.append(BREAK)
            stem, key = token[m.group()]
            if stem:
                stems.append(stem)
            if key:
                keys.append(key)
            pos = e
        if pos < len(chunk) and _BREAK_CHAR_RE.search(chunk, pos):
            stems.append(BREAK)
            keys.append(BREAK)
        return _JOIN.join(stems) if stems else BREAK, _JOIN.join(keys) if keys else BREAK


@cache
def _normaliser(language: str, stem: bool) -> _Normaliser:
    # Shared by all lexicons: tokens and stems do not depend on the lexicon.
    return _Normaliser(language, stem)
