"""Every staff read of demands: scoped through `Demand.objects.visible_to(user)` (access.py),
keyset-paged by id (newest first), no N+1.

* `demands_for(user, *, after=None, limit=50, **filters) -> (items, next)` — the list of
  the pages and the API; filters are parsed by `parse_filters` (strings from a query string
  or typed values; a bad value raises ValidationError naming the field).
* `get_demand(user, pk)` — one demand with everything its page shows; Http404 outside the
  user's scope.
* `timeline(demand, *, public_only=False)` — the events in order, with their photos.
"""

from __future__ import annotations

import contextlib
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db.models import Model, Prefetch, Q
from django.http import Http404
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from tongxin.demands import rules
from tongxin.demands.models import (
    Category,
    Channel,
    Demand,
    DemandEvent,
    Escalation,
    ExtensionRequest,
    Photo,
    State,
    StateLabel,
    Summons,
    Supervision,
)
from tongxin.orgs.selectors import MAX_PAGE_SIZE, PAGE_SIZE, page_by_id

# `state` filter values beyond models.State
OPEN = "open"
CLOSED = "closed"  # every state outside rules.OPEN_STATES (answered, closed, rated, …)
ALL = "all"

# never needed on a list (encrypted or long)
_LIST_DEFER = ("contact_name", "phone", "answer", "rating_comment", "refuse_reason")

FILTERS = (
    "state",
    "channel",
    "category",
    "community",
    "street",
    "grid",
    "org",
    "department",
    "handler",
    "overdue",
    "supervised",
    "escalated",
    "q",
)

_TRUE = {"1", "true", "yes", "on", "y"}
_FALSE = {"0", "false", "no", "off", "n"}


def _bad(field: str, message):
    return ValidationError({field: [message]})


def _parse_bool(field: str, value):
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise _bad(field, _("Enter yes or no (1 or 0)."))


def _parse_id(field: str, value):
    if value is None or value == "":
        return None
    if isinstance(value, Model):
        return value.pk
    if isinstance(value, bool):
        raise _bad(field, _("Enter a whole number."))
    if isinstance(value, int):
        return value
    text = str(value).strip()
    if text.isascii() and text.isdigit() and len(text) < 19:
        return int(text)
    raise _bad(field, _("Enter a whole number."))


def parse_filters(**filters) -> dict:
    """Normalise list filters (strings from a form or query string, or typed values).

    state: a State value, "open", "closed" or "all" (default: all); channel: a Channel;
    category (a top-level category includes its subcategories), community, street, grid,
    org (any org: its whole subtree), department, handler: ids or objects; overdue,
    supervised, escalated: booleans; q: a tracking code or words of the title/description.
    Empty values are dropped; an unknown filter or a bad value raises ValidationError."""
    unknown = sorted(set(filters) - set(FILTERS))
    if unknown:
        raise _bad(unknown[0], _("Unknown filter."))
    out: dict = {}
    state = filters.get("state")
    if state not in (None, "", ALL):
        if isinstance(state, (list, tuple, set, frozenset)):
            states = [str(s) for s in state]
        else:
            states = [str(state)]
        for s in states:
            if s not in State.values and s not in (OPEN, CLOSED):
                raise _bad("state", _("Unknown state."))
        out["state"] = states
    channel = filters.get("channel")
    if channel not in (None, ""):
        if channel not in Channel.values:
            raise _bad("channel", _("Unknown channel."))
        out["channel"] = str(channel)
    for field in ("category", "community", "street", "grid", "org", "department", "handler"):
        value = _parse_id(field, filters.get(field))
        if value is not None:
            out[field] = value
    for field in ("overdue", "supervised", "escalated"):
        value = _parse_bool(field, filters.get(field))
        if value is not None:
            out[field] = value
    q = filters.get("q")
    if q is not None and str(q).strip():
        q = str(q).strip()
        if len(q) > 100:
            raise _bad("q", _("Search for at most 100 characters."))
        out["q"] = q
    return out


def scoped(user):
    """The demands the user may see (access.demand_scope_q: subqueries, no many-valued
    joins, so each demand appears once)."""
    return Demand.objects.visible_to(user)


def _state_q(states: list[str]) -> Q:
    wanted: set[str] = set()
    for s in states:
        if s == OPEN:
            wanted |= rules.OPEN_STATES
        elif s == CLOSED:
            wanted |= rules.ALL_STATES - rules.OPEN_STATES
        else:
            wanted.add(s)
    return Q(state__in=sorted(wanted)) if len(wanted) != 1 else Q(state=next(iter(wanted)))


def _search_q(q: str) -> Q:
    code = q.upper()
    if code.isascii() and code.isalnum() and len(code) <= 16 and any(ch.isdigit() for ch in code):
        # a tracking code (or its start); words with digits fall through to text too
        return Q(code=code) | Q(title__icontains=q) | Q(description__icontains=q)
    return Q(title__icontains=q) | Q(description__icontains=q)


def demand_queryset(user, **filters):
    """The scoped, filtered queryset (no ordering, no related objects)."""
    f = parse_filters(**filters)
    qs = scoped(user)
    if "state" in f:
        qs = qs.filter(_state_q(f["state"]))
    if "channel" in f:
        qs = qs.filter(channel=f["channel"])
    if "category" in f:
        qs = qs.filter(Q(category_id=f["category"]) | Q(category__parent_id=f["category"]))
    for field in ("community", "street", "grid", "department", "handler"):
        if field in f:
            qs = qs.filter(**{f"{field}_id": f[field]})
    if "org" in f:
        from tongxin.orgs.models import Org

        path = Org.objects.filter(pk=f["org"]).values_list("path", flat=True).first()
        qs = qs.filter(community__path__startswith=path) if path else qs.none()
    for field in ("overdue", "supervised", "escalated"):
        if field in f:
            qs = qs.filter(**{field: f[field]})
    if "q" in f:
        qs = qs.filter(_search_q(f["q"]))
    return qs


def demands_for(user, *, after: str | None = None, limit: int = PAGE_SIZE, **filters):
    """A page of demands, newest first: (items, next_cursor). See `parse_filters`. Items
    carry category (with parent), community, street, grid and department, and
    `current_due` / `late` (see `annotate_clock`)."""
    try:
        limit = max(1, min(int(limit or PAGE_SIZE), MAX_PAGE_SIZE))
    except (TypeError, ValueError):
        raise _bad("limit", _("Enter a whole number.")) from None
    qs = (
        demand_queryset(user, **filters)
        .select_related("category__parent", "community", "street", "grid", "department")
        .defer(*_LIST_DEFER)
        .order_by("-id")
    )
    items, next_cursor = page_by_id(qs, after, limit, descending=True)
    now = timezone.now()
    for d in items:
        annotate_clock(d, now=now)
    return items, next_cursor


def get_demand(user, pk) -> Demand:
    """One demand the user may see, with its timeline, photos, extensions, supervisions,
    escalations and summonses prefetched; Http404 otherwise (also for a malformed pk)."""
    try:
        pk = int(str(pk))
    except (TypeError, ValueError):
        raise Http404 from None
    qs = (
        scoped(user)
        .select_related(
            "category__parent",
            "community",
            "street",
            "grid",
            "department",
            "handler",
            "duplicate_of",
            "visit",
            "open311_client",
        )
        .prefetch_related(
            Prefetch(
                "events",
                queryset=DemandEvent.objects.select_related("actor").prefetch_related(
                    Prefetch("photos", queryset=Photo.objects.order_by("id"))
                ),
            ),
            Prefetch("photos", queryset=Photo.objects.order_by("id")),
            Prefetch(
                "extensions",
                queryset=ExtensionRequest.objects.select_related("requested_by", "decided_by"),
            ),
            Prefetch("supervisions", queryset=Supervision.objects.select_related("org", "by")),
            Prefetch(
                "escalations",
                queryset=Escalation.objects.select_related(
                    "from_org", "to_org", "by"
                ).prefetch_related(
                    Prefetch(
                        "summonses",
                        queryset=Summons.objects.select_related("department", "answered_by"),
                    )
                ),
            ),
            Prefetch(
                "duplicates", queryset=Demand.objects.only("id", "code", "state", "duplicate_of")
            ),
        )
    )
    demand = qs.filter(pk=pk).first()
    if demand is None:
        raise Http404
    return annotate_clock(demand)


def timeline(demand: Demand, *, public_only: bool = False) -> list[DemandEvent]:
    """The demand's events in order (prefetched ones when `get_demand` loaded it), each with
    `photo_list`. `public_only`: what the resident sees (no staff names: `who` is the
    actor's label or the kind of body that acted)."""
    events = list(demand.events.all())
    if "events" not in getattr(demand, "_prefetched_objects_cache", {}):
        events = list(
            demand.events.select_related("actor").prefetch_related("photos").order_by("at", "id")
        )
    out = []
    for e in events:
        if public_only and not e.public:
            continue
        e.photo_list = list(e.photos.all())
        if public_only:
            e.who = e.actor_label or ""
        else:
            e.who = (
                (e.actor.get_full_name() or e.actor.get_username()) if e.actor else e.actor_label
            )
        out.append(e)
    return out


# -- the clock on screen -------------------------------------------------------------


def current_due(demand: Demand) -> datetime | None:
    """The due time that matters now: acceptance while pending, handling while open, the
    return visit once closed/rated; None when nothing is running."""
    if demand.state == rules.PENDING:
        return demand.accept_due_at
    if demand.state in rules.OPEN_STATES:
        return demand.due_at
    if demand.state in (rules.CLOSED, rules.RATED):
        return demand.visit_due_at
    return None


def annotate_clock(demand: Demand, *, now: datetime | None = None) -> Demand:
    """Sets `current_due` and `late` (the overdue flag, or the running clock already past)."""
    now = now or timezone.now()
    due = current_due(demand)
    demand.current_due = due
    demand.late = bool(demand.overdue or (due is not None and due < now))
    return demand


def state_labels() -> dict[str, str]:
    """Display name of every state: the district's own (StateLabel, written in Chinese) or
    the default — in another language the translated default."""
    labels = {value: str(label) for value, label in State.choices}
    if (translation.get_language() or "").startswith("zh"):
        labels.update(dict(StateLabel.objects.values_list("state", "label")))
    return labels


CATEGORY_CACHE_KEY = "tongxin:demands:active-categories:v1"
#: At most this long may a process serve category rows it cached (every save or delete of a
#: Category drops them at once: demands.apps; this bounds other processes' local caches).
CATEGORY_CACHE_SECONDS = 60


def active_categories() -> list[Category]:
    """The active categories with their parent, from Django's cache when there (see
    CATEGORY_CACHE_SECONDS), else one query. Each call returns fresh instances."""
    from django.core.cache import cache

    try:
        cats = cache.get(CATEGORY_CACHE_KEY)
    except Exception:  # a cache outage: read the database
        cats = None
    if cats is None:
        cats = list(Category.objects.filter(active=True).select_related("parent"))
        with contextlib.suppress(Exception):  # a cache outage must not fail the request
            cache.set(CATEGORY_CACHE_KEY, cats, CATEGORY_CACHE_SECONDS)
    return cats


def parents_with_active_children() -> set[int]:
    """Ids of the categories that have an active subcategory."""
    return {c.parent_id for c in active_categories() if c.parent_id}


def forget_categories() -> None:
    """Drop the cached category rows, now and when the current transaction commits."""
    from django.core.cache import cache
    from django.db import transaction

    def drop():
        with contextlib.suppress(Exception):  # a cache outage must not fail the request
            cache.delete(CATEGORY_CACHE_KEY)

    drop()
    transaction.on_commit(drop)


def category_choices() -> list[tuple[str, list[tuple[int, str]]]]:
    """Active leaf categories grouped by their top level, for a <select> with optgroups."""
    cats = active_categories()
    parents_with_children = {c.parent_id for c in cats if c.parent_id}
    groups: dict[int, tuple[str, list]] = {}
    for c in cats:
        if c.parent_id is None and c.id not in parents_with_children:
            groups.setdefault(c.id, (c.name, []))[1].append((c.id, c.name))
        elif c.parent_id is not None and c.parent.active:
            groups.setdefault(c.parent_id, (c.parent.name, []))[1].append((c.id, c.name))
    return [groups[k] for k in sorted(groups, key=lambda k: _order_of(cats, k))]


def _order_of(cats, pk):
    for c in cats:
        if c.id == pk:
            return (c.order, c.id)
    return (0, pk)
