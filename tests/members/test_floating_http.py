"""Floating-member pages and /api/v1/floating: both tabs, host attendance, budgets."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import make_user
from tests.member_factories import make_floating, make_member
from tongxin.accounts.services import issue_api_token
from tongxin.members.models import FloatingRecord, HostAttendance


@pytest.fixture
def w(district):
    d = district
    d.member = make_member(d.branch_a1, name="林觉民")
    d.b1_secretary = make_user("secretary_b1", role="branch_secretary", org=d.branch_b1)
    d.outsider = make_user("comm_a2", role="community_admin", org=d.comm_a2)
    d.today = timezone.localdate()
    return d


@pytest.fixture
def api(client):
    def call(user, method, url, payload=None):
        token = issue_api_token(user=user)
        return client.generic(
            method,
            url,
            data=None if payload is None else json.dumps(payload),
            content_type="application/json",
            headers={"Authorization": f"Bearer {token}"},
        )

    return call


def test_floating_through_the_pages(client, w):
    client.force_login(w.secretary)
    url = f"/floating/new/?member={w.member.pk}"
    future = (w.today + timedelta(days=2)).isoformat()
    bad = client.post(url, {"destination": "温泉", "left_on": future, "host_org_code": "B-B1"})
    assert bad.status_code == 400 and not FloatingRecord.objects.exists()
    left = (w.today - timedelta(days=200)).isoformat()
    ok = client.post(url, {"destination": "温泉", "left_on": left, "host_org_code": "B-B1"})
    record = FloatingRecord.objects.get()
    assert ok.status_code == 302 and ok["Location"] == f"/floating/{record.pk}/"
    page = client.get(f"/floating/{record.pk}/").content.decode()
    assert "/end/" in page and "/attendance/" not in page  # the home branch ends, host records
    assert "advisories" in page  # away more than six months: transfer
    assert client.post(f"/floating/{record.pk}/attendance/", {}).status_code == 403
    # the host
    client.force_login(w.b1_secretary)
    hosted = client.get("/floating/?tab=hosted").content.decode()
    assert "林觉民" in hosted
    assert "林觉民" not in client.get("/floating/?tab=away").content.decode()
    page = client.get(f"/floating/{record.pk}/").content.decode()
    assert "/attendance/" in page and "/end/" not in page
    bad = client.post(
        f"/floating/{record.pk}/attendance/", {"attended_on": future, "activity": "党课"}
    )
    assert bad.status_code == 400 and not HostAttendance.objects.exists()
    ok = client.post(
        f"/floating/{record.pk}/attendance/",
        {"attended_on": w.today.isoformat(), "activity": "主题党日"},
    )
    assert ok.status_code == 302 and HostAttendance.objects.get().activity == "主题党日"
    assert client.post(f"/floating/{record.pk}/end/", {}).status_code == 403
    # the home branch records the return
    client.force_login(w.secretary)
    assert client.post(f"/floating/{record.pk}/end/", {"returned_on": left}).status_code == 302
    record.refresh_from_db()
    assert record.returned_on is not None
    client.force_login(w.outsider)
    assert client.get(f"/floating/{record.pk}/").status_code == 404


def test_list_budget(client, w, django_assert_max_num_queries):
    for i in range(30):
        make_floating(make_member(w.branch_a1), host_org=w.branch_b1 if i % 2 else None)
    client.force_login(w.secretary)
    with django_assert_max_num_queries(10):
        r = client.get("/floating/")
    assert r.status_code == 200 and r.content.decode().count('href="/floating/') >= 30
    client.force_login(w.b1_secretary)
    with django_assert_max_num_queries(10):
        r = client.get("/floating/?tab=hosted&returned=1")
    assert r.content.decode().count('href="/floating/') >= 15
    with django_assert_max_num_queries(8):
        r = client.get(
            "/floating/?tab=hosted", headers={"HX-Request": "true", "HX-Target": "floating-results"}
        )
    assert "<html" not in r.content.decode()


def test_api(api, w):
    payload = {
        "member_id": w.member.pk,
        "destination": "温泉",
        "left_on": (w.today - timedelta(days=10)).isoformat(),
        "host_org_id": w.branch_b1.pk,
    }
    r = api(w.secretary, "POST", "/api/v1/floating", payload)
    assert r.status_code == 201, r.content
    pk = r.json()["id"]
    assert r.json()["advisory"] is None
    hosted = api(w.b1_secretary, "GET", "/api/v1/floating?tab=hosted").json()
    assert set(hosted) == {"items", "next"} and [x["id"] for x in hosted["items"]] == [pk]
    r = api(
        w.b1_secretary,
        "POST",
        f"/api/v1/floating/{pk}/attendance",
        {"attended_on": w.today.isoformat(), "activity": "党课"},
    )
    assert r.status_code == 201 and r.json()["attendance"][0]["activity"] == "党课"
    listed = api(w.secretary, "GET", f"/api/v1/floating/{pk}/attendance").json()
    assert [a["activity"] for a in listed] == ["党课"]
    assert api(w.secretary, "GET", f"/api/v1/floating/{pk}/end").status_code == 405
    r = api(w.b1_secretary, "POST", f"/api/v1/floating/{pk}/attendance", {"activity": "党课"})
    assert r.status_code == 400 and r.json()["detail"][0]["field"] == "attended_on"
    r = api(w.b1_secretary, "POST", f"/api/v1/floating/{pk}/end", {"returned_on": None})
    assert r.status_code == 403
    r = api(w.secretary, "POST", f"/api/v1/floating/{pk}/end", {})
    assert r.status_code == 400 and r.json()["detail"][0]["field"] == "returned_on"
    r = api(w.secretary, "POST", f"/api/v1/floating/{pk}/end", {"returned_on": w.today.isoformat()})
    assert r.status_code == 200 and r.json()["returned_on"] == w.today.isoformat()
    assert api(w.outsider, "GET", f"/api/v1/floating/{pk}").status_code == 404


@pytest.mark.parametrize(
    "over,field",
    [
        ({"destination": ""}, "destination"),
        ({"left_on": None}, "left_on"),
        ({"host_org_id": 999999}, "host_org_id"),
        ({"host_org_id": "own"}, "host_org_id"),
        ({"member_id": "foreign"}, "member_id"),
    ],
)
def test_api_bad_input(api, w, over, field):
    payload = {
        "member_id": w.member.pk,
        "destination": "温泉",
        "left_on": w.today.isoformat(),
        **over,
    }
    if payload.get("host_org_id") == "own":
        payload["host_org_id"] = w.branch_a1.pk
    if payload["member_id"] == "foreign":
        payload["member_id"] = make_member(w.branch_b1).pk
    r = api(w.secretary, "POST", "/api/v1/floating", payload)
    assert r.status_code == 400, r.content
    assert field in [d["field"] for d in r.json()["detail"]]
    assert not FloatingRecord.objects.exists()
