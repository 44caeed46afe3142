"""Shapes of the demands API (issue 6 item 10) and the functions that fill them.

Outputs are plain dicts built from the selectors' objects so every key is explicit. The
caller's contact is never sent in clear: masked, or "confidential" for those who may not see
it (access.contact_of — DOMAIN.md §9.3: a resident who asks for confidentiality is never
exposed to the department handling their demand).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ninja import Schema

from tongxin.demands import access, rules
from tongxin.demands.models import Category, Demand

# --- outputs ------------------------------------------------------------------------------


class DemandOut(Schema):
    id: int
    code: str
    channel: str
    category_id: int
    category_code: str
    category_name: str
    group_name: str
    title: str
    description: str
    address: str
    latitude: float | None
    longitude: float | None
    street_id: int
    street_name: str
    community_id: int
    community_name: str
    grid_id: int | None
    grid_name: str | None
    department_id: int | None
    department_name: str | None
    state: str
    state_label: str
    open: bool
    version: int
    confidential: bool
    overdue: bool
    late: bool
    current_due: datetime | None
    accept_due_at: datetime | None
    due_at: datetime | None
    supervised: bool
    escalated: bool
    reopen_count: int
    created_at: datetime


class DemandPage(Schema):
    items: list[DemandOut]
    next: str | None


class ContactOut(Schema):
    name: str
    phone: str
    hidden: bool


class PhotoOut(Schema):
    id: int
    content_type: str
    size: int
    width: int
    height: int


class EventOut(Schema):
    id: int
    action: str
    from_state: str
    to_state: str
    note: str
    public: bool
    payload: dict[str, Any]
    actor: str
    at: datetime
    photos: list[int]


class ExtensionOut(Schema):
    id: int
    limit_value: int
    limit_unit: str
    reason: str
    decision: str
    requested_by: str | None
    decided_by: str | None
    decided_at: datetime | None
    old_due_at: datetime | None
    new_due_at: datetime | None
    created_at: datetime


class SupervisionOut(Schema):
    id: int
    org_id: int
    org_name: str
    by: str | None
    note: str
    due_at: datetime | None
    lifted_at: datetime | None
    created_at: datetime


class SummonsOut(Schema):
    id: int
    department_id: int
    department_name: str
    state: str
    due_at: datetime | None
    answer: str
    answered_by: str | None
    answered_at: datetime | None


class EscalationOut(Schema):
    id: int
    from_org_id: int
    from_org_name: str
    to_org_id: int
    to_org_name: str
    by: str | None
    reason: str
    created_at: datetime
    summonses: list[SummonsOut]


class DemandDetail(DemandOut):
    contact: ContactOut
    handler: str | None
    answer: str
    refuse_reason: str
    rating: str
    rating_comment: str
    duplicate_of_id: int | None
    duplicates: list[int]
    visit_id: int | None
    accepted_at: datetime | None
    dispatched_at: datetime | None
    answered_at: datetime | None
    closed_at: datetime | None
    rated_at: datetime | None
    visit_due_at: datetime | None
    overdue_since: datetime | None
    handling_minutes: int | None
    photos: list[PhotoOut]
    actions: list[str]
    timeline: list[EventOut]
    extensions: list[ExtensionOut]
    supervisions: list[SupervisionOut]
    escalations: list[EscalationOut]


class CategoryOut(Schema):
    id: int
    code: str
    name: str
    name_en: str
    description: str
    limit_value: int
    limit_unit: str
    urgent: bool
    parent_id: int | None
    children: list[CategoryOut]


class CategoryList(Schema):
    items: list[CategoryOut]


# --- builders -----------------------------------------------------------------------------

# rules.ACTIONS name → the API's path segment (POST /demands/{id}/<segment>)
PATHS = {
    "accept": "accept",
    "refuse": "refuse",
    "mark_duplicate": "duplicate",
    "dispatch": "dispatch",
    "claim": "claim",
    "return": "return",
    "progress": "progress",
    "escalate": "escalate",
    "summon": "summon",
    "answer_summons": "answer-summons",
    "answer": "answer",
    "close": "close",
    "rate": "rate",
    "return_visit": "return-visit",
    "archive": "archive",
    "supervise": "supervise",
    "request_extension": "extensions",
    "decide_extension": "extensions/{ext_id}/decide",
}


def _name(user) -> str | None:
    if user is None:
        return None
    return user.get_full_name() or user.get_username()


def _float(value) -> float | None:
    return None if value is None else float(value)


def demand_out(d: Demand, labels: dict[str, str]) -> dict:
    """A list item (selectors.demands_for: category__parent, community, street, grid and
    department loaded, `current_due`/`late` annotated)."""
    category = d.category
    return {
        "id": d.pk,
        "code": d.code,
        "channel": d.channel,
        "category_id": category.pk,
        "category_code": category.code,
        "category_name": category.name,
        "group_name": category.parent.name if category.parent_id else category.name,
        "title": d.title,
        "description": d.description,
        "address": d.address,
        "latitude": _float(d.latitude),
        "longitude": _float(d.longitude),
        "street_id": d.street_id,
        "street_name": d.street.name,
        "community_id": d.community_id,
        "community_name": d.community.name,
        "grid_id": d.grid_id,
        "grid_name": d.grid.name if d.grid_id else None,
        "department_id": d.department_id,
        "department_name": d.department.name if d.department_id else None,
        "state": d.state,
        "state_label": labels.get(d.state, d.state),
        "open": d.state in rules.OPEN_STATES,
        "version": d.version,
        "confidential": d.confidential,
        "overdue": d.overdue,
        "late": getattr(d, "late", d.overdue),
        "current_due": getattr(d, "current_due", None),
        "accept_due_at": d.accept_due_at,
        "due_at": d.due_at,
        "supervised": d.supervised,
        "escalated": d.escalated,
        "reopen_count": d.reopen_count,
        "created_at": d.created_at,
    }


def actions_for(user, d: Demand) -> list[str]:
    """The API path segments of the actions the caller may take now (state machine ×
    access.roles_for); the service still checks every rule when the action is posted."""
    roles = access.roles_for(user, d)
    out = []
    for name, action in rules.ACTIONS.items():
        if name not in PATHS or d.state not in action.sources or not roles & action.who:
            continue
        if name == "decide_extension":
            if not any(e.decision == "pending" for e in d.extensions.all()):
                continue
            if not access.may_decide_extension(user, d):
                continue
        out.append(PATHS[name])
    return out


def event_out(e) -> dict:
    return {
        "id": e.pk,
        "action": e.action,
        "from_state": e.from_state,
        "to_state": e.to_state,
        "note": e.note,
        "public": e.public,
        "payload": e.payload or {},
        "actor": getattr(e, "who", None) or _name(e.actor) or e.actor_label or "",
        "at": e.at,
        "photos": [p.pk for p in getattr(e, "photo_list", e.photos.all())],
    }


def extension_out(x) -> dict:
    return {
        "id": x.pk,
        "limit_value": x.limit_value,
        "limit_unit": x.limit_unit,
        "reason": x.reason,
        "decision": x.decision,
        "requested_by": _name(x.requested_by),
        "decided_by": _name(x.decided_by),
        "decided_at": x.decided_at,
        "old_due_at": x.old_due_at,
        "new_due_at": x.new_due_at,
        "created_at": x.created_at,
    }


def escalation_out(e) -> dict:
    return {
        "id": e.pk,
        "from_org_id": e.from_org_id,
        "from_org_name": e.from_org.name,
        "to_org_id": e.to_org_id,
        "to_org_name": e.to_org.name,
        "by": _name(e.by),
        "reason": e.reason,
        "created_at": e.created_at,
        "summonses": [
            {
                "id": s.pk,
                "department_id": s.department_id,
                "department_name": s.department.name,
                "state": s.state,
                "due_at": s.due_at,
                "answer": s.answer,
                "answered_by": _name(s.answered_by),
                "answered_at": s.answered_at,
            }
            for s in e.summonses.all()
        ],
    }


def demand_detail(user, d: Demand, labels: dict[str, str], events: list) -> dict:
    """The demand (selectors.get_demand) with its timeline (selectors.timeline)."""
    out = demand_out(d, labels)
    contact = access.contact_of(user, d)
    out.update(
        {
            "contact": {
                "name": str(contact["name"]),
                "phone": str(contact["phone"]),
                "hidden": contact["hidden"],
            },
            "handler": _name(d.handler) if d.handler_id else None,
            "answer": d.answer,
            "refuse_reason": d.refuse_reason,
            "rating": d.rating,
            "rating_comment": d.rating_comment,
            "duplicate_of_id": d.duplicate_of_id,
            "duplicates": [x.pk for x in d.duplicates.all()],
            "visit_id": d.visit_id,
            "accepted_at": d.accepted_at,
            "dispatched_at": d.dispatched_at,
            "answered_at": d.answered_at,
            "closed_at": d.closed_at,
            "rated_at": d.rated_at,
            "visit_due_at": d.visit_due_at,
            "overdue_since": d.overdue_since,
            "handling_minutes": d.handling_minutes,
            "photos": [
                {
                    "id": p.pk,
                    "content_type": p.content_type,
                    "size": p.size,
                    "width": p.width,
                    "height": p.height,
                }
                for p in d.photos.all()
            ],
            "actions": actions_for(user, d),
            "timeline": [event_out(e) for e in events],
            "extensions": [extension_out(x) for x in d.extensions.all()],
            "supervisions": [
                {
                    "id": s.pk,
                    "org_id": s.org_id,
                    "org_name": s.org.name,
                    "by": _name(s.by),
                    "note": s.note,
                    "due_at": s.due_at,
                    "lifted_at": s.lifted_at,
                    "created_at": s.created_at,
                }
                for s in d.supervisions.all()
            ],
            "escalations": [escalation_out(e) for e in d.escalations.all()],
        }
    )
    return out


def category_tree(categories: list[Category]) -> list[dict]:
    """Active top levels in order, each with its active children."""

    def one(c: Category) -> dict:
        return {
            "id": c.pk,
            "code": c.code,
            "name": c.name,
            "name_en": c.name_en,
            "description": c.description,
            "limit_value": c.limit_value,
            "limit_unit": c.limit_unit,
            "urgent": c.urgent,
            "parent_id": c.parent_id,
            "children": [],
        }

    tops: dict[int, dict] = {}
    for c in categories:
        if c.parent_id is None:
            tops[c.pk] = one(c)
    for c in categories:
        if c.parent_id is not None and c.parent_id in tops:
            tops[c.parent_id]["children"].append(one(c))
    return list(tops.values())
