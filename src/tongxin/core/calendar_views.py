"""The working-day calendar for district administrators (DOMAIN.md §8.4, issue 6 item 6):
the years overview, a year's month grids with its holidays and adjusted workdays, adding,
changing and removing a single day, importing a year from CSV, the template and export.

Thin views over `core.calendar`; every page answers 403 to anyone but a district
administrator.
"""

from __future__ import annotations

import calendar as pycal
import csv
import functools
import io
from datetime import date

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tongxin.core import calendar as cal
from tongxin.core.errors import PermissionDenied, ValidationError
from tongxin.core.models import CalendarDay, CalendarYear
from tongxin.core.scoping import roles_of

# column heads of the month grids (short: seven fit a phone's width)
WEEKDAYS = [
    pgettext_lazy("weekday, one or two letters", "Mo"),
    pgettext_lazy("weekday, one or two letters", "Tu"),
    pgettext_lazy("weekday, one or two letters", "We"),
    pgettext_lazy("weekday, one or two letters", "Th"),
    pgettext_lazy("weekday, one or two letters", "Fr"),
    pgettext_lazy("weekday, one or two letters", "Sa"),
    pgettext_lazy("weekday, one or two letters", "Su"),
]


def admin_only(view):
    """403 for anyone but a district administrator — before the method is looked at, so a
    wrong method never tells an outsider that the page exists."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        if cal.ADMIN_ROLE not in roles_of(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


def _year_or_404(year: int) -> int:
    if not cal.YEAR_MIN <= year <= cal.YEAR_MAX:
        raise Http404
    return year


def _day_or_404(year: int, text: str) -> date:
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise Http404 from None
    if day.year != year:
        raise Http404
    return day


# --- forms -------------------------------------------------------------------------------


class DayForm(forms.Form):
    date = forms.DateField(
        label=gettext_lazy("Date"), widget=forms.DateInput(attrs={"type": "date"})
    )
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=CalendarDay.Kind.choices)
    name = forms.CharField(
        label=gettext_lazy("Holiday name"),
        required=False,
        help_text=gettext_lazy("The holiday it belongs to, e.g. 国庆节 or 春节."),
        widget=forms.TextInput(attrs={"maxlength": cal.NAME_MAX}),
    )


class DayChangeForm(DayForm):
    date = None  # the day is in the address; only kind and name change


class ImportForm(forms.Form):
    year = forms.IntegerField(
        label=gettext_lazy("Year"), min_value=cal.YEAR_MIN, max_value=cal.YEAR_MAX
    )
    file = forms.FileField(
        label=gettext_lazy("CSV file"),
        help_text=gettext_lazy("Columns date, kind, name; UTF-8 or GB18030."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )


def _add_errors(form: forms.Form, exc: ValidationError) -> None:
    """A service's {field: [message]} onto the form (unknown fields as form errors)."""
    for field_name, errors in exc.message_dict.items():
        form.add_error(field_name if field_name in form.fields else None, errors)


# --- pages -------------------------------------------------------------------------------


@login_required
@admin_only
@require_GET
def overview(request):
    years = cal.year_overview()
    return render(
        request,
        "core/calendar/overview.html",
        {
            "years": years,
            "missing": [y for y in years if y.missing],
            "package_last": cal.package_years()[-1],
        },
    )


def _month_grids(year: int, days: list[CalendarDay]) -> list[dict]:
    by_date = {d.date: d for d in days}
    months = []
    for month in range(1, 13):
        weeks = []
        for week in pycal.Calendar(firstweekday=0).monthdatescalendar(year, month):
            cells = []
            for d in week:
                if d.month != month:
                    cells.append(None)
                    continue
                entry = by_date.get(d)
                cells.append({"date": d, "entry": entry, "weekend": d.weekday() >= 5})
            weeks.append(cells)
        months.append({"month": month, "weeks": weeks})
    return months


def _year_page(request, year: int, *, form: DayForm | None = None, errors=(), status: int = 200):
    days = list(CalendarDay.objects.filter(date__year=year).order_by("date"))
    loaded = CalendarYear.objects.filter(year=year).first()
    return render(
        request,
        "core/calendar/year.html",
        {
            "year": year,
            "loaded": loaded,
            "days": days,
            "holidays": sum(1 for d in days if d.kind == CalendarDay.Kind.HOLIDAY),
            "workdays": sum(1 for d in days if d.kind == CalendarDay.Kind.WORKDAY),
            "in_use": year in cal.years_in_use(),
            "in_package": year in cal.package_years(),
            "months": _month_grids(year, days),
            "weekdays": WEEKDAYS,
            "form": form or DayForm(initial={"kind": CalendarDay.Kind.HOLIDAY}),
            "errors": list(errors),
            "prev_year": year - 1 if year > cal.YEAR_MIN else None,
            "next_year": year + 1 if year < cal.YEAR_MAX else None,
        },
        status=status,
    )


@login_required
@admin_only
@require_GET
def year_page(request, year: int):
    return _year_page(request, _year_or_404(year))


@login_required
@admin_only
@require_POST
def day_add(request, year: int):
    _year_or_404(year)
    form = DayForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            row = cal.add_day(
                actor=request.user, day=data["date"], kind=data["kind"], name=data["name"]
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(
                request,
                _("%(date)s added as %(kind)s.")
                % {"date": row.date.isoformat(), "kind": row.get_kind_display()},
            )
            return redirect("calendar:year", year=row.date.year)
    return _year_page(request, year, form=form, status=400)


@login_required
@admin_only
@require_http_methods(["GET", "POST"])
def day_change(request, year: int, day: str):
    the_day = _day_or_404(_year_or_404(year), day)
    row = CalendarDay.objects.filter(date=the_day).first()
    if row is None:
        raise Http404
    status = 200
    if request.method == "POST":
        form = DayChangeForm(request.POST)
        if form.is_valid():
            try:
                cal.change_day(
                    actor=request.user,
                    day=the_day,
                    kind=form.cleaned_data["kind"],
                    name=form.cleaned_data["name"],
                )
            except CalendarDay.DoesNotExist:
                raise Http404 from None
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                messages.success(request, _("%(date)s saved.") % {"date": the_day.isoformat()})
                return redirect("calendar:year", year=year)
        status = 400
    else:
        form = DayChangeForm(initial={"kind": row.kind, "name": row.name})
    return render(
        request,
        "core/calendar/day.html",
        {"year": year, "day": row, "form": form, "weekday": WEEKDAYS[the_day.weekday()]},
        status=status,
    )


@login_required
@admin_only
@require_POST
def day_remove(request, year: int, day: str):
    the_day = _day_or_404(_year_or_404(year), day)
    try:
        cal.remove_day(actor=request.user, day=the_day)
    except CalendarDay.DoesNotExist:
        raise Http404 from None
    messages.success(request, _("%(date)s removed.") % {"date": the_day.isoformat()})
    return redirect("calendar:year", year=year)


@login_required
@admin_only
@require_POST
def year_complete(request, year: int):
    _year_or_404(year)
    try:
        cal.mark_year_complete(actor=request.user, year=year)
    except ValidationError as exc:
        return _year_page(request, year, errors=exc.messages, status=400)
    messages.success(request, _("%(year)d is marked as loaded.") % {"year": year})
    return redirect("calendar:year", year=year)


@login_required
@admin_only
@require_POST
def year_from_package(request, year: int):
    _year_or_404(year)
    try:
        count = cal.reload_year_from_package(actor=request.user, year=year)
    except ValidationError as exc:
        return _year_page(request, year, errors=exc.messages, status=400)
    messages.success(
        request,
        _("%(year)d loaded from the chinese-calendar package: %(count)d days.")
        % {"year": year, "count": count},
    )
    return redirect("calendar:year", year=year)


@login_required
@admin_only
@require_http_methods(["GET", "POST"])
def import_page(request):
    problems: list[str] = []
    status = 200
    if request.method == "POST":
        form = ImportForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            year = form.cleaned_data["year"]
            # read at most one byte past the limit: a bigger file is refused unread
            data = upload.read(cal.IMPORT_MAX_BYTES + 1)
            try:
                count = cal.import_upload(actor=request.user, data=data, year=year)
            except cal.CalendarImportError as exc:
                problems = exc.messages()
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                messages.success(
                    request,
                    _("%(year)d imported: %(count)d days. Nothing else was changed.")
                    % {"year": year, "count": count},
                )
                return redirect("calendar:year", year=year)
        status = 400
    else:
        form = ImportForm(initial={"year": timezone.localdate().year + 1})
    return render(
        request,
        "core/calendar/import.html",
        {
            "form": form,
            "problems": problems,
            "max_kb": cal.IMPORT_MAX_BYTES // 1024,
            "example": cal.template_rows()[:6],
        },
        status=status,
    )


def _csv_response(rows: list[list[str]], filename: str) -> HttpResponse:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for row in rows:
        # a cell that a spreadsheet would run as a formula is quoted as text
        writer.writerow(["'" + c if c.startswith(cal.FORMULA_START) else c for c in row])
    response = HttpResponse(
        ("\ufeff" + out.getvalue()).encode("utf-8"), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
@admin_only
@require_GET
def template_csv(request):
    return _csv_response(cal.template_rows(), "calendar-template.csv")


@login_required
@admin_only
@require_GET
def year_csv(request, year: int):
    _year_or_404(year)
    return _csv_response(cal.year_rows(year), f"calendar-{year}.csv")
