"""Versioned lexicon folders, their importers and the matcher.

:mod:`~framing.lexicon.folder`
    :class:`~framing.lexicon.folder.Lexicon` and its folder ``lexicons/<name>-v<version>/``:
    loading, validation (a bad row names its file and line), counts per category
    (:func:`~framing.lexicon.folder.lexicon_stats`).
:mod:`~framing.lexicon.importers`
    Other dictionary formats: LIWC ``.dic`` files and plain CSV tables.
:mod:`~framing.lexicon.tokens`
    Tokens, keys and stems: text and terms cut into units the same way.
:mod:`~framing.lexicon.matcher`
    Terms parsed into spelling variants, and their :class:`~framing.lexicon.matcher.Hit` in a text.

Matching rules (the same for every lexicon; the README of a lexicon refers here)
------------------------------------------------------------------------------
Tokens
    Text is cut at spaces into chunks, and each chunk into word tokens (letters, digits,
    internal hyphens and apostrophes) and punctuation. Every token keeps its character offsets,
    so a hit's ``start``/``end`` index the original text. A hyphenated word is one token whose
    key drops the hyphens ("de-risked" -> "derisked"), English "n't" is split off as its own token
    ("isn't" -> "is" + "n't"), a trailing "'s" is dropped from the key ("China's", Dutch
    "risico's"), and a French elision is split ("l'hégémonie" -> "l" + "hégémonie").
Breaks
    Punctuation other than quotation marks, and line breaks, are *breaks*: a multiword term never
    spans a break, and a modifier never acts across one.
Stems
    With ``stem = true`` (the default), a token matches by its Snowball stem (nltk, per language,
    cached per distinct token), so inflections match ("sanctions" = "sanction", "decoupled" =
    "decoupling"), while derivations that Snowball keeps apart stay apart ("hegemonic" is not
    "hegemony": list both if both belong). Terms are stemmed the same way as text.
Hyphens in terms
    A term written with a hyphen matches the hyphenated, the closed and the open spelling:
    "de-risk" matches "de-risk", "derisk" and "de risk", "cold-war mentality" matches "Cold War
    mentality".
Wildcards
    A term token ending in ``*`` is a prefix of the lower-cased surface token, not of its stem
    ("verminder*" matches "vermindert", "verminderde"). LIWC dictionaries use this.
Gaps
    ``...`` between two tokens of a term allows up to ``gap_tokens`` tokens (no break) in between:
    "afhankelijkheid ... verminderen" matches "de afhankelijkheid van China te verminderen". Word
    order is as written; a reordering needs its own term.
Modifiers
    Modifiers match their surface form exactly (closed-class words; stems would turn
    "reportedly" into "report" and "firmly" into "firm"). A modifier applies to a term when its
    last token is among the ``scope`` tokens right before the term's first token with no break
    in between, or when it sits in a gap of the term. Where modifiers overlap, the longer wins
    ("not only" is an intensifier and hides "not"). A negator sets ``negated`` and flips the
    polarity; a hedge sets ``hedged``; intensifiers and diminishers multiply ``intensity``.
Overlaps
    A hit inside a longer hit of the same category is dropped ("supply chain" inside "secure
    the supply chain"); hits of different categories on the same words are all kept.

Examples
--------
>>> lex = load_lexicon("framing-stance-v1")  # doctest: +SKIP
>>> [(h.term, h.category, h.negated) for h in lex.match("It is not a threat.", language="en")]  # doctest: +SKIP
[('threat', 'evaluative_negative', True)]
"""

from __future__ import annotations

from framing.lexicon.folder import Category, Lexicon, lexicon_stats, load_lexicon
from framing.lexicon.importers import read_csv_dictionary, read_liwc_dic
from framing.lexicon.matcher import Hit

__all__ = [
    "Category",
    "Hit",
    "Lexicon",
    "lexicon_stats",
    "load_lexicon",
    "read_csv_dictionary",
    "read_liwc_dic",
]
