import json

import pytest

from tests.factories import PASSWORD, make_org, make_unit, uscc
from tongxin.accounts.services import issue_api_token
from tongxin.core.models import AuditEntry
from tongxin.orgs.models import Org, Unit


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


def test_token_contract(client, district):
    ok = client.post(
        "/api/v1/auth/token",
        {"username": "community_a1", "password": PASSWORD},
        content_type="application/json",
    )
    assert ok.status_code == 200 and set(ok.json()) == {"token"}
    bad = client.post(
        "/api/v1/auth/token",
        {"username": "community_a1", "password": "nope"},
        content_type="application/json",
    )
    assert bad.status_code == 401
    assert client.get("/api/v1/orgs").status_code == 401
    # district administrators must use two-factor: without it set up, no token
    admin = client.post(
        "/api/v1/auth/token",
        {"username": "district", "password": PASSWORD},
        content_type="application/json",
    )
    assert admin.status_code == 403
    assert client.get("/api/v1/orgs", headers={"Authorization": "Bearer forged"}).status_code == 401


def test_org_list_contract_filters_and_cursor(api, district):
    d = district
    for i in range(5):
        make_org(d.admin, d.comm_a1, name=f"测试支部{i}")
    page = api(d.street_admin, "GET", "/api/v1/orgs?limit=3").json()
    assert set(page) == {"items", "next"} and len(page["items"]) == 3
    assert {"id", "code", "name", "type", "parent_id"} <= set(page["items"][0])
    seen = [o["id"] for o in page["items"]]
    while page["next"]:
        page = api(d.street_admin, "GET", f"/api/v1/orgs?limit=3&cursor={page['next']}").json()
        seen += [o["id"] for o in page["items"]]
    assert sorted(seen) == sorted(
        Org.objects.visible_to(d.street_admin).values_list("id", flat=True)
    )
    assert len(seen) == len(set(seen))
    children = api(d.admin, "GET", f"/api/v1/orgs?parent={d.root.pk}").json()["items"]
    assert {o["code"] for o in children} == {"S-A", "S-B"}
    streets = api(d.admin, "GET", "/api/v1/orgs?type=street_committee").json()["items"]
    assert len(streets) == 2
    found = api(d.admin, "GET", "/api/v1/orgs?q=glq").json()["items"]
    assert [o["name"] for o in found] == ["鼓楼区委"]


def test_org_detail_404_outside_scope(api, district):
    d = district
    assert api(d.community_admin, "GET", f"/api/v1/orgs/{d.branch_a1.pk}").status_code == 200
    assert api(d.community_admin, "GET", f"/api/v1/orgs/{d.branch_b1.pk}").status_code == 404


def test_create_and_update_org_through_services(api, district):
    d = district
    r = api(
        d.community_admin,
        "POST",
        "/api/v1/orgs",
        {"code": "API-1", "name": "API党支部", "type": "branch", "parent_id": d.comm_a1.pk},
    )
    assert r.status_code == 201, r.content
    org_id = r.json()["id"]
    assert AuditEntry.objects.filter(action="create", object_id=str(org_id)).exists()
    r = api(d.community_admin, "PATCH", f"/api/v1/orgs/{org_id}", {"secretary_name": "陈静"})
    assert r.status_code == 200 and r.json()["secretary_name"] == "陈静"


@pytest.mark.parametrize(
    ("payload", "status", "field"),
    [
        ({"code": "X", "name": "X", "type": "nonsense", "parent_id": 0}, 422, "type"),
        ({"code": "X", "name": "X", "type": "branch"}, 422, "parent_id"),
        (
            {"code": "X", "name": "X", "type": "street_committee", "parent_id": "COMM"},
            400,
            "parent",
        ),
        ({"code": "B-A1", "name": "X", "type": "branch", "parent_id": "COMM"}, 400, "code"),
        ({"code": "X", "name": "X", "type": "branch", "parent_id": 999999}, 400, "parent_id"),
        (
            {"code": "X", "name": "X", "type": "branch", "parent_id": "COMM", "member_count": -1},
            422,
            "member_count",
        ),
    ],
)
def test_bad_org_input_is_4xx_naming_the_field(api, district, payload, status, field):
    if payload.get("parent_id") == "COMM":
        payload["parent_id"] = district.comm_a1.pk
    count = Org.objects.count()
    r = api(district.admin, "POST", "/api/v1/orgs", payload)
    assert r.status_code == status, r.content
    assert field in {d["field"] for d in r.json()["detail"]}
    assert Org.objects.count() == count


def test_cycle_via_api_is_400(api, district):
    d = district
    r = api(d.admin, "PATCH", f"/api/v1/orgs/{d.street_a.pk}", {"parent_id": d.comm_a1.pk})
    assert r.status_code == 400 and r.json()["detail"][0]["field"] == "parent"


def test_units_api(api, district):
    d = district
    r = api(
        d.community_admin,
        "POST",
        "/api/v1/units",
        {
            "name": "鼓楼新材料有限公司",
            "credit_code": uscc(4242),
            "category": "non_public_enterprise",
            "street_id": d.street_a.pk,
            "community_id": d.comm_a1.pk,
            "party_member_count": 3,
        },
    )
    assert r.status_code == 201, r.content
    assert r.json()["should_have_own_org"] is True
    bad = api(
        d.community_admin,
        "POST",
        "/api/v1/units",
        {
            "name": "错码公司",
            "credit_code": uscc(1)[:-1] + "I",
            "category": "other",
            "street_id": d.street_a.pk,
        },
    )
    assert bad.status_code == 400 and bad.json()["detail"][0]["field"] == "credit_code"
    listed = api(d.community_admin, "GET", "/api/v1/units?flagged=true").json()["items"]
    assert [u["name"] for u in listed] == ["鼓楼新材料有限公司"]
    assert api(d.community_admin, "GET", f"/api/v1/units/{d.unit_b1.pk}").status_code == 404


def test_coverage_api(api, district):
    d = district
    make_unit(d.admin, street=d.street_a, coverage="instructor", instructor_name="王芳")
    body = api(d.admin, "GET", "/api/v1/coverage?by=street").json()
    assert body["totals"]["total"] == Unit.objects.count() == 3
    assert body["totals"]["covered"] == 2 and body["totals"]["flagged"] == 1
    assert body["totals"]["rate"] == 66.7
    assert {g["name"] for g in body["groups"]} == {"鼓东街道党工委", "温泉街道党工委"}
    assert api(d.admin, "GET", "/api/v1/coverage?by=planet").status_code == 422


def test_openapi_and_health(client, db):
    spec = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/orgs" in spec["paths"] and "/api/v1/coverage" in spec["paths"]
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").json()["database"] == "ok"


@pytest.mark.parametrize(
    "url", ["/api/v1/orgs?limit=200", "/api/v1/units?limit=200", "/api/v1/coverage?by=community"]
)
def test_api_lists_have_bounded_queries(api, district, url, django_assert_max_num_queries):
    d = district
    for i in range(30):
        make_unit(d.admin, street=d.street_a, community=d.comm_a2, name=f"单位{i}")
        make_org(d.admin, d.comm_a2, name=f"支部{i}")
    with django_assert_max_num_queries(8):
        r = api(d.admin, "GET", url)
    assert r.status_code == 200
