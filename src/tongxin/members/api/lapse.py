"""/api/v1/lapse — lapse and lost-contact flags (DOMAIN.md §4.2–4.3), scoped to keepers."""

from datetime import date

from django.core.exceptions import ValidationError
from ninja import Field, Query, Router, Schema

from tongxin.core.errors import PermissionDenied
from tongxin.core.scoping import scope_paths
from tongxin.members import tasks
from tongxin.members.access import is_keeper
from tongxin.members.models import MEMBER_KEEPERS, LapseFlag
from tongxin.members.selectors import lapse as selectors
from tongxin.members.services import lapse as services
from tongxin.orgs.models import Org

router = Router(tags=["members"])


class FlagOut(Schema):
    id: int
    member_id: int
    member_name: str = Field(..., alias="member.name")
    org_id: int = Field(..., alias="member.org_id")
    org_name: str = Field(..., alias="member.org.name")
    kind: str
    state: str
    evidence: dict
    detected_on: date
    resolution: str


class FlagPage(Schema):
    items: list[FlagOut]
    next: str | None


class FlagFilters(Schema):
    kind: LapseFlag.Kind | None = None
    state: LapseFlag.State | None = LapseFlag.State.OPEN
    cursor: str | None = None
    limit: int = Field(selectors.PAGE_SIZE, ge=1, le=selectors.MAX_PAGE_SIZE)


class RunIn(Schema):
    org_id: int | None = None


class RunOut(Schema):
    mode: str  # "done" or "queued"
    result: dict | None = None
    task_id: str | None = None


class DismissIn(Schema):
    reason: str = Field("", max_length=2000)


class DecideIn(Schema):
    decision: str = Field("", max_length=200)
    decided_by: str = Field("", max_length=100)
    outcome: str = Field("none", max_length=16)
    effective_on: date | None = None


@router.get("", response=FlagPage)
def lapse_flags(request, filters: Query[FlagFilters]):
    if not is_keeper(request.user):
        raise PermissionDenied("only keepers of the member registry see lapse flags")
    items, next_cursor = selectors.flag_list(
        request.user,
        kind=filters.kind,
        state=filters.state,
        after=filters.cursor,
        limit=filters.limit,
    )
    return {"items": items, "next": next_cursor}


@router.post("/run", response=RunOut)
def lapse_run(request, payload: RunIn):
    """Run the check now for a subtree of the caller's scope; a large subtree is queued."""
    if not is_keeper(request.user):
        raise PermissionDenied("only keepers of the member registry run the check")
    org = None
    if payload.org_id is not None:
        org = Org.objects.visible_to(request.user, MEMBER_KEEPERS).filter(pk=payload.org_id).first()
        if org is None:
            raise ValidationError({"org_id": ["organisation not found in your scope"]})
    paths = [org.path] if org else scope_paths(request.user, MEMBER_KEEPERS)
    if selectors.members_in_subtree(paths) <= selectors.SYNC_MAX_MEMBERS:
        return {"mode": "done", "result": services.run_detection(org=org, actor=request.user)}
    queued = tasks.lapse_check.enqueue(org.pk if org else None, request.user.pk)
    return {"mode": "queued", "task_id": str(queued.id)}


@router.get("/{flag_id}", response=FlagOut)
def lapse_flag(request, flag_id: int):
    return selectors.flag_detail(request.user, flag_id)


@router.post("/{flag_id}/dismiss", response=FlagOut)
def lapse_dismiss(request, flag_id: int, payload: DismissIn):
    flag = selectors.flag_detail(request.user, flag_id)
    services.dismiss_flag(actor=request.user, flag=flag, reason=payload.reason)
    return selectors.flag_detail(request.user, flag_id)


@router.post("/{flag_id}/decide", response=FlagOut)
def lapse_decide(request, flag_id: int, payload: DecideIn):
    flag = selectors.flag_detail(request.user, flag_id)
    services.decide_flag(actor=request.user, flag=flag, **payload.dict())
    return selectors.flag_detail(request.user, flag_id)
