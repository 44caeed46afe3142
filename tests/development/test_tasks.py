"""The daily admission check: standing refreshed, overdue items told upward once (H1)."""

import json
from datetime import date as D
from io import StringIO

import pytest
from django.core.management import call_command

from tests.development.admission_factories import advance, branch_members, open_applicant
from tests.factories import make_user
from tongxin.core.models import Notification
from tongxin.development import services
from tongxin.development.tasks import run_daily_admission_checks
from tongxin.members.tasks import run_daily_member_checks

pytestmark = pytest.mark.django_db
APPLIED = D(2026, 1, 10)  # the talk is due by 2026-02-10


@pytest.fixture
def applicant(district):
    return open_applicant(district, applied_on=APPLIED, today=APPLIED)


def notices():
    return sorted(
        (n.recipient.username, n.kind, n.key)
        for n in Notification.objects.select_related("recipient")
    )


def test_nothing_is_told_on_the_due_day(district, applicant):
    counts = run_daily_admission_checks(today=D(2026, 2, 10))
    assert counts == {"files": 1, "updated": 0, "overdue": 0, "notices": 0}
    applicant.refresh_from_db()
    assert (applicant.overdue, applicant.next_due) == (False, D(2026, 2, 10))
    assert Notification.objects.count() == 0


def test_overdue_talk_is_told_to_the_branch_and_the_approving_committee_once(district, applicant):
    counts = run_daily_admission_checks(today=D(2026, 2, 11))
    assert counts == {"files": 1, "updated": 1, "overdue": 1, "notices": 2}
    applicant.refresh_from_db()
    assert (applicant.overdue, applicant.overdue_since) == (True, D(2026, 2, 11))
    key = f"admission:{applicant.pk}:talk_within_one_month:2026-02-10"
    # the street committee approves for this branch (the community committee cannot)
    assert notices() == [
        ("secretary_a1", "admission_overdue", key),
        ("street_a", "admission_overdue", key),
    ]
    notice = Notification.objects.get(recipient=district.street_admin)
    assert applicant.name in notice.subject and "2026-02-10" in notice.subject
    # the next day: the same item is not told again, nothing else changes
    again = run_daily_admission_checks(today=D(2026, 2, 12))
    assert again == {"files": 1, "updated": 0, "overdue": 1, "notices": 0}
    assert len(notices()) == 2


def test_a_new_keeper_of_the_committee_is_told_and_inactive_ones_are_not(district, applicant):
    run_daily_admission_checks(today=D(2026, 2, 11))
    newcomer = make_user("street_a2", role="street_admin", org=district.street_a)
    gone = make_user("street_a3", role="street_admin", org=district.street_a, is_active=False)
    counts = run_daily_admission_checks(today=D(2026, 2, 12))
    assert counts["notices"] == 1
    assert Notification.objects.filter(recipient=newcomer).count() == 1
    assert not Notification.objects.filter(recipient=gone).exists()


def test_recording_the_step_clears_the_flag_and_closed_files_are_skipped(district, applicant):
    run_daily_admission_checks(today=D(2026, 2, 11))
    services.record_step(
        actor=district.secretary,
        applicant=applicant,
        step=2,
        on=D(2026, 2, 12),
        today=D(2026, 2, 12),
    )
    applicant.refresh_from_db()
    assert (applicant.overdue, applicant.overdue_since, applicant.last_step) == (False, None, 2)
    services.close_file(
        actor=district.secretary,
        applicant=applicant,
        on=D(2026, 2, 13),
        state="withdrawn",
        reason="本人撤回",
    )
    counts = run_daily_admission_checks(today=D(2027, 1, 1))
    assert counts["files"] == 0


def test_approval_overdue_is_told_upward(district):
    members = branch_members(district.branch_a1)
    applicant = advance(district, open_applicant(district), 16, members)
    run_daily_admission_checks(today=D(2024, 9, 1))  # meeting 2024-06-01 + 3 months: due day
    assert not Notification.objects.filter(key__contains="approval_limit").exists()
    run_daily_admission_checks(today=D(2024, 9, 2))
    told = Notification.objects.filter(key=f"admission:{applicant.pk}:approval_limit:2024-09-01")
    assert {n.recipient.username for n in told} == {"secretary_a1", "street_a"}


def test_daily_member_checks_include_admissions(district, applicant):
    result = run_daily_member_checks(today=D(2026, 2, 11))
    assert result["admissions"]["notices"] == 2
    out = StringIO()
    call_command("run_daily_checks", "--today", "2026-02-12", stdout=out)
    assert json.loads(out.getvalue())["admissions"] == {
        "files": 1,
        "notices": 0,
        "overdue": 1,
        "updated": 0,
    }


def test_the_daily_check_does_not_query_per_file(district, django_assert_max_num_queries):
    for _ in range(12):
        open_applicant(district, applied_on=APPLIED, today=APPLIED)
    with django_assert_max_num_queries(8):
        counts = run_daily_admission_checks(today=D(2026, 1, 20))
    assert counts == {"files": 12, "updated": 0, "overdue": 0, "notices": 0}
    counts = run_daily_admission_checks(today=D(2027, 1, 20))
    assert (counts["updated"], counts["notices"]) == (12, 24)
    # the next day everything is known: the queries do not grow with the files
    with django_assert_max_num_queries(8):
        counts = run_daily_admission_checks(today=D(2027, 1, 21))
    assert (counts["overdue"], counts["notices"]) == (12, 0)
