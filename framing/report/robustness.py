"""The section "Robustness of conclusions": the multiverse (specification curve) of a run.

:func:`framing.analysis.multiverse.write_multiverse` recomputes every contrast under each
combination of the analysis choices and writes ``multiverse.json``, ``robustness.parquet`` (one
row per contrast, with its verdict) and a specification curve per target. This section says what
was varied, counts the verdicts, shows each target's contrasts and curve, and lists the contrasts
that hold and those that flip. As everywhere in the report, no statistic is recomputed: shares,
medians and verdicts are cells of ``robustness.parquet``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from framing.analysis.report_tables import TABLE_FILES, cell_text, nested_get
from framing.report.cells import (
    Column,
    as_float,
    num_cell,
    share_cell,
    str_cell,
    typed_table,
)
from framing.report.document import Cell, Context, Heading, Note, Para, cap_rows, figure_blocks

__all__ = ["VERDICTS", "robustness_section"]

#: Verdicts of robustness.parquet, strongest first (the order rows are listed in).
VERDICTS: tuple[str, ...] = ("holds", "same sign", "flips", "not estimable")
#: The order the choices are named in (the order the multiverse varies them); others follow.
CHOICE_ORDER: tuple[str, ...] = ("scorer", "target_kinds", "aggregation", "neutral_band", "unit")
#: Share of specifications a contrast must hold in, when multiverse.json does not record it.
DEFAULT_HOLD_SHARE = 0.9
_ANCHOR = "robustness"


def _estimated_cell(n_estimated: Any, n_specs: Any) -> Cell:
    """``n_estimated of n_specs``, sorted by the specifications that estimate the contrast."""
    a, b = as_float(n_estimated), as_float(n_specs)
    if not (math.isfinite(a) and math.isfinite(b)):
        return Cell("–", None, True)
    return Cell(f"{int(a)} of {int(b)}", a, True)


#: The columns of a target's robustness table after its pair.
ROBUSTNESS_COLUMNS: tuple[Column, ...] = (
    (("n_estimated", "n_specs"), "estimated", _estimated_cell),
    ("baseline_diff", "configured estimate", num_cell),
    ("median_diff", "median", num_cell),
    ("share_same_sign", "same sign", share_cell),
    ("share_excluding_zero", "interval excludes zero", share_cell),
    ("share_reversed", "reversed", share_cell),
    ("verdict", "verdict", str_cell),
)


def robustness_section(ctx: Context) -> list[Any]:
    """The section, or nothing when the run folder holds no ``multiverse.json``."""
    if not ctx.multiverse:
        return []
    table = ctx.tables.get("robustness")
    hold = _hold_share(ctx.multiverse)
    blocks: list[Any] = [
        Heading(2, "Robustness of conclusions", _ANCHOR),
        Para(_design_text(ctx, hold)),
    ]
    if table is None:
        return [
            *blocks,
            Note(f"No {TABLE_FILES['robustness']} in this run folder: the verdict of each "
                 "contrast is not shown."),
        ]
    table = table.assign(
        _target=table["target"].map(cell_text),
        _pair=table["pair"].map(cell_text),
        _verdict=table["verdict"].map(cell_text),
    )
    table = table.assign(_rank=table["_verdict"].map(_verdict_rank))
    blocks.append(Para(_summary_text(ctx.multiverse, table)))
    blocks += _verdict_lists(ctx, table, hold)
    for k, target in enumerate(_target_order(ctx, table), start=1):
        part = table[table["_target"] == target]
        blocks += _target_blocks(ctx, target, part, f"{_ANCHOR}-{k}")
    return blocks


def _verdict_rank(verdict: str) -> int:
    return VERDICTS.index(verdict) if verdict in VERDICTS else len(VERDICTS)


def _hold_share(record: Mapping[str, Any]) -> float:
    value = as_float(nested_get(record, "settings", "hold_share", default=DEFAULT_HOLD_SHARE))
    return value if 0 < value <= 1 else DEFAULT_HOLD_SHARE


def _percent(share: float) -> str:
    """``0.9`` as ``90%`` (``92.5%`` keeps its decimal)."""
    return f"{round(100 * share, 1):g}%"


def _choices(record: Mapping[str, Any]) -> list[tuple[str, str, list[str]]]:
    """(dimension, label, values) of each varied choice, in :data:`CHOICE_ORDER`."""
    choices = nested_get(record, "settings", "choices", default={})
    labels = nested_get(record, "settings", "choice_labels", default={})
    if not isinstance(choices, Mapping):
        return []
    labels = labels if isinstance(labels, Mapping) else {}
    known = [d for d in CHOICE_ORDER if d in choices]
    order = known + sorted(d for d in choices if d not in CHOICE_ORDER)
    out = []
    for dim in order:
        values = choices[dim]
        values = [str(v) for v in values] if isinstance(values, list) else [str(values)]
        out.append((dim, str(labels.get(dim) or dim), values))
    return out


def _values_text(values: Sequence[str]) -> str:
    """Values joined by ", " (by "; " when a value holds a comma itself)."""
    return ("; " if any("," in v for v in values) else ", ").join(values)


def _and(parts: Sequence[str], sep: str = ", ") -> str:
    """``a, b and c``."""
    return parts[0] if len(parts) == 1 else f"{sep.join(parts[:-1])} and {parts[-1]}"


def _n_specs(ctx: Context) -> int | None:
    for value in (
        nested_get(ctx.multiverse, "counts", "n_specs"),
        nested_get(ctx.multiverse, "settings", "n_specs"),
    ):
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            return value
    table = ctx.tables.get("multiverse")
    return int(table["spec"].nunique()) if table is not None and len(table) else None


def _design_text(ctx: Context, hold: float) -> str:
    """What was varied, the configured analysis, and what holding and flipping mean."""
    choices = _choices(ctx.multiverse)
    n_specs = _n_specs(ctx)
    specs = f"{n_specs} specifications" if n_specs else "several specifications"
    sentences = [f"Every contrast of the report was recomputed under {specs}"]
    if choices:
        product = 1
        for _, _, values in choices:
            product *= len(values)
        every = "every combination" if product == n_specs else "combinations"
        named = _and([f"{label} ({_values_text(values)})" for _, label, values in choices])
        sentences[0] += f": {every} of {named}"
    sentences[0] += "."
    baseline = nested_get(ctx.multiverse, "settings", "baseline", default={})
    if isinstance(baseline, Mapping) and baseline:
        labels = {dim: label for dim, label, _ in choices}
        dims = [d for d, _, _ in choices if d in baseline] or sorted(baseline)
        chosen = "; ".join(f"{labels.get(d, d)}: {baseline[d]}" for d in dims)
        sentences.append(f"The configured analysis is {chosen}.")
    share = _percent(hold)
    sentences.append(
        f"A contrast holds when its interval excludes zero in the same direction in at least "
        f"{share} of the specifications; it keeps its sign when at least {share} have the same "
        f"sign but fewer intervals exclude zero; it flips when fewer than {share} have the same "
        "sign. Shares are of all the specifications: one in which a contrast cannot be estimated "
        "(a group with too few articles) counts against it."
    )
    if "multiverse" in ctx.tables:
        sentences.append(
            f"The estimate of every contrast under every specification is in "
            f"{TABLE_FILES['multiverse']}."
        )
    return " ".join(sentences)


def _count(record: Mapping[str, Any], key: str, fallback: int) -> int:
    value = nested_get(record, "counts", key)
    return value if isinstance(value, int) and not isinstance(value, bool) else fallback


def _summary_text(record: Mapping[str, Any], table: pd.DataFrame) -> str:
    """How many contrasts hold, keep their sign, flip (and could not be estimated)."""
    found = table["_verdict"].value_counts()
    n = {v: _count(record, v.replace(" ", "_"), int(found.get(v, 0))) for v in VERDICTS}
    total = _count(record, "n_contrasts", len(table))
    one = {v: n[v] == 1 for v in VERDICTS}
    parts = [
        f"{n['holds']} of {total} contrast{'' if total == 1 else 's'} "
        f"{'holds' if one['holds'] else 'hold'}",
        f"{n['same sign']} {'keeps its' if one['same sign'] else 'keep their'} sign without an "
        "interval that excludes zero often enough",
        f"{n['flips']} {'flips' if one['flips'] else 'flip'}",
    ]
    if n["not estimable"]:
        parts.append(f"{n['not estimable']} could not be estimated")
    return _and(parts) + "."


def _target_order(ctx: Context, table: pd.DataFrame) -> list[str]:
    """The report's targets first, in its order, then any other target of the table."""
    present = set(table["_target"])
    rest = sorted(present - set(ctx.targets))
    return [t for t in ctx.targets if t in present] + rest


def _target_blocks(ctx: Context, target: str, part: pd.DataFrame, anchor: str) -> list[Any]:
    """A target's contrasts by verdict, then its specification curve."""
    part = part.sort_values(["_rank", "_pair"], kind="mergesort")
    shown, note = cap_rows(part, ctx.max_rows, ["_rank", "_pair"], "strongest verdicts first")
    caption = f"Contrasts toward {target} across the specifications"
    blocks: list[Any] = [
        Heading(3, f"Target: {target}", anchor),
        typed_table(shown, ROBUSTNESS_COLUMNS, caption, note, keys=("pair",)),
    ]
    figure = _curve(ctx, target)
    if figure:
        return blocks + figure
    why = nested_get(ctx.multiverse, "notes", f"specification curve {target}")
    if isinstance(why, str) and why:
        blocks.append(Note(f"No specification curve of {target}: {why}."))
    return blocks


def _curve(ctx: Context, target: str) -> list[Any]:
    """The specification curve multiverse.json records for ``target`` (empty when absent)."""
    for record in nested_get(ctx.multiverse, "figures", default=[]) or []:
        if not isinstance(record, Mapping) or not isinstance(record.get("stem"), str):
            continue
        if record.get("kind") == "specification_curve" and cell_text(record.get("target")) == target:
            caption = record.get("caption") or f"Specification curve of the contrasts toward {target}"
            return list(figure_blocks(ctx, record["stem"], str(caption)))
    return []


def _verdict_lists(ctx: Context, table: pd.DataFrame, hold: float) -> list[Any]:
    """The contrasts that hold and those that flip, in words."""
    order = {t: i for i, t in enumerate(_target_order(ctx, table))}
    blocks = []
    for verdict, lead in (
        ("holds", f"Hold in at least {_percent(hold)} of specifications"),
        ("same sign", f"Keep their sign in at least {_percent(hold)}, the interval clear of zero "
                      "in fewer"),
        ("flips", "Flip"),
    ):
        rows = table[table["_verdict"] == verdict]
        if verdict == "same sign" and not len(rows):
            continue
        per_target = []
        for target in sorted(set(rows["_target"]), key=order.__getitem__):
            part = rows.loc[rows["_target"] == target].sort_values("_pair")
            pairs = [f"{pair} ({_counted(row)})" for pair, row in zip(part["_pair"], part.itertuples(), strict=True)]
            per_target.append(f"{target}: {', '.join(pairs)}")
        blocks.append(Para(f"{lead}: {'; '.join(per_target) or 'none'}."))
    return blocks


def _counted(row: Any) -> str:
    """"same sign in 48 of 48, interval clear of zero in 42" from a robustness row's shares."""
    n = int(getattr(row, "n_specs", 0) or 0)
    same = getattr(row, "share_same_sign", float("nan"))
    clear = getattr(row, "share_excluding_zero", float("nan"))
    if not n or pd.isna(same) or pd.isna(clear):
        return "not estimable"
    return f"same sign in {round(same * n)} of {n}, interval clear of zero in {round(clear * n)}"
