"""Views for the organisation (issue 4 item 6): the funnel by phase for any subtree, the
overdue list, admissions by group for a period (with an Excel export), and the district's
local rules. Url names: development:funnel, overdue, report, report_export, settings."""

from __future__ import annotations

from io import BytesIO
from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from tongxin.core.errors import PermissionDenied, ValidationError
from tongxin.core.scoping import roles_of
from tongxin.development import selectors, services
from tongxin.development.forms.reports import LocalRulesForm, OrgPickerForm, PeriodForm
from tongxin.development.models import AdmissionSettings
from tongxin.development.views.export import export_admissions, export_filename
from tongxin.members.access import require_keeper
from tongxin.members.forms.registry import apply_service_errors
from tongxin.members.models import MEMBER_KEEPERS
from tongxin.orgs.models import Org
from tongxin.orgs.selectors import scope_roots

T = "development/"


def _picked_org(request) -> Org:
    """The organisation of ?org=, else the top of the user's scope; 404 outside the scope."""
    raw = request.GET.get("org", "")
    if raw:
        if not raw.isdigit():
            raise PermissionDenied(_("Choose an organisation of your scope."))
        return get_object_or_404(Org.objects.visible_to(request.user, MEMBER_KEEPERS), pk=raw)
    kept = [o for o in scope_roots(request.user) if o.path in _keeper_paths(request.user)]
    if not kept:
        raise PermissionDenied
    return kept[0]


def _keeper_paths(user) -> set[str]:
    from tongxin.members.access import keeper_paths

    return set(keeper_paths(user))


@login_required
def funnel(request):
    require_keeper(request.user)
    org = _picked_org(request)
    form = OrgPickerForm(user=request.user, selected=org.pk)
    result = selectors.funnel(request.user, org)
    widest = max([p["count"] for p in result["phases"]] + [1])
    for p in result["phases"]:
        p["width"] = round(100 * p["count"] / widest)
    return render(request, T + "funnel.html", {"form": form, "org": org, "funnel": result})


@login_required
def overdue(request):
    require_keeper(request.user)
    org = _picked_org(request) if request.GET.get("org") else None
    form = OrgPickerForm(user=request.user, selected=org.pk if org else None)
    items, next_cursor = selectors.overdue_files(
        request.user, org=org, after=request.GET.get("after")
    )
    query = request.GET.copy()
    query.pop("after", None)
    return render(
        request,
        T + "overdue.html",
        {"form": form, "files": items, "next_cursor": next_cursor, "query": query.urlencode()},
    )


def _report(request):
    require_keeper(request.user)
    org = _picked_org(request)
    report = None
    if "since" in request.GET or "until" in request.GET:
        form = PeriodForm(request.GET, user=request.user, selected=org.pk)
        if form.is_valid():
            d = form.cleaned_data
            report = selectors.admissions_by_group(request.user, org, d["since"], d["until"])
    else:
        form = PeriodForm(user=request.user, selected=org.pk)
        since, until = form.initial["since"], form.initial["until"]
        report = selectors.admissions_by_group(request.user, org, since, until)
    return form, org, report


@login_required
def admissions_report(request):
    form, org, report = _report(request)
    return render(
        request,
        T + "report.html",
        {"form": form, "org": org, "report": report},
        status=200 if report is not None else 400,
    )


@login_required
def admissions_export(request):
    form, org, report = _report(request)
    if report is None:
        return render(
            request, T + "report.html", {"form": form, "org": org, "report": None}, status=400
        )
    out = BytesIO()
    export_admissions(request.user, report, out)
    response = HttpResponse(
        out.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    name = quote(export_filename(report))
    response["Content-Disposition"] = (
        f"attachment; filename=\"admissions.xlsx\"; filename*=UTF-8''{name}"
    )
    return response


@login_required
def local_rules(request):
    """The district's local extra rules (DOMAIN.md §6 rule 12): district administrators."""
    if "district_admin" not in roles_of(request.user):
        raise PermissionDenied
    current = AdmissionSettings.objects.filter(pk=1).first()
    initial = {
        "min_months_application_to_activist": current.min_months_application_to_activist
        if current
        else None
    }
    form = LocalRulesForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.save_local_rules(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Local rules saved."))
            return redirect("development:settings")
    return render(
        request,
        T + "settings.html",
        {"form": form, "current": current, "today": timezone.localdate()},
        status=400 if form.errors else 200,
    )
