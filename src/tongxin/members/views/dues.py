"""Dues pages (thin): ledger and summaries, payments, arrears, reductions, voluntary
payments, the policy and the Excel ledger. Partials for htmx."""

import tempfile

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from tongxin.core.errors import PermissionDenied, ValidationError
from tongxin.core.scoping import scope_paths
from tongxin.members import excel_dues
from tongxin.members.forms.dues import (
    PaymentForm,
    PolicyForm,
    ReductionForm,
    VoluntaryForm,
    apply_service_errors,
    policy_initial,
)
from tongxin.members.models import MEMBER_KEEPERS, Member
from tongxin.members.rules import dues as rules
from tongxin.members.selectors import dues as selectors
from tongxin.members.services import dues as services


def _month(request) -> tuple:
    """(month, text) from ?month=YYYY-MM, defaulting to the current month."""
    text = request.GET.get("month") or request.POST.get("month") or ""
    month = rules.parse_month(text) or rules.month_start(timezone.localdate())
    return month, f"{month:%Y-%m}"


def _org(request):
    """The org of ?org= (404 outside the user's keeper scope) or the user's first scope."""
    pk = request.GET.get("org") or request.POST.get("org") or ""
    if pk:
        if not pk.isdigit():
            raise PermissionDenied
        return selectors.keeper_org(request.user, int(pk))
    org = selectors.default_org(request.user)
    if org is None:
        raise PermissionDenied
    return org


def _ledger_url(org, month) -> str:
    return f"{reverse('members:dues')}?org={org.pk}&month={month:%Y-%m}"


@login_required
def dues(request):
    org = _org(request)
    month, month_text = _month(request)
    if request.method == "POST":
        try:
            count = services.generate_month(actor=request.user, org=org, month=month)
        except ValidationError as exc:
            messages.error(request, "; ".join(exc.messages))
        else:
            messages.success(
                request,
                _("%(count)d ledger rows created for %(month)s.")
                % {"count": count, "month": month_text},
            )
        return redirect(_ledger_url(org, month))
    context = {
        "org": org,
        "month": month,
        "month_text": month_text,
        "prev_month": f"{rules.add_months(month, -1):%Y-%m}",
        "next_month": f"{rules.add_months(month, 1):%Y-%m}",
        "crumbs": selectors.breadcrumbs(request.user, org),
        "hosted": selectors.hosted_unpaid(request.user, limit=50),
    }
    if org.is_branch:
        records, _next = selectors.month_ledger(request.user, org, month)
        context.update(records=records, totals=selectors.ledger_totals(records), mode="ledger")
    else:
        context.update(summary=selectors.summary(request.user, org, month), mode="summary")
    return render(request, "members/dues/index.html", context)


@login_required
def pay(request, pk):
    record = selectors.payable_record(request.user, pk)
    form = PaymentForm(
        request.POST or None,
        initial={
            "amount": record.amount_due,
            "paid_on": timezone.localdate(),
            "method": "cash",
        },
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            record = services.record_payment(actor=request.user, record=record, **data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            if request.htmx:
                record = selectors.payable_record(request.user, pk)
                return render(request, "members/dues/_paid.html", {"r": record})
            messages.success(request, _("Payment recorded."))
            return redirect(_ledger_url(record.org, record.month))
    template = "members/dues/_pay_form.html" if request.htmx else "members/dues/pay.html"
    return render(
        request,
        template,
        {"form": form, "record": record},
        status=400 if form.errors else 200,
    )


@login_required
@require_GET
def arrears(request):
    org = _org(request)
    rows, next_cursor = selectors.arrears(request.user, org, after=request.GET.get("after"))
    return render(
        request,
        "members/dues/arrears.html",
        {
            "org": org,
            "rows": rows,
            "next_cursor": next_cursor,
            "crumbs": selectors.breadcrumbs(request.user, org),
        },
    )


def _branch_members(request, org):
    if org is None or not org.is_branch:
        return None
    return (
        Member.objects.visible_to(request.user, MEMBER_KEEPERS)
        .in_roll()
        .filter(org=org)
        .order_by("name", "id")
    )


@login_required
def reductions(request):
    org = _org(request)
    members = _branch_members(request, org)
    form = ReductionForm(request.POST or None, member_qs=members) if members is not None else None
    if request.method == "POST":
        if form is None:
            raise PermissionDenied
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.propose_reduction(actor=request.user, **data)
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, _("Proposal sent to the next-higher committee."))
                return redirect(f"{reverse('members:dues_reductions')}?org={org.pk}")
    rows = selectors.reductions(request.user)
    decidable = {r.pk for r in rows if services.can_decide(request.user, r.member.org.path)}
    return render(
        request,
        "members/dues/reductions.html",
        {"org": org, "form": form, "rows": rows, "decidable": decidable},
        status=400 if form is not None and form.errors else 200,
    )


@login_required
def reduction_decide(request, pk):
    reduction = selectors.reduction_detail(request.user, pk)
    if request.method != "POST":
        return redirect("members:dues_reductions")
    decision = request.POST.get("decision")
    if decision not in ("approve", "reject"):
        messages.error(request, _("Choose approve or reject."))
        return redirect("members:dues_reductions")
    try:
        services.decide_reduction(
            actor=request.user, reduction=reduction, approve=decision == "approve"
        )
    except ValidationError as exc:
        messages.error(request, "; ".join(exc.messages))
    else:
        messages.success(request, _("Decision recorded."))
    return redirect("members:dues_reductions")


@login_required
def voluntary(request):
    org = _org(request)
    members = _branch_members(request, org)
    form = (
        VoluntaryForm(
            request.POST or None, member_qs=members, initial={"paid_on": timezone.localdate()}
        )
        if members is not None
        else None
    )
    if request.method == "POST":
        if form is None:
            raise PermissionDenied
        if form.is_valid():
            try:
                payment = services.record_voluntary(actor=request.user, **form.cleaned_data)
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                if payment.to_centre:
                    messages.warning(
                        request,
                        _(
                            "Recorded. A single voluntary payment of this size goes wholly "
                            "to the centre (§5.8)."
                        ),
                    )
                else:
                    messages.success(request, _("Voluntary payment recorded."))
                return redirect(f"{reverse('members:dues_voluntary')}?org={org.pk}")
    flagged = request.GET.get("flagged") == "1"
    return render(
        request,
        "members/dues/voluntary.html",
        {
            "org": org,
            "form": form,
            "rows": selectors.voluntary_payments(request.user, flagged_only=flagged),
            "flagged": flagged,
        },
        status=400 if form is not None and form.errors else 200,
    )


def _require_district_admin(user) -> None:
    if not any(p.count("/") == 1 for p in scope_paths(user, frozenset({"district_admin"}))):
        raise PermissionDenied


@login_required
def policy(request):
    _require_district_admin(request.user)
    today = timezone.localdate()
    row = selectors.current_policy_row(today)
    current = selectors.policy_from_row(row) if row else rules.DEFAULT_POLICY
    initial = policy_initial(
        current,
        rules.add_months(rules.month_start(today), 1),
        row.after_tax_deductions if row else ["个人所得税"],
    )
    form = PolicyForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.save_policy(
                actor=request.user,
                effective_from=form.cleaned_data["effective_from"],
                policy=form.policy(),
                after_tax_deductions=form.cleaned_data["after_tax_deductions"],
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Dues policy saved."))
            return redirect("members:dues_policy")
    return render(
        request,
        "members/dues/policy.html",
        {"form": form, "history": selectors.policy_history(), "current": row},
        status=400 if form.errors else 200,
    )


@login_required
@require_GET
def export(request):
    org = _org(request)
    if not org.is_branch:
        raise PermissionDenied
    month, _text = _month(request)
    handle = tempfile.TemporaryFile()
    excel_dues.export_ledger(request.user, org, month, handle)
    handle.seek(0)
    return FileResponse(
        handle,
        as_attachment=True,
        filename=excel_dues.filename(org, month),
        content_type=excel_dues.XLSX_CONTENT_TYPE,
    )


urlpatterns = [
    path("dues/", dues, name="dues"),
    path("dues/records/<int:pk>/pay/", pay, name="dues_pay"),
    path("dues/arrears/", arrears, name="dues_arrears"),
    path("dues/reductions/", reductions, name="dues_reductions"),
    path("dues/reductions/<int:pk>/decide/", reduction_decide, name="dues_reduction_decide"),
    path("dues/voluntary/", voluntary, name="dues_voluntary"),
    path("dues/policy/", policy, name="dues_policy"),
    path("dues/export/", export, name="dues_export"),
]
