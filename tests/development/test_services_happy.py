"""A file from application (step 1) to archive (step 25) through the services (helper H1)."""

from datetime import date as D

import pytest

from tests.development.admission_factories import PLAN, advance, branch_members, open_applicant
from tongxin.development.models import Applicant, FileEvent, StepRecord
from tongxin.members.models import StatusChange

pytestmark = pytest.mark.django_db


def test_full_path_ends_with_a_full_member(district):
    members = branch_members(district.branch_a1)
    applicant = open_applicant(district)
    assert (applicant.last_step, applicant.phase, applicant.applied_on) == (1, 1, PLAN[1][0])
    applicant = advance(district, applicant, 17, members)
    member = applicant.member
    assert member is not None
    assert member.category == "probationary"
    assert member.admitted_on == PLAN[15][0]
    assert member.applied_on == PLAN[1][0]
    assert member.org == district.branch_a1
    assert member.introducers == f"{members[0].name}、{members[1].name}"
    assert applicant.admitted_on == D(2024, 6, 1) and applicant.approved_on == D(2024, 7, 1)
    assert applicant.phase == 4
    # dues start with the month of admission (the meeting date)
    assert list(member.dues_bases.values_list("from_month", flat=True)) == [D(2024, 6, 1)]
    applicant = advance(district, applicant, 25, members)
    assert applicant.state == Applicant.State.ARCHIVED
    assert applicant.closed_on == PLAN[25][0]
    assert (applicant.last_step, applicant.phase, applicant.overdue) == (25, 5, False)
    assert applicant.converted_on == D(2025, 6, 1)
    member.refresh_from_db()
    assert member.category == "full"
    # probation counted from the step-15 meeting date: full one year later
    assert member.full_on == D(2025, 6, 1)
    history = [(h.kind, h.effective_on) for h in member.history.order_by("effective_on", "id")]
    assert history == [
        (StatusChange.Kind.ADMITTED, D(2024, 6, 1)),
        (StatusChange.Kind.CONVERTED, D(2025, 6, 1)),
    ]
    assert StepRecord.objects.filter(applicant=applicant).count() == 25
    kinds = list(applicant.events.values_list("kind", flat=True))
    assert kinds.count(FileEvent.Kind.VOTE) == 2
    assert FileEvent.Kind.ADMITTED in kinds and FileEvent.Kind.CONVERTED in kinds
    introducers = StepRecord.objects.get(applicant=applicant, step=9).people
    assert [p["role"] for p in introducers] == ["introducer", "introducer"]
    approval = StepRecord.objects.get(applicant=applicant, step=17)
    assert approval.body_org == district.street_a
    assert approval.data["approver"] == district.street_a.pk
