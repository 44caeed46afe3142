"""/api/v1/meetings — plan, attendance, sign-in, held, submit, review, appraisal (issue 5 §9).

Scoped through meetings.access: a meeting the caller does not see answers 404, a write the
caller may not make 403 (a branch secretary reviewing their own branch, a member planning).
Answers to bad input:

* malformed input (wrong type, unknown field, a datetime without its zone …): 422
  {"detail": [{"field", "message"}]};
* a write the rules refuse (sign-in outside the window, attendance above the roster, a
  future meeting recorded as held, a duplicate submission …): 422 {"violations": [{"rule",
  "article", "message"}]}, nothing written;
* a stale "version" in the body: 409 {"detail", "version"}.

Bodies are loose at the schema level and parsed after the scoped lookup (core.api_parse.Body).
Datetimes are ISO 8601 with an offset ("2026-07-15T19:00:00+08:00").
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from tongxin.core.api_parse import MAX_ID, Body, LooseBody, fields_as_422, invalid
from tongxin.core.api_parse import loose_field as _f
from tongxin.meetings import access, services
from tongxin.meetings.models import Kind, Meeting, State, TalkPair
from tongxin.meetings.rules.periods import Period
from tongxin.meetings.selectors import meetings as sel
from tongxin.meetings.services.meetings import YEAR_MAX, YEAR_MIN
from tongxin.meetings.visibility import visible_rows
from tongxin.members.models import MEMBER_KEEPERS, Member
from tongxin.orgs.models import Org
from tongxin.orgs.selectors import decode_cursor, encode_cursor

router = Router(tags=["meetings"])

TEXT_MAX = 20000
MAX_MARKS = 500


# --- shapes -------------------------------------------------------------------------------
class ViolationOut(Schema):
    rule: str
    article: str
    message: str


class Refusal(Schema):
    violations: list[ViolationOut]


class ConflictOut(Schema):
    detail: str
    version: int


class MeetingOut(Schema):
    id: int
    org_id: int
    org_name: str
    party_group_id: int | None
    kind: str
    kind_name: str
    state: str
    topic: str
    place: str
    starts_at: datetime
    ends_at: datetime
    on: Any
    should_attend: int
    attended: int
    on_leave: int
    version: int


class MeetingPage(Schema):
    items: list[MeetingOut]
    next: str | None


class AttendanceOut(Schema):
    member_id: int
    name: str
    status: str
    leave_reason: str
    signed_in_at: datetime | None
    via: str


class EventOut(Schema):
    kind: str
    from_state: str
    to_state: str
    note: str
    at: datetime


class MeetingDetail(MeetingOut):
    host_id: int | None
    recorder_id: int | None
    agenda: str
    minutes: str
    talk_pair: str
    submitted_at: datetime | None
    reviewed_at: datetime | None
    review_opinion: str
    may_manage: bool
    may_review: bool
    signin_code: str | None
    attendance: list[AttendanceOut]
    events: list[EventOut]


class SigninOut(Schema):
    meeting_id: int
    member_id: int
    status: str
    signed_in_at: datetime | None
    already: bool
    message: str


class AppraisalOut(Schema):
    member_id: int
    year: int
    grade: str
    note: str


def meeting_out(m: Meeting) -> dict:
    return {
        "id": m.pk,
        "org_id": m.org_id,
        "org_name": m.org.name,
        "party_group_id": m.party_group_id,
        "kind": m.kind,
        "kind_name": str(m.get_kind_display()),
        "state": m.state,
        "topic": m.topic,
        "place": m.place,
        "starts_at": m.starts_at,
        "ends_at": m.ends_at,
        "on": m.on,
        "should_attend": m.should_attend,
        "attended": m.attended,
        "on_leave": m.on_leave,
        "version": m.version,
    }


def detail_out(user, meeting_id: int) -> dict:
    m = sel.meeting_detail(user, meeting_id)
    manage = access.may_manage(user, m)
    review = access.may_review(user, m)
    # one rule with the page and the PDF: the whole roster for those who manage or review,
    # a plain member their own row only
    rows = visible_rows(user, m, m.attendance.all(), see_roster=manage or review)
    return {
        **meeting_out(m),
        "host_id": m.host_id,
        "recorder_id": m.recorder_id,
        "agenda": m.agenda,
        "minutes": m.minutes,
        "talk_pair": m.talk_pair,
        "submitted_at": m.submitted_at,
        "reviewed_at": m.reviewed_at,
        "review_opinion": m.review_opinion,
        "may_manage": manage,
        "may_review": review,
        # the code is shown to those who run the meeting, not to every member on the roster
        "signin_code": m.signin_code if manage else None,
        "attendance": [
            {
                "member_id": a.member_id,
                "name": a.member.name,
                "status": a.status,
                "leave_reason": a.leave_reason,
                "signed_in_at": a.signed_in_at,
                "via": a.via,
            }
            for a in rows
        ],
        "events": [
            {
                "kind": e.kind,
                "from_state": e.from_state,
                "to_state": e.to_state,
                "note": e.note,
                "at": e.at,
            }
            for e in m.events.all()
        ],
    }


# --- helpers --------------------------------------------------------------------------------
def _refusal(exc: services.MeetingRefused):
    return Status(422, {"violations": [v.as_dict() for v in exc.violations]})


def _conflict(exc: services.Conflict):
    version = exc.meeting.version if exc.meeting is not None else 0
    return Status(
        409,
        {"detail": _("The meeting was changed by someone else: reload it."), "version": version},
    )


def _write(service, **kwargs):
    """(result, None), or (None, the 422/409 answer) when refused. Field errors of the
    service answer 422 {"detail"} naming the API's field; rule refusals 422 {"violations"}."""
    try:
        with fields_as_422({"org": "org_id", "host": "host_id", "recorder": "recorder_id"}):
            try:
                return service(**kwargs), None
            except services.MeetingRefused as exc:
                return None, _refusal(exc)
    except services.Conflict as exc:
        return None, _conflict(exc)


def _write_then_detail(request, meeting_id: int, service, **kwargs):
    """The meeting as the caller now sees it after `service`, or the 422/409 answer."""
    _m, refused = _write(service, **kwargs)
    return refused or detail_out(request.user, meeting_id)


def _moment(b: Body, field: str, *, required: bool = False) -> datetime | None:
    value = b.data.get(field)
    if value is None:
        if required:
            b.error(field, _("This field is required."))
        return None
    parsed = None
    if isinstance(value, str) and 10 < len(value) <= 40:
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            parsed = None
    if parsed is None or parsed.tzinfo is None:
        b.error(
            field,
            _("Enter a date and time with its offset, e.g. 2026-07-15T19:00:00+08:00."),
        )
        return None
    if not YEAR_MIN <= parsed.year <= YEAR_MAX:  # the service's bound, named per field here
        b.error(
            field,
            _("Enter a date in the years %(min)s to %(max)s.") % {"min": YEAR_MIN, "max": YEAR_MAX},
        )
        return None
    return parsed


def _optional_json(request):
    """The JSON body of a route whose body is optional ({} when empty); garbage → 422."""
    raw = request.body
    if not raw or not raw.strip():
        return {}
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise invalid({"__all__": [_("The body must be a JSON object.")]}) from None


def _version(b: Body) -> int | None:
    return b.integer("version", minimum=1, maximum=2**31 - 1)


def _member(b: Body, field: str, org: Org) -> Member | None:
    pk = b.integer(field, minimum=1, maximum=MAX_ID)
    if pk is None:
        return None
    member = Member.objects.filter(pk=pk, org=org).first()
    if member is None:
        b.error(field, _("Choose a member of this branch."))
    return member


# --- list, create, detail, change ----------------------------------------------------------
class MeetingFilters(Schema):
    org: int | None = Field(None, ge=1, le=MAX_ID, description="an org id: its subtree")
    kind: str | None = Field(None, pattern="^(" + "|".join(Kind.values) + ")$")
    state: str | None = Field(None, pattern="^(" + "|".join(State.values) + ")$")
    period: str | None = Field(None, max_length=7, description="2026, 2026-Q3 or 2026-07")
    cursor: str | None = Field(None, max_length=100)
    limit: int = Field(50, ge=1, le=sel.MAX_LIMIT)


def _cursor(cursor: str | None):
    if not cursor:
        return None
    raw = decode_cursor(cursor) or ""
    stamp, _sep, pk = raw.partition("|")
    try:
        when = datetime.fromisoformat(stamp)
        key = int(pk)
    except ValueError:
        raise invalid({"cursor": [_("This cursor is not valid.")]}) from None
    if when.tzinfo is None or not 0 < key <= MAX_ID:
        raise invalid({"cursor": [_("This cursor is not valid.")]})
    return when, key


@router.get("", response=MeetingPage)
def list_meetings(request, filters: Query[MeetingFilters]):
    """Meetings the caller sees, newest first (keyset pages: pass `next` as `cursor`)."""
    org = None
    if filters.org is not None:
        org = get_object_or_404(Org.objects.visible_to(request.user), pk=filters.org)
    period = None
    if filters.period:
        try:
            period = Period.parse(filters.period)
        except ValueError:
            raise invalid({"period": [_("Write a period as 2026, 2026-Q3 or 2026-07.")]}) from None
    rows, next_key = sel.meeting_list(
        request.user,
        org=org,
        kind=filters.kind,
        state=filters.state,
        period=period,
        after=_cursor(filters.cursor),
        limit=filters.limit,
    )
    next_cursor = encode_cursor(f"{next_key[0].isoformat()}|{next_key[1]}") if next_key else None
    return {"items": [meeting_out(m) for m in rows], "next": next_cursor}


class MeetingIn(LooseBody):
    org_id: Any = _f("the branch (one the caller keeps)", "integer")
    kind: Any = _f(" | ".join(Kind.values), "string")
    topic: Any = _f("1–200 characters", "string")
    starts_at: Any = _f("ISO 8601 with offset", "string", format="date-time")
    ends_at: Any = _f("ISO 8601 with offset, after starts_at", "string", format="date-time")
    place: Any = _f("optional", "string")
    agenda: Any = _f("optional", "string")
    host_id: Any = _f("optional: a member of the branch", "integer")
    recorder_id: Any = _f("optional: a member of the branch", "integer")
    party_group_id: Any = _f("group meetings: a party group of the branch", "integer")
    talk_pair: Any = _f("heart talks: " + " | ".join(TalkPair.values), "string")
    participants: Any = _f("heart talks (2) and study sessions: member ids", "array")
    notify: Any = _f("notify the roster (default true)", "boolean")


PLAN_FIELDS = tuple(MeetingIn.model_fields)


@router.post("", response={201: MeetingDetail, 409: ConflictOut, 422: Refusal})
def create_meeting(request, payload: MeetingIn):
    """Plan a meeting: the roster is fixed by the rules (members in good standing; committee
    members; the group; the talk's two participants)."""
    b = Body(payload.fields(), allowed=PLAN_FIELDS)
    org_id = b.integer("org_id", minimum=1, maximum=MAX_ID, required=True)
    b.check()
    org = get_object_or_404(Org.objects.visible_to(request.user, MEMBER_KEEPERS), pk=org_id)
    access.require_manage(request.user, org)
    kind = b.choice("kind", Kind.values, required=True)
    topic = b.text("topic", max_length=200, required=True)
    starts_at = _moment(b, "starts_at", required=True)
    ends_at = _moment(b, "ends_at", required=True)
    place = b.text("place", max_length=200)
    agenda = b.text("agenda", max_length=TEXT_MAX)
    host = _member(b, "host_id", org)
    recorder = _member(b, "recorder_id", org)
    talk_pair = b.choice("talk_pair", TalkPair.values)
    group_id = b.integer("party_group_id", minimum=1, maximum=MAX_ID)
    party_group = None
    if group_id is not None:
        party_group = Org.objects.filter(pk=group_id, parent=org, type="party_group").first()
        if party_group is None:
            b.error("party_group_id", _("Choose a party group of this branch."))
    participants = None
    if "participants" in b.data:
        ids = b.ids("participants", max_items=MAX_MARKS)
        participants = list(ids)
    notify = b.boolean("notify", default=True)
    b.check()
    meeting, refused = _write(
        services.plan_meeting,
        actor=request.user,
        org=org,
        kind=kind,
        topic=topic,
        starts_at=starts_at,
        ends_at=ends_at,
        place=place,
        agenda=agenda,
        host=host,
        recorder=recorder,
        party_group=party_group,
        talk_pair=talk_pair,
        participants=participants,
        notify=notify,
    )
    if refused:
        return refused
    return Status(201, detail_out(request.user, meeting.pk))


@router.get("/{int:meeting_id}", response=MeetingDetail)
def get_meeting(request, meeting_id: int):
    return detail_out(request.user, meeting_id)


class ChangeIn(LooseBody):
    version: Any = _f("the version read (409 when stale)", "integer")
    topic: Any = _f("1–200 characters", "string")
    starts_at: Any = _f("ISO 8601 with offset", "string", format="date-time")
    ends_at: Any = _f("ISO 8601 with offset", "string", format="date-time")
    place: Any = _f("text", "string")
    agenda: Any = _f("text", "string")
    host_id: Any = _f("a member of the branch", "integer")
    recorder_id: Any = _f("a member of the branch", "integer")
    talk_pair: Any = _f("heart talks", "string")


@router.patch("/{int:meeting_id}", response={200: MeetingDetail, 409: ConflictOut, 422: Refusal})
def change_meeting(request, meeting_id: int, payload: ChangeIn):
    """Change a planned meeting (not its kind, branch or roster)."""
    meeting = access.meeting_for(request.user, meeting_id)
    access.require_manage(request.user, meeting)
    b = Body(payload.fields(), allowed=tuple(ChangeIn.model_fields))
    version = _version(b)
    fields: dict[str, Any] = {}
    if "topic" in b.data:
        fields["topic"] = b.text("topic", max_length=200, required=True)
    for name in ("place",):
        if name in b.data:
            fields[name] = b.text(name, max_length=200)
    if "agenda" in b.data:
        fields["agenda"] = b.text("agenda", max_length=TEXT_MAX)
    for name in ("starts_at", "ends_at"):
        if name in b.data:
            fields[name] = _moment(b, name, required=True)
    for name, target in (("host_id", "host"), ("recorder_id", "recorder")):
        if name in b.data:
            fields[target] = _member(b, name, meeting.org)
    if "talk_pair" in b.data:
        fields["talk_pair"] = b.choice("talk_pair", TalkPair.values, required=True)
    b.check()
    return _write_then_detail(
        request,
        meeting_id,
        services.update_meeting,
        actor=request.user,
        meeting=meeting,
        version=version,
        **fields,
    )


# --- attendance, sign-in, held ----------------------------------------------------------------
class AttendanceIn(LooseBody):
    version: Any = _f("optional", "integer")
    marks: Any = _f(
        '[{"member_id": 1, "status": "attended|leave|absent", "leave_reason": "…"}]', "array"
    )


@router.post(
    "/{int:meeting_id}/attendance", response={200: MeetingDetail, 409: ConflictOut, 422: Refusal}
)
def mark_attendance(request, meeting_id: int, payload: AttendanceIn):
    meeting = access.meeting_for(request.user, meeting_id)
    access.require_manage(request.user, meeting)
    b = Body(payload.fields(), allowed=("version", "marks"))
    version = _version(b)
    raw = b.data.get("marks")
    marks: dict[int, tuple[str, str]] = {}
    if not isinstance(raw, list) or not raw or len(raw) > MAX_MARKS:
        b.error("marks", _("Give a list of 1 to %(n)s marks.") % {"n": MAX_MARKS})
    else:
        for i, item in enumerate(raw):
            mb = Body(item, allowed=("member_id", "status", "leave_reason"))
            member_id = mb.integer("member_id", minimum=1, maximum=MAX_ID, required=True)
            status = mb.choice("status", ("attended", "leave", "absent"), required=True)
            reason = mb.text("leave_reason", max_length=200)
            if status == "leave" and not reason and "leave_reason" not in mb.errors:
                # named by its place in the list, as every other mark error
                mb.error("leave_reason", _("Leave needs a reason."))
            for field, messages in mb.errors.items():
                for message in messages:
                    b.error(f"marks.{i}.{field}", message)
            if member_id is not None and status:
                if member_id in marks:
                    b.error(f"marks.{i}.member_id", _("An id is listed twice."))
                marks[member_id] = (status, reason)
    b.check()
    return _write_then_detail(
        request,
        meeting_id,
        services.mark_attendance,
        actor=request.user,
        meeting=meeting,
        marks=marks,
        version=version,
    )


class SigninIn(LooseBody):
    code: Any = _f("the 6-digit code shown at the meeting", "string")
    token: Any = _f("the token of the QR code's link", "string")


def _signin(request, payload: SigninIn, meeting: Meeting | None):
    b = Body(payload.fields(), allowed=("code", "token"))
    code = b.data.get("code")
    token = b.data.get("token")
    if (code is None) == (token is None):
        b.error("code", _("Give either the 6-digit code or the QR token."))
    b.check()
    row, refused = _write(
        services.sign_in, user=request.user, code=code, token=token, meeting=meeting
    )
    if refused:
        return refused
    message = (
        _("You had already signed in.") if row.already else _("Signed in. Welcome to the meeting.")
    )
    return {
        "meeting_id": row.meeting_id,
        "member_id": row.member_id,
        "status": row.status,
        "signed_in_at": row.signed_in_at,
        "already": row.already,
        "message": message,
    }


@router.post("/signin", response={200: SigninOut, 422: Refusal})
def sign_in_by_code(request, payload: SigninIn):
    """Sign in with the code (or the QR token) without knowing the meeting's id."""
    return _signin(request, payload, None)


@router.post("/{int:meeting_id}/signin", response={200: SigninOut, 422: Refusal})
def sign_in(request, meeting_id: int, payload: SigninIn):
    meeting = access.meeting_for(request.user, meeting_id)
    return _signin(request, payload, meeting)


class HeldIn(LooseBody):
    version: Any = _f("optional", "integer")
    minutes: Any = _f("the minutes (required)", "string")


@router.post(
    "/{int:meeting_id}/held", response={200: MeetingDetail, 409: ConflictOut, 422: Refusal}
)
def record_held(request, meeting_id: int, payload: HeldIn):
    meeting = access.meeting_for(request.user, meeting_id)
    access.require_manage(request.user, meeting)
    b = Body(payload.fields(), allowed=("version", "minutes"))
    version = _version(b)
    minutes = b.text("minutes", max_length=TEXT_MAX, required=True)
    b.check()
    return _write_then_detail(
        request,
        meeting_id,
        services.record_held,
        actor=request.user,
        meeting=meeting,
        minutes=minutes,
        version=version,
        now=timezone.now(),
    )


# --- review chain ------------------------------------------------------------------------------
class VersionIn(LooseBody):
    version: Any = _f("optional", "integer")


@router.post(
    "/{int:meeting_id}/submit", response={200: MeetingDetail, 409: ConflictOut, 422: Refusal}
)
def submit_meeting(request, meeting_id: int):
    """Submit for review. The body is optional: {} or {"version": n}."""
    meeting = access.meeting_for(request.user, meeting_id)
    access.require_manage(request.user, meeting)
    b = Body(_optional_json(request), allowed=("version",))
    version = _version(b)
    b.check()
    return _write_then_detail(
        request,
        meeting_id,
        services.submit_meeting,
        actor=request.user,
        meeting=meeting,
        version=version,
    )


class ReviewIn(LooseBody):
    version: Any = _f("optional", "integer")
    approve: Any = _f("true: approve; false: return (needs an opinion)", "boolean")
    opinion: Any = _f("the reviewer's opinion", "string")


@router.post(
    "/{int:meeting_id}/review", response={200: MeetingDetail, 409: ConflictOut, 422: Refusal}
)
def review_meeting(request, meeting_id: int, payload: ReviewIn):
    meeting = access.meeting_for(request.user, meeting_id)
    access.require_review(request.user, meeting)
    b = Body(payload.fields(), allowed=("version", "approve", "opinion"))
    version = _version(b)
    if not isinstance(b.data.get("approve"), bool):
        b.error("approve", _("Enter true or false."))
    opinion = b.text("opinion", max_length=TEXT_MAX)
    b.check()
    return _write_then_detail(
        request,
        meeting_id,
        services.review_meeting,
        actor=request.user,
        meeting=meeting,
        approve=b.data["approve"],
        opinion=opinion,
        version=version,
    )


class CancelIn(LooseBody):
    version: Any = _f("optional", "integer")
    reason: Any = _f("why (required)", "string")


@router.post(
    "/{int:meeting_id}/cancel", response={200: MeetingDetail, 409: ConflictOut, 422: Refusal}
)
def cancel_meeting(request, meeting_id: int, payload: CancelIn):
    meeting = access.meeting_for(request.user, meeting_id)
    access.require_manage(request.user, meeting)
    b = Body(payload.fields(), allowed=("version", "reason"))
    version = _version(b)
    reason = b.text("reason", max_length=200, required=True)
    b.check()
    return _write_then_detail(
        request,
        meeting_id,
        services.cancel_meeting,
        actor=request.user,
        meeting=meeting,
        reason=reason,
        version=version,
    )


class AppraisalIn(LooseBody):
    results: Any = _f(
        '[{"member_id": 1, "grade": "excellent|qualified|basic|unqualified", "note": "…"}]',
        "array",
    )


@router.post("/{int:meeting_id}/appraisal", response={200: list[AppraisalOut], 422: Refusal})
def record_appraisal(request, meeting_id: int, payload: AppraisalIn):
    from tongxin.meetings.models import Grade

    meeting = access.meeting_for(request.user, meeting_id)
    access.require_manage(request.user, meeting)
    b = Body(payload.fields(), allowed=("results",))
    raw = b.data.get("results")
    results: dict[int, tuple[str, str]] = {}
    if not isinstance(raw, list) or not raw or len(raw) > MAX_MARKS:
        b.error("results", _("Give a list of 1 to %(n)s results.") % {"n": MAX_MARKS})
    else:
        for i, item in enumerate(raw):
            rb = Body(item, allowed=("member_id", "grade", "note"))
            member_id = rb.integer("member_id", minimum=1, maximum=MAX_ID, required=True)
            grade = rb.choice("grade", Grade.values, required=True)
            note = rb.text("note", max_length=2000)
            for field, messages in rb.errors.items():
                for message in messages:
                    b.error(f"results.{i}.{field}", message)
            if member_id is not None and grade:
                if member_id in results:
                    b.error(f"results.{i}.member_id", _("An id is listed twice."))
                results[member_id] = (grade, note)
    b.check()
    rows, refused = _write(
        services.record_appraisal, actor=request.user, meeting=meeting, results=results
    )
    if refused:
        return refused
    return [
        {"member_id": r.member_id, "year": r.year, "grade": r.grade, "note": r.note} for r in rows
    ]
