"""The calendar as data (core/calendar.py, `tongxin load_calendar`; DOMAIN.md §8.4)."""

from datetime import date, datetime
from io import StringIO
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest
from django.core.management import CommandError, call_command

from tongxin.core import calendar
from tongxin.core.models import CalendarDay, CalendarYear
from tongxin.core.workdays import add_working_days, due_at, is_working_day, missing_years

pytestmark = pytest.mark.django_db

SH = ZoneInfo("Asia/Shanghai")
D = date.fromisoformat

# A made-up 2027 arrangement in the shape of a State Council notice (not the real one).
ROWS_2027 = [
    ["date", "kind", "name"],
    ["2027-01-01", "holiday", "元旦"],
    ["2027-01-02", "holiday", "元旦"],
    ["2027-01-03", "holiday", "元旦"],
    ["2027-02-06", "workday", "春节"],
    ["2027-02-07", "holiday", "春节"],
    ["2027-02-08", "holiday", "春节"],
]


def snapshot():
    return (
        list(CalendarDay.objects.order_by("date").values_list("date", "kind", "name")),
        list(CalendarYear.objects.order_by("year").values_list("year", "source", "loaded_at")),
    )


def test_empty_database_is_monday_to_friday_with_every_year_missing():
    cal = calendar.load_calendar()
    assert cal.loaded_years == frozenset()
    assert missing_years(cal, 2025, 2026) == [2025, 2026]
    assert is_working_day(D("2025-10-01"), cal)


def test_package_years():
    years = calendar.package_years()
    assert years[0] == 2004
    assert years[-1] == 2026
    assert years == list(range(2004, 2027))


def test_seed_from_package_loads_holidays_and_adjusted_workdays():
    result = calendar.seed_from_package([2025, 2026])
    assert result.loaded == [2025, 2026]
    assert result.unknown == result.kept == []
    expected = sum(1 for d in chinese_calendar.holidays if d.year in (2025, 2026)) + sum(
        1 for d in chinese_calendar.workdays if d.year in (2025, 2026)
    )
    assert CalendarDay.objects.count() == expected
    national = CalendarDay.objects.get(date=D("2025-10-01"))
    assert (national.kind, national.name) == ("holiday", "国庆节")
    assert CalendarDay.objects.get(date=D("2025-10-06")).name == "中秋"
    adjusted = CalendarDay.objects.get(date=D("2025-09-28"))
    assert (adjusted.kind, adjusted.name) == ("workday", "国庆节")
    assert set(CalendarYear.objects.values_list("year", "source")) == {
        (2025, "package"),
        (2026, "package"),
    }

    cal = calendar.load_calendar()
    assert cal.loaded_years == {2025, 2026}
    assert add_working_days(D("2025-09-30"), 5, cal) == D("2025-10-14")
    assert add_working_days(D("2026-02-14"), 1, cal) == D("2026-02-24")
    filed = datetime(2025, 9, 30, 10, 0, tzinfo=SH)
    assert due_at(filed, days=5, cal=cal) == datetime(2025, 10, 14, 17, 30, tzinfo=SH)


def test_seed_is_idempotent_and_reports_unknown_years():
    calendar.seed_from_package([2026])
    first = CalendarDay.objects.count()
    result = calendar.seed_from_package([2026, 2027])
    assert result.loaded == [2026]
    assert result.unknown == [2027]
    assert CalendarDay.objects.count() == first
    assert not CalendarYear.objects.filter(year=2027).exists()
    assert missing_years(calendar.load_calendar(), 2026, 2027) == [2027]


def test_edits_are_seen_by_the_next_load():
    calendar.seed_from_package([2025])
    assert not is_working_day(D("2025-10-08"), calendar.load_calendar())
    CalendarDay.objects.filter(date=D("2025-10-08")).delete()
    assert is_working_day(D("2025-10-08"), calendar.load_calendar())


def test_import_year_loads_a_year_the_package_does_not_know():
    assert calendar.import_year(ROWS_2027, 2027) == 6
    year = CalendarYear.objects.get(year=2027)
    assert year.source == "import"
    cal = calendar.load_calendar()
    assert missing_years(cal, 2027, 2027) == []
    assert not is_working_day(D("2027-01-01"), cal)  # a Friday, now a holiday
    assert is_working_day(D("2027-02-06"), cal)  # a Saturday, now worked
    assert add_working_days(D("2026-12-31"), 1, cal) == D("2027-01-04")


def test_import_replaces_only_that_year():
    calendar.seed_from_package([2026])
    before_2026 = CalendarDay.objects.filter(date__year=2026).count()
    calendar.import_year(ROWS_2027, 2027)
    calendar.import_year([["2027-10-01", "holiday", "国庆节"]], 2027)
    assert list(CalendarDay.objects.filter(date__year=2027).values_list("date", flat=True)) == [
        D("2027-10-01")
    ]
    assert CalendarDay.objects.filter(date__year=2026).count() == before_2026


def test_workday_on_a_tuesday_is_refused_and_nothing_written():
    calendar.import_year(ROWS_2027, 2027)
    before = snapshot()
    rows = [*ROWS_2027, ["2027-02-09", "workday", "春节"]]  # a Tuesday
    with pytest.raises(calendar.CalendarImportError) as exc:
        calendar.import_year(rows, 2027)
    assert exc.value.errors == [
        "row 8: 2027-02-09 is a weekday; an adjusted workday must be a Saturday or Sunday"
    ]
    assert snapshot() == before


def test_import_reports_every_bad_row_and_writes_nothing():
    rows = [
        ["2027-01-01", "holiday", "元旦"],
        ["2026-12-31", "holiday", "元旦"],
        ["2027-13-01", "holiday", ""],
        ["2027-01-04", "day off", ""],
        ["2027-01-01", "holiday", "again"],
        ["2027-01-05"],
        ["2027-01-06", "holiday", "名" * 51],
        ["2027-01-09", "WORKDAY", "a Saturday, upper case accepted"],
        ["2027-01-10", "holiday", "a Sunday holiday is allowed"],
    ]
    with pytest.raises(calendar.CalendarImportError) as exc:
        calendar.import_year(rows, 2027)
    assert [e.split(":")[0] for e in exc.value.errors] == [
        "row 2",
        "row 3",
        "row 4",
        "row 5",
        "row 6",
        "row 7",
    ]
    assert "not in 2027" in exc.value.errors[0]
    assert "already given in row 1" in exc.value.errors[3]
    assert snapshot() == ([], [])


def test_import_of_nothing_is_refused():
    with pytest.raises(calendar.CalendarImportError, match="no days"):
        calendar.import_year([["date", "kind", "name"], []], 2027)
    assert snapshot() == ([], [])


def test_seed_keeps_an_imported_year_unless_told_to_replace():
    calendar.import_year([["2026-10-01", "holiday", "国庆节"]], 2026)
    result = calendar.seed_from_package([2026])
    assert result.kept == [2026]
    assert CalendarDay.objects.filter(date__year=2026).count() == 1
    result = calendar.seed_from_package([2026], replace=True)
    assert result.loaded == [2026]
    assert CalendarYear.objects.get(year=2026).source == "package"
    assert CalendarDay.objects.filter(date__year=2026).count() > 1


def run(*args):
    out, err = StringIO(), StringIO()
    call_command("load_calendar", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_command_loads_years_from_the_package():
    out, err = run("--years", "2024-2026")
    assert "2024-2026" in out
    assert err == ""
    assert set(CalendarYear.objects.values_list("year", flat=True)) == {2024, 2025, 2026}


def test_command_defaults_to_every_package_year_and_warns_about_unknown_ones():
    run()
    assert CalendarYear.objects.count() == len(calendar.package_years())
    out, err = run("--years", "2026,2027")
    assert "2026" in out
    assert "2027" in err


def test_command_imports_a_csv_file(tmp_path):
    path = tmp_path / "2027.csv"
    path.write_text("\n".join(",".join(r) for r in ROWS_2027) + "\n", encoding="utf-8-sig")
    out, _ = run("--file", str(path))
    assert "imported 6 days for 2027" in out
    assert CalendarYear.objects.get(year=2027).source == "import"


def test_command_refuses_a_bad_file_and_writes_nothing(tmp_path):
    path = tmp_path / "2027.csv"
    path.write_text("2027-01-01,holiday,元旦\n2027-01-05,workday,x\n", encoding="utf-8")
    with pytest.raises(CommandError, match="row 2"):
        run("--file", str(path))
    assert snapshot() == ([], [])
    with pytest.raises(CommandError, match="cannot read"):
        run("--file", str(tmp_path / "missing.csv"))


@pytest.mark.parametrize("years", ["twenty", "2026-2024", "2024-"])
def test_command_refuses_bad_years(years):
    with pytest.raises(CommandError, match="--years"):
        run("--years", years)
