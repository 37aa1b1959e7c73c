"""Terms that distinguish two sets of texts, or each group from the rest; no plotting.

Log-odds ratio with an informative Dirichlet prior (Monroe, Colaresi & Quinn 2008, "Fightin'
Words", Political Analysis 16(4), section 3.5): z-scores of the difference of log-odds, with the
prior proportional to the pooled corpus (or a background corpus) and scaled to ``prior_total``
pseudo-counts. Tokens follow :data:`TOKEN_PATTERN` on lower-cased text.

Three things keep the lists about content rather than grammar or language:

* **Stopwords per language** (``language=`` / ``language_col=``; :func:`stopwords_for`): English
  uses scikit-learn's ``ENGLISH_STOP_WORDS`` (318 words); every other language uses the list the
  ``stop-words`` package bundles for it (Dutch 106 words, German 263, French 348, and the other
  languages of ``stop_words.LANGUAGE_MAPPING``; read from the installed package, no download). A
  language with neither list (or undetermined, ``und``) keeps its words. The informative prior
  shrinks frequent words, but not enough: with a few hundred words per outlet, "de", "een" and
  "the" still top the lists.
* **Comparison within a language** (:func:`distinguishing_terms_by` with ``language_col``): in a
  bilingual corpus an English outlet compared with Dutch ones is set apart by every English word;
  each language is compared on its own, so a Dutch outlet is set apart from the other Dutch ones.
* **Names kept whole** (``names=``; :func:`target_names`): the aliases of the targets lexicon
  ("United States", "European Commission", "Verenigde Staten", "the bloc", "US") are matched
  before tokenising and counted as one term each, written as the lexicon writes them. Joining known
  names was chosen over counting bigrams: bigrams double the vocabulary with fragments ("the
  united", "states and"), overlap the unigrams they contain (the counts of "united", "states" and
  "united states" are not separate evidence) and rarely reach the minimum count in a corpus of
  a few hundred sentences per group, while the lexicon names are the multiword units the analysis
  is about. A name is also exempt from stopwords, so "US" survives the English list (which holds
  "us"). Other multiword names (persons such as "Xi Jinping") join when passed in ``names``.

Terms occurring fewer than :data:`MIN_COUNT` times in the texts compared are not listed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, CountVectorizer
from stop_words import LANGUAGE_MAPPING, get_stop_words

from framing.analysis.tidy import as_tuple, check_positive, group_items, is_missing, require
from framing.infra.defaults import DEFAULT_TARGETS
from framing.infra.errors import ConfigError, DataError
from framing.text.targets import load_targets

__all__ = [
    "LANGUAGE_NAMES",
    "MIN_COUNT",
    "MIN_WORDS",
    "TOKEN_PATTERN",
    "distinguishing_terms",
    "distinguishing_terms_by",
    "language_name",
    "stopwords_for",
    "target_names",
]

#: Word tokens for term statistics and the default event embedding: two or more letters, with
#: internal hyphens ("de-risking", "EU-commissaris"). Digits and underscores are not letters, so
#: numbers and dates are not terms; an apostrophe ends a token ("China's" -> "china").
TOKEN_PATTERN = r"(?u)\b[^\W\d_]{2,}(?:-[^\W\d_]+)*\b"
#: A term is listed only when it occurs at least this often in the texts compared (both sides,
#: or the group and the rest, together): a word seen once or twice is no evidence of a habit.
MIN_COUNT = 3
#: :func:`distinguishing_terms_by`: a group with fewer counted words (after stopwords) in a
#: language is not listed for that language (its words still count for the others' rest). Low
#: enough for a headline corpus (ten headlines of one outlet about one target hold 30-50 content
#: words); MIN_COUNT is what keeps one-off words out.
MIN_WORDS = 20
#: Names of the language codes the project's lexicons cover; other codes are shown as they are.
LANGUAGE_NAMES: dict[str, str] = {
    "en": "English",
    "nl": "Dutch",
    "de": "German",
    "fr": "French",
    "und": "undetermined language",
}
_TOKEN_RE = re.compile(TOKEN_PATTERN)


def language_name(code: Any) -> str:
    """The English name of a language code ("nl" -> "Dutch"); unknown codes as they are."""
    code = _language_code(code)
    return LANGUAGE_NAMES.get(code, code)


def _language_code(value: Any) -> str:
    """A language value as a lower-case code; missing or empty -> "und"."""
    if is_missing(value) or not str(value).strip():
        return "und"
    return str(value).strip().lower()


@lru_cache(maxsize=64)
def stopwords_for(language: str) -> frozenset[str]:
    """The stopwords of ``language`` (an ISO 639-1 code), lower-cased.

    English: scikit-learn's ``ENGLISH_STOP_WORDS``. Other languages: the list of the
    ``stop-words`` package (``stop_words.LANGUAGE_MAPPING`` names the codes it has). Empty for a
    language with no list and for "und" (undetermined): no guess at the language's words.

    >>> "de" in stopwords_for("nl"), "the" in stopwords_for("en"), len(stopwords_for("und"))
    (True, True, 0)
    """
    code = _language_code(language)
    if code == "en":
        return frozenset(ENGLISH_STOP_WORDS)
    if code in LANGUAGE_MAPPING:
        return frozenset(w.strip().lower() for w in get_stop_words(code) if w.strip())
    return frozenset()


@lru_cache(maxsize=8)
def _lexicon_names(name_or_path: str) -> tuple[tuple[str, bool], ...]:
    aliases = load_targets(name_or_path).aliases  # every kind, every language
    return tuple(sorted({(a.alias, a.case == "sensitive") for a in aliases}))


def target_names(
    targets: str | Path | None = None, *, extra: Iterable[str] = ()
) -> dict[str, bool]:
    """The aliases of a targets lexicon as ``names`` for the term functions: alias -> matched
    case-sensitively.

    Parameters
    ----------
    targets : str or Path, optional
        A targets lexicon name or folder (default: the project's default targets lexicon). Every
        alias of every kind and language is used ("region" too): joining a name into one token
        needs no precision, and a name of one language seldom occurs in another.
    extra : iterable of str
        Further names matched case-insensitively (e.g. the surface forms of a mention table's
        ``aliases`` column, which cover aliases added to a run's lexicon).

    Returns
    -------
    dict of str to bool
        Sorted by name; an alias listed both ways is matched case-insensitively.

    >>> names = target_names()
    >>> names["United States"], names["US"]
    (False, True)
    """
    merged: dict[str, bool] = {}
    for alias, sensitive in _lexicon_names(str(targets or DEFAULT_TARGETS)):
        merged[alias] = merged.get(alias, True) and sensitive
    known = {a.lower() for a in merged}
    for name in extra:
        name = " ".join(str(name).split())
        if name and name.lower() not in known:
            merged[name] = False
            known.add(name.lower())
    return dict(sorted(merged.items()))


class _Names:
    """Names matched before tokenising, each counted as one term written as listed."""

    def __init__(self, names: Mapping[str, bool] | Iterable[str]) -> None:
        if isinstance(names, str):
            raise ConfigError("names must be a list of names or a name -> case-sensitive mapping, "
                              "not one string")
        items = names.items() if isinstance(names, Mapping) else ((n, False) for n in names)
        self.sensitive: dict[str, str] = {}
        self.insensitive: dict[str, str] = {}
        for name, sensitive in sorted((" ".join(str(n).split()), bool(s)) for n, s in items):
            if name and sensitive:
                self.sensitive.setdefault(name, name)
                self.sensitive.setdefault(name.upper(), name)  # WHITE HOUSE in a headline
            elif name:
                self.insensitive.setdefault(name.lower(), name)
        alternatives = sorted(
            [(n, True) for n in self.sensitive] + [(n, False) for n in self.insensitive.values()],
            key=lambda item: (-len(item[0]), item[0], item[1]),
        )
        self.pattern = re.compile("|".join(_name_regex(n, s) for n, s in alternatives)) \
            if alternatives else None

    def display(self, matched: str) -> str:
        key = " ".join(matched.split())
        if key in self.sensitive:
            return self.sensitive[key]
        return self.insensitive.get(key.lower(), key)


def _name_regex(name: str, sensitive: bool) -> str:
    """A name as a regex: words apart by any white space, no letter or digit just outside ("EU"
    not in "EUR") and no hyphen joining it to a word: "anti-American" and "US-led" stay one
    compound term, as :data:`TOKEN_PATTERN` keeps "de-risking"."""
    body = r"\s+".join(re.escape(word) for word in name.split())
    if not sensitive:
        body = f"(?i:{body})"
    before = r"(?<![^\W_])(?<![^\W\d_]-)" if name[0].isalnum() else ""
    after = r"(?![^\W_])(?!-[^\W\d_])" if name[-1].isalnum() else ""
    return f"{before}{body}{after}"


class _Analyzer:
    """Text -> terms: names whole, other words by :data:`TOKEN_PATTERN` without stopwords, then
    word n-grams (as scikit-learn's word analyzer, which this equals when no names are given)."""

    def __init__(self, stop_words: frozenset[str], names: _Names | None,
                 ngram_range: tuple[int, int], lowercase: bool) -> None:
        self.stop_words = stop_words
        self.names = names if names is not None and names.pattern is not None else None
        self.ngram_range = ngram_range
        self.lowercase = lowercase

    def _words(self, text: str) -> list[str]:
        if self.lowercase:
            text = text.lower()
        return [w for w in _TOKEN_RE.findall(text) if w not in self.stop_words]

    def __call__(self, text: str) -> list[str]:
        tokens: list[str] = []
        position = 0
        if self.names is not None:
            for match in self.names.pattern.finditer(text):
                tokens += self._words(text[position:match.start()])
                tokens.append(self.names.display(match.group()))
                position = match.end()
        tokens += self._words(text[position:])
        low, high = self.ngram_range
        if high == 1:
            return tokens
        grams = list(tokens) if low == 1 else []
        for n in range(max(low, 2), high + 1):
            grams += [" ".join(tokens[i:i + n]) for i in range(len(tokens) - n + 1)]
        return grams


def _stop_set(stop_words: str | Iterable[str] | None, language: str | None,
              lowercase: bool) -> frozenset[str]:
    """The stopwords given (None, "english" or a list) and those of ``language``."""
    if isinstance(stop_words, str) and stop_words != "english":
        raise ConfigError(
            f"stop_words={stop_words!r} is not accepted; give None, 'english' (scikit-learn's list) "
            "or a list of words (for another language's list give language=, e.g. 'nl')"
        )
    words = set(ENGLISH_STOP_WORDS) if stop_words == "english" else set(stop_words or ())
    if language is not None:
        words |= stopwords_for(language)
    return frozenset(w.lower() if lowercase else w for w in words)


def _vectorizer(stop_words: str | Iterable[str] | None, ngram_range: tuple[int, int],
                lowercase: bool, language: str | None = None,
                names: Mapping[str, bool] | Iterable[str] | None = None) -> CountVectorizer:
    if (not isinstance(ngram_range, tuple | list) or len(ngram_range) != 2
            or not 1 <= ngram_range[0] <= ngram_range[1]):
        raise ConfigError(f"ngram_range={ngram_range!r} is not accepted; give (min_n, max_n) "
                          "with 1 <= min_n <= max_n")
    analyzer = _Analyzer(_stop_set(stop_words, language, lowercase),
                         _Names(names) if names is not None else None,
                         (int(ngram_range[0]), int(ngram_range[1])), lowercase)
    return CountVectorizer(analyzer=analyzer, dtype=np.int64)


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
            f"{', stopwords removed' if vectorizer.analyzer.stop_words else ''}); give texts with "
            "words"
        ) from None


def distinguishing_terms(
    sentences_a: Sequence[str],
    sentences_b: Sequence[str],
    *,
    prior: Mapping[str, float] | Sequence[str] | None = None,
    prior_total: float | None = 1000.0,
    min_count: int = MIN_COUNT,
    top: int | None = 20,
    stop_words: str | Iterable[str] | None = None,
    ngram_range: tuple[int, int] = (1, 1),
    lowercase: bool = True,
    labels: tuple[str, str] = ("a", "b"),
    language: str | None = None,
    names: Mapping[str, bool] | Iterable[str] | None = None,
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
    min_count : int, default :data:`MIN_COUNT` (3)
        Report only terms occurring at least this often in both corpora together (all terms
        enter the computation; this only filters the output).
    top : int or None, default 20
        Rows per side: the ``top`` terms with the largest z (favouring a) and the ``top`` with
        the smallest (favouring b). None: every term, sorted by z.
    stop_words : None, "english" or iterable of str
        Words left out besides those of ``language``: none (default), scikit-learn's English
        list, or your own list.
    ngram_range : (int, int), default (1, 1)
        Word n-grams to count.
    lowercase : bool, default True
        Lower-case before counting. Lower-casing merges "US" (the country) with "us" (the
        pronoun); set False where such pairs matter (stopwords then match case-sensitively).
    labels : (str, str), default ("a", "b")
        Names of the two sides in the ``favours`` column.
    language : str, optional
        ISO 639-1 code of the texts: its stopwords (:func:`stopwords_for`) are left out. None
        (default): none besides ``stop_words``.
    names : mapping of str to bool, or iterable of str, optional
        Names counted as one term each, as written here (e.g. :func:`target_names`): a mapping
        gives whether each is matched case-sensitively; a list is matched case-insensitively.
        Longest name first; a name is never a stopword.

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
    vectorizer = _vectorizer(stop_words, ngram_range, lowercase, language, names)
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
    language_col: str | None = None,
    prior: Mapping[str, float] | Sequence[str] | None = None,
    prior_total: float | None = 1000.0,
    min_count: int = MIN_COUNT,
    min_words: int = MIN_WORDS,
    top: int | None = 20,
    stop_words: str | Iterable[str] | None = None,
    ngram_range: tuple[int, int] = (1, 1),
    lowercase: bool = True,
    names: Mapping[str, bool] | Iterable[str] | None = None,
) -> pd.DataFrame:
    """Distinguishing terms of each group against all other groups together (of its language).

    Same statistic as :func:`distinguishing_terms`, with one prior for every comparison within a
    language (the pooled corpus of all groups in that language unless ``prior`` is given), so
    that z-scores of different groups of one language are on one scale.

    Parameters
    ----------
    sentences : DataFrame
        One row per text: ``text_col``, the ``by`` columns and, with ``language_col``, the
        language (e.g. the mention table joined to the articles' outlet and language).
    by : str or sequence of str
        Grouping columns.
    text_col : str, default "text"
        The text column.
    language_col : str, optional
        Column of ISO 639-1 codes (missing -> "und"). Each language is compared on its own:
        its groups against each other, without its stopwords (:func:`stopwords_for`), so that the
        terms tell outlets apart and not languages. None: one comparison of all texts, with
        only ``stop_words`` left out.
    prior, prior_total, min_count, stop_words, ngram_range, lowercase, names
        As in :func:`distinguishing_terms`.
    min_words : int, default :data:`MIN_WORDS` (50)
        A group with fewer counted words (after stopwords) in a language is not listed for it.
    top : int or None, default 20
        Terms per group (largest z, favouring the group); None: every term of every group.

    Returns
    -------
    DataFrame
        Columns ``by..., [language,] term, count_group, count_rest, per_1000_group,
        per_1000_rest, log_odds, se, z``, sorted by group, then language, then z descending, then
        term. ``attrs["notes"]`` lists what was not compared and why (a language with one group
        only, a group with fewer than ``min_words`` words, a language without word tokens).

    Raises
    ------
    DataError
        Without ``language_col``: the texts hold no word token.
    """
    by = as_tuple(by)
    _check_terms_args(min_count, top, prior_total)
    check_positive(min_words, "min_words")
    require(sentences, (text_col, *by, *((language_col,) if language_col else ())), "sentences")
    sentences = sentences.reset_index(drop=True)
    groups = list(group_items(sentences, by))
    group_of = np.zeros(len(sentences), dtype=np.int64)
    for number, (_, sub) in enumerate(groups):
        group_of[sub.index.to_numpy()] = number
    labels = [" · ".join("(missing)" if is_missing(v) else str(v) for v in key) for key, _ in groups]
    if language_col is None:
        languages: list[tuple[str | None, np.ndarray]] = [(None, np.arange(len(sentences)))]
    else:
        codes = sentences[language_col].map(_language_code).to_numpy(dtype=object)
        languages = [(code, np.flatnonzero(codes == code)) for code in sorted(set(codes))]
    texts = _texts(sentences[text_col], text_col)
    pieces: list[tuple[int, str, pd.DataFrame]] = []
    notes: list[str] = []
    for language, rows in languages:
        vectorizer = _vectorizer(stop_words, ngram_range, lowercase, language, names)
        try:
            matrix = _fit_counts(vectorizer, [texts[i] for i in rows]).tocsr()
        except DataError:
            if language is None:
                raise
            notes.append(f"{language_name(language)}: no words to count")
            continue
        comparison = _Comparison(matrix, vectorizer, group_of[rows], labels, language)
        for number, table in comparison.tables(prior, prior_total, min_count, min_words, top, notes):
            for position, (column, value) in enumerate(zip(by, groups[number][0], strict=True)):
                table.insert(position, column, value)
            pieces.append((number, language or "", table))
    columns = [*by, *(("language",) if language_col else ()), "term", "count_group",
               "count_rest", "per_1000_group", "per_1000_rest", "log_odds", "se", "z"]
    pieces.sort(key=lambda piece: piece[:2])
    result = (pd.concat([p[2] for p in pieces], ignore_index=True)[columns] if pieces
              else pd.DataFrame(columns=columns))
    result.attrs["notes"] = notes
    return result


class _Comparison:
    """The groups of one language: counts, prior, and each group's terms against the rest."""

    def __init__(self, matrix, vectorizer: CountVectorizer, group_of: np.ndarray,
                 labels: Sequence[str], language: str | None) -> None:
        self.matrix = matrix
        self.vectorizer = vectorizer
        self.group_of = group_of
        self.labels = labels
        self.language = language
        self.where = f"{language_name(language)}: " if language is not None else ""

    def tables(self, prior, prior_total, min_count: int, min_words: int, top: int | None,
               notes: list[str]) -> list[tuple[int, pd.DataFrame]]:
        """(group number, terms table) of every group compared; what is not goes to ``notes``."""
        present = sorted(set(self.group_of.tolist()))
        if len(present) < 2:
            notes.append(f"{self.where}{self.labels[present[0]]} only, no other group to compare "
                         "with")
            return []
        vocabulary = self.vectorizer.get_feature_names_out()
        total = np.asarray(self.matrix.sum(axis=0)).ravel()
        alpha = _prior_alpha(total, vocabulary, prior, self.vectorizer.build_analyzer(),
                             prior_total)
        out = []
        for number in present:
            counts = np.asarray(self.matrix[self.group_of == number].sum(axis=0)).ravel()
            if counts.sum() < min_words:
                notes.append(f"{self.where}{self.labels[number]} not listed, {int(counts.sum())} "
                             f"words (fewer than {min_words})")
                continue
            table = _terms_frame(vocabulary, counts, total - counts, alpha,
                                 ("count_group", "count_rest"), ("per_1000_group", "per_1000_rest"))
            table = _top_terms(table, min_count, top, two_sided=False)
            if self.language is not None:
                table.insert(0, "language", self.language)
            out.append((number, table))
        return out
