"""HTML views of floating members (thin). Registers its own routes in `urlpatterns`, joined
by members/urls.py (names `members:<name>`)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _

from tongxin.core.errors import PermissionDenied, ValidationError
from tongxin.core.scoping import scope_paths
from tongxin.members.access import keeps
from tongxin.members.forms.floating import ALIASES, AttendanceForm, EndForm, FloatingForm
from tongxin.members.forms.transfers import apply_service_errors
from tongxin.members.models import MEMBER_KEEPERS
from tongxin.members.selectors import floating as selectors
from tongxin.members.selectors import transfers as transfer_selectors
from tongxin.members.services import floating as services


@login_required
def floating_list(request):
    tab = request.GET.get("tab", "away")
    tab = tab if tab in selectors.TABS else "away"
    include_returned = request.GET.get("returned") == "1"
    items, next_cursor = selectors.floating_list(
        request.user, tab=tab, include_returned=include_returned, after=request.GET.get("after")
    )
    query = request.GET.copy()
    query.pop("after", None)
    context = {
        "records": items,
        "next_cursor": next_cursor,
        "query": query.urlencode(),
        "tab": tab,
        "include_returned": include_returned,
        "can_create": bool(scope_paths(request.user, MEMBER_KEEPERS)),
    }
    if request.htmx and request.htmx.target == "floating-results":
        return render(request, "members/floating/_rows.html", context)
    return render(request, "members/floating/list.html", context)


@login_required
def floating_create(request):
    if not scope_paths(request.user, MEMBER_KEEPERS):
        raise PermissionDenied
    member_id = request.GET.get("member", "")
    if not member_id.isdigit():
        q = request.GET.get("q", "").strip()
        return render(
            request,
            "members/floating/form.html",
            {
                "choosing": True,
                "q": q,
                "choices": transfer_selectors.member_choices(request.user, q),
            },
        )
    member = transfer_selectors.kept_member(request.user, int(member_id))
    form = FloatingForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            record = services.start_floating(
                actor=request.user, member=member, **form.service_fields()
            )
        except ValidationError as exc:
            apply_service_errors(form, exc, ALIASES)
        else:
            messages.success(request, _("Time away recorded."))
            return redirect("members:floating_detail", record.pk)
    return render(
        request,
        "members/floating/form.html",
        {"form": form, "member": member},
        status=400 if form.errors else 200,
    )


def _detail(request, record, *, end_form=None, attendance_form=None, status=200):
    can_end = record.returned_on is None and keeps(request.user, record.member.org)
    can_attend = keeps(request.user, record.host_org)
    return render(
        request,
        "members/floating/detail.html",
        {
            "record": record,
            "attendance": selectors.attendance_of(record),
            "can_end": can_end,
            "can_attend": can_attend,
            "end_form": end_form or EndForm(),
            "attendance_form": attendance_form or AttendanceForm(),
        },
        status=status,
    )


@login_required
def floating_detail(request, pk):
    return _detail(request, selectors.floating_detail(request.user, pk))


@login_required
def floating_end(request, pk):
    record = selectors.floating_detail(request.user, pk)
    if not keeps(request.user, record.member.org):
        raise PermissionDenied
    if request.method != "POST":
        return _detail(request, record)
    form = EndForm(request.POST)
    if form.is_valid():
        try:
            services.end_floating(
                actor=request.user, record=record, returned_on=form.cleaned_data["returned_on"]
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Return recorded."))
            return redirect("members:floating_detail", record.pk)
    return _detail(request, record, end_form=form, status=400)


@login_required
def floating_attendance(request, pk):
    record = selectors.floating_detail(request.user, pk)
    if not keeps(request.user, record.host_org):
        raise PermissionDenied
    if request.method != "POST":
        return _detail(request, record)
    form = AttendanceForm(request.POST)
    if form.is_valid():
        try:
            services.record_host_attendance(actor=request.user, record=record, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Attendance recorded."))
            return redirect("members:floating_detail", record.pk)
    return _detail(request, record, attendance_form=form, status=400)


urlpatterns: list = [
    path("floating/", floating_list, name="floating"),
    path("floating/new/", floating_create, name="floating_create"),
    path("floating/<int:pk>/", floating_detail, name="floating_detail"),
    path("floating/<int:pk>/end/", floating_end, name="floating_end"),
    path("floating/<int:pk>/attendance/", floating_attendance, name="floating_attendance"),
]
