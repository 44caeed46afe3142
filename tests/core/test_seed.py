"""`tongxin seed`: the contract (DEBUG only, idempotent, deterministic) and the demo world."""

import random
from io import StringIO

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import CommandError, call_command
from django.test import override_settings

from tongxin.accounts.models import RoleAssignment
from tongxin.accounts.seed import DEMO_ACCOUNTS, DEMO_PASSWORD
from tongxin.core.codes import uscc_error
from tongxin.core.models import AuditEntry
from tongxin.core.pinyin import search_key
from tongxin.orgs import rules
from tongxin.orgs import seed as org_seed
from tongxin.orgs.models import Org, Unit, path_segment
from tongxin.orgs.selectors import advisories_for

pytestmark = pytest.mark.django_db

USERNAMES = [a[0] for a in DEMO_ACCOUNTS]


def run_seed(*args) -> str:
    out = StringIO()
    with override_settings(DEBUG=True):
        call_command("seed", *args, stdout=out)
    return out.getvalue()


def snapshot():
    orgs = list(
        Org.objects.order_by("path").values_list(
            "code", "name", "type", "path", "secretary_name", "term_ends_on", "member_count"
        )
    )
    units = list(
        Unit.objects.order_by("id").values_list(
            "name", "credit_code", "coverage", "street__code", "community__code", "org__code"
        )
    )
    accounts = list(
        RoleAssignment.objects.order_by("user__username").values_list(
            "user__username", "user__display_name", "role", "org__code"
        )
    )
    return orgs, units, accounts


def wipe():
    from tongxin.assessment.models import BranchRating
    from tongxin.demands.seed import wipe as wipe_demands
    from tongxin.development.models import Applicant
    from tongxin.education import models as e
    from tongxin.grid import models as g
    from tongxin.meetings import models as mt
    from tongxin.members import models as m

    BranchRating.objects.all().delete()
    for model in (e.StudyRecord, e.BaseVisit, e.SecretaryTraining, e.StudyMaterial):
        model.objects.all().delete()
    for model in (e.StudyCampaign, e.EducationBase, mt.ComplianceSnapshot, mt.Election):
        model.objects.all().delete()
    mt.Meeting.objects.all().delete()  # attendance, events, appraisals go with them
    wipe_demands()  # demands hold the grids, orgs and handlers below
    Applicant.objects.all().delete()
    for model in (g.Visit, g.CareNeed, g.Resident, g.Household, g.Building, g.Grid):
        model.objects.all().delete()

    for model in (m.TransferEvent, m.Transfer, m.DuesRecord, m.VoluntaryPayment, m.LapseFlag):
        model.objects.all().delete()
    m.Member.objects.all().delete()
    RoleAssignment.objects.all().delete()
    get_user_model().objects.filter(username__in=USERNAMES).delete()
    Unit.objects.all().delete()
    for depth in sorted(set(Org.objects.values_list("depth", flat=True)), reverse=True):
        Org.objects.filter(depth=depth).delete()


@pytest.fixture
def demo():
    output = run_seed("--scale", "demo")
    return output


def user(username):
    return get_user_model().objects.get(username=username)


def test_refuses_without_debug():
    with override_settings(DEBUG=False), pytest.raises(CommandError, match="DEBUG"):
        call_command("seed", "--scale", "demo", stdout=StringIO())
    assert not Org.objects.exists()


def test_demo_accounts_log_in_and_are_listed(demo):
    for username in USERNAMES:
        assert authenticate(username=username, password=DEMO_PASSWORD) is not None, username
        assert user(username).display_name
        assert username in demo
    assert DEMO_PASSWORD in demo
    assert "http://127.0.0.1:8000/" in demo
    assert "区委组织部" in demo and "三坊七巷社区党委" in demo
    assert RoleAssignment.objects.count() == len(USERNAMES)


def test_scopes_are_nested(demo):
    def visible(username):
        return Org.objects.visible_to(user(username))

    district = visible("district_admin").count()
    street = visible("street_admin").count()
    community = visible("community_admin").count()
    branch = visible("branch_secretary").count()
    assert district == Org.objects.count()
    assert district > street > community > branch > 1
    # strictly nested, not merely smaller
    assert set(visible("branch_secretary")) < set(visible("community_admin"))
    assert set(visible("community_admin")) < set(visible("street_admin"))
    assert set(visible("party_member")) == set(visible("branch_secretary"))
    assert set(visible("grid_worker")) == set(visible("alliance_contact"))
    assert set(visible("representative")) == set(visible("street_admin"))


def test_second_run_writes_nothing(demo):
    before = (Org.objects.count(), Unit.objects.count(), AuditEntry.objects.count())
    output = run_seed("--scale", "demo")
    assert "already" in output
    assert (Org.objects.count(), Unit.objects.count(), AuditEntry.objects.count()) == before


def test_one_summary_audit_entry(demo):
    entry = AuditEntry.objects.get(action="seed")
    assert entry.changes["orgs.orgs"] == [None, Org.objects.count()]
    assert entry.changes["orgs.units"] == [None, Unit.objects.count()]
    assert AuditEntry.objects.count() == 1


def test_same_seed_same_data_other_seed_other_data():
    run_seed("--scale", "demo", "--seed", "7")
    first = snapshot()
    wipe()
    run_seed("--scale", "demo", "--seed", "7")
    assert snapshot() == first
    wipe()
    run_seed("--scale", "demo", "--seed", "8")
    assert snapshot()[1] != first[1]


def test_plan_is_deterministic_per_seed():
    a = org_seed.plan("district", random.Random("3:orgs"))
    b = org_seed.plan("district", random.Random("3:orgs"))
    c = org_seed.plan("district", random.Random("4:orgs"))
    assert a.orgs == b.orgs and a.units == b.units
    assert a.units != c.units


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_demo_plan_has_every_case(seed):
    p = org_seed.plan("demo", random.Random(f"{seed}:orgs"))
    assert p.orgs[0]["type"] == rules.DISTRICT and p.orgs[0]["name"] == "鼓楼区委"
    streets = [o for o in p.orgs if o["type"] == rules.STREET]
    assert 3 <= len(streets) <= 4
    assert all(o["name"].endswith("街道党工委") for o in streets)
    sectors = {o["sector"] for o in p.orgs}
    assert {
        "organ", "institution", "soe", "non_public_enterprise", "social_organisation",
        "commercial_building", "park", "market", "community",
    } <= sectors  # fmt: skip
    assert {u["coverage"] for u in p.units} == {"own_org", "joint_branch", "instructor", "none"}
    assert any(u["party_member_count"] >= 3 and u["coverage"] != "own_org" for u in p.units)
    joints = [i for i, o in enumerate(p.orgs) if o["type"] == rules.JOINT_BRANCH]
    assert joints and all(
        2 <= sum(u["org"] == j for u in p.units) <= rules.JOINT_BRANCH_MAX_UNITS for j in joints
    )
    assert 30 <= len(p.units) <= 120


def test_units_and_orgs_are_valid(demo):
    codes = list(Unit.objects.values_list("credit_code", flat=True))
    assert len(codes) == len(set(codes))
    assert all(uscc_error(code) is None for code in codes)
    for unit in Unit.objects.select_related("street", "community", "org"):
        assert unit.street.type == rules.STREET
        if unit.community:
            assert unit.community.parent_id == unit.street_id
        assert (
            rules.coverage_error(
                unit.coverage, has_org=unit.org_id is not None, instructor_name=unit.instructor_name
            )
            is None
        ), unit.name
        if unit.org:
            assert rules.coverage_org_error(unit.coverage, unit.org.type) is None, unit.name
    for org in Org.objects.select_related("parent"):
        parent = org.parent
        assert org.path == (parent.path if parent else "") + path_segment(org.pk)
        assert org.depth == (parent.depth + 1 if parent else 0)
        assert rules.parent_error(org.type, parent.type if parent else None) is None, org.name
        assert org.search_key == search_key(org.name, org.code)
        assert org.full_member_count <= org.member_count
        if org.term_started_on:
            assert org.term_ends_on == rules.term_end(org.term_started_on, org.type, org.sector)


def test_demo_shows_every_advisory(demo):
    codes = set()
    for org in Org.objects.all():
        codes |= {a.code for a in advisories_for(org, today=org_seed.REFERENCE_DATE)}
    assert {"needs_committee", "branch_too_large", "term_expiring", "term_overdue"} <= codes
    branch = RoleAssignment.objects.get(user__username="branch_secretary").org
    assert branch.full_member_count >= 7 and not branch.has_committee
    assert branch.secretary_name == user("branch_secretary").display_name


def test_ids_continue_after_seed(demo):
    # the id sequences were reset: a normal insert after the bulk seed does not collide
    root = Org.objects.get(parent=None)
    org = Org.objects.create(code="X1", name="新支部", type="branch", parent=root, path="tmp")
    assert org.pk > Org.objects.exclude(pk=org.pk).order_by("-pk").first().pk


def test_only_runs_the_chosen_seeders_on_a_seeded_database():
    run_seed("--scale", "demo", "--only", "orgs,accounts")
    orgs = Org.objects.count()
    assert orgs and RoleAssignment.objects.exists()
    from tongxin.members.models import Member

    assert not Member.objects.exists()  # members did not run
    # without orgs in the list, the chosen seeders run on the populated database
    output = run_seed("--scale", "demo", "--only", "members")
    assert "already" not in output
    assert Member.objects.exists() and Org.objects.count() == orgs
    entry = AuditEntry.objects.filter(action="seed").order_by("-id").first()
    assert entry.object_repr.endswith("--only members")
    # with orgs in the list, a populated database is left alone
    assert "already" in run_seed("--scale", "demo", "--only", "orgs,members")


def test_only_refuses_an_unknown_seeder():
    with pytest.raises(CommandError, match="Unknown seeders"):
        run_seed("--scale", "demo", "--only", "orgs,nonsense")
    assert not Org.objects.exists()
