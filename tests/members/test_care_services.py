"""Care cases and visits: validation names the field, nothing half-written, audit masks."""

from datetime import date
from decimal import Decimal

import pytest

from tests.member_factories import make_member
from tongxin.core.errors import PermissionDenied, ValidationError
from tongxin.core.models import AuditEntry
from tongxin.members.models import CareCase, CareVisit
from tongxin.members.services import care as services

TODAY = date(2026, 2, 10)


@pytest.fixture
def member(district):
    return make_member(district.branch_a1, name="病中党员")


def open_case(district, member, **extra):
    fields = {"kind": "illness", "level": "serious", "details": "肺癌术后化疗", "today": TODAY}
    fields.update(extra)
    return services.create_case(actor=district.secretary, member=member, **fields)


def test_create_case_encrypts_and_audits_without_details(district, member):
    case = open_case(district, member)
    assert case.opened_on == TODAY
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("select details from members_carecase where id = %s", [case.pk])
        stored = cur.fetchone()[0]
    assert "肺癌" not in stored
    entry = AuditEntry.objects.get(action="create", object_type="members.carecase")
    assert entry.changes["details"] == ["***", "***"]
    assert "肺癌" not in str(entry.changes)
    assert CareCase.objects.get(pk=case.pk).details == "肺癌术后化疗"


def test_create_case_refuses_bad_input_and_other_scopes(district, member):
    with pytest.raises(ValidationError) as exc:
        open_case(district, member, kind="gossip", level="max", opened_on=date(2026, 3, 1))
    assert set(exc.value.message_dict) == {"kind", "level", "opened_on"}
    with pytest.raises(PermissionDenied):
        services.create_case(actor=district.other_community, member=member, kind="illness")
    assert not CareCase.objects.exists()


def test_update_and_close(district, member):
    case = open_case(district, member)
    services.update_case(actor=district.secretary, case=case, level="urgent", details="病情加重")
    case.refresh_from_db()
    assert (case.level, case.details) == ("urgent", "病情加重")
    entry = AuditEntry.objects.filter(action="update").latest("id")
    assert entry.changes == {"level": ["serious", "urgent"], "details": ["***", "***"]}
    with pytest.raises(ValidationError) as exc:
        services.update_case(actor=district.secretary, case=case, member=None)
    assert "member" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        services.close_case(
            actor=district.secretary, case=case, closed_on=date(2025, 1, 1), today=TODAY
        )
    assert "closed_on" in exc.value.message_dict
    services.close_case(
        actor=district.secretary, case=case, help_given="送慰问金500元", today=TODAY
    )
    case.refresh_from_db()
    assert case.closed_on == TODAY and case.help_given == "送慰问金500元"
    with pytest.raises(ValidationError):
        services.close_case(actor=district.secretary, case=case, today=TODAY)
    with pytest.raises(ValidationError):
        services.update_case(actor=district.secretary, case=case, level="general")


@pytest.mark.parametrize(
    ("amount", "error"),
    [("-1", True), ("10.001", True), ("abc", True), ("0", False), ("500.50", False)],
)
def test_visit_amounts(district, member, amount, error):
    case = open_case(district, member)
    call = dict(
        actor=district.secretary,
        member=member,
        case=case,
        kind="hospital",
        visited_on=date(2026, 2, 9),
        visitors="社区书记、支部书记",
        amount=amount,
        today=TODAY,
    )
    if error:
        with pytest.raises(ValidationError) as exc:
            services.add_visit(**call)
        assert list(exc.value.message_dict) == ["amount"]
        assert not CareVisit.objects.exists()
    else:
        visit = services.add_visit(**call)
        assert visit.amount == Decimal(amount)


def test_visit_validation_names_every_field(district, member):
    other = make_member(district.branch_a1)
    case = open_case(district, other)
    with pytest.raises(ValidationError) as exc:
        services.add_visit(
            actor=district.secretary,
            member=member,
            case=case,
            kind="party",
            visited_on=date(2026, 2, 11),
            visitors=" ",
            today=TODAY,
        )
    assert set(exc.value.message_dict) == {"case", "kind", "visited_on", "visitors"}
    with pytest.raises(PermissionDenied):
        services.add_visit(
            actor=district.other_community,
            member=member,
            kind="holiday",
            visited_on=TODAY,
            visitors="x",
            today=TODAY,
        )
    # a holiday visit without a case is fine
    visit = services.add_visit(
        actor=district.secretary,
        member=member,
        kind="holiday",
        visited_on=TODAY,
        visitors="街道工委",
        amount=Decimal("300.00"),
        today=TODAY,
    )
    assert visit.case is None


def test_reveal_is_audited(district, member):
    case = open_case(district, member)
    assert services.reveal_details(actor=district.community_admin, case=case) == "肺癌术后化疗"
    entry = AuditEntry.objects.get(action="view_sensitive")
    assert entry.actor == district.community_admin and "肺癌" not in str(entry.changes)
    with pytest.raises(PermissionDenied):
        services.reveal_details(actor=district.other_community, case=case)
