from datetime import date

from django.core.exceptions import ValidationError
from ninja import Field, Query, Router, Schema, Status

from tongxin.orgs import selectors, services
from tongxin.orgs.models import Coverage, Org, OrgType, Sector, UnitCategory

router = Router(tags=["organisations"])


class OrgOut(Schema):
    id: int
    code: str
    name: str
    type: str
    sector: str
    parent_id: int | None
    depth: int
    founded_on: date | None
    secretary_name: str
    has_committee: bool
    term_started_on: date | None
    term_ends_on: date | None
    contact_name: str
    contact_phone: str
    address: str
    member_count: int
    full_member_count: int
    active: bool


class OrgPage(Schema):
    items: list[OrgOut]
    next: str | None


class OrgIn(Schema):
    code: str = Field(..., min_length=1, max_length=32)
    name: str = Field(..., min_length=1, max_length=100)
    type: OrgType
    sector: Sector = Sector.COMMUNITY
    parent_id: int
    founded_on: date | None = None
    secretary_name: str = Field("", max_length=50)
    has_committee: bool = False
    term_started_on: date | None = None
    term_ends_on: date | None = None
    contact_name: str = Field("", max_length=50)
    contact_phone: str = Field("", max_length=20)
    address: str = Field("", max_length=200)
    member_count: int = Field(0, ge=0)
    full_member_count: int = Field(0, ge=0)
    active: bool = True


class OrgPatch(Schema):
    code: str | None = Field(None, min_length=1, max_length=32)
    name: str | None = Field(None, min_length=1, max_length=100)
    type: OrgType | None = None
    sector: Sector | None = None
    parent_id: int | None = None
    founded_on: date | None = None
    secretary_name: str | None = Field(None, max_length=50)
    has_committee: bool | None = None
    term_started_on: date | None = None
    term_ends_on: date | None = None
    contact_name: str | None = Field(None, max_length=50)
    contact_phone: str | None = Field(None, max_length=20)
    address: str | None = Field(None, max_length=200)
    member_count: int | None = Field(None, ge=0)
    full_member_count: int | None = Field(None, ge=0)
    active: bool | None = None


class OrgFilters(Schema):
    parent: int | None = None
    type: OrgType | None = None
    q: str | None = Field(None, max_length=100)
    cursor: str | None = None
    limit: int = Field(selectors.PAGE_SIZE, ge=1, le=selectors.MAX_PAGE_SIZE)


def _scoped_org(qs, pk: int, field: str) -> Org:
    """An org of `qs` (already scoped to the caller), or a 400 naming the field."""
    org = qs.filter(pk=pk).first()
    if org is None:
        raise ValidationError({field: ["organisation not found in your scope"]})
    return org


@router.get("/orgs", response=OrgPage)
def list_orgs(request, filters: Query[OrgFilters]):
    items, next_cursor = selectors.org_list(
        request.user,
        parent_id=filters.parent,
        type=filters.type,
        q=filters.q,
        after=filters.cursor,
        limit=filters.limit,
    )
    return {"items": items, "next": next_cursor}


@router.get("/orgs/{org_id}", response=OrgOut)
def get_org(request, org_id: int):
    return selectors.org_detail(request.user, org_id)


@router.post("/orgs", response={201: OrgOut})
def create_org(request, payload: OrgIn):
    data = payload.dict()
    parent = _scoped_org(Org.objects.visible_to(request.user), data.pop("parent_id"), "parent_id")
    return Status(201, services.create_org(actor=request.user, parent=parent, **data))


@router.patch("/orgs/{org_id}", response=OrgOut)
def update_org(request, org_id: int, payload: OrgPatch):
    org = selectors.org_detail(request.user, org_id)
    data = payload.dict(exclude_unset=True)
    if "parent_id" in data:
        parent_id = data.pop("parent_id")
        data["parent"] = (
            _scoped_org(Org.objects.visible_to(request.user), parent_id, "parent_id")
            if parent_id
            else None
        )
    return services.update_org(actor=request.user, org=org, **data)


# --- units ----------------------------------------------------------------------------------


class UnitOut(Schema):
    id: int
    name: str
    credit_code: str | None
    category: str
    street_id: int
    community_id: int | None
    address: str
    employee_count: int
    party_member_count: int
    coverage: str
    org_id: int | None
    instructor_name: str
    active: bool
    should_have_own_org: bool


class UnitPage(Schema):
    items: list[UnitOut]
    next: str | None


class UnitIn(Schema):
    name: str = Field(..., min_length=1, max_length=120)
    credit_code: str | None = Field(None, max_length=18)
    category: UnitCategory
    street_id: int | None = None
    community_id: int | None = None
    address: str = Field("", max_length=200)
    employee_count: int = Field(0, ge=0)
    party_member_count: int = Field(0, ge=0)
    coverage: Coverage = Coverage.NONE
    org_id: int | None = None
    instructor_name: str = Field("", max_length=50)
    active: bool = True


class UnitPatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=120)
    credit_code: str | None = Field(None, max_length=18)
    category: UnitCategory | None = None
    street_id: int | None = None
    community_id: int | None = None
    address: str | None = Field(None, max_length=200)
    employee_count: int | None = Field(None, ge=0)
    party_member_count: int | None = Field(None, ge=0)
    coverage: Coverage | None = None
    org_id: int | None = None
    instructor_name: str | None = Field(None, max_length=50)
    active: bool | None = None


class UnitQuery(Schema):
    q: str | None = Field(None, max_length=100)
    street: int | None = None
    community: int | None = None
    category: UnitCategory | None = None
    coverage: str | None = Field(None, pattern="^(own_org|joint_branch|instructor|none|covered)$")
    flagged: bool = False
    cursor: str | None = None
    limit: int = Field(selectors.PAGE_SIZE, ge=1, le=selectors.MAX_PAGE_SIZE)


def _unit_refs(user, data: dict) -> dict:
    streets, communities = selectors.area_choices(user)
    for field, target, qs in (
        ("street_id", "street", streets),
        ("community_id", "community", communities),
        ("org_id", "org", Org.objects.visible_to(user)),
    ):
        if field in data:
            pk = data.pop(field)
            data[target] = _scoped_org(qs, pk, field) if pk else None
    return data


@router.get("/units", response=UnitPage)
def list_units(request, filters: Query[UnitQuery]):
    f = selectors.UnitFilters(
        q=filters.q or "",
        street=filters.street,
        community=filters.community,
        category=filters.category or "",
        coverage=filters.coverage or "",
        flagged=filters.flagged,
    )
    items, next_cursor = selectors.unit_list(
        request.user, f, after=filters.cursor, limit=filters.limit
    )
    return {"items": items, "next": next_cursor}


@router.get("/units/{unit_id}", response=UnitOut)
def get_unit(request, unit_id: int):
    return selectors.unit_detail(request.user, unit_id)


@router.post("/units", response={201: UnitOut})
def create_unit(request, payload: UnitIn):
    data = _unit_refs(request.user, payload.dict())
    return Status(201, services.create_unit(actor=request.user, **data))


@router.patch("/units/{unit_id}", response=UnitOut)
def update_unit(request, unit_id: int, payload: UnitPatch):
    unit = selectors.unit_detail(request.user, unit_id)
    data = _unit_refs(request.user, payload.dict(exclude_unset=True))
    return services.update_unit(actor=request.user, unit=unit, **data)


# --- coverage -------------------------------------------------------------------------------


class CoverageRow(Schema):
    key: str | int | None
    name: str
    total: int
    covered: int
    own_org: int
    joint_branch: int
    instructor: int
    none: int
    flagged: int
    rate: float


class CoverageTotals(Schema):
    total: int
    covered: int
    own_org: int
    joint_branch: int
    instructor: int
    none: int
    flagged: int
    rate: float


class CoverageOut(Schema):
    by: str
    groups: list[CoverageRow]
    totals: CoverageTotals


@router.get("/coverage", response=CoverageOut)
def coverage(request, by: str = Query("street", pattern="^(street|community|category)$")):
    return selectors.coverage_summary(request.user, by=by)
