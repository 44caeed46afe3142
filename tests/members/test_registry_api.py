"""/api/v1/members: contract, masking, errors naming the field, scoping."""

import json
from datetime import date

import pytest

from tests.member_factories import id_number, make_member
from tongxin.accounts.services import issue_api_token
from tongxin.members.models import Member, StatusChange

BIRTH = date(1988, 8, 8)


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


def payload(district, **overrides):
    data = {
        "name": "郑成功",
        "gender": "male",
        "birth_date": BIRTH.isoformat(),
        "id_number": id_number(BIRTH, 21),
        "phone": "13905918888",
        "address": "鼓楼区三坊七巷",
        "education": "bachelor",
        "occupation": "civil_servant",
        "org_id": district.branch_a1.pk,
        "category": "full",
        "applied_on": "2010-01-10",
        "admitted_on": "2011-07-01",
        "full_on": "2012-07-01",
        "dues_category": "salaried",
        "dues_base": "5200.00",
    }
    data.update(overrides)
    return data


def test_create_returns_201_with_masked_values_only(api, district):
    response = api(district.secretary, "POST", "/api/v1/members", payload(district))
    assert response.status_code == 201, response.content
    body = response.json()
    number = id_number(BIRTH, 21)
    assert body["id_number_masked"] == number[:6] + "********" + number[-4:]
    assert body["phone_masked"] == "139****8888"
    text = response.content.decode()
    assert number not in text and "13905918888" not in text and "三坊七巷" not in text
    assert "id_number" not in body and "phone" not in body and "address" not in body
    assert body["dues_base"] == "5200.00" and body["org_id"] == district.branch_a1.pk
    assert Member.objects.get().name == "郑成功"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"id_number": id_number(BIRTH, 21)[:17] + "Y"}, "id_number"),
        ({"admitted_on": "2009-01-01"}, "admitted_on"),
        ({"phone": "123"}, "phone"),
    ],
)
def test_bad_input_is_400_naming_the_field(api, district, overrides, field):
    response = api(district.secretary, "POST", "/api/v1/members", payload(district, **overrides))
    assert response.status_code == 400
    assert field in {e["field"] for e in response.json()["detail"]}
    assert not Member.objects.exists()


def test_bad_check_digit_names_id_number(api, district):
    good = id_number(BIRTH, 21)
    wrong = good[:17] + ("0" if good[17] != "0" else "1")
    response = api(
        district.secretary, "POST", "/api/v1/members", payload(district, id_number=wrong)
    )
    assert response.status_code == 400
    [error] = [e for e in response.json()["detail"] if e["field"] == "id_number"]
    assert error["message"]


def test_schema_errors_are_422_naming_the_field(api, district):
    response = api(
        district.secretary, "POST", "/api/v1/members", payload(district, gender="unknown")
    )
    assert response.status_code == 422
    assert "gender" in {e["field"] for e in response.json()["detail"]}


def test_org_outside_scope_is_400_on_org_id(api, district):
    response = api(
        district.secretary,
        "POST",
        "/api/v1/members",
        payload(district, org_id=district.branch_b1.pk),
    )
    assert response.status_code == 400
    assert response.json()["detail"][0]["field"] == "org_id"


def test_list_filters_cursor_and_scope(api, district):
    for i in range(5):
        make_member(district.branch_a1, name=f"林{i}")
    make_member(district.branch_b1, name="温泉人")
    page = api(district.community_admin, "GET", "/api/v1/members?limit=2").json()
    assert set(page) == {"items", "next"} and len(page["items"]) == 2
    seen = [m["id"] for m in page["items"]]
    while page["next"]:
        page = api(
            district.community_admin, "GET", f"/api/v1/members?limit=2&cursor={page['next']}"
        ).json()
        seen += [m["id"] for m in page["items"]]
    assert len(seen) == 5 == len(set(seen))
    found = api(district.admin, "GET", "/api/v1/members?q=wqr").json()["items"]
    assert [m["name"] for m in found] == ["温泉人"]
    lost = api(district.admin, "GET", "/api/v1/members?flag=lost_contact").json()["items"]
    assert lost == []


def test_other_scope_is_404_and_nothing_changes(api, district):
    member = make_member(district.branch_a1)
    for method, url, body in [
        ("GET", f"/api/v1/members/{member.pk}", None),
        ("PATCH", f"/api/v1/members/{member.pk}", {"post": "书记"}),
        ("GET", f"/api/v1/members/{member.pk}/history", None),
        (
            "POST",
            f"/api/v1/members/{member.pk}/status",
            {"kind": "abroad", "effective_on": "2026-01-01"},
        ),
    ]:
        assert api(district.other_community, method, url, body).status_code == 404
    member.refresh_from_db()
    assert member.post == "" and not StatusChange.objects.exists()


def test_patch_status_and_history(api, district):
    member = make_member(district.branch_a1, full_on=date(2011, 7, 1))
    response = api(
        district.secretary, "PATCH", f"/api/v1/members/{member.pk}", {"post": "组织委员"}
    )
    assert response.status_code == 200 and response.json()["post"] == "组织委员"
    bad = api(
        district.secretary, "PATCH", f"/api/v1/members/{member.pk}", {"category": "probationary"}
    )
    assert bad.status_code in (400, 422)
    status = api(
        district.secretary,
        "POST",
        f"/api/v1/members/{member.pk}/status",
        {"kind": "lost_contact", "effective_on": "2026-02-01"},
    )
    assert status.status_code == 201 and status.json()["kind"] == "lost_contact"
    refused = api(
        district.secretary,
        "POST",
        f"/api/v1/members/{member.pk}/status",
        {"kind": "standing", "to_value": "expelled", "effective_on": "2026-02-01"},
    )
    assert refused.status_code == 400 and refused.json()["detail"][0]["field"] == "decision"
    history = api(district.secretary, "GET", f"/api/v1/members/{member.pk}/history").json()
    assert [h["kind"] for h in history] == ["lost_contact"]
    lost = api(district.secretary, "GET", "/api/v1/members?flag=lost_contact").json()["items"]
    assert [m["id"] for m in lost] == [member.pk]


def test_api_list_query_budget(api, district, django_assert_max_num_queries):
    for _ in range(40):
        make_member(district.branch_a1)
    token = issue_api_token(user=district.community_admin)
    from django.test import Client

    client = Client()
    with django_assert_max_num_queries(8):
        response = client.get(
            "/api/v1/members?limit=40", headers={"Authorization": f"Bearer {token}"}
        )
    assert len(response.json()["items"]) == 40
