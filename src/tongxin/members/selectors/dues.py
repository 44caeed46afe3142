"""Every read of dues: the policy in force, a branch's month ledger, arrears, roll-up
summaries. Scoped to the keepers of the registry (MEMBER_KEEPERS) through `visible_to`."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Count, Q, Sum
from django.db.models.functions import Substr
from django.shortcuts import get_object_or_404
from django.utils import timezone

from tongxin.core.scoping import path_q, scope_paths
from tongxin.members.models import (
    MEMBER_KEEPERS,
    DuesPolicy,
    DuesRecord,
    DuesReduction,
    FloatingRecord,
    Member,
    VoluntaryPayment,
)
from tongxin.members.rules import dues as rules
from tongxin.orgs.models import PATH_SEGMENT, Org
from tongxin.orgs.selectors import MAX_PAGE_SIZE, PAGE_SIZE, decode_cursor, encode_cursor

ZERO = Decimal("0.00")


# --- policy ---------------------------------------------------------------------------------


def _tiers(rows) -> tuple:
    return tuple(
        (None if upper is None else Decimal(str(upper)), Decimal(str(rate))) for upper, rate in rows
    )


def policy_from_row(row: DuesPolicy) -> rules.Policy:
    return rules.Policy(
        salaried_tiers=_tiers(row.salaried_tiers),
        retired_tiers=_tiers(row.retired_tiers),
        farmer_amount=Decimal(row.farmer_amount),
        flat_amount=Decimal(row.flat_amount),
        rounding_unit=Decimal(row.rounding_unit),
        back_pay_months=row.back_pay_months,
        large_voluntary_amount=Decimal(row.large_voluntary_amount),
    )


def current_policy_row(month: date) -> DuesPolicy | None:
    return (
        DuesPolicy.objects.filter(effective_from__lte=rules.month_start(month))
        .order_by("-effective_from")
        .first()
    )


def current_policy(month: date) -> rules.Policy:
    """The newest policy effective on or before the month; the defaults of §5 when none."""
    row = current_policy_row(month)
    return policy_from_row(row) if row else rules.DEFAULT_POLICY


def policy_history(limit: int = 24) -> list[DuesPolicy]:
    return list(DuesPolicy.objects.order_by("-effective_from")[:limit])


# --- scope helpers --------------------------------------------------------------------------


def keeper_orgs(user):
    return Org.objects.visible_to(user, MEMBER_KEEPERS)


def keeper_org(user, pk) -> Org:
    """An org the user keeps dues of, or 404."""
    return get_object_or_404(keeper_orgs(user), pk=pk)


def default_org(user) -> Org | None:
    paths = scope_paths(user, MEMBER_KEEPERS)
    return Org.objects.filter(path__in=paths).order_by("path").first() if paths else None


def breadcrumbs(user, org: Org) -> list[Org]:
    return list(keeper_orgs(user).filter(path__in=org.ancestor_paths()).order_by("path"))


def _host_q(user, lookup: str) -> Q:
    """Rows whose member has an open floating record hosted inside the user's scope."""
    paths = scope_paths(user, MEMBER_KEEPERS)
    if not paths:
        return Q(pk__in=[])
    hosted = path_q(paths, ("host_org__path",))
    members = FloatingRecord.objects.filter(hosted, returned_on__isnull=True).values("member_id")
    return Q(**{f"{lookup}__in": members})


def payable_records(user):
    """Records the user may record payments of: those of their scope, and those of floating
    members hosted in it (§4.5)."""
    visible = DuesRecord.objects.visible_to(user, MEMBER_KEEPERS).values("pk")
    return DuesRecord.objects.filter(Q(pk__in=visible) | _host_q(user, "member_id"))


def payable_record(user, pk) -> DuesRecord:
    return get_object_or_404(payable_records(user).select_related("member", "org"), pk=pk)


def payable_members(user):
    visible = Member.objects.visible_to(user, MEMBER_KEEPERS).values("pk")
    return Member.objects.filter(Q(pk__in=visible) | _host_q(user, "pk"))


def hosted_unpaid(user, *, limit: int = 100) -> list[DuesRecord]:
    """Unpaid records of floating members hosted in the user's scope but kept elsewhere."""
    own = DuesRecord.objects.visible_to(user, MEMBER_KEEPERS).values("pk")
    return list(
        DuesRecord.objects.filter(_host_q(user, "member_id"), paid_on__isnull=True)
        .exclude(pk__in=own)
        .select_related("member", "org")
        .order_by("-month", "member_id")[:limit]
    )


# --- the month ledger of a branch ----------------------------------------------------------


def month_ledger(
    user, org: Org, month: date, *, after: str | None = None, limit: int | None = None
):
    """(records, next_cursor): the branch's records of the month with member names, sorted
    by name. `limit=None` gives the whole ledger (a branch is small: §3.2)."""
    qs = (
        DuesRecord.objects.visible_to(user, MEMBER_KEEPERS)
        .filter(org=org, month=rules.month_start(month))
        .select_related("member", "reduction")
        .order_by("member__name", "id")
    )
    last = decode_cursor(after)
    if last and "|" in last:
        name, _sep, pk = last.rpartition("|")
        if pk.isdigit():
            qs = qs.filter(Q(member__name__gt=name) | Q(member__name=name, id__gt=int(pk)))
    if limit is None:
        return list(qs), None
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    items = list(qs[: limit + 1])
    next_cursor = None
    if len(items) > limit:
        tail = items[limit - 1]
        next_cursor = encode_cursor(f"{tail.member.name}|{tail.pk}")
    return items[:limit], next_cursor


def ledger_totals(records) -> dict:
    paid = [r for r in records if r.paid_on is not None]
    return {
        "count": len(records),
        "due": sum((r.amount_due for r in records), ZERO),
        "paid": sum((r.amount_paid or ZERO for r in paid), ZERO),
        "count_paid": len(paid),
        "count_unpaid": len(records) - len(paid),
    }


# --- arrears ----------------------------------------------------------------------------------


@dataclass
class Arrears:
    member_id: int
    name: str
    org_name: str
    count: int
    amount: Decimal
    months: list[date]


def arrears(
    user,
    org: Org,
    *,
    today: date | None = None,
    after: str | None = None,
    limit: int = PAGE_SIZE,
):
    """(rows, next_cursor): members of the subtree with unpaid past months (amount due > 0,
    month before the current one), with how many and which. Two queries per page."""
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    current = rules.month_start(today or timezone.localdate())
    unpaid = DuesRecord.objects.visible_to(user, MEMBER_KEEPERS).filter(
        org__path__startswith=org.path,
        paid_on__isnull=True,
        month__lt=current,
        amount_due__gt=0,
    )
    last = decode_cursor(after)
    if last and last.isdigit():
        unpaid = unpaid.filter(member_id__gt=int(last))
    groups = list(
        unpaid.values("member_id", "member__name", "member__org__name")
        .annotate(count=Count("id"), amount=Sum("amount_due"))
        .order_by("member_id")[: limit + 1]
    )
    page = groups[:limit]
    months: dict[int, list[date]] = {}
    for member_id, month in (
        unpaid.filter(member_id__in=[g["member_id"] for g in page])
        .order_by("member_id", "month")
        .values_list("member_id", "month")
    ):
        months.setdefault(member_id, []).append(month)
    rows = [
        Arrears(
            member_id=g["member_id"],
            name=g["member__name"],
            org_name=g["member__org__name"],
            count=g["count"],
            amount=g["amount"] or ZERO,
            months=months.get(g["member_id"], []),
        )
        for g in page
    ]
    next_cursor = encode_cursor(str(page[-1]["member_id"])) if len(groups) > limit else None
    return rows, next_cursor


# --- roll-up summaries --------------------------------------------------------------------


@dataclass
class SummaryRow:
    org: Org | None
    due: Decimal = ZERO
    paid: Decimal = ZERO
    count_paid: int = 0
    count_unpaid: int = 0

    @property
    def count(self) -> int:
        return self.count_paid + self.count_unpaid

    def add(self, other: "SummaryRow") -> None:
        self.due += other.due
        self.paid += other.paid
        self.count_paid += other.count_paid
        self.count_unpaid += other.count_unpaid


def summary(user, org: Org, month: date) -> dict:
    """Totals due/paid and counts paid/unpaid of the month for each child of `org` and for
    `org` itself (branch → community → street → district), in ONE grouped query over the
    records of the subtree: each record is grouped by the path prefix of the child it lies
    under. Rows of records kept by the node itself are reported as `own`."""
    month = rules.month_start(month)
    prefix_len = len(org.path) + PATH_SEGMENT + 1
    grouped = (
        DuesRecord.objects.visible_to(user, MEMBER_KEEPERS)
        .filter(org__path__startswith=org.path, month=month)
        .annotate(child_path=Substr("org__path", 1, prefix_len))
        .values("child_path")
        .annotate(
            due=Sum("amount_due"),
            paid=Sum("amount_paid"),
            count_paid=Count("id", filter=Q(paid_on__isnull=False)),
            count_unpaid=Count("id", filter=Q(paid_on__isnull=True)),
        )
        .order_by()
    )
    figures = {
        row["child_path"]: SummaryRow(
            org=None,
            due=row["due"] or ZERO,
            paid=row["paid"] or ZERO,
            count_paid=row["count_paid"],
            count_unpaid=row["count_unpaid"],
        )
        for row in grouped
    }
    children = list(keeper_orgs(user).filter(parent=org).order_by("path"))
    rows = []
    for child in children:
        row = figures.pop(child.path, None) or SummaryRow(org=None)
        row.org = child
        rows.append(row)
    own = figures.pop(org.path, None)
    total = SummaryRow(org=org)
    for row in rows:
        total.add(row)
    for row in [own, *figures.values()]:  # own records, and children hidden from the user
        if row is not None:
            total.add(row)
    return {"org": org, "month": month, "rows": rows, "own": own, "total": total}


# --- reductions and voluntary payments -------------------------------------------------------


def reductions(user, *, state: str | None = None, limit: int = 200) -> list[DuesReduction]:
    """Reductions of members in the user's scope, newest first."""
    qs = DuesReduction.objects.filter(
        member__in=Member.objects.visible_to(user, MEMBER_KEEPERS).values("pk")
    ).select_related("member__org", "approving_org", "decided_by")
    if state:
        qs = qs.filter(state=state)
    return list(qs.order_by("-created_at", "-id")[:limit])


def reduction_detail(user, pk) -> DuesReduction:
    qs = DuesReduction.objects.filter(
        member__in=Member.objects.visible_to(user, MEMBER_KEEPERS).values("pk")
    ).select_related("member__org")
    return get_object_or_404(qs, pk=pk)


def voluntary_payments(user, *, flagged_only: bool = False, limit: int = 200):
    qs = VoluntaryPayment.objects.filter(
        member__in=Member.objects.visible_to(user, MEMBER_KEEPERS).values("pk")
    ).select_related("member", "org")
    if flagged_only:
        qs = qs.filter(to_centre=True)
    return list(qs.order_by("-paid_on", "-id")[:limit])
