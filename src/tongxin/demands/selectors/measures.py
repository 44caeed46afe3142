"""Measures of the demand loop (issue 6 item 8, DOMAIN.md §8.8) — the reads.

One grouped query per page: the demands RECEIVED in the period (created_at from the start
of `start` to the end of `end`, Asia/Shanghai days), inside the user's scope
(`Demand.objects.visible_to(user)`, optionally narrowed to a street or community), grouped
by department, handler, grid, community, street or category. The arithmetic is the workflow
rules' `rules.measures` (what each rate divides by what, defined there per demand); this
module computes exactly the same sums in SQL, one conditional aggregate per field of
`rules.Measures` (`aggregates`), and hands them to `rules.Measures` for the rates — a test
checks the SQL sums against `rules.measures` over the same rows.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from dataclasses import fields as dataclass_fields
from datetime import date, datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db.models import Count, F, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tongxin.core.workdays import SHANGHAI
from tongxin.demands import rules
from tongxin.demands.models import Category, Demand, Department
from tongxin.orgs.models import Org

# group key → (Demand column, label)
DIMENSIONS: dict[str, tuple[str, object]] = {
    "department": ("department_id", _("Department")),
    "handler": ("handler_id", _("Handler")),
    "grid": ("grid_id", _("Grid")),
    "community": ("community_id", _("Community")),
    "street": ("street_id", _("Street")),
    "category": ("category_id", _("Category")),
}

COUNT_NAMES = tuple(f.name for f in dataclass_fields(rules.Measures))


def aggregates() -> dict:
    """One SQL aggregate per field of rules.Measures, each the sum `rules.measures` makes."""
    answered = Q(state__in=rules.ANSWERED_STATES) | Q(reopen_count__gt=0)
    accepted = Q(accepted_at__isnull=False)
    return {
        "total": Count("pk"),
        "responded": Count("pk", filter=accepted),
        "responded_on_time": Count(
            "pk",
            filter=accepted
            & (Q(accept_due_at__isnull=True) | Q(accepted_at__lte=F("accept_due_at"))),
        ),
        "answered": Count("pk", filter=answered),
        "answered_on_time": Count(
            "pk",
            filter=answered
            & Q(answered_at__isnull=False)
            & (Q(due_at__isnull=True) | Q(answered_at__lte=F("due_at"))),
        ),
        "resolved": Count("pk", filter=Q(state__in=rules.RESOLVED_STATES)),
        "rated": Count("pk", filter=~Q(rating="")),
        "satisfied": Count("pk", filter=Q(rating__in=rules.SATISFIED_RATINGS)),
        "reopened": Count("pk", filter=Q(reopen_count__gt=0)),
        "overdue": Count("pk", filter=Q(overdue=True)),
        "handling_minutes": Sum("handling_minutes"),
        "handling_count": Count("handling_minutes"),
        "to_resolve": Count("pk", filter=~Q(state__in=rules.TERMINAL_WITHOUT_ANSWER)),
    }


def period_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """[start 00:00, the day after end 00:00) in Asia/Shanghai, as aware datetimes."""
    return (
        datetime.combine(start, time.min, tzinfo=SHANGHAI),
        datetime.combine(end + timedelta(days=1), time.min, tzinfo=SHANGHAI),
    )


def measure_scope(user, area: Org | None = None):
    """The demands the user may measure: their scope (`visible_to`: single-valued joins and
    id subqueries only, so a demand is never counted twice — a test holds it to that),
    narrowed to `area` (a street or a community).

    For speed at city scale the same set is also stated on the demand's own indexed
    columns (street_id / community_id): an area is its street or community; a user who
    handles no department sees exactly the streets and communities at the top of their
    scope. These filters are redundant with visible_to (never wider), but let PostgreSQL
    read one street's demands by index instead of the whole period (benchmarks/RESULTS.md).
    """
    from tongxin.core.scoping import scope_paths
    from tongxin.demands.access import STAFF_ROLES
    from tongxin.orgs import rules as org_rules

    qs = Demand.objects.visible_to(user)
    if area is not None:
        if area.type == org_rules.STREET:
            qs = qs.filter(street_id=area.pk)
        elif area.type == org_rules.COMMUNITY:
            qs = qs.filter(community_id=area.pk)
        else:
            qs = qs.filter(community__path__startswith=area.path)
        return qs
    if qs.query.where and not Department.objects.filter(handlers=user).exists():
        roots = list(
            Org.objects.filter(path__in=scope_paths(user, STAFF_ROLES)).values_list("pk", "type")
        )
        streets = [pk for pk, t in roots if t == org_rules.STREET]
        communities = [pk for pk, t in roots if t == org_rules.COMMUNITY]
        if roots and len(streets) + len(communities) == len(roots):
            qs = qs.filter(Q(street_id__in=streets) | Q(community_id__in=communities))
    return qs


@dataclass
class MeasureRow:
    key: int | None
    label: str
    measures: rules.Measures


@dataclass
class MeasureTable:
    by: str
    start: date
    end: date
    area: Org | None
    now: datetime
    rows: list[MeasureRow]
    total: MeasureRow


def measures(
    user,
    *,
    by: str,
    start: date,
    end: date,
    area: Org | None = None,
    now: datetime | None = None,
    cache_seconds: int = 0,
) -> MeasureTable:
    """The measures of the user's scope for demands received from `start` to `end`
    (inclusive, local days), one row per group of `by` (DIMENSIONS), plus the total.
    `now` is when they are taken (shown on the page and in the export as "as of").

    Two queries: the grouped aggregate and the groups' names. With `cache_seconds`, the
    grouped counts are kept that long in the cache under the compiled query (the scope, the
    grouping and the period are all in it), and `now` becomes the time they were taken — a
    district's year is millions of rows, and measures a few minutes old serve assessment
    as well as fresh ones (the overdue check runs on the same cadence)."""
    if by not in DIMENSIONS:
        raise ValueError(f"unknown grouping {by!r}")
    now = now or timezone.now()
    column = DIMENSIONS[by][0]
    low, high = period_bounds(start, end)
    grouped = (
        measure_scope(user, area)
        .filter(created_at__gte=low, created_at__lt=high)
        .order_by()
        .values(column)
        .annotate(**{f"m_{name}": agg for name, agg in aggregates().items()})
    )
    if cache_seconds > 0:
        sql, params = grouped.query.sql_with_params()
        key = "demand-measures:" + hashlib.sha256(f"{sql}|{params!r}".encode()).hexdigest()
        cached = cache.get(key)
        if cached is None:
            cached = (now, list(grouped))
            cache.set(key, cached, cache_seconds)
        now, raw = cached
    else:
        raw = list(grouped)
    names = _labels(by, [r[column] for r in raw if r[column] is not None])
    rows = []
    for r in raw:
        m = rules.Measures(**{name: r[f"m_{name}"] or 0 for name in COUNT_NAMES})
        key = r[column]
        label = names.get(key, "") if key is not None else str(_none_label(by))
        rows.append(MeasureRow(key=key, label=label, measures=m))
    rows.sort(key=lambda row: (row.key is None, row.label, row.key or 0))
    # every demand is in exactly one group (None included): the sums add up
    total = rules.Measures(
        **{name: sum(getattr(row.measures, name) for row in rows) for name in COUNT_NAMES}
    )
    return MeasureTable(
        by=by,
        start=start,
        end=end,
        area=area,
        now=now,
        rows=rows,
        total=MeasureRow(key=None, label=str(_("Total")), measures=total),
    )


def _none_label(by: str):
    return {
        "department": _("Handled by the community itself"),
        "handler": _("Not yet assigned"),
        "grid": _("Outside any grid"),
    }.get(by, _("Unknown"))


def _labels(by: str, keys: list[int]) -> dict[int, str]:
    if not keys:
        return {}
    if by == "department":
        return dict(Department.objects.filter(pk__in=keys).values_list("pk", "name"))
    if by == "handler":
        User = get_user_model()
        return {
            pk: display or username
            for pk, display, username in User.objects.filter(pk__in=keys).values_list(
                "pk", "display_name", "username"
            )
        }
    if by == "grid":
        from tongxin.grid.models import Grid

        return dict(Grid.objects.filter(pk__in=keys).values_list("pk", "name"))
    if by == "category":
        return {
            pk: f"{parent} / {name}" if parent else name
            for pk, name, parent in Category.objects.filter(pk__in=keys).values_list(
                "pk", "name", "parent__name"
            )
        }
    return dict(Org.objects.filter(pk__in=keys).values_list("pk", "name"))


def area_choices(user) -> list[Org]:
    """Streets and communities the user may narrow the measures to: the streets of their
    scope (a district administrator: all of them), and the communities when the scope is
    a street or smaller — a short list even at city scale."""
    from tongxin.demands.access import STAFF_ROLES
    from tongxin.orgs import rules as org_rules

    visible = Org.objects.visible_to(user, STAFF_ROLES).filter(
        type__in=(org_rules.STREET, org_rules.COMMUNITY)
    )
    streets = list(visible.filter(type=org_rules.STREET).order_by("path")[:300])
    if len(streets) > 1:
        return streets
    return list(visible.order_by("path")[:300])


def area_queryset(user):
    from tongxin.demands.access import STAFF_ROLES
    from tongxin.orgs import rules as org_rules

    return Org.objects.visible_to(user, STAFF_ROLES).filter(
        type__in=(org_rules.STREET, org_rules.COMMUNITY)
    )
