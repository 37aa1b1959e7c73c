"""Target actors and their aliases, read from a versioned lexicon folder; finding their mentions.

A target set folder (``lexicons/targets-v1/``) holds ``meta.toml``, ``targets.csv``,
``aliases.csv`` and ``exclusions.csv``; its ``meta.toml`` documents the matching rules that
:meth:`TargetSet.find` implements. In short: one Aho-Corasick pass over the folded text (NFKC,
a one-for-one character map, lookalike letters in mixed-script words, lower case) finds every
candidate, then word-boundary and case checks (capitals count in all-caps headlines), exclusion
phrases and "longest hit wins" decide which candidates count. Offsets always index the caller's
original string: where NFKC changes lengths, they are mapped back.

Examples
--------
>>> targets = load_targets("targets-v1")
>>> [(h.target, h.alias) for h in targets.find("Let us ask the U.S. and the EU's envoy.", language="en")]
[('US', 'U.S.'), ('EU', 'EU')]
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import ahocorasick
import numpy as np
import pandas as pd

from framing.infra import datafolder, schema
from framing.infra.defaults import DEFAULT_TARGETS, DEFAULT_VOICE_CUES
from framing.infra.errors import ConfigError, DataError

META_FILE = "meta.toml"
TARGETS_FILE = "targets.csv"
ALIASES_FILE = "aliases.csv"
EXCLUSIONS_FILE = "exclusions.csv"

#: Columns of each table; "note" is optional everywhere, other columns are required.
TARGET_FIELDS: tuple[str, ...] = ("target", "label", "description")
ALIAS_FIELDS: tuple[str, ...] = ("target", "language", "alias", "kind", "case", "note")
EXCLUSION_FIELDS: tuple[str, ...] = ("language", "pattern", "note")
OPTIONAL_FIELDS: frozenset[str] = frozenset({"note", "description"})
META_KEYS: tuple[str, ...] = ("name", "version", "description", "languages", "licence", "sources", "kinds")

CASES: tuple[str, ...] = ("sensitive", "insensitive")
#: Language value of an alias or exclusion that applies to texts in every language.
ALL_LANGUAGES = "*"
#: Language code of a text whose language is not known; all aliases are used for it.
UNDETERMINED = "und"

#: Target ids are short and stable: upper-case letters, digits, underscore; they become column
#: values and file names downstream.
TARGET_ID_PATTERN = re.compile(r"[A-Z][A-Z0-9_]{0,15}")
LANGUAGE_PATTERN = re.compile(r"[a-z]{2,3}")
MAX_ERRORS_SHOWN = 20

#: Length-preserving normalisation applied to texts and aliases alike (meta.toml rule 1): every
#: replacement is one character for one, so offsets in the normalised text are offsets in the
#: original.
_CHAR_MAP: tuple[tuple[str, str], ...] = (
    ("\u2019", "'"), ("\u2018", "'"), ("\u02bc", "'"), ("\u2032", "'"),
    ("\u2010", "-"), ("\u2011", "-"),
    ("\n", " "), ("\t", " "), ("\r", " "), ("\x0b", " "), ("\x0c", " "),
    ("\u00a0", " "), ("\u202f", " "), ("\u2009", " "), ("\u2007", " "),
    ("\u2028", " "), ("\u2029", " "), ("\x85", " "),
)
_SECTIONS: tuple[str, ...] = ("title", "body")

#: ``Hit.flag`` and mention-table ``flag`` of a hit through a mixed-script lookalike word.
MIXED_SCRIPT = "mixed-script"
#: Column :func:`find_mentions` adds last: "" or :data:`MIXED_SCRIPT`.
MENTION_FLAG = "flag"
#: Words with letters an all-caps segment needs before case-sensitive aliases match in capitals.
MIN_CAPS_WORDS = 2
#: Cyrillic and Greek letters drawn like Latin ones (from Unicode's confusables.txt: the letters
#: of those two scripts whose glyph is a Latin letter's), for :func:`_unconfuse`.
_LOOKALIKES = str.maketrans({
    # Cyrillic
    "А": "A", "В": "B", "Е": "E", "К": "K", "М": "M", "Н": "H", "О": "O", "Р": "P", "С": "C",
    "Т": "T", "Х": "X", "У": "Y", "Ѕ": "S", "І": "I", "Ј": "J", "Ԛ": "Q", "Ԝ": "W", "Ү": "Y",
    "а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "у": "y", "х": "x", "ѕ": "s", "і": "i",
    "ј": "j", "һ": "h", "ԁ": "d", "ԛ": "q", "ԝ": "w", "ӏ": "l", "ү": "y",
    # Greek
    "Α": "A", "Β": "B", "Ε": "E", "Ζ": "Z", "Η": "H", "Ι": "I", "Κ": "K", "Μ": "M", "Ν": "N",
    "Ο": "O", "Ρ": "P", "Τ": "T", "Υ": "Y", "Χ": "X", "ο": "o", "ν": "v", "ι": "i", "α": "a",
    "κ": "k", "ρ": "p", "τ": "t", "υ": "u", "χ": "x",
})
_NON_ASCII_RE = re.compile(r"[^\x00-\x7f]+")
_CYRILLIC_GREEK_RE = re.compile("[\u0370-\u03ff\u0400-\u052f]")
_LATIN_RE = re.compile("[A-Za-z\u00c0-\u024f]")
_WORD_RE = re.compile(r"[^\W\d_]+")
_SEGMENT_END_RE = re.compile(r"[.!?\u2026](?![^\W_])|\n|\Z")
#: A dotted initialism: two or more capital letters, each followed by a dot (U.S., E.U., U.S.A.).
_DOTTED_RE = re.compile(r"(?:[A-Z]\.){2,}")


class Target(NamedTuple):
    """One target actor (a row of ``targets.csv``)."""

    target: str
    label: str
    description: str
    source: str  # "path:line" of the row


class Alias(NamedTuple):
    """One surface form of a target (a row of ``aliases.csv``)."""

    target: str
    language: str
    alias: str
    kind: str
    case: str
    note: str
    source: str


class Exclusion(NamedTuple):
    """A phrase inside which an alias hit does not count (a row of ``exclusions.csv``)."""

    language: str
    pattern: str
    note: str
    source: str


class Hit(NamedTuple):
    """One mention: ``text[start:end]`` names ``target`` through the lexicon alias ``alias``."""

    target: str
    start: int
    end: int
    alias: str
    kind: str
    #: "" or :data:`MIXED_SCRIPT`: the surface mixes Latin with Cyrillic or Greek lookalikes.
    flag: str = ""


# --------------------------------------------------------------------------------------------
# Normalisation and matching (pure functions)


def _normalise(text: str) -> str:
    """Apply the one-for-one character map of meta.toml rule 1."""
    for old, new in _CHAR_MAP:
        # `in` first: str.replace always copies, the scan is far cheaper and usually fails.
        if old in text:
            text = text.replace(old, new)
    return text


def _lower_same_length(text: str) -> str:
    """Lower-case ``text`` keeping its length (a few characters, e.g. "İ", grow when lowered)."""
    lowered = text.lower()
    if len(lowered) == len(text):
        return lowered
    return "".join(ch if len(ch.lower()) != 1 else ch.lower() for ch in text)


def _fold(text: str) -> tuple[str, str]:
    """Return (normalised, normalised and lower-cased) ``text``: NFKC, then the character map.

    Used for aliases and exclusion patterns, and as the reference form in tests; a text to search
    goes through :func:`_prepare`, which folds the same way but keeps its offsets.
    """
    normed = _normalise(unicodedata.normalize("NFKC", text))
    return normed, _lower_same_length(normed)


class _Origin(NamedTuple):
    """Where NFKC changed a text: per changed cluster, its folded and original start and length.

    :meth:`at` maps a folded offset to the original one; between changed clusters the two texts
    agree character for character, so only the changed clusters are stored.
    """

    folded_starts: list[int]
    original_starts: list[int]
    folded_lengths: list[int]
    original_lengths: list[int]

    def at(self, position: int) -> int | None:
        """The original offset of folded ``position``, or None inside a cluster that grew."""
        k = bisect.bisect_right(self.folded_starts, position) - 1
        if k < 0:
            return position
        past = position - self.folded_starts[k] - self.folded_lengths[k]
        if past >= 0:
            return self.original_starts[k] + self.original_lengths[k] + past
        return self.original_starts[k] if position == self.folded_starts[k] else None


def _nfkc_with_origin(text: str) -> tuple[str, _Origin | None]:
    """NFKC of ``text``, and where it changed (meta.toml rule 1); None: nothing changed.

    NFKC is applied cluster by cluster (a character and the combining marks after it), so each
    folded character comes from exactly one cluster and offsets can be mapped back
    (:class:`_Origin`). Full-width letters fold one for one, a ligature ("ﬁ") or an ellipsis
    grows, a letter with a combining accent shrinks. ASCII or already-NFKC text (the common
    case) is returned as is.
    """
    if text.isascii() or unicodedata.is_normalized("NFKC", text):
        return text, None
    parts: list[str] = []
    origin = _Origin([], [], [], [])
    done = 0
    shift = 0  # folded length minus original length so far
    for match in _NON_ASCII_RE.finditer(text):
        start = match.start()
        if start and unicodedata.combining(text[start]):
            start -= 1  # a combining mark after an ASCII letter belongs to that letter
        piece = text[start:match.end()]
        if unicodedata.is_normalized("NFKC", piece):
            continue
        parts.append(text[done:start])
        cluster = 0
        for i in range(1, len(piece) + 1):
            if i == len(piece) or not unicodedata.combining(piece[i]):
                original = piece[cluster:i]
                folded = unicodedata.normalize("NFKC", original)
                if folded != original:
                    origin.folded_starts.append(start + cluster + shift)
                    origin.original_starts.append(start + cluster)
                    origin.folded_lengths.append(len(folded))
                    origin.original_lengths.append(len(original))
                    shift += len(folded) - len(original)
                parts.append(folded)
                cluster = i
        done = match.end()
    parts.append(text[done:])
    return "".join(parts), origin


def _unconfuse(text: str) -> tuple[str, list[tuple[int, int]]]:
    """Map Cyrillic and Greek lookalikes to Latin inside mixed-script words (same length).

    A mixed-script word has Latin letters and at least one letter of :data:`_LOOKALIKES`
    ("Сhina" with a Cyrillic С). Words written wholly in Cyrillic or Greek are left alone: they
    are words of those languages. Returns the mapped text and the spans of the words changed.
    """
    if text.isascii() or not _CYRILLIC_GREEK_RE.search(text):
        return text, []
    changed: list[tuple[int, int]] = []
    pieces: list[str] = []
    done = 0
    for match in _WORD_RE.finditer(text):
        word = match.group()
        if not _LATIN_RE.search(word) or not _CYRILLIC_GREEK_RE.search(word):
            continue
        mapped = word.translate(_LOOKALIKES)
        if mapped != word:
            pieces += [text[done:match.start()], mapped]
            done = match.end()
            changed.append(match.span())
    if not changed:
        return text, []
    pieces.append(text[done:])
    return "".join(pieces), changed


def _all_caps_spans(text: str) -> list[tuple[int, int]]:
    """Spans of the all-caps segments of ``text`` (a headline or a sentence in capitals).

    Segments end at a line break and after ``. ! ? …`` not followed by a letter or digit (every
    sentence break of :func:`framing.text.preprocess.split_sentences` is one, so a sentence alone and
    the same sentence inside its article give the same segments). A segment is all caps when it
    has no lower-case letter and at least :data:`MIN_CAPS_WORDS` words of two letters or more: a
    lone capitalised word is usually a dateline ("BEIJING", "WASHINGTON, D.C.") or a label.
    """
    spans = []
    start = 0
    for match in _SEGMENT_END_RE.finditer(text):
        end = match.end()
        segment, start = text[start:end], end
        if segment.upper() != segment:  # a lower-case letter
            continue
        # with no lower-case letter, a word that changes when lower-cased has capitals
        if sum(len(w) > 1 and w.lower() != w for w in _WORD_RE.findall(segment)) >= MIN_CAPS_WORDS:
            spans.append((end - len(segment), end))
    return spans


class _Prepared(NamedTuple):
    """A text folded for matching (see :func:`_prepare`)."""

    nfkc: str  # NFKC, with line breaks (segments of capitals are found here)
    normed: str  # and the character map, lookalikes mapped in mixed-script words
    folded: str  # and lower-cased
    origin: _Origin | None  # folded offset -> original offset (None: the same)
    confused: list[tuple[int, int]]  # spans of mixed-script words mapped to Latin


def _prepare(text: str) -> _Prepared:
    """Fold ``text`` as the aliases are folded (NFKC, character map, lookalikes, lower case)."""
    nfkc, origin = _nfkc_with_origin(text)
    normed, confused = _unconfuse(_normalise(nfkc))
    return _Prepared(nfkc, normed, _lower_same_length(normed), origin, confused)


def _dotted_variants(alias: str) -> list[str]:
    """Spellings of a dotted initialism: "U.S." also as "U.S", "U. S." and "U. S" (rule 2)."""
    if not _DOTTED_RE.fullmatch(alias):
        return [alias]
    spaced = alias.replace(".", ". ").rstrip()
    return [alias, alias[:-1], spaced, spaced[:-1]]


def _inside(hit: Hit, spans: list[tuple[int, int]]) -> bool:
    return any(start <= hit.start and hit.end <= end for start, end in spans)


def _pick_longest(cluster: list[Hit]) -> list[Hit]:
    """Among overlapping hits keep the longest; equal spans of different targets all stay."""
    kept: list[Hit] = []
    for hit in sorted(cluster, key=lambda h: (h.start - h.end, h.start, h.target)):
        clash = False
        for other in kept:
            same_span = other.start == hit.start and other.end == hit.end
            if same_span and other.target == hit.target:
                clash = True  # the same mention through a second alias row
            elif not same_span and hit.start < other.end and other.start < hit.end:
                clash = True
            if clash:
                break
        if not clash:
            kept.append(hit)
    return sorted(kept, key=lambda h: (h.start, h.end, h.target))


def _resolve_overlaps(hits: list[Hit]) -> list[Hit]:
    """Sort hits by start and resolve overlaps (meta.toml rule 6), cluster by cluster."""
    hits.sort(key=lambda h: (h.start, -h.end, h.target))
    out: list[Hit] = []
    cluster: list[Hit] = []
    cluster_end = -1
    for hit in hits:
        if hit.start >= cluster_end:
            if cluster:
                out.extend(cluster if len(cluster) == 1 else _pick_longest(cluster))
            cluster = [hit]
            cluster_end = hit.end
        else:
            cluster.append(hit)
            cluster_end = max(cluster_end, hit.end)
    if cluster:
        out.extend(cluster if len(cluster) == 1 else _pick_longest(cluster))
    return out


def _build_automaton(aliases: Iterable[Alias], exclusions: Iterable[Exclusion],
                     dateline_kinds: Iterable[str] = ()):
    """One automaton over folded aliases and exclusion patterns.

    Each key maps to ``(key length, alias entries, is an exclusion, check left, check right)``;
    an entry is ``(target, alias, kind, exact form or None, capitals count anywhere)``. The
    boundary checks are decided per key (meta.toml rule 3): only an alias edge that is a letter
    or digit needs a boundary. Dotted initialisms get their variant spellings as further keys.
    """
    dateline = frozenset(dateline_kinds)
    entries: dict[str, list[tuple[str, str, str, str | None, bool]]] = {}
    excluded: set[str] = set()
    for row in aliases:
        for form in _dotted_variants(row.alias):
            normed, key = _fold(form)
            exact = normed if row.case == "sensitive" else None
            bucket = entries.setdefault(key, [])
            # The same form from several languages ("Chinese" en/nl/de) is one entry.
            if not any(t == row.target and e == exact for t, _, _, e, _ in bucket):
                bucket.append((row.target, row.alias, row.kind, exact, row.kind not in dateline))
    for row in exclusions:
        excluded.update(_fold(form)[1] for form in _dotted_variants(row.pattern))
    keys = sorted(set(entries) | excluded)
    if not keys:
        return None
    automaton = ahocorasick.Automaton()
    for key in keys:
        value = (len(key), tuple(entries.get(key, ())), key in excluded,
                 key[0].isalnum(), key[-1].isalnum())
        automaton.add_word(key, value)
    automaton.make_automaton()
    return automaton


def _to_original(hits: list[Hit], prepared: _Prepared) -> list[Hit]:
    """Flag hits on mixed-script words; map folded offsets back to the original text.

    A hit that begins or ends inside a folded cluster (a part of a ligature) is dropped: it
    names no whole original characters.
    """
    out = []
    origin = prepared.origin
    for hit in hits:
        if any(s < hit.end and hit.start < e for s, e in prepared.confused):
            hit = hit._replace(flag=MIXED_SCRIPT)
        if origin is not None:
            start, end = origin.at(hit.start), origin.at(hit.end)
            if start is None or end is None:
                continue
            hit = hit._replace(start=start, end=end)
        out.append(hit)
    return out


def _find(automaton, text: str) -> list[Hit]:
    """All counted hits of ``automaton`` in ``text`` (see :meth:`TargetSet.find`)."""
    if automaton is None or not text:
        return []
    prepared = _prepare(text)
    normed, folded = prepared.normed, prepared.folded
    size = len(folded)
    hits: list[Hit] = []
    excluded: list[tuple[int, int]] = []
    caps: list[tuple[int, int]] | None = None  # all-caps segments, found when first needed
    for last, (length, entries, is_exclusion, left, right) in automaton.iter(folded):
        start = last - length + 1
        # Most candidates are substrings of longer words ("us" in "because"); reject them first.
        if left and start and folded[start - 1].isalnum():
            continue
        end = last + 1
        if right and end < size and folded[end].isalnum():
            continue
        if is_exclusion:
            excluded.append((start, end))
        for target, alias, kind, exact, caps_anywhere in entries:
            if exact is not None and normed[start:end] != exact:
                if normed[start:end].upper() != normed[start:end]:  # "us", "china", "Us"
                    continue
                if not caps_anywhere:  # WASHINGTON: a dateline unless in an all-caps headline
                    if caps is None:
                        caps = _all_caps_spans(prepared.nfkc)
                    if not any(s <= start and end <= e for s, e in caps):
                        continue
            hits.append(Hit(target, start, end, alias, kind))
    if excluded and hits:
        hits = [hit for hit in hits if not _inside(hit, excluded)]
    if len(hits) > 1:
        hits = _resolve_overlaps(hits)
    if hits and (prepared.origin is not None or prepared.confused):
        hits = _to_original(hits, prepared)
    return hits


# --------------------------------------------------------------------------------------------
# The target set


@dataclass(frozen=True, eq=False)
class TargetSet:
    """Targets, their aliases and exclusions, ready to find mentions. Built by :func:`load_targets`.

    Attributes
    ----------
    name, version : the lexicon's name and version (from meta.toml).
    path : the folder read.
    targets : target id -> :class:`Target`, in file order (base folder first, then extras).
    aliases, exclusions : every row read, with its source "file:line".
    languages : the languages the folder declares (meta.toml), sorted.
    kinds : the alias kinds in use; ``all_kinds`` are those the folder defines.
    sha256 : digest of the folder's files and the extra files (see :func:`load_targets`).
    meta : the parsed meta.toml.
    """

    name: str
    version: int
    path: Path
    targets: dict[str, Target]
    aliases: tuple[Alias, ...]
    exclusions: tuple[Exclusion, ...]
    languages: tuple[str, ...]
    kinds: tuple[str, ...]
    all_kinds: tuple[str, ...]
    sha256: str
    meta: dict[str, Any]
    extra: tuple[Path, ...] = ()
    _automata: dict[str, Any] = field(default_factory=dict, init=False, repr=False)

    @property
    def target_ids(self) -> tuple[str, ...]:
        """Target ids in file order."""
        return tuple(self.targets)

    def manifest_entry(self) -> dict[str, Any]:
        """What a run manifest records about this target set (name, version, sha256, kinds...)."""
        return {
            "name": self.name,
            "version": self.version,
            "path": str(self.path),
            "extra": [str(p) for p in self.extra],
            "sha256": self.sha256,
            "kinds": list(self.kinds),
            "targets": list(self.targets),
        }

    def aliases_table(self) -> pd.DataFrame:
        """The aliases in use (active kinds) as a table, for reports and inspection."""
        rows = [a._asdict() for a in self.aliases if a.kind in self.kinds]
        return pd.DataFrame(rows, columns=list(Alias._fields))

    def _automaton(self, language: str | None):
        key = language if language in self.languages else UNDETERMINED
        if key not in self._automata:
            def wanted(lang: str) -> bool:
                return key == UNDETERMINED or lang in (key, ALL_LANGUAGES)

            self._automata[key] = _build_automaton(
                (a for a in self.aliases if a.kind in self.kinds and wanted(a.language)),
                (x for x in self.exclusions if wanted(x.language)),
                self.meta.get("matching", {}).get("dateline_kinds", ()),
            )
        return self._automata[key]

    def find(self, text: str, *, language: str | None = UNDETERMINED) -> list[Hit]:
        """Find the target mentions in ``text``.

        Parameters
        ----------
        text : str
            Any string; offsets of the hits index it exactly.
        language : str, optional
            ISO 639-1 code of the text. Its aliases and the ``"*"`` aliases are used; for
            ``"und"``, None or a language the set does not declare, the aliases of all languages.

        Returns
        -------
        list of Hit
            ``Hit(target, start, end, alias, kind, flag)`` sorted by start, where ``alias`` is the
            lexicon form that matched (``text[start:end]`` is the surface form). Word-boundary and
            case rules, exclusions and "longest wins" are applied (meta.toml ``[matching]``).

        Notes
        -----
        The text is folded before matching (meta.toml rules 1 and 2): compatibility forms by NFKC
        (full-width ＣＨＩＮＡ, ligatures; offsets are mapped back to ``text``), a case-sensitive
        alias also matches in capitals (CHINA, WHITE HOUSE; kinds in ``dateline_kinds``, such as
        WASHINGTON, only inside an all-caps headline, since alone they are datelines), and dotted
        initialisms also without the final dot or with spaces (U.S, U. S.). "us" never matches
        "US"; in an all-caps headline "US" may be the pronoun and still counts, as it always did.
        A word mixing Latin with Cyrillic or Greek lookalikes ("Сhina") counts, with
        ``flag="mixed-script"``, so that a spoofed or garbled name is neither lost nor hidden.

        Examples
        --------
        >>> targets = load_targets()
        >>> targets.find("De VS en Peking praten met Brussel.", language="nl")[0]
        Hit(target='US', start=3, end=5, alias='VS', kind='short_name', flag='')
        """
        if not isinstance(text, str):
            return []
        return _find(self._automaton(language), text)

    def __repr__(self) -> str:
        return (f"TargetSet(name={self.name!r}, version={self.version}, targets={list(self.targets)}, "
                f"aliases={len(self.aliases)}, kinds={list(self.kinds)}, sha256={self.sha256[:12]}...)")


# --------------------------------------------------------------------------------------------
# Loading and validation


def _read_meta(folder: Path) -> dict[str, Any]:
    path = folder / META_FILE
    meta = datafolder.read_meta(folder, what="target set", required=META_KEYS,
                                files=(TARGETS_FILE, ALIASES_FILE, EXCLUSIONS_FILE))
    languages = meta["languages"]
    if not isinstance(languages, list) or not all(
        isinstance(lang, str) and LANGUAGE_PATTERN.fullmatch(lang) for lang in languages
    ):
        raise DataError(f"{path}: languages must be a list of ISO 639-1 codes such as "
                        f'["en", "nl"]; got {languages!r}')
    kinds = meta["kinds"]
    if not isinstance(kinds, dict) or not kinds:
        raise DataError(f"{path}: [kinds] must be a table of kind = description; got {kinds!r}")
    matching = meta.get("matching", {})
    for key in ("off_by_default", "dateline_kinds"):
        listed = matching.get(key, [])
        if not isinstance(listed, list):
            raise DataError(f"{path}: [matching] {key} must be a list of kinds; got {listed!r}")
        unknown = [k for k in listed if k not in kinds]
        if unknown:
            raise DataError(f"{path}: [matching] {key} names unknown kinds {unknown}; "
                            f"accepted: {', '.join(kinds)}")
    shared = matching.get("shared_aliases", [])
    if not isinstance(shared, list) or not all(isinstance(a, str) and a.strip() for a in shared):
        raise DataError(f"{path}: [matching] shared_aliases must be a list of aliases that may "
                        f"name two targets; got {shared!r}")
    return meta


def _table_kind(header: list[str]) -> str | None:
    for kind, fields in (("aliases", ALIAS_FIELDS), ("exclusions", EXCLUSION_FIELDS),
                         ("targets", TARGET_FIELDS)):
        if all(f in header for f in fields if f not in OPTIONAL_FIELDS):
            return kind
    return None


def _rows(path: Path, fields: tuple[str, ...], errors: list[str]) -> list[tuple[str, dict[str, str]]]:
    """Rows of a table with the given fields, stripped; structural problems go to ``errors``."""
    rows = datafolder.read_rows(path, fields, optional=OPTIONAL_FIELDS, strict=False, errors=errors)
    return [(f"{path}:{line}", row) for line, row in rows]


def _check_language(value: str, accepted: tuple[str, ...], where: str, errors: list[str]) -> bool:
    if value == ALL_LANGUAGES or value in accepted:
        return True
    errors.append(f"{where}: language {value!r} is not accepted; accepted: "
                  f"{', '.join(accepted)} or {ALL_LANGUAGES!r} for all languages")
    return False


def _targets_from(path: Path, known: dict[str, Target], errors: list[str]) -> None:
    for where, row in _rows(path, TARGET_FIELDS, errors):
        tid, label = row["target"], row["label"]
        if not TARGET_ID_PATTERN.fullmatch(tid):
            errors.append(f"{where}: target id {tid!r} is not accepted; ids are 1-16 characters: "
                          f"an upper-case letter, then upper-case letters, digits or _ (e.g. US, JP)")
        elif tid in known:
            errors.append(f"{where}: target {tid!r} is already defined at {known[tid].source}")
        elif not label:
            errors.append(f"{where}: target {tid!r} has an empty label")
        else:
            known[tid] = Target(tid, label, row["description"], where)


def _check_shared(row: dict[str, str], key: str, where: str, owners: dict[str, tuple[str, str]],
                  shared: frozenset[str], errors: list[str]) -> bool:
    """An alias names one target unless meta.toml ``[matching] shared_aliases`` lists it.

    Languages do not matter: a text of undetermined language is matched with every alias.
    """
    owner = owners.setdefault(key, (row["target"], where))
    if owner[0] == row["target"] or key in shared:
        return True
    errors.append(f"{where}: alias {row['alias']!r} is listed for {row['target']} here and for "
                  f"{owner[0]} at {owner[1]}; an alias names one target (list it in {META_FILE} "
                  f"[matching] shared_aliases if it must name both)")
    return False


def _aliases_from(path: Path, targets: dict[str, Target], languages: tuple[str, ...],
                  kinds: tuple[str, ...], seen: dict[tuple[str, str, str], str],
                  out: list[Alias], errors: list[str],
                  owners: dict[str, tuple[str, str]] | None = None,
                  shared: frozenset[str] = frozenset()) -> None:
    owners = {} if owners is None else owners
    for where, row in _rows(path, ALIAS_FIELDS, errors):
        ok = True
        if row["target"] not in targets:
            errors.append(f"{where}: unknown target {row['target']!r}; accepted: "
                          f"{', '.join(targets)} (targets are defined in {TARGETS_FILE} files)")
            ok = False
        ok &= _check_language(row["language"], languages, where, errors)
        if not row["alias"]:
            errors.append(f"{where}: empty alias")
            ok = False
        elif not any(ch.isalnum() for ch in row["alias"]):
            errors.append(f"{where}: alias {row['alias']!r} has no letter or digit")
            ok = False
        if row["kind"] not in kinds:
            errors.append(f"{where}: unknown kind {row['kind']!r}; accepted: {', '.join(kinds)} "
                          f"(defined in {META_FILE} [kinds])")
            ok = False
        if row["case"] not in CASES:
            errors.append(f"{where}: case {row['case']!r} is not accepted; accepted: {', '.join(CASES)}")
            ok = False
        if not ok:
            continue
        key = _fold(row["alias"])[1]
        for lang in dict.fromkeys((row["language"], ALL_LANGUAGES)):
            first = seen.get((row["target"], lang, key))
            if first is not None:
                errors.append(f"{where}: duplicate alias {row['alias']!r} for {row['target']} "
                              f"(language {row['language']!r}): already listed at {first}")
                ok = False
                break
        if row["language"] == ALL_LANGUAGES:
            clash = [src for (t, _, k), src in seen.items() if t == row["target"] and k == key]
            if clash:
                errors.append(f"{where}: duplicate alias {row['alias']!r} for {row['target']}: listed "
                              f"for all languages here and for one language at {clash[0]}")
                ok = False
        ok = ok and _check_shared(row, key, where, owners, shared, errors)
        if ok:
            seen[(row["target"], row["language"], key)] = where
            out.append(Alias(row["target"], row["language"], row["alias"], row["kind"],
                             row["case"], row["note"], where))


def _exclusions_from(path: Path, languages: tuple[str, ...], seen: dict[tuple[str, str], str],
                     out: list[Exclusion], errors: list[str]) -> None:
    for where, row in _rows(path, EXCLUSION_FIELDS, errors):
        if not _check_language(row["language"], languages, where, errors):
            continue
        pattern = row["pattern"]
        if not any(ch.isalnum() for ch in pattern):
            errors.append(f"{where}: pattern {pattern!r} is empty or has no letter or digit")
            continue
        key = (row["language"], _fold(pattern)[1])
        other = (ALL_LANGUAGES, key[1]) if key[0] != ALL_LANGUAGES else None
        first = seen.get(key) or (seen.get(other) if other else None)
        if first is not None:
            errors.append(f"{where}: duplicate exclusion {pattern!r}: already listed at {first}")
            continue
        seen[key] = where
        out.append(Exclusion(row["language"], pattern, row["note"], where))


def _extra_files(extra: str | Path | Iterable[str | Path] | None) -> list[tuple[Path, str]]:
    """Each extra file with its table kind, recognised by its header (a folder gives its tables)."""
    if extra is None:
        return []
    items = [extra] if isinstance(extra, str | Path) else list(extra)
    out = []
    for item in items:
        path = Path(item).expanduser()
        if path.is_dir():
            found = [path / n for n in (TARGETS_FILE, ALIASES_FILE, EXCLUSIONS_FILE) if (path / n).is_file()]
            if not found:
                raise DataError(f"{path}: extra folder holds none of {TARGETS_FILE}, "
                                f"{ALIASES_FILE}, {EXCLUSIONS_FILE}")
        elif path.is_file():
            found = [path]
        else:
            raise DataError(f"{path}: extra target file not found")
        for file in found:
            header = datafolder.read_rows(file, (), strict=False).header
            kind = _table_kind(header)
            if kind is None:
                raise DataError(
                    f"{file}:1: header {','.join(header) or '(empty)'} is not one of the target "
                    f"tables; expected {','.join(TARGET_FIELDS)} or {','.join(ALIAS_FIELDS)} or "
                    f"{','.join(EXCLUSION_FIELDS)} (note/description may be left out)"
                )
            out.append((file, kind))
    return out


def load_targets(
    name_or_path: str | Path = DEFAULT_TARGETS,
    *,
    extra: str | Path | Iterable[str | Path] | None = None,
    kinds: Iterable[str] | None = None,
) -> TargetSet:
    """Read and validate a target set folder.

    Parameters
    ----------
    name_or_path : str or Path
        A lexicon name under ``config.lexicons_dir()`` (``"targets-v1"``) or a folder path.
    extra : path or list of paths, optional
        Further ``targets.csv`` / ``aliases.csv`` / ``exclusions.csv`` files (recognised by their
        header, whatever their name) or folders holding them. A user adds a target (e.g. JP) by
        data only: a targets file with its id and an aliases file with its forms.
    kinds : iterable of str, optional
        Alias kinds to use. Default: every kind of meta.toml ``[kinds]`` except those listed in
        ``[matching] off_by_default`` (``region``: Europe/European).

    Returns
    -------
    TargetSet
        With ``sha256`` over every file of the folder (sorted by relative name; hidden files left
        out) and then the extra files in the order given, each hashed with its name and content
        (CRLF read as LF, so a Windows checkout gives the same digest).

    Raises
    ------
    ConfigError
        The name is not a folder or lexicon, or ``kinds`` names an unknown kind.
    DataError
        A file is missing or malformed. Every bad row is reported (file:line, the bad value and
        the accepted values): unknown target, bad language, kind or case, empty or duplicate alias,
        an alias listed for two targets (unless meta.toml ``[matching] shared_aliases`` lists it).

    Examples
    --------
    >>> targets = load_targets("targets-v1")
    >>> targets.target_ids
    ('US', 'CN', 'EU')
    """
    folder = datafolder.resolve(name_or_path, what="target set", error=ConfigError)
    meta = _read_meta(folder)
    languages = tuple(sorted(meta["languages"]))
    all_kinds = tuple(meta["kinds"])
    off = set(meta.get("matching", {}).get("off_by_default", []))
    if kinds is None:
        active = tuple(k for k in all_kinds if k not in off)
    else:
        active = tuple(dict.fromkeys([kinds] if isinstance(kinds, str) else kinds))
        unknown = [k for k in active if k not in all_kinds]
        if unknown:
            raise ConfigError(f"unknown alias kind(s) {', '.join(map(repr, unknown))}; accepted: "
                              f"{', '.join(all_kinds)}")
    for required in (TARGETS_FILE, ALIASES_FILE):
        if not (folder / required).is_file():
            raise DataError(f"{folder}: no {required}; a target set folder holds {META_FILE}, "
                            f"{TARGETS_FILE}, {ALIASES_FILE} and optionally {EXCLUSIONS_FILE}")
    extras = _extra_files(extra)
    tables = [(folder / TARGETS_FILE, "targets"), (folder / ALIASES_FILE, "aliases")]
    if (folder / EXCLUSIONS_FILE).is_file():
        tables.append((folder / EXCLUSIONS_FILE, "exclusions"))
    tables += extras

    errors: list[str] = []
    targets: dict[str, Target] = {}
    for path, kind in tables:  # every target first, so an alias file may name an extra target
        if kind == "targets":
            _targets_from(path, targets, errors)
    aliases: list[Alias] = []
    exclusions: list[Exclusion] = []
    seen_alias: dict[tuple[str, str, str], str] = {}
    owners: dict[str, tuple[str, str]] = {}
    shared = frozenset(_fold(a)[1] for a in meta.get("matching", {}).get("shared_aliases", []))
    seen_exclusion: dict[tuple[str, str], str] = {}
    for path, kind in tables:
        if kind == "aliases":
            _aliases_from(path, targets, languages, all_kinds, seen_alias, aliases, errors,
                          owners, shared)
        elif kind == "exclusions":
            _exclusions_from(path, languages, seen_exclusion, exclusions, errors)
    if not targets and not errors:
        errors.append(f"{folder / TARGETS_FILE}: no targets defined")
    if errors:
        shown = errors[:MAX_ERRORS_SHOWN]
        more = len(errors) - len(shown)
        raise DataError(f"target set {folder.name}: {len(errors)} problem(s):\n  " + "\n  ".join(shown)
                        + (f"\n  ... and {more} more" if more else ""))

    labelled = [(f"extra/{p.name}", p) for p, _ in extras]
    return TargetSet(
        name=str(meta["name"]),
        version=int(meta["version"]),
        path=folder,
        targets=targets,
        aliases=tuple(aliases),
        exclusions=tuple(exclusions),
        languages=languages,
        kinds=active,
        all_kinds=all_kinds,
        sha256=datafolder.folder_sha256(folder, extra=labelled),
        meta=meta,
        extra=tuple(p for p, _ in extras),
    )


# --------------------------------------------------------------------------------------------
# Mentions in the sentence table


def _language_map(languages: Mapping[str, str] | pd.DataFrame) -> dict[str, str]:
    """article_id (as str, the schema's type) -> language."""
    if isinstance(languages, pd.DataFrame):
        missing = [c for c in ("article_id", "language") if c not in languages.columns]
        if missing:
            raise DataError(f"article table lacks column(s) {', '.join(missing)}; "
                            f"expected the columns of schema.ARTICLE_COLUMNS")
        pairs = zip(languages["article_id"].tolist(), languages["language"].tolist(), strict=True)
    elif isinstance(languages, Mapping):
        pairs = languages.items()
    else:
        raise ConfigError(f"languages must be a mapping article_id -> language or the article table; "
                          f"got {type(languages).__name__}")
    return {str(aid): lang if isinstance(lang, str) else UNDETERMINED for aid, lang in pairs}


def _check_sentences(sentences: pd.DataFrame) -> None:
    missing = [c for c in schema.SENTENCE_COLUMNS if c not in sentences.columns]
    if missing:
        raise DataError(f"sentence table lacks column(s) {', '.join(missing)}; expected "
                        f"{', '.join(schema.SENTENCE_COLUMNS)} (schema.SENTENCE_COLUMNS)")


def _hits_by_sentence(sentences: pd.DataFrame, rows: np.ndarray, lang_of: Mapping[str, str],
                      targets: TargetSet) -> list[tuple[int, str, int, int, str, str]]:
    """(row, target, start, end, surface, flag) for the sentences at positions ``rows``."""
    out = []
    # take + tolist: converting a whole Arrow-backed column to an object array is 4x slower.
    texts = sentences["text"].take(rows).tolist()
    starts = sentences["start"].take(rows).tolist()
    ids = sentences["article_id"].take(rows).tolist()
    for row, text, offset, aid in zip(rows.tolist(), texts, starts, ids, strict=True):
        if not isinstance(text, str):
            continue
        for hit in targets.find(text, language=lang_of.get(str(aid), UNDETERMINED)):
            out.append((row, hit.target, offset + hit.start, offset + hit.end,
                        text[hit.start:hit.end], hit.flag))
    return out


def _hits_by_article(sentences: pd.DataFrame, articles: pd.DataFrame, lang_of: Mapping[str, str],
                     targets: TargetSet) -> list[tuple[int, str, int, int, str, str]]:
    """Run the matcher once per article section and map the hits to sentences by offset.

    Sentences whose section string is not in ``articles``, or whose text is not as long as its
    span or does not equal ``section[start:end]`` where a hit falls, are matched one by one
    instead. A hit that straddles two sentences is dropped: sentence matching could not see it.
    """
    # A "group" is one section of one article: code * width + section (len(_SECTIONS) = other).
    width = len(_SECTIONS) + 1
    article_codes, uniques = pd.factorize(sentences["article_id"])
    article_ids = uniques.tolist()
    section_codes = np.full(len(sentences), len(_SECTIONS), dtype=np.int64)
    for code, name in enumerate(_SECTIONS):
        section_codes[(sentences["section"] == name).to_numpy(dtype=bool, na_value=False)] = code
    group = article_codes.astype(np.int64) * width + section_codes
    starts = sentences["start"].to_numpy(dtype=np.int64)
    ends = sentences["end"].to_numpy(dtype=np.int64)
    lengths = sentences["text"].str.len().to_numpy(dtype=np.float64, na_value=-1)

    strings: dict[int, str] = {}  # group -> section string, for the groups that have sentences
    present = set(np.unique(group).tolist())
    position = {str(aid): code for code, aid in enumerate(article_ids)}
    for column, section in (("title", "title"), ("text", "body")):
        if column not in articles.columns:
            continue
        offset = _SECTIONS.index(section)
        for aid, value in zip(articles["article_id"].tolist(), articles[column].tolist(), strict=True):
            code = position.get(str(aid))
            if code is not None and code * width + offset in present and isinstance(value, str):
                strings[code * width + offset] = value
    # Rows that cannot be mapped by offset: no section string, a span beyond its end, or a text
    # not as long as its span.
    size = max(int(group.max(initial=0)), max(strings, default=0)) + 1
    section_length = np.full(size, -1, dtype=np.int64)
    for g, string in strings.items():
        section_length[g] = len(string)
    fallback = (section_length[group] < ends) | (lengths != (ends - starts))
    bad_groups = set(group[fallback].tolist())

    order = np.lexsort((starts, group))
    sorted_group = group[order]
    sorted_key = sorted_group * (1 << 32) + starts[order]
    sorted_end = ends[order]

    hit_group, hit_start, hit_end, hit_target, hit_surface, hit_flag = [], [], [], [], [], []
    for g, string in strings.items():
        if g in bad_groups:
            continue
        language = lang_of.get(str(article_ids[g // width]), UNDETERMINED)
        for hit in targets.find(string, language=language):
            hit_group.append(g)
            hit_start.append(hit.start)
            hit_end.append(hit.end)
            hit_target.append(hit.target)
            hit_surface.append(string[hit.start:hit.end])
            hit_flag.append(hit.flag)
    out: list[tuple[int, str, int, int, str, str]] = []
    if hit_group:
        hg = np.asarray(hit_group, dtype=np.int64)
        pos = np.searchsorted(sorted_key, hg * (1 << 32) + np.asarray(hit_start), side="right") - 1
        safe = np.clip(pos, 0, None)
        inside = (pos >= 0) & (sorted_group[safe] == hg) & (np.asarray(hit_end) <= sorted_end[safe])
        picked = np.flatnonzero(inside)
        rows = order[safe[picked]]
        texts = sentences["text"].take(rows).tolist()
        for i, row, text in zip(picked.tolist(), rows.tolist(), texts, strict=True):
            local = hit_start[i] - int(starts[row])
            if text[local:local + hit_end[i] - hit_start[i]] != hit_surface[i]:
                bad_groups.add(hit_group[i])  # the sentence is not section[start:end]
                continue
            out.append((row, hit_target[i], hit_start[i], hit_end[i], hit_surface[i], hit_flag[i]))
        if bad_groups:
            out = [o for o in out if int(group[o[0]]) not in bad_groups]
    if bad_groups:
        redo = np.flatnonzero(np.isin(group, np.fromiter(bad_groups, dtype=np.int64)))
        out += _hits_by_sentence(sentences, redo, lang_of, targets)
    return out


def _mention_table(hits: list[tuple[int, str, int, int, str, str]], sentences: pd.DataFrame,
                   targets: TargetSet) -> tuple[pd.DataFrame, list[str]]:
    """Group (row, target, start, end, surface, flag) hits into one row per (sentence, target).

    Returns the table and each row's flag (:data:`MIXED_SCRIPT` when any of its hits has it).
    """
    rank = {t: i for i, t in enumerate(targets.targets)}
    hits.sort(key=lambda h: (h[0], rank.get(h[1], len(rank)), h[1], h[2]))
    keys: list[tuple[int, str]] = []
    spans: list[list[list[int]]] = []
    surfaces: list[list[str]] = []
    flags: list[str] = []
    for row, target, start, end, surface, flag in hits:
        if not keys or keys[-1] != (row, target):
            keys.append((row, target))
            spans.append([])
            surfaces.append([])
            flags.append("")
        spans[-1].append([start, end])
        surfaces[-1].append(surface)
        flags[-1] = flags[-1] or flag
    rows = np.asarray([k[0] for k in keys], dtype=np.int64)
    table = pd.DataFrame({
        "article_id": sentences["article_id"].take(rows).to_numpy(),
        "sent_id": sentences["sent_id"].take(rows).to_numpy(dtype=np.int64),
        "section": sentences["section"].take(rows).to_numpy(),
        "target": [k[1] for k in keys],
        "n": np.asarray([len(s) for s in spans], dtype=np.int64),
        "spans": spans,
        "aliases": surfaces,
        "sentence": sentences["text"].take(rows).to_numpy(),
    }, columns=list(schema.MENTION_COLUMNS))
    return table, flags


def find_mentions(
    sentences: pd.DataFrame,
    languages: Mapping[str, str] | pd.DataFrame,
    targets: TargetSet,
    *,
    by: str = "auto",
    voice: str | Path | None = DEFAULT_VOICE_CUES,
) -> pd.DataFrame:
    """The mention table: one row per (article, sentence, target) named in the sentence.

    Parameters
    ----------
    sentences : DataFrame
        The sentence table (``schema.SENTENCE_COLUMNS``).
    languages : mapping or DataFrame
        ``article_id -> language``, or the article table (``article_id``, ``language`` and, for
        the fast path, ``title`` and ``text``). Articles missing from it are matched with the
        aliases of every language.
    targets : TargetSet
        From :func:`load_targets`.
    by : {"auto", "article", "sentence"}
        ``"article"`` runs the matcher once per title and body and maps hits to sentences by
        offset (several times faster; needs the article table); ``"sentence"`` matches each
        sentence on its own; ``"auto"`` picks ``"article"`` when ``languages`` is an article table
        with a ``text`` column. Both give the same table, except for a hit or an exclusion phrase
        that straddles two sentences (the article path drops such a hit; it sees such an exclusion).
        The article path relies on the schema contract ``sentence == section[start:end]``; it
        checks sentence lengths and the sentence text at every hit, and matches the sentences of
        an article that fails a check one by one.
    voice : str or Path, optional
        The voice cue lexicon (:mod:`framing.text.voice`) that gives each mention its ``voice``;
        None leaves the column empty.

    Returns
    -------
    DataFrame
        Columns ``schema.MENTION_COLUMNS``, ordered as the sentence table, then by target order:
        ``spans`` are ``[start, end]`` offsets in the section string (title or body, i.e. sentence
        start + offset within the sentence), ``aliases`` the surface forms, in span order;
        then ``voice`` and ``flag``: "" or ``"mixed-script"`` when a hit of the row is a word
        mixing Latin with Cyrillic or Greek lookalikes ("Сhina" with a Cyrillic С). Such a hit
        counts (its writer named the target) but is flagged, never silent: filter on ``flag``
        to leave it out.
    """
    accepted = ("auto", "article", "sentence")
    if by not in accepted:
        raise ConfigError(f"by={by!r} is not accepted; accepted: {', '.join(accepted)}")
    _check_sentences(sentences)
    sentences = sentences.reset_index(drop=True)
    lang_of = _language_map(languages)
    has_text = isinstance(languages, pd.DataFrame) and "text" in languages.columns
    if by == "article" and not has_text:
        raise ConfigError("by='article' needs the article table (with a text column) as languages")
    if by == "article" or (by == "auto" and has_text):
        hits = _hits_by_article(sentences, languages, lang_of, targets)
    else:
        hits = _hits_by_sentence(sentences, np.arange(len(sentences)), lang_of, targets)
    table, flags = _mention_table(hits, sentences, targets)
    if voice is not None:
        from framing.text.voice import add_voice, load_voice_cues

        table = add_voice(table, sentences, lang_of, cues=load_voice_cues(voice))
    table[MENTION_FLAG] = pd.Series(flags, index=table.index, dtype=object)
    return table


def mention_summary(mentions: pd.DataFrame, targets: TargetSet | None = None) -> pd.DataFrame:
    """Per target: alias hits (``mentions``), sentences and articles naming it.

    Parameters
    ----------
    mentions : DataFrame
        From :func:`find_mentions`.
    targets : TargetSet, optional
        When given, every target gets a row (zeros included), in the set's order; otherwise the
        targets present, sorted by id.

    Returns
    -------
    DataFrame
        Columns ``target, mentions, sentences, articles``.
    """
    missing = [c for c in ("article_id", "sent_id", "section", "target", "n") if c not in mentions.columns]
    if missing:
        raise DataError(f"mention table lacks column(s) {', '.join(missing)}; expected "
                        f"{', '.join(schema.MENTION_COLUMNS)}")
    grouped = mentions.groupby("target", sort=True)
    summary = pd.DataFrame({
        "mentions": grouped["n"].sum(),
        "sentences": grouped.size(),
        "articles": grouped["article_id"].nunique(),
    })
    order = list(targets.targets) if targets is not None else list(summary.index)
    summary = summary.reindex(order, fill_value=0).astype(np.int64)
    summary.index.name = "target"
    return summary.reset_index()
