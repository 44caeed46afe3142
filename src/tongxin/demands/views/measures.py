"""Measures pages (issue 6 item 8): /demands/measures/ and its Excel export.

GET parameters (all optional): start, end (YYYY-MM-DD; default: the current month to
today, Asia/Shanghai), by (department, handler, grid, community, street, category; default
department), area (the id of a street or community of the user's scope). Bad input → 400
naming the field; an area outside the scope → 404.
"""

from __future__ import annotations

from datetime import date, timedelta
from io import BytesIO
from urllib.parse import quote, urlencode

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from tongxin.core.errors import PermissionDenied
from tongxin.core.scoping import roles_of
from tongxin.demands.access import STAFF_ROLES
from tongxin.demands.selectors import measures as selectors
from tongxin.demands.views.measures_export import export_filename, export_measures

T = "demands/measures/"
MEASURE_ROLES = STAFF_ROLES | {"dept_handler"}
MAX_DAYS = 3 * 366 + 1  # a period longer than three years is a typo


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class MeasuresForm(forms.Form):
    start = forms.DateField(label=_("From"), widget=DateInput)
    end = forms.DateField(label=_("Until"), widget=DateInput)
    by = forms.ChoiceField(label=_("By"), choices=())
    area = forms.TypedChoiceField(label=_("Area"), choices=(), coerce=int, required=False)

    def __init__(self, data, *, user, today: date):
        data = data.copy()
        data.setdefault("start", today.replace(day=1).isoformat())
        data.setdefault("end", today.isoformat())
        data.setdefault("by", "department")
        super().__init__(data)
        self.user = user
        self.fields["by"].choices = [(k, label) for k, (_c, label) in selectors.DIMENSIONS.items()]
        self.areas = selectors.area_choices(user)
        choices = [("", gettext("Whole scope"))] + [(o.pk, o.name) for o in self.areas]
        raw = data.get("area", "")
        if raw.isascii() and raw.isdigit() and int(raw) not in {o.pk for o in self.areas}:
            choices.append((int(raw), raw))  # checked against the scope in clean_area
        self.fields["area"].choices = choices

    def clean_area(self):
        pk = self.cleaned_data.get("area")
        if pk in (None, ""):
            return None
        area = selectors.area_queryset(self.user).filter(pk=pk).first()
        if area is None:
            raise Http404
        return area

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end:
            if end < start:
                self.add_error("end", gettext("The end of the period is before its start."))
            elif end - start > timedelta(days=MAX_DAYS):
                self.add_error("end", gettext("A period can be at most three years long."))
        return data


def cache_seconds() -> int:
    """How long the page keeps the grouped counts: TONGXIN["DEMAND_MEASURES_CACHE_SECONDS"]
    (settings: 300, and 0 in the test run, where every test builds its own demands)."""
    return int(settings.TONGXIN.get("DEMAND_MEASURES_CACHE_SECONDS", 300))


def _now():
    """The moment the measures are taken at (a seam for tests)."""
    return timezone.now()


def _measures(request):
    if not (roles_of(request.user) & MEASURE_ROLES or request.user.demand_departments.exists()):
        raise PermissionDenied(gettext("Measures are for staff and department handlers."))
    now = _now()
    form = MeasuresForm(request.GET, user=request.user, today=timezone.localdate(now))
    if not form.is_valid():
        return form, None
    d = form.cleaned_data
    result = selectors.measures(
        request.user,
        by=d["by"],
        start=d["start"],
        end=d["end"],
        area=d["area"],
        now=now,
        cache_seconds=cache_seconds(),
    )
    return form, result


def _query(result) -> str:
    params = {
        "start": result.start.isoformat(),
        "end": result.end.isoformat(),
        "by": result.by,
    }
    if result.area is not None:
        params["area"] = result.area.pk
    return urlencode(params)


# rate → (numerator, denominator): fields of rules.Measures (the definitions are there)
RATES = {
    "response_rate": ("responded_on_time", "total"),
    "on_time_rate": ("answered_on_time", "answered"),
    "resolution_rate": ("resolved", "to_resolve"),
    "satisfaction_rate": ("satisfied", "rated"),
    "reopen_rate": ("reopened", "answered"),
}
COLUMNS = (
    ("total", _("Received")),
    ("response_rate", _("Response rate")),
    ("on_time_rate", _("On-time rate")),
    ("resolution_rate", _("Resolution rate")),
    ("satisfaction_rate", _("Satisfaction rate")),
    ("reopen_rate", _("Reopen rate")),
    ("average_handling_hours", _("Average handling time (working hours)")),
    ("overdue", _("Overdue")),
)


def percent(value: float | None) -> str:
    """A rate for display: "87.5%" (one decimal); "—" when there is nothing to measure."""
    return "—" if value is None else f"{value * 100:.1f}%"


def _cells(row) -> list[dict]:
    """The table cells of one row: value shown, and the fraction behind a rate."""
    m = row.measures
    cells = []
    for key, label in COLUMNS:
        if key in RATES:
            num, den = RATES[key]
            shown = percent(getattr(m, key))
            title = f"{getattr(m, num)} / {getattr(m, den)}"
        elif key == "average_handling_hours":
            value = m.average_handling_hours
            shown, title = ("—" if value is None else f"{value:.1f}"), ""
        else:
            shown, title = str(getattr(m, key)), ""
        cells.append({"key": key, "label": label, "value": shown, "title": title})
    return cells


@login_required
def measures_page(request):
    form, result = _measures(request)
    context = {"form": form, "result": result, "columns": COLUMNS}
    if result is not None:
        context["rows"] = [(row, _cells(row)) for row in result.rows]
        context["total"] = (result.total, _cells(result.total))
        context["query"] = _query(result)
        context["dimension"] = selectors.DIMENSIONS[result.by][1]
    return render(request, T + "page.html", context, status=200 if result else 400)


@login_required
def measures_export(request):
    form, result = _measures(request)
    if result is None:
        return render(
            request, T + "page.html", {"form": form, "result": None, "columns": COLUMNS}, status=400
        )
    out = BytesIO()
    export_measures(request.user, result, out)
    response = HttpResponse(
        out.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    name = quote(export_filename(result))
    response["Content-Disposition"] = (
        f"attachment; filename=\"demand-measures.xlsx\"; filename*=UTF-8''{name}"
    )
    return response
