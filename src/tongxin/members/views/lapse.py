"""Lapse checks: the open flags with their evidence, run-the-check-now, dismiss and decide.

HTML views (thin). Registers its own routes in `urlpatterns`, joined by members/urls.py."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tongxin.core.errors import ValidationError
from tongxin.core.scoping import scope_paths
from tongxin.members import tasks
from tongxin.members.access import require_keeper
from tongxin.members.forms.lapse import DecideForm, DismissForm, FlagFilterForm, RunForm
from tongxin.members.models import MEMBER_KEEPERS, LapseFlag
from tongxin.members.selectors import lapse as selectors
from tongxin.members.services import lapse as services
from tongxin.orgs.forms import apply_service_errors
from tongxin.orgs.models import Org


def _run_form(request, data=None):
    return RunForm(data, scope_qs=Org.objects.visible_to(request.user, MEMBER_KEEPERS))


@login_required
def flag_list(request):
    require_keeper(request.user)
    form = FlagFilterForm(request.GET or None)
    kind, state = "", LapseFlag.State.OPEN
    if form.is_valid():
        kind = form.cleaned_data["kind"]
        state = form.cleaned_data["state"] if "state" in request.GET else LapseFlag.State.OPEN
    else:
        form = FlagFilterForm(initial={"state": LapseFlag.State.OPEN})
    flags, next_cursor = selectors.flag_list(
        request.user, kind=kind or None, state=state or None, after=request.GET.get("after")
    )
    query = request.GET.copy()
    query.pop("after", None)
    counts = selectors.open_counts(request.user)
    context = {
        "form": form,
        "flags": flags,
        "next_cursor": next_cursor,
        "query": query.urlencode(),
        "counts": [(k, label, counts.get(k, 0)) for k, label in LapseFlag.Kind.choices],
        "run_form": _run_form(request),
    }
    if request.htmx and request.htmx.target == "flag-results":
        return render(request, "members/lapse/_flag_rows.html", context)
    return render(request, "members/lapse/list.html", context)


@login_required
@require_POST
def run_now(request):
    """Run the check for a subtree now, or queue it when the subtree is large."""
    require_keeper(request.user)
    form = _run_form(request, request.POST)
    if not form.is_valid():
        messages.error(request, "; ".join(e for errs in form.errors.values() for e in errs))
        return redirect("members:lapse")
    org = form.cleaned_data["org_code"]
    paths = [org.path] if org else scope_paths(request.user, MEMBER_KEEPERS)
    if selectors.members_in_subtree(paths) <= selectors.SYNC_MAX_MEMBERS:
        result = services.run_detection(org=org, actor=request.user)
        messages.success(
            request,
            _("Check done: %(created)s new, %(updated)s updated, %(closed)s closed.") % result,
        )
    else:
        tasks.lapse_check.enqueue(org.pk if org else None, request.user.pk)
        messages.success(
            request, _("The check has been queued; refresh this page in a few minutes.")
        )
    return redirect("members:lapse")


@login_required
def flag_detail(request, flag_id):
    flag = selectors.flag_detail(request.user, flag_id)
    action = request.POST.get("action") if request.method == "POST" else None
    dismiss_form = DismissForm(request.POST if action == "dismiss" else None)
    decide_form = DecideForm(request.POST if action == "decide" else None, kind=flag.kind)
    if action == "dismiss" and dismiss_form.is_valid():
        try:
            services.dismiss_flag(
                actor=request.user, flag=flag, reason=dismiss_form.cleaned_data["reason"]
            )
        except ValidationError as exc:
            apply_service_errors(dismiss_form, exc)
        else:
            messages.success(request, _("Flag dismissed."))
            return redirect("members:lapse")
    elif action == "decide" and decide_form.is_valid():
        try:
            services.decide_flag(actor=request.user, flag=flag, **decide_form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(decide_form, exc)
        else:
            messages.success(request, _("Decision recorded."))
            return redirect("members:lapse")
    elif request.method == "POST" and action not in ("dismiss", "decide"):
        dismiss_form.add_error(None, _("choose to dismiss the flag or to record a decision"))
    failed = bool(dismiss_form.errors or decide_form.errors)
    return render(
        request,
        "members/lapse/detail.html",
        {
            "flag": flag,
            "dismiss_form": dismiss_form,
            "decide_form": decide_form,
            "can_act": flag.state == LapseFlag.State.OPEN,
        },
        status=400 if failed else 200,
    )


urlpatterns: list = [
    path("members/lapse/", flag_list, name="lapse"),
    path("members/lapse/run/", run_now, name="lapse_run"),
    path("members/lapse/<int:flag_id>/", flag_detail, name="lapse_flag"),
]
