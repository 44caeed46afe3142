"""Admission files built through the services, with a realistic calendar (helper H1).

`open_applicant(d)` opens a file in `d.branch_a1`; `advance(d, applicant, upto)` records the
steps of PLAN up to `upto` (votes before 15 and 23) with the right actor for each step.
"""

import itertools
from datetime import date as D

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from tests.member_factories import id_number, make_member
from tongxin.core.models import AuditEntry, Notification
from tongxin.development import rules, services
from tongxin.development.models import (
    ActivistReview,
    Applicant,
    Document,
    FileEvent,
    StepRecord,
    Vote,
)
from tongxin.development.services import StepRefused
from tongxin.members.models import Member, StatusChange

_seq = itertools.count(1)

BIRTH = D(1995, 5, 5)
TODAY = D(2026, 1, 1)

# step: (date, data) — a file moving at a normal pace, every rule met
PLAN = {
    1: (D(2023, 1, 10), {}),
    2: (D(2023, 1, 20), {}),
    3: (D(2023, 3, 1), {"method": "member_recommendation", "decided_by": "branch_meeting"}),
    4: (D(2023, 3, 10), {}),
    5: (D(2023, 3, 15), None),  # contacts filled in from the branch's members
    6: (D(2023, 9, 1), {}),
    7: (D(2024, 3, 1), {}),
    8: (D(2024, 3, 5), {}),
    9: (D(2024, 3, 10), None),  # introducers
    10: (D(2024, 4, 1), {"conclusion": "政治审查合格"}),
    11: (D(2024, 4, 15), {"days": 3, "hours": 20, "certificate": "结业证书2024-15"}),
    12: (D(2024, 5, 1), {}),
    13: (D(2024, 5, 10), {}),
    14: (D(2024, 5, 20), {"form_number": "GL2024-015"}),
    15: (D(2024, 6, 1), {}),
    16: (D(2024, 6, 10), {}),
    17: (D(2024, 7, 1), {}),
    18: (D(2024, 7, 5), {}),
    19: (D(2024, 7, 10), {}),
    20: (D(2024, 7, 15), {}),
    21: (D(2024, 12, 1), {}),
    22: (D(2025, 5, 20), {}),
    23: (D(2025, 6, 1), {"outcome": "convert"}),
    24: (D(2025, 6, 20), {}),
    25: (D(2025, 7, 1), {}),
}


def branch_members(org, n=5):
    """`n` full members of the branch, in good standing since 2010 (the voting roster)."""
    return [make_member(org, admitted_on=D(2010, 7, 1), full_on=D(2011, 7, 1)) for _ in range(n)]


def identity(**fields):
    n = next(_seq)
    birth = fields.pop("birth_date", BIRTH)
    return {
        "name": fields.pop("name", f"申请人{n}"),
        "gender": "female",
        "birth_date": birth,
        "id_number": fields.pop("id_number", id_number(birth, 700 + n, female=True)),
        "phone": f"138{n:08d}",
        "education": "bachelor",
        "occupation": "enterprise_staff",
        "is_high_knowledge": True,
        **fields,
    }


def open_applicant(d, *, applied_on=PLAN[1][0], today=TODAY, org=None, actor=None, **fields):
    return services.open_file(
        actor=actor or d.secretary,
        org=org or d.branch_a1,
        applied_on=applied_on,
        today=today,
        **identity(**fields),
    )


def actor_for(d, step, secretary=None):
    if step in rules.HIGHER_COMMITTEE_STEPS:
        return d.street_admin
    return secretary or d.secretary


def vote(d, applicant, members, on, *, today=TODAY, yes=None, actor=None):
    present = [m.pk for m in members[:4]]
    return services.record_vote(
        actor=actor or d.secretary,
        applicant=applicant,
        meeting_on=on,
        present=present,
        yes=len(present) if yes is None else yes,
        no=0 if yes is None else len(present) - yes,
        abstain=0,
        today=today,
    )


def step_data(step, members):
    on, data = PLAN[step]
    if step == 5:
        data = {"contacts": [members[0].pk]}
    elif step == 9:
        data = {"introducers": [members[0].pk, members[1].pk]}
    return on, dict(data)


def advance(d, applicant, upto, members, *, start=None, today=TODAY, secretary=None):
    """Record PLAN steps after the file's last step up to `upto`."""
    applicant.refresh_from_db()
    for step in range(start or applicant.last_step + 1, upto + 1):
        on, data = step_data(step, members)
        if step in (15, 23):
            vote(d, applicant, members, on, today=today, actor=secretary)
        services.record_step(
            actor=actor_for(d, step, secretary),
            applicant=applicant,
            step=step,
            on=on,
            data=data,
            today=today,
        )
    applicant.refresh_from_db()
    return applicant


# --- refusals write nothing ------------------------------------------------------------------
TABLES = (
    Applicant,
    StepRecord,
    Vote,
    FileEvent,
    ActivistReview,
    Document,
    AuditEntry,
    Member,
    StatusChange,
    Notification,
)


def counts():
    """Rows of every table the admission services write."""
    return {m.__name__: m.objects.count() for m in TABLES}


def refused(call, **kwargs):
    """Run a call that must be refused; returns the exception; asserts nothing was written."""
    before = counts()
    with pytest.raises((StepRefused, ValidationError, PermissionDenied)) as info:
        call(**kwargs)
    assert counts() == before
    return info.value


def rules_of(exc):
    assert isinstance(exc, StepRefused), exc
    return [v.rule for v in exc.violations]
