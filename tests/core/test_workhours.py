"""Working-hour arithmetic (core.workdays: WorkSchedule, add_working_hours,
working_minutes_between) on the official calendar — DOMAIN.md §8.4 ("accept within 1
working hour"; average handling time in working hours).

Calendar facts from the chinese-calendar package (1.11.0), i.e. the State Council's notice
for 2026 (checked in `test_package_facts`):
- National Day 2026-10-01 (Thu) to 10-07 (Wed) off; Saturday 10-10 worked.
- Mid-autumn 2026-09-25 (Fri) to 09-27 (Sun) off; Sunday 09-20 worked.
- Spring Festival 2026-02-15 (Sun) to 02-23 (Mon) off; Saturdays 02-14 and 02-28 worked.
- 2027 is not loaded: Monday to Friday only (1 January 2027, a Friday, counts as working).
"""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tongxin.core.workdays import (
    DEFAULT_SCHEDULE,
    Calendar,
    WorkSchedule,
    add_working_hours,
    due_at,
    is_working_day,
    working_hours_between,
    working_minutes_between,
)

SH = ZoneInfo("Asia/Shanghai")
YEARS = frozenset(d.year for d in chinese_calendar.holidays)
CAL = Calendar(
    holidays=set(chinese_calendar.holidays),
    workdays={d for d in chinese_calendar.workdays if d.weekday() >= 5},
    loaded_years=YEARS,
)


def at(y, m, d, hh=9, mm=0):
    return datetime(y, m, d, hh, mm, tzinfo=SH)


def test_package_facts():
    for d in [date(2026, 10, 1) + timedelta(days=i) for i in range(7)]:
        assert not is_working_day(d, CAL)
    assert is_working_day(date(2026, 10, 10), CAL)  # Saturday, adjusted workday
    assert is_working_day(date(2026, 9, 20), CAL)  # Sunday, adjusted workday
    assert not is_working_day(date(2026, 9, 25), CAL)  # Mid-autumn, a Friday
    assert is_working_day(date(2026, 2, 14), CAL) and is_working_day(date(2026, 2, 28), CAL)
    for d in [date(2026, 2, 15) + timedelta(days=i) for i in range(9)]:
        assert not is_working_day(d, CAL)
    assert 2027 not in YEARS
    assert is_working_day(date(2027, 1, 1), CAL)  # not loaded: a plain Friday


@pytest.mark.parametrize(
    ("start", "hours", "expected"),
    [
        (at(2026, 3, 10, 9, 0), 1, at(2026, 3, 10, 10, 0)),  # plain Tuesday
        (at(2026, 3, 10, 11, 30), 1, at(2026, 3, 10, 14, 30)),  # over lunch
        (at(2026, 3, 10, 12, 30), 1, at(2026, 3, 10, 15, 0)),  # filed in the lunch break
        (at(2026, 3, 10, 7, 0), 1, at(2026, 3, 10, 9, 30)),  # before office hours
        (at(2026, 3, 10, 17, 0), 0.5, at(2026, 3, 10, 17, 30)),  # ends at 17:30, not 08:30
        (at(2026, 3, 10, 17, 0), 1, at(2026, 3, 11, 9, 0)),  # rolls to the next morning
        (at(2026, 3, 10, 20, 0), 1, at(2026, 3, 11, 9, 30)),  # evening
        (at(2026, 3, 13, 17, 0), 1, at(2026, 3, 16, 9, 0)),  # Friday → Monday
        (at(2026, 3, 14, 10, 0), 0, at(2026, 3, 16, 8, 30)),  # Saturday, 0 h: Monday opening
        (at(2026, 3, 10, 9, 0), 6.5, at(2026, 3, 10, 17, 30)),  # the rest of the day
        (at(2026, 3, 10, 9, 0), 7, at(2026, 3, 11, 9, 0)),
        (at(2026, 3, 10, 8, 30), 7, at(2026, 3, 10, 17, 30)),  # a full day is 7 h
        # National Day 2026
        (at(2026, 9, 30, 17, 0), 1, at(2026, 10, 8, 9, 0)),  # 30 min before, 30 after
        (at(2026, 10, 3, 10, 0), 1, at(2026, 10, 8, 9, 30)),  # filed on the holiday
        (at(2026, 10, 9, 17, 0), 1, at(2026, 10, 10, 9, 0)),  # Saturday 10-10 is worked
        (at(2026, 9, 24, 17, 0), 1, at(2026, 9, 28, 9, 0)),  # over Mid-autumn (Fri–Sun)
        (at(2026, 9, 19, 10, 0), 1, at(2026, 9, 20, 9, 30)),  # Sunday 09-20 is worked
        # Spring Festival 2026
        (at(2026, 2, 13, 17, 0), 1, at(2026, 2, 14, 9, 0)),  # Saturday 02-14 is worked
        (at(2026, 2, 14, 17, 0), 1, at(2026, 2, 24, 9, 0)),  # nine days off
        (at(2026, 2, 18, 23, 0), 2, at(2026, 2, 24, 10, 30)),
        (at(2026, 2, 27, 17, 0), 1, at(2026, 2, 28, 9, 0)),  # Saturday 02-28 is worked
        # 2027 not loaded: weekends only (New Year's Day counts as a working Friday)
        (at(2026, 12, 31, 17, 0), 1, at(2027, 1, 1, 9, 0)),
        (at(2027, 1, 1, 17, 0), 1, at(2027, 1, 4, 9, 0)),
        (at(2027, 2, 5, 17, 0), 1, at(2027, 2, 8, 9, 0)),  # Spring Festival 2027: unknown
    ],
)
def test_add_working_hours(start, hours, expected):
    got = add_working_hours(start, hours, CAL)
    assert got == expected
    assert got.tzinfo is not None


def test_add_working_hours_accepts_any_time_zone_and_rejects_naive():
    utc = datetime(2026, 3, 10, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai
    assert add_working_hours(utc, 1, CAL) == at(2026, 3, 10, 10, 0)
    with pytest.raises(ValueError, match="aware"):
        add_working_hours(datetime(2026, 3, 10, 9, 0), 1, CAL)
    with pytest.raises(ValueError):
        add_working_hours(at(2026, 3, 10), -1, CAL)


@pytest.mark.parametrize(
    ("a", "b", "minutes"),
    [
        (at(2026, 3, 10, 9, 0), at(2026, 3, 10, 10, 0), 60),
        (at(2026, 3, 10, 11, 0), at(2026, 3, 10, 15, 0), 120),  # lunch not counted
        (at(2026, 3, 10, 18, 0), at(2026, 3, 11, 8, 0), 0),  # overnight
        (at(2026, 3, 13, 17, 0), at(2026, 3, 16, 9, 0), 60),  # weekend
        (at(2026, 3, 9, 8, 30), at(2026, 3, 13, 17, 30), 5 * 420),  # a whole week
        (at(2026, 9, 30, 9, 0), at(2026, 10, 8, 9, 0), 390 + 30),  # over National Day
        (at(2026, 9, 30, 9, 0), at(2026, 10, 12, 9, 0), 390 + 3 * 420 + 30),  # 10-10 worked
        (at(2026, 2, 13, 8, 30), at(2026, 2, 24, 17, 30), 3 * 420),  # 02-13, 02-14, 02-24
        (at(2026, 12, 31, 8, 30), at(2027, 1, 4, 17, 30), 3 * 420),  # 2027 weekends only
        (at(2026, 3, 10, 10, 0), at(2026, 3, 10, 9, 0), 0),  # b before a
    ],
)
def test_working_minutes_between(a, b, minutes):
    assert working_minutes_between(a, b, CAL) == minutes


def test_hours_between():
    assert working_hours_between(at(2026, 3, 10, 9, 0), at(2026, 3, 10, 10, 30), CAL) == 1.5


starts = st.datetimes(
    min_value=datetime(2025, 12, 1), max_value=datetime(2027, 2, 28), timezones=st.just(SH)
).map(lambda d: d.replace(second=0, microsecond=0))


@settings(max_examples=150, deadline=None)
@given(start=starts, minutes=st.integers(min_value=1, max_value=60 * 7 * 15))
def test_between_inverts_add(start, minutes):
    end = add_working_hours(start, minutes / 60, CAL)
    assert end > start
    assert working_minutes_between(start, end, CAL) == minutes
    # the result is inside (or at the end of) a period on a working day
    local = end.astimezone(SH)
    assert is_working_day(local.date(), CAL)
    assert any(a < local.time() <= b for a, b in DEFAULT_SCHEDULE.periods)


def test_schedule_parse_and_validation():
    s = WorkSchedule.parse("09:00-12:00, 13:30-18:00")
    assert s.periods == ((time(9), time(12)), (time(13, 30), time(18)))
    assert s.minutes_per_day == 180 + 270
    assert add_working_hours(at(2026, 3, 10, 11, 30), 1, CAL, s) == at(2026, 3, 10, 14, 0)
    assert DEFAULT_SCHEDULE.minutes_per_day == 420
    for bad in ("", "9-12", "12:00-09:00", "08:00-12:00,11:00-14:00", "x"):
        with pytest.raises(ValueError):
            WorkSchedule.parse(bad)


def test_existing_due_at_unchanged_around_national_day():
    # 5 working days from Tuesday 09-29: 09-30, 10-08, 10-09, 10-10 (Sat, worked), 10-12
    assert due_at(at(2026, 9, 29, 10), days=5, cal=CAL) == at(2026, 10, 12, 17, 30)
    assert due_at(at(2026, 9, 29, 10), hours=2, cal=CAL) == at(2026, 9, 29, 12, 0)
