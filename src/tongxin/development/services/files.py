"""Applicant files: open, record steps, reviews, documents, votes, close (DOMAIN.md §6).

INTERFACE (fixed by the lead; the services helper implements it — keep the signatures).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import ValidationError

from tongxin.development import rules
from tongxin.development.models import Applicant, Document, StepRecord, Vote


class StepRefused(ValidationError):
    """The rules refused a write. `violations` is a list of rules.Violation; the API answers
    422 {"violations": [v.as_dict() ...]}, pages show each message with its article."""

    def __init__(self, violations: list[rules.Violation]):
        self.violations = list(violations)
        super().__init__([v.text for v in self.violations])


def local_rules() -> rules.LocalRules:
    """The district's local extra rules (AdmissionSettings pk=1; all off when absent)."""
    raise NotImplementedError


def save_local_rules(*, actor, min_months_application_to_activist: int | None) -> None:
    """District administrators only; audited."""
    raise NotImplementedError


def open_file(*, actor, org, applied_on: date, today: date | None = None, **fields) -> Applicant:
    """Open a file: the applicant's identity (name, gender, ethnicity, birth_date, id_number,
    phone, education, occupation, is_high_knowledge, is_migrant_worker, is_soe, is_two_new,
    work_unit) and step 1 (递交入党申请书) on `applied_on`, checked by rules.check_step (age).
    The actor keeps `org` (a branch). One open file per ID number."""
    raise NotImplementedError


def record_step(
    *,
    actor,
    applicant: Applicant,
    step: int,
    on: date,
    data: dict[str, Any] | None = None,
    people: list[dict] | None = None,
    body: str = "",
    body_org=None,
    note: str = "",
    today: date | None = None,
) -> StepRecord:
    """Record `step` on `on`. Raises StepRefused with every violated rule. Effects: step 15
    uses the file's last passed Vote of that date; step 17 creates the Member (probationary,
    admitted_on = step 15 date) through members.services.registry; step 23 with
    data["outcome"] == "extend" records the extension (no step written) and with
    "cancel" cancels the probation; step 24 converts through members change_status;
    step 25 archives the file."""
    raise NotImplementedError


def record_review(
    *, actor, applicant: Applicant, on: date, reviewer: str, summary: str, today=None
):
    """A half-year review of an activist (between step 3 and step 7)."""
    raise NotImplementedError


def add_document(
    *,
    actor,
    applicant: Applicant,
    kind: str,
    on: date,
    title: str = "",
    number: str = "",
    step: int | None = None,
    file=None,
) -> Document:
    raise NotImplementedError


def record_vote(
    *,
    actor,
    applicant: Applicant,
    meeting_on: date,
    present: list[int] | int,
    yes: int,
    no: int,
    abstain: int,
    written: list[dict] | None = None,
    today: date | None = None,
) -> Vote:
    """The branch meeting's vote for the file's next step (15 or 23). `roster` comes from
    voters_of(applicant.org, meeting_on); present/written are member ids of it. Impossible
    figures (attendees beyond the roster, ballots beyond attendees) → StepRefused."""
    raise NotImplementedError


def close_file(*, actor, applicant: Applicant, on: date, state: str, reason: str) -> Applicant:
    """Close an open file as withdrawn or not admitted (cancellation goes through step 23)."""
    raise NotImplementedError


def refresh_file(applicant: Applicant, *, today: date | None = None) -> Applicant:
    """Recompute last_step, phase, next_due, overdue(_since) and key dates from the steps."""
    raise NotImplementedError


def refresh_open_files(*, today: date | None = None) -> dict[str, int]:
    """The daily check: refresh every open file; notify (core.notify, once per item) the
    branch's secretaries and the approving committee's keepers of new overdue items."""
    raise NotImplementedError
