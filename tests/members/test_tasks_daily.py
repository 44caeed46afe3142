"""The daily checks as a real django-tasks task: enqueued in the DB backend, run by a real
`db_worker --batch` invocation (transactional: the worker commits its own transactions)."""

import json
from datetime import date, timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from tests.factories import District
from tests.member_factories import make_member
from tongxin.members import tasks
from tongxin.members.models import LapseFlag


def lost_member(org, name="失联党员"):
    since = timezone.localdate() - timedelta(days=200)
    return make_member(org, name=name, lost_contact_since=since)


@pytest.mark.django_db(transaction=True)
def test_enqueued_daily_checks_run_on_the_db_worker():
    d = District()
    member = lost_member(d.branch_a1)
    out = StringIO()
    call_command("run_daily_checks", "--enqueue", stdout=out)
    job = DBTaskResult.objects.get()
    assert out.getvalue().strip() == f"queued {job.id}"
    assert job.task_path == "tongxin.members.tasks.daily_member_checks"
    assert job.status == "READY"
    assert not LapseFlag.objects.exists()  # nothing happens until the worker runs it
    call_command(
        "db_worker", batch=True, reload=False, startup_delay=False, interval=0, verbosity=0
    )
    job.refresh_from_db()
    assert job.status == "SUCCESSFUL", job.traceback
    assert job.return_value["lapse"]["created"] == 1
    flag = LapseFlag.objects.get()
    assert (flag.member, flag.kind, flag.state) == (member, "lost_6m", "open")


@pytest.mark.django_db(transaction=True)
def test_on_demand_subtree_check_runs_as_the_actor():
    d = District()
    lost_member(d.branch_a1, "甲")
    lost_member(d.branch_b1, "乙")
    result = tasks.lapse_check.enqueue(d.comm_b1.pk, d.other_community.pk)
    call_command(
        "db_worker", batch=True, reload=False, startup_delay=False, interval=0, verbosity=0
    )
    job = DBTaskResult.objects.get(id=result.id)
    assert job.status == "SUCCESSFUL", job.traceback
    assert list(LapseFlag.objects.values_list("member__name", flat=True)) == ["乙"]


def test_run_now_prints_counts(district):
    lost_member(district.branch_a1)
    out = StringIO()
    call_command("run_daily_checks", "--today", timezone.localdate().isoformat(), stdout=out)
    outcome = json.loads(out.getvalue())
    assert outcome["lapse"]["created"] == 1
    assert LapseFlag.objects.count() == 1


def test_command_refuses_bad_dates(district):
    with pytest.raises(CommandError):
        call_command("run_daily_checks", "--today", "2026-02-30")
    with pytest.raises(CommandError):
        call_command("run_daily_checks", "--enqueue", "--today", "2026-02-01")


def test_letter_expiry_runs_when_the_transfers_service_offers_it(district, monkeypatch):
    from tongxin.members.services import transfers

    calls = []
    monkeypatch.setattr(
        transfers, "expire_letters", lambda *, today: calls.append(today) or 3, raising=False
    )
    outcome = tasks.run_daily_member_checks(today=date(2026, 2, 10))
    assert calls == [date(2026, 2, 10)] and outcome["expired_letters"] == 3
