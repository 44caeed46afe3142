"""/api/v1/education — study campaigns, study records, education bases (issue 5 §3, §9).

Scoped as the pages are (education.access): campaigns and bases of orgs above or within the
caller's scope; study records of the branches the caller keeps, or a party member's own.
Bad input answers 422 {"detail": [{"field", "message"}]} naming the field, nothing written;
an id outside the caller's scope is "not found in your scope" (422 in a body, 404 in a
query filter).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from tongxin.core.api_parse import MAX_ID, Body, LooseBody, fields_as_422, loose_field
from tongxin.core.errors import PermissionDenied
from tongxin.education import access, rules, selectors, services
from tongxin.education.models import StudyRecord, Way
from tongxin.members.models import MEMBER_KEEPERS, Member

router = Router(tags=["education"])
LIMIT = 200


class CampaignOut(Schema):
    id: int
    title: str
    kind: str
    org_id: int
    org_name: str
    starts_on: date
    ends_on: date
    required_hours: str = Field(description="plain hours per member, decimal as text")
    description: str


class RecordOut(Schema):
    id: int
    member_id: int
    member_name: str
    date: date
    hours: str
    way: str
    topic: str
    campaign_id: int | None
    meeting_id: int | None
    self_entered: bool


class RecordList(Schema):
    count: int
    total_hours: str = Field(description="the sum of the hours of the records listed")
    records: list[RecordOut]


class BaseOut(Schema):
    id: int
    name: str
    address: str
    description: str
    org_id: int
    org_name: str
    contact: str
    opening_info: str
    active: bool


class RecordIn(LooseBody):
    member_id: Any = loose_field(
        "the member (a member of a branch you keep, or yourself)", "integer"
    )
    date: Any = loose_field("the day of study, YYYY-MM-DD, not in the future", "string")
    hours: Any = loose_field("0.5 to 24, in half hours", "number")
    way: Any = loose_field("meeting | self_study | online | base_visit | training", "string")
    topic: Any = loose_field("what was studied", "string")
    campaign_id: Any = loose_field("optional campaign reaching the member's branch", "integer")
    meeting_id: Any = loose_field("optional study session of the member's branch", "integer")


def _campaign_out(c) -> dict:
    return {
        "id": c.pk,
        "title": c.title,
        "kind": c.kind,
        "org_id": c.org_id,
        "org_name": c.org.name,
        "starts_on": c.starts_on,
        "ends_on": c.ends_on,
        "required_hours": str(c.required_hours),
        "description": c.description,
    }


def _record_out(r: StudyRecord) -> dict:
    return {
        "id": r.pk,
        "member_id": r.member_id,
        "member_name": r.member.name,
        "date": r.on,
        "hours": str(r.hours),
        "way": r.way,
        "topic": r.topic,
        "campaign_id": r.campaign_id,
        "meeting_id": r.meeting_id,
        "self_entered": r.self_entered,
    }


@router.get("/education/campaigns", response=list[CampaignOut])
def list_campaigns(request):
    """Campaigns launched by orgs above or within the caller's scope (newest first)."""
    return [_campaign_out(c) for c in selectors.campaigns_for(request.user)[:LIMIT]]


@router.get("/education/bases", response=list[BaseOut])
def list_bases(request):
    """Education bases registered by orgs above or within the caller's scope."""
    return [
        {
            "id": b.pk,
            "name": b.name,
            "address": b.address,
            "description": b.description,
            "org_id": b.org_id,
            "org_name": b.org.name,
            "contact": b.contact,
            "opening_info": b.opening_info,
            "active": b.active,
        }
        for b in selectors.bases_for(request.user)[:LIMIT]
    ]


class RecordFilter(Schema):
    org: int | None = Field(None, ge=1, le=MAX_ID, description="a branch you keep")
    member: int | None = Field(None, ge=1, le=MAX_ID)
    year: int | None = Field(None, ge=2000, le=2100)


@router.get("/education/records", response=RecordList)
def list_records(request, filters: Query[RecordFilter]):
    """Study records of a year: of a branch the caller keeps (`org`, optionally one
    `member`), or — for a party member without `org` — their own."""
    year = filters.year or timezone.localdate().year
    if filters.org is not None:
        org = selectors.kept_branches(request.user).filter(pk=filters.org).first()
        if org is None:
            raise Http404
        qs = selectors.records_in(request.user, org=org, year=year, member_id=filters.member)
    else:
        member = access.member_of(request.user)
        if member is None:
            raise PermissionDenied(_("Give org: the branch whose records you keep."))
        if filters.member not in (None, member.pk):
            raise Http404
        qs = selectors.own_records(member, year=year).select_related("member")
    items = list(qs[:500])
    return {
        "count": len(items),
        "total_hours": str(selectors.total_hours(items)),
        "records": [_record_out(r) for r in items],
    }


@router.post("/education/records", response={201: RecordOut})
def create_record(request, payload: RecordIn):
    """Record study for a member. Keepers of the member's branch: any way; a member for
    themselves: self_study or online only."""
    b = Body(payload.fields(), allowed=RecordIn.model_fields)
    member_id = b.integer("member_id", minimum=1, maximum=MAX_ID, required=True)
    on = b.day("date", required=True)
    raw_hours = b._get("hours", True)
    hours = None
    if raw_hours is not None:
        hours = rules.parse_hours(raw_hours) if isinstance(raw_hours, int | float | str) else None
        if hours is None:
            b.error("hours", _("Enter the hours as a number."))
    way = b.choice("way", Way.values, required=True)
    topic = b.text("topic", max_length=200, required=True)
    campaign_id = b.integer("campaign_id", minimum=1, maximum=MAX_ID)
    meeting_id = b.integer("meeting_id", minimum=1, maximum=MAX_ID)
    member = None
    if member_id is not None:
        own = access.member_of(request.user)
        if own is not None and own.pk == member_id:
            member = own
        else:
            member = (
                Member.objects.visible_to(request.user, MEMBER_KEEPERS).filter(pk=member_id).first()
            )
        if member is None:
            b.error("member_id", _("member not found in your scope"))
    campaign = None
    if campaign_id is not None:
        campaign = selectors.campaigns_for(request.user).filter(pk=campaign_id).first()
        if campaign is None:
            b.error("campaign_id", _("campaign not found in your scope"))
    meeting = None
    if meeting_id is not None:
        from tongxin.meetings.models import Meeting

        meeting = Meeting.objects.visible_to(request.user, MEMBER_KEEPERS).filter(pk=meeting_id)
        meeting = meeting.first()
        if meeting is None:
            b.error("meeting_id", _("meeting not found in your scope"))
    b.check()
    renamed = {
        "on": "date",
        "member": "member_id",
        "campaign": "campaign_id",
        "meeting": "meeting_id",
    }
    with fields_as_422(renamed):
        record = services.record_study(
            actor=request.user,
            member=member,
            on=on,
            hours=hours,
            way=way,
            topic=topic,
            campaign=campaign,
            meeting=meeting,
        )
    record = StudyRecord.objects.select_related("member").get(pk=record.pk)
    return Status(201, _record_out(record))
