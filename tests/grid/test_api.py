"""/api/v1/grids: scoped lists and detail, visits posted with every problem named (422)."""

import pytest
from django.utils import timezone

from tests.grid.factories import make_grid
from tongxin.accounts.services import issue_api_token
from tongxin.core.models import AuditEntry
from tongxin.grid.models import Visit

pytestmark = pytest.mark.django_db


def auth(user) -> dict:
    return {"Authorization": f"Bearer {issue_api_token(user=user)}"}


def test_list_is_scoped_and_keyset_paged(client, district, world, django_assert_max_num_queries):
    for i in range(4):
        make_grid(district.comm_a1, name=f"额外{i}")
    headers = auth(district.community_admin)
    with django_assert_max_num_queries(6):
        page = client.get("/api/v1/grids?limit=3", headers=headers).json()
    assert [g["name"] for g in page["items"]] == ["三坊第一网格", "三坊第二网格", "额外0"]
    assert page["items"][0]["leader"] == {"id": world.gw.pk, "name": "刘美玲"}
    assert "boundary" not in page["items"][0]
    rest = client.get(f"/api/v1/grids?limit=3&cursor={page['next']}", headers=headers).json()
    assert [g["name"] for g in rest["items"]] == ["额外1", "额外2", "额外3"]
    assert rest["next"] is None
    other = client.get("/api/v1/grids", headers=auth(district.other_community)).json()
    assert [g["name"] for g in other["items"]] == ["温泉第一网格"]
    mine = client.get("/api/v1/grids", headers=auth(world.gw)).json()
    assert [g["name"] for g in mine["items"]] == ["三坊第一网格"]


def test_list_refuses_roles_without_grids_and_bad_filters(client, district, world):
    assert client.get("/api/v1/grids", headers=auth(district.secretary)).status_code == 403
    response = client.get("/api/v1/grids?limit=0", headers=auth(district.admin))
    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "limit"


def test_detail_has_the_boundary_and_workers(client, district, world):
    response = client.get(f"/api/v1/grids/{world.grid_a.pk}", headers=auth(world.gw))
    data = response.json()
    assert data["boundary"] == world.grid_a.boundary
    assert data["workers"] == [{"id": world.gw.pk, "name": "刘美玲"}]
    assert data["community_id"] == district.comm_a1.pk
    for user in (district.other_community, world.gw2):
        response = client.get(f"/api/v1/grids/{world.grid_a.pk}", headers=auth(user))
        assert response.status_code == 404


def test_post_a_visit(client, world):
    today = timezone.localdate().isoformat()
    response = client.post(
        f"/api/v1/grids/{world.grid_a.pk}/visits",
        {"household_id": world.household_a.pk, "visited_on": today, "learned": "一切安好",
         "problem_found": "楼道灯坏了"},
        content_type="application/json",
        headers=auth(world.gw),
    )  # fmt: skip
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["problem_found"] == "楼道灯坏了"
    assert data["visitor"]["id"] == world.gw.pk
    visit = Visit.objects.get(pk=data["id"])
    assert visit.has_problem and visit.grid == world.grid_a
    assert AuditEntry.objects.filter(object_type="grid.visit", action="create").count() == 1
    listed = client.get(f"/api/v1/grids/{world.grid_a.pk}/visits", headers=auth(world.gw)).json()
    assert [v["id"] for v in listed] == [visit.pk]


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({}, {"household_id", "visited_on", "learned"}),
        (
            {"household_id": "1", "visited_on": "2026/11/01", "learned": 5},
            {"household_id", "visited_on", "learned"},
        ),
        ({"household_id": 10**30, "visited_on": "2026-11-01", "learned": "x"}, {"household_id"}),
        (
            {"visited_on": "2999-01-01", "learned": "x", "HOUSEHOLD": 1},
            {"household_id", "HOUSEHOLD"},
        ),
        ([1, 2], {"__all__"}),
    ],
)
def test_bad_visit_bodies_answer_422_naming_the_fields(client, world, body, fields):
    response = client.post(
        f"/api/v1/grids/{world.grid_a.pk}/visits",
        body,
        content_type="application/json",
        headers=auth(world.gw),
    )
    assert response.status_code == 422, response.content
    assert {d["field"] for d in response.json()["detail"]} >= fields
    assert not Visit.objects.exists()


def test_future_date_and_household_of_another_grid_are_refused(client, world):
    headers = auth(world.gw)
    url = f"/api/v1/grids/{world.grid_a.pk}/visits"
    response = client.post(
        url,
        {"household_id": world.household_a.pk, "visited_on": "2999-01-01", "learned": "x"},
        content_type="application/json",
        headers=headers,
    )
    assert response.status_code == 422
    assert response.json()["detail"] == [
        {"field": "visited_on", "message": response.json()["detail"][0]["message"]}
    ]
    response = client.post(
        url,
        {"household_id": world.household_a2.pk, "visited_on": "2026-01-01", "learned": "x"},
        content_type="application/json",
        headers=headers,
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "household_id"
    assert not Visit.objects.exists()


def test_visit_to_a_grid_out_of_scope_is_404_whatever_the_body(client, district, world):
    for body in ({"name": "被篡改"}, {"household_id": world.household_a.pk}):
        response = client.post(
            f"/api/v1/grids/{world.grid_a.pk}/visits",
            body,
            content_type="application/json",
            headers=auth(district.other_community),
        )
        assert response.status_code == 404
    assert not Visit.objects.exists()


def test_a_street_admin_may_log_a_visit_a_secretary_may_not(client, district, world):
    body = {"household_id": world.household_a.pk, "visited_on": "2026-01-01", "learned": "x"}
    url = f"/api/v1/grids/{world.grid_a.pk}/visits"
    ok = client.post(
        url, body, content_type="application/json", headers=auth(district.street_admin)
    )
    assert ok.status_code == 201
    refused = client.post(
        url, body, content_type="application/json", headers=auth(district.secretary)
    )
    assert refused.status_code == 404
