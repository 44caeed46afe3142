"""The overdue check: marks, tells the handler and the supervisors once, set-based."""

from datetime import timedelta

import pytest
from django.core.management import call_command

from tests.demands.factories import T0, demand_in, submit
from tongxin.core.models import Notification
from tongxin.demands import rules
from tongxin.demands.models import Demand, DemandEvent
from tongxin.demands.services import workflow
from tongxin.demands.tasks import run_overdue_check


def notices(kind="demand_overdue"):
    return set(Notification.objects.filter(kind=kind).values_list("recipient__username", "key"))


def test_pending_past_acceptance_is_marked_and_notified_once(setup):
    d = setup.d
    late = submit(d, category=setup.category)  # accept due 10:00
    fresh = submit(d, category=setup.category, now=T0 + timedelta(hours=1))  # due 11:00
    counts = workflow.check_overdue(now=T0 + timedelta(hours=1, minutes=30))
    assert counts["accept"] == 1
    late.refresh_from_db()
    fresh.refresh_from_db()
    assert late.overdue and late.overdue_since == late.accept_due_at
    assert not fresh.overdue
    key = f"demand-overdue:{late.pk}:accept"
    assert notices() == {("community_a1", key), ("street_a", key)}
    ev = late.events.get(action="overdue")
    assert ev.payload["clock"] == "accept" and not ev.public and ev.actor_label == "system"
    assert late.version == 0  # not a workflow action: nobody's form goes stale
    # the second run finds nothing new and writes nothing
    again = workflow.check_overdue(now=T0 + timedelta(hours=2))
    assert again == {"accept": 0, "handle": 0, "visit": 0, "notified": 0}
    assert Notification.objects.filter(kind="demand_overdue").count() == 2
    assert DemandEvent.objects.filter(action="overdue").count() == 1


def test_handling_clock_notifies_the_handler_and_street(setup):
    demand = demand_in(rules.HANDLING, setup)  # due 2026-03-17 17:30
    assert workflow.check_overdue(now=demand.due_at)["handle"] == 0  # due, not past due
    counts = workflow.check_overdue(now=demand.due_at + timedelta(minutes=1))
    assert counts["handle"] == 1
    key = f"demand-overdue:{demand.pk}:handle"
    assert notices() == {("handler_cg", key), ("street_a", key)}
    # answered late: stays overdue (accountability); the on-time flag of the answer is False
    demand = workflow.act(
        actor=setup.handler,
        demand=demand,
        action="answer",
        answer="迟了",
        now=demand.due_at + timedelta(hours=1),
    )
    assert demand.overdue and demand.events.get(action="answer").payload["on_time"] is False


def test_dispatched_but_unclaimed_notifies_the_departments_handlers(setup):
    extra = setup.dept.handlers.create(username="handler_cg2")
    demand = demand_in(rules.DISPATCHED, setup)
    workflow.check_overdue(now=demand.due_at + timedelta(days=1))
    key = f"demand-overdue:{demand.pk}:handle"
    assert notices() == {("handler_cg", key), (extra.username, key), ("street_a", key)}


def test_return_visit_clock(setup):
    demand = demand_in(rules.CLOSED, setup)
    counts = workflow.check_overdue(now=demand.visit_due_at + timedelta(minutes=1))
    assert counts["visit"] == 1
    assert Demand.objects.get(pk=demand.pk).overdue


@pytest.mark.parametrize(
    "state", [rules.ANSWERED, rules.REFUSED, rules.DUPLICATE, rules.VISITED, rules.ARCHIVED]
)
def test_states_without_a_running_clock_are_never_marked(setup, state):
    demand_in(state, setup)
    assert workflow.check_overdue(now=T0 + timedelta(days=400))["handle"] == 0
    assert not Demand.objects.filter(overdue=True, state=state).exists()


def test_approved_extension_clears_the_flag(setup):
    d = setup.d
    demand = demand_in(rules.HANDLING, setup)
    late = demand.due_at + timedelta(minutes=5)
    workflow.check_overdue(now=late)
    demand = workflow.act(
        actor=setup.handler,
        demand=demand,
        action="request_extension",
        limit_value=2,
        reason="等待配件",
        now=late,
    )
    from tongxin.demands.models import ExtensionRequest

    ext = ExtensionRequest.objects.get(demand=demand)
    demand = workflow.act(
        actor=d.admin,
        demand=demand,
        action="decide_extension",
        extension=ext,
        approve=True,
        now=late,
    )
    assert not demand.overdue and demand.due_at > late


def test_set_based_query_count_does_not_grow_with_rows(setup, django_assert_max_num_queries):
    d = setup.d
    for i in range(3):
        submit(d, category=setup.category, now=T0 + timedelta(minutes=i))
    with django_assert_max_num_queries(25) as few:
        workflow.check_overdue(now=T0 + timedelta(days=1))
    for i in range(30):
        submit(d, category=setup.category, now=T0 + timedelta(minutes=i))
    with django_assert_max_num_queries(len(few.captured_queries)):
        counts = workflow.check_overdue(now=T0 + timedelta(days=1))
    assert counts["accept"] == 30


def test_batches(setup, monkeypatch):
    from tongxin.demands.services import overdue

    monkeypatch.setattr(overdue, "BATCH", 4)
    for i in range(10):
        submit(setup.d, category=setup.category, now=T0 + timedelta(minutes=i))
    assert workflow.check_overdue(now=T0 + timedelta(days=1))["accept"] == 10
    assert DemandEvent.objects.filter(action="overdue").count() == 10


def test_command_and_task(setup, capsys):
    submit(setup.d, category=setup.category)  # long overdue by the wall clock
    call_command("check_overdue")
    assert "accept 1" in capsys.readouterr().out
    assert run_overdue_check()["accept"] == 0
    call_command("check_overdue", "--loop", "10", "--times", "1")
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("check_overdue", "--loop", "1")


def test_accepted_late_is_flagged_again_when_it_misses_the_handling_due_time(setup):
    """The auditor's case: one flag for three clocks used to hide the second lateness."""
    d = setup.d
    demand = submit(d, category=setup.category)
    assert workflow.check_overdue(now=demand.accept_due_at + timedelta(minutes=5))["accept"] == 1
    late = demand.accept_due_at + timedelta(minutes=10)
    demand.refresh_from_db()
    demand = workflow.act(actor=d.community_admin, demand=demand, action="accept", now=late)
    demand = workflow.act(
        actor=d.community_admin, demand=demand, action="dispatch", department=setup.dept, now=late
    )
    demand = workflow.act(actor=setup.handler, demand=demand, action="claim", now=late)
    assert workflow.check_overdue(now=demand.due_at)["handle"] == 0  # due, not past due
    counts = workflow.check_overdue(now=demand.due_at + timedelta(days=3))
    assert counts["handle"] == 1
    demand.refresh_from_db()
    assert demand.overdue and demand.overdue_since == demand.due_at
    key = f"demand-overdue:{demand.pk}:handle"
    assert ("handler_cg", key) in notices()
    again = workflow.check_overdue(now=demand.due_at + timedelta(days=4))
    assert again == {"accept": 0, "handle": 0, "visit": 0, "notified": 0}
