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
from itertools import pairwise
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


# --- working hours (DOMAIN.md §8.4: "accept within 1 working hour") ---------------------


@dataclass(frozen=True)
class WorkSchedule:
    """The office hours of a working day: ordered, non-overlapping (start, end) periods in
    local time `tz`. Default 08:30–12:00 and 14:00–17:30 Asia/Shanghai (the usual hours of
    district and street offices; configurable as TONGXIN["WORK_SCHEDULE"] =
    "08:30-12:00,14:00-17:30")."""

    periods: tuple[tuple[time, time], ...] = ((time(8, 30), time(12, 0)), (time(14, 0), WORK_END))
    tz: ZoneInfo = SHANGHAI

    def __post_init__(self):
        periods = tuple((a, b) for a, b in self.periods)
        if not periods:
            raise ValueError("a schedule needs at least one period")
        for a, b in periods:
            if not a < b:
                raise ValueError(f"period {a}-{b} does not end after it starts")
        for (_a1, b1), (a2, _b2) in pairwise(periods):
            if not b1 <= a2:
                raise ValueError("periods must be ordered and must not overlap")
        object.__setattr__(self, "periods", periods)

    @property
    def minutes_per_day(self) -> int:
        return sum(_minutes(b) - _minutes(a) for a, b in self.periods)

    @classmethod
    def parse(cls, text: str, tz: ZoneInfo = SHANGHAI) -> WorkSchedule:
        """ "08:30-12:00,14:00-17:30" → a schedule; ValueError when malformed."""
        periods = []
        for part in str(text).split(","):
            part = part.strip()
            if not part:
                continue
            a, sep, b = part.partition("-")
            if not sep:
                raise ValueError(f"period {part!r} is not HH:MM-HH:MM")
            periods.append((time.fromisoformat(a.strip()), time.fromisoformat(b.strip())))
        return cls(periods=tuple(periods), tz=tz)


DEFAULT_SCHEDULE = WorkSchedule()


def _minutes(t: time) -> int:
    return t.hour * 60 + t.minute


def _aware(moment: datetime, name: str = "start") -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime")


def _day_periods(d: date, schedule: WorkSchedule) -> list[tuple[datetime, datetime]]:
    return [
        (datetime.combine(d, a, tzinfo=schedule.tz), datetime.combine(d, b, tzinfo=schedule.tz))
        for a, b in schedule.periods
    ]


def add_working_hours(
    start: datetime,
    hours: float,
    cal: Calendar,
    schedule: WorkSchedule = DEFAULT_SCHEDULE,
) -> datetime:
    """The moment `hours` working hours after `start` (aware), counting only the periods of
    `schedule` on working days of `cal` (holidays skipped, adjusted workdays counted, a year
    not loaded counts Monday to Friday). Counting starts at `start` when it falls inside a
    period, else at the next period's start; a limit that runs out exactly at the end of a
    period ends there (17:30, not 08:30 the next working day). `hours == 0` gives the first
    working moment at or after `start`. Result in the schedule's time zone, to the minute
    (fractions of an hour are rounded to whole minutes)."""
    _aware(start)
    if hours < 0:
        raise ValueError("hours must be zero or positive")
    left = round(hours * 60)
    local = start.astimezone(schedule.tz)
    d = local.date()
    first = True
    for _guard in range(3700):  # ten years of days: the loop always ends long before
        if is_working_day(d, cal):
            for a, b in _day_periods(d, schedule):
                begin = max(a, local) if first else a
                if begin >= b:
                    continue
                span = int((b - begin).total_seconds() // 60)
                if left == 0:
                    return begin
                if left <= span:
                    return begin + timedelta(minutes=left)
                left -= span
        first = False
        d += timedelta(days=1)
    raise ValueError("no working time found within ten years")  # pragma: no cover


def working_minutes_between(
    a: datetime,
    b: datetime,
    cal: Calendar,
    schedule: WorkSchedule = DEFAULT_SCHEDULE,
) -> int:
    """Whole working minutes in [a, b] (both aware): the overlap of the interval with the
    schedule's periods on working days of `cal`. 0 when b ≤ a. The inverse of
    `add_working_hours` for a start inside a period:
    working_minutes_between(s, add_working_hours(s, h)) == round(h * 60)."""
    _aware(a, "a")
    _aware(b, "b")
    if b <= a:
        return 0
    la, lb = a.astimezone(schedule.tz), b.astimezone(schedule.tz)
    total = 0.0
    d = la.date()
    full_day = schedule.minutes_per_day
    while d <= lb.date():
        if is_working_day(d, cal):
            if la.date() < d < lb.date():
                total += full_day * 60
            else:
                for p, q in _day_periods(d, schedule):
                    lo, hi = max(p, la), min(q, lb)
                    if hi > lo:
                        total += (hi - lo).total_seconds()
        d += timedelta(days=1)
    return int(total // 60)


def working_hours_between(
    a: datetime, b: datetime, cal: Calendar, schedule: WorkSchedule = DEFAULT_SCHEDULE
) -> float:
    """working_minutes_between in hours (for display and the measures)."""
    return working_minutes_between(a, b, cal, schedule) / 60
