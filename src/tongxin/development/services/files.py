"""Applicant files: open, record steps, reviews, documents, votes, close (DOMAIN.md §6).

The interface of the admission services. `record_step` lives in `steps.py`, `record_vote`
in `votes.py`, `refresh_file`/`refresh_open_files` in `standing.py`; they are re-exported
here so `services.files.<name>` keeps working.
"""

from __future__ import annotations

from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tongxin.core import audit
from tongxin.core.crypto import digest
from tongxin.core.pinyin import search_key
from tongxin.core.scoping import scope_paths
from tongxin.development import access, rules
from tongxin.development.models import (
    ActivistReview,
    AdmissionSettings,
    Applicant,
    Document,
    FileEvent,
    StepRecord,
)
from tongxin.development.services.common import (
    StepRefused,
    as_date,
    as_int,
    as_text,
    event,
    file_of,
    local_rules,
    lock,
    require_open,
    today_or,
)
from tongxin.development.services.standing import refresh_file, refresh_open_files
from tongxin.development.services.steps import record_step
from tongxin.development.services.votes import record_vote
from tongxin.members.access import keeps
from tongxin.members.models import Member
from tongxin.members.rules import registry as member_rules
from tongxin.members.services.registry import MEMBER_ORG_TYPES

__all__ = [
    "StepRefused",
    "add_document",
    "close_file",
    "file_of",
    "local_rules",
    "open_file",
    "record_review",
    "record_step",
    "record_vote",
    "refresh_file",
    "refresh_open_files",
    "save_local_rules",
]

IDENTITY_FIELDS = (
    "name",
    "gender",
    "ethnicity",
    "birth_date",
    "id_number",
    "phone",
    "education",
    "occupation",
    "is_high_knowledge",
    "is_migrant_worker",
    "is_soe",
    "is_two_new",
    "work_unit",
)
SENSITIVE_FIELDS = ("id_number", "phone")
AUDIT_FIELDS = (*IDENTITY_FIELDS, "org", "state")
CLOSE_STATES = (Applicant.State.WITHDRAWN, Applicant.State.NOT_ADMITTED)

MSG_REVIEW_WINDOW = gettext_lazy(
    "A half-year review is recorded for an activist: after step 3 and before step 7."
)


def save_local_rules(*, actor, min_months_application_to_activist: int | None) -> None:
    """District administrators only; audited."""
    if not any(p.count("/") == 1 for p in scope_paths(actor, frozenset({"district_admin"}))):
        raise PermissionDenied(_("Only district administrators set the local rules."))
    months = as_int(
        min_months_application_to_activist,
        "min_months_application_to_activist",
        minimum=1,
        required=False,
    )
    if months is not None and months > 60:
        raise ValidationError(
            {"min_months_application_to_activist": [_("Ensure this value is at most 60.")]}
        )
    with transaction.atomic():
        row, _created = AdmissionSettings.objects.select_for_update().get_or_create(pk=1)
        before = row.min_months_application_to_activist
        row.min_months_application_to_activist = months
        row.updated_by = actor
        row.save()
        audit.record(
            actor=actor,
            action="update",
            obj=row,
            object_repr="admission settings",
            changes={"min_months_application_to_activist": [before, months]},
        )


def _identity_errors(applicant: Applicant) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}

    def add(name, message):
        errors.setdefault(name, []).append(str(message))

    if not applicant.name:
        add("name", _("This field is required."))
    if not isinstance(applicant.birth_date, date):
        add("birth_date", _("Enter a valid date (YYYY-MM-DD)."))
    else:
        problem = member_rules.id_error(applicant.id_number, applicant.birth_date)
        if problem:
            add("id_number", problem)
    problem = member_rules.phone_error(applicant.phone)
    if problem:
        add("phone", problem)
    if "id_number" not in errors and applicant.id_number:
        key = digest(applicant.id_number)
        if Applicant.objects.open().filter(id_digest=key).exists():
            add("id_number", _("an open admission file with this ID number already exists"))
        elif Member.objects.filter(id_digest=key).exists():
            add("id_number", _("a member with this ID number is already registered"))
    try:
        applicant.full_clean(
            exclude=["id_digest", "id_tail", "phone_tail", "search_key", "org", "birth_date"]
        )
    except ValidationError as exc:
        for name, messages in exc.message_dict.items():
            for message in messages:
                if message not in errors.get(name, []):
                    add(name, message)
    return errors


@transaction.atomic
def open_file(*, actor, org, applied_on: date, today: date | None = None, **fields) -> Applicant:
    """Open a file: the applicant's identity (name, gender, ethnicity, birth_date, id_number,
    phone, education, occupation, is_high_knowledge, is_migrant_worker, is_soe, is_two_new,
    work_unit) and step 1 (递交入党申请书) on `applied_on`, checked by rules.check_step (age).
    The actor keeps `org` (a branch). One open file per ID number."""
    today = today_or(today)
    unknown = sorted(set(fields) - set(IDENTITY_FIELDS))
    if unknown:
        raise ValidationError({name: [_("unknown field")] for name in unknown})
    if org is None or not keeps(actor, org):
        raise PermissionDenied(_("You do not keep the files of this branch."))
    if org.type not in MEMBER_ORG_TYPES or not org.active:
        raise ValidationError({"org": [_("Choose an active branch.")]})
    applied_on = as_date(applied_on, "applied_on")
    if isinstance(fields.get("birth_date"), str):
        fields["birth_date"] = as_date(fields["birth_date"], "birth_date")
    for name in ("name", "id_number", "phone", "work_unit", "ethnicity"):
        if name in fields:
            fields[name] = as_text(fields[name], name, limit=100)
    fields["id_number"] = fields.get("id_number", "").upper()
    applicant = Applicant(org=org, **fields)
    errors = _identity_errors(applicant)
    if errors:
        raise ValidationError(errors)
    violations = rules.check_step(
        rules.File(birth_date=applicant.birth_date),
        1,
        applied_on,
        today=today,
        options=local_rules(),
    )
    if violations:
        raise StepRefused(violations)
    applicant.id_digest = digest(applicant.id_number)
    applicant.id_tail = applicant.id_number[-4:]
    applicant.phone_tail = member_rules.phone_tail(applicant.phone)
    applicant.search_key = search_key(applicant.name)[:400]
    applicant.save()
    StepRecord.objects.create(applicant=applicant, step=1, on=applied_on, recorded_by=_user(actor))
    event(applicant, actor=actor, kind=FileEvent.Kind.OPENED, step=1)
    audit.record(
        actor=actor,
        action="create",
        obj=applicant,
        changes={
            **audit.diff({}, audit.snapshot(applicant, AUDIT_FIELDS), SENSITIVE_FIELDS),
            "step": [None, f"1 {applied_on.isoformat()}"],
        },
    )
    return refresh_file(applicant, today=today)


def _user(actor):
    return actor if getattr(actor, "is_authenticated", False) else None


@transaction.atomic
def record_review(
    *, actor, applicant: Applicant, on: date, reviewer: str, summary: str, today=None
):
    """A half-year review of an activist (between step 3 and step 7)."""
    today = today_or(today)
    applicant = lock(applicant)
    access.require_file(actor, applicant)
    require_open(applicant)
    on = as_date(on, "date")
    reviewer = as_text(reviewer, "reviewer", limit=100, required=True)
    summary = as_text(summary, "summary", limit=10000, required=True)
    file = file_of(applicant)
    if file.activist_on is None or file.target_on is not None:
        raise StepRefused([rules.Violation("review_window", rules.ART_REVIEW, MSG_REVIEW_WINDOW)])
    if on < file.activist_on:
        raise StepRefused(
            [
                rules.Violation(
                    "date_order",
                    rules.ART_ORDER,
                    rules.MSG["date_order"],
                    {"date": file.activist_on.isoformat()},
                )
            ]
        )
    if on > today:
        raise StepRefused(
            [rules.Violation("date_future", rules.ART_ORDER, rules.MSG["date_future"])]
        )
    review = ActivistReview.objects.create(
        applicant=applicant, on=on, reviewer=reviewer, summary=summary, recorded_by=_user(actor)
    )
    event(
        applicant,
        actor=actor,
        kind=FileEvent.Kind.REVIEW,
        note=reviewer,
        payload={"review": review.pk, "on": on.isoformat()},
    )
    audit.record(
        actor=actor,
        action="create",
        obj=review,
        object_repr=f"{applicant} · {on.isoformat()}",
        changes={"on": [None, on.isoformat()], "reviewer": [None, reviewer]},
    )
    refresh_file(applicant, today=today)
    return review


@transaction.atomic
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
    applicant = lock(applicant)
    access.require_file(actor, applicant)
    errors: dict[str, list[str]] = {}
    if kind not in Document.Kind.values:
        errors["kind"] = [_("Choose a kind of document.")]
    on = as_date(on, "date")
    if on > today_or(None):
        errors["date"] = [str(rules.MSG["date_future"])]
    title = as_text(title, "title", limit=120)
    number = as_text(number, "number", limit=60)
    if step is not None and step != "":
        step = as_int(step, "step", minimum=1)
        if step not in rules.STEP_BY_NUMBER:
            errors["step"] = [str(rules.MSG["no_such_step"]) % {"step": step}]
    else:
        step = None
    if errors:
        raise ValidationError(errors)
    document = Document(
        applicant=applicant,
        kind=kind,
        on=on,
        title=title,
        number=number,
        step=step,
        recorded_by=_user(actor),
    )
    if file is not None:
        document.file = file
    document.save()
    event(
        applicant,
        actor=actor,
        kind=FileEvent.Kind.DOCUMENT,
        step=step,
        note=title or document.get_kind_display(),
        payload={"document": document.pk, "kind": kind},
    )
    audit.record(
        actor=actor,
        action="create",
        obj=document,
        object_repr=f"{applicant} · {document.get_kind_display()}",
        changes={"kind": [None, kind], "on": [None, on.isoformat()], "number": [None, number]},
    )
    return document


@transaction.atomic
def close_file(*, actor, applicant: Applicant, on: date, state: str, reason: str) -> Applicant:
    """Close an open file as withdrawn or not admitted (cancellation goes through step 23)."""
    applicant = lock(applicant)
    access.require_file(actor, applicant)
    require_open(applicant)
    errors: dict[str, list[str]] = {}
    if state not in CLOSE_STATES:
        errors["state"] = [_("A file is closed as withdrawn or not admitted.")]
    elif applicant.member_id is not None:
        errors["state"] = [
            _("The applicant is a probationary member: cancellation goes through step 23.")
        ]
    on = as_date(on, "date")
    reason = as_text(reason, "reason", limit=200, required=True)
    previous = file_of(applicant).done(applicant.last_step or 1)
    if previous and on < previous:
        errors["date"] = [str(rules.MSG["date_order"]) % {"date": previous.isoformat()}]
    elif on > today_or(None):
        errors["date"] = [str(rules.MSG["date_future"])]
    if errors:
        raise ValidationError(errors)
    before = applicant.state
    applicant.state, applicant.closed_on, applicant.close_reason = state, on, reason
    applicant.save(update_fields=["state", "closed_on", "close_reason", "updated_at"])
    event(
        applicant,
        actor=actor,
        kind=FileEvent.Kind.CLOSED,
        note=reason,
        payload={"state": state, "on": on.isoformat()},
    )
    audit.record(
        actor=actor,
        action="close",
        obj=applicant,
        changes={"state": [before, state], "closed_on": [None, on.isoformat()]},
    )
    return refresh_file(applicant)
