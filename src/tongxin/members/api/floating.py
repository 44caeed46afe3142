"""/api/v1/floating — floating members (§4.5): the member's branch and the host see them.

Bad input answers 400 naming the field; outside the caller's scope 404; a keeper of the wrong
side (e.g. recording attendance without keeping the host) 403.
"""

from datetime import date

from ninja import Field, Query, Router, Schema, Status
from ninja.errors import HttpError

from tongxin.core.errors import ValidationError
from tongxin.members.api.transfers import api_fields, member_for
from tongxin.members.selectors import floating as selectors
from tongxin.members.services import floating as services
from tongxin.orgs.models import Org
from tongxin.orgs.selectors import MAX_PAGE_SIZE, PAGE_SIZE

router = Router(tags=["members"])


class FloatingOut(Schema):
    id: int
    member_id: int
    member_name: str
    member_org_id: int
    destination: str
    host_org_id: int | None
    certificate_no: str
    left_on: date
    expected_return_on: date | None
    returned_on: date | None
    reason: str
    advisory: str | None

    @staticmethod
    def resolve_member_name(obj):
        return obj.member.name

    @staticmethod
    def resolve_member_org_id(obj):
        return obj.member.org_id

    @staticmethod
    def resolve_advisory(obj):
        advisory = getattr(obj, "advisory", None)
        return advisory.message if advisory else None


class AttendanceOut(Schema):
    id: int
    attended_on: date
    activity: str


class FloatingDetail(FloatingOut):
    attendance: list[AttendanceOut]

    @staticmethod
    def resolve_attendance(obj):
        return selectors.attendance_of(obj)


class FloatingPage(Schema):
    items: list[FloatingOut]
    next: str | None


class FloatingFilters(Schema):
    tab: str = Field("away", pattern="^(away|hosted)$")
    include_returned: bool = False
    cursor: str | None = None
    limit: int = Field(PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE)


class FloatingIn(Schema):
    member_id: int
    destination: str = ""
    left_on: date | None = None
    host_org_id: int | None = None
    certificate_no: str = ""
    expected_return_on: date | None = None
    reason: str = ""


class EndIn(Schema):
    returned_on: date | None = None


class AttendanceIn(Schema):
    attended_on: date | None = None
    activity: str = ""


@router.get("", response=FloatingPage)
def list_floating(request, filters: Query[FloatingFilters]):
    items, next_cursor = selectors.floating_list(
        request.user,
        tab=filters.tab,
        include_returned=filters.include_returned,
        after=filters.cursor,
        limit=filters.limit,
    )
    return {"items": items, "next": next_cursor}


@router.post("", response={201: FloatingDetail})
def create_floating(request, payload: FloatingIn):
    member = member_for(request.user, payload.member_id)
    host = None
    if payload.host_org_id is not None:
        host = Org.objects.filter(pk=payload.host_org_id).first()
        if host is None:
            raise ValidationError({"host_org_id": ["no organisation with this id"]})
    with api_fields():
        record = services.start_floating(
            actor=request.user,
            member=member,
            destination=payload.destination,
            left_on=payload.left_on,
            host_org=host,
            certificate_no=payload.certificate_no,
            expected_return_on=payload.expected_return_on,
            reason=payload.reason,
        )
    return Status(201, selectors.floating_detail(request.user, record.pk))


@router.get("/{pk}", response=FloatingDetail)
def get_floating(request, pk: int):
    return selectors.floating_detail(request.user, pk)


@router.get("/{pk}/end", include_in_schema=False)
def end_needs_post(request, pk: int):
    """Authenticate and scope before saying "use POST" (anonymous: 401; outside scope: 404)."""
    selectors.floating_detail(request.user, pk)
    raise HttpError(405, "use POST")


@router.post("/{pk}/end", response=FloatingDetail)
def end_floating(request, pk: int, payload: EndIn):
    record = selectors.floating_detail(request.user, pk)
    services.end_floating(actor=request.user, record=record, returned_on=payload.returned_on)
    return selectors.floating_detail(request.user, pk)


@router.get("/{pk}/attendance", response=list[AttendanceOut])
def list_attendance(request, pk: int):
    return selectors.attendance_of(selectors.floating_detail(request.user, pk))


@router.post("/{pk}/attendance", response={201: FloatingDetail})
def record_attendance(request, pk: int, payload: AttendanceIn):
    record = selectors.floating_detail(request.user, pk)
    services.record_host_attendance(
        actor=request.user,
        record=record,
        attended_on=payload.attended_on,
        activity=payload.activity,
    )
    return Status(201, selectors.floating_detail(request.user, pk))
