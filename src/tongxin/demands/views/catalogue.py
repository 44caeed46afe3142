"""District administrators' settings pages of the demand loop: categories (two levels,
time limits), departments (handlers), routing rules (category × area → department) and
the states' display names. Everybody else: 403.

Url names: demands:categories, category_new, category_edit, departments, department_new,
department_edit, routes, route_delete, states.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Prefetch
from django.http import HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from tongxin.core.scoping import scope_paths
from tongxin.demands.forms.catalogue import (
    CategoryForm,
    DepartmentForm,
    RoutingRuleForm,
    StateNamesForm,
    delete_route,
)
from tongxin.demands.models import Category, Department, RoutingRule, State

T = "demands/settings/"


def require_district_admin(user) -> None:
    """The catalogue is the district's: administrators of the district committee (root)."""
    if not any(p.count("/") == 1 for p in scope_paths(user, frozenset({"district_admin"}))):
        raise PermissionDenied(_("Only district administrators change the demand settings."))


@login_required
def category_list(request):
    require_district_admin(request.user)
    tops = (
        Category.objects.filter(parent__isnull=True)
        .prefetch_related(Prefetch("children", queryset=Category.objects.order_by("order", "id")))
        .order_by("order", "id")
    )
    return render(request, T + "categories.html", {"tops": tops})


@login_required
def category_edit(request, pk=None):
    require_district_admin(request.user)
    instance = get_object_or_404(Category, pk=pk) if pk else None
    initial = {}
    if (
        instance is None
        and (parent := request.GET.get("parent", "")).isdigit()
        and parent.isascii()
    ):
        initial["parent"] = int(parent)
    form = CategoryForm(request.POST or None, instance=instance, initial=initial)
    if request.method == "POST" and form.is_valid():
        category = form.save(request.user)
        messages.success(request, _("Category %(name)s saved.") % {"name": category.name})
        return redirect("demands:categories")
    return render(
        request,
        T + "category_form.html",
        {"form": form, "category": instance},
        status=400 if form.errors else 200,
    )


@login_required
def department_list(request):
    require_district_admin(request.user)
    departments = (
        Department.objects.select_related("org")
        .prefetch_related("handlers")
        .annotate(route_count=Count("routes"))
        .order_by("id")
    )
    return render(request, T + "departments.html", {"departments": departments})


@login_required
def department_edit(request, pk=None):
    require_district_admin(request.user)
    instance = get_object_or_404(Department, pk=pk) if pk else None
    form = DepartmentForm(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        department = form.save(request.user)
        messages.success(request, _("Department %(name)s saved.") % {"name": department.name})
        return redirect("demands:departments")
    return render(
        request,
        T + "department_form.html",
        {"form": form, "department": instance},
        status=400 if form.errors else 200,
    )


@login_required
def route_list(request):
    require_district_admin(request.user)
    form = RoutingRuleForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        form.save(request.user)
        messages.success(request, _("Routing rule saved."))
        return redirect("demands:routes")
    rules = RoutingRule.objects.select_related("category__parent", "area", "department").order_by(
        "category__parent__order", "category__order", "category_id", "area__path"
    )
    return render(
        request,
        T + "routes.html",
        {"form": form, "rules": rules},
        status=400 if form.errors else 200,
    )


@login_required
def route_delete(request, pk):
    require_district_admin(request.user)
    rule = get_object_or_404(RoutingRule, pk=pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    delete_route(actor=request.user, rule=rule)
    messages.success(request, _("Routing rule removed."))
    return redirect("demands:routes")


@login_required
def state_names(request):
    require_district_admin(request.user)
    form = StateNamesForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        form.save(request.user)
        messages.success(request, _("State names saved."))
        return redirect("demands:states")
    return render(
        request,
        T + "states.html",
        {"form": form, "states": State.choices},
        status=400 if form.errors else 200,
    )
