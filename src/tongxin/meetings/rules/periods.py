"""Reporting periods: a year ("2026"), a quarter ("2026-Q3") or a month ("2026-07").

Parsing is strict: exactly these three forms, upper-case ``Q``, two-digit month, no spaces,
years 1900–2100 (no later year is of use, and the period after December 9999 cannot exist).
Anything else raises :class:`~tongxin.meetings.rules.common.RuleError` with a message that says
which forms are accepted. ``end`` is the period's LAST DAY (inclusive), so
``p.start <= d <= p.end`` is "d is in p".
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date
from functools import cached_property, lru_cache

from django.utils.translation import gettext_lazy as _

from .common import RuleError

MONTH = "month"
QUARTER = "quarter"
YEAR = "year"
UNITS = (MONTH, QUARTER, YEAR)
MONTHS_IN = {MONTH: 1, QUARTER: 3, YEAR: 12}
MIN_YEAR, MAX_YEAR = 1900, 2100

MSG = {
    "empty": _("Enter a period: a year (2026), a quarter (2026-Q3) or a month (2026-07)."),
    "format": _(
        '"%(text)s" is not a period: use a year (2026), a quarter (2026-Q3) or a month (2026-07).'
    ),
    "quarter": _('"%(text)s": there is no quarter %(quarter)s; quarters are Q1 to Q4.'),
    "month": _('"%(text)s": there is no month %(month)s; months are 01 to 12.'),
    "year": _('"%(text)s": the year must be between 1900 and 2100.'),
    "unit": _('"%(unit)s" is not a period unit: use month, quarter or year.'),
}

_FORM = re.compile(r"(?P<year>\d{4})(?:-(?:Q(?P<quarter>\d)|(?P<month>\d{2})))?", re.ASCII)


def add_months(d: date, n: int) -> date:
    """``d`` plus ``n`` calendar months, clamped to the month's end (31 Jan + 1 → 28/29 Feb)."""
    index = d.year * 12 + (d.month - 1) + n
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


def month_start(d: date) -> date:
    return d.replace(day=1)


def _check_unit(unit: str) -> None:
    if unit not in MONTHS_IN:
        raise RuleError("period_unit", MSG["unit"], unit=unit)


@dataclass(frozen=True, order=True)
class Period:
    """A calendar month, quarter or year, identified by its first day and its unit."""

    start: date
    unit: str

    def __post_init__(self) -> None:
        _check_unit(self.unit)
        first_month = self.start.month - (self.start.month - 1) % MONTHS_IN[self.unit]
        if self.start.day != 1 or self.start.month != first_month:
            raise ValueError(f"{self.start} does not start a {self.unit}")

    @classmethod
    def parse(cls, text: str | None) -> Period:
        """ "2026" → the year, "2026-Q3" → the third quarter, "2026-07" → July 2026."""
        if text is None or text == "":
            raise RuleError("period_empty", MSG["empty"])
        match = _FORM.fullmatch(text) if isinstance(text, str) else None
        if match is None:
            raise RuleError("period_format", MSG["format"], text=text)
        year = int(match["year"])
        if not MIN_YEAR <= year <= MAX_YEAR:
            raise RuleError("period_year", MSG["year"], text=text)
        if match["quarter"] is not None:
            quarter = int(match["quarter"])
            if not 1 <= quarter <= 4:
                raise RuleError("period_quarter", MSG["quarter"], text=text, quarter=quarter)
            return cls(date(year, 3 * quarter - 2, 1), QUARTER)
        if match["month"] is not None:
            month = int(match["month"])
            if not 1 <= month <= 12:
                raise RuleError("period_month", MSG["month"], text=text, month=match["month"])
            return cls(date(year, month, 1), MONTH)
        return cls(date(year, 1, 1), YEAR)

    @property
    def months(self) -> int:
        return MONTHS_IN[self.unit]

    # cached: the full compliance recompute asks for the ends of ~250,000 periods
    # (functools.cached_property writes the instance __dict__, which a frozen dataclass allows)
    @cached_property
    def end(self) -> date:
        """The last day of the period (inclusive)."""
        last_month = add_months(self.start, self.months - 1)
        return last_month.replace(day=calendar.monthrange(last_month.year, last_month.month)[1])

    @cached_property
    def last_month(self) -> date:
        """The first day of the period's last month."""
        return add_months(self.start, self.months - 1)

    @property
    def label(self) -> str:
        if self.unit == YEAR:
            return f"{self.start.year}"
        if self.unit == QUARTER:
            return f"{self.start.year}-Q{(self.start.month - 1) // 3 + 1}"
        return f"{self.start:%Y-%m}"

    def __str__(self) -> str:
        return self.label

    def contains(self, d: date) -> bool:
        return self.start <= d <= self.end

    def next(self) -> Period:
        return Period(add_months(self.start, self.months), self.unit)

    def previous(self) -> Period:
        return Period(add_months(self.start, -self.months), self.unit)


def period_of(d: date, unit: str) -> Period:
    """The month, quarter or year that contains ``d``."""
    _check_unit(unit)
    n = MONTHS_IN[unit]
    return Period(date(d.year, d.month - (d.month - 1) % n, 1), unit)


# memoised: the full compliance recompute asks the same ~30 questions ~1.2 million times, and
# handing back the same Period objects keeps their cached ``end`` (the answer is a tuple of
# frozen objects, safe to share; a bad unit raises and is not cached)
@lru_cache(maxsize=1024)
def periods_within(outer: Period, unit: str) -> tuple[Period, ...]:
    """The periods of ``unit`` contained in ``outer``, in order: the 3 months of a quarter,
    the 4 quarters of a year, the period itself for the same unit, and NONE for a longer
    unit (a year is not contained in a quarter)."""
    _check_unit(unit)
    if MONTHS_IN[unit] > outer.months:
        return ()
    out = []
    p = Period(outer.start, unit)
    while p.start <= outer.end:
        out.append(p)
        p = p.next()
    return tuple(out)
