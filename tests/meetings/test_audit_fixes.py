"""Audit fixes of issue 5 (helper H8): far-off datetimes, NUL characters, who sees the
roster, the 24-hour cap on a meeting, sign-in by code outside the window, attendance error
field names."""

import json
from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from tests.core import pdf_text
from tests.meetings.factories import Branch, at, planned
from tongxin.accounts.services import issue_api_token
from tongxin.meetings import services
from tongxin.meetings.models import Attendance, AttendanceStatus, Meeting
from tongxin.meetings.services import MeetingRefused
from tongxin.meetings.visibility import may_see_roster

pytestmark = pytest.mark.django_db

URL = "/api/v1/meetings"


@pytest.fixture
def api(client):
    def call(user, method, url, payload=None):
        headers = {"Accept-Language": "en"}
        if user is not None:
            headers["Authorization"] = f"Bearer {issue_api_token(user=user)}"
        data = None if payload is None else json.dumps(payload)
        return client.generic(
            method, url, data=data, content_type="application/json", headers=headers
        )

    return call


@pytest.fixture
def b():
    return Branch(members=4)


def plan_body(b, starts_at, ends_at):
    return {
        "org_id": b.org.pk,
        "kind": "theme_day",
        "topic": "主题党日",
        "starts_at": starts_at,
        "ends_at": ends_at,
        "notify": False,
    }


def fields_of(response) -> set[str]:
    return {d["field"] for d in response.json().get("detail", [])}


def rules_of(response) -> list[str]:
    return [v["rule"] for v in response.json().get("violations", [])]


# ---------------------------------------------------------------- 1. far-off datetimes


@pytest.mark.parametrize(
    "moment",
    ["9999-12-31T23:00:00-12:00", "0001-01-01T00:00:00+14:00", "1999-12-31T20:00:00+08:00"],
)
def test_create_with_far_off_datetimes_is_422(api, b, moment):
    r = api(b.secretary, "POST", URL, plan_body(b, moment, moment))
    assert r.status_code == 422, r.content
    assert fields_of(r) == {"starts_at", "ends_at"}
    assert not Meeting.objects.filter(org=b.org).exists()


def test_change_to_far_off_datetime_is_422(api, b):
    m = planned(b, starts_at=at(timezone.localdate() + timedelta(days=2)))
    for moment in ("0001-01-01T00:00:00+14:00", "9999-12-31T23:00:00-12:00"):
        r = api(b.secretary, "PATCH", f"{URL}/{m.pk}", {"starts_at": moment})
        assert r.status_code == 422, r.content
        assert fields_of(r) == {"starts_at"}
    assert Meeting.objects.get(pk=m.pk).starts_at == m.starts_at


def test_years_2000_and_2100_are_accepted(b):
    last = planned(b, starts_at=at(date(2100, 12, 31), 9), ends_at=at(date(2100, 12, 31), 11))
    assert last.on == date(2100, 12, 31)
    # 2000 passes the date bound (the branch's members were admitted later: empty roster)
    with pytest.raises(MeetingRefused) as e:
        planned(b, starts_at=at(date(2000, 1, 1), 9))
    assert e.value.rules == ["empty_roster"]
    with pytest.raises(ValidationError) as e:
        planned(b, starts_at=at(date(1999, 12, 31), 9))
    assert set(e.value.message_dict) == {"starts_at"}


# ---------------------------------------------------------------- 2. NUL characters


def test_signin_token_with_nul_is_422_not_500(api, b):
    m = planned(b, starts_at=timezone.now() - timedelta(minutes=5))
    for url in (f"{URL}/signin", f"{URL}/{m.pk}/signin"):
        r = api(b.member_user, "POST", url, {"token": "a\u0000b"})
        assert r.status_code == 422, r.content
        assert fields_of(r) == {"token"}
    assert Attendance.objects.get(meeting=m, member=b.member).status == AttendanceStatus.EXPECTED


def test_plan_page_with_nul_org_is_not_500(client, b):
    client.force_login(b.secretary)
    for query in ("org=%00", "org=a%00b", "org=99999999999999999999"):
        assert client.get(f"/meetings/new/?{query}").status_code == 200


# ---------------------------------------------------------------- 4. who sees the roster


@pytest.fixture
def marked(b):
    """A held meeting: members[0] attended, members[1] on leave with a reason, the member
    user (members[2]) absent."""
    m = planned(b, starts_at=timezone.now() - timedelta(hours=1))
    services.mark_attendance(
        actor=b.secretary,
        meeting=m,
        marks={
            b.members[0].pk: ("attended", ""),
            b.members[1].pk: ("leave", "出差在外地"),
            b.members[2].pk: ("absent", ""),
        },
    )
    return m


def test_the_rule(b, marked):
    assert may_see_roster(b.secretary, marked)
    assert may_see_roster(b.community_admin, marked)
    assert not may_see_roster(b.member_user, marked)


def test_member_page_shows_own_attendance_only(client, b, marked):
    client.force_login(b.member_user)
    body = client.get(f"/meetings/{marked.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f'id="att-{b.member.pk}"' in body
    assert f'id="att-{b.members[1].pk}"' not in body and "出差在外地" not in body
    assert f'id="att-{b.members[0].pk}"' not in body
    client.force_login(b.community_admin)
    body = client.get(f"/meetings/{marked.pk}/").content.decode()
    assert "出差在外地" in body and f'id="att-{b.members[0].pk}"' in body


def test_member_api_shows_own_attendance_only(api, b, marked):
    mine = api(b.member_user, "GET", f"{URL}/{marked.pk}").json()
    assert [a["member_id"] for a in mine["attendance"]] == [b.member.pk]
    assert (mine["attended"], mine["on_leave"]) == (1, 1)
    full = api(b.secretary, "GET", f"{URL}/{marked.pk}").json()
    assert len(full["attendance"]) == len(b.roll)


def test_member_pdf_shows_counts_and_own_line_only(client, b, marked):
    client.force_login(b.member_user)
    r = client.get(f"/meetings/{marked.pk}/pdf/", HTTP_ACCEPT_LANGUAGE="en")
    if r.status_code == 503:
        pytest.skip("no Chinese font installed")
    text = "".join(pdf_text.text(r.content).split())
    assert "出差在外地" not in text and b.members[0].name not in text
    assert "yourattendance" in text.lower()
    client.force_login(b.secretary)
    text = "".join(pdf_text.text(client.get(f"/meetings/{marked.pk}/pdf/").content).split())
    assert "出差在外地" in text and b.members[0].name in text


# ---------------------------------------------------------------- 5. at most 24 hours


def test_plan_24_hours_accepted_24h_1min_refused(b):
    start = at(timezone.localdate() + timedelta(days=3), 8)
    m = planned(b, starts_at=start, ends_at=start + timedelta(hours=24))
    assert m.ends_at - m.starts_at == timedelta(hours=24)
    with pytest.raises(MeetingRefused) as e:
        planned(b, starts_at=start, ends_at=start + timedelta(hours=24, minutes=1))
    assert e.value.rules == ["meeting_too_long"]
    assert "ends_at" in e.value.violations[0].text


def test_api_40_day_meeting_is_refused(api, b):
    start = timezone.localtime(timezone.now() + timedelta(days=2)).replace(microsecond=0)
    r = api(
        b.secretary,
        "POST",
        URL,
        plan_body(b, start.isoformat(), (start + timedelta(days=40)).isoformat()),
    )
    assert r.status_code == 422 and rules_of(r) == ["meeting_too_long"]
    assert "ends_at" in r.json()["violations"][0]["message"]


def test_update_24_hours_boundary(b):
    start = at(timezone.localdate() + timedelta(days=3), 8)
    m = planned(b, starts_at=start)
    m = services.update_meeting(actor=b.secretary, meeting=m, ends_at=start + timedelta(hours=24))
    assert m.ends_at == start + timedelta(hours=24)
    with pytest.raises(MeetingRefused) as e:
        services.update_meeting(
            actor=b.secretary, meeting=m, ends_at=start + timedelta(hours=24, minutes=1)
        )
    assert e.value.rules == ["meeting_too_long"]


# ---------------------------------------------------------------- 6. code outside the window


def test_code_of_own_meeting_outside_window_names_the_window(api, b):
    m = planned(b, starts_at=timezone.now() + timedelta(days=1))
    r = api(b.member_user, "POST", f"{URL}/signin", {"code": m.signin_code})
    assert r.status_code == 422 and rules_of(r) == ["signin_window"]
    opens = timezone.localtime(m.starts_at - timedelta(minutes=30))
    assert f"{opens:%Y-%m-%d %H:%M}" in r.json()["violations"][0]["message"]
    # a closed window (the meeting ended hours ago) is named too
    past = planned(b, starts_at=timezone.now() - timedelta(hours=5))
    r = api(b.member_user, "POST", f"{URL}/signin", {"code": past.signin_code})
    assert rules_of(r) == ["signin_window"]
    # a code of none of the user's meetings stays signin_code
    wrong = next(
        c for c in ("000000", "111111", "222222") if c not in (m.signin_code, past.signin_code)
    )
    r = api(b.member_user, "POST", f"{URL}/signin", {"code": wrong})
    assert rules_of(r) == ["signin_code"]
    r = api(b.outsider_member_user, "POST", f"{URL}/signin", {"code": m.signin_code})
    assert rules_of(r) == ["signin_code"]


def test_signin_page_uses_the_services_window(client, b):
    m = planned(b, starts_at=timezone.now() + timedelta(days=1))
    client.force_login(b.member_user)
    r = client.post("/meetings/signin/", {"code": m.signin_code}, HTTP_ACCEPT_LANGUAGE="en")
    body = r.content.decode()
    assert r.status_code == 422 and 'data-rule="signin_window"' in body
    assert 'id="windows"' not in body  # the page's own workaround is gone


# ---------------------------------------------------------------- 7. attendance error names


def test_api_leave_without_reason_names_index_and_field(api, b):
    m = planned(b, starts_at=timezone.now() - timedelta(minutes=5))
    marks = [
        {"member_id": b.members[0].pk, "status": "attended"},
        {"member_id": b.members[1].pk, "status": "leave"},
        {"member_id": b.members[2].pk, "status": "leave", "leave_reason": "  "},
    ]
    r = api(b.secretary, "POST", f"{URL}/{m.pk}/attendance", {"marks": marks})
    assert r.status_code == 422, r.content
    assert fields_of(r) == {"marks.1.leave_reason", "marks.2.leave_reason"}
    assert Meeting.objects.get(pk=m.pk).attended == 0
