"""Every read of organisations and units: scoped through `visible_to`, bounded, no N+1."""

import base64
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404
from django.utils import timezone

from tongxin.orgs import rules
from tongxin.orgs.models import Coverage, Org, Unit, UnitCategory

PAGE_SIZE = 50
MAX_PAGE_SIZE = 200


def encode_cursor(value: str) -> str:
    return base64.urlsafe_b64encode(value.encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> str | None:
    if not cursor:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        return base64.urlsafe_b64decode(padded.encode()).decode()
    except (ValueError, UnicodeDecodeError):
        return None


def page_by_id(qs, after: str | None, limit: int, *, descending: bool = False):
    """One keyset page of `qs`, which is ordered by id (by -id when `descending`):
    (items, cursor of the next page or None). No COUNT, one query."""
    last = decode_cursor(after)
    if last and last.isdigit():
        qs = qs.filter(id__lt=int(last)) if descending else qs.filter(id__gt=int(last))
    items = list(qs[: limit + 1])
    next_cursor = encode_cursor(str(items[limit - 1].id)) if len(items) > limit else None
    return items[:limit], next_cursor


def search_filter(q: str) -> Q:
    q = q.strip().lower()
    return Q(search_key__contains=q) | Q(code__iexact=q)


def org_list(
    user,
    *,
    parent_id: int | None = None,
    type: str | None = None,
    q: str | None = None,
    after: str | None = None,
    limit: int = PAGE_SIZE,
):
    """A page of orgs in tree order; returns (items, next_cursor)."""
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    qs = Org.objects.visible_to(user).select_related("parent").order_by("path")
    if parent_id is not None:
        qs = qs.filter(parent_id=parent_id)
    if type:
        qs = qs.filter(type=type)
    if q:
        qs = qs.filter(search_filter(q))
    last = decode_cursor(after)
    if last:
        qs = qs.filter(path__gt=last)
    items = list(qs[: limit + 1])
    next_cursor = encode_cursor(items[limit - 1].path) if len(items) > limit else None
    return items[:limit], next_cursor


def org_detail(user, pk) -> Org:
    return get_object_or_404(Org.objects.visible_to(user).select_related("parent"), pk=pk)


def scope_roots(user) -> list[Org]:
    """The top nodes of the user's visible forest."""
    from tongxin.core.scoping import scope_paths

    return list(Org.objects.filter(path__in=scope_paths(user)).order_by("path"))


def area_choices(user):
    """(streets, communities) a user may place units in: visible ones, plus the streets that
    hold the user's visible communities (a community admin's street lies above their scope)."""
    visible = Org.objects.visible_to(user)
    communities = visible.filter(type=rules.COMMUNITY).order_by("path")
    streets = (
        Org.objects.filter(type=rules.STREET)
        .filter(
            Q(pk__in=visible.filter(type=rules.STREET).values("pk"))
            | Q(pk__in=communities.values("parent_id"))
        )
        .order_by("path")
    )
    return streets, communities


def children_of(user, org: Org) -> list[Org]:
    return list(
        Org.objects.visible_to(user)
        .filter(parent=org)
        .annotate(child_count=Count("children"))
        .order_by("path")
    )


def breadcrumbs(user, org: Org) -> list[Org]:
    visible = Org.objects.visible_to(user).filter(path__in=org.ancestor_paths())
    return list(visible.order_by("path"))


def advisories_for(org: Org, *, today=None) -> list[rules.Advisory]:
    return rules.org_advisories(
        org_type=org.type,
        member_count=org.member_count,
        full_member_count=org.full_member_count,
        has_committee=org.has_committee,
        term_ends_on=org.term_ends_on,
        host_unit_count=org.host_units.count() if org.type == rules.JOINT_BRANCH else 0,
        today=today or timezone.localdate(),
        lead_days=settings.TONGXIN["TERM_REMINDER_DAYS"],
    )


def terms_due(user, *, today=None, limit: int = 100):
    """Orgs in scope whose term has ended or ends within the reminder lead time."""
    today = today or timezone.localdate()
    horizon = today + timedelta(days=settings.TONGXIN["TERM_REMINDER_DAYS"])
    return list(
        Org.objects.visible_to(user)
        .filter(active=True, term_ends_on__lte=horizon)
        .select_related("parent")
        .order_by("term_ends_on")[:limit]
    )


def org_stats(user, org: Org) -> dict:
    sub = Org.objects.visible_to(user).filter(path__startswith=org.path)
    by_type = dict(sub.values_list("type").annotate(n=Count("id")).order_by())
    units = Unit.objects.visible_to(user).filter(
        Q(street__path__startswith=org.path)
        | Q(community__path__startswith=org.path)
        | Q(org__path__startswith=org.path)
    )
    return {"by_type": by_type, "unit_count": units.count()}


# --- units ----------------------------------------------------------------------------------


@dataclass
class UnitFilters:
    q: str = ""
    street: int | None = None
    community: int | None = None
    category: str = ""
    coverage: str = ""
    flagged: bool = False


def unit_queryset(user, filters: UnitFilters):
    qs = Unit.objects.visible_to(user).select_related("street", "community", "org")
    if filters.q:
        q = filters.q.strip()
        qs = qs.filter(search_filter(q) | Q(credit_code=q.upper()))
    if filters.street:
        qs = qs.filter(street_id=filters.street)
    if filters.community:
        qs = qs.filter(community_id=filters.community)
    if filters.category:
        qs = qs.filter(category=filters.category)
    if filters.coverage == "covered":
        qs = qs.exclude(coverage=Coverage.NONE)
    elif filters.coverage:
        qs = qs.filter(coverage=filters.coverage)
    if filters.flagged:
        qs = qs.filter(party_member_count__gte=rules.UNIT_MIN_FULL_MEMBERS).exclude(
            coverage=Coverage.OWN_ORG
        )
    return qs


def unit_list(user, filters: UnitFilters, *, after: str | None = None, limit: int = PAGE_SIZE):
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    qs = unit_queryset(user, filters).order_by("id")
    return page_by_id(qs, after, limit)


def unit_detail(user, pk) -> Unit:
    qs = Unit.objects.visible_to(user).select_related("street", "community", "org")
    return get_object_or_404(qs, pk=pk)


# --- coverage -------------------------------------------------------------------------------

GROUPINGS = {
    "street": ("street_id", "street__name"),
    "community": ("community_id", "community__name"),
    "category": ("category", None),
}


def coverage_summary(user, *, by: str = "street") -> dict:
    """Coverage of units in scope, grouped by street, community or category.

    One aggregate query per grouping; the totals row sums the groups.
    """
    key, label = GROUPINGS.get(by, GROUPINGS["street"])
    fields = [key] + ([label] if label else [])
    flagged = Q(party_member_count__gte=rules.UNIT_MIN_FULL_MEMBERS) & ~Q(coverage=Coverage.OWN_ORG)
    rows = (
        Unit.objects.visible_to(user)
        .filter(active=True)
        .values(*fields)
        .annotate(
            total=Count("id"),
            own_org=Count("id", filter=Q(coverage=Coverage.OWN_ORG)),
            joint_branch=Count("id", filter=Q(coverage=Coverage.JOINT_BRANCH)),
            instructor=Count("id", filter=Q(coverage=Coverage.INSTRUCTOR)),
            none=Count("id", filter=Q(coverage=Coverage.NONE)),
            flagged=Count("id", filter=flagged),
        )
        .order_by(label or key)
    )
    category_labels = dict(UnitCategory.choices)
    groups = []
    totals = {"total": 0, "own_org": 0, "joint_branch": 0, "instructor": 0, "none": 0, "flagged": 0}
    for row in rows:
        name = row.get(label) if label else category_labels.get(row[key], row[key])
        covered = row["total"] - row["none"]
        group = {
            "key": row[key],
            "name": str(name) if name is not None else "",
            **{k: row[k] for k in totals},
            "covered": covered,
            "rate": rules.coverage_rate(covered, row["total"]),
        }
        groups.append(group)
        for k in totals:
            totals[k] += row[k]
    totals["covered"] = totals["total"] - totals["none"]
    totals["rate"] = rules.coverage_rate(totals["covered"], totals["total"])
    return {"by": by if by in GROUPINGS else "street", "groups": groups, "totals": totals}
