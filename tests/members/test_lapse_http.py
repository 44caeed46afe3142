"""Lapse pages and /api/v1/lapse: per role, scoped, bad input is a 4xx naming the field."""

import json
from datetime import date
from unittest import mock

import pytest
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from tests.member_factories import make_member
from tests.members.test_lapse_services import ledger
from tongxin.accounts.services import issue_api_token
from tongxin.members.models import LapseFlag
from tongxin.members.services import lapse as service


@pytest.fixture
def flags(district):
    d = district
    a = make_member(d.branch_a1, name="欠费甲")
    ledger(a, date(2025, 1, 1), 14)
    for i in range(4):
        m = make_member(d.branch_a1, name=f"欠费{i}")
        ledger(m, date(2025, 1, 1), 14)
    b = make_member(d.branch_b1, name="失联乙", lost_contact_since=date(2025, 1, 5))
    service.run_detection(today=date(2026, 2, 10))
    return {
        "a": LapseFlag.objects.get(member=a),
        "b": LapseFlag.objects.get(member=b),
    }


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


def test_list_page_shows_evidence_and_counts(
    client, district, flags, django_assert_max_num_queries
):
    client.force_login(district.community_admin)
    with django_assert_max_num_queries(12):
        body = client.get(reverse("members:lapse")).content.decode()
    assert "欠费甲" in body and "2025-08" in body
    assert "失联乙" not in body
    assert 'id="count-dues">5<' in body
    assert 'id="run-now"' in body
    body = client.get(reverse("members:lapse") + "?kind=lost_6m").content.decode()
    assert "欠费甲" not in body


def test_list_page_refuses_non_keepers(client, district, flags):
    from tests.factories import make_user

    client.force_login(make_user())
    assert client.get(reverse("members:lapse")).status_code == 403


def test_flag_page_dismiss_and_decide(client, district, flags):
    client.force_login(district.secretary)
    url = reverse("members:lapse_flag", args=[flags["a"].pk])
    body = client.get(url).content.decode()
    assert "2025-08" in body and 'name="action" value="dismiss"' in body
    response = client.post(url, {"action": "dismiss", "reason": ""})
    assert response.status_code == 400
    flags["a"].refresh_from_db()
    assert flags["a"].state == "open"
    response = client.post(url, {"action": "decide", "decision": "x", "outcome": "suspended"})
    assert response.status_code == 400  # decided_by missing, outcome not offered for dues
    response = client.post(url, {"action": "dismiss", "reason": "病休，有正当理由"})
    assert response.status_code == 302
    flags["a"].refresh_from_db()
    assert flags["a"].state == "dismissed"
    assert client.get(reverse("members:lapse_flag", args=[flags["b"].pk])).status_code == 404


def test_run_now_in_the_request_for_a_small_scope(client, district, flags):
    make_member(district.branch_a1, name="新失联", lost_contact_since=date(2025, 1, 1))
    client.force_login(district.community_admin)
    response = client.post(reverse("members:lapse_run"), {"org_code": "B-A1"}, follow=True)
    assert "msg msg-success" in response.content.decode()
    assert LapseFlag.objects.filter(member__name="新失联", state="open").exists()
    response = client.post(reverse("members:lapse_run"), {"org_code": "B-B1"}, follow=True)
    assert "msg msg-error" in response.content.decode()
    assert (
        not LapseFlag.objects.filter(member__org=district.branch_b1, state="open")
        .exclude(pk=flags["b"].pk)
        .exists()
    )


def test_run_now_is_queued_for_a_large_scope(client, district, flags):
    client.force_login(district.community_admin)
    with mock.patch("tongxin.members.selectors.lapse.SYNC_MAX_MEMBERS", 1):
        response = client.post(reverse("members:lapse_run"), {"org_code": ""}, follow=True)
    assert "msg msg-success" in response.content.decode()
    job = DBTaskResult.objects.get()
    assert job.task_path == "tongxin.members.tasks.lapse_check"
    assert job.args_kwargs["args"] == [None, district.community_admin.pk]


def test_api_list_contract_and_cursor(api, district, flags, django_assert_max_num_queries):
    with django_assert_max_num_queries(8):
        page = api(district.community_admin, "GET", "/api/v1/lapse?limit=2").json()
    assert set(page) == {"items", "next"} and len(page["items"]) == 2
    assert {"id", "member_id", "member_name", "kind", "evidence", "state"} <= set(page["items"][0])
    seen = [f["id"] for f in page["items"]]
    while page["next"]:
        page = api(district.community_admin, "GET", f"/api/v1/lapse?limit=2&cursor={page['next']}")
        page = page.json()
        seen += [f["id"] for f in page["items"]]
    assert len(seen) == len(set(seen)) == 5
    other = api(district.other_community, "GET", "/api/v1/lapse").json()["items"]
    assert [f["member_name"] for f in other] == ["失联乙"]
    assert api(district.community_admin, "GET", "/api/v1/lapse?kind=nope").status_code == 422


def test_api_run_dismiss_decide(api, district, flags):
    d = district
    r = api(d.other_community, "POST", "/api/v1/lapse/run", {"org_id": d.branch_a1.pk})
    assert r.status_code == 400 and r.json()["detail"][0]["field"] == "org_id"
    r = api(d.other_community, "POST", "/api/v1/lapse/run", {})
    assert r.status_code == 200 and r.json()["mode"] == "done"
    assert r.json()["result"]["created"] == 0
    url = f"/api/v1/lapse/{flags['b'].pk}"
    assert api(d.community_admin, "POST", url + "/dismiss", {"reason": "x"}).status_code == 404
    r = api(d.other_community, "POST", url + "/dismiss", {"reason": ""})
    assert r.status_code == 400 and r.json()["detail"][0]["field"] == "reason"
    r = api(d.other_community, "POST", url + "/decide", {"decision": "继续查找", "outcome": "x"})
    assert r.status_code == 400
    assert {e["field"] for e in r.json()["detail"]} == {"decided_by", "outcome"}
    r = api(
        d.other_community,
        "POST",
        url + "/decide",
        {"decision": "继续查找", "decided_by": "支部大会", "outcome": "none"},
    )
    assert r.status_code == 200 and r.json()["state"] == "decided"
    r = api(d.other_community, "POST", url + "/dismiss", {"reason": "again"})
    assert r.status_code == 400 and r.json()["detail"][0]["field"] == "state"
