"""Our categories and demands in the shapes of Open311 GeoReport v2.

Field lists from the spec (http://wiki.open311.org/GeoReport_v2):

* GET Service List — service_code, service_name, description, metadata, type, keywords,
  group. Our categories carry no extra attributes, so `metadata` is false and the service
  definition's `attributes` list is empty.
* GET Service Requests / GET Service Request — service_request_id, status, status_notes,
  service_name, service_code, description, agency_responsible, service_notice,
  requested_datetime, updated_datetime, expected_datetime, address, address_id, zipcode,
  lat, long, media_url. `status` is "open" or "closed": our states in
  rules.OPEN_STATES are open, every other closed; the finer state (its configurable display
  name) goes to `status_notes`, "explanation of why status was changed to current state or
  more details on current status than conveyed with status alone".
* Date/time fields are "a common subset of ISO 8601 … Timezone information (either Z
  meaning UTC, or an HH:MM offset from UTC) must be included": written in Asia/Shanghai
  with its +08:00 offset.

Nothing personal leaves here (DOMAIN.md §9): no contact name, phone, e-mail, handler or
photo; `service_request_id` is the demand's id, never its tracking code (which, with the
phone's last digits, opens the resident's tracking page).
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from tongxin.demands import rules
from tongxin.demands.models import Category, Demand, LimitUnit

REQUEST_FIELDS = (
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
)
SERVICE_FIELDS = (
    "service_code",
    "service_name",
    "description",
    "metadata",
    "type",
    "keywords",
    "group",
)
POST_FIELDS = ("service_request_id", "service_notice", "account_id")


def iso(value: datetime | None) -> str | None:
    """ISO 8601 with the offset, in the district's time zone: 2026-10-08T09:30:00+08:00."""
    if value is None:
        return None
    return timezone.localtime(value).replace(microsecond=0).isoformat()


def leaf_categories() -> list[Category]:
    """Active categories a demand can be filed under: subcategories of active top levels,
    and top levels without active children — the Open311 services."""
    from tongxin.demands.selectors.demands import active_categories

    cats = active_categories()
    with_children = {c.parent_id for c in cats if c.parent_id}
    return [
        c
        for c in cats
        if (c.parent_id is None and c.pk not in with_children)
        or (c.parent_id is not None and c.parent.active)
    ]


def service_out(category: Category) -> dict:
    parent = category.parent if category.parent_id else None
    keywords = [category.name]
    if category.name_en:
        keywords.append(category.name_en)
    if parent is not None:
        keywords.append(parent.name)
    return {
        "service_code": category.code,
        "service_name": category.name,
        "description": category.description or category.name_en or category.name,
        "metadata": False,
        "type": "realtime",
        # the spec's samples write keywords as one comma-separated text
        "keywords": ", ".join(keywords),
        "group": parent.name if parent is not None else category.name,
    }


def service_definition_out(category: Category) -> dict:
    return {"service_code": category.code, "attributes": []}


def limit_notice(category: Category) -> str:
    """What the resident can expect (the category's time limit), as a service_notice."""
    if category.limit_unit == LimitUnit.HOURS:
        return _("To be handled within %(n)s hours.") % {"n": category.limit_value}
    return _("To be handled within %(n)s working days.") % {"n": category.limit_value}


def status_of(demand: Demand) -> str:
    return "open" if demand.state in rules.OPEN_STATES else "closed"


def status_notes(demand: Demand, labels: dict[str, str]) -> str:
    notes = labels.get(demand.state, demand.state)
    if demand.state == rules.DUPLICATE and demand.duplicate_of_id:
        notes = _("%(state)s (of request %(id)s)") % {"state": notes, "id": demand.duplicate_of_id}
    return notes


def _coordinate(value) -> float | None:
    return None if value is None else float(value)


def request_out(demand: Demand, labels: dict[str, str]) -> dict:
    """One demand as a GeoReport v2 request (needs category__parent, department and
    community loaded)."""
    agency = demand.department.name if demand.department_id else demand.community.name
    return {
        "service_request_id": str(demand.pk),
        "status": status_of(demand),
        "status_notes": status_notes(demand, labels),
        "service_name": demand.category.name,
        "service_code": demand.category.code,
        # residents' own words may name people or places: published only when the district
        # chooses to (TONGXIN_OPEN311_PUBLIC_DESCRIPTIONS), else the category stands in
        "description": demand.description
        if settings.TONGXIN.get("OPEN311_PUBLIC_DESCRIPTIONS")
        else demand.category.name,
        "agency_responsible": agency,
        "service_notice": limit_notice(demand.category),
        "requested_datetime": iso(demand.created_at),
        # "For requests with status=closed, this will be the date the request was closed":
        # answered (our first closed state), else the last change (a refusal, a duplicate)
        "updated_datetime": iso(
            demand.answered_at
            if demand.state not in rules.OPEN_STATES and demand.answered_at
            else demand.updated_at
        ),
        "expected_datetime": iso(demand.due_at or demand.accept_due_at),
        "address": demand.address,
        "address_id": None,
        "zipcode": None,
        "lat": _coordinate(demand.latitude),
        "long": _coordinate(demand.longitude),
        "media_url": None,
    }


def created_out(demand: Demand) -> dict:
    """The answer to POST Service Request: the id, the notice (with the tracking code the
    resident uses on the portal) and no account (we keep no resident accounts)."""
    notice = _("Received; tracking code %(code)s. %(limit)s") % {
        "code": demand.code,
        "limit": limit_notice(demand.category),
    }
    return {"service_request_id": str(demand.pk), "service_notice": notice, "account_id": None}
