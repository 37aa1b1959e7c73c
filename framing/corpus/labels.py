"""Outlet names and article ids: control and bidi characters removed, ids given or hashed.

Ids: the given id as text; else a content hash. Repeated ids get a suffix ``~2``, ``~3`` ... in
input order, and the reason says so.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from framing.corpus.values import _as_id, _as_text, _join

UNKNOWN_OUTLET = "unknown"
#: Suffix pattern that keeps repeated ids apart: "<id>~2", "<id>~3", ...
ID_SUFFIX = "~{n}"
#: Characters removed from outlet names and ids: C0/C1 controls (NUL, tab, line breaks...), bidi
#: embeddings, overrides, isolates and marks, zero-width space, word joiner, BOM, line/paragraph
#: separators. Zero-width (non-)joiners stay: Persian and Indic names need them.
_LABEL_JUNK = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u200b\u200e\u200f\u2028\u2029\u202a-\u202e\u2060"
    "\u2066-\u2069\ufeff]"
)


def _clean_labels(
    outlets_in: list[Any], ids_in: list[Any], reasons: list[str]
) -> tuple[list[str], list[Any]]:
    """Outlet names and given ids without control or bidi formatting characters (noted in reasons).

    A NUL or a right-to-left override in an outlet name would travel into every table, figure
    caption and report; names and ids are labels, so such characters carry no meaning there.
    """
    outlets, ids = [], []
    for i, (outlet, given) in enumerate(zip(outlets_in, ids_in, strict=True)):
        name, cleaned = _as_text(outlet), []
        if _LABEL_JUNK.search(name):
            name = _clean_label(name)
            cleaned.append("outlet name")
        if isinstance(given, str) and _LABEL_JUNK.search(given):
            given = _clean_label(given)
            cleaned.append("article id")
        if cleaned:
            reasons[i] = _join(
                reasons[i],
                f"{' and '.join(cleaned)} held control or bidirectional formatting characters "
                "(removed)",
            )
        outlets.append(name.strip() or UNKNOWN_OUTLET)
        ids.append(given)
    return outlets, ids


def _clean_label(value: str) -> str:
    """``value`` without control and bidi formatting characters; runs of spaces collapsed."""
    if not _LABEL_JUNK.search(value):
        return value
    return " ".join(_LABEL_JUNK.sub(_label_junk_replacement, value).split())


def _label_junk_replacement(match: re.Match) -> str:
    return " " if match.group().isspace() else ""


def _article_ids(
    given: list[Any],
    outlets: list[str],
    titles: list[str],
    texts: list[str],
    sources: list[Any],
    reasons: list[str],
    taken: set[str] | None = None,
) -> list[str]:
    """Given ids as text, else content hashes; repeats get a suffix and a note in ``reasons``.

    ``taken`` holds ids used by earlier chunks of the same input (streaming): they count as
    repeats too, and the set is updated with this chunk's final ids.
    """
    ids = []
    for value, outlet, title, text, source in zip(
        given, outlets, titles, texts, sources, strict=True
    ):
        identifier = _as_id(value)
        if identifier is None:
            # Hash of the content as read (not as cleaned): ids stay put when cleaning improves.
            basis = f"{outlet}\n{title}\n{text}" if text.strip() else f"source\n{source}"
            identifier = hashlib.sha1(basis.encode("utf-8")).hexdigest()[:16]
        ids.append(identifier)
    earlier = taken if taken is not None else set()
    seen = set(ids)
    if len(seen) == len(ids) and earlier.isdisjoint(seen):
        earlier.update(ids)
        return ids
    seen |= earlier
    counts: dict[str, int] = {}
    for i, identifier in enumerate(ids):
        counts[identifier] = counts.get(identifier, 0) + 1
        if counts[identifier] == 1 and identifier not in earlier:
            continue
        number = max(counts[identifier], 2)  # an id first used by an earlier chunk: ~2
        renamed = identifier + ID_SUFFIX.format(n=number)
        while renamed in seen:
            number += 1
            renamed = identifier + ID_SUFFIX.format(n=number)
        seen.add(renamed)
        ids[i] = renamed
        reasons[i] = _join(
            reasons[i], f"id {identifier!r} already used by an earlier row; renamed {renamed!r}"
        )
    earlier.update(ids)
    return ids
