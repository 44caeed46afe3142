"""/api/v1/meetings: contract, scoping (404/403), rule refusals (422), stale versions (409)."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.meetings.factories import Branch, at, meeting, planned
from tongxin.accounts.services import issue_api_token
from tongxin.meetings.models import Meeting, State

pytestmark = pytest.mark.django_db

URL = "/api/v1/meetings"


@pytest.fixture
def api(client):
    def call(user, method, url, payload=None, raw=None):
        headers = {"Accept-Language": "en"}
        if user is not None:
            headers["Authorization"] = f"Bearer {issue_api_token(user=user)}"
        data = raw if raw is not None else (None if payload is None else json.dumps(payload))
        return client.generic(
            method, url, data=data, content_type="application/json", headers=headers
        )

    return call


@pytest.fixture
def b():
    return Branch(members=4)


def now_meeting(b, **kw):
    """A meeting that started ten minutes ago: sign-in open, can be recorded held."""
    start = timezone.now() - timedelta(minutes=10)
    return planned(b, starts_at=start, **kw)


def body(b, **over):
    start = timezone.localtime(timezone.now() + timedelta(days=2)).replace(microsecond=0)
    data = {
        "org_id": b.org.pk,
        "kind": "theme_day",
        "topic": "主题党日：学习党章",
        "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(hours=2)).isoformat(),
        "place": "社区党群服务中心",
        "host_id": b.members[0].pk,
        "notify": False,
    }
    data.update(over)
    return {k: v for k, v in data.items() if v is not None}


def test_create_returns_201_with_roster(api, b):
    r = api(b.secretary, "POST", URL, body(b))
    assert r.status_code == 201, r.content
    data = r.json()
    assert data["state"] == "planned" and data["should_attend"] == 4
    assert len(data["attendance"]) == 4 and data["may_manage"] and not data["may_review"]
    assert len(data["signin_code"]) == 6


def test_create_bad_input_names_the_field(api, b):
    cases = [
        ({"kind": "party"}, "kind"),
        ({"topic": ""}, "topic"),
        ({"starts_at": "2026-07-15T19:00:00"}, "starts_at"),
        ({"starts_at": "tomorrow"}, "starts_at"),
        ({"host_id": b.outsider_member.pk}, "host_id"),
        ({"party_group_id": 99999}, "party_group_id"),
        ({"surprise": 1}, "surprise"),
        ({"participants": "x"}, "participants"),
    ]
    for over, field in cases:
        r = api(b.secretary, "POST", URL, body(b, **over))
        assert r.status_code == 422, (over, r.content)
        assert field in [d["field"] for d in r.json()["detail"]], (over, r.json())
    assert not Meeting.objects.exists()
    r = api(b.secretary, "POST", URL, raw="[1,2")
    assert r.status_code in (400, 422)


def test_create_rule_refusals(api):
    b = Branch(members=3, has_committee=False)
    r = api(b.secretary, "POST", URL, body(b, kind="committee_meeting"))
    assert r.status_code == 422
    assert r.json()["violations"][0]["rule"] == "no_committee"
    start = timezone.now() + timedelta(days=2)
    r = api(
        b.secretary, "POST", URL, body(b, ends_at=start.isoformat(), starts_at=start.isoformat())
    )
    assert r.json()["violations"][0]["rule"] == "meeting_order"


def test_create_scoping(api, b):
    assert api(b.outsider, "POST", URL, body(b)).status_code == 404
    assert api(b.member_user, "POST", URL, body(b)).status_code == 404
    assert api(None, "POST", URL, body(b)).status_code == 401


def test_detail_scoping(api, b):
    m = planned(b, starts_at=at(timezone.localdate() + timedelta(days=1)))
    url = f"{URL}/{m.pk}"
    assert api(b.secretary, "GET", url).status_code == 200
    assert api(b.community_admin, "GET", url).json()["may_review"]
    mine = api(b.member_user, "GET", url)
    assert mine.status_code == 200 and mine.json()["signin_code"] is None
    # a plain member sees their own attendance only (meetings.visibility)
    assert [a["member_id"] for a in mine.json()["attendance"]] == [b.member.pk]
    assert api(b.outsider, "GET", url).status_code == 404
    assert api(b.outsider_member_user, "GET", url).status_code == 404
    assert api(b.secretary, "GET", f"{URL}/99999999").status_code == 404


def test_list_filters_cursor_and_queries(api, b, django_assert_max_num_queries):
    for day in range(1, 8):
        meeting(b, on=timezone.localdate().replace(day=1) - timedelta(days=day * 10))
    other = meeting(b.district.branch_b1)  # another street
    with django_assert_max_num_queries(8):
        r = api(b.secretary, "GET", f"{URL}?limit=3")
    assert r.status_code == 200
    page = r.json()
    assert len(page["items"]) == 3 and page["next"]
    seen = [i["id"] for i in page["items"]]
    while page["next"]:
        page = api(b.secretary, "GET", f"{URL}?limit=3&cursor={page['next']}").json()
        seen += [i["id"] for i in page["items"]]
    assert len(seen) == len(set(seen)) == 7
    everything = api(b.community_admin, "GET", URL).json()["items"]
    assert len(everything) == 7  # the other branch is under another community
    assert len(api(b.district_admin, "GET", URL).json()["items"]) == 8
    assert [i["id"] for i in api(b.outsider, "GET", URL).json()["items"]] == [other.pk]
    assert api(b.secretary, "GET", f"{URL}?period=2026-Q9").status_code == 422
    assert api(b.secretary, "GET", f"{URL}?cursor=garbage").status_code == 422
    assert api(b.secretary, "GET", f"{URL}?kind=nope").status_code == 422
    assert api(b.secretary, "GET", f"{URL}?state=approved&kind=theme_day").status_code == 200


def test_list_period_filter(api, b):
    meeting(b, on=timezone.localdate().replace(month=7, day=15, year=2026))
    meeting(b, on=timezone.localdate().replace(month=6, day=30, year=2026))
    assert len(api(b.secretary, "GET", f"{URL}?period=2026-Q3").json()["items"]) == 1
    assert len(api(b.secretary, "GET", f"{URL}?period=2026-06").json()["items"]) == 1
    assert len(api(b.secretary, "GET", f"{URL}?period=2026").json()["items"]) == 2


def test_member_sees_only_own_roster_meetings(api, b):
    mine = now_meeting(b)
    committee = now_meeting(b, kind="committee_meeting")  # member 2 has no post
    items = api(b.member_user, "GET", URL).json()["items"]
    assert [i["id"] for i in items] == [mine.pk]
    assert api(b.member_user, "GET", f"{URL}/{committee.pk}").status_code == 404


def test_patch_and_stale_version(api, b):
    m = planned(b, starts_at=at(timezone.localdate() + timedelta(days=1)))
    url = f"{URL}/{m.pk}"
    r = api(b.secretary, "PATCH", url, {"version": 1, "topic": "改后的主题"})
    assert r.status_code == 200 and r.json()["topic"] == "改后的主题" and r.json()["version"] == 2
    r = api(b.secretary, "PATCH", url, {"version": 1, "topic": "again"})
    assert r.status_code == 409 and r.json()["version"] == 2
    assert api(b.secretary, "PATCH", url, {"kind": "study"}).status_code == 422
    assert api(b.member_user, "PATCH", url, {"topic": "x"}).status_code == 403
    assert api(b.outsider, "PATCH", url, {"topic": "x"}).status_code == 404


def test_signin_by_code_and_by_id(api, b):
    m = now_meeting(b)
    r = api(b.member_user, "POST", f"{URL}/signin", {"code": m.signin_code})
    assert r.status_code == 200, r.content
    assert r.json()["meeting_id"] == m.pk and not r.json()["already"]
    r = api(b.member_user, "POST", f"{URL}/{m.pk}/signin", {"code": m.signin_code})
    assert r.json()["already"] and r.json()["message"] == "You had already signed in."
    m.refresh_from_db()
    assert m.attended == 1
    r = api(b.outsider_member_user, "POST", f"{URL}/signin", {"code": m.signin_code})
    assert r.status_code == 422 and r.json()["violations"][0]["rule"] == "signin_code"
    r = api(b.outsider_member_user, "POST", f"{URL}/signin", {"token": m.signin_token})
    assert r.status_code == 422 and r.json()["violations"][0]["rule"] == "not_on_roster"
    assert (
        api(b.outsider_member_user, "POST", f"{URL}/{m.pk}/signin", {"code": "1"}).status_code
        == 404
    )
    r = api(b.member_user, "POST", f"{URL}/signin", {})
    assert r.status_code == 422 and r.json()["detail"][0]["field"] == "code"
    r = api(b.member_user, "POST", f"{URL}/signin", {"code": "12ab56"})
    assert r.status_code == 422 and r.json()["detail"][0]["field"] == "code"


def test_signin_outside_window(api, b):
    m = planned(b, starts_at=timezone.now() + timedelta(hours=2))
    r = api(b.member_user, "POST", f"{URL}/{m.pk}/signin", {"token": m.signin_token})
    assert r.status_code == 422
    v = r.json()["violations"][0]
    assert v["rule"] == "signin_window" and "open from" in v["message"]


def test_full_chain_over_the_api(api, b):
    m = now_meeting(b)
    url = f"{URL}/{m.pk}"
    marks = [
        {"member_id": b.members[0].pk, "status": "attended"},
        {"member_id": b.members[1].pk, "status": "leave", "leave_reason": "出差"},
    ]
    r = api(b.secretary, "POST", f"{url}/attendance", {"marks": marks})
    assert r.status_code == 200 and r.json()["attended"] == 1 and r.json()["on_leave"] == 1
    r = api(
        b.secretary,
        "POST",
        f"{url}/attendance",
        {"marks": [{"member_id": b.outsider_member.pk, "status": "attended"}]},
    )
    assert r.status_code == 422 and r.json()["violations"][0]["rule"] == "attendance_above_roster"
    r = api(
        b.secretary,
        "POST",
        f"{url}/attendance",
        {"marks": [{"member_id": b.members[2].pk, "status": "leave"}]},
    )
    assert r.status_code == 422 and "marks." in r.json()["detail"][0]["field"]
    r = api(b.secretary, "POST", f"{url}/submit", {})
    assert r.json()["violations"][0]["rule"] == "not_held"
    r = api(b.secretary, "POST", f"{url}/held", {"minutes": ""})
    assert r.status_code == 422 and r.json()["detail"][0]["field"] == "minutes"
    r = api(b.secretary, "POST", f"{url}/held", {"minutes": "学习了党章第一章"})
    assert r.status_code == 200 and r.json()["state"] == "held"
    r = api(b.secretary, "POST", f"{url}/submit", {})
    assert r.status_code == 200 and r.json()["state"] == "submitted"
    r = api(b.secretary, "POST", f"{url}/submit", {})
    assert r.status_code == 422 and r.json()["violations"][0]["rule"] == "already_submitted"
    assert api(b.secretary, "POST", f"{url}/review", {"approve": True}).status_code == 403
    assert api(b.outsider, "POST", f"{url}/review", {"approve": True}).status_code == 404
    r = api(b.community_admin, "POST", f"{url}/review", {"approve": "yes"})
    assert r.status_code == 422 and r.json()["detail"][0]["field"] == "approve"
    r = api(b.community_admin, "POST", f"{url}/review", {"approve": False})
    assert r.json()["violations"][0]["rule"] == "opinion_required"
    r = api(b.community_admin, "POST", f"{url}/review", {"approve": False, "opinion": "请补充照片"})
    assert r.status_code == 200 and r.json()["state"] == "returned"
    version = r.json()["version"]
    r = api(b.secretary, "POST", f"{url}/submit", {"version": version - 1})
    assert r.status_code == 409
    r = api(b.secretary, "POST", f"{url}/submit", {"version": version})
    assert r.status_code == 200
    r = api(b.community_admin, "POST", f"{url}/review", {"approve": True})
    assert r.status_code == 200 and r.json()["state"] == "approved"
    kinds = [e["kind"] for e in r.json()["events"]]
    assert kinds[-1] == "approved" and "returned" in kinds


def test_future_meeting_held_refused(api, b):
    m = planned(b, starts_at=timezone.now() + timedelta(days=1))
    r = api(b.secretary, "POST", f"{URL}/{m.pk}/held", {"minutes": "x"})
    assert r.status_code == 422 and r.json()["violations"][0]["rule"] == "future_held"
    m.refresh_from_db()
    assert m.state == State.PLANNED


def test_cancel(api, b):
    m = planned(b, starts_at=timezone.now() + timedelta(days=1))
    assert api(b.secretary, "POST", f"{URL}/{m.pk}/cancel", {}).status_code == 422
    r = api(b.secretary, "POST", f"{URL}/{m.pk}/cancel", {"reason": "台风"})
    assert r.status_code == 200 and r.json()["state"] == "cancelled"


def test_appraisal(api, b):
    m = now_meeting(b, kind="appraisal")
    api(b.secretary, "POST", f"{URL}/{m.pk}/held", {"minutes": "民主评议"})
    payload = {"results": [{"member_id": b.members[0].pk, "grade": "excellent"}]}
    r = api(b.secretary, "POST", f"{URL}/{m.pk}/appraisal", payload)
    assert r.status_code == 200 and r.json()[0]["grade"] == "excellent"
    bad = {"results": [{"member_id": b.members[0].pk, "grade": "great"}]}
    r = api(b.secretary, "POST", f"{URL}/{m.pk}/appraisal", bad)
    assert r.status_code == 422 and r.json()["detail"][0]["field"] == "results.0.grade"
    foreign = {"results": [{"member_id": b.outsider_member.pk, "grade": "qualified"}]}
    r = api(b.secretary, "POST", f"{URL}/{m.pk}/appraisal", foreign)
    assert r.json()["violations"][0]["rule"] == "appraisal_not_on_roster"


def test_submit_without_a_body(api, client, b):
    m = now_meeting(b)
    api(b.secretary, "POST", f"{URL}/{m.pk}/held", {"minutes": "记录"})
    headers = {"Authorization": f"Bearer {issue_api_token(user=b.secretary)}"}
    r = client.generic("POST", f"{URL}/{m.pk}/submit", headers=headers)  # no body at all
    assert r.status_code == 200, r.content
    assert r.json()["state"] == "submitted"


@pytest.mark.parametrize(
    "payload",
    [[], "x", 5, {"marks": {}}, {"marks": [1]}, {"marks": [{"member_id": "1"}]}, {"marks": None}],
)
def test_attendance_garbage_is_422(api, b, payload):
    m = now_meeting(b)
    r = api(b.secretary, "POST", f"{URL}/{m.pk}/attendance", payload)
    assert r.status_code == 422, r.content
    m.refresh_from_db()
    assert m.version == 1
