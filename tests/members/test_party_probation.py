"""留党察看 (probation within the party) in the registry and in the voting roster (helper H1).

党章 第四十条: a member under it has no right to vote, elect or be elected while it lasts;
it lasts at most two years. DOMAIN.md §6 rules 6 and 8 depend on it.
"""

from datetime import date as D

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from tests.member_factories import id_number, make_floating, make_member
from tongxin.core.models import AuditEntry
from tongxin.members.models import Member, StatusChange
from tongxin.members.rules.registry import (
    party_probation_end_error,
    party_probation_error,
    under_party_probation,
)
from tongxin.members.selectors.floating import voters_of
from tongxin.members.services import registry

TODAY = D(2026, 11, 26)
K = StatusChange.Kind


def place(d, member, *, on=D(2025, 3, 1), until="2026-03-01", decision="支部大会决定 2025-3号"):
    return registry.change_status(
        actor=d.secretary,
        member=member,
        kind=K.PARTY_PROBATION,
        to_value=until,
        effective_on=on,
        decision=decision,
        today=TODAY,
    )


def rows():
    return (StatusChange.objects.count(), AuditEntry.objects.count())


# --- rules -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "on, expected",
    [
        (D(2025, 2, 28), False),  # the day before
        (D(2025, 3, 1), True),  # the first day
        (D(2026, 3, 1), True),  # the last day
        (D(2026, 3, 2), False),  # the day after
    ],
)
def test_under_party_probation_boundaries(on, expected):
    assert under_party_probation(D(2025, 3, 1), D(2026, 3, 1), on) is expected


def test_under_party_probation_without_end_or_start():
    assert under_party_probation(D(2025, 3, 1), None, D(2030, 1, 1)) is True
    assert under_party_probation(None, None, D(2030, 1, 1)) is False


def test_party_probation_error_table():
    on = D(2025, 3, 1)
    kw = {"current_from": None, "current_until": None, "on": on}
    assert party_probation_error(**kw, until=None)[0] == "to_value"
    assert party_probation_error(**kw, until=on)[0] == "to_value"
    assert party_probation_error(**kw, until=D(2027, 3, 1)) is None  # two years exactly
    assert party_probation_error(**kw, until=D(2027, 3, 2))[0] == "to_value"
    already = {"current_from": D(2024, 6, 1), "current_until": D(2025, 6, 1), "on": on}
    assert party_probation_error(**already, until=D(2026, 3, 1))[0] == "kind"
    assert party_probation_end_error(current_from=None, current_until=None, on=on)[0] == "kind"
    assert (
        party_probation_end_error(current_from=on, current_until=D(2026, 3, 1), on=on)[0]
        == "effective_on"
    )


# --- change_status -----------------------------------------------------------------------
def test_party_probation_is_recorded_with_its_dates(district):
    member = make_member(district.branch_a1)
    entry = place(district, member)
    member.refresh_from_db()
    assert (member.party_probation_from, member.party_probation_until) == (
        D(2025, 3, 1),
        D(2026, 3, 1),
    )
    assert (entry.kind, entry.effective_on, entry.to_value) == (
        K.PARTY_PROBATION,
        D(2025, 3, 1),
        "2026-03-01",
    )
    audit = AuditEntry.objects.filter(action="change_status", object_id=str(member.pk)).get()
    assert audit.changes["party_probation_until"] == [None, "2026-03-01"]


def test_party_probation_refusals_write_nothing(district):
    member = make_member(district.branch_a1)
    before = rows()
    with translation.override("en"):
        for kwargs, field in (
            ({"decision": ""}, "decision"),
            ({"until": "not a date"}, "to_value"),
            ({"until": "2025-02-01"}, "to_value"),
            ({"until": "2027-03-02"}, "to_value"),
        ):
            with pytest.raises(ValidationError) as info:
                place(district, member, **kwargs)
            assert field in info.value.message_dict
        with pytest.raises(ValidationError) as info:
            registry.change_status(
                actor=district.secretary,
                member=member,
                kind=K.PARTY_PROBATION_ENDED,
                effective_on=D(2025, 6, 1),
                decision="恢复党员权利",
                today=TODAY,
            )
        assert "kind" in info.value.message_dict
    assert rows() == before
    member.refresh_from_db()
    assert member.party_probation_from is None


def test_second_party_probation_while_under_one_is_refused(district):
    member = make_member(district.branch_a1)
    place(district, member)
    before = rows()
    with pytest.raises(ValidationError) as info:
        place(district, member, on=D(2025, 9, 1), until="2026-09-01")
    assert "kind" in info.value.message_dict
    assert rows() == before


def test_rights_restored_end_the_probation_the_day_before(district):
    member = make_member(district.branch_a1)
    place(district, member)
    entry = registry.change_status(
        actor=district.secretary,
        member=member,
        kind=K.PARTY_PROBATION_ENDED,
        effective_on=D(2026, 3, 2),
        decision="支部大会决定恢复党员权利",
        today=TODAY,
    )
    member.refresh_from_db()
    assert member.party_probation_until == D(2026, 3, 1)
    assert (entry.from_value, entry.to_value) == ("2026-03-01", "2026-03-01")
    assert member.pk in set(
        voters_of(district.branch_a1, D(2026, 3, 2)).values_list("pk", flat=True)
    )
    assert member.pk not in set(
        voters_of(district.branch_a1, D(2026, 3, 1)).values_list("pk", flat=True)
    )


def test_rights_restored_early_shortens_the_probation(district):
    member = make_member(district.branch_a1)
    place(district, member)
    registry.change_status(
        actor=district.secretary,
        member=member,
        kind=K.PARTY_PROBATION_ENDED,
        effective_on=D(2025, 12, 1),
        decision="提前恢复党员权利",
        today=TODAY,
    )
    member.refresh_from_db()
    assert member.party_probation_until == D(2025, 11, 30)
    history = list(member.history.values_list("kind", flat=True))
    assert history == [K.PARTY_PROBATION, K.PARTY_PROBATION_ENDED]


def test_party_probation_by_someone_outside_the_scope_is_denied(district):
    member = make_member(district.branch_a1)
    with pytest.raises(PermissionDenied):
        registry.change_status(
            actor=district.other_community,
            member=member,
            kind=K.PARTY_PROBATION,
            to_value="2026-03-01",
            effective_on=D(2025, 3, 1),
            decision="x",
            today=TODAY,
        )


# --- voters_of ---------------------------------------------------------------------------
def test_voters_of_excludes_probationary_disciplined_and_hosted_floating(district):
    branch = district.branch_a1
    voter = make_member(branch, full_on=D(2011, 7, 1))
    probationary = make_member(branch, category="probationary", admitted_on=D(2025, 6, 1))
    disciplined = make_member(
        branch, party_probation_from=D(2025, 3, 1), party_probation_until=D(2026, 3, 1)
    )
    open_ended = make_member(branch, party_probation_from=D(2025, 3, 1))
    removed = make_member(branch, status="removed")
    guest = make_member(district.branch_b1)
    make_floating(guest, host_org=branch)
    away = make_member(branch)
    make_floating(away, host_org=district.branch_b1)  # ours, away: still votes here

    def roster(on):
        return set(voters_of(branch, on).values_list("pk", flat=True))

    on = D(2025, 9, 1)
    assert roster(on) == {voter.pk, away.pk}
    assert {probationary.pk, disciplined.pk, open_ended.pk, removed.pk, guest.pk}.isdisjoint(
        roster(on)
    )
    # before the discipline and after it ended the member votes again
    assert disciplined.pk in roster(D(2025, 2, 28))
    assert disciplined.pk not in roster(D(2026, 3, 1))
    assert disciplined.pk in roster(D(2026, 3, 2))
    assert open_ended.pk not in roster(D(2030, 1, 1))
    assert guest.pk in set(voters_of(district.branch_b1, on).values_list("pk", flat=True))
    assert Member.objects.filter(org=branch).count() == 6  # the guest belongs elsewhere


def test_admission_writes_an_admitted_entry_not_registered(district):
    member = registry.create_member(
        actor=district.street_admin,
        today=TODAY,
        admitted=True,
        decision="鼓东街道党工委批准",
        decided_by="鼓东街道党工委",
        name="新党员",
        gender="male",
        birth_date=D(1995, 5, 5),
        id_number=id_number(D(1995, 5, 5), 42),
        education="bachelor",
        occupation="worker",
        org=district.branch_a1,
        category="probationary",
        applied_on=D(2023, 1, 10),
        admitted_on=D(2024, 6, 1),
    )
    entry_kinds = [(h.kind, h.effective_on, h.decided_by) for h in member.history.all()]
    assert entry_kinds == [(K.ADMITTED, D(2024, 6, 1), "鼓东街道党工委")]
    # other callers keep the REGISTERED entry on `today`
    other = registry.create_member(
        actor=district.secretary,
        today=TODAY,
        name="老党员",
        gender="male",
        birth_date=D(1980, 5, 5),
        id_number=id_number(D(1980, 5, 5), 43),
        education="bachelor",
        occupation="worker",
        org=district.branch_a1,
        category="full",
        admitted_on=D(2004, 6, 1),
        full_on=D(2005, 6, 1),
    )
    assert [(h.kind, h.effective_on) for h in other.history.all()] == [(K.REGISTERED, TODAY)]
