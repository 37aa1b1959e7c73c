"""Other dictionary formats read into a :class:`~framing.lexicon.folder.Lexicon`: LIWC ``.dic``
files and plain CSV tables (version "0", no modifiers, the file's sha256)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from framing.infra import datafolder
from framing.infra.errors import DataError
from framing.lexicon.folder import (
    _LANGUAGE_RE,
    Category,
    Lexicon,
    _bad,
    _check_stemmable,
    _check_term,
    _empty_modifiers,
    _parse_polarity,
    _parse_weight,
    _terms_frame,
)
from framing.lexicon.tokens import _Normaliser, _normaliser


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
    ids = _liwc_categories(path, lines, marks[0] + 1, marks[1])
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
        term, cats = _liwc_entry(content)
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


def _liwc_categories(path: Path, lines: list[str], first: int, stop: int) -> dict[str, str]:
    """Category id -> name from the block between the two ``%`` lines (``lines[first:stop]``)."""
    ids: dict[str, str] = {}
    for i in range(first, stop):
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
    return ids


def _liwc_entry(content: str) -> tuple[str, list[str]]:
    """(term, category ids) of one entry line: ``term<TAB>id id``, or words then ids."""
    if "\t" in content:
        term, rest = content.split("\t", 1)
        cats = rest.split()
    else:
        parts = content.split()
        cut = len(parts)
        while cut > 0 and parts[cut - 1].isdigit():
            cut -= 1
        term, cats = " ".join(parts[:cut]), parts[cut:]
    return term.strip(), cats


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
