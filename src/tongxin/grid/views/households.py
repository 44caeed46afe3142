"""Household pages: detail (residents and care needs masked), new resident, care need, visit,
and the audited reveals. Url names: grid:household, grid:resident_create, grid:care_create,
grid:visit_create, grid:visits, grid:household_reveal, grid:resident_reveal, grid:care_reveal.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _

from tongxin.core.errors import ValidationError
from tongxin.grid import access
from tongxin.grid.forms import CareNeedForm, ResidentForm, VisitForm, apply_service_errors
from tongxin.grid.selectors import grids as grid_selectors
from tongxin.grid.selectors import households as selectors
from tongxin.grid.services import households as services
from tongxin.grid.services import visits as visit_services

T = "grid/"


@login_required
def household_detail(request, household_id):
    household = selectors.household_detail(request.user, household_id)
    grid = household.grid
    return render(
        request,
        T + "household.html",
        {
            "household": household,
            "grid": grid,
            "residents": selectors.residents_of(household),
            "care_needs": selectors.care_needs_of(household),
            "visits": grid_selectors.recent_visits(request.user, household=household),
            "works_in": access.works_in(request.user, grid),
            "unmask": {
                f: access.may_unmask(request.user, grid, f)
                for f in ("phone", "address", "id_number", "details")
            },
        },
    )


def _household_for_writing(request, household_id):
    household = selectors.household_detail(request.user, household_id)
    if not access.works_in(request.user, household.grid):
        raise PermissionDenied(_("You do not work in this grid."))
    return household


@login_required
def resident_create(request, household_id):
    household = _household_for_writing(request, household_id)
    form = ResidentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.create_resident(actor=request.user, household=household, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Resident added."))
            return redirect("grid:household", household.pk)
    return render(
        request,
        T + "form.html",
        {"form": form, "grid": household.grid, "household": household,
         "title": _("New resident")},
        status=400 if form.errors else 200,
    )  # fmt: skip


@login_required
def care_create(request, household_id):
    household = _household_for_writing(request, household_id)
    form = CareNeedForm(request.POST or None, household=household)
    if request.method == "POST" and form.is_valid():
        try:
            services.add_care_need(actor=request.user, household=household, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Care need recorded."))
            return redirect("grid:household", household.pk)
    return render(
        request,
        T + "form.html",
        {"form": form, "grid": household.grid, "household": household,
         "title": _("Record a care need")},
        status=400 if form.errors else 200,
    )  # fmt: skip


@login_required
def visit_create(request, household_id):
    """The mobile visit log (375 px: one column, native date input, no map, no tables)."""
    household = _household_for_writing(request, household_id)
    form = VisitForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            visit_services.record_visit(
                actor=request.user, household=household, **form.cleaned_data
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Visit logged."))
            return redirect("grid:household", household.pk)
    return render(
        request,
        T + "visit_form.html",
        {"form": form, "household": household, "grid": household.grid},
        status=400 if form.errors else 200,
    )


@login_required
def my_visits(request):
    access.require_grid_role(request.user)
    visits, next_cursor = grid_selectors.my_visits(request.user, after=request.GET.get("after"))
    return render(request, T + "visits.html", {"visits": visits, "next_cursor": next_cursor})


def _reveal(request, obj, field, back):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        value = services.reveal(actor=request.user, obj=obj, field=field)
    except ValidationError as exc:
        return render(request, T + "_revealed.html", {"error": exc.messages[0]}, status=400)
    context = {"value": value, "field": field, "back": back}
    if request.htmx:
        return render(request, T + "_revealed.html", context)
    return render(request, T + "revealed.html", context)


@login_required
def household_reveal(request, household_id, field):
    """POST only (a reveal is an audited act); 404 outside scope before anything is recorded."""
    household = selectors.household_detail(request.user, household_id)
    return _reveal(request, household, field, household)


@login_required
def resident_reveal(request, resident_id, field):
    resident = selectors.resident_detail(request.user, resident_id)
    return _reveal(request, resident, field, resident.household)


@login_required
def care_reveal(request, care_id):
    need = selectors.care_need_detail(request.user, care_id)
    return _reveal(request, need, "details", need.household)


urlpatterns = [
    path("visits/", my_visits, name="visits"),
    path("households/<int:household_id>/", household_detail, name="household"),
    path("households/<int:household_id>/residents/new/", resident_create, name="resident_create"),
    path("households/<int:household_id>/care/new/", care_create, name="care_create"),
    path("households/<int:household_id>/visits/new/", visit_create, name="visit_create"),
    path(
        "households/<int:household_id>/reveal/<str:field>/",
        household_reveal,
        name="household_reveal",
    ),
    path(
        "residents/<int:resident_id>/reveal/<str:field>/", resident_reveal, name="resident_reveal"
    ),
    path("care/<int:care_id>/reveal/", care_reveal, name="care_reveal"),
]
