"""/api/v1/dues: the quote contract of issue 3 and the scoped ledger routes."""

import json
from datetime import date

import pytest
from django.utils import timezone

from tests.member_factories import make_member
from tongxin.accounts.services import issue_api_token
from tongxin.members.models import DuesRecord
from tongxin.members.rules.dues import add_months, month_start
from tongxin.members.services import dues as services


@pytest.fixture
def api(client, district):
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


def quote(api, district, body):
    return api(district.secretary, "POST", "/api/v1/dues/quote", body)


@pytest.mark.parametrize(
    ("category", "base", "amount", "rate", "rule"),
    [
        ("salaried", "3000", "15.00", "0.005", "salaried_le_3000"),
        ("salaried", "3000.01", "30.00", "0.01", "salaried_3000_5000"),
        ("salaried", 4000, "40.00", "0.01", "salaried_3000_5000"),
        ("salaried", 3000.01, "30.00", "0.01", "salaried_3000_5000"),  # a JSON number
        ("salaried", "10000.01", "200.00", "0.02", "salaried_gt_10000"),
        ("annual_salary", "5000.01", "75.00", "0.015", "annual_salary_5000_10000"),
        ("self_employed", "100", "0.50", "0.005", "self_employed_le_3000"),
        ("retired", "5000", "25.00", "0.005", "retired_le_5000"),
        ("retired", "5000.01", "50.00", "0.01", "retired_gt_5000"),
        ("farmer", "0", "0.50", "0", "farmer_flat"),
        ("student", "0", "0.20", "0", "student_flat"),
        ("unemployed", "0", "0.20", "0", "unemployed_flat"),
        ("relief", "0", "0.20", "0", "relief_flat"),
    ],
)
def test_quote_contract(api, district, category, base, amount, rate, rule):
    response = quote(api, district, {"category": category, "base": base})
    assert response.status_code == 200, response.content
    assert response.json() == {"amount": amount, "rate": rate, "rule": rule}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"category": "pensioner", "base": "100"}, "category"),
        ({"category": "salaried", "base": "-1"}, "base"),
        ({"category": "salaried", "base": -0.01}, "base"),
        ({"category": "salaried", "base": "3000.001"}, "base"),
        ({"category": "salaried", "base": 3000.001}, "base"),
        ({"category": "salaried", "base": "abc"}, "base"),
        ({"category": "salaried", "base": "NaN"}, "base"),
        ({"category": "salaried", "base": "1e400"}, "base"),
        ({"category": "salaried", "base": 1e300}, "base"),
        ({"category": "salaried"}, "base"),
        ({"category": "salaried", "base": None}, "base"),
        ({"category": "salaried", "base": [1]}, "base"),
        ({"base": "100"}, "category"),
    ],
)
def test_quote_bad_input_is_4xx_naming_the_field(api, district, body, field):
    response = quote(api, district, body)
    assert 400 <= response.status_code < 500, response.content
    assert field in {d["field"] for d in response.json()["detail"]}


def test_quote_needs_a_token(client, district):
    response = client.post(
        "/api/v1/dues/quote", {"category": "salaried", "base": "1"}, "application/json"
    )
    assert response.status_code == 401


@pytest.fixture
def month(district):
    return month_start(timezone.localdate())


def test_generate_ledger_pay_summary_arrears(api, district, month):
    d = district
    a = make_member(d.branch_a1, name="甲", dues_base="4000.00")
    make_member(d.branch_a1, name="乙", dues_base="2000.00")
    body = {"org": d.branch_a1.pk, "month": f"{month:%Y-%m}"}
    assert api(d.secretary, "POST", "/api/v1/dues/generate", body).json() == {"created": 2}
    assert api(d.secretary, "POST", "/api/v1/dues/generate", body).json() == {"created": 0}
    url = f"/api/v1/dues/ledger?org={d.branch_a1.pk}&month={month:%Y-%m}&limit=1"
    page = api(d.secretary, "GET", url).json()
    assert set(page) == {"items", "next"} and len(page["items"]) == 1 and page["next"]
    rest = api(d.secretary, "GET", url + f"&cursor={page['next']}").json()
    items = page["items"] + rest["items"]
    assert {i["member_name"] for i in items} == {"甲", "乙"} and rest["next"] is None
    first = next(i for i in items if i["member_name"] == "甲")
    assert first["amount_due"] == "40.00" and first["rate"] == "0.01"
    record = DuesRecord.objects.get(member=a)
    pay_url = f"/api/v1/dues/records/{record.pk}/payment"
    payment = {"amount": "40.00", "paid_on": f"{timezone.localdate():%Y-%m-%d}", "method": "cash"}
    ok = api(d.secretary, "POST", pay_url, payment)
    assert ok.status_code == 200 and ok.json()["amount_paid"] == "40.00"
    twice = api(d.secretary, "POST", pay_url, payment)
    assert twice.status_code == 400 and twice.json()["detail"][0]["field"] == "month"
    bad = api(d.secretary, "POST", pay_url, {**payment, "amount": "40.001"})
    assert bad.status_code == 400
    summary = api(
        d.community_admin, "GET", f"/api/v1/dues/summary?org={d.comm_a1.pk}&month={month:%Y-%m}"
    )
    assert summary.status_code == 200
    assert summary.json()["total"] == {
        "org_id": d.comm_a1.pk,
        "org_name": d.comm_a1.name,
        "due": "50.00",
        "paid": "40.00",
        "count_paid": 1,
        "count_unpaid": 1,
    }
    arrears = api(d.community_admin, "GET", f"/api/v1/dues/arrears?org={d.comm_a1.pk}").json()
    assert arrears == {"items": [], "next": None}  # the current month is not yet in arrears
    previous = add_months(month, -1)
    services.generate_month(actor=d.secretary, org=d.branch_a1, month=previous)
    arrears = api(d.community_admin, "GET", f"/api/v1/dues/arrears?org={d.comm_a1.pk}").json()
    assert {i["name"]: i["months"] for i in arrears["items"]} == {
        "甲": [f"{previous:%Y-%m}"],
        "乙": [f"{previous:%Y-%m}"],
    }


def test_other_scope_is_refused(api, district, month):
    d = district
    a = make_member(d.branch_a1)
    services.generate_month(actor=d.secretary, org=d.branch_a1, month=month)
    record = DuesRecord.objects.get(member=a)
    other = d.other_community
    m = f"{month:%Y-%m}"
    assert (
        api(other, "GET", f"/api/v1/dues/ledger?org={d.branch_a1.pk}&month={m}").status_code == 404
    )
    assert (
        api(other, "GET", f"/api/v1/dues/summary?org={d.comm_a1.pk}&month={m}").status_code == 404
    )
    assert api(other, "GET", f"/api/v1/dues/arrears?org={d.comm_a1.pk}").status_code == 404
    body = {"org": d.branch_a1.pk, "month": m}
    assert api(other, "POST", "/api/v1/dues/generate", body).status_code == 404
    pay = {"amount": "40.00", "paid_on": f"{timezone.localdate():%Y-%m-%d}", "method": "cash"}
    assert api(other, "POST", f"/api/v1/dues/records/{record.pk}/payment", pay).status_code == 404
    assert DuesRecord.objects.get(pk=record.pk).paid_on is None
    # the secretary generating above their branch is refused
    up = {"org": d.comm_a1.pk, "month": m}
    assert api(d.secretary, "POST", "/api/v1/dues/generate", up).status_code == 404


@pytest.mark.parametrize("bad", ["2026-13", "2026-1", "202611", "", "abcd-ef"])
def test_bad_month_is_400(api, district, bad):
    d = district
    response = api(d.secretary, "GET", f"/api/v1/dues/ledger?org={d.branch_a1.pk}&month={bad}")
    assert response.status_code == 400 and response.json()["detail"][0]["field"] == "month"


def test_fixed_date_is_not_needed(district):
    assert date.today()  # the API uses the local date; nothing else depends on it


def test_reduction_is_proposed_by_the_branch_and_decided_one_level_up(client, district):
    from tongxin.accounts.services import issue_api_token
    from tongxin.members.models import DuesReduction

    member = make_member(district.branch_a1)
    secretary = {"HTTP_AUTHORIZATION": f"Bearer {issue_api_token(user=district.secretary)}"}
    community = {"HTTP_AUTHORIZATION": f"Bearer {issue_api_token(user=district.community_admin)}"}
    body = {
        "member_id": member.pk,
        "kind": "exempt",
        "reason": "重病住院",
        "start_month": "2026-01",
        "end_month": "2026-03",
    }
    created = client.post(
        "/api/v1/dues/reductions", body, content_type="application/json", **secretary
    )
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    assert created.json()["state"] == "proposed"
    url = f"/api/v1/dues/reductions/{pk}/decide"
    # the branch cannot approve its own proposal (§5.6)
    own = client.post(url, {"approve": True}, content_type="application/json", **secretary)
    assert own.status_code == 403
    assert DuesReduction.objects.get(pk=pk).state == "proposed"
    decided = client.post(url, {"approve": True}, content_type="application/json", **community)
    assert decided.status_code == 200 and decided.json()["state"] == "approved"
    again = client.post(url, {"approve": False}, content_type="application/json", **community)
    assert again.status_code == 400  # already decided
    listed = client.get("/api/v1/dues/reductions", **community).json()
    assert [r["id"] for r in listed] == [pk]
