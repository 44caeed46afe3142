"""Thin HTML views: parse, call a selector or service, render (partials for htmx)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from tongxin.core.errors import PermissionDenied, ValidationError
from tongxin.core.scoping import can_manage_path
from tongxin.orgs import selectors, services
from tongxin.orgs.forms import OrgForm, UnitFilterForm, UnitForm, apply_service_errors
from tongxin.orgs.models import Org, OrgType, UnitCategory


@login_required
def tree(request):
    q = request.GET.get("q", "").strip()
    context = {"q": q, "roots": selectors.scope_roots(request.user)}
    if q:
        results, _next = selectors.org_list(request.user, q=q, limit=50)
        context["results"] = results
    if request.htmx and request.htmx.target == "search-results":
        return render(request, "orgs/_search_results.html", context)
    return render(request, "orgs/tree.html", context)


@login_required
def children(request, pk):
    org = selectors.org_detail(request.user, pk)
    return render(
        request,
        "orgs/_children.html",
        {"org": org, "children": selectors.children_of(request.user, org)},
    )


@login_required
def detail(request, pk):
    org = selectors.org_detail(request.user, pk)
    return render(
        request,
        "orgs/detail.html",
        {
            "org": org,
            "crumbs": selectors.breadcrumbs(request.user, org),
            "children": selectors.children_of(request.user, org),
            "host_units": org.host_units.order_by("id")[:50],
            "advisories": selectors.advisories_for(org),
            "stats": selectors.org_stats(request.user, org),
            "type_labels": dict(OrgType.choices),
            "can_manage": can_manage_path(request.user, org.path),
        },
    )


def _org_form(request, instance=None, initial=None):
    return OrgForm(
        request.POST or None,
        instance=instance,
        initial=initial,
        scope_qs=Org.objects.manageable_by(request.user),
    )


@login_required
def org_create(request):
    parent = None
    if request.GET.get("parent"):
        parent = selectors.org_detail(request.user, request.GET["parent"])
    if parent is None or not can_manage_path(request.user, parent.path):
        raise PermissionDenied
    form = _org_form(request, initial={"parent_code": parent.code, "sector": parent.sector})
    if request.method == "POST" and form.is_valid():
        data = form.service_fields()
        try:
            org = services.create_org(actor=request.user, **data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Organisation created."))
            return redirect("orgs:detail", org.pk)
    return render(
        request,
        "orgs/org_form.html",
        {"form": form, "parent": parent},
        status=400 if form.errors else 200,
    )


@login_required
def org_edit(request, pk):
    org = selectors.org_detail(request.user, pk)
    if not can_manage_path(request.user, org.path):
        raise PermissionDenied
    form = _org_form(request, instance=Org.objects.get(pk=org.pk))
    if request.method == "POST" and form.is_valid():
        data = form.service_fields()
        if org.parent_id is None:
            data.pop("parent")
        try:
            services.update_org(actor=request.user, org=org, **data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("orgs:detail", org.pk)
    return render(
        request,
        "orgs/org_form.html",
        {"form": form, "org": org},
        status=400 if form.errors else 200,
    )


# --- units ----------------------------------------------------------------------------------


@login_required
def unit_list(request):
    streets, communities = selectors.area_choices(request.user)
    street_id = request.GET.get("street", "")
    if street_id.isdigit():
        communities = communities.filter(parent_id=int(street_id))
    elif streets.count() > 1:
        communities = communities.none()  # choose a street first: keeps the form small
    form = UnitFilterForm(request.GET or None, street_qs=streets, community_qs=communities)
    filters = selectors.UnitFilters()
    if form.is_valid():
        data = form.cleaned_data
        filters = selectors.UnitFilters(
            q=data["q"],
            street=data["street"].pk if data["street"] else None,
            community=data["community"].pk if data["community"] else None,
            category=data["category"],
            coverage=data["coverage"],
            flagged=data["flagged"],
        )
    units, next_cursor = selectors.unit_list(request.user, filters, after=request.GET.get("after"))
    query = request.GET.copy()
    query.pop("after", None)
    context = {
        "form": form,
        "units": units,
        "next_cursor": next_cursor,
        "query": query.urlencode(),
        "can_create": bool(Org.objects.manageable_by(request.user).exists()),
    }
    if request.htmx and request.htmx.target == "unit-results":
        return render(request, "orgs/_unit_rows.html", context)
    return render(request, "orgs/unit_list.html", context)


@login_required
def unit_detail(request, pk):
    unit = selectors.unit_detail(request.user, pk)
    scope_path = (unit.community or unit.street).path
    return render(
        request,
        "orgs/unit_detail.html",
        {"unit": unit, "can_manage": can_manage_path(request.user, scope_path)},
    )


def _unit_form(request, instance=None):
    streets, communities = selectors.area_choices(request.user)
    return UnitForm(
        request.POST or None,
        instance=instance,
        street_qs=streets,
        community_qs=communities,
        org_qs=Org.objects.visible_to(request.user),
    )


@login_required
def unit_create(request):
    if not Org.objects.manageable_by(request.user).exists():
        raise PermissionDenied
    form = _unit_form(request)
    if request.method == "POST" and form.is_valid():
        try:
            unit = services.create_unit(actor=request.user, **form.service_fields())
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Unit created."))
            return redirect("orgs:unit_detail", unit.pk)
    return render(
        request, "orgs/unit_form.html", {"form": form}, status=400 if form.errors else 200
    )


@login_required
def unit_edit(request, pk):
    unit = selectors.unit_detail(request.user, pk)
    if not can_manage_path(request.user, (unit.community or unit.street).path):
        raise PermissionDenied
    form = _unit_form(request, instance=unit)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_unit(actor=request.user, unit=unit, **form.service_fields())
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("orgs:unit_detail", unit.pk)
    return render(
        request,
        "orgs/unit_form.html",
        {"form": form, "unit": unit},
        status=400 if form.errors else 200,
    )


@login_required
def coverage(request):
    by = request.GET.get("by", "street")
    if by not in selectors.GROUPINGS:
        raise Http404
    summary = selectors.coverage_summary(request.user, by=by)
    return render(
        request,
        "orgs/coverage.html",
        {
            "summary": summary,
            "by": by,
            "groupings": [
                ("street", _("Street")),
                ("community", _("Community")),
                ("category", _("Category")),
            ],
            "categories": UnitCategory.choices,
        },
    )
