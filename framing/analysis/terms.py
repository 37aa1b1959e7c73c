"""Terms that distinguish two sets of texts, or each group from the rest; no plotting.

Log-odds ratio with an informative Dirichlet prior (Monroe, Colaresi & Quinn 2008, "Fightin'
Words", Political Analysis 16(4), section 3.5): z-scores of the difference of log-odds, with the
prior proportional to the pooled corpus (or a background corpus) and scaled to ``prior_total``
pseudo-counts. Tokens follow :data:`TOKEN_PATTERN` on lower-cased text. No stopwords are removed
by default: the informative prior already shrinks frequent function words, and stopword lists are
language data (scikit-learn ships an English list, ``stop_words="english"``; for Dutch none ships
with scikit-learn and nltk's list needs a download, so pass your own list, e.g. read from a
lexicon folder).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import CountVectorizer

from framing.analysis.tidy import as_tuple, check_positive, group_items, is_missing, require
from framing.infra.errors import ConfigError, DataError

#: Word tokens for term statistics and the default event embedding: two or more letters, with
#: internal hyphens ("de-risking", "EU-commissaris"). Digits and underscores are not letters, so
#: numbers and dates are not terms; an apostrophe ends a token ("China's" -> "china").
TOKEN_PATTERN = r"(?u)\b[^\W\d_]{2,}(?:-[^\W\d_]+)*\b"


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
    return ["" if is_missing(v) else str(v) for v in values]


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
    check_positive(min_count, "min_count")
    if top is not None:
        check_positive(top, "top")
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
    by = as_tuple(by)
    _check_terms_args(min_count, top, prior_total)
    require(sentences, (text_col, *by), "sentences")
    sentences = sentences.reset_index(drop=True)
    vectorizer = _vectorizer(stop_words, ngram_range, lowercase)
    matrix = _fit_counts(vectorizer, _texts(sentences[text_col], text_col)).tocsr()
    vocabulary = vectorizer.get_feature_names_out()
    total = np.asarray(matrix.sum(axis=0)).ravel()
    alpha = _prior_alpha(total, vocabulary, prior, vectorizer.build_analyzer(), prior_total)
    parts = []
    for key, sub in group_items(sentences, by):
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

