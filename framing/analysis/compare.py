"""Outlet comparison tables with intervals and tests; no plotting.

Every function takes tidy tables (see ``framing/schema.py``) and returns a tidy DataFrame with
sorted rows, so that plots and reports can show the numbers without recomputing anything.

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
Distinguishing terms
    Log-odds ratio with an informative Dirichlet prior (Monroe, Colaresi & Quinn 2008,
    "Fightin' Words", Political Analysis 16(4), section 3.5): z-scores of the difference of
    log-odds, with the prior proportional to the pooled corpus (or a background corpus) and
    scaled to ``prior_total`` pseudo-counts. Tokens follow :data:`TOKEN_PATTERN` on lower-cased
    text. No stopwords are removed by default: the informative prior already shrinks frequent
    function words, and stopword lists are language data (scikit-learn ships an English list,
    ``stop_words="english"``; for Dutch none ships with scikit-learn and nltk's list needs a
    download, so pass your own list, e.g. read from a lexicon folder).
Same event
    Outlets choose what to cover; comparing their mean stance mixes editorial line with news
    agenda. :func:`same_event` compares outlets within an event: the deviation of an outlet's
    mean from the event mean, where the event mean is the mean of the outlets' means (an outlet
    with three articles on the event does not outweigh one with a single article).
"""

from __future__ import annotations

import warnings
import zlib
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from itertools import combinations
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
from scipy import stats
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.metrics import cohen_kappa_score
from sklearn.preprocessing import normalize
from statsmodels.stats.multitest import multipletests

from framing.infra import schema
from framing.infra.errors import ConfigError, DataError

#: Word tokens for term statistics and the default event embedding: two or more letters, with
#: internal hyphens ("de-risking", "EU-commissaris"). Digits and underscores are not letters, so
#: numbers and dates are not terms; an apostrophe ends a token ("China's" -> "china").
TOKEN_PATTERN = r"(?u)\b[^\W\d_]{2,}(?:-[^\W\d_]+)*\b"

#: Accepted tests in :func:`pairwise_contrasts`.
TESTS: tuple[str, ...] = ("permutation", "mannwhitney")

#: Largest number of array elements a bootstrap or permutation chunk holds (memory bound).
_CHUNK_ELEMENTS = 2_000_000
#: Largest number of values listed in an error message.
_SHOWN = 5


# --------------------------------------------------------------------------------------------
# small helpers


def _as_tuple(by: str | Sequence[str], what: str = "by") -> tuple[str, ...]:
    """Return ``by`` as a tuple of column names (a single string is one column)."""
    if isinstance(by, str):
        return (by,)
    by = tuple(by)
    if not by or not all(isinstance(c, str) for c in by):
        raise ConfigError(f"{what}={by!r} is not accepted; give a column name or a sequence of them")
    return by


def _require(table: pd.DataFrame, columns: Iterable[str], name: str) -> None:
    """Raise a ConfigError naming the columns ``table`` lacks."""
    if not isinstance(table, pd.DataFrame):
        raise ConfigError(f"{name} must be a pandas DataFrame; received {type(table).__name__}")
    missing = [c for c in dict.fromkeys(columns) if c not in table.columns]
    if missing:
        raise ConfigError(
            f"the {name} table lacks column(s) {', '.join(missing)}; it has "
            f"{', '.join(map(str, table.columns))}"
        )


def _check_seed(random_state: Any) -> int:
    """Return ``random_state`` as a non-negative int, or raise: every random result is seeded."""
    if isinstance(random_state, bool) or not isinstance(random_state, int | np.integer):
        raise ConfigError(
            f"random_state={random_state!r} is not accepted; give a non-negative int (the run seed)"
        )
    if random_state < 0:
        raise ConfigError(f"random_state={random_state} is negative; give a non-negative int")
    return int(random_state)


def _check_positive(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise ConfigError(f"{name}={value!r} is not accepted; give a positive int")
    return int(value)


def _check_level(ci: float) -> float:
    if isinstance(ci, bool) or not isinstance(ci, int | float) or not 0 < ci < 1:
        raise ConfigError(f"ci={ci!r} is not accepted; give a coverage in (0, 1), e.g. 0.95")
    return float(ci)


def _key_text(key: Iterable[Hashable]) -> str:
    return "\x1f".join("" if _missing(k) else str(k) for k in key)


def _rng(random_state: int, *key: Hashable) -> np.random.Generator:
    """A generator seeded by the run seed and the cell key, independent of other cells."""
    return np.random.default_rng([random_state, zlib.crc32(_key_text(key).encode("utf-8"))])


def _missing(value: Any) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # list-like values are not missing
        return False


def _join(messages: Iterable[str]) -> str:
    return "; ".join(m for m in messages if m)


def _shown(values: Iterable[Any]) -> str:
    values = list(values)
    more = f" and {len(values) - _SHOWN} more" if len(values) > _SHOWN else ""
    return ", ".join(map(str, values[:_SHOWN])) + more


def _group_items(table: pd.DataFrame, keys: Sequence[str]):
    """Yield ``(key tuple, sub-table)`` in sorted key order; missing key values are kept."""
    if table.empty:
        return
    for key, sub in table.groupby(list(keys), sort=True, dropna=False):
        yield (key if isinstance(key, tuple) else (key,)), sub


def _sorted(table: pd.DataFrame, keys: Sequence[str]) -> pd.DataFrame:
    if table.empty:
        return table.reset_index(drop=True)
    return table.sort_values(list(keys), kind="mergesort", na_position="last").reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# resampling


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


def _check_scores(
    scores: pd.DataFrame, by: Sequence[str], name: str = "scores", *, label: bool = True
) -> pd.DataFrame:
    """Validate a score table; return it with ``score`` numeric (NaN where unreadable)."""
    _require(scores, ("article_id", "target", "score", *(("label",) if label else ()), *by), name)
    if "method" in scores.columns and "method" not in by:
        methods = sorted(map(str, scores["method"].dropna().unique()))
        if len(methods) > 1:
            raise ConfigError(
                f"the {name} table mixes scoring methods ({', '.join(methods)}); select one method "
                "or add 'method' to by"
            )
    score = pd.to_numeric(scores["score"], errors="coerce")
    outside = scores.loc[score.notna() & ((score < -1) | (score > 1)), "article_id"]
    if len(outside):
        raise DataError(
            f"the {name} table has scores outside [-1, 1] (article_id {_shown(outside)}); "
            "scores run from -1 (against) to 1 (favor)"
        )
    labels = scores["label"].dropna() if label else pd.Series([], dtype=object)
    unknown = sorted(set(map(str, labels.unique())) - set(schema.STANCE_LABELS))
    if unknown:
        raise DataError(
            f"the {name} table has labels {_shown(unknown)}; accepted labels: "
            f"{', '.join(schema.STANCE_LABELS)}"
        )
    return scores.assign(score=score)


def _article_values(cell: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """One row per article of a cell (rows of one article averaged), sorted by article_id."""
    notes = []
    missing = int(cell["score"].isna().sum())
    if missing:
        notes.append(f"{missing} row(s) without a score left out")
    cell = cell[cell["score"].notna()]
    duplicated = int(cell["article_id"].duplicated().sum())
    if duplicated:
        notes.append(f"{duplicated} repeated (article, target) row(s) averaged into their article")
        agg = {"score": ("score", "mean")}
        if "n_mentions" in cell.columns:
            agg["n_mentions"] = ("n_mentions", "sum")
        if "label" in cell.columns:  # the label of an averaged article is that of its first row
            agg["label"] = ("label", "first")
        cell = cell.groupby("article_id", sort=True).agg(**agg).reset_index()
    return cell.sort_values("article_id", kind="mergesort"), notes


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
    by = _as_tuple(by)
    random_state = _check_seed(random_state)
    n_boot = _check_positive(n_boot, "n_boot")
    min_n = _check_positive(min_n, "min_n")
    ci = _check_level(ci)
    keys = [*by, "target"] if "target" not in by else list(by)
    scores = _check_scores(scores, by)
    rows = []
    for key, cell in _group_items(scores, keys):
        articles, notes = _article_values(cell)
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
        if any(_missing(k) for k in key):
            notes.append("group value missing")
        row["warning"] = _join(notes)
        rows.append(row)
    columns = [*keys, "n_articles", "n_mentions", "mean", "sd", "ci_low", "ci_high",
               *(f"share_{label}" for label in schema.STANCE_LABELS), "warning"]
    return _sorted(pd.DataFrame(rows, columns=columns), keys)


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
    _require(table, (date_col,), "input")
    dates = pd.to_datetime(table[date_col], errors="coerce", format="ISO8601")
    try:
        periods = dates.dt.to_period(freq)
    except (ValueError, TypeError) as exc:
        raise ConfigError(
            f"freq={freq!r} is not a pandas period frequency; accepted e.g. D, W, M, Q, Y ({exc})"
        ) from None
    labels = [None if _missing(p) else str(p) for p in periods]
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
    random_state = _check_seed(random_state)
    n_perm = _check_positive(n_perm, "n_perm")
    n_boot = _check_positive(n_boot, "n_boot")
    min_n = _check_positive(min_n, "min_n")
    ci = _check_level(ci)
    scores = _check_scores(scores, (by,))
    scores = scores[scores[by].notna()]
    if target is not None:
        wanted = [target] if isinstance(target, str) else list(target)
        absent = sorted(set(wanted) - set(scores["target"]))
        if absent:
            raise ConfigError(
                f"target(s) {_shown(absent)} not in the scores; present: "
                f"{_shown(sorted(scores['target'].unique()))}"
            )
        scores = scores[scores["target"].isin(wanted)]
    if groups is not None:
        absent = sorted(set(groups) - set(scores[by]), key=str)
        if absent:
            raise ConfigError(f"group(s) {_shown(absent)} not in column {by!r}")
        scores = scores[scores[by].isin(list(groups))]

    rows = []
    for (tgt,), sub in _group_items(scores, ["target"]):
        cells = {}
        for (group,), cell in _group_items(sub, [by]):
            articles, notes = _article_values(cell)
            cells[group] = (articles["score"].to_numpy(dtype=float), notes)
        for a, b in combinations(sorted(cells, key=str), 2):
            rows.append(_contrast(tgt, a, b, cells[a], cells[b], by=by, test=test, n_perm=n_perm,
                                  n_boot=n_boot, random_state=random_state, min_n=min_n, ci=ci))
    columns = ["target", "by", "group_a", "group_b", "pair", "n_a", "n_b", "mean_a", "mean_b",
               "diff", "ci_low", "ci_high", "p_value", "q_value", "cliffs_delta", "cohens_d",
               "test", "warning"]
    table = pd.DataFrame(rows, columns=columns)
    table["q_value"] = benjamini_hochberg(table["p_value"].to_numpy(dtype=float))
    return _sorted(table, ["target", "group_a", "group_b"])


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
    row["warning"] = _join(notes)
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


# --------------------------------------------------------------------------------------------
# frames


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
    by = _as_tuple(by)
    min_n = _check_positive(min_n, "min_n")
    _require(frames, ("article_id", "target", "category", "count", *by), "frames")
    frames = frames.assign(
        count=pd.to_numeric(frames["count"], errors="coerce"),
        target=frames["target"].fillna(""),
    )
    bad = frames.loc[frames["count"].isna() | (frames["count"] < 0), "article_id"]
    if len(bad):
        raise DataError(f"the frames table has missing or negative counts (article_id {_shown(bad)})")
    keys = [*by, "target"]
    cats = list(categories) if categories is not None else sorted(map(str, frames["category"].unique()))
    unknown = sorted(set(map(str, frames["category"].unique())) - set(cats))
    if unknown:
        raise ConfigError(f"the frames table has categories {_shown(unknown)} not in categories={cats}")

    counts = frames.groupby([*keys, "category"], dropna=False)["count"].sum()
    with_frame = frames[frames["count"] > 0].groupby([*keys, "category"], dropna=False)["article_id"].nunique()
    totals = frames.groupby(keys, dropna=False)["count"].sum()
    if base is None:
        denominators = frames.groupby(keys, dropna=False)["article_id"].nunique()
    else:
        _require(base, ("article_id", *by), "base")
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
                         "warning": _join(notes)})
    columns = [*keys, "category", "n_articles", "n_with_frame", "article_share", "count",
               "cue_share", "warning"]
    table = pd.DataFrame(rows, columns=columns)
    table["category"] = pd.Categorical(table["category"], categories=cats, ordered=True)
    table = _sorted(table, [*keys, "category"])
    table["category"] = table["category"].astype(object)
    return table


# --------------------------------------------------------------------------------------------
# distinguishing terms


def _vectorizer(stop_words: str | Iterable[str] | None, ngram_range: tuple[int, int],
                lowercase: bool) -> CountVectorizer:
    if stop_words is not None and not isinstance(stop_words, str):
        stop_words = sorted({w.lower() if lowercase else w for w in stop_words})
    elif isinstance(stop_words, str) and stop_words != "english":
        raise ConfigError(
            f"stop_words={stop_words!r} is not accepted; give None, 'english' (scikit-learn's list) "
            "or a list of words"
        )
    return CountVectorizer(lowercase=lowercase, token_pattern=TOKEN_PATTERN, stop_words=stop_words,
                           ngram_range=ngram_range, dtype=np.int64)


def _texts(values: Iterable[Any], name: str) -> list[str]:
    if isinstance(values, str):
        raise ConfigError(f"{name} must be a sequence of texts, not one string")
    return ["" if _missing(v) else str(v) for v in values]


def _prior_alpha(
    pooled: np.ndarray, vocabulary: np.ndarray, prior: Any, analyzer: Callable, prior_total: float | None
) -> np.ndarray:
    """Dirichlet pseudo-counts per vocabulary term (see :func:`distinguishing_terms`)."""
    if prior is None:
        background = pooled.astype(float)
        smoothing = 0.0  # every vocabulary term occurs in the pooled corpus
    else:
        if isinstance(prior, Mapping | pd.Series):
            counts = pd.Series(prior, dtype=float)
        else:
            tokens = [t for text in _texts(prior, "prior") for t in analyzer(text)]
            counts = pd.Series(tokens, dtype=object).value_counts().astype(float)
        background = counts.reindex(vocabulary).fillna(0.0).to_numpy()
        smoothing = 1.0  # terms the background never saw still get a little prior mass
    mass = background + smoothing
    total = prior_total if prior_total is not None else background.sum()
    return float(total) * mass / mass.sum()


def _log_odds(counts_a: np.ndarray, counts_b: np.ndarray, alpha: np.ndarray) -> dict[str, np.ndarray]:
    """Monroe et al. (2008) eq. 16 and 18-20: log-odds difference, its variance and z-score."""
    alpha0 = alpha.sum()
    n_a, n_b = counts_a.sum(), counts_b.sum()
    ya, yb = counts_a + alpha, counts_b + alpha
    delta = np.log(ya / (n_a + alpha0 - ya)) - np.log(yb / (n_b + alpha0 - yb))
    variance = 1.0 / ya + 1.0 / yb
    return {"log_odds": delta, "se": np.sqrt(variance), "z": delta / np.sqrt(variance)}


def _check_terms_args(min_count: int, top: int | None, prior_total: float | None) -> None:
    _check_positive(min_count, "min_count")
    if top is not None:
        _check_positive(top, "top")
    if prior_total is not None and not prior_total > 0:
        raise ConfigError(f"prior_total={prior_total!r} is not accepted; give a positive number or None")


def _fit_counts(vectorizer: CountVectorizer, texts: list[str]):
    try:
        return vectorizer.fit_transform(texts)
    except ValueError:  # scikit-learn: "empty vocabulary"
        raise DataError(
            f"no word tokens in the {len(texts)} text(s) given (token pattern {TOKEN_PATTERN!r}"
            f"{', stopwords removed' if vectorizer.stop_words else ''}); give texts with words"
        ) from None


def distinguishing_terms(
    sentences_a: Sequence[str],
    sentences_b: Sequence[str],
    *,
    prior: Mapping[str, float] | Sequence[str] | None = None,
    prior_total: float | None = 1000.0,
    min_count: int = 3,
    top: int | None = 20,
    stop_words: str | Iterable[str] | None = None,
    ngram_range: tuple[int, int] = (1, 1),
    lowercase: bool = True,
    labels: tuple[str, str] = ("a", "b"),
) -> pd.DataFrame:
    """Terms that distinguish two sets of texts: log-odds ratios with an informative Dirichlet prior.

    For term w with counts y_a, y_b in corpora of n_a, n_b tokens and prior pseudo-counts
    alpha_w summing to alpha_0 (Monroe, Colaresi & Quinn 2008, section 3.5)::

        delta_w = log((y_a + alpha_w) / (n_a + alpha_0 - y_a - alpha_w))
                - log((y_b + alpha_w) / (n_b + alpha_0 - y_b - alpha_w))
        z_w     = delta_w / sqrt(1 / (y_a + alpha_w) + 1 / (y_b + alpha_w))

    The prior is proportional to the pooled counts of both corpora (``prior=None``) or to a
    background corpus (``prior``: texts, or a term -> count mapping; add-one smoothed over the
    vocabulary), scaled so that the pseudo-counts sum to ``prior_total``: a prior worth 1,000
    tokens by default, strong enough to keep rare terms from topping the list on one or two
    occurrences and weak against a corpus of realistic size. ``prior_total=None`` uses the
    background counts as they are (the prior then weighs as much as the background corpus).

    Parameters
    ----------
    sentences_a, sentences_b : sequence of str
        The two sets of texts (sentences, paragraphs or articles).
    prior : mapping or sequence of str, optional
        Background counts or texts for the prior (default: the pooled corpus).
    prior_total : float or None, default 1000.0
        Total pseudo-count of the prior (alpha_0).
    min_count : int, default 3
        Report only terms occurring at least this often in both corpora together (all terms
        enter the computation; this only filters the output).
    top : int or None, default 20
        Rows per side: the ``top`` terms with the largest z (favouring a) and the ``top`` with
        the smallest (favouring b). None: every term, sorted by z.
    stop_words : None, "english" or iterable of str
        None (default; see the module docstring), scikit-learn's English list, or your own list.
    ngram_range : (int, int), default (1, 1)
        Word n-grams to count.
    lowercase : bool, default True
        Lower-case before counting. Lower-casing merges "US" (the country) with "us" (the
        pronoun); set False where such pairs matter (stopwords then match case-sensitively).
    labels : (str, str), default ("a", "b")
        Names of the two sides in the ``favours`` column.

    Returns
    -------
    DataFrame
        Columns ``term, favours, count_a, count_b, per_1000_a, per_1000_b, log_odds, se, z``;
        terms favouring a first (z descending), then terms favouring b (z ascending); ties by term.
    """
    _check_terms_args(min_count, top, prior_total)
    texts_a, texts_b = _texts(sentences_a, "sentences_a"), _texts(sentences_b, "sentences_b")
    if not texts_a or not texts_b:
        raise ConfigError(
            f"both sides need texts; received {len(texts_a)} and {len(texts_b)} texts"
        )
    vectorizer = _vectorizer(stop_words, ngram_range, lowercase)
    matrix = _fit_counts(vectorizer, texts_a + texts_b)
    vocabulary = vectorizer.get_feature_names_out()
    counts_a = np.asarray(matrix[: len(texts_a)].sum(axis=0)).ravel()
    counts_b = np.asarray(matrix[len(texts_a):].sum(axis=0)).ravel()
    alpha = _prior_alpha(counts_a + counts_b, vocabulary, prior, vectorizer.build_analyzer(), prior_total)
    table = _terms_frame(vocabulary, counts_a, counts_b, alpha, ("count_a", "count_b"),
                         ("per_1000_a", "per_1000_b"))
    table.insert(1, "favours", np.where(table["z"] >= 0, labels[0], labels[1]))
    return _top_terms(table, min_count, top, two_sided=True)


def _terms_frame(vocabulary, counts_a, counts_b, alpha, count_names, rate_names) -> pd.DataFrame:
    result = _log_odds(counts_a, counts_b, alpha)
    with np.errstate(invalid="ignore", divide="ignore"):
        rate_a = 1000.0 * counts_a / max(counts_a.sum(), 1)
        rate_b = 1000.0 * counts_b / max(counts_b.sum(), 1)
    return pd.DataFrame({"term": vocabulary, count_names[0]: counts_a, count_names[1]: counts_b,
                         rate_names[0]: rate_a, rate_names[1]: rate_b, **result})


def _top_terms(table: pd.DataFrame, min_count: int, top: int | None, *, two_sided: bool) -> pd.DataFrame:
    count_cols = [c for c in table.columns if c.startswith("count_")]
    table = table[table[count_cols].sum(axis=1) >= min_count]
    by_z = table.assign(_neg=-table["z"]).sort_values(["_neg", "term"], kind="mergesort")
    by_z = by_z.drop(columns="_neg")
    if top is None:
        return by_z.reset_index(drop=True)
    head = by_z[by_z["z"] > 0].head(top)
    if not two_sided:
        return head.reset_index(drop=True)
    tail = table[table["z"] < 0].sort_values(["z", "term"], kind="mergesort").head(top)
    return pd.concat([head, tail], ignore_index=True)


def distinguishing_terms_by(
    sentences: pd.DataFrame,
    by: str | Sequence[str],
    *,
    text_col: str = "text",
    prior: Mapping[str, float] | Sequence[str] | None = None,
    prior_total: float | None = 1000.0,
    min_count: int = 3,
    top: int | None = 20,
    stop_words: str | Iterable[str] | None = None,
    ngram_range: tuple[int, int] = (1, 1),
    lowercase: bool = True,
) -> pd.DataFrame:
    """Distinguishing terms of each group against all other groups together.

    Same statistic as :func:`distinguishing_terms`, with one prior for every comparison (the
    pooled corpus of all groups unless ``prior`` is given), so that z-scores of different groups
    are on one scale.

    Parameters
    ----------
    sentences : DataFrame
        One row per text: ``text_col`` and the ``by`` columns (e.g. the mention table with an
        outlet column, or sentences joined to articles).
    by : str or sequence of str
        Grouping columns.
    text_col : str, default "text"
        The text column.
    prior, prior_total, min_count, stop_words, ngram_range, lowercase
        As in :func:`distinguishing_terms`.
    top : int or None, default 20
        Terms per group (largest z, favouring the group); None: every term of every group.

    Returns
    -------
    DataFrame
        Columns ``by..., term, count_group, count_rest, per_1000_group, per_1000_rest, log_odds,
        se, z``, sorted by group, then z descending, then term.
    """
    by = _as_tuple(by)
    _check_terms_args(min_count, top, prior_total)
    _require(sentences, (text_col, *by), "sentences")
    sentences = sentences.reset_index(drop=True)
    vectorizer = _vectorizer(stop_words, ngram_range, lowercase)
    matrix = _fit_counts(vectorizer, _texts(sentences[text_col], text_col)).tocsr()
    vocabulary = vectorizer.get_feature_names_out()
    total = np.asarray(matrix.sum(axis=0)).ravel()
    alpha = _prior_alpha(total, vocabulary, prior, vectorizer.build_analyzer(), prior_total)
    parts = []
    for key, sub in _group_items(sentences, by):
        counts = np.asarray(matrix[sub.index.to_numpy()].sum(axis=0)).ravel()
        table = _terms_frame(vocabulary, counts, total - counts, alpha,
                             ("count_group", "count_rest"), ("per_1000_group", "per_1000_rest"))
        table = _top_terms(table, min_count, top, two_sided=False)
        for position, (column, value) in enumerate(zip(by, key, strict=True)):
            table.insert(position, column, value)
        parts.append(table)
    columns = [*by, "term", "count_group", "count_rest", "per_1000_group", "per_1000_rest",
               "log_odds", "se", "z"]
    if not parts:
        return pd.DataFrame(columns=columns)
    return pd.concat(parts, ignore_index=True)[columns]


# --------------------------------------------------------------------------------------------
# events


def same_event(
    scores: pd.DataFrame,
    articles: pd.DataFrame | None = None,
    *,
    event_col: str = "event",
    by: str = "outlet",
) -> pd.DataFrame:
    """Stance per event, outlet and target, with each outlet's deviation from the event mean.

    Parameters
    ----------
    scores : DataFrame
        The score table (one scoring method): ``article_id, target, score`` and ``by``; it may
        carry ``event_col`` itself.
    articles : DataFrame, optional
        ``article_id`` and ``event_col`` (the article table, or :func:`group_events` output);
        needed when ``scores`` has no ``event_col``.
    event_col : str, default "event"
        The event column. Missing or ``""`` means a one-off article: left out.
    by : str, default "outlet"
        The column compared within events.

    Returns
    -------
    DataFrame
        One row per (event, by, target), sorted: ``n_articles``, ``mean`` (mean article score),
        ``event_mean`` (mean of the outlets' means for the event and target), ``n_outlets``,
        ``deviation`` (mean - event_mean) and ``warning`` (an event covered by one outlet only
        has deviation 0 by construction).
    """
    if not isinstance(by, str):
        raise ConfigError(f"by={by!r} is not accepted; give one column name")
    _require(scores, ("article_id", "target", "score", by), "scores")
    if event_col not in scores.columns:
        if articles is None:
            raise ConfigError(
                f"the scores table has no {event_col!r} column; pass the article table (or "
                "group_events output) as articles"
            )
        _require(articles, ("article_id", event_col), "articles")
        events = articles[["article_id", event_col]].drop_duplicates("article_id")
        scores = scores.merge(events, on="article_id", how="left", validate="many_to_one")
    scores = _check_scores(scores, (by, event_col), label=False)
    has_event = scores[event_col].notna() & (scores[event_col].astype(str).str.strip() != "")
    scores = scores[has_event & scores["score"].notna()]
    rows = []
    for key, cell in _group_items(scores, [event_col, by, "target"]):
        values, _ = _article_values(cell)
        rows.append({event_col: key[0], by: key[1], "target": key[2], "n_articles": len(values),
                     "mean": float(values["score"].mean())})
    columns = [event_col, by, "target", "n_articles", "mean", "event_mean", "n_outlets", "deviation",
               "warning"]
    table = pd.DataFrame(rows, columns=columns[:5])
    if table.empty:
        return pd.DataFrame(columns=columns)
    grouped = table.groupby([event_col, "target"], sort=False)["mean"]
    table["event_mean"] = grouped.transform("mean")
    table["n_outlets"] = grouped.transform("size").astype(int)
    table["deviation"] = table["mean"] - table["event_mean"]
    table["warning"] = np.where(table["n_outlets"] < 2,
                                f"only one {by} covers this event and target: nothing to compare", "")
    return _sorted(table[columns], [event_col, by, "target"])


def tfidf_embed(texts: Sequence[str]) -> Any:
    """Default event embedding: L2-normalised TF-IDF vectors (sparse) of the texts themselves.

    Sublinear term frequency, :data:`TOKEN_PATTERN`, no stopwords (IDF down-weights them). Fitted
    on the texts given, so it needs no model; it only matches texts written in the same language.
    """
    vectorizer = TfidfVectorizer(lowercase=True, token_pattern=TOKEN_PATTERN, sublinear_tf=True)
    return vectorizer.fit_transform(list(texts))


def group_events(
    articles: pd.DataFrame,
    *,
    window_days: int = 3,
    threshold: float = 0.2,
    embed: Callable[[list[str]], Any] | None = None,
    text_cols: Sequence[str] = ("title", "text"),
    date_col: str = "published",
) -> pd.DataFrame:
    """Group articles into events: close in time and similar in content.

    Articles are taken in date order (ties by ``article_id``). An article joins the open event
    whose members it resembles most on average (mean cosine similarity of the embeddings), if
    that mean is at least ``threshold``; otherwise it opens a new event. An event is open for
    ``window_days`` days after its first article, so no event spans more than that window
    (single-link chaining across a long-running story cannot happen). Articles without a
    readable date come last and may join any event on similarity alone. An event of one
    article is a one-off: its event is ``""``.

    The default embedding is :func:`tfidf_embed` (no model; same-language matches only); its
    cosine similarities run lower than a sentence encoder's, so set ``threshold`` with the
    embedding (e.g. ~0.2 for TF-IDF; check a few events by eye).

    Parameters
    ----------
    articles : DataFrame
        ``article_id``, ``date_col`` and ``text_cols`` (missing texts count as empty).
    window_days : int, default 3
        Days an event stays open after its first article.
    threshold : float, default 0.2
        Smallest mean cosine similarity to join an event.
    embed : callable, optional
        ``texts -> 2-D array`` (dense or scipy sparse), one row per text; rows are L2-normalised
        here. Default :func:`tfidf_embed`.
    text_cols : sequence of str, default ("title", "text")
        Columns joined (with a blank line) into the text embedded.
    date_col : str, default "published"
        Date column (``"YYYY-MM-DD"``).

    Returns
    -------
    DataFrame
        One row per article, sorted by ``article_id``: ``article_id``, ``event`` (``"ev-<first
        date>-<k>"``, ``"ev-undated-<k>"`` or ``""``), ``event_size`` and ``similarity`` (mean
        cosine to the members when the article joined; NaN for an event's first article).
    """
    text_cols = _as_tuple(text_cols, "text_cols")
    _require(articles, ("article_id", date_col, *text_cols), "articles")
    if window_days < 0:
        raise ConfigError(f"window_days={window_days!r} is not accepted; give a number of days >= 0")
    if not -1 <= threshold <= 1:
        raise ConfigError(f"threshold={threshold!r} is not accepted; give a cosine in [-1, 1]")
    if articles["article_id"].duplicated().any():
        dup = articles.loc[articles["article_id"].duplicated(), "article_id"]
        raise DataError(f"article_id values repeat ({_shown(dup)}); group_events needs one row per article")
    table = articles.reset_index(drop=True)
    texts = ["\n\n".join("" if _missing(v) else str(v) for v in row)
             for row in zip(*(table[c] for c in text_cols), strict=True)]
    try:
        vectors = (embed or tfidf_embed)(texts)
    except ValueError as exc:
        if embed is not None or "empty vocabulary" not in str(exc):
            raise
        vectors = None  # no words anywhere: every article is a one-off
    n = len(table)
    if vectors is not None:
        if not hasattr(vectors, "tocsr"):
            vectors = np.asarray(vectors, dtype=float)
        if getattr(vectors, "shape", (None,))[0] != n or len(vectors.shape) != 2:
            raise ConfigError(f"embed returned shape {getattr(vectors, 'shape', None)}; expected ({n}, dim)")
        vectors = normalize(vectors)
        if hasattr(vectors, "tocsr"):
            vectors = vectors.tocsr()
    dates = pd.to_datetime(table[date_col], errors="coerce", format="ISO8601")
    days = ((dates - pd.Timestamp("1970-01-01")).dt.days).to_numpy(dtype=float)
    ids = table["article_id"].astype(str).to_numpy()
    dated = sorted((i for i in range(n) if np.isfinite(days[i])), key=lambda i: (days[i], ids[i]))
    undated = sorted((i for i in range(n) if not np.isfinite(days[i])), key=lambda i: ids[i])

    members: list[list[int]] = []
    starts: list[float] = []
    event_of = np.full(n, -1)
    similarity = np.full(n, np.nan)
    first_open = 0
    for i in dated + undated:
        if np.isfinite(days[i]):
            while first_open < len(members) and days[i] - starts[first_open] > window_days:
                first_open += 1
            candidates = range(first_open, len(members))
        else:
            candidates = range(len(members))
        best, best_sim = -1, -np.inf
        if vectors is not None and len(candidates):
            pool = [j for e in candidates for j in members[e]]
            sims = _cosines(vectors, i, pool)
            offset = 0
            for e in candidates:
                size = len(members[e])
                mean = float(sims[offset : offset + size].mean())
                offset += size
                if mean > best_sim + 1e-12:  # ties: the earlier event
                    best, best_sim = e, mean
        if best >= 0 and best_sim >= threshold:
            members[best].append(i)
            event_of[i], similarity[i] = best, best_sim
        else:
            members.append([i])
            starts.append(days[i])
            event_of[i] = len(members) - 1
    names = _event_names(members, starts)
    sizes = np.array([len(members[e]) for e in event_of])
    out = pd.DataFrame({"article_id": table["article_id"],
                        "event": [names[e] if sizes[k] > 1 else "" for k, e in enumerate(event_of)],
                        "event_size": sizes, "similarity": similarity})
    return _sorted(out, ["article_id"])


def _cosines(vectors: Any, i: int, pool: list[int]) -> np.ndarray:
    product = vectors[pool] @ vectors[i].T
    if hasattr(product, "toarray"):
        product = product.toarray()
    return np.asarray(product, dtype=float).ravel()


def _event_names(members: list[list[int]], starts: list[float]) -> list[str]:
    names, seen = [], {}
    for start in starts:
        day = "undated" if not np.isfinite(start) else str(
            (pd.Timestamp("1970-01-01") + pd.Timedelta(days=int(start))).date())
        seen[day] = seen.get(day, 0) + 1
        names.append(f"ev-{day}-{seen[day]}")
    return names


# --------------------------------------------------------------------------------------------
# lexicon versus model


class Disagreement(NamedTuple):
    """What :func:`disagreement` returns: a summary table and example passages."""

    summary: pd.DataFrame
    examples: pd.DataFrame


def _passage(evidence: Any) -> str:
    """The sentence of the first evidence item ("" when there is none)."""
    if evidence is None or isinstance(evidence, str | bytes | float):
        return ""
    try:
        items = list(evidence)  # a list, or a numpy array after a parquet round trip
    except TypeError:
        return ""
    for item in items:
        if isinstance(item, Mapping) and item.get("sentence"):
            return str(item["sentence"])
    return ""


def _correlation(x: np.ndarray, y: np.ndarray, kind: str) -> float:
    if len(x) < 3 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return float("nan")
    if kind == "pearson":
        return float(np.corrcoef(x, y)[0, 1])
    return float(stats.spearmanr(x, y).statistic)


def _kappa(a: pd.Series, b: pd.Series) -> float:
    if len(a) < 2 or (a.nunique() == 1 and b.nunique() == 1):
        return float("nan")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return float(cohen_kappa_score(a, b, labels=list(schema.STANCE_LABELS)))


def disagreement(
    lexicon_scores: pd.DataFrame,
    model_scores: pd.DataFrame,
    *,
    by: str | Sequence[str] = ("outlet", "language", "target"),
    examples: int = 3,
) -> Disagreement:
    """Where the lexicon and the model disagree: agreement, correlation and example passages.

    Rows are matched on (article_id, target). A ``by`` column may come from either table (the
    lexicon table wins when both have it).

    Parameters
    ----------
    lexicon_scores, model_scores : DataFrame
        Two score tables (``article_id, target, score, label``; ``evidence`` for passages).
    by : str or sequence of str, default ("outlet", "language", "target")
        Grouping columns of the summary.
    examples : int, default 3
        Disagreements listed per group: the largest score differences first (ties by article_id,
        target).

    Returns
    -------
    Disagreement
        ``summary``: per group ``n_both, n_lexicon_only, n_model_only, agreement`` (share of equal
        labels), ``kappa`` (Cohen's), ``pearson``, ``spearman`` (of the scores; NaN below 3 pairs
        or for constant scores); ``examples``: ``by..., article_id, target, label_lexicon,
        label_model, score_lexicon, score_model, passage_lexicon, passage_model`` (the first
        evidence sentence of each).
    """
    by = _as_tuple(by)
    if isinstance(examples, bool) or not isinstance(examples, int) or examples < 0:
        raise ConfigError(f"examples={examples!r} is not accepted; give an int >= 0")
    keys = ["article_id", "target"]
    lex = _check_scores(lexicon_scores, (), "lexicon_scores")
    mod = _check_scores(model_scores, (), "model_scores")
    for name, table in (("lexicon_scores", lex), ("model_scores", mod)):
        if table.duplicated(keys).any():
            raise DataError(f"the {name} table repeats (article_id, target) rows; give one method")
    absent = [c for c in by if c not in lex.columns and c not in mod.columns and c not in keys]
    if absent:
        raise ConfigError(f"column(s) {', '.join(absent)} are in neither score table; by={by}")

    def part(table: pd.DataFrame, suffix: str) -> pd.DataFrame:
        columns = {c: f"{c}_{suffix}" for c in ("score", "label", "evidence") if c in table.columns}
        extra = [c for c in by if c in table.columns and c not in keys]
        return table[[*keys, *columns, *extra]].rename(columns=columns)

    merged = part(lex, "lexicon").merge(part(mod, "model"), on=keys, how="outer",
                                        suffixes=("", "_from_model"), indicator=True)
    for column in by:
        if f"{column}_from_model" in merged.columns:
            merged[column] = merged[column].combine_first(merged.pop(f"{column}_from_model"))
    for column in ("evidence_lexicon", "evidence_model"):
        if column not in merged.columns:
            merged[column] = None
    rows, picked = [], []
    for key, cell in _group_items(merged, list(by)):
        both = cell[cell["_merge"] == "both"]
        x = both["score_lexicon"].to_numpy(dtype=float)
        y = both["score_model"].to_numpy(dtype=float)
        rows.append({**dict(zip(by, key, strict=True)), "n_both": len(both),
                     "n_lexicon_only": int((cell["_merge"] == "left_only").sum()),
                     "n_model_only": int((cell["_merge"] == "right_only").sum()),
                     "agreement": float((both["label_lexicon"] == both["label_model"]).mean())
                     if len(both) else np.nan,
                     "kappa": _kappa(both["label_lexicon"], both["label_model"]),
                     "pearson": _correlation(x, y, "pearson"),
                     "spearman": _correlation(x, y, "spearman")})
        differ = both[both["label_lexicon"] != both["label_model"]]
        if examples and len(differ):
            differ = differ.assign(_gap=-(differ["score_lexicon"] - differ["score_model"]).abs())
            picked.append(differ.sort_values(["_gap", *keys], kind="mergesort").head(examples))
    summary_columns = [*by, "n_both", "n_lexicon_only", "n_model_only", "agreement", "kappa",
                       "pearson", "spearman"]
    example_columns = list(dict.fromkeys([*by, *keys, "label_lexicon", "label_model",
                                          "score_lexicon", "score_model", "passage_lexicon",
                                          "passage_model"]))
    summary = pd.DataFrame(rows, columns=summary_columns)
    if picked:
        chosen = pd.concat(picked, ignore_index=True)
        chosen["passage_lexicon"] = chosen["evidence_lexicon"].map(_passage)
        chosen["passage_model"] = chosen["evidence_model"].map(_passage)
        chosen = chosen[example_columns]
    else:
        chosen = pd.DataFrame(columns=example_columns)
    return Disagreement(summary, chosen.reset_index(drop=True))
