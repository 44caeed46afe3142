"""Every write of study and education: keyword-only, atomic, audited in the same transaction.

Refusals are `ValidationError({field: [message]})` naming the field and the rule, raised
before anything is written; `PermissionDenied` when the actor may not act on the object.
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_FLOOR, Decimal

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tongxin.core import audit
from tongxin.core.errors import raise_if
from tongxin.education import access, rules
from tongxin.education.models import (
    SELF_WAYS,
    BaseVisit,
    CampaignKind,
    EducationBase,
    SecretaryTraining,
    StudyCampaign,
    StudyMaterial,
    StudyRecord,
    Way,
)
from tongxin.meetings.models import AttendanceStatus, Kind, State
from tongxin.members.models import Member
from tongxin.orgs import rules as org_rules
from tongxin.orgs.models import Org

MATERIAL_EXTENSIONS = (
    ".pdf",
    ".doc",
    ".docx",
    ".ppt",
    ".pptx",
    ".xls",
    ".xlsx",
    ".txt",
    ".jpg",
    ".png",
)
MATERIAL_MAX_BYTES = 20 * 1024 * 1024
SECRETARY_POST = "书记"


def _text(errors: dict, field: str, value: str, *, max_length: int, required=True) -> str:
    value = (value or "").strip()
    if required and not value:
        errors.setdefault(field, []).append(_("This field is required."))
    elif len(value) > max_length:
        errors.setdefault(field, []).append(
            _("At most %(n)s characters (it has %(len)s).") % {"n": max_length, "len": len(value)}
        )
    return value


def _today(today: date | None) -> date:
    return today or timezone.localdate()


def _keeps_or_403(actor, org: Org) -> None:
    if not access.keeps(actor, org):
        raise PermissionDenied(_("You do not keep %(org)s.") % {"org": org.name})


def _campaign_reaches(campaign: StudyCampaign, org: Org) -> bool:
    """The campaign was launched by the org or an org above it."""
    return org.path.startswith(campaign.org.path)


@transaction.atomic
def create_campaign(
    *,
    actor,
    org: Org,
    title: str,
    kind: str,
    starts_on: date | None,
    ends_on: date | None,
    required_hours: Decimal | None,
    description: str = "",
) -> StudyCampaign:
    _keeps_or_403(actor, org)
    errors: dict[str, list[str]] = {}
    title = _text(errors, "title", title, max_length=120)
    if kind not in CampaignKind.values:
        errors["kind"] = [_("One of: %(choices)s.") % {"choices": ", ".join(CampaignKind.values)}]
    if org.type == org_rules.PARTY_GROUP:
        errors["org"] = [_("A party group does not launch campaigns; its branch does.")]
    errors.update(rules.period_errors(starts_on, ends_on))
    if rules.required_hours_errors(required_hours):
        errors["required_hours"] = rules.required_hours_errors(required_hours)
    description = _text(errors, "description", description, max_length=5000, required=False)
    raise_if(errors)
    campaign = StudyCampaign.objects.create(
        org=org,
        title=title,
        kind=kind,
        starts_on=starts_on,
        ends_on=ends_on,
        required_hours=required_hours,
        description=description,
        created_by=actor,
    )
    audit.record(
        actor=actor,
        action="create",
        obj=campaign,
        changes=audit.diff(
            {},
            audit.snapshot(
                campaign, ["org", "title", "kind", "starts_on", "ends_on", "required_hours"]
            ),
        ),
    )
    return campaign


@transaction.atomic
def add_material(
    *,
    actor,
    campaign: StudyCampaign,
    title: str,
    body: str = "",
    link: str = "",
    file=None,
    suggested_hours: Decimal | None = Decimal("0"),
) -> StudyMaterial:
    campaign = StudyCampaign.objects.select_for_update().select_related("org").get(pk=campaign.pk)
    _keeps_or_403(actor, campaign.org)
    errors: dict[str, list[str]] = {}
    title = _text(errors, "title", title, max_length=120)
    body = _text(errors, "body", body, max_length=50000, required=False)
    link = _text(errors, "link", link, max_length=200, required=False)
    if link and not link.startswith(("http://", "https://")):
        errors["link"] = [_("A link starts with http:// or https://.")]
    if file:
        name = (getattr(file, "name", "") or "").lower()
        if not name.endswith(MATERIAL_EXTENSIONS):
            errors["file"] = [
                _("Allowed file types: %(types)s.") % {"types": ", ".join(MATERIAL_EXTENSIONS)}
            ]
        elif file.size > MATERIAL_MAX_BYTES:
            errors["file"] = [
                _("The file is larger than %(mb)s MB.") % {"mb": MATERIAL_MAX_BYTES // 2**20}
            ]
    if not body and not link and not file:
        errors.setdefault("body", []).append(_("Give the text, a link or a file."))
    if suggested_hours is None:
        errors["suggested_hours"] = [_("Enter the hours as a number.")]
    elif suggested_hours and rules.record_hours_errors(suggested_hours):
        errors["suggested_hours"] = rules.record_hours_errors(suggested_hours)
    raise_if(errors)
    material = StudyMaterial(
        campaign=campaign, title=title, body=body, link=link, suggested_hours=suggested_hours
    )
    if file:
        material.file = file
    material.save()
    audit.record(
        actor=actor,
        action="create",
        obj=material,
        changes={"campaign": [None, campaign.pk], "title": [None, title]},
    )
    return material


def _record_errors(
    *, member: Member, on, hours, way, topic, campaign, meeting, today: date, errors: dict
) -> str:
    errors_on = rules.past_date_errors(on, today)
    if errors_on:
        errors["on"] = errors_on
    hour_errors = rules.record_hours_errors(hours)
    if hour_errors:
        errors["hours"] = hour_errors
    if way not in Way.values:
        errors["way"] = [_("One of: %(choices)s.") % {"choices": ", ".join(Way.values)}]
    topic = _text(errors, "topic", topic, max_length=200)
    if campaign is not None and not _campaign_reaches(campaign, member.org):
        errors["campaign"] = [_("The campaign was not launched for this member's branch.")]
    if meeting is not None:
        if meeting.org_id != member.org_id:
            errors["meeting"] = [_("The meeting is not one of the member's branch.")]
        elif not meeting.is_held or meeting.on > today:
            errors["meeting"] = [_("The meeting has not been held.")]
        elif on and meeting.on != on:
            errors["on"] = [_("The date is not the date of the meeting.")]
    return topic


@transaction.atomic
def record_study(
    *,
    actor,
    member: Member,
    on: date | None,
    hours: Decimal | None,
    way: str,
    topic: str,
    campaign: StudyCampaign | None = None,
    meeting=None,
    today: date | None = None,
) -> StudyRecord:
    """A study record: the branch's keepers for any way; the member for self-study/online."""
    member = Member.objects.select_related("org").get(pk=member.pk)
    own = access.may_self_record(actor, member)
    if not own and not access.may_record_for(actor, member):
        raise PermissionDenied(_("You may record study only for members you keep."))
    errors: dict[str, list[str]] = {}
    if own and not access.may_record_for(actor, member) and way not in SELF_WAYS:
        errors["way"] = [
            _("Members record self-study and online study; the branch records the rest.")
        ]
    if own and meeting is not None and not access.may_record_for(actor, member):
        errors["meeting"] = [_("The branch records study sessions.")]
    topic = _record_errors(
        member=member,
        on=on,
        hours=hours,
        way=way,
        topic=topic,
        campaign=campaign,
        meeting=meeting,
        today=_today(today),
        errors=errors,
    )
    if (
        meeting is not None
        and "meeting" not in errors
        and StudyRecord.objects.filter(member=member, meeting=meeting).exists()
    ):
        errors["meeting"] = [_("This member already has a study record for this meeting.")]
    raise_if(errors)
    record = StudyRecord.objects.create(
        member=member,
        on=on,
        hours=hours,
        way=way,
        topic=topic,
        campaign=campaign,
        meeting=meeting,
        self_entered=own and not access.may_record_for(actor, member),
        recorded_by=actor,
    )
    audit.record(
        actor=actor,
        action="create",
        obj=record,
        changes=audit.diff(
            {}, audit.snapshot(record, ["member", "on", "hours", "way", "campaign", "meeting"])
        ),
    )
    return record


# --- study hours from approved meetings ------------------------------------------------------
def meeting_hours(starts_at, ends_at) -> Decimal:
    """A meeting's length in study hours: rounded down to the half hour, clamped to the
    bounds of one record (rules.MIN_RECORD_HOURS … rules.MAX_RECORD_HOURS)."""
    halves = Decimal((ends_at - starts_at).total_seconds()) / (3600 * rules.HOURS_STEP)
    hours = halves.to_integral_value(rounding=ROUND_FLOOR) * rules.HOURS_STEP
    return min(max(hours, rules.MIN_RECORD_HOURS), rules.MAX_RECORD_HOURS)


def campaign_for(org: Org, on: date) -> StudyCampaign | None:
    """The campaign a study of `org` on `on` counts for: the one campaign launched by the org
    or an org above it (active) whose period covers the day; none when there are none or
    several (the branch then links a campaign by hand)."""
    found = list(
        StudyCampaign.objects.filter(
            org__path__in=access.ancestors(org.path),
            org__active=True,
            starts_on__lte=on,
            ends_on__gte=on,
        ).order_by("pk")[:2]
    )
    return found[0] if len(found) == 1 else None


@transaction.atomic
def record_study_from_meeting(*, meeting, actor) -> int:
    """Study records for those who attended an approved study session or party lecture.

    Called by meetings.services.review_meeting on approval, in its transaction (the meeting
    row is locked there). One record per attendee (status attended; leave and absent get
    none) and meeting: members who already have one for this meeting are skipped, so calling
    it again writes nothing. Returns the number of records written; one audit row sums
    them up (none when nothing was written).
    """
    if meeting.kind not in (Kind.STUDY, Kind.PARTY_LECTURE) or meeting.state != State.APPROVED:
        return 0
    attendees = list(
        meeting.attendance.filter(status=AttendanceStatus.ATTENDED)
        .order_by("member_id")
        .values_list("member_id", flat=True)
    )
    done = set(
        StudyRecord.objects.filter(meeting=meeting, member_id__in=attendees).values_list(
            "member_id", flat=True
        )
    )
    new = [m for m in attendees if m not in done]
    if not new:
        return 0
    hours = meeting_hours(meeting.starts_at, meeting.ends_at)
    campaign = campaign_for(meeting.org, meeting.on)
    recorded_by = actor if getattr(actor, "is_authenticated", False) else None
    StudyRecord.objects.bulk_create(
        StudyRecord(
            member_id=member_id,
            on=meeting.on,
            hours=hours,
            way=Way.MEETING,
            topic=meeting.topic[:200],
            campaign=campaign,
            meeting=meeting,
            recorded_by=recorded_by,
        )
        for member_id in new
    )
    audit.record(
        actor=actor,
        action="study_from_meeting",
        obj=meeting,
        changes={
            "study_records": [None, len(new)],
            "members": [None, new],
            "hours": [None, hours],
            "on": [None, meeting.on],
            "campaign": [None, campaign.pk if campaign else None],
        },
    )
    return len(new)


@transaction.atomic
def register_base(
    *,
    actor,
    org: Org,
    name: str,
    address: str,
    description: str = "",
    contact: str = "",
    opening_info: str = "",
) -> EducationBase:
    _keeps_or_403(actor, org)
    errors: dict[str, list[str]] = {}
    name = _text(errors, "name", name, max_length=100)
    address = _text(errors, "address", address, max_length=200)
    description = _text(errors, "description", description, max_length=5000, required=False)
    contact = _text(errors, "contact", contact, max_length=100, required=False)
    opening_info = _text(errors, "opening_info", opening_info, max_length=200, required=False)
    if name and EducationBase.objects.filter(org=org, name=name).exists():
        errors["name"] = [_("This organisation has already registered a base of this name.")]
    raise_if(errors)
    base = EducationBase.objects.create(
        org=org,
        name=name,
        address=address,
        description=description,
        contact=contact,
        opening_info=opening_info,
    )
    audit.record(
        actor=actor,
        action="create",
        obj=base,
        changes=audit.diff({}, audit.snapshot(base, ["org", "name", "address"])),
    )
    return base


@transaction.atomic
def record_visit(
    *,
    actor,
    base: EducationBase,
    org: Org,
    on: date | None,
    topic: str,
    participant_ids: list[int] = (),
    participant_count: int | None = None,
    hours: Decimal | None = None,
    note: str = "",
    campaign: StudyCampaign | None = None,
    today: date | None = None,
) -> BaseVisit:
    """A branch's visit; with `hours`, each listed participant gets a study record."""
    _keeps_or_403(actor, org)
    today = _today(today)
    errors: dict[str, list[str]] = {}
    if org.type not in org_rules.BRANCH_TYPES:
        errors["org"] = [_("Visits are recorded for a branch.")]
    if not base.active:
        errors["base"] = [_("The base is no longer active.")]
    if rules.past_date_errors(on, today):
        errors["on"] = rules.past_date_errors(on, today)
    topic = _text(errors, "topic", topic, max_length=200)
    note = _text(errors, "note", note, max_length=5000, required=False)
    ids = list(dict.fromkeys(participant_ids or ()))
    members = list(Member.objects.in_roll().filter(org=org, pk__in=ids))
    if len(members) != len(ids):
        errors["participants"] = [_("Some participants are not members of this branch.")]
    if hours is not None and rules.record_hours_errors(hours):
        errors["hours"] = rules.record_hours_errors(hours)
    if hours is not None and not ids:
        errors.setdefault("participants", []).append(
            _("List the participants whose hours are recorded.")
        )
    count = participant_count if participant_count is not None else len(ids)
    if count < len(ids):
        errors["participant_count"] = [_("Fewer than the participants listed.")]
    if count < 1:
        errors["participant_count"] = [_("At least one participant.")]
    if campaign is not None and not _campaign_reaches(campaign, org):
        errors["campaign"] = [_("The campaign was not launched for this branch.")]
    raise_if(errors)
    visit = BaseVisit.objects.create(
        base=base,
        org=org,
        on=on,
        topic=topic,
        note=note,
        hours=hours,
        participant_count=count,
        recorded_by=actor,
    )
    visit.participants.set(members)
    if hours is not None:
        StudyRecord.objects.bulk_create(
            StudyRecord(
                member=m,
                on=on,
                hours=hours,
                way=Way.BASE_VISIT,
                topic=f"{base.name}: {topic}"[:200],
                campaign=campaign,
                visit=visit,
                recorded_by=actor,
            )
            for m in members
        )
    audit.record(
        actor=actor,
        action="create",
        obj=visit,
        changes={
            "base": [None, base.pk],
            "org": [None, org.pk],
            "on": [None, on.isoformat()],
            "participants": [None, sorted(ids)],
            "hours": [None, str(hours) if hours is not None else None],
        },
    )
    return visit


@transaction.atomic
def record_training(
    *,
    actor,
    member: Member,
    course: str,
    organiser: str,
    starts_on: date | None,
    ends_on: date | None,
    hours: Decimal | None,
    concentrated: bool = True,
    certificate_note: str = "",
    today: date | None = None,
) -> SecretaryTraining:
    member = Member.objects.select_related("org").get(pk=member.pk)
    _keeps_or_403(actor, member.org)
    errors: dict[str, list[str]] = {}
    if SECRETARY_POST not in member.post:
        errors["member"] = [_("Training records here are for branch secretaries.")]
    course = _text(errors, "course", course, max_length=120)
    organiser = _text(errors, "organiser", organiser, max_length=100)
    certificate_note = _text(
        errors, "certificate_note", certificate_note, max_length=200, required=False
    )
    errors.update(rules.period_errors(starts_on, ends_on))
    if ends_on and rules.past_date_errors(ends_on, _today(today)):
        errors["ends_on"] = [_("The course has not ended yet: record it after it ends.")]
    if rules.training_hours_errors(hours):
        errors["hours"] = rules.training_hours_errors(hours)
    raise_if(errors)
    training = SecretaryTraining.objects.create(
        member=member,
        course=course,
        organiser=organiser,
        starts_on=starts_on,
        ends_on=ends_on,
        hours=hours,
        concentrated=concentrated,
        certificate_note=certificate_note,
        recorded_by=actor,
    )
    audit.record(
        actor=actor,
        action="create",
        obj=training,
        changes=audit.diff(
            {}, audit.snapshot(training, ["member", "course", "starts_on", "ends_on", "hours"])
        ),
    )
    return training
