"""The grid seeder of `tongxin seed`, at demo scale: every row one the services could write."""

from io import StringIO
from unittest import mock

import pytest
from django.core.management import call_command
from django.test import override_settings

from tongxin.core.codes import id_number_error
from tongxin.core.crypto import digest
from tongxin.core.management.commands import seed as seed_command
from tongxin.grid import access, rules
from tongxin.grid.models import CareNeed, Grid, Household, Resident, Visit
from tongxin.orgs.models import Org
from tongxin.orgs.seed import REFERENCE_DATE

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo():
    wanted = ("orgs", "accounts", "members", "grid")
    seeders = tuple(s for s in seed_command.SEEDERS if s[0] in wanted)
    assert [s[0] for s in seeders] == list(wanted)
    out = StringIO()
    with override_settings(DEBUG=True), mock.patch.object(seed_command, "SEEDERS", seeders):
        call_command("seed", "--scale", "demo", "--seed", "1", stdout=out)
    return out.getvalue()


def test_every_community_has_grids_with_valid_boundaries(demo):
    communities = Org.objects.filter(type="community_committee")
    grids = list(Grid.objects.select_related("community", "party_org"))
    assert {g.community_id for g in grids} == set(communities.values_list("pk", flat=True))
    for grid in grids:
        assert rules.boundary_errors(grid.boundary) == [], grid.code
        if grid.party_org is not None:
            assert grid.party_org.path.startswith(grid.community.path)
            assert grid.party_org.pk != grid.community_id
    assert all(g.party_org_id for g in grids)
    assert "grid.grids" in demo


def test_the_demo_grid_worker_sees_their_two_grids(demo):
    from django.contrib.auth import get_user_model

    gw = get_user_model().objects.get(username="grid_worker")
    mine = list(Grid.objects.visible_to(gw).order_by("code"))
    assert len(mine) == 2
    assert mine[0].leader == gw
    assert all(access.works_in(gw, g) for g in mine)
    admin = get_user_model().objects.get(username="community_admin")
    assert Grid.objects.visible_to(admin).count() == 3


def test_residents_households_care_and_visits_follow_the_rules(demo):
    residents = list(Resident.objects.select_related("member"))
    assert len(residents) > 100
    ids = [r.id_number for r in residents if r.id_number]
    assert len(ids) == len(set(ids)) > 50
    for r in residents:
        if r.id_number:
            assert id_number_error(r.id_number, birth_date=r.birth_date) is None
            assert r.id_digest == digest(r.id_number)
    linked = [r for r in residents if r.member_id]
    assert linked and all(r.member.id_number == r.id_number for r in linked)
    heads = Resident.objects.filter(relation="head").count()
    assert heads == Household.objects.count()
    for need in CareNeed.objects.select_related("resident", "household"):
        size = need.household.residents.count()
        assert (
            rules.care_need_error(
                need.group,
                has_resident=need.resident_id is not None,
                birth_date=need.resident.birth_date if need.resident else None,
                household_size=size,
                today=REFERENCE_DATE,
            )
            is None
        )
    assert CareNeed.objects.filter(group="elderly_alone").exists()
    visits = list(Visit.objects.select_related("household", "grid"))
    assert visits and any(v.has_problem for v in visits)
    for v in visits:
        assert v.visited_on < REFERENCE_DATE
        assert v.household.grid_id == v.grid_id
        assert v.visitor_id in (v.grid.leader_id, *v.grid.workers.values_list("pk", flat=True))
        assert v.has_problem == bool(v.problem_found)
