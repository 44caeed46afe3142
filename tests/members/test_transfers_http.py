"""Transfer pages and /api/v1/transfers: per role, bad input named, query budgets."""

import json
from datetime import date, timedelta

import pytest
from django.utils import timezone, translation

from tests.factories import make_user
from tests.member_factories import make_member, make_transfer
from tongxin.accounts.services import issue_api_token
from tongxin.members.models import Member, Transfer, TransferEvent
from tongxin.members.rules import transfers as rules


@pytest.fixture
def w(district):
    d = district
    d.member_user = make_user("lin", role="party_member", org=d.branch_a1)
    d.member = make_member(d.branch_a1, name="林觉民", user=d.member_user)
    d.outsider = make_user("comm_a2", role="community_admin", org=d.comm_a2)
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


# --- pages ----------------------------------------------------------------------------------


def test_a_transfer_through_the_pages(client, w):
    client.force_login(w.secretary)
    chooser = client.get("/transfers/new/?q=林觉民")
    assert chooser.status_code == 200 and f"?member={w.member.pk}" in chooser.content.decode()
    url = f"/transfers/new/?member={w.member.pk}"
    bad = client.post(url, {"kind": "within", "to_org_code": "B-A1", "reason": "搬家"})
    assert bad.status_code == 400 and "to_org_code" in bad.context["form"].errors
    assert 'id="id_to_org_code-errors"' in bad.content.decode()
    unknown = client.post(url, {"kind": "within", "to_org_code": "C-B1", "reason": "搬家"})
    assert unknown.status_code == 400  # a community is not a branch
    assert not Transfer.objects.exists()
    ok = client.post(url, {"kind": "within", "to_org_code": "B-B1", "reason": "搬家"})
    t = Transfer.objects.get()
    assert ok.status_code == 302 and ok["Location"] == f"/transfers/{t.pk}/"
    page = client.get(f"/transfers/{t.pk}/").content.decode()
    assert f"/transfers/{t.pk}/approve/" in page and f"/transfers/{t.pk}/receive/" not in page
    # the receiving side sees it but has nothing to do yet
    client.force_login(w.other_community)
    page = client.get(f"/transfers/{t.pk}/").content.decode()
    assert "/approve/" not in page and "/receive/" not in page
    denied = client.post(
        f"/transfers/{t.pk}/approve/",
        {"approve-letter_no": "L1", "approve-dues_paid_to": "2026-05"},
    )
    assert denied.status_code == 403
    # the sending side approves; bad month → 400, named
    client.force_login(w.secretary)
    bad = client.post(
        f"/transfers/{t.pk}/approve/",
        {"approve-letter_no": "L1", "approve-dues_paid_to": "2026-13"},
    )
    assert bad.status_code == 400
    t.refresh_from_db()
    assert t.state == "requested"
    done = client.post(
        f"/transfers/{t.pk}/approve/",
        {"approve-letter_no": "榕组转1号", "approve-dues_paid_to": "2026-05"},
    )
    assert done.status_code == 302
    t.refresh_from_db()
    assert (t.state, t.dues_paid_to) == ("approved", date(2026, 5, 1))
    # an action the state does not allow: 400 naming the state
    illegal = client.post(f"/transfers/{t.pk}/reject/", {"reject-reason": "x"})
    assert illegal.status_code == 400
    problem = illegal.context["action_errors"].non_field_errors()[0]
    expected = []
    for lang in ("en", "zh-hans"):
        with translation.override(lang):
            expected.append(rules.transition_error("approved", "reject"))
    assert any(problem.endswith(e) for e in expected), problem
    assert problem in illegal.content.decode()
    assert client.get(f"/transfers/{t.pk}/receive/").status_code == 405
    assert client.post(f"/transfers/{t.pk}/fly/").status_code == 404
    client.force_login(w.other_community)
    page = client.get(f"/transfers/{t.pk}/").content.decode()
    assert "/receive/" in page and "/return/" in page
    assert client.post(f"/transfers/{t.pk}/receive/").status_code == 302
    assert Member.objects.get(pk=w.member.pk).org == w.branch_b1
    timeline = client.get(f"/transfers/{t.pk}/").content.decode()
    assert "榕组转1号" in timeline
    assert TransferEvent.objects.filter(transfer=t).count() == 3


def test_member_requests_their_own(client, w):
    client.force_login(w.member_user)
    assert client.get("/me/transfer/").status_code == 200
    bad = client.post("/me/transfer/", {"kind": "outward", "reason": "回老家"})
    assert bad.status_code == 400 and not Transfer.objects.exists()
    ok = client.post(
        "/me/transfer/",
        {"kind": "outward", "outside_org_name": "莆田市某党支部", "reason": "回老家"},
    )
    t = Transfer.objects.get()
    assert ok.status_code == 302 and t.requested_by == w.member_user
    page = client.get(f"/transfers/{t.pk}/").content.decode()
    assert f"/transfers/{t.pk}/withdraw/" in page and "/approve/" not in page
    assert client.post(f"/transfers/{t.pk}/approve/", {}).status_code in (400, 403)
    assert client.post(f"/transfers/{t.pk}/withdraw/", {"withdraw-reason": ""}).status_code == 302
    assert Transfer.objects.get().state == "withdrawn"
    # not a keeper: no new-transfer page, and no member page for someone without a record
    assert client.get("/transfers/new/").status_code == 403
    client.force_login(w.outsider)
    assert client.get("/me/transfer/").status_code == 404
    assert client.get(f"/transfers/{t.pk}/").status_code == 404


def test_list_pages_scoped_filtered_and_within_budget(client, w, django_assert_max_num_queries):
    for i in range(30):
        m = make_member(w.branch_a1)
        make_transfer(m, to_org=w.branch_b1 if i % 2 else None)
    foreign = make_member(w.comm_a2)
    make_transfer(foreign, outside_org_name="不可见的外地支部")
    client.force_login(w.secretary)
    with django_assert_max_num_queries(10):
        r = client.get("/transfers/")
    assert r.status_code == 200
    body = r.content.decode()
    assert body.count('href="/transfers/') >= 30 and "不可见的外地支部" not in body
    client.force_login(w.other_community)
    with django_assert_max_num_queries(10):
        incoming = client.get("/transfers/?direction=incoming").content.decode()
    assert incoming.count("/transfers/") >= 15
    outgoing = client.get("/transfers/?direction=outgoing", headers={"HX-Request": "true"})
    assert outgoing.context["transfers"] == []
    partial = client.get(
        "/transfers/?state=requested",
        headers={"HX-Request": "true", "HX-Target": "transfer-results"},
    ).content.decode()
    assert "<html" not in partial


def test_detail_budget(client, w, django_assert_max_num_queries):
    t = make_transfer(w.member, to_org=w.branch_b1)
    for i in range(10):
        TransferEvent.objects.create(
            transfer=t, kind="request", to_state="requested", actor=w.admin
        )
    client.force_login(w.secretary)
    with django_assert_max_num_queries(12):
        assert client.get(f"/transfers/{t.pk}/").status_code == 200


# --- API ------------------------------------------------------------------------------------


def test_api_happy_path(api, w):
    r = api(
        w.secretary,
        "POST",
        "/api/v1/transfers",
        {"member_id": w.member.pk, "kind": "within", "to_org_id": w.branch_b1.pk, "reason": "搬家"},
    )
    assert r.status_code == 201, r.content
    body = r.json()
    pk = body["id"]
    assert body["state"] == "requested" and body["actions"] == ["approve", "reject", "withdraw"]
    assert [e["kind"] for e in body["events"]] == ["request"]
    r = api(
        w.secretary,
        "POST",
        f"/api/v1/transfers/{pk}/approve",
        {"letter_no": "L-9", "dues_paid_to": "2026-05"},
    )
    assert r.status_code == 200 and r.json()["dues_paid_to"] == "2026-05"
    assert r.json()["state"] == "approved"
    seen = api(w.other_community, "GET", f"/api/v1/transfers/{pk}").json()
    assert seen["actions"] == ["return", "receive"]
    r = api(w.other_community, "POST", f"/api/v1/transfers/{pk}/receive", {})
    assert r.status_code == 200 and r.json()["state"] == "received"
    assert [e["kind"] for e in r.json()["events"]] == ["request", "approve", "receive"]
    page = api(w.other_community, "GET", "/api/v1/transfers?direction=incoming").json()
    assert set(page) == {"items", "next"} and [t["id"] for t in page["items"]] == [pk]
    assert api(w.outsider, "GET", f"/api/v1/transfers/{pk}").status_code == 404
    assert api(w.outsider, "GET", "/api/v1/transfers").json()["items"] == []


@pytest.mark.parametrize(
    "payload,field",
    [
        ({"kind": "within", "to_org_id": "same", "reason": "x"}, "to_org_id"),
        ({"kind": "within", "to_org_id": 999999, "reason": "x"}, "to_org_id"),
        ({"kind": "outward", "reason": "x"}, "outside_org_name"),
        ({"kind": "sideways", "reason": "x"}, "kind"),
        ({"kind": "outward", "outside_org_name": "外地", "reason": ""}, "reason"),
        (
            {"member_id": "foreign", "kind": "outward", "outside_org_name": "外地", "reason": "x"},
            "member_id",
        ),
    ],
)
def test_api_bad_input_is_400_naming_the_field(api, w, payload, field):
    payload = {"member_id": w.member.pk, **payload}
    if payload.get("to_org_id") == "same":
        payload["to_org_id"] = w.branch_a1.pk
    if payload["member_id"] == "foreign":
        payload["member_id"] = make_member(w.branch_b1).pk
    r = api(w.secretary, "POST", "/api/v1/transfers", payload)
    assert r.status_code == 400, r.content
    assert field in [d["field"] for d in r.json()["detail"]]
    assert not Transfer.objects.exists()


def test_api_action_errors(api, w):
    t = make_transfer(w.member, to_org=w.branch_b1)
    url = f"/api/v1/transfers/{t.pk}"
    r = api(w.secretary, "POST", f"{url}/approve", {"letter_no": "L", "dues_paid_to": "May"})
    assert r.status_code == 400 and r.json()["detail"][0]["field"] == "dues_paid_to"
    r = api(w.secretary, "POST", f"{url}/receive", {})
    assert r.status_code == 400 and r.json()["detail"][0]["field"] == "state"
    message = r.json()["detail"][0]["message"]
    labels = []
    for lang in ("en", "zh-hans"):
        with translation.override(lang):
            labels.append(str(rules.STATE_LABELS["requested"]))
    assert any(label in message for label in labels), message
    r = api(w.secretary, "POST", f"{url}/teleport", {})
    assert r.status_code == 400 and r.json()["detail"][0]["field"] == "action"
    r = api(
        w.other_community, "POST", f"{url}/approve", {"letter_no": "L", "dues_paid_to": "2026-05"}
    )
    assert r.status_code == 403
    r = api(w.outsider, "POST", f"{url}/withdraw", {})
    assert r.status_code == 404
    t.refresh_from_db()
    assert t.state == "requested" and not t.events.exists()


def test_api_record_inward(api, w):
    arrived = make_member(w.branch_a1)
    r = api(
        w.secretary,
        "POST",
        "/api/v1/transfers",
        {
            "member_id": arrived.pk,
            "kind": "inward",
            "outside_org_name": "厦门某支部",
            "letter_no": "厦1",
            "dues_paid_to": "2026-04",
        },
    )
    assert r.status_code == 201 and r.json()["state"] == "received" and r.json()["kind"] == "inward"
    r = api(w.secretary, "POST", "/api/v1/transfers", {"member_id": arrived.pk, "kind": "inward"})
    assert r.status_code == 400
    assert {d["field"] for d in r.json()["detail"]} >= {"outside_org_name", "letter_no"}
    pk = Transfer.objects.get().pk
    assert api(w.secretary, "GET", f"/api/v1/transfers/{pk}/receive").status_code == 405


def test_api_list_pages_and_budget(api, w, django_assert_max_num_queries):
    for _ in range(7):
        make_transfer(make_member(w.branch_a1))
    seen = []
    url = "/api/v1/transfers?limit=3"
    with django_assert_max_num_queries(12):
        page = api(w.secretary, "GET", url).json()
    seen += [t["id"] for t in page["items"]]
    while page["next"]:
        page = api(w.secretary, "GET", f"{url}&cursor={page['next']}").json()
        seen += [t["id"] for t in page["items"]]
    assert len(seen) == 7 == len(set(seen))
    assert seen == sorted(seen, reverse=True)
    assert api(w.secretary, "GET", "/api/v1/transfers?state=approved").json()["items"] == []


def test_expired_letter_cannot_be_received_over_the_api(api, w):
    t = make_transfer(
        w.member,
        to_org=w.branch_b1,
        state="approved",
        letter_no="L",
        letter_issued_on=timezone.localdate() - timedelta(days=100),
        expires_on=timezone.localdate() - timedelta(days=1),
    )
    r = api(w.other_community, "POST", f"/api/v1/transfers/{t.pk}/receive", {})
    assert r.status_code == 400 and r.json()["detail"][0]["field"] == "expires_on"
