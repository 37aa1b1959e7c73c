"""A versioned lexicon folder: the Lexicon and Category types, loading and validation, stats.

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
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from framing.infra import datafolder
from framing.infra.defaults import DEFAULT_LEXICON
from framing.infra.errors import ConfigError, DataError
from framing.lexicon.matcher import GAP_MARK, WILDCARD, Hit, _Matcher, _parse_term, _variant_key
from framing.lexicon.tokens import SNOWBALL_LANGUAGES, _Normaliser, _normaliser

CATEGORY_KINDS: tuple[str, ...] = ("frame", "evaluative", "other")
MODIFIER_KINDS: tuple[str, ...] = ("negator", "hedge", "intensifier", "diminisher")
TERM_COLUMNS: tuple[str, ...] = ("term", "language", "category", "polarity", "weight", "note")
MODIFIER_COLUMNS: tuple[str, ...] = ("term", "language", "kind", "weight", "scope", "note")
POLARITIES: tuple[int, ...] = (-1, 0, 1)
#: Words for polarity accepted by :func:`~framing.lexicon.importers.read_csv_dictionary` besides
#: -1/0/1.
POLARITY_WORDS: dict[str, int] = {"negative": -1, "neg": -1, "neutral": 0, "positive": 1, "pos": 1}
DEFAULT_GAP_TOKENS = 4
MAX_GAP_TOKENS = 10
MAX_SCOPE = 10
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
_LANGUAGE_RE = re.compile(r"^[a-z]{2}$")


@dataclass(frozen=True)
class Category:
    """A lexicon category: its name, kind (frame, evaluative, other) and one-line definition."""

    name: str
    kind: str
    definition: str


@dataclass(frozen=True, eq=False)
class Lexicon:
    """A validated lexicon: metadata, a tidy terms table, modifiers, and a matcher.

    Build one with :func:`load_lexicon`, :func:`~framing.lexicon.importers.read_liwc_dic` or
    :func:`~framing.lexicon.importers.read_csv_dictionary`.
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
            Sorted by start, end, category, term. See :mod:`framing.lexicon` for the rules.

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


def load_lexicon(name_or_path: str | Path = DEFAULT_LEXICON) -> Lexicon:
    """Load and validate a lexicon folder.

    Parameters
    ----------
    name_or_path : str or Path
        A folder name under :func:`framing.infra.paths.lexicons_dir` (e.g. ``"framing-stance-v1"``)
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
    name = _need(raw, path, "name", str, "a non-empty string")
    version = str(_need(raw, path, "version", (int, str), "an integer or string such as 1"))
    if not re.fullmatch(r"[a-z0-9][a-z0-9_-]*", name) or not version.strip():
        raise DataError(f"{path}: name {name!r} must be lower-case letters, digits, '-' or '_'")
    languages = _need(
        raw, path, "languages", list, "a list of ISO 639-1 codes such as ['en', 'nl']"
    )
    _check_meta_languages(languages, path)
    stem, gap = _meta_matching(raw.get("matching", {}), languages, path)
    sources = _need(raw, path, "sources", list, "a list of strings or [[sources]] tables")
    _check_meta_sources(sources, path)
    categories_raw = _need(raw, path, "categories", dict, "a table of [categories.<name>] tables")
    categories = _meta_categories(categories_raw, path)
    return {
        "name": name,
        "version": version,
        "description": _need(raw, path, "description", str, "a one-paragraph string"),
        "languages": tuple(languages),
        "licence": _need(raw, path, "licence", str, "a licence name such as 'MIT'"),
        "sources": tuple(sources),
        "categories": categories,
        "stem": stem,
        "gap_tokens": gap,
    }


def _need(
    raw: Mapping[str, Any], path: Path, key: str, kind: type | tuple[type, ...], what: str
) -> Any:
    """The value of a required ``meta.toml`` key, of type ``kind`` (never a bool)."""
    if key not in raw:
        raise DataError(f"{path}: missing key {key!r} ({what})")
    value = raw[key]
    if not isinstance(value, kind) or isinstance(value, bool):
        raise DataError(f"{path}: key {key!r} must be {what}, got {value!r}")
    return value


def _check_meta_languages(languages: list[Any], path: Path) -> None:
    for lang in languages:
        if not isinstance(lang, str) or not _LANGUAGE_RE.match(lang):
            raise DataError(f"{path}: language {lang!r} is not an ISO 639-1 code such as 'en'")
    if not languages or len(set(languages)) != len(languages):
        raise DataError(
            f"{path}: 'languages' must be a non-empty list without repeats, got {languages!r}"
        )


def _meta_matching(matching: Any, languages: list[str], path: Path) -> tuple[bool, int]:
    """``stem`` and ``gap_tokens`` of the ``[matching]`` table, validated."""
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
    return stem, gap


def _check_meta_sources(sources: list[Any], path: Path) -> None:
    for i, source in enumerate(sources, 1):
        if isinstance(source, str) and source.strip():
            continue
        if not isinstance(source, dict) or not source.get("name") or not source.get("role"):
            raise DataError(
                f"{path}: sources entry {i} must be a non-empty string or a table with at least "
                f"'name' and 'role', got {source!r}"
            )


def _meta_categories(categories_raw: Mapping[str, Any], path: Path) -> dict[str, Category]:
    """The ``[categories.<name>]`` tables as Category objects, in definition order."""
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
    return categories


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
