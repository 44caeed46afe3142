"""/api/v1/demands — residents' demands through the closed loop (issue 6 item 10; DOMAIN.md §8).

* POST /demands: staff entry (hotline, patrol, visit, reception, alliance, staff) → 201;
* GET /demands: {"items", "next"}, newest first, keyset by id; filters state (a state,
  open, closed or all; comma list), channel, category (a top level includes its
  subcategories), community, street, grid, org (a subtree), department, handler, overdue,
  supervised, escalated, q (tracking code or words);
* GET /demands/{id}: the demand with its timeline, extensions, supervisions, escalations
  and summonses, and `actions`: what the caller may post now;
* POST /demands/{id}/<action>: one route per workflow action (accept, refuse, duplicate,
  dispatch, claim, return, progress, escalate, summon, answer-summons, answer, close, rate,
  return-visit, archive, supervise, extensions, extensions/{ext_id}/decide). Each takes an
  optional `version` (the demand's version as loaded) and `note`.

Scoped through the selectors (access.demand_scope_q): a demand outside the caller's scope
answers 404 whatever the body — a department handler sees only the demands dispatched or
summoned to their department. Answers: 403 when the caller may not take the action; 409
{"detail": "already changed", "version", "state", "message"} when someone acted first
(services.Conflict); 422 {"detail": [{"field", "message"}]} for malformed input and for
an action the state machine refuses (field "action"). Never a 500 for bad input.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import Field, Query, Router, Schema, Status

from tongxin.core.api_parse import MAX_ID, Body, invalid
from tongxin.core.scoping import roles_of
from tongxin.demands import access, services
from tongxin.demands import selectors as sel
from tongxin.demands.api import bodies
from tongxin.demands.api import schemas as out
from tongxin.demands.models import (
    Category,
    Channel,
    Demand,
    Department,
    ExtensionRequest,
    LimitUnit,
    Rating,
    Summons,
)
from tongxin.orgs.models import Org
from tongxin.orgs.selectors import MAX_PAGE_SIZE, PAGE_SIZE

router = Router(tags=["demands"])

STAFF_ONLY = gettext_lazy(
    "Only district, street and community staff and grid workers file demands."
)
# channels of a staff entry (the portal and Open311 have their own doors)
STAFF_CHANNELS = tuple(c for c in Channel.values if c not in (Channel.PORTAL, Channel.OPEN311))
# service field names → API field names
RENAMED = {
    "category": "category_id",
    "community": "community_id",
    "grid": "latitude",
    "location": "latitude",
    "department": "department_id",
    "departments": "department_ids",
    "original": "original_id",
    "summons": "summons_id",
    "extension": "ext_id",
    "expected_version": "version",
}
MAX_NOTE = 2000
MAX_VERSION = 2**31 - 1


@contextmanager
def fields_as_422():
    """A service's ValidationError({field: [message]}) — ActionRefused included (field
    "action") — → 422 {"detail": [{"field", "message"}]} with the API's field names."""
    try:
        yield
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            errors = {RENAMED.get(k, k): v for k, v in exc.message_dict.items()}
        else:
            errors = {"__all__": exc.messages}
        raise invalid(errors) from None


def _detail(user, pk: int) -> dict:
    demand = sel.get_demand(user, pk)
    return out.demand_detail(user, demand, sel.state_labels(), sel.timeline(demand))


class ConflictOut(Schema):
    detail: str
    message: str
    version: int
    state: str


def _conflict(pk: int) -> Status:
    current = Demand.objects.filter(pk=pk).values("version", "state").first() or {}
    return Status(
        409,
        {
            "detail": "already changed",
            "message": _("Someone else acted on this demand first; reload it and try again."),
            "version": current.get("version", 0),
            "state": current.get("state", ""),
        },
    )


# --- the catalogue --------------------------------------------------------------------------

categories_router = Router(tags=["demands"])


@categories_router.get("", response=out.CategoryList)
def list_categories(request):
    """The two-level category catalogue (active categories), with each one's time limit."""
    cats = list(Category.objects.filter(active=True).order_by("order", "id"))
    return {"items": out.category_tree(cats)}


# --- list and create ------------------------------------------------------------------------


class DemandFilters(Schema):
    state: str | None = Field(
        None,
        max_length=200,
        pattern=r"^[a-z_,]*$",
        description="a state, open, closed or all; several comma-separated",
    )
    channel: str | None = Field(None, max_length=16, pattern=r"^[a-z0-9_]*$")
    category: int | None = Field(None, ge=1, le=MAX_ID, description="a top level: with children")
    community: int | None = Field(None, ge=1, le=MAX_ID)
    street: int | None = Field(None, ge=1, le=MAX_ID)
    grid: int | None = Field(None, ge=1, le=MAX_ID)
    org: int | None = Field(None, ge=1, le=MAX_ID, description="an org id: its whole subtree")
    department: int | None = Field(None, ge=1, le=MAX_ID)
    handler: int | None = Field(None, ge=1, le=MAX_ID)
    overdue: bool | None = None
    supervised: bool | None = None
    escalated: bool | None = None
    q: str | None = Field(
        None, max_length=100, pattern=r"^[^\x00-\x1f\x7f]*$", description="code or words"
    )
    cursor: str | None = Field(None, max_length=100)
    limit: int = Field(PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE)


@router.get("", response=out.DemandPage)
def list_demands(request, filters: Query[DemandFilters]):
    """Demands the caller sees, newest first."""
    values = filters.dict(exclude={"cursor", "limit"}, exclude_none=True)
    if "state" in values:
        states = [s for s in values["state"].split(",") if s]
        values["state"] = states if len(states) != 1 else states[0]
    with fields_as_422():
        items, next_cursor = sel.demands_for(
            request.user, after=filters.cursor, limit=filters.limit, **values
        )
    labels = sel.state_labels()
    return {"items": [out.demand_out(d, labels) for d in items], "next": next_cursor}


CREATE_FIELDS = (
    "channel",
    "category_id",
    "title",
    "description",
    "community_id",
    "address",
    "latitude",
    "longitude",
    "contact_name",
    "phone",
    "confidential",
)


def _degrees(b: Body, field: str, limit: int) -> float | None:
    value = b.data.get(field)
    if value is None:
        return None
    number = isinstance(value, int | float) and not isinstance(value, bool)
    if not number or not -limit <= value <= limit:
        b.error(field, _("Enter decimal degrees from -%(n)s to %(n)s.") % {"n": limit})
        return None
    return round(float(value), 6)


@router.post("", response={201: out.DemandDetail})
def create_demand(request, payload: bodies.DemandIn):
    """Staff entry of a demand: {"channel", "category_id", "description", "community_id" or
    "latitude"/"longitude", "address", "title", "contact_name", "phone", "confidential"}."""
    if not roles_of(request.user) & access.STAFF_ROLES:
        raise PermissionDenied(STAFF_ONLY)
    b = Body(payload.fields(), allowed=CREATE_FIELDS)
    channel = b.choice("channel", STAFF_CHANNELS, required=True)
    category_id = b.integer("category_id", minimum=1, maximum=MAX_ID, required=True)
    community_id = b.integer("community_id", minimum=1, maximum=MAX_ID)
    fields = {
        "title": b.text("title", max_length=100),
        "description": b.text("description", max_length=4000, required=True),
        "address": b.text("address", max_length=200),
        "contact_name": b.text("contact_name", max_length=50),
        "phone": b.text("phone", max_length=30),
        "confidential": b.boolean("confidential"),
    }
    latitude = _degrees(b, "latitude", 90)
    longitude = _degrees(b, "longitude", 180)
    if (latitude is None) != (longitude is None) and not b.errors.get("latitude"):
        b.error("latitude", _("Send latitude and longitude together."))
    category = None
    if category_id is not None:
        category = Category.objects.filter(pk=category_id, active=True).first()
        if category is None:
            b.error("category_id", _("No active category with this id."))
    community = None
    if community_id is not None:
        community = (
            Org.objects.visible_to(request.user, access.STAFF_ROLES).filter(pk=community_id).first()
        )
        if community is None:
            b.error("community_id", _("organisation not found in your scope"))
    elif latitude is None and not b.errors.get("latitude"):
        b.error("community_id", _("Give the community, or the place on the map."))
    b.check()
    with transaction.atomic(), fields_as_422():
        demand = services.submit(
            channel=channel,
            category=category,
            community=community,
            latitude=latitude,
            longitude=longitude,
            actor=request.user,
            **fields,
        )
        if not sel.scoped(request.user).filter(pk=demand.pk).exists():
            # the point lies in a community outside the caller's area: nothing is kept
            raise ValidationError({"latitude": [_("This place is outside your area.")]})
    return Status(201, _detail(request.user, demand.pk))


@router.get("/{int:demand_id}", response=out.DemandDetail)
def get_demand(request, demand_id: int):
    """The demand, its contact (masked or hidden), timeline and what the caller may do."""
    return _detail(request.user, demand_id)


# --- the workflow actions -------------------------------------------------------------------


def _perform(
    request,
    demand_id: int,
    payload,
    action: str,
    fields: tuple[str, ...] = (),
    read=None,
    *,
    note_required: bool = False,
    note_max: int = MAX_NOTE,
    created: bool = False,
    extension_id: int | None = None,
):
    """Scoped lookup first (404), then the body (422 naming the field), then the service:
    403 PermissionDenied, 409 Conflict, 422 ActionRefused / ValidationError."""
    demand = sel.get_demand(request.user, demand_id)
    params: dict[str, Any] = {}
    if extension_id is not None:
        extension = ExtensionRequest.objects.filter(pk=extension_id, demand=demand).first()
        if extension is None:
            raise Http404
        params["extension"] = extension
    b = Body(payload.fields(), allowed=("version", "note", *fields))
    version = b.integer("version", minimum=0, maximum=MAX_VERSION)
    note = b.text("note", max_length=note_max, required=note_required)
    if read is not None:
        params.update(read(b, request.user, demand))
    b.check()
    try:
        with fields_as_422():
            services.act(
                actor=request.user,
                demand=demand,
                action=action,
                expected_version=version,
                note=note,
                **params,
            )
    except services.Conflict:
        return _conflict(demand.pk)
    try:
        detail = _detail(request.user, demand_id)
    except Http404:
        # the action took it out of the caller's sight (e.g. a department returned it)
        current = Demand.objects.only("id", "code", "state", "version").get(pk=demand.pk)
        detail = {
            "id": current.pk,
            "code": current.code,
            "state": current.state,
            "version": current.version,
            "visible": False,
        }
    return Status(201, detail) if created else detail


class ActedOut(Schema):
    """The answer when the action moved the demand out of the caller's scope."""

    id: int
    code: str
    state: str
    version: int
    visible: bool


RESPONSES = {200: out.DemandDetail | ActedOut, 409: ConflictOut}


def _reason(b: Body, user, demand) -> dict:
    return {"reason": b.text("reason", max_length=300, required=True)}


def _original(b: Body, user, demand) -> dict:
    pk = b.integer("original_id", minimum=1, maximum=MAX_ID, required=True)
    if pk is None:
        return {}
    original = sel.scoped(user).filter(pk=pk).first()
    if original is None:
        b.error("original_id", _("No demand with this id in your scope."))
        return {}
    return {"original": original}


def _department(b: Body, user, demand) -> dict:
    if "department_id" not in b.data:
        b.error("department_id", _("Give the department, or null for the community itself."))
        return {}
    pk = b.integer("department_id", minimum=1, maximum=MAX_ID)
    if pk is None:
        return {"department": None}
    department = Department.objects.filter(pk=pk, active=True).first()
    if department is None:
        b.error("department_id", _("No active department with this id."))
        return {}
    return {"department": department}


def _departments(b: Body, user, demand) -> dict:
    ids = b.ids("department_ids", max_items=50, required=True)
    if not ids:
        if not b.errors.get("department_ids"):
            b.error("department_ids", _("Name at least one department."))
        return {}
    found = list(Department.objects.filter(pk__in=ids, active=True).order_by("id"))
    if len(found) != len(ids):
        b.error("department_ids", _("No active department with one of these ids."))
        return {}
    return {"departments": found}


def _summons_answer(b: Body, user, demand) -> dict:
    pk = b.integer("summons_id", minimum=1, maximum=MAX_ID, required=True)
    answer = b.text("answer", max_length=2000, required=True)
    if pk is None:
        return {}
    summons = (
        Summons.objects.filter(pk=pk, escalation__demand=demand)
        .select_related("department", "escalation")
        .first()
    )
    if summons is None:
        b.error("summons_id", _("No summons with this id on this demand."))
        return {}
    return {"summons": summons, "answer": answer}


def _answer(b: Body, user, demand) -> dict:
    return {"answer": b.text("answer", max_length=4000, required=True)}


def _rating(b: Body, user, demand) -> dict:
    return {
        "rating": b.choice("rating", Rating.values, required=True),
        "comment": b.text("comment", max_length=300),
    }


def _extension(b: Body, user, demand) -> dict:
    return {
        "limit_value": b.integer("limit_value", minimum=1, maximum=365, required=True),
        "limit_unit": b.choice("limit_unit", LimitUnit.values, required=True),
        "reason": b.text("reason", max_length=300, required=True),
    }


def _decision(b: Body, user, demand) -> dict:
    value = b.data.get("approve")
    if not isinstance(value, bool):
        b.error("approve", _("Enter true or false."))
        return {}
    return {"approve": value}


@router.post("/{int:demand_id}/accept", response=RESPONSES)
def accept(request, demand_id: int, payload: bodies.ActionIn):
    """待受理 → 已受理."""
    return _perform(request, demand_id, payload, "accept")


@router.post("/{int:demand_id}/refuse", response=RESPONSES)
def refuse(request, demand_id: int, payload: bodies.ReasonIn):
    """不予受理, with the reason the resident sees: {"reason"}."""
    return _perform(request, demand_id, payload, "refuse", ("reason",), _reason)


@router.post("/{int:demand_id}/duplicate", response=RESPONSES)
def mark_duplicate(request, demand_id: int, payload: bodies.DuplicateIn):
    """重复: linked to the original, {"original_id"}."""
    return _perform(request, demand_id, payload, "mark_duplicate", ("original_id",), _original)


@router.post("/{int:demand_id}/dispatch", response=RESPONSES)
def dispatch(request, demand_id: int, payload: bodies.DispatchIn):
    """派单: {"department_id": id} or {"department_id": null} (the community handles it)."""
    return _perform(request, demand_id, payload, "dispatch", ("department_id",), _department)


@router.post("/{int:demand_id}/claim", response=RESPONSES)
def claim(request, demand_id: int, payload: bodies.ActionIn):
    """The department takes it up: 已派单 → 处置中."""
    return _perform(request, demand_id, payload, "claim")


@router.post("/{int:demand_id}/return", response=RESPONSES)
def return_demand(request, demand_id: int, payload: bodies.ReasonIn):
    """退回: not this department's, back to dispatch with {"reason"}."""
    return _perform(request, demand_id, payload, "return", ("reason",), _reason)


@router.post("/{int:demand_id}/progress", response=RESPONSES)
def progress(request, demand_id: int, payload: bodies.ProgressIn):
    """A progress note on the timeline: {"note", "public": shown to the resident}."""
    return _perform(
        request,
        demand_id,
        payload,
        "progress",
        ("public",),
        lambda b, user, demand: {"public": b.boolean("public")},
        note_required=True,
    )


@router.post("/{int:demand_id}/escalate", response=RESPONSES)
def escalate(request, demand_id: int, payload: bodies.ReasonIn):
    """吹哨: the community escalates to the street, {"reason"}."""
    return _perform(request, demand_id, payload, "escalate", ("reason",), _reason)


@router.post("/{int:demand_id}/summon", response=RESPONSES)
def summon(request, demand_id: int, payload: bodies.SummonIn):
    """报到: the street summons departments, {"department_ids": [ids]}."""
    return _perform(request, demand_id, payload, "summon", ("department_ids",), _departments)


@router.post("/{int:demand_id}/answer-summons", response=RESPONSES)
def answer_summons(request, demand_id: int, payload: bodies.AnswerSummonsIn):
    """A summoned department's answer: {"summons_id", "answer"}."""
    return _perform(
        request, demand_id, payload, "answer_summons", ("summons_id", "answer"), _summons_answer
    )


@router.post("/{int:demand_id}/answer", response=RESPONSES)
def answer(request, demand_id: int, payload: bodies.AnswerIn):
    """答复 (已办结): {"answer"} — the resident reads it."""
    return _perform(request, demand_id, payload, "answer", ("answer",), _answer)


@router.post("/{int:demand_id}/close", response=RESPONSES)
def close(request, demand_id: int, payload: bodies.ActionIn):
    """办结 after checking the answer."""
    return _perform(request, demand_id, payload, "close")


@router.post("/{int:demand_id}/rate", response=RESPONSES)
def rate(request, demand_id: int, payload: bodies.RateIn):
    """The resident's rating taken by staff (e.g. on the phone): {"rating", "comment"}."""
    return _perform(request, demand_id, payload, "rate", ("rating", "comment"), _rating)


@router.post("/{int:demand_id}/return-visit", response=RESPONSES)
def return_visit(request, demand_id: int, payload: bodies.ActionIn):
    """回访 done."""
    return _perform(request, demand_id, payload, "return_visit")


@router.post("/{int:demand_id}/archive", response=RESPONSES)
def archive(request, demand_id: int, payload: bodies.ActionIn):
    """归档."""
    return _perform(request, demand_id, payload, "archive")


@router.post("/{int:demand_id}/supervise", response=RESPONSES)
def supervise(request, demand_id: int, payload: bodies.ActionIn):
    """督办 by the street or the district: {"note": the instruction, at most 300 characters}."""
    return _perform(request, demand_id, payload, "supervise", note_required=True, note_max=300)


@router.post(
    "/{int:demand_id}/extensions", response={201: out.DemandDetail | ActedOut, 409: ConflictOut}
)
def request_extension(request, demand_id: int, payload: bodies.ExtensionIn):
    """延期 request, approved one level up: {"limit_value", "limit_unit", "reason"}."""
    return _perform(
        request,
        demand_id,
        payload,
        "request_extension",
        ("limit_value", "limit_unit", "reason"),
        _extension,
        created=True,
    )


@router.post("/{int:demand_id}/extensions/{int:ext_id}/decide", response=RESPONSES)
def decide_extension(request, demand_id: int, ext_id: int, payload: bodies.DecideIn):
    """Approve or reject an extension request: {"approve": true|false}."""
    return _perform(
        request,
        demand_id,
        payload,
        "decide_extension",
        ("approve",),
        _decision,
        extension_id=ext_id,
    )
