"""Open311 GeoReport v2 at /open311/v2/ — plain Django views (issue 6 item 9).

The spec: http://wiki.open311.org/GeoReport_v2 (frozen and final) with its Service Discovery
companion http://wiki.open311.org/Service_Discovery. Six methods, each in XML (required by
the spec) and JSON, chosen by the extension:

* GET discovery.{fmt} — changeset, contact, key_service, endpoints [{specification, url,
  changeset, type, formats}];
* GET services.{fmt} — the active leaf categories (serializers.service_out);
* GET services/{service_code}.{fmt} — the definition: no extra attributes;
* GET requests.{fmt} — filters service_request_id (comma list, "overrides all other
  arguments"), service_code, start_date, end_date ("may not span more than 90 days";
  default the last 90 days), status (open|closed, comma list); at most 1000 requests,
  newest first ("Default query limit is a span of 90 days or first 1000 requests
  returned, whichever is smallest");
* POST requests.{fmt} — api_key (an Open311Client's), service_code, a location (lat and
  long, or address_string), description; optional first_name, last_name, phone; email,
  device_id, account_id, media_url and attribute[] are accepted and not kept. Answers
  [{service_request_id, service_notice, account_id}];
* GET requests/{service_request_id}.{fmt} — one request (in the same list shape).

Errors answer the HTTP status with the spec's list of {code, description}. jurisdiction_id
is accepted and ignored (one jurisdiction per deployment). Requests that the resident asked
to keep confidential, and those found on household visits (they describe a household), are
not published. POST is rate limited per client address and per api_key (core.ratelimit).
"""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from tongxin.core import ratelimit
from tongxin.core.crypto import digest
from tongxin.demands import rules
from tongxin.demands.models import Category, Channel, Demand, Open311Client
from tongxin.demands.open311 import serializers as ser
from tongxin.demands.open311.render import FORMATS, errors, respond
from tongxin.demands.selectors import state_labels

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
MAX_SPAN = timedelta(days=90)
MAX_DESCRIPTION = 4000  # the spec: "description … may be limited to 4000 characters"
MAX_IDS = 1000
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_ID_RE = re.compile(r"^\d{1,18}$")

# service field names → the spec's argument names
RENAMED = {
    "category": "service_code",
    "latitude": "lat",
    "longitude": "long",
    "address": "address_string",
    "community": "lat/long",
    "grid": "lat/long",
    "location": "lat/long",
    "contact_name": "last_name",
    "photos": "media_url",
}


def _setting(name: str, default):
    return settings.TONGXIN.get(name, default)


def max_requests() -> int:
    return int(_setting("OPEN311_MAX_REQUESTS", 1000))


def _bad_format(fmt: str):
    return errors("json", 404, _("Unknown format %(fmt)s: use .json or .xml.") % {"fmt": fmt[:10]})


def _only_get(request, fmt: str):
    if fmt not in FORMATS:
        return _bad_format(fmt)
    if request.method not in ("GET", "HEAD"):
        response = errors(fmt, 405, _("Method not allowed: use GET."))
        response["Allow"] = "GET, HEAD"
        return response
    return None


def public_requests():
    """Demands published through Open311 (see the module docstring)."""
    return Demand.objects.filter(confidential=False).exclude(channel=Channel.VISIT)


# --- discovery and services -----------------------------------------------------------------


@csrf_exempt  # no cookies involved: a POST gets the spec's 405, not a CSRF page
def discovery(request, fmt: str):
    refused = _only_get(request, fmt)
    if refused:
        return refused
    changed = Category.objects.aggregate(last=Max("updated_at"))["last"]
    changeset = ser.iso(changed or timezone.now())
    data = {
        "changeset": changeset,
        "contact": _setting("OPEN311_CONTACT", ""),
        "key_service": _setting("OPEN311_KEY_SERVICE", ""),
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": request.build_absolute_uri("/open311/v2/"),
                "changeset": changeset,
                "type": "production",
                "formats": ["text/xml", "application/json"],
            }
        ],
    }
    return respond(fmt, "discovery", data)


@csrf_exempt
def services(request, fmt: str):
    refused = _only_get(request, fmt)
    if refused:
        return refused
    return respond(fmt, "services", [ser.service_out(c) for c in ser.leaf_categories()])


def _service(code: str) -> Category | None:
    return next((c for c in ser.leaf_categories() if c.code == code), None)


@csrf_exempt
def service_definition(request, code: str, fmt: str):
    refused = _only_get(request, fmt)
    if refused:
        return refused
    category = _service(code)
    if category is None:
        return errors(fmt, 404, _("service_code %(code)s not found.") % {"code": code[:40]})
    return respond(fmt, "service_definition", ser.service_definition_out(category))


# --- requests -------------------------------------------------------------------------------


def _moment(field: str, text: str, problems: list[str]) -> datetime | None:
    value = None
    try:
        value = parse_datetime(text)
        if value is None:
            day = parse_date(text)
            if day is not None:
                value = datetime.combine(day, time.min)
    except ValueError:
        value = None
    if value is None:
        problems.append(
            _("%(field)s: enter an ISO 8601 date-time such as 2026-10-08T09:30:00+08:00.")
            % {"field": field}
        )
        return None
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    return value


def _list(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def _filtered(params) -> tuple[object, list[str]]:
    """(queryset, problems) of GET requests' filters."""
    problems: list[str] = []
    qs = public_requests()
    ids = params.get("service_request_id")
    if ids is not None:
        wanted = _list(ids)
        if not wanted or not all(_ID_RE.match(i) for i in wanted):
            problems.append(_("service_request_id: a comma-separated list of request ids."))
        elif len(wanted) > MAX_IDS:
            problems.append(_("service_request_id: at most %(n)s ids.") % {"n": MAX_IDS})
        # "This overrides all other arguments."
        return qs.filter(pk__in=[int(i) for i in wanted] if not problems else []), problems

    codes = params.get("service_code")
    if codes is not None:
        wanted = _list(codes)[: MAX_IDS + 1]
        found = dict(Category.objects.filter(code__in=wanted).values_list("code", "pk"))
        unknown = [c for c in wanted if c not in found]
        if not wanted or unknown:
            problems.append(
                _("service_code: unknown code %(code)s.") % {"code": (unknown or [""])[0][:40]}
            )
        else:
            ids = list(found.values())
            qs = qs.filter(Q(category_id__in=ids) | Q(category__parent_id__in=ids))

    start_text, end_text = params.get("start_date"), params.get("end_date")
    start = _moment("start_date", start_text, problems) if start_text else None
    end = _moment("end_date", end_text, problems) if end_text else None
    if not problems:
        try:
            if start is None and end is None:
                end = timezone.now()
            if start is None:
                start = end - MAX_SPAN
            if end is None:
                end = min(start + MAX_SPAN, max(start, timezone.now()))
        except OverflowError:  # the year 1 or 9999
            problems.append(_("start_date, end_date: out of range."))
    if not problems:
        if end < start:
            problems.append(_("end_date: before start_date."))
        elif end - start > MAX_SPAN:
            problems.append(_("start_date, end_date: may not span more than 90 days."))
        else:
            qs = qs.filter(created_at__gte=start, created_at__lte=end)

    status = params.get("status")
    if status is not None:
        wanted = set(_list(status))
        if not wanted or not wanted <= {"open", "closed"}:
            problems.append(_("status: open or closed (or both, comma-separated)."))
        elif wanted == {"open"}:
            qs = qs.filter(state__in=sorted(rules.OPEN_STATES))
        elif wanted == {"closed"}:
            qs = qs.exclude(state__in=sorted(rules.OPEN_STATES))
    return qs, problems


def _page(qs) -> list[dict]:
    rows = (
        qs.select_related("category", "department", "community")
        .only(
            "id",
            "state",
            "description",
            "address",
            "latitude",
            "longitude",
            "created_at",
            "updated_at",
            "due_at",
            "accept_due_at",
            "answered_at",
            "duplicate_of_id",
            "department__name",
            "community__name",
            "category__code",
            "category__name",
            "category__limit_value",
            "category__limit_unit",
        )
        .order_by("-created_at", "-id")[: max_requests()]
    )
    labels = state_labels()
    return [ser.request_out(d, labels) for d in rows]


@csrf_exempt
def requests(request, fmt: str):
    if fmt not in FORMATS:
        return _bad_format(fmt)
    if request.method == "POST":
        return create_request(request, fmt)
    if request.method not in ("GET", "HEAD"):
        response = errors(fmt, 405, _("Method not allowed: use GET or POST."))
        response["Allow"] = "GET, HEAD, POST"
        return response
    qs, problems = _filtered(request.GET)
    if problems:
        return errors(fmt, 400, problems)
    return respond(fmt, "service_requests", _page(qs))


@csrf_exempt
def request_detail(request, request_id: str, fmt: str):
    refused = _only_get(request, fmt)
    if refused:
        return refused
    found = []
    if _ID_RE.match(request_id):
        found = _page(public_requests().filter(pk=int(request_id)))
    if not found:
        return errors(fmt, 404, _("service_request_id %(id)s not found.") % {"id": request_id[:20]})
    return respond(fmt, "service_requests", found)


# --- POST Service Request -------------------------------------------------------------------


class _Identity:
    """A stand-in request for core.ratelimit whose client identity is an Open311 client, so
    that a key is limited whatever address it posts from."""

    def __init__(self, client: Open311Client):
        self.META = {"REMOTE_ADDR": f"open311-client-{client.pk}"}


def _too_many(fmt: str, rate: str):
    _limit, window = ratelimit.parse_rate(rate)
    response = errors(fmt, 429, ratelimit.message())
    response["Retry-After"] = str(ratelimit.retry_after(window))
    return response


def _text(params, field: str, max_length: int, problems: list[str]) -> str:
    value = (params.get(field) or "").strip()
    if _CONTROL_RE.search(value):
        problems.append(_("%(field)s: remove the control characters.") % {"field": field})
        return ""
    if len(value) > max_length:
        problems.append(
            _("%(field)s: at most %(n)s characters.") % {"field": field, "n": max_length}
        )
        return ""
    return value


def _coordinates(params, problems: list[str]):
    lat_text, long_text = (params.get("lat") or "").strip(), (params.get("long") or "").strip()
    if not lat_text and not long_text:
        return None, None
    if not lat_text or not long_text:
        problems.append(_("lat, long: send both, or neither and an address_string."))
        return None, None
    try:
        lat, long = float(lat_text), float(long_text)
    except ValueError:
        problems.append(_("lat, long: decimal degrees (WGS84)."))
        return None, None
    if not (-90 <= lat <= 90 and -180 <= long <= 180):
        problems.append(_("lat, long: out of range."))
        return None, None
    return round(lat, 6), round(long, 6)


def _contact_name(first: str, last: str) -> str:
    if any("\u4e00" <= ch <= "\u9fff" for ch in first + last):
        return last + first  # 姓 then 名
    return " ".join(p for p in (first, last) if p)


def _service_errors(exc: ValidationError) -> list[str]:
    if not hasattr(exc, "error_dict"):
        return [str(m) for m in exc.messages]
    return [
        f"{RENAMED.get(field, field)}: {message}"
        for field, messages in exc.message_dict.items()
        for message in messages
    ]


def create_request(request, fmt: str):
    """POST Service Request. 403 for a missing or unknown api_key, 400 naming each bad
    argument, 429 past the rate limits; nothing is written on any error."""
    from tongxin.demands.services import submit

    ip_rate = _setting("OPEN311_POST_RATE", "60/10m")
    if not ratelimit.hit_rate(request, "open311-post", ip_rate):
        return _too_many(fmt, ip_rate)
    params = request.POST
    key = (params.get("api_key") or request.GET.get("api_key") or "").strip()
    client = None
    if key and len(key) <= 200 and not _CONTROL_RE.search(key):
        from tongxin.demands.open311.clients import active_client

        client = active_client(digest(key))
    if client is None:
        return errors(fmt, 403, _("api_key: missing or not valid."))
    key_rate = _setting("OPEN311_KEY_RATE", "600/h")
    if not ratelimit.hit_rate(_Identity(client), "open311-key", key_rate):
        return _too_many(fmt, key_rate)

    problems: list[str] = []
    code = _text(params, "service_code", 32, problems)
    category = _service(code) if code else None
    if not code:
        problems.append(_("service_code: required."))
    elif category is None:
        problems.append(_("service_code: unknown code %(code)s.") % {"code": code})
    lat, long = _coordinates(params, problems)
    address = _text(params, "address_string", 200, problems)
    if lat is None and not address and not any(p.startswith(("lat", "long")) for p in problems):
        if (params.get("address_id") or "").strip():
            problems.append(_("address_id: not supported; send lat and long or address_string."))
        else:
            problems.append(_("lat, long or address_string: a location is required."))
    description = _text(params, "description", MAX_DESCRIPTION, problems)
    if not description and not any(p.startswith("description") for p in problems):
        problems.append(_("description: required."))
    first = _text(params, "first_name", 50, problems)
    last = _text(params, "last_name", 50, problems)
    phone = _text(params, "phone", 30, problems)
    if problems:
        return errors(fmt, 400, problems)
    try:
        demand = submit(
            channel=Channel.OPEN311,
            category=category,
            description=description,
            address=address,
            latitude=lat,
            longitude=long,
            contact_name=_contact_name(first, last),
            phone=phone,
            open311_client=client,
        )
    except ValidationError as exc:
        return errors(fmt, 400, _service_errors(exc))
    return respond(fmt, "service_requests", [ser.created_out(demand)])
