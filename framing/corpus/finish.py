"""Raw rows to the article table: cleaned, language identified, statuses, dates, ids, duplicates.

Short texts whose language one detection cannot settle take their context's language
(:mod:`framing.corpus.languages`), once every row is identified; ``language_source`` says where
each language came from. A row of a headline-only table (:mod:`framing.corpus.tables`) has its
headline as title and no text: it is identified, sketched and processed by its title.

Cleaning, language identification, truncation and duplicate sketches run chunk by chunk, in worker
processes when asked; the output is the same, in input order, whatever the number of workers.
Missing values in the string columns are NA (pandas' missing marker): test with ``pd.isna``.
"""

from __future__ import annotations

import functools
import re
from datetime import date
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from framing.corpus.dates import _normalise_dates, default_bounds
from framing.corpus.duplicates import _duplicates, _signatures, _sketch_inputs
from framing.corpus.fields import _RAW_COLUMNS, CLASH_PREFIX, HEADLINE, PUBLISHED_RAW
from framing.corpus.labels import _article_ids, _clean_labels
from framing.corpus.languages import resolve_languages
from framing.corpus.progress import _bar
from framing.corpus.values import _as_raw_date, _as_text, _is_missing, _join, _normalise_language
from framing.infra.pool import map_chunks
from framing.infra.schema import ARTICLE_LANGUAGE_SOURCE
from framing.text.language import UNDETERMINED, detect_language
from framing.text.preprocess import clean_text, normalize_unicode, normalize_whitespace

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
    language: str | None = None,
    date_bounds: tuple[date, date] | None = None,
) -> pd.DataFrame:
    """The article table of the raw rows: processed, with statuses, dates, ids and duplicates.

    Rows a reader already gave a status keep it; every other row is cleaned, its language
    identified and its text truncated (:func:`_process_all`); short texts whose detection is
    uncertain then take the language of their context, ``language`` (the user's) first
    (:func:`framing.corpus.languages.resolve_languages`), and each row gets its status
    (:func:`_outcome`). Dates outside ``date_bounds`` (floor, ceiling; default
    :func:`framing.corpus.dates.default_bounds`) are left empty. ``taken_ids`` as for
    :func:`framing.corpus.labels._article_ids`.
    """
    n = len(raw)
    titles_in = [_as_text(value) for value in raw["title"].tolist()]
    texts_in = [_as_text(value) for value in raw["text"].tolist()]
    stated = [_normalise_language(value) for value in raw["language"].tolist()]
    headlines = [value is True for value in raw[HEADLINE].tolist()]
    statuses = [None if _is_missing(value) else str(value) for value in raw["status"].tolist()]
    reasons = [_as_text(value) for value in raw["reason"].tolist()]
    outlets, given_ids = _clean_labels(raw["outlet"].tolist(), raw["article_id"].tolist(), reasons)

    todo = [i for i in range(n) if statuses[i] is None]
    work = [(titles_in[i], texts_in[i], stated[i], headlines[i]) for i in todo]
    done = _process_all(work, max_chars, threshold is not None, workers, progress)
    rows = _Rows.of(n, todo, done)
    found = resolve_languages(
        rows.languages, rows.scores, rows.lengths, [s is not None for s in stated],
        rows.identified, outlets, language,
    )
    for i, item in zip(todo, done, strict=True):
        statuses[i], reasons[i] = _outcome(
            item, titles_in[i] if headlines[i] else texts_in[i], reasons[i], supported, max_chars,
            (found.language[i], found.score[i], found.source[i]),
        )

    published_raw = [_as_raw_date(value) for value in raw[PUBLISHED_RAW].tolist()]
    orders = [dayfirst] * n if isinstance(dayfirst, bool) else [o in dayfirst for o in outlets]
    published = _normalise_dates(published_raw, orders, reasons, date_bounds or default_bounds())
    ids = _article_ids(
        given_ids, outlets, titles_in, texts_in, raw["source"].tolist(), reasons, taken_ids
    )
    duplicate_of, near_duplicate_of = _duplicates(rows.keys, rows.signatures, ids, threshold)

    columns = {
        "article_id": ids,
        "outlet": outlets,
        "published": published,
        "language": found.language,
        "language_score": np.asarray(found.score, dtype=float),
        "title": rows.titles,
        "text": rows.texts,
        "source": [str(value) for value in raw["source"].tolist()],
        "status": statuses,
        "reason": reasons,
        "duplicate_of": duplicate_of,
        "near_duplicate_of": near_duplicate_of,
        ARTICLE_LANGUAGE_SOURCE: found.source,
        PUBLISHED_RAW: published_raw,
    }
    return _article_table(columns, raw)


class _Rows(NamedTuple):
    """The processed values of every row (defaults for rows a reader already gave a status)."""

    titles: list[str]
    texts: list[str]
    languages: list[str]
    scores: list[float]
    lengths: list[int]  # characters of title and text together
    identified: list[bool]  # whether the row had text (or a headline) to identify
    keys: list[tuple[int, int] | None]
    signatures: list[np.ndarray | None]

    @classmethod
    def of(cls, n: int, todo: list[int], done: list[_Processed]) -> _Rows:
        rows = cls([""] * n, [""] * n, [UNDETERMINED] * n, [0.0] * n, [0] * n, [False] * n,
                   [None] * n, [None] * n)
        for i, item in zip(todo, done, strict=True):
            rows.titles[i], rows.texts[i] = item.title, item.text
            rows.languages[i], rows.scores[i] = item.language, item.score
            rows.lengths[i] = len(item.title) + len(item.text)
            rows.identified[i] = bool(_body(item))
            rows.keys[i], rows.signatures[i] = item.key, item.signature
        return rows


def _body(item: _Processed) -> str:
    """What is analysed of an article: its text, or the headline of a headline-only table."""
    return item.text or (item.title if item.headline else "")


def _outcome(
    item: _Processed,
    text_in: str,
    reason: str,
    supported: tuple[str, ...],
    max_chars: int,
    language: tuple[str, float, str],
) -> tuple[str, str]:
    """(status, reason) of a processed article: "empty", "unsupported_language", "too_large" or "ok".

    ``text_in`` is the text as read, ``reason`` what the reader noted and ``language`` the
    article's (language, score, language_source); the notes of this step come first in the
    returned reason.
    """
    if not _body(item):
        return "empty", _join(reason, "no text left after cleaning" if text_in.strip() else "no text")
    notes = []
    if item.cut_from:
        notes.append(
            f"text has {item.cut_from:,} characters, more than max_chars={max_chars:,}; "
            f"truncated to {len(item.text):,} at a {item.boundary} boundary"
        )
    if language[0] not in supported:
        status = "unsupported_language"
        notes.insert(0, _language_reason(*language, supported))
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
    headline: bool  # a row of a headline-only table: the title is what is analysed
    key: tuple[int, int] | None  # exact-duplicate key; None without text
    signature: np.ndarray | None  # MinHash values; None without shingles or when not asked


def _process_chunk(
    work: list[tuple[str, str, str | None, bool]], max_chars: int, want_signatures: bool
) -> list[_Processed]:
    """Clean, identify the language (unless stated: score 1.0), truncate and sketch a chunk.

    A row of a headline-only table (its last item true) is identified and sketched by its title.
    """
    cleaned = []
    for title, text, language, headline in work:
        title = _clean_title(title, language, headline) if title else ""
        text = clean_text(text, language=language) if text else ""
        body = text or (title if headline else "")
        if language is not None:
            score = 1.0
        elif body:
            language, score = detect_language(f"{title}\n{text}" if text else body)
        else:
            language, score = UNDETERMINED, 0.0
        cut_from, boundary = 0, ""
        if len(text) > max_chars:
            cut_from = len(text)
            text, boundary = _truncate(text, max_chars)
        cleaned.append((title, text, language, float(score), cut_from, boundary, headline))
    bodies = [item[1] or (item[0] if item[6] else "") for item in cleaned]
    with_text = [i for i, body in enumerate(bodies) if body]
    keys: list[tuple[int, int] | None] = [None] * len(cleaned)
    signatures: list[np.ndarray | None] = [None] * len(cleaned)
    if with_text:
        found, shingles = _sketch_inputs(
            [bodies[i] for i in with_text], want_shingles=want_signatures
        )
        for position, i in enumerate(with_text):
            keys[i] = found[position]
        if shingles is not None:
            for i, signature in zip(with_text, _signatures(shingles), strict=True):
                signatures[i] = signature
    return [_Processed(*item, keys[i], signatures[i]) for i, item in enumerate(cleaned)]


def _clean_title(title: str, language: str | None, headline: bool) -> str:
    """The cleaned title. A headline is never boilerplate as a whole: when the rules for site
    chrome remove all of it ("WATCH: ..." reads like a video promo line), it is kept normalised."""
    cleaned = clean_text(title, language=language)
    if cleaned or not headline:
        return cleaned
    return " ".join(normalize_whitespace(normalize_unicode(title)).split())


def _process_all(
    work: list[tuple[str, str, str | None, bool]],
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


def _language_reason(language: str, score: float, source: str, supported: tuple[str, ...]) -> str:
    """Why an article's language is not processed, saying where the language came from."""
    accepted = ", ".join(supported)
    if language == UNDETERMINED:
        return f"language could not be determined (supported: {accepted})"
    how = {
        "column": "stated",
        "given": "given for short texts",
        "outlet": "the outlet's language; the text is too short to identify alone",
        "corpus": "the corpus's language; the text is too short to identify alone",
    }.get(source, f"detected, confidence {score:.2f}")
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
