"""Grid pages per role: lists, detail, the map, forms (the visit form at 375 px), reveals."""

import json
from datetime import date, timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from tests.grid.factories import make_grid, make_household, make_resident, make_visit, square
from tests.member_factories import id_number
from tongxin.core.models import AuditEntry
from tongxin.grid.models import Grid, Household, Visit

pytestmark = pytest.mark.django_db


def features_of(response) -> dict:
    body = response.content.decode()
    start = body.index('<script id="grid-features" type="application/json">')
    start = body.index(">", start) + 1
    return json.loads(body[start : body.index("</script>", start)])


def test_grid_list_is_scoped_and_paged_without_n_plus_1(
    client, district, world, django_assert_max_num_queries
):
    for i in range(8):
        make_grid(district.comm_a1, name=f"额外网格{i}", leader=world.gw)
    client.force_login(district.community_admin)
    with django_assert_max_num_queries(8):
        response = client.get("/grids/")
    body = response.content.decode()
    assert response.status_code == 200
    assert "三坊第一网格" in body and "额外网格7" in body
    assert "温泉第一网格" not in body
    client.force_login(world.gw)
    body = client.get("/grids/").content.decode()
    assert "三坊第一网格" in body and "三坊第二网格" not in body


def test_pages_refuse_people_without_a_grid_role(client, district, world):
    client.force_login(district.secretary)
    for url in ("/grids/", "/grids/map/", "/grids/visits/", "/grids/new/"):
        assert client.get(url).status_code == 403, url
    assert client.get(f"/grids/{world.grid_a.pk}/").status_code == 404


def test_other_community_gets_404_for_objects(client, district, world):
    client.force_login(district.other_community)
    resident = make_resident(world.household_a)
    for url in (
        f"/grids/{world.grid_a.pk}/",
        f"/grids/{world.grid_a.pk}/edit/",
        f"/grids/households/{world.household_a.pk}/",
        f"/grids/households/{world.household_a.pk}/visits/new/",
        f"/grids/residents/{resident.pk}/reveal/phone/",
    ):
        assert client.get(url).status_code == 404, url
        assert client.post(url).status_code == 404, url


def test_grid_worker_sees_only_own_grid_pages(client, world):
    client.force_login(world.gw)
    assert client.get(f"/grids/{world.grid_a.pk}/").status_code == 200
    assert client.get(f"/grids/{world.grid_a2.pk}/").status_code == 404
    assert client.get(f"/grids/households/{world.household_a2.pk}/").status_code == 404
    assert client.get(f"/grids/{world.grid_a.pk}/edit/").status_code == 403  # not a manager
    assert client.get("/grids/new/").status_code == 403


def test_grid_detail_lists_households_and_visits(
    client, district, world, django_assert_max_num_queries
):
    for i in range(5):
        make_visit(
            make_household(world.grid_a, head_name=f"住户{i}"), world.gw, problem_found="漏水"
        )
    client.force_login(district.community_admin)
    with django_assert_max_num_queries(16):
        response = client.get(f"/grids/{world.grid_a.pk}/")
    body = response.content.decode()
    assert "林觉民" in body and "住户4" in body and "漏水" in body
    assert features_of(response)["features"][0]["geometry"] == world.grid_a.boundary


@override_settings(TONGXIN={**__import__("django.conf").conf.settings.TONGXIN, "MAP_TILE_URL": ""})
def test_map_page_draws_scope_boundaries_offline(client, district, world):
    Grid.objects.filter(pk=world.grid_a2.pk).update(boundary=None)
    client.force_login(district.community_admin)
    response = client.get("/grids/map/")
    assert response.status_code == 200
    features = features_of(response)
    assert [f["properties"]["name"] for f in features["features"]] == ["三坊第一网格"]
    assert features["features"][0]["geometry"] == world.grid_a.boundary
    body = response.content.decode()
    assert "/static/leaflet/leaflet.js" in body  # django-leaflet's bundled copy, no CDN
    assert "openstreetmap" not in body and "https://" not in body.split("<main")[1]
    assert '"layers": []' in body  # no base tiles: a blank background


def test_map_tiles_come_from_the_setting(client, district, world, settings):
    settings.TONGXIN = {**settings.TONGXIN, "MAP_TILE_URL": "/tiles/{z}/{x}/{y}.png"}
    client.force_login(district.community_admin)
    body = client.get("/grids/map/").content.decode()
    assert "/tiles/{z}/{x}/{y}.png" in body


def test_create_grid_through_the_form(client, district, world):
    client.force_login(district.community_admin)
    response = client.get("/grids/new/")
    assert response.status_code == 200
    response = client.post(
        "/grids/new/",
        {
            "community": district.comm_a1.pk,
            "code": "SF-09",
            "name": "三坊第九网格",
            "boundary": json.dumps(square()),
            "leader": world.gw.pk,
            "workers": [world.gw.pk, world.gw2.pk],
        },
    )
    grid = Grid.objects.get(code="SF-09")
    assert response.status_code == 302 and response["Location"] == f"/grids/{grid.pk}/"
    assert grid.boundary == square() and grid.workers.count() == 2


def test_grid_form_names_a_bad_boundary(client, district):
    client.force_login(district.community_admin)
    response = client.post(
        "/grids/new/",
        {
            "community": district.comm_a1.pk,
            "code": "SF-10",
            "name": "x",
            "boundary": '{"type": "Point"}',
        },
    )
    assert response.status_code == 400
    assert "Polygon or MultiPolygon" in response.content.decode() or "Polygon" in str(
        response.context["form"].errors["boundary"]
    )
    assert not Grid.objects.filter(code="SF-10").exists()


def test_grid_worker_adds_household_and_resident(client, world):
    client.force_login(world.gw)
    response = client.post(
        f"/grids/{world.grid_a.pk}/households/new/",
        {"head_name": "萨镇冰", "room": "1单元101", "phone": "13800001111", "address": "南后街"},
    )
    household = Household.objects.get(head_name="萨镇冰")
    assert response["Location"] == f"/grids/households/{household.pk}/"
    number = id_number(date(1948, 3, 3), 5)
    response = client.post(
        f"/grids/households/{household.pk}/residents/new/",
        {"name": "萨镇冰", "gender": "male", "relation": "head", "id_number": number},
    )
    assert response.status_code == 302
    body = client.get(f"/grids/households/{household.pk}/").content.decode()
    assert number not in body and number[-4:] in body  # masked, tail shown
    assert "13800001111" not in body and "1111" in body


VISIT_FIELDS = {"visited_on", "learned", "problem_found"}


def test_visit_form_is_a_plain_mobile_form(client, world):
    client.force_login(world.gw)
    url = f"/grids/households/{world.household_a.pk}/visits/new/"
    response = client.get(url)
    body = response.content.decode()
    assert response.status_code == 200
    assert 'name="viewport" content="width=device-width, initial-scale=1"' in body
    form = response.context["form"]
    assert set(form.fields) == VISIT_FIELDS
    assert 'type="date"' in body and "<table" not in body.split('id="visit-form"')[1]
    assert "leaflet" not in body  # no map on the phone form
    assert form.initial["visited_on"] == timezone.localdate()
    response = client.post(
        url,
        {
            "visited_on": timezone.localdate().isoformat(),
            "learned": "家中老人身体好",
            "problem_found": "",
        },
    )
    assert response.status_code == 302
    visit = Visit.objects.get()
    assert (visit.visitor, visit.household, visit.has_problem) == (
        world.gw,
        world.household_a,
        False,
    )


def test_visit_form_refuses_a_future_date_and_names_the_field(client, world):
    client.force_login(world.gw)
    tomorrow = timezone.localdate() + timedelta(days=1)
    response = client.post(
        f"/grids/households/{world.household_a.pk}/visits/new/",
        {"visited_on": tomorrow.isoformat(), "learned": "x"},
    )
    assert response.status_code == 400
    assert response.context["form"].errors["visited_on"]
    assert not Visit.objects.exists()


def test_reveal_is_post_only_and_audited(client, district, world):
    client.force_login(district.community_admin)
    url = f"/grids/households/{world.household_a.pk}/reveal/phone/"
    assert client.get(url).status_code == 405
    response = client.post(url, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert world.household_a.phone in response.content.decode()
    assert AuditEntry.objects.filter(action="unmask", result="ok").count() == 1
    resident = make_resident(world.household_a, id_number=id_number(date(1950, 1, 2), 7))
    client.force_login(world.gw)
    response = client.post(f"/grids/residents/{resident.pk}/reveal/id_number/")
    assert response.status_code == 403
    assert AuditEntry.objects.filter(action="unmask", result="denied").count() == 1


def test_edit_grid_through_the_form_keeps_the_community(client, district, world):
    client.force_login(district.community_admin)
    url = f"/grids/{world.grid_a.pk}/edit/"
    form = client.get(url).context["form"]
    assert form.initial["workers"] == [world.gw.pk]
    assert json.loads(form.initial["boundary"]) == world.grid_a.boundary
    response = client.post(
        url,
        {
            "community": district.comm_b1.pk,  # ignored: the field is disabled
            "code": world.grid_a.code,
            "name": "三坊一网格（改）",
            "boundary": "",
            "workers": [world.gw2.pk],
        },
    )
    assert response.status_code == 302
    world.grid_a.refresh_from_db()
    assert world.grid_a.community == district.comm_a1
    assert world.grid_a.name == "三坊一网格（改）"
    assert world.grid_a.boundary is None and world.grid_a.leader is None
    assert list(world.grid_a.workers.all()) == [world.gw2]
    assert AuditEntry.objects.filter(action="update", object_type="grid.grid").count() == 1


def test_buildings_and_care_needs_through_the_forms(client, world):
    client.force_login(world.gw)
    response = client.post(
        f"/grids/{world.grid_a.pk}/buildings/new/", {"name": "5号楼", "floors": "9"}
    )
    assert response.status_code == 302
    assert world.grid_a.buildings.filter(name="5号楼", floors=9).exists()
    response = client.post(f"/grids/{world.grid_a.pk}/buildings/new/", {"name": "5号楼"})
    assert response.status_code == 400  # the grid has one of that name
    url = f"/grids/households/{world.household_a.pk}/care/new/"
    response = client.post(url, {"group": "family_difficulty", "details": "失业"})
    assert response.status_code == 302
    response = client.post(url, {"group": "disabled"})  # a personal group needs a resident
    assert response.status_code == 400
    assert response.context["form"].errors["resident"]
    body = client.get(f"/grids/households/{world.household_a.pk}/").content.decode()
    assert "失业" not in body  # details stay masked


def test_my_visits_lists_only_the_visits_i_logged(client, world, django_assert_max_num_queries):
    for i in range(3):
        make_visit(world.household_a, world.gw, learned=f"我的走访{i}")
    make_visit(world.household_a2, world.gw2, learned="别人的走访")
    client.force_login(world.gw)
    with django_assert_max_num_queries(8):
        body = client.get("/grids/visits/").content.decode()
    assert "我的走访2" in body and "别人的走访" not in body
