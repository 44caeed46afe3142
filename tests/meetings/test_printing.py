"""Printables of organisational life (issue 5 item 8): a meeting record in the layout of a
branch work record book, and a branch's yearly summary — Chinese text, the font embedded,
scoped (404 elsewhere), every print audited."""

from datetime import date
from urllib.parse import quote

import pytest
from django.core.files.base import ContentFile
from django.urls import include, path

from tests.core import pdf_text
from tests.meetings.factories import Branch, meeting
from tongxin.core.models import AuditEntry
from tongxin.meetings import printing
from tongxin.meetings.models import AppraisalResult, Attachment, Election, Grade, Kind, State
from tongxin.meetings.views import printing as views

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]

# The two routes (meetings:pdf, meetings:yearly_pdf) are added to meetings/urls.py by its
# owner; this test URLconf mounts them in front of the project's so the tests run either way.
urlpatterns = [
    path("meetings/<int:meeting_id>/pdf/", views.meeting_pdf),
    path("meetings/summary/<int:org_id>/<int:year>/pdf/", views.yearly_summary_pdf),
    path("", include("tongxin.urls")),
]

TODAY = date(2026, 11, 1)


def flat(data: bytes) -> str:
    return "".join(pdf_text.text(data).split())


def assert_font_embedded(data: bytes) -> None:
    assert data.startswith(b"%PDF-")
    fonts = pdf_text.fonts(data)
    assert fonts and all(f["embedded"] in ("FontFile2", "FontFile3") for f in fonts)
    assert all(f["subset"] for f in fonts)


@pytest.fixture
def b(district):
    return Branch(district, members=6)


@pytest.fixture
def record(b):
    m = meeting(
        b,
        kind=Kind.THEME_DAY,
        on=date(2026, 7, 15),
        state=State.APPROVED,
        attended=4,
        on_leave=1,
        roster=True,
        topic="重温入党誓词主题党日",
        place="党群服务中心二楼会议室",
        agenda="一、重温入党誓词\n二、学习党章",
        minutes="书记领誓，全体党员重温入党誓词并交流学习体会。",
        review_opinion="记录完整，同意。",
        host=b.members[0],
        recorder=b.members[1],
    )
    Attachment.objects.create(
        meeting=m,
        file=ContentFile(b"%PDF-1.4 test", name="sign.pdf"),
        name="签到表扫描件.pdf",
        content_type="application/pdf",
        size=2048,
    )
    return m


def test_meeting_record_prints_the_record_book_layout(
    client, b, record, django_assert_max_num_queries, tmp_path
):
    client.force_login(b.secretary)
    with django_assert_max_num_queries(20):
        response = client.get(f"/meetings/{record.pk}/pdf/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    data = response.content
    assert_font_embedded(data)
    text = flat(data)
    # labels are English msgids until the lead's translation; the data is Chinese
    for needle in (
        "Branch work record book",
        "meeting name",
        "重温入党誓词主题党日",
        "Theme party day",
        "党群服务中心二楼会议室",
        "2026-07-1519:00–21:00",
        b.members[0].name,
        b.members[1].name,
        "一、重温入党誓词二、学习党章",
        "书记领誓",
        "记录完整，同意。",
        "签到表扫描件.pdf",
        b.org.name,
    ):
        assert "".join(needle.split()) in text, needle
    # attendance: counts and the names under each, the leave reason
    attended = [b.members[i].name for i in range(4)]
    for name in attended:
        assert name in text
    assert f"{b.members[4].name}（出差）" in text
    assert b.members[5].name in text
    poppler = pdf_text.poppler_text(data, tmp_path)
    if poppler is not None:
        assert "重温入党誓词主题党日" in "".join(poppler.split())


def test_meeting_record_in_english_labels(client, b, record):
    client.force_login(b.secretary)
    data = client.get(f"/meetings/{record.pk}/pdf/", HTTP_ACCEPT_LANGUAGE="en").content
    text = flat(data)
    assert "Branchworkrecordbook" in text
    assert "shouldattend" in text and "6people" in text
    assert "attended" in text and "4people" in text
    assert "onleave" in text and "1people" in text


def test_counts_only_meeting_says_so(client, b):
    m = meeting(b, kind=Kind.PARTY_LECTURE, attended=5, on_leave=0, should_attend=6)
    client.force_login(b.secretary)
    text = flat(client.get(f"/meetings/{m.pk}/pdf/", HTTP_ACCEPT_LANGUAGE="en").content)
    assert "Onlythecountswererecordedforthismeeting." in text
    assert "absent" in text and "1people" in text


def test_meeting_print_is_audited_and_named_in_chinese(client, b, record):
    client.force_login(b.community_admin)
    before = AuditEntry.objects.filter(action="print").count()
    response = client.get(f"/meetings/{record.pk}/pdf/")
    assert response.status_code == 200
    assert AuditEntry.objects.filter(action="print").count() == before + 1
    entry = AuditEntry.objects.filter(action="print").latest("id")
    assert entry.actor == b.community_admin
    assert entry.object_type == "meetings.meeting"
    assert entry.object_id == str(record.pk)
    disposition = response["Content-Disposition"]
    assert "filename*=utf-8''" in disposition and quote(b.org.name) in disposition
    disposition.encode("latin-1")


def test_roster_member_may_print_their_meeting(client, b, record):
    client.force_login(b.member_user)
    assert client.get(f"/meetings/{record.pk}/pdf/").status_code == 200


def test_foreign_meeting_is_404_and_not_audited(client, b, record):
    before = AuditEntry.objects.count()
    for user in (b.outsider, b.outsider_member_user):
        client.force_login(user)
        assert client.get(f"/meetings/{record.pk}/pdf/").status_code == 404
    client.force_login(b.secretary)
    assert client.get("/meetings/999999/pdf/").status_code == 404
    assert client.get("/meetings/99999999999999999999/pdf/").status_code == 404
    assert AuditEntry.objects.count() == before


def test_anonymous_is_sent_to_login(client, record):
    response = client.get(f"/meetings/{record.pk}/pdf/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


# --- the yearly summary ----------------------------------------------------------------------


@pytest.fixture
def year_branch(b):
    # theme days every month of Q1 approved; Q2 April missing; May held, not approved
    for month in (1, 2, 3, 6):
        meeting(b, kind=Kind.THEME_DAY, on=date(2026, month, 10), attended=5, on_leave=1)
    meeting(b, kind=Kind.THEME_DAY, on=date(2026, 5, 10), state=State.SUBMITTED)
    meeting(b, kind=Kind.GENERAL_MEETING, on=date(2026, 2, 20))
    meeting(
        b, kind=Kind.COMMITTEE_MEETING, on=date(2026, 1, 5), should_attend=2, attended=2, on_leave=0
    )
    meeting(b, kind=Kind.THEME_DAY, on=date(2026, 8, 10), state=State.CANCELLED)
    appraisal = meeting(b, kind=Kind.APPRAISAL, on=date(2026, 1, 25))
    grades = [Grade.EXCELLENT, Grade.QUALIFIED, Grade.QUALIFIED, Grade.BASIC]
    for member, grade in zip(b.members, grades, strict=False):
        AppraisalResult.objects.create(meeting=appraisal, member=member, year=2026, grade=grade)
    Election.objects.create(
        org=b.org, held_on=date(2026, 3, 1), seats=3, entitled=6, present=6, state="valid"
    )
    return b


def summary_url(b, year=2026) -> str:
    return f"/meetings/summary/{b.org.pk}/{year}/pdf/"


def test_year_view_grid_and_compliance(year_branch):
    b = year_branch
    view = printing.year_view(b.org, 2026, TODAY)
    grid = view["grid"]
    assert grid[(1, Kind.THEME_DAY)] == [1, 1]
    assert grid[(5, Kind.THEME_DAY)] == [1, 0]  # held, not approved
    assert (4, Kind.THEME_DAY) not in grid
    assert (8, Kind.THEME_DAY) not in grid  # cancelled does not count
    by_period = {p.label: r for p, r in view["compliance"]}
    q1 = by_period["2026-Q1"].of(Kind.THEME_DAY)
    assert (q1.due, q1.met) == (3, 3)
    q2 = by_period["2026-Q2"].of(Kind.THEME_DAY)
    assert (q2.due, q2.met) == (3, 1)
    assert {p.label for p in q2.missing} == {"2026-04", "2026-05"}
    assert by_period["2026-Q2"].status == "behind"
    assert sum(view["grades"].values()) == 4 and view["grades"][Grade.QUALIFIED] == 2
    # the Q4 compliance is open (today is in it), a year later owes nothing yet
    assert by_period["2026-Q4"] is not None
    future = printing.year_view(b.org, 2026, date(2026, 3, 31))
    assert dict((p.label, r) for p, r in future["compliance"])["2026-Q2"] is None


def test_yearly_summary_pdf(client, year_branch, django_assert_max_num_queries):
    b = year_branch
    client.force_login(b.community_admin)
    with django_assert_max_num_queries(25):
        response = client.get(summary_url(b), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    data = response.content
    assert_font_embedded(data)
    text = flat(data)
    assert f"{b.org.name}" in text
    for needle in ("主题党日", "支部党员大会", "民主评议党员", "2026-Q1", "2026-Q2", "2026-04"):
        assert needle in text, needle
    assert "1/1" in text and "1/0" in text
    assert "2026-03-01" in text  # the election
    entry = AuditEntry.objects.filter(action="print").latest("id")
    assert entry.object_type == "orgs.org" and entry.object_id == str(b.org.pk)
    assert entry.changes["document"] == [None, "yearly summary 2026"]


def test_yearly_summary_english(client, year_branch):
    b = year_branch
    client.force_login(b.secretary)
    text = flat(client.get(summary_url(b), HTTP_ACCEPT_LANGUAGE="en").content)
    assert "Organisationallifeof" in text
    assert "behind" in text and "Excellent" in text


def test_yearly_summary_scoping(client, year_branch, district):
    b = year_branch
    before = AuditEntry.objects.count()
    client.force_login(b.outsider)
    assert client.get(summary_url(b)).status_code == 404
    client.force_login(b.member_user)  # a party member keeps nothing
    assert client.get(summary_url(b)).status_code == 404
    client.force_login(b.district_admin)
    assert client.get(f"/meetings/summary/{b.community.pk}/2026/pdf/").status_code == 404
    assert client.get("/meetings/summary/99999999/2026/pdf/").status_code == 404
    assert client.get(summary_url(b, 1999)).status_code == 404
    assert client.get(summary_url(b, 2101)).status_code == 404
    assert AuditEntry.objects.count() == before
    assert client.get(summary_url(b, 2100)).status_code == 200
    assert client.get(summary_url(b, 2000)).status_code == 200
    client.force_login(b.street_admin)
    assert client.get(summary_url(b)).status_code == 200
