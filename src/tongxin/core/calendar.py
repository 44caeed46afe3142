"""The official working-day calendar as data: load it from the database, seed it from the
chinese-calendar package, import a year the State Council has published.

DOMAIN.md §8.4. The General Office of the State Council publishes each year's holidays and
adjusted workdays (《国务院办公厅关于XXXX年部分节假日安排的通知》, usually in November of
the year before). The chinese-calendar package carries the notices up to the year of its
release; a later year is imported from a file (`tongxin load_calendar --file`), and until
then that year falls back to Monday-to-Friday (`workdays.missing_years`).
"""

from __future__ import annotations

import contextlib
import csv
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from django.db import IntegrityError, transaction
from django.db.models import Count
from django.db.models.functions import ExtractYear
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop

from tongxin.core import audit, workdays
from tongxin.core.errors import PermissionDenied, raise_if
from tongxin.core.models import CalendarDay, CalendarYear
from tongxin.core.scoping import roles_of

KINDS = (CalendarDay.Kind.HOLIDAY.value, CalendarDay.Kind.WORKDAY.value)
NAME_MAX = CalendarDay._meta.get_field("name").max_length


#: The key of the stored calendar in Django's cache (see `official_calendar`).
CACHE_KEY = "tongxin:core:calendar:v1"
#: How long a process may serve a cached calendar at most (a safety net: every write in
#: this module, and every save or delete of a CalendarDay/CalendarYear row, drops the key).
CACHE_SECONDS = 60


def load_calendar() -> workdays.Calendar:
    """The calendar as stored now, read from the database (two small queries: a few dozen
    rows per loaded year). Use `official_calendar()` on hot paths."""
    holidays: set[date] = set()
    adjusted: set[date] = set()
    for d, kind in CalendarDay.objects.values_list("date", "kind"):
        (holidays if kind == CalendarDay.Kind.HOLIDAY else adjusted).add(d)
    years = CalendarYear.objects.values_list("year", flat=True)
    return workdays.Calendar(holidays=holidays, workdays=adjusted, loaded_years=set(years))


def official_calendar() -> workdays.Calendar:
    """The calendar as stored, from Django's cache when it is there (no query), else loaded
    and cached. Every calendar write (the functions of this module, and any save or delete
    of a CalendarDay/CalendarYear row: see `forget_calendar`) drops the cached copy, at once
    and again when its transaction commits, so the next call anywhere sees the edit (with
    the local-memory cache, other processes after at most CACHE_SECONDS)."""
    from django.core.cache import cache

    try:
        cal = cache.get(CACHE_KEY)
    except Exception:  # a cache outage must not stop intake: read the database
        return load_calendar()
    if cal is None:
        cal = load_calendar()
        with contextlib.suppress(Exception):  # a cache outage must not fail the request
            cache.set(CACHE_KEY, cal, CACHE_SECONDS)
    return cal


def forget_calendar() -> None:
    """Drop the cached calendar now and when the current transaction commits (a reader
    between the two could otherwise cache the rows as they were before the write)."""
    from django.core.cache import cache

    def drop():
        with contextlib.suppress(Exception):  # a cache outage must not fail the request
            cache.delete(CACHE_KEY)

    drop()
    transaction.on_commit(drop)


# --- seeding from the chinese-calendar package ---------------------------------------


def package_years() -> list[int]:
    """The years the installed chinese-calendar package knows."""
    import chinese_calendar

    return sorted({d.year for d in chinese_calendar.holidays})


def _package_rows(year: int) -> list[tuple[date, str, str]]:
    import chinese_calendar

    chinese = {h.value: h.chinese for h in chinese_calendar.Holiday}
    rows = [
        (d, CalendarDay.Kind.HOLIDAY.value, chinese.get(name, name))
        for d, name in chinese_calendar.holidays.items()
        if d.year == year
    ]
    rows += [
        (d, CalendarDay.Kind.WORKDAY.value, chinese.get(name, name))
        for d, name in chinese_calendar.workdays.items()
        if d.year == year and d.weekday() >= 5
    ]
    return sorted(rows)


@dataclass
class SeedResult:
    loaded: list[int] = field(default_factory=list)
    #: asked for but not in the package (import them from the State Council's notice)
    unknown: list[int] = field(default_factory=list)
    #: already imported or edited by hand: not overwritten without `replace=True`
    kept: list[int] = field(default_factory=list)


@transaction.atomic
def seed_from_package(years: Iterable[int], *, replace: bool = False) -> SeedResult:
    """Write the package's holidays and adjusted workdays for `years`, replacing those
    years' rows, and mark them loaded (source "package"). Years the package does not know
    are reported, not written; years imported from a file or entered by hand are kept
    unless `replace`.

    The package's `holidays` dict holds the days off (weekend days inside a holiday block
    included) and its `workdays` dict the adjusted working weekend days; in 1.11.0 every
    entry of `workdays` is a Saturday or Sunday, and only those are taken."""
    known = set(package_years())
    sources = dict(CalendarYear.objects.values_list("year", "source"))
    result = SeedResult()
    for year in sorted(set(years)):
        if year not in known:
            result.unknown.append(year)
        elif sources.get(year, CalendarYear.Source.PACKAGE) != CalendarYear.Source.PACKAGE and (
            not replace
        ):
            result.kept.append(year)
        else:
            _replace_year(year, _package_rows(year), CalendarYear.Source.PACKAGE)
            result.loaded.append(year)
    return result


def _replace_year(year: int, rows: Sequence[tuple[date, str, str]], source: str) -> None:
    forget_calendar()  # bulk_create and queryset updates send no model signals
    CalendarDay.objects.filter(date__year=year).delete()
    CalendarDay.objects.bulk_create(
        CalendarDay(date=d, kind=kind, name=name) for d, kind, name in rows
    )
    CalendarYear.objects.update_or_create(
        year=year, defaults={"source": source, "loaded_at": timezone.now()}
    )


# --- importing a published year --------------------------------------------------------


@dataclass(frozen=True)
class RowProblem:
    """One reason a file was refused: the row (line) it is on (0: the whole file), an
    English msgid marked with gettext_noop and its parameters — `english()` for logs and
    the command line, `message()` in the user's language for pages."""

    row: int
    template: str
    params: dict = field(default_factory=dict)

    def english(self) -> str:
        text = self.template % self.params
        return f"row {self.row}: {text}" if self.row else text

    def message(self) -> str:
        text = gettext(self.template) % self.params
        if not self.row:
            return text
        return gettext("Line %(line)d: %(problem)s") % {"line": self.row, "problem": text}


class CalendarImportError(ValueError):
    """The file was refused; `errors` lists every bad row ("row 3: ...") in English,
    `problems` the same as RowProblem (with `messages()` translated for pages)."""

    def __init__(self, errors: list[str] | None = None, problems: list[RowProblem] | None = None):
        self.problems = list(problems or [])
        self.errors = list(errors) if errors is not None else [p.english() for p in self.problems]
        super().__init__("; ".join(self.errors))

    def messages(self) -> list[str]:
        if self.problems:
            return [p.message() for p in self.problems]
        return list(self.errors)


def _parse_row(
    row: Sequence[str], year: int
) -> tuple[tuple[date, str, str] | None, tuple[str, dict] | None]:
    """(date, kind, name) of a good row, or the problem (an English msgid and its
    parameters, see RowProblem)."""
    cells = [str(c).strip() for c in row]
    if len(cells) < 2:
        return None, (gettext_noop("expected date,kind,name"), {})
    raw_date, kind = cells[0], cells[1].lower()
    name = cells[2] if len(cells) > 2 else ""
    try:
        d = date.fromisoformat(raw_date)
    except ValueError:
        return None, (gettext_noop("date %(value)s is not YYYY-MM-DD"), {"value": repr(raw_date)})
    if d.year != year:
        return None, (gettext_noop("date %(date)s is not in %(year)s"), {"date": d, "year": year})
    if kind not in KINDS:
        return None, (
            gettext_noop("kind %(value)s must be holiday or workday"),
            {"value": repr(cells[1])},
        )
    if kind == CalendarDay.Kind.WORKDAY and d.weekday() < 5:
        return None, (
            gettext_noop("%(date)s is a weekday; an adjusted workday must be a Saturday or Sunday"),
            {"date": d},
        )
    if len(name) > NAME_MAX:
        return None, (gettext_noop("name longer than %(max)d characters"), {"max": NAME_MAX})
    return (d, kind, name), None


@transaction.atomic
def import_year(
    rows: Iterable[Sequence[str]], year: int, *, source: str = CalendarYear.Source.IMPORT
) -> int:
    """Replace `year`'s holidays and adjusted workdays with `rows` (date, kind, name — as in
    the State Council's notice: every day off, and every weekend day worked) and mark the
    year loaded. All or nothing: any bad row refuses the whole file, listing every error.

    Rules: each date in `year`, ISO format; kind "holiday" (any day of the week) or
    "workday" (must be a Saturday or Sunday); each date once. A header row
    `date,kind,name` is skipped. Returns the number of days written."""
    parsed: list[tuple[date, str, str]] = []
    problems: list[RowProblem] = []
    seen: dict[date, int] = {}
    for number, row in enumerate(rows, start=1):
        if not row or all(not str(c).strip() for c in row):
            continue
        if number == 1 and str(row[0]).strip().lower() == "date":
            continue
        value, problem = _parse_row(row, year)
        if problem:
            problems.append(RowProblem(number, *problem))
            continue
        assert value is not None
        if value[0] in seen:
            problems.append(
                RowProblem(
                    number,
                    gettext_noop("%(date)s already given in row %(row)d"),
                    {"date": value[0], "row": seen[value[0]]},
                )
            )
            continue
        seen[value[0]] = number
        parsed.append(value)
    if not parsed and not problems:
        problems.append(RowProblem(0, gettext_noop("no days given for %(year)s"), {"year": year}))
    if problems:
        raise CalendarImportError(problems=problems)
    _replace_year(year, sorted(parsed), source)
    return len(parsed)


def read_csv(path: str | Path) -> list[list[str]]:
    """The rows of a UTF-8 CSV file (a byte-order mark, as Excel writes, is accepted)."""
    with open(path, encoding="utf-8-sig", newline="") as f:
        return list(csv.reader(f))


def read_csv_bytes(data: bytes) -> list[list[str]]:
    """The rows of an uploaded CSV file: UTF-8 (with or without the byte-order mark Excel
    writes) or GB18030/GBK (what Excel writes on a Chinese Windows by default). Refused
    with a CalendarImportError when it is neither, or not CSV."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise CalendarImportError(
            problems=[
                RowProblem(0, gettext_noop("the file is not text in UTF-8 or GB18030 encoding"))
            ]
        )
    try:
        return list(csv.reader(text.splitlines()))
    except csv.Error as exc:
        raise CalendarImportError(
            problems=[
                RowProblem(0, gettext_noop("the file is not CSV: %(error)s"), {"error": str(exc)})
            ]
        ) from None


# --- the calendar as district administrators see and edit it -----------------------------

#: Years an administrator may enter or import (the platform's lifetime, generously).
YEAR_MIN, YEAR_MAX = 2000, 2099
#: An upload holds one year: at most 366 days (and a header, and a few blank lines).
IMPORT_MAX_BYTES = 64 * 1024
IMPORT_MAX_ROWS = 400
#: A name may not look like a spreadsheet formula (the calendar is exported as CSV).
FORMULA_START = ("=", "+", "-", "@")
ADMIN_ROLE = "district_admin"


def years_in_use(today: date | None = None) -> list[int]:
    """The years whose calendar is needed now: this year, and the next one (a demand filed
    in December falls due in January; the State Council publishes the next year's notice
    in the autumn)."""
    today = today or timezone.localdate()
    return [today.year, today.year + 1]


def missing_years_in_use(today: date | None = None) -> list[int]:
    """The years in use with no loaded arrangement (one small query) — administrators are
    warned about these until they are loaded."""
    wanted = years_in_use(today)
    loaded = set(CalendarYear.objects.filter(year__in=wanted).values_list("year", flat=True))
    return [y for y in wanted if y not in loaded]


@dataclass
class YearSummary:
    year: int
    loaded: CalendarYear | None
    holidays: int = 0
    workdays: int = 0
    in_use: bool = False
    in_package: bool = False

    @property
    def missing(self) -> bool:
        """In use and not loaded: counted Monday to Friday only."""
        return self.in_use and self.loaded is None


def year_overview(today: date | None = None) -> list[YearSummary]:
    """Every year that is loaded, has days entered, or is in use — newest first, with its
    source and the number of holidays and adjusted workdays. Two queries."""
    in_use = set(years_in_use(today))
    package = set(package_years())
    summaries: dict[int, YearSummary] = {}

    def summary(year: int) -> YearSummary:
        if year not in summaries:
            summaries[year] = YearSummary(
                year=year, loaded=None, in_use=year in in_use, in_package=year in package
            )
        return summaries[year]

    for row in CalendarYear.objects.all():
        summary(row.year).loaded = row
    counts = (
        CalendarDay.objects.annotate(y=ExtractYear("date"))
        .values("y", "kind")
        .annotate(n=Count("id"))
        .order_by()
    )
    for row in counts:
        s = summary(row["y"])
        if row["kind"] == CalendarDay.Kind.HOLIDAY:
            s.holidays = row["n"]
        else:
            s.workdays = row["n"]
    for year in in_use:
        summary(year)
    return sorted(summaries.values(), key=lambda s: -s.year)


def _require_admin(actor) -> None:
    if ADMIN_ROLE not in roles_of(actor):
        raise PermissionDenied


def _year_errors(year: int, field_name: str = "year") -> dict[str, list[str]]:
    if not isinstance(year, int) or not YEAR_MIN <= year <= YEAR_MAX:
        return {
            field_name: [
                gettext("Enter a year from %(min)d to %(max)d.")
                % {"min": YEAR_MIN, "max": YEAR_MAX}
            ]
        }
    return {}


def _day_errors(day: date | None, kind: str, name: str) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {"date": [], "kind": [], "name": []}
    if day is None:
        errors["date"].append(gettext("Enter a date."))
    elif not YEAR_MIN <= day.year <= YEAR_MAX:
        errors["date"].append(
            gettext("Enter a date from %(min)d to %(max)d.") % {"min": YEAR_MIN, "max": YEAR_MAX}
        )
    if kind not in KINDS:
        errors["kind"].append(gettext("Choose holiday or adjusted workday."))
    elif kind == CalendarDay.Kind.WORKDAY and day is not None and day.weekday() < 5:
        errors["kind"].append(
            gettext(
                "%(date)s is a weekday, which is a working day anyway: an adjusted workday "
                "must be a Saturday or Sunday."
            )
            % {"date": day.isoformat()}
        )
    if len(name) > NAME_MAX:
        errors["name"].append(
            gettext("At most %(max)d characters (it has %(count)d).")
            % {"max": NAME_MAX, "count": len(name)}
        )
    elif any(ord(c) < 32 or ord(c) == 127 for c in name):
        errors["name"].append(
            gettext("The name may not contain line breaks or control characters.")
        )
    elif name.startswith(FORMULA_START):
        errors["name"].append(gettext("The name may not start with =, +, - or @."))
    return errors


def _touch_year(year: int) -> None:
    """A loaded year edited by hand becomes "entered by hand", so that reloading the
    package (`tongxin load_calendar`) keeps the edit unless told to replace it. A year
    that is not loaded stays not loaded: single days are honoured, the warning stays until
    the whole year is imported or marked complete."""
    forget_calendar()
    CalendarYear.objects.filter(year=year).exclude(source=CalendarYear.Source.MANUAL).update(
        source=CalendarYear.Source.MANUAL, updated_at=timezone.now()
    )


@transaction.atomic
def add_day(*, actor, day: date | None, kind: str, name: str = "") -> CalendarDay:
    """Enter one holiday or adjusted workday by hand. ValidationError naming the field
    ("date", "kind", "name") for a bad or already entered day; audited."""
    _require_admin(actor)
    name = (name or "").strip()
    errors = _day_errors(day, kind, name)
    if day is not None and not errors["date"]:
        existing = CalendarDay.objects.filter(date=day).first()
        if existing is not None:
            errors["date"].append(
                gettext("%(date)s is already in the calendar (%(kind)s); change it instead.")
                % {"date": day.isoformat(), "kind": existing.get_kind_display()}
            )
    raise_if(errors)
    assert day is not None
    try:
        with transaction.atomic():
            row = CalendarDay.objects.create(date=day, kind=kind, name=name)
    except IntegrityError:  # entered at the same moment by someone else
        raise_if({"date": [gettext("%(date)s was just entered by someone else.") % {"date": day}]})
    _touch_year(day.year)
    audit.record(
        actor=actor,
        action="create",
        obj=row,
        changes={"date": [None, day], "kind": [None, kind], "name": [None, name]},
    )
    return row


@transaction.atomic
def change_day(*, actor, day: date, kind: str, name: str = "") -> CalendarDay:
    """Change the kind or name of a day already in the calendar (CalendarDay.DoesNotExist
    when it is not). ValidationError naming the field; audited."""
    _require_admin(actor)
    row = CalendarDay.objects.select_for_update().get(date=day)
    name = (name or "").strip()
    raise_if(_day_errors(day, kind, name))
    before = audit.snapshot(row, ["kind", "name"])
    row.kind, row.name = kind, name
    changes = audit.diff(before, audit.snapshot(row, ["kind", "name"]))
    if not changes:
        return row
    row.save(update_fields=["kind", "name", "updated_at"])
    _touch_year(day.year)
    audit.record(actor=actor, action="update", obj=row, changes=changes)
    return row


@transaction.atomic
def remove_day(*, actor, day: date) -> None:
    """Take a day out of the calendar (it becomes an ordinary day of the week again).
    CalendarDay.DoesNotExist when it is not there; audited."""
    _require_admin(actor)
    row = CalendarDay.objects.select_for_update().get(date=day)
    audit.record(
        actor=actor,
        action="delete",
        obj=row,
        changes={"date": [day, None], "kind": [row.kind, None], "name": [row.name, None]},
    )
    row.delete()
    _touch_year(day.year)


@transaction.atomic
def mark_year_complete(*, actor, year: int) -> CalendarYear:
    """Declare a year's arrangement complete as entered by hand day by day (source
    "manual"): the year counts as loaded and the warning goes. ValidationError("year")
    for a year out of range or already loaded; audited."""
    _require_admin(actor)
    errors = _year_errors(year)
    if not errors and CalendarYear.objects.filter(year=year).exists():
        errors = {"year": [gettext("%(year)d is already loaded.") % {"year": year}]}
    raise_if(errors)
    row = CalendarYear.objects.create(
        year=year, source=CalendarYear.Source.MANUAL, loaded_at=timezone.now()
    )
    audit.record(
        actor=actor,
        action="update",
        obj=row,
        changes={"source": [None, row.source]},
    )
    return row


@transaction.atomic
def reload_year_from_package(*, actor, year: int) -> int:
    """Replace a year with the chinese-calendar package's arrangement (undoing imports and
    hand edits of that year). ValidationError("year") when the package does not know the
    year; returns the number of days written; audited."""
    _require_admin(actor)
    if year not in package_years():
        message = gettext("The chinese-calendar package does not know %(year)d.")
        raise_if({"year": [message % {"year": year}]})
    before = CalendarDay.objects.filter(date__year=year).count()
    old_source = CalendarYear.objects.filter(year=year).values_list("source", flat=True).first()
    seed_from_package([year], replace=True)
    after = CalendarDay.objects.filter(date__year=year).count()
    audit.record(
        actor=actor,
        action="import",
        object_type="core.calendaryear",
        object_id=str(year),
        object_repr=str(year),
        changes={"source": [old_source, CalendarYear.Source.PACKAGE], "days": [before, after]},
    )
    return after


@transaction.atomic
def import_upload(*, actor, data: bytes, year: int) -> int:
    """Import one year from an uploaded CSV file (date,kind,name — see `import_year`),
    replacing that year. All or nothing: CalendarImportError listing every bad row with its
    line number (or the whole file's problem: too big, not text, too many rows), and
    nothing is written. ValidationError("year") for a year out of range. Audited."""
    _require_admin(actor)
    raise_if(_year_errors(year))
    if len(data) > IMPORT_MAX_BYTES:
        raise CalendarImportError(
            problems=[
                RowProblem(
                    0,
                    gettext_noop(
                        "the file is larger than %(max)d KB; one year's calendar is much smaller"
                    ),
                    {"max": IMPORT_MAX_BYTES // 1024},
                )
            ]
        )
    rows = read_csv_bytes(data)
    if len(rows) > IMPORT_MAX_ROWS:
        raise CalendarImportError(
            problems=[
                RowProblem(
                    0,
                    gettext_noop("the file has %(count)d rows; one year has at most 366 days"),
                    {"count": len(rows)},
                )
            ]
        )
    before = CalendarDay.objects.filter(date__year=year).count()
    old_source = CalendarYear.objects.filter(year=year).values_list("source", flat=True).first()
    count = import_year(rows, year)
    audit.record(
        actor=actor,
        action="import",
        object_type="core.calendaryear",
        object_id=str(year),
        object_repr=str(year),
        changes={"source": [old_source, CalendarYear.Source.IMPORT], "days": [before, count]},
    )
    return count


CSV_HEADER = ["date", "kind", "name"]


def year_rows(year: int) -> list[list[str]]:
    """A year's stored days as CSV rows (header first) — the import format."""
    days = CalendarDay.objects.filter(date__year=year).order_by("date")
    return [CSV_HEADER] + [[d.date.isoformat(), d.kind, d.name] for d in days]


def template_rows() -> list[list[str]]:
    """The import template: the header and, as a worked example, the latest year the
    chinese-calendar package knows (a real State Council arrangement)."""
    year = package_years()[-1]
    return [CSV_HEADER] + [[d.isoformat(), kind, name] for d, kind, name in _package_rows(year)]
