"""Assemble a run folder's tables and figures into one HTML file and its Markdown twin.

Two calls, two jobs: :func:`write_comparison` computes the comparison tables with
:mod:`framing.analysis.compare` and draws the figures with :mod:`framing.analysis.plots` into a run folder;
:func:`build_report` reads that folder and writes ``report.html`` and ``report.md``. The report
never recomputes a statistic: every mean, interval, p- and q-value it shows is a cell of a table
in the folder. It only selects rows, sorts, formats and counts them.

Run folder contract
-------------------
Every file is optional. A section whose table is absent is left out with a note naming the file
that would fill it; at least one table or figure must be present.

``manifest.json`` (:meth:`framing.runs.folders.Run.write_manifest`)
    Read: ``experiment``, ``run_id``, ``seed``, ``framing_version``, ``code_sha256``, ``git``
    (``sha``, ``dirty``), ``versions``, ``config`` (``description``, ``report.title``,
    ``scoring.method``, ``scoring.lexicon``, ``scoring.model``, ``targets.lexicon``,
    ``compare.*``), ``inputs`` (key path -> {path: sha256}: ``scoring.lexicon``,
    ``targets.lexicon``, ``scoring.model``, ``corpus.inputs``), ``counts`` (``n_articles``,
    ``n_processed``, from ``corpus.summarise``) and, when present, ``lexicons`` (role ``scoring``
    or ``targets`` -> ``{name, version, sha256}``). Never read: ``timings``, ``platform``,
    ``run_dir``, ``command_line`` (they differ between identical runs).
``comparison.json`` (written by :func:`write_comparison`)
    ``settings`` the tables were computed with (``by``, ``random_state``, ``n_boot``,
    ``n_perm``, ``ci``, ``test``, ``min_n``), ``counts`` (``n_articles``, ``n_groups``,
    ``n_targets``, ``n_mentions`` of the score table), ``files`` written, ``figures`` (stem,
    kind, target, group, caption) and ``notes`` (table name -> why it was not computed).
``scores.parquet``
    ``schema.SCORE_COLUMNS`` (plus grouping columns); its ``evidence`` gives the passages.
``outlet_table.parquet``
    :func:`framing.analysis.compare.outlet_table`; the columns before ``target`` are the groups (``by``).
``contrasts.parquet``
    :func:`framing.analysis.compare.pairwise_contrasts`.
``frame_table.parquet``
    :func:`framing.analysis.compare.frame_table` (target ``""``: frames in whole articles).
``distinguishing_terms.parquet``
    :func:`framing.analysis.compare.distinguishing_terms_by` per target, with a ``target`` column.
``same_event.parquet``
    :func:`framing.analysis.compare.same_event`.
``disagreement_summary.parquet``, ``disagreement_examples.parquet``
    :func:`framing.analysis.compare.disagreement` (lexicon versus model).
``figures/<stem>.svg|png|pdf``
    Named by :func:`figure_stem` (``stance-by-outlet-heatmap``, ``stance-interval-us``, ...);
    any other figure in the folder is shown under "Other figures".

The HTML file is self-contained: figures are embedded as base64 ``data:`` images (SVG preferred:
an SVG shown through ``<img>`` cannot run scripts, and its element ids cannot clash with the
page's), the style and the table-sorting script are inline, and a Content-Security-Policy allows
exactly those two (by their sha256) and ``data:`` images, nothing remote. Every piece of text from
the data (article text, outlet names, terms, ids) is escaped; highlighting escapes the segments
between term spans and never inserts raw text. Output is deterministic: the same folder gives
byte-identical files (no dates, everything sorted).
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import math
import re
import urllib.parse
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import framing
from framing.analysis import compare, plots
from framing.infra import schema, tableio
from framing.infra.defaults import MANIFEST_FILE
from framing.infra.errors import ConfigError, DataError

__all__ = [
    "COMPARISON_FILE",
    "FIGURES_DIR",
    "REPORT_HTML",
    "REPORT_MD",
    "TABLE_FILES",
    "build_report",
    "evidence_passages",
    "figure_stem",
    "highlight_html",
    "highlight_markdown",
    "write_comparison",
]

#: Report files written into the run folder.
REPORT_HTML = "report.html"
REPORT_MD = "report.md"
#: What :func:`write_comparison` records about the tables it computed.
COMPARISON_FILE = "comparison.json"
#: Figures sub-folder of a run folder.
FIGURES_DIR = "figures"
#: Tables of the run folder contract: name -> file.
TABLE_FILES: dict[str, str] = {
    "scores": "scores.parquet",
    "outlet_table": "outlet_table.parquet",
    "contrasts": "contrasts.parquet",
    "frame_table": "frame_table.parquet",
    "distinguishing_terms": "distinguishing_terms.parquet",
    "same_event": "same_event.parquet",
    "disagreement_summary": "disagreement_summary.parquet",
    "also_by": "outlet_table_also_by.parquet",
    "by_voice": "outlet_table_by_voice.parquet",
    "over_time": "over_time.parquet",
    "disagreement_examples": "disagreement_examples.parquet",
}
#: Bumped when the layout of comparison.json changes.
COMPARISON_FORMAT = 1
#: Figure formats embedded in the HTML, in order of preference (PDF is linked only).
EMBED_FORMATS: tuple[str, ...] = ("svg", "png")
_MIME = {"svg": "image/svg+xml", "png": "image/png"}
#: Evidence sentences shown per group and target.
N_EVIDENCE = 3
#: Rows shown of a long table (contrasts, same event, examples); the file holds them all.
MAX_ROWS = 200
#: Distinguishing terms listed per group and target.
N_TERMS = 10
#: Above this many groups, per-pair and per-group figures are not drawn (tables still are):
#: 20 outlets make 190 pairs, a forest plot nobody can read.
MAX_FIGURE_GROUPS = 12
#: Characters of a sha256 shown in the report.
SHA_PREFIX = 12

_MISSING_TEXT = "–"
_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~])")
_WHITESPACE = re.compile(r"\s+")
_MD_ORDERED = re.compile(r"^(\d+)([.)])")
_VERSION_SUFFIX = re.compile(r"^(?P<name>.+?)-v(?P<version>\d+)$")


# --------------------------------------------------------------------------------------------
# small helpers


def _missing(value: Any) -> bool:
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # list-like values are not missing
        return False


def _items(value: Any) -> list[Any]:
    """A list cell as a list: lists, tuples and numpy arrays (after a parquet round trip)."""
    if _missing(value) or isinstance(value, str | bytes | Mapping):
        return []
    try:
        return list(value)
    except TypeError:
        return []


def _float(value: Any) -> float:
    try:
        out = float(value)
    except (TypeError, ValueError):
        return math.nan
    return out


def _text(value: Any) -> str:
    return "(missing)" if _missing(value) else str(value)


def _as_by(by: str | Sequence[str]) -> tuple[str, ...]:
    if isinstance(by, str):
        return (by,)
    by = tuple(by)
    if not by or not all(isinstance(c, str) and c for c in by):
        raise ConfigError(f"by={by!r} is not accepted; give a column name or a sequence of them")
    return by


def _group_name(by: Sequence[str]) -> str:
    """The column holding the group of a comparison (several ``by`` columns: joined)."""
    return by[0] if len(by) == 1 else "+".join(by)


def _group_labels(table: pd.DataFrame, by: Sequence[str]) -> list[str]:
    return [
        " · ".join(_text(v) for v in values) for values in zip(*(table[c] for c in by), strict=True)
    ]


def _with_group(table: pd.DataFrame, by: Sequence[str]) -> pd.DataFrame:
    """``table`` plus the group column of :func:`_group_name` (a copy only when it is new)."""
    if len(by) == 1:
        return table
    return table.assign(**{_group_name(by): _group_labels(table, by)})


def _slug(*parts: Any) -> str:
    """A file-name slug; names without any ASCII letter or digit get a stable hash instead."""
    try:
        return plots.figure_name(*parts)
    except ConfigError:
        text = "\x1f".join(str(p) for p in parts)
        return f"x{zlib.crc32(text.encode('utf-8')):08x}"


#: Longest figure stem: long names are cut and given a hash of the whole stem (file systems
#: refuse names over 255 bytes; the format, a de-duplication suffix and a temporary prefix
#: are added to it).
MAX_STEM = 80


def _short(stem: str) -> str:
    """``stem``, or when longer than ``MAX_STEM`` its start plus a short hash of all of it."""
    if len(stem) <= MAX_STEM:
        return stem
    digest = hashlib.sha256(stem.encode("utf-8")).hexdigest()[:8]
    return f"{stem[: MAX_STEM - 9].rstrip('-')}-{digest}"


def figure_stem(
    kind: str,
    *,
    target: str | None = None,
    group: str | None = None,
    by: Sequence[str] = ("outlet",),
) -> str:
    """The file stem (under ``figures/``) of a report figure, named by what it shows.

    Parameters
    ----------
    kind : {"heatmap", "interval", "distribution", "difference", "frames", "terms"}
        The figure.
    target : str, optional
        The target it shows ("" or None for article-level frames).
    group : str, optional
        The group (distinguishing terms only).
    by : sequence of str
        The grouping columns (heatmap only).

    Returns
    -------
    str

    Examples
    --------
    >>> figure_stem("heatmap"), figure_stem("interval", target="US")
    ('stance-by-outlet-heatmap', 'stance-interval-us')
    >>> figure_stem("frames", target=""), figure_stem("terms", target="CN", group="Daily Planet")
    ('frames-article-level', 'distinguishing-terms-cn-daily-planet')
    """
    if kind == "heatmap":
        return _short(_slug("stance by", *by, "heatmap"))
    if kind in ("interval", "distribution", "difference"):
        return _short(_slug("stance", kind, _slug(target)))
    if kind == "frames":
        return _short(_slug("frames", _slug(target) if target else "article level"))
    if kind == "over_time":
        return _short(_slug("stance over time", _slug(target)))
    if kind == "terms":
        return _short(
            _slug("distinguishing terms", _slug(target) if target else "all", _slug(group))
        )
    raise ConfigError(
        f"figure kind {kind!r} is not known; accepted: heatmap, interval, distribution, "
        "difference, frames, terms"
    )


def _sha_prefix(value: Any) -> str:
    return str(value)[:SHA_PREFIX] if isinstance(value, str) and value else "not recorded"


def _get(mapping: Any, *keys: str, default: Any = None) -> Any:
    for key in keys:
        if not isinstance(mapping, Mapping) or key not in mapping:
            return default
        mapping = mapping[key]
    return mapping


def _read_json(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as err:
        raise DataError(
            f"cannot read {path}: {err}; rewrite it (or delete it to go without)"
        ) from None
    if not isinstance(data, dict):
        raise DataError(f"{path} holds {type(data).__name__}; expected a JSON object")
    return data


# --------------------------------------------------------------------------------------------
# evidence and highlighting (public: small, pure, tested)


def _spans(sentence: str, terms: Iterable[Any]) -> list[tuple[int, int, list[dict]]]:
    """Valid term spans of ``sentence``, sorted; overlapping spans merged (their terms kept)."""
    valid = []
    for term in terms:
        if not isinstance(term, Mapping):
            continue
        try:
            start, end = int(term["start"]), int(term["end"])
        except (KeyError, TypeError, ValueError):
            continue
        if 0 <= start < end <= len(sentence):
            valid.append((start, end, dict(term)))
    valid.sort(key=lambda s: (s[0], -s[1], str(s[2].get("term", ""))))
    merged: list[tuple[int, int, list[dict]]] = []
    for start, end, term in valid:
        if merged and start < merged[-1][1]:
            first, last, terms_in = merged[-1]
            merged[-1] = (first, max(last, end), [*terms_in, term])
        else:
            merged.append((start, end, [term]))
    return merged


def _segments(sentence: str, terms: Iterable[Any]) -> list[tuple[str, tuple[dict, ...]]]:
    """``sentence`` cut into (text, terms) pieces; ``terms`` is empty between term spans."""
    out: list[tuple[str, tuple[dict, ...]]] = []
    position = 0
    for start, end, span_terms in _spans(sentence, terms):
        if start > position:
            out.append((sentence[position:start], ()))
        out.append((sentence[start:end], tuple(span_terms)))
        position = end
    if position < len(sentence):
        out.append((sentence[position:], ()))
    return out


def _polarity(terms: Sequence[Mapping]) -> str:
    total = sum(int(_float(t.get("polarity", 0)) or 0) for t in terms)
    return "pos" if total > 0 else "neg" if total < 0 else "neu"


def _term_title(terms: Sequence[Mapping]) -> str:
    return "; ".join(
        f"{_text(t.get('term'))} ({_text(t.get('category'))}, polarity "
        f"{int(_float(t.get('polarity', 0)) or 0):+d})"
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
    for text, span_terms in _segments(str(sentence), terms):
        if span_terms:
            parts.append(
                f'<mark class="{_polarity(span_terms)}" title="{html.escape(_term_title(span_terms))}">'
                f"{html.escape(text)}</mark>"
            )
        else:
            parts.append(html.escape(text))
    return "".join(parts)


def _md_escape(text: Any) -> str:
    """Text for Markdown: its syntax characters backslash-escaped, then ``&<>`` as entities."""
    flat = _WHITESPACE.sub(" ", str(text))
    return html.escape(_MD_SPECIAL.sub(r"\\\1", flat), quote=False)


def _md_block(text: Any) -> str:
    """:func:`_md_escape` for text that starts a line: a leading ``#``, ``-``, ``1.`` ... stays text."""
    escaped = _md_escape(text)
    if _MD_ORDERED.match(escaped):
        return _MD_ORDERED.sub(r"\1\\\2", escaped, count=1)
    return "\\" + escaped if escaped[:1] in ("#", "=", "+", "-") else escaped


def _href(path: str) -> str:
    """A relative file path as a URL path (spaces, brackets and quotes percent-encoded)."""
    return urllib.parse.quote(path, safe="/")


def highlight_markdown(sentence: str, terms: Iterable[Any]) -> str:
    """The sentence as Markdown with each lexicon term span in bold; everything else escaped.

    Examples
    --------
    >>> highlight_markdown("a *real* threat", [{"term": "threat", "start": 9, "end": 15}])
    'a \\\\*real\\\\* **threat**'
    """
    parts = []
    for text, span_terms in _segments(str(sentence), terms):
        escaped = _md_escape(text)
        parts.append(f"**{escaped}**" if span_terms and escaped.strip() else escaped)
    return "".join(parts)


EVIDENCE_COLUMNS: tuple[str, ...] = (
    "target",
    "rank",
    "article_id",
    "sent_id",
    "sentence",
    "contribution",
    "article_score",
    "label",
    "terms",
)


def evidence_passages(
    scores: pd.DataFrame, *, by: str | Sequence[str] = ("outlet",), n: int = N_EVIDENCE
) -> pd.DataFrame:
    """The top evidence sentences per group and target, taken from the score table's evidence.

    Per (group, target), the evidence sentences of all its articles are ranked by the size of
    their contribution to the article score (largest ``|score|`` first; ties by article_id and
    sent_id); a sentence repeated word for word (a wire copy) is listed once.

    Parameters
    ----------
    scores : DataFrame
        The score table: ``article_id, target, score, label, evidence`` and the ``by`` columns.
        Evidence items are ``{sent_id, sentence, score, terms}``.
    by : str or sequence of str, default ("outlet",)
        Grouping columns.
    n : int, default 3
        Sentences per group and target.

    Returns
    -------
    DataFrame
        Columns ``by..., target, rank`` (1 = largest contribution), ``article_id, sent_id,
        sentence, contribution`` (the sentence's signed contribution), ``article_score, label``
        (of the article) and ``terms`` (list of dicts), sorted by group, target and rank.
    """
    by = _as_by(by)
    columns = [*by, *EVIDENCE_COLUMNS]
    needed = ("article_id", "target", "score", "label", *by)
    missing = [c for c in needed if c not in scores.columns]
    if missing:
        raise DataError(
            f"the scores table lacks column(s) {', '.join(missing)}; it has "
            f"{', '.join(map(str, scores.columns))}"
        )
    if "evidence" not in scores.columns or not len(scores):
        return pd.DataFrame(columns=columns)
    rows = []
    view = scores[[*by, "target", "article_id", "score", "label", "evidence"]]
    for record in view.itertuples(index=False, name=None):
        keys, (target, article_id, score, label, evidence) = record[: len(by)], record[len(by) :]
        for item in _items(evidence):
            if not isinstance(item, Mapping) or _missing(item.get("sentence")):
                continue
            rows.append(
                (
                    *keys,
                    _text(target),
                    str(article_id),
                    int(_float(item.get("sent_id")) or 0),
                    str(item["sentence"]),
                    _float(item.get("score")),
                    _float(score),
                    _text(label),
                    [dict(t) for t in _items(item.get("terms")) if isinstance(t, Mapping)],
                )
            )
    if not rows:
        return pd.DataFrame(columns=columns)
    table = pd.DataFrame(
        rows,
        columns=[
            *by,
            "target",
            "article_id",
            "sent_id",
            "sentence",
            "contribution",
            "article_score",
            "label",
            "terms",
        ],
    )
    table["_size"] = -table["contribution"].abs().fillna(-1.0)
    table = table.sort_values(
        [*by, "target", "_size", "article_id", "sent_id"], kind="mergesort", na_position="last"
    )
    table = table.drop_duplicates([*by, "target", "sentence"], keep="first")
    table["rank"] = table.groupby([*by, "target"], dropna=False, sort=False).cumcount() + 1
    table = table[table["rank"] <= n]
    return table[columns].reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# write_comparison: compute the tables, draw the figures


def _lookup(by: Sequence[str], *tables: pd.DataFrame | None) -> pd.DataFrame | None:
    """``article_id`` and the ``by`` columns, one row per article, from the first table with them."""
    for table in tables:
        if table is not None and all(c in table.columns for c in ("article_id", *by)):
            return table[["article_id", *by]].drop_duplicates("article_id")
    return None


def _attach(
    table: pd.DataFrame, by: Sequence[str], lookup: pd.DataFrame | None, name: str
) -> pd.DataFrame:
    """``table`` with the ``by`` columns it lacks joined from ``lookup`` by article_id."""
    lacking = [c for c in by if c not in table.columns]
    if not lacking:
        return table
    if lookup is None or "article_id" not in table.columns:
        raise ConfigError(
            f"the {name} table lacks the grouping column(s) {', '.join(lacking)} and no table "
            f"given has them with article_id; pass articles with these columns, or change by"
        )
    return table.merge(
        lookup[["article_id", *lacking]], on="article_id", how="left", validate="many_to_one"
    )


class _Writer:
    """Collects what write_comparison writes: files, figure records and notes."""

    def __init__(self, run_dir: Path, formats: Sequence[str]) -> None:
        self.run_dir = run_dir
        self.formats = tuple(formats)
        self.files: dict[str, Path] = {}
        self.figures: list[dict[str, Any]] = []
        self.notes: dict[str, str] = {}

    def table(self, name: str, table: pd.DataFrame) -> None:
        path = self.run_dir / TABLE_FILES[name]
        tableio.write_table(table.reset_index(drop=True), path)
        self.files[name] = path

    def figure(self, ax: Any, stem: str, **record: Any) -> None:
        """Save a figure under ``stem`` (made unique, see :meth:`unique`) and record it."""
        unique = self.unique(stem, record)
        folder = self.run_dir / FIGURES_DIR
        paths = plots.save_figure(ax, tableio.inside(folder, unique), self.formats)
        for path in paths:
            self.files[f"{FIGURES_DIR}/{path.name}"] = path
        self.figures.append({"stem": unique, "base": stem, **record})

    def unique(self, stem: str, record: Mapping[str, Any]) -> str:
        """``stem``, or ``stem`` plus a short hash of what the figure shows when an earlier figure
        of this call has that stem ("Daily A" and "daily-a", "Le Monde" and "Le Mondé" slug
        alike): no figure overwrites another. The same inputs give the same names."""
        taken = {f["stem"] for f in self.figures}
        if stem not in taken:
            return stem
        shows = [stem, *(record.get(k) for k in ("kind", "target", "group"))]
        digest = hashlib.sha256(json.dumps(shows, ensure_ascii=False).encode("utf-8")).hexdigest()
        candidate, number = f"{stem}-{digest[:8]}", 2
        while candidate in taken:
            candidate, number = f"{stem}-{digest[:8]}-{number}", number + 1
        return candidate


def write_comparison(
    scores: pd.DataFrame,
    run_dir: str | Path,
    *,
    frames: pd.DataFrame | None = None,
    sentences: pd.DataFrame | None = None,
    mentions: pd.DataFrame | None = None,
    articles: pd.DataFrame | None = None,
    compare_with: pd.DataFrame | None = None,
    by: str | Sequence[str] = ("outlet",),
    also_by: Sequence[str] = (),
    voice_scores: pd.DataFrame | None = None,
    random_state: int,
    n_boot: int = 2000,
    n_perm: int = 9999,
    min_n: int = 5,
    ci: float = 0.95,
    test: str = "permutation",
    formats: Sequence[str] = ("svg", "pdf", "png"),
) -> dict[str, Path]:
    """Compute the comparison tables and draw the figures into a run folder.

    Tables go through :func:`framing.runs.folders.write_table` under the names of :data:`TABLE_FILES`;
    figures through :func:`framing.analysis.plots.save_figure` under ``figures/`` with the stems of
    :func:`figure_stem`; ``comparison.json`` records the settings, counts, files and what was
    not computed (and why). Files that an earlier call listed and this one did not write are
    deleted, so a report never shows a stale table.

    Parameters
    ----------
    scores : DataFrame
        The score table (``schema.SCORE_COLUMNS``, one scoring method). Written to
        ``scores.parquet`` unless that file already holds the same table.
    run_dir : str or Path
        The run folder (created when missing).
    frames : DataFrame, optional
        Frame counts (``scoring.FRAME_COLUMNS``) -> ``frame_table`` (denominators: the articles
        scored for each target; for article-level rows, every article of ``articles``).
    sentences : DataFrame, optional
        Sentence table -> distinguishing terms of each group over all sentences (used only when
        ``mentions`` is not given).
    mentions : DataFrame, optional
        Mention table -> distinguishing terms of each group per target, over the sentences
        that mention the target.
    articles : DataFrame, optional
        Article table: grouping columns the other tables lack (e.g. ``leaning``), the
        article-level frame denominators, and an ``event`` column for ``same_event``.
    compare_with : DataFrame, optional
        A score table of the other method (lexicon vs model) -> ``disagreement_*`` tables.
    by : str or sequence of str, default ("outlet",)
        Grouping columns. Several columns are compared as one combined group.
    also_by : sequence of str
        Further grouping columns, each on its own: one stance table per column (stacked in
        ``outlet_table_also_by.parquet`` with a ``grouping`` column) and a heatmap each, e.g.
        ``by=("leaning",), also_by=("outlet",)``.
    voice_scores : DataFrame, optional
        Article scores computed from one set of voices each (``article_id``, ``target``,
        ``score`` and ``voice``: e.g. "author" and "quoted or reported", from
        :func:`framing.stance.model_scoring.voice_scores`) -> one stance table per voice, stacked in
        ``outlet_table_by_voice.parquet``, and a heatmap each.
    random_state : int
        The run seed (bootstrap and permutations).
    n_boot, n_perm, min_n, ci, test
        As in :func:`framing.analysis.compare.outlet_table` and :func:`framing.analysis.compare.pairwise_contrasts`.
    formats : sequence of {"svg", "pdf", "png"}
        Figure formats (the HTML report embeds SVG, else PNG).

    Returns
    -------
    dict of str to Path
        Everything written: table names, ``figures/<file>`` and ``comparison``.

    Examples
    --------
    >>> write_comparison(scores, "reports/runs/demo/abc", random_state=13)  # doctest: +SKIP
    """
    if not isinstance(scores, pd.DataFrame):
        raise ConfigError(f"scores must be a pandas DataFrame; received {type(scores).__name__}")
    by = _as_by(by)
    for columns in (by, tuple(also_by)):
        problem = schema.group_column_problem(columns)
        if problem:
            raise ConfigError(f"cannot compare by {list(columns)}: {problem}")
    unknown = [
        f for f in ([formats] if isinstance(formats, str) else formats) if f not in plots.FORMATS
    ]
    if unknown:
        raise ConfigError(f"formats {unknown} not accepted; accepted: {', '.join(plots.FORMATS)}")
    run = Path(run_dir)
    run.mkdir(parents=True, exist_ok=True)
    old = _read_json(run / COMPARISON_FILE)
    lookup = _lookup(by, articles, scores)
    scores = _attach(scores, by, lookup, "scores")
    group = _group_name(by)
    grouped = _with_group(scores, by)
    out = _Writer(run, formats)
    _write_scores(scores, run, out)

    outlet = compare.outlet_table(
        scores, by=by, n_boot=n_boot, random_state=random_state, min_n=min_n, ci=ci
    )
    out.table("outlet_table", outlet)
    contrasts = compare.pairwise_contrasts(
        grouped,
        by=group,
        n_perm=n_perm,
        n_boot=n_boot,
        random_state=random_state,
        test=test,
        min_n=min_n,
        ci=ci,
    )
    out.table("contrasts", contrasts)
    frame_tab = _frame_table(frames, scores, articles, by, lookup, min_n, out)
    _distinguishing(mentions, sentences, by, lookup, out)
    _same_event(grouped, articles, group, out)
    _disagreement(scores, compare_with, by, out)
    _figures(outlet, contrasts, frame_tab, by, ci, out)
    _also_by(scores, articles, also_by, by, out, n_boot=n_boot, random_state=random_state,
             min_n=min_n, ci=ci)
    _by_voice(voice_scores, scores, articles, by, out, n_boot=n_boot, random_state=random_state,
              min_n=min_n, ci=ci)
    _over_time(scores, articles, by, out, n_boot=n_boot, random_state=random_state,
               min_n=min_n, ci=ci)

    settings = {
        "by": list(by),
        "random_state": int(random_state),
        "n_boot": int(n_boot),
        "n_perm": int(n_perm),
        "ci": float(ci),
        "test": test,
        "min_n": int(min_n),
        "also_by": list(also_by),
    }
    counts = {
        "n_articles": int(scores["article_id"].nunique()),
        "n_groups": int(outlet[list(by)].drop_duplicates().shape[0]) if len(outlet) else 0,
        "n_targets": int(scores["target"].nunique()),
        "n_mentions": int(pd.to_numeric(scores["n_mentions"], errors="coerce").fillna(0).sum())
        if "n_mentions" in scores.columns
        else None,
    }
    files = {name: path.relative_to(run).as_posix() for name, path in sorted(out.files.items())}
    record = {
        "format": COMPARISON_FORMAT,
        "settings": settings,
        "counts": counts,
        "files": files,
        "figures": out.figures,
        "notes": out.notes,
        "framing_version": framing.__version__,
    }
    out.files["comparison"] = tableio.write_json(record, run / COMPARISON_FILE)
    _drop_stale(run, old, files)
    return dict(sorted(out.files.items()))


def _also_by(scores, articles, also_by, by, out: _Writer, **stats: Any) -> None:
    """One stance table and heatmap per extra grouping column (each on its own)."""
    extra = [c for c in dict.fromkeys(also_by) if (c,) != tuple(by)]
    if not extra:
        out.notes["also_by"] = "no further grouping columns were asked for (also_by)"
        return
    parts = []
    for column in extra:
        table = _attach(scores, (column,), _lookup((column,), articles, scores), "scores")
        outlet = compare.outlet_table(table, by=(column,), **stats)
        parts.append(outlet.rename(columns={column: "group"}).assign(grouping=column))
        if len(outlet):
            out.figure(
                plots.heatmap_outlet_target(outlet, row=column),
                figure_stem("heatmap", by=(column,)),
                kind="heatmap",
                target=None,
                group=column,
                caption=f"Mean stance per {column} and target (n = articles)",
            )
    stacked = pd.concat(parts, ignore_index=True)
    stacked["group"] = stacked["group"].astype(str)
    out.table("also_by", stacked[["grouping", *[c for c in stacked.columns if c != "grouping"]]])


def _by_voice(voice_scores, scores, articles, by, out: _Writer, **stats: Any) -> None:
    """One stance table and heatmap per voice (the author's narration, quoted or reported words)."""
    if voice_scores is None or not len(voice_scores):
        out.notes["by_voice"] = "no voice scores (model and hybrid methods only)"
        return
    lookup = _lookup(by, articles, scores)
    parts = []
    for voice, part in voice_scores.groupby("voice", sort=True):
        table = _attach(part.drop(columns=["voice"]), by, lookup, "scores")
        outlet = compare.outlet_table(table, by=by, **stats)
        parts.append(outlet.assign(voice=str(voice)))
        if len(outlet) and len(by) == 1:
            out.figure(
                plots.heatmap_outlet_target(outlet, row=by[0]),
                figure_stem("heatmap", by=(*by, _slug("voice", str(voice)))),
                kind="heatmap", target=None, group=str(voice),
                caption=f"Mean stance per {_group_name(by)} and target, {voice} only (n = articles)",
            )
    stacked = pd.concat(parts, ignore_index=True)
    out.table("by_voice", stacked[["voice", *[c for c in stacked.columns if c != "voice"]]])


#: Period length for the over-time view, by the span of the dates: (longest span in days, freq).
_PERIODS: tuple[tuple[float, str], ...] = ((62, "W"), (2 * 366, "M"), (6 * 366, "Q"), (np.inf, "Y"))


def _over_time(scores, articles, by, out: _Writer, **stats: Any) -> None:
    """Mean stance per group and period, per target (periods sized to the span of the dates)."""
    lookup = _lookup(("published",), articles, scores)
    if lookup is None:
        out.notes["over_time"] = "no publication dates (published) in the article table"
        return
    dated = _attach(scores, ("published",), lookup, "scores")
    dates = pd.to_datetime(dated["published"], errors="coerce", format="ISO8601")
    if dates.notna().sum() < 2 or dates.dt.to_period("D").nunique() < 2:
        out.notes["over_time"] = "fewer than two distinct publication dates"
        return
    span = (dates.max() - dates.min()).days
    freq = next(f for limit, f in _PERIODS if span <= limit)
    periods = compare.add_period(dated, freq=freq)
    periods = periods.loc[periods["period"].notna()]
    group = _group_name(by)
    table = compare.outlet_table(periods, by=(*by, "period"), **stats)
    out.table("over_time", table)
    table = _with_group(table, by)
    if table[group].nunique() > MAX_FIGURE_GROUPS:
        out.notes["over_time"] = (
            f"{table[group].nunique()} groups: the table has them all, figures are drawn up to "
            f"{MAX_FIGURE_GROUPS} groups"
        )
        return
    level = f"{round(100 * stats['ci'])}%"
    for target, part in table.groupby("target", sort=True):
        out.figure(
            plots.stance_over_time(part, group=group),
            figure_stem("over_time", target=str(target)),
            kind="over_time",
            target=str(target),
            group=None,
            caption=f"Mean stance toward {target} per {group} and period ({freq}), {level} interval",
        )


def _write_scores(scores: pd.DataFrame, run: Path, out: _Writer) -> None:
    """Write scores.parquet unless it already holds this table (a pipeline run wrote it, and
    rewriting would change its bytes and invalidate the run's stage cache)."""
    path = run / TABLE_FILES["scores"]
    if path.is_file():
        try:
            same = tableio.table_sha256(tableio.read_table(path)) == tableio.table_sha256(scores)
        except DataError:
            same = False
        if same:
            out.files["scores"] = path
            return
    out.table("scores", scores)


def _frame_table(frames, scores, articles, by, lookup, min_n, out: _Writer) -> pd.DataFrame | None:
    if frames is None:
        out.notes["frame_table"] = "no frame counts were given (frames=None)"
        return None
    frames = _attach(frames, by, lookup, "frames")
    base = [scores[["article_id", *by, "target"]]]
    if articles is not None and all(c in articles.columns for c in ("article_id", *by)):
        processed = articles
        if "status" in articles.columns:
            from framing.infra.schema import PROCESSED_STATUSES

            processed = articles[articles["status"].isin(PROCESSED_STATUSES)]
        base.append(processed[["article_id", *by]].assign(target=""))
    table = compare.frame_table(frames, by=by, base=pd.concat(base, ignore_index=True), min_n=min_n)
    out.table("frame_table", table)
    return table


def _distinguishing(mentions, sentences, by, lookup, out: _Writer) -> None:
    if mentions is not None:
        texts, text_col = _attach(mentions, by, lookup, "mentions"), "sentence"
        parts = list(texts.groupby("target", sort=True))
    elif sentences is not None:
        texts, text_col = _attach(sentences, by, lookup, "sentences"), "text"
        parts = [("", texts)]
    else:
        out.notes["distinguishing_terms"] = "no sentences or mentions were given"
        return
    tables = []
    for target, part in parts:
        if part[list(by)].drop_duplicates().shape[0] < 2:
            continue  # one group has no "rest" to be distinguished from
        try:
            table = compare.distinguishing_terms_by(part, by, text_col=text_col, top=2 * N_TERMS)
        except DataError:
            continue  # no word tokens at all for this target
        table.insert(len(by), "target", str(target))
        tables.append(table)
    if not tables:
        out.notes["distinguishing_terms"] = "no target has two groups with words to compare"
        return
    out.table("distinguishing_terms", pd.concat(tables, ignore_index=True))


def _same_event(grouped, articles, group, out: _Writer) -> None:
    has_event = "event" in grouped.columns or (articles is not None and "event" in articles.columns)
    if not has_event:
        out.notes["same_event"] = (
            "no event column (add one with framing.analysis.compare.group_events to the article table)"
        )
        return
    out.table("same_event", compare.same_event(grouped, articles, by=group))


def _disagreement(scores, other, by, out: _Writer) -> None:
    if other is None:
        out.notes["disagreement_summary"] = "no second scoring method was given (compare_with)"
        return
    method = str(scores["method"].iloc[0]) if "method" in scores.columns and len(scores) else ""
    lexicon, model = (scores, other) if method == "lexicon" else (other, scores)
    result = compare.disagreement(lexicon, model, by=(*by, "target"))
    out.table("disagreement_summary", result.summary)
    out.table("disagreement_examples", result.examples)


def _figures(outlet, contrasts, frame_tab, by, ci, out: _Writer) -> None:
    if not len(outlet):
        return
    group = _group_name(by)
    table = _with_group(outlet, by)
    n_groups = table[group].nunique()
    level = f"{round(100 * ci)}%"
    stem = figure_stem("heatmap", by=by)
    out.figure(
        plots.heatmap_outlet_target(table, row=group),
        stem,
        kind="heatmap",
        target=None,
        group=None,
        caption=f"Mean stance per {group} and target (n = articles)",
    )
    for target, part in table.groupby("target", sort=True):
        target = str(target)
        out.figure(
            plots.forest_plot(part, group=group, hue=None),
            figure_stem("interval", target=target),
            kind="interval",
            target=target,
            group=None,
            caption=f"Mean stance toward {target} per {group}, {level} bootstrap interval",
        )
        out.figure(
            plots.stance_distribution(part, group=group),
            figure_stem("distribution", target=target),
            kind="distribution",
            target=target,
            group=None,
            caption=f"Shares of articles against, neutral and in favour of {target}",
        )
        pairs = (
            contrasts[contrasts["target"].astype(str) == target] if len(contrasts) else contrasts
        )
        if len(pairs) and n_groups <= MAX_FIGURE_GROUPS:
            out.figure(
                plots.forest_plot(pairs, group="pair", estimate="diff", hue=None),
                figure_stem("difference", target=target),
                kind="difference",
                target=target,
                group=None,
                caption=f"Differences of mean stance toward {target}, {level} interval",
            )
    if frame_tab is not None and len(frame_tab):
        for target, part in _with_group(frame_tab, by).groupby("target", sort=True):
            target = str(target)
            shown = target or "whole articles"
            out.figure(
                plots.frame_shares(part, group=group, target=target),
                figure_stem("frames", target=target),
                kind="frames",
                target=target,
                group=None,
                caption=f"Share of articles with each frame ({shown})",
            )
    terms_file = out.files.get("distinguishing_terms")
    if terms_file is not None and n_groups <= MAX_FIGURE_GROUPS:
        terms = _with_group(tableio.read_table(terms_file), by)
        for (target, label), part in terms.groupby(["target", group], sort=True):
            part = part.head(N_TERMS)
            if not len(part):
                continue
            out.figure(
                plots.distinguishing_terms_plot(part),
                figure_stem("terms", target=str(target), group=label),
                kind="terms",
                target=str(target),
                group=str(label),
                caption=f"Terms that distinguish {label} ({target or 'all sentences'})",
            )


def _drop_stale(run: Path, old: Mapping[str, Any], files: Mapping[str, str]) -> None:
    """Delete files an earlier write_comparison listed that this one did not write."""
    keep = set(files.values())
    listed = _get(old, "files", default={})
    for rel in listed.values() if isinstance(listed, Mapping) else ():
        if not isinstance(rel, str) or rel in keep:
            continue
        path = (run / rel).resolve()
        if path.is_relative_to(run.resolve()) and path.is_file():
            path.unlink()


# --------------------------------------------------------------------------------------------
# the document: blocks both renderers draw


@dataclass(frozen=True)
class _Cell:
    text: str
    sort: float | None = None  # numeric sort key; None: sort as text
    numeric: bool = False
    cls: str = ""


@dataclass(frozen=True)
class _Table:
    headers: tuple[str, ...]
    rows: tuple[tuple[_Cell, ...], ...]
    caption: str = ""
    note: str = ""


@dataclass(frozen=True)
class _Heading:
    level: int
    text: str
    anchor: str


@dataclass(frozen=True)
class _Para:
    text: str


@dataclass(frozen=True)
class _Note:
    text: str


@dataclass(frozen=True)
class _Stats:
    items: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class _Figure:
    stem: str
    caption: str
    files: tuple[tuple[str, str], ...]  # (format, path relative to the run folder)


@dataclass(frozen=True)
class _Folded:
    """Figures behind a summary line (many small figures would bury the tables)."""

    summary: str
    figures: tuple[_Figure, ...]


@dataclass(frozen=True)
class _Passage:
    sentence: str
    terms: tuple[dict, ...]
    meta: str


@dataclass(frozen=True)
class _Passages:
    items: tuple[_Passage, ...]


@dataclass
class _Context:
    run: Path
    title: str
    manifest: dict[str, Any]
    comparison: dict[str, Any]
    tables: dict[str, pd.DataFrame]
    figures: dict[str, dict[str, str]]
    by: tuple[str, ...]
    targets: list[str]
    n_evidence: int
    max_rows: int
    used_figures: set[str] = field(default_factory=set)


def _signed(x: float) -> str:
    """``+0.25`` / ``-0.40``; a value that rounds to zero is plain ``0.00`` (no ``-0.00``)."""
    text = f"{x:+.2f}"
    return text[1:] if float(text) == 0 else text


def _num(value: Any) -> _Cell:
    x = _float(value)
    return _Cell(_MISSING_TEXT, None, True) if not math.isfinite(x) else _Cell(_signed(x), x, True)


def _int(value: Any) -> _Cell:
    x = _float(value)
    return _Cell(_MISSING_TEXT, None, True) if not math.isfinite(x) else _Cell(str(int(x)), x, True)


def _share(value: Any) -> _Cell:
    x = _float(value)
    return (
        _Cell(_MISSING_TEXT, None, True)
        if not math.isfinite(x)
        else _Cell(f"{100 * x:.0f}%", x, True)
    )


def _pvalue(value: Any, cls: str = "") -> _Cell:
    x = _float(value)
    if not math.isfinite(x):
        return _Cell(_MISSING_TEXT, None, True)
    return _Cell(f"{x:.3f}" if x >= 0.001 else f"{x:.1e}", x, True, cls)


def _interval(low: Any, high: Any) -> _Cell:
    lo, hi = _float(low), _float(high)
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return _Cell(_MISSING_TEXT, None, True)
    return _Cell(f"[{_signed(lo)}, {_signed(hi)}]", lo, True)


def _str_cell(value: Any) -> _Cell:
    return _Cell("" if _missing(value) else str(value))


def _warning(value: Any) -> _Cell:
    text = "" if _missing(value) else str(value)
    return _Cell(text, None, False, "warn" if text else "")


def _target_rows(table: pd.DataFrame, target: str) -> pd.DataFrame:
    return table[table["target"].map(_text) == target]


def _cap(
    table: pd.DataFrame,
    max_rows: int,
    order: Sequence[str],
    what: str,
    ascending: bool | Sequence[bool] = True,
) -> tuple[pd.DataFrame, str]:
    if len(table) <= max_rows:
        return table, ""
    shown = table.sort_values(
        list(order), ascending=ascending, kind="mergesort", na_position="last"
    ).head(max_rows)
    return shown, f"showing {max_rows} of {len(table)} rows ({what}); the file holds them all"


# ---- sections


def _assemble(ctx: _Context) -> list[Any]:
    blocks: list[Any] = []
    blocks += _overview(ctx)
    blocks += _methods(ctx)
    for k, target in enumerate(ctx.targets, start=1):
        blocks += _target_section(ctx, target, k)
    blocks += _article_frames(ctx)
    blocks += _also_by_section(ctx)
    blocks += _by_voice_section(ctx)
    blocks += _same_event_section(ctx)
    blocks += _disagreement_section(ctx)
    blocks += _other_figures(ctx)
    blocks += _provenance(ctx)
    return blocks


def _absent(ctx: _Context, name: str, what: str) -> _Note:
    reason = _get(ctx.comparison, "notes", name)
    why = f" ({reason})" if isinstance(reason, str) and reason else ""
    return _Note(f"No {TABLE_FILES[name]} in this run folder{why}: {what} not shown.")


def _figure(ctx: _Context, stem: str, caption: str) -> list[_Figure]:
    files = ctx.figures.get(stem)
    if not files:
        return []
    ctx.used_figures.add(stem)
    return [_Figure(stem, caption, tuple(sorted(files.items())))]


def _stem(
    ctx: _Context, base: str, kind: str, target: str | None = None, group: str | None = None
) -> str:
    """The stem write_comparison gave the figure of ``kind``/``target``/``group`` (named ``base``
    by :func:`figure_stem`, with a suffix when another figure's name slugged alike)."""
    for record in _get(ctx.comparison, "figures", default=[]) or []:
        if not isinstance(record, Mapping) or not isinstance(record.get("stem"), str):
            continue
        shows = (record.get("kind"), record.get("target"), record.get("group"))
        if record.get("base", record["stem"]) == base and shows == (kind, target, group):
            return record["stem"]
    return base


def _caption(ctx: _Context, stem: str, default: str) -> str:
    for record in _get(ctx.comparison, "figures", default=[]) or []:
        if isinstance(record, Mapping) and record.get("stem") == stem and record.get("caption"):
            return str(record["caption"])
    return default


def _group_word(ctx: _Context) -> str:
    return " × ".join(ctx.by)


def _overview(ctx: _Context) -> list[Any]:
    blocks: list[Any] = [_Heading(2, "Overview", "overview")]
    counts = _get(ctx.manifest, "counts", default={}) or {}
    ccounts = _get(ctx.comparison, "counts", default={}) or {}
    scores = ctx.tables.get("scores")
    outlet = ctx.tables.get("outlet_table")
    n_articles = counts.get("n_articles")
    n_scored = ccounts.get("n_articles")
    if n_scored is None and scores is not None:
        n_scored = int(scores["article_id"].nunique())
    groups = _groups(ctx)
    method = _method(ctx)
    stats = []
    if n_articles is not None:
        stats.append(("articles in the corpus", str(n_articles)))
    if n_scored is not None:
        stats.append(("articles scored", str(n_scored)))
    stats += [
        (f"{_group_word(ctx)} groups", str(len(groups))),
        ("targets", str(len(ctx.targets))),
        ("method", method or "not recorded"),
    ]
    blocks.append(_Stats(tuple(stats)))
    description = _get(ctx.manifest, "config", "description")
    if isinstance(description, str) and description.strip():
        blocks.append(_Para(description.strip()))
    blocks.append(
        _Para(
            f"Targets: {', '.join(ctx.targets) or 'none'}. {_group_word(ctx).capitalize()} groups: "
            f"{', '.join(groups) or 'none'}. Scores run from -1 (against the target) to +1 (in "
            "favour); every number below is read from the tables of this run folder."
        )
    )
    if outlet is not None and len(outlet):
        rows = []
        for target in ctx.targets:
            part = _target_rows(outlet, target)
            warned = (
                int((part["warning"].fillna("").astype(str) != "").sum())
                if "warning" in part
                else 0
            )
            rows.append(
                (
                    _Cell(target),
                    _int(pd.to_numeric(part["n_articles"], errors="coerce").sum()),
                    _int(len(part)),
                    _int(warned),
                )
            )
        blocks.append(
            _Table(
                ("target", "article scores", f"{_group_word(ctx)} groups", "groups with a warning"),
                tuple(rows),
                "Coverage per target",
            )
        )
    stem = _stem(ctx, figure_stem("heatmap", by=ctx.by), "heatmap")
    blocks += _figure(ctx, stem, _caption(ctx, stem, "Mean stance per group and target"))
    if outlet is None:
        blocks.append(_absent(ctx, "outlet_table", "means per group and target"))
    return blocks


def _groups(ctx: _Context) -> list[str]:
    for name in ("outlet_table", "scores"):
        table = ctx.tables.get(name)
        if table is not None and all(c in table.columns for c in ctx.by):
            return sorted(set(_group_labels(table, ctx.by)))
    return []


def _method(ctx: _Context) -> str:
    method = _get(ctx.manifest, "config", "scoring", "method")
    if isinstance(method, str) and method:
        return method
    scores = ctx.tables.get("scores")
    if scores is not None and "method" in scores.columns:
        return ", ".join(sorted(map(str, scores["method"].dropna().unique())))
    return ""


def _lexicon_info(ctx: _Context, role: str) -> tuple[str, str, str]:
    """(name, version, sha256 prefix) of the scoring or targets lexicon, from the manifest."""
    recorded = _get(ctx.manifest, "lexicons", role)
    if isinstance(recorded, Mapping) and recorded.get("name"):
        return (
            str(recorded["name"]),
            _text(recorded.get("version", "?")),
            _sha_prefix(recorded.get("sha256")),
        )
    value = _get(ctx.manifest, "config", role, "lexicon")
    if not isinstance(value, str) or not value:
        return "", "", ""
    base = Path(value).name
    match = _VERSION_SUFFIX.match(base)
    name, version = (match["name"], match["version"]) if match else (base, "?")
    hashes = _get(ctx.manifest, "inputs", f"{role}.lexicon")
    sha = next(iter(hashes.values()), None) if isinstance(hashes, Mapping) and hashes else None
    return name, version, _sha_prefix(sha)


def _methods(ctx: _Context) -> list[Any]:
    blocks: list[Any] = [_Heading(2, "Methods", "methods")]
    cfg = _get(ctx.manifest, "config", default={}) or {}
    settings = {
        **(_get(cfg, "compare", default={}) or {}),
        **(_get(ctx.comparison, "settings", default={}) or {}),
    }
    counts = _get(ctx.manifest, "counts", default={}) or {}
    ccounts = _get(ctx.comparison, "counts", default={}) or {}
    sentences = []
    method = _method(ctx)
    if method:
        text = f"Stance toward each target was scored per article with the {method} method"
        model = _get(cfg, "scoring", "model")
        if method in ("model", "hybrid") and model:
            hashes = _get(ctx.manifest, "inputs", "scoring.model")
            sha = (
                next(iter(hashes.values()), None)
                if isinstance(hashes, Mapping) and hashes
                else None
            )
            text += f" (model {Path(str(model)).name}, sha256 {_sha_prefix(sha)})"
        sentences.append(text + ".")
    name, version, sha = _lexicon_info(ctx, "scoring")
    if name:
        sentences.append(f"Lexicon cues came from {name} version {version} (sha256 {sha}).")
    name, version, sha = _lexicon_info(ctx, "targets")
    if name:
        sentences.append(
            f"Target mentions were found with the aliases of {name} version {version} "
            f"(sha256 {sha})."
        )
    corpus = []
    if counts.get("n_articles") is not None:
        processed = counts.get("n_processed")
        corpus.append(
            f"{counts['n_articles']} articles were read"
            + (f" ({processed} processed)" if processed is not None else "")
        )
    if ccounts.get("n_articles") is not None:
        corpus.append(f"{ccounts['n_articles']} articles mention at least one target")
    if ccounts.get("n_mentions") is not None:
        corpus.append(f"{ccounts['n_mentions']} (sentence, target) mentions were scored")
    if corpus:
        sentences.append(
            "; ".join(corpus) + f", across {len(_groups(ctx))} {_group_word(ctx)} "
            f"groups and {len(ctx.targets)} targets."
        )
    seed = _get(ctx.manifest, "seed", default=settings.get("random_state"))
    if seed is not None:
        sentences.append(f"Every random step used seed {seed}.")
    if settings.get("n_boot") is not None:
        level = f"{round(100 * float(settings.get('ci', 0.95)))}%"
        sentences.append(
            f"Each mean is the unweighted mean of article scores with a {level} percentile "
            f"bootstrap interval over articles ({settings['n_boot']} resamples; the article is the "
            "resampling unit, so sentences of one article never count as independent)."
        )
    test = settings.get("test")
    if test == "permutation":
        sentences.append(
            f"Pairs of groups were compared with a two-sided permutation test of the difference of "
            f"means ({settings.get('n_perm', '?')} permutations), with Cliff's delta as effect size."
        )
    elif test == "mannwhitney":
        sentences.append(
            "Pairs of groups were compared with the two-sided Mann-Whitney U test, "
            "with Cliff's delta as effect size."
        )
    if test:
        sentences.append(
            "P-values were corrected for multiple comparisons with the "
            "Benjamini-Hochberg false discovery rate over all pairs and targets "
            "(q-values)."
        )
    if settings.get("min_n") is not None:
        sentences.append(f"Cells with fewer than {settings['min_n']} articles carry a warning.")
    if not ctx.manifest:
        sentences.append(
            "No manifest.json in this run folder: the lexicons, the model and the "
            "corpus counts are not recorded here."
        )
    blocks.append(_Para(" ".join(sentences) if sentences else "No settings recorded."))
    return blocks


def _target_section(ctx: _Context, target: str, k: int) -> list[Any]:
    anchor = f"target-{k}"
    blocks: list[Any] = [_Heading(2, f"Target: {target}", anchor)]
    blocks += _outlet_block(ctx, target, anchor)
    blocks += _contrast_block(ctx, target, anchor)
    frame = ctx.tables.get("frame_table")
    if frame is not None and len(_target_rows(frame, target)):
        blocks.append(_Heading(3, "Frames", f"{anchor}-frames"))
        blocks += _frames_block(ctx, _target_rows(frame, target), target)
    blocks += _terms_block(ctx, target, anchor)
    blocks += _evidence_block(ctx, target, anchor)
    return blocks


def _outlet_block(ctx: _Context, target: str, anchor: str) -> list[Any]:
    blocks: list[Any] = [_Heading(3, f"Stance by {_group_word(ctx)}", f"{anchor}-groups")]
    outlet = ctx.tables.get("outlet_table")
    if outlet is None:
        return [*blocks, _absent(ctx, "outlet_table", "means and intervals")]
    part = _target_rows(outlet, target)
    rows = tuple(
        (
            *(_str_cell(v) for v in values),
            _int(r["n_articles"]),
            _num(r["mean"]),
            _interval(r["ci_low"], r["ci_high"]),
            _share(r.get("share_against")),
            _share(r.get("share_neutral")),
            _share(r.get("share_favor")),
            _warning(r.get("warning")),
        )
        for values, (_, r) in zip(
            zip(*(part[c] for c in ctx.by), strict=True), part.iterrows(), strict=True
        )
    )
    level = f"{round(100 * float(_get(ctx.comparison, 'settings', 'ci', default=0.95)))}%"
    blocks.append(
        _Table(
            (
                *ctx.by,
                "articles",
                "mean",
                f"{level} interval",
                "against",
                "neutral",
                "favour",
                "warning",
            ),
            rows,
            f"Mean stance toward {target} (-1 against … +1 in favour)",
        )
    )
    for kind in ("interval", "distribution"):
        stem = _stem(ctx, figure_stem(kind, target=target), kind, target)
        blocks += _figure(ctx, stem, _caption(ctx, stem, f"{kind} of stance toward {target}"))
    return blocks


def _contrast_block(ctx: _Context, target: str, anchor: str) -> list[Any]:
    blocks: list[Any] = [_Heading(3, "Differences between groups", f"{anchor}-contrasts")]
    contrasts = ctx.tables.get("contrasts")
    if contrasts is None:
        return [*blocks, _absent(ctx, "contrasts", "pairwise differences")]
    part = _target_rows(contrasts, target)
    if not len(part):
        return [*blocks, _Note(f"No pair of groups to compare for {target}.")]
    part, note = _cap(part, ctx.max_rows, ["q_value", "p_value", "pair"], "smallest q-values")
    rows = tuple(
        (
            _str_cell(r["pair"]),
            _int(r["n_a"]),
            _int(r["n_b"]),
            _num(r["mean_a"]),
            _num(r["mean_b"]),
            _num(r["diff"]),
            _interval(r["ci_low"], r["ci_high"]),
            _pvalue(r["p_value"]),
            _pvalue(r["q_value"], "sig" if _float(r["q_value"]) < 0.05 else ""),
            _num(r["cliffs_delta"]),
            _num(r.get("cohens_d")),
            _warning(r.get("warning")),
        )
        for _, r in part.iterrows()
    )
    blocks.append(
        _Table(
            (
                "pair",
                "n a",
                "n b",
                "mean a",
                "mean b",
                "difference",
                "interval",
                "p",
                "q (BH)",
                "Cliff's δ",
                "Cohen's d",
                "warning",
            ),
            rows,
            f"Pairwise differences of mean stance toward {target} (a - b); bold q < 0.05",
            note,
        )
    )
    stem = _stem(ctx, figure_stem("difference", target=target), "difference", target)
    blocks += _figure(ctx, stem, _caption(ctx, stem, f"Differences of stance toward {target}"))
    stem = _stem(ctx, figure_stem("over_time", target=target), "over_time", target)
    if stem in ctx.figures:
        blocks += _figure(ctx, stem, _caption(ctx, stem, f"Stance toward {target} over time"))
    return blocks


def _frames_block(ctx: _Context, part: pd.DataFrame, target: str) -> list[Any]:
    categories = list(dict.fromkeys(part["category"].map(_text)))
    labels = _group_labels(part, ctx.by)
    shares: dict[str, dict[str, Any]] = {}
    n_articles: dict[str, Any] = {}
    for label, (_, r) in zip(labels, part.iterrows(), strict=True):
        shares.setdefault(label, {})[_text(r["category"])] = r["article_share"]
        n_articles[label] = r["n_articles"]
    rows = tuple(
        (_Cell(label), _int(n_articles[label]), *(_share(shares[label].get(c)) for c in categories))
        for label in dict.fromkeys(labels)
    )
    shown = target or "whole articles"
    blocks: list[Any] = [
        _Table(
            (_group_word(ctx), "articles", *categories),
            rows,
            f"Share of articles with at least one cue of each frame ({shown})",
        )
    ]
    stem = _stem(ctx, figure_stem("frames", target=target), "frames", target)
    return blocks + _figure(ctx, stem, _caption(ctx, stem, f"Frame shares ({shown})"))


def _terms_block(ctx: _Context, target: str, anchor: str) -> list[Any]:
    terms = ctx.tables.get("distinguishing_terms")
    if terms is None or "target" not in terms.columns:
        return []
    part = _target_rows(terms, target)
    if not len(part):
        return []
    blocks: list[Any] = [_Heading(3, "Distinguishing terms", f"{anchor}-terms")]
    listed: dict[str, list[str]] = {}
    for label, term, z in zip(_group_labels(part, ctx.by), part["term"], part["z"], strict=True):
        words = listed.setdefault(label, [])
        if len(words) < N_TERMS:
            words.append(f"{term} ({_float(z):.1f})")
    table_rows = tuple((_Cell(label), _Cell(", ".join(words))) for label, words in listed.items())
    blocks.append(
        _Table(
            (_group_word(ctx), "terms (z of the log-odds ratio against the other groups)"),
            table_rows,
            f"Words that set each group apart in sentences about {target}",
        )
    )
    figures: list[_Figure] = []
    for label in listed:
        stem = _stem(ctx, figure_stem("terms", target=target, group=label), "terms", target, label)
        figures += _figure(ctx, stem, _caption(ctx, stem, f"Terms that distinguish {label}"))
    if figures:
        blocks.append(
            _Folded(f"Figures of the distinguishing terms ({len(figures)})", tuple(figures))
        )
    return blocks


def _evidence_block(ctx: _Context, target: str, anchor: str) -> list[Any]:
    blocks: list[Any] = [_Heading(3, "Evidence passages", f"{anchor}-evidence")]
    scores = ctx.tables.get("scores")
    if scores is None:
        return [*blocks, _absent(ctx, "scores", "evidence passages")]
    by = [c for c in ctx.by if c in scores.columns]
    if len(by) != len(ctx.by):
        by = ["outlet"] if "outlet" in scores.columns else []
    if not by:
        return [*blocks, _Note("The score table has no grouping column: passages not shown.")]
    passages = evidence_passages(_target_rows(scores, target), by=by, n=ctx.n_evidence)
    if not len(passages):
        return [*blocks, _Note(f"No evidence sentences recorded for {target}.")]
    blocks.append(
        _Para(
            f"Per {' × '.join(by)}, the {ctx.n_evidence} sentences that moved article scores toward "
            f"{target} most (largest |contribution|). Highlighted: lexicon terms against (red), in "
            "favour (blue), and frame terms without a direction (grey)."
        )
    )
    labels = _group_labels(passages, by)
    for k, label in enumerate(dict.fromkeys(labels), start=1):
        rows = passages[[lab == label for lab in labels]]
        items = tuple(
            _Passage(
                str(r["sentence"]),
                tuple(r["terms"]),
                f"article {r['article_id']} · sentence {int(r['sent_id'])} · contribution "
                f"{_signed(_float(r['contribution']))} · article score "
                f"{_signed(_float(r['article_score']))} ({r['label']})",
            )
            for _, r in rows.iterrows()
        )
        blocks += [_Heading(4, label, f"{anchor}-evidence-{k}"), _Passages(items)]
    return blocks


def _article_frames(ctx: _Context) -> list[Any]:
    frame = ctx.tables.get("frame_table")
    if frame is None:
        return [
            _Heading(2, "Frames in whole articles", "frames"),
            _absent(ctx, "frame_table", "frame shares"),
        ]
    part = frame[frame["target"].fillna("").astype(str) == ""]
    if not len(part):
        return []
    return [_Heading(2, "Frames in whole articles", "frames"), *_frames_block(ctx, part, "")]


def _also_by_section(ctx: _Context) -> list[Any]:
    table = ctx.tables.get("also_by")
    if table is None or not len(table):
        return []  # nothing asked for: no section
    blocks: list[Any] = []
    for grouping, part in table.groupby("grouping", sort=False):
        anchor = _slug("also by", str(grouping))
        blocks.append(_Heading(2, f"Stance by {grouping}", anchor))
        stem = _stem(ctx, figure_stem("heatmap", by=(str(grouping),)), "heatmap", None, str(grouping))
        if stem in ctx.figures:
            ctx.used_figures.add(stem)
            blocks += _figure(ctx, stem, _caption(ctx, stem, f"Mean stance per {grouping} and target"))
        shown, note = _cap(part, ctx.max_rows, ["target", "group"], "first groups")
        rows = tuple(
            (
                _str_cell(r["group"]),
                _str_cell(r["target"]),
                _int(r["n_articles"]),
                _num(r["mean"]),
                _interval(r.get("ci_low"), r.get("ci_high")),
                _warning(r.get("warning")),
            )
            for _, r in shown.iterrows()
        )
        blocks.append(_Table((str(grouping), "target", "articles", "mean", "interval", "warning"),
                             rows, f"Mean stance per {grouping} and target", note))
    return blocks


def _by_voice_section(ctx: _Context) -> list[Any]:
    table = ctx.tables.get("by_voice")
    if table is None or not len(table):
        return []  # lexicon scores: no section
    group = next((c for c in table.columns if c not in ("voice", "target", "n_articles", "mean", "sd", "ci_low",
                                                         "ci_high", "warning", "n_mentions")), "group")
    blocks: list[Any] = [_Heading(2, "Stance by voice", "by-voice"), _Note(
        "The same articles scored twice: once from the sentences in the author's own narration only, "
        "once from the sentences that quote or report someone else (framing.text.voice). Sentences in "
        "which the target itself speaks are left out of both."
    )]
    for voice, part in table.groupby("voice", sort=True):
        base = figure_stem("heatmap", by=(group, _slug("voice", str(voice))))
        stem = _stem(ctx, base, "heatmap", None, str(voice))
        if stem in ctx.figures:
            ctx.used_figures.add(stem)
            blocks += _figure(ctx, stem, _caption(ctx, stem, f"Mean stance per {group} and target, {voice}"))
        shown, note = _cap(part, ctx.max_rows, ["target", group], "first groups")
        rows = tuple(
            (_str_cell(r[group]), _str_cell(r["target"]), _int(r["n_articles"]), _num(r["mean"]),
             _interval(r.get("ci_low"), r.get("ci_high")), _warning(r.get("warning")))
            for _, r in shown.iterrows()
        )
        blocks.append(_Table((group, "target", "articles", "mean", "interval", "warning"), rows,
                             f"Mean stance per {group} and target: {voice}", note))
    return blocks


def _same_event_section(ctx: _Context) -> list[Any]:
    blocks: list[Any] = [_Heading(2, "Same event", "same-event")]
    table = ctx.tables.get("same_event")
    if table is None:
        return [*blocks, _absent(ctx, "same_event", "within-event comparisons")]
    if not len(table):
        return [*blocks, _Note("No event is covered by two groups.")]
    group = [
        c
        for c in table.columns
        if c
        not in (
            "event",
            "target",
            "n_articles",
            "mean",
            "event_mean",
            "n_outlets",
            "deviation",
            "warning",
        )
    ][:1]
    table = table.assign(_abs=-table["deviation"].abs())
    shown, note = _cap(table, ctx.max_rows, ["_abs", "event"], "largest deviations")
    rows = tuple(
        (
            _str_cell(r["event"]),
            *(_str_cell(r[c]) for c in group),
            _str_cell(r["target"]),
            _int(r["n_articles"]),
            _num(r["mean"]),
            _num(r["event_mean"]),
            _int(r["n_outlets"]),
            _num(r["deviation"]),
            _warning(r.get("warning")),
        )
        for _, r in shown.iterrows()
    )
    blocks.append(
        _Para(
            "Outlets choose what to cover; within one event, each group's mean is "
            "compared with the mean of the groups' means for that event."
        )
    )
    blocks.append(
        _Table(
            (
                "event",
                *group,
                "target",
                "articles",
                "mean",
                "event mean",
                "groups",
                "deviation",
                "warning",
            ),
            rows,
            "Stance within events",
            note,
        )
    )
    return blocks


def _disagreement_section(ctx: _Context) -> list[Any]:
    blocks: list[Any] = [_Heading(2, "Lexicon versus model", "disagreement")]
    summary = ctx.tables.get("disagreement_summary")
    if summary is None:
        return [*blocks, _absent(ctx, "disagreement_summary", "agreement of the two methods")]
    keys = [
        c
        for c in summary.columns
        if c
        not in (
            "n_both",
            "n_lexicon_only",
            "n_model_only",
            "agreement",
            "kappa",
            "pearson",
            "spearman",
        )
    ]
    rows = tuple(
        (
            *(_str_cell(r[c]) for c in keys),
            _int(r["n_both"]),
            _int(r["n_lexicon_only"]),
            _int(r["n_model_only"]),
            _share(r["agreement"]),
            _num(r["kappa"]),
            _num(r["pearson"]),
            _num(r["spearman"]),
        )
        for _, r in summary.iterrows()
    )
    blocks.append(
        _Table(
            (
                *keys,
                "both",
                "lexicon only",
                "model only",
                "same label",
                "kappa",
                "Pearson r",
                "Spearman ρ",
            ),
            rows,
            "Agreement per group and target",
        )
    )
    examples = ctx.tables.get("disagreement_examples")
    if examples is not None and len(examples):
        shown, note = _cap(examples, ctx.max_rows, list(examples.columns[:2]), "first rows")
        keys = [
            c
            for c in shown.columns
            if c
            not in (
                "label_lexicon",
                "label_model",
                "score_lexicon",
                "score_model",
                "passage_lexicon",
                "passage_model",
            )
        ]
        rows = tuple(
            (
                *(_str_cell(r[c]) for c in keys),
                _str_cell(r["label_lexicon"]),
                _str_cell(r["label_model"]),
                _num(r["score_lexicon"]),
                _num(r["score_model"]),
                _str_cell(r["passage_lexicon"]),
                _str_cell(r["passage_model"]),
            )
            for _, r in shown.iterrows()
        )
        blocks.append(
            _Table(
                (
                    *keys,
                    "lexicon label",
                    "model label",
                    "lexicon score",
                    "model score",
                    "lexicon passage",
                    "model passage",
                ),
                rows,
                "Articles where the two methods disagree",
                note,
            )
        )
    return blocks


def _other_figures(ctx: _Context) -> list[Any]:
    rest = [stem for stem in sorted(ctx.figures) if stem not in ctx.used_figures]
    if not rest:
        return []
    blocks: list[Any] = [_Heading(2, "Other figures", "other-figures")]
    for stem in rest:
        blocks += _figure(ctx, stem, _caption(ctx, stem, stem))
    return blocks


def _provenance(ctx: _Context) -> list[Any]:
    blocks: list[Any] = [_Heading(2, "Provenance", "provenance")]
    m = ctx.manifest
    rows = []
    git = _get(m, "git", default={}) or {}
    for key, value in (
        ("experiment", _get(m, "experiment")),
        ("run id", _get(m, "run_id")),
        (
            "framing version",
            _get(m, "framing_version", default=_get(ctx.comparison, "framing_version")),
        ),
        ("code sha256", _sha_prefix(_get(m, "code_sha256")) if m else None),
        (
            "git commit",
            f"{_sha_prefix(git.get('sha'))}{' (uncommitted changes)' if git.get('dirty') is True else ''}"
            if git
            else None,
        ),
        ("seed", _get(m, "seed", default=_get(ctx.comparison, "settings", "random_state"))),
    ):
        if value is not None:
            rows.append((_Cell(key), _Cell(str(value))))
    if rows:
        blocks.append(_Table(("what", "value"), tuple(rows), "Run"))
    inputs = _get(m, "inputs", default={}) or {}
    input_rows = []
    for key in sorted(inputs):
        if isinstance(inputs[key], Mapping):
            for path in sorted(inputs[key]):
                input_rows.append(
                    (_Cell(key), _Cell(Path(path).name), _Cell(_sha_prefix(inputs[key][path])))
                )
    if input_rows:
        blocks.append(_Table(("input", "file or folder", "sha256"), tuple(input_rows), "Inputs"))
    versions = _get(m, "versions", default={}) or {}
    if versions:
        blocks.append(
            _Table(
                ("package", "version"),
                tuple(
                    (
                        _Cell(str(k)),
                        _Cell(_text(versions[k]) if versions[k] is not None else "not installed"),
                    )
                    for k in sorted(versions)
                ),
                "Software",
            )
        )
    files = tuple(
        (_Cell(TABLE_FILES[name]), _int(len(table)))
        for name, table in sorted(ctx.tables.items(), key=lambda kv: TABLE_FILES[kv[0]])
    )
    blocks.append(_Table(("table", "rows"), files, "Tables in this run folder"))
    if not m:
        blocks.append(
            _Note("No manifest.json in this run folder: inputs and versions are not recorded.")
        )
    return blocks


# --------------------------------------------------------------------------------------------
# rendering: HTML


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


def _html_table(table: _Table) -> str:
    numeric = [
        any(row[i].numeric for row in table.rows) if table.rows else False
        for i in range(len(table.headers))
    ]
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


def _html_figure(ctx: _Context, figure: _Figure) -> str:
    files = dict(figure.files)
    links = " · ".join(f'<a href="{_e(_href(files[f]))}">{f.upper()}</a>' for f in sorted(files))
    for fmt in EMBED_FORMATS:
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


def _html_passages(block: _Passages) -> str:
    items = "\n".join(
        f'<li><q>{highlight_html(p.sentence, p.terms)}</q><span class="meta">{_e(p.meta)}</span></li>'
        for p in block.items
    )
    return f'<ol class="passages">\n{items}\n</ol>'


def _render_html(ctx: _Context, blocks: Sequence[Any]) -> str:
    body: list[str] = []
    figures: list[str] = []

    def flush() -> None:
        if figures:
            body.append('<div class="figs">' + "\n".join(figures) + "</div>")
            figures.clear()

    for block in blocks:
        if isinstance(block, _Figure):
            figures.append(_html_figure(ctx, block))
            continue
        flush()
        if isinstance(block, _Heading):
            body.append(
                f'<h{block.level} id="{_e(block.anchor)}">{_e(block.text)}</h{block.level}>'
            )
        elif isinstance(block, _Para):
            body.append(f"<p>{_e(block.text)}</p>")
        elif isinstance(block, _Note):
            body.append(f'<p class="note">{_e(block.text)}</p>')
        elif isinstance(block, _Stats):
            body.append(
                '<div class="stats">'
                + "".join(
                    f'<div class="stat"><b>{_e(v)}</b><span>{_e(k)}</span></div>'
                    for k, v in block.items
                )
                + "</div>"
            )
        elif isinstance(block, _Table):
            body.append(_html_table(block))
        elif isinstance(block, _Passages):
            body.append(_html_passages(block))
        elif isinstance(block, _Folded):
            body.append(
                f'<details><summary>{_e(block.summary)}</summary><div class="figs">'
                + "\n".join(_html_figure(ctx, f) for f in block.figures)
                + "</div></details>"
            )
    flush()
    toc = "".join(
        f'<a href="#{_e(b.anchor)}">{_e(b.text)}</a>'
        for b in blocks
        if isinstance(b, _Heading) and b.level == 2
    )
    subtitle = _subtitle(ctx)
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
            f'<footer><div class="wrap">{_e(_footer(ctx))}</div></footer>',
            f"<script>{_JS}</script>",
            "</body>",
            "</html>",
            "",
        ]
    )


def _subtitle(ctx: _Context) -> str:
    parts = ["Stance and framing by outlet"]
    experiment = _get(ctx.manifest, "experiment")
    if experiment and str(experiment) != ctx.title:
        parts.append(f"experiment {experiment}")
    run_id = _get(ctx.manifest, "run_id")
    if run_id:
        parts.append(f"run {run_id}")
    return " · ".join(parts)


def _footer(ctx: _Context) -> str:
    version = _get(ctx.manifest, "framing_version", default=_get(ctx.comparison, "framing_version"))
    made = f"framing {version}" if version else "framing"
    return (
        f"Generated by {made} from the tables and figures of this run folder; no statistic "
        "was recomputed for the report. Click a column header to sort a table."
    )


# --------------------------------------------------------------------------------------------
# rendering: Markdown


def _md_table(table: _Table) -> str:
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


def _md_figure(figure: _Figure) -> str:
    files = dict(figure.files)
    shown = next((files[f] for f in EMBED_FORMATS if f in files), None)
    links = ", ".join(f"[{f.upper()}]({_href(files[f])})" for f in sorted(files))
    image = f"![{_md_escape(figure.caption)}]({_href(shown)})\n\n" if shown else ""
    return f"{image}*{_md_escape(figure.caption)}* ({links})"


def _render_md(ctx: _Context, blocks: Sequence[Any]) -> str:
    out = [f"# {_md_escape(ctx.title)}", "", _md_escape(_subtitle(ctx)), ""]
    toc = [b for b in blocks if isinstance(b, _Heading) and b.level == 2]
    out += [f"- [{_md_escape(b.text)}](#{b.anchor})" for b in toc] + [""]
    for block in blocks:
        if isinstance(block, _Heading):
            out.append(f'<a id="{_e(block.anchor)}"></a>\n')
            out.append(f"{'#' * block.level} {_md_escape(block.text)}")
        elif isinstance(block, _Para):
            out.append(_md_block(block.text))
        elif isinstance(block, _Note):
            out.append(f"> {_md_escape(block.text)}")
        elif isinstance(block, _Stats):
            out.append("\n".join(f"- {_md_escape(k)}: **{_md_escape(v)}**" for k, v in block.items))
        elif isinstance(block, _Table):
            out.append(_md_table(block))
        elif isinstance(block, _Figure):
            out.append(_md_figure(block))
        elif isinstance(block, _Folded):
            out.append(
                "\n\n".join(
                    [f"*{_md_escape(block.summary)}*", *(_md_figure(f) for f in block.figures)]
                )
            )
        elif isinstance(block, _Passages):
            out.append(
                "\n".join(
                    f"{i}. {highlight_markdown(p.sentence, p.terms)}  \n   {_md_escape(p.meta)}"
                    for i, p in enumerate(block.items, start=1)
                )
            )
        out.append("")
    out += ["---", "", _md_escape(_footer(ctx)), ""]
    return "\n".join(out)


# --------------------------------------------------------------------------------------------
# build_report


def _figure_files(run: Path) -> dict[str, dict[str, str]]:
    """Stem -> {format: path relative to the run folder} of ``figures/*.svg|png|pdf``."""
    folder = run / FIGURES_DIR
    found: dict[str, dict[str, str]] = {}
    if not folder.is_dir():
        return found
    for path in sorted(folder.iterdir()):
        fmt = path.suffix.lstrip(".").lower()
        if path.is_file() and fmt in plots.FORMATS and not path.name.startswith("."):
            found.setdefault(path.stem, {})[fmt] = path.relative_to(run).as_posix()
    return found


_NEEDED: dict[str, tuple[str, ...]] = {
    "scores": ("article_id", "target", "score", "label"),
    "outlet_table": ("target", "n_articles", "mean", "ci_low", "ci_high"),
    "contrasts": (
        "target",
        "pair",
        "n_a",
        "n_b",
        "mean_a",
        "mean_b",
        "diff",
        "ci_low",
        "ci_high",
        "p_value",
        "q_value",
        "cliffs_delta",
    ),
    "frame_table": ("target", "category", "n_articles", "article_share"),
    "distinguishing_terms": ("target", "term", "z"),
    "same_event": ("event", "target", "n_articles", "mean", "event_mean", "n_outlets", "deviation"),
    "also_by": ("grouping", "group", "target", "n_articles", "mean"),
    "by_voice": ("voice", "target", "n_articles", "mean"),
    "over_time": ("period", "target", "n_articles", "mean"),
    "disagreement_summary": (
        "n_both",
        "n_lexicon_only",
        "n_model_only",
        "agreement",
        "kappa",
        "pearson",
        "spearman",
    ),
    "disagreement_examples": (
        "label_lexicon",
        "label_model",
        "score_lexicon",
        "score_model",
        "passage_lexicon",
        "passage_model",
    ),
}


def _read_tables(run: Path) -> dict[str, pd.DataFrame]:
    tables = {}
    for name, file in TABLE_FILES.items():
        path = run / file
        if not path.is_file():
            continue
        table = tableio.read_table(path)
        missing = [c for c in _NEEDED[name] if c not in table.columns]
        if missing:
            raise DataError(
                f"{path} lacks column(s) {', '.join(missing)}; it has "
                f"{', '.join(map(str, table.columns))}; rewrite it with framing.report.core.write_comparison"
            )
        tables[name] = table
    return tables


def _by(
    tables: Mapping[str, pd.DataFrame], comparison: Mapping, manifest: Mapping
) -> tuple[str, ...]:
    outlet = tables.get("outlet_table")
    if outlet is not None:
        columns = list(outlet.columns)
        by = tuple(columns[: columns.index("target")])
        if by:
            return by
    for value in (_get(comparison, "settings", "by"), _get(manifest, "config", "compare", "by")):
        if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
            return tuple(value)
    return ("outlet",)


def _targets(tables: Mapping[str, pd.DataFrame]) -> list[str]:
    found: set[str] = set()
    for name in ("outlet_table", "contrasts", "scores"):
        table = tables.get(name)
        if table is not None and "target" in table.columns:
            found.update(_text(t) for t in table["target"].dropna().unique())
    found.discard("")
    return sorted(found)


def build_report(
    run_dir: str | Path,
    *,
    title: str | None = None,
    n_evidence: int = N_EVIDENCE,
    max_rows: int = MAX_ROWS,
) -> dict[str, Path]:
    """Write ``report.html`` and ``report.md`` from a run folder's tables and figures.

    Nothing is recomputed: see the module docstring for the files read (the run folder contract).

    Parameters
    ----------
    run_dir : str or Path
        The run folder.
    title : str, optional
        Report title (default: the manifest's ``report.title``, else its experiment name, else
        "framing report").
    n_evidence : int, default 3
        Evidence sentences per group and target.
    max_rows : int, default 200
        Rows shown of a long table (contrasts, same event, examples).

    Returns
    -------
    dict of str to Path
        ``{"html": <run>/report.html, "markdown": <run>/report.md}``.

    Raises
    ------
    DataError
        The folder does not exist, holds no table or figure of the contract, or a file is
        unreadable or lacks columns (the message names the file).

    Examples
    --------
    >>> build_report("reports/runs/demo/3f9c2a7be041")  # doctest: +SKIP
    {'html': PosixPath('.../report.html'), 'markdown': PosixPath('.../report.md')}
    """
    run = Path(run_dir)
    if not run.is_dir():
        raise DataError(
            f"run folder not found: {run}; give the folder written by framing compare "
            "or framing run"
        )
    for name, value in (("n_evidence", n_evidence), ("max_rows", max_rows)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
            raise ConfigError(f"{name}={value!r} is not accepted; give a positive int")
    manifest = _read_json(run / MANIFEST_FILE)
    comparison = _read_json(run / COMPARISON_FILE)
    tables = _read_tables(run)
    figures = _figure_files(run)
    if not tables and not figures:
        raise DataError(
            f"nothing to report in {run}: none of {', '.join(TABLE_FILES.values())} and no "
            f"figures/; run write_comparison (framing compare) first"
        )
    if title is None:
        title = next(
            (
                str(t)
                for t in (_get(manifest, "config", "report", "title"), _get(manifest, "experiment"))
                if t
            ),
            "framing report",
        )
    ctx = _Context(
        run=run,
        title=str(title),
        manifest=manifest,
        comparison=comparison,
        tables=tables,
        figures=figures,
        by=_by(tables, comparison, manifest),
        targets=_targets(tables),
        n_evidence=int(n_evidence),
        max_rows=int(max_rows),
    )
    blocks = _assemble(ctx)
    html_path = tableio.write_text(_render_html(ctx, blocks), run / REPORT_HTML)
    md_path = tableio.write_text(_render_md(ctx, blocks), run / REPORT_MD)
    return {"html": html_path, "markdown": md_path}
