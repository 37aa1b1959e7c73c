"""Whose voice a mention sits in: the author's narration, or someone else's reported words.

Every mention row gets a ``voice``:

``author``
    The sentence carries no attribution (no reporting verb, attribution phrase or quotation):
    the narration speaks.
``quoted``
    The target's words sit inside quotation marks: someone else's words about (or naming) it.
``reported``
    The sentence attributes words or a view to someone (a reporting verb such as "said",
    "accused", "warned"; "according to", "volgens"; a quotation elsewhere in the sentence), and
    the target is what is talked about, not the one who talks.
``speaker``
    The target is the one who talks: it stands just before a reporting verb ("Beijing said",
    "Washington accused ..."), just after an inverted one (", said the US ambassador") or after
    an attribution phrase ("according to Brussels", "volgens de VS"). A stance in such a sentence
    is the target's own (toward something else, or itself), not a stance toward the target.

The cues are data (``lexicons/voice-v1``: verbs, phrases and quotation-mark pairs per language);
the rules are word-distance rules, not a parser. Measured against the coded holders of the state
set (``codebook-state-v1``), see README Results.
"""

from __future__ import annotations

import functools
import re
from bisect import bisect_left, bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from framing.infra import datafolder
from framing.infra.defaults import DEFAULT_VOICE_CUES
from framing.infra.errors import DataError

__all__ = ["VOICES", "VOICE_FEATURES", "VOICE_LEXICON", "VoiceCues", "add_voice", "load_voice_cues",
           "mention_voice", "voice_features"]

#: The voices a mention can have, in this order.
VOICES: tuple[str, ...] = ("author", "reported", "quoted", "speaker")
#: Feature columns of :func:`voice_features` (one-hot; the author's voice is all zeros).
VOICE_FEATURES: tuple[str, ...] = ("voice__reported", "voice__quoted", "voice__speaker")
#: The default cue lexicon folder (under ``config.lexicons_dir()``).
VOICE_LEXICON = DEFAULT_VOICE_CUES
#: Kinds of rows in ``cues.tsv``.
CUE_KINDS: tuple[str, ...] = ("verb", "phrase", "quote")
#: Words a speaker may stand before its reporting verb ("China's foreign ministry has said").
SPEAKER_BEFORE_VERB = 4
#: Words an inverted speaker may stand after its verb (", said the US ambassador").
SPEAKER_AFTER_VERB = 3
#: Words a source may stand after an attribution phrase ("according to the Chinese embassy").
SPEAKER_AFTER_PHRASE = 3

_WORD_RE = re.compile(r"\w+(?:[-'’]\w+)*")
_COLUMNS = ("language", "kind", "term", "note")
_CUES_FILE = "cues.tsv"


@dataclass(frozen=True)
class VoiceCues:
    """Reporting verbs and attribution phrases per language, and quotation-mark pairs."""

    verbs: Mapping[str, frozenset[str]]
    phrases: Mapping[str, tuple[tuple[str, ...], ...]]
    quotes: tuple[tuple[str, str], ...]
    name: str = VOICE_LEXICON

    @functools.cached_property
    def _per_language(self) -> dict[str, tuple[frozenset[str], dict[str, tuple[tuple[str, ...], ...]]]]:
        return {}

    def for_language(self, language: str) -> tuple[frozenset[str], dict[str, tuple[tuple[str, ...], ...]]]:
        """(reporting verbs, attribution phrases by their first word) of ``language`` plus the
        ``*`` rows, phrases in file order; built once per language (mention_voice runs per
        mention, and trying every phrase at every word cost a quarter of lexicon scoring)."""
        cached = self._per_language.get(language)
        if cached is None:
            verbs = self.verbs.get(language, frozenset()) | self.verbs.get("*", frozenset())
            by_first: dict[str, list[tuple[str, ...]]] = {}
            for phrase in (*self.phrases.get(language, ()), *self.phrases.get("*", ())):
                by_first.setdefault(phrase[0], []).append(phrase)
            cached = (verbs, {w: tuple(p) for w, p in by_first.items()})
            self._per_language[language] = cached
        return cached


@functools.lru_cache(maxsize=4)
def _load_cached(folder: Path) -> VoiceCues:
    meta = datafolder.read_meta(folder, what="voice lexicon", files=(_CUES_FILE,))
    path = folder / _CUES_FILE
    verbs: dict[str, set[str]] = {}
    phrases: dict[str, list[tuple[str, ...]]] = {}
    quotes: list[tuple[str, str]] = []
    for lineno, row in datafolder.read_rows(path, _COLUMNS):
        language, kind, term = row["language"], row["kind"], row["term"]
        if kind not in CUE_KINDS:
            raise DataError(f"{path}:{lineno}: kind {kind!r}; accepted: {list(CUE_KINDS)}")
        if kind == "quote":
            if len(term) != 2:
                raise DataError(f"{path}:{lineno}: a quote is two characters (opening, closing); got {term!r}")
            quotes.append((term[0], term[1]))
        elif kind == "verb":
            if not _WORD_RE.fullmatch(term) or term != term.lower():
                raise DataError(f"{path}:{lineno}: a verb is one lower-case word; got {term!r}")
            verbs.setdefault(language, set()).add(term)
        else:
            words = tuple(_WORD_RE.findall(term))
            if not words or " ".join(words) != term or term != term.lower():
                raise DataError(f"{path}:{lineno}: a phrase is lower-case words separated by spaces; got {term!r}")
            phrases.setdefault(language, []).append(words)
    return VoiceCues(
        verbs={k: frozenset(v) for k, v in verbs.items()},
        phrases={k: tuple(sorted(v, key=len, reverse=True)) for k, v in phrases.items()},
        quotes=tuple(quotes),
        name=f"{meta.get('name', folder.name)}-v{meta.get('version', '?')}",
    )


def load_voice_cues(name_or_path: str | Path | None = None) -> VoiceCues:
    """Load a voice cue lexicon folder (default ``voice-v1``).

    Examples
    --------
    >>> cues = load_voice_cues()
    >>> "said" in cues.verbs["en"] and ("volgens",) in cues.phrases["nl"]
    True
    """
    name = VOICE_LEXICON if name_or_path is None else name_or_path
    return _load_cached(datafolder.resolve(name, what="voice lexicon").resolve())


def _quote_regions(sentence: str, quotes: Sequence[tuple[str, str]]) -> list[tuple[int, int]]:
    """(start, end) of the text between each opening and its closing quotation mark.

    A quotation often runs over several sentences, so an opening mark without its closing one
    quotes the rest of the sentence, and a closing mark without an opening one (or, for a
    straight mark, an odd one at the end of the sentence) quotes what comes before it.
    """
    regions = []
    for opening, closing in quotes:
        pos, opened = 0, False
        while True:
            start = sentence.find(opening, pos)
            if start < 0:
                break
            # A straight or curly single mark inside a word is an apostrophe, not a quotation.
            if opening in "'‘" and start > 0 and sentence[start - 1].isalnum():
                pos = start + 1
                continue
            opened = True
            end = start + 1
            while True:
                end = sentence.find(closing, end)
                if end < 0 or closing not in "'’" or end + 1 >= len(sentence) or not sentence[end + 1].isalnum():
                    break
                end += 1
            if end < 0:
                if opening not in "'‘":
                    regions.append((start + 1, len(sentence)))
                break
            regions.append((start + 1, end))
            pos = end + 1
        if opening != closing and closing not in "'’" and not opened:
            end = sentence.rfind(closing)
            if end > 0:
                regions.append((0, end))
    return regions


@functools.lru_cache(maxsize=64)
def _words(sentence: str) -> tuple[tuple[tuple[str, int, int], ...], tuple[str, ...], list[int], list[int]]:
    """The words of a sentence (lower case, start, end), their lower-case forms, starts and ends
    (remembered for the next mention of the same sentence)."""
    words = tuple((m.group().lower(), m.start(), m.end()) for m in _WORD_RE.finditer(sentence))
    return words, tuple(w[0] for w in words), [w[1] for w in words], [w[2] for w in words]


def mention_voice(sentence: str, spans: Sequence[Sequence[int]], *, language: str, cues: VoiceCues) -> str:
    """The voice of a target's mention(s) in one sentence (module docstring: the rules).

    Parameters
    ----------
    sentence : str
    spans : sequence of (start, end)
        The target's hits, as offsets within ``sentence``; the first decides.
    language : str
        Picks the verbs and phrases (``*`` rows apply to every language).
    cues : VoiceCues

    Returns
    -------
    str
        One of ``VOICES``.

    Examples
    --------
    >>> cues = load_voice_cues()
    >>> mention_voice("China firmly opposes the US move.", [(25, 27)], language="en", cues=cues)
    'reported'
    >>> mention_voice("China firmly opposes the US move.", [(0, 5)], language="en", cues=cues)
    'speaker'
    >>> mention_voice("The EU signed the deal.", [(4, 6)], language="en", cues=cues)
    'author'
    >>> mention_voice('He called the "US hegemony" a danger.', [(15, 17)], language="en", cues=cues)
    'quoted'
    >>> mention_voice("Volgens Brussel is de regel te streng.", [(8, 15)], language="nl", cues=cues)
    'speaker'
    """
    if not spans:
        return "author"
    start, end = int(spans[0][0]), int(spans[0][1])
    regions = _quote_regions(sentence, cues.quotes)
    if any(a <= start and end <= b for a, b in regions):
        return "quoted"
    words, lowered, starts, ends = _words(sentence)
    verbs, phrases_by_first = cues.for_language(language)
    first = bisect_right(ends, start)  # the first word that ends after the mention's start
    last = bisect_left(starts, end) - 1  # the last word that starts before its end
    if last < 0:
        last = first
    attributed = bool(regions)
    # Only the words that can act are visited (most sentences have no verb or phrase of the list).
    verb_positions = () if verbs.isdisjoint(lowered) else [k for k, w in enumerate(lowered) if w in verbs]
    for k in verb_positions:
        w_start = words[k][1]
        attributed = True
        between = sentence[words[last][2]:w_start] if last < k else ""
        if last < k and k - last - 1 <= SPEAKER_BEFORE_VERB and not re.search(r"[,;:\"“”«»]", between):
            return "speaker"
        before = sentence[:w_start].rstrip()
        if first > k and first - k - 1 <= SPEAKER_AFTER_VERB and before[-1:] in {",", '"', "”", "’", "'", "»"}:
            return "speaker"
    if phrases_by_first.keys().isdisjoint(lowered):
        return "reported" if attributed else "author"
    for k, word in enumerate(lowered):
        for phrase in phrases_by_first.get(word, ()):
            if lowered[k:k + len(phrase)] == phrase:
                attributed = True
                after = k + len(phrase)
                if after <= first and first - after <= SPEAKER_AFTER_PHRASE:
                    return "speaker"
    return "reported" if attributed else "author"


def voice_features(voices) -> pd.DataFrame:
    """One-hot voice columns (``VOICE_FEATURES``) for a classifier that weighs whose words it reads.

    Examples
    --------
    >>> voice_features(["author", "speaker"]).to_numpy().tolist()
    [[0.0, 0.0, 0.0], [0.0, 0.0, 1.0]]
    """
    values = [str(v) for v in voices]
    return pd.DataFrame({name: [float(v == name.split("__")[1]) for v in values] for name in VOICE_FEATURES})


def add_voice(
    mentions: pd.DataFrame,
    sentences: pd.DataFrame,
    languages: Mapping[str, str],
    *,
    cues: VoiceCues | None = None,
) -> pd.DataFrame:
    """The mention table with a ``voice`` column (one of ``VOICES``) for each row.

    Parameters
    ----------
    mentions : DataFrame
        ``schema.MENTION_COLUMNS`` (spans are offsets in the section string).
    sentences : DataFrame
        ``schema.SENTENCE_COLUMNS``: the sentence offsets that turn spans into offsets within
        the sentence.
    languages : mapping
        article id -> language.
    cues : VoiceCues, optional
        Default :func:`load_voice_cues` ().

    Returns
    -------
    DataFrame
        A copy of ``mentions`` with ``voice``.
    """
    cues = cues or load_voice_cues()
    out = mentions.copy()
    if not len(out):
        out["voice"] = pd.Series(dtype=object)
        return out
    offsets = pd.Series(
        sentences["start"].astype("int64").to_numpy(),
        index=pd.MultiIndex.from_arrays([sentences["article_id"].astype(str), sentences["sent_id"].astype("int64")]),
    )
    key = pd.MultiIndex.from_arrays([out["article_id"].astype(str), out["sent_id"].astype("int64")])
    base = offsets.reindex(key).fillna(0).astype("int64").to_numpy()
    voices = []
    for sentence, spans, aid, shift in zip(out["sentence"], out["spans"], out["article_id"], base, strict=True):
        local = [(int(s) - shift, int(e) - shift) for s, e in spans]
        voices.append(mention_voice(str(sentence), local, language=languages.get(str(aid), "en"), cues=cues))
    out["voice"] = voices
    return out
