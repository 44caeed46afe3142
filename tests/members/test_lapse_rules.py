"""Lapse rules (党章 第九条; 党员教育管理工作条例 第二十四条): boundaries and properties."""

import itertools
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tongxin.members.rules import lapse
from tongxin.members.rules.dues import add_months


def months(first: str, n: int) -> list[date]:
    y, m = map(int, first.split("-"))
    return [add_months(date(y, m, 1), i) for i in range(n)]


def labels(ms):
    return None if ms is None else [f"{m:%Y-%m}" for m in ms]


@pytest.mark.parametrize(
    ("unpaid", "today", "expected"),
    [
        # six ended months across the year boundary → flagged, evidence = the run
        (
            months("2025-08", 6),
            date(2026, 2, 1),
            ["2025-08", "2025-09", "2025-10", "2025-11", "2025-12", "2026-01"],
        ),
        # the same months, but January has not ended yet → only five ended months
        (months("2025-08", 6), date(2026, 1, 31), None),
        # five months are not six
        (months("2025-08", 5), date(2026, 6, 1), None),
        # the current month never counts, even if its row is unpaid
        (months("2025-09", 6), date(2026, 2, 15), None),
        (months("2025-09", 6), date(2026, 3, 1), labels(months("2025-09", 6))),
        # seven months: the whole run is the evidence
        (months("2025-01", 7), date(2025, 12, 1), labels(months("2025-01", 7))),
        # two runs: the latest one is reported
        (
            months("2024-01", 6) + months("2024-09", 6),
            date(2025, 6, 1),
            labels(months("2024-09", 6)),
        ),
        # no data → nothing
        ([], date(2026, 1, 1), None),
    ],
)
def test_dues_lapse_table(unpaid, today, expected):
    assert labels(lapse.dues_lapse(unpaid, today=today)) == expected


def test_a_paid_month_breaks_the_run():
    run = months("2025-08", 7)
    del run[3]  # 2025-11 paid
    assert lapse.dues_lapse(run, today=date(2026, 6, 1)) is None


def test_an_exempted_month_is_not_unpaid_and_breaks_the_run():
    # an exemption (amount due 0) means the month is not in the unpaid set at all
    unpaid = [m for m in months("2025-06", 8) if m != date(2025, 9, 1)]
    assert lapse.dues_lapse(unpaid, today=date(2026, 3, 1)) is None
    # without the exemption the same months are a run of eight
    assert len(lapse.dues_lapse(months("2025-06", 8), today=date(2026, 3, 1))) == 8


def test_months_before_admission_do_not_exist():
    unpaid = months("2025-05", 6)  # 2025-05 .. 2025-10
    assert lapse.dues_lapse(unpaid, today=date(2026, 1, 1)) is not None
    assert lapse.dues_lapse(unpaid, today=date(2026, 1, 1), admitted_on=date(2025, 6, 20)) is None
    got = lapse.dues_lapse(unpaid, today=date(2026, 1, 1), admitted_on=date(2025, 5, 31))
    assert labels(got)[0] == "2025-05"


def test_duplicates_and_order_do_not_matter():
    unpaid = [*list(reversed(months("2025-08", 6))), date(2025, 9, 1), date(2025, 9, 17)]
    assert labels(lapse.dues_lapse(unpaid, today=date(2026, 2, 1)))[0] == "2025-08"


@given(
    start=st.dates(min_value=date(2000, 1, 1), max_value=date(2040, 1, 1)),
    length=st.integers(min_value=6, max_value=11),
    data=st.data(),
)
def test_a_paid_month_inside_a_run_of_six_always_removes_the_flag(start, length, data):
    run = months(f"{start:%Y-%m}", 6)
    today = add_months(run[-1], 1)
    assert lapse.dues_lapse(run, today=today) == run
    paid = data.draw(st.integers(min_value=1, max_value=4))  # strictly inside the run
    assert lapse.dues_lapse(run[:paid] + run[paid + 1 :], today=today) is None


@given(st.sets(st.integers(min_value=0, max_value=30)), st.integers(min_value=0, max_value=31))
def test_runs_are_maximal_consecutive_ended_and_long_enough(offsets, now):
    base = date(2024, 1, 1)
    ms = [add_months(base, o) for o in offsets]
    today = add_months(base, now)
    runs = lapse.consecutive_runs(ms, today=today)
    for run in runs:
        assert len(run) >= 6
        assert all(add_months(a, 1) == b for a, b in itertools.pairwise(run))
        assert run[-1] < today.replace(day=1)
        assert add_months(run[0], -1) not in ms
        assert add_months(run[-1], 1) not in ms or add_months(run[-1], 1) >= today


# --- organisational life (plugs in when the meetings app records attendance) ---------------


def test_life_lapse_six_missed_ended_months():
    attended = {date(2025, 7, 1)}
    got = lapse.life_lapse(attended, first_month=date(2025, 3, 1), today=date(2026, 2, 10))
    assert labels(got) == labels(months("2025-08", 6))
    attended.add(date(2025, 11, 12))
    assert lapse.life_lapse(attended, first_month=date(2025, 3, 1), today=date(2026, 2, 10)) is None
    # a member admitted recently cannot have missed months before admission
    assert lapse.life_lapse(set(), first_month=date(2025, 9, 1), today=date(2026, 2, 10)) is None
    assert lapse.life_lapse(set(), first_month=date(2025, 8, 1), today=date(2026, 2, 10))


# --- lost contact ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("since", "today", "expected"),
    [
        (date(2025, 3, 15), date(2025, 9, 14), None),  # the day before six months
        (date(2025, 3, 15), date(2025, 9, 15), "lost_6m"),  # the day of
        (date(2025, 3, 15), date(2025, 9, 16), "lost_6m"),  # the day after
        (date(2025, 3, 15), date(2027, 3, 14), "lost_6m"),  # the day before two years
        (date(2025, 3, 15), date(2027, 3, 15), "lost_2y"),  # the day of
        (date(2025, 3, 15), date(2027, 3, 16), "lost_2y"),  # the day after
        (date(2025, 8, 31), date(2026, 2, 27), None),  # 31 Aug + 6 months = 28 Feb
        (date(2025, 8, 31), date(2026, 2, 28), "lost_6m"),
        (date(2024, 2, 29), date(2026, 2, 27), "lost_6m"),  # 29 Feb + 2 years = 28 Feb
        (date(2024, 2, 29), date(2026, 2, 28), "lost_2y"),
        (None, date(2026, 1, 1), None),
        (date(2026, 5, 1), date(2026, 1, 1), None),  # a date in the future is no evidence
    ],
)
def test_lost_contact_boundaries(since, today, expected):
    assert lapse.lost_contact_kind(since, today=today) == expected


def test_new_evidence_after_a_person_dismissed():
    old = {"months": ["2025-08", "2025-09", "2025-10", "2025-11", "2025-12", "2026-01"]}
    same = dict(old)
    longer = {"months": [*old["months"][1:], "2026-02"]}
    assert not lapse.is_new_evidence("dues", same, old)
    assert lapse.is_new_evidence("dues", longer, old)
    assert not lapse.is_new_evidence("lost_6m", {"since": "2025-01-01"}, {"since": "2025-01-01"})
    assert lapse.is_new_evidence("lost_6m", {"since": "2025-06-01"}, {"since": "2025-01-01"})
