"""/api/v1/transfers — transfers of membership (§4.4), scoped to both sides and the member.

Bad input answers 400 naming the field; an action the state does not allow answers 400 with
field "state" naming the state and the action (the same as the pages); a step the caller's
side may not take answers 403; a transfer outside the caller's scope 404.
"""

from contextlib import contextmanager
from datetime import date, datetime

from django.core.exceptions import ValidationError
from ninja import Field, Query, Router, Schema, Status
from ninja.errors import HttpError

from tongxin.members.models import MEMBER_KEEPERS, Member
from tongxin.members.rules import transfers as rules
from tongxin.members.selectors import transfers as selectors
from tongxin.members.services import transfers as services
from tongxin.orgs.models import Org
from tongxin.orgs.selectors import MAX_PAGE_SIZE, PAGE_SIZE

router = Router(tags=["members"])


class TransferOut(Schema):
    id: int
    member_id: int
    member_name: str
    kind: str
    state: str
    from_org_id: int | None
    to_org_id: int | None
    outside_org_name: str
    reason: str
    letter_no: str
    letter_issued_on: date | None
    valid_days: int
    expires_on: date | None
    dues_paid_to: str | None
    closed_on: date | None
    created_at: datetime

    @staticmethod
    def resolve_member_name(obj):
        return obj.member.name

    @staticmethod
    def resolve_dues_paid_to(obj):
        return f"{obj.dues_paid_to:%Y-%m}" if obj.dues_paid_to else None


class EventOut(Schema):
    kind: str
    from_state: str
    to_state: str
    note: str
    payload: dict
    actor: str | None
    at: datetime

    @staticmethod
    def resolve_actor(obj):
        return obj.actor.get_username() if obj.actor_id else None


class TransferDetail(TransferOut):
    events: list[EventOut]
    actions: list[str]

    @staticmethod
    def resolve_events(obj):
        return obj.timeline

    @staticmethod
    def resolve_actions(obj):
        return obj.actions


class TransferPage(Schema):
    items: list[TransferOut]
    next: str | None


class TransferFilters(Schema):
    direction: str | None = Field(None, pattern="^(outgoing|incoming)$")
    state: str | None = Field(None, max_length=12)
    cursor: str | None = None
    limit: int = Field(PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE)


class TransferIn(Schema):
    """kind "within" (to_org_id) or "outward" (outside_org_name): a request by the member or
    their branch. kind "inward": the receiving branch files the letter of a member arriving
    from outside (outside_org_name, letter_no, letter_issued_on, dues_paid_to "YYYY-MM")."""

    member_id: int
    kind: str = Field(..., max_length=10)
    to_org_id: int | None = None
    outside_org_name: str = ""
    reason: str = ""
    letter_no: str = ""
    letter_issued_on: date | None = None
    dues_paid_to: str | None = None


class ActionIn(Schema):
    """Fields by action: approve — letter_no, dues_paid_to ("YYYY-MM"), valid_days;
    reject, return — reason; withdraw — reason (optional); receive — none."""

    letter_no: str = ""
    dues_paid_to: str | None = None
    valid_days: int | None = None
    reason: str = ""


API_NAMES = {"member": "member_id", "to_org": "to_org_id", "host_org": "host_org_id"}


@contextmanager
def api_fields():
    """Service errors named as the API's fields (`to_org` → `to_org_id`)."""
    try:
        yield
    except ValidationError as exc:
        if not hasattr(exc, "error_dict"):
            raise
        raise ValidationError(
            {API_NAMES.get(k, k): v for k, v in exc.message_dict.items()}
        ) from None


def parse_month(value: str | None, field: str) -> date | None:
    if value in (None, ""):
        return None
    for fmt in ("%Y-%m", "%Y-%m-%d"):
        try:
            return datetime.strptime(value, fmt).date().replace(day=1)
        except ValueError:
            continue
    raise ValidationError({field: ["write the month as YYYY-MM"]})


def member_for(user, pk: int, field: str = "member_id") -> Member:
    """A member the caller keeps, or the caller's own record; else 400 naming the field."""
    kept = Member.objects.visible_to(user, MEMBER_KEEPERS)
    member = (kept | Member.objects.filter(user=user)).filter(pk=pk).first()
    if member is None:
        raise ValidationError({field: ["member not found in your scope"]})
    return member


def org_for(pk: int | None, field: str) -> Org | None:
    if pk is None:
        return None
    org = Org.objects.filter(pk=pk).first()
    if org is None:
        raise ValidationError({field: ["no organisation with this id"]})
    return org


def _detail(request, pk: int):
    transfer = selectors.transfer_detail(request.user, pk)
    transfer.timeline = selectors.timeline(transfer)
    transfer.actions = services.allowed_actions(request.user, transfer)
    return transfer


@router.get("", response=TransferPage)
def list_transfers(request, filters: Query[TransferFilters]):
    items, next_cursor = selectors.transfer_list(
        request.user,
        direction=filters.direction or "",
        state=filters.state or "",
        after=filters.cursor,
        limit=filters.limit,
    )
    return {"items": items, "next": next_cursor}


@router.post("", response={201: TransferDetail})
def create_transfer(request, payload: TransferIn):
    member = member_for(request.user, payload.member_id)
    with api_fields():
        if payload.kind == rules.INWARD:
            transfer = services.record_inward(
                actor=request.user,
                member=member,
                outside_org_name=payload.outside_org_name,
                letter_no=payload.letter_no,
                letter_issued_on=payload.letter_issued_on,
                dues_paid_to=parse_month(payload.dues_paid_to, "dues_paid_to"),
                reason=payload.reason,
            )
        else:
            transfer = services.request_transfer(
                actor=request.user,
                member=member,
                kind=payload.kind,
                to_org=org_for(payload.to_org_id, "to_org_id"),
                outside_org_name=payload.outside_org_name,
                reason=payload.reason,
            )
    return Status(201, _detail(request, transfer.pk))


@router.get("/{pk}", response=TransferDetail)
def get_transfer(request, pk: int):
    return _detail(request, pk)


@router.get("/{pk}/{action}", include_in_schema=False)
def action_needs_post(request, pk: int, action: str):
    """Authenticate and scope before saying "use POST" (anonymous: 401; outside scope: 404)."""
    selectors.transfer_detail(request.user, pk)
    raise HttpError(405, "use POST")


@router.post("/{pk}/{action}", response=TransferDetail)
def act_on_transfer(request, pk: int, action: str, payload: ActionIn):
    transfer = selectors.transfer_detail(request.user, pk)
    if action not in rules.USER_ACTIONS:
        raise ValidationError({"action": [f"one of {', '.join(rules.USER_ACTIONS)}"]})
    data = payload.dict()
    data["dues_paid_to"] = parse_month(payload.dues_paid_to, "dues_paid_to")
    services.perform(actor=request.user, transfer=transfer, action=action, data=data)
    return _detail(request, pk)
