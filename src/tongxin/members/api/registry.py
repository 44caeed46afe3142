"""/api/v1/members — the member registry, scoped to the caller's keeper roles.

ID numbers and phones only ever leave masked (`id_number_masked`, `phone_masked`); a record
outside the caller's scope answers 404.
"""

from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from pydantic import ConfigDict

from tongxin.members.models import (
    MEMBER_KEEPERS,
    Category,
    DuesCategory,
    Education,
    Gender,
    Occupation,
)
from tongxin.members.selectors import registry as selectors
from tongxin.members.services import registry as services
from tongxin.orgs.models import Org

router = Router(tags=["members"])


class MemberOut(Schema):
    id: int
    name: str
    gender: str
    ethnicity: str
    birth_date: date
    id_number_masked: str
    phone_masked: str
    education: str
    occupation: str
    work_unit: str
    is_high_knowledge: bool
    is_migrant_worker: bool
    is_soe: bool
    is_two_new: bool
    org_id: int
    org_name: str
    party_group_id: int | None
    category: str
    status: str
    applied_on: date | None
    admitted_on: date
    full_on: date | None
    introducers: str
    post: str
    lost_contact_since: date | None
    is_abroad: bool
    dues_category: str
    dues_base: str

    @staticmethod
    def resolve_org_name(obj):
        return obj.org.name

    @staticmethod
    def resolve_dues_base(obj):
        return f"{Decimal(obj.dues_base):.2f}"


class MemberPage(Schema):
    items: list[MemberOut]
    next: str | None


class MemberIn(Schema):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(..., min_length=1, max_length=50)
    gender: Gender
    ethnicity: str = Field("汉族", max_length=20)
    birth_date: date
    id_number: str = Field(..., max_length=18)
    phone: str = Field("", max_length=30)
    address: str = Field("", max_length=200)
    education: Education
    occupation: Occupation
    work_unit: str = Field("", max_length=100)
    is_high_knowledge: bool = False
    is_migrant_worker: bool = False
    is_soe: bool = False
    is_two_new: bool = False
    org_id: int
    party_group_id: int | None = None
    category: Category
    applied_on: date | None = None
    admitted_on: date
    full_on: date | None = None
    introducers: str = Field("", max_length=100)
    post: str = Field("", max_length=50)
    dues_category: DuesCategory = DuesCategory.SALARIED
    dues_base: Decimal = Field(Decimal("0"), ge=0, decimal_places=2)


class MemberPatch(Schema):
    """Category and standing change through /status, so the history keeps every step."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, min_length=1, max_length=50)
    gender: Gender | None = None
    ethnicity: str | None = Field(None, max_length=20)
    birth_date: date | None = None
    id_number: str | None = Field(None, max_length=18)
    phone: str | None = Field(None, max_length=30)
    address: str | None = Field(None, max_length=200)
    education: Education | None = None
    occupation: Occupation | None = None
    work_unit: str | None = Field(None, max_length=100)
    is_high_knowledge: bool | None = None
    is_migrant_worker: bool | None = None
    is_soe: bool | None = None
    is_two_new: bool | None = None
    org_id: int | None = None
    party_group_id: int | None = None
    applied_on: date | None = None
    admitted_on: date | None = None
    full_on: date | None = None
    introducers: str | None = Field(None, max_length=100)
    post: str | None = Field(None, max_length=50)
    dues_category: DuesCategory | None = None
    dues_base: Decimal | None = Field(None, ge=0, decimal_places=2)
    dues_from_month: date | None = None


class MemberQuery(Schema):
    q: str | None = Field(None, max_length=50)
    org: int | None = None
    category: Category | None = None
    status: str | None = Field(
        None,
        pattern="^(all|normal|suspended|retained|removed|expelled|lapsed|deceased|transferred_out)$",
    )
    flag: list[str] = Field(
        default_factory=list,
        description="lost_contact, floating, abroad, high_knowledge, migrant, soe, two_new",
    )
    cursor: str | None = None
    limit: int = Field(selectors.PAGE_SIZE, ge=1, le=selectors.MAX_PAGE_SIZE)


class StatusIn(Schema):
    # Loose at the schema level so that scope is checked first (another scope → 404);
    # the service names every missing or wrong field (400).
    kind: str = Field("", max_length=24)
    to_value: str = Field("", max_length=40)
    effective_on: date | None = None
    decision: str = Field("", max_length=200)
    decided_by: str = Field("", max_length=100)
    note: str = Field("", max_length=2000)


class StandingOut(Schema):
    id: int
    category: str
    status: str
    full_on: date | None
    lost_contact_since: date | None
    is_abroad: bool


class StatusChangeOut(Schema):
    id: int
    kind: str
    effective_on: date
    from_value: str
    to_value: str
    decision: str
    decided_by: str
    note: str


# nullable fields whose explicit null in a PATCH means "clear it"
NULLABLE = {"party_group_id", "applied_on", "full_on"}
RENAMED = {"org": "org_id", "party_group": "party_group_id"}


def _refs(user, data: dict) -> dict:
    """org_id / party_group_id → objects the caller keeps, else 400 naming the field."""
    if "org_id" in data:
        pk = data.pop("org_id")
        org = Org.objects.visible_to(user, MEMBER_KEEPERS).filter(pk=pk).first()
        if org is None:
            raise ValidationError({"org_id": [_("organisation not found in your scope")]})
        data["org"] = org
    if "party_group_id" in data:
        pk = data.pop("party_group_id")
        group = None
        if pk is not None:
            group = Org.objects.visible_to(user, MEMBER_KEEPERS).filter(pk=pk).first()
            if group is None:
                raise ValidationError(
                    {"party_group_id": [_("party group not found in your scope")]}
                )
        data["party_group"] = group
    return data


def _api_errors(exc: ValidationError) -> ValidationError:
    if not hasattr(exc, "error_dict"):
        return exc
    return ValidationError({RENAMED.get(k, k): v for k, v in exc.message_dict.items()})


@router.get("", response=MemberPage)
def list_members(request, filters: Query[MemberQuery]):
    f = selectors.MemberFilters(
        q=filters.q or "",
        org=filters.org,
        category=filters.category or "",
        status=filters.status or selectors.IN_ROLL,
        flags=[flag for flag in filters.flag if flag in selectors.FLAG_NAMES],
    )
    items, next_cursor = selectors.member_list(
        request.user, f, after=filters.cursor, limit=filters.limit
    )
    return {"items": items, "next": next_cursor}


@router.get("/{member_id}", response=MemberOut)
def get_member(request, member_id: int):
    return selectors.member_detail(request.user, member_id)


@router.post("", response={201: MemberOut})
def create_member(request, payload: MemberIn):
    data = _refs(request.user, payload.dict())
    try:
        member = services.create_member(actor=request.user, **data)
    except ValidationError as exc:
        raise _api_errors(exc) from exc
    return Status(201, selectors.member_detail(request.user, member.pk))


@router.patch("/{member_id}", response=MemberOut)
def update_member(request, member_id: int, payload: MemberPatch):
    member = selectors.member_detail(request.user, member_id)
    data = {
        k: v for k, v in payload.dict(exclude_unset=True).items() if v is not None or k in NULLABLE
    }
    data = _refs(request.user, data)
    try:
        services.update_member(actor=request.user, member=member, **data)
    except ValidationError as exc:
        raise _api_errors(exc) from exc
    return selectors.member_detail(request.user, member_id)


@router.get("/{member_id}/status", response=StandingOut)
def get_status(request, member_id: int):
    """The member's current category, standing and flags."""
    return selectors.member_detail(request.user, member_id)


@router.post("/{member_id}/status", response={201: StatusChangeOut})
def change_status(request, member_id: int, payload: StatusIn):
    member = selectors.member_detail(request.user, member_id)
    if not payload.kind:
        raise ValidationError({"kind": [_("This field is required.")]})
    if payload.effective_on is None:
        raise ValidationError({"effective_on": [_("This field is required.")]})
    return Status(201, services.change_status(actor=request.user, member=member, **payload.dict()))


@router.get("/{member_id}/history", response=list[StatusChangeOut])
def member_history(request, member_id: int):
    member = selectors.member_detail(request.user, member_id)
    return selectors.member_history(member)
