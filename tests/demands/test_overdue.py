"""The overdue check: marks, tells the handler and the supervisors once, set-based."""

from datetime import timedelta

import pytest
from django.core.management import call_command

from tests.demands.factories import T0, demand_in, make_department, make_handler, submit
from tests.factories import make_user
from tongxin.core.models import Notification
from tongxin.demands import rules
from tongxin.demands.models import Demand, DemandEvent, Summons
from tongxin.demands.services import workflow
from tongxin.demands.tasks import run_overdue_check

NOTHING = {"accept": 0, "handle": 0, "visit": 0, "summons": 0, "notified": 0}


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
    assert again == NOTHING
    assert Notification.objects.filter(kind="demand_overdue").count() == 2
    assert DemandEvent.objects.filter(action="overdue").count() == 1


def test_handling_clock_notifies_the_handler_street_and_district(setup):
    demand = demand_in(rules.HANDLING, setup)  # due 2026-03-17 17:30
    assert workflow.check_overdue(now=demand.due_at)["handle"] == 0  # due, not past due
    counts = workflow.check_overdue(now=demand.due_at + timedelta(minutes=1))
    assert counts["handle"] == 1
    key = f"demand-overdue:{demand.pk}:handle"
    # setup.dept belongs to the district root: the district administrators supervise it too
    assert notices() == {("handler_cg", key), ("street_a", key), ("district", key)}
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
    assert notices() == {
        ("handler_cg", key),
        (extra.username, key),
        ("street_a", key),
        ("district", key),
    }


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
    assert again == NOTHING


# ------------------------------------------------------------------ supervisors by level


def _dispatched_to(setup, dept, handler):
    d = setup.d
    demand = submit(d, category=setup.category)
    demand = workflow.act(actor=d.community_admin, demand=demand, action="accept", now=T0)
    demand = workflow.act(
        actor=d.community_admin, demand=demand, action="dispatch", department=dept, now=T0
    )
    return workflow.act(actor=handler, demand=demand, action="claim", now=T0)


def test_a_district_departments_overdue_demand_notifies_the_district_admins(setup):
    d = setup.d
    # another district administrator, and one of a street's (bound to the street: not the
    # district's supervisor of district departments)
    second = make_user("district2", role="district_admin", org=d.root)
    make_user("district_street_b", role="district_admin", org=d.street_b)
    demand = _dispatched_to(setup, setup.dept, setup.handler)  # setup.dept.org is the root
    assert setup.dept.org.parent_id is None
    workflow.check_overdue(now=demand.due_at + timedelta(minutes=1))
    key = f"demand-overdue:{demand.pk}:handle"
    assert notices() == {
        ("handler_cg", key),
        ("street_a", key),
        ("district", key),
        (second.username, key),
    }


def test_a_street_departments_overdue_demand_does_not_notify_the_district(setup):
    d = setup.d
    street_dept = make_department(d.street_a, name="鼓东街道城管科")
    handler = make_handler(street_dept, "handler_street")
    demand = _dispatched_to(setup, street_dept, handler)
    workflow.check_overdue(now=demand.due_at + timedelta(minutes=1))
    key = f"demand-overdue:{demand.pk}:handle"
    assert notices() == {("handler_street", key), ("street_a", key)}


def test_district_admins_are_not_told_of_the_accept_and_visit_clocks(setup):
    late = submit(setup.d, category=setup.category)
    closed = demand_in(rules.CLOSED, setup)  # dispatched to setup.dept (district level)
    workflow.check_overdue(now=closed.visit_due_at + timedelta(minutes=1))
    assert {user for user, _key in notices()} == {"community_a1", "street_a"}
    assert Demand.objects.filter(pk__in=[late.pk, closed.pk], overdue=True).count() == 2


# ------------------------------------------------------------------ summonses (报到)


def _summoned(setup, *departments):
    """An escalated demand (handled by setup.dept) whose street summons `departments`."""
    d = setup.d
    demand = demand_in(rules.ESCALATED, setup)
    demand = workflow.act(
        actor=d.street_admin,
        demand=demand,
        action="summon",
        departments=list(departments),
        now=demand.due_at - timedelta(days=1),
    )
    return demand, {s.department_id: s for s in Summons.objects.filter(escalation__demand=demand)}


def summons_events():
    return DemandEvent.objects.filter(action="overdue", payload__clock="summons")


def test_a_summons_past_due_notifies_its_department_and_the_street_once(setup):
    d = setup.d
    third = make_department(d.root, name="市场监管局")
    third_handler = make_handler(third, "handler_sj")
    demand, summonses = _summoned(setup, setup.other_dept, third)
    s_other, s_third = summonses[setup.other_dept.pk], summonses[third.pk]
    assert s_other.due_at == demand.due_at
    # the third department answers in time: its summons is done
    workflow.act(
        actor=third_handler,
        demand=demand,
        action="answer_summons",
        summons=s_third,
        answer="已派员到场",
        now=s_third.due_at - timedelta(hours=1),
    )
    assert workflow.check_overdue(now=s_other.due_at)["summons"] == 0  # due, not past due
    counts = workflow.check_overdue(now=s_other.due_at + timedelta(minutes=1))
    assert counts["summons"] == 1
    key = f"summons-overdue:{s_other.pk}"
    assert notices("summons_overdue") == {("handler_zj", key), ("street_a", key)}
    ev = summons_events().get()
    assert ev.demand_id == demand.pk and not ev.public and ev.actor_label == "system"
    assert ev.payload == {
        "clock": "summons",
        "summons": s_other.pk,
        "department": setup.other_dept.pk,
        "due_at": s_other.due_at.isoformat(),
    }
    assert ev.from_state == ev.to_state == rules.ESCALATED
    s_other.refresh_from_db()
    assert s_other.state == Summons.State.SUMMONED  # a flag on the timeline, not a new state
    # the second run finds nothing new (the candidates' query excludes it) and writes nothing
    from tongxin.demands.services import overdue

    assert overdue._summons_batch(s_other.due_at + timedelta(days=2)) == []
    events = DemandEvent.objects.count()
    sent = Notification.objects.count()
    assert workflow.check_overdue(now=s_other.due_at + timedelta(days=2)) == NOTHING
    assert DemandEvent.objects.count() == events and Notification.objects.count() == sent


def test_a_summons_past_due_without_anyone_to_tell_is_still_flagged_once(setup):
    d = setup.d
    nobody = make_department(d.root, name="无人部门")
    _demand, summonses = _summoned(setup, nobody)
    d.street_admin.role_assignments.update(active=False)  # the street has nobody either
    late = summonses[nobody.pk].due_at + timedelta(minutes=1)
    assert workflow.check_overdue(now=late)["summons"] == 1
    assert workflow.check_overdue(now=late + timedelta(hours=1))["summons"] == 0
    assert summons_events().count() == 1
    assert not Notification.objects.filter(kind="summons_overdue").exists()


def test_summonses_in_batches(setup, monkeypatch):
    from tongxin.demands.services import overdue

    monkeypatch.setattr(overdue, "BATCH", 2)
    depts = [make_department(setup.d.root, handlers=[1]) for _ in range(5)]
    demand, summonses = _summoned(setup, *depts)
    late = demand.due_at + timedelta(minutes=1)
    assert workflow.check_overdue(now=late)["summons"] == 5
    assert sorted(e.payload["summons"] for e in summons_events()) == sorted(
        s.pk for s in summonses.values()
    )
    assert Notification.objects.filter(kind="summons_overdue").count() == 5 * 2


def test_summons_query_count_does_not_grow_with_rows(setup, django_assert_max_num_queries):
    depts = [make_department(setup.d.root, handlers=[1]) for _ in range(6)]
    demand, _ = _summoned(setup, depts[0])
    late = demand.due_at + timedelta(minutes=1)
    with django_assert_max_num_queries(30) as few:
        assert workflow.check_overdue(now=late)["summons"] == 1
    _summoned(setup, *depts[1:])
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert workflow.check_overdue(now=late + timedelta(days=3))["summons"] == 5
