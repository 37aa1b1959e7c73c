"""Raw rows to the article table: cleaned, language identified, statuses, dates, ids, duplicates.

Cleaning, language identification, truncation and duplicate sketches run chunk by chunk, in worker
processes when asked; the output is the same, in input order, whatever the number of workers.
Missing values in the string columns are NA (pandas' missing marker): test with ``pd.isna``.
"""

from __future__ import annotations

import functools
import re
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from framing.corpus.dates import _normalise_dates
from framing.corpus.duplicates import _duplicates, _signatures, _sketch_inputs
from framing.corpus.fields import _RAW_COLUMNS, CLASH_PREFIX, PUBLISHED_RAW
from framing.corpus.labels import _article_ids, _clean_labels
from framing.corpus.progress import _bar
from framing.corpus.values import _as_raw_date, _as_text, _is_missing, _join, _normalise_language
from framing.infra.pool import map_chunks
from framing.text.language import UNDETERMINED, detect_language
from framing.text.preprocess import clean_text

#: Articles per task: cleaning, language id, truncation and duplicate sketches run chunk by chunk,
#: in worker processes when ``n_jobs > 1`` (the vectorised sketching also bounds memory this way).
CHUNK_SIZE = 512
_SENTENCE_END = re.compile(r"[.!?\u2026][\"'\u201d\u2019)\]]*\s")


def _finish(
    raw: pd.DataFrame,
    supported: tuple[str, ...],
    max_chars: int,
    threshold: float | None,
    progress: bool,
    workers: int,
    taken_ids: set[str] | None = None,
    *,
    dayfirst: bool | frozenset[str] = False,
) -> pd.DataFrame:
    """The article table of the raw rows: processed, with statuses, dates, ids and duplicates.

    Rows a reader already gave a status keep it; every other row is cleaned, its language
    identified and its text truncated (:func:`_process_all`), then gets its status
    (:func:`_outcome`). ``taken_ids`` as for :func:`framing.corpus.labels._article_ids`.
    """
    n = len(raw)
    titles_in = [_as_text(value) for value in raw["title"].tolist()]
    texts_in = [_as_text(value) for value in raw["text"].tolist()]
    stated = [_normalise_language(value) for value in raw["language"].tolist()]
    statuses = [None if _is_missing(value) else str(value) for value in raw["status"].tolist()]
    reasons = [_as_text(value) for value in raw["reason"].tolist()]
    outlets, given_ids = _clean_labels(raw["outlet"].tolist(), raw["article_id"].tolist(), reasons)

    todo = [i for i in range(n) if statuses[i] is None]
    work = [(titles_in[i], texts_in[i], stated[i]) for i in todo]
    done = _process_all(work, max_chars, threshold is not None, workers, progress)

    titles, texts = [""] * n, [""] * n
    languages, scores = [UNDETERMINED] * n, [0.0] * n
    keys: list[tuple[int, int] | None] = [None] * n
    signatures: list[np.ndarray | None] = [None] * n
    for i, item in zip(todo, done, strict=True):
        titles[i], texts[i], keys[i], signatures[i] = (
            item.title,
            item.text,
            item.key,
            item.signature,
        )
        languages[i], scores[i] = item.language, item.score
        statuses[i], reasons[i] = _outcome(
            item, texts_in[i], stated[i] is not None, reasons[i], supported, max_chars
        )

    published_raw = [_as_raw_date(value) for value in raw[PUBLISHED_RAW].tolist()]
    orders = [dayfirst] * n if isinstance(dayfirst, bool) else [o in dayfirst for o in outlets]
    published = _normalise_dates(published_raw, orders, reasons)
    ids = _article_ids(
        given_ids, outlets, titles_in, texts_in, raw["source"].tolist(), reasons, taken_ids
    )
    duplicate_of, near_duplicate_of = _duplicates(keys, signatures, ids, threshold)

    columns = {
        "article_id": ids,
        "outlet": outlets,
        "published": published,
        "language": languages,
        "language_score": np.asarray(scores, dtype=float),
        "title": titles,
        "text": texts,
        "source": [str(value) for value in raw["source"].tolist()],
        "status": statuses,
        "reason": reasons,
        "duplicate_of": duplicate_of,
        "near_duplicate_of": near_duplicate_of,
        PUBLISHED_RAW: published_raw,
    }
    return _article_table(columns, raw)


def _outcome(
    item: _Processed,
    text_in: str,
    stated: bool,
    reason: str,
    supported: tuple[str, ...],
    max_chars: int,
) -> tuple[str, str]:
    """(status, reason) of a processed article: "empty", "unsupported_language", "too_large" or "ok".

    ``text_in`` is the text as read, ``stated`` whether the input gave the language and ``reason``
    what the reader noted; the notes of this step come first in the returned reason.
    """
    if not item.text:
        return "empty", _join(reason, "no text left after cleaning" if text_in.strip() else "no text")
    notes = []
    if item.cut_from:
        notes.append(
            f"text has {item.cut_from:,} characters, more than max_chars={max_chars:,}; "
            f"truncated to {len(item.text):,} at a {item.boundary} boundary"
        )
    if item.language not in supported:
        status = "unsupported_language"
        notes.insert(0, _language_reason(item.language, item.score, stated, supported))
    else:
        status = "too_large" if notes else "ok"
    return status, _join(*notes, reason)


def _article_table(columns: dict[str, Any], raw: pd.DataFrame) -> pd.DataFrame:
    """The article columns with fixed dtypes, then the input's extra columns of ``raw``.

    Text columns are pandas' string dtype whatever the data (missing is NA); an extra column whose
    name clashes with an article column gets the ``input_`` prefix.
    """
    articles = pd.DataFrame(
        {
            name: values if name == "language_score" else pd.array(values, dtype="str")
            for name, values in columns.items()
        },
        index=pd.RangeIndex(len(raw)),
    )
    extras = raw.drop(columns=list(_RAW_COLUMNS)).reset_index(drop=True)
    if extras.shape[1]:
        reserved = set(columns)
        extras.columns = [
            CLASH_PREFIX + str(c) if str(c) in reserved else c for c in extras.columns
        ]
        articles = pd.concat([articles, extras], axis=1)
    return articles


class _Processed(NamedTuple):
    """One article after cleaning, language id, truncation and sketching."""

    title: str
    text: str
    language: str
    score: float
    cut_from: int  # length before truncation; 0 when not truncated
    boundary: str  # where the truncated text was cut
    key: tuple[int, int] | None  # exact-duplicate key; None without text
    signature: np.ndarray | None  # MinHash values; None without shingles or when not asked


def _process_chunk(
    work: list[tuple[str, str, str | None]], max_chars: int, want_signatures: bool
) -> list[_Processed]:
    """Clean, identify the language (unless stated: score 1.0), truncate and sketch a chunk."""
    cleaned = []
    for title, text, language in work:
        title = clean_text(title, language=language) if title else ""
        text = clean_text(text, language=language) if text else ""
        if language is not None:
            score = 1.0
        elif text:
            language, score = detect_language(f"{title}\n{text}")
        else:
            language, score = UNDETERMINED, 0.0
        cut_from, boundary = 0, ""
        if len(text) > max_chars:
            cut_from = len(text)
            text, boundary = _truncate(text, max_chars)
        cleaned.append((title, text, language, float(score), cut_from, boundary))
    with_text = [i for i, item in enumerate(cleaned) if item[1]]
    keys: list[tuple[int, int] | None] = [None] * len(cleaned)
    signatures: list[np.ndarray | None] = [None] * len(cleaned)
    if with_text:
        found, shingles = _sketch_inputs(
            [cleaned[i][1] for i in with_text], want_shingles=want_signatures
        )
        for position, i in enumerate(with_text):
            keys[i] = found[position]
        if shingles is not None:
            for i, signature in zip(with_text, _signatures(shingles), strict=True):
                signatures[i] = signature
    return [_Processed(*item, keys[i], signatures[i]) for i, item in enumerate(cleaned)]


def _process_all(
    work: list[tuple[str, str, str | None]],
    max_chars: int,
    want_signatures: bool,
    workers: int,
    progress: bool,
) -> list[_Processed]:
    chunks = [work[start : start + CHUNK_SIZE] for start in range(0, len(work), CHUNK_SIZE)]
    process = functools.partial(_process_chunk, max_chars=max_chars, want_signatures=want_signatures)
    bar = _bar(len(work), progress, "cleaning", "article")
    results: list[_Processed] = []
    try:
        # fork starts the workers without re-importing the package (where the platform has it)
        for part in map_chunks(process, chunks, n_jobs=workers, start_method="fork"):
            results.extend(part)  # in input order: deterministic output
            bar.update(len(part))
    finally:
        bar.close()
    return results


def _language_reason(language: str, score: float, stated: bool, supported: tuple[str, ...]) -> str:
    accepted = ", ".join(supported)
    if language == UNDETERMINED:
        return f"language could not be determined (supported: {accepted})"
    how = "stated" if stated else f"detected, confidence {score:.2f}"
    return f"language {language!r} ({how}) is not supported (supported: {accepted})"


def _truncate(text: str, max_chars: int) -> tuple[str, str]:
    """Cut ``text`` to at most ``max_chars`` at the last paragraph, sentence or word boundary."""
    head = text[:max_chars]
    floor = max_chars // 2  # never give up more than half the allowance for a nicer boundary
    cut = head.rfind("\n\n")
    if cut >= floor:
        return head[:cut].rstrip(), "paragraph"
    ends = [match.end() for match in _SENTENCE_END.finditer(head, floor)]
    if ends:
        return head[: ends[-1]].rstrip(), "sentence"
    cut = max(head.rfind(" "), head.rfind("\n"))
    if cut >= floor:
        return head[:cut].rstrip(), "word"
    return head, "character"
