"""/api/v1/dues: the quote contract of issue 3, the month ledger, generation, payments,
summaries and arrears — all scoped to the keepers of the registry."""

from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from ninja import Field, Query, Router, Schema, Status

from tongxin.members.models import DuesRecord
from tongxin.members.rules import dues as rules
from tongxin.members.selectors import dues as selectors
from tongxin.members.selectors import registry as registry_selectors
from tongxin.members.services import dues as services
from tongxin.orgs.selectors import MAX_PAGE_SIZE, PAGE_SIZE

router = Router(tags=["dues"])


def parse_month(text: str | None, field: str = "month") -> date:
    month = rules.parse_month(text)
    if month is None:
        raise ValidationError({field: ["enter a month as YYYY-MM"]})
    return month


def _money_text(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


# --- quote (contract) ------------------------------------------------------------------------


class QuoteIn(Schema):
    category: str
    base: Any = None  # a string or a number; checked by the view so the field is named


class QuoteOut(Schema):
    amount: str
    rate: str
    rule: str


@router.post("/quote", response=QuoteOut)
def quote(request, payload: QuoteIn):
    """Monthly dues of a category and base. `amount` is a decimal string with two places;
    `rule` names the tier applied. Unknown category or a base that is negative or has more
    than two decimals: 400 naming the field."""
    errors: dict[str, list[str]] = {}
    if payload.category not in rules.CATEGORIES:
        errors["category"] = ["unknown dues category; one of " + ", ".join(rules.CATEGORIES)]
    flat = payload.category in (rules.FARMER, *rules.FLAT)
    base = rules.to_money(payload.base if payload.base is not None else ("0" if flat else None))
    problem = rules.money_error(base) if base is not None else "must be a number"
    if problem:
        errors["base"] = [str(problem)]
    if errors:
        raise ValidationError(errors)
    policy = selectors.current_policy(date.today())
    result = rules.dues_for(payload.category, base, policy)
    return {"amount": _money_text(result.amount), "rate": str(result.rate), "rule": result.rule}


# --- ledger, generation, payments -------------------------------------------------------------


class RecordOut(Schema):
    id: int
    member_id: int
    member_name: str
    org_id: int
    month: str
    category: str
    base: str
    rate: str
    rule: str
    amount_due: str
    amount_paid: str | None
    paid_on: date | None
    method: str
    paid_by_proxy: bool
    proxy_name: str
    reduction_id: int | None


def record_out(r: DuesRecord) -> dict:
    return {
        "id": r.pk,
        "member_id": r.member_id,
        "member_name": r.member.name,
        "org_id": r.org_id,
        "month": f"{r.month:%Y-%m}",
        "category": r.category,
        "base": _money_text(r.base),
        "rate": str(r.rate.normalize()) if r.rate else "0",
        "rule": r.rule,
        "amount_due": _money_text(r.amount_due),
        "amount_paid": _money_text(r.amount_paid),
        "paid_on": r.paid_on,
        "method": r.method,
        "paid_by_proxy": r.paid_by_proxy,
        "proxy_name": r.proxy_name,
        "reduction_id": r.reduction_id,
    }


class LedgerPage(Schema):
    items: list[RecordOut]
    next: str | None


class LedgerQuery(Schema):
    org: int
    month: str
    cursor: str | None = None
    limit: int = Field(PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE)


@router.get("/ledger", response=LedgerPage)
def ledger(request, filters: Query[LedgerQuery]):
    org = selectors.keeper_org(request.user, filters.org)
    month = parse_month(filters.month)
    items, next_cursor = selectors.month_ledger(
        request.user, org, month, after=filters.cursor, limit=filters.limit
    )
    return {"items": [record_out(r) for r in items], "next": next_cursor}


class GenerateIn(Schema):
    org: int
    month: str


class GenerateOut(Schema):
    created: int


@router.post("/generate", response=GenerateOut)
def generate(request, payload: GenerateIn):
    org = selectors.keeper_org(request.user, payload.org)
    month = parse_month(payload.month)
    return {"created": services.generate_month(actor=request.user, org=org, month=month)}


class PaymentIn(Schema):
    """Fields are checked after the record is found in the caller's scope, so another
    scope's record answers 404 whatever the body (the scoping walk)."""

    amount: Any = None
    paid_on: Any = None
    method: Any = None
    proxy_name: Any = ""
    proxy_consent: bool = False


def _payment_fields(payload: PaymentIn) -> dict:
    errors: dict[str, list[str]] = {}
    amount = rules.to_money(payload.amount)
    if amount is None:
        errors["amount"] = ["must be a number"]
    paid_on = None
    try:
        paid_on = date.fromisoformat(payload.paid_on) if isinstance(payload.paid_on, str) else None
    except ValueError:
        pass
    if paid_on is None:
        errors["paid_on"] = ["enter a date as YYYY-MM-DD"]
    if payload.method not in DuesRecord.Method.values:
        errors["method"] = ["one of " + ", ".join(DuesRecord.Method.values)]
    proxy_name = payload.proxy_name if isinstance(payload.proxy_name, str) else None
    if proxy_name is None or len(proxy_name) > 50:
        errors["proxy_name"] = ["a name of at most 50 characters"]
    if errors:
        raise ValidationError(errors)
    return {
        "amount": amount,
        "paid_on": paid_on,
        "method": payload.method,
        "proxy_name": proxy_name,
        "proxy_consent": payload.proxy_consent,
    }


@router.post("/records/{record_id}/payment", response=RecordOut)
def pay(request, record_id: int, payload: PaymentIn):
    record = selectors.payable_record(request.user, record_id)
    fields = _payment_fields(payload)
    record = services.record_payment(actor=request.user, record=record, **fields)
    return record_out(record)


# --- summary and arrears -------------------------------------------------------------------


class SummaryRowOut(Schema):
    org_id: int
    org_name: str
    due: str
    paid: str
    count_paid: int
    count_unpaid: int


class SummaryOut(Schema):
    org_id: int
    month: str
    rows: list[SummaryRowOut]
    total: SummaryRowOut


def _row(row) -> dict:
    return {
        "org_id": row.org.pk,
        "org_name": row.org.name,
        "due": _money_text(row.due),
        "paid": _money_text(row.paid),
        "count_paid": row.count_paid,
        "count_unpaid": row.count_unpaid,
    }


@router.get("/summary", response=SummaryOut)
def summary(request, org: int, month: str):
    node = selectors.keeper_org(request.user, org)
    result = selectors.summary(request.user, node, parse_month(month))
    return {
        "org_id": node.pk,
        "month": f"{result['month']:%Y-%m}",
        "rows": [_row(r) for r in result["rows"]],
        "total": _row(result["total"]),
    }


class ArrearsOut(Schema):
    member_id: int
    name: str
    org_name: str
    count: int
    amount: str
    months: list[str]


class ArrearsPage(Schema):
    items: list[ArrearsOut]
    next: str | None


@router.get("/arrears", response=ArrearsPage)
def arrears(
    request,
    org: int,
    cursor: str | None = None,
    limit: int = Query(PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE),
):
    node = selectors.keeper_org(request.user, org)
    rows, next_cursor = selectors.arrears(request.user, node, after=cursor, limit=limit)
    return {
        "items": [
            {
                "member_id": r.member_id,
                "name": r.name,
                "org_name": r.org_name,
                "count": r.count,
                "amount": _money_text(r.amount),
                "months": [f"{m:%Y-%m}" for m in r.months],
            }
            for r in rows
        ],
        "next": next_cursor,
    }


# --- reductions and exemptions (§5.6) -------------------------------------------------------


class ReductionOut(Schema):
    id: int
    member_id: int
    member_name: str
    kind: str
    amount: str
    reason: str
    start_month: str
    end_month: str
    state: str
    approving_org_id: int | None
    decided_on: date | None


def reduction_out(r) -> dict:
    return {
        "id": r.pk,
        "member_id": r.member_id,
        "member_name": r.member.name,
        "kind": r.kind,
        "amount": _money_text(r.amount),
        "reason": r.reason,
        "start_month": f"{r.start_month:%Y-%m}",
        "end_month": f"{r.end_month:%Y-%m}",
        "state": r.state,
        "approving_org_id": r.approving_org_id,
        "decided_on": r.decided_on,
    }


class ReductionIn(Schema):
    member_id: int
    kind: str = Field(..., pattern="^(reduce|exempt)$")
    amount: Any = "0"
    reason: str = Field(..., min_length=1, max_length=2000)
    start_month: str
    end_month: str


class DecisionIn(Schema):
    """Checked after the reduction is found in the caller's scope (another scope: 404)."""

    approve: Any = None


@router.get("/reductions", response=list[ReductionOut])
def reduction_list(request, state: str | None = None):
    return [reduction_out(r) for r in selectors.reductions(request.user, state=state)]


@router.post("/reductions", response={201: ReductionOut})
def reduction_propose(request, payload: ReductionIn):
    member = registry_selectors.member_detail(request.user, payload.member_id)
    amount = rules.to_money(payload.amount)
    if amount is None:
        raise ValidationError({"amount": ["must be a number"]})
    reduction = services.propose_reduction(
        actor=request.user,
        member=member,
        kind=payload.kind,
        amount=amount,
        reason=payload.reason,
        start_month=parse_month(payload.start_month, "start_month"),
        end_month=parse_month(payload.end_month, "end_month"),
    )
    return Status(201, reduction_out(reduction))


@router.post("/reductions/{reduction_id}/decide", response=ReductionOut)
def reduction_decide(request, reduction_id: int, payload: DecisionIn):
    reduction = selectors.reduction_detail(request.user, reduction_id)
    if not isinstance(payload.approve, bool):
        raise ValidationError({"approve": ["true to approve, false to reject"]})
    return reduction_out(
        services.decide_reduction(actor=request.user, reduction=reduction, approve=payload.approve)
    )
