"""Stated dates to "YYYY-MM-DD": incomplete or impossible dates left empty, ambiguous ones noted.

``published_raw`` keeps the date as the input stated it; ``published`` is its "YYYY-MM-DD" form,
NA when it cannot be parsed, is incomplete (a year or month alone) or is implausible: before the
date floor (default ``DATE_FLOOR``, 1900-01-01: a "0001-11-30" is a placeholder, not a date) or
after the date ceiling (default: the day of the run, as nothing is published in the future).
"""

from __future__ import annotations

import re
from datetime import date, datetime

from framing.corpus.values import _join

#: Dates before this are left empty unless the caller sets another floor.
DATE_FLOOR = date(1900, 1, 1)

_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:$|[T ])")
_DATE_DEFAULTS = (datetime(2000, 1, 1), datetime(2001, 2, 2))
_YEAR_FIRST = re.compile(r"^\s*\d{4}\D")
# Two numbers that could each be a day or a month ("05/07"): only then can the order matter.
_TWO_SMALL_NUMBERS = re.compile(r"(?<!\d)(?:0?[1-9]|1[0-2])\D{1,2}(?:0?[1-9]|1[0-2])(?!\d)")


def default_bounds() -> tuple[date, date]:
    """(floor, ceiling) of plausible dates by default: ``DATE_FLOOR`` and today."""
    return DATE_FLOOR, date.today()


def _normalise_dates(
    values: list[str | None],
    dayfirst: list[bool],
    reasons: list[str],
    bounds: tuple[date, date] | None = None,
) -> list[str | None]:
    """The "YYYY-MM-DD" form of each stated date (None if unusable); notes go into ``reasons``.

    ``bounds`` (floor, ceiling; default :func:`default_bounds`): a date outside them is left empty.
    """
    floor, ceiling = bounds or default_bounds()
    cache: dict[tuple[str, bool], tuple[str | None, str]] = {}  # many rows share a date
    out: list[str | None] = []
    for i, (value, order) in enumerate(zip(values, dayfirst, strict=True)):
        if value is None:
            out.append(None)
            continue
        key = (value, order)
        if key not in cache:
            cache[key] = _bounded(*_parse_date(value, order), value, floor, ceiling)
        parsed, note = cache[key]
        out.append(parsed)
        if note:
            reasons[i] = _join(reasons[i], note)
    return out


def _bounded(
    parsed: str | None, note: str, value: str, floor: date, ceiling: date
) -> tuple[str | None, str]:
    """(parsed, note), or (None, why) when the parsed date lies outside [floor, ceiling]."""
    if parsed is None or floor.isoformat() <= parsed <= ceiling.isoformat():
        return parsed, note
    shown = value if len(value) <= 60 else value[:57] + "..."
    where = (
        f"before the date floor {floor.isoformat()}"
        if parsed < floor.isoformat()
        else f"after the date ceiling {ceiling.isoformat()}"
    )
    return None, f"date {shown!r} is {where}; published left empty"


def _parse_date(value: str, dayfirst: bool = False) -> tuple[str | None, str]:
    """("YYYY-MM-DD" or None, note): None for an unusable date, with the note saying why.

    A year or month alone is not a date. A date valid in both orders ("05/07/2023") is read
    month first, or day first with ``dayfirst``, and the note says which; a date that starts with
    its year is always year-month-day.
    """
    shown = value if len(value) <= 60 else value[:57] + "..."
    match = _ISO_DATE.match(value)
    if match:
        try:
            return date(*map(int, match.groups())).isoformat(), ""
        except ValueError:
            return None, f"date {shown!r} does not exist; published left empty"
    year_first = bool(_YEAR_FIRST.match(value))
    read, problem = _read_date(value, dayfirst and not year_first)
    if read is None:
        return None, f"date {shown!r} {problem}; published left empty"
    if year_first or not _TWO_SMALL_NUMBERS.search(value):
        return read.isoformat(), ""
    other, _ = _read_date(value, not dayfirst, complete_check=False)
    if other is None or other == read:
        return read.isoformat(), ""
    used, alternative = ("day", "month") if dayfirst else ("month", "day")
    return read.isoformat(), (
        f"date {shown!r} is ambiguous: read {used} first as {read.isoformat()} "
        f"({alternative} first would give {other.isoformat()}; see the dayfirst setting)"
    )


def _read_date(value: str, dayfirst: bool, complete_check: bool = True) -> tuple[date | None, str]:
    """The date dateutil reads in ``value``, or (None, why not)."""
    from dateutil import parser

    # Parsed twice with different defaults: a part the text does not state comes out different,
    # so an incomplete date is caught instead of filled in with today's day.
    defaults = _DATE_DEFAULTS if complete_check else _DATE_DEFAULTS[:1]
    try:
        readings = [parser.parse(value, default=d, dayfirst=dayfirst) for d in defaults]
    except (ValueError, OverflowError, TypeError):
        return None, "could not be read as a date"
    if readings[0].date() != readings[-1].date():
        return None, "is not a complete date (a year or month alone)"
    return readings[0].date(), ""
