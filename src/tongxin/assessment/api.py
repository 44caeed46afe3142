"""/api/v1/ratings — branch star ratings (issue 5 §6, §9).

* GET /ratings?org=&year=&cursor=&limit= → {"org", "year", "summary", "items", "next"}: the
  branches of the org's subtree (default: the top of the caller's scope) best first, keyset
  paged (pass `next` as `cursor`);
* GET /ratings/{org_id}?year= → one branch's rating with its breakdown (each indicator's
  weight, effective weight, value in percent, points, missing flag and the figures in words).

Scoped like the pages (assessment.access): keepers only (403 for others), an org or rating
outside the caller's scope answers 404. Malformed query parameters answer 422.
"""

from __future__ import annotations

from django.http import Http404
from ninja import Field, Query, Router, Schema

from tongxin.assessment import access, selectors
from tongxin.assessment.models import BranchRating
from tongxin.core.api_parse import MAX_ID

router = Router(tags=["ratings"])


class RatingItem(Schema):
    rank: int
    org_id: int
    org_name: str
    year: int
    score: str
    stars: int | None
    rated: bool


class StarCount(Schema):
    stars: int
    branches: int


class Summary(Schema):
    total: int
    unrated: int
    average: str | None
    stars: list[StarCount]


class RatingPage(Schema):
    org_id: int
    year: int
    summary: Summary
    items: list[RatingItem]
    next: str | None


class LineOut(Schema):
    code: str
    label: str
    weight: str
    effective_weight: str
    value: str | None
    points: str
    missing: bool
    detail: str


class TrendPoint(Schema):
    year: int
    score: str
    stars: int | None


class RatingDetail(Schema):
    org_id: int
    org_name: str
    year: int
    score: str
    stars: int | None
    rated: bool
    measured_weight: str
    measured_to: str
    computed_at: str
    breakdown: list[LineOut]
    trend: list[TrendPoint]


class RankingQuery(Schema):
    org: int | None = Field(None, ge=1, le=MAX_ID, description="an org id: its subtree")
    year: int | None = Field(None, ge=2000, le=2100)
    cursor: str | None = Field(None, max_length=40, pattern=r"^[0-9._]*$")
    limit: int = Field(selectors.PAGE_SIZE, ge=1, le=selectors.MAX_PAGE_SIZE)


class DetailQuery(Schema):
    year: int | None = Field(None, ge=2000, le=2100, description="default: the latest rated")


def _item(rank: int, r: BranchRating) -> dict:
    return {
        "rank": rank,
        "org_id": r.org_id,
        "org_name": r.org.name,
        "year": r.year,
        "score": str(r.score),
        "stars": r.stars,
        "rated": r.rated,
    }


@router.get("/ratings", response=RatingPage)
def list_ratings(request, q: Query[RankingQuery]):
    """Ranking of the branches of a subtree for a year, with the star counts."""
    org = access.org_in_scope(request.user, q.org)
    year = q.year or selectors.default_year()
    items, next_cursor = selectors.ranking(request.user, org, year, after=q.cursor, limit=q.limit)
    s = selectors.summary(request.user, org, year)
    return {
        "org_id": org.pk,
        "year": year,
        "summary": {
            "total": s["total"],
            "unrated": s["unrated"],
            "average": None if s["average"] is None else str(s["average"]),
            "stars": [{"stars": n, "branches": c} for n, c in s["stars"]],
        },
        "items": [_item(rank, r) for rank, r in items],
        "next": next_cursor,
    }


@router.get("/ratings/{org_id}", response=RatingDetail)
def rating_detail(request, org_id: int, q: Query[DetailQuery]):
    """One branch's rating and the breakdown that produced it."""
    if not 1 <= org_id <= MAX_ID:
        raise Http404
    access.require_viewer(request.user)
    year = q.year
    if year is None:
        year = (
            access.visible_ratings(request.user)
            .filter(org_id=org_id)
            .order_by("-year")
            .values_list("year", flat=True)
            .first()
        )
        if year is None:
            raise Http404
    rating = selectors.get_rating(request.user, org_id, year)
    return {
        "org_id": rating.org_id,
        "org_name": rating.org.name,
        "year": rating.year,
        "score": str(rating.score),
        "stars": rating.stars,
        "rated": rating.rated,
        "measured_weight": str(rating.measured_weight),
        "measured_to": rating.measured_to.isoformat(),
        "computed_at": rating.computed_at.isoformat(),
        "breakdown": [line.__dict__ for line in selectors.breakdown_lines(rating)],
        "trend": [
            {"year": t.year, "score": str(t.score), "stars": t.stars}
            for t in selectors.branch_trend(request.user, rating.org)
        ],
    }
