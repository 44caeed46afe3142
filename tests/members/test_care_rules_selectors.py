"""Care lists: elderly age, 50 years in the party, political birthdays (29 February)."""

import calendar
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.member_factories import make_member
from tongxin.members.rules.registry import add_years, age_on
from tongxin.members.selectors import care as selectors

DATES = st.dates(min_value=date(1930, 1, 1), max_value=date(2060, 12, 31))


@given(DATES, DATES)
def test_fifty_year_cutoff_agrees_with_the_anniversary(admitted, today):
    assert (admitted <= selectors.reached_cutoff(today, 50)) == (add_years(admitted, 50) <= today)


@given(DATES, DATES, st.integers(min_value=60, max_value=100))
def test_age_cutoff_agrees_with_age_on(birth, today, age):
    assert (birth <= selectors.age_cutoff(today, age)) == (age_on(birth, today) >= age)


@pytest.mark.parametrize(
    ("admitted", "year", "expected"),
    [
        (date(1976, 2, 29), 2026, date(2026, 2, 28)),
        (date(1976, 2, 29), 2028, date(2028, 2, 29)),
        (date(1980, 7, 1), 2026, date(2026, 7, 1)),
    ],
)
def test_anniversary(admitted, year, expected):
    assert selectors.anniversary(admitted, year) == expected


def names(rows):
    return [r.member.name for r in rows]


def test_fifty_years_day_before_of_after(district):
    d = district
    make_member(
        d.branch_a1, name="五十年", admitted_on=date(1976, 3, 15), birth_date=date(1950, 1, 1)
    )
    for today, expected in (
        (date(2026, 3, 14), []),
        (date(2026, 3, 15), ["五十年"]),
        (date(2026, 3, 16), ["五十年"]),
    ):
        rows, _next = selectors.long_standing_members(d.community_admin, today=today)
        assert names(rows) == expected, today
    rows, _next = selectors.long_standing_members(d.community_admin, today=date(2026, 3, 15))
    assert rows[0].on == date(2026, 3, 15) and rows[0].years == 50


def test_fifty_years_for_a_29_february_admission(district):
    d = district
    make_member(
        d.branch_a1, name="闰日", admitted_on=date(1976, 2, 29), birth_date=date(1950, 1, 1)
    )
    rows, _next = selectors.long_standing_members(d.community_admin, today=date(2026, 2, 27))
    assert rows == []
    rows, _next = selectors.long_standing_members(d.community_admin, today=date(2026, 2, 28))
    assert names(rows) == ["闰日"] and rows[0].on == date(2026, 2, 28) and rows[0].years == 50


def test_elderly_age_boundary(district, settings):
    d = district
    make_member(
        d.branch_a1, name="八十", birth_date=date(1946, 5, 20), admitted_on=date(1970, 1, 1)
    )
    for today, expected in (
        (date(2026, 5, 19), []),
        (date(2026, 5, 20), ["八十"]),
        (date(2026, 5, 21), ["八十"]),
    ):
        rows, _next = selectors.elderly_members(d.community_admin, today=today)
        assert names(rows) == expected, today
    rows, _next = selectors.elderly_members(d.community_admin, today=date(2026, 5, 20))
    assert rows[0].years == 80
    settings.TONGXIN = {**settings.TONGXIN, "ELDERLY_AGE": 85}
    rows, _next = selectors.elderly_members(d.community_admin, today=date(2026, 5, 21))
    assert rows == []


def test_political_birthdays_of_a_month(district):
    d = district
    make_member(d.branch_a1, name="二月一日", admitted_on=date(2001, 2, 1))
    make_member(d.branch_a1, name="闰日入党", admitted_on=date(2004, 2, 29))
    make_member(d.branch_a1, name="三月", admitted_on=date(2001, 3, 1))
    make_member(d.branch_a1, name="今年二月", admitted_on=date(2026, 2, 3))
    make_member(d.branch_a1, name="已出党", admitted_on=date(2001, 2, 5), status="lapsed")
    make_member(d.branch_b1, name="外社区", admitted_on=date(2001, 2, 6))
    rows, _next = selectors.political_birthdays(d.community_admin, year=2026, month=2)
    assert names(rows) == ["二月一日", "闰日入党"]
    assert [(r.on, r.years) for r in rows] == [(date(2026, 2, 1), 25), (date(2026, 2, 28), 22)]
    rows, _next = selectors.political_birthdays(d.community_admin, year=2028, month=2)
    assert [r.on for r in rows] == [date(2028, 2, 1), date(2028, 2, 3), date(2028, 2, 29)]
    assert calendar.isleap(2028)


def test_birthday_pages_follow_the_cursor(district, django_assert_max_num_queries):
    d = district
    for day in range(1, 8):
        make_member(d.branch_a1, name=f"七月{day}", admitted_on=date(2000, 7, day))
    seen, cursor = [], None
    while True:
        with django_assert_max_num_queries(2):
            rows, cursor = selectors.political_birthdays(
                d.community_admin, year=2026, month=7, after=cursor, limit=3
            )
        seen += names(rows)
        if not cursor:
            break
    assert seen == [f"七月{day}" for day in range(1, 8)]


def test_elderly_pages_follow_the_cursor(district):
    d = district
    for i in range(5):
        make_member(d.branch_a1, name=f"老{i}", birth_date=date(1930, 1, 1 + i // 2))
    seen, cursor = [], None
    while True:
        rows, cursor = selectors.elderly_members(
            d.community_admin, today=date(2026, 1, 1), after=cursor, limit=2
        )
        seen += names(rows)
        if not cursor:
            break
    assert sorted(seen) == [f"老{i}" for i in range(5)] and len(set(seen)) == 5


def test_other_scopes_and_members_see_nothing(district):
    d = district
    make_member(
        d.branch_a1, name="老党员", birth_date=date(1930, 1, 1), admitted_on=date(1950, 1, 1)
    )
    assert selectors.elderly_members(d.other_community, today=date(2026, 1, 1))[0] == []
    assert selectors.long_standing_members(d.other_community, today=date(2026, 1, 1))[0] == []
    assert names(selectors.elderly_members(d.secretary, today=date(2026, 1, 1))[0]) == ["老党员"]
