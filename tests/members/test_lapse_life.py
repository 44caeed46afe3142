"""The LIFE kind of the daily lapse scan (党章 第九条; DOMAIN.md §4.2): six consecutive ended
months in which a member was on a held meeting's roster and neither attended nor was on
leave. A month with no meeting for them, an excused month or an attended month breaks a run."""

from datetime import date

import pytest

from tests.meetings.factories import Branch, meeting
from tongxin.meetings.models import Attendance, AttendanceStatus, Kind, State
from tongxin.members.models import LapseFlag
from tongxin.members.rules.dues import add_months
from tongxin.members.services import lapse as service

TODAY = date(2026, 2, 10)  # last ended month: 2026-01
A, L, X = AttendanceStatus.ATTENDED, AttendanceStatus.LEAVE, AttendanceStatus.ABSENT


@pytest.fixture
def b(district):
    return Branch(district, members=3, has_committee=False)


def months(first: date, n: int) -> list[date]:
    return [add_months(first, i) for i in range(n)]


def life(b, member, marks: dict[date, str], *, state=State.APPROVED):
    """One theme day per month (on the 12th) with the member's row as marked."""
    for month, status in marks.items():
        m = meeting(b, kind=Kind.THEME_DAY, on=month.replace(day=12), state=state)
        Attendance.objects.create(meeting=m, member=member, status=status)


def flags():
    return {
        (f.member_id, tuple(f.evidence["months"]))
        for f in LapseFlag.objects.filter(state="open", kind="life")
    }


SIX = months(date(2025, 8, 1), 6)  # 2025-08 .. 2026-01


def test_six_missed_months_raise_a_flag(b):
    m = b.members[0]
    life(b, m, dict.fromkeys(SIX, X))
    result = service.run_detection(today=TODAY)
    assert flags() == {(m.pk, ("2025-08", "2025-09", "2025-10", "2025-11", "2025-12", "2026-01"))}
    assert result["roster_rows"] == 6 and result["created"] == 1
    again = service.run_detection(today=TODAY)
    assert (again["created"], again["updated"], again["closed"]) == (0, 0, 0)


def test_five_missed_months_do_not(b):
    life(b, b.members[0], dict.fromkeys(SIX[1:], X))
    service.run_detection(today=TODAY)
    assert flags() == set()


@pytest.mark.parametrize("breaker", [L, A, None], ids=["excused", "attended", "no_meeting"])
def test_a_month_not_missed_breaks_the_run(b, breaker):
    m = b.members[0]
    eight = months(date(2025, 6, 1), 8)  # 2025-06 .. 2026-01, 2025-10 in the middle
    marks = dict.fromkeys(eight, X)
    if breaker is None:
        del marks[date(2025, 10, 1)]
    else:
        marks[date(2025, 10, 1)] = breaker
    life(b, m, marks)
    service.run_detection(today=TODAY)
    assert flags() == set()


def test_an_earlier_run_in_the_window_is_flagged(b):
    """A run of six that ended before the last month still counts (as for dues)."""
    m = b.members[0]
    marks = dict.fromkeys(months(date(2025, 3, 1), 6), X)  # 2025-03 .. 2025-08
    marks[date(2025, 9, 1)] = A
    life(b, m, marks)
    service.run_detection(today=TODAY)
    assert flags() == {(m.pk, ("2025-03", "2025-04", "2025-05", "2025-06", "2025-07", "2025-08"))}


@pytest.mark.parametrize(
    ("today", "flagged"),
    [(date(2026, 1, 31), False), (date(2026, 2, 1), True), (date(2026, 2, 2), True)],
)
def test_the_sixth_month_counts_once_it_has_ended(b, today, flagged):
    life(b, b.members[0], dict.fromkeys(SIX, X))
    service.run_detection(today=today)
    assert bool(flags()) is flagged


def test_the_current_month_is_not_judged(b):
    life(b, b.members[0], dict.fromkeys(months(date(2025, 9, 1), 6), X))  # .. 2026-02
    service.run_detection(today=TODAY)
    assert flags() == set()


@pytest.mark.parametrize("state", [State.PLANNED, State.CANCELLED])
def test_meetings_not_held_do_not_count(b, state):
    life(b, b.members[0], dict.fromkeys(SIX, X), state=state)
    service.run_detection(today=TODAY)
    assert flags() == set()


def test_unrecorded_attendance_is_not_held_against_anyone(b):
    life(b, b.members[0], dict.fromkeys(SIX, AttendanceStatus.EXPECTED), state=State.HELD)
    service.run_detection(today=TODAY)
    assert flags() == set()


def test_months_before_admission_are_not_judged(b):
    m = b.members[0]
    m.admitted_on = date(2025, 9, 15)
    m.save(update_fields=["admitted_on"])
    life(b, m, dict.fromkeys(SIX, X))
    service.run_detection(today=TODAY)
    assert flags() == set()


def test_members_not_in_good_standing_are_skipped(b):
    m = b.members[0]
    m.status = "lapsed"
    m.save(update_fields=["status"])
    life(b, m, dict.fromkeys(SIX, X))
    service.run_detection(today=TODAY)
    assert flags() == set()


def test_flag_closes_when_attendance_is_corrected(b):
    m = b.members[0]
    life(b, m, dict.fromkeys(SIX, X))
    service.run_detection(today=TODAY)
    Attendance.objects.filter(member=m, meeting__on=date(2025, 11, 12)).update(status=L)
    result = service.run_detection(today=TODAY)
    assert result["closed"] == 1 and flags() == set()
    flag = LapseFlag.objects.get(member=m, kind="life")
    assert flag.state == "dismissed" and flag.evidence["auto_closed"] == TODAY.isoformat()


def test_a_dismissed_flag_is_not_raised_again_for_the_same_months(b):
    m = b.members[0]
    life(b, m, dict.fromkeys(SIX, X))
    service.run_detection(today=TODAY)
    flag = LapseFlag.objects.get(member=m, kind="life")
    service.dismiss_flag(actor=b.secretary, flag=flag, reason="外出务工，已联系")
    result = service.run_detection(today=TODAY)
    assert result["suppressed"] == 1 and flags() == set()


def test_scan_stays_set_based(district, django_assert_max_num_queries):
    b = Branch(district, members=6, has_committee=False)
    for m in b.members:
        life(b, m, dict.fromkeys(SIX, X))
    with django_assert_max_num_queries(11):
        result = service.run_detection(today=TODAY)
    assert result["created"] == 6 and result["roster_rows"] == 36
