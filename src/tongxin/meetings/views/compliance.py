"""Compliance pages, mounted at /compliance/ (app "compliance"; issue 5 §2).

* ``compliance:page`` — ?org=<id>&period=2026-07: for a branch, per kind due / held /
  approved / met with the missing and open periods and the attendance rate (computed live);
  for a higher org, its children with counts and drill-down links, and the branches behind
  (from the snapshots). Default org: the top of the user's scope; default period: this month.
* ``compliance:settings`` — the district's frequencies, whole months and sign-in grace
  (district administrators).
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tongxin.core.errors import PermissionDenied, ValidationError
from tongxin.core.scoping import roles_of
from tongxin.meetings.rules import compliance as rules
from tongxin.meetings.rules.common import RuleError
from tongxin.meetings.rules.kinds import KINDS
from tongxin.meetings.rules.periods import MONTH, QUARTER, YEAR, Period, period_of
from tongxin.meetings.selectors import compliance as sel
from tongxin.meetings.services import compliance as service
from tongxin.orgs.models import Org

T = "meetings/"


def _period(request) -> tuple[Period, str]:
    today = timezone.localdate()
    raw = request.GET.get("period", "")
    if not raw:
        return period_of(today, MONTH), ""
    try:
        return Period.parse(raw), ""
    except RuleError as exc:
        return period_of(today, MONTH), exc.text


def _org(request) -> Org:
    raw = request.GET.get("org", "")
    if raw and (not raw.isdigit() or len(raw) > 18):
        raise Http404
    return sel.org_for(request.user, int(raw) if raw else None)


def _trail(user, org: Org) -> list[Org]:
    """The org's ancestors inside the user's scope, top first (one query)."""
    paths = [p for p in org.ancestor_paths() if p.startswith(tuple(sel._keeper_paths(user)))]
    return list(Org.objects.filter(path__in=paths).order_by("path").only("id", "name", "path"))


def _period_links(period: Period) -> dict:
    units = {
        MONTH: period_of(period.start, MONTH),
        QUARTER: period_of(period.start, QUARTER),
        YEAR: period_of(period.start, YEAR),
    }
    return {
        "previous": period.previous(),
        "next": period.next(),
        "units": [(pgettext_unit(unit), p, unit == period.unit) for unit, p in units.items()],
    }


def pgettext_unit(unit: str) -> str:
    from django.utils.translation import pgettext

    return {
        MONTH: pgettext("period unit", "Month"),
        QUARTER: pgettext("period unit", "Quarter"),
        YEAR: pgettext("period unit", "Year"),
    }[unit]


STATUS_LABELS = {
    rules.MET: gettext_lazy("All due meetings held and approved"),
    rules.OPEN: gettext_lazy("Still open: nothing missing yet"),
    rules.BEHIND: gettext_lazy("Behind: meetings missing"),
}
REASONS = {
    rules.NO_COMMITTEE: gettext_lazy("no branch committee"),
    rules.NO_GROUPS: gettext_lazy("no party groups"),
    rules.NOT_REQUIRED: gettext_lazy("not required"),
    rules.LONGER_PERIOD: gettext_lazy("judged over a longer period"),
    rules.NEW_BRANCH: gettext_lazy("branch created during the period"),
}


@login_required
def page(request):
    org = _org(request)
    period, period_error = _period(request)
    context = {
        "org": org,
        "period": period,
        "period_error": period_error,
        "links": _period_links(period),
        "trail": _trail(request.user, org),
        "status_labels": STATUS_LABELS,
        "can_configure": "district_admin" in roles_of(request.user),
    }
    if org.type == "party_group":
        raise Http404
    if sel.is_branch(org):
        result = sel.branch_compliance(request.user, org, period)
        context["result"] = result
        context["status"] = result.status
        context["kinds"] = [
            {
                "k": k,
                "name": sel.kind_name(k.kind),
                "reason": REASONS.get(k.reason, ""),
            }
            for k in result.kinds
        ]
        template = "compliance_branch.html"
    else:
        roll = sel.rollup(request.user, org, period)
        after = request.GET.get("after") or None
        behind, next_cursor = sel.behind_list(request.user, org, period, after=after)
        context.update(
            roll=roll,
            status=roll.counts.status,
            behind=[(s, sel.missing_out(s)) for s in behind],
            next_cursor=next_cursor,
        )
        template = "compliance_rollup.html"
    return render(request, T + template, context, status=400 if period_error else 200)


class SettingsForm(forms.Form):
    min_whole_months = forms.IntegerField(
        label=gettext_lazy("Whole months a new branch must have existed to owe a period"),
        min_value=1,
        max_value=service.MIN_MONTHS_MAX,
    )
    signin_before = forms.IntegerField(
        label=gettext_lazy("Sign-in opens this many minutes before the start"),
        min_value=0,
        max_value=service.GRACE_MAX,
    )
    signin_after = forms.IntegerField(
        label=gettext_lazy("Sign-in closes this many minutes after the end"),
        min_value=0,
        max_value=service.GRACE_MAX,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for k in KINDS:
            self.fields[f"freq_{k.code}"] = forms.CharField(
                label=_("%(kind)s: frequency") % {"kind": sel.kind_name(k.code)},
                required=False,
                max_length=20,
                help_text=_("e.g. 1/month, 1/quarter, 2/year; empty: not required"),
            )

    def frequencies(self) -> dict[str, str]:
        return {k.code: self.cleaned_data.get(f"freq_{k.code}") or "" for k in KINDS}


FIELD_OF = {"signin_before": "signin_before", "signin_after": "signin_after"}


@login_required
def settings(request):
    if "district_admin" not in roles_of(request.user):
        raise PermissionDenied(_("Only district administrators change the compliance settings."))
    row = service.settings_row()
    initial = {
        "min_whole_months": row.min_whole_months,
        "signin_before": row.signin_before_minutes,
        "signin_after": row.signin_after_minutes,
        **{f"freq_{code}": text for code, text in service.frequency_texts(row).items()},
    }
    form = SettingsForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            d = form.cleaned_data
            try:
                service.update_settings(
                    actor=request.user,
                    frequencies=form.frequencies(),
                    min_whole_months=d["min_whole_months"],
                    signin_before=d["signin_before"],
                    signin_after=d["signin_after"],
                )
            except ValidationError as exc:
                for field, errs in exc.message_dict.items():
                    name = field.replace("frequencies.", "freq_")
                    for e in errs:
                        form.add_error(name if name in form.fields else None, e)
            else:
                messages.success(request, _("Compliance settings saved."))
                return redirect("compliance:settings")
        status = 400
    return render(
        request,
        T + "compliance_settings.html",
        {"form": form, "row": row if row.updated_at else None},
        status=status,
    )
