"""Languages of short texts from their context: the given language, the outlet's, the corpus's.

One detection does not settle the language of a headline or a one-line text (see
:func:`framing.text.language.needs_context`): "EU fines US tech giant" is undetermined and a
short English headline is now and then labelled another language. Such a text takes the language
of its context, in this order:

1. a language stated in the input (a language column or sidecar) wins for every article, as
   before (``language_source`` "column");
2. the language the user gave (``load(language="en")``, ``framing ingest --language en``,
   ``[corpus] language``): the context of short texts only, long texts keep their detection
   ("given");
3. the dominant language of the outlet's reliably identified articles ("outlet");
4. the dominant language of the corpus's reliably identified articles ("corpus");
5. else the detection stands ("detected"), or "und" when there is none ("none").

An article is reliably identified when its language is stated, or when it was detected and does
not need context (a long text, or a short one detected with a high probability): in a corpus of
headlines only, the confidently identified headlines are the context of the others. Ties between
languages go to the alphabetically first code, so the result never depends on row order.

Limit: a short text in another language than its outlet's (a Dutch headline in an English
outlet), detected with a probability below the threshold, is given the outlet's language. State
the language in a column when outlets mix languages in short texts.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import pandas as pd

from framing.text.language import UNDETERMINED, needs_context


class Languages(NamedTuple):
    """Per article: the language, its score and where it came from (``schema.LANGUAGE_SOURCES``)."""

    language: list[str]
    score: list[float]
    source: list[str]


def resolve_languages(
    languages: Sequence[str],
    scores: Sequence[float],
    lengths: Sequence[int],
    stated: Sequence[bool],
    identified: Sequence[bool],
    outlets: Sequence[str],
    given: str | None = None,
) -> Languages:
    """The language of every article, short uncertain texts taking that of their context.

    Parameters
    ----------
    languages, scores : sequences
        Per article, the stated or detected language and its score (1.0 when stated).
    lengths : sequence of int
        Characters of the cleaned title and text together.
    stated : sequence of bool
        Whether the input stated the language.
    identified : sequence of bool
        Whether the article had text to identify (rows a reader could not read, and rows without
        text, have none: they take no language and give none).
    outlets : sequence of str
        The outlet of each article.
    given : str, optional
        The language the user gave for short texts.

    Returns
    -------
    Languages
        Lists in input order. A language from context has score 1.0 when given, else the share
        of that language among the outlet's (corpus's) reliably identified articles.

    Examples
    --------
    >>> got = resolve_languages(["en", "pcm", "und"], [1.0, 0.4, 0.0], [900, 30, 20],
    ...                         [False] * 3, [True] * 3, ["A", "A", "B"])
    >>> got.language, got.source
    (['en', 'en', 'en'], ['detected', 'outlet', 'corpus'])
    """
    language = np.array(languages, dtype=object)
    score = np.array(scores, dtype=float)
    stated_ = np.array(stated, dtype=bool)
    identified_ = np.array(identified, dtype=bool)
    weak = np.array(
        [needs_context(n, lang, s) for n, lang, s in zip(lengths, languages, scores, strict=True)],
        dtype=bool,
    )
    source = np.where(stated_, "column", "detected").astype(object)
    need = identified_ & ~stated_ & weak
    reliable = identified_ & (stated_ | ~weak) & (language != UNDETERMINED)
    if given:
        language[need], score[need], source[need] = given, 1.0, "given"
        need[:] = False
    outlet = np.array(outlets, dtype=object)
    by_outlet = _dominant(outlet[reliable], language[reliable])
    found = need & pd.Series(outlet).isin(by_outlet.index).to_numpy()
    if found.any():
        context = by_outlet.loc[outlet[found]]
        language[found], score[found] = context["language"].to_numpy(), context["share"].to_numpy()
        source[found] = "outlet"
        need &= ~found
    overall = _dominant(np.zeros(int(reliable.sum()), dtype=int), language[reliable])
    if len(overall) and need.any():
        language[need], score[need] = overall["language"].iloc[0], overall["share"].iloc[0]
        source[need] = "corpus"
    source[(source == "detected") & (language == UNDETERMINED)] = "none"
    return Languages(language.tolist(), score.tolist(), source.tolist())


def _dominant(groups: np.ndarray, languages: np.ndarray) -> pd.DataFrame:
    """Per group: its most frequent language (ties: the first code) and that language's share."""
    if not len(groups):
        return pd.DataFrame({"language": [], "share": []}, dtype=object)
    counts = pd.DataFrame({"group": groups, "language": languages}).value_counts().reset_index()
    counts.columns = ["group", "language", "n"]
    counts["share"] = counts["n"] / counts.groupby("group")["n"].transform("sum")
    counts = counts.sort_values(["group", "n", "language"], ascending=[True, False, True])
    return counts.drop_duplicates("group").set_index("group")[["language", "share"]]
