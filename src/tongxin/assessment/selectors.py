"""Reads of the assessment app: ranking and star counts for a subtree, trend, breakdown.

Every read takes the user and goes through `access` (scoped to the keepers' subtrees).
Ranking is keyset-paged by (score desc, org id): the cursor "position_score_orgid" carries
the rank of the last row so the next page continues the numbering.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db.models import Avg, Count, Q
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tongxin.assessment import access
from tongxin.assessment.models import BranchRating, Indicator
from tongxin.core.api_parse import MAX_ID
from tongxin.orgs import rules as org_rules
from tongxin.orgs.models import Org

PAGE_SIZE = 50
YEAR_MIN, YEAR_MAX = 2000, 2100  # a rating year outside this is no year (404)
MAX_PAGE_SIZE = 200
_CURSOR = re.compile(r"^(\d{1,7})_(\d{1,3}(?:\.\d{1,2})?)_(\d{1,19})$")

# an indicator's figures in words (the reader's language); {} → the "missing" text
DETAIL = {
    "meeting_compliance": gettext_lazy(
        "%(met)s of %(due)s required meetings and activities held and approved"
    ),
    "attendance": gettext_lazy(
        "%(attended)s attendances of %(should)s expected (%(leave)s on leave)"
    ),
    "dues_on_time": gettext_lazy(
        "%(on_time)s of %(due)s monthly dues paid by the end of their month"
    ),
    "admission_work": gettext_lazy(
        "%(on_schedule)s of %(files)s admission files not overdue at the end of the period"
    ),
    "study_hours": gettext_lazy(
        "%(average)s study hours per member on average, of %(required)s required"
    ),
    "demand_handling": gettext_lazy(
        "%(on_time)s of %(closed)s residents' demands of the community closed on time"
    ),
}
MISSING = {
    "meeting_compliance": gettext_lazy(
        "Not measured: no meeting was due or compliance not computed."
    ),
    "attendance": gettext_lazy("Not measured: no attendance was recorded."),
    "dues_on_time": gettext_lazy("Not measured: no dues were due in the period."),
    "admission_work": gettext_lazy("Not measured: the branch had no admission files."),
    "study_hours": gettext_lazy("Not measured: no study hours are recorded."),
    "demand_handling": gettext_lazy(
        "Not measured: the branch is not under a community, or no demand was closed."
    ),
}


def describe(line: dict[str, Any]) -> str:
    code = line.get("code", "")
    figures = line.get("figures") or {}
    if line.get("missing") or not figures:
        return str(MISSING.get(code, _("Not measured.")))
    try:
        return str(DETAIL[code]) % figures
    except (KeyError, TypeError, ValueError):
        return line.get("detail", "")


@dataclass(frozen=True)
class Line:
    code: str
    label: str
    weight: str
    effective_weight: str
    value: str | None
    points: str
    missing: bool
    detail: str


def breakdown_lines(rating: BranchRating) -> list[Line]:
    labels = dict(Indicator.choices)
    return [
        Line(
            code=raw.get("code", ""),
            label=str(labels.get(raw.get("code"), raw.get("code", ""))),
            weight=raw.get("weight", ""),
            effective_weight=raw.get("effective_weight", ""),
            value=raw.get("value"),
            points=raw.get("points", ""),
            missing=bool(raw.get("missing")),
            detail=describe(raw),
        )
        for raw in rating.breakdown
    ]


def default_year() -> int:
    """The latest year with ratings, else the running year."""
    latest = BranchRating.objects.order_by("-year").values_list("year", flat=True).first()
    return latest or timezone.localdate().year


def years(user) -> list[int]:
    current = timezone.localdate().year
    found = set(BranchRating.objects.values_list("year", flat=True).distinct().order_by())
    return sorted(found | {current}, reverse=True)


def _in_subtree(qs, org: Org):
    """Rows of `org`'s subtree; the root's subtree is everything (no join on orgs)."""
    return qs if org.parent_id is None else qs.filter(org__path__startswith=org.path)


def _subtree(user, org: Org, year: int):
    return _in_subtree(access.visible_ratings(user), org).filter(year=year)


def parse_cursor(cursor: str | None) -> tuple[int, Decimal, int] | None:
    if not cursor:
        return None
    match = _CURSOR.match(cursor)
    if not match:
        return None
    try:
        return int(match[1]), Decimal(match[2]), int(match[3])
    except InvalidOperation:
        return None


def ranking(
    user, org: Org, year: int, *, after: str | None = None, limit: int = PAGE_SIZE
) -> tuple[list[tuple[int, BranchRating]], str | None]:
    """[(rank, rating)] of the branches in `org`'s subtree, best first, and the next cursor.
    Equal scores share a position in order only (ties are broken by org id)."""
    qs = _subtree(user, org, year).select_related("org").order_by("-score", "org_id")
    position = 0
    parsed = parse_cursor(after)
    if parsed:
        position, score, org_id = parsed
        qs = qs.filter(Q(score__lt=score) | Q(score=score, org_id__gt=org_id))
    rows = list(qs[: limit + 1])
    page = rows[:limit]
    items = [(position + i + 1, r) for i, r in enumerate(page)]
    next_cursor = None
    if len(rows) > limit and page:
        last = page[-1]
        next_cursor = f"{position + len(page)}_{last.score}_{last.org_id}"
    return items, next_cursor


def summary(user, org: Org, year: int) -> dict[str, Any]:
    """Star counts, unrated count and the average score of the subtree (one query)."""
    qs = _subtree(user, org, year)
    agg = qs.aggregate(
        total=Count("id"),
        unrated=Count("id", filter=Q(rated=False)),
        average=Avg("score"),
        **{f"s{n}": Count("id", filter=Q(stars=n)) for n in (5, 4, 3, 2, 1)},
    )
    average = agg["average"]
    return {
        "total": agg["total"],
        "unrated": agg["unrated"],
        "average": None if average is None else Decimal(average).quantize(Decimal("0.01")),
        "stars": [(n, agg[f"s{n}"]) for n in (5, 4, 3, 2, 1)],
    }


def subtree_trend(user, org: Org) -> list[dict[str, Any]]:
    """Average score and star counts of the subtree per year (one grouped query)."""
    rows = (
        _in_subtree(access.visible_ratings(user), org)
        .values("year")
        .annotate(
            average=Avg("score"),
            branches=Count("id"),
            five=Count("id", filter=Q(stars=5)),
            rated=Count("id", filter=Q(rated=True)),
        )
        .order_by("year")
    )
    return [
        {
            "year": r["year"],
            "average": Decimal(r["average"]).quantize(Decimal("0.01")),
            "branches": r["branches"],
            "five": r["five"],
            "rated": r["rated"],
        }
        for r in rows
    ]


def branch_trend(user, org: Org) -> list[BranchRating]:
    """The branch's ratings over the years (the running year's is measured to date)."""
    return list(
        access.visible_ratings(user)
        .filter(org=org)
        .only("year", "score", "stars", "rated", "measured_to")
        .order_by("year")
    )


def get_rating(user, org_id: int, year: int) -> BranchRating:
    """One branch's rating in the user's scope (404 otherwise)."""
    access.require_viewer(user)
    if not (0 < org_id <= MAX_ID and YEAR_MIN <= year <= YEAR_MAX):
        raise Http404
    return get_object_or_404(
        access.visible_ratings(user).select_related("org", "org__parent"), org_id=org_id, year=year
    )


def children(user, org: Org) -> list[Org]:
    """Sub-organisations to drill down into (not branches: they are ranked)."""
    return list(
        access.visible_orgs(user)
        .filter(parent=org, active=True)
        .exclude(type__in=[*org_rules.BRANCH_TYPES, org_rules.PARTY_GROUP])
        .only("id", "name", "type")
        .order_by("path")[:200]
    )


def is_branch(org: Org) -> bool:
    return org.type in org_rules.BRANCH_TYPES
