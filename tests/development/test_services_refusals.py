"""Every refusal of the admission services writes nothing (helper H1).

Each test takes the row counts of every table the services write, makes the refused call,
checks the rule (or field, or permission) named, and compares the counts.
"""

from datetime import date as D

import pytest
from django.utils import translation

from tests.development.admission_factories import (
    PLAN,
    TODAY,
    advance,
    branch_members,
    identity,
    open_applicant,
    refused,
    rules_of,
    vote,
)
from tests.factories import make_org
from tests.member_factories import make_floating, make_member
from tongxin.development import services
from tongxin.development.models import (
    Applicant,
    StepRecord,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def members(district):
    return branch_members(district.branch_a1)


def file_at(district, members, step, **kw):
    return advance(district, open_applicant(district, **kw), step, members)


def record(district, applicant, step, on, data=None, actor=None, **kw):
    return services.record_step(
        actor=actor or district.secretary,
        applicant=applicant,
        step=step,
        on=on,
        data=data or {},
        today=kw.pop("today", TODAY),
        **kw,
    )


# --- opening a file --------------------------------------------------------------------
def test_open_file_under_18_is_refused(district):
    exc = refused(
        services.open_file,
        actor=district.secretary,
        org=district.branch_a1,
        applied_on=D(2013, 5, 4),
        today=TODAY,
        **identity(birth_date=D(1995, 5, 5)),
    )
    assert rules_of(exc) == ["applicant_age"]
    # the 18th birthday itself is allowed
    applicant = open_applicant(district, applied_on=D(2013, 5, 5), birth_date=D(1995, 5, 5))
    assert applicant.applied_on == D(2013, 5, 5)


def test_open_file_bad_identity_names_the_fields(district):
    data = identity(id_number="350102199505050000", phone="12")
    exc = refused(
        services.open_file,
        actor=district.secretary,
        org=district.branch_a1,
        applied_on=PLAN[1][0],
        today=TODAY,
        **data,
    )
    assert {"id_number", "phone"} <= set(exc.message_dict)


def test_open_file_twice_for_one_id_number_is_refused(district):
    first = open_applicant(district)
    data = identity(id_number=first.id_number)
    exc = refused(
        services.open_file,
        actor=district.secretary,
        org=district.branch_a1,
        applied_on=PLAN[1][0],
        today=TODAY,
        **data,
    )
    assert "id_number" in exc.message_dict


def test_open_file_for_a_registered_member_is_refused(district):
    member = make_member(district.branch_a1)
    data = identity(id_number=member.id_number, birth_date=member.birth_date)
    exc = refused(
        services.open_file,
        actor=district.secretary,
        org=district.branch_a1,
        applied_on=PLAN[1][0],
        today=TODAY,
        **data,
    )
    assert "id_number" in exc.message_dict


def test_open_file_outside_scope_or_not_a_branch(district):
    refused(
        services.open_file,
        actor=district.other_community,
        org=district.branch_a1,
        applied_on=PLAN[1][0],
        today=TODAY,
        **identity(),
    )
    exc = refused(
        services.open_file,
        actor=district.community_admin,
        org=district.comm_a1,
        applied_on=PLAN[1][0],
        today=TODAY,
        **identity(),
    )
    assert "org" in exc.message_dict
    exc = refused(
        services.open_file,
        actor=district.secretary,
        org=district.branch_a1,
        applied_on=PLAN[1][0],
        today=TODAY,
        salary=1,
        **identity(),
    )
    assert "salary" in exc.message_dict


# --- order and dates ---------------------------------------------------------------------
def test_step_out_of_order_date_order_and_future(district, members):
    applicant = file_at(district, members, 2)
    data = PLAN[3][1]
    exc = refused(
        services.record_step,
        actor=district.secretary,
        applicant=applicant,
        step=5,
        on=D(2023, 3, 1),
        data=data,
        today=TODAY,
    )
    assert rules_of(exc) == ["step_order"]
    exc = refused(
        services.record_step,
        actor=district.secretary,
        applicant=applicant,
        step=3,
        on=D(2023, 1, 19),  # the day before the talk (step 2)
        data=data,
        today=TODAY,
    )
    assert rules_of(exc) == ["date_order"]
    exc = refused(
        services.record_step,
        actor=district.secretary,
        applicant=applicant,
        step=3,
        on=D(2026, 1, 2),
        data=data,
        today=D(2026, 1, 1),
    )
    assert rules_of(exc) == ["date_future"]
    # the same day as the previous step is allowed
    record(district, applicant, 3, D(2023, 1, 20), data)


def test_recording_the_same_step_twice_is_refused_with_step_order(district, members):
    applicant = file_at(district, members, 1)
    stale = Applicant.objects.get(pk=applicant.pk)  # a second screen opened before
    record(district, applicant, 2, D(2023, 1, 20))
    exc = refused(
        services.record_step,
        actor=district.secretary,
        applicant=stale,
        step=2,
        on=D(2023, 1, 20),
        today=TODAY,
    )
    assert rules_of(exc) == ["step_order"]
    assert StepRecord.objects.filter(applicant=applicant, step=2).count() == 1


def test_activist_decision_and_malformed_step_data(district, members):
    applicant = file_at(district, members, 2)
    exc = refused(
        services.record_step,
        actor=district.secretary,
        applicant=applicant,
        step=3,
        on=D(2023, 3, 1),
        data={"method": "member_recommendation", "decided_by": "branch_committee"},
        today=TODAY,
    )
    # branch_a1 has no committee: the branch meeting decides
    assert rules_of(exc) == ["activist_decision"]
    exc = refused(
        services.record_step,
        actor=district.secretary,
        applicant=applicant,
        step=3,
        on=D(2023, 3, 1),
        data={"method": 7},
        today=TODAY,
    )
    assert "method" in exc.message_dict
    exc = refused(
        services.record_step,
        actor=district.secretary,
        applicant=applicant,
        step=3,
        on="2023-02-30",
        data=PLAN[3][1],
        today=TODAY,
    )
    assert "date" in exc.message_dict
    exc = refused(
        services.record_step,
        actor=district.secretary,
        applicant=applicant,
        step=26,
        on=D(2023, 3, 1),
        today=TODAY,
    )
    assert "step" in exc.message_dict


def test_local_rule_is_off_by_default_and_enforced_when_set(district, members):
    applicant = file_at(district, members, 2)
    services.save_local_rules(actor=district.admin, min_months_application_to_activist=6)
    exc = refused(
        services.record_step,
        actor=district.secretary,
        applicant=applicant,
        step=3,
        on=D(2023, 7, 9),  # application 2023-01-10 + 6 months = 2023-07-10
        data=PLAN[3][1],
        today=TODAY,
    )
    assert rules_of(exc) == ["local_application_age"]
    record(district, applicant, 3, D(2023, 7, 10), PLAN[3][1])
    refused(
        services.save_local_rules, actor=district.street_admin, min_months_application_to_activist=1
    )


# --- one year as activist, 29 February ---------------------------------------------------
@pytest.mark.parametrize(
    "activist_on, target_on, allowed",
    [
        (D(2023, 3, 1), D(2024, 2, 29), False),  # the day before
        (D(2023, 3, 1), D(2024, 3, 1), True),  # the day of
        (D(2023, 3, 1), D(2024, 3, 2), True),  # the day after
        (D(2024, 2, 29), D(2025, 2, 27), False),
        (D(2024, 2, 29), D(2025, 2, 28), True),  # 29 February → 28 February
        (D(2024, 2, 29), D(2025, 3, 1), True),
    ],
)
def test_one_year_as_activist_at_service_level(district, members, activist_on, target_on, allowed):
    applicant = open_applicant(district, applied_on=D(2023, 1, 10))
    record(district, applicant, 2, D(2023, 1, 20))
    record(district, applicant, 3, activist_on, PLAN[3][1])
    record(district, applicant, 4, activist_on, actor=district.street_admin)
    record(district, applicant, 5, activist_on, {"contacts": [members[0].pk]})
    record(district, applicant, 6, activist_on)
    if allowed:
        record(district, applicant, 7, target_on)
        applicant.refresh_from_db()
        assert applicant.target_on == target_on
    else:
        exc = refused(
            services.record_step,
            actor=district.secretary,
            applicant=applicant,
            step=7,
            on=target_on,
            today=TODAY,
        )
        assert rules_of(exc) == ["activist_one_year"]


# --- contacts and introducers -------------------------------------------------------------
def test_contacts_must_be_full_members_in_scope(district, members):
    applicant = file_at(district, members, 4)
    probationary = make_member(district.branch_a1, category="probationary")
    exc = refused(
        services.record_step,
        actor=district.secretary,
        applicant=applicant,
        step=5,
        on=D(2023, 3, 15),
        data={"contacts": [probationary.pk]},
        today=TODAY,
    )
    assert rules_of(exc) == ["training_contacts"]
    exc = refused(
        services.record_step,
        actor=district.secretary,
        applicant=applicant,
        step=5,
        on=D(2023, 3, 15),
        data={"contacts": [m.pk for m in members[:3]]},
        today=TODAY,
    )
    assert rules_of(exc) == ["training_contacts"]
    elsewhere = make_member(district.branch_b1)
    exc = refused(
        services.record_step,
        actor=district.secretary,
        applicant=applicant,
        step=5,
        on=D(2023, 3, 15),
        data={"contacts": [elsewhere.pk]},
        today=TODAY,
    )
    assert "contacts" in exc.message_dict


def test_probationary_introducer_is_refused(district, members):
    applicant = file_at(district, members, 8)
    probationary = make_member(district.branch_a1, category="probationary")
    exc = refused(
        services.record_step,
        actor=district.secretary,
        applicant=applicant,
        step=9,
        on=D(2024, 3, 10),
        data={"introducers": [members[0].pk, probationary.pk]},
        today=TODAY,
    )
    assert rules_of(exc) == ["introducers_two_full"]
    with translation.override("en"):
        assert "Two full members are needed as introducers" in exc.violations[0].text


@pytest.mark.parametrize(
    "until, allowed",
    [
        (D(2024, 3, 10), False),  # 留党察看 ends on the day: still under it
        (D(2024, 3, 9), True),  # ended the day before
    ],
)
def test_introducer_under_party_probation_on_that_date(district, members, until, allowed):
    applicant = file_at(district, members, 8)
    disciplined = members[2]
    disciplined.party_probation_from = D(2023, 3, 10)
    disciplined.party_probation_until = until
    disciplined.save()
    data = {"introducers": [members[0].pk, disciplined.pk]}
    if allowed:
        record(district, applicant, 9, D(2024, 3, 10), data)
        return
    exc = refused(
        services.record_step,
        actor=district.secretary,
        applicant=applicant,
        step=9,
        on=D(2024, 3, 10),
        data=data,
        today=TODAY,
    )
    assert rules_of(exc) == ["introducers_two_full"]


def test_training_needs_three_days_or_24_hours(district, members):
    applicant = file_at(district, members, 10)
    exc = refused(
        services.record_step,
        actor=district.secretary,
        applicant=applicant,
        step=11,
        on=D(2024, 4, 15),
        data={"days": 2, "hours": 23},
        today=TODAY,
    )
    assert rules_of(exc) == ["training_hours"]
    exc = refused(
        services.record_step,
        actor=district.secretary,
        applicant=applicant,
        step=11,
        on=D(2024, 4, 15),
        data={"days": "three"},
        today=TODAY,
    )
    assert "days" in exc.message_dict
    record(district, applicant, 11, D(2024, 4, 15), {"hours": 24})


# --- votes ------------------------------------------------------------------------------
def test_vote_with_attendees_above_the_roster_names_vote_figures(district, members):
    applicant = file_at(district, members, 14)
    exc = refused(
        services.record_vote,
        actor=district.secretary,
        applicant=applicant,
        meeting_on=D(2024, 6, 1),
        present=6,  # the roster has 5
        yes=6,
        no=0,
        abstain=0,
        today=TODAY,
    )
    assert set(rules_of(exc)) == {"vote_figures"}
    # a probationary member named as present is not on the roster either
    probationary = make_member(district.branch_a1, category="probationary")
    exc = refused(
        services.record_vote,
        actor=district.secretary,
        applicant=applicant,
        meeting_on=D(2024, 6, 1),
        present=[m.pk for m in members[:3]] + [probationary.pk],
        yes=4,
        no=0,
        abstain=0,
        today=TODAY,
    )
    assert rules_of(exc) == ["vote_figures"]
    exc = refused(
        services.record_vote,
        actor=district.secretary,
        applicant=applicant,
        meeting_on=D(2024, 6, 1),
        present=[m.pk for m in members[:3]],
        yes=3,
        no=1,
        abstain=0,
        today=TODAY,
    )
    assert rules_of(exc) == ["vote_figures"]  # ballots beyond attendees


def test_vote_before_its_step_is_refused(district, members):
    applicant = file_at(district, members, 12)
    exc = refused(
        services.record_vote,
        actor=district.secretary,
        applicant=applicant,
        meeting_on=D(2024, 6, 1),
        present=4,
        yes=4,
        no=0,
        abstain=0,
        today=TODAY,
    )
    assert rules_of(exc) == ["step_order"]


def test_admission_meeting_needs_a_passed_vote_of_that_date(district, members):
    applicant = file_at(district, members, 14)
    on = PLAN[15][0]
    exc = refused(
        services.record_step,
        actor=district.secretary,
        applicant=applicant,
        step=15,
        on=on,
        today=TODAY,
    )
    assert rules_of(exc) == ["vote_figures"]
    # 4 of the 5 who should attend present (quorum), 2 in favour: not more than half of 5
    failed = vote(district, applicant, members, on, yes=2)
    assert failed.quorum_met and not failed.passed and failed.should_attend == 5
    exc = refused(
        services.record_step,
        actor=district.secretary,
        applicant=applicant,
        step=15,
        on=on,
        today=TODAY,
    )
    assert rules_of(exc) == ["vote_passed"]
    vote(district, applicant, members, D(2024, 5, 30))
    exc = refused(
        services.record_step,
        actor=district.secretary,
        applicant=applicant,
        step=15,
        on=on,  # the passed vote is of another date
        today=TODAY,
    )
    assert rules_of(exc) == ["vote_passed"]
    vote(district, applicant, members, on)
    record(district, applicant, 15, on)


def test_written_opinions_count_and_must_come_from_absent_members(district, members):
    applicant = file_at(district, members, 14)
    on = PLAN[15][0]
    exc = refused(
        services.record_vote,
        actor=district.secretary,
        applicant=applicant,
        meeting_on=on,
        present=[m.pk for m in members[:3]],
        yes=3,
        no=0,
        abstain=0,
        written=[{"member": members[0].pk, "vote": "yes"}],
        today=TODAY,
    )
    assert rules_of(exc) == ["vote_figures"]
    exc = refused(
        services.record_vote,
        actor=district.secretary,
        applicant=applicant,
        meeting_on=on,
        present=[m.pk for m in members[:3]],
        yes=3,
        no=0,
        abstain=0,
        written=[{"member": members[4].pk, "vote": "perhaps"}],
        today=TODAY,
    )
    assert "written" in exc.message_dict
    # 3 present of 5 (quorum), 2 yes + 1 written yes = 3 > 2.5: passed
    result = services.record_vote(
        actor=district.secretary,
        applicant=applicant,
        meeting_on=on,
        present=[m.pk for m in members[:3]],
        yes=2,
        no=1,
        abstain=0,
        written=[{"member": members[4].pk, "vote": "yes"}],
        today=TODAY,
    )
    assert (result.attended, result.written_yes, result.passed) == (3, 1, True)


# --- who may record what -----------------------------------------------------------------
def test_branch_secretary_recording_step_17_is_denied(district, members):
    applicant = file_at(district, members, 16)
    refused(
        services.record_step,
        actor=district.secretary,
        applicant=applicant,
        step=17,
        on=D(2024, 7, 1),
        today=TODAY,
    )
    refused(
        services.record_step,
        actor=district.other_community,
        applicant=applicant,
        step=17,
        on=D(2024, 7, 1),
        today=TODAY,
    )


def test_community_committee_cannot_approve(district, members):
    applicant = file_at(district, members, 16)
    exc = refused(
        services.record_step,
        actor=district.community_admin,
        applicant=applicant,
        step=17,
        on=D(2024, 7, 1),
        today=TODAY,
    )
    assert rules_of(exc) == ["approval_authority"]


def test_approver_must_lie_above_the_branch_in_scope(district, members):
    applicant = file_at(district, members, 16)
    for approver in (district.street_b.pk, district.branch_a1.pk, "x"):
        exc = refused(
            services.record_step,
            actor=district.street_admin,
            applicant=applicant,
            step=17,
            on=D(2024, 7, 1),
            data={"approver": approver},
            today=TODAY,
        )
        assert "approver" in exc.message_dict


@pytest.mark.parametrize(
    "on, extended, allowed",
    [
        (D(2024, 9, 1), False, True),  # 3 months after the meeting of 2024-06-01: the day of
        (D(2024, 9, 2), False, False),  # the day after
        (D(2024, 9, 2), True, True),  # extended to 6 months
        (D(2024, 12, 1), True, True),
        (D(2024, 12, 2), True, False),
    ],
)
def test_approval_limit_at_service_level(district, members, on, extended, allowed):
    applicant = file_at(district, members, 16)
    data = {"limit_extended": extended}
    if allowed:
        record(district, applicant, 17, on, data, actor=district.street_admin)
        return
    exc = refused(
        services.record_step,
        actor=district.street_admin,
        applicant=applicant,
        step=17,
        on=on,
        data=data,
        today=TODAY,
    )
    assert rules_of(exc) == ["approval_limit"]


def test_general_branch_approver_is_refused(district):
    general = make_org(district.admin, district.comm_a1, type="general_branch")
    branch = make_org(district.admin, general)
    roster = branch_members(branch)
    applicant = open_applicant(district, org=branch, actor=district.community_admin)
    applicant = advance(district, applicant, 16, roster, secretary=district.community_admin)
    exc = refused(
        services.record_step,
        actor=district.street_admin,
        applicant=applicant,
        step=17,
        on=D(2024, 7, 1),
        data={"approver": general.pk},
        today=TODAY,
    )
    assert rules_of(exc) == ["approval_authority"]
    # the community admin keeps the general branch and the community: neither approves
    exc = refused(
        services.record_step,
        actor=district.community_admin,
        applicant=applicant,
        step=17,
        on=D(2024, 7, 1),
        today=TODAY,
    )
    assert rules_of(exc) == ["approval_authority"]
    record(district, applicant, 17, D(2024, 7, 1), actor=district.street_admin)
    applicant.refresh_from_db()
    assert applicant.member.org == branch


# --- later refusals -----------------------------------------------------------------------
def test_conversion_before_the_probation_ends_is_refused(district, members):
    applicant = file_at(district, members, 22)
    vote(district, applicant, members, D(2025, 5, 31))
    exc = refused(
        services.record_step,
        actor=district.secretary,
        applicant=applicant,
        step=23,
        on=D(2025, 5, 31),  # probation ends 2025-06-01
        data={"outcome": "convert"},
        today=TODAY,
    )
    assert rules_of(exc) == ["probation_not_ended"]
    exc = refused(
        services.record_step,
        actor=district.secretary,
        applicant=applicant,
        step=23,
        on=D(2025, 5, 31),
        data={"outcome": "maybe"},
        today=TODAY,
    )
    assert "outcome" in exc.message_dict


def test_closed_file_refuses_everything(district, members):
    applicant = file_at(district, members, 3)
    services.close_file(
        actor=district.secretary,
        applicant=applicant,
        on=D(2023, 4, 1),
        state="withdrawn",
        reason="本人撤回申请",
    )
    exc = refused(
        services.record_step,
        actor=district.street_admin,
        applicant=applicant,
        step=4,
        on=D(2023, 4, 2),
        today=TODAY,
    )
    assert rules_of(exc) == ["file_closed"]
    exc = refused(
        services.record_review,
        actor=district.secretary,
        applicant=applicant,
        on=D(2023, 4, 2),
        reviewer="张三",
        summary="表现良好",
        today=TODAY,
    )
    assert rules_of(exc) == ["file_closed"]
    exc = refused(
        services.close_file,
        actor=district.secretary,
        applicant=applicant,
        on=D(2023, 4, 2),
        state="withdrawn",
        reason="again",
    )
    assert rules_of(exc) == ["file_closed"]


def test_close_file_refusals(district, members):
    applicant = file_at(district, members, 3)
    for state, reason, field in (
        ("archived", "x", "state"),
        ("withdrawn", "", "reason"),
    ):
        exc = refused(
            services.close_file,
            actor=district.secretary,
            applicant=applicant,
            on=D(2023, 4, 1),
            state=state,
            reason=reason,
        )
        assert field in exc.message_dict
    exc = refused(
        services.close_file,
        actor=district.secretary,
        applicant=applicant,
        on=D(2023, 2, 28),  # before the activist step
        state="withdrawn",
        reason="撤回",
    )
    assert "date" in exc.message_dict
    refused(
        services.close_file,
        actor=district.other_community,
        applicant=applicant,
        on=D(2023, 4, 1),
        state="withdrawn",
        reason="撤回",
    )


def test_review_outside_the_activist_phase_is_refused(district, members):
    applicant = file_at(district, members, 2)
    exc = refused(
        services.record_review,
        actor=district.secretary,
        applicant=applicant,
        on=D(2023, 2, 1),
        reviewer="张三",
        summary="表现良好",
        today=TODAY,
    )
    assert rules_of(exc) == ["review_window"]
    advance(district, applicant, 3, members)
    exc = refused(
        services.record_review,
        actor=district.secretary,
        applicant=applicant,
        on=D(2023, 2, 28),
        reviewer="张三",
        summary="表现良好",
        today=TODAY,
    )
    assert rules_of(exc) == ["date_order"]
    review = services.record_review(
        actor=district.secretary,
        applicant=applicant,
        on=D(2023, 9, 1),
        reviewer="张三",
        summary="表现良好",
        today=TODAY,
    )
    assert review.pk


def test_document_refusals(district, members):
    applicant = file_at(district, members, 1)
    exc = refused(
        services.add_document,
        actor=district.secretary,
        applicant=applicant,
        kind="poem",
        on=D(2023, 1, 10),
        step=30,
    )
    assert {"kind", "step"} <= set(exc.message_dict)
    refused(
        services.add_document,
        actor=district.other_community,
        applicant=applicant,
        kind="application",
        on=D(2023, 1, 10),
    )
    document = services.add_document(
        actor=district.secretary,
        applicant=applicant,
        kind="application",
        on=D(2023, 1, 10),
        title="入党申请书",
        step=1,
    )
    assert document.step == 1 and applicant.events.filter(kind="document").count() == 1


def test_floating_member_hosted_by_the_branch_cannot_be_an_introducer(district, members):
    guest = make_member(district.branch_b1)
    make_floating(guest, host_org=district.branch_a1)
    applicant = file_at(district, members, 8)
    exc = refused(
        services.record_step,
        actor=district.secretary,
        applicant=applicant,
        step=9,
        on=D(2024, 3, 10),
        data={"introducers": [members[0].pk, guest.pk]},
        today=TODAY,
    )
    assert "introducers" in exc.message_dict  # not in the secretary's registry
