"""Every read of applicant files: scoped to the keepers of the applicant's branch
(`Applicant.objects.visible_to(user, MEMBER_KEEPERS)`), keyset-paged, no N+1.

`to_rule_file` is the one bridge from the models to `rules.File`; services import it too.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.conf import settings
from django.db.models import F, Prefetch, Q
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tongxin.development import rules
from tongxin.development.models import Applicant, FileEvent, StepRecord
from tongxin.members.models import MEMBER_KEEPERS
from tongxin.members.selectors.registry import search_q
from tongxin.orgs.models import Org
from tongxin.orgs.selectors import MAX_PAGE_SIZE, PAGE_SIZE, page_by_id

# `state` filter values beyond Applicant.State
ALL_STATES = "all"
TODO_LIMIT = 30

# identity fields never needed on a list (encrypted or long)
_LIST_DEFER = ("id_number", "phone", "search_key")


def keepers_files(user):
    """Files of the branches the user keeps (district/street/community admins, secretaries)."""
    return Applicant.objects.visible_to(user, MEMBER_KEEPERS)


def with_masks(applicant: Applicant) -> Applicant:
    """`id_masked` from the stored tail (no decryption): ``**************1234``."""
    applicant.id_masked = "*" * 14 + (applicant.id_tail or "")
    return applicant


def _org_path(org) -> str | None:
    if org is None or org == "":
        return None
    if isinstance(org, Org):
        return org.path
    if isinstance(org, int) or (isinstance(org, str) and org.isdigit()):
        return Org.objects.filter(pk=int(org)).values_list("path", flat=True).first() or "-"
    return "-"  # a malformed org matches nothing


def file_queryset(
    user,
    *,
    org=None,
    phase: int | None = None,
    overdue: bool | None = None,
    state: str = Applicant.State.OPEN,
    q: str = "",
):
    qs = keepers_files(user)
    path = _org_path(org)
    if path is not None:
        qs = qs.filter(org__path__startswith=path)
    if phase:
        qs = qs.filter(phase=int(phase))
    if overdue is not None:
        qs = qs.filter(overdue=bool(overdue))
    if state and state != ALL_STATES:
        qs = qs.filter(state=state)
    if q and q.strip():
        qs = qs.filter(search_q(q))
    return qs


def files_for(
    user,
    *,
    org=None,
    phase: int | None = None,
    overdue: bool | None = None,
    state: str = Applicant.State.OPEN,
    q: str = "",
    after: str | None = None,
    limit: int = PAGE_SIZE,
):
    """A page of files by id: (items, next_cursor). `org` (an Org or its id) limits to its
    subtree; `state="all"` lists closed files too. Items carry `id_masked`."""
    limit = max(1, min(int(limit or PAGE_SIZE), MAX_PAGE_SIZE))
    qs = (
        file_queryset(user, org=org, phase=phase, overdue=overdue, state=state, q=q)
        .select_related("org")
        .defer(*_LIST_DEFER)
        .order_by("id")
    )
    items, next_cursor = page_by_id(qs, after, limit)
    return [with_masks(a) for a in items], next_cursor


def get_file(user, pk) -> Applicant:
    """One file the user keeps, with everything the file page shows; Http404 otherwise."""
    qs = (
        keepers_files(user)
        .select_related("org", "member")
        .prefetch_related(
            Prefetch(
                "steps",
                queryset=StepRecord.objects.select_related("body_org", "recorded_by").order_by(
                    "step"
                ),
            ),
            "documents",
            "reviews",
            "votes",
            Prefetch("events", queryset=FileEvent.objects.select_related("actor")),
        )
    )
    return with_masks(get_object_or_404(qs, pk=pk))


def to_rule_file(applicant: Applicant) -> rules.File:
    """The file as `rules` sees it (uses the prefetched steps and reviews when present)."""
    return rules.File(
        birth_date=applicant.birth_date,
        steps={s.step: rules.StepRecord(s.on, dict(s.data or {})) for s in applicant.steps.all()},
        activist_reviews=sorted(r.on for r in applicant.reviews.all()),
        probation_extended_to=applicant.probation_extended_to,
    )


def file_view(applicant: Applicant, *, today: date) -> dict:
    """Where the file stands: the 25 rows in order, the current phase, the next step and its
    window, and the overdue items."""
    file = to_rule_file(applicant)
    records = {s.step: s for s in applicant.steps.all()}
    documents: dict[int | None, list] = {}
    for doc in applicant.documents.all():
        documents.setdefault(doc.step, []).append(doc)
    next_number = file.next_step if applicant.state == Applicant.State.OPEN else None
    phases = {p.number: p for p in rules.PHASES}
    rows = []
    for step in rules.STEPS:
        record = records.get(step.number)
        rows.append(
            {
                "number": step.number,
                "phase": step.phase,
                "phase_name": phases[step.phase].name_zh,
                "name": step.name_zh,
                "code": step.code,
                "done_on": record.on if record else None,
                "record": record,
                "documents": documents.get(step.number, []),
                "details": step_details(record) if record else [],
                "is_next": step.number == next_number,
                "higher_committee": step.number in rules.HIGHER_COMMITTEE_STEPS,
            }
        )
    # the phase of the last step done (as Applicant.phase and the funnel count it)
    phase = phases[rules.STEP_BY_NUMBER[file.last_step].phase if file.last_step else 1]
    return {
        "file": file,
        "rows": rows,
        "phase": phase,
        "phases": rules.PHASES,
        "last_step": file.last_step,
        "next_step": rules.STEP_BY_NUMBER.get(next_number) if next_number else None,
        "deadline": rules.next_deadline(file) if next_number else None,
        "overdue": rules.overdue_items(file, today) if next_number else [],
        "probation_end": file.probation_end,
        "loose_documents": documents.get(None, []),
    }


_DETAIL_LABELS = {
    "method": _("Chosen by"),
    "decided_by": _("Decided by"),
    "conclusion": _("Conclusion"),
    "days": _("Days of training"),
    "hours": _("Class hours"),
    "certificate": _("Training certificate"),
    "form_number": _("Volunteer form number"),
    "outcome": _("Decision"),
    "extended_to": _("Probation extended to"),
    "limit_extended": _("Approval limit extended to 6 months"),
}
_DETAIL_VALUES = {
    "member_recommendation": _("Recommendation by party members"),
    "mass_organisation_recommendation": _("Recommendation by mass organisations"),
    "branch_committee": _("Branch committee"),
    "branch_meeting": _("Branch general meeting"),
    "convert": _("Full membership on time"),
    "extend": _("Probation extended"),
    "cancel": _("Probationary membership cancelled"),
    True: _("yes"),
}


def step_details(record: StepRecord) -> list[tuple[str, str]]:
    """The step's own data as (label, value) pairs for display (ids and empty values left
    out: people and the approving body are shown on their own)."""
    out = []
    for key, label in _DETAIL_LABELS.items():
        value = (record.data or {}).get(key)
        if value in (None, "", False, 0) and key not in ("days", "hours"):
            continue
        if key in ("days", "hours") and not value:
            continue
        if isinstance(value, str | bool):
            value = _DETAIL_VALUES.get(value, value)
        out.append((label, value))
    return out


# ---------------------------------------------------------------- deadlines


def overdue_files(user, org=None, after: str | None = None, limit: int = PAGE_SIZE, *, today=None):
    """A page of open files flagged overdue, each with `overdue_items` (rules.OverdueItem)."""
    today = today or timezone.localdate()
    limit = max(1, min(int(limit or PAGE_SIZE), MAX_PAGE_SIZE))
    qs = (
        file_queryset(user, org=org, overdue=True)
        .select_related("org")
        .defer(*_LIST_DEFER)
        .prefetch_related("steps", "reviews")
        .order_by("id")
    )
    items, next_cursor = page_by_id(qs, after, limit)
    for applicant in items:
        with_masks(applicant)
        applicant.overdue_items = rules.overdue_items(to_rule_file(applicant), today)
    return items, next_cursor


def todo_for(user, *, today: date, limit: int = TODO_LIMIT) -> list[dict]:
    """The user's admission to-do list (home page): overdue items and next deadlines within
    TONGXIN["ADMISSION_REMINDER_DAYS"] days of the open files the user keeps, soonest first.

    Each item: {"applicant", "kind": "overdue"|"due", "step" (rules.Step or None), "due",
    "text", "article"}."""
    days = settings.TONGXIN["ADMISSION_REMINDER_DAYS"]
    horizon = today + timedelta(days=days)
    qs = (
        keepers_files(user)
        .open()
        .filter(Q(overdue=True) | Q(next_due__lte=horizon))
        .select_related("org")
        .defer(*_LIST_DEFER)
        .prefetch_related("steps", "reviews")
        .order_by("-overdue", F("next_due").asc(nulls_last=True), "id")[:limit]
    )
    items: list[dict] = []
    for applicant in qs:
        file = to_rule_file(applicant)
        for item in rules.overdue_items(file, today):
            if item.done_on is None:  # met late: nothing left to do
                items.append(
                    {
                        "applicant": applicant,
                        "kind": "overdue",
                        "step": rules.STEP_BY_NUMBER.get(file.next_step or 0),
                        "due": item.due,
                        "text": item.text,
                        "article": item.article,
                    }
                )
        deadline = rules.next_deadline(file)
        if deadline and deadline.due and today <= deadline.due <= horizon:
            items.append(
                {
                    "applicant": applicant,
                    "kind": "due",
                    "step": rules.STEP_BY_NUMBER[deadline.step],
                    "due": deadline.due,
                    "text": "",
                    "article": "",
                }
            )
    items.sort(key=lambda i: (i["due"], i["applicant"].pk))
    return items
