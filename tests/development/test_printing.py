"""The printable applicant file (PDF, issue 4 item 8): the 25 steps in order with their
dates, people, data, documents, reviews and votes; the font embedded; identity in full only
for keepers who may unmask; scoped (404 elsewhere); every print audited."""

from datetime import date as D
from urllib.parse import quote

import pytest
from django.utils import translation

from tests.core import pdf_text
from tests.development.admission_factories import (
    PLAN,
    TODAY,
    advance,
    branch_members,
    open_applicant,
)
from tongxin.core import pdf
from tongxin.core.models import AuditEntry
from tongxin.development import printing, services

pytestmark = pytest.mark.django_db


@pytest.fixture
def archived(district):
    """A file through all 25 steps, with a half-year review and two documents."""
    members = branch_members(district.branch_a1)
    applicant = open_applicant(district, name="王小明")
    advance(district, applicant, 5, members)
    services.record_review(
        actor=district.secretary,
        applicant=applicant,
        on=D(2023, 8, 30),
        reviewer="陈培养",
        summary="学习认真，积极参加志愿服务",
        today=TODAY,
    )
    services.add_document(
        actor=district.secretary,
        applicant=applicant,
        kind="application",
        on=PLAN[1][0],
        title="入党申请书（手写原件）",
        step=1,
    )
    services.add_document(
        actor=district.secretary,
        applicant=applicant,
        kind="other",
        on=D(2023, 4, 1),
        title="走访记录",
    )
    advance(district, applicant, 25, members)
    applicant.refresh_from_db()
    assert applicant.state == "archived"
    return applicant


def url(applicant) -> str:
    return f"/admissions/{applicant.pk}/pdf/"


def titles(language: str = "zh-hans") -> list[str]:
    with translation.override(language):
        return [printing._step_title(n) for n in range(1, 26)]


def positions_in_order(text: str, needles: list[str]) -> list[int]:
    """Each needle found after the previous one (titles of steps 15/23 and 17/24 repeat)."""
    found, start = [], 0
    for needle in needles:
        i = text.index(needle, start)
        found.append(i)
        start = i + len(needle)
    return found


def test_the_file_prints_all_25_steps_in_order(
    client, district, archived, django_assert_max_num_queries, tmp_path
):
    client.force_login(district.secretary)
    with django_assert_max_num_queries(20):
        response = client.get(url(archived))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    data = response.content
    assert data.startswith(b"%PDF-")
    fonts = pdf_text.fonts(data)
    assert fonts and all(f["embedded"] in ("FontFile2", "FontFile3") for f in fonts)
    assert all(f["subset"] for f in fonts)
    text = pdf_text.text(data)
    flat = "".join(text.split())  # no line breaks or spaces: wrapped cells read as one
    # the 25 steps, each once, in order, after the cover
    steps_at = positions_in_order(flat, ["".join(t.split()) for t in titles()])
    assert steps_at == sorted(steps_at)
    assert "王小明" in text
    # each step's date, people and data
    for n in (1, 9, 11, 14, 25):
        assert PLAN[n][0].isoformat() in text, n
    assert "GL2024-015" in text  # admission form number (step 14)
    assert "结业证书2024-15" in text  # training certificate (step 11)
    assert "政治审查合格" in text  # political review conclusion (step 10)
    introducer_names = [p["name"] for p in archived.steps.get(step=9).people]
    assert len(introducer_names) == 2
    for name in introducer_names:
        assert name in text
    # the review sits under step 6, before step 7
    assert steps_at[5] < flat.index("学习认真") < steps_at[6]
    # documents: under step 1, and the loose one at the end
    assert steps_at[0] < flat.index("入党申请书（手写原件）") < steps_at[1]
    assert flat.index("走访记录") > steps_at[24]
    # both votes (steps 15 and 23) with the arithmetic
    votes = list(archived.votes.order_by("meeting_on"))
    assert [v.step for v in votes] == [15, 23]
    with translation.override("zh-hans"):
        arithmetic = services_arithmetic(votes[0])
    arithmetic = "".join(arithmetic.split())
    assert steps_at[14] < flat.index(arithmetic) < steps_at[15]
    poppler = pdf_text.poppler_text(data, tmp_path)
    if poppler is not None:
        squeezed = "".join(poppler.split())
        assert "王小明" in squeezed and "GL2024-015" in squeezed


def services_arithmetic(vote) -> str:
    from tongxin.development import rules

    return rules.vote_result(
        vote.should_attend,
        vote.attended,
        vote.yes,
        vote.no,
        vote.abstain,
        vote.written_yes,
        vote.written_no,
    ).arithmetic


def test_download_name_is_chinese_and_encoded(client, district, archived):
    client.force_login(district.secretary)
    response = client.get(url(archived))
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=utf-8''" in disposition
    assert quote("王小明") in disposition
    disposition.encode("latin-1")  # a header value HTTP can carry


def test_keeper_who_may_unmask_gets_the_full_identity_and_an_audit_row(client, district, archived):
    client.force_login(district.secretary)  # branch_secretary: an unmasking role
    before = AuditEntry.objects.filter(action="print").count()
    text = pdf_text.text(client.get(url(archived)).content)
    assert archived.id_number in text
    assert archived.phone in text
    entry = AuditEntry.objects.filter(action="print").latest("id")
    assert AuditEntry.objects.filter(action="print").count() == before + 1
    assert entry.actor == district.secretary
    assert entry.object_type == "development.applicant"
    assert entry.object_id == str(archived.pk)
    assert entry.changes["identity"] == [None, "full"]


def test_keeper_who_may_not_unmask_gets_it_masked(client, district, archived):
    client.force_login(district.street_admin)  # keeps the file, not an unmasking role
    response = client.get(url(archived))
    assert response.status_code == 200
    text = pdf_text.text(response.content)
    assert archived.id_number not in text
    assert archived.phone not in text
    assert "*" * 14 + archived.id_tail in text
    assert "王小明" in text
    entry = AuditEntry.objects.filter(action="print").latest("id")
    assert entry.actor == district.street_admin
    assert entry.changes["identity"] == [None, "masked"]


def test_another_community_gets_404_and_nothing_is_audited(client, district, archived):
    client.force_login(district.other_community)
    before = AuditEntry.objects.count()
    assert client.get(url(archived)).status_code == 404
    assert client.get("/admissions/999999/pdf/").status_code == 404
    assert client.get("/admissions/99999999999999999999/pdf/").status_code == 404
    assert AuditEntry.objects.count() == before


def test_anonymous_is_sent_to_login(client, archived):
    response = client.get(url(archived))
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_an_open_file_shows_the_steps_not_yet_recorded(client, district):
    members = branch_members(district.branch_a1)
    applicant = open_applicant(district, name="李青")
    advance(district, applicant, 3, members)
    client.force_login(district.secretary)
    with translation.override("en"):
        text = pdf_text.text(client.get(url(applicant), HTTP_ACCEPT_LANGUAGE="en").content)
    steps_at = positions_in_order(text, titles("en"))
    after_step_3 = text[steps_at[2] : steps_at[4]]
    assert "recommended by party members" in after_step_3 or "推荐" in after_step_3
    assert text.count("Not recorded.") + text.count("Next step: not yet recorded.") == 22


def test_no_font_answers_503_naming_the_package(client, district, archived, monkeypatch):
    monkeypatch.setenv("TONGXIN_PDF_FONT", "/nonexistent/font.ttf")
    pdf._find.cache_clear()
    client.force_login(district.secretary)
    before = AuditEntry.objects.filter(action="print").count()
    try:
        response = client.get(url(archived))
    finally:
        pdf._find.cache_clear()
    assert response.status_code == 503
    assert "fonts-wqy-zenhei" in response.content.decode()
    assert AuditEntry.objects.filter(action="print").count() == before
