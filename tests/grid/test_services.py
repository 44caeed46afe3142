"""Grid services: what they write, what they refuse (writing nothing), what they audit."""

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.utils import translation

from tests.factories import make_org, make_user
from tests.grid.factories import make_resident, square
from tests.member_factories import id_number, make_member
from tongxin.core.crypto import digest
from tongxin.core.models import AuditEntry
from tongxin.grid.models import Building, CareNeed, Grid, Household, Resident, Visit
from tongxin.grid.services import grids as grid_services
from tongxin.grid.services import households as services
from tongxin.grid.services import visits as visit_services

pytestmark = pytest.mark.django_db
TODAY = date(2026, 11, 26)


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def messages(exc: ValidationError) -> dict:
    return exc.message_dict


def raw(table: str, column: str, pk: int) -> str:
    """The stored (encrypted) text of a column, bypassing the field's decryption."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [pk])
        return cursor.fetchone()[0]


# --- grids -----------------------------------------------------------------------------------


def test_create_grid_with_boundary_staff_and_party_group(district, world):
    group = make_org(district.admin, district.branch_a1, name="第一党小组", type="party_group")
    grid = grid_services.create_grid(
        actor=district.community_admin,
        community=district.comm_a1,
        code=" SF-03 ",
        name="三坊第三网格",
        boundary={"type": "Feature", "properties": {}, "geometry": square()},
        leader=world.gw,
        workers=[world.gw, world.gw2],
        party_org=group,
    )
    grid.refresh_from_db()
    assert grid.code == "SF-03"
    assert grid.boundary == square()  # the Feature's geometry is kept
    assert set(grid.workers.all()) == {world.gw, world.gw2}
    assert grid.party_org == group
    entry = AuditEntry.objects.get(action="create", object_type="grid.grid", object_id=str(grid.pk))
    assert entry.actor == district.community_admin
    assert entry.changes["workers"] == [None, sorted([world.gw.pk, world.gw2.pk])]


def test_create_grid_refusals_name_each_field_and_write_nothing(district, world):
    outsider = make_user("gw_b_other", role="grid_worker", org=district.comm_b1)
    before = (Grid.objects.count(), AuditEntry.objects.count())
    with pytest.raises(ValidationError) as exc:
        grid_services.create_grid(
            actor=district.community_admin,
            community=district.comm_a1,
            code=world.grid_a.code,  # taken
            name="三坊第一网格",  # taken in the community
            boundary={"type": "Polygon", "coordinates": [[[119.3, 26.0], [119.4, 26.0]]]},
            leader=district.other_community,  # admin of another community
            workers=[outsider],  # grid worker of another community
            party_org=district.branch_b1,  # outside the community
        )
    errors = messages(exc.value)
    assert set(errors) == {"code", "name", "boundary", "leader", "workers", "party_org"}
    assert "at least 4 positions" in errors["boundary"][0]
    assert (Grid.objects.count(), AuditEntry.objects.count()) == before


def test_party_org_must_be_a_branch_or_group_inside_the_community(district):
    with pytest.raises(ValidationError) as exc:
        grid_services.create_grid(
            actor=district.community_admin,
            community=district.comm_a1,
            code="X1",
            name="网格",
            party_org=district.comm_a1,
        )
    assert "inside the community" in messages(exc.value)["party_org"][0]


@pytest.mark.parametrize("actor", ["other_community", "secretary", "street_admin_b"])
def test_only_managers_of_the_community_create_grids(district, actor):
    users = {
        "other_community": district.other_community,
        "secretary": district.secretary,
        "street_admin_b": make_user("sb", role="street_admin", org=district.street_b),
    }
    with pytest.raises(PermissionDenied):
        grid_services.create_grid(
            actor=users[actor], community=district.comm_a1, code="X2", name="网格"
        )
    assert not Grid.objects.filter(code="X2").exists()


def test_grid_worker_cannot_create_a_grid(district, world):
    with pytest.raises(PermissionDenied):
        grid_services.create_grid(actor=world.gw, community=district.comm_a1, code="X3", name="x")


def test_update_grid_replaces_workers_and_audits_the_change(district, world):
    grid_services.update_grid(
        actor=district.street_admin, grid=world.grid_a, workers=[world.gw2], name="新名字"
    )
    world.grid_a.refresh_from_db()
    assert list(world.grid_a.workers.all()) == [world.gw2]
    entry = AuditEntry.objects.get(action="update", object_id=str(world.grid_a.pk))
    assert entry.changes["workers"] == [[world.gw.pk], [world.gw2.pk]]
    assert entry.changes["name"] == ["三坊第一网格", "新名字"]


def test_update_grid_refuses_a_bad_boundary_and_keeps_the_old(district, world):
    old = world.grid_a.boundary
    with pytest.raises(ValidationError) as exc:
        grid_services.update_grid(
            actor=district.community_admin,
            grid=world.grid_a,
            boundary={
                "type": "Polygon",
                "coordinates": [[[26.0, 119.3], [26.1, 119.3], [26.1, 119.4], [26.0, 119.3]]],
            },
        )
    assert "latitude" in messages(exc.value)["boundary"][0]
    world.grid_a.refresh_from_db()
    assert world.grid_a.boundary == old


# --- households, residents, care -------------------------------------------------------------


def test_grid_worker_records_a_household_with_encrypted_phone_and_address(world):
    household = services.create_household(
        actor=world.gw,
        grid=world.grid_a,
        head_name="林则徐",
        room="2单元301",
        phone="13912345678",
        address="鼓楼区南后街1号",
    )
    assert raw("grid_household", "phone", household.pk).startswith("a1:")
    assert raw("grid_household", "address", household.pk).startswith("a1:")
    household.refresh_from_db()
    assert (household.phone, household.phone_tail) == ("13912345678", "5678")
    entry = AuditEntry.objects.get(object_type="grid.household", object_id=str(household.pk))
    assert entry.changes["phone"] == ["***", "***"]
    assert "13912345678" not in str(entry.changes)


def test_household_refusals(world):
    other_building = Building.objects.create(grid=world.grid_b, name="9号楼")
    count = Household.objects.count()
    with pytest.raises(ValidationError) as exc:
        services.create_household(
            actor=world.gw, grid=world.grid_a, head_name=" ", phone="12345", building=other_building
        )
    assert set(messages(exc.value)) == {"head_name", "phone", "building"}
    with pytest.raises(PermissionDenied):  # a worker of another grid of the same community
        services.create_household(actor=world.gw2, grid=world.grid_a, head_name="某某")
    assert Household.objects.count() == count


def test_create_resident_checks_id_fills_birth_date_and_links_member(district, world):
    member = make_member(district.branch_a1, name="王晓东", birth_date=date(1975, 4, 3))
    resident = services.create_resident(
        actor=world.gw,
        household=world.household_a,
        name="王晓东",
        gender="male",
        id_number=member.id_number.lower(),
        relation="head",
        today=TODAY,
    )
    resident.refresh_from_db()
    assert resident.birth_date == date(1975, 4, 3)
    assert resident.id_digest == digest(member.id_number)
    assert resident.id_tail == member.id_number[-4:]
    assert resident.member == member
    audit = AuditEntry.objects.get(object_type="grid.resident", object_id=str(resident.pk))
    assert audit.changes["id_number"] == ["***", "***"]


def test_resident_refusals_write_nothing(world):
    number = id_number(date(1950, 5, 5), 3)
    make_resident(world.household_a, id_number=number, relation="head")
    count = Resident.objects.count()
    with pytest.raises(ValidationError) as exc:
        services.create_resident(
            actor=world.gw,
            household=world.household_a,
            name="",
            gender="x",
            id_number=number,  # already recorded
            relation="head",  # the household has one
            phone="abc",
            today=TODAY,
        )
    errors = messages(exc.value)
    assert set(errors) == {"name", "gender", "id_number", "relation", "phone"}
    assert "already recorded" in errors["id_number"][0]
    with pytest.raises(ValidationError) as exc:
        services.create_resident(
            actor=world.gw,
            household=world.household_a,
            name="某某",
            gender="female",
            id_number=number[:-1] + ("0" if number[-1] != "0" else "1"),
            birth_date=date(2027, 1, 1),
            today=TODAY,
        )
    assert set(messages(exc.value)) == {"id_number", "birth_date"}
    assert Resident.objects.count() == count


def test_care_needs_follow_the_rules(world):
    old = make_resident(world.household_a, birth_date=date(1940, 1, 1), relation="head")
    need = services.add_care_need(
        actor=world.gw,
        household=world.household_a,
        group="elderly_alone",
        resident=old,
        details="独居，子女在外地",
        today=TODAY,
    )
    assert need.since == TODAY
    assert raw("grid_careneed", "details", need.pk).startswith("a1:")
    with pytest.raises(ValidationError) as exc:  # the same group again
        services.add_care_need(
            actor=world.gw, household=world.household_a, group="elderly_alone", resident=old,
            today=TODAY,
        )  # fmt: skip
    assert "already recorded" in messages(exc.value)["group"][0]
    make_resident(world.household_a, birth_date=date(1990, 1, 1))
    with pytest.raises(ValidationError) as exc:  # no longer alone; a family group with a person
        services.add_care_need(
            actor=world.gw, household=world.household_a, group="family_difficulty", resident=old,
            today=TODAY,
        )  # fmt: skip
    assert "whole household" in messages(exc.value)["resident"][0]
    other = make_resident(world.household_b)
    with pytest.raises(ValidationError) as exc:
        services.add_care_need(
            actor=world.gw, household=world.household_a, group="disabled", resident=other,
            today=TODAY,
        )  # fmt: skip
    assert "another household" in messages(exc.value)["resident"][0]
    assert CareNeed.objects.count() == 1


# --- visits ----------------------------------------------------------------------------------


def test_record_visit(world):
    visit = visit_services.record_visit(
        actor=world.gw,
        household=world.household_a,
        visited_on=TODAY,
        learned="老人腿脚不便",
        problem_found="楼道灯不亮",
        today=TODAY,
    )
    visit.refresh_from_db()
    assert (visit.grid, visit.visitor, visit.has_problem) == (world.grid_a, world.gw, True)
    assert visit.problem_found == "楼道灯不亮"
    assert raw("grid_visit", "learned", visit.pk).startswith("a1:")
    assert raw("grid_visit", "problem_found", visit.pk).startswith("a1:")
    entry = AuditEntry.objects.get(object_type="grid.visit", object_id=str(visit.pk))
    assert entry.changes["learned"] == ["***", "***"]
    assert entry.changes["has_problem"] == [None, True]


def test_visit_refusals_write_nothing(world):
    with pytest.raises(ValidationError) as exc:
        visit_services.record_visit(
            actor=world.gw,
            household=world.household_a,
            visited_on=date(2026, 11, 27),
            learned="  ",
            problem_found="x" * 5001,
            today=TODAY,
        )
    errors = messages(exc.value)
    assert errors["visited_on"] == ["cannot be in the future"]
    assert errors["learned"] == ["This field is required."]
    assert "At most 5000" in errors["problem_found"][0]
    with pytest.raises(PermissionDenied):  # not a worker of that grid
        visit_services.record_visit(
            actor=world.gw, household=world.household_a2, visited_on=TODAY, learned="x",
            today=TODAY,
        )  # fmt: skip
    assert not Visit.objects.exists()
    assert not AuditEntry.objects.filter(object_type="grid.visit").exists()


# --- reveal ----------------------------------------------------------------------------------


def test_reveal_is_audited_and_limited_by_role(district, world):
    resident = make_resident(world.household_a, id_number=id_number(date(1950, 5, 5), 9))
    assert services.reveal(actor=district.community_admin, obj=resident, field="id_number") == (
        resident.id_number
    )
    # a grid worker may see phones and addresses of their grid, never ID numbers
    assert services.reveal(actor=world.gw, obj=world.household_a, field="phone") == (
        world.household_a.phone
    )
    with pytest.raises(PermissionDenied):
        services.reveal(actor=world.gw, obj=resident, field="id_number")
    with pytest.raises(PermissionDenied):  # street admins supervise, they do not unmask
        services.reveal(actor=district.street_admin, obj=world.household_a, field="phone")
    with pytest.raises(ValidationError):
        services.reveal(actor=district.community_admin, obj=resident, field="name")
    results = list(
        AuditEntry.objects.filter(action="unmask").order_by("id").values_list("result", flat=True)
    )
    assert results == ["ok", "ok", "denied", "denied"]
    assert not any(resident.id_number in str(e.changes) for e in AuditEntry.objects.all())
