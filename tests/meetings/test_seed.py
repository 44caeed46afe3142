"""The meetings seeder of `tongxin seed` (issue 5 item 10): 12 months with realistic gaps.

Runs the demo with the seeders up to meetings; the meetings seeder must also run alone
(`--only meetings`) on a seeded database, reading what it needs from the database.
"""

import random
from collections import Counter
from datetime import date
from io import StringIO
from unittest import mock

import pytest
from django.core.management import call_command
from django.test import override_settings

from tongxin.accounts.models import RoleAssignment
from tongxin.core.management.commands import seed as seed_command
from tongxin.meetings import seed as meetings_seed
from tongxin.meetings.models import (
    AppraisalResult,
    Attendance,
    Candidate,
    Election,
    Meeting,
    MeetingEvent,
)
from tongxin.meetings.rules import compliance as crules
from tongxin.meetings.rules import kinds as K
from tongxin.members.models import Member
from tongxin.orgs.models import Org
from tongxin.orgs.seed import REFERENCE_DATE

pytestmark = pytest.mark.django_db
TODAY = REFERENCE_DATE


def run_seed(*names: str) -> str:
    wanted = [(n, m) for n, m in seed_command.SEEDERS if n in names]
    out = StringIO()
    with override_settings(DEBUG=True), mock.patch.object(seed_command, "SEEDERS", wanted):
        call_command("seed", "--scale", "demo", "--seed", "1", stdout=out)
    return out.getvalue()


@pytest.fixture
def demo():
    return run_seed("orgs", "accounts", "members", "meetings")


def showcase_branch() -> Org:
    ra = RoleAssignment.objects.get(user__username="branch_secretary", active=True)
    return ra.org


def test_twelve_months_of_history_and_planned_meetings(demo):
    months = {m.replace(day=1) for m in Meeting.objects.values_list("on", flat=True)}
    history = set(meetings_seed._months())
    assert len(history) == 12
    assert min(history).isoformat() == "2025-11-01" and max(history).isoformat() == "2026-10-01"
    assert history <= months
    # nothing held in the future, nothing planned in the past
    assert not Meeting.objects.filter(on__gte=TODAY, state__in=crules.HELD_STATES).exists()
    assert not Meeting.objects.filter(on__lt=TODAY, state=crules.PLANNED).exists()
    assert Meeting.objects.filter(on__gte=TODAY, state=crules.PLANNED).exists()
    states = Counter(Meeting.objects.values_list("state", flat=True))
    for state in (crules.APPROVED, crules.SUBMITTED, crules.HELD, crules.RETURNED):
        assert states[state] > 0, state
    returned = Meeting.objects.filter(state=crules.RETURNED)
    assert all(m.review_opinion for m in returned)
    assert "meetings:" in demo


def test_frequencies_followed_with_gaps(demo):
    branches = Org.objects.filter(type__in=("branch", "joint_branch"), active=True)
    theme = Counter(
        Meeting.objects.filter(kind=K.THEME_DAY, on__lt=TODAY).values_list("org_id", flat=True)
    )
    counts = sorted(theme.get(b.pk, 0) for b in branches if b.member_count or theme.get(b.pk))
    # most branches (nearly) every month; a tail of weak ones
    assert counts[len(counts) // 2] >= 10
    assert counts[0] < 12
    # committee meetings only where there is a committee; group meetings only with groups
    no_committee = set(branches.filter(has_committee=False).values_list("id", flat=True))
    committee_orgs = set(
        Meeting.objects.filter(kind=K.COMMITTEE_MEETING).values_list("org_id", flat=True)
    )
    assert committee_orgs and not committee_orgs & no_committee
    for m in Meeting.objects.filter(kind=K.GROUP_MEETING).select_related("party_group")[:50]:
        assert m.party_group.parent_id == m.org_id
    # the yearly meetings in December of last year, with the appraisal results
    yearly = Meeting.objects.filter(kind__in=(K.LIFE_MEETING, K.APPRAISAL))
    assert yearly.exists() and {(m.on.year, m.on.month) for m in yearly} == {(2025, 12)}
    assert AppraisalResult.objects.filter(year=2025).exists()
    assert set(AppraisalResult.objects.values_list("year", flat=True)) == {2025}
    talks = Meeting.objects.filter(kind=K.HEART_TALK)
    assert talks.exists() and all(m.should_attend == 2 and m.talk_pair for m in talks)


def test_attendance_rows_match_the_counts(demo):
    held = Meeting.objects.filter(state__in=crules.HELD_STATES)
    rows = Counter(Attendance.objects.values_list("meeting_id", "status"))
    for m in held.order_by("id")[:300]:
        roster = sum(rows[(m.id, s)] for s in ("attended", "leave", "absent", "expected"))
        assert roster == m.should_attend, m
        assert rows[(m.id, "attended")] == m.attended
        assert rows[(m.id, "leave")] == m.on_leave
        assert rows[(m.id, "expected")] == 0
        assert m.attended + m.on_leave <= m.should_attend
    planned = Meeting.objects.filter(state=crules.PLANNED).first()
    assert Attendance.objects.filter(meeting=planned, status="expected").count() == (
        planned.should_attend
    )
    # rosters are members of the meeting's branch
    sample = Attendance.objects.select_related("meeting", "member")[:500]
    assert all(a.member.org_id == a.meeting.org_id for a in sample)
    # some members never attend a theme day (the lapse feed has something to find)
    assert Attendance.objects.filter(status="absent").exists()
    # signin tokens unique, codes six digits
    tokens = list(Meeting.objects.values_list("signin_token", flat=True))
    assert len(tokens) == len(set(tokens))
    assert all(
        len(c) == 6 and c.isdigit() for c in Meeting.objects.values_list("signin_code", flat=True)
    )


def test_showcase_branch_is_green_with_one_gap_and_a_meeting_waiting(demo):
    branch = showcase_branch()
    meetings = Meeting.objects.filter(org=branch)
    history = meetings.filter(on__lt=TODAY)
    assert history.filter(state=crules.SUBMITTED).count() == 1
    waiting = history.get(state=crules.SUBMITTED)
    assert waiting.on.replace(day=1) == meetings_seed._months()[-1]
    assert set(history.exclude(pk=waiting.pk).values_list("state", flat=True)) == {crules.APPROVED}
    months = set(meetings_seed._months())

    def months_of(kind):
        return {m.replace(day=1) for m in history.filter(kind=kind).values_list("on", flat=True)}

    gap_kind = K.COMMITTEE_MEETING if branch.has_committee else K.THEME_DAY
    assert months - months_of(gap_kind) == {meetings_seed._months()[4]}
    if gap_kind != K.THEME_DAY:
        assert months_of(K.THEME_DAY) == months
    assert meetings.filter(on=TODAY, state=crules.PLANNED, kind=K.THEME_DAY).exists()
    # the demo timeline is there
    assert MeetingEvent.objects.filter(meeting=waiting, kind="submitted").exists()


def test_elections_for_branches_whose_term_ended():
    run_seed("orgs", "accounts", "members")
    ended = Org.objects.filter(type="branch")
    ended.update(term_ends_on=date(2026, 10, 31))
    Org.objects.exclude(pk__in=ended).update(term_ends_on=TODAY)  # the day of: not ended
    run_seed("meetings")
    assert Election.objects.exists()
    for election in Election.objects.select_related("org"):
        assert election.state == "draft" and election.held_on > TODAY
        assert election.org.term_ends_on and election.org.term_ends_on < TODAY
        candidates = Candidate.objects.filter(election=election).count()
        assert candidates * 5 >= election.seats * 6  # the 20 % surplus


def test_runs_alone_on_a_seeded_database_and_is_deterministic():
    run_seed("orgs", "accounts", "members")
    assert not Meeting.objects.exists()
    out = run_seed("meetings")
    first = list(Meeting.objects.order_by("id").values_list("org_id", "kind", "on", "state"))
    assert first and "meetings:" in out
    Attendance.objects.all().delete()
    AppraisalResult.objects.all().delete()
    Candidate.objects.all().delete()
    Election.objects.all().delete()
    MeetingEvent.objects.all().delete()
    Meeting.objects.all().delete()
    run_seed("meetings")
    again = list(Meeting.objects.order_by("id").values_list("org_id", "kind", "on", "state"))
    assert again == first


def test_city_rows_only_for_recent_theme_days():
    run_seed("orgs", "accounts", "members")
    rng = random.Random("1:meetings")
    meetings_seed.seed(scale="city", rng=rng, out=StringIO(), context={})
    with_rows = set(Attendance.objects.values_list("meeting_id", flat=True))
    kinds = set(Meeting.objects.filter(pk__in=with_rows).values_list("kind", flat=True))
    assert kinds == {K.THEME_DAY}
    recent = set(meetings_seed._months()[-meetings_seed.CITY_ROW_MONTHS :])
    for on in Meeting.objects.filter(pk__in=with_rows).values_list("on", flat=True):
        assert on.replace(day=1) in recent or on >= TODAY
    old = Meeting.objects.filter(state=crules.APPROVED).exclude(pk__in=with_rows).first()
    assert old.should_attend > 0 and 0 < old.attended <= old.should_attend
    assert Member.objects.exists()
