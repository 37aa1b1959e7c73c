"""The sections after the targets: stance by further groupings and by voice, the same event,
and lexicon versus model."""

from __future__ import annotations

from typing import Any

import pandas as pd

from framing.analysis.report_tables import figure_stem, slug
from framing.report.cells import (
    WARNING_COLUMN,
    Column,
    column_names,
    int_cell,
    interval_cell,
    num_cell,
    share_cell,
    str_cell,
    typed_table,
)
from framing.report.document import (
    Context,
    Heading,
    Note,
    Para,
    Table,
    absent,
    cap_rows,
    recorded_figure,
)

__all__ = [
    "AGREEMENT_COLUMNS",
    "EXAMPLE_COLUMNS",
    "also_by_section",
    "by_voice_section",
    "disagreement_section",
    "same_event_section",
]

#: Articles, mean, interval and warning of a stance table (also by, by voice).
_STANCE_COLUMNS: tuple[Column, ...] = (
    ("n_articles", "articles", int_cell),
    ("mean", "mean", num_cell),
    (("ci_low", "ci_high"), "interval", interval_cell),
    WARNING_COLUMN,
)
#: The columns of the same-event table after its keys (event, group, target).
_EVENT_COLUMNS: tuple[Column, ...] = (
    ("n_articles", "articles", int_cell),
    ("mean", "mean", num_cell),
    ("event_mean", "event mean", num_cell),
    ("n_outlets", "groups", int_cell),
    ("deviation", "deviation", num_cell),
    WARNING_COLUMN,
)
#: The columns of the agreement table (disagreement_summary) after its keys.
AGREEMENT_COLUMNS: tuple[Column, ...] = (
    ("n_both", "both", int_cell),
    ("n_lexicon_only", "lexicon only", int_cell),
    ("n_model_only", "model only", int_cell),
    ("agreement", "same label", share_cell),
    ("kappa", "kappa", num_cell),
    ("pearson", "Pearson r", num_cell),
    ("spearman", "Spearman ρ", num_cell),
)
#: The columns of the examples table (disagreement_examples) after its keys.
EXAMPLE_COLUMNS: tuple[Column, ...] = (
    ("label_lexicon", "lexicon label", str_cell),
    ("label_model", "model label", str_cell),
    ("score_lexicon", "lexicon score", num_cell),
    ("score_model", "model score", num_cell),
    ("passage_lexicon", "lexicon passage", str_cell),
    ("passage_model", "model passage", str_cell),
)


def also_by_section(ctx: Context) -> list[Any]:
    """One section per further grouping column (none when none was asked for)."""
    table = ctx.tables.get("also_by")
    if table is None or not len(table):
        return []  # nothing asked for: no section
    blocks: list[Any] = []
    for grouping, part in table.groupby("grouping", sort=False):
        anchor = slug("also by", str(grouping))
        blocks.append(Heading(2, f"Stance by {grouping}", anchor))
        base = figure_stem("heatmap", by=(str(grouping),))
        caption = f"Mean stance per {grouping} and target"
        blocks += recorded_figure(ctx, base, "heatmap", caption, None, str(grouping))
        shown, note = cap_rows(part, ctx.max_rows, ["target", "group"], "first groups")
        columns = (("group", str(grouping), str_cell), ("target", "target", str_cell))
        caption = f"Mean stance per {grouping} and target"
        blocks.append(typed_table(shown, (*columns, *_STANCE_COLUMNS), caption, note))
    return blocks


def by_voice_section(ctx: Context) -> list[Any]:
    """Stance by voice (none for lexicon scores)."""
    table = ctx.tables.get("by_voice")
    if table is None or not len(table):
        return []  # lexicon scores: no section
    known = ("voice", "target", "sd", "n_mentions", *column_names(_STANCE_COLUMNS))
    group = next((c for c in table.columns if c not in known), "group")
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
        caption = f"Mean stance per {group} and target, {voice}"
        blocks += recorded_figure(ctx, base, "heatmap", caption, None, str(voice))
        shown, note = cap_rows(part, ctx.max_rows, ["target", group], "first groups")
        caption = f"Mean stance per {group} and target: {voice}"
        blocks.append(typed_table(shown, _STANCE_COLUMNS, caption, note, keys=(group, "target")))
    return blocks


def same_event_section(ctx: Context) -> list[Any]:
    """Each group's mean against the mean of the groups within one event."""
    blocks: list[Any] = [Heading(2, "Same event", "same-event")]
    table = ctx.tables.get("same_event")
    if table is None:
        return [*blocks, absent(ctx, "same_event", "within-event comparisons")]
    if not len(table):
        return [*blocks, Note("No event is covered by two groups.")]
    known = ("event", "target", *column_names(_EVENT_COLUMNS))
    group = [c for c in table.columns if c not in known][:1]
    table = table.assign(_abs=-table["deviation"].abs())
    shown, note = cap_rows(table, ctx.max_rows, ["_abs", "event"], "largest deviations")
    blocks.append(
        Para(
            "Outlets choose what to cover; within one event, each group's mean is "
            "compared with the mean of the groups' means for that event."
        )
    )
    keys = ("event", *group, "target")
    blocks.append(typed_table(shown, _EVENT_COLUMNS, "Stance within events", note, keys=keys))
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
    keys = [c for c in summary.columns if c not in column_names(AGREEMENT_COLUMNS)]
    return typed_table(summary, AGREEMENT_COLUMNS, "Agreement per group and target", keys=keys)


def _examples_table(ctx: Context, examples: pd.DataFrame) -> Table:
    """Articles the two methods label differently (disagreement_examples), capped."""
    shown, note = cap_rows(examples, ctx.max_rows, list(examples.columns[:2]), "first rows")
    keys = [c for c in shown.columns if c not in column_names(EXAMPLE_COLUMNS)]
    return typed_table(
        shown, EXAMPLE_COLUMNS, "Articles where the two methods disagree", note, keys=keys
    )
