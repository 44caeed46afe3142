"""GET /api/v1/compliance?org=<id>&period=2026-Q3 — due vs held per kind (issue 5 §9).

* For a branch (branch or joint branch) the answer is computed live from its meetings:
  exact and current (``"computed_at": null``, ``"live": true``).
* For a higher org (community, street, district, committee, general branch) the answer is
  summed from the compliance snapshots of its subtree (``"computed_at"``: when they were
  last computed), with the branch counts, one row per child org and the first branches
  behind (``"behind"``, paged with ``after``=``"behind_next"``).

Scoped to keepers of the member registry: an org outside the caller's scope answers 404,
a caller who keeps nothing 403. A bad period or org answers 422
{"detail": [{"field", "message"}]}. ``period`` defaults to the current month, ``org`` to the
top of the caller's scope.
"""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from tongxin.core.api_parse import MAX_ID, invalid
from tongxin.meetings.rules import compliance as rules
from tongxin.meetings.rules.common import RuleError
from tongxin.meetings.rules.periods import MONTH, Period, period_of
from tongxin.meetings.selectors import compliance as sel

router = Router(tags=["compliance"])


class ComplianceQuery(Schema):
    org: int | None = Field(None, ge=1, le=MAX_ID, description="an org id (default: your top org)")
    period: str | None = Field(
        None, max_length=10, description='"2026", "2026-Q3" or "2026-07" (default: this month)'
    )
    after: str | None = Field(None, max_length=120, description="cursor of the behind list")
    limit: int = Field(sel.BEHIND_PAGE, ge=1, le=sel.MAX_BEHIND_PAGE)


def _pct(value) -> float | None:
    return float(value) if value is not None else None


def _attendance(a) -> dict:
    return {
        "should_attend": a.should_attend,
        "attended": a.attended,
        "on_leave": a.on_leave,
        "absent": a.should_attend - a.attended - a.on_leave,
        "rate": _pct(rules.percent(a.rate)),
        "leave_rate": _pct(rules.percent(a.leave_rate)),
    }


def _org(org) -> dict:
    return {"id": org.pk, "name": org.name, "type": org.type}


def branch_out(org, period: Period, result: rules.BranchCompliance) -> dict:
    kinds = [
        {
            "kind": k.kind,
            "name": sel.kind_name(k.kind),
            "frequency": str(k.frequency) if k.frequency else "",
            "due": k.due,
            "held": k.held,
            "approved": k.approved,
            "met": k.met,
            "missing": [p.label for p in k.missing],
            "open": [p.label for p in k.open],
            "reason": k.reason,
            "attendance_rate": _pct(k.attendance.percent),
        }
        for k in result.kinds
    ]
    return {
        "org": _org(org),
        "period": period.label,
        "unit": period.unit,
        "live": True,
        "computed_at": None,
        "status": result.status,
        "kinds": kinds,
        "missing": [{"kind": k, "period": label} for k, label in result.missing_items],
        "attendance": {**_attendance(result.attendance), "meetings": result.attendance.meetings},
    }


def higher_out(user, org, period: Period, *, after, limit) -> dict:
    roll = sel.rollup(user, org, period)
    kinds, missing = sel.kinds_summed(user, org, period)
    behind, next_cursor = sel.behind_list(user, org, period, limit=limit, after=after)
    c = roll.counts
    return {
        "org": _org(org),
        "period": period.label,
        "unit": period.unit,
        "live": False,
        "computed_at": roll.computed_at.isoformat() if roll.computed_at else None,
        "status": c.status if c.total else rules.OPEN,
        "kinds": kinds,
        "missing": missing,
        "attendance": {
            "should_attend": c.should_attend,
            "attended": c.attended,
            "on_leave": c.on_leave,
            "absent": c.should_attend - c.attended - c.on_leave,
            "rate": _pct(c.attendance_percent),
        },
        "branches": c.branches(),
        "children": [
            {
                **_org(ch.org),
                "branches": ch.counts.branches(),
                "due": ch.counts.due,
                "met": ch.counts.met_items,
                "held": ch.counts.held,
                "approved": ch.counts.approved,
                "attendance_rate": _pct(ch.counts.attendance_percent),
            }
            for ch in roll.children
        ],
        "behind": [
            {**_org(s.org), "due": s.due, "met": s.met, "missing": sel.missing_out(s)}
            for s in behind
        ],
        "behind_next": next_cursor,
    }


@router.get("")
def compliance(request, q: Query[ComplianceQuery]):
    """Compliance of a branch (live) or of a higher org (from snapshots) for a period."""
    try:
        period = Period.parse(q.period) if q.period is not None else None
    except RuleError as exc:
        raise invalid({"period": [exc.text]}) from None
    period = period or period_of(timezone.localdate(), MONTH)
    org = sel.org_for(request.user, q.org)
    if org.type == "party_group":
        raise invalid({"org": [_("Choose a branch or an organisation above branches.")]})
    if sel.is_branch(org):
        result = sel.branch_compliance(request.user, org, period)
        return branch_out(org, period, result)
    return higher_out(request.user, org, period, after=q.after, limit=q.limit)
