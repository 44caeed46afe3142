"""Elections through the service: the checks at their boundaries, refusals, term update,
reminders once, scoping."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from tests.factories import make_org
from tests.member_factories import make_member
from tongxin.core.models import AuditEntry, Notification
from tongxin.meetings.models import Candidate, Election
from tongxin.meetings.services import elections as svc
from tongxin.orgs.models import Org

pytestmark = pytest.mark.django_db

TODAY = date(2026, 3, 10)


def names(n):
    return [f"候选人{i}" for i in range(1, n + 1)]


def record(d, *, seats=3, entitled=10, present=9, votes=(8, 7, 6, 2), **kw):
    cands = list(zip(names(len(votes)), votes, strict=True))
    kw.setdefault("actor", d.secretary)
    kw.setdefault("org", d.branch_a1)
    kw.setdefault("held_on", TODAY)
    return svc.record_election(
        seats=seats, entitled=entitled, present=present, candidates=cands, today=TODAY, **kw
    )


def elected(e):
    return sorted(c.name for c in e.candidates.all() if c.elected)


# --- candidates: ≥ 20 % more than seats, rounded up --------------------------------------------


def test_exactly_20_percent_surplus_is_enough(district):
    e = record(district, seats=5, votes=(9, 9, 8, 8, 7, 1))  # 6 for 5 = exactly 20 %
    assert e.state == "valid"
    assert e.result["minimum"] == 6 and e.result["surplus_met"] is True
    assert len(elected(e)) == 5


def test_one_candidate_short_of_the_surplus_is_recorded_invalid(district):
    before = Org.objects.get(pk=district.branch_a1.pk).term_started_on
    e = record(district, seats=5, votes=(9, 9, 8, 8, 7))  # 5 for 5
    assert e.state == "invalid"
    assert [v["rule"] for v in e.result["violations"]] == ["candidate_surplus"]
    assert elected(e) == []
    assert Org.objects.get(pk=district.branch_a1.pk).term_started_on == before


def test_surplus_rounds_up(district):
    e = record(district, seats=3, votes=(8, 7, 6))  # 3 seats need 4 (0.6 → 1)
    assert e.state == "invalid" and e.result["minimum"] == 4


def test_uncontested_election_skips_the_surplus(district):
    e = record(district, seats=1, votes=(9,), contested=False)
    assert e.state == "valid" and elected(e) == ["候选人1"]


# --- more than 4/5 present ----------------------------------------------------------------


def test_exactly_four_fifths_present_is_not_valid(district):
    e = record(district, entitled=10, present=8, votes=(8, 7, 6, 2))
    assert e.state == "invalid"
    assert [v["rule"] for v in e.result["violations"]] == ["election_quorum"]
    assert elected(e) == []


def test_one_more_than_four_fifths_is_valid(district):
    e = record(district, entitled=10, present=9)
    assert e.state == "valid"


# --- elected with more than half of those present ------------------------------------------------


def test_exactly_half_the_votes_is_not_elected(district):
    # present 10: 5 votes is half (not elected), 6 is more than half (elected)
    e = record(district, seats=3, entitled=12, present=10, votes=(6, 6, 5, 1))
    assert e.state == "valid"
    assert elected(e) == ["候选人1", "候选人2"]
    assert e.result["shortfall"] == 1


def test_tie_across_the_last_seat_is_left_undecided(district):
    e = record(district, seats=2, entitled=12, present=10, votes=(8, 6, 6))
    assert elected(e) == ["候选人1"] and e.result["tied"] == ["候选人2", "候选人3"]


# --- term update ---------------------------------------------------------------------------------


def test_valid_election_starts_the_new_term(district):
    e = record(district, held_on=date(2026, 3, 5))
    org = Org.objects.get(pk=district.branch_a1.pk)
    assert org.term_started_on == date(2026, 3, 5)
    assert org.term_ends_on == date(2031, 3, 5)  # a community branch: 5 years
    assert AuditEntry.objects.filter(action="term_from_election", object_id=str(org.pk)).exists()
    assert AuditEntry.objects.filter(action="record_election", object_id=str(e.pk)).exists()


def test_general_branch_term_is_three_years(district):
    gb = make_org(district.admin, district.comm_a1, type="general_branch", sector="organ")
    record(district, actor=district.community_admin, org=gb, held_on=date(2024, 2, 29))
    gb.refresh_from_db()
    assert gb.term_ends_on == date(2027, 2, 28)


def test_an_older_election_does_not_roll_the_term_back(district):
    record(district, held_on=date(2026, 3, 5))
    record(district, held_on=date(2023, 3, 5))
    org = Org.objects.get(pk=district.branch_a1.pk)
    assert org.term_started_on == date(2026, 3, 5)


# --- refusals: nothing written -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"held_on": TODAY + timedelta(days=1)}, "held_on"),
        ({"seats": 5, "votes": (9, 8, 7, 6)}, "candidates"),  # fewer candidates than seats
        ({"present": 9, "votes": (10, 8, 7, 6)}, "candidates"),  # votes above present
        ({"entitled": 10, "present": 11}, "present"),
        ({"seats": 2, "present": 9, "votes": (9, 9, 1)}, "candidates"),  # 19 > 9 × 2
        ({"seats": 0}, "seats"),
        ({"note": "x" * 4001}, "note"),
    ],
)
def test_impossible_figures_are_refused(district, kwargs, field):
    with pytest.raises(ValidationError) as exc:
        record(district, **kwargs)
    assert field in exc.value.message_dict
    assert not Election.objects.exists() and not Candidate.objects.exists()


def test_today_is_allowed(district):
    assert record(district, held_on=TODAY).state == "valid"


def test_duplicate_candidate_and_member_of_another_branch(district):
    stranger = make_member(district.branch_b1, name="外人")
    with pytest.raises(ValidationError) as exc:
        svc.record_election(
            actor=district.secretary,
            org=district.branch_a1,
            held_on=TODAY,
            seats=1,
            entitled=10,
            present=9,
            candidates=[("张三", 5), ("张三", 3), (stranger, 2)],
            today=TODAY,
        )
    text = " ".join(exc.value.message_dict["candidates"])
    assert "张三" in text and "外人" in text
    assert not Election.objects.exists()


def test_party_group_has_no_term(district):
    group = make_org(district.admin, district.branch_a1, type="party_group")
    with pytest.raises(ValidationError) as exc:
        record(district, actor=district.admin, org=group)
    assert "org" in exc.value.message_dict


def test_entitled_defaults_to_the_voters_on_the_date(district):
    for _i in range(5):
        make_member(district.branch_a1)
    make_member(district.branch_a1, category="probationary", admitted_on=date(2025, 9, 1))
    make_member(district.branch_a1, admitted_on=TODAY + timedelta(days=1))  # not yet
    e = svc.record_election(
        actor=district.secretary,
        org=district.branch_a1,
        held_on=TODAY,
        seats=1,
        present=5,
        candidates=[("甲", 5), ("乙", 0)],
        today=TODAY,
    )
    assert e.entitled == 5 and e.state == "valid"


def test_nobody_entitled_is_refused(district):
    with pytest.raises(ValidationError) as exc:
        svc.record_election(
            actor=district.secretary,
            org=district.branch_a1,
            held_on=TODAY,
            seats=1,
            present=0,
            candidates=[("甲", 0), ("乙", 0)],
            today=TODAY,
        )
    assert "entitled" in exc.value.message_dict


# --- scoping ------------------------------------------------------------------------------


def test_only_keepers_of_the_org_record(district):
    with pytest.raises(PermissionDenied):
        record(district, actor=district.other_community)
    with pytest.raises(PermissionDenied):
        record(district, actor=district.secretary, org=district.branch_b1)
    assert record(district, actor=district.street_admin).state == "valid"
    assert not Election.objects.filter(org=district.branch_b1).exists()


# --- reminders ----------------------------------------------------------------------------------


def set_term(org, ends_on):
    Org.objects.filter(pk=org.pk).update(term_ends_on=ends_on)


def test_reminder_from_90_days_before_and_only_once(district):
    set_term(district.branch_a1, TODAY + timedelta(days=91))
    Org.objects.exclude(pk=district.branch_a1.pk).update(term_ends_on=None)
    assert svc.remind_terms(today=TODAY)["notices"] == 0  # the day before the lead time
    set_term(district.branch_a1, TODAY + timedelta(days=90))
    first = svc.remind_terms(today=TODAY)
    assert first["due"] == 1
    # the secretary (bound to the branch) and the community admin (bound to its parent)
    recipients = set(
        Notification.objects.filter(kind="term_due").values_list("recipient", flat=True)
    )
    assert recipients == {district.secretary.pk, district.community_admin.pk}
    assert svc.remind_terms(today=TODAY + timedelta(days=1))["notices"] == 0  # once


def test_overdue_from_the_day_after_the_end(district):
    Org.objects.update(term_ends_on=None)
    set_term(district.branch_a1, TODAY)
    assert svc.remind_terms(today=TODAY)["overdue"] == 0  # the end date: not yet overdue
    result = svc.remind_terms(today=TODAY + timedelta(days=1))
    assert result["overdue"] == 1 and result["notices"] == 2
    assert Notification.objects.filter(kind="term_overdue").count() == 2
    assert svc.remind_terms(today=TODAY + timedelta(days=30))["notices"] == 0
