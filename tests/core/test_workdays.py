"""Working-day arithmetic on the official calendar (core/workdays.py, DOMAIN.md §8.4).

Calendar facts used below, from the General Office of the State Council's notices as carried
by the chinese-calendar package (checked against it in `test_package_matches_the_notices`):

- 《国务院办公厅关于2025年部分节假日安排的通知》(国办发明电〔2024〕12号): National Day and
  Mid-autumn, 2025-10-01 (Wed) to 10-08 (Wed) off; Sunday 09-28 and Saturday 10-11 worked.
- 《国务院办公厅关于2026年部分节假日安排的通知》: Spring Festival 2026-02-15 (Sun) to 02-23
  (Mon) off; Saturday 02-14 and Saturday 02-28 worked.
"""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tongxin.core.workdays import (
    Calendar,
    add_working_days,
    due_at,
    is_working_day,
    missing_years,
    working_days_between,
)

SH = ZoneInfo("Asia/Shanghai")
PACKAGE_YEARS = frozenset(d.year for d in chinese_calendar.holidays)
CAL = Calendar(
    holidays=set(chinese_calendar.holidays),
    workdays=set(chinese_calendar.workdays),
    loaded_years=PACKAGE_YEARS,
)
D = date.fromisoformat


def test_package_matches_the_notices():
    national_day = [D("2025-10-01") + timedelta(days=i) for i in range(8)]
    spring_2026 = [D("2026-02-15") + timedelta(days=i) for i in range(9)]
    for d in national_day + spring_2026:
        assert d in CAL.holidays, d
    for d in ["2025-09-28", "2025-10-11", "2026-02-14", "2026-02-28"]:
        assert D(d) in CAL.workdays, d
        assert D(d).weekday() >= 5
    assert D("2025-09-30") not in CAL.holidays
    assert D("2025-10-09") not in CAL.holidays
    assert D("2026-02-24") not in CAL.holidays
    assert max(PACKAGE_YEARS) == 2026


@pytest.mark.parametrize(
    ("day", "working"),
    [
        ("2025-09-27", False),  # Saturday
        ("2025-09-28", True),  # Sunday, adjusted workday
        ("2025-09-29", True),
        ("2025-09-30", True),  # day before the holiday
        ("2025-10-01", False),  # first day of the holiday (Wednesday)
        ("2025-10-06", False),  # Mid-autumn, Monday
        ("2025-10-08", False),  # last day of the holiday (Wednesday)
        ("2025-10-09", True),  # day after
        ("2025-10-10", True),
        ("2025-10-11", True),  # Saturday, adjusted workday
        ("2025-10-12", False),  # Sunday
        ("2026-02-13", True),  # Friday before Spring Festival
        ("2026-02-14", True),  # Saturday, adjusted workday
        ("2026-02-15", False),  # first day (Sunday)
        ("2026-02-16", False),  # Monday, holiday
        ("2026-02-23", False),  # last day (Monday)
        ("2026-02-24", True),  # day after
        ("2026-02-28", True),  # Saturday, adjusted workday
        ("2026-03-01", False),  # Sunday
    ],
)
def test_is_working_day(day, working):
    assert is_working_day(D(day), CAL) is working


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        # National Day 2025
        ("2025-09-26", 1, "2025-09-28"),  # Friday → the adjusted Sunday
        ("2025-09-27", 1, "2025-09-28"),  # from a Saturday, the adjusted Sunday is day 1
        ("2025-09-28", 1, "2025-09-29"),  # start on an adjusted workday
        ("2025-09-28", 3, "2025-10-09"),
        ("2025-09-30", 1, "2025-10-09"),  # day before: the holiday is skipped
        ("2025-09-30", 5, "2025-10-14"),  # 10-09, 10-10, 10-11 (Sat), 10-13, 10-14
        ("2025-10-01", 1, "2025-10-09"),  # first day of the holiday
        ("2025-10-08", 1, "2025-10-09"),  # last day of the holiday
        ("2025-10-09", 1, "2025-10-10"),  # day after
        ("2025-10-10", 1, "2025-10-11"),  # Friday → the adjusted Saturday
        ("2025-10-11", 1, "2025-10-13"),  # start on an adjusted Saturday; Sunday is off
        # Spring Festival 2026
        ("2026-02-12", 5, "2026-02-26"),  # 02-13, 02-14 (Sat), 02-24, 02-25, 02-26
        ("2026-02-13", 1, "2026-02-14"),
        ("2026-02-14", 1, "2026-02-24"),  # adjusted Saturday straight over the holiday
        ("2026-02-15", 1, "2026-02-24"),
        ("2026-02-23", 1, "2026-02-24"),
        ("2026-02-13", 6, "2026-02-28"),  # ... 02-27, then the adjusted Saturday
        # n = 0: the start itself if it is a working day, else the next working day
        ("2025-09-30", 0, "2025-09-30"),
        ("2025-09-28", 0, "2025-09-28"),
        ("2025-10-01", 0, "2025-10-09"),
        ("2026-02-15", 0, "2026-02-24"),
    ],
)
def test_add_working_days(start, n, expected):
    assert add_working_days(D(start), n, CAL) == D(expected)


def test_negative_n_refused():
    with pytest.raises(ValueError):
        add_working_days(D("2025-10-01"), -1, CAL)


def test_demand_filed_on_2025_09_30_with_five_working_days():
    filed = datetime(2025, 9, 30, 10, 0, tzinfo=SH)
    assert due_at(filed, days=5, cal=CAL) == datetime(2025, 10, 14, 17, 30, tzinfo=SH)


def test_due_at_counts_in_shanghai_time():
    # 2025-09-29 17:00 UTC is already 2025-09-30 01:00 in Shanghai
    filed = datetime(2025, 9, 29, 17, 0, tzinfo=UTC)
    due = due_at(filed, days=5, cal=CAL)
    assert due == datetime(2025, 10, 14, 17, 30, tzinfo=SH)
    assert due.tzinfo is not None
    assert due.utcoffset() == timedelta(hours=8)


def test_due_at_received_on_a_holiday_starts_from_the_next_working_day():
    # received during the holiday: 10-09 is day 1
    filed = datetime(2025, 10, 3, 15, 0, tzinfo=SH)
    assert due_at(filed, days=1, cal=CAL) == datetime(2025, 10, 9, 17, 30, tzinfo=SH)
    assert due_at(filed, days=0, cal=CAL) == datetime(2025, 10, 9, 17, 30, tzinfo=SH)
    # Saturday 2026-02-21 (inside the Spring Festival): 02-24 is day 1
    filed = datetime(2026, 2, 21, 9, 0, tzinfo=SH)
    assert due_at(filed, days=3, cal=CAL) == datetime(2026, 2, 26, 17, 30, tzinfo=SH)


def test_due_at_on_an_adjusted_workday():
    filed = datetime(2025, 9, 28, 11, 0, tzinfo=SH)  # Sunday, worked
    assert due_at(filed, days=0, cal=CAL) == datetime(2025, 9, 28, 17, 30, tzinfo=SH)
    assert due_at(filed, days=2, cal=CAL) == datetime(2025, 9, 30, 17, 30, tzinfo=SH)


def test_due_at_work_end_is_configurable():
    filed = datetime(2025, 9, 30, 10, 0, tzinfo=SH)
    due = due_at(filed, days=1, cal=CAL, work_end=time(18, 0))
    assert due == datetime(2025, 10, 9, 18, 0, tzinfo=SH)


def test_due_at_hours_are_clock_hours_through_holidays():
    filed = datetime(2025, 10, 1, 23, 0, tzinfo=SH)
    assert due_at(filed, hours=2, cal=CAL) == datetime(2025, 10, 2, 1, 0, tzinfo=SH)
    assert due_at(filed, hours=24, cal=CAL) == datetime(2025, 10, 2, 23, 0, tzinfo=SH)
    utc_start = datetime(2025, 10, 1, 0, 0, tzinfo=UTC)
    assert due_at(utc_start, hours=1.5, cal=CAL) == datetime(2025, 10, 1, 9, 30, tzinfo=SH)


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"days": 1, "hours": 2}, {"days": -1}, {"hours": -1}],
)
def test_due_at_refuses_bad_limits(kwargs):
    with pytest.raises(ValueError):
        due_at(datetime(2025, 9, 30, 10, 0, tzinfo=SH), cal=CAL, **kwargs)


def test_due_at_refuses_a_naive_start():
    with pytest.raises(ValueError, match="aware"):
        due_at(datetime(2025, 9, 30, 10, 0), days=1, cal=CAL)


def test_year_without_data_falls_back_to_weekends_and_is_reported():
    assert 2027 not in PACKAGE_YEARS
    assert missing_years(CAL, D("2026-12-01"), D("2027-01-31")) == [2027]
    assert missing_years(CAL, 2025, 2026) == []
    assert missing_years(CAL, 2026, 2028) == [2027, 2028]
    # 2027-01-01 is a Friday: without the 2027 notice it counts as a working day
    assert is_working_day(D("2027-01-01"), CAL)
    assert not is_working_day(D("2027-01-02"), CAL)
    assert add_working_days(D("2026-12-31"), 1, CAL) == D("2027-01-01")
    assert add_working_days(D("2026-12-31"), 2, CAL) == D("2027-01-04")
    filed = datetime(2026, 12, 28, 10, 0, tzinfo=SH)
    assert due_at(filed, days=5, cal=CAL) == datetime(2027, 1, 4, 17, 30, tzinfo=SH)


def test_empty_calendar_is_monday_to_friday():
    empty = Calendar()
    assert missing_years(empty, 2025, 2025) == [2025]
    assert not is_working_day(D("2025-09-28"), empty)  # a Sunday, nothing adjusted
    assert is_working_day(D("2025-10-01"), empty)
    assert add_working_days(D("2025-09-26"), 1, empty) == D("2025-09-29")


def test_calendar_is_immutable_and_refuses_contradictions():
    cal = Calendar(holidays=[D("2025-10-01")], workdays=[], loaded_years=[2025])
    assert cal.holidays == frozenset({D("2025-10-01")})
    with pytest.raises(AttributeError):
        cal.holidays = frozenset()  # type: ignore[misc]
    with pytest.raises(ValueError):
        Calendar(holidays={D("2025-09-28")}, workdays={D("2025-09-28")})


def test_working_days_between():
    assert working_days_between(D("2025-09-30"), D("2025-10-14"), CAL) == 5
    assert working_days_between(D("2025-10-01"), D("2025-10-08"), CAL) == 0
    assert working_days_between(D("2025-10-14"), D("2025-09-30"), CAL) == 0


days_strategy = st.dates(min_value=date(2004, 1, 1), max_value=date(2028, 12, 31))


@given(start=days_strategy, n=st.integers(min_value=0, max_value=60))
def test_result_is_a_working_day_and_strictly_increasing(start, n):
    result = add_working_days(start, n, CAL)
    assert is_working_day(result, CAL)
    assert result >= start
    if n >= 1:
        assert result > start
        assert working_days_between(start, result, CAL) == n
    following = add_working_days(start, n + 1, CAL)
    if n >= 1 or is_working_day(start, CAL):
        assert following > result
    else:
        # from a non-working day, day 0 and day 1 are both the next working day
        assert following == result


@given(
    start=st.datetimes(
        min_value=datetime(2004, 1, 1), max_value=datetime(2028, 12, 1), timezones=st.just(SH)
    ),
    days=st.integers(min_value=0, max_value=30),
    later=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=10)),
)
def test_due_at_is_a_working_day_end_and_never_earlier_for_a_later_start(start, days, later):
    due = due_at(start, days=days, cal=CAL)
    assert is_working_day(due.date(), CAL)
    assert due.timetz().replace(tzinfo=None) == time(17, 30)
    assert due.date() >= start.date()
    assert due_at(start + later, days=days, cal=CAL) >= due
