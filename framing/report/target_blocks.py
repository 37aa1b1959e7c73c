"""The sections of one target (stance by group, differences between groups, frames,
distinguishing terms, evidence passages) and the frames of whole articles."""

from __future__ import annotations

from typing import Any

import pandas as pd

from framing.analysis.report_tables import N_TERMS, cell_text, figure_stem, group_labels, nested_get
from framing.analysis.terms import MIN_COUNT, language_name
from framing.report.cells import (
    WARNING_COLUMN,
    Column,
    as_float,
    int_cell,
    interval_cell,
    num_cell,
    pvalue_cell,
    share_cell,
    signed,
    str_cell,
    typed_table,
    warning_cell,
)
from framing.report.document import (
    Cell,
    Context,
    Figure,
    Folded,
    Heading,
    Note,
    Para,
    Passage,
    Passages,
    Table,
    absent,
    cap_rows,
    group_word,
    recorded_figure,
    target_rows,
)
from framing.report.evidence import evidence_passages

__all__ = ["article_frames", "target_section"]


def _q_cell(value: Any) -> Cell:
    """A q-value, marked "sig" below 0.05."""
    return pvalue_cell(value, "sig" if as_float(value) < 0.05 else "")


#: The columns of the contrasts table after its pair.
_CONTRAST_COLUMNS: tuple[Column, ...] = (
    ("n_a", "n a", int_cell),
    ("n_b", "n b", int_cell),
    ("mean_a", "mean a", num_cell),
    ("mean_b", "mean b", num_cell),
    ("diff", "difference", num_cell),
    (("ci_low", "ci_high"), "interval", interval_cell),
    ("p_value", "p", pvalue_cell),
    ("q_value", "q (BH)", _q_cell),
    ("cliffs_delta", "Cliff's δ", num_cell),
    ("cohens_d", "Cohen's d", num_cell),
    WARNING_COLUMN,
)


def target_section(ctx: Context, target: str, k: int) -> list[Any]:
    """The section of ``target`` (the ``k``-th): groups, differences, frames, terms, evidence."""
    anchor = f"target-{k}"
    blocks: list[Any] = [Heading(2, f"Target: {target}", anchor)]
    blocks += _outlet_block(ctx, target, anchor)
    blocks += _contrast_block(ctx, target, anchor)
    frame = ctx.tables.get("frame_table")
    if frame is not None and len(target_rows(frame, target)):
        blocks.append(Heading(3, "Frames", f"{anchor}-frames"))
        blocks += _frames_block(ctx, target_rows(frame, target), target)
    blocks += _terms_block(ctx, target, anchor)
    blocks += _evidence_block(ctx, target, anchor)
    return blocks


def _outlet_block(ctx: Context, target: str, anchor: str) -> list[Any]:
    blocks: list[Any] = [Heading(3, f"Stance by {group_word(ctx)}", f"{anchor}-groups")]
    outlet = ctx.tables.get("outlet_table")
    if outlet is None:
        return [*blocks, absent(ctx, "outlet_table", "means and intervals")]
    part = target_rows(outlet, target)
    rows = tuple(
        (
            *(str_cell(v) for v in values),
            int_cell(r["n_articles"]),
            num_cell(r["mean"]),
            interval_cell(r["ci_low"], r["ci_high"]),
            share_cell(r.get("share_against")),
            share_cell(r.get("share_neutral")),
            share_cell(r.get("share_favor")),
            warning_cell(r.get("warning")),
        )
        for values, (_, r) in zip(
            zip(*(part[c] for c in ctx.by), strict=True), part.iterrows(), strict=True
        )
    )
    level = f"{round(100 * float(nested_get(ctx.comparison, 'settings', 'ci', default=0.95)))}%"
    blocks.append(
        Table(
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
        base = figure_stem(kind, target=target)
        blocks += recorded_figure(ctx, base, kind, f"{kind} of stance toward {target}", target)
    return blocks


def _contrast_block(ctx: Context, target: str, anchor: str) -> list[Any]:
    blocks: list[Any] = [Heading(3, "Differences between groups", f"{anchor}-contrasts")]
    contrasts = ctx.tables.get("contrasts")
    if contrasts is None:
        return [*blocks, absent(ctx, "contrasts", "pairwise differences")]
    part = target_rows(contrasts, target)
    if not len(part):
        return [*blocks, Note(f"No pair of groups to compare for {target}.")]
    part, note = cap_rows(part, ctx.max_rows, ["q_value", "p_value", "pair"], "smallest q-values")
    caption = f"Pairwise differences of mean stance toward {target} (a - b); bold q < 0.05"
    blocks.append(typed_table(part, _CONTRAST_COLUMNS, caption, note, keys=("pair",)))
    for kind, caption in (
        ("difference", f"Differences of stance toward {target}"),
        ("over_time", f"Stance toward {target} over time"),
    ):
        blocks += recorded_figure(ctx, figure_stem(kind, target=target), kind, caption, target)
    return blocks


def _frames_block(ctx: Context, part: pd.DataFrame, target: str) -> list[Any]:
    categories = list(dict.fromkeys(part["category"].map(cell_text)))
    labels = group_labels(part, ctx.by)
    shares: dict[str, dict[str, Any]] = {}
    n_articles: dict[str, Any] = {}
    for label, (_, r) in zip(labels, part.iterrows(), strict=True):
        shares.setdefault(label, {})[cell_text(r["category"])] = r["article_share"]
        n_articles[label] = r["n_articles"]
    rows = tuple(
        (
            Cell(label),
            int_cell(n_articles[label]),
            *(share_cell(shares[label].get(c)) for c in categories),
        )
        for label in dict.fromkeys(labels)
    )
    shown = target or "whole articles"
    blocks: list[Any] = [
        Table(
            (group_word(ctx), "articles", *categories),
            rows,
            f"Share of articles with at least one cue of each frame ({shown})",
        )
    ]
    base = figure_stem("frames", target=target)
    return blocks + recorded_figure(ctx, base, "frames", f"Frame shares ({shown})", target)


def _terms_table(ctx: Context, part: pd.DataFrame, target: str, language: str) -> Table:
    """The first :data:`N_TERMS` terms of each group in ``part`` (one language, or the whole
    table of a run folder without a language column); a term whose z rounds to 0.0 sets nothing
    apart and is left out."""
    listed: dict[str, list[str]] = {}
    for label, term, z in zip(group_labels(part, ctx.by), part["term"], part["z"], strict=True):
        words = listed.setdefault(label, [])
        if len(words) < N_TERMS and round(as_float(z), 1) > 0:
            words.append(f"{term} ({as_float(z):.1f})")
    table_rows = tuple((Cell(label), Cell(", ".join(words))) for label, words in listed.items())
    among = f"the other groups in {language}" if language else "the other groups"
    return Table(
        (group_word(ctx), f"terms (z of the log-odds ratio against {among})"),
        table_rows,
        f"Words that set each {group_word(ctx)} apart from {among} in sentences about {target}",
    )


def _terms_notes(ctx: Context, target: str) -> list[Any]:
    """What comparison.json says was left out of this target's terms (groups with too few words,
    a language with one group only)."""
    recorded = nested_get(ctx.comparison, "notes", "distinguishing_terms")
    prefix = f"{target or 'all sentences'}, "
    notes = [n[len(prefix):] for n in str(recorded or "").split("; ") if n.startswith(prefix)]
    return [Note(f"Not compared: {'; '.join(notes)}.")] if notes else []


def _terms_block(ctx: Context, target: str, anchor: str) -> list[Any]:
    terms = ctx.tables.get("distinguishing_terms")
    if terms is None or "target" not in terms.columns:
        return []
    part = target_rows(terms, target)
    if not len(part):
        return []
    blocks: list[Any] = [Heading(3, "Distinguishing terms", f"{anchor}-terms")]
    if "language" in part.columns:
        blocks.append(Para(
            f"Each {group_word(ctx)} against the others writing in the same language, in "
            f"sentences about {target}: stopwords of the language left out, names of the targets "
            f"counted whole, terms seen fewer than {MIN_COUNT} times not listed. A z above about 2 "
            "is a difference that chance alone seldom makes; with few words per group, z stays "
            "small."
        ))
        codes = part["language"].map(cell_text)
        for code in sorted(dict.fromkeys(codes), key=language_name):
            name = language_name(code)
            blocks += [
                Heading(4, name, f"{anchor}-terms-{code}"),
                _terms_table(ctx, part[(codes == code).to_numpy()], target, name),
            ]
    else:
        blocks.append(_terms_table(ctx, part, target, ""))
    blocks += _terms_notes(ctx, target)
    listed = dict.fromkeys(group_labels(part, ctx.by))
    figures: list[Figure] = []
    for label in listed:
        base = figure_stem("terms", target=target, group=label)
        caption = f"Terms that distinguish {label}"
        figures += recorded_figure(ctx, base, "terms", caption, target, label)
    if figures:
        blocks.append(
            Folded(f"Figures of the distinguishing terms ({len(figures)})", tuple(figures))
        )
    return blocks


def _evidence_block(ctx: Context, target: str, anchor: str) -> list[Any]:
    blocks: list[Any] = [Heading(3, "Evidence passages", f"{anchor}-evidence")]
    scores = ctx.tables.get("scores")
    if scores is None:
        return [*blocks, absent(ctx, "scores", "evidence passages")]
    by = [c for c in ctx.by if c in scores.columns]
    if len(by) != len(ctx.by):
        by = ["outlet"] if "outlet" in scores.columns else []
    if not by:
        return [*blocks, Note("The score table has no grouping column: passages not shown.")]
    passages = evidence_passages(target_rows(scores, target), by=by, n=ctx.n_evidence)
    if not len(passages):
        return [*blocks, Note(f"No evidence sentences recorded for {target}.")]
    blocks.append(
        Para(
            f"Per {' × '.join(by)}, the {ctx.n_evidence} sentences that moved article scores toward "
            f"{target} most (largest |contribution|). Highlighted: lexicon terms against (red), in "
            "favour (blue), and frame terms without a direction (grey)."
        )
    )
    labels = group_labels(passages, by)
    for k, label in enumerate(dict.fromkeys(labels), start=1):
        rows = passages[[lab == label for lab in labels]]
        items = tuple(
            Passage(
                str(r["sentence"]),
                tuple(r["terms"]),
                f"article {r['article_id']} · sentence {int(r['sent_id'])} · contribution "
                f"{signed(as_float(r['contribution']))} · article score "
                f"{signed(as_float(r['article_score']))} ({r['label']})",
            )
            for _, r in rows.iterrows()
        )
        blocks += [Heading(4, label, f"{anchor}-evidence-{k}"), Passages(items)]
    return blocks


def article_frames(ctx: Context) -> list[Any]:
    """Frame shares in whole articles (the frame table's rows without a target)."""
    frame = ctx.tables.get("frame_table")
    if frame is None:
        return [
            Heading(2, "Frames in whole articles", "frames"),
            absent(ctx, "frame_table", "frame shares"),
        ]
    part = frame[frame["target"].fillna("").astype(str) == ""]
    if not len(part):
        return []
    return [Heading(2, "Frames in whole articles", "frames"), *_frames_block(ctx, part, "")]
