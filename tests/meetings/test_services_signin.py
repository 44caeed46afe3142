"""Sign-in: window boundaries, roster, idempotence, code lookup, cancelled, rate limit (H1)."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError

from tests.meetings.factories import Branch, at, planned
from tongxin.meetings import services
from tongxin.meetings.models import (
    Attendance,
    AttendanceStatus,
    ComplianceSettings,
    MeetingEvent,
    SigninVia,
    State,
)
from tongxin.meetings.services import MeetingRefused

pytestmark = pytest.mark.django_db

T = at(date(2026, 7, 15))  # 19:00–21:00
END = T + timedelta(hours=2)
OPENS = T - timedelta(minutes=30)
CLOSES = END + timedelta(minutes=30)
S = timedelta(seconds=1)


@pytest.fixture
def b():
    return Branch(members=4)


@pytest.fixture
def m(b):
    return planned(b, starts_at=T)


@pytest.mark.parametrize(
    "now,ok",
    [
        (OPENS - S, False),
        (OPENS, True),
        (T, True),
        (CLOSES, True),
        (CLOSES + S, False),
        (T - timedelta(days=1), False),
        (T + timedelta(days=1), False),
    ],
)
def test_window_boundaries(b, m, now, ok):
    if ok:
        row = services.sign_in(user=b.member_user, code=m.signin_code, now=now)
        assert row.status == AttendanceStatus.ATTENDED and row.via == SigninVia.CODE
        m.refresh_from_db()
        assert m.attended == 1
    else:
        with pytest.raises(MeetingRefused) as e:
            services.sign_in(user=b.member_user, token=m.signin_token, now=now)
        assert e.value.rules == ["signin_window"]
        assert "18:30" in e.value.violations[0].text and "21:30" in e.value.violations[0].text


def test_code_outside_the_window_shows_the_window(b, m):
    # the code is one of the user's own meetings: the refusal names its window (audit fix 6)
    with pytest.raises(MeetingRefused) as e:
        services.sign_in(user=b.member_user, code=m.signin_code, now=OPENS - S)
    assert e.value.rules == ["signin_window"]


def test_grace_from_settings(b, m):
    ComplianceSettings.objects.create(pk=1, signin_before_minutes=0, signin_after_minutes=5)
    with pytest.raises(MeetingRefused):
        services.sign_in(user=b.member_user, token=m.signin_token, now=T - S)
    assert services.sign_in(
        user=b.member_user, token=m.signin_token, now=END + timedelta(minutes=5)
    )


def test_qr_token_and_second_sign_in_is_idempotent(b, m):
    row = services.sign_in(user=b.member_user, token=m.signin_token, now=T)
    assert row.via == SigninVia.QR and not row.already
    again = services.sign_in(user=b.member_user, code=m.signin_code, now=T + S)
    assert again.already
    m.refresh_from_db()
    assert m.attended == 1
    assert MeetingEvent.objects.filter(meeting=m, kind="signed_in").count() == 1


def test_non_member_and_member_not_on_roster_refused(b, m):
    with pytest.raises(MeetingRefused) as e:
        services.sign_in(user=b.secretary, token=m.signin_token, now=T)  # no member record
    assert e.value.rules == ["not_on_roster"]
    with pytest.raises(MeetingRefused) as e:
        services.sign_in(user=b.outsider_member_user, token=m.signin_token, now=T)
    assert e.value.rules == ["not_on_roster"]
    with pytest.raises(MeetingRefused) as e:
        services.sign_in(user=b.outsider_member_user, code=m.signin_code, now=T)
    assert e.value.rules == ["signin_code"]
    assert not Attendance.objects.filter(meeting=m, status=AttendanceStatus.ATTENDED).exists()


def test_committee_meeting_member_without_post_not_on_roster(b):
    c = planned(b, starts_at=T, kind="committee_meeting")
    with pytest.raises(MeetingRefused) as e:
        services.sign_in(user=b.member_user, token=c.signin_token, now=T)
    assert e.value.rules == ["not_on_roster"]


def test_cancelled_meeting_refuses(b, m):
    services.cancel_meeting(actor=b.secretary, meeting=m, reason="台风")
    with pytest.raises(MeetingRefused) as e:
        services.sign_in(user=b.member_user, token=m.signin_token, now=T)
    assert e.value.rules == ["meeting_cancelled"]


def test_submitted_meeting_refuses(b, m):
    services.record_held(actor=b.secretary, meeting=m, minutes="x", now=T)
    services.submit_meeting(actor=b.secretary, meeting=m)
    with pytest.raises(MeetingRefused) as e:
        services.sign_in(user=b.member_user, token=m.signin_token, now=T + S)
    assert e.value.rules == ["signin_closed"]


def test_sign_in_after_held_flips_absent_to_attended(b, m):
    services.record_held(actor=b.secretary, meeting=m, minutes="x", now=T)
    services.sign_in(user=b.member_user, code=m.signin_code, now=T + S)
    m.refresh_from_db()
    assert m.state == State.HELD and m.attended == 1


def test_same_code_two_meetings_picks_the_users_open_one(b, m):
    other = Branch(b.district, members=3)
    o = planned(other, starts_at=T)
    o.signin_code = m.signin_code
    o.save(update_fields=["signin_code"])
    services.sign_in(user=other.member_user, code=m.signin_code, now=T)
    assert Attendance.objects.get(meeting=o, member=other.member).status == "attended"
    assert not Attendance.objects.filter(meeting=m, status="attended").exists()


def test_code_must_be_six_digits(b, m):
    for bad in ("12345", "abcdef", 123456, "1234567"):
        with pytest.raises(ValidationError):
            services.sign_in(user=b.member_user, code=bad, now=T)


def test_code_guesses_are_rate_limited(b, m):
    wrong = "000000" if m.signin_code != "000000" else "111111"
    for _ in range(10):
        with pytest.raises(MeetingRefused):
            services.sign_in(user=b.member_user, code=wrong, now=T)
    with pytest.raises(MeetingRefused) as e:
        services.sign_in(user=b.member_user, code=m.signin_code, now=T)
    assert e.value.rules == ["signin_rate"]


def test_leave_then_sign_in(b, m):
    services.mark_attendance(
        actor=b.secretary, meeting=m, marks={b.member.pk: ("leave", "出差")}, now=T
    )
    services.sign_in(user=b.member_user, code=m.signin_code, now=T)
    m.refresh_from_db()
    assert (m.attended, m.on_leave) == (1, 0)
