from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from tests.factories import make_org, make_unit, uscc
from tongxin.core.models import AuditEntry
from tongxin.orgs import services
from tongxin.orgs.models import Org, Unit


def test_create_org_sets_path_depth_term_and_audits(district):
    d = district
    before = AuditEntry.objects.count()
    org = services.create_org(
        actor=d.community_admin,
        parent=d.comm_a1,
        code="B-NEW",
        name="三坊七巷社区第二党支部",
        type="branch",
        sector="community",
        term_started_on=date(2024, 2, 29),
    )
    assert org.path == d.comm_a1.path + f"{org.pk:08d}/"
    assert org.depth == d.comm_a1.depth + 1
    assert org.term_ends_on == date(2029, 2, 28)  # community sector: 5-year term
    assert "sfqx" in org.search_key
    entry = AuditEntry.objects.latest("id")
    assert AuditEntry.objects.count() == before + 1
    assert (entry.action, entry.object_id, entry.actor_id) == (
        "create",
        str(org.pk),
        d.community_admin.pk,
    )
    assert entry.changes["name"] == [None, "三坊七巷社区第二党支部"]


def test_subtree_is_one_query(district, django_assert_num_queries):
    with django_assert_num_queries(1):
        names = {o.name for o in Org.objects.subtree(district.street_a)}
    assert names == {"鼓东街道党工委", "三坊七巷社区党委", "东街社区党委", "三坊七巷社区第一党支部"}


def test_cannot_create_outside_scope(district):
    with pytest.raises(PermissionDenied):
        make_org(district.community_admin, district.comm_b1)
    with pytest.raises(PermissionDenied):  # branch secretaries do not manage the tree
        make_org(district.secretary, district.branch_a1, type="party_group")
    assert (
        not Org.objects.filter(parent=district.comm_b1, type="branch")
        .exclude(pk=district.branch_b1.pk)
        .exists()
    )


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"type": "branch_office"}, "type"),
        ({"type": "street_committee"}, "parent"),
        ({"code": "B-A1"}, "code"),
        ({"member_count": 3, "full_member_count": 5}, "__all__"),
        ({"term_started_on": date(2024, 1, 1), "term_ends_on": date(2023, 1, 1)}, "term_ends_on"),
        ({"founded_on": date(2999, 1, 1)}, "founded_on"),
    ],
)
def test_bad_org_input_names_the_field_and_writes_nothing(district, fields, field):
    count, audits = Org.objects.count(), AuditEntry.objects.count()
    data = {"code": "NEW1", "name": "新支部", "type": "branch", "sector": "community", **fields}
    with pytest.raises(ValidationError) as exc:
        services.create_org(actor=district.admin, parent=district.comm_a1, **data)
    assert field in exc.value.message_dict
    assert (Org.objects.count(), AuditEntry.objects.count()) == (count, audits)


def test_move_updates_the_whole_subtree(district):
    d = district
    group = make_org(d.admin, d.branch_a1, type="party_group", name="第一党小组")
    services.update_org(actor=d.admin, org=d.branch_a1, parent=d.comm_b1)
    group.refresh_from_db()
    d.branch_a1.refresh_from_db()
    assert d.branch_a1.path.startswith(d.comm_b1.path)
    assert group.path.startswith(d.branch_a1.path) and group.depth == d.branch_a1.depth + 1
    assert AuditEntry.objects.filter(action="update", object_id=str(d.branch_a1.pk)).exists()


def test_cycle_is_refused(district):
    d = district
    group = make_org(d.admin, d.branch_a1, type="party_group")
    before = Org.objects.values_list("id", "path").order_by("id")
    before = list(before)
    with pytest.raises(ValidationError) as exc:
        services.update_org(actor=d.admin, org=d.street_a, parent=d.comm_a1)
    assert "parent" in exc.value.message_dict
    with pytest.raises(ValidationError):
        services.update_org(actor=d.admin, org=d.branch_a1, parent=group)
    assert list(Org.objects.values_list("id", "path").order_by("id")) == before


def test_unit_credit_code_check_digit(district):
    d = district
    bad = uscc(777)[:-1] + ("0" if uscc(777)[-1] != "0" else "1")
    count = Unit.objects.count()
    with pytest.raises(ValidationError) as exc:
        make_unit(d.admin, street=d.street_a, credit_code=bad)
    assert "credit_code" in exc.value.message_dict
    assert Unit.objects.count() == count


def test_unit_community_must_belong_to_street(district):
    with pytest.raises(ValidationError) as exc:
        make_unit(district.admin, street=district.street_a, community=district.comm_b1)
    assert "community" in exc.value.message_dict


def test_unit_coverage_must_be_consistent(district):
    d = district
    with pytest.raises(ValidationError) as exc:
        make_unit(d.admin, street=d.street_a, coverage="own_org")
    assert "coverage" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        make_unit(d.admin, street=d.street_a, coverage="joint_branch", org=d.branch_a1)
    assert "org" in exc.value.message_dict
    unit = make_unit(d.admin, street=d.street_a, coverage="instructor", instructor_name="林志强")
    assert unit.coverage == "instructor"


def test_update_unit_audits_changed_fields_only(district):
    d = district
    services.update_unit(actor=d.community_admin, unit=d.unit_a1, employee_count=120)
    entry = AuditEntry.objects.latest("id")
    assert entry.changes == {"employee_count": [0, 120]}
    with pytest.raises(PermissionDenied):
        services.update_unit(actor=d.community_admin, unit=d.unit_b1, employee_count=1)
