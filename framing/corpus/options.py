"""Checks of ``load``'s options: a bad value raises ``ConfigError`` saying what is accepted."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date, datetime

import numpy as np

from framing.corpus.duplicates import NEAR_DUPLICATE_THRESHOLD, NUM_PERM
from framing.corpus.fields import CANONICAL_FIELDS
from framing.corpus.files import FORMATS, _accepted_formats
from framing.corpus.labels import _clean_label
from framing.infra.errors import ConfigError
from framing.infra.pool import check_jobs


def _check_format(fmt: str | None) -> str | None:
    if fmt is None:
        return None
    name = str(fmt).lower().lstrip(".")
    if name == "tsv":
        return "csv"
    if name not in FORMATS:
        raise ConfigError(f"unknown input format {fmt!r}; accepted: {_accepted_formats()}")
    return name


def _check_column_map(column_map: Mapping[str, str] | None) -> dict[str, str]:
    if column_map is None:
        return {}
    if not isinstance(column_map, Mapping):
        raise ConfigError(
            f"column_map must be a mapping {{field: input column}}; received {type(column_map).__name__}"
        )
    checked: dict[str, str] = {}
    for key, column in column_map.items():
        if key not in CANONICAL_FIELDS:
            raise ConfigError(
                f"unknown column_map key {key!r}; accepted keys: {', '.join(CANONICAL_FIELDS)} "
                "(each names the input column holding that field, e.g. text=content_original)"
            )
        if not isinstance(column, str) or not column:
            raise ConfigError(f"column_map[{key!r}] must be a column name; received {column!r}")
        # One column for two fields (outlet = text) is a slip: the article table would hold the
        # text twice and lose the real column of one of them.
        other = next((field for field, name in checked.items() if name == column), None)
        if other is not None:
            raise ConfigError(
                f"column_map maps input column {column!r} to two fields, {other} and {key}; "
                f"map each field to its own column (CLI: --map {other}={column} and "
                f"--map {key}=<another column>)"
            )
        checked[key] = column
    return checked


def _check_dayfirst(dayfirst: bool | Iterable[str] | None) -> bool | frozenset[str]:
    """True/False for every outlet, or the set of outlets whose dates are read day first."""
    if dayfirst is None or isinstance(dayfirst, bool | np.bool_):
        return bool(dayfirst)
    if isinstance(dayfirst, str) or not isinstance(dayfirst, Iterable):
        raise ConfigError(
            "dayfirst must be true, false or a list of outlet names whose dates are written day "
            f"first; received {dayfirst!r}"
        )
    names = list(dayfirst)
    bad = [name for name in names if not isinstance(name, str) or not name.strip()]
    if bad:
        raise ConfigError(f"dayfirst: outlet names must be non-empty text; received {bad[0]!r}")
    return frozenset(_clean_label(name).strip() for name in names)


def _near_duplicate_threshold(near_duplicates: bool | float) -> float | None:
    if near_duplicates is True:
        return NEAR_DUPLICATE_THRESHOLD
    if near_duplicates is False or near_duplicates is None:
        return None
    if isinstance(near_duplicates, int | float) and 0.0 < float(near_duplicates) < 1.0:
        from datasketch import MinHashLSH

        try:  # thresholds near 1 leave too few LSH bands; datasketch tells
            MinHashLSH(threshold=float(near_duplicates), num_perm=NUM_PERM)
        except ValueError as err:
            raise ConfigError(f"near_duplicates={near_duplicates!r} is unusable: {err}") from err
        return float(near_duplicates)
    raise ConfigError(
        "near_duplicates must be True, False or a Jaccard threshold between 0 and 1; "
        f"received {near_duplicates!r}"
    )


def _check_language(language: str | None) -> str | None:
    """The language given for short texts, as a lower-case code ("EN-us" -> "en"); None: none."""
    if language is None or (isinstance(language, str) and not language.strip()):
        return None
    code = ""
    if isinstance(language, str):
        code = re.split(r"[-_]", language.strip().lower(), maxsplit=1)[0]
    if not re.fullmatch(r"[a-z]{2,3}", code):
        raise ConfigError(
            f"language must be an ISO 639-1 code such as 'en' (the language of short texts that "
            f"cannot be identified alone); received {language!r}"
        )
    return code


def _check_date_bounds(
    floor: str | date | None, ceiling: str | date | None
) -> tuple[date, date]:
    """(floor, ceiling) of plausible dates, "YYYY-MM-DD" or dates: no floor is ``date.min``, no
    ceiling (None or "") today."""
    low = date.min if floor is None or floor == "" else _as_date(floor, "date_floor")
    high = date.today() if ceiling is None or ceiling == "" else _as_date(ceiling, "date_ceiling")
    if low > high:
        raise ConfigError(
            f"date_floor {low.isoformat()} is after date_ceiling {high.isoformat()}: every date "
            "would be left empty; give a floor before the ceiling"
        )
    return low, high


def _as_date(value: str | date, name: str) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            raise ConfigError(f"{name}: {value!r} is not a date that exists") from None
    raise ConfigError(
        f"{name} must be a date written YYYY-MM-DD, e.g. '1900-01-01'; received {value!r}"
    )


def _check_n_jobs(n_jobs: int | None) -> int:
    return 1 if n_jobs is None else check_jobs(n_jobs)
