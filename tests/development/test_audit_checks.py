"""Checks added by the issue-4 audit: the vote endpoint's arithmetic on an even roster (who
counts in should_attend, quorum just met / just missed, yes exactly half → fails), dues of a
new probationary member from the month of the branch meeting, the overdue page's scope, and
29 February at the approval and extension limits."""

import json
from datetime import date as D
from io import BytesIO

import openpyxl
import pytest

from tests.development.admission_factories import (
    TODAY,
    actor_for,
    advance,
    branch_members,
    open_applicant,
)
from tests.factories import make_user
from tests.member_factories import make_floating, make_member
from tongxin.accounts.services import issue_api_token
from tongxin.development import rules, services
from tongxin.development.models import ActivistReview, Applicant, FileEvent, StepRecord, Vote
from tongxin.development.rules import File, check_step
from tongxin.development.rules import StepRecord as RuleStep
from tongxin.members.models import DuesRecord, Member
from tongxin.members.services import dues

pytestmark = pytest.mark.django_db

URL = "/api/v1/admissions"
MEETING = D(2024, 6, 1)  # PLAN[15]


@pytest.fixture
def api(client):
    def call(user, method, url, payload=None):
        return client.generic(
            method,
            url,
            data=None if payload is None else json.dumps(payload),
            content_type="application/json",
            headers={"Authorization": f"Bearer {issue_api_token(user=user)}"},
        )

    return call


def counts():
    return [
        m.objects.count() for m in (Applicant, StepRecord, ActivistReview, Vote, FileEvent, Member)
    ]


@pytest.fixture
def even_roster(district):
    """Six voters of branch A1 on the meeting date, and four people who must not count."""
    voters = branch_members(district.branch_a1, n=6)
    make_member(district.branch_a1, category="probationary", admitted_on=D(2024, 1, 1))
    make_member(  # under 留党察看 on the meeting date
        district.branch_a1, party_probation_from=D(2024, 1, 1), party_probation_until=MEETING
    )
    guest = make_member(district.branch_b1)  # a floating member hosted by A1
    make_floating(guest, host_org=district.branch_a1, left_on=D(2023, 1, 1))
    make_member(district.branch_a1, admitted_on=D(2024, 6, 2))  # joined after the meeting
    return voters


@pytest.mark.parametrize(
    ("present", "yes", "written_yes", "quorum", "passed"),
    [
        (3, 3, 0, False, False),  # 3 of 6 is not more than half: quorum just missed
        (4, 3, 0, True, False),  # quorum just met; 3 yes = exactly half of 6 → fails
        (4, 3, 1, True, True),  # a written yes of an absentee makes 4 > 3
        (4, 4, 0, True, True),
        (6, 3, 0, True, False),  # a majority of those present is not enough
    ],
)
def test_vote_endpoint_counts_against_who_should_attend(
    api, district, even_roster, present, yes, written_yes, quorum, passed
):
    applicant = advance(district, open_applicant(district), 14, even_roster)
    payload = {
        "date": MEETING.isoformat(),
        "present": [m.pk for m in even_roster[:present]],
        "yes": yes,
        "no": present - yes,
        "abstain": 0,
        "written": [{"member": m.pk, "vote": "yes"} for m in even_roster[::-1][:written_yes]],
    }
    response = api(district.secretary, "POST", f"{URL}/{applicant.pk}/vote", payload)
    assert response.status_code == 201, response.content
    body = response.json()
    # probationary, 留党察看, floating and later members are not on the roster
    assert body["should_attend"] == 6
    assert (body["attended"], body["quorum_met"], body["passed"]) == (present, quorum, passed)
    expected = rules.vote_result(6, present, yes, present - yes, 0, written_yes=written_yes)
    assert body["arithmetic"] == expected.arithmetic
    before = counts()
    step = api(
        district.secretary,
        "POST",
        f"{URL}/{applicant.pk}/steps",
        {"step": 15, "date": MEETING.isoformat()},
    )
    if passed:
        assert step.status_code == 201 and step.json()["last_step"] == 15
    else:
        refusal = step.json()
        assert step.status_code == 422
        assert [v["rule"] for v in refusal["violations"]] == [
            "vote_passed" if quorum else "vote_quorum"
        ]
        assert counts() == before


def test_vote_naming_a_probationary_or_disciplined_member_as_present_is_refused(
    api, district, even_roster
):
    applicant = advance(district, open_applicant(district), 14, even_roster)
    outsiders = Member.objects.filter(org=district.branch_a1).exclude(
        pk__in=[m.pk for m in even_roster]
    )
    before = counts()
    for outsider in outsiders:
        payload = {
            "date": MEETING.isoformat(),
            "present": [m.pk for m in even_roster[:3]] + [outsider.pk],
            "yes": 4,
            "no": 0,
            "abstain": 0,
        }
        response = api(district.secretary, "POST", f"{URL}/{applicant.pk}/vote", payload)
        assert response.status_code == 422, response.content
        assert [v["rule"] for v in response.json()["violations"]] == ["vote_figures"]
    assert counts() == before


# --- dues of the new probationary member ----------------------------------------------------


def test_dues_start_in_the_month_of_a_meeting_on_the_months_last_day(district):
    members = branch_members(district.branch_a1)
    applicant = advance(district, open_applicant(district), 14, members)
    meeting = D(2024, 6, 30)
    services.record_vote(
        actor=district.secretary,
        applicant=applicant,
        meeting_on=meeting,
        present=[m.pk for m in members[:4]],
        yes=4,
        no=0,
        abstain=0,
        today=TODAY,
    )
    for step, on in ((15, meeting), (16, meeting), (17, D(2024, 8, 20))):
        services.record_step(
            actor=actor_for(district, step), applicant=applicant, step=step, on=on, today=TODAY
        )
    applicant.refresh_from_db()
    member = applicant.member
    assert (member.category, member.admitted_on) == ("probationary", meeting)
    for month in (D(2024, 5, 1), D(2024, 6, 1), D(2024, 7, 1)):
        dues.generate_month(actor=district.secretary, org=district.branch_a1, month=month)
    months = list(DuesRecord.objects.filter(member=member).values_list("month", flat=True))
    assert sorted(months) == [D(2024, 6, 1), D(2024, 7, 1)]


# --- the overdue page's scope ------------------------------------------------------------------


def test_overdue_page_is_scoped(client, district):
    late_a = open_applicant(district, applied_on=D(2025, 10, 1), today=TODAY, name="林逾期")
    late_b = open_applicant(
        district,
        applied_on=D(2025, 10, 1),
        today=TODAY,
        org=district.branch_b1,
        actor=district.admin,
        name="陈逾期",
    )
    services.refresh_file(late_a)
    services.refresh_file(late_b)
    assert Applicant.objects.filter(overdue=True).count() == 2
    client.force_login(district.secretary)
    body = client.get("/admissions/overdue/").content.decode()
    assert "林逾期" in body and "陈逾期" not in body
    assert client.get(f"/admissions/overdue/?org={district.branch_b1.pk}").status_code == 404
    client.force_login(district.admin)
    body = client.get(f"/admissions/overdue/?org={district.branch_b1.pk}").content.decode()
    assert "陈逾期" in body and "林逾期" not in body
    client.force_login(make_user("lin", role="party_member", org=district.branch_a1))
    assert client.get("/admissions/overdue/").status_code == 403


# --- 29 February at the limits -------------------------------------------------------------------


def _file(dates: dict[int, D]) -> File:
    return File(birth_date=D(1990, 1, 1), steps={k: RuleStep(v, {}) for k, v in dates.items()})


@pytest.mark.parametrize(
    ("on", "ok"), [(D(2024, 2, 28), True), (D(2024, 2, 29), True), (D(2024, 3, 1), False)]
)
def test_approval_limit_ending_on_29_february(on, ok):
    # meeting 2023-11-29 + 3 months = 2024-02-29 (以内 includes the day)
    f = _file({k: D(2023, 11, 29) for k in range(1, 17)})
    data = {"approver_type": "street_committee"}
    assert [v.rule for v in check_step(f, 17, on, data, today=D(2025, 1, 1))] == (
        [] if ok else ["approval_limit"]
    )


@pytest.mark.parametrize(
    ("extended_to", "ok"),
    [
        (D(2025, 8, 27), False),  # meeting 2024-02-29: probation ends 2025-02-28; + 6 months
        (D(2025, 8, 28), True),
        (D(2025, 8, 29), True),
        (D(2026, 2, 27), True),
        (D(2026, 2, 28), True),  # + one year
        (D(2026, 3, 1), False),
    ],
)
def test_extension_limits_from_a_29_february_meeting(extended_to, ok):
    f = _file({k: D(2024, 2, 29) for k in range(1, 23)})
    assert f.probation_end == D(2025, 2, 28)
    data = {
        "vote": {"should_attend": 5, "attended": 4, "yes": 4},
        "outcome": "extend",
        "extended_to": extended_to,
    }
    got = [v.rule for v in check_step(f, 23, D(2025, 2, 28), data, today=D(2027, 1, 1))]
    assert got == ([] if ok else ["probation_extension"])


@pytest.mark.parametrize(
    ("today", "flagged"), [(D(2024, 2, 28), False), (D(2024, 2, 29), False), (D(2024, 3, 1), True)]
)
def test_half_year_review_due_on_29_february(today, flagged):
    f = _file({1: D(2023, 8, 1), 2: D(2023, 8, 5), 3: D(2023, 8, 29)})
    rules_flagged = "half_year_review" in [i.rule for i in rules.overdue_items(f, today)]
    assert rules_flagged == flagged


# --- the Excel table is the district's Chinese table in any page language -------------------


def test_export_labels_are_chinese_whatever_the_page_language(client, district):
    members = branch_members(district.branch_a1)
    advance(district, open_applicant(district, is_high_knowledge=True), 17, members)
    client.force_login(district.secretary)
    query = f"org={district.branch_a1.pk}&since=2024-01-01&until=2024-12-31"
    response = client.get(f"/admissions/report/export/?{query}", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    ws = openpyxl.load_workbook(BytesIO(response.content)).worksheets[0]
    rows = [tuple(r) for r in ws.iter_rows(values_only=True)]
    assert ("发展党员总数", 1) in rows
    assert ("高知群体", 1) in rows
    labels = " ".join(str(r[0]) for r in rows if r and r[0])
    assert "High-knowledge" not in labels and "and under" not in labels


# --- an introducer's 留党察看 around the step date: the day before, of and after ----------------


@pytest.mark.parametrize(
    ("starts", "ends", "allowed"),
    [
        (D(2024, 3, 11), D(2025, 3, 11), True),  # begins the day after step 9
        (D(2024, 3, 10), D(2025, 3, 10), False),  # begins on the day
        (D(2023, 3, 9), D(2024, 3, 11), False),  # ends the day after
        (D(2023, 3, 9), D(2024, 3, 10), False),  # ends on the day
        (D(2023, 3, 9), D(2024, 3, 9), True),  # ended the day before
    ],
)
def test_introducer_party_probation_boundaries(district, starts, ends, allowed):
    members = branch_members(district.branch_a1)
    applicant = advance(district, open_applicant(district), 8, members)
    disciplined = members[2]
    disciplined.party_probation_from, disciplined.party_probation_until = starts, ends
    disciplined.save()
    before = counts()
    call = dict(
        actor=district.secretary,
        applicant=applicant,
        step=9,
        on=D(2024, 3, 10),
        data={"introducers": [members[0].pk, disciplined.pk]},
        today=TODAY,
    )
    if allowed:
        assert services.record_step(**call).step == 9
        return
    with pytest.raises(services.StepRefused) as exc:
        services.record_step(**call)
    assert [v.rule for v in exc.value.violations] == ["introducers_two_full"]
    assert counts() == before


# --- the end of probation is on the to-do list whatever step the file is at -----------------


def test_probation_end_is_a_deadline_from_step_18_on():
    f = _file({k: D(2024, 2, 29) for k in range(1, 19)})
    for last in (18, 19, 20, 21):
        f.steps = {k: RuleStep(D(2024, 2, 29), {}) for k in range(1, last + 1)}
        assert rules.next_deadline(f) == rules.Deadline(last + 1, due=D(2025, 2, 28))


def test_secretary_sees_the_probation_end_coming_before_step_19(district):
    from tongxin.development import selectors

    members = branch_members(district.branch_a1)
    applicant = advance(district, open_applicant(district), 18, members)
    today = D(2025, 5, 25)  # probation ends 2025-06-01 (meeting 2024-06-01)
    services.refresh_file(applicant, today=today)
    applicant.refresh_from_db()
    assert (applicant.next_due, applicant.overdue) == (D(2025, 6, 1), False)
    todo = selectors.todo_for(district.secretary, today=today)
    assert [(i["applicant"].pk, i["kind"], i["due"]) for i in todo] == [
        (applicant.pk, "due", D(2025, 6, 1))
    ]
    assert todo[0]["step"].number == 19
