"""The matcher: a term parsed into its spelling variants, and a lexicon's hits found in a text.

It implements the matching rules documented in :mod:`framing.lexicon` (hyphens, wildcards, gaps,
modifiers, overlaps); :meth:`framing.lexicon.folder.Lexicon.match` compiles one
:class:`_Matcher` per language on first use.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Mapping
from itertools import compress, count
from typing import TYPE_CHECKING, NamedTuple

import ahocorasick

from framing.lexicon.tokens import _JOIN, BREAK, _Memo, _Normaliser, _normaliser, _units

if TYPE_CHECKING:
    from framing.lexicon.folder import Lexicon

#: Term syntax: a gap between two words, and a prefix wildcard at the end of a word.
GAP_MARK = "..."
WILDCARD = "*"
#: A unit starts after either separator (a space between chunks, _JOIN inside one).
_SEPARATORS = (" ", _JOIN)
#: Characters turned into plain spaces before chunking (same length, so offsets hold).
_SPACE_LIKE = ("\t", "\u00a0", "\u2009", "\u202f")


class Hit(NamedTuple):
    """One lexicon term found in a text.

    ``polarity`` is the term's polarity after negation (flipped when ``negated``);
    ``start``/``end`` are character offsets in the text given to
    :meth:`~framing.lexicon.folder.Lexicon.match`;
    ``intensity`` is the product of the intensifier and diminisher weights acting on the term
    (1.0 when none).
    """

    term: str
    category: str
    polarity: int
    weight: float
    start: int
    end: int
    negated: bool
    hedged: bool
    intensity: float


# A parsed term: variants, each a tuple of items; an item is _GAP or (key, mode, sep): mode
# "stem" (match by stem), "exact" (surface key) or "prefix" (surface key prefix); sep is the
# separator before the unit in the text (" " between chunks, _JOIN inside one).
_GAP = ("", "gap", "")


def _parse_term(
    term: str, norm: _Normaliser, *, exact: bool = False
) -> list[tuple[tuple[str, str, str], ...]]:
    """Parse a term into its spelling variants; raise ValueError with a reason."""
    closed: list[tuple[str, str, str]] = []
    opened: list[tuple[str, str, str]] = []
    hyphenated = False
    raw_tokens = term.replace("…", f" {GAP_MARK} ").split()
    for i, raw in enumerate(raw_tokens):
        if raw == GAP_MARK:
            if i == 0 or i == len(raw_tokens) - 1 or raw_tokens[i - 1] == GAP_MARK:
                raise ValueError(f"'{GAP_MARK}' must stand between two words")
            closed.append(_GAP)
            opened.append(_GAP)
            continue
        wildcard = raw.endswith(WILDCARD)
        word = raw[:-1] if wildcard else raw
        if WILDCARD in word:
            raise ValueError(f"'{WILDCARD}' is allowed only at the end of a word (prefix wildcard)")
        units = [k for k, _, _ in _units(word)]
        if BREAK in units or not word:
            raise ValueError(
                "contains punctuation that splits it; write words, '...' or a final '*'"
            )
        pieces = [[(k, _JOIN if j else " ") for j, k in enumerate(units)]]
        if re.search(r"\w[-‐‑]\w", word):
            hyphenated = True
            pieces.append(
                [
                    (k, _JOIN if j else " ")
                    for part in re.split(r"[-‐‑]", word)
                    for j, k in enumerate(k for k, _, _ in _units(part) if k != BREAK)
                ]
            )
        for target, keys in zip((closed, opened), (pieces[0], pieces[-1]), strict=True):
            for j, (key, sep) in enumerate(keys):
                if wildcard and j == len(keys) - 1:
                    target.append((key, "prefix", sep))
                else:
                    target.append((key, "exact" if exact or not norm.stem else "stem", sep))
    if not closed:
        raise ValueError("no words")
    return [tuple(closed), tuple(opened)] if hyphenated else [tuple(closed)]


def _variant_key(variant: tuple[tuple[str, str, str], ...], norm: _Normaliser) -> str:
    """The form a variant is matched by (stems or surface keys, ``*``, ``...``); equal keys
    match the same text. Units of one written word are joined by '·'."""
    out: list[str] = []
    for key, mode, sep in variant:
        if mode == "gap":
            out.append(f" {GAP_MARK}")
            continue
        form = (
            key + WILDCARD if mode == "prefix" else norm.word_stem(key) if mode == "stem" else key
        )
        out.append(("·" if sep == _JOIN else " ") + form)
    return "".join(out).strip()


class _Segment(NamedTuple):
    hay: int  # 0: the stem (or key) string, 1: the surface string (prefix wildcards)
    body: str  # the pattern without its boundary separators
    surfaces: tuple[str, ...] | None  # exact surface keys to verify, or None


class _Entry(NamedTuple):
    is_term: bool
    row: int
    segments: tuple[_Segment, ...]
    gaps: tuple[int, ...]  # max tokens between segment i and i+1


class _Occ:
    """One match: positions ``ps`` (first character) and ``pe`` (separator after the last
    unit) in the stem string, and its entry."""

    __slots__ = ("entry", "seg", "ps", "pe", "parts", "ok")

    def __init__(self, entry: int, seg: int, ps: int, pe: int) -> None:
        self.entry, self.seg, self.ps, self.pe = entry, seg, ps, pe
        self.parts: list[tuple[int, int]] = [(ps, pe)]  # spans of the segments of a chained match
        self.ok: bool | None = None  # surface verification, computed lazily


def _unit_end(string: str, pos: int) -> int:
    """Position of the separator after the unit that contains ``pos``."""
    space = string.find(" ", pos)
    join = string.find(_JOIN, pos, space)
    return space if join == -1 else join


class _Doc:
    """A text cut at spaces into chunks, its matching string, and position lookups.

    Lookups count separators from the last position asked for, so asking in increasing order
    (as the matcher does) costs one pass over the string.
    """

    def __init__(self, text: str, norm: _Normaliser, stems: Mapping[str, str]) -> None:
        for char in _SPACE_LIKE:
            if char in text:
                text = text.replace(char, " ")
        self.norm = norm
        if "  " in text:
            # Runs of spaces (rare after cleaning): chunk spans from a regex.
            spans = [m.span() for m in re.finditer(r"[^ ]+", text)]
            self.chunks = [text[s:e] for s, e in spans]
            self._offsets: list[int] | None = [s for s, _ in spans]
        else:
            self.chunks = text.split(" ")
            self._offsets = None
        self.stems = stems  # chunk -> its matching string (a memo)
        self.hay = " " + " ".join(map(stems.__getitem__, self.chunks)) + " "
        self._at = (0, -1)  # (position, chunk index) of the last chunk lookup
        self._off = (0, 0)  # (chunk index, offset) of the last offset lookup
        self._start = (0, 1)  # (chunk index, position in the matching string) of the last lookup

    def chunk_at(self, pos: int) -> int:
        last, index = self._at if pos >= self._at[0] else (0, -1)
        index += self.hay.count(" ", last, pos)
        self._at = (pos, index)
        return index

    def offset(self, chunk: int) -> int:
        """Offset of a chunk in the text."""
        if self._offsets is not None:
            return self._offsets[chunk]
        last, offset = self._off if chunk >= self._off[0] else (0, 0)
        offset += sum(map(len, self.chunks[last:chunk])) + chunk - last
        self._off = (chunk, offset)
        return offset

    def unit(self, pos: int) -> tuple[int, tuple[str, int, int]]:
        """(chunk index, unit) of the unit starting at ``pos`` in the stem string."""
        hay = self.hay
        chunk = self.chunk_at(pos)
        k = hay.count(_JOIN, hay.rfind(" ", 0, pos) + 1, pos)
        return chunk, self.norm.units[self.chunks[chunk]][k]

    def surfaces(self, ps: int, pe: int) -> tuple[str, ...]:
        out, pos = [], ps
        while pos < pe:
            out.append(self.unit(pos)[1][0])
            pos = _unit_end(self.hay, pos) + 1
        return tuple(out)

    def span(self, ps: int, pe: int) -> tuple[int, int]:
        """Offsets in the text of the units between stem-string positions ``ps`` and ``pe``."""
        hay = self.hay
        last = max(hay.rfind(" ", ps, pe), hay.rfind(_JOIN, ps, pe))
        c0, first = self.unit(ps)
        start = self.offset(c0) + first[1]
        c1, final = self.unit(ps if last == -1 else last + 1)
        return start, self.offset(c1) + final[2]

    def between(self, pe: int, ps: int) -> int:
        """Number of tokens between a unit ending at ``pe`` and one starting at ``ps``."""
        hay = self.hay
        return hay.count(" ", pe, ps) + hay.count(_JOIN, pe, ps) - 1

    def broken(self, pe: int, ps: int) -> bool:
        """Whether a break lies between a unit ending at ``pe`` and one starting at ``ps``."""
        return self.hay.find(BREAK, pe, ps) != -1

    def unit_position(self, chunk: int, k: int) -> int:
        """Position in the matching string of unit ``k`` of a chunk."""
        last, pos = self._start if chunk >= self._start[0] else (0, 1)
        stems = map(self.stems.__getitem__, self.chunks[last:chunk])
        pos += sum(map(len, stems)) + chunk - last
        self._start = (chunk, pos)
        for _ in range(k):
            pos = _unit_end(self.hay, pos) + 1
        return pos


class _Matcher:
    """The compiled matcher of one lexicon for one language."""

    def __init__(self, lexicon: Lexicon, language: str) -> None:
        self.norm = _normaliser(language, lexicon.stem)
        self.entries: list[_Entry] = []
        terms = lexicon.terms[lexicon.terms["language"] == language]
        mods = lexicon.modifiers[lexicon.modifiers["language"] == language]
        self.terms = list(
            terms[["term", "category", "polarity", "weight"]].itertuples(index=False, name=None)
        )
        self.mods = list(mods[["kind", "weight", "scope"]].itertuples(index=False, name=None))
        self.max_scope = max((s for _, _, s in self.mods), default=0)
        for row, term in enumerate(terms["term"]):
            for variant in _parse_term(term, self.norm):
                self.entries.append(self._entry(True, row, variant, lexicon.gap_tokens))
        for row, term in enumerate(mods["term"]):
            for variant in _parse_term(term, self.norm, exact=True):
                self.entries.append(self._entry(False, row, variant, 0))
        # Automata: term stems, term prefixes (surface string), modifiers (stem string).
        self.automata: list[ahocorasick.Automaton | None] = [None, None, None]
        for slot, hay, is_term in ((0, 0, True), (1, 1, True), (2, 0, False)):
            table: dict[str, tuple[int, list[tuple[int, int]]]] = {}
            for e, entry in enumerate(self.entries):
                for s, seg in enumerate(entry.segments):
                    if seg.hay != hay or entry.is_term != is_term:
                        continue
                    # A unit starts after either separator; a stem pattern must also end at one.
                    rights = _SEPARATORS if hay == 0 else ("",)
                    for left in _SEPARATORS:
                        for right in rights:
                            key = left + seg.body + right
                            table.setdefault(key, (len(key), []))[1].append((e, s))
            if table:
                automaton = ahocorasick.Automaton()
                for key, value in table.items():
                    automaton.add_word(key, value)
                automaton.make_automaton()
                self.automata[slot] = automaton
        # Chunk -> matching string. Prefix wildcards are matched when a chunk is first seen, not
        # on a surface string of each text (which cost as much as the stem string, for a dozen
        # terms); ``prefixed`` keeps the few chunks with a match.
        self.stems = _Memo(self._render_chunk)
        self.prefixed: dict[str, tuple[tuple[int, list[tuple[int, int]]], ...]] = {}

    def _entry(
        self, is_term: bool, row: int, variant: tuple[tuple[str, str, str], ...], gap: int
    ) -> _Entry:
        segments: list[_Segment] = []
        gaps: list[int] = []
        run: list[tuple[str, str, str]] = []
        pending = 0

        def close(segment: _Segment) -> None:
            nonlocal pending
            if segments:
                gaps.append(pending)
            segments.append(segment)
            pending = 0

        def flush() -> None:
            if run:
                # Exact tokens are found by their stem, then checked against their surface.
                body = "".join(
                    (sep if j else "") + self.norm.word_stem(k) for j, (k, _, sep) in enumerate(run)
                )
                exact = any(m == "exact" for _, m, _ in run) and self.norm.stem
                close(_Segment(0, body, tuple(k for k, _, _ in run) if exact else None))
                run.clear()

        for key, mode, sep in variant:
            if mode == "gap":
                flush()
                pending = gap
            elif mode == "prefix":
                flush()
                close(_Segment(1, key, None))
            else:
                run.append((key, mode, sep))
        flush()
        return _Entry(is_term, row, tuple(segments), tuple(gaps))

    # -- matching ------------------------------------------------------------------------------

    def _render_chunk(self, chunk: str) -> str:
        """The matching string of a chunk; records its prefix-wildcard matches in ``prefixed``.

        A prefix pattern is a separator plus the start of one unit key, so every match lies in
        the surface string of one chunk (with the space before it): the matches of a text are
        those of its chunks, in chunk order, as on a surface string of the whole text. Each is
        kept as (unit index in the chunk, entry refs), in the order the automaton reports them.
        """
        stems, surface = self.norm.render(chunk)
        automaton = self.automata[1]
        if automaton is not None:
            hay = " " + surface
            found = tuple(
                (hay.count(_JOIN, 0, end - length + 2), refs)
                for end, (length, refs) in automaton.iter(hay)
            )
            if found:
                self.prefixed[chunk] = found
        return stems

    def match(self, text: str) -> list[Hit]:
        if not text or text.isspace():
            return []
        doc = _Doc(text, self.norm, self.stems)
        occs: list[_Occ] = []
        if self.automata[0] is not None:
            for end, (length, refs) in self.automata[0].iter(doc.hay):
                ps = end - length + 2
                occs.extend(_Occ(e, s, ps, end) for e, s in refs)
        prefixed = self.prefixed
        if prefixed:
            # A lookup in this small dict per chunk (cheap: the hash is cached on the chunk).
            for chunk in compress(count(), map(prefixed.__contains__, doc.chunks)):
                for k, refs in prefixed[doc.chunks[chunk]]:
                    ps = doc.unit_position(chunk, k)
                    pe = _unit_end(doc.hay, ps)
                    occs.extend(_Occ(e, s, ps, pe) for e, s in refs)
        if not occs:
            return []
        terms = self._assemble(doc, occs)
        if not terms:
            return []
        return self._hits(doc, terms, self._modifiers(doc, terms))

    def _modifiers(self, doc: _Doc, terms: list[_Occ]) -> list[_Occ]:
        """Modifier matches, searched only where they can act: the windows before the terms
        (and inside gapped terms). Sorted by end."""
        automaton = self.automata[2]
        if automaton is None:
            return []
        hay = doc.hay
        windows: list[list[int]] = []
        for cue in terms:  # sorted by start
            start = cue.ps - 1
            for _ in range(self.max_scope):
                start = max(hay.rfind(" ", 0, start), hay.rfind(_JOIN, 0, start))
                if start <= 0:
                    start = 0
                    break
            end = cue.pe if len(cue.parts) > 1 else cue.ps
            if windows and start <= windows[-1][1]:
                windows[-1][1] = max(windows[-1][1], end)
            else:
                windows.append([start, end])
        mods = [
            _Occ(e, s, end - length + 2, end)
            for start, stop in windows
            for end, (length, refs) in automaton.iter(hay, start, stop)
            for e, s in refs
        ]
        mods.sort(key=lambda o: (o.pe, o.ps))
        return mods

    def _verified(self, doc: _Doc, occ: _Occ) -> bool:
        if occ.ok is None:
            surfaces = self.entries[occ.entry].segments[occ.seg].surfaces
            occ.ok = surfaces is None or doc.surfaces(occ.ps, occ.pe) == surfaces
        return occ.ok

    def _assemble(self, doc: _Doc, occs: list[_Occ]) -> list[_Occ]:
        """Whole-term matches (segments chained), same-category nesting removed, by start."""
        singles: list[_Occ] = []
        by_segment: dict[tuple[int, int], list[_Occ]] = {}
        for occ in occs:
            entry = self.entries[occ.entry]
            if not self._verified(doc, occ):
                continue
            elif len(entry.segments) == 1:
                singles.append(occ)
            else:
                by_segment.setdefault((occ.entry, occ.seg), []).append(occ)
        for (e, s), firsts in by_segment.items():
            if s == 0:
                singles.extend(self._chain(doc, e, firsts, by_segment))
        return self._drop_nested(singles)

    def _chain(
        self, doc: _Doc, e: int, firsts: list[_Occ], by_segment: dict[tuple[int, int], list[_Occ]]
    ) -> list[_Occ]:
        entry = self.entries[e]
        later = [
            sorted(by_segment.get((e, s), []), key=lambda o: o.ps)
            for s in range(len(entry.segments))
        ]
        chained: dict[int, _Occ] = {}
        for first in firsts:
            current, parts = first, [(first.ps, first.pe)]
            for s in range(1, len(entry.segments)):
                nxt = None
                for cand in later[s][bisect_left([o.ps for o in later[s]], current.pe) :]:
                    if doc.between(current.pe, cand.ps) > entry.gaps[s - 1]:
                        break
                    if not doc.broken(current.pe, cand.ps):
                        nxt = cand
                        break
                if nxt is None:
                    break
                current = nxt
                parts.append((nxt.ps, nxt.pe))
            else:
                whole = _Occ(e, 0, first.ps, current.pe)
                whole.parts = parts
                # Several starts chaining to the same end: keep the closest start.
                previous = chained.get(current.pe)
                if previous is None or previous.ps < whole.ps:
                    chained[current.pe] = whole
        return list(chained.values())

    def _drop_nested(self, occs: list[_Occ]) -> list[_Occ]:
        # Sorted by start, longest first: a match lies inside an earlier one of its category
        # exactly when it ends no later than the furthest end seen so far.
        kept: list[_Occ] = []
        reach: dict[str, int] = {}
        for occ in sorted(occs, key=lambda o: (o.ps, -o.pe, self.entries[o.entry].row)):
            category = self.terms[self.entries[occ.entry].row][1]
            if occ.pe > reach.get(category, -1):
                kept.append(occ)
                reach[category] = occ.pe
        return kept

    def _modifiers_of(self, doc: _Doc, cue: _Occ, mods: list[_Occ], ends: list[int]) -> list[_Occ]:
        candidates: list[_Occ] = []
        i = bisect_right(ends, cue.ps)
        for mod in reversed(mods[:i]):  # modifiers before the cue, nearest first
            between = doc.between(mod.pe, cue.ps)
            if between >= self.max_scope:
                break
            scope = self.mods[self.entries[mod.entry].row][2]
            if between < scope and not doc.broken(mod.pe, cue.ps):
                candidates.append(mod)
        if len(cue.parts) > 1:  # modifiers inside the gaps of a gapped term
            gaps = [(a[1], b[0]) for a, b in zip(cue.parts, cue.parts[1:], strict=False)]
            for mod in mods[i : bisect_right(ends, cue.pe)]:
                if any(a <= mod.ps and mod.pe <= b for a, b in gaps):
                    candidates.append(mod)
        # Verified in text order, so that position lookups run forward.
        found = [m for m in sorted(candidates, key=lambda o: o.ps) if self._verified(doc, m)]
        # Overlapping modifiers: the longer wins ("not only" over "not").
        return [
            m
            for m in found
            if not any(
                o is not m and o.ps <= m.ps and m.pe <= o.pe and o.pe - o.ps > m.pe - m.ps
                for o in found
            )
        ]

    def _hits(self, doc: _Doc, terms: list[_Occ], mods: list[_Occ]) -> list[Hit]:
        ends = [m.pe for m in mods]
        hits: list[Hit] = []
        for cue in terms:  # in order of position: offsets are looked up in one pass
            term, category, polarity, weight = self.terms[self.entries[cue.entry].row]
            negated = hedged = False
            intensity = 1.0
            for mod in self._modifiers_of(doc, cue, mods, ends) if mods else ():
                kind, factor, _ = self.mods[self.entries[mod.entry].row]
                if kind == "negator":
                    negated = True
                elif kind == "hedge":
                    hedged = True
                else:
                    intensity *= factor
            start, end = doc.span(cue.ps, cue.pe)
            hits.append(
                Hit(
                    term,
                    category,
                    -polarity if negated else polarity,
                    weight,
                    start,
                    end,
                    negated,
                    hedged,
                    round(intensity, 6),
                )
            )
        hits.sort(key=lambda h: (h.start, h.end, h.category, h.term))
        return hits
