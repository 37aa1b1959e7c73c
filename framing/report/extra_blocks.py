"""The sections after the targets: stance by further groupings and by voice, the same event,
and lexicon versus model."""

from __future__ import annotations

from typing import Any

import pandas as pd

from framing.analysis.report_tables import figure_stem, slug
from framing.report.cells import (
    int_cell,
    interval_cell,
    num_cell,
    share_cell,
    str_cell,
    warning_cell,
)
from framing.report.document import (
    Context,
    Heading,
    Note,
    Para,
    Table,
    absent,
    cap_rows,
    figure_blocks,
    figure_caption,
    recorded_stem,
)

__all__ = ["also_by_section", "by_voice_section", "disagreement_section", "same_event_section"]


def also_by_section(ctx: Context) -> list[Any]:
    """One section per further grouping column (none when none was asked for)."""
    table = ctx.tables.get("also_by")
    if table is None or not len(table):
        return []  # nothing asked for: no section
    blocks: list[Any] = []
    for grouping, part in table.groupby("grouping", sort=False):
        anchor = slug("also by", str(grouping))
        blocks.append(Heading(2, f"Stance by {grouping}", anchor))
        stem = recorded_stem(
            ctx, figure_stem("heatmap", by=(str(grouping),)), "heatmap", None, str(grouping)
        )
        if stem in ctx.figures:
            ctx.used_figures.add(stem)
            blocks += figure_blocks(
                ctx, stem, figure_caption(ctx, stem, f"Mean stance per {grouping} and target")
            )
        shown, note = cap_rows(part, ctx.max_rows, ["target", "group"], "first groups")
        rows = tuple(
            (
                str_cell(r["group"]),
                str_cell(r["target"]),
                int_cell(r["n_articles"]),
                num_cell(r["mean"]),
                interval_cell(r.get("ci_low"), r.get("ci_high")),
                warning_cell(r.get("warning")),
            )
            for _, r in shown.iterrows()
        )
        blocks.append(
            Table(
                (str(grouping), "target", "articles", "mean", "interval", "warning"),
                rows,
                f"Mean stance per {grouping} and target",
                note,
            )
        )
    return blocks


def by_voice_section(ctx: Context) -> list[Any]:
    """Stance by voice (none for lexicon scores)."""
    table = ctx.tables.get("by_voice")
    if table is None or not len(table):
        return []  # lexicon scores: no section
    group = next(
        (
            c
            for c in table.columns
            if c
            not in (
                "voice",
                "target",
                "n_articles",
                "mean",
                "sd",
                "ci_low",
                "ci_high",
                "warning",
                "n_mentions",
            )
        ),
        "group",
    )
    blocks: list[Any] = [
        Heading(2, "Stance by voice", "by-voice"),
        Note(
            "The same articles scored twice: once from the sentences in the author's own narration "
            "only, once from the sentences that quote or report someone else (framing.text.voice). "
            "Sentences in which the target itself speaks are left out of both."
        ),
    ]
    for voice, part in table.groupby("voice", sort=True):
        base = figure_stem("heatmap", by=(group, slug("voice", str(voice))))
        stem = recorded_stem(ctx, base, "heatmap", None, str(voice))
        if stem in ctx.figures:
            ctx.used_figures.add(stem)
            blocks += figure_blocks(
                ctx, stem, figure_caption(ctx, stem, f"Mean stance per {group} and target, {voice}")
            )
        shown, note = cap_rows(part, ctx.max_rows, ["target", group], "first groups")
        rows = tuple(
            (
                str_cell(r[group]),
                str_cell(r["target"]),
                int_cell(r["n_articles"]),
                num_cell(r["mean"]),
                interval_cell(r.get("ci_low"), r.get("ci_high")),
                warning_cell(r.get("warning")),
            )
            for _, r in shown.iterrows()
        )
        blocks.append(
            Table(
                (group, "target", "articles", "mean", "interval", "warning"),
                rows,
                f"Mean stance per {group} and target: {voice}",
                note,
            )
        )
    return blocks


def same_event_section(ctx: Context) -> list[Any]:
    """Each group's mean against the mean of the groups within one event."""
    blocks: list[Any] = [Heading(2, "Same event", "same-event")]
    table = ctx.tables.get("same_event")
    if table is None:
        return [*blocks, absent(ctx, "same_event", "within-event comparisons")]
    if not len(table):
        return [*blocks, Note("No event is covered by two groups.")]
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
    shown, note = cap_rows(table, ctx.max_rows, ["_abs", "event"], "largest deviations")
    rows = tuple(
        (
            str_cell(r["event"]),
            *(str_cell(r[c]) for c in group),
            str_cell(r["target"]),
            int_cell(r["n_articles"]),
            num_cell(r["mean"]),
            num_cell(r["event_mean"]),
            int_cell(r["n_outlets"]),
            num_cell(r["deviation"]),
            warning_cell(r.get("warning")),
        )
        for _, r in shown.iterrows()
    )
    blocks.append(
        Para(
            "Outlets choose what to cover; within one event, each group's mean is "
            "compared with the mean of the groups' means for that event."
        )
    )
    blocks.append(
        Table(
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


def disagreement_section(ctx: Context) -> list[Any]:
    """Agreement of the lexicon and the model, and articles where they differ."""
    blocks: list[Any] = [Heading(2, "Lexicon versus model", "disagreement")]
    summary = ctx.tables.get("disagreement_summary")
    if summary is None:
        return [*blocks, absent(ctx, "disagreement_summary", "agreement of the two methods")]
    blocks.append(_agreement_table(summary))
    examples = ctx.tables.get("disagreement_examples")
    if examples is not None and len(examples):
        blocks.append(_examples_table(ctx, examples))
    return blocks


def _agreement_table(summary: pd.DataFrame) -> Table:
    """Agreement of the two methods per group and target (disagreement_summary)."""
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
            *(str_cell(r[c]) for c in keys),
            int_cell(r["n_both"]),
            int_cell(r["n_lexicon_only"]),
            int_cell(r["n_model_only"]),
            share_cell(r["agreement"]),
            num_cell(r["kappa"]),
            num_cell(r["pearson"]),
            num_cell(r["spearman"]),
        )
        for _, r in summary.iterrows()
    )
    return Table(
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


def _examples_table(ctx: Context, examples: pd.DataFrame) -> Table:
    """Articles the two methods label differently (disagreement_examples), capped."""
    shown, note = cap_rows(examples, ctx.max_rows, list(examples.columns[:2]), "first rows")
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
            *(str_cell(r[c]) for c in keys),
            str_cell(r["label_lexicon"]),
            str_cell(r["label_model"]),
            num_cell(r["score_lexicon"]),
            num_cell(r["score_model"]),
            str_cell(r["passage_lexicon"]),
            str_cell(r["passage_model"]),
        )
        for _, r in shown.iterrows()
    )
    return Table(
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
