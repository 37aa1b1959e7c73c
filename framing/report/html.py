"""HTML rendering of the blocks: one self-contained page (figures embedded, inline style and
table-sorting script), every text from the data escaped, and a Content-Security-Policy that
allows exactly that style, that script (by their sha256) and ``data:`` images."""

from __future__ import annotations

import base64
import hashlib
import html
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from framing.analysis.report_tables import cell_text
from framing.report import document as doc
from framing.report.cells import as_float
from framing.report.evidence import term_segments

__all__ = ["highlight_html", "render_html"]


_MIME = {"svg": "image/svg+xml", "png": "image/png"}


_CSS = """
:root{--fg:#1f2633;--muted:#5d6678;--line:#dde2ea;--soft:#f4f6f9;--accent:#2166ac;--warn:#8a5300}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;color:var(--fg);background:#fff;font:15px/1.55 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,"DejaVu Sans",sans-serif}
.wrap{max-width:1120px;margin:0 auto;padding:0 28px}
header.top{background:#1f2633;color:#fff;padding:26px 0 18px}
header.top h1{margin:0 0 4px;font-size:27px;line-height:1.25;font-weight:650}
header.top p{margin:0;color:#c5cddb}
nav.toc{background:var(--soft);border-bottom:1px solid var(--line);padding:8px 0;font-size:13.5px}
nav.toc a{color:var(--accent);text-decoration:none;margin-right:16px;white-space:nowrap;display:inline-block}
nav.toc a:hover{text-decoration:underline}
main{padding-bottom:40px}
h2{font-size:22px;margin:38px 0 12px;padding-bottom:6px;border-bottom:2px solid var(--line)}
h3{font-size:17px;margin:26px 0 8px}
h4{font-size:15px;margin:18px 0 4px;color:var(--muted)}
p{max-width:78ch}
.stats{display:grid;grid-template-columns:repeat(auto-fit,minmax(160px,1fr));gap:12px;margin:14px 0}
.stat{background:var(--soft);border:1px solid var(--line);border-radius:8px;padding:10px 14px}
.stat b{display:block;font-size:22px;line-height:1.3;overflow-wrap:anywhere}
.stat span{color:var(--muted);font-size:13px}
.table-wrap{overflow:auto;max-height:620px;border:1px solid var(--line);border-radius:6px;margin:10px 0 6px}
table{border-collapse:collapse;width:100%;font-size:13.5px;font-variant-numeric:tabular-nums}
caption{caption-side:top;text-align:left;font-weight:600;padding:8px 10px;background:#fff}
th,td{padding:5px 10px;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
th{position:sticky;top:0;background:var(--soft);cursor:pointer;user-select:none;white-space:nowrap;font-weight:600}
th::after{content:" \\2195";color:#a3abb9;font-size:11px}
th[aria-sort=ascending]::after{content:" \\25B2";color:var(--accent)}
th[aria-sort=descending]::after{content:" \\25BC";color:var(--accent)}
th:focus-visible{outline:2px solid var(--accent);outline-offset:-2px}
tbody tr:nth-child(even){background:#fafbfc}
tbody tr:hover{background:#eef4fb}
.num{text-align:right;white-space:nowrap}
td:first-child{min-width:16ch}
td.warn{color:var(--warn);font-size:12.5px;min-width:16ch}
details{margin:10px 0}
details>summary{cursor:pointer;color:var(--accent);font-size:14px}
td.sig{font-weight:700}
.tnote{color:var(--muted);font-size:12.5px;margin:0 0 10px}
.note{background:var(--soft);border-left:4px solid #a3abb9;padding:8px 12px;color:var(--muted);margin:10px 0;max-width:78ch}
.figs{display:grid;grid-template-columns:repeat(auto-fit,minmax(440px,1fr));gap:18px;align-items:start;margin:12px 0}
figure.fig{margin:0;border:1px solid var(--line);border-radius:6px;padding:10px;background:#fff}
figure.fig img{display:block;max-width:100%;height:auto;margin:0 auto}
figcaption{color:var(--muted);font-size:13px;margin-top:6px}
figcaption a{color:var(--accent)}
ol.passages{list-style:none;padding:0;margin:6px 0 14px}
ol.passages li{border-left:3px solid var(--line);padding:4px 12px;margin:8px 0}
ol.passages q{quotes:none;display:block}
.meta{display:block;color:var(--muted);font-size:12.5px}
mark{padding:0 2px;border-radius:3px;color:inherit}
mark.neg{background:#fddbc7;box-shadow:inset 0 -2px 0 #b2182b}
mark.pos{background:#d1e5f0;box-shadow:inset 0 -2px 0 #2166ac}
mark.neu{background:#ececec;box-shadow:inset 0 -2px 0 #8c8c8c}
footer{border-top:1px solid var(--line);color:var(--muted);font-size:12.5px;padding:14px 0 30px}
@media print{th{position:static}.table-wrap{max-height:none;overflow:visible}nav.toc{display:none}}
"""


_JS = """
(function () {
  "use strict";
  function key(cell) {
    if (!cell) { return null; }
    var v = cell.getAttribute("data-v");
    if (v === null) { return {n: false, s: cell.textContent.trim().toLowerCase()}; }
    if (v === "") { return null; }
    return {n: true, x: parseFloat(v)};
  }
  function compare(a, b) {
    if (a.n && b.n) { return a.x - b.x; }
    var s = a.n ? String(a.x) : a.s, t = b.n ? String(b.x) : b.s;
    return s < t ? -1 : s > t ? 1 : 0;
  }
  function sortBy(table, th, col) {
    var ascending = th.getAttribute("aria-sort") !== "ascending";
    Array.prototype.forEach.call(th.parentNode.cells, function (h) { h.removeAttribute("aria-sort"); });
    th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
    var body = table.tBodies[0];
    var rows = Array.prototype.map.call(body.rows, function (row, i) {
      return {row: row, i: i, k: key(row.cells[col])};
    });
    rows.sort(function (a, b) {
      if (a.k === null || b.k === null) {
        if (a.k === b.k) { return a.i - b.i; }
        return a.k === null ? 1 : -1;
      }
      var c = compare(a.k, b.k);
      return (ascending ? c : -c) || a.i - b.i;
    });
    rows.forEach(function (r) { body.appendChild(r.row); });
  }
  Array.prototype.forEach.call(document.querySelectorAll("table.sortable"), function (table) {
    if (!table.tHead || !table.tBodies.length) { return; }
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, col) {
      th.tabIndex = 0;
      th.addEventListener("click", function () { sortBy(table, th, col); });
      th.addEventListener("keydown", function (event) {
        if (event.key === "Enter" || event.key === " ") { event.preventDefault(); sortBy(table, th, col); }
      });
    });
  });
}());
"""


def _csp_hash(text: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode(
        "ascii"
    )


#: The page may use its own inline style and script (by hash) and data: images; nothing else.
def _csp() -> str:
    return (
        f"default-src 'none'; img-src data:; style-src '{_csp_hash(_CSS)}'; "
        f"script-src '{_csp_hash(_JS)}'; base-uri 'none'; form-action 'none'"
    )


def _e(text: Any) -> str:
    return html.escape(str(text), quote=True)


_NUM_CLASS = ' class="num"'


def _polarity(terms: Sequence[Mapping]) -> str:
    total = sum(int(as_float(t.get("polarity", 0)) or 0) for t in terms)
    return "pos" if total > 0 else "neg" if total < 0 else "neu"


def _term_title(terms: Sequence[Mapping]) -> str:
    return "; ".join(
        f"{cell_text(t.get('term'))} ({cell_text(t.get('category'))}, polarity "
        f"{int(as_float(t.get('polarity', 0)) or 0):+d})"
        for t in terms
    )


def highlight_html(sentence: str, terms: Iterable[Any]) -> str:
    """The sentence as escaped HTML with ``<mark>`` around each lexicon term span.

    Text between spans and inside them is escaped with :func:`html.escape`; spans outside the
    sentence are ignored and overlapping spans are merged into one mark. A mark's class says the
    direction of its terms (``neg``, ``pos``, ``neu``) and its title lists them.

    Parameters
    ----------
    sentence : str
        The evidence sentence.
    terms : iterable of dict
        ``{term, category, polarity, start, end}`` with offsets within ``sentence``.

    Returns
    -------
    str

    Examples
    --------
    >>> highlight_html("a <b> threat", [{"term": "threat", "category": "conflict",
    ...                                  "polarity": -1, "start": 6, "end": 12}])
    'a &lt;b&gt; <mark class="neg" title="threat (conflict, polarity -1)">threat</mark>'
    """
    parts = []
    for text, span_terms in term_segments(str(sentence), terms):
        if span_terms:
            parts.append(
                f'<mark class="{_polarity(span_terms)}" title="{html.escape(_term_title(span_terms))}">'
                f"{html.escape(text)}</mark>"
            )
        else:
            parts.append(html.escape(text))
    return "".join(parts)


def _html_table(table: doc.Table) -> str:
    numeric = doc.numeric_columns(table)
    head = "".join(
        f'<th scope="col"{_NUM_CLASS if numeric[i] else ""}>{_e(h)}</th>'
        for i, h in enumerate(table.headers)
    )
    body = []
    for row in table.rows:
        cells = []
        for cell in row:
            classes = " ".join(c for c in ("num" if cell.numeric else "", cell.cls) if c)
            attrs = f' class="{classes}"' if classes else ""
            if cell.numeric:
                attrs += f' data-v="{"" if cell.sort is None else format(cell.sort, ".12g")}"'
            cells.append(f"<td{attrs}>{_e(cell.text)}</td>")
        body.append(f"<tr>{''.join(cells)}</tr>")
    caption = f"<caption>{_e(table.caption)}</caption>" if table.caption else ""
    note = f'\n<p class="tnote">{_e(table.note)}</p>' if table.note else ""
    return (
        f'<div class="table-wrap"><table class="sortable">{caption}<thead><tr>{head}</tr></thead>'
        f"<tbody>\n" + "\n".join(body) + f"\n</tbody></table></div>{note}"
    )


def _html_figure(ctx: doc.Context, figure: doc.Figure) -> str:
    files = dict(figure.files)
    links = " · ".join(f'<a href="{_e(doc.href(files[f]))}">{f.upper()}</a>' for f in sorted(files))
    for fmt in doc.EMBED_FORMATS:
        if fmt in files:
            data = base64.b64encode((ctx.run / files[fmt]).read_bytes()).decode("ascii")
            image = f'<img src="data:{_MIME[fmt]};base64,{data}" alt="{_e(figure.caption)}">'
            break
    else:
        image = f'<p class="note">No SVG or PNG of {_e(figure.stem)}; open the file.</p>'
    return (
        f'<figure class="fig">{image}<figcaption>{_e(figure.caption)} · {links}</figcaption>'
        "</figure>"
    )


def _html_passages(block: doc.Passages) -> str:
    items = "\n".join(
        f'<li><q>{highlight_html(p.sentence, p.terms)}</q><span class="meta">{_e(p.meta)}</span></li>'
        for p in block.items
    )
    return f'<ol class="passages">\n{items}\n</ol>'


def _html_stats(block: doc.Stats) -> str:
    return (
        '<div class="stats">'
        + "".join(
            f'<div class="stat"><b>{_e(v)}</b><span>{_e(k)}</span></div>' for k, v in block.items
        )
        + "</div>"
    )


def _html_folded(ctx: doc.Context, block: doc.Folded) -> str:
    return (
        f'<details><summary>{_e(block.summary)}</summary><div class="figs">'
        + "\n".join(_html_figure(ctx, f) for f in block.figures)
        + "</div></details>"
    )


def _html_renderers(ctx: doc.Context) -> dict[type, Callable[[Any], str]]:
    """Block type -> its HTML (figures outside a fold are grouped by :func:`render_html`)."""
    return {
        doc.Heading: lambda b: f'<h{b.level} id="{_e(b.anchor)}">{_e(b.text)}</h{b.level}>',
        doc.Para: lambda b: f"<p>{_e(b.text)}</p>",
        doc.Note: lambda b: f'<p class="note">{_e(b.text)}</p>',
        doc.Stats: _html_stats,
        doc.Table: _html_table,
        doc.Passages: _html_passages,
        doc.Folded: lambda b: _html_folded(ctx, b),
    }


def render_html(ctx: doc.Context, blocks: Sequence[Any]) -> str:
    """The blocks as one self-contained HTML page."""
    body: list[str] = []
    figures: list[str] = []

    def flush() -> None:
        if figures:
            body.append('<div class="figs">' + "\n".join(figures) + "</div>")
            figures.clear()

    renderers = _html_renderers(ctx)
    for block in blocks:
        if isinstance(block, doc.Figure):
            figures.append(_html_figure(ctx, block))
            continue
        flush()
        text = doc.render_block(block, renderers)
        if text is not None:
            body.append(text)
    flush()
    toc = "".join(
        f'<a href="#{_e(b.anchor)}">{_e(b.text)}</a>'
        for b in blocks
        if isinstance(b, doc.Heading) and b.level == 2
    )
    subtitle = doc.page_subtitle(ctx)
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en">',
            "<head>",
            '<meta charset="utf-8">',
            f'<meta http-equiv="Content-Security-Policy" content="{_csp()}">',  # our text, no quotes
            '<meta name="referrer" content="no-referrer">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{_e(ctx.title)}</title>",
            f"<style>{_CSS}</style>",
            "</head>",
            "<body>",
            f'<header class="top"><div class="wrap"><h1>{_e(ctx.title)}</h1><p>{_e(subtitle)}</p></div></header>',
            f'<nav class="toc"><div class="wrap">{toc}</div></nav>',
            '<main class="wrap">',
            *body,
            "</main>",
            f'<footer><div class="wrap">{_e(doc.page_footer(ctx))}</div></footer>',
            f"<script>{_JS}</script>",
            "</body>",
            "</html>",
            "",
        ]
    )
