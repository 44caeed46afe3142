"""The admissions seeder of `tongxin seed` (issue 4 item 9), at demo scale.

Every seeded file must be one the services could have written: each step passes the rules
with the people and votes the service would load, the stored standing is what
services.refresh_file computes, and every file past step 17 has its member record.
"""

import random
from collections import Counter
from datetime import timedelta
from io import StringIO
from unittest import mock

import pytest
from django.core.management import call_command
from django.test import override_settings

from tongxin.accounts.models import RoleAssignment
from tongxin.core.crypto import digest
from tongxin.core.management.commands import seed as seed_command
from tongxin.development import rules
from tongxin.development import seed as development_seed
from tongxin.development.models import Applicant, FileEvent
from tongxin.members.models import DuesBase, DuesRecord, Member, StatusChange
from tongxin.members.rules.registry import id_error, member_errors, under_party_probation
from tongxin.members.selectors.floating import voters_of
from tongxin.orgs.models import Org
from tongxin.orgs.seed import REFERENCE_DATE

pytestmark = pytest.mark.django_db

TODAY = REFERENCE_DATE
STANDING_FIELDS = (
    "last_step", "phase", "next_due", "overdue", "overdue_since", "applied_on", "activist_on",
    "target_on", "admitted_on", "approved_on", "converted_on",
)  # fmt: skip


VOTE_FIGURES = ("should_attend", "attended", "yes", "no", "abstain", "written_yes", "written_no")


@pytest.fixture
def demo():
    """`tongxin seed --scale demo` with the seeders up to this one (later seeders cannot
    change what earlier ones wrote: each has its own random stream)."""
    names = [name for name, _module in seed_command.SEEDERS]
    upto = seed_command.SEEDERS[: names.index("development") + 1]
    out = StringIO()
    with override_settings(DEBUG=True), mock.patch.object(seed_command, "SEEDERS", upto):
        call_command("seed", "--scale", "demo", "--seed", "1", stdout=out)
    return out.getvalue()


def files():
    return list(
        Applicant.objects.select_related("org", "member")
        .prefetch_related("steps", "reviews", "votes")
        .order_by("id")
    )


def rule_file(a: Applicant) -> rules.File:
    return rules.File(
        birth_date=a.birth_date,
        steps={s.step: rules.StepRecord(s.on, dict(s.data)) for s in a.steps.all()},
        activist_reviews=[r.on for r in a.reviews.all()],
        probation_extended_to=a.probation_extended_to,
    )


def showcase_branch():
    return RoleAssignment.objects.get(user__username="branch_secretary").org


def test_demo_has_every_phase_step_and_ending(demo):
    assert "Admission files (demo)" in demo
    all_files = files()
    assert 30 <= len(all_files) <= 40
    open_files = [a for a in all_files if a.state == Applicant.State.OPEN]
    assert {a.phase for a in open_files} == {1, 2, 3, 4, 5}
    assert {a.last_step for a in all_files} == set(range(1, 26))  # every step is someone's last
    states = Counter(a.state for a in all_files)
    for state in ("archived", "cancelled", "withdrawn", "not_admitted"):
        assert states[state] == 1, states
    extended = [a for a in all_files if a.probation_extended_to]
    assert len(extended) == 1 and extended[0].state == Applicant.State.OPEN
    # the extension was decided by a passed conversion meeting, recorded in the timeline
    ext = extended[0]
    assert ext.votes.filter(step=23, passed=True).exists()
    assert ext.events.filter(kind=FileEvent.Kind.EXTENDED).exists()
    assert ext.member.history.filter(kind=StatusChange.Kind.PROBATION_EXTENDED).exists()
    closed = [a for a in all_files if a.state != Applicant.State.OPEN]
    assert all(a.closed_on and a.closed_on <= TODAY for a in closed)
    assert all(not a.overdue and a.next_due is None for a in closed)
    not_admitted = next(a for a in all_files if a.state == "not_admitted")
    assert not_admitted.votes.get(step=15).passed is False


def test_every_kind_of_overdue_item_is_there(demo):
    kinds = set()
    for a in files():
        items = [i for i in rules.overdue_items(rule_file(a), TODAY) if i.done_on is None]
        assert a.overdue == (bool(items) and a.state == Applicant.State.OPEN)
        if a.overdue:
            kinds.update((i.rule, i.article) for i in items)
    assert ("talk_within_one_month", rules.ART_TALK) in kinds
    assert ("half_year_review", rules.ART_REVIEW) in kinds
    assert ("approval_limit", rules.ART_APPROVAL) in kinds  # admission approval past 3 months
    assert ("conversion_due", rules.ART_PROBATION) in kinds
    assert Applicant.objects.filter(overdue=True).count() >= 6


def test_stored_standing_is_what_refresh_file_computes(demo):
    from tongxin.development.services import refresh_file

    checked = 0
    for a in files():
        stored = {name: getattr(a, name) for name in STANDING_FIELDS}
        expected = rules.standing(rule_file(a), TODAY)
        assert stored["last_step"] == expected.last_step == max(s.step for s in a.steps.all())
        refresh_file(a, today=TODAY)
        a.refresh_from_db()
        assert {name: getattr(a, name) for name in STANDING_FIELDS} == stored, a.name
        checked += 1
    assert checked == Applicant.objects.count()


def test_every_step_passes_the_rules_with_the_services_data(demo):
    """Replays every file step by step: the data the service would build (people from the
    member registry on the step's date, the vote recorded for that meeting, the approver
    org's type) passes rules.check_step on the step's date."""
    orgs = {o.pk: o for o in Org.objects.all()}
    members = {m.pk: m for m in Member.objects.all()}
    approvals = 0
    for a in files():
        steps = sorted(a.steps.all(), key=lambda s: s.step)
        votes = {v.pk: v for v in a.votes.all()}
        file = rules.File(birth_date=a.birth_date)
        for s in steps:
            check = dict(s.data)
            if s.step == 3:
                check["branch_has_committee"] = a.org.has_committee
            if s.step in (5, 9):
                key = "contacts" if s.step == 5 else "introducers"
                people = [members[pk] for pk in s.data[key]]
                assert all(m.org_id == a.org_id for m in people)
                assert [p["member"] for p in s.people if p["role"] != "talker"] == s.data[key]
                check[key] = [
                    rules.Person(
                        m.name,
                        full_member=m.category == "full"
                        and m.status == "normal"
                        and m.full_on is not None
                        and m.full_on <= s.on,
                        under_party_probation=under_party_probation(
                            m.party_probation_from, m.party_probation_until, s.on
                        ),
                    )
                    for m in people
                ]
            if s.step in (15, 23):
                vote = votes[s.data["vote"]]
                assert vote.step == s.step and vote.meeting_on == s.on and vote.passed
                roster = list(voters_of(a.org, s.on).values_list("pk", flat=True))
                assert vote.roster == roster and vote.should_attend == len(roster)
                assert set(vote.present) <= set(roster) and len(vote.present) == vote.attended
                assert not {w["member"] for w in vote.written} & set(vote.present)
                check["vote"] = {k: getattr(vote, k) for k in VOTE_FIGURES}
            if s.step in (17, 24):
                approver = orgs[s.data["approver"]]
                assert a.org.path.startswith(approver.path) and approver.pk != a.org_id
                check["approver_type"] = rules.APPROVER_TYPE_OF_ORG[approver.type]
                approvals += 1
            assert rules.check_step(file, s.step, s.on, check, today=TODAY) == [], (a.name, s.step)
            file.steps[s.step] = rules.StepRecord(s.on, check)
        for r in a.reviews.all():  # half-year reviews between activist and target
            assert file.done(3) <= r.on and (file.done(7) is None or r.on < file.done(7))
    assert approvals > 10


def test_members_of_admitted_files_are_consistent(demo):
    admitted = 0
    for a in files():
        steps = {s.step: s for s in a.steps.all()}
        if 17 not in steps:
            assert a.member is None
            continue
        admitted += 1
        m = a.member
        assert m is not None and m.org_id == a.org_id
        assert (m.name, m.gender, m.birth_date, m.id_number) == (
            a.name,
            a.gender,
            a.birth_date,
            a.id_number,
        )
        assert (
            m.id_digest == a.id_digest == digest(a.id_number)
            and id_error(m.id_number, None) is None
        )
        assert m.admitted_on == steps[15].on == a.admitted_on  # the branch meeting's date
        assert m.applied_on == steps[1].on
        errors = member_errors(
            id_number=m.id_number, birth_date=m.birth_date, category=m.category,
            applied_on=m.applied_on, admitted_on=m.admitted_on, full_on=m.full_on, today=TODAY,
        )  # fmt: skip
        assert errors == {}, errors
        introducers = [p["name"] for p in steps[9].people if p["role"] == "introducer"]
        assert m.introducers == "、".join(introducers)
        kinds = list(m.history.order_by("effective_on", "id").values_list("kind", flat=True))
        assert kinds[0] == StatusChange.Kind.ADMITTED
        assert m.history.get(kind="admitted").effective_on == steps[15].on
        end = a.probation_extended_to or rules.probation_end(steps[15].on)
        if a.state == Applicant.State.CANCELLED:
            assert m.status == "removed" and m.category == "probationary"
            assert StatusChange.Kind.PROBATION_CANCELLED in kinds
        elif 24 in steps:
            assert m.category == "full" and m.full_on == end == a.converted_on
            assert m.history.get(kind="converted").effective_on == end
        else:
            assert m.category == "probationary" and m.full_on is None and m.status == "normal"
        if a.probation_extended_to:
            assert StatusChange.Kind.PROBATION_EXTENDED in kinds
        # dues from the month of admission
        assert DuesBase.objects.filter(member=m, from_month=m.admitted_on.replace(day=1)).exists()
        months = list(DuesRecord.objects.filter(member=m).values_list("month", flat=True))
        assert all(month >= m.admitted_on.replace(day=1) for month in months)
    assert admitted >= 10


def test_the_demo_secretary_has_files_at_several_phases_and_work_to_do(demo):
    from tongxin.development.selectors.files import todo_for

    branch = showcase_branch()
    mine = Applicant.objects.filter(org=branch, state=Applicant.State.OPEN)
    assert len({a.phase for a in mine}) >= 4
    assert mine.filter(overdue=True).exists()
    assert mine.filter(next_due__gte=TODAY, next_due__lte=TODAY + timedelta(days=14)).exists()
    secretary = RoleAssignment.objects.get(user__username="branch_secretary").user
    todo = todo_for(secretary, today=TODAY)
    assert {i["kind"] for i in todo} == {"overdue", "due"}
    assert {i["applicant"].org_id for i in todo} == {branch.pk}
    # the branch's member count (26 from the members seeder) stays a demo-sized branch
    assert Member.objects.filter(org=branch).count() <= 28


def _snapshot():
    rows = []
    for a in files():
        rows.append(
            (
                a.name, a.id_number, a.org_id, a.state, a.last_step, a.next_due, a.overdue,
                tuple((s.step, s.on, str(s.data)) for s in a.steps.all()),
                tuple((v.step, v.meeting_on, tuple(v.present), v.yes) for v in a.votes.all()),
                a.member.admitted_on if a.member else None,
            )
        )  # fmt: skip
    return rows


def _wipe():
    member_ids = list(Applicant.objects.exclude(member=None).values_list("member_id", flat=True))
    Applicant.objects.all().delete()
    DuesRecord.objects.filter(member_id__in=member_ids).delete()
    Member.objects.filter(pk__in=member_ids).delete()


def test_same_seed_same_files(demo):
    first = _snapshot()
    context = {"orgs": {"showcase": {"branch": showcase_branch()}}}

    def again(seed):
        _wipe()
        development_seed.seed(
            scale="demo",
            rng=random.Random(f"{seed}:development"),
            out=StringIO(),
            context=context,
        )
        return _snapshot()

    assert again(1) == first
    other = again(2)
    assert [r[:2] for r in other] != [r[:2] for r in first]
