"""Cleaning as small pure ``str -> str`` functions, header extraction, sentence splitting.

INTERFACE STUB: signatures are the contract; bodies are being written.
"""

from __future__ import annotations

import pandas as pd


def clean_text(text: str, *, language: str | None = None) -> str:
    """Return ``text`` normalised, with site chrome and boilerplate removed, whitespace tidied."""
    return " ".join(text.split())


def extract_header(raw: str) -> tuple[dict[str, str | None], str]:
    """Split a plain-text article into the metadata it states (outlet, published, title) and its body.

    Returns ``({"outlet": ..., "published": "YYYY-MM-DD" | None, "title": ...}, body)``; keys are
    None where the text states nothing.
    """
    return {"outlet": None, "published": None, "title": None}, raw


def split_sentences(text: str, *, language: str = "en") -> list[tuple[int, int]]:
    """Return the (start, end) character spans of the sentences of ``text``."""
    return [(0, len(text))] if text.strip() else []


def split_articles(articles: pd.DataFrame) -> pd.DataFrame:
    """Sentence table (``schema.SENTENCE_COLUMNS``) for the articles whose status is "ok"."""
    raise NotImplementedError
