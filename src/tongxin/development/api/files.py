"""/api/v1/admissions — applicant files through the 25 steps (issue 4 item 7; DOMAIN.md §6).

Scoped to the keepers of the applicant's branch (members.access): a file outside the caller's
scope answers 404, a write the caller may not make 403 (e.g. a branch secretary recording a
step of the higher committee). Answers to bad input:

* malformed input (a wrong type, an unknown field, a date not written YYYY-MM-DD, an id not
  found in the caller's scope): 422 {"detail": [{"field", "message"}]} — the shape of the
  API's schema errors;
* a write the rules refuse (a step out of order, a date before the previous step, an
  introducer on probation, attendees beyond the roster …): 422 {"violations": [{"rule",
  "article", "message"}]}, nothing written.

Bodies of routes with a path parameter are parsed after the scoped lookup (`parse.Body`).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import Field, Query, Router, Schema, Status

from tongxin.core.api_parse import (
    MAX_ID,
    Body,
    fields_as_422,
    has_control,
    invalid,
    is_int,
    parse_day,
)
from tongxin.development import access, rules, services
from tongxin.development import selectors as sel
from tongxin.development.api import bodies
from tongxin.development.api import schemas as out
from tongxin.development.models import Applicant, Document
from tongxin.development.services.files import IDENTITY_FIELDS as IDENTITY
from tongxin.members.access import require_keeper
from tongxin.members.models import MEMBER_KEEPERS, Education, Gender, Occupation
from tongxin.orgs.models import Org
from tongxin.orgs.selectors import MAX_PAGE_SIZE, PAGE_SIZE

router = Router(tags=["admissions"])
KEEPERS_ONLY = gettext_lazy("Only keepers of the member registry see admission files.")

# service field names → API field names
RENAMED = {"org": "org_id", "on": "date", "meeting_on": "date", "body": "deciding_body"}


def _write(service, **kwargs):
    """(result, None) of a service call, or (None, the 422 refusal) when the rules said no.
    The service's field errors answer 422 naming the API's field."""
    try:
        with fields_as_422(RENAMED):
            return service(**kwargs), None
    except services.StepRefused as exc:
        return None, Status(422, out.violations_out(exc.violations))


def _today() -> date:
    return timezone.localdate()


def _detail(user, pk: int) -> dict:
    applicant = sel.get_file(user, pk)
    view = sel.file_view(applicant, today=_today())
    return out.file_detail(applicant, view, access.steps_actor_may_record(user, applicant))


def _keeper_org(user, pk: int | None) -> Org:
    """The org of a report: one the user keeps (404 otherwise); default the top of their
    scope. Users who keep nothing: 403."""
    require_keeper(user, KEEPERS_ONLY)
    kept = Org.objects.visible_to(user, MEMBER_KEEPERS)
    if pk is None:
        return kept.order_by("path").first()
    return get_object_or_404(kept, pk=pk)


# --- list and open ----------------------------------------------------------------------------


class FileFilters(Schema):
    org: int | None = Field(None, description="an org id: its subtree")
    phase: int | None = Field(None, ge=1, le=5)
    overdue: bool | None = None
    state: str = Field(
        Applicant.State.OPEN,
        pattern="^(" + "|".join([*Applicant.State.values, sel.ALL_STATES]) + ")$",
    )
    q: str | None = Field(
        None, max_length=50, pattern=r"^[^\x00-\x1f\x7f]*$", description="name, pinyin or ID tail"
    )
    cursor: str | None = None
    limit: int = Field(PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE)


@router.get("", response=out.FilePage)
def list_files(request, filters: Query[FileFilters]):
    """Files the caller keeps, by id; default the open ones (`state=all` for every file)."""
    items, next_cursor = sel.files_for(
        request.user,
        org=filters.org,
        phase=filters.phase,
        overdue=filters.overdue,
        state=filters.state,
        q=filters.q or "",
        after=filters.cursor,
        limit=filters.limit,
    )
    return {"items": [out.file_out(a) for a in items], "next": next_cursor}


IDENTITY_FIELDS = ("org_id", "applied_on", *IDENTITY)


@router.post("", response={201: out.FileDetail, 422: out.Refusal})
def open_file(request, payload: bodies.FileIn):
    """Open a file with step 1 (the application). The rules check the age (≥18)."""
    require_keeper(request.user, KEEPERS_ONLY)
    b = Body(payload.fields(), allowed=IDENTITY_FIELDS)
    org_id = b.integer("org_id", minimum=1, maximum=MAX_ID, required=True)
    fields = {
        "applied_on": b.day("applied_on", required=True),
        "name": b.text("name", max_length=50, required=True),
        "gender": b.choice("gender", Gender.values, required=True),
        "ethnicity": b.text("ethnicity", max_length=20) or "汉族",
        "birth_date": b.day("birth_date", required=True),
        "id_number": b.text("id_number", max_length=18, required=True),
        "phone": b.text("phone", max_length=30),
        "education": b.choice("education", Education.values, required=True),
        "occupation": b.choice("occupation", Occupation.values, required=True),
        "work_unit": b.text("work_unit", max_length=100),
        **{
            flag: b.boolean(flag)
            for flag in ("is_high_knowledge", "is_migrant_worker", "is_soe", "is_two_new")
        },
    }
    org = None
    if org_id is not None:
        org = Org.objects.visible_to(request.user, MEMBER_KEEPERS).filter(pk=org_id).first()
        if org is None:
            b.error("org_id", _("organisation not found in your scope"))
    b.check()
    applicant, refused = _write(services.open_file, actor=request.user, org=org, **fields)
    if refused:
        return refused
    return Status(201, _detail(request.user, applicant.pk))


# --- reports (before /{id} so their names are never read as ids) ------------------------------


@router.get("/funnel", response=out.FunnelOut)
def funnel(request, org: int | None = None):
    """Open files of an org's subtree (default: the top of the caller's scope) by phase."""
    return out.funnel_out(sel.funnel(request.user, _keeper_org(request.user, org)))


@router.get("/stats", response=out.StatsOut)
def stats(request, org: int | None = None, since: str | None = None, until: str | None = None):
    """Admissions (approved, counted by the meeting date) of the period by group, gender,
    education and age band. since/until: YYYY-MM-DD, default this year to today."""
    node = _keeper_org(request.user, org)
    today = _today()
    errors: dict[str, list[str]] = {}
    first = parse_day(since) if since else date(today.year, 1, 1)
    last = parse_day(until) if until else today
    for field, value in (("since", first), ("until", last)):
        if value is None:
            errors[field] = [_("Enter a date as YYYY-MM-DD.")]
    if first and last and first > last:
        errors["until"] = [_("The end of the period is before its start.")]
    if errors:
        raise invalid(errors)
    return out.stats_out(sel.admissions_by_group(request.user, node, first, last))


# --- one file -------------------------------------------------------------------------------


@router.get("/{int:file_id}", response=out.FileDetail)
def get_file(request, file_id: int):
    """The file: identity (masked), where it stands, the 25 steps, documents, reviews, votes
    and the timeline."""
    return _detail(request.user, file_id)


COMMON_STEP_FIELDS = ("step", "date", "note", "deciding_body", "people")
STEP_FIELDS: dict[int, tuple[str, ...]] = {
    3: ("method", "decided_by"),
    5: ("contacts",),
    9: ("introducers",),
    10: ("conclusion",),
    11: ("days", "hours", "certificate"),
    14: ("form_number",),
    17: ("approver", "limit_extended"),
    23: ("outcome", "extended_to"),
    24: ("approver",),
}
MAX_PEOPLE = 20


def _people(b: Body) -> list[dict] | None:
    """Optional [{"role", "name"}] of the people involved (talker, reviewers, trainers …)."""
    value = b.data.get("people")
    if value is None:
        return None
    if (
        not isinstance(value, list)
        or len(value) > MAX_PEOPLE
        or not all(
            isinstance(p, dict)
            and set(p) <= {"role", "name"}
            and isinstance(p.get("role", ""), str)
            and isinstance(p.get("name"), str)
            and 0 < len(p["name"].strip()) <= 50
            and len(p.get("role", "")) <= 24
            and not has_control(p["name"] + p.get("role", ""))
            for p in value
        )
    ):
        b.error(
            "people",
            _('At most %(n)s people, each {"role", "name"} with a name of 1 to 50 characters.')
            % {"n": MAX_PEOPLE},
        )
        return None
    return [{"role": p.get("role") or "other", "name": p["name"].strip()} for p in value]


def _step_data(b: Body, step: int) -> dict[str, Any]:
    data: dict[str, Any] = {}
    if step == 3:
        data["method"] = b.text("method", max_length=40)
        data["decided_by"] = b.text("decided_by", max_length=40)
    elif step == 5:
        data["contacts"] = b.ids("contacts", max_items=10)
    elif step == 9:
        data["introducers"] = b.ids("introducers", max_items=10)
    elif step == 10:
        data["conclusion"] = b.text("conclusion", max_length=2000)
    elif step == 11:
        data["days"] = b.integer("days", maximum=366)
        data["hours"] = b.integer("hours", maximum=10000)
        data["certificate"] = b.text("certificate", max_length=100)
    elif step == 14:
        data["form_number"] = b.text("form_number", max_length=60)
    elif step in (17, 24):
        approver = b.integer("approver", minimum=1, maximum=MAX_ID)
        if approver is not None:
            data["approver"] = approver
        if step == 17:
            data["limit_extended"] = b.boolean("limit_extended")
    elif step == 23:
        data["outcome"] = b.choice("outcome", ("convert", "extend", "cancel")) or "convert"
        extended_to = b.day("extended_to", required=data["outcome"] == "extend")
        if extended_to is not None:
            data["extended_to"] = extended_to
    return {k: v for k, v in data.items() if v not in (None, "")}


@router.post("/{int:file_id}/steps", response={201: out.FileDetail, 422: out.Refusal})
def record_step(request, file_id: int, payload: bodies.StepIn):
    """Record a step: {"step": 1..25, "date": "YYYY-MM-DD", ...step data}. Step data: 3 method,
    decided_by; 5 contacts [member ids]; 9 introducers [member ids]; 10 conclusion; 11 days,
    hours, certificate; 14 form_number; 17 approver (org id), limit_extended; 23 outcome
    (convert|extend|cancel), extended_to; 24 approver. Any step: note, deciding_body (text), people
    [{"role", "name"}]. Steps 15 and 23 use the vote recorded first through /vote."""
    applicant = sel.get_file(request.user, file_id)
    raw = payload.fields()
    b = Body(raw)
    step = b.integer("step", minimum=1, maximum=rules.LAST_STEP, required=True)
    b.check()
    access.require_step(request.user, applicant, step)
    b = Body(raw, allowed=COMMON_STEP_FIELDS + STEP_FIELDS.get(step, ()))
    on = b.day("date", required=True)
    note = b.text("note", max_length=2000)
    body = b.text("deciding_body", max_length=100)
    people = _people(b)
    data = _step_data(b, step)
    b.check()
    _result, refused = _write(
        services.record_step,
        actor=request.user,
        applicant=applicant,
        step=step,
        on=on,
        data=data,
        people=people,
        body=body,
        note=note,
    )
    if refused:
        return refused
    return Status(201, _detail(request.user, file_id))


MAX_ATTENDANCE = 100_000
VOTE_FIELDS = ("date", "present", "yes", "no", "abstain", "written")
VOTE_CHOICES = ("yes", "no", "abstain")


def _written(b: Body) -> list[dict]:
    value = b.data.get("written")
    if value is None:
        return []
    ok = (
        isinstance(value, list)
        and len(value) <= 500
        and all(
            isinstance(w, dict)
            and set(w) == {"member", "vote"}
            and is_int(w["member"])
            and 0 < w["member"] <= MAX_ID
            and w["vote"] in VOTE_CHOICES
            for w in value
        )
    )
    if not ok:
        b.error(
            "written",
            _('A list of at most 500 written opinions, each {"member": id, "vote": %(votes)s}.')
            % {"votes": "|".join(VOTE_CHOICES)},
        )
        return []
    if len({w["member"] for w in value}) != len(value):
        b.error("written", _("A member is listed twice."))
        return []
    return [{"member": w["member"], "vote": w["vote"]} for w in value]


@router.post("/{int:file_id}/vote", response={201: out.VoteOut, 422: out.Refusal})
def record_vote(request, file_id: int, payload: bodies.VoteIn):
    """The branch meeting's vote on the file's next step (15 or 23): {"date", "present": [member
    ids] or a count, "yes", "no", "abstain", "written": [{"member", "vote"}]}. Who should
    attend comes from the branch roster on that date; the answer shows the arithmetic."""
    applicant = sel.get_file(request.user, file_id)
    access.require_file(request.user, applicant)
    b = Body(payload.fields(), allowed=VOTE_FIELDS)
    on = b.day("date", required=True)
    present_raw = b.data.get("present")
    present: list[int] | int = 0
    if isinstance(present_raw, list):
        present = b.ids("present")
    else:
        present = b.integer("present", maximum=MAX_ATTENDANCE, required=True) or 0
    figures = {
        k: b.integer(k, maximum=MAX_ATTENDANCE, required=True) or 0
        for k in ("yes", "no", "abstain")
    }
    written = _written(b)
    b.check()
    vote, refused = _write(
        services.record_vote,
        actor=request.user,
        applicant=applicant,
        meeting_on=on,
        present=present,
        written=written,
        **figures,
    )
    if refused:
        return refused
    return Status(201, out.vote_out(vote))


@router.post("/{int:file_id}/reviews", response={201: out.ReviewOut, 422: out.Refusal})
def record_review(request, file_id: int, payload: bodies.ReviewIn):
    """A half-year review of an activist: {"date", "reviewer", "summary"}."""
    applicant = sel.get_file(request.user, file_id)
    access.require_file(request.user, applicant)
    b = Body(payload.fields(), allowed=("date", "reviewer", "summary"))
    on = b.day("date", required=True)
    reviewer = b.text("reviewer", max_length=100, required=True)
    summary = b.text("summary", max_length=5000, required=True)
    b.check()
    review, refused = _write(
        services.record_review,
        actor=request.user,
        applicant=applicant,
        on=on,
        reviewer=reviewer,
        summary=summary,
    )
    if refused:
        return refused
    return Status(201, out.review_out(review))


@router.post("/{int:file_id}/documents", response={201: out.DocumentOut, 422: out.Refusal})
def add_document(request, file_id: int, payload: bodies.DocumentIn):
    """A paper of the file, recorded without an upload: {"kind", "date", "title", "number",
    "step"}."""
    applicant = sel.get_file(request.user, file_id)
    access.require_file(request.user, applicant)
    b = Body(payload.fields(), allowed=("kind", "date", "title", "number", "step"))
    kind = b.choice("kind", Document.Kind.values, required=True)
    on = b.day("date", required=True)
    title = b.text("title", max_length=120)
    number = b.text("number", max_length=60)
    step = b.integer("step", minimum=1, maximum=rules.LAST_STEP)
    b.check()
    document, refused = _write(
        services.add_document,
        actor=request.user,
        applicant=applicant,
        kind=kind,
        on=on,
        title=title,
        number=number,
        step=step,
    )
    if refused:
        return refused
    return Status(201, out.document_out(document))


CLOSE_STATES = (Applicant.State.WITHDRAWN.value, Applicant.State.NOT_ADMITTED.value)


@router.post("/{int:file_id}/close", response={200: out.FileDetail, 422: out.Refusal})
def close_file(request, file_id: int, payload: bodies.CloseIn):
    """Close an open file: {"date", "state": "withdrawn"|"not_admitted", "reason"}
    (cancelling a probation goes through step 23)."""
    applicant = sel.get_file(request.user, file_id)
    access.require_file(request.user, applicant)
    b = Body(payload.fields(), allowed=("date", "state", "reason"))
    on = b.day("date", required=True)
    state = b.choice("state", CLOSE_STATES, required=True)
    reason = b.text("reason", max_length=200, required=True)
    b.check()
    _result, refused = _write(
        services.close_file,
        actor=request.user,
        applicant=applicant,
        on=on,
        state=state,
        reason=reason,
    )
    if refused:
        return refused
    return _detail(request.user, file_id)
