"""Who may act on an admission file and on which step (development.access, helper H1)."""

import pytest
from django.core.exceptions import PermissionDenied

from tests.development.admission_factories import open_applicant
from tests.factories import make_org, make_user
from tongxin.development import access, rules

pytestmark = pytest.mark.django_db
HIGHER = sorted(rules.HIGHER_COMMITTEE_STEPS)
ALL = set(range(1, 26))


@pytest.fixture
def applicant(district):
    return open_applicant(district)


def test_branch_secretary_records_branch_steps_only(district, applicant):
    secretary = district.secretary
    assert access.may_view(secretary, applicant)
    assert access.steps_actor_may_record(secretary, applicant) == ALL - set(HIGHER)
    for step in HIGHER:
        assert not access.may_record_step(secretary, applicant, step)
        with pytest.raises(PermissionDenied):
            access.require_step(secretary, applicant, step)
    access.require_step(secretary, applicant, 15)


@pytest.mark.parametrize("who", ["community_admin", "street_admin", "admin"])
def test_keepers_above_the_branch_record_every_step(district, applicant, who):
    actor = getattr(district, who)
    assert access.keeps_above(actor, district.branch_a1)
    assert access.steps_actor_may_record(actor, applicant) == ALL
    access.require_step(actor, applicant, 17)


def test_outsiders_and_people_without_a_keeper_role_may_do_nothing(district, applicant):
    plain = make_user("plain")
    for actor in (district.other_community, plain):
        assert not access.may_view(actor, applicant)
        assert access.steps_actor_may_record(actor, applicant) == set()
        with pytest.raises(PermissionDenied):
            access.require_step(actor, applicant, 2)
    assert list(access.files_visible_to(district.other_community)) == []
    assert list(access.files_visible_to(district.secretary)) == [applicant]
    assert list(access.files_visible_to(district.admin)) == [applicant]


def test_secretary_of_another_branch_is_not_above(district):
    other = make_user("secretary_b1", role="branch_secretary", org=district.branch_b1)
    assert not access.keeps_above(other, district.branch_a1)
    assert not access.keeps_above(district.secretary, district.branch_a1)


def test_approver_types_follow_the_org_types(district):
    assert access.approver_type(district.street_a) == "street_committee"
    assert access.approver_type(district.root) == "district_committee"
    assert access.approver_type(district.comm_a1) == "community_committee"
    assert access.is_approving(district.street_a) and access.is_approving(district.root)
    assert not access.is_approving(district.comm_a1)
    assert not access.is_approving(district.branch_a1)
    general = make_org(district.admin, district.comm_a1, type="general_branch")
    assert not access.is_approving(general)


def test_default_approver_is_the_nearest_approving_ancestor_the_actor_keeps(district):
    branch = district.branch_a1
    assert access.default_approver(district.street_admin, branch) == district.street_a
    assert access.default_approver(district.admin, branch) == district.street_a
    # the community committee cannot approve: it is proposed, and the rules refuse it
    assert access.default_approver(district.community_admin, branch) == district.comm_a1
    assert access.default_approver(district.secretary, branch) is None
    assert access.approver_choices(district.admin, branch) == [district.street_a, district.root]
    assert access.approver_choices(district.community_admin, branch) == []
    assert access.may_act_as_approver(district.street_admin, branch, district.street_a)
    assert not access.may_act_as_approver(district.street_admin, branch, district.root)
    assert not access.may_act_as_approver(district.admin, branch, district.street_b)
    assert not access.may_act_as_approver(district.admin, branch, branch)


def test_ancestors_in_one_query(district, django_assert_num_queries):
    with django_assert_num_queries(1):
        chain = access.ancestors(district.branch_a1)
    assert chain == [district.comm_a1, district.street_a, district.root]


def test_who_is_told(district):
    assert access.branch_secretaries(district.branch_a1) == [district.secretary]
    assert access.approving_keepers(district.branch_a1) == [district.street_admin]
    # no keeper bound at the street committee of b: the district committee is told
    assert access.approving_keepers(district.branch_b1) == [district.admin]
