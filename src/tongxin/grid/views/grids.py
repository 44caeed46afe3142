"""Grid pages: list, map, detail, create and edit (thin: parse, call, render).

Url names: grid:list, grid:map, grid:create, grid:detail, grid:edit, grid:building_create,
grid:household_create.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _

from tongxin.core.errors import ValidationError
from tongxin.core.scoping import MANAGER_ROLES, scope_paths
from tongxin.grid import access, rules
from tongxin.grid.forms import BuildingForm, GridForm, HouseholdForm, apply_service_errors
from tongxin.grid.selectors import grids as selectors
from tongxin.grid.selectors import households as household_selectors
from tongxin.grid.services import grids as grid_services
from tongxin.grid.services import households as household_services

T = "grid/"
DEFAULT_CENTRE = (119.296, 26.082)  # Gulou district, Fuzhou: where an empty map opens


def _int(value) -> int | None:
    text = str(value) if value else ""
    return int(text) if text.isascii() and text.isdigit() and len(text) < 18 else None


def map_settings() -> dict:
    """django-leaflet overrides: base tiles from TONGXIN["MAP_TILE_URL"] (none when empty —
    the boundaries draw on a blank background, no request leaves the intranet)."""
    url = settings.TONGXIN.get("MAP_TILE_URL", "")
    return {
        "TILES": [(_("Base map"), url, {"maxZoom": 18})] if url else [],
        "SPATIAL_EXTENT": None,
        "RESET_VIEW": False,
        # Leaflet's licence credit as plain text (its default prefix carries a flag icon)
        "ATTRIBUTION_PREFIX": "Leaflet",
        "DEFAULT_CENTER": None,
        "DEFAULT_ZOOM": None,
    }


@login_required
def grid_list(request):
    access.require_grid_role(request.user)
    q = request.GET.get("q", "").replace("\x00", "")[:50]
    community = _int(request.GET.get("community"))
    items, next_cursor = selectors.grid_list(
        request.user, community=community, q=q, after=request.GET.get("after")
    )
    query = request.GET.copy()
    query.pop("after", None)
    return render(
        request,
        T + "list.html",
        {
            "grids": items,
            "next_cursor": next_cursor,
            "query": query.urlencode(),
            "q": q,
            "can_create": bool(scope_paths(request.user, MANAGER_ROLES)),
        },
    )


@login_required
def grid_map(request):
    access.require_grid_role(request.user)
    features = selectors.map_features(request.user, community=_int(request.GET.get("community")))
    return render(
        request,
        T + "map.html",
        {
            "features": features,
            "leaflet_overrides": map_settings(),
            "default_centre": [DEFAULT_CENTRE[1], DEFAULT_CENTRE[0]],
        },
    )


@login_required
def grid_create(request):
    access.require_grid_role(request.user)
    if not scope_paths(request.user, MANAGER_ROLES):
        raise PermissionDenied(_("Only community administrators create grids."))
    form = GridForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            grid = grid_services.create_grid(actor=request.user, **form.service_fields())
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Grid created."))
            return redirect("grid:detail", grid.pk)
    return render(
        request,
        T + "grid_form.html",
        {"form": form, "title": _("New grid")},
        status=400 if form.errors else 200,
    )


@login_required
def grid_detail(request, grid_id):
    grid = selectors.grid_detail(request.user, grid_id)
    households, next_cursor = household_selectors.household_list(
        request.user,
        grid=grid,
        q=request.GET.get("q", "").replace("\x00", "")[:50],
        building=_int(request.GET.get("building")),
        after=request.GET.get("after"),
    )
    feature = None
    if grid.boundary and not rules.boundary_errors(grid.boundary):
        feature = {"type": "FeatureCollection", "features": [
            {"type": "Feature", "geometry": grid.boundary,
             "properties": {"id": grid.pk, "name": grid.name, "code": grid.code}}
        ]}  # fmt: skip
    return render(
        request,
        T + "detail.html",
        {
            "grid": grid,
            "counts": selectors.grid_counts(grid),
            "buildings": household_selectors.buildings_of(grid),
            "households": households,
            "next_cursor": next_cursor,
            "visits": selectors.recent_visits(request.user, grid=grid, limit=10),
            "manages": access.manages(request.user, grid),
            "works_in": access.works_in(request.user, grid),
            "features": feature,
            "leaflet_overrides": map_settings(),
            "default_centre": [DEFAULT_CENTRE[1], DEFAULT_CENTRE[0]],
        },
    )


@login_required
def grid_edit(request, grid_id):
    grid = selectors.grid_detail(request.user, grid_id)
    if not access.manages(request.user, grid):
        raise PermissionDenied(_("Only the community's administrators change a grid."))
    form = GridForm(request.POST or None, user=request.user, grid=grid)
    if request.method == "POST" and form.is_valid():
        try:
            grid_services.update_grid(actor=request.user, grid=grid, **form.service_fields())
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("grid:detail", grid.pk)
    return render(
        request,
        T + "grid_form.html",
        {"form": form, "grid": grid, "title": _("Edit grid")},
        status=400 if form.errors else 200,
    )


def _works_in_or_403(request, grid):
    if not access.works_in(request.user, grid):
        raise PermissionDenied(_("You do not work in this grid."))


@login_required
def building_create(request, grid_id):
    grid = selectors.grid_detail(request.user, grid_id)
    _works_in_or_403(request, grid)
    form = BuildingForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            household_services.create_building(actor=request.user, grid=grid, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Building added."))
            return redirect("grid:detail", grid.pk)
    return render(
        request,
        T + "form.html",
        {"form": form, "grid": grid, "title": _("New building")},
        status=400 if form.errors else 200,
    )


@login_required
def household_create(request, grid_id):
    grid = selectors.grid_detail(request.user, grid_id)
    _works_in_or_403(request, grid)
    form = HouseholdForm(request.POST or None, grid=grid)
    if request.method == "POST" and form.is_valid():
        try:
            household = household_services.create_household(
                actor=request.user, grid=grid, **form.cleaned_data
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Household added."))
            return redirect("grid:household", household.pk)
    return render(
        request,
        T + "form.html",
        {"form": form, "grid": grid, "title": _("New household")},
        status=400 if form.errors else 200,
    )


urlpatterns = [
    path("", grid_list, name="list"),
    path("map/", grid_map, name="map"),
    path("new/", grid_create, name="create"),
    path("<int:grid_id>/", grid_detail, name="detail"),
    path("<int:grid_id>/edit/", grid_edit, name="edit"),
    path("<int:grid_id>/buildings/new/", building_create, name="building_create"),
    path("<int:grid_id>/households/new/", household_create, name="household_create"),
]
