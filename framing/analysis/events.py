"""Events: articles grouped by time and content, and stance compared within an event.

Outlets choose what to cover; comparing their mean stance mixes editorial line with news agenda.
:func:`group_events` groups articles into events (close in time, similar in content: TF-IDF by
default, or any embedding such as :func:`framing.analysis.embeddings.encoder_embed`), and
:func:`same_event` compares outlets within an event: the deviation of an outlet's mean from the
event mean, where the event mean is the mean of the outlets' means (an outlet with three articles
on the event does not outweigh one with a single article).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize

from framing.analysis.terms import TOKEN_PATTERN
from framing.analysis.tidy import (
    article_values,
    as_tuple,
    check_scores,
    group_items,
    is_missing,
    require,
    shown,
    sort_rows,
)
from framing.infra.errors import ConfigError, DataError


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
    require(scores, ("article_id", "target", "score", by), "scores")
    if event_col not in scores.columns:
        if articles is None:
            raise ConfigError(
                f"the scores table has no {event_col!r} column; pass the article table (or "
                "group_events output) as articles"
            )
        require(articles, ("article_id", event_col), "articles")
        events = articles[["article_id", event_col]].drop_duplicates("article_id")
        scores = scores.merge(events, on="article_id", how="left", validate="many_to_one")
    scores = check_scores(scores, (by, event_col), label=False)
    has_event = scores[event_col].notna() & (scores[event_col].astype(str).str.strip() != "")
    scores = scores[has_event & scores["score"].notna()]
    rows = []
    for key, cell in group_items(scores, [event_col, by, "target"]):
        values, _ = article_values(cell)
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
    return sort_rows(table[columns], [event_col, by, "target"])


def tfidf_embed(texts: Sequence[str]) -> Any:
    """Default event embedding: L2-normalised TF-IDF vectors (sparse) of the texts themselves.

    Sublinear term frequency, :data:`framing.analysis.terms.TOKEN_PATTERN`, no stopwords (IDF
    down-weights them). Fitted on the texts given, so it needs no model; it only matches texts
    written in the same language.
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
    text_cols = as_tuple(text_cols, "text_cols")
    require(articles, ("article_id", date_col, *text_cols), "articles")
    if window_days < 0:
        raise ConfigError(f"window_days={window_days!r} is not accepted; give a number of days >= 0")
    if not -1 <= threshold <= 1:
        raise ConfigError(f"threshold={threshold!r} is not accepted; give a cosine in [-1, 1]")
    if articles["article_id"].duplicated().any():
        dup = articles.loc[articles["article_id"].duplicated(), "article_id"]
        raise DataError(f"article_id values repeat ({shown(dup)}); group_events needs one row per article")
    table = articles.reset_index(drop=True)
    vectors = _event_vectors(table, text_cols, embed)
    dates = pd.to_datetime(table[date_col], errors="coerce", format="ISO8601")
    days = ((dates - pd.Timestamp("1970-01-01")).dt.days).to_numpy(dtype=float)
    ids = table["article_id"].astype(str).to_numpy()
    members, starts, event_of, similarity = _assign_events(
        vectors, days, ids, window_days=window_days, threshold=threshold
    )
    names = _event_names(members, starts)
    sizes = np.array([len(members[e]) for e in event_of])
    out = pd.DataFrame({"article_id": table["article_id"],
                        "event": [names[e] if sizes[k] > 1 else "" for k, e in enumerate(event_of)],
                        "event_size": sizes, "similarity": similarity})
    return sort_rows(out, ["article_id"])


def _event_vectors(
    table: pd.DataFrame, text_cols: Sequence[str], embed: Callable[[list[str]], Any] | None
) -> Any:
    """L2-normalised embeddings of the joined text columns, one row per article (CSR when
    sparse); None when the default TF-IDF finds no word in any text."""
    texts = ["\n\n".join("" if is_missing(v) else str(v) for v in row)
             for row in zip(*(table[c] for c in text_cols), strict=True)]
    try:
        vectors = (embed or tfidf_embed)(texts)
    except ValueError as exc:
        if embed is not None or "empty vocabulary" not in str(exc):
            raise
        return None  # no words anywhere: every article is a one-off
    if vectors is None:  # an embedding that returns nothing: every article is a one-off
        return None
    n = len(table)
    if not hasattr(vectors, "tocsr"):
        vectors = np.asarray(vectors, dtype=float)
    if getattr(vectors, "shape", (None,))[0] != n or len(vectors.shape) != 2:
        raise ConfigError(f"embed returned shape {getattr(vectors, 'shape', None)}; expected ({n}, dim)")
    vectors = normalize(vectors)
    if hasattr(vectors, "tocsr"):
        vectors = vectors.tocsr()
    return vectors


def _assign_events(
    vectors: Any, days: np.ndarray, ids: np.ndarray, *, window_days: int, threshold: float
) -> tuple[list[list[int]], list[float], np.ndarray, np.ndarray]:
    """Take articles in date order (undated last) and put each in an open event or a new one.

    Returns the members of each event (row positions), each event's first day, the event of
    each article and its mean cosine to the members when it joined (NaN for a first article).
    """
    n = len(days)
    dated = sorted((i for i in range(n) if np.isfinite(days[i])), key=lambda i: (days[i], ids[i]))
    undated = sorted((i for i in range(n) if not np.isfinite(days[i])), key=lambda i: ids[i])
    members: list[list[int]] = []
    starts: list[float] = []
    event_of = np.full(n, -1)
    similarity = np.full(n, np.nan)
    sums = _MemberSums(vectors) if _is_dense(vectors) else None
    first_open = 0
    for i in dated + undated:
        if np.isfinite(days[i]):
            while first_open < len(members) and days[i] - starts[first_open] > window_days:
                first_open += 1
            candidates = range(first_open, len(members))
        else:
            candidates = range(len(members))
        if sums is not None:
            best, best_sim = sums.closest(i, members, candidates)
        else:
            best, best_sim = _closest_event(vectors, i, members, candidates)
        if best >= 0 and best_sim >= threshold:
            members[best].append(i)
            event_of[i], similarity[i] = best, best_sim
            if sums is not None:
                sums.join(best, i)
        else:
            members.append([i])
            starts.append(days[i])
            event_of[i] = len(members) - 1
            if sums is not None:
                sums.open(i)
    return members, starts, event_of, similarity


def _is_dense(vectors: Any) -> bool:
    return vectors is not None and not hasattr(vectors, "tocsr")


class _MemberSums:
    """The sum of each event's member vectors (dense embeddings).

    The mean cosine of article ``i`` to an event's members is ``v_i . sum / size`` (the vectors
    are L2-normalised): one matrix-vector product over the open events per article, instead of a
    product with every member of every open event. The means are equal to the members' mean
    cosines up to float rounding (1e-16); the chosen event and the tie rule (1e-12, the earlier
    event) are those of :func:`_closest_event`, and the recorded similarity is the members' mean
    computed as before.
    """

    def __init__(self, vectors: np.ndarray) -> None:
        self.vectors = vectors
        self.sums = np.zeros((64, vectors.shape[1]), dtype=np.float64)
        self.sizes = np.zeros(64, dtype=np.int64)
        self.n = 0

    def open(self, i: int) -> None:
        if self.n == len(self.sums):
            self.sums = np.concatenate([self.sums, np.zeros_like(self.sums)])
            self.sizes = np.concatenate([self.sizes, np.zeros_like(self.sizes)])
        self.sums[self.n] = self.vectors[i]
        self.sizes[self.n] = 1
        self.n += 1

    def join(self, event: int, i: int) -> None:
        self.sums[event] += self.vectors[i]
        self.sizes[event] += 1

    def closest(self, i: int, members: list[list[int]], candidates: range) -> tuple[int, float]:
        if not len(candidates):
            return -1, -np.inf
        lo, hi = candidates.start, candidates.stop
        means = (self.sums[lo:hi] @ self.vectors[i]) / self.sizes[lo:hi]
        # Ties (within 1e-12 of the best mean): the earliest event, as the loop of _closest_event
        # picks it (but for means chained less than 1e-12 apart, which embeddings do not give).
        chosen = int(np.flatnonzero(means >= means.max() - 1e-12)[0])
        best = candidates[chosen]
        return best, float(_cosines(self.vectors, i, members[best]).mean())


def _closest_event(
    vectors: Any, i: int, members: list[list[int]], candidates: range
) -> tuple[int, float]:
    """The candidate event whose members article ``i`` resembles most on average, and that mean
    cosine; ``(-1, -inf)`` without vectors or candidates. Ties go to the earlier event."""
    best, best_sim = -1, -np.inf
    if vectors is not None and len(candidates):
        pool = [j for e in candidates for j in members[e]]
        sims = _cosines(vectors, i, pool)
        sizes = np.fromiter((len(members[e]) for e in candidates), dtype=np.int64, count=len(candidates))
        starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
        # One reduction for all events (the same sums as each slice's .mean(): numpy reduces
        # every segment with the same summation), not a Python loop over thousands of events:
        # an undated article is compared with every event found so far.
        means = (np.add.reduceat(sims, starts) / sizes).tolist()
        chosen = -1
        for k, mean in enumerate(means):
            if mean > best_sim + 1e-12:  # ties: the earlier event
                chosen, best_sim = k, mean
        if chosen >= 0:  # the chosen event's mean as a slice mean, to the last bit as before
            best = candidates[chosen]
            best_sim = float(sims[starts[chosen] : starts[chosen] + sizes[chosen]].mean())
    return best, best_sim


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

