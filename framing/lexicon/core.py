"""Curated lexicons: load and validate a lexicon folder, match its terms in text.

A lexicon is data with provenance. A folder ``lexicons/<name>-v<version>/`` holds

- ``meta.toml``: name, version, description, languages, licence, sources, the categories (each a
  ``frame``, ``evaluative`` or ``other`` category with a one-line definition) and, optionally, a
  ``[matching]`` table (``stem = true``, ``gap_tokens = 4``);
- ``terms.csv``: one row per term: ``term, language, category, polarity, weight, note``;
- ``modifiers.csv`` (optional): ``term, language, kind, weight, scope, note`` where kind is one of
  negator, hedge, intensifier, diminisher;
- a ``README.md`` describing the curation.

Loading validates every row; a bad row raises :class:`~framing.infra.errors.DataError` naming the file,
the line, the bad value and the accepted values.

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

import math
import re
import unicodedata
from bisect import bisect_left, bisect_right
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from itertools import compress, count
from pathlib import Path
from typing import Any, NamedTuple

import ahocorasick
import pandas as pd
from nltk.stem.snowball import SnowballStemmer

from framing.infra import datafolder
from framing.infra.defaults import DEFAULT_LEXICON
from framing.infra.errors import ConfigError, DataError

# ---------------------------------------------------------------------------------------------
# Constants (code, not language data)

#: ISO 639-1 code -> name of nltk's Snowball stemmer (pure Python, needs no download).
SNOWBALL_LANGUAGES: dict[str, str] = {
    "ar": "arabic",
    "da": "danish",
    "de": "german",
    "en": "english",
    "es": "spanish",
    "fi": "finnish",
    "fr": "french",
    "hu": "hungarian",
    "it": "italian",
    "nb": "norwegian",
    "nl": "dutch",
    "no": "norwegian",
    "pt": "portuguese",
    "ro": "romanian",
    "ru": "russian",
    "sv": "swedish",
}
CATEGORY_KINDS: tuple[str, ...] = ("frame", "evaluative", "other")
MODIFIER_KINDS: tuple[str, ...] = ("negator", "hedge", "intensifier", "diminisher")
TERM_COLUMNS: tuple[str, ...] = ("term", "language", "category", "polarity", "weight", "note")
MODIFIER_COLUMNS: tuple[str, ...] = ("term", "language", "kind", "weight", "scope", "note")
POLARITIES: tuple[int, ...] = (-1, 0, 1)
#: Words for polarity accepted by :func:`read_csv_dictionary` besides -1/0/1.
POLARITY_WORDS: dict[str, int] = {"negative": -1, "neg": -1, "neutral": 0, "positive": 1, "pos": 1}
DEFAULT_GAP_TOKENS = 4
MAX_GAP_TOKENS = 10
MAX_SCOPE = 10
GAP_MARK = "..."
WILDCARD = "*"
META_FILE, TERMS_FILE, MODIFIERS_FILE = "meta.toml", "terms.csv", "modifiers.csv"
META_KEYS: tuple[str, ...] = (
    "name",
    "version",
    "description",
    "languages",
    "licence",
    "sources",
    "categories",
    "matching",
    "tables",
)

#: The token a break (punctuation, line break) becomes in the matching string.
BREAK = "¦"
#: A word token: letters/digits plus combining marks, soft hyphens, hyphens and apostrophes.
_WORD_RE = re.compile(r"[\w\u0300-\u036f\u00ad'’‘ʼ\-‐‑]+")
#: Inside a separator, any character other than these (tab, no-break spaces, quotation marks)
#: is a break. A line break is a break: headlines and list items often lack a full stop.
_BREAK_CHAR_RE = re.compile(r"[^\t\u00a0\u2009\u202f\"“”„‟«»‹›`´]")
_EDGE_CHARS = "'’‘ʼ-‐‑\u00ad"
_KEY_TABLE = str.maketrans({c: None for c in _EDGE_CHARS})
_UNIFY_TABLE = str.maketrans({"’": "'", "‘": "'", "ʼ": "'"})
_LANGUAGE_RE = re.compile(r"^[a-z]{2}$")
#: Distinct chunks remembered per language before the memo is emptied (bounds memory).
_CACHE_LIMIT = 2_000_000


# ---------------------------------------------------------------------------------------------
# Public types


class Hit(NamedTuple):
    """One lexicon term found in a text.

    ``polarity`` is the term's polarity after negation (flipped when ``negated``);
    ``start``/``end`` are character offsets in the text given to :meth:`Lexicon.match`;
    ``intensity`` is the product of the intensifier and diminisher weights acting on the term
    (1.0 when none).
    """

    term: str
    category: str
    polarity: int
    weight: float
    start: int
    end: int
    negated: bool
    hedged: bool
    intensity: float


@dataclass(frozen=True)
class Category:
    """A lexicon category: its name, kind (frame, evaluative, other) and one-line definition."""

    name: str
    kind: str
    definition: str


@dataclass(frozen=True, eq=False)
class Lexicon:
    """A validated lexicon: metadata, a tidy terms table, modifiers, and a matcher.

    Build one with :func:`load_lexicon`, :func:`read_liwc_dic` or :func:`read_csv_dictionary`.
    ``terms`` has the columns of :data:`TERM_COLUMNS` plus ``source`` ("file:line");
    ``modifiers`` those of :data:`MODIFIER_COLUMNS` plus ``source``. ``sha256`` identifies the
    content (for run manifests). Matchers are compiled per language on first use.
    """

    name: str
    version: str
    languages: tuple[str, ...]
    categories: Mapping[str, Category]
    terms: pd.DataFrame
    modifiers: pd.DataFrame
    sha256: str
    description: str = ""
    licence: str = ""
    sources: tuple[str | Mapping[str, Any], ...] = ()
    stem: bool = True
    gap_tokens: int = DEFAULT_GAP_TOKENS
    path: Path | None = None
    _compiled: dict[str, _Matcher] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    @property
    def id(self) -> str:
        """``<name>-v<version>``, the folder name of a curated lexicon."""
        return f"{self.name}-v{self.version}"

    def category_names(self, kind: str | None = None) -> list[str]:
        """Category names in definition order, optionally only those of one ``kind``."""
        if kind is not None and kind not in CATEGORY_KINDS:
            raise ConfigError(
                f"unknown category kind {kind!r}; accepted: {', '.join(CATEGORY_KINDS)}"
            )
        return [c.name for c in self.categories.values() if kind is None or c.kind == kind]

    def match(self, text: str, *, language: str) -> list[Hit]:
        """Find the lexicon's terms in ``text``.

        Parameters
        ----------
        text : str
            Any text; offsets of the hits index this string.
        language : str
            ISO 639-1 code; one of ``self.languages``.

        Returns
        -------
        list of Hit
            Sorted by start, end, category, term. See the module docstring for the rules.

        Examples
        --------
        >>> lex = load_lexicon("framing-stance-v1")  # doctest: +SKIP
        >>> lex.match("They may seriously damage trust.", language="en")[0].hedged  # doctest: +SKIP
        True
        """
        if not isinstance(text, str):
            raise TypeError(f"text must be a str, got {type(text).__name__}")
        matcher = self._compiled.get(language)
        if matcher is None:
            if language not in self.languages:
                raise ConfigError(
                    f"lexicon {self.id!r} has no terms for language {language!r}; "
                    f"it covers: {', '.join(self.languages)}"
                )
            matcher = self._compiled[language] = _Matcher(self, language)
        return matcher.match(text)

    def __getstate__(self) -> dict[str, Any]:
        # Compiled automata and memos are rebuilt on demand; pickles stay small and portable.
        state = dict(self.__dict__)
        state["_compiled"] = {}
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)


# ---------------------------------------------------------------------------------------------
# Loading


def load_lexicon(name_or_path: str | Path = DEFAULT_LEXICON) -> Lexicon:
    """Load and validate a lexicon folder.

    Parameters
    ----------
    name_or_path : str or Path
        A folder name under :func:`framing.runs.config.lexicons_dir` (e.g. ``"framing-stance-v1"``)
        or a path to a lexicon folder.

    Returns
    -------
    Lexicon

    Raises
    ------
    DataError
        The folder is missing, or a file in it is invalid (the message names file and line).

    Examples
    --------
    >>> lex = load_lexicon("framing-stance-v1")  # doctest: +SKIP
    >>> lex.id, lex.languages  # doctest: +SKIP
    ('framing-stance-v1', ('en', 'nl', 'de', 'fr'))
    """
    folder = datafolder.resolve(name_or_path, what="lexicon")
    meta = _read_meta(folder)
    expected = f"{meta['name']}-v{meta['version']}"
    if folder.name != expected:
        raise DataError(
            f"{folder / META_FILE}: name {meta['name']!r} and version {meta['version']!r} say the "
            f"folder should be called {expected!r}, but it is {folder.name!r}"
        )
    norms = {lang: _normaliser(lang, meta["stem"]) for lang in meta["languages"]}
    terms = _read_terms(folder / TERMS_FILE, meta, norms)
    modifiers_path = folder / MODIFIERS_FILE
    modifiers = (
        _read_modifiers(modifiers_path, meta["languages"], norms)
        if modifiers_path.exists()
        else _empty_modifiers()
    )
    return Lexicon(
        name=meta["name"],
        version=meta["version"],
        languages=meta["languages"],
        categories=meta["categories"],
        terms=terms,
        modifiers=modifiers,
        sha256=datafolder.folder_sha256(folder),
        description=meta["description"],
        licence=meta["licence"],
        sources=meta["sources"],
        stem=meta["stem"],
        gap_tokens=meta["gap_tokens"],
        path=folder,
    )


def _read_meta(folder: Path) -> dict[str, Any]:
    """Read and validate ``meta.toml``; returns plain values (tuples, Category objects)."""
    raw = datafolder.read_meta(folder, files=(TERMS_FILE, MODIFIERS_FILE), accepted=META_KEYS)
    path = folder / META_FILE

    def need(key: str, kind: type | tuple[type, ...], what: str) -> Any:
        if key not in raw:
            raise DataError(f"{path}: missing key {key!r} ({what})")
        value = raw[key]
        if not isinstance(value, kind) or isinstance(value, bool):
            raise DataError(f"{path}: key {key!r} must be {what}, got {value!r}")
        return value

    name = need("name", str, "a non-empty string")
    version = str(need("version", (int, str), "an integer or string such as 1"))
    if not re.fullmatch(r"[a-z0-9][a-z0-9_-]*", name) or not version.strip():
        raise DataError(f"{path}: name {name!r} must be lower-case letters, digits, '-' or '_'")
    languages = need("languages", list, "a list of ISO 639-1 codes such as ['en', 'nl']")
    for lang in languages:
        if not isinstance(lang, str) or not _LANGUAGE_RE.match(lang):
            raise DataError(f"{path}: language {lang!r} is not an ISO 639-1 code such as 'en'")
    if not languages or len(set(languages)) != len(languages):
        raise DataError(
            f"{path}: 'languages' must be a non-empty list without repeats, got {languages!r}"
        )
    matching = raw.get("matching", {})
    if not isinstance(matching, dict) or set(matching) - {"stem", "gap_tokens"}:
        raise DataError(
            f"{path}: [matching] accepts the keys stem (bool) and gap_tokens (int), got {matching!r}"
        )
    stem = matching.get("stem", True)
    gap = matching.get("gap_tokens", DEFAULT_GAP_TOKENS)
    if not isinstance(stem, bool):
        raise DataError(f"{path}: matching.stem must be true or false, got {stem!r}")
    if isinstance(gap, bool) or not isinstance(gap, int) or not 0 <= gap <= MAX_GAP_TOKENS:
        raise DataError(
            f"{path}: matching.gap_tokens must be an integer 0..{MAX_GAP_TOKENS}, got {gap!r}"
        )
    if stem:
        for lang in languages:
            _check_stemmable(lang, f"{path}: language")
    sources = need("sources", list, "a list of strings or [[sources]] tables")
    for i, source in enumerate(sources, 1):
        if isinstance(source, str) and source.strip():
            continue
        if not isinstance(source, dict) or not source.get("name") or not source.get("role"):
            raise DataError(
                f"{path}: sources entry {i} must be a non-empty string or a table with at least "
                f"'name' and 'role', got {source!r}"
            )
    categories_raw = need("categories", dict, "a table of [categories.<name>] tables")
    categories: dict[str, Category] = {}
    for cat, spec in categories_raw.items():
        where = f"{path}: [categories.{cat}]"
        if not re.fullmatch(r"[a-z][a-z0-9_]*", cat):
            raise DataError(
                f"{where}: category names are lower-case identifiers such as 'hegemony_containment'"
            )
        if not isinstance(spec, dict) or set(spec) != {"kind", "definition"}:
            raise DataError(
                f"{where}: needs exactly the keys 'kind' and 'definition', got {spec!r}"
            )
        if spec["kind"] not in CATEGORY_KINDS:
            raise DataError(
                f"{where}: kind {spec['kind']!r} is not one of {', '.join(CATEGORY_KINDS)}"
            )
        definition = spec["definition"]
        if not isinstance(definition, str) or not definition.strip() or "\n" in definition.strip():
            raise DataError(f"{where}: definition must be one non-empty line")
        categories[cat] = Category(cat, spec["kind"], definition.strip())
    if not categories:
        raise DataError(f"{path}: no categories defined")
    return {
        "name": name,
        "version": version,
        "description": need("description", str, "a one-paragraph string"),
        "languages": tuple(languages),
        "licence": need("licence", str, "a licence name such as 'MIT'"),
        "sources": tuple(sources),
        "categories": categories,
        "stem": stem,
        "gap_tokens": gap,
    }


def _check_stemmable(language: str, where: str) -> None:
    if language not in SNOWBALL_LANGUAGES:
        raise DataError(
            f"{where} {language!r} has no Snowball stemmer; accepted with stemming: "
            f"{', '.join(sorted(SNOWBALL_LANGUAGES))} (or set stem = false)"
        )


def _bad(path: Path, line: int, column: str, value: str, accepted: str) -> DataError:
    return DataError(f"{path}:{line}: bad {column} {value!r}; accepted: {accepted}")


def _parse_polarity(value: str, path: Path, line: int, words: bool = False) -> int:
    text = value.strip().lower()
    if words and text in POLARITY_WORDS:
        return POLARITY_WORDS[text]
    try:
        number = float(text)
    except ValueError:
        number = math.nan
    if number not in POLARITIES:
        accepted = "-1, 0, 1" + (", " + ", ".join(POLARITY_WORDS) if words else "")
        raise _bad(path, line, "polarity", value, accepted)
    return int(number)


def _parse_weight(value: str, path: Path, line: int, default: float | None = None) -> float:
    if value == "" and default is not None:
        return default
    try:
        weight = float(value)
    except ValueError:
        weight = math.nan
    if not math.isfinite(weight) or weight <= 0:
        raise _bad(path, line, "weight", value, "a number > 0")
    return weight


def _read_terms(
    path: Path, meta: Mapping[str, Any], norms: Mapping[str, _Normaliser]
) -> pd.DataFrame:
    rows = datafolder.read_rows(path, TERM_COLUMNS, optional=TERM_COLUMNS[5:])
    languages, categories = meta["languages"], meta["categories"]
    records: list[dict[str, Any]] = []
    seen: dict[tuple[str, str, str], int] = {}
    signed: dict[tuple[str, str], tuple[int, str, int]] = {}
    for line, row in rows:
        if row["language"] not in languages:
            raise _bad(path, line, "language", row["language"], ", ".join(languages))
        if row["category"] not in categories:
            raise _bad(path, line, "category", row["category"], ", ".join(categories))
        term = _check_term(row["term"], path, line, norms[row["language"]], seen, row["category"])
        polarity = _parse_polarity(row["polarity"], path, line)
        _check_polarity(term, polarity, row["category"], path, line, norms[row["language"]], signed)
        records.append(
            {
                "term": term,
                "language": row["language"],
                "category": row["category"],
                "polarity": polarity,
                "weight": _parse_weight(row["weight"], path, line),
                "note": row.get("note", ""),
                "source": f"{path.name}:{line}",
            }
        )
    if not records:
        raise DataError(f"{path}: no terms")
    return _terms_frame(records)


def _check_term(
    term: str,
    path: Path,
    line: int,
    norm: _Normaliser,
    seen: dict[tuple[str, str, str], int],
    group: str,
    exact: bool = False,
) -> str:
    """Validate one term (not empty, parseable, not a duplicate within ``group``); return it."""
    if not term:
        raise DataError(f"{path}:{line}: empty term")
    try:
        variants = _parse_term(term, norm, exact=exact)
    except ValueError as exc:
        raise DataError(f"{path}:{line}: term {term!r}: {exc}") from None
    for variant in variants:
        key = (norm.language, group, _variant_key(variant, norm))
        if key in seen:
            raise DataError(
                f"{path}:{line}: duplicated term {term!r}: line {seen[key]} already has a term "
                f"with the same {'form' if exact else 'stemmed form'} {key[2]!r} "
                f"({norm.language}, {group})"
            )
    for variant in variants:
        seen[(norm.language, group, _variant_key(variant, norm))] = line
    return term


def _check_polarity(
    term: str,
    polarity: int,
    category: str,
    path: Path,
    line: int,
    norm: _Normaliser,
    signed: dict[tuple[str, str], tuple[int, str, int]],
) -> None:
    """A form may sit in several categories, but not with opposite polarities: the same words
    would then count for and against the target at once."""
    if not polarity:
        return
    for variant in _parse_term(term, norm):
        key = (norm.language, _variant_key(variant, norm))
        first = signed.setdefault(key, (polarity, category, line))
        if first[0] != polarity:
            form = "stemmed form" if norm.stem else "form"
            raise DataError(
                f"{path}:{line}: term {term!r} has polarity {polarity:+d} in category {category!r}, "
                f"but line {first[2]} has the same {form} {key[1]!r} ({norm.language}) with "
                f"polarity {first[0]:+d} in category {first[1]!r}; give them one polarity or drop one"
            )


def _terms_frame(records: list[dict[str, Any]]) -> pd.DataFrame:
    frame = pd.DataFrame.from_records(records, columns=[*TERM_COLUMNS, "source"])
    return frame.astype({"polarity": "int64", "weight": "float64"})


def _read_modifiers(
    path: Path, languages: tuple[str, ...], norms: Mapping[str, _Normaliser]
) -> pd.DataFrame:
    rows = datafolder.read_rows(path, MODIFIER_COLUMNS, optional=MODIFIER_COLUMNS[5:])
    records: list[dict[str, Any]] = []
    seen: dict[tuple[str, str, str], int] = {}
    for line, row in rows:
        if row["language"] not in languages:
            raise _bad(path, line, "language", row["language"], ", ".join(languages))
        kind = row["kind"]
        if kind not in MODIFIER_KINDS:
            raise _bad(path, line, "kind", kind, ", ".join(MODIFIER_KINDS))
        if WILDCARD in row["term"] or GAP_MARK in row["term"] or "…" in row["term"]:
            raise _bad(
                path, line, "term", row["term"], "plain words (no '*' or '...' in modifiers)"
            )
        term = _check_term(
            row["term"], path, line, norms[row["language"]], seen, "modifier", exact=True
        )
        weight = _parse_weight(row["weight"], path, line, default=1.0)
        if kind == "intensifier" and weight <= 1:
            raise _bad(path, line, "weight", row["weight"], "a number > 1 for an intensifier")
        if kind == "diminisher" and not weight < 1:
            raise _bad(
                path, line, "weight", row["weight"], "a number between 0 and 1 for a diminisher"
            )
        if kind in ("negator", "hedge") and weight != 1:
            raise _bad(path, line, "weight", row["weight"], f"empty or 1 for a {kind} (unused)")
        try:
            scope = int(row["scope"])
        except ValueError:
            scope = -1
        if not 1 <= scope <= MAX_SCOPE or str(scope) != row["scope"]:
            raise _bad(
                path,
                line,
                "scope",
                row["scope"],
                f"an integer 1..{MAX_SCOPE} (tokens before the term)",
            )
        records.append(
            {
                "term": term,
                "language": row["language"],
                "kind": kind,
                "weight": weight,
                "scope": scope,
                "note": row.get("note", ""),
                "source": f"{path.name}:{line}",
            }
        )
    return pd.DataFrame.from_records(records, columns=[*MODIFIER_COLUMNS, "source"]).astype(
        {"weight": "float64", "scope": "int64"}
    )


def _empty_modifiers() -> pd.DataFrame:
    return pd.DataFrame(
        {c: pd.Series(dtype="object") for c in [*MODIFIER_COLUMNS, "source"]}
    ).astype({"weight": "float64", "scope": "int64"})


# ---------------------------------------------------------------------------------------------
# Other dictionary formats


def read_liwc_dic(
    path: str | Path, *, language: str = "en", name: str | None = None, stem: bool = False
) -> Lexicon:
    """Read a LIWC-format ``.dic`` dictionary.

    The file starts with a block between two ``%`` lines that maps category ids to names
    (``1<TAB>posemo``); every following line is ``term<TAB>id id ...``. A term may end with
    ``*`` (prefix wildcard) and may have several words. LIWC2007 conditional entries (with
    parentheses) are rejected with their line.

    Parameters
    ----------
    path : str or Path
        The ``.dic`` file, UTF-8 (a file that is not UTF-8 is read as Windows-1252).
    language : str
        ISO 639-1 code of the terms.
    name : str, optional
        Lexicon name; default: the file name without suffix, lower-cased.
    stem : bool
        False (default) matches words exactly as LIWC does; True matches by Snowball stem.

    Returns
    -------
    Lexicon
        Version "0"; categories of kind "other", polarity 0, weight 1; no modifiers;
        ``sha256`` of the file.

    Examples
    --------
    >>> lex = read_liwc_dic("tiny.dic")  # doctest: +SKIP
    >>> [h.category for h in lex.match("a happy day", language="en")]  # doctest: +SKIP
    ['posemo']
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: file not found")
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")
    norm = _normaliser(_check_language(language, path, stem), stem)
    lines = text.splitlines()
    marks = [i for i, line in enumerate(lines) if line.strip() == "%"]
    if len(marks) < 2:
        raise DataError(
            f"{path}: a LIWC .dic starts with a category block between two '%' lines; found {len(marks)} '%' line(s)"
        )
    ids: dict[str, str] = {}
    for i in range(marks[0] + 1, marks[1]):
        parts = lines[i].split()
        if not parts:
            continue
        if len(parts) < 2 or not parts[0].isdigit():
            raise DataError(
                f"{path}:{i + 1}: bad category line {lines[i]!r}; expected '<id><TAB><name>'"
            )
        if parts[0] in ids:
            raise DataError(f"{path}:{i + 1}: category id {parts[0]} defined twice")
        ids[parts[0]] = "_".join(parts[1:]).lower()
    categories = {
        n: Category(n, "other", f"LIWC category {i} of {path.name}") for i, n in ids.items()
    }
    records: list[dict[str, Any]] = []
    seen: dict[tuple[str, str, str], int] = {}
    for i in range(marks[1] + 1, len(lines)):
        line, content = i + 1, lines[i].strip()
        if not content:
            continue
        if "(" in content or "/" in content:
            raise DataError(
                f"{path}:{line}: conditional LIWC2007 entries are not supported: {content!r}"
            )
        if "\t" in content:
            term, rest = content.split("\t", 1)
            cats = rest.split()
        else:
            parts = content.split()
            cut = len(parts)
            while cut > 0 and parts[cut - 1].isdigit():
                cut -= 1
            term, cats = " ".join(parts[:cut]), parts[cut:]
        term = term.strip()
        if not cats:
            raise DataError(f"{path}:{line}: term {term!r} has no category ids")
        for cat_id in cats:
            if cat_id not in ids:
                raise _bad(path, line, "category id", cat_id, ", ".join(ids))
            _check_term(term, path, line, norm, seen, ids[cat_id])
            records.append(
                {
                    "term": term,
                    "language": language,
                    "category": ids[cat_id],
                    "polarity": 0,
                    "weight": 1.0,
                    "note": "",
                    "source": f"{path.name}:{line}",
                }
            )
    if not records:
        raise DataError(f"{path}: no terms after the category block")
    return _imported(path, name, (language,), categories, records, stem, "LIWC-format dictionary")


def _imported(
    path: Path,
    name: str | None,
    languages: tuple[str, ...],
    categories: dict[str, Category],
    records: list[dict[str, Any]],
    stem: bool,
    kind: str,
) -> Lexicon:
    """A lexicon imported from one dictionary file: version "0", no modifiers, the file's sha256."""
    return Lexicon(
        name=name or path.stem.lower(),
        version="0",
        languages=languages,
        categories=categories,
        terms=_terms_frame(records),
        modifiers=_empty_modifiers(),
        sha256=datafolder.files_sha256([(path.name, path)]),
        description=f"{kind} read from {path.name}",
        sources=({"name": path.name, "role": "imported dictionary"},),
        stem=stem,
        path=path,
    )


def read_csv_dictionary(
    path: str | Path,
    *,
    term: str,
    category: str,
    language: str,
    polarity: str | None = None,
    weight: str | None = None,
    name: str | None = None,
    stem: bool = True,
) -> Lexicon:
    """Read a dictionary kept as a plain CSV table (one term per row).

    Parameters
    ----------
    path : str or Path
        A UTF-8 CSV file with a header row.
    term, category : str
        Names of the columns holding the term and its category. Terms follow the same syntax as
        ``terms.csv`` (``*`` wildcard, ``...`` gap).
    language : str
        Name of the column holding an ISO 639-1 code; or, when the file has no such column, one
        ISO 639-1 code for every row.
    polarity : str, optional
        Column with -1/0/1 (or negative/neutral/positive); all 0 when omitted.
    weight : str, optional
        Column with weights > 0; all 1.0 when omitted.
    name : str, optional
        Lexicon name; default: the file name without suffix, lower-cased.
    stem : bool
        Match by Snowball stem (default) or exactly.

    Returns
    -------
    Lexicon
        Version "0", categories of kind "other" in order of first appearance, no modifiers,
        ``sha256`` of the file.

    Examples
    --------
    >>> lex = read_csv_dictionary("d.csv", term="word", category="cat", language="en")  # doctest: +SKIP
    """
    path = Path(path)
    rows = datafolder.read_rows(path, (), strict=False)
    header = rows.header
    language_column = language if language in header else None
    if language_column is None and not _LANGUAGE_RE.match(language):
        raise DataError(
            f"{path}: language {language!r} is neither a column ({', '.join(header)}) nor an "
            "ISO 639-1 code such as 'en'"
        )
    wanted = {
        "term": term,
        "category": category,
        "language": language_column,
        "polarity": polarity,
        "weight": weight,
    }
    missing = [f"{k}={c!r}" for k, c in wanted.items() if c is not None and c not in header]
    if missing:
        raise DataError(
            f"{path}:1: column(s) {', '.join(missing)} not in the header; it has: {', '.join(header)}"
        )
    records: list[dict[str, Any]] = []
    seen: dict[tuple[str, str, str], int] = {}
    norms: dict[str, _Normaliser] = {}
    categories: dict[str, Category] = {}
    for line, row in rows:
        lang = row[language_column] if language_column else language
        if lang not in norms:
            norms[lang] = _normaliser(_check_language(lang, path, stem, line), stem)
        cat = row[category]
        if not cat:
            raise _bad(path, line, "category", cat, "a non-empty name")
        categories.setdefault(cat, Category(cat, "other", f"category {cat!r} of {path.name}"))
        records.append(
            {
                "term": _check_term(row[term], path, line, norms[lang], seen, cat),
                "language": lang,
                "category": cat,
                "polarity": _parse_polarity(row[polarity], path, line, words=True)
                if polarity
                else 0,
                "weight": _parse_weight(row[weight], path, line) if weight else 1.0,
                "note": "",
                "source": f"{path.name}:{line}",
            }
        )
    if not records:
        raise DataError(f"{path}: no terms")
    return _imported(path, name, tuple(norms), categories, records, stem, "CSV dictionary")


def _check_language(language: str, path: Path, stem: bool, line: int | None = None) -> str:
    where = f"{path}:{line}: language" if line else f"{path}: language"
    if not isinstance(language, str) or not _LANGUAGE_RE.match(language):
        raise DataError(f"{where} {language!r} is not an ISO 639-1 code such as 'en'")
    if stem:
        _check_stemmable(language, where)
    return language


def lexicon_stats(lexicon: Lexicon) -> pd.DataFrame:
    """Count terms per category and language (and modifiers per kind and language).

    Parameters
    ----------
    lexicon : Lexicon

    Returns
    -------
    pandas.DataFrame
        Index: category names in definition order, then ``modifier:<kind>`` rows; columns:
        ``kind`` (frame/evaluative/other/modifier), one column per language, ``total``.

    Examples
    --------
    >>> lexicon_stats(load_lexicon()).loc["hegemony_containment", "en"] >= 40  # doctest: +SKIP
    True
    """
    langs = list(lexicon.languages)
    terms = (
        lexicon.terms.groupby(["category", "language"])
        .size()
        .unstack(fill_value=0)
        .reindex(index=list(lexicon.categories), columns=langs, fill_value=0)
    )
    terms.insert(0, "kind", [lexicon.categories[c].kind for c in terms.index])
    mods = (
        lexicon.modifiers.groupby(["kind", "language"])
        .size()
        .unstack(fill_value=0)
        .reindex(index=list(MODIFIER_KINDS), columns=langs, fill_value=0)
    )
    mods.index = [f"modifier:{k}" for k in mods.index]
    mods.insert(0, "kind", "modifier")
    table = pd.concat([terms, mods])
    table[langs] = table[langs].astype("int64")
    table["total"] = table[langs].sum(axis=1)
    table.index.name = "category"
    table.columns.name = None
    return table


# ---------------------------------------------------------------------------------------------
# Tokens and keys


class _Memo(dict):
    """A dict that computes missing values with ``fn`` (fast ``map(memo.__getitem__, ...)``)."""

    __slots__ = ("fn",)

    def __init__(self, fn: Any) -> None:
        super().__init__()
        self.fn = fn

    def __missing__(self, key: str) -> Any:
        if len(self) >= _CACHE_LIMIT:
            self.clear()
        value = self[key] = self.fn(key)
        return value


def _word_units(word: str, offset: int) -> list[tuple[str, int, int]]:
    """Split one word token into (key, start, end) units; see the module docstring."""
    core = word.strip(_EDGE_CHARS)
    if not core:
        # A lone dash is punctuation; lone apostrophes are quotation marks.
        return [(BREAK, offset, offset + len(word))] if any(c in "-‐‑" for c in word) else []
    start = offset + len(word) - len(word.lstrip(_EDGE_CHARS))
    unified = core.translate(_UNIFY_TABLE)
    if unified.lower().endswith("n't"):
        # English contraction: "isn't" -> "is" + "n't" (the negator is a token of its own).
        head = _word_units(core[:-3], start) if len(core) > 3 else []
        return [*head, (_key(core[-3:]), start + len(core) - 3, start + len(core))]
    units: list[tuple[str, int, int]] = []
    # French elision (l', d', qu'...): split after a short head.
    cut = unified.find("'")
    while cut > 0:
        head, tail = unified[:cut], unified[cut + 1 :]
        if not (len(head) <= 2 or head.lower().endswith("qu")) or tail.lower() == "s":
            break
        units.append((_key(head), start, start + cut))
        start += cut + 1
        core, unified = core[cut + 1 :], unified[cut + 1 :]
        cut = unified.find("'")
    lower = unified.lower()
    key = _key(core[:-2] if lower.endswith("'s") and len(lower) > 2 else core)
    if key:
        units.append((key, start, start + len(core)))
    return units


def _key(surface: str) -> str:
    """The matching key of a token: NFC, lower case, without hyphens and apostrophes."""
    return unicodedata.normalize("NFC", surface.translate(_KEY_TABLE)).lower()


def _units(chunk: str) -> list[tuple[str, int, int]]:
    """Units (key, start, end) of a space-free chunk: word keys and breaks; never empty."""
    units: list[tuple[str, int, int]] = []
    pos = 0
    for m in _WORD_RE.finditer(chunk):
        s, e = m.span()
        if s > pos and _BREAK_CHAR_RE.search(chunk, pos, s):
            units.append((BREAK, pos, s))
        units.extend(_word_units(m.group(), s))
        pos = e
    if pos < len(chunk) and _BREAK_CHAR_RE.search(chunk, pos):
        units.append((BREAK, pos, len(chunk)))
    # An empty chunk (double space, a lone quotation mark) becomes a break so that every chunk
    # has at least one unit; a multiword term does not span it.
    return units or [(BREAK, 0, len(chunk))]


class _Normaliser:
    """Per language: the matching string of a chunk (stems, or surface keys), and memos.

    In a matching string, the units of one chunk are joined by :data:`_JOIN` and chunks by a
    space, so that a position tells its chunk by counting spaces (no per-text tables).

    Memos at three levels, because each is far smaller than the one above it: distinct chunks
    ("China's," "(China"; kept by each :class:`_Matcher`, which adds its prefix-wildcard matches),
    distinct word tokens ("China's"), distinct keys ("china"; their stems). A chunk seen for the
    first time is rendered from the renderings of its word tokens, so the work per new chunk is
    one regex pass; the units with their offsets (:meth:`_Doc.unit`) are computed only for the
    few chunks that hold a hit.
    """

    def __init__(self, language: str, stem: bool) -> None:
        self.language = language
        self.stem = stem
        stemmer = SnowballStemmer(SNOWBALL_LANGUAGES[language]) if stem else None
        self.word = _Memo(stemmer.stem if stemmer else str)
        self.token = _Memo(self._render_token)
        self.units = _Memo(_units)

    def word_stem(self, key: str) -> str:
        return key if key == BREAK else self.word[key]

    def _render_token(self, word: str) -> tuple[str, str]:
        """(stem string, surface string) of one word token; empty strings when it has no unit."""
        keys = [k for k, _, _ in _word_units(word, 0)]
        return _JOIN.join([self.word_stem(k) for k in keys]), _JOIN.join(keys)

    def render(self, chunk: str) -> tuple[str, str]:
        """The matching strings of a chunk: of its units' stems, and of their keys (surface)."""
        # The units of _units(chunk), rendered without building them: the same regex pass, with
        # each word token's renderings taken from the token memo.
        token = self.token
        stems: list[str] = []
        keys: list[str] = []
        pos = 0
        for m in _WORD_RE.finditer(chunk):
            s, e = m.span()
            if s > pos and _BREAK_CHAR_RE.search(chunk, pos, s):
                stems.append(BREAK)
                keys.append(BREAK)
            stem, key = token[m.group()]
            if stem:
                stems.append(stem)
            if key:
                keys.append(key)
            pos = e
        if pos < len(chunk) and _BREAK_CHAR_RE.search(chunk, pos):
            stems.append(BREAK)
            keys.append(BREAK)
        return _JOIN.join(stems) if stems else BREAK, _JOIN.join(keys) if keys else BREAK


@cache
def _normaliser(language: str, stem: bool) -> _Normaliser:
    # Shared by all lexicons: tokens and stems do not depend on the lexicon.
    return _Normaliser(language, stem)


#: Joins the units of one chunk in a matching string ("isn't" -> "is" _JOIN "nt").
_JOIN = "\x1f"
_SEPARATORS = (" ", _JOIN)
#: Characters turned into plain spaces before chunking (same length, so offsets hold).
_SPACE_LIKE = ("\t", "\u00a0", "\u2009", "\u202f")

# A parsed term: variants, each a tuple of items; an item is _GAP or (key, mode, sep): mode
# "stem" (match by stem), "exact" (surface key) or "prefix" (surface key prefix); sep is the
# separator before the unit in the text (" " between chunks, _JOIN inside one).
_GAP = ("", "gap", "")


def _parse_term(
    term: str, norm: _Normaliser, *, exact: bool = False
) -> list[tuple[tuple[str, str, str], ...]]:
    """Parse a term into its spelling variants; raise ValueError with a reason."""
    closed: list[tuple[str, str, str]] = []
    opened: list[tuple[str, str, str]] = []
    hyphenated = False
    raw_tokens = term.replace("…", f" {GAP_MARK} ").split()
    for i, raw in enumerate(raw_tokens):
        if raw == GAP_MARK:
            if i == 0 or i == len(raw_tokens) - 1 or raw_tokens[i - 1] == GAP_MARK:
                raise ValueError(f"'{GAP_MARK}' must stand between two words")
            closed.append(_GAP)
            opened.append(_GAP)
            continue
        wildcard = raw.endswith(WILDCARD)
        word = raw[:-1] if wildcard else raw
        if WILDCARD in word:
            raise ValueError(f"'{WILDCARD}' is allowed only at the end of a word (prefix wildcard)")
        units = [k for k, _, _ in _units(word)]
        if BREAK in units or not word:
            raise ValueError(
                "contains punctuation that splits it; write words, '...' or a final '*'"
            )
        pieces = [[(k, _JOIN if j else " ") for j, k in enumerate(units)]]
        if re.search(r"\w[-‐‑]\w", word):
            hyphenated = True
            pieces.append(
                [
                    (k, _JOIN if j else " ")
                    for part in re.split(r"[-‐‑]", word)
                    for j, k in enumerate(k for k, _, _ in _units(part) if k != BREAK)
                ]
            )
        for target, keys in zip((closed, opened), (pieces[0], pieces[-1]), strict=True):
            for j, (key, sep) in enumerate(keys):
                if wildcard and j == len(keys) - 1:
                    target.append((key, "prefix", sep))
                else:
                    target.append((key, "exact" if exact or not norm.stem else "stem", sep))
    if not closed:
        raise ValueError("no words")
    return [tuple(closed), tuple(opened)] if hyphenated else [tuple(closed)]


def _variant_key(variant: tuple[tuple[str, str, str], ...], norm: _Normaliser) -> str:
    """The form a variant is matched by (stems or surface keys, ``*``, ``...``); equal keys
    match the same text. Units of one written word are joined by '·'."""
    out: list[str] = []
    for key, mode, sep in variant:
        if mode == "gap":
            out.append(f" {GAP_MARK}")
            continue
        form = (
            key + WILDCARD if mode == "prefix" else norm.word_stem(key) if mode == "stem" else key
        )
        out.append(("·" if sep == _JOIN else " ") + form)
    return "".join(out).strip()


# ---------------------------------------------------------------------------------------------
# Matching


class _Segment(NamedTuple):
    hay: int  # 0: the stem (or key) string, 1: the surface string (prefix wildcards)
    body: str  # the pattern without its boundary separators
    surfaces: tuple[str, ...] | None  # exact surface keys to verify, or None


class _Entry(NamedTuple):
    is_term: bool
    row: int
    segments: tuple[_Segment, ...]
    gaps: tuple[int, ...]  # max tokens between segment i and i+1


class _Occ:
    """One match: positions ``ps`` (first character) and ``pe`` (separator after the last
    unit) in the stem string, and its entry."""

    __slots__ = ("entry", "seg", "ps", "pe", "parts", "ok")

    def __init__(self, entry: int, seg: int, ps: int, pe: int) -> None:
        self.entry, self.seg, self.ps, self.pe = entry, seg, ps, pe
        self.parts: list[tuple[int, int]] = [(ps, pe)]  # spans of the segments of a chained match
        self.ok: bool | None = None  # surface verification, computed lazily


def _unit_end(string: str, pos: int) -> int:
    """Position of the separator after the unit that contains ``pos``."""
    space = string.find(" ", pos)
    join = string.find(_JOIN, pos, space)
    return space if join == -1 else join


class _Doc:
    """A text cut at spaces into chunks, its matching string, and position lookups.

    Lookups count separators from the last position asked for, so asking in increasing order
    (as the matcher does) costs one pass over the string.
    """

    def __init__(self, text: str, norm: _Normaliser, stems: Mapping[str, str]) -> None:
        for char in _SPACE_LIKE:
            if char in text:
                text = text.replace(char, " ")
        self.norm = norm
        if "  " in text:
            # Runs of spaces (rare after cleaning): chunk spans from a regex.
            spans = [m.span() for m in re.finditer(r"[^ ]+", text)]
            self.chunks = [text[s:e] for s, e in spans]
            self._offsets: list[int] | None = [s for s, _ in spans]
        else:
            self.chunks = text.split(" ")
            self._offsets = None
        self.stems = stems  # chunk -> its matching string (a memo)
        self.hay = " " + " ".join(map(stems.__getitem__, self.chunks)) + " "
        self._at = (0, -1)  # (position, chunk index) of the last chunk lookup
        self._off = (0, 0)  # (chunk index, offset) of the last offset lookup
        self._start = (0, 1)  # (chunk index, position in the matching string) of the last lookup

    def chunk_at(self, pos: int) -> int:
        last, index = self._at if pos >= self._at[0] else (0, -1)
        index += self.hay.count(" ", last, pos)
        self._at = (pos, index)
        return index

    def offset(self, chunk: int) -> int:
        """Offset of a chunk in the text."""
        if self._offsets is not None:
            return self._offsets[chunk]
        last, offset = self._off if chunk >= self._off[0] else (0, 0)
        offset += sum(map(len, self.chunks[last:chunk])) + chunk - last
        self._off = (chunk, offset)
        return offset

    def unit(self, pos: int) -> tuple[int, tuple[str, int, int]]:
        """(chunk index, unit) of the unit starting at ``pos`` in the stem string."""
        hay = self.hay
        chunk = self.chunk_at(pos)
        k = hay.count(_JOIN, hay.rfind(" ", 0, pos) + 1, pos)
        return chunk, self.norm.units[self.chunks[chunk]][k]

    def surfaces(self, ps: int, pe: int) -> tuple[str, ...]:
        out, pos = [], ps
        while pos < pe:
            out.append(self.unit(pos)[1][0])
            pos = _unit_end(self.hay, pos) + 1
        return tuple(out)

    def span(self, ps: int, pe: int) -> tuple[int, int]:
        """Offsets in the text of the units between stem-string positions ``ps`` and ``pe``."""
        hay = self.hay
        last = max(hay.rfind(" ", ps, pe), hay.rfind(_JOIN, ps, pe))
        c0, first = self.unit(ps)
        start = self.offset(c0) + first[1]
        c1, final = self.unit(ps if last == -1 else last + 1)
        return start, self.offset(c1) + final[2]

    def between(self, pe: int, ps: int) -> int:
        """Number of tokens between a unit ending at ``pe`` and one starting at ``ps``."""
        hay = self.hay
        return hay.count(" ", pe, ps) + hay.count(_JOIN, pe, ps) - 1

    def broken(self, pe: int, ps: int) -> bool:
        """Whether a break lies between a unit ending at ``pe`` and one starting at ``ps``."""
        return self.hay.find(BREAK, pe, ps) != -1

    def unit_position(self, chunk: int, k: int) -> int:
        """Position in the matching string of unit ``k`` of a chunk."""
        last, pos = self._start if chunk >= self._start[0] else (0, 1)
        stems = map(self.stems.__getitem__, self.chunks[last:chunk])
        pos += sum(map(len, stems)) + chunk - last
        self._start = (chunk, pos)
        for _ in range(k):
            pos = _unit_end(self.hay, pos) + 1
        return pos


class _Matcher:
    """The compiled matcher of one lexicon for one language."""

    def __init__(self, lexicon: Lexicon, language: str) -> None:
        self.norm = _normaliser(language, lexicon.stem)
        self.entries: list[_Entry] = []
        terms = lexicon.terms[lexicon.terms["language"] == language]
        mods = lexicon.modifiers[lexicon.modifiers["language"] == language]
        self.terms = list(
            terms[["term", "category", "polarity", "weight"]].itertuples(index=False, name=None)
        )
        self.mods = list(mods[["kind", "weight", "scope"]].itertuples(index=False, name=None))
        self.max_scope = max((s for _, _, s in self.mods), default=0)
        for row, term in enumerate(terms["term"]):
            for variant in _parse_term(term, self.norm):
                self.entries.append(self._entry(True, row, variant, lexicon.gap_tokens))
        for row, term in enumerate(mods["term"]):
            for variant in _parse_term(term, self.norm, exact=True):
                self.entries.append(self._entry(False, row, variant, 0))
        # Automata: term stems, term prefixes (surface string), modifiers (stem string).
        self.automata: list[ahocorasick.Automaton | None] = [None, None, None]
        for slot, hay, is_term in ((0, 0, True), (1, 1, True), (2, 0, False)):
            table: dict[str, tuple[int, list[tuple[int, int]]]] = {}
            for e, entry in enumerate(self.entries):
                for s, seg in enumerate(entry.segments):
                    if seg.hay != hay or entry.is_term != is_term:
                        continue
                    # A unit starts after either separator; a stem pattern must also end at one.
                    rights = _SEPARATORS if hay == 0 else ("",)
                    for left in _SEPARATORS:
                        for right in rights:
                            key = left + seg.body + right
                            table.setdefault(key, (len(key), []))[1].append((e, s))
            if table:
                automaton = ahocorasick.Automaton()
                for key, value in table.items():
                    automaton.add_word(key, value)
                automaton.make_automaton()
                self.automata[slot] = automaton
        # Chunk -> matching string. Prefix wildcards are matched when a chunk is first seen, not
        # on a surface string of each text (which cost as much as the stem string, for a dozen
        # terms); ``prefixed`` keeps the few chunks with a match.
        self.stems = _Memo(self._render_chunk)
        self.prefixed: dict[str, tuple[tuple[int, list[tuple[int, int]]], ...]] = {}

    def _entry(
        self, is_term: bool, row: int, variant: tuple[tuple[str, str, str], ...], gap: int
    ) -> _Entry:
        segments: list[_Segment] = []
        gaps: list[int] = []
        run: list[tuple[str, str, str]] = []
        pending = 0

        def close(segment: _Segment) -> None:
            nonlocal pending
            if segments:
                gaps.append(pending)
            segments.append(segment)
            pending = 0

        def flush() -> None:
            if run:
                # Exact tokens are found by their stem, then checked against their surface.
                body = "".join(
                    (sep if j else "") + self.norm.word_stem(k) for j, (k, _, sep) in enumerate(run)
                )
                exact = any(m == "exact" for _, m, _ in run) and self.norm.stem
                close(_Segment(0, body, tuple(k for k, _, _ in run) if exact else None))
                run.clear()

        for key, mode, sep in variant:
            if mode == "gap":
                flush()
                pending = gap
            elif mode == "prefix":
                flush()
                close(_Segment(1, key, None))
            else:
                run.append((key, mode, sep))
        flush()
        return _Entry(is_term, row, tuple(segments), tuple(gaps))

    # -- matching ------------------------------------------------------------------------------

    def _render_chunk(self, chunk: str) -> str:
        """The matching string of a chunk; records its prefix-wildcard matches in ``prefixed``.

        A prefix pattern is a separator plus the start of one unit key, so every match lies in
        the surface string of one chunk (with the space before it): the matches of a text are
        those of its chunks, in chunk order, as on a surface string of the whole text. Each is
        kept as (unit index in the chunk, entry refs), in the order the automaton reports them.
        """
        stems, surface = self.norm.render(chunk)
        automaton = self.automata[1]
        if automaton is not None:
            hay = " " + surface
            found = tuple(
                (hay.count(_JOIN, 0, end - length + 2), refs)
                for end, (length, refs) in automaton.iter(hay)
            )
            if found:
                self.prefixed[chunk] = found
        return stems

    def match(self, text: str) -> list[Hit]:
        if not text or text.isspace():
            return []
        doc = _Doc(text, self.norm, self.stems)
        occs: list[_Occ] = []
        if self.automata[0] is not None:
            for end, (length, refs) in self.automata[0].iter(doc.hay):
                ps = end - length + 2
                occs.extend(_Occ(e, s, ps, end) for e, s in refs)
        prefixed = self.prefixed
        if prefixed:
            # A lookup in this small dict per chunk (cheap: the hash is cached on the chunk).
            for chunk in compress(count(), map(prefixed.__contains__, doc.chunks)):
                for k, refs in prefixed[doc.chunks[chunk]]:
                    ps = doc.unit_position(chunk, k)
                    pe = _unit_end(doc.hay, ps)
                    occs.extend(_Occ(e, s, ps, pe) for e, s in refs)
        if not occs:
            return []
        terms = self._assemble(doc, occs)
        if not terms:
            return []
        return self._hits(doc, terms, self._modifiers(doc, terms))

    def _modifiers(self, doc: _Doc, terms: list[_Occ]) -> list[_Occ]:
        """Modifier matches, searched only where they can act: the windows before the terms
        (and inside gapped terms). Sorted by end."""
        automaton = self.automata[2]
        if automaton is None:
            return []
        hay = doc.hay
        windows: list[list[int]] = []
        for cue in terms:  # sorted by start
            start = cue.ps - 1
            for _ in range(self.max_scope):
                start = max(hay.rfind(" ", 0, start), hay.rfind(_JOIN, 0, start))
                if start <= 0:
                    start = 0
                    break
            end = cue.pe if len(cue.parts) > 1 else cue.ps
            if windows and start <= windows[-1][1]:
                windows[-1][1] = max(windows[-1][1], end)
            else:
                windows.append([start, end])
        mods = [
            _Occ(e, s, end - length + 2, end)
            for start, stop in windows
            for end, (length, refs) in automaton.iter(hay, start, stop)
            for e, s in refs
        ]
        mods.sort(key=lambda o: (o.pe, o.ps))
        return mods

    def _verified(self, doc: _Doc, occ: _Occ) -> bool:
        if occ.ok is None:
            surfaces = self.entries[occ.entry].segments[occ.seg].surfaces
            occ.ok = surfaces is None or doc.surfaces(occ.ps, occ.pe) == surfaces
        return occ.ok

    def _assemble(self, doc: _Doc, occs: list[_Occ]) -> list[_Occ]:
        """Whole-term matches (segments chained), same-category nesting removed, by start."""
        singles: list[_Occ] = []
        by_segment: dict[tuple[int, int], list[_Occ]] = {}
        for occ in occs:
            entry = self.entries[occ.entry]
            if not self._verified(doc, occ):
                continue
            elif len(entry.segments) == 1:
                singles.append(occ)
            else:
                by_segment.setdefault((occ.entry, occ.seg), []).append(occ)
        for (e, s), firsts in by_segment.items():
            if s == 0:
                singles.extend(self._chain(doc, e, firsts, by_segment))
        return self._drop_nested(singles)

    def _chain(
        self, doc: _Doc, e: int, firsts: list[_Occ], by_segment: dict[tuple[int, int], list[_Occ]]
    ) -> list[_Occ]:
        entry = self.entries[e]
        later = [
            sorted(by_segment.get((e, s), []), key=lambda o: o.ps)
            for s in range(len(entry.segments))
        ]
        chained: dict[int, _Occ] = {}
        for first in firsts:
            current, parts = first, [(first.ps, first.pe)]
            for s in range(1, len(entry.segments)):
                nxt = None
                for cand in later[s][bisect_left([o.ps for o in later[s]], current.pe) :]:
                    if doc.between(current.pe, cand.ps) > entry.gaps[s - 1]:
                        break
                    if not doc.broken(current.pe, cand.ps):
                        nxt = cand
                        break
                if nxt is None:
                    break
                current = nxt
                parts.append((nxt.ps, nxt.pe))
            else:
                whole = _Occ(e, 0, first.ps, current.pe)
                whole.parts = parts
                # Several starts chaining to the same end: keep the closest start.
                previous = chained.get(current.pe)
                if previous is None or previous.ps < whole.ps:
                    chained[current.pe] = whole
        return list(chained.values())

    def _drop_nested(self, occs: list[_Occ]) -> list[_Occ]:
        # Sorted by start, longest first: a match lies inside an earlier one of its category
        # exactly when it ends no later than the furthest end seen so far.
        kept: list[_Occ] = []
        reach: dict[str, int] = {}
        for occ in sorted(occs, key=lambda o: (o.ps, -o.pe, self.entries[o.entry].row)):
            category = self.terms[self.entries[occ.entry].row][1]
            if occ.pe > reach.get(category, -1):
                kept.append(occ)
                reach[category] = occ.pe
        return kept

    def _modifiers_of(self, doc: _Doc, cue: _Occ, mods: list[_Occ], ends: list[int]) -> list[_Occ]:
        candidates: list[_Occ] = []
        i = bisect_right(ends, cue.ps)
        for mod in reversed(mods[:i]):  # modifiers before the cue, nearest first
            between = doc.between(mod.pe, cue.ps)
            if between >= self.max_scope:
                break
            scope = self.mods[self.entries[mod.entry].row][2]
            if between < scope and not doc.broken(mod.pe, cue.ps):
                candidates.append(mod)
        if len(cue.parts) > 1:  # modifiers inside the gaps of a gapped term
            gaps = [(a[1], b[0]) for a, b in zip(cue.parts, cue.parts[1:], strict=False)]
            for mod in mods[i : bisect_right(ends, cue.pe)]:
                if any(a <= mod.ps and mod.pe <= b for a, b in gaps):
                    candidates.append(mod)
        # Verified in text order, so that position lookups run forward.
        found = [m for m in sorted(candidates, key=lambda o: o.ps) if self._verified(doc, m)]
        # Overlapping modifiers: the longer wins ("not only" over "not").
        return [
            m
            for m in found
            if not any(
                o is not m and o.ps <= m.ps and m.pe <= o.pe and o.pe - o.ps > m.pe - m.ps
                for o in found
            )
        ]

    def _hits(self, doc: _Doc, terms: list[_Occ], mods: list[_Occ]) -> list[Hit]:
        ends = [m.pe for m in mods]
        hits: list[Hit] = []
        for cue in terms:  # in order of position: offsets are looked up in one pass
            term, category, polarity, weight = self.terms[self.entries[cue.entry].row]
            negated = hedged = False
            intensity = 1.0
            for mod in self._modifiers_of(doc, cue, mods, ends) if mods else ():
                kind, factor, _ = self.mods[self.entries[mod.entry].row]
                if kind == "negator":
                    negated = True
                elif kind == "hedge":
                    hedged = True
                else:
                    intensity *= factor
            start, end = doc.span(cue.ps, cue.pe)
            hits.append(
                Hit(
                    term,
                    category,
                    -polarity if negated else polarity,
                    weight,
                    start,
                    end,
                    negated,
                    hedged,
                    round(intensity, 6),
                )
            )
        hits.sort(key=lambda h: (h.start, h.end, h.category, h.term))
        return hits
