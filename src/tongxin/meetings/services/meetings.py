"""Meetings: plan, change, cancel, attendance, held, attachments, submit, review, appraisal.

State machine (rules.compliance states)::

    planned ──record_held──▶ held ──submit──▶ submitted ──review(approve)──▶ approved
       │                      ▲                   │
       └─cancel─▶ cancelled   └──record_held── returned ◀──review(return)──┘
                                                  └──submit (resubmit)──▶ submitted

Decisions (issue 5 "bad input"):

* A meeting may be planned for any date (recording one held last week is normal), but it is
  recorded as held only once it has started: ``starts_at > now`` is refused (future_held).
* Minutes are required for every kind, 谈心谈话 included (the record of the talk: topics and
  what was agreed); they are what the reviewer checks.
* The roster is fixed at planning (Attendance rows, status expected): members of the branch in
  good standing (status NORMAL, probationary members included — they take part in
  organisational life) admitted on or before the meeting day; a committee meeting: those with
  a post; a group meeting: the group's members; a talk: its two participants; a study session
  may name its participants. Other kinds cannot narrow the roster.
* Attendance is marked by the host (keeper) from the sign-in window's opening on; leave needs a
  reason; ids not on the roster are refused (attendance above the roster).
* Sign-in (services.signin) does not bump the version, so a host's attendance form does not go
  stale while members sign in.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tongxin.core.notify import notify
from tongxin.core.uploads import check_document
from tongxin.education.services import record_study_from_meeting
from tongxin.meetings import access
from tongxin.meetings.models import (
    AppraisalResult,
    Attachment,
    Attendance,
    AttendanceStatus,
    Grade,
    Kind,
    Meeting,
    SigninVia,
    State,
    TalkPair,
)
from tongxin.meetings.rules import common as c
from tongxin.meetings.rules import compliance as crules
from tongxin.meetings.services.common import (
    MeetingRefused,
    bump,
    check_version,
    event,
    link,
    lock,
    record,
    refuse,
    signin_grace,
    user_or_none,
)
from tongxin.members.models import Member, Status
from tongxin.orgs.models import Org
from tongxin.orgs.rules import BRANCH_TYPES

TOPIC_MAX = 200
PLACE_MAX = 200
TEXT_MAX = 20000
REASON_MAX = 200
YEAR_MIN, YEAR_MAX = 2000, 2100  # meetings are dated within these years
MAX_LENGTH = timedelta(hours=24)  # a meeting lasts at most a day (its sign-in code with it)
MARKS_STATUSES = (AttendanceStatus.ATTENDED, AttendanceStatus.LEAVE, AttendanceStatus.ABSENT)

MSG = {
    "not_branch": gettext_lazy("Meetings are held by a branch or a joint branch."),
    "no_committee": gettext_lazy(
        "This branch has no branch committee, so it holds no committee meetings."
    ),
    "group": gettext_lazy("A party group meeting names one of the branch's party groups."),
    "talk": gettext_lazy(
        "A heart-to-heart talk has exactly two different participants from the branch and a "
        "pair kind."
    ),
    "order": gettext_lazy("The meeting must end after it starts."),
    "too_long": gettext_lazy(
        "A meeting lasts at most 24 hours: ends_at must be at most 24 hours after starts_at "
        "(it is %(hours)s hours after)."
    ),
    "state": gettext_lazy("The meeting is %(state)s: it cannot be %(action)s."),
    "future_held": gettext_lazy(
        "The meeting starts at %(starts)s, in the future: it cannot be recorded as held yet."
    ),
    "minutes": gettext_lazy("Write the minutes before the meeting is recorded or submitted."),
    "already_submitted": gettext_lazy("The meeting was already submitted (%(state)s)."),
    "not_held": gettext_lazy("Record the meeting as held before submitting it."),
    "attendance_open": gettext_lazy(
        "Attendance is not complete: %(n)s member(s) on the roster are not marked."
    ),
    "not_on_roster": gettext_lazy("Member %(ids)s is not on this meeting's roster."),
    "not_started": gettext_lazy("Attendance can be marked from %(opens)s, when sign-in opens."),
    "opinion": gettext_lazy("Returning a meeting needs an opinion saying what to correct."),
    "not_submitted": gettext_lazy("Only a submitted meeting can be reviewed (it is %(state)s)."),
    "appraisal_kind": gettext_lazy("Appraisal results are recorded on a democratic appraisal."),
    "appraisal_exists": gettext_lazy(
        "%(name)s already has an appraisal result for %(year)s, recorded on another meeting."
    ),
    "empty_roster": gettext_lazy("Nobody is on this meeting's roster."),
}


# --- small parsers ---------------------------------------------------------------------------
def _text(value, field: str, limit: int, *, required: bool = False) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ValidationError({field: [_("Enter a text.")]})
    value = value.strip()
    if required and not value:
        raise ValidationError({field: [_("This field is required.")]})
    if len(value) > limit:
        raise ValidationError(
            {
                field: [
                    _("At most %(n)s characters (it has %(len)s).")
                    % {"n": limit, "len": len(value)}
                ]
            }
        )
    if "\x00" in value:
        raise ValidationError({field: [_("Remove the control characters.")]})
    return value


def _aware(value, field: str) -> datetime:
    if not isinstance(value, datetime):
        raise ValidationError({field: [_("Enter a date and time.")]})
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValidationError({field: [_("Enter a date and time with its time zone.")]})
    # a year far off is a typing error (and 9999-12-31 at -12:00 overflows in Shanghai time)
    if not YEAR_MIN <= value.year <= YEAR_MAX:
        raise ValidationError(
            {
                field: [
                    _("Enter a date in the years %(min)s to %(max)s.")
                    % {"min": YEAR_MIN, "max": YEAR_MAX}
                ]
            }
        )
    return value


def _local_day(moment: datetime):
    return timezone.localtime(moment).date()


def _state_refused(meeting: Meeting, action: str) -> MeetingRefused:
    return refuse(
        "meeting_state",
        c.ART_ATTENDANCE,
        MSG["state"],
        state=meeting.get_state_display(),
        action=action,
    )


def _member_of_branch(org: Org, member, field: str) -> Member | None:
    if member is None or member == "":
        return None
    pk = member.pk if isinstance(member, Member) else member
    found = (
        Member.objects.filter(pk=pk, org=org, status=Status.NORMAL).first()
        if isinstance(pk, int) and not isinstance(pk, bool)
        else None
    )
    if found is None:
        raise ValidationError({field: [_("Choose a member of this branch in good standing.")]})
    return found


# --- roster ----------------------------------------------------------------------------------
def roster_for(
    *, org: Org, kind: str, party_group=None, participants=None, on=None
) -> list[Member]:
    """Who should attend: see the module docstring."""
    qs = Member.objects.filter(org=org, status=Status.NORMAL)
    if on is not None:
        qs = qs.filter(admitted_on__lte=on)
    if kind == Kind.COMMITTEE_MEETING:
        qs = qs.exclude(post="")
    elif kind == Kind.GROUP_MEETING:
        qs = qs.filter(party_group=party_group) if party_group is not None else qs.none()
    if participants is not None:
        ids = [p.pk if isinstance(p, Member) else p for p in participants]
        qs = qs.filter(pk__in=ids)
    return list(qs.order_by("id"))


def _check_plan(*, org, kind, party_group, talk_pair, participants, starts_at, ends_at):
    """Rule refusals of a plan (violations) and field errors (ValidationError)."""
    errors: dict[str, list[str]] = {}
    if kind not in Kind.values:
        errors["kind"] = [_('"%(kind)s" is not a kind of organisational life.') % {"kind": kind}]
    if not isinstance(org, Org):
        errors["org"] = [_("Choose a branch.")]
    if errors:
        raise ValidationError(errors)
    violations = []
    if org.type not in BRANCH_TYPES or not org.active:
        violations.append(c.violation("not_branch", c.ART_GENERAL_MEETING, MSG["not_branch"]))
    if kind == Kind.COMMITTEE_MEETING and not org.has_committee:
        violations.append(c.violation("no_committee", c.ART_COMMITTEE_MEETING, MSG["no_committee"]))
    if kind == Kind.GROUP_MEETING:
        if not (
            isinstance(party_group, Org)
            and party_group.type == "party_group"
            and party_group.parent_id == org.pk
            and party_group.active
        ):
            violations.append(c.violation("party_group", c.ART_GROUP_MEETING, MSG["group"]))
    elif party_group is not None:
        errors["party_group"] = [_("Only a party group meeting names a party group.")]
    if kind == Kind.HEART_TALK:
        ids = {p.pk if isinstance(p, Member) else p for p in (participants or [])}
        ok = (
            len(ids) == 2
            and len(participants or []) == 2
            and talk_pair in TalkPair.values
            and Member.objects.filter(pk__in=ids, org=org, status=Status.NORMAL).count() == 2
        )
        if not ok:
            violations.append(c.violation("heart_talk", c.ART_HEART_TALK, MSG["talk"]))
    else:
        if talk_pair:
            errors["talk_pair"] = [_("Only a heart-to-heart talk has a pair kind.")]
        if participants is not None and kind != Kind.STUDY:
            errors["participants"] = [
                _(
                    "The roster of this kind of meeting is set by the rules: "
                    "do not name participants."
                )
            ]
    if errors:
        raise ValidationError(errors)
    violations += _length_violations(starts_at, ends_at)
    if violations:
        raise MeetingRefused(violations)


def _length_violations(starts_at, ends_at) -> list:
    """The meeting ends after it starts, and at most MAX_LENGTH later (the sign-in window
    follows the meeting: a meeting of weeks would keep its code valid for weeks)."""
    if ends_at <= starts_at:
        return [c.violation("meeting_order", c.ART_SIGNIN, MSG["order"])]
    if ends_at - starts_at > MAX_LENGTH:
        hours = (ends_at - starts_at).total_seconds() / 3600
        return [c.violation("meeting_too_long", c.ART_SIGNIN, MSG["too_long"], hours=f"{hours:g}")]
    return []


# --- plan ------------------------------------------------------------------------------------
@transaction.atomic
def plan_meeting(
    *,
    actor,
    org,
    kind,
    topic,
    starts_at,
    ends_at,
    place="",
    host=None,
    recorder=None,
    agenda="",
    party_group=None,
    talk_pair="",
    participants=None,
    notify=True,
) -> Meeting:
    if isinstance(org, Org):
        org = Org.objects.select_for_update().get(pk=org.pk)
        access.require_manage(actor, org)
    starts_at = _aware(starts_at, "starts_at")
    ends_at = _aware(ends_at, "ends_at")
    topic = _text(topic, "topic", TOPIC_MAX, required=True)
    place = _text(place, "place", PLACE_MAX)
    agenda = _text(agenda, "agenda", TEXT_MAX)
    talk_pair = talk_pair or ""
    _check_plan(
        org=org,
        kind=kind,
        party_group=party_group,
        talk_pair=talk_pair,
        participants=participants,
        starts_at=starts_at,
        ends_at=ends_at,
    )
    host = _member_of_branch(org, host, "host")
    recorder = _member_of_branch(org, recorder, "recorder")
    on = _local_day(starts_at)
    roster = roster_for(
        org=org, kind=kind, party_group=party_group, participants=participants, on=on
    )
    if participants is not None and len(roster) != len({getattr(p, "pk", p) for p in participants}):
        raise ValidationError(
            {"participants": [_("Choose members of this branch in good standing.")]}
        )
    if not roster:
        raise refuse("empty_roster", c.ART_ATTENDANCE, MSG["empty_roster"])
    meeting = Meeting(
        org=org,
        party_group=party_group if kind == Kind.GROUP_MEETING else None,
        kind=kind,
        topic=topic,
        place=place,
        starts_at=starts_at,
        ends_at=ends_at,
        on=on,
        host=host,
        recorder=recorder,
        agenda=agenda,
        talk_pair=talk_pair,
        signin_code=_new_code(),
        signin_token=_new_token(),
        should_attend=len(roster),
        created_by=user_or_none(actor),
    )
    meeting.save()
    Attendance.objects.bulk_create([Attendance(meeting=meeting, member=m) for m in roster])
    event(
        meeting,
        actor=actor,
        kind="planned",
        to_state=State.PLANNED,
        note=topic,
        payload={"roster": len(roster)},
    )
    record(
        actor,
        "create",
        meeting,
        {
            "kind": [None, kind],
            "topic": [None, topic],
            "starts_at": [None, starts_at.isoformat()],
            "should_attend": [None, len(roster)],
        },
    )
    if notify:
        users = [
            m.user
            for m in Member.objects.filter(pk__in=[m.pk for m in roster]).select_related("user")
            if m.user_id
        ]
        pk = meeting.pk
        subject = _("Meeting planned: %(kind)s %(day)s — %(topic)s") % {
            "kind": meeting.get_kind_display(),
            "day": timezone.localtime(starts_at).strftime("%Y-%m-%d %H:%M"),
            "topic": topic,
        }
        body = place
        url = link(meeting)
        transaction.on_commit(
            lambda: _notify(users, "meeting_planned", subject, body, url, f"meeting:{pk}:planned")
        )
    return meeting


def _notify(users, kind, subject, body, url, key):
    notify(users, kind=kind, subject=subject, body=body, link=url, key=key)


def _new_code() -> str:
    import secrets

    return f"{secrets.randbelow(10**6):06d}"


def _new_token() -> str:
    import secrets

    while True:
        token = secrets.token_hex(16)
        if not Meeting.objects.filter(signin_token=token).exists():
            return token


UPDATABLE = ("topic", "place", "starts_at", "ends_at", "host", "recorder", "agenda", "talk_pair")


@transaction.atomic
def update_meeting(*, actor, meeting, version=None, **fields) -> Meeting:
    """Change a planned meeting (not its kind, branch or roster)."""
    meeting = lock(meeting)
    access.require_manage(actor, meeting)
    check_version(meeting, version)
    unknown = set(fields) - set(UPDATABLE)
    if unknown:
        raise ValidationError(
            {name: [_("This field cannot be changed.")] for name in sorted(unknown)}
        )
    if meeting.state != State.PLANNED:
        raise _state_refused(meeting, _("changed"))
    before = {
        "topic": meeting.topic,
        "place": meeting.place,
        "starts_at": meeting.starts_at.isoformat(),
        "ends_at": meeting.ends_at.isoformat(),
        "host": meeting.host_id,
        "recorder": meeting.recorder_id,
        "agenda": meeting.agenda,
        "talk_pair": meeting.talk_pair,
    }
    if "topic" in fields:
        meeting.topic = _text(fields["topic"], "topic", TOPIC_MAX, required=True)
    if "place" in fields:
        meeting.place = _text(fields["place"], "place", PLACE_MAX)
    if "agenda" in fields:
        meeting.agenda = _text(fields["agenda"], "agenda", TEXT_MAX)
    if "starts_at" in fields:
        meeting.starts_at = _aware(fields["starts_at"], "starts_at")
    if "ends_at" in fields:
        meeting.ends_at = _aware(fields["ends_at"], "ends_at")
    if "host" in fields:
        meeting.host = _member_of_branch(meeting.org, fields["host"], "host")
    if "recorder" in fields:
        meeting.recorder = _member_of_branch(meeting.org, fields["recorder"], "recorder")
    if "talk_pair" in fields:
        if meeting.kind != Kind.HEART_TALK or fields["talk_pair"] not in TalkPair.values:
            raise refuse("heart_talk", c.ART_HEART_TALK, MSG["talk"])
        meeting.talk_pair = fields["talk_pair"]
    if violations := _length_violations(meeting.starts_at, meeting.ends_at):
        raise MeetingRefused(violations)
    meeting.on = _local_day(meeting.starts_at)
    after = {
        "topic": meeting.topic,
        "place": meeting.place,
        "starts_at": meeting.starts_at.isoformat(),
        "ends_at": meeting.ends_at.isoformat(),
        "host": meeting.host_id,
        "recorder": meeting.recorder_id,
        "agenda": meeting.agenda,
        "talk_pair": meeting.talk_pair,
    }
    changes = {k: [before[k], after[k]] for k in after if before[k] != after[k]}
    bump(
        meeting,
        "topic",
        "place",
        "starts_at",
        "ends_at",
        "on",
        "host",
        "recorder",
        "agenda",
        "talk_pair",
    )
    event(meeting, actor=actor, kind="updated", payload={"fields": sorted(changes)})
    record(actor, "update", meeting, changes)
    return meeting


@transaction.atomic
def cancel_meeting(*, actor, meeting, reason, version=None) -> Meeting:
    meeting = lock(meeting)
    access.require_manage(actor, meeting)
    check_version(meeting, version)
    reason = _text(reason, "reason", REASON_MAX, required=True)
    if meeting.state != State.PLANNED:
        raise _state_refused(meeting, _("cancelled"))
    meeting.state = State.CANCELLED
    bump(meeting, "state")
    event(
        meeting,
        actor=actor,
        kind="cancelled",
        from_state=State.PLANNED,
        to_state=State.CANCELLED,
        note=reason,
    )
    record(
        actor,
        "cancel",
        meeting,
        {"state": [State.PLANNED, State.CANCELLED], "reason": [None, reason]},
    )
    return meeting


# --- attendance ------------------------------------------------------------------------------
def recount(meeting: Meeting) -> None:
    """Keep should_attend / attended / on_leave from the Attendance rows (not saved)."""
    counts = {s: 0 for s in AttendanceStatus.values}
    total = 0
    for status in Attendance.objects.filter(meeting=meeting).values_list("status", flat=True):
        counts[status] += 1
        total += 1
    meeting.should_attend = total
    meeting.attended = counts[AttendanceStatus.ATTENDED]
    meeting.on_leave = counts[AttendanceStatus.LEAVE]


def _check_figures(meeting: Meeting) -> None:
    errors = crules.attendance_errors(
        crules.Attendance(meeting.should_attend, meeting.attended, meeting.on_leave)
    )
    if errors:
        raise MeetingRefused(errors)


@transaction.atomic
def mark_attendance(*, actor, meeting, marks, version=None, now=None) -> Meeting:
    """marks: {member_id: (status, leave_reason)} with status attended / leave / absent."""
    meeting = lock(meeting)
    access.require_manage(actor, meeting)
    check_version(meeting, version)
    if meeting.state not in (State.PLANNED, State.HELD, State.RETURNED):
        raise _state_refused(meeting, _("marked"))
    now = now or timezone.now()
    opens = meeting.starts_at - signin_grace()[0]
    if now < opens:
        raise refuse(
            "attendance_not_started",
            c.ART_SIGNIN,
            MSG["not_started"],
            opens=timezone.localtime(opens).strftime("%Y-%m-%d %H:%M"),
        )
    if not isinstance(marks, dict) or not marks:
        raise ValidationError({"marks": [_("Mark at least one member.")]})
    rows = {a.member_id: a for a in Attendance.objects.filter(meeting=meeting)}
    errors: dict[str, list[str]] = {}
    parsed = {}
    for key, value in marks.items():
        try:
            member_id = int(key)
        except (TypeError, ValueError):
            errors.setdefault("marks", []).append(_("%(id)s is not a member id.") % {"id": key})
            continue
        if isinstance(value, str):
            status, reason = value, ""
        elif isinstance(value, (tuple, list)) and len(value) == 2:
            status, reason = value
        else:
            errors.setdefault(f"marks.{member_id}", []).append(_("Give a status and a reason."))
            continue
        if status not in MARKS_STATUSES:
            errors.setdefault(f"marks.{member_id}", []).append(
                _("One of: %(choices)s.") % {"choices": ", ".join(MARKS_STATUSES)}
            )
            continue
        reason = reason or ""
        if not isinstance(reason, str) or len(reason.strip()) > REASON_MAX:
            errors.setdefault(f"marks.{member_id}", []).append(
                _("The reason for leave has at most %(n)s characters.") % {"n": REASON_MAX}
            )
            continue
        reason = reason.strip()
        if status == AttendanceStatus.LEAVE and not reason:
            errors.setdefault(f"marks.{member_id}", []).append(_("Leave needs a reason."))
            continue
        parsed[member_id] = (status, reason if status == AttendanceStatus.LEAVE else "")
    if errors:
        raise ValidationError(errors)
    foreign = sorted(set(parsed) - set(rows))
    if foreign:
        raise refuse(
            "attendance_above_roster",
            c.ART_ATTENDANCE,
            MSG["not_on_roster"],
            ids=", ".join(str(i) for i in foreign),
        )
    changed = []
    for member_id, (status, reason) in parsed.items():
        row = rows[member_id]
        if (row.status, row.leave_reason) == (status, reason):
            continue
        row.status, row.leave_reason = status, reason
        if status == AttendanceStatus.ATTENDED and not row.via:
            row.via = SigninVia.HOST
        changed.append(row)
    Attendance.objects.bulk_update(changed, ["status", "leave_reason", "via"])
    before = (meeting.attended, meeting.on_leave)
    recount(meeting)
    _check_figures(meeting)
    bump(meeting, "should_attend", "attended", "on_leave")
    event(
        meeting,
        actor=actor,
        kind="attendance",
        payload={
            "changed": len(changed),
            "attended": meeting.attended,
            "on_leave": meeting.on_leave,
        },
    )
    record(
        actor,
        "attendance",
        meeting,
        {"attended": [before[0], meeting.attended], "on_leave": [before[1], meeting.on_leave]},
    )
    return meeting


# --- held, attachments -----------------------------------------------------------------------
@transaction.atomic
def record_held(*, actor, meeting, minutes, version=None, now=None) -> Meeting:
    """planned/returned → held: minutes written; members still expected become absent."""
    meeting = lock(meeting)
    access.require_manage(actor, meeting)
    check_version(meeting, version)
    if meeting.state not in (State.PLANNED, State.HELD, State.RETURNED):
        raise _state_refused(meeting, _("recorded as held"))
    now = now or timezone.now()
    if meeting.starts_at > now:
        raise refuse(
            "future_held",
            c.ART_ATTENDANCE,
            MSG["future_held"],
            starts=timezone.localtime(meeting.starts_at).strftime("%Y-%m-%d %H:%M"),
        )
    minutes = _text(minutes, "minutes", TEXT_MAX)
    if not minutes:
        raise refuse("minutes_required", c.ART_ATTENDANCE, MSG["minutes"])
    Attendance.objects.filter(meeting=meeting, status=AttendanceStatus.EXPECTED).update(
        status=AttendanceStatus.ABSENT
    )
    recount(meeting)
    _check_figures(meeting)
    before = meeting.state
    meeting.minutes = minutes
    meeting.state = State.HELD
    bump(meeting, "minutes", "state", "should_attend", "attended", "on_leave")
    event(meeting, actor=actor, kind="held", from_state=before, to_state=State.HELD)
    record(actor, "held", meeting, {"state": [before, State.HELD]})
    return meeting


@transaction.atomic
def add_attachment(*, actor, meeting, upload) -> Attachment:
    meeting = lock(meeting)
    access.require_manage(actor, meeting)
    if meeting.state in (State.APPROVED, State.CANCELLED, State.SUBMITTED):
        raise _state_refused(meeting, _("changed"))
    name, content_type = check_document(upload)
    attachment = Attachment(
        meeting=meeting,
        name=name,
        content_type=content_type,
        size=upload.size,
        uploaded_by=user_or_none(actor),
    )
    attachment.file.save(name, upload, save=False)
    attachment.save()
    bump(meeting)
    event(meeting, actor=actor, kind="attachment", note=name, payload={"attachment": attachment.pk})
    record(actor, "attachment", meeting, {"attachment": [None, name]})
    return attachment


# --- review chain ----------------------------------------------------------------------------
@transaction.atomic
def submit_meeting(*, actor, meeting, version=None, now=None) -> Meeting:
    """held/returned → submitted; reviewers (keepers of the parent org) are notified."""
    meeting = lock(meeting)
    access.require_manage(actor, meeting)
    check_version(meeting, version)
    if meeting.state in (State.SUBMITTED, State.APPROVED):
        raise refuse(
            "already_submitted",
            c.ART_ATTENDANCE,
            MSG["already_submitted"],
            state=meeting.get_state_display(),
        )
    if meeting.state == State.PLANNED:
        raise refuse("not_held", c.ART_ATTENDANCE, MSG["not_held"])
    if meeting.state not in (State.HELD, State.RETURNED):
        raise _state_refused(meeting, _("submitted"))
    violations = []
    if not meeting.minutes.strip():
        violations.append(c.violation("minutes_required", c.ART_ATTENDANCE, MSG["minutes"]))
    open_rows = Attendance.objects.filter(meeting=meeting, status=AttendanceStatus.EXPECTED).count()
    if open_rows:
        violations.append(
            c.violation("attendance_open", c.ART_ATTENDANCE, MSG["attendance_open"], n=open_rows)
        )
    violations += crules.attendance_errors(
        crules.Attendance(meeting.should_attend, meeting.attended, meeting.on_leave)
    )
    if violations:
        raise MeetingRefused(violations)
    before = meeting.state
    meeting.state = State.SUBMITTED
    meeting.submitted_at = now or timezone.now()
    bump(meeting, "state", "submitted_at")
    event(meeting, actor=actor, kind="submitted", from_state=before, to_state=State.SUBMITTED)
    record(actor, "submit", meeting, {"state": [before, State.SUBMITTED]})
    reviewers = access.reviewers_of(meeting)
    subject = _("Meeting submitted for review: %(branch)s — %(topic)s") % {
        "branch": meeting.org.name,
        "topic": meeting.topic,
    }
    url, key = link(meeting), f"meeting:{meeting.pk}:submitted:{meeting.version}"
    transaction.on_commit(lambda: _notify(reviewers, "meeting_submitted", subject, "", url, key))
    return meeting


@transaction.atomic
def review_meeting(*, actor, meeting, approve, opinion="", version=None, now=None) -> Meeting:
    """submitted → approved | returned (return needs an opinion). Only a keeper strictly
    above the branch reviews. Approval refreshes the branch's compliance on commit."""
    meeting = lock(meeting)
    access.require_review(actor, meeting)
    check_version(meeting, version)
    if meeting.state != State.SUBMITTED:
        raise refuse(
            "not_submitted",
            c.ART_ATTENDANCE,
            MSG["not_submitted"],
            state=meeting.get_state_display(),
        )
    if not isinstance(approve, bool):
        raise ValidationError({"approve": [_("Enter true or false.")]})
    opinion = _text(opinion, "opinion", TEXT_MAX)
    if not approve and not opinion:
        raise refuse("opinion_required", c.ART_ATTENDANCE, MSG["opinion"])
    to_state = State.APPROVED if approve else State.RETURNED
    meeting.state = to_state
    meeting.reviewed_at = now or timezone.now()
    meeting.reviewed_by = user_or_none(actor)
    meeting.review_opinion = opinion
    bump(meeting, "state", "reviewed_at", "reviewed_by", "review_opinion")
    event(
        meeting,
        actor=actor,
        kind="approved" if approve else "returned",
        from_state=State.SUBMITTED,
        to_state=to_state,
        note=opinion,
    )
    record(
        actor, "review", meeting, {"state": [State.SUBMITTED, to_state], "opinion": [None, opinion]}
    )
    secretaries = access.secretaries_of(meeting.org)
    if approve:
        subject = _("Meeting approved: %(topic)s") % {"topic": meeting.topic}
    else:
        subject = _("Meeting returned: %(topic)s") % {"topic": meeting.topic}
    url, key = link(meeting), f"meeting:{meeting.pk}:{to_state}:{meeting.version}"
    transaction.on_commit(
        lambda: _notify(secretaries, f"meeting_{to_state}", subject, opinion, url, key)
    )
    if approve:
        record_study_from_meeting(meeting=meeting, actor=actor)
        org_id, on = meeting.org_id, meeting.on
        transaction.on_commit(lambda: _refresh_compliance(org_id, on))
    return meeting


def _refresh_compliance(org_id: int, on) -> None:
    from tongxin.meetings.services import compliance

    compliance.refresh_branch(org_id=org_id, on=on)


# --- appraisal -------------------------------------------------------------------------------
@transaction.atomic
def record_appraisal(*, actor, meeting, results) -> list[AppraisalResult]:
    """results: {member_id: (grade, note)} for members on the meeting's roster; one result per
    member and year (re-recording on the same meeting updates it; on another refused)."""
    meeting = lock(meeting)
    access.require_manage(actor, meeting)
    if meeting.kind != Kind.APPRAISAL:
        raise refuse("appraisal_kind", c.ART_APPRAISAL, MSG["appraisal_kind"])
    if meeting.state not in (State.HELD, State.RETURNED):
        raise _state_refused(meeting, _("given appraisal results"))
    if not isinstance(results, dict) or not results:
        raise ValidationError({"results": [_("Give at least one member's rating.")]})
    errors: dict[str, list[str]] = {}
    parsed = {}
    for key, value in results.items():
        try:
            member_id = int(key)
        except (TypeError, ValueError):
            errors.setdefault("results", []).append(_("%(id)s is not a member id.") % {"id": key})
            continue
        if isinstance(value, str):
            grade, note = value, ""
        elif isinstance(value, (tuple, list)) and 1 <= len(value) <= 2:
            grade, note = (*value, "")[:2]
        else:
            grade, note = None, ""
        if grade not in Grade.values:
            errors.setdefault(f"results.{member_id}", []).append(
                _("One of: %(choices)s.") % {"choices": ", ".join(Grade.values)}
            )
            continue
        if not isinstance(note, str) or len(note) > TEXT_MAX:
            errors.setdefault(f"results.{member_id}", []).append(_("Enter a text."))
            continue
        parsed[member_id] = (grade, note.strip())
    if errors:
        raise ValidationError(errors)
    roster = set(Attendance.objects.filter(meeting=meeting).values_list("member_id", flat=True))
    foreign = sorted(set(parsed) - roster)
    if foreign:
        raise refuse(
            "appraisal_not_on_roster",
            c.ART_APPRAISAL,
            MSG["not_on_roster"],
            ids=", ".join(str(i) for i in foreign),
        )
    year = meeting.on.year
    existing = {
        r.member_id: r
        for r in AppraisalResult.objects.select_for_update()
        .filter(member_id__in=parsed, year=year)
        .select_related("member")
    }
    clash = [r for r in existing.values() if r.meeting_id != meeting.pk]
    if clash:
        raise MeetingRefused(
            [
                c.violation(
                    "appraisal_exists",
                    c.ART_APPRAISAL,
                    MSG["appraisal_exists"],
                    name=r.member.name,
                    year=year,
                )
                for r in clash
            ]
        )
    out = []
    changes = {}
    for member_id, (grade, note) in parsed.items():
        row = existing.get(member_id)
        if row is None:
            row = AppraisalResult.objects.create(
                meeting=meeting,
                member_id=member_id,
                year=year,
                grade=grade,
                note=note,
                recorded_by=user_or_none(actor),
            )
            changes[str(member_id)] = [None, grade]
        elif (row.grade, row.note) != (grade, note):
            changes[str(member_id)] = [row.grade, grade]
            row.grade, row.note, row.recorded_by = grade, note, user_or_none(actor)
            row.save(update_fields=["grade", "note", "recorded_by"])
        out.append(row)
    bump(meeting)
    event(meeting, actor=actor, kind="appraisal", payload={"results": len(out), "year": year})
    record(actor, "appraisal", meeting, changes)
    return out
