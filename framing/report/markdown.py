"""Markdown rendering of the blocks: the HTML page's twin, every text from the data escaped."""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from framing.report import document as doc
from framing.report.evidence import term_segments

__all__ = ["highlight_markdown", "render_markdown"]


_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~])")
_WHITESPACE = re.compile(r"\s+")
_MD_ORDERED = re.compile(r"^(\d+)([.)])")
#: An "&" that CommonMark would read as the start of an entity or numeric character reference.
_ENTITY_START = re.compile(r"&(?=#?[0-9A-Za-z]+;)")


def _md_escape(text: Any) -> str:
    """Text for Markdown: its syntax characters backslash-escaped, ``<>`` as entities, and ``&``
    as ``&amp;`` only where it would start an entity (``&copy;``, ``&#60;``): a plain "&" stays
    readable in the file ("Chapman & Hall") and renders the same."""
    flat = _WHITESPACE.sub(" ", str(text))
    escaped = _ENTITY_START.sub("&amp;", _MD_SPECIAL.sub(r"\\\1", flat))
    return escaped.replace("<", "&lt;").replace(">", "&gt;")


def _md_block(text: Any) -> str:
    """:func:`_md_escape` for text that starts a line: a leading ``#``, ``-``, ``1.`` ... stays
    text."""
    escaped = _md_escape(text)
    if _MD_ORDERED.match(escaped):
        return _MD_ORDERED.sub(r"\1\\\2", escaped, count=1)
    return "\\" + escaped if escaped[:1] in ("#", "=", "+", "-") else escaped


def highlight_markdown(sentence: str, terms: Iterable[Any]) -> str:
    """The sentence as Markdown with each lexicon term span in bold; everything else escaped.

    Examples
    --------
    >>> highlight_markdown("a *real* threat", [{"term": "threat", "start": 9, "end": 15}])
    'a \\\\*real\\\\* **threat**'
    """
    parts = []
    for text, span_terms in term_segments(str(sentence), terms):
        escaped = _md_escape(text)
        parts.append(f"**{escaped}**" if span_terms and escaped.strip() else escaped)
    return "".join(parts)


def _md_table(table: doc.Table) -> str:
    numeric = doc.numeric_columns(table)
    lines = []
    if table.caption:
        lines += [f"*{_md_escape(table.caption)}*", ""]
    lines.append("| " + " | ".join(_md_escape(h) for h in table.headers) + " |")
    lines.append("|" + "|".join("---:" if n else "---" for n in numeric) + "|")
    for row in table.rows:
        lines.append(
            "| "
            + " | ".join(
                f"**{_md_escape(c.text)}**" if c.cls == "sig" and c.text else _md_escape(c.text)
                for c in row
            )
            + " |"
        )
    if table.note:
        lines += ["", f"{_md_escape(table.note)}"]
    return "\n".join(lines)


def _md_figure(figure: doc.Figure) -> str:
    files = dict(figure.files)
    shown = next((files[f] for f in doc.EMBED_FORMATS if f in files), None)
    links = ", ".join(f"[{f.upper()}]({doc.href(files[f])})" for f in sorted(files))
    image = f"![{_md_escape(figure.caption)}]({doc.href(shown)})\n\n" if shown else ""
    return f"{image}*{_md_escape(figure.caption)}* ({links})"


def _md_heading(block: doc.Heading) -> str:
    anchor = f'<a id="{html.escape(str(block.anchor), quote=True)}"></a>\n'
    return f"{anchor}\n{'#' * block.level} {_md_escape(block.text)}"


def _md_folded(block: doc.Folded) -> str:
    return "\n\n".join([f"*{_md_escape(block.summary)}*", *(_md_figure(f) for f in block.figures)])


def _md_passages(block: doc.Passages) -> str:
    return "\n".join(
        f"{i}. {highlight_markdown(p.sentence, p.terms)}  \n   {_md_escape(p.meta)}"
        for i, p in enumerate(block.items, start=1)
    )


#: Block type -> its Markdown.
_MD_RENDERERS: dict[type, Callable[[Any], str]] = {
    doc.Heading: _md_heading,
    doc.Para: lambda b: _md_block(b.text),
    doc.Note: lambda b: f"> {_md_escape(b.text)}",
    doc.Stats: lambda b: "\n".join(f"- {_md_escape(k)}: **{_md_escape(v)}**" for k, v in b.items),
    doc.Table: _md_table,
    doc.Figure: _md_figure,
    doc.Folded: _md_folded,
    doc.Passages: _md_passages,
}


def render_markdown(ctx: doc.Context, blocks: Sequence[Any]) -> str:
    """The blocks as a Markdown document."""
    out = [f"# {_md_escape(ctx.title)}", "", _md_escape(doc.page_subtitle(ctx)), ""]
    toc = [b for b in blocks if isinstance(b, doc.Heading) and b.level == 2]
    out += [f"- [{_md_escape(b.text)}](#{b.anchor})" for b in toc] + [""]
    for block in blocks:
        text = doc.render_block(block, _MD_RENDERERS)
        if text is not None:
            out.append(text)
        out.append("")
    out += ["---", "", _md_escape(doc.page_footer(ctx)), ""]
    return "\n".join(out)
