"""Frame shares per group and target, from a tidy table of frame cue counts; no plotting."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from framing.analysis.tidy import as_tuple, check_positive, join_notes, require, shown, sort_rows
from framing.infra.errors import ConfigError, DataError


def frame_table(
    frames: pd.DataFrame,
    *,
    by: str | Sequence[str] = ("outlet",),
    base: pd.DataFrame | None = None,
    categories: Sequence[str] | None = None,
    min_n: int = 5,
) -> pd.DataFrame:
    """Frame shares per group and target (``target == ""`` for article-level frames).

    Parameters
    ----------
    frames : DataFrame
        Tidy frame counts: ``article_id, target, category, count`` and the ``by`` columns; one
        row per (article, target, category) with a cue (rows with count 0 are allowed).
    by : str or sequence of str, default ("outlet",)
        Grouping columns.
    base : DataFrame, optional
        The articles that count in the denominators: ``article_id`` and the ``by`` columns, and
        ``target`` when the denominator differs per target (e.g. the score table: the articles
        that mention the target; article-level rows, target "", then count every article of the
        group in ``base``). Without it, the denominator is the articles present in
        ``frames`` for that group and target, i.e. articles with at least one cue: articles with
        no cue at all are invisible to a tidy count table, so ``article_share`` is then the share
        among articles with some frame cue.
    categories : sequence of str, optional
        Categories to report, in this order (default: every category in ``frames``, sorted).
        Every (group, target) gets a row per category, zeros included.
    min_n : int, default 5
        Groups with fewer articles get a warning.

    Returns
    -------
    DataFrame
        Columns ``by..., target, category, n_articles, n_with_frame, article_share, count,
        cue_share, warning``: ``article_share = n_with_frame / n_articles`` (articles with at
        least one cue of the category), ``cue_share = count / all cues of the group and target``
        (NaN when there is none).
    """
    by = as_tuple(by)
    min_n = check_positive(min_n, "min_n")
    require(frames, ("article_id", "target", "category", "count", *by), "frames")
    frames = frames.assign(
        count=pd.to_numeric(frames["count"], errors="coerce"),
        target=frames["target"].fillna(""),
    )
    bad = frames.loc[frames["count"].isna() | (frames["count"] < 0), "article_id"]
    if len(bad):
        raise DataError(f"the frames table has missing or negative counts (article_id {shown(bad)})")
    keys = [*by, "target"]
    cats = list(categories) if categories is not None else sorted(map(str, frames["category"].unique()))
    unknown = sorted(set(map(str, frames["category"].unique())) - set(cats))
    if unknown:
        raise ConfigError(f"the frames table has categories {shown(unknown)} not in categories={cats}")

    counts = frames.groupby([*keys, "category"], dropna=False)["count"].sum()
    with_frame = frames[frames["count"] > 0].groupby([*keys, "category"], dropna=False)["article_id"].nunique()
    totals = frames.groupby(keys, dropna=False)["count"].sum()
    if base is None:
        denominators = frames.groupby(keys, dropna=False)["article_id"].nunique()
    else:
        require(base, ("article_id", *by), "base")
        per_target = "target" in base.columns
        base_keys = keys if per_target else list(by)
        denominators = base.drop_duplicates([*base_keys, "article_id"]).groupby(
            base_keys, dropna=False)["article_id"].nunique()
        group_sizes = base.groupby(list(by), dropna=False)["article_id"].nunique()

    rows = []
    for key in totals.index:
        key = key if isinstance(key, tuple) else (key,)
        if base is None or (per_target and key[-1] != ""):
            n = int(denominators.get(key, 0))
        else:  # article-level frames ("" target) count every article of the group in the base
            n = int(group_sizes.get(key[:-1] if len(by) > 1 else key[0], 0))
        total = float(totals[key])
        for cat in cats:
            count = float(counts.get((*key, cat), 0.0))
            n_with = int(with_frame.get((*key, cat), 0))
            notes = [f"n={n} < min_n={min_n}: too few articles to say anything"] if n < min_n else []
            if n_with > n:
                notes.append("base lacks articles that have frame cues")
            rows.append({**dict(zip(keys, key, strict=True)), "category": cat, "n_articles": n,
                         "n_with_frame": n_with, "article_share": n_with / n if n else np.nan,
                         "count": count, "cue_share": count / total if total > 0 else np.nan,
                         "warning": join_notes(notes)})
    columns = [*keys, "category", "n_articles", "n_with_frame", "article_share", "count",
               "cue_share", "warning"]
    table = pd.DataFrame(rows, columns=columns)
    table["category"] = pd.Categorical(table["category"], categories=cats, ordered=True)
    table = sort_rows(table, [*keys, "category"])
    table["category"] = table["category"].astype(object)
    return table

