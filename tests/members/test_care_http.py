"""Care pages and /api/v1/care: masked lists, audited reveal, visits, birthdays, scoping."""

import json
from datetime import date

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.member_factories import make_member
from tongxin.accounts.services import issue_api_token
from tongxin.core.models import AuditEntry
from tongxin.members.models import CareCase, CareVisit
from tongxin.members.services import care as services


@pytest.fixture
def cases(district):
    d = district
    out = []
    for i in range(3):
        m = make_member(d.branch_a1, name=f"困难{i}", admitted_on=date(2000, 2, 29))
        out.append(
            services.create_case(
                actor=d.secretary, member=m, kind="illness", level="urgent", details=f"机密病情{i}"
            )
        )
    b = make_member(d.branch_b1, name="外社区困难")
    services.create_case(actor=d.other_community, member=b, kind="poverty", details="外社区机密")
    return out


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


def test_care_page_lists_masked_cases(client, district, cases, django_assert_max_num_queries):
    client.force_login(district.community_admin)
    with django_assert_max_num_queries(12):
        body = client.get(reverse("members:care")).content.decode()
    assert "困难0" in body and "外社区困难" not in body
    assert "机密病情" not in body
    assert 'id="level-urgent">3<' in body
    for tab in ("elderly", "veterans", "birthdays"):
        with django_assert_max_num_queries(10):
            assert client.get(reverse("members:care") + f"?tab={tab}").status_code == 200
    response = client.get(reverse("members:care") + "?tab=birthdays&month=2026-13")
    assert response.status_code == 400
    body = client.get(reverse("members:care") + "?tab=birthdays&month=2027-02").content.decode()
    assert "困难0" in body and "2027-02-28" in body


def test_detail_reveals_on_request_and_audits(client, district, cases):
    client.force_login(district.community_admin)
    url = reverse("members:care_detail", args=[cases[0].pk])
    body = client.get(url).content.decode()
    assert "机密病情0" not in body and 'id="reveal"' in body
    assert not AuditEntry.objects.filter(action="view_sensitive").exists()
    body = client.get(url + "?reveal=1").content.decode()
    assert "机密病情0" in body
    entry = AuditEntry.objects.get(action="view_sensitive")
    assert entry.actor == district.community_admin and entry.object_id == str(cases[0].pk)


def test_create_visit_and_close_through_pages(client, district):
    member = make_member(district.branch_a1, name="新困难")
    client.force_login(district.secretary)
    body = client.get(reverse("members:care_create") + "?q=新困难").content.decode()
    assert f"?member={member.pk}" in body
    url = reverse("members:care_create") + f"?member={member.pk}"
    response = client.post(url, {"kind": "bad", "level": "general"})
    assert response.status_code == 400 and not CareCase.objects.exists()
    response = client.post(url, {"kind": "disability", "level": "general", "details": "残疾"})
    case = CareCase.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/care/{case.pk}/")
    visit_url = reverse("members:care_visit", args=[case.pk])
    response = client.post(
        visit_url,
        {"kind": "visit", "visited_on": "2020-01-01", "visitors": "", "amount": "-5"},
    )
    assert response.status_code == 400 and not CareVisit.objects.exists()
    today = timezone.localdate().isoformat()
    response = client.post(
        visit_url, {"kind": "holiday", "visited_on": today, "visitors": "书记", "amount": "200.00"}
    )
    assert response.status_code == 302
    assert CareVisit.objects.get().amount == 200
    detail = reverse("members:care_detail", args=[case.pk])
    response = client.post(detail, {"action": "close", "help_given": "办理残疾补助"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.closed_on is not None
    # another community cannot reach the member or the case
    client.force_login(district.other_community)
    assert client.get(url).status_code == 404
    assert client.get(detail).status_code == 404


def test_api_cases_birthdays_visits(api, district, cases, django_assert_max_num_queries):
    d = district
    with django_assert_max_num_queries(8):
        page = api(d.community_admin, "GET", "/api/v1/care/cases?limit=2").json()
    assert set(page) == {"items", "next"} and len(page["items"]) == 2
    assert all(c["details"] == "******" for c in page["items"])
    page2 = api(d.community_admin, "GET", f"/api/v1/care/cases?cursor={page['next']}").json()
    assert len(page2["items"]) == 1 and page2["next"] is None
    url = f"/api/v1/care/cases/{cases[0].pk}"
    assert api(d.community_admin, "GET", url).json()["details"] == "******"
    assert not AuditEntry.objects.filter(action="view_sensitive").exists()
    assert api(d.community_admin, "GET", url + "?reveal=true").json()["details"] == "机密病情0"
    assert AuditEntry.objects.filter(action="view_sensitive").count() == 1
    assert api(d.other_community, "GET", url + "?reveal=true").status_code == 404
    # create
    member = make_member(d.branch_a1, name="接口困难")
    r = api(d.community_admin, "POST", "/api/v1/care/cases", {"member_id": member.pk})
    assert r.status_code == 400 and r.json()["detail"][0]["field"] == "kind"
    r = api(d.other_community, "POST", "/api/v1/care/cases", {"member_id": member.pk, "kind": "x"})
    assert r.status_code == 400 and r.json()["detail"][0]["field"] == "member_id"
    r = api(
        d.community_admin,
        "POST",
        "/api/v1/care/cases",
        {"member_id": member.pk, "kind": "poverty", "details": "低保户"},
    )
    assert r.status_code == 201 and r.json()["details"] == "******"
    # visits
    visits = url + "/visits"
    r = api(d.community_admin, "POST", visits, {"kind": "hospital", "amount": "1.234"})
    assert r.status_code == 400
    assert {e["field"] for e in r.json()["detail"]} == {"visited_on", "visitors", "amount"}
    today = timezone.localdate().isoformat()
    r = api(
        d.community_admin,
        "POST",
        visits,
        {"kind": "hospital", "visited_on": today, "visitors": "书记", "amount": "100.50"},
    )
    assert r.status_code == 201 and r.json()["amount"] == "100.50"
    listed = api(d.community_admin, "GET", visits).json()
    assert [v["visitors"] for v in listed] == ["书记"]
    assert api(d.other_community, "GET", visits).status_code == 404
    assert api(d.other_community, "POST", visits, {"kind": "visit"}).status_code == 404
    # birthdays
    r = api(d.community_admin, "GET", "/api/v1/care/birthdays?month=2027-02")
    assert r.status_code == 200
    items = r.json()["items"]
    assert {i["name"] for i in items} >= {"困难0", "困难1", "困难2"}
    assert {i["on"] for i in items if i["name"].startswith("困难")} == {"2027-02-28"}
    assert {i["years"] for i in items if i["name"].startswith("困难")} == {27}
    r = api(d.community_admin, "GET", "/api/v1/care/birthdays?month=2027-2")
    assert r.status_code == 400 and r.json()["detail"][0]["field"] == "month"
    assert api(d.community_admin, "GET", "/api/v1/care/elderly").status_code == 200
    assert api(d.community_admin, "GET", "/api/v1/care/long-standing").status_code == 200


def test_api_close_and_update(api, district, cases):
    url = f"/api/v1/care/cases/{cases[0].pk}"
    r = api(district.community_admin, "PATCH", url, {"level": "general", "details": "好转"})
    assert r.status_code == 200 and r.json()["level"] == "general"
    cases[0].refresh_from_db()
    assert cases[0].details == "好转"
    r = api(district.community_admin, "POST", url + "/close", {"closed_on": "1999-01-01"})
    assert r.status_code == 400 and r.json()["detail"][0]["field"] == "closed_on"
    r = api(district.community_admin, "POST", url + "/close", {})
    assert r.status_code == 200 and r.json()["closed_on"] == timezone.localdate().isoformat()
