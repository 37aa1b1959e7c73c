"""Outlet comparison tables with intervals and tests; no plotting.

Every function takes tidy tables (see ``framing/infra/schema.py``) and returns a tidy DataFrame
with sorted rows, so that plots and reports can show the numbers without recomputing anything.

Statistical choices (and why)
-----------------------------
Unit of analysis
    The article. A mean is the unweighted mean of article scores (an article that mentions a
    target ten times counts once), and every interval resamples *articles*: the article is the
    cluster. Sentences and mentions of one article share an author, an angle and a scorer's
    context, so resampling them as if independent would give intervals that are far too narrow.
    Should a cell hold several rows of one (article, target), they are averaged into one article
    value first (the warning says so); a table that mixes scoring methods is refused.
Intervals
    Percentile bootstrap over articles (``n_boot`` resamples, 95 % by default), seeded per cell:
    the generator of a cell is seeded with ``(random_state, crc32 of the cell key)``, so one
    cell's interval does not change when other outlets or targets are added or rows reordered.
    A cell with one article has no interval (NaN). The percentile bootstrap is simple and
    transparent; with very few articles it is too narrow, hence the ``min_n`` warning.
Tests between groups
    A two-sided permutation test of the difference of means (group labels shuffled ``n_perm``
    times, seeded per pair; p = (1 + #{|d*| >= |d|}) / (1 + n_perm), Phipson & Smyth 2010, so a
    p-value is never 0). It tests the very statistic reported (the difference of mean scores),
    and it is exact under exchangeability whatever the shape of the scores, which are bounded
    and heaped at -1, 0 and 1. ``test="mannwhitney"`` gives the Mann-Whitney U test instead
    (a test of stochastic ordering, not of means; scipy's tie correction).
Multiple comparisons
    Benjamini-Hochberg false discovery rate over every row of the returned table (all pairs of
    all targets), with ``statsmodels.stats.multitest.multipletests(method="fdr_bh")``.
Effect sizes
    Cliff's delta, P(a > b) - P(a < b) over all pairs of articles: ordinal, robust to the heaping
    at 0 and +-1, in [-1, 1]. Cohen's d with the pooled standard deviation, for readers who
    expect it (undefined when both groups are constant).

Frame shares are in :mod:`framing.analysis.frames`, distinguishing terms in
:mod:`framing.analysis.terms`, events in :mod:`framing.analysis.events` and lexicon-versus-model
agreement in :mod:`framing.analysis.disagreement`.
"""

from __future__ import annotations

import zlib
from collections.abc import Hashable, Iterable, Sequence
from itertools import combinations

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.multitest import multipletests

from framing.analysis import tidy
from framing.infra import schema
from framing.infra.errors import ConfigError

#: Accepted tests in :func:`pairwise_contrasts`.
TESTS: tuple[str, ...] = ("permutation", "mannwhitney")

#: Largest number of array elements a bootstrap or permutation chunk holds (memory bound).
_CHUNK_ELEMENTS = 2_000_000


# --------------------------------------------------------------------------------------------
# resampling


def _key_text(key: Iterable[Hashable]) -> str:
    return "\x1f".join("" if tidy.is_missing(k) else str(k) for k in key)


def _rng(random_state: int, *key: Hashable) -> np.random.Generator:
    """A generator seeded by the run seed and the cell key, independent of other cells."""
    return np.random.default_rng([random_state, zlib.crc32(_key_text(key).encode("utf-8"))])


def bootstrap_means(values: np.ndarray, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """Means of ``n_boot`` resamples (with replacement) of ``values``, in chunks that bound memory.

    Parameters
    ----------
    values : 1-D array
        One value per cluster (article).
    n_boot : int
        Number of resamples.
    rng : numpy Generator
        Seeded generator.

    Returns
    -------
    ndarray of shape (n_boot,)

    Examples
    --------
    >>> bootstrap_means(np.array([1.0, 1.0]), 3, np.random.default_rng(0))
    array([1., 1., 1.])
    """
    values = np.asarray(values, dtype=float)
    n = len(values)
    out = np.empty(n_boot)
    step = max(1, _CHUNK_ELEMENTS // max(n, 1))
    for start in range(0, n_boot, step):
        size = min(step, n_boot - start)
        out[start : start + size] = values[rng.integers(0, n, size=(size, n))].mean(axis=1)
    return out


def cluster_bootstrap_means(
    sums: np.ndarray, counts: np.ndarray, n_boot: int, rng: np.random.Generator
) -> np.ndarray:
    """Means of ``n_boot`` resamples of clusters (articles): each resample draws clusters with
    replacement and takes ``sum(sums) / sum(counts)`` over the draw, the mean of the units.

    With one unit per cluster (``counts`` all 1) this is :func:`bootstrap_means`; with several
    (the sentences of an article) the interval accounts for units of one article being alike.

    Examples
    --------
    >>> cluster_bootstrap_means(np.array([2.0, 1.0]), np.array([2, 1]), 3,
    ...                         np.random.default_rng(0)).round(2).tolist()
    [1.0, 1.0, 1.0]
    """
    sums = np.asarray(sums, dtype=float)
    counts = np.asarray(counts, dtype=float)
    n = len(sums)
    out = np.empty(n_boot)
    step = max(1, _CHUNK_ELEMENTS // max(n, 1))
    for start in range(0, n_boot, step):
        size = min(step, n_boot - start)
        draw = rng.integers(0, n, size=(size, n))
        out[start : start + size] = sums[draw].sum(axis=1) / counts[draw].sum(axis=1)
    return out


def interval(boot: np.ndarray, ci: float) -> tuple[float, float]:
    """The percentile interval of coverage ``ci`` of bootstrap estimates."""
    return _interval(boot, ci)


def seeded_rng(random_state: int, *key: Hashable) -> np.random.Generator:
    """A generator seeded by the run seed and a key (a cell, a pair), independent of others."""
    return _rng(random_state, *key)


def _interval(boot: np.ndarray, ci: float) -> tuple[float, float]:
    low, high = np.quantile(boot, [(1 - ci) / 2, 1 - (1 - ci) / 2])
    return float(low), float(high)


def permutation_pvalue(a: np.ndarray, b: np.ndarray, n_perm: int, rng: np.random.Generator) -> float:
    """Two-sided permutation p-value of the difference of means of ``a`` and ``b``.

    Group labels are shuffled ``n_perm`` times; p = (1 + #{|d*| >= |d|}) / (1 + n_perm)
    (Phipson & Smyth 2010), so p is never 0. Differences within 1e-12 of the observed one count
    as "as extreme" (floating-point sums of the same values in another order).

    Examples
    --------
    >>> permutation_pvalue(np.zeros(3), np.zeros(3), 99, np.random.default_rng(0))
    1.0
    """
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    na, nb = len(a), len(b)
    pooled = np.concatenate([a, b])
    total = pooled.sum()
    observed = abs(a.mean() - b.mean())
    hits = 0
    step = max(1, _CHUNK_ELEMENTS // len(pooled))
    for start in range(0, n_perm, step):
        size = min(step, n_perm - start)
        shuffled = rng.permuted(np.tile(pooled, (size, 1)), axis=1)
        sum_a = shuffled[:, :na].sum(axis=1)
        diffs = np.abs(sum_a / na - (total - sum_a) / nb)
        hits += int((diffs >= observed - 1e-12).sum())
    return (hits + 1) / (n_perm + 1)


def cliffs_delta(a: np.ndarray, b: np.ndarray) -> float:
    """Cliff's delta: P(a > b) - P(a < b) over all pairs (ties count for neither).

    Examples
    --------
    >>> cliffs_delta(np.array([1.0, 1.0]), np.array([0.0, 1.0]))
    0.5
    """
    a = np.asarray(a, dtype=float)
    b = np.sort(np.asarray(b, dtype=float))
    if len(a) == 0 or len(b) == 0:
        return float("nan")
    below = np.searchsorted(b, a, side="left").sum()  # pairs with b < a
    above = (len(b) - np.searchsorted(b, a, side="right")).sum()  # pairs with b > a
    return float((below - above) / (len(a) * len(b)))


def cohens_d(a: np.ndarray, b: np.ndarray) -> float:
    """Cohen's d with the pooled (ddof=1) standard deviation; NaN when it is 0 or undefined.

    Examples
    --------
    >>> round(cohens_d(np.array([1.0, 2.0, 3.0]), np.array([0.0, 1.0, 2.0])), 3)
    1.0
    """
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    dof = len(a) + len(b) - 2
    if dof <= 0:
        return float("nan")
    ss = ((a - a.mean()) ** 2).sum() + ((b - b.mean()) ** 2).sum()
    pooled = np.sqrt(ss / dof)
    if pooled == 0:
        return float("nan")
    return float((a.mean() - b.mean()) / pooled)


# --------------------------------------------------------------------------------------------
# score tables


def outlet_table(
    scores: pd.DataFrame,
    *,
    by: str | Sequence[str] = ("outlet",),
    n_boot: int = 2000,
    random_state: int,
    min_n: int = 5,
    ci: float = 0.95,
) -> pd.DataFrame:
    """Mean stance per group and target with a cluster-bootstrap interval and label shares.

    Parameters
    ----------
    scores : DataFrame
        The score table (``schema.SCORE_COLUMNS``; ``article_id, target, score, label`` and the
        ``by`` columns are required, ``n_mentions`` is summed when present), one scoring method.
    by : str or sequence of str, default ("outlet",)
        Grouping columns, e.g. ``("outlet",)``, ``("leaning",)``, ``("outlet", "period")`` (see
        :func:`add_period`). Rows with a missing group value form their own group.
    n_boot : int, default 2000
        Bootstrap resamples of the articles of each cell.
    random_state : int
        Run seed; each cell's generator is seeded from it and the cell key.
    min_n : int, default 5
        Cells with fewer articles get a warning.
    ci : float, default 0.95
        Interval coverage.

    Returns
    -------
    DataFrame
        One row per (by..., target), sorted: ``n_articles``, ``n_mentions``, ``mean``, ``sd``,
        ``ci_low``, ``ci_high``, ``share_against``, ``share_neutral``, ``share_favor`` (shares of
        the articles' labels; they sum to 1 over labelled articles) and ``warning`` ("" when
        nothing needs saying).

    Examples
    --------
    >>> scores = pd.DataFrame({"article_id": ["a", "b"], "outlet": ["X", "X"],
    ...                        "target": ["US", "US"], "score": [0.5, -0.5],
    ...                        "label": ["favor", "against"]})
    >>> row = outlet_table(scores, random_state=0, n_boot=200).iloc[0]
    >>> int(row["n_articles"]), float(row["mean"]), row["warning"]
    (2, 0.0, 'n=2 < min_n=5: too few articles to say anything')
    """
    by = tidy.as_tuple(by)
    random_state = tidy.check_seed(random_state)
    n_boot = tidy.check_positive(n_boot, "n_boot")
    min_n = tidy.check_positive(min_n, "min_n")
    ci = tidy.check_level(ci)
    keys = [*by, "target"] if "target" not in by else list(by)
    scores = tidy.check_scores(scores, by)
    rows = []
    for key, cell in tidy.group_items(scores, keys):
        articles, notes = tidy.article_values(cell)
        values = articles["score"].to_numpy(dtype=float)
        n = len(values)
        row = dict(zip(keys, key, strict=True))
        row["n_articles"] = n
        row["n_mentions"] = int(articles["n_mentions"].sum()) if "n_mentions" in articles else n
        row["mean"] = float(values.mean()) if n else np.nan
        row["sd"] = float(values.std(ddof=1)) if n > 1 else np.nan
        if n > 1:
            row["ci_low"], row["ci_high"] = _interval(
                bootstrap_means(values, n_boot, _rng(random_state, *key)), ci
            )
        else:
            row["ci_low"] = row["ci_high"] = np.nan
        labels = articles["label"].dropna()
        for label in schema.STANCE_LABELS:
            row[f"share_{label}"] = float((labels == label).mean()) if len(labels) else np.nan
        if n < min_n:
            notes.insert(0, f"n={n} < min_n={min_n}: too few articles to say anything")
        if n == 1:
            notes.append("one article: no interval")
        elif n > 1 and np.ptp(values) == 0:
            notes.append("all scores equal: the interval has no width")
        if any(tidy.is_missing(k) for k in key):
            notes.append("group value missing")
        row["warning"] = tidy.join_notes(notes)
        rows.append(row)
    columns = [*keys, "n_articles", "n_mentions", "mean", "sd", "ci_low", "ci_high",
               *(f"share_{label}" for label in schema.STANCE_LABELS), "warning"]
    return tidy.sort_rows(pd.DataFrame(rows, columns=columns), keys)


def add_period(
    table: pd.DataFrame, *, freq: str = "M", date_col: str = "published", name: str = "period"
) -> pd.DataFrame:
    """Return a copy of ``table`` with a period column to group by (e.g. ``"2024-06"``).

    Parameters
    ----------
    table : DataFrame
        Any table with a date column (``"YYYY-MM-DD"`` strings or datetimes).
    freq : str, default "M"
        A pandas period frequency: ``"D"``, ``"W"``, ``"M"``, ``"Q"``, ``"Y"``.
    date_col, name : str
        The date column read and the period column written.

    Returns
    -------
    DataFrame
        ``table`` plus ``name``: period labels as strings that sort chronologically
        (``"2024-06"``, ``"2024Q2"``, ``"2024"``); missing or unreadable dates give None.

    Examples
    --------
    >>> add_period(pd.DataFrame({"published": ["2024-06-13", None]}), freq="Q")["period"].tolist()
    ['2024Q2', None]
    """
    tidy.require(table, (date_col,), "input")
    dates = pd.to_datetime(table[date_col], errors="coerce", format="ISO8601")
    try:
        periods = dates.dt.to_period(freq)
    except (ValueError, TypeError) as exc:
        raise ConfigError(
            f"freq={freq!r} is not a pandas period frequency; accepted e.g. D, W, M, Q, Y ({exc})"
        ) from None
    labels = [None if tidy.is_missing(p) else str(p) for p in periods]
    return table.assign(**{name: pd.Series(labels, index=table.index, dtype=object)})


def pairwise_contrasts(
    scores: pd.DataFrame,
    *,
    by: str = "outlet",
    target: str | Sequence[str] | None = None,
    groups: Sequence[Hashable] | None = None,
    n_perm: int = 9999,
    n_boot: int = 2000,
    random_state: int,
    test: str = "permutation",
    min_n: int = 5,
    ci: float = 0.95,
) -> pd.DataFrame:
    """Every pair of groups, per target: difference of mean stance, interval, test, FDR, effect size.

    Parameters
    ----------
    scores : DataFrame
        The score table (one scoring method); ``article_id, target, score, label`` and ``by``.
    by : str, default "outlet"
        The grouping column (build a combined column to contrast combinations).
    target : str or sequence of str, optional
        Only these targets (default: every target in the table).
    groups : sequence, optional
        Only these groups (default: all; with hundreds of outlets, choose).
    n_perm : int, default 9999
        Permutations per pair (the smallest possible p is 1 / (n_perm + 1)).
    n_boot : int, default 2000
        Bootstrap resamples per pair for the interval of the difference (articles of each group
        resampled separately).
    random_state : int
        Run seed; each pair's generator is seeded from it and (target, group_a, group_b).
    test : {"permutation", "mannwhitney"}
        Permutation test of the difference of means (default), or Mann-Whitney U.
    min_n : int, default 5
        Pairs where a group has fewer articles get a warning.
    ci : float, default 0.95
        Interval coverage.

    Returns
    -------
    DataFrame
        One row per (target, group_a, group_b) with ``group_a < group_b``, sorted: ``by`` (the
        column name), ``pair`` ("a vs b"), ``n_a, n_b, mean_a, mean_b``, ``diff`` (mean_a -
        mean_b), ``ci_low, ci_high``, ``p_value``, ``q_value`` (Benjamini-Hochberg over all rows),
        ``cliffs_delta``, ``cohens_d``, ``test`` and ``warning``.
    """
    if not isinstance(by, str):
        raise ConfigError(f"by={by!r} is not accepted; give one column name (build a combined column)")
    if test not in TESTS:
        raise ConfigError(f"test={test!r} is not accepted; accepted: {', '.join(TESTS)}")
    random_state = tidy.check_seed(random_state)
    n_perm = tidy.check_positive(n_perm, "n_perm")
    n_boot = tidy.check_positive(n_boot, "n_boot")
    min_n = tidy.check_positive(min_n, "min_n")
    ci = tidy.check_level(ci)
    scores = tidy.check_scores(scores, (by,))
    scores = scores[scores[by].notna()]
    if target is not None:
        wanted = [target] if isinstance(target, str) else list(target)
        absent = sorted(set(wanted) - set(scores["target"]))
        if absent:
            raise ConfigError(
                f"target(s) {tidy.shown(absent)} not in the scores; present: "
                f"{tidy.shown(sorted(scores['target'].unique()))}"
            )
        scores = scores[scores["target"].isin(wanted)]
    if groups is not None:
        absent = sorted(set(groups) - set(scores[by]), key=str)
        if absent:
            raise ConfigError(f"group(s) {tidy.shown(absent)} not in column {by!r}")
        scores = scores[scores[by].isin(list(groups))]

    rows = []
    for (tgt,), sub in tidy.group_items(scores, ["target"]):
        cells = {}
        for (group,), cell in tidy.group_items(sub, [by]):
            articles, notes = tidy.article_values(cell)
            cells[group] = (articles["score"].to_numpy(dtype=float), notes)
        for a, b in combinations(sorted(cells, key=str), 2):
            rows.append(_contrast(tgt, a, b, cells[a], cells[b], by=by, test=test, n_perm=n_perm,
                                  n_boot=n_boot, random_state=random_state, min_n=min_n, ci=ci))
    columns = ["target", "by", "group_a", "group_b", "pair", "n_a", "n_b", "mean_a", "mean_b",
               "diff", "ci_low", "ci_high", "p_value", "q_value", "cliffs_delta", "cohens_d",
               "test", "warning"]
    table = pd.DataFrame(rows, columns=columns)
    table["q_value"] = benjamini_hochberg(table["p_value"].to_numpy(dtype=float))
    return tidy.sort_rows(table, ["target", "group_a", "group_b"])


def _contrast(target, a, b, cell_a, cell_b, *, by, test, n_perm, n_boot, random_state, min_n, ci):
    (xa, notes_a), (xb, notes_b) = cell_a, cell_b
    na, nb = len(xa), len(xb)
    rng = _rng(random_state, target, a, b)
    row = {"target": target, "by": by, "group_a": a, "group_b": b, "pair": f"{a} vs {b}",
           "n_a": na, "n_b": nb, "mean_a": float(xa.mean()) if na else np.nan,
           "mean_b": float(xb.mean()) if nb else np.nan, "test": test}
    row["diff"] = row["mean_a"] - row["mean_b"]
    row["ci_low"] = row["ci_high"] = row["p_value"] = np.nan
    notes = [f"{a}: {n}" for n in notes_a] + [f"{b}: {n}" for n in notes_b]
    small = [f"n_{s}={n} < min_n={min_n}" for s, n in (("a", na), ("b", nb)) if n < min_n]
    if small:
        notes.insert(0, ", ".join(small) + ": too few articles to say anything")
    if na and nb:
        if na > 1 or nb > 1:
            boot = bootstrap_means(xa, n_boot, rng) - bootstrap_means(xb, n_boot, rng)
            row["ci_low"], row["ci_high"] = _interval(boot, ci)
        if test == "permutation":
            row["p_value"] = permutation_pvalue(xa, xb, n_perm, rng)
        elif np.ptp(np.concatenate([xa, xb])) == 0:
            row["p_value"] = 1.0  # all values tied: no evidence of a difference
        else:
            row["p_value"] = float(stats.mannwhitneyu(xa, xb, alternative="two-sided").pvalue)
    else:
        notes.append("a group has no scored article: no test")
    row["cliffs_delta"] = cliffs_delta(xa, xb)
    row["cohens_d"] = cohens_d(xa, xb)
    row["warning"] = tidy.join_notes(notes)
    return row


def benjamini_hochberg(p_values: np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg q-values (statsmodels ``fdr_bh``); NaN p-values stay NaN, out of the family.

    Examples
    --------
    >>> benjamini_hochberg(np.array([0.01, 0.04, np.nan])).round(3).tolist()
    [0.02, 0.04, nan]
    """
    p_values = np.asarray(p_values, dtype=float)
    q = np.full(len(p_values), np.nan)
    finite = np.isfinite(p_values)
    if finite.any():
        q[finite] = multipletests(p_values[finite], method="fdr_bh")[1]
    return q

