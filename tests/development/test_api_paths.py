"""/api/v1/admissions through the services: the full path from application to archive, the
extension and cancellation paths, votes with their arithmetic, and the rules' refusals as
422 {"violations": [{"rule", "article", "message"}]} with nothing written."""

import json
from datetime import date as D
from datetime import timedelta

import pytest
from django.utils import translation

from tests.development.admission_factories import PLAN, advance, branch_members, open_applicant
from tests.member_factories import id_number, make_member
from tongxin.accounts.services import issue_api_token
from tongxin.development import rules
from tongxin.development.models import (
    ActivistReview,
    Applicant,
    Document,
    FileEvent,
    StepRecord,
    Vote,
)
from tongxin.members.models import Member, StatusChange

pytestmark = pytest.mark.django_db

URL = "/api/v1/admissions"


@pytest.fixture
def api(client):
    def call(user, method, url, payload=None, headers=None):
        return client.generic(
            method,
            url,
            data=None if payload is None else json.dumps(payload),
            content_type="application/json",
            headers={"Authorization": f"Bearer {issue_api_token(user=user)}", **(headers or {})},
        )

    return call


@pytest.fixture
def roster(district):
    return branch_members(district.branch_a1)


def counts():
    return [
        m.objects.count()
        for m in (Applicant, StepRecord, Document, ActivistReview, Vote, FileEvent, Member)
    ]


def actor(district, step):
    return district.street_admin if step in rules.HIGHER_COMMITTEE_STEPS else district.secretary


def step_payload(step, roster):
    on, data = PLAN[step]
    if step == 5:
        data = {"contacts": [roster[0].pk]}
    elif step == 9:
        data = {"introducers": [roster[0].pk, roster[1].pk]}
    return {"step": step, "date": on.isoformat(), **(data or {})}


def vote_payload(on, roster, **overrides):
    present = [m.pk for m in roster[:4]]
    return {
        "date": on.isoformat(),
        "present": present,
        "yes": len(present),
        "no": 0,
        "abstain": 0,
        **overrides,
    }


def open_payload(district, **overrides):
    birth = D(1995, 5, 5)
    return {
        "org_id": district.branch_a1.pk,
        "applied_on": PLAN[1][0].isoformat(),
        "name": "林徽因",
        "gender": "female",
        "birth_date": birth.isoformat(),
        "id_number": id_number(birth, 41, female=True),
        "phone": "13805910001",
        "education": "master",
        "occupation": "professional",
        "is_high_knowledge": True,
        **overrides,
    }


def violations(response) -> list[str]:
    assert response.status_code == 422, response.content
    body = response.json()
    assert set(body) == {"violations"}
    for v in body["violations"]:
        assert set(v) == {"rule", "article", "message"} and v["article"] and v["message"]
    return [v["rule"] for v in body["violations"]]


# --- the full path ---------------------------------------------------------------------------


def test_full_path_from_application_to_archive(api, district, roster):
    response = api(district.secretary, "POST", URL, open_payload(district))
    assert response.status_code == 201, response.content
    body = response.json()
    pk = body["id"]
    assert (body["state"], body["last_step"], body["next_step"], body["phase"]) == (
        "open",
        1,
        2,
        1,
    )
    assert body["steps"][0]["done_on"] == PLAN[1][0].isoformat()
    assert body["timeline"][0]["kind"] == "opened"
    number = open_payload(district)["id_number"]
    assert number not in response.content.decode() and "13805910001" not in (
        response.content.decode()
    )
    assert body["id_number_masked"] == "*" * 14 + number[-4:]
    for step in range(2, 26):
        if step in (15, 23):
            vote = api(
                district.secretary, "POST", f"{URL}/{pk}/vote", vote_payload(PLAN[step][0], roster)
            )
            assert vote.status_code == 201, (step, vote.content)
            figures = vote.json()
            assert figures["step"] == step and figures["passed"] and figures["quorum_met"]
            assert (figures["should_attend"], figures["attended"], figures["yes"]) == (5, 4, 4)
        payload = step_payload(step, roster)
        if step == 2:
            payload["people"] = [{"role": "talker", "name": "王书记"}, {"name": "李委员"}]
        elif step == 12:
            payload.update(deciding_body="支部委员会", note="一致同意")
        response = api(actor(district, step), "POST", f"{URL}/{pk}/steps", payload)
        assert response.status_code == 201, (step, response.content)
        body = response.json()
        assert body["last_step"] == step and body["steps"][step - 1]["done_on"]
        if step == 17:
            assert body["member_id"] is not None
            assert body["steps"][16]["body_org_id"] == district.street_a.pk
            member = Member.objects.get(pk=body["member_id"])
            assert (member.category, member.admitted_on) == ("probationary", PLAN[15][0])
    assert body["state"] == "archived" and body["next_step"] is None and body["may_record"] == []
    assert body["next_deadline"] is None and body["phase"] == 5
    assert [p["role"] for p in body["steps"][8]["people"]] == ["introducer", "introducer"]
    assert [(p["role"], p["name"]) for p in body["steps"][1]["people"]] == [
        ("talker", "王书记"),
        ("other", "李委员"),
    ]
    assert (body["steps"][11]["deciding_body"], body["steps"][11]["note"]) == (
        "支部委员会",
        "一致同意",
    )
    assert body["steps"][10]["data"]["days"] == PLAN[11][1]["days"]
    assert len(body["votes"]) == 2 and all(v["passed"] for v in body["votes"])
    member = Member.objects.get(pk=body["member_id"])
    assert (member.category, member.full_on) == ("full", D(2025, 6, 1))
    # the list no longer shows an archived file by default
    assert api(district.secretary, "GET", URL).json()["items"] == []
    archived = api(district.secretary, "GET", f"{URL}?state=archived").json()["items"]
    assert [f["id"] for f in archived] == [pk]


def test_vote_shows_the_arithmetic_and_a_failed_vote_blocks_step_15(api, district, roster):
    applicant = advance(district, open_applicant(district), 14, roster)
    on = PLAN[15][0]
    # 4 present of 5: quorum; 2 in favour is not more than half of 5
    response = api(
        district.secretary,
        "POST",
        f"{URL}/{applicant.pk}/vote",
        vote_payload(on, roster, yes=2, no=1, abstain=1),
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["should_attend"], body["attended"], body["quorum_met"], body["passed"]) == (
        5,
        4,
        True,
        False,
    )
    expected = rules.vote_result(5, 4, 2, 1, 1).arithmetic  # in the site's language
    assert body["arithmetic"] == expected and "2.5" in expected
    english = api(
        district.secretary, "GET", f"{URL}/{applicant.pk}", headers={"Accept-Language": "en"}
    ).json()["votes"][0]["arithmetic"]
    with translation.override("en"):
        assert english == rules.vote_result(5, 4, 2, 1, 1).arithmetic
    assert "not passed" in english
    before = counts()
    refused = api(
        district.secretary,
        "POST",
        f"{URL}/{applicant.pk}/steps",
        {"step": 15, "date": on.isoformat()},
    )
    assert violations(refused) == ["vote_passed"]
    assert counts() == before
    # written opinions of absentees count: 2 yes present + 1 written yes = 3 of 5 passes
    again = api(
        district.secretary,
        "POST",
        f"{URL}/{applicant.pk}/vote",
        vote_payload(
            on, roster, yes=2, no=1, abstain=1, written=[{"member": roster[4].pk, "vote": "yes"}]
        ),
    )
    assert again.status_code == 201 and again.json()["passed"] is True
    assert again.json()["written_yes"] == 1
    ok = api(
        district.secretary,
        "POST",
        f"{URL}/{applicant.pk}/steps",
        {"step": 15, "date": on.isoformat()},
    )
    assert ok.status_code == 201 and ok.json()["last_step"] == 15


def test_vote_with_attendees_beyond_the_roster_is_refused(api, district, roster):
    applicant = advance(district, open_applicant(district), 14, roster)
    early = advance(district, open_applicant(district), 3, roster)
    stranger = make_member(district.branch_b1)
    before = counts()
    url = f"{URL}/{applicant.pk}/vote"
    on = PLAN[15][0]
    assert "vote_figures" in violations(
        api(district.secretary, "POST", url, vote_payload(on, roster, present=6, yes=6))
    )
    assert "vote_figures" in violations(
        api(
            district.secretary,
            "POST",
            url,
            vote_payload(on, roster, present=[roster[0].pk, stranger.pk], yes=2),
        )
    )
    assert "vote_figures" in violations(
        api(district.secretary, "POST", url, vote_payload(on, roster, present=[99999999], yes=1))
    )
    assert "vote_figures" in violations(
        api(district.secretary, "POST", url, vote_payload(on, roster, yes=4, no=1))
    )
    # a vote before the file's next meeting step is out of order
    assert violations(
        api(district.secretary, "POST", f"{URL}/{early.pk}/vote", vote_payload(on, roster))
    ) == ["step_order"]
    assert counts() == before and not Vote.objects.exists()


# --- refusals ------------------------------------------------------------------------------


def test_rules_refusals_name_the_rule_and_write_nothing(api, district, roster):
    applicant = advance(district, open_applicant(district), 8, roster)
    url = f"{URL}/{applicant.pk}/steps"
    probationary = make_member(district.branch_a1, category="probationary")
    disciplined = make_member(
        district.branch_a1,
        party_probation_from=D(2023, 6, 1),
        party_probation_until=D(2025, 6, 1),
    )
    outsider = make_member(district.branch_b1)
    before = counts()
    # out of order
    assert violations(api(district.secretary, "POST", url, {"step": 10, "date": "2024-04-01"})) == [
        "step_order"
    ]
    # a date before the previous step
    assert violations(
        api(
            district.secretary,
            "POST",
            url,
            {"step": 9, "date": "2024-03-01", "introducers": [roster[0].pk, roster[1].pk]},
        )
    ) == ["date_order"]
    # a date in the future
    assert violations(
        api(
            district.secretary,
            "POST",
            url,
            {"step": 9, "date": "2999-01-01", "introducers": [roster[0].pk, roster[1].pk]},
        )
    ) == ["date_future"]
    # a probationary introducer; a member under 留党察看
    assert violations(
        api(
            district.secretary,
            "POST",
            url,
            {"step": 9, "date": "2024-03-10", "introducers": [roster[0].pk, probationary.pk]},
        )
    ) == ["introducers_two_full"]
    response = api(
        district.secretary,
        "POST",
        url,
        {"step": 9, "date": "2024-03-10", "introducers": [roster[0].pk, disciplined.pk]},
    )
    assert violations(response) == ["introducers_two_full"]
    [refusal] = response.json()["violations"]
    assert refusal["article"] == rules.ART_INTRODUCERS
    assert refusal["message"] == str(rules.MSG["introducers"])  # in the site's language
    # one introducer only
    assert violations(
        api(
            district.secretary,
            "POST",
            url,
            {"step": 9, "date": "2024-03-10", "introducers": [roster[0].pk]},
        )
    ) == ["introducers_two_full"]
    # an introducer outside the caller's scope: a malformed field, named
    response = api(
        district.secretary,
        "POST",
        url,
        {"step": 9, "date": "2024-03-10", "introducers": [roster[0].pk, outsider.pk]},
    )
    assert response.status_code == 422 and response.json()["detail"][0]["field"] == "introducers"
    assert counts() == before
    ok = api(district.secretary, "POST", url, step_payload(9, roster))
    assert ok.status_code == 201


def test_development_target_before_one_year_is_refused(api, district, roster):
    applicant = advance(district, open_applicant(district), 6, roster)
    activist_on = PLAN[3][0]
    url = f"{URL}/{applicant.pk}/steps"
    day_before = rules.one_year_after(activist_on) - timedelta(days=1)
    response = api(district.secretary, "POST", url, {"step": 7, "date": day_before.isoformat()})
    assert violations(response) == ["activist_one_year"]
    assert response.json()["violations"][0]["article"] == rules.ART_ONE_YEAR
    ok = api(
        district.secretary,
        "POST",
        url,
        {"step": 7, "date": rules.one_year_after(activist_on).isoformat()},
    )
    assert ok.status_code == 201 and ok.json()["phase"] == 3


def test_training_and_activist_data_go_to_the_rules(api, district, roster):
    applicant = advance(district, open_applicant(district), 10, roster)
    url = f"{URL}/{applicant.pk}/steps"
    short = {"step": 11, "date": "2024-04-15", "days": 2, "hours": 23}
    assert violations(api(district.secretary, "POST", url, short)) == ["training_hours"]
    ok = api(district.secretary, "POST", url, {**short, "hours": 24, "certificate": "结业证"})
    assert ok.status_code == 201
    assert ok.json()["steps"][10]["data"] == {"days": 2, "hours": 24, "certificate": "结业证"}
    fresh = advance(district, open_applicant(district), 2, roster)
    bad = {"step": 3, "date": "2023-03-01", "method": "self", "decided_by": "branch_meeting"}
    assert violations(api(district.secretary, "POST", f"{URL}/{fresh.pk}/steps", bad)) == [
        "activist_selection"
    ]


def test_under_18_on_the_application_date_is_refused(api, district):
    response = api(
        district.secretary,
        "POST",
        URL,
        open_payload(
            district,
            birth_date="2008-01-11",
            id_number=id_number(D(2008, 1, 11), 5, female=True),
            applied_on="2026-01-10",
        ),
    )
    assert violations(response) == ["applicant_age"]
    assert not Applicant.objects.exists()


def test_open_twice_with_one_id_number_names_id_number(api, district):
    assert api(district.secretary, "POST", URL, open_payload(district)).status_code == 201
    again = api(district.secretary, "POST", URL, open_payload(district, name="林二"))
    assert again.status_code == 422
    assert "id_number" in {e["field"] for e in again.json()["detail"]}
    assert Applicant.objects.count() == 1


def test_open_in_a_community_names_org_id(api, district):
    response = api(
        district.community_admin, "POST", URL, open_payload(district, org_id=district.comm_a1.pk)
    )
    assert response.status_code == 422
    assert {e["field"] for e in response.json()["detail"]} == {"org_id"}


# --- extension and cancellation -------------------------------------------------------------


def test_extension_then_conversion(api, district, roster):
    applicant = advance(district, open_applicant(district), 22, roster)
    url = f"{URL}/{applicant.pk}"
    end = PLAN[15][0].replace(year=PLAN[15][0].year + 1)  # probation: one year from step 15
    assert (
        api(district.secretary, "POST", f"{url}/vote", vote_payload(end, roster)).status_code == 201
    )
    too_short = {
        "step": 23,
        "date": end.isoformat(),
        "outcome": "extend",
        "extended_to": rules.add_months(end, 5).isoformat(),
    }
    assert violations(api(district.secretary, "POST", f"{url}/steps", too_short)) == [
        "probation_extension"
    ]
    extended_to = rules.add_months(end, 6)
    response = api(
        district.secretary,
        "POST",
        f"{url}/steps",
        {**too_short, "extended_to": extended_to.isoformat()},
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["probation_extended_to"] == extended_to.isoformat()
    assert body["last_step"] == 22 and body["probation_end"] == extended_to.isoformat()
    assert body["timeline"][-1]["kind"] == "extended"
    member = Member.objects.get(pk=body["member_id"])
    assert member.history.filter(kind=StatusChange.Kind.PROBATION_EXTENDED).exists()
    # once only
    meeting = rules.add_months(end, 6)
    assert (
        api(district.secretary, "POST", f"{url}/vote", vote_payload(meeting, roster)).status_code
        == 201
    )
    again = {
        **too_short,
        "date": meeting.isoformat(),
        "extended_to": rules.add_months(meeting, 6).isoformat(),
    }
    assert violations(api(district.secretary, "POST", f"{url}/steps", again)) == [
        "probation_extension"
    ]
    convert = {"step": 23, "date": meeting.isoformat(), "outcome": "convert"}
    assert api(district.secretary, "POST", f"{url}/steps", convert).status_code == 201
    approval = {"step": 24, "date": rules.add_months(meeting, 1).isoformat()}
    assert api(district.secretary, "POST", f"{url}/steps", approval).status_code == 403
    done = api(district.street_admin, "POST", f"{url}/steps", approval)
    assert done.status_code == 201, done.content
    member.refresh_from_db()
    assert member.category == "full" and member.full_on == extended_to


def test_cancellation(api, district, roster):
    applicant = advance(district, open_applicant(district), 22, roster)
    url = f"{URL}/{applicant.pk}"
    on = PLAN[23][0]
    assert (
        api(district.secretary, "POST", f"{url}/vote", vote_payload(on, roster)).status_code == 201
    )
    response = api(
        district.secretary,
        "POST",
        f"{url}/steps",
        {"step": 23, "date": on.isoformat(), "outcome": "cancel"},
    )
    assert response.status_code == 201 and response.json()["state"] == "open"
    done = api(
        district.street_admin, "POST", f"{url}/steps", {"step": 24, "date": PLAN[24][0].isoformat()}
    )
    assert done.status_code == 201, done.content
    body = done.json()
    assert body["state"] == "cancelled" and body["next_step"] is None
    member = Member.objects.get(pk=body["member_id"])
    assert member.history.filter(kind=StatusChange.Kind.PROBATION_CANCELLED).exists()
    # nothing more can be recorded on a closed file
    closed = api(
        district.secretary, "POST", f"{url}/steps", {"step": 25, "date": PLAN[25][0].isoformat()}
    )
    assert violations(closed) == ["file_closed"]


# --- reviews, documents, close -----------------------------------------------------------------


def test_reviews_documents_and_close(api, district, roster):
    applicant = advance(district, open_applicant(district), 2, roster)
    url = f"{URL}/{applicant.pk}"
    early = api(
        district.secretary,
        "POST",
        f"{url}/reviews",
        {"date": "2023-02-01", "reviewer": "王书记", "summary": "表现良好"},
    )
    assert violations(early) == ["review_window"]
    advance(district, applicant, 3, roster)
    review = api(
        district.secretary,
        "POST",
        f"{url}/reviews",
        {"date": "2023-08-01", "reviewer": "王书记", "summary": "表现良好"},
    )
    assert review.status_code == 201
    assert review.json()["reviewer"] == "王书记" and review.json()["on"] == "2023-08-01"
    document = api(
        district.secretary,
        "POST",
        f"{url}/documents",
        {"kind": "thought_report", "date": "2023-08-02", "title": "第一季度思想汇报", "step": 6},
    )
    assert document.status_code == 201 and document.json()["step"] == 6
    body = api(district.secretary, "GET", url).json()
    assert [r["reviewer"] for r in body["reviews"]] == ["王书记"]
    assert body["steps"][5]["documents"] == [document.json()["id"]]
    closed = api(
        district.secretary,
        "POST",
        f"{url}/close",
        {"date": "2023-09-01", "state": "withdrawn", "reason": "本人撤回申请"},
    )
    assert closed.status_code == 200, closed.content
    assert closed.json()["state"] == "withdrawn" and closed.json()["close_reason"] == "本人撤回申请"
    assert closed.json()["closed_on"] == "2023-09-01"
    after = api(district.secretary, "POST", f"{url}/steps", {"step": 4, "date": "2023-09-02"})
    assert after.status_code in (403, 422)
    again = api(district.street_admin, "POST", f"{url}/steps", {"step": 4, "date": "2023-09-02"})
    assert violations(again) == ["file_closed"]


def test_close_before_the_last_step_names_the_date(api, district, roster):
    applicant = advance(district, open_applicant(district), 3, roster)
    response = api(
        district.secretary,
        "POST",
        f"{URL}/{applicant.pk}/close",
        {"date": "2023-01-01", "state": "withdrawn", "reason": "搬走"},
    )
    assert response.status_code == 422
    assert {e["field"] for e in response.json()["detail"]} == {"date"}
    applicant.refresh_from_db()
    assert applicant.state == "open"
