"""Pages of the star rating (issue 5 §6). Url names: ratings:list, ratings:detail,
ratings:settings, ratings:recompute.

* list — ranking of the branches of an org's subtree for a year, with the star counts and
  the subtree's trend; a branch secretary sees their own branch only;
* detail — one branch's breakdown (each indicator's figures in words, weight, points) and its
  trend over the years;
* settings — district administrators edit the weights (they must add up to 100) and the
  thresholds; recompute (POST) runs compute_ratings for a year.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from tongxin.assessment import access, selectors, services
from tongxin.assessment.forms import RankingForm, RecomputeForm, SettingsForm
from tongxin.members.forms.registry import apply_service_errors

T = "assessment/"


def _int(raw: str | None) -> int | None:
    if raw and raw.isdigit() and len(raw) < 19:
        return int(raw)
    return None


@login_required
def ranking(request):
    access.require_viewer(request.user)
    raw_org = request.GET.get("org", "")
    if raw_org and _int(raw_org) is None:
        raise PermissionDenied(_("Choose an organisation of your scope."))
    org = access.org_in_scope(request.user, _int(raw_org))
    years = selectors.years(request.user)
    year = _int(request.GET.get("year")) or selectors.default_year()
    if year not in years:
        year = years[0]
    items, next_cursor = selectors.ranking(request.user, org, year, after=request.GET.get("after"))
    context = {
        "org": org,
        "year": year,
        "items": items,
        "next_cursor": next_cursor,
        "query": f"org={org.pk}&year={year}",
        "form": RankingForm(
            initial={"org": org.pk, "year": year},
            user=request.user,
            years=years,
            selected=org.pk,
        ),
        "summary": selectors.summary(request.user, org, year),
        "trend": selectors.subtree_trend(request.user, org),
        "children": selectors.children(request.user, org),
        "can_configure": access.can_configure(request.user),
    }
    if request.htmx and request.GET.get("after"):
        return render(request, T + "_rows.html", {**context, "oob_more": True})
    return render(request, T + "list.html", context)


@login_required
def detail(request, org_id: int, year: int):
    rating = selectors.get_rating(request.user, org_id, year)
    return render(
        request,
        T + "detail.html",
        {
            "rating": rating,
            "org": rating.org,
            "lines": selectors.breakdown_lines(rating),
            "trend": selectors.branch_trend(request.user, rating.org),
            "running": rating.year == timezone.localdate().year,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def settings_view(request):
    access.require_configurer(request.user)
    form = SettingsForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_settings(
                actor=request.user, weights=form.weights(), thresholds=form.thresholds()
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("The rating settings were saved."))
            return redirect("ratings:settings")
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        T + "settings.html",
        {
            "form": form,
            "recompute": RecomputeForm(initial={"year": timezone.localdate().year}),
        },
        status=status,
    )


@login_required
@require_POST
def recompute(request):
    access.require_configurer(request.user)
    form = RecomputeForm(request.POST)
    if not form.is_valid():
        for field, errors in form.errors.items():
            for e in errors:
                messages.error(
                    request, f"{form.fields[field].label}: {e}" if field in form.fields else e
                )
        return redirect("ratings:settings")
    year = form.cleaned_data["year"]
    try:
        result = services.compute_ratings(year=year, actor=request.user)
    except ValidationError as exc:
        for errors in exc.message_dict.values():
            for e in errors:
                messages.error(request, e)
        return redirect("ratings:settings")
    messages.success(
        request,
        _("Ratings for %(year)s computed: %(branches)s branches, %(rated)s with stars.")
        % {"year": year, "branches": result["branches"], "rated": result["rated"]},
    )
    return redirect(f"{_list_url()}?year={year}")


def _list_url() -> str:
    from django.urls import reverse

    return reverse("ratings:list")
