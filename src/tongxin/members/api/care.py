"""/api/v1/care — care cases and visits, elderly and long-standing members, political
birthdays. Scoped to the keepers of the member's branch; case details are never listed and
returned in clear only on request (`?reveal=true`), which is audited."""

from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status

from tongxin.members.access import require_keeper
from tongxin.members.forms.care import parse_month
from tongxin.members.models import CareCase
from tongxin.members.selectors import care as selectors
from tongxin.members.services import care as services

router = Router(tags=["members"])
KEEPERS_ONLY = "only keepers of the member registry see care records"

MASKED = "******"


class CaseBase(Schema):
    id: int
    member_id: int
    member_name: str = Field(..., alias="member.name")
    org_id: int = Field(..., alias="member.org_id")
    kind: str
    level: str
    help_given: str
    opened_on: date
    closed_on: date | None


class CaseOut(CaseBase):
    details: str  # always masked in lists and write responses

    @staticmethod
    def resolve_details(obj) -> str:
        return MASKED


class CaseDetailOut(CaseBase):
    details: str  # masked unless ?reveal=true (audited)


class CasePage(Schema):
    items: list[CaseOut]
    next: str | None


class CaseFilters(Schema):
    level: CareCase.Level | None = None
    cursor: str | None = None
    limit: int = Field(selectors.PAGE_SIZE, ge=1, le=selectors.MAX_PAGE_SIZE)


class CaseIn(Schema):
    member_id: int
    kind: str = Field("", max_length=16)
    level: str = Field(CareCase.Level.GENERAL, max_length=10)
    details: str = Field("", max_length=5000)
    help_given: str = Field("", max_length=5000)
    opened_on: date | None = None


class CasePatch(Schema):
    kind: str | None = Field(None, max_length=16)
    level: str | None = Field(None, max_length=10)
    details: str | None = Field(None, max_length=5000)
    help_given: str | None = Field(None, max_length=5000)


class CloseIn(Schema):
    closed_on: date | None = None
    help_given: str | None = Field(None, max_length=5000)


class VisitIn(Schema):
    kind: str = Field("", max_length=12)
    visited_on: date | None = None
    visitors: str = Field("", max_length=150)
    amount: Decimal = Decimal("0.00")
    note: str = Field("", max_length=2000)


class VisitOut(Schema):
    id: int
    member_id: int
    case_id: int | None
    kind: str
    visited_on: date
    visitors: str
    amount: Decimal
    note: str


class PersonOut(Schema):
    member_id: int
    name: str
    org_id: int
    org_name: str
    birth_date: date
    admitted_on: date
    years: int  # age (elderly) or years in the party / since admission
    on: date | None  # 50 years reached on / celebrated on


class PersonPage(Schema):
    items: list[PersonOut]
    next: str | None


class PageQuery(Schema):
    cursor: str | None = None
    limit: int = Field(selectors.PAGE_SIZE, ge=1, le=selectors.MAX_PAGE_SIZE)


class BirthdayQuery(PageQuery):
    month: str | None = Field(None, max_length=7, description="YYYY-MM; default this month")


def _people(rows) -> list[dict]:
    return [
        {
            "member_id": r.member.pk,
            "name": r.member.name,
            "org_id": r.member.org_id,
            "org_name": r.member.org.name,
            "birth_date": r.member.birth_date,
            "admitted_on": r.member.admitted_on,
            "years": r.years,
            "on": r.on,
        }
        for r in rows
    ]


@router.get("/cases", response=CasePage)
def care_cases(request, filters: Query[CaseFilters]):
    require_keeper(request.user, KEEPERS_ONLY)
    items, next_cursor = selectors.open_cases(
        request.user, level=filters.level, after=filters.cursor, limit=filters.limit
    )
    return {"items": items, "next": next_cursor}


@router.post("/cases", response={201: CaseOut})
def care_case_create(request, payload: CaseIn):
    require_keeper(request.user, KEEPERS_ONLY)
    data = payload.dict()
    member = selectors.members_for(request.user).filter(pk=data.pop("member_id")).first()
    if member is None:
        raise ValidationError({"member_id": ["member not found in your scope"]})
    case = services.create_case(actor=request.user, member=member, **data)
    return Status(201, case)


@router.get("/cases/{case_id}", response=CaseDetailOut)
def care_case(request, case_id: int, reveal: bool = False):
    case = selectors.case_detail(request.user, case_id)
    # in memory only (never saved): the clear text after an audited reveal, else the mask
    case.details = services.reveal_details(actor=request.user, case=case) if reveal else MASKED
    return case


@router.patch("/cases/{case_id}", response=CaseOut)
def care_case_update(request, case_id: int, payload: CasePatch):
    case = selectors.case_detail(request.user, case_id)
    return services.update_case(
        actor=request.user, case=case, **payload.dict(exclude_unset=True, exclude_none=True)
    )


@router.post("/cases/{case_id}/close", response=CaseOut)
def care_case_close(request, case_id: int, payload: CloseIn):
    case = selectors.case_detail(request.user, case_id)
    return services.close_case(actor=request.user, case=case, **payload.dict())


@router.get("/cases/{case_id}/visits", response=list[VisitOut])
def care_visits(request, case_id: int):
    """The case's visits, newest first (at most 100)."""
    return selectors.case_visits(selectors.case_detail(request.user, case_id))


@router.post("/cases/{case_id}/visits", response={201: VisitOut})
def care_visit_create(request, case_id: int, payload: VisitIn):
    case = selectors.case_detail(request.user, case_id)
    visit = services.add_visit(actor=request.user, member=case.member, case=case, **payload.dict())
    return Status(201, visit)


@router.get("/birthdays", response=PersonPage)
def care_birthdays(request, params: Query[BirthdayQuery]):
    require_keeper(request.user, KEEPERS_ONLY)
    if params.month:
        try:
            month = parse_month(params.month)
        except ValidationError as exc:
            raise ValidationError({"month": exc.messages}) from exc
    else:
        month = timezone.localdate().replace(day=1)
    rows, next_cursor = selectors.political_birthdays(
        request.user, year=month.year, month=month.month, after=params.cursor, limit=params.limit
    )
    return {"items": _people(rows), "next": next_cursor}


@router.get("/elderly", response=PersonPage)
def care_elderly(request, params: Query[PageQuery]):
    require_keeper(request.user, KEEPERS_ONLY)
    rows, next_cursor = selectors.elderly_members(
        request.user, after=params.cursor, limit=params.limit
    )
    return {"items": _people(rows), "next": next_cursor}


@router.get("/long-standing", response=PersonPage)
def care_long_standing(request, params: Query[PageQuery]):
    require_keeper(request.user, KEEPERS_ONLY)
    rows, next_cursor = selectors.long_standing_members(
        request.user, after=params.cursor, limit=params.limit
    )
    return {"items": _people(rows), "next": next_cursor}
