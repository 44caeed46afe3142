"""Compliance through the database: period boundaries, new branches, committee, approval,
snapshots equal to the live computation, settings validation (issue 5 §2)."""

from datetime import date

import pytest

from tests.meetings.factories import Branch, meeting
from tongxin.core.errors import PermissionDenied, ValidationError
from tongxin.core.models import AuditEntry
from tongxin.meetings.models import ComplianceSettings, ComplianceSnapshot, Kind, State
from tongxin.meetings.rules.periods import Period
from tongxin.meetings.selectors import compliance as sel
from tongxin.meetings.services import compliance as service

TODAY = date(2026, 11, 26)
GM = Kind.GENERAL_MEETING


def live(b, label, today=TODAY):
    return sel.branch_compliance(b.district_admin, b.org, Period.parse(label), today=today)


@pytest.fixture
def b(district):
    return Branch(district, has_committee=False)


# --- quarter ends ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("on", "q3", "q4_held"),
    [
        (date(2026, 9, 29), "met", 0),  # day before the quarter's last day
        (date(2026, 9, 30), "met", 0),  # the quarter's last day
        (date(2026, 10, 1), "missing", 1),  # the day after: counts for Q4
    ],
)
def test_general_meeting_counts_for_the_quarter_of_its_date(b, on, q3, q4_held):
    meeting(b, kind=GM, on=on)
    q3_result = live(b, "2026-Q3").of(GM)
    assert (q3_result.periods[0].status, q3_result.approved) == (q3, 1 if q3 == "met" else 0)
    assert live(b, "2026-Q4").of(GM).held == q4_held
    if q3 == "missing":
        assert [p.label for p in q3_result.missing] == ["2026-Q3"]


def test_open_quarter_is_open_not_missing(b):
    result = live(b, "2026-Q4").of(GM)
    assert result.periods[0].status == "open" and result.missing == ()
    after_the_quarter = live(b, "2026-Q4", today=date(2027, 1, 1)).of(GM)
    assert [p.label for p in after_the_quarter.missing] == ["2026-Q4"]


# --- a branch created mid-quarter ------------------------------------------------------------


@pytest.mark.parametrize(
    ("founded", "owes"),
    [(date(2026, 8, 31), True), (date(2026, 9, 1), True), (date(2026, 9, 2), False)],
)
def test_branch_created_mid_quarter_owes_it_only_with_a_whole_month(district, founded, owes):
    b = Branch(district, founded_on=founded, has_committee=False)
    result = live(b, "2026-Q3")
    assert (result.of(GM).due == 1) is owes
    assert result.of(GM).reason == ("" if owes else "new_branch")
    # the monthly theme day: September is owed only when founded by 1 September
    assert result.of(Kind.THEME_DAY).due == (1 if owes else 0)


def test_branch_without_committee_owes_no_committee_meetings(district):
    without = Branch(district, has_committee=False)
    with_committee = Branch(district, has_committee=True)
    assert live(without, "2026-07").of(Kind.COMMITTEE_MEETING).due == 0
    assert live(without, "2026-07").of(Kind.COMMITTEE_MEETING).reason == "no_committee"
    assert live(with_committee, "2026-07").of(Kind.COMMITTEE_MEETING).due == 1
    assert live(with_committee, "2026-07").status == "behind"


@pytest.mark.parametrize("state", [State.HELD, State.SUBMITTED, State.RETURNED])
def test_only_approved_meetings_meet(b, state):
    meeting(b, kind=Kind.THEME_DAY, on=date(2026, 7, 10), state=state)
    theme = live(b, "2026-07").of(Kind.THEME_DAY)
    assert (theme.held, theme.approved, theme.met) == (1, 0, 0)
    assert [p.label for p in theme.missing] == ["2026-07"]


def test_planned_and_cancelled_are_not_held(b):
    meeting(b, kind=Kind.THEME_DAY, on=date(2026, 7, 10), state=State.PLANNED)
    meeting(b, kind=Kind.THEME_DAY, on=date(2026, 7, 11), state=State.CANCELLED)
    assert live(b, "2026-07").of(Kind.THEME_DAY).held == 0


def test_attendance_rate_over_approved_meetings(b):
    meeting(b, kind=Kind.THEME_DAY, on=date(2026, 7, 10), should_attend=6, attended=5, on_leave=1)
    meeting(b, kind=GM, on=date(2026, 7, 20), should_attend=6, attended=3, on_leave=0)
    meeting(b, kind=Kind.PARTY_LECTURE, on=date(2026, 7, 21), state=State.HELD, attended=0)
    a = live(b, "2026-07").attendance
    assert (a.attended, a.should_attend, a.on_leave, str(a.percent)) == (8, 12, 1, "66.7")


# --- snapshots ---------------------------------------------------------------------------


def _year_of_meetings(b):
    for month in range(1, 12):
        if month not in (3, 4):  # a gap
            meeting(b, kind=Kind.THEME_DAY, on=date(2026, month, 12))
    meeting(b, kind=GM, on=date(2026, 3, 31))
    meeting(b, kind=GM, on=date(2026, 7, 1), state=State.SUBMITTED)
    meeting(b, kind=Kind.PARTY_LECTURE, on=date(2026, 10, 9))


def test_recompute_all_equals_the_live_computation(district):
    b = Branch(district, has_committee=False)
    late = Branch(district, founded_on=date(2026, 8, 15), has_committee=True, groups=1)
    _year_of_meetings(b)
    _year_of_meetings(late)
    result = service.recompute_all(today=TODAY)
    branches = result["branches"]
    assert result["periods"] == 1 + 4 + 11  # December 2026 has not started
    snaps = {(s.org_id, s.period): s for s in ComplianceSnapshot.objects.all()}
    for branch in (b, late):
        for p in service.periods_of_year(2026, TODAY):
            key = (branch.org.pk, p.label)
            if branch is late and p.end < date(2026, 8, 15):
                assert key not in snaps  # the branch did not exist yet
                continue
            want = live(branch, p.label)
            s = snaps[key]
            assert (s.status, s.due, s.met, s.held, s.approved) == (
                want.status,
                sum(k.due for k in want.kinds),
                sum(k.met for k in want.kinds),
                sum(k.held for k in want.kinds),
                sum(k.approved for k in want.kinds),
            ), (branch.org.name, p.label)
            assert [tuple(x) for x in s.missing] == want.missing_items
    assert snaps[(b.org.pk, "2026-03")].status == "behind"
    assert snaps[(b.org.pk, "2026-11")].status == "met"
    assert snaps[(b.org.pk, "2026-Q4")].status == "open"
    assert snaps[(b.org.pk, "2026-Q2")].missing == [
        ["general_meeting", "2026-Q2"],
        ["party_lecture", "2026-Q2"],
        ["theme_day", "2026-04"],
    ]
    # idempotent: a second run replaces, never duplicates
    again = service.recompute_all(today=TODAY)
    assert again["replaced"] == result["snapshots"] and again["branches"] == branches
    assert ComplianceSnapshot.objects.count() == result["snapshots"]
    entry = AuditEntry.objects.filter(action="compliance_recompute").latest("id")
    assert entry.changes["snapshots"] == [None, result["snapshots"]]


def test_recompute_a_subtree_leaves_others_alone(district):
    b = Branch(district, has_committee=False)
    service.recompute_all(today=TODAY)
    other = ComplianceSnapshot.objects.exclude(org__path__startswith=b.community.path).count()
    assert other > 0
    meeting(b, kind=Kind.THEME_DAY, on=date(2026, 11, 3))
    result = service.recompute_all(today=TODAY, org=b.community)
    assert result["branches"] == 2  # B-A1 and the new branch under C-A1
    month = ComplianceSnapshot.objects.get(org=b.org, period="2026-11")
    assert (month.status, month.approved) == ("met", 1)
    others = ComplianceSnapshot.objects.exclude(org__path__startswith=b.community.path)
    assert others.count() == other and others.filter(computed_at__gt=month.computed_at).count() == 0
    assert not others.filter(computed_at=month.computed_at).exists()


def test_recompute_a_past_year(b):
    meeting(b, kind=Kind.THEME_DAY, on=date(2025, 12, 5))
    result = service.recompute_all(today=TODAY, year=2025)
    assert result["periods"] == 17
    assert ComplianceSnapshot.objects.get(org=b.org, period="2025-12").approved == 1


def test_refresh_branch_upserts_month_quarter_year(b):
    meeting(b, kind=Kind.THEME_DAY, on=date(2026, 11, 3), state=State.SUBMITTED)
    service.refresh_branch(org_id=b.org.pk, on=date(2026, 11, 3), today=TODAY)
    labels = set(ComplianceSnapshot.objects.filter(org=b.org).values_list("period", flat=True))
    assert labels == {"2026-11", "2026-Q4", "2026"}
    month = ComplianceSnapshot.objects.get(org=b.org, period="2026-11")
    assert (month.held, month.approved, month.status) == (1, 0, "open")
    b_meeting = b.org.meetings.get()
    b_meeting.state = State.APPROVED
    b_meeting.save(update_fields=["state"])
    service.refresh_branch(org_id=b.org.pk, on=date(2026, 11, 3), today=TODAY)
    month = ComplianceSnapshot.objects.get(org=b.org, period="2026-11")
    assert (month.held, month.approved, month.status) == (1, 1, "met")
    assert ComplianceSnapshot.objects.filter(org=b.org).count() == 3


def test_refresh_branch_is_cheap(b, django_assert_max_num_queries):
    meeting(b, kind=Kind.THEME_DAY, on=date(2026, 11, 3))
    with django_assert_max_num_queries(8):
        service.refresh_branch(org_id=b.org.pk, on=date(2026, 11, 3), today=TODAY)


def test_refresh_branch_ignores_non_branches(district):
    service.refresh_branch(org_id=district.comm_a1.pk, today=TODAY)
    assert not ComplianceSnapshot.objects.exists()


def test_recompute_query_count_does_not_grow_with_branches(district, django_assert_max_num_queries):
    for _ in range(3):
        _year_of_meetings(Branch(district, has_committee=False))
    # branches, groups, meetings, settings, per chunk: delete + insert, audit (+ savepoints)
    with django_assert_max_num_queries(12):
        service.recompute_all(today=TODAY)


# --- settings ------------------------------------------------------------------------------


def test_settings_change_the_policy(b):
    service.update_settings(
        actor=b.district_admin,
        frequencies={"theme_day": "", "party_lecture": "2/quarter"},
        min_whole_months=2,
        signin_before=15,
        signin_after=45,
    )
    row = ComplianceSettings.objects.get(pk=1)
    assert row.frequencies["theme_day"] == "" and row.frequencies["general_meeting"] == "1/quarter"
    assert (row.signin_before_minutes, row.signin_after_minutes) == (15, 45)
    result = live(b, "2026-Q3")
    assert result.of(Kind.THEME_DAY).reason == "not_required"
    assert result.of(Kind.PARTY_LECTURE).due == 2
    assert AuditEntry.objects.filter(action="compliance_settings").count() == 1


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"frequencies": {"theme_day": "monthly"}}, "frequencies.theme_day"),
        ({"frequencies": {"theme_day": "0/month"}}, "frequencies.theme_day"),
        ({"frequencies": {"banquet": "1/month"}}, "frequencies.banquet"),
        ({"min_whole_months": 0}, "min_whole_months"),
        ({"min_whole_months": 13}, "min_whole_months"),
        ({"signin_before": -1}, "signin_before"),
        ({"signin_after": 241}, "signin_after"),
        ({"signin_after": "30"}, "signin_after"),
    ],
)
def test_settings_validation_names_the_field(b, kwargs, field):
    args = {"frequencies": {}, "min_whole_months": 1, "signin_before": 30, "signin_after": 30}
    args.update(kwargs)
    with pytest.raises(ValidationError) as exc:
        service.update_settings(actor=b.district_admin, **args)
    assert field in exc.value.message_dict
    assert not ComplianceSettings.objects.exists()


def test_settings_boundaries_accepted(b):
    service.update_settings(
        actor=b.district_admin,
        frequencies={"study": "1/month"},
        min_whole_months=12,
        signin_before=0,
        signin_after=240,
    )
    assert ComplianceSettings.objects.get(pk=1).min_whole_months == 12


def test_only_district_admins_change_settings(b):
    for user in (b.street_admin, b.community_admin, b.secretary):
        with pytest.raises(PermissionDenied):
            service.update_settings(
                actor=user, frequencies={}, min_whole_months=1, signin_before=30, signin_after=30
            )


def test_impossible_figures_do_not_stop_the_recompute(b):
    """Hand-edited rows (attended + leave above the roster) are left out of the rate."""
    meeting(b, kind=Kind.THEME_DAY, on=date(2026, 7, 3), should_attend=3, attended=3, on_leave=2)
    meeting(b, kind=GM, on=date(2026, 7, 4), should_attend=4, attended=2, on_leave=0)
    service.recompute_all(today=TODAY)
    snap = ComplianceSnapshot.objects.get(org=b.org, period="2026-07")
    assert (snap.status, snap.approved, snap.attended, snap.should_attend) == ("met", 2, 2, 4)


def test_management_command(b):
    from io import StringIO

    from django.core.management import CommandError, call_command

    meeting(b, kind=Kind.THEME_DAY, on=date(2025, 5, 5))
    out = StringIO()
    call_command("recompute_compliance", "--year", "2025", "--today", "2026-01-15", stdout=out)
    assert "periods=17" in out.getvalue()
    assert ComplianceSnapshot.objects.get(org=b.org, period="2025-05").status == "met"
    with pytest.raises(CommandError):
        call_command("recompute_compliance", "--today", "2026-13-01")
    with pytest.raises(CommandError):
        call_command("recompute_compliance", "--org", "999999999")
