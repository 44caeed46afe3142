"""The working-day calendar pages for district administrators (core/calendar_views.py,
core/calendar.py services, the missing-year warning; DOMAIN.md §8.4, issue 6 item 6)."""

import csv
import io
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.utils import timezone, translation

from tongxin.core import calendar as cal
from tongxin.core.context_processors import calendar_warning
from tongxin.core.models import AuditEntry, CalendarDay, CalendarYear
from tongxin.core.workdays import is_working_day

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english_pages(client):
    """The assertions read the English msgids: ask for English pages (LocaleMiddleware)."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


D = date.fromisoformat
THIS_YEAR = timezone.localdate().year
NEXT_YEAR = THIS_YEAR + 1

GET_PAGES = [
    "/calendar/",
    "/calendar/2026/",
    "/calendar/2026/days/2026-10-01/",
    "/calendar/import/",
    "/calendar/template.csv",
    "/calendar/2026/export.csv",
    "/outbox/",
]
POSTS = [
    ("/calendar/2026/days/add/", {"date": "2026-12-26", "kind": "workday", "name": "x"}),
    ("/calendar/2026/days/2026-10-01/", {"kind": "holiday", "name": "changed"}),
    ("/calendar/2026/days/2026-10-01/remove/", {}),
    ("/calendar/2030/complete/", {}),
    ("/calendar/2025/package/", {}),
]


def snapshot():
    return (
        list(CalendarDay.objects.order_by("date").values_list("date", "kind", "name")),
        list(CalendarYear.objects.order_by("year").values_list("year", "source", "loaded_at")),
        AuditEntry.objects.count(),
    )


def csv_bytes(rows, encoding="utf-8"):
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode(encoding)


def upload(client, data: bytes, year, name="cal.csv"):
    return client.post(
        "/calendar/import/", {"year": year, "file": SimpleUploadedFile(name, data, "text/csv")}
    )


def load_years(*years):
    for year in years:
        CalendarYear.objects.create(year=year, source="import", loaded_at=timezone.now())


# --- access -------------------------------------------------------------------------------


@pytest.mark.parametrize("url", GET_PAGES)
def test_pages_are_for_district_admins_only(client, district, url):
    cal.seed_from_package([2026])
    assert client.get(url).status_code == 302  # to the sign-in page
    for user in (district.street_admin, district.community_admin, district.secretary):
        client.force_login(user)
        assert client.get(url).status_code == 403, (url, user)
    client.force_login(district.admin)
    assert client.get(url).status_code == 200


@pytest.mark.parametrize(("url", "data"), POSTS)
def test_writes_are_refused_to_everyone_else_and_change_nothing(client, district, url, data):
    cal.seed_from_package([2026])
    before = snapshot()
    client.force_login(district.street_admin)
    assert client.post(url, data).status_code == 403
    client.logout()
    assert client.post(url, data).status_code == 302
    assert snapshot() == before
    client.force_login(district.admin)
    assert client.post(url, data).status_code == 302  # the same request works for an admin
    assert snapshot() != before


def test_services_refuse_non_admins(district):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        cal.add_day(actor=district.street_admin, day=D("2027-01-01"), kind="holiday")
    assert not CalendarDay.objects.exists()


# --- overview and warnings ----------------------------------------------------------------


def test_overview_lists_years_with_counts_and_warns_about_missing_years_in_use(
    client, district, django_assert_max_num_queries
):
    cal.seed_from_package([2023, 2024, 2025])
    load_years(THIS_YEAR)
    CalendarDay.objects.create(date=date(NEXT_YEAR, 1, 1), kind="holiday", name="元旦")
    client.force_login(district.admin)
    # session, user, roles, notifications, session save (3), the warning; the page: 2
    with django_assert_max_num_queries(10):
        page = client.get("/calendar/")
    html = page.content.decode()
    years = {y.year: y for y in page.context["years"]}
    assert years[2025].holidays == 28 and years[2025].workdays == 5
    assert years[2025].loaded.source == "package"
    assert years[NEXT_YEAR].holidays == 1 and years[NEXT_YEAR].loaded is None
    assert [y.year for y in page.context["missing"]] == [NEXT_YEAR]
    assert f'id="year-{NEXT_YEAR}"' in html
    assert "calendar-missing" in html
    with translation.override("en"):
        html = client.get("/calendar/").content.decode()
    assert f"{NEXT_YEAR} is not loaded." in html
    assert f"{THIS_YEAR} is not loaded." not in html


def test_missing_years_in_use_is_this_year_and_next():
    assert cal.missing_years_in_use(D("2026-12-20")) == [2026, 2027]
    load_years(2027)
    assert cal.missing_years_in_use(D("2026-12-20")) == [2026]
    load_years(2026)
    assert cal.missing_years_in_use(D("2026-12-20")) == []


def request_for(user):
    request = RequestFactory().get("/")
    request.user = user
    return request


def test_warning_context_for_admins_only_and_at_most_one_query(
    district, django_assert_num_queries, django_assert_max_num_queries
):
    load_years(THIS_YEAR)
    for user in (district.street_admin, district.secretary):
        user = type(user).objects.get(pk=user.pk)
        request = request_for(user)
        with django_assert_max_num_queries(1):  # the role lookup (cached on the user)
            assert list(calendar_warning(request)["calendar_missing_years"]) == []
    admin = type(district.admin).objects.get(pk=district.admin.pk)
    request = request_for(admin)
    with django_assert_max_num_queries(1):
        context = calendar_warning(request)  # role lookup only: the years are lazy
    with django_assert_num_queries(1):
        assert list(context["calendar_missing_years"]) == [NEXT_YEAR]
        assert context["calendar_missing_years"]  # evaluated once
    load_years(NEXT_YEAR)
    assert not calendar_warning(request)["calendar_missing_years"]  # nothing cached


def test_warning_partial():
    with translation.override("en"):
        html = render_to_string(
            "partials/calendar_warning.html", {"calendar_missing_years": [2027, 2028]}
        )
        assert "2027, 2028 are not loaded" in html
        assert 'href="/calendar/"' in html
        assert render_to_string(
            "partials/calendar_warning.html", {"calendar_missing_years": []}
        ).strip() == ("")


def test_every_page_warns_an_admin_about_a_missing_year(client, district):
    """Needs base.html to include partials/calendar_warning.html and the context processor
    tongxin.core.context_processors.calendar_warning in settings (wired by the lead)."""
    load_years(THIS_YEAR)
    client.force_login(district.admin)
    assert 'id="calendar-warning"' in client.get("/").content.decode()
    client.force_login(district.street_admin)
    assert 'id="calendar-warning"' not in client.get("/").content.decode()
    load_years(NEXT_YEAR)
    client.force_login(district.admin)
    assert 'id="calendar-warning"' not in client.get("/").content.decode()


# --- the year page and single days --------------------------------------------------------


def test_year_page_shows_holidays_and_adjusted_workdays(client, district):
    cal.seed_from_package([2025])
    client.force_login(district.admin)
    page = client.get("/calendar/2025/")
    html = page.content.decode()
    assert page.context["holidays"] == 28 and page.context["workdays"] == 5
    assert 'id="day-2025-10-01"' in html and 'id="day-2025-09-28"' in html
    assert "国庆节" in html
    assert len(page.context["months"]) == 12
    october = page.context["months"][9]
    cells = [c for week in october["weeks"] for c in week if c]
    assert len(cells) == 31
    assert cells[0]["entry"].kind == "holiday"  # 1 October
    assert client.get("/calendar/1999/").status_code == 404
    assert client.get("/calendar/2025/days/2025-13-01/").status_code == 404
    assert client.get("/calendar/2025/days/2026-10-01/").status_code == 404  # another year
    assert client.get("/calendar/2025/days/2025-10-13/").status_code == 404  # not entered


def test_add_a_day_is_audited_and_counts(client, district):
    client.force_login(district.admin)
    response = client.post(
        "/calendar/2027/days/add/", {"date": "2027-02-06", "kind": "workday", "name": "春节"}
    )
    assert response.status_code == 302 and response["Location"] == "/calendar/2027/"
    day = CalendarDay.objects.get(date=D("2027-02-06"))
    assert (day.kind, day.name) == ("workday", "春节")
    entry = AuditEntry.objects.get(action="create", object_type="core.calendarday")
    assert entry.actor == district.admin
    assert entry.changes["kind"] == [None, "workday"]
    assert is_working_day(D("2027-02-06"), cal.load_calendar())  # a Saturday, now worked
    # a single day does not make the year loaded: the warning stays
    assert not CalendarYear.objects.filter(year=2027).exists()


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (
            {"date": "2027-02-09", "kind": "workday", "name": ""},
            "kind",
            "2027-02-09 is a weekday, which is a working day anyway: an adjusted workday "
            "must be a Saturday or Sunday.",
        ),
        ({"date": "2027-02-06", "kind": "weekend", "name": ""}, "kind", None),
        ({"date": "2027-02-30", "kind": "holiday", "name": ""}, "date", None),
        ({"date": "2027-02-06", "kind": "holiday", "name": "名" * 51}, "name", None),
        ({"date": "2027-02-06", "kind": "holiday", "name": "=HYPERLINK(1)"}, "name", None),
        ({"date": "2027-02-06", "kind": "holiday", "name": "a\x07b"}, "name", None),
        ({"date": "2150-02-06", "kind": "holiday", "name": ""}, "date", None),
        ({"date": "2027-01-01", "kind": "holiday", "name": ""}, "date", None),  # exists
    ],
)
def test_add_refuses_bad_days_naming_the_field(client, district, data, field, message):
    CalendarDay.objects.create(date=D("2027-01-01"), kind="holiday", name="元旦")
    before = snapshot()
    client.force_login(district.admin)
    with translation.override("en"):
        response = client.post("/calendar/2027/days/add/", data)
    assert response.status_code == 400
    form = response.context["form"]
    assert list(form.errors) == [field]
    if message:
        assert form.errors[field] == [message]
    assert snapshot() == before


def test_change_a_day_marks_a_loaded_year_as_edited_by_hand(client, district):
    cal.seed_from_package([2025])
    client.force_login(district.admin)
    response = client.post(
        "/calendar/2025/days/2025-10-08/", {"kind": "holiday", "name": "国庆节（调整）"}
    )
    assert response.status_code == 302
    assert CalendarDay.objects.get(date=D("2025-10-08")).name == "国庆节（调整）"
    entry = AuditEntry.objects.get(action="update", object_type="core.calendarday")
    assert entry.changes == {"name": ["国庆节", "国庆节（调整）"]}
    assert CalendarYear.objects.get(year=2025).source == "manual"
    # so a reload of the package keeps the edit
    assert cal.seed_from_package([2025]).kept == [2025]
    assert CalendarDay.objects.get(date=D("2025-10-08")).name == "国庆节（调整）"


def test_change_refuses_a_weekday_adjusted_workday(client, district):
    cal.seed_from_package([2025])
    before = snapshot()
    client.force_login(district.admin)
    response = client.post("/calendar/2025/days/2025-10-08/", {"kind": "workday", "name": ""})
    assert response.status_code == 400
    assert list(response.context["form"].errors) == ["kind"]
    assert snapshot() == before


def test_remove_a_day(client, district):
    cal.seed_from_package([2025])
    assert not is_working_day(D("2025-10-08"), cal.load_calendar())
    client.force_login(district.admin)
    assert client.post("/calendar/2025/days/2025-10-08/remove/").status_code == 302
    assert is_working_day(D("2025-10-08"), cal.load_calendar())
    entry = AuditEntry.objects.get(action="delete")
    assert entry.changes["kind"] == ["holiday", None]
    assert client.post("/calendar/2025/days/2025-10-08/remove/").status_code == 404
    assert client.get("/calendar/2025/days/2025-10-08/remove/").status_code == 405


def test_mark_a_year_complete_ends_the_warning(client, district):
    client.force_login(district.admin)
    CalendarDay.objects.create(date=date(NEXT_YEAR, 1, 1), kind="holiday", name="元旦")
    assert NEXT_YEAR in cal.missing_years_in_use()
    assert client.post(f"/calendar/{NEXT_YEAR}/complete/").status_code == 302
    assert CalendarYear.objects.get(year=NEXT_YEAR).source == "manual"
    assert NEXT_YEAR not in cal.missing_years_in_use()
    assert AuditEntry.objects.filter(object_type="core.calendaryear").count() == 1
    before = snapshot()
    response = client.post(f"/calendar/{NEXT_YEAR}/complete/")  # already loaded
    assert response.status_code == 400
    assert snapshot() == before


def test_load_a_year_from_the_package(client, district):
    client.force_login(district.admin)
    assert client.post("/calendar/2025/package/").status_code == 302
    assert CalendarYear.objects.get(year=2025).source == "package"
    assert CalendarDay.objects.filter(date__year=2025).count() == 33
    entry = AuditEntry.objects.get(action="import")
    assert entry.changes["days"] == [0, 33]
    before = snapshot()
    assert client.post("/calendar/2090/package/").status_code == 400  # unknown to the package
    assert snapshot() == before


# --- import ------------------------------------------------------------------------------

GOOD_2027 = [
    ["date", "kind", "name"],
    ["2027-01-01", "holiday", "元旦"],
    ["2027-02-06", "workday", "春节"],
    ["2027-02-07", "holiday", "春节"],
]


def test_import_a_year(client, district):
    client.force_login(district.admin)
    response = upload(client, csv_bytes(GOOD_2027, "utf-8-sig"), 2027)
    assert response.status_code == 302 and response["Location"] == "/calendar/2027/"
    assert CalendarYear.objects.get(year=2027).source == "import"
    assert CalendarDay.objects.filter(date__year=2027).count() == 3
    entry = AuditEntry.objects.get(action="import")
    assert (entry.object_id, entry.changes["days"]) == ("2027", [0, 3])
    assert 2027 not in cal.missing_years_in_use(D("2026-12-01"))


def test_import_accepts_gb18030_as_excel_writes_it(client, district):
    client.force_login(district.admin)
    assert upload(client, csv_bytes(GOOD_2027, "gb18030"), 2027).status_code == 302
    assert CalendarDay.objects.get(date=D("2027-01-01")).name == "元旦"


def test_import_shows_every_bad_row_with_its_line_and_writes_nothing(client, district):
    cal.import_year(GOOD_2027, 2027)
    before = snapshot()
    rows = [
        ["date", "kind", "name"],
        ["2027-10-01", "holiday", "国庆节"],
        ["2027-10-05", "workday", "国庆节"],  # a Tuesday
        ["2026-10-01", "holiday", "国庆节"],
        ["2027-10-01", "holiday", "again"],
        ["not a date", "holiday", ""],
    ]
    client.force_login(district.admin)
    with translation.override("en"):
        response = upload(client, csv_bytes(rows), 2027)
    assert response.status_code == 400
    problems = response.context["problems"]
    assert [p.split(":")[0] for p in problems] == ["Line 3", "Line 4", "Line 5", "Line 6"]
    assert "adjusted workday must be a Saturday or Sunday" in problems[0]
    assert "already given in row 2" in problems[2]
    html = response.content.decode()
    assert "Line 6: date &#x27;not a date&#x27; is not YYYY-MM-DD" in html
    assert snapshot() == before


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"\x00\xff\xfe" * 10, None),  # not text
        (b"date,kind,name\n" + b"2027-01-01,holiday,x\n" * 4000, "larger than 64 KB"),
        (b"\n".join(b"2027-01-01,holiday," for _ in range(401)), "401 rows"),
        (b"date,kind,name\n", "no days given for 2027"),
    ],
)
def test_import_refuses_whole_files(client, district, data, problem):
    before = snapshot()
    client.force_login(district.admin)
    with translation.override("en"):
        response = upload(client, data, 2027)
    assert response.status_code == 400
    assert response.context["problems"]
    if problem:
        assert problem in response.context["problems"][0]
    assert snapshot() == before


def test_import_form_names_bad_fields(client, district):
    client.force_login(district.admin)
    response = upload(client, csv_bytes(GOOD_2027), 1990)
    assert response.status_code == 400
    assert list(response.context["form"].errors) == ["year"]
    response = client.post("/calendar/import/", {"year": 2027})
    assert response.status_code == 400
    assert list(response.context["form"].errors) == ["file"]
    assert not CalendarDay.objects.exists()


def test_template_and_export_round_trip(client, district):
    client.force_login(district.admin)
    response = client.get("/calendar/template.csv")
    assert response["Content-Type"].startswith("text/csv")
    assert response.content.startswith("\ufeff".encode())
    rows = cal.read_csv_bytes(response.content)
    assert rows[0] == ["date", "kind", "name"]
    year = cal.package_years()[-1]
    assert upload(client, response.content, year).status_code == 302  # the example imports
    assert CalendarDay.objects.filter(date__year=year).count() == len(rows) - 1

    CalendarDay.objects.create(date=D("2027-01-01"), kind="holiday", name="=cmd")
    exported = client.get("/calendar/2027/export.csv").content
    assert cal.read_csv_bytes(exported) == [
        ["date", "kind", "name"],
        ["2027-01-01", "holiday", "'=cmd"],
    ]


def test_import_error_messages_are_translated():
    problem = cal.RowProblem(3, "date %(date)s is not in %(year)s", {"date": "x", "year": 2027})
    assert problem.english() == "row 3: date x is not in 2027"
    with translation.override("en"):
        assert problem.message() == "Line 3: date x is not in 2027"
