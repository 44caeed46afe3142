"""Two people act on the same demand at the same moment (PostgreSQL row locks): exactly one
wins, the other gets Conflict (stale version) or ActionRefused (the state moved on); no
event lost, the version moves once per action."""

import threading
from datetime import timedelta

import pytest
from django.db import connection, connections

from tests.demands.factories import T0, Setup, demand_in, submit
from tests.factories import District, make_user
from tongxin.demands import rules
from tongxin.demands.models import Demand, DemandEvent
from tongxin.demands.services import workflow
from tongxin.demands.services.workflow import ActionRefused, Conflict

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL"),
]


def race(*calls):
    barrier = threading.Barrier(len(calls))
    outcomes: list = [None] * len(calls)

    def run(i, fn):
        try:
            barrier.wait()
            fn()
            outcomes[i] = "ok"
        except Conflict:
            outcomes[i] = "conflict"
        except ActionRefused as exc:
            outcomes[i] = f"refused:{exc.rule}"
        except Exception as exc:
            outcomes[i] = repr(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, fn)) for i, fn in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return outcomes


@pytest.fixture
def world():
    return Setup(District())


def test_two_accepts_with_the_same_version(world):
    d = world.d
    second = make_user("c2", role="community_admin", org=d.comm_a1)
    demand = submit(d, category=world.category)

    def accept(user):
        return lambda: workflow.act(
            actor=user,
            demand=Demand.objects.get(pk=demand.pk),
            action="accept",
            expected_version=0,
            now=T0 + timedelta(minutes=5),
        )

    outcomes = race(accept(d.community_admin), accept(second))
    assert sorted(outcomes) == ["conflict", "ok"]
    fresh = Demand.objects.get(pk=demand.pk)
    assert (fresh.state, fresh.version) == (rules.ACCEPTED, 1)
    assert DemandEvent.objects.filter(demand=demand, action="accept").count() == 1


def test_accept_and_refuse_at_once_without_versions(world):
    d = world.d
    demand = submit(d, category=world.category)
    outcomes = race(
        lambda: workflow.act(actor=d.community_admin, demand=demand, action="accept"),
        lambda: workflow.act(actor=d.street_admin, demand=demand, action="refuse", reason="x"),
    )
    assert sorted(outcomes) == ["ok", "refused:state"]
    fresh = Demand.objects.get(pk=demand.pk)
    assert fresh.version == 1 and fresh.state in (rules.ACCEPTED, rules.REFUSED)
    actions = list(fresh.events.values_list("action", flat=True))
    assert actions == ["submit", "accept" if fresh.state == rules.ACCEPTED else "refuse"]


def test_return_and_answer_race(world):
    demand = demand_in(rules.HANDLING, world)
    other = world.dept.handlers.create(username="h2")
    outcomes = race(
        lambda: workflow.act(
            actor=world.handler,
            demand=demand,
            action="answer",
            answer="done",
            expected_version=demand.version,
        ),
        lambda: workflow.act(
            actor=other,
            demand=demand,
            action="return",
            reason="not ours",
            expected_version=demand.version,
        ),
    )
    assert sorted(outcomes) == ["conflict", "ok"]
    fresh = Demand.objects.get(pk=demand.pk)
    assert fresh.version == demand.version + 1
    assert fresh.events.filter(action__in=["answer", "return"]).count() == 1


def test_progress_notes_at_once_are_all_kept(world):
    demand = demand_in(rules.HANDLING, world)
    calls = [
        (
            lambda i=i: workflow.act(
                actor=world.handler, demand=demand, action="progress", note=f"note {i}"
            )
        )
        for i in range(4)
    ]
    assert race(*calls) == ["ok"] * 4
    fresh = Demand.objects.get(pk=demand.pk)
    assert fresh.version == demand.version + 4
    assert sorted(fresh.events.filter(action="progress").values_list("note", flat=True)) == [
        f"note {i}" for i in range(4)
    ]


def test_two_overdue_checks_at_once_mark_each_demand_once(world):
    for i in range(20):
        submit(world.d, category=world.category, now=T0 + timedelta(minutes=i))
    outcomes = race(
        lambda: workflow.check_overdue(now=T0 + timedelta(days=2)),
        lambda: workflow.check_overdue(now=T0 + timedelta(days=2)),
    )
    assert outcomes == ["ok", "ok"]
    assert Demand.objects.filter(overdue=True).count() == 20
    assert DemandEvent.objects.filter(action="overdue").count() == 20
    from tongxin.core.models import Notification

    # one notice per demand per recipient (community admin + street admin)
    assert Notification.objects.filter(kind="demand_overdue").count() == 40


def test_two_overdue_checks_at_once_flag_each_summons_once(world):
    from tests.demands.factories import make_department
    from tongxin.core.models import Notification
    from tongxin.demands.models import Summons

    d = world.d
    depts = [make_department(d.root, handlers=[1]) for _ in range(6)]
    demand = demand_in(rules.ESCALATED, world)
    workflow.act(actor=d.street_admin, demand=demand, action="summon", departments=depts, now=T0)
    late = Summons.objects.filter(escalation__demand=demand).first().due_at + timedelta(days=1)
    outcomes = race(
        lambda: workflow.check_overdue(now=late), lambda: workflow.check_overdue(now=late)
    )
    assert outcomes == ["ok", "ok"]
    flagged = DemandEvent.objects.filter(action="overdue", payload__clock="summons")
    assert sorted(e.payload["summons"] for e in flagged) == sorted(
        Summons.objects.values_list("pk", flat=True)
    )
    # one notice per summons per recipient (its department's handler + the street admin)
    assert Notification.objects.filter(kind="summons_overdue").count() == 12
