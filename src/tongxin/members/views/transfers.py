"""HTML views of transfers (thin). Registers its own routes in `urlpatterns`, joined by
members/urls.py (names `members:<name>`)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tongxin.core.errors import PermissionDenied, ValidationError
from tongxin.core.scoping import scope_paths
from tongxin.members.forms.transfers import (
    ALIASES,
    TransferRequestForm,
    action_form,
    apply_service_errors,
)
from tongxin.members.models import MEMBER_KEEPERS
from tongxin.members.rules import transfers as rules
from tongxin.members.selectors import transfers as selectors
from tongxin.members.services import transfers as services


@login_required
def transfer_list(request):
    direction = request.GET.get("direction", "")
    state = request.GET.get("state", "")
    items, next_cursor = selectors.transfer_list(
        request.user, direction=direction, state=state, after=request.GET.get("after")
    )
    query = request.GET.copy()
    query.pop("after", None)
    context = {
        "transfers": items,
        "next_cursor": next_cursor,
        "query": query.urlencode(),
        "direction": direction if direction in selectors.DIRECTIONS else "",
        "state": state,
        "states": [(s, rules.STATE_LABELS[s]) for s in rules.STATES],
        "can_create": bool(scope_paths(request.user, MEMBER_KEEPERS)),
    }
    if request.htmx and request.htmx.target == "transfer-results":
        return render(request, "members/transfers/_rows.html", context)
    return render(request, "members/transfers/list.html", context)


def _chooser(request, template: str):
    q = request.GET.get("q", "").strip()
    return render(
        request,
        template,
        {"choosing": True, "q": q, "choices": selectors.member_choices(request.user, q)},
    )


@login_required
def transfer_create(request):
    if not scope_paths(request.user, MEMBER_KEEPERS):
        raise PermissionDenied
    member_id = request.GET.get("member", "")
    if not member_id.isdigit():
        return _chooser(request, "members/transfers/form.html")
    member = selectors.kept_member(request.user, int(member_id))
    form = TransferRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            transfer = services.request_transfer(
                actor=request.user, member=member, **form.service_fields()
            )
        except ValidationError as exc:
            apply_service_errors(form, exc, ALIASES)
        else:
            messages.success(request, _("Transfer requested."))
            return redirect("members:transfer_detail", transfer.pk)
    return render(
        request,
        "members/transfers/form.html",
        {"form": form, "member": member},
        status=400 if form.errors else 200,
    )


EVENT_LABELS = {
    **rules.ACTION_LABELS,
    "request": gettext_lazy("Requested"),
    "reissue": gettext_lazy("Letter re-issued"),
    "record_inward": gettext_lazy("Arrival from outside recorded"),
}


def _detail_context(request, transfer, failed: tuple[str, object] | None = None) -> dict:
    actions = []
    for action in services.allowed_actions(request.user, transfer):
        form = failed[1] if failed and failed[0] == action else action_form(action, prefix=action)
        actions.append({"name": action, "label": rules.ACTION_LABELS[action], "form": form})
    return {
        "transfer": transfer,
        "events": selectors.timeline(transfer),
        "actions": actions,
        "labels": EVENT_LABELS,
        "expired": rules.is_expired(transfer.expires_on, timezone.localdate()),
    }


@login_required
def transfer_detail(request, pk):
    transfer = selectors.transfer_detail(request.user, pk)
    return render(request, "members/transfers/detail.html", _detail_context(request, transfer))


@login_required
def transfer_action(request, pk, action):
    transfer = selectors.transfer_detail(request.user, pk)
    if action not in rules.USER_ACTIONS:
        raise Http404
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = action_form(action, request.POST, prefix=action)
    if form.is_valid():
        try:
            services.perform(
                actor=request.user, transfer=transfer, action=action, data=form.cleaned_data
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(
                request, _("Done: %(action)s.") % {"action": rules.ACTION_LABELS[action]}
            )
            return redirect("members:transfer_detail", transfer.pk)
    transfer = selectors.transfer_detail(request.user, pk)
    context = _detail_context(request, transfer, failed=(action, form))
    if not any(a["name"] == action for a in context["actions"]):
        context["action_errors"] = form
    return render(request, "members/transfers/detail.html", context, status=400)


@login_required
def me_transfer(request):
    member = selectors.own_member(request.user)
    if member is None:
        raise Http404
    form = TransferRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            transfer = services.request_transfer(
                actor=request.user, member=member, **form.service_fields()
            )
        except ValidationError as exc:
            apply_service_errors(form, exc, ALIASES)
        else:
            messages.success(request, _("Your transfer request has been sent to your branch."))
            return redirect("members:transfer_detail", transfer.pk)
    transfers = selectors.own_transfers(request.user)
    return render(
        request,
        "members/transfers/me.html",
        {
            "member": member,
            "form": form,
            "transfers": transfers,
            "has_open": any(t.state in rules.OPEN for t in transfers),
        },
        status=400 if form.errors else 200,
    )


urlpatterns: list = [
    path("transfers/", transfer_list, name="transfers"),
    path("transfers/new/", transfer_create, name="transfer_create"),
    path("transfers/<int:pk>/", transfer_detail, name="transfer_detail"),
    path("transfers/<int:pk>/<str:action>/", transfer_action, name="transfer_action"),
    path("me/transfer/", me_transfer, name="me_transfer"),
]
