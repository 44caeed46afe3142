"""Working days on the Chinese official calendar — pure rules, no ORM, no I/O.

DOMAIN.md §8.4: time limits on residents' demands are counted in **working days** on the
Chinese official calendar, or in clock hours for urgent categories. Each year the General
Office of the State Council publishes the arrangement of public holidays and the weekend
days that become working days in exchange (调休上班), e.g. 《国务院办公厅关于2025年部分节
假日安排的通知》(国办发明电〔2024〕12号) and 《国务院办公厅关于2026年部分节假日安排的通
知》, under 《全国年节及纪念日放假办法》. That arrangement is data (see `core.calendar`,
which loads it from the `CalendarDay`/`CalendarYear` tables into a `Calendar`); this module
only does arithmetic on it.

A year for which no arrangement is loaded falls back to "Monday to Friday are working
days"; `missing_years` names such years so the interface can warn administrators.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")
#: End of the official working day: a limit in working days expires at this local time.
WORK_END = time(17, 30)


@dataclass(frozen=True)
class Calendar:
    """The official calendar: statutory holidays, adjusted working weekend days (调休上班)
    and the years for which an arrangement has been loaded.

    An entry is honoured whichever year it falls in (an administrator may enter a single
    day by hand before the year's notice is out); a year with no entries is plain
    Monday-to-Friday.
    """

    holidays: frozenset[date] = field(default_factory=frozenset)
    workdays: frozenset[date] = field(default_factory=frozenset)
    loaded_years: frozenset[int] = field(default_factory=frozenset)

    def __post_init__(self):
        # accept any iterable (sets, lists) but store immutable sets
        for name in ("holidays", "workdays", "loaded_years"):
            value = getattr(self, name)
            if not isinstance(value, frozenset):
                object.__setattr__(self, name, frozenset(value))
        clash = self.holidays & self.workdays
        if clash:
            raise ValueError(f"dates both holiday and workday: {sorted(clash)}")


def is_working_day(d: date, cal: Calendar) -> bool:
    """A statutory holiday is not a working day (even on a weekday); an adjusted workday
    (a Saturday or Sunday the State Council's notice makes a working day) is one; any
    other date is a working day when it is Monday to Friday.
    """
    if d in cal.holidays:
        return False
    if d in cal.workdays:
        return True
    return d.weekday() < 5


def missing_years(cal: Calendar, start: date | int, end: date | int) -> list[int]:
    """The years from `start` to `end` (inclusive; dates or years) with no loaded
    arrangement — their dates fall back to Monday to Friday, and administrators must be
    warned until the State Council's notice for that year is loaded."""
    first = start if isinstance(start, int) else start.year
    last = end if isinstance(end, int) else end.year
    return [y for y in range(first, last + 1) if y not in cal.loaded_years]


def add_working_days(start: date, n: int, cal: Calendar) -> date:
    """The `n`-th working day after `start`; `start` itself never counts.

    So from a non-working day, the next working day is day 1. `n == 0` returns `start`
    when it is a working day, otherwise the next working day (the first day on which
    something can happen). Negative `n` is refused. The result is always a working day
    and strictly increasing in `n` for n ≥ 1; from a non-working day, n = 0 and n = 1 give
    the same day.
    """
    if n < 0:
        raise ValueError("n must be zero or positive")
    d = start
    if n == 0:
        while not is_working_day(d, cal):
            d += timedelta(days=1)
        return d
    counted = 0
    while counted < n:
        d += timedelta(days=1)
        if is_working_day(d, cal):
            counted += 1
    return d


def working_days_between(a: date, b: date, cal: Calendar) -> int:
    """Working days in (a, b] — the inverse of `add_working_days` for n ≥ 1: for a working
    day result, `working_days_between(a, add_working_days(a, n)) == n`. 0 when b ≤ a."""
    count = 0
    d = a
    while d < b:
        d += timedelta(days=1)
        if is_working_day(d, cal):
            count += 1
    return count


def due_at(
    start: datetime,
    *,
    days: int | None = None,
    hours: float | None = None,
    cal: Calendar,
    work_end: time = WORK_END,
    tz: ZoneInfo = SHANGHAI,
) -> datetime:
    """When a time limit that started at `start` (an aware datetime) runs out.

    - `days` (working days, DOMAIN.md §8.4 general/consultation limits): the end of the
      official working day (`work_end`, 17:30 local time in Asia/Shanghai) on the `days`-th
      working day after the day of `start`. The day of receipt never counts, whatever the
      hour; a demand received on a non-working day starts counting from the next working
      day, which is day 1 (so Saturday and the Friday before give the same due time).
      `days=0` means the end of the day of receipt, or of the next working day.
    - `hours` (urgent categories, e.g. "done within 2 h"): plain elapsed clock time,
      day and night, holidays included.

    Exactly one of `days` and `hours` is given. The result is aware, in `tz`.
    """
    if start.tzinfo is None or start.utcoffset() is None:
        raise ValueError("start must be an aware datetime")
    if (days is None) == (hours is None):
        raise ValueError("give exactly one of days and hours")
    if hours is not None:
        if hours < 0:
            raise ValueError("hours must be zero or positive")
        return start.astimezone(tz) + timedelta(hours=hours)
    assert days is not None
    local_day = start.astimezone(tz).date()
    last_day = add_working_days(local_day, days, cal)
    return datetime.combine(last_day, work_end, tzinfo=tz)
