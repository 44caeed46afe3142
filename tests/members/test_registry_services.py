"""The registry services: create/update/duplicates/atomicity/audit/status/reveal/corrections."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext

from tests.factories import make_org, make_user
from tests.member_factories import id_number, make_member
from tongxin.core.models import AuditEntry
from tongxin.members.models import (
    CorrectionRequest,
    DuesBase,
    Education,
    Member,
    StatusChange,
)
from tongxin.members.services import registry as services
from tongxin.orgs.models import Org

TODAY = date(2026, 11, 26)
BIRTH = date(1985, 3, 12)


def member_fields(org, **overrides):
    fields = {
        "name": "林觉民",
        "gender": "male",
        "birth_date": BIRTH,
        "id_number": id_number(BIRTH, 11),
        "phone": "13905912345",
        "address": "福州市鼓楼区南后街 18 号",
        "education": "bachelor",
        "occupation": "enterprise_staff",
        "org": org,
        "category": "full",
        "applied_on": date(2008, 3, 1),
        "admitted_on": date(2009, 7, 1),
        "full_on": date(2010, 7, 1),
        "dues_category": "salaried",
        "dues_base": Decimal("4500.00"),
    }
    fields.update(overrides)
    return fields


def counts():
    return (
        Member.objects.count(),
        StatusChange.objects.count(),
        DuesBase.objects.count(),
        AuditEntry.objects.count(),
    )


def test_create_member_derives_keys_and_writes_history_dues_base_and_masked_audit(district):
    d = district
    member = services.create_member(actor=d.secretary, today=TODAY, **member_fields(d.branch_a1))
    member.refresh_from_db()
    assert member.id_tail == member.id_number[-4:]
    assert member.phone_tail == "2345"
    assert "ljm" in member.search_key and "linjuemin" in member.search_key
    assert member.id_digest and member.id_number not in member.id_digest
    [entry] = member.history.all()
    assert (entry.kind, entry.effective_on, entry.to_value) == ("registered", TODAY, "B-A1")
    [base] = member.dues_bases.all()
    assert (base.from_month, base.category, base.base) == (
        date(2009, 7, 1),
        "salaried",
        Decimal("4500.00"),
    )
    audit = AuditEntry.objects.filter(
        action="create", object_id=str(member.pk), object_type="members.member"
    ).get()
    assert audit.changes["id_number"] == ["***", "***"]
    assert audit.changes["phone"] == ["***", "***"]
    assert audit.changes["address"] == ["***", "***"]
    assert audit.changes["name"] == [None, "林觉民"]
    text = str(audit.changes)
    assert member.id_number not in text and "13905912345" not in text and "南后街" not in text
    d.branch_a1.refresh_from_db()
    assert (d.branch_a1.member_count, d.branch_a1.full_member_count) == (1, 1)


def test_stored_sensitive_values_are_encrypted(district):
    from django.db import connection

    member = services.create_member(
        actor=district.secretary, today=TODAY, **member_fields(district.branch_a1)
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id_number, phone, address FROM members_member WHERE id = %s", [member.pk]
        )
        raw = cursor.fetchone()
    assert all(value.startswith(("a1:", "s1:")) for value in raw)
    assert member.id_number not in "".join(raw)


def test_duplicate_id_number_is_refused_on_the_field_and_nothing_is_written(district):
    d = district
    services.create_member(actor=d.secretary, today=TODAY, **member_fields(d.branch_a1))
    before = counts()
    with pytest.raises(ValidationError) as exc:
        services.create_member(
            actor=d.community_admin,
            today=TODAY,
            **member_fields(d.branch_a1, name="另一人", id_number=id_number(BIRTH, 11).lower()),
        )
    assert exc.value.message_dict["id_number"] == [
        gettext("a member with this ID number is already registered")
    ]
    assert counts() == before


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"id_number": "350102198503120010"}, "id_number"),  # wrong check digit
        ({"birth_date": date(1985, 3, 13)}, "id_number"),  # ID birth date differs
        ({"admitted_on": date(2008, 2, 1)}, "admitted_on"),  # before the application
        ({"full_on": date(2010, 6, 30)}, "full_on"),
        ({"phone": "12345"}, "phone"),
        ({"dues_base": Decimal("10.005")}, "dues_base"),
        ({"dues_base": Decimal("-1")}, "dues_base"),
        ({"gender": "x"}, "gender"),
        ({"name": ""}, "name"),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(district, overrides, field):
    before = counts()
    with pytest.raises(ValidationError) as exc:
        services.create_member(
            actor=district.secretary, today=TODAY, **member_fields(district.branch_a1, **overrides)
        )
    assert field in exc.value.message_dict
    assert counts() == before


def test_branch_must_be_a_member_org_the_actor_keeps(district):
    d = district
    with pytest.raises(ValidationError) as exc:
        services.create_member(actor=d.secretary, today=TODAY, **member_fields(d.branch_b1))
    assert "org" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        services.create_member(actor=d.community_admin, today=TODAY, **member_fields(d.comm_a1))
    assert exc.value.message_dict["org"] == [
        gettext("members belong to a branch, joint branch, general branch or committee")
    ]
    member_role = make_user(role="party_member", org=d.branch_a1)
    with pytest.raises(PermissionDenied):
        services.create_member(actor=member_role, today=TODAY, **member_fields(d.branch_a1))
    assert Member.objects.count() == 0


def test_party_group_must_belong_to_the_branch(district):
    d = district
    group = make_org(d.admin, d.branch_a1, type="party_group", name="第一党小组")
    other = make_org(d.admin, d.branch_b1, type="party_group", name="温泉第一党小组")
    member = services.create_member(
        actor=d.secretary, today=TODAY, **member_fields(d.branch_a1, party_group=group)
    )
    assert member.party_group == group
    with pytest.raises(ValidationError) as exc:
        services.update_member(actor=d.admin, member=member, party_group=other, today=TODAY)
    assert "party_group" in exc.value.message_dict


def test_unknown_fields_are_refused(district):
    with pytest.raises(ValidationError) as exc:
        services.create_member(
            actor=district.secretary,
            today=TODAY,
            **member_fields(district.branch_a1, status="expelled"),
        )
    assert "status" in exc.value.message_dict


def test_update_moves_branch_with_history_and_counts(district):
    d = district
    second = make_org(d.admin, d.comm_a1, name="三坊七巷社区第二党支部")
    member = services.create_member(
        actor=d.community_admin, today=TODAY, **member_fields(d.branch_a1)
    )
    services.update_member(actor=d.community_admin, member=member, org=second, today=TODAY)
    member.refresh_from_db()
    assert member.org == second
    moved = member.history.get(kind="branch_changed")
    assert (moved.from_value, moved.to_value) == ("B-A1", second.code)
    d.branch_a1.refresh_from_db()
    second.refresh_from_db()
    assert (d.branch_a1.member_count, second.member_count) == (0, 1)
    # the secretary of A1 does not keep the second branch: cannot move a member there
    other = services.create_member(
        actor=d.secretary,
        today=TODAY,
        **member_fields(d.branch_a1, name="王二", id_number=id_number(BIRTH, 12)),
    )
    with pytest.raises(ValidationError) as exc:
        services.update_member(actor=d.secretary, member=other, org=second, today=TODAY)
    assert "org" in exc.value.message_dict


def test_update_of_dues_base_writes_a_row_from_the_given_month(district):
    d = district
    member = services.create_member(actor=d.secretary, today=TODAY, **member_fields(d.branch_a1))
    services.update_member(
        actor=d.secretary,
        member=member,
        dues_base=Decimal("6000.00"),
        dues_from_month=date(2026, 9, 14),
        today=TODAY,
    )
    rows = list(member.dues_bases.order_by("from_month").values_list("from_month", "base"))
    assert rows == [(date(2009, 7, 1), Decimal("4500.00")), (date(2026, 9, 1), Decimal("6000.00"))]
    member.refresh_from_db()
    assert member.dues_base == Decimal("6000.00")
    # default: this month; a future month is refused
    services.update_member(actor=d.secretary, member=member, dues_category="retired", today=TODAY)
    assert member.dues_bases.filter(from_month=date(2026, 11, 1), category="retired").exists()
    with pytest.raises(ValidationError) as exc:
        services.update_member(
            actor=d.secretary,
            member=member,
            dues_base=Decimal("7000.00"),
            dues_from_month=date(2026, 12, 1),
            today=TODAY,
        )
    assert "dues_from_month" in exc.value.message_dict
    # no dues change: no new row
    n = DuesBase.objects.count()
    services.update_member(actor=d.secretary, member=member, post="组织委员", today=TODAY)
    assert DuesBase.objects.count() == n


def test_update_audit_masks_sensitive_changes(district):
    d = district
    member = services.create_member(actor=d.secretary, today=TODAY, **member_fields(d.branch_a1))
    services.update_member(actor=d.secretary, member=member, phone="13800001111", today=TODAY)
    entry = AuditEntry.objects.filter(
        action="update", object_id=str(member.pk), object_type="members.member"
    ).get()
    assert entry.changes == {"phone": ["***", "***"]}
    member.refresh_from_db()
    assert member.phone_tail == "1111"


def test_update_outside_scope_is_refused(district):
    member = make_member(district.branch_a1)
    with pytest.raises(PermissionDenied):
        services.update_member(actor=district.other_community, member=member, post="x")


# ---------------------------------------------------------------- status changes


@pytest.fixture
def probationary(district):
    return services.create_member(
        actor=district.secretary,
        today=TODAY,
        **member_fields(
            district.branch_a1,
            category="probationary",
            applied_on=date(2023, 3, 1),
            admitted_on=date(2025, 6, 1),
            full_on=None,
        ),
    )


def test_conversion_only_from_probationary_and_on_time(district, probationary):
    d = district
    with pytest.raises(ValidationError) as exc:
        services.change_status(
            actor=d.secretary,
            member=probationary,
            kind="converted",
            effective_on=date(2026, 5, 31),
            decision="支部大会 2026-06-05",
            today=TODAY,
        )
    assert "effective_on" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        services.change_status(
            actor=d.secretary,
            member=probationary,
            kind="converted",
            effective_on=date(2026, 6, 1),
            today=TODAY,
        )
    assert "decision" in exc.value.message_dict
    entry = services.change_status(
        actor=d.secretary,
        member=probationary,
        kind="converted",
        effective_on=date(2026, 6, 1),
        decision="支部大会 2026-06-05 决议",
        today=TODAY,
    )
    probationary.refresh_from_db()
    assert (probationary.category, probationary.full_on) == ("full", date(2026, 6, 1))
    assert (entry.from_value, entry.to_value) == ("probationary", "full")
    with pytest.raises(ValidationError):
        services.change_status(
            actor=d.secretary,
            member=probationary,
            kind="converted",
            effective_on=date(2026, 6, 1),
            decision="again",
            today=TODAY,
        )


def test_extension_once_then_conversion_within_two_years(district, probationary):
    d = district
    services.change_status(
        actor=d.secretary,
        member=probationary,
        kind="probation_extended",
        to_value="2026-12-01",
        effective_on=date(2026, 5, 20),
        decision="支部大会决议延长预备期半年",
        today=TODAY,
    )
    with pytest.raises(ValidationError):
        services.change_status(
            actor=d.secretary,
            member=probationary,
            kind="probation_extended",
            effective_on=date(2026, 5, 21),
            decision="再次延长",
            today=TODAY,
        )
    services.change_status(
        actor=d.secretary,
        member=probationary,
        kind="converted",
        effective_on=date(2026, 11, 1),
        decision="支部大会",
        today=TODAY,
    )
    probationary.refresh_from_db()
    assert probationary.full_on == date(2026, 11, 1)


def test_standing_changes_and_terminal_states(district):
    d = district
    member = make_member(d.branch_a1)
    with pytest.raises(ValidationError) as exc:
        services.change_status(
            actor=d.secretary,
            member=member,
            kind="standing",
            to_value="deceased",
            effective_on=TODAY + (date(2026, 11, 27) - TODAY),
            today=TODAY,
        )
    assert "effective_on" in exc.value.message_dict  # not in the future
    services.change_status(
        actor=d.secretary,
        member=member,
        kind="standing",
        to_value="deceased",
        effective_on=TODAY,
        today=TODAY,
    )
    member.refresh_from_db()
    assert member.status == "deceased"
    before = counts()
    for kind, value in [("standing", "normal"), ("lost_contact", ""), ("abroad", "")]:
        with pytest.raises(ValidationError):
            services.change_status(
                actor=d.secretary,
                member=member,
                kind=kind,
                to_value=value,
                effective_on=TODAY,
                decision="x",
                today=TODAY,
            )
    assert counts() == before


def test_lost_contact_set_and_restore(district):
    d = district
    member = make_member(d.branch_a1)
    services.change_status(
        actor=d.community_admin,
        member=member,
        kind="lost_contact",
        effective_on=date(2026, 1, 10),
        today=TODAY,
    )
    member.refresh_from_db()
    assert member.lost_contact_since == date(2026, 1, 10)
    with pytest.raises(ValidationError):
        services.change_status(
            actor=d.community_admin,
            member=member,
            kind="contact_restored",
            effective_on=date(2026, 1, 9),
            today=TODAY,
        )
    services.change_status(
        actor=d.community_admin,
        member=member,
        kind="contact_restored",
        effective_on=date(2026, 3, 1),
        today=TODAY,
    )
    member.refresh_from_db()
    assert member.lost_contact_since is None
    kinds = list(member.history.values_list("kind", flat=True))
    assert kinds == ["lost_contact", "contact_restored"]
    assert (
        AuditEntry.objects.filter(
            action="change_status", object_id=str(member.pk), object_type="members.member"
        ).count()
        == 2
    )


def test_abroad_flag(district):
    member = make_member(district.branch_a1)
    services.change_status(
        actor=district.secretary, member=member, kind="abroad", effective_on=TODAY, today=TODAY
    )
    member.refresh_from_db()
    assert member.is_abroad
    services.change_status(
        actor=district.secretary,
        member=member,
        kind="back_from_abroad",
        effective_on=TODAY,
        today=TODAY,
    )
    member.refresh_from_db()
    assert not member.is_abroad


def test_suspension_needs_a_decision_and_updates_counts(district):
    d = district
    member = services.create_member(actor=d.secretary, today=TODAY, **member_fields(d.branch_a1))
    with pytest.raises(ValidationError) as exc:
        services.change_status(
            actor=d.secretary,
            member=member,
            kind="standing",
            to_value="suspended",
            effective_on=TODAY,
            today=TODAY,
        )
    assert "decision" in exc.value.message_dict
    services.change_status(
        actor=d.secretary,
        member=member,
        kind="standing",
        to_value="suspended",
        effective_on=TODAY,
        decision="失联满六个月，支部大会决定停止党籍",
        decided_by="三坊七巷社区党委",
        today=TODAY,
    )
    d.branch_a1.refresh_from_db()
    assert d.branch_a1.member_count == 0


def test_status_change_outside_scope_is_refused(district):
    member = make_member(district.branch_a1)
    with pytest.raises(PermissionDenied):
        services.change_status(
            actor=district.other_community,
            member=member,
            kind="abroad",
            effective_on=TODAY,
            today=TODAY,
        )
    assert not StatusChange.objects.exists()


# ---------------------------------------------------------------- reveal


@pytest.mark.parametrize("who", ["admin", "community_admin", "secretary"])
def test_reveal_for_roles_that_need_it_is_audited_without_the_value(district, who):
    member = make_member(district.branch_a1, phone="13712345678")
    actor = getattr(district, who)
    assert services.reveal(actor=actor, member=member, field="phone") == "13712345678"
    entry = AuditEntry.objects.get(action="unmask")
    assert (entry.actor, entry.result, entry.object_id) == (actor, "ok", str(member.pk))
    assert entry.changes == {"field": [None, "phone"]}
    assert "13712345678" not in str(entry.changes) + entry.object_repr


@pytest.mark.parametrize("who", ["street_admin", "other_community"])
def test_reveal_refused_and_audited_as_denied(district, who):
    member = make_member(district.branch_a1)
    with pytest.raises(PermissionDenied):
        services.reveal(actor=getattr(district, who), member=member, field="id_number")
    entry = AuditEntry.objects.get(action="unmask")
    assert entry.result == "denied"
    assert member.id_number not in str(entry.changes)


def test_member_may_reveal_their_own_values(district):
    user = make_user(role="party_member", org=district.branch_a1)
    member = make_member(district.branch_a1, user=user)
    assert services.reveal(actor=user, member=member, field="id_number") == member.id_number
    other = make_member(district.branch_a1)
    with pytest.raises(PermissionDenied):
        services.reveal(actor=user, member=other, field="id_number")


def test_reveal_of_a_field_that_is_not_masked(district):
    member = make_member(district.branch_a1)
    with pytest.raises(ValidationError):
        services.reveal(actor=district.admin, member=member, field="name")


# ---------------------------------------------------------------- corrections


def test_correction_request_and_acceptance(district):
    d = district
    user = make_user(role="party_member", org=d.branch_a1)
    member = services.create_member(
        actor=d.secretary, today=TODAY, **member_fields(d.branch_a1, user=user)
    )
    with pytest.raises(PermissionDenied):
        services.request_correction(
            actor=d.secretary, member=member, field="education", requested_value="master"
        )
    request = services.request_correction(
        actor=user,
        member=member,
        field="education",
        requested_value=str(Education.MASTER.label),
        reason="已毕业",
    )
    with pytest.raises(ValidationError):  # one open request per field
        services.request_correction(
            actor=user, member=member, field="education", requested_value="master"
        )
    with pytest.raises(PermissionDenied):
        services.decide_correction(actor=d.other_community, request=request, accept=True)
    services.decide_correction(actor=d.secretary, request=request, accept=True, reply="已核实")
    member.refresh_from_db()
    request.refresh_from_db()
    assert member.education == "master"  # the label was mapped to the choice
    assert (request.state, request.handled_by) == ("accepted", d.secretary)
    with pytest.raises(ValidationError):
        services.decide_correction(actor=d.secretary, request=request, accept=False, reply="x")


def test_correction_rejection_needs_a_reply_and_bad_values_fail_cleanly(district):
    d = district
    user = make_user(role="party_member", org=d.branch_a1)
    member = make_member(d.branch_a1, user=user)
    request = services.request_correction(
        actor=user, member=member, field="birth_date", requested_value="1999-02-30"
    )
    with pytest.raises(ValidationError) as exc:
        services.decide_correction(actor=d.secretary, request=request, accept=False)
    assert "reply" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        services.decide_correction(actor=d.secretary, request=request, accept=True)
    assert "birth_date" in exc.value.message_dict
    request.refresh_from_db()
    assert request.state == "open"
    services.decide_correction(actor=d.secretary, request=request, accept=False, reply="日期不存在")
    assert CorrectionRequest.objects.get().state == "rejected"


def test_sensitive_requested_values_are_encrypted_and_masked_in_audit(district):
    user = make_user(role="party_member", org=district.branch_a1)
    member = make_member(district.branch_a1, user=user)
    services.request_correction(
        actor=user, member=member, field="phone", requested_value="13655556666"
    )
    entry = AuditEntry.objects.get(action="request_correction")
    assert "13655556666" not in str(entry.changes)
    raw = CorrectionRequest.objects.values_list("requested_value", flat=True).get()
    assert raw == "13655556666"  # the field decrypts; the stored text is not clear:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT requested_value FROM members_correctionrequest")
        assert cursor.fetchone()[0].startswith(("a1:", "s1:"))


def test_refresh_org_counts_counts_only_members_in_good_standing(district):
    d = district
    make_member(d.branch_a1)
    make_member(d.branch_a1, category="probationary")
    make_member(d.branch_a1, status="suspended")
    services.refresh_org_counts([d.branch_a1.pk])
    org = Org.objects.get(pk=d.branch_a1.pk)
    assert (org.member_count, org.full_member_count) == (2, 1)
