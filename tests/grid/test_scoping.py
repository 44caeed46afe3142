"""Who sees which grids (access.grid_scope_q): per role, for every grid model."""

import pytest

from tests.factories import make_user
from tests.grid.factories import make_resident, make_visit
from tongxin.accounts.models import RoleAssignment
from tongxin.grid.models import Building, CareNeed, Grid, Household, Resident, Visit

pytestmark = pytest.mark.django_db


def names(qs):
    return sorted(g.name for g in qs)


def test_district_admin_sees_every_grid(district, world):
    assert names(Grid.objects.visible_to(district.admin)) == [
        "三坊第一网格", "三坊第二网格", "温泉第一网格",
    ]  # fmt: skip


def test_street_and_community_admins_see_their_subtree(district, world):
    assert names(Grid.objects.visible_to(district.street_admin)) == ["三坊第一网格", "三坊第二网格"]
    assert names(Grid.objects.visible_to(district.community_admin)) == [
        "三坊第一网格", "三坊第二网格",
    ]  # fmt: skip
    assert names(Grid.objects.visible_to(district.other_community)) == ["温泉第一网格"]


def test_grid_worker_sees_only_the_grids_they_lead_or_work_in(district, world):
    assert names(Grid.objects.visible_to(world.gw)) == ["三坊第一网格"]
    assert names(Grid.objects.visible_to(world.gw2)) == ["三坊第二网格"]
    leader_only = make_user("leader_a", role="grid_worker", org=district.comm_a1)
    world.grid_a2.leader = leader_only
    world.grid_a2.save()
    assert names(Grid.objects.visible_to(leader_only)) == ["三坊第二网格"]


def test_grid_worker_loses_grids_when_their_role_moves_or_ends(district, world):
    assignment = RoleAssignment.objects.get(user=world.gw)
    assignment.org = district.comm_b1  # now bound to another community: the A1 grid is gone
    assignment.save()
    world.gw._tongxin_assignments = None
    assert names(Grid.objects.visible_to(world.gw)) == []
    assignment.org, assignment.active = district.comm_a1, False
    assignment.save()
    world.gw._tongxin_assignments = None
    assert names(Grid.objects.visible_to(world.gw)) == []


@pytest.mark.parametrize("who", ["secretary", "party_member", "dept_handler", "anonymous"])
def test_other_roles_see_no_grid_data(district, world, who):
    from django.contrib.auth.models import AnonymousUser

    users = {
        "secretary": district.secretary,
        "party_member": make_user("pm", role="party_member", org=district.branch_a1),
        "dept_handler": make_user("dh", role="dept_handler", org=district.root),
        "anonymous": AnonymousUser(),
    }
    user = users[who]
    make_resident(world.household_a)
    for model in (Grid, Building, Household, Resident, CareNeed, Visit):
        assert not model.objects.visible_to(user).exists(), model


def test_every_model_follows_its_grid(district, world):
    resident_a = make_resident(world.household_a)
    resident_a2 = make_resident(world.household_a2)
    make_visit(world.household_a, world.gw)
    make_visit(world.household_a2, world.gw2)
    CareNeed.objects.create(household=world.household_a2, group="low_income", since="2026-01-01")
    gw = world.gw
    assert list(Household.objects.visible_to(gw)) == [world.household_a]
    assert list(Resident.objects.visible_to(gw)) == [resident_a]
    assert [v.household for v in Visit.objects.visible_to(gw)] == [world.household_a]
    assert not CareNeed.objects.visible_to(gw).exists()
    assert set(Building.objects.visible_to(gw)) == {world.household_a.building}
    admin = district.community_admin
    assert set(Resident.objects.visible_to(admin)) == {resident_a, resident_a2}
    assert Visit.objects.visible_to(admin).count() == 2
    assert not Resident.objects.visible_to(district.other_community).exists()


def test_manageable_by_excludes_grid_workers(district, world):
    assert not Grid.objects.manageable_by(world.gw).exists()
    assert Grid.objects.manageable_by(district.community_admin).count() == 2
