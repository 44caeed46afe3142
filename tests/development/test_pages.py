"""Admission pages per role: the list and its filters, opening a file, the file page and its
forms (next step, refusals with their article, review, documents, vote, close), reports,
local rules, the home to-do list; scoping (another community: 404/403) and query budgets.

Files are moved along through the services (the pages' contract); dates are relative to
today because the pages record steps "as of today"."""

from datetime import date, timedelta
from io import BytesIO

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone, translation

from tests.factories import make_user
from tests.member_factories import id_number, make_member
from tongxin.core import uploads
from tongxin.core.models import AuditEntry
from tongxin.development import rules, services
from tongxin.development.forms import files as file_forms
from tongxin.development.models import Applicant, Document, FileEvent, StepRecord, Vote
from tongxin.members.forms.registry import OrgCodeField

TODAY = timezone.localdate()  # the services' today (Asia/Shanghai)
HX = {"HX-Request": "true"}


def ago(days: int) -> date:
    return TODAY - timedelta(days=days)


_n = iter(range(1, 10_000))


def open_file(actor, org, *, applied_on=None, name=None, **fields) -> Applicant:
    n = next(_n)
    birth = fields.pop("birth_date", date(1998, 4, 4))
    return services.open_file(
        actor=actor,
        org=org,
        applied_on=applied_on or ago(900),
        name=name or f"申请人{n}",
        gender=fields.pop("gender", "male"),
        birth_date=birth,
        id_number=id_number(birth, 300 + n),
        education=fields.pop("education", "bachelor"),
        occupation=fields.pop("occupation", "enterprise_staff"),
        **fields,
    )


def step_data(step: int, members) -> dict:
    if step == 3:
        return {"method": "member_recommendation", "decided_by": "branch_meeting"}
    if step == 5:
        return {"contacts": [members[0].pk]}
    if step == 9:
        return {"introducers": [members[0].pk, members[1].pk]}
    if step == 10:
        return {"conclusion": "政治合格"}
    if step == 11:
        return {"days": 3, "hours": 0, "certificate": "培训结业证"}
    if step == 14:
        return {"form_number": "No.000123"}
    return {}


def advance(applicant, actor, members, dates: dict[int, date]) -> Applicant:
    """Record the steps of `dates` in order through the services (as `actor`)."""
    for step, on in sorted(dates.items()):
        services.record_step(
            actor=actor, applicant=applicant, step=step, on=on, data=step_data(step, members)
        )
    return Applicant.objects.get(pk=applicant.pk)


def through(last: int, *, activist_days_ago=800, target_days_ago=400) -> dict[int, date]:
    """Dates of steps 2..`last` that the rules accept, ending before today."""
    dates = {2: ago(890)}
    dates.update({s: ago(activist_days_ago) for s in range(3, 7)})
    dates.update({s: ago(target_days_ago) for s in range(7, 12)})
    dates.update({s: ago(30) for s in range(12, 15)})
    return {s: d for s, d in dates.items() if s <= last}


@pytest.fixture
def world(district, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    district.members = [make_member(district.branch_a1, name=f"老党员{i}") for i in range(5)]
    return district


# ---------------------------------------------------------------- list and scoping


@pytest.mark.parametrize(
    ("url", "budget"),
    [
        ("/admissions/", 14),
        ("/admissions/?phase=1&overdue=yes&q=sqr", 14),
        ("/admissions/overdue/", 14),
        ("/admissions/funnel/", 12),
        ("/admissions/report/", 14),
    ],
)
def test_list_pages_have_query_budgets(client, world, url, budget, django_assert_max_num_queries):
    for i in range(30):
        open_file(world.secretary, world.branch_a1, applied_on=ago(60 + i), name=f"申请人乙{i}")
    client.force_login(world.community_admin)
    with django_assert_max_num_queries(budget):
        response = client.get(url)
    assert response.status_code == 200


def test_list_is_scoped_masked_and_paged(client, world):
    for i in range(55):
        open_file(world.secretary, world.branch_a1, applied_on=ago(5), name=f"三坊申请人{i}")
    theirs = open_file(world.other_community, world.branch_b1, name="温泉申请人")
    client.force_login(world.secretary)
    body = client.get("/admissions/").content.decode()
    assert body.count('href="/admissions/') >= 50 and "温泉申请人" not in body
    first = Applicant.objects.filter(org=world.branch_a1).order_by("id").first()
    assert first.id_number not in body and first.id_tail in body
    after = body.split("after=")[1].split('"')[0].split("&")[0]
    more = client.get(
        f"/admissions/?after={after}", headers={**HX, "HX-Target": "file-rows"}
    ).content.decode()
    assert "<html" not in more and more.count("<tr>") == 5
    assert client.get(f"/admissions/{theirs.pk}/").status_code == 404


def test_list_filters_by_phase_and_overdue(client, world):
    late = open_file(world.secretary, world.branch_a1, applied_on=ago(60), name="林迟到")
    fresh = open_file(world.secretary, world.branch_a1, applied_on=ago(2), name="陈按时")
    assert late.overdue and not fresh.overdue
    client.force_login(world.secretary)
    body = client.get("/admissions/?overdue=yes").content.decode()
    assert "林迟到" in body and "陈按时" not in body
    body = client.get("/admissions/?phase=2").content.decode()
    assert "林迟到" not in body and "陈按时" not in body
    body = client.get("/admissions/?q=cas").content.decode()
    assert "陈按时" in body and "林迟到" not in body


def test_pages_refused_to_roles_without_files(client, world):
    client.force_login(make_user(role="grid_worker", org=world.comm_a1))
    for url in ("/admissions/", "/admissions/new/", "/admissions/funnel/", "/admissions/report/"):
        assert client.get(url).status_code == 403, url


def test_nav_and_other_community_file_routes(client, world):
    applicant = open_file(world.secretary, world.branch_a1)
    client.force_login(world.other_community)
    for suffix in ("", "steps/", "reviews/", "documents/", "vote/", "close/"):
        assert client.get(f"/admissions/{applicant.pk}/{suffix}").status_code == 404
        assert client.post(f"/admissions/{applicant.pk}/{suffix}").status_code == 404
    assert StepRecord.objects.filter(applicant=applicant).count() == 1
    body = client.get("/").content.decode()
    assert 'href="/admissions/"' in body


# ---------------------------------------------------------------- opening a file


def test_secretary_opens_a_file(client, world):
    client.force_login(world.secretary)
    birth = date(1999, 9, 9)
    response = client.post(
        "/admissions/new/",
        {
            "org": world.branch_a1.pk,
            "applied_on": ago(3).isoformat(),
            "name": "林觉民",
            "gender": "male",
            "ethnicity": "汉族",
            "birth_date": birth.isoformat(),
            "id_number": id_number(birth, 901),
            "education": "bachelor",
            "occupation": "enterprise_staff",
            "is_migrant_worker": "on",
        },
    )
    applicant = Applicant.objects.get(name="林觉民")
    assert response.status_code == 302 and response.url == f"/admissions/{applicant.pk}/"
    assert applicant.is_migrant_worker and applicant.last_step == 1
    page = client.get(response.url).content.decode()
    assert "2 党组织派人谈话" in page and applicant.id_number not in page


def test_open_refuses_an_applicant_under_18_with_the_article(client, world):
    client.force_login(world.secretary)
    birth = rules.add_years(TODAY, -17)
    response = client.post(
        "/admissions/new/",
        {
            "org": world.branch_a1.pk,
            "applied_on": TODAY.isoformat(),
            "name": "少年",
            "gender": "male",
            "ethnicity": "汉族",
            "birth_date": birth.isoformat(),
            "id_number": id_number(birth, 902),
            "education": "senior",
            "occupation": "student",
        },
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert rules.ART_AGE in body
    assert not Applicant.objects.filter(name="少年").exists()


def test_open_names_a_missing_field_and_refuses_a_branch_outside_scope(client, world):
    client.force_login(world.secretary)
    response = client.post("/admissions/new/", {"org": world.branch_b1.pk, "name": ""})
    assert response.status_code == 400
    form = response.context["form"]
    assert "org" in form.errors and "name" in form.errors and "birth_date" in form.errors
    assert Applicant.objects.count() == 0


# ---------------------------------------------------------------- the file page


def test_file_page_shows_where_it_stands_and_the_25_steps(client, world):
    applicant = open_file(world.secretary, world.branch_a1, applied_on=ago(10))
    client.force_login(world.secretary)
    response = client.get(f"/admissions/{applicant.pk}/")
    body = response.content.decode()
    assert response.status_code == 200
    assert body.count('<tr id="step-') == 25
    for step in rules.STEPS:
        assert step.name_zh in body
    assert 'id="next-step">2 党组织派人谈话' in body
    due = rules.add_months(ago(10), 1)
    assert f'id="next-due">{due.isoformat()}' in body or str(due) in body
    assert 'name="s-person"' in body  # the talker of step 2
    assert applicant.id_tail in body and applicant.id_number not in body


def test_secretary_records_the_next_step_with_its_people(client, world):
    applicant = open_file(world.secretary, world.branch_a1, applied_on=ago(10))
    client.force_login(world.secretary)
    response = client.post(
        f"/admissions/{applicant.pk}/steps/",
        {"s-step": 2, "s-on": ago(5).isoformat(), "s-person": "王书记", "s-note": "谈话顺利"},
    )
    assert response.status_code == 302
    record = StepRecord.objects.get(applicant=applicant, step=2)
    assert record.on == ago(5) and record.people[0]["name"] == "王书记"
    assert record.note == "谈话顺利"
    body = client.get(f"/admissions/{applicant.pk}/").content.decode()
    assert "王书记" in body and FileEvent.objects.filter(applicant=applicant, step=2).exists()


def test_premature_development_target_is_refused_with_the_rule(client, world):
    applicant = open_file(world.secretary, world.branch_a1)
    applicant = advance(applicant, world.admin, world.members, through(6, activist_days_ago=200))
    client.force_login(world.secretary)
    with translation.override("en"):
        response = client.post(
            f"/admissions/{applicant.pk}/steps/",
            {"s-step": 7, "s-on": TODAY.isoformat()},
            headers={"Accept-Language": "en"},
        )
    assert response.status_code == 422
    body = response.content.decode()
    refusals = response.context["refusals"]
    assert [r["rule"] for r in refusals] == ["activist_one_year"]
    assert refusals[0]["article"] in body and refusals[0]["message"] in body
    assert rules.one_year_after(ago(200)).isoformat() in refusals[0]["message"]
    assert not StepRecord.objects.filter(applicant=applicant, step=7).exists()


def test_step_form_is_specific_to_the_step(client, world):
    applicant = open_file(world.secretary, world.branch_a1)
    applicant = advance(applicant, world.admin, world.members, through(4))
    client.force_login(world.secretary)
    body = client.get(f"/admissions/{applicant.pk}/").content.decode()
    # step 5: training contacts as checkboxes of the branch's full members
    assert body.count('name="s-contacts"') == 5 and "老党员0" in body
    response = client.post(
        f"/admissions/{applicant.pk}/steps/",
        {
            "s-step": 5,
            "s-on": ago(700).isoformat(),
            "s-contacts": [world.members[0].pk, world.members[1].pk],
        },
    )
    assert response.status_code == 302
    record = StepRecord.objects.get(applicant=applicant, step=5)
    assert record.data["contacts"] == [world.members[0].pk, world.members[1].pk]
    assert {p["name"] for p in record.people} == {"老党员0", "老党员1"}


def test_three_contacts_are_refused(client, world):
    applicant = open_file(world.secretary, world.branch_a1)
    applicant = advance(applicant, world.admin, world.members, through(4))
    client.force_login(world.secretary)
    response = client.post(
        f"/admissions/{applicant.pk}/steps/",
        {
            "s-step": 5,
            "s-on": ago(700).isoformat(),
            "s-contacts": [m.pk for m in world.members[:3]],
        },
    )
    assert response.status_code == 422
    assert response.context["refusals"][0]["rule"] == "training_contacts"
    assert not StepRecord.objects.filter(applicant=applicant, step=5).exists()


def test_higher_committee_step_is_not_the_secretarys(client, world):
    applicant = open_file(world.secretary, world.branch_a1)
    applicant = advance(applicant, world.admin, world.members, through(3))  # next: 4 (filing)
    client.force_login(world.secretary)
    body = client.get(f"/admissions/{applicant.pk}/").content.decode()
    assert 'name="s-on"' not in body
    response = client.post(
        f"/admissions/{applicant.pk}/steps/", {"s-step": 4, "s-on": ago(700).isoformat()}
    )
    assert response.status_code == 403
    assert not StepRecord.objects.filter(applicant=applicant, step=4).exists()
    # the community committee above the branch records it
    client.force_login(world.community_admin)
    response = client.post(
        f"/admissions/{applicant.pk}/steps/", {"s-step": 4, "s-on": ago(700).isoformat()}
    )
    assert response.status_code == 302
    assert StepRecord.objects.filter(applicant=applicant, step=4).exists()


def test_a_stale_form_of_an_older_step_is_refused(client, world):
    applicant = open_file(world.secretary, world.branch_a1)
    applicant = advance(applicant, world.admin, world.members, through(2))
    client.force_login(world.secretary)
    response = client.post(
        f"/admissions/{applicant.pk}/steps/", {"s-step": 2, "s-on": ago(5).isoformat()}
    )
    assert response.status_code == 422
    assert response.context["refusals"][0]["rule"] == "step_order"
    assert StepRecord.objects.filter(applicant=applicant).count() == 2


def test_bad_date_is_a_field_error_not_a_500(client, world):
    applicant = open_file(world.secretary, world.branch_a1)
    client.force_login(world.secretary)
    response = client.post(
        f"/admissions/{applicant.pk}/steps/", {"s-step": 2, "s-on": "2026-13-40"}
    )
    assert response.status_code == 400
    assert "on" in response.context["step_form"].errors
    assert client.get(f"/admissions/{applicant.pk}/steps/").status_code == 405


def test_half_year_review(client, world):
    applicant = open_file(world.secretary, world.branch_a1)
    applicant = advance(applicant, world.admin, world.members, through(6, activist_days_ago=300))
    client.force_login(world.secretary)
    body = client.get(f"/admissions/{applicant.pk}/").content.decode()
    assert 'name="r-summary"' in body
    response = client.post(
        f"/admissions/{applicant.pk}/reviews/",
        {"r-on": ago(10).isoformat(), "r-reviewer": "王书记", "r-summary": "表现良好"},
    )
    assert response.status_code == 302
    assert applicant.reviews.get().summary == "表现良好"
    response = client.post(f"/admissions/{applicant.pk}/reviews/", {"r-on": ago(5).isoformat()})
    assert response.status_code == 400 and applicant.reviews.count() == 1


def test_documents_upload_with_type_and_size_limits(client, world, settings):
    applicant = open_file(world.secretary, world.branch_a1)
    client.force_login(world.secretary)
    url = f"/admissions/{applicant.pk}/documents/"
    base = {"d-kind": "application", "d-step": 1, "d-on": ago(900).isoformat()}
    pdf = SimpleUploadedFile("申请书.pdf", b"%PDF-1.4 test", content_type="application/pdf")
    assert client.post(url, {**base, "d-file": pdf}).status_code == 302
    document = Document.objects.get(applicant=applicant)
    assert document.step == 1 and document.file.name.endswith(".pdf")
    fake = SimpleUploadedFile("report.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf")
    response = client.post(url, {**base, "d-file": fake})
    assert response.status_code == 400 and "file" in response.context["document_form"].errors
    exe = SimpleUploadedFile("virus.exe", b"MZ\x90\x00", content_type="application/octet-stream")
    assert client.post(url, {**base, "d-file": exe}).status_code == 400
    big = SimpleUploadedFile("big.pdf", b"%PDF" + b"0" * (uploads.DOCUMENT_MAX_BYTES + 1))
    assert client.post(url, {**base, "d-file": big}).status_code == 400
    assert Document.objects.filter(applicant=applicant).count() == 1
    body = client.get(f"/admissions/{applicant.pk}/").content.decode()
    link = f"/admissions/{applicant.pk}/documents/{document.pk}/"
    assert link in body and document.file.url not in body  # never a public media URL
    download = client.get(link)
    assert download.status_code == 200 and b"".join(download.streaming_content).startswith(b"%PDF")
    client.force_login(world.other_community)
    assert client.get(link).status_code == 404


def test_close_the_file(client, world):
    applicant = open_file(world.secretary, world.branch_a1)
    client.force_login(world.secretary)
    response = client.post(
        f"/admissions/{applicant.pk}/close/",
        {"c-state": "withdrawn", "c-on": TODAY.isoformat(), "c-reason": "本人撤回申请"},
    )
    assert response.status_code == 302
    applicant.refresh_from_db()
    assert applicant.state == "withdrawn" and applicant.close_reason == "本人撤回申请"
    body = client.get(f"/admissions/{applicant.pk}/").content.decode()
    assert 'name="s-on"' not in body and 'name="c-reason"' not in body
    response = client.post(f"/admissions/{applicant.pk}/close/", {"c-state": "archived"})
    assert response.status_code in (400, 403)


# ---------------------------------------------------------------- the vote


def test_branch_meeting_vote_shows_the_roster_and_the_arithmetic(client, world):
    applicant = open_file(world.secretary, world.branch_a1)
    applicant = advance(applicant, world.admin, world.members, through(14))
    # a probationary member and a member of another branch are not on the roster
    make_member(world.branch_a1, name="预备党员甲", category="probationary")
    client.force_login(world.secretary)
    page = client.get(f"/admissions/{applicant.pk}/vote/?meeting_on={ago(10).isoformat()}")
    body = page.content.decode()
    assert page.status_code == 200
    assert body.count('name="present"') == 5 and "预备党员甲" not in body
    present = [m.pk for m in world.members[:3]]
    response = client.post(
        f"/admissions/{applicant.pk}/vote/",
        {
            "meeting_on": ago(10).isoformat(),
            "present": present,
            f"written_{world.members[4].pk}": "yes",
            "yes": 3,
            "no": 0,
            "abstain": 0,
        },
    )
    assert response.status_code == 302
    vote = Vote.objects.get(applicant=applicant)
    assert (vote.should_attend, vote.attended, vote.yes, vote.written_yes) == (5, 3, 3, 1)
    assert vote.quorum_met and vote.passed
    body = client.get(f"/admissions/{applicant.pk}/").content.decode()
    with translation.override("zh-hans"):
        arithmetic = rules.vote_result(5, 3, 3, 0, 0, 1).arithmetic
    assert arithmetic in body
    # the step then records with the meeting date
    response = client.post(
        f"/admissions/{applicant.pk}/steps/", {"s-step": 15, "s-on": ago(10).isoformat()}
    )
    assert response.status_code == 302
    assert StepRecord.objects.get(applicant=applicant, step=15).on == ago(10)


def test_vote_with_more_ballots_than_present_is_refused(client, world):
    applicant = open_file(world.secretary, world.branch_a1)
    applicant = advance(applicant, world.admin, world.members, through(14))
    client.force_login(world.secretary)
    response = client.post(
        f"/admissions/{applicant.pk}/vote/",
        {
            "meeting_on": ago(10).isoformat(),
            "present": [world.members[0].pk],
            "yes": 3,
            "no": 0,
            "abstain": 0,
        },
    )
    assert response.status_code == 422
    assert response.context["refusals"][0]["rule"] == "vote_figures"
    assert not Vote.objects.filter(applicant=applicant).exists()


def test_vote_page_only_when_a_vote_is_due(client, world):
    applicant = open_file(world.secretary, world.branch_a1)
    client.force_login(world.secretary)
    assert client.get(f"/admissions/{applicant.pk}/vote/").status_code == 403


# ---------------------------------------------------------------- reports and settings


def test_funnel_for_a_subtree_and_org_outside_scope(client, world):
    open_file(world.secretary, world.branch_a1, applied_on=ago(60))
    open_file(world.other_community, world.branch_b1)
    client.force_login(world.community_admin)
    response = client.get(f"/admissions/funnel/?org={world.comm_a1.pk}")
    assert response.status_code == 200
    assert response.context["funnel"]["total"] == 1 and response.context["funnel"]["overdue"] == 1
    assert client.get(f"/admissions/funnel/?org={world.comm_b1.pk}").status_code == 404
    assert client.get("/admissions/funnel/?org=abc").status_code in (403, 404)
    client.force_login(world.admin)
    assert client.get("/admissions/funnel/").context["funnel"]["total"] == 2


def test_overdue_list(client, world):
    late = open_file(world.secretary, world.branch_a1, applied_on=ago(60), name="林迟到")
    open_file(world.secretary, world.branch_a1, applied_on=ago(2), name="陈按时")
    client.force_login(world.secretary)
    body = client.get("/admissions/overdue/").content.decode()
    assert "林迟到" in body and "陈按时" not in body
    assert rules.ART_TALK in body
    assert late.overdue


def admitted(world, *, meeting_days_ago=20, **fields) -> Applicant:
    applicant = open_file(world.secretary, world.branch_a1, **fields)
    applicant = advance(applicant, world.admin, world.members, through(14))
    services.record_vote(
        actor=world.admin,
        applicant=applicant,
        meeting_on=ago(meeting_days_ago),
        present=[m.pk for m in world.members],
        yes=5,
        no=0,
        abstain=0,
    )
    return advance(
        applicant,
        world.admin,
        world.members,
        {15: ago(meeting_days_ago), 16: ago(meeting_days_ago), 17: ago(meeting_days_ago)},
    )


def test_admissions_report_and_excel_export(client, world):
    admitted(world, is_high_knowledge=True, gender="female")
    client.force_login(world.community_admin)
    since, until = ago(365).isoformat(), TODAY.isoformat()
    query = f"org={world.comm_a1.pk}&since={since}&until={until}"
    response = client.get(f"/admissions/report/?{query}")
    assert response.status_code == 200
    report = response.context["report"]
    assert report["total"] == 1
    assert dict((k, n) for k, _l, n in report["groups"])["is_high_knowledge"] == 1
    export = client.get(f"/admissions/report/export/?{query}")
    assert export.status_code == 200
    assert "spreadsheetml" in export["Content-Type"]
    ws = openpyxl.load_workbook(BytesIO(export.content)).worksheets[0]
    rows = [tuple(r) for r in ws.iter_rows(values_only=True)]
    assert ("发展党员总数", 1) in rows
    assert AuditEntry.objects.filter(action="export", object_type="development.applicant").exists()
    bad = client.get(f"/admissions/report/?org={world.comm_a1.pk}&since={until}&until={since}")
    assert bad.status_code == 400 and "until" in bad.context["form"].errors


def test_local_rules_page_is_for_district_admins(client, world):
    client.force_login(world.community_admin)
    assert client.get("/admissions/settings/").status_code == 403
    assert (
        client.post("/admissions/settings/", {"min_months_application_to_activist": 6}).status_code
        == 403
    )
    client.force_login(world.admin)
    assert client.get("/admissions/settings/").status_code == 200
    response = client.post("/admissions/settings/", {"min_months_application_to_activist": 6})
    assert response.status_code == 302
    assert services.local_rules().min_months_application_to_activist == 6
    response = client.post("/admissions/settings/", {"min_months_application_to_activist": ""})
    assert response.status_code == 302
    assert services.local_rules().min_months_application_to_activist is None
    response = client.post("/admissions/settings/", {"min_months_application_to_activist": -3})
    assert response.status_code == 400


def test_home_lists_admission_deadlines_of_kept_files(client, world):
    late = open_file(world.secretary, world.branch_a1, applied_on=ago(60), name="林迟到")
    soon = open_file(world.secretary, world.branch_a1, applied_on=ago(25), name="陈将至")
    open_file(world.other_community, world.branch_b1, applied_on=ago(60), name="温泉迟到")
    client.force_login(world.secretary)
    body = client.get("/").content.decode()
    assert 'id="admission-todo"' in body
    assert f"/admissions/{late.pk}/" in body and f"/admissions/{soon.pk}/" in body
    assert "温泉迟到" not in body
    client.force_login(make_user(role="grid_worker", org=world.comm_a1))
    assert 'id="admission-todo"' not in client.get("/").content.decode()


def test_street_committee_approves_the_admission_on_the_page(client, world):
    applicant = open_file(world.secretary, world.branch_a1)
    applicant = advance(applicant, world.admin, world.members, through(14))
    services.record_vote(
        actor=world.secretary,
        applicant=applicant,
        meeting_on=ago(20),
        present=[m.pk for m in world.members],
        yes=5,
        no=0,
        abstain=0,
    )
    applicant = advance(applicant, world.admin, world.members, {15: ago(20), 16: ago(15)})
    client.force_login(world.secretary)
    body = client.get(f"/admissions/{applicant.pk}/").content.decode()
    assert 'name="s-approver"' not in body  # step 17 is the higher committee's
    client.force_login(world.street_admin)
    body = client.get(f"/admissions/{applicant.pk}/").content.decode()
    assert 'name="s-approver"' in body and world.street_a.name in body
    response = client.post(
        f"/admissions/{applicant.pk}/steps/",
        {"s-step": 17, "s-on": ago(5).isoformat(), "s-approver": world.street_a.pk},
    )
    assert response.status_code == 302
    applicant.refresh_from_db()
    assert applicant.member is not None and applicant.member.category == "probationary"
    assert applicant.member.admitted_on == ago(20)
    record = StepRecord.objects.get(applicant=applicant, step=17)
    assert record.body_org == world.street_a
    body = client.get(f"/admissions/{applicant.pk}/").content.decode()
    assert f"/members/{applicant.member.pk}/" in body


def test_conversion_extension_needs_its_end_date(client, world):
    applicant = open_file(world.secretary, world.branch_a1)
    form_cls = file_forms.StepForm
    form = form_cls(
        {"s-step": 23, "s-on": TODAY.isoformat(), "s-outcome": "extend"},
        applicant=applicant,
        step=23,
    )
    assert not form.is_valid() and "extended_to" in form.errors
    form = form_cls(
        {
            "s-step": 23,
            "s-on": TODAY.isoformat(),
            "s-outcome": "extend",
            "s-extended_to": (TODAY + timedelta(days=200)).isoformat(),
        },
        applicant=applicant,
        step=23,
    )
    assert form.is_valid(), form.errors
    kwargs = form.service_kwargs()
    assert kwargs["data"] == {"outcome": "extend", "extended_to": TODAY + timedelta(days=200)}


def test_file_page_query_count_does_not_grow_with_the_file(
    client, world, django_assert_max_num_queries
):
    short = open_file(world.secretary, world.branch_a1)
    long = advance(
        open_file(world.secretary, world.branch_a1), world.admin, world.members, through(14)
    )
    for i in range(3):
        services.add_document(
            actor=world.secretary, applicant=long, kind="thought_report", on=ago(100 + i), step=6
        )
    client.force_login(world.secretary)
    client.get(f"/admissions/{short.pk}/")
    for applicant in (short, long):
        with django_assert_max_num_queries(12):
            response = client.get(f"/admissions/{applicant.pk}/")
        assert response.status_code == 200


def test_open_form_takes_an_org_code_when_the_scope_is_large(client, world, monkeypatch):
    monkeypatch.setattr(file_forms, "SELECT_LIMIT", 0)
    client.force_login(world.admin)
    birth = date(1999, 9, 9)
    data = {
        "applied_on": ago(3).isoformat(),
        "name": "萨镇冰",
        "gender": "male",
        "ethnicity": "汉族",
        "birth_date": birth.isoformat(),
        "id_number": id_number(birth, 903),
        "education": "bachelor",
        "occupation": "enterprise_staff",
    }
    form = client.get("/admissions/new/").context["form"]
    assert isinstance(form.fields["org"], OrgCodeField)
    response = client.post("/admissions/new/", {**data, "org": "NO-SUCH"})
    assert response.status_code == 400 and "org" in response.context["form"].errors
    response = client.post("/admissions/new/", {**data, "org": world.branch_b1.code})
    assert response.status_code == 302
    assert Applicant.objects.get(name="萨镇冰").org == world.branch_b1


def test_vote_preview_computes_the_arithmetic_and_writes_nothing(client, world):
    applicant = open_file(world.secretary, world.branch_a1)
    applicant = advance(applicant, world.admin, world.members, through(14))
    client.force_login(world.secretary)
    figures = {
        "meeting_on": ago(10).isoformat(),
        "present": [m.pk for m in world.members[:3]],
        "yes": 2,
        "no": 1,
        "abstain": 0,
        "preview": "1",
    }
    response = client.post(f"/admissions/{applicant.pk}/vote/", figures, headers=HX)
    body = response.content.decode()
    assert response.status_code == 200 and "<html" not in body
    # 3 of 5 present: quorum; 2 in favour is not more than half of the 5 → not passed
    with translation.override("zh-hans"):
        expected = rules.vote_result(5, 3, 2, 1, 0).arithmetic
    assert expected in body and 'id="vote-arithmetic"' in body
    # without htmx: the whole page, with the preview
    response = client.post(
        f"/admissions/{applicant.pk}/vote/", {**figures, f"written_{world.members[4].pk}": "yes"}
    )
    assert response.status_code == 200 and response.context["preview"].passed
    assert not Vote.objects.filter(applicant=applicant).exists()
