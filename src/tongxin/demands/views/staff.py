"""Staff pages of the demand loop (thin: parse, call the selector/service, render).

Url names (app "demands", mounted at /demands/): list, new (staff entry; ?visit=<id> makes
the demand from a household visit in one step), patrol, detail, act (one POST per workflow
action, with the demand's `version`: a stale page answers 409 "already changed"), photo,
reveal (the caller's phone, audited).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tongxin.core.scoping import roles_of, scope_paths
from tongxin.demands import access, services
from tongxin.demands import selectors as sel
from tongxin.demands.forms.actions import FORMS, LABELS, action_forms, allowed_actions
from tongxin.demands.forms.common import apply_service_errors
from tongxin.demands.forms.staff import (
    DemandFilterForm,
    PatrolForm,
    StaffEntryForm,
    VisitDemandForm,
)
from tongxin.demands.models import Demand
from tongxin.demands.services import ActionRefused, Conflict

T = "demands/"
ENTRY_ROLES = access.STAFF_ROLES  # district/street/community administrators, grid workers


def _has_demand_role(user) -> bool:
    return bool(roles_of(user) & ENTRY_ROLES) or user.demand_departments.exists()


def require_demand_role(user) -> None:
    """Pages for staff and department handlers; 403 for everybody else."""
    if not _has_demand_role(user):
        raise PermissionDenied(_("Only community staff and department handlers see demands."))


# -- list --------------------------------------------------------------------------


@login_required
def demand_list(request):
    require_demand_role(request.user)
    labels = sel.state_labels()
    form = DemandFilterForm(request.GET or None, user=request.user, labels=labels)
    items, next_cursor, status = [], None, 400
    if not form.is_bound or form.is_valid():
        try:
            items, next_cursor = sel.demands_for(
                request.user, **form.filters(), after=request.GET.get("after")
            )
            status = 200
        except ValidationError as exc:
            apply_service_errors(form, exc)
    for d in items:
        d.state_label = labels.get(d.state, d.state)
    query = request.GET.copy()
    query.pop("after", None)
    context = {
        "form": form,
        "demands": items,
        "next_cursor": next_cursor,
        "query": query.urlencode(),
        "labels": labels,
        "more_filters": any(request.GET.get(k) for k in form.fields if k not in ("q", "state"))
        or (form.is_bound and any(k not in ("q", "state") for k in form.errors)),
        "can_enter": bool(roles_of(request.user) & ENTRY_ROLES),
        "can_patrol": bool(scope_paths(request.user, frozenset({"grid_worker"}))),
        "now": timezone.now(),
    }
    if request.htmx and request.htmx.target == "demand-rows":
        return render(request, T + "_rows.html", {**context, "oob_more": True}, status=status)
    return render(request, T + "list.html", context, status=status)


# -- detail and actions -------------------------------------------------------------


EVENT_LABELS = {
    **LABELS,
    "submit": gettext_lazy("Filed"),
    "reopen": gettext_lazy("Reopened by the resident"),
    "overdue": gettext_lazy("Overdue"),
    "route": gettext_lazy("Routed"),
}


def _detail_context(request, demand: Demand, *, bound=None, **extra) -> dict:
    user = request.user
    labels = sel.state_labels()
    demand.state_label = labels.get(demand.state, demand.state)
    events = sel.timeline(demand)
    for e in events:
        e.action_label = EVENT_LABELS.get(e.action, e.action)
        e.from_label = labels.get(e.from_state, e.from_state)
        e.to_label = labels.get(e.to_state, e.to_state)
    contact = access.contact_of(user, demand)
    return {
        "demand": demand,
        "labels": labels,
        "events": events,
        "contact": contact,
        "may_reveal": (
            not contact["hidden"] and bool(demand.phone) and hasattr(services, "reveal_contact")
        ),
        "forms": action_forms(user, demand, bound=bound),
        "escalations": list(demand.escalations.all()),
        "extensions": list(demand.extensions.all()),
        "supervisions": list(demand.supervisions.all()),
        "duplicates": list(demand.duplicates.all()),
        "photos": list(demand.photos.all()),
        "now": timezone.now(),
        **extra,
    }


@login_required
def demand_detail(request, pk):
    demand = sel.get_demand(request.user, pk)
    return render(request, T + "detail.html", _detail_context(request, demand))


def _posted_version(request, action: str) -> int | None:
    raw = request.POST.get(f"{action}-version", "")
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 10 else None


def _conflict(request, pk):
    demand = sel.get_demand(request.user, pk)
    return render(
        request,
        T + "detail.html",
        _detail_context(
            request,
            demand,
            conflict=_(
                "This demand has already changed since you opened the page: "
                "nothing was done. Reload it and check before you act again."
            ),
        ),
        status=409,
    )


@login_required
def demand_act(request, pk, action):
    demand = sel.get_demand(request.user, pk)  # 404 outside the scope
    if action not in FORMS:
        raise Http404
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    version = _posted_version(request, action)
    if version is not None and version != demand.version:
        return _conflict(request, pk)
    if action not in allowed_actions(request.user, demand):
        if not access.roles_for(request.user, demand):
            raise PermissionDenied(_("You may not act on this demand."))
        raise PermissionDenied(_("This action is not open to you now."))
    form = FORMS[action](request.POST, request.FILES, demand=demand, user=request.user)
    status = 400
    refusal = ""
    if form.is_valid():
        try:
            services.act(actor=request.user, demand=demand, action=action, **form.params())
        except Conflict:
            return _conflict(request, pk)
        except ActionRefused as exc:
            refusal = " ".join(exc.messages)
            status = 422
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Done: %(action)s.") % {"action": form.label})
            if not access.can_see(request.user, demand):
                return redirect("demands:list")  # e.g. a department returned it
            return redirect("demands:detail", demand.pk)
    demand = sel.get_demand(request.user, pk)
    context = _detail_context(request, demand, bound=form, refusal=refusal)
    return render(request, T + "detail.html", context, status=status)


@login_required
def demand_photo(request, pk, photo_id):
    """A photo of a demand the user sees (uploads are never served as static files)."""
    demand = sel.get_demand(request.user, pk)
    photo = next((p for p in demand.photos.all() if p.pk == photo_id), None)
    if photo is None:
        raise Http404
    try:
        handle = photo.image.open("rb")
    except (FileNotFoundError, ValueError) as exc:
        raise Http404 from exc
    response = FileResponse(handle, content_type=photo.content_type or "image/jpeg")
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
def demand_reveal(request, pk):
    """POST: the caller's phone unmasked for one who may see it — an audited act."""
    demand = sel.get_demand(request.user, pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    reveal = getattr(services, "reveal_contact", None)
    if reveal is None:
        raise PermissionDenied(_("The caller's details are confidential."))
    value = reveal(actor=request.user, demand=demand)  # PermissionDenied (audited) if not theirs
    context = {"demand": demand, "value": value}
    if request.htmx:
        return render(request, T + "_revealed.html", context)
    return render(request, T + "revealed.html", context)


# -- intake by staff ----------------------------------------------------------------


def _map() -> dict:
    """The map picker's settings: tiles per TONGXIN["MAP_TILE_URL"] (none: blank)."""
    from tongxin.grid.views.grids import DEFAULT_CENTRE, map_settings

    return {
        "leaflet_overrides": map_settings(),
        "default_centre": [DEFAULT_CENTRE[1], DEFAULT_CENTRE[0]],
    }


def _created(request, demand: Demand):
    messages.success(
        request,
        _("Demand %(code)s is filed. Tell the resident this tracking code.")
        % {"code": demand.code},
    )
    if access.can_see(request.user, demand):
        return redirect("demands:detail", demand.pk)
    return redirect("demands:list")


@login_required
def demand_new(request):
    """Staff entry (hotline, reception, alliance unit); with ?visit=<id>, the problem found
    on that household visit becomes a demand in one step."""
    if not roles_of(request.user) & ENTRY_ROLES:
        raise PermissionDenied(_("Only community staff enter demands."))
    visit_id = request.GET.get("visit") or request.POST.get("visit")
    if visit_id:
        return _from_visit(request, visit_id)
    form = StaffEntryForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            demand = services.submit(actor=request.user, **form.service_kwargs())
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            return _created(request, demand)
    return render(
        request, T + "new.html", {"form": form, **_map()}, status=400 if form.errors else 200
    )


def _from_visit(request, visit_id):
    from tongxin.grid.models import Visit

    if not (str(visit_id).isascii() and str(visit_id).isdigit()) or len(str(visit_id)) > 18:
        raise Http404
    visit = (
        Visit.objects.visible_to(request.user)
        .select_related("household", "grid__community")
        .filter(pk=int(visit_id))
        .first()
    )
    if visit is None:
        raise Http404
    existing = list(visit.demands.only("id", "code", "state"))
    form = VisitDemandForm(request.POST or None, request.FILES or None, visit=visit)
    if request.method == "POST" and form.is_valid():
        try:
            demand = services.submit(actor=request.user, **form.service_kwargs())
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            return _created(request, demand)
    context = {"form": form, "visit": visit, "existing": existing}
    return render(request, T + "from_visit.html", context, status=400 if form.errors else 200)


@login_required
def patrol_report(request):
    """A grid worker's patrol report from a phone: category, description, photo, where."""
    from tongxin.grid.access import require_grid_role

    require_grid_role(request.user)
    form = PatrolForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            demand = services.submit(actor=request.user, **form.service_kwargs())
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            return _created(request, demand)
    return render(
        request, T + "patrol.html", {"form": form, **_map()}, status=400 if form.errors else 200
    )
