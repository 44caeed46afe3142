"""HTML views of the member registry and the member's own page (thin: parse, call, render).

Url names (a contract for other areas): members:list, create, detail, edit, status, reveal,
corrections, correction_decide, me, me_correction.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _

from tongxin.core.errors import PermissionDenied, ValidationError
from tongxin.members.access import keeps_path, require_keeper
from tongxin.members.forms.registry import (
    CorrectionDecisionForm,
    CorrectionForm,
    MemberFilterForm,
    MemberForm,
    StatusForm,
    apply_service_errors,
)
from tongxin.members.models import CorrectionRequest, Member
from tongxin.members.selectors import registry as selectors
from tongxin.members.services import registry as services

T = "members/registry/"


@login_required
def member_list(request):
    require_keeper(request.user)
    form = MemberFilterForm(request.GET or None, user=request.user)
    items, next_cursor = selectors.member_list(
        request.user, form.filters(), after=request.GET.get("after")
    )
    query = request.GET.copy()
    query.pop("after", None)
    context = {
        "form": form,
        "members": items,
        "next_cursor": next_cursor,
        "query": query.urlencode(),
        "can_create": selectors.keeper_orgs(request.user).exists(),
    }
    if request.htmx and request.htmx.target == "member-rows":
        return render(request, T + "_rows.html", {**context, "oob_more": True})
    return render(request, T + "list.html", context)


@login_required
def member_create(request):
    require_keeper(request.user)
    form = MemberForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            member = services.create_member(actor=request.user, **form.service_fields())
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Member entered in the registry."))
            return redirect("members:detail", member.pk)
    return render(request, T + "form.html", {"form": form}, status=400 if form.errors else 200)


def _detail_context(request, member: Member) -> dict:
    return {
        "member": member,
        "history": selectors.member_history(member),
        "flags": selectors.member_flags(member),
        "ledger": selectors.dues_ledger(member),
        "may_unmask": services.may_unmask(request.user, member),
        "may_keep": keeps_path(request.user, member.org.path),
    }


@login_required
def member_detail(request, pk):
    member = selectors.member_detail(request.user, pk)
    return render(request, T + "detail.html", _detail_context(request, member))


@login_required
def member_edit(request, pk):
    member = selectors.member_detail(request.user, pk)
    form = MemberForm(request.POST or None, instance=member, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_member(actor=request.user, member=member, **form.service_fields())
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("members:detail", member.pk)
    return render(
        request,
        T + "form.html",
        {"form": form, "member": member},
        status=400 if form.errors else 200,
    )


@login_required
def member_status(request, pk):
    member = selectors.member_detail(request.user, pk)
    form = StatusForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.change_status(actor=request.user, member=member, **form.service_fields())
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("The change is recorded in the history."))
            return redirect("members:detail", member.pk)
    return render(
        request,
        T + "status_form.html",
        {"form": form, "member": member},
        status=400 if form.errors else 200,
    )


@login_required
def member_reveal(request, pk, field):
    """POST only (a reveal is an audited act, never a link to follow); htmx swaps the value."""
    member = selectors.member_for_reveal(request.user, pk)  # 404 outside scope, no audit
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        value = services.reveal(actor=request.user, member=member, field=field)
    except ValidationError as exc:
        return render(request, T + "_revealed.html", {"error": exc.messages[0]}, status=400)
    context = {"value": value, "field": field, "member": member}
    if request.htmx:
        return render(request, T + "_revealed.html", context)
    return render(request, T + "revealed.html", context)


@login_required
def correction_queue(request):
    require_keeper(request.user)
    state = request.GET.get("state", CorrectionRequest.State.OPEN)
    items, next_cursor = selectors.correction_queue(
        request.user, state=state, after=request.GET.get("after")
    )
    for item in items:  # one form per request, with ids of its own
        item.decision_form = CorrectionDecisionForm(auto_id=f"c{item.pk}_%s")
    return render(
        request,
        T + "corrections.html",
        {
            "requests": items,
            "next_cursor": next_cursor,
            "state": state,
            "states": CorrectionRequest.State.choices,
        },
    )


@login_required
def correction_decide(request, request_id):
    correction = selectors.correction_detail(request.user, request_id)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = CorrectionDecisionForm(request.POST)
    if form.is_valid():
        try:
            services.decide_correction(
                actor=request.user,
                request=correction,
                accept=form.cleaned_data["accept"],
                reply=form.cleaned_data["reply"],
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Decision recorded; the member sees it on their page."))
            return redirect("members:corrections")
    return render(
        request,
        T + "correction_decide.html",
        {"form": form, "correction": correction},
        status=400,
    )


@login_required
def me(request):
    page = selectors.my_page(request.user)
    if page is None:
        return render(request, T + "me_none.html")
    return render(request, T + "me.html", {**page, "form": CorrectionForm()})


@login_required
def me_correction(request):
    member = selectors.my_member(request.user)
    if member is None:
        raise PermissionDenied
    form = CorrectionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.request_correction(actor=request.user, member=member, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Your request has been sent to your branch."))
            return redirect("members:me")
    return render(
        request,
        T + "me_correction.html",
        {"form": form, "member": member},
        status=400 if form.errors else 200,
    )


urlpatterns: list = [
    path("members/", member_list, name="list"),
    path("members/new/", member_create, name="create"),
    path("members/<int:pk>/", member_detail, name="detail"),
    path("members/<int:pk>/edit/", member_edit, name="edit"),
    path("members/<int:pk>/status/", member_status, name="status"),
    path("members/<int:pk>/reveal/<str:field>/", member_reveal, name="reveal"),
    path("members/corrections/", correction_queue, name="corrections"),
    path("members/corrections/<int:request_id>/", correction_decide, name="correction_decide"),
    path("me/", me, name="me"),
    path("me/correction/", me_correction, name="me_correction"),
]
