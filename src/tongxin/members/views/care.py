"""Care (关怀帮扶): cases, visits, elderly and long-standing members, political birthdays.

HTML views (thin). Registers its own routes in `urlpatterns`, joined by members/urls.py."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _

from tongxin.core.errors import ValidationError
from tongxin.members.access import require_keeper
from tongxin.members.forms.care import CaseForm, CaseUpdateForm, CloseForm, MonthForm, VisitForm
from tongxin.members.models import CareCase
from tongxin.members.selectors import care as selectors
from tongxin.members.services import care as services
from tongxin.orgs.forms import apply_service_errors

TABS = ("cases", "elderly", "veterans", "birthdays")


@login_required
def care_home(request):
    require_keeper(request.user)
    tab = request.GET.get("tab", "cases")
    if tab not in TABS:
        tab = "cases"
    today = timezone.localdate()
    after = request.GET.get("after")
    context = {
        "tab": tab,
        "tabs": [
            ("cases", _("Members in difficulty")),
            ("elderly", _("Elderly members")),
            ("veterans", _("50 years in the party")),
            ("birthdays", _("Political birthdays")),
        ],
        "today": today,
        "elderly_age": selectors.elderly_age(),
        "levels": CareCase.Level.choices,
    }
    if tab == "cases":
        level = request.GET.get("level", "")
        level = level if level in CareCase.Level.values else ""
        items, next_cursor = selectors.open_cases(request.user, level=level or None, after=after)
        counts = selectors.open_counts_by_level(request.user)
        context.update(
            level=level,
            level_counts=[(k, label, counts.get(k, 0)) for k, label in CareCase.Level.choices],
        )
    elif tab == "elderly":
        items, next_cursor = selectors.elderly_members(request.user, today=today, after=after)
    elif tab == "veterans":
        items, next_cursor = selectors.long_standing_members(request.user, today=today, after=after)
    else:
        month = today.replace(day=1)
        if "month" in request.GET:
            form = MonthForm(request.GET)
        else:
            form = MonthForm(initial={"month": f"{month:%Y-%m}"})
        if form.is_valid() and form.cleaned_data["month"]:
            month = form.cleaned_data["month"]
        items, next_cursor = selectors.political_birthdays(
            request.user, year=month.year, month=month.month, after=after
        )
        context.update(month_form=form, month=month)
    query = request.GET.copy()
    query.pop("after", None)
    context.update(items=items, next_cursor=next_cursor, query=query.urlencode())
    status = 400 if tab == "birthdays" and context["month_form"].errors else 200
    if request.htmx and request.htmx.target == "care-results":
        return render(request, "members/care/_results.html", context, status=status)
    return render(request, "members/care/home.html", context, status=status)


@login_required
def care_create(request):
    require_keeper(request.user)
    member_id = request.GET.get("member", "")
    if not member_id.isdigit():
        q = request.GET.get("q", "")
        return render(
            request,
            "members/care/choose_member.html",
            {"q": q, "results": selectors.member_choices(request.user, q)},
        )
    member = selectors.member_for(request.user, int(member_id))
    form = CaseForm(request.POST or None, initial={"level": CareCase.Level.GENERAL})
    if request.method == "POST" and form.is_valid():
        try:
            case = services.create_case(actor=request.user, member=member, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Care case opened."))
            return redirect("members:care_detail", case.pk)
    return render(
        request,
        "members/care/case_form.html",
        {"form": form, "member": member},
        status=400 if form.errors else 200,
    )


@login_required
def care_detail(request, pk):
    case = selectors.case_detail(request.user, pk)
    action = request.POST.get("action") if request.method == "POST" else None
    update_form = CaseUpdateForm(
        request.POST if action == "update" else None,
        initial={"level": case.level, "help_given": case.help_given},
    )
    close_form = CloseForm(request.POST if action == "close" else None)
    if action == "update" and update_form.is_valid():
        try:
            services.update_case(actor=request.user, case=case, **update_form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(update_form, exc)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("members:care_detail", case.pk)
    elif action == "close" and close_form.is_valid():
        try:
            services.close_case(actor=request.user, case=case, **close_form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(close_form, exc)
        else:
            messages.success(request, _("Care case closed."))
            return redirect("members:care_detail", case.pk)
    elif request.method == "POST" and action not in ("update", "close"):
        update_form.add_error(None, _("choose to save changes or to close the case"))
    details = None
    if request.method == "GET" and request.GET.get("reveal") == "1":
        details = services.reveal_details(actor=request.user, case=case)
    failed = bool(update_form.errors or close_form.errors)
    return render(
        request,
        "members/care/detail.html",
        {
            "case": case,
            "details": details,
            "visits": selectors.case_visits(case),
            "update_form": update_form,
            "close_form": close_form,
        },
        status=400 if failed else 200,
    )


@login_required
def care_visit(request, pk):
    case = selectors.case_detail(request.user, pk)
    form = VisitForm(request.POST or None, initial={"visited_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.add_visit(
                actor=request.user,
                member=case.member,
                case=case,
                kind=data["kind"],
                visited_on=data["visited_on"],
                visitors=data["visitors"],
                amount=data["amount"] if data["amount"] is not None else "0",
                note=data["note"],
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Visit recorded."))
            return redirect("members:care_detail", case.pk)
    return render(
        request,
        "members/care/visit_form.html",
        {"form": form, "case": case},
        status=400 if form.errors else 200,
    )


urlpatterns: list = [
    path("care/", care_home, name="care"),
    path("care/new/", care_create, name="care_create"),
    path("care/<int:pk>/", care_detail, name="care_detail"),
    path("care/<int:pk>/visit/", care_visit, name="care_visit"),
]
