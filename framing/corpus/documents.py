"""One article per file: a text file (with its optional header) or a web page, sidecar applied."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pandas as pd

from framing.corpus.decoding import _decode, _encoding_note
from framing.corpus.fields import _RAW_COLUMNS, PUBLISHED_RAW
from framing.corpus.files import _read_bytes
from framing.corpus.sidecar import SIDECAR_FIELDS, _sidecar_row
from framing.corpus.values import _is_missing, _join
from framing.infra.errors import DataError
from framing.text.preprocess import extract_header

_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
_HTML_DROP = ("script", "style", "iframe", "noscript", "object", "embed", "template")


def _read_single(
    path: Path, fmt: str, folder: Path | None, sidecar: pd.DataFrame | None
) -> dict[str, Any]:
    """One raw article row from a text or HTML file, sidecar values applied."""
    row: dict[str, Any] = dict.fromkeys(_RAW_COLUMNS)
    row["source"] = str(path)
    data, error = _read_bytes(path)
    if data is None:
        row.update(status="unreadable", reason=error)
    else:
        text, encoding, status, reason = _decode(data)
        if status is not None:
            row.update(status=status, reason=reason)
        elif not text.strip():
            row.update(
                status="empty", reason="file is empty" if not data else "file has only whitespace"
            )
        else:
            fields = _parse_txt(text) if fmt == "txt" else _parse_html(text)
            row.update(fields)
            row["reason"] = _join(_encoding_note(encoding), fields.get("reason") or "")
    extras: dict[str, Any] = {}
    if sidecar is not None:
        stated = _sidecar_row(sidecar, path, folder)
        for key, value in stated.items():
            if key in SIDECAR_FIELDS:
                if not _is_missing(value):
                    row[PUBLISHED_RAW if key == "published" else key] = value
            else:
                extras[key] = value
    return {**row, **extras}


def _parse_txt(text: str) -> dict[str, Any]:
    meta, body = extract_header(text)
    return {
        "outlet": meta.get("outlet"),
        PUBLISHED_RAW: meta.get("published"),
        "title": meta.get("title"),
        "text": body,
    }


def _parse_html(html: str) -> dict[str, Any]:
    """Main text and metadata of a web page with trafilatura; scripts and iframes removed first."""
    try:
        import lxml.html
        import trafilatura
    except ImportError as err:  # a broken install must not look like an empty page
        raise DataError(
            f"reading HTML needs trafilatura, which cannot be imported ({err}); install the "
            "project's dependencies (pip install -e .)"
        ) from err
    try:
        tree = lxml.html.fromstring(_XML_DECLARATION.sub("", html, count=1))
    except (ValueError, lxml.etree.ParserError) as err:
        return {"status": "unreadable", "reason": f"cannot parse HTML: {err}"}
    # trafilatura keeps an iframe's fallback content; these elements are never article text.
    for element in list(tree.iter(*_HTML_DROP)):
        element.drop_tree()
    document = trafilatura.bare_extraction(tree, with_metadata=True, include_comments=False)
    if document is None or not (document.text or "").strip():
        return {"status": "empty", "reason": "no main text found in the HTML"}
    title = document.title or None
    text = document.text
    if title:  # the page heading repeats the title; keep it only in the title column
        first, _, rest = text.partition("\n")
        if first.strip() == title.strip():
            text = rest
    return {
        "outlet": document.sitename or None,
        PUBLISHED_RAW: document.date,
        "title": title,
        "text": text,
    }
