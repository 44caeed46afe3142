"""The official working-day calendar as data: load it from the database, seed it from the
chinese-calendar package, import a year the State Council has published.

DOMAIN.md §8.4. The General Office of the State Council publishes each year's holidays and
adjusted workdays (《国务院办公厅关于XXXX年部分节假日安排的通知》, usually in November of
the year before). The chinese-calendar package carries the notices up to the year of its
release; a later year is imported from a file (`tongxin load_calendar --file`), and until
then that year falls back to Monday-to-Friday (`workdays.missing_years`).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from tongxin.core import workdays
from tongxin.core.models import CalendarDay, CalendarYear

KINDS = (CalendarDay.Kind.HOLIDAY.value, CalendarDay.Kind.WORKDAY.value)
NAME_MAX = CalendarDay._meta.get_field("name").max_length


def load_calendar() -> workdays.Calendar:
    """The calendar as stored now. Not cached: two small queries (a few dozen rows per
    loaded year), so an edit or import is seen by the next call in every process."""
    holidays: set[date] = set()
    adjusted: set[date] = set()
    for d, kind in CalendarDay.objects.values_list("date", "kind"):
        (holidays if kind == CalendarDay.Kind.HOLIDAY else adjusted).add(d)
    years = CalendarYear.objects.values_list("year", flat=True)
    return workdays.Calendar(holidays=holidays, workdays=adjusted, loaded_years=set(years))


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
    CalendarDay.objects.filter(date__year=year).delete()
    CalendarDay.objects.bulk_create(
        CalendarDay(date=d, kind=kind, name=name) for d, kind, name in rows
    )
    CalendarYear.objects.update_or_create(
        year=year, defaults={"source": source, "loaded_at": timezone.now()}
    )


# --- importing a published year --------------------------------------------------------


class CalendarImportError(ValueError):
    """The file was refused; `errors` lists every bad row ("row 3: ...")."""

    def __init__(self, errors: list[str]):
        super().__init__("; ".join(errors))
        self.errors = errors


def _parse_row(row: Sequence[str], year: int) -> tuple[tuple[date, str, str] | None, str | None]:
    cells = [str(c).strip() for c in row]
    if len(cells) < 2:
        return None, "expected date,kind,name"
    raw_date, kind = cells[0], cells[1].lower()
    name = cells[2] if len(cells) > 2 else ""
    try:
        d = date.fromisoformat(raw_date)
    except ValueError:
        return None, f"date {raw_date!r} is not YYYY-MM-DD"
    if d.year != year:
        return None, f"date {d} is not in {year}"
    if kind not in KINDS:
        return None, f"kind {cells[1]!r} must be holiday or workday"
    if kind == CalendarDay.Kind.WORKDAY and d.weekday() < 5:
        return None, f"{d} is a weekday; an adjusted workday must be a Saturday or Sunday"
    if len(name) > NAME_MAX:
        return None, f"name longer than {NAME_MAX} characters"
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
    errors: list[str] = []
    seen: dict[date, int] = {}
    for number, row in enumerate(rows, start=1):
        if not row or all(not str(c).strip() for c in row):
            continue
        if number == 1 and str(row[0]).strip().lower() == "date":
            continue
        value, error = _parse_row(row, year)
        if error:
            errors.append(f"row {number}: {error}")
            continue
        assert value is not None
        if value[0] in seen:
            errors.append(f"row {number}: {value[0]} already given in row {seen[value[0]]}")
            continue
        seen[value[0]] = number
        parsed.append(value)
    if not parsed and not errors:
        errors.append(f"no days given for {year}")
    if errors:
        raise CalendarImportError(errors)
    _replace_year(year, sorted(parsed), source)
    return len(parsed)


def read_csv(path: str | Path) -> list[list[str]]:
    """The rows of a UTF-8 CSV file (a byte-order mark, as Excel writes, is accepted)."""
    with open(path, encoding="utf-8-sig", newline="") as f:
        return list(csv.reader(f))
