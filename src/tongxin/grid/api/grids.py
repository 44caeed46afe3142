"""/api/v1/grids — grids of the caller's scope (access.grid_scope_q) and household visits.

* GET /grids: {"items", "next"}, keyset by id; filters community, q; no boundaries.
* GET /grids/{grid_id}: one grid with its GeoJSON boundary, leader, workers, party org.
* POST /grids/{grid_id}/visits: log a visit to a household of the grid:
  {"household_id", "visited_on": "YYYY-MM-DD", "learned", "problem_found"?} → 201.
* GET /grids/{grid_id}/visits: the grid's latest visits.

A grid outside the caller's scope answers 404 whatever the body: bodies of routes with a path
parameter are loose objects parsed after the scoped lookup (core.api_parse), and
every problem answers 422 {"detail": [{"field", "message"}]} naming the field.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from pydantic import BaseModel, ConfigDict
from pydantic import Field as PField

from tongxin.core.api_parse import MAX_ID, Body, fields_as_422
from tongxin.grid import access
from tongxin.grid.models import Household
from tongxin.grid.selectors import grids as selectors
from tongxin.grid.services import visits as visit_services

router = Router(tags=["grids"])


class UserOut(Schema):
    id: int
    name: str

    @staticmethod
    def resolve_name(obj) -> str:
        return str(obj)


class GridOut(Schema):
    id: int
    code: str
    name: str
    community_id: int
    community_name: str = Field(..., alias="community.name")
    leader: UserOut | None
    party_org_id: int | None
    party_org_name: str | None

    @staticmethod
    def resolve_party_org_name(obj) -> str | None:
        return obj.party_org.name if obj.party_org_id else None


class GridPage(Schema):
    items: list[GridOut]
    next: str | None


class GridDetail(GridOut):
    boundary: dict | None
    workers: list[UserOut]
    description: str

    @staticmethod
    def resolve_workers(obj) -> list:
        return list(obj.workers.all())


class GridFilters(Schema):
    community: int | None = Field(None, ge=1, description="an org id: that community's grids")
    q: str | None = Field(None, max_length=50, pattern=r"^[^\x00-\x1f\x7f]*$")
    cursor: str | None = None
    limit: int = Field(selectors.PAGE_SIZE, ge=1, le=selectors.MAX_PAGE_SIZE)


class VisitIn(BaseModel):
    """Loose at the schema level (see the module docstring); documented for OpenAPI."""

    model_config = ConfigDict(extra="allow")
    household_id: Any = PField(
        None, description="a household of this grid", json_schema_extra={"type": "integer"}
    )
    visited_on: Any = PField(
        None,
        description="YYYY-MM-DD, not in the future",
        json_schema_extra={"type": "string", "format": "date"},
    )
    learned: Any = PField(
        None,
        description="what was learned, 1–5000 characters",
        json_schema_extra={"type": "string"},
    )
    problem_found: Any = PField(
        None, description="optional, at most 5000 characters", json_schema_extra={"type": "string"}
    )

    def fields(self) -> dict[str, Any]:
        sent = {name: getattr(self, name) for name in self.model_fields_set}
        return {**sent, **(self.model_extra or {})}


class VisitOut(Schema):
    id: int
    grid_id: int
    household_id: int
    visited_on: date
    visitor: UserOut
    learned: str
    problem_found: str


@router.get("", response=GridPage)
def list_grids(request, filters: Query[GridFilters]):
    """Grids the caller may see: managers their subtree's, a grid worker their own."""
    access.require_grid_role(request.user)
    items, next_cursor = selectors.grid_list(
        request.user,
        community=filters.community,
        q=filters.q or "",
        after=filters.cursor,
        limit=filters.limit,
    )
    return {"items": items, "next": next_cursor}


@router.get("/{int:grid_id}", response=GridDetail)
def get_grid(request, grid_id: int):
    """One grid with its GeoJSON boundary (a Polygon or MultiPolygon, WGS84)."""
    return selectors.grid_detail(request.user, grid_id)


@router.get("/{int:grid_id}/visits", response=list[VisitOut])
def grid_visits(request, grid_id: int):
    """The grid's latest 50 visits, newest first."""
    grid = selectors.grid_detail(request.user, grid_id)
    return selectors.recent_visits(request.user, grid=grid, limit=50)


VISIT_FIELDS = ("household_id", "visited_on", "learned", "problem_found")


@router.post("/{int:grid_id}/visits", response={201: VisitOut})
def record_visit(request, grid_id: int, payload: VisitIn):
    """Log a household visit (入民户、访民情、交朋友、解难题) made by the caller."""
    grid = selectors.grid_detail(request.user, grid_id)
    b = Body(payload.fields(), allowed=VISIT_FIELDS)
    household_id = b.integer("household_id", minimum=1, maximum=MAX_ID, required=True)
    visited_on = b.day("visited_on", required=True)
    learned = b.text("learned", max_length=visit_services.MAX_TEXT, required=True)
    problem_found = b.text("problem_found", max_length=visit_services.MAX_TEXT)
    household = None
    if household_id is not None:
        household = (
            Household.objects.visible_to(request.user).filter(pk=household_id, grid=grid).first()
        )
        if household is None:
            b.error("household_id", _("household not found in this grid"))
    b.check()
    with fields_as_422():
        visit = visit_services.record_visit(
            actor=request.user,
            household=household,
            visited_on=visited_on,
            learned=learned,
            problem_found=problem_found,
        )
    return Status(201, visit)
