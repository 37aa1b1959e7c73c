"""Markdown rendering of the blocks: the HTML page's twin, every text from the data escaped."""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from typing import Any

from framing.report.document import (
    EMBED_FORMATS,
    Context,
    Figure,
    Folded,
    Heading,
    Note,
    Para,
    Passages,
    Stats,
    Table,
    href,
    page_footer,
    page_subtitle,
)
from framing.report.evidence import term_segments

__all__ = ["highlight_markdown", "render_markdown"]


_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~])")
_WHITESPACE = re.compile(r"\s+")
_MD_ORDERED = re.compile(r"^(\d+)([.)])")


def _md_escape(text: Any) -> str:
    """Text for Markdown: its syntax characters backslash-escaped, then ``&<>`` as entities."""
    flat = _WHITESPACE.sub(" ", str(text))
    return html.escape(_MD_SPECIAL.sub(r"\\\1", flat), quote=False)


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


def _md_table(table: Table) -> str:
    numeric = [
        any(row[i].numeric for row in table.rows) if table.rows else False
        for i in range(len(table.headers))
    ]
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


def _md_figure(figure: Figure) -> str:
    files = dict(figure.files)
    shown = next((files[f] for f in EMBED_FORMATS if f in files), None)
    links = ", ".join(f"[{f.upper()}]({href(files[f])})" for f in sorted(files))
    image = f"![{_md_escape(figure.caption)}]({href(shown)})\n\n" if shown else ""
    return f"{image}*{_md_escape(figure.caption)}* ({links})"


def render_markdown(ctx: Context, blocks: Sequence[Any]) -> str:
    """The blocks as a Markdown document."""
    out = [f"# {_md_escape(ctx.title)}", "", _md_escape(page_subtitle(ctx)), ""]
    toc = [b for b in blocks if isinstance(b, Heading) and b.level == 2]
    out += [f"- [{_md_escape(b.text)}](#{b.anchor})" for b in toc] + [""]
    for block in blocks:
        if isinstance(block, Heading):
            out.append(f'<a id="{html.escape(str(block.anchor), quote=True)}"></a>\n')
            out.append(f"{'#' * block.level} {_md_escape(block.text)}")
        elif isinstance(block, Para):
            out.append(_md_block(block.text))
        elif isinstance(block, Note):
            out.append(f"> {_md_escape(block.text)}")
        elif isinstance(block, Stats):
            out.append("\n".join(f"- {_md_escape(k)}: **{_md_escape(v)}**" for k, v in block.items))
        elif isinstance(block, Table):
            out.append(_md_table(block))
        elif isinstance(block, Figure):
            out.append(_md_figure(block))
        elif isinstance(block, Folded):
            out.append(
                "\n\n".join(
                    [f"*{_md_escape(block.summary)}*", *(_md_figure(f) for f in block.figures)]
                )
            )
        elif isinstance(block, Passages):
            out.append(
                "\n".join(
                    f"{i}. {highlight_markdown(p.sentence, p.terms)}  \n   {_md_escape(p.meta)}"
                    for i, p in enumerate(block.items, start=1)
                )
            )
        out.append("")
    out += ["---", "", _md_escape(page_footer(ctx)), ""]
    return "\n".join(out)
