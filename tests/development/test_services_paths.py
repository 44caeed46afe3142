"""Extension and cancellation of the probation through the services (helper H1)."""

from datetime import date as D

import pytest

from tests.development.admission_factories import (
    PLAN,
    TODAY,
    advance,
    branch_members,
    counts,
    open_applicant,
    refused,
    rules_of,
    vote,
)
from tongxin.development import services
from tongxin.development.models import Applicant, FileEvent, StepRecord
from tongxin.members.models import StatusChange

pytestmark = pytest.mark.django_db
END = D(2025, 6, 1)  # probation end: one year from the step-15 meeting of 2024-06-01


@pytest.fixture
def members(district):
    return branch_members(district.branch_a1)


@pytest.fixture
def probationer(district, members):
    return advance(district, open_applicant(district), 22, members)


def step(district, applicant, number, on, data=None, actor=None):
    return services.record_step(
        actor=actor or district.secretary,
        applicant=applicant,
        step=number,
        on=on,
        data=data or {},
        today=TODAY,
    )


def test_extension_then_conversion_after_the_extended_end(district, members, probationer):
    applicant = probationer
    vote(district, applicant, members, D(2025, 5, 25))
    before = counts()
    result = step(
        district, applicant, 23, D(2025, 5, 25), {"outcome": "extend", "extended_to": "2025-12-01"}
    )
    assert result.pk is None  # an extension writes no step
    after = counts()
    assert after["StepRecord"] == before["StepRecord"]
    assert after["StatusChange"] == before["StatusChange"] + 1
    applicant.refresh_from_db()
    assert applicant.probation_extended_to == D(2025, 12, 1)
    assert applicant.last_step == 22 and applicant.next_due == D(2025, 12, 1)
    assert applicant.events.filter(kind=FileEvent.Kind.EXTENDED).count() == 1
    extended = applicant.member.history.get(kind=StatusChange.Kind.PROBATION_EXTENDED)
    assert (extended.effective_on, extended.to_value) == (D(2025, 5, 25), "2025-12-01")

    # a second extension is refused
    vote(district, applicant, members, D(2025, 11, 1))
    exc = refused(
        services.record_step,
        actor=district.secretary,
        applicant=applicant,
        step=23,
        on=D(2025, 11, 1),
        data={"outcome": "extend", "extended_to": "2026-06-01"},
        today=TODAY,
    )
    assert rules_of(exc) == ["probation_extension"]
    # conversion the day before the extended end is refused, on the day allowed
    vote(district, applicant, members, D(2025, 11, 30))
    exc = refused(
        services.record_step,
        actor=district.secretary,
        applicant=applicant,
        step=23,
        on=D(2025, 11, 30),
        data={"outcome": "convert"},
        today=TODAY,
    )
    assert rules_of(exc) == ["probation_not_ended"]
    vote(district, applicant, members, D(2025, 12, 1))
    step(district, applicant, 23, D(2025, 12, 1), {"outcome": "convert"})
    step(district, applicant, 24, D(2025, 12, 20), actor=district.street_admin)
    step(district, applicant, 25, D(2025, 12, 28))
    applicant.refresh_from_db()
    assert applicant.state == Applicant.State.ARCHIVED
    assert applicant.converted_on == D(2025, 12, 1)
    member = applicant.member
    assert (member.category, member.full_on) == ("full", D(2025, 12, 1))
    kinds = [(h.kind, h.effective_on) for h in member.history.order_by("effective_on", "id")]
    assert kinds == [
        (StatusChange.Kind.ADMITTED, D(2024, 6, 1)),
        (StatusChange.Kind.PROBATION_EXTENDED, D(2025, 5, 25)),
        (StatusChange.Kind.CONVERTED, D(2025, 12, 1)),
    ]


@pytest.mark.parametrize(
    "extended_to, allowed",
    [
        (D(2025, 11, 30), False),  # less than 6 months
        (D(2025, 12, 1), True),  # 6 months exactly
        (D(2026, 6, 1), True),  # one year exactly
        (D(2026, 6, 2), False),  # beyond one year
    ],
)
def test_extension_length_boundaries(district, members, probationer, extended_to, allowed):
    vote(district, probationer, members, D(2025, 5, 25))
    data = {"outcome": "extend", "extended_to": extended_to.isoformat()}
    if allowed:
        step(district, probationer, 23, D(2025, 5, 25), data)
        probationer.refresh_from_db()
        assert probationer.probation_extended_to == extended_to
        return
    exc = refused(
        services.record_step,
        actor=district.secretary,
        applicant=probationer,
        step=23,
        on=D(2025, 5, 25),
        data=data,
        today=TODAY,
    )
    assert rules_of(exc) == ["probation_extension"]


def test_cancellation_removes_the_member_and_cancels_the_file(district, members, probationer):
    applicant = probationer
    vote(district, applicant, members, END)
    step(district, applicant, 23, END, {"outcome": "cancel"})
    applicant.refresh_from_db()
    assert applicant.state == Applicant.State.OPEN and applicant.last_step == 23
    assert applicant.member.status == "normal"  # the higher committee has not approved yet
    step(district, applicant, 24, D(2025, 6, 20), actor=district.street_admin)
    applicant.refresh_from_db()
    assert applicant.state == Applicant.State.CANCELLED
    assert applicant.closed_on == D(2025, 6, 20)
    assert applicant.converted_on is None and applicant.overdue is False
    member = applicant.member
    assert member.status == "removed" and member.category == "probationary"
    cancelled = member.history.get(kind=StatusChange.Kind.PROBATION_CANCELLED)
    assert cancelled.effective_on == D(2025, 6, 20)
    assert cancelled.decided_by == district.street_a.name
    exc = refused(
        services.record_step,
        actor=district.secretary,
        applicant=applicant,
        step=25,
        on=D(2025, 7, 1),
        today=TODAY,
    )
    assert rules_of(exc) == ["file_closed"]
    assert not StepRecord.objects.filter(applicant=applicant, step=25).exists()


def test_conversion_approval_limit_three_months(district, members, probationer):
    applicant = probationer
    vote(district, applicant, members, END)
    step(district, applicant, 23, END, PLAN[23][1])
    exc = refused(
        services.record_step,
        actor=district.street_admin,
        applicant=applicant,
        step=24,
        on=D(2025, 9, 2),
        today=TODAY,
    )
    assert rules_of(exc) == ["approval_limit"]
    step(district, applicant, 24, D(2025, 9, 1), actor=district.street_admin)
    applicant.refresh_from_db()
    assert applicant.member.full_on == END


def test_extension_decided_after_the_probation_ended_is_refused_on_the_date(
    district, members, probationer
):
    vote(district, probationer, members, D(2025, 6, 2))
    exc = refused(
        services.record_step,
        actor=district.secretary,
        applicant=probationer,
        step=23,
        on=D(2025, 6, 2),  # the registry: an extension is decided before the probation ends
        data={"outcome": "extend", "extended_to": "2025-12-01"},
        today=TODAY,
    )
    assert "date" in exc.message_dict
    probationer.refresh_from_db()
    assert probationer.probation_extended_to is None
