"""Every read of grids: scoped through `Grid.objects.visible_to` (access.grid_scope_q),
keyset-paged, no N+1."""

from __future__ import annotations

from django.db.models import Count, Q
from django.shortcuts import get_object_or_404

from tongxin.grid import rules
from tongxin.grid.models import Grid, Visit
from tongxin.orgs.selectors import page_by_id

PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
MAP_MAX_GRIDS = 5000  # a city's grids fit; beyond that the map asks to pick a community


def grid_queryset(user, *, community: int | None = None, q: str = ""):
    qs = Grid.objects.visible_to(user).filter(active=True)
    if community:
        qs = qs.filter(community_id=community)
    q = (q or "").strip()
    if q:
        qs = qs.filter(Q(search_key__contains=q.lower()) | Q(name__contains=q) | Q(code__iexact=q))
    return qs


def grid_list(user, *, community=None, q="", after=None, limit=PAGE_SIZE):
    """A page of grids by id: (items, next cursor). Leader and community in the same query."""
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    qs = (
        grid_queryset(user, community=community, q=q)
        .select_related("community", "leader", "party_org")
        .defer("boundary", "search_key")
        .order_by("id")
    )
    return page_by_id(qs, after, limit)


def grid_detail(user, pk) -> Grid:
    """A grid in the user's scope, with its workers; 404 otherwise."""
    qs = (
        Grid.objects.visible_to(user)
        .select_related("community", "leader", "party_org")
        .prefetch_related("workers")
    )
    return get_object_or_404(qs, pk=pk)


def grid_counts(grid: Grid) -> dict:
    return Grid.objects.filter(pk=grid.pk).aggregate(
        buildings=Count("buildings", distinct=True),
        households=Count("households", distinct=True),
    )


def map_features(user, *, community: int | None = None) -> dict:
    """The user's grids with a boundary as a GeoJSON FeatureCollection (for the map page).
    Properties: id, name, code, community, url-free (the page builds links)."""
    qs = (
        grid_queryset(user, community=community)
        .filter(boundary__isnull=False)
        .select_related("community")
        .only("id", "name", "code", "boundary", "community__name")
        .order_by("id")[:MAP_MAX_GRIDS]
    )
    features = []
    for grid in qs:
        if rules.boundary_errors(grid.boundary):  # never draw a stored value the rules refuse
            continue
        features.append(
            {
                "type": "Feature",
                "id": grid.pk,
                "geometry": grid.boundary,
                "properties": {
                    "id": grid.pk,
                    "name": grid.name,
                    "code": grid.code,
                    "community": grid.community.name,
                },
            }
        )
    return {"type": "FeatureCollection", "features": features}


def recent_visits(user, *, grid: Grid | None = None, household=None, limit: int = 20):
    qs = Visit.objects.visible_to(user).select_related("household__building", "visitor")
    if grid is not None:
        qs = qs.filter(grid=grid)
    if household is not None:
        qs = qs.filter(household=household)
    return list(qs.order_by("-visited_on", "-id")[:limit])


def my_visits(user, *, after=None, limit=PAGE_SIZE):
    """Visits the user logged, newest first (keyset by id descending)."""
    qs = (
        Visit.objects.visible_to(user)
        .filter(visitor=user)
        .select_related("household__building", "grid", "visitor")
        .order_by("-id")
    )
    return page_by_id(qs, after, max(1, min(limit, MAX_PAGE_SIZE)), descending=True)
