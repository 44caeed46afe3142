"""The demands seeder of `tongxin seed` (issue 6 item 11), at demo scale.

Every seeded demand must be one the workflow could have written: its timeline follows the
state machine (rules.ACTIONS) from "submit" to its current state, its version counts the
actions, its clocks are the rules' due times on the official calendar, and the overdue
check run at the seeded "now" finds nothing new to flag (the flags are already what it
would have set)."""

import random
from collections import Counter
from datetime import date, datetime, timedelta
from io import StringIO
from unittest import mock

import pytest
from django.core.management import call_command
from django.test import override_settings

from tongxin.core import workdays
from tongxin.core.calendar import load_calendar
from tongxin.core.management.commands import seed as seed_command
from tongxin.demands import rules
from tongxin.demands.models import (
    Demand,
    DemandEvent,
    Department,
    Escalation,
    Open311Client,
    RoutingRule,
    Summons,
)
from tongxin.demands.seed import REFERENCE_NOW, WorkClock, _dt, _ts
from tongxin.demands.services.common import schedule

pytestmark = pytest.mark.django_db

NAMES = ("orgs", "accounts", "grid", "demands")  # what the demands seeder builds on


def run_seed(seed=1) -> str:
    upto = tuple(s for s in seed_command.SEEDERS if s[0] in NAMES)
    out = StringIO()
    with override_settings(DEBUG=True), mock.patch.object(seed_command, "SEEDERS", upto):
        call_command("seed", "--scale", "demo", "--seed", str(seed), stdout=out)
    return out.getvalue()


@pytest.fixture
def demo():
    return run_seed()


def _timeline(demand_ids=None):
    events: dict[int, list] = {}
    qs = DemandEvent.objects.order_by("demand_id", "at", "id")
    for e in qs.values_list("demand_id", "action", "from_state", "to_state", "at", "payload"):
        events.setdefault(e[0], []).append(e[1:])
    return events


def test_every_timeline_follows_the_state_machine(demo):
    timelines = _timeline()
    demands = list(Demand.objects.order_by("id"))
    assert 1000 <= len(demands) <= 2500
    for d in demands:
        tl = timelines[d.pk]
        assert tl[0][:3] == ("submit", "", rules.PENDING), d.code
        state, actions = rules.PENDING, 0
        for action, frm, to, at, payload in tl[1:]:
            assert frm == state, (d.code, action, frm, state)
            if action == "overdue":
                assert to == frm and payload["clock"] in ("accept", "handle", "visit")
                continue
            spec = rules.ACTIONS[action]
            assert frm in spec.sources, (d.code, action, frm)
            expected = rules.target_state(
                action, frm, self_handled=action == "dispatch" and payload["department"] is None
            )
            assert to == expected, (d.code, action, to)
            state, actions = to, actions + 1
        assert state == d.state, d.code
        assert d.version == actions, d.code
        assert tl[0][3] == d.created_at and tl[-1][3] <= REFERENCE_NOW
        assert d.created_at < REFERENCE_NOW


def test_fields_agree_with_the_state(demo):
    for d in Demand.objects.all():
        assert d.phone_tail == d.phone[-4:] and len(d.phone) == 11  # decrypts
        assert d.community.parent_id == d.street_id
        assert d.grid is None or d.grid.community_id == d.community_id
        if d.state == rules.PENDING:
            assert d.accepted_at is None and d.due_at is None
        if d.state not in (rules.PENDING, rules.REFUSED, rules.DUPLICATE):
            assert d.accepted_at and d.due_at and d.accepted_at >= d.created_at
        if d.state in rules.ANSWERED_STATES:
            assert d.answered_at and d.answer and d.handling_minutes is not None
        if d.state in (rules.CLOSED, rules.RATED, rules.VISITED, rules.ARCHIVED):
            assert d.closed_at and d.visit_due_at
        if d.state == rules.RATED:
            assert d.rating and d.rated_at
        if d.state == rules.REOPENED:
            assert d.reopen_count == 1 and not d.answered_at and not d.rating
        if d.state == rules.DUPLICATE:
            assert d.duplicate_of_id and d.duplicate_of_id < d.pk
            assert d.duplicate_of.community_id == d.community_id
        if d.state == rules.REFUSED:
            assert d.refuse_reason
        if d.channel == "open311":
            assert d.open311_client_id and d.external_id
        assert d.reopen_count <= rules.MAX_REOPENS
        assert d.overdue == (d.overdue_since is not None)


def test_clocks_are_the_rules_due_times(demo):
    cal, sched = load_calendar(), schedule()
    from tongxin.demands.services.common import limits

    lim = limits()
    checked = Counter()
    for d in Demand.objects.select_related("category").order_by("id")[:400]:
        cat = d.category
        accept = (
            workdays.due_at(d.created_at, hours=lim.accept_working_hours, cal=cal)
            if cat.urgent
            else workdays.add_working_hours(d.created_at, lim.accept_working_hours, cal, sched)
        )
        assert d.accept_due_at == accept, d.code
        if d.answered_at and d.state != rules.REOPENED:
            minutes = workdays.working_minutes_between(d.accepted_at, d.answered_at, cal, sched)
            assert d.handling_minutes == minutes, d.code
            checked["handling"] += 1
        if d.closed_at:
            assert d.visit_due_at == rules.visit_due(d.closed_at, limits=lim, cal=cal)
            checked["visit"] += 1
        if d.accepted_at and d.due_at and not d.reopen_count and not d.extensions.exists():
            if d.state not in (rules.REFUSED, rules.DUPLICATE):
                limit = rules.handle_limit(
                    limit_value=cat.limit_value, limit_unit=cat.limit_unit, urgent=cat.urgent,
                    limits=lim,
                )  # fmt: skip
                assert d.due_at == rules.handle_due(d.accepted_at, limit, cal), d.code
                checked["due"] += 1
    assert min(checked.values()) > 50


def test_the_overdue_check_finds_nothing_new(demo):
    from tongxin.demands.services import check_overdue

    flagged = Demand.objects.filter(overdue=True).count()
    assert 0.03 * Demand.objects.count() < flagged < 0.3 * Demand.objects.count()
    assert check_overdue(now=REFERENCE_NOW) == {
        "accept": 0, "handle": 0, "visit": 0, "summons": 0, "notified": 0,
    }  # fmt: skip


def test_the_mix(demo):
    states = Counter(Demand.objects.values_list("state", flat=True))
    for state in rules.ALL_STATES - {rules.RETURNED}:
        rare = (rules.ESCALATED, rules.REOPENED, rules.ACCEPTED, rules.DISPATCHED, rules.RATED)
        assert states[state] > 0 or state in rare, state
    channels = Counter(Demand.objects.values_list("channel", flat=True))
    assert set(channels) == {c for c, _l in Demand._meta.get_field("channel").choices}
    assert Demand.objects.filter(reopen_count=1).exists()
    assert Demand.objects.filter(supervised=True).exists()
    assert Escalation.objects.exists() and Summons.objects.filter(state="answered").exists()
    assert DemandEvent.objects.filter(action="return").exists()
    assert Demand.objects.filter(rating="unsatisfied").exists()
    assert Demand.objects.filter(visit__isnull=False).exists()
    assert Demand.objects.exclude(department=None).exists()
    assert Demand.objects.filter(department=None, handler__isnull=False).exists()  # community
    # the demo department handler handles the city-management bureau, and has work
    cgj = Department.objects.get(code="CGJ")
    assert cgj.handlers.filter(username="dept_handler").exists()
    assert Demand.objects.filter(department=cgj).count() > 50
    assert RoutingRule.objects.filter(department=None).exists()  # community-handled
    assert Open311Client.objects.filter(active=True).count() == 1
    # the showcase community (the demo accounts') has the most
    by_comm = Counter(Demand.objects.values_list("community__name", flat=True))
    assert by_comm.most_common(1)[0][0] == "三坊七巷社区党委"
    # a year before the reference date, with some still open
    first = Demand.objects.order_by("created_at").first().created_at
    assert REFERENCE_NOW - first < timedelta(days=366)
    assert Demand.objects.filter(state__in=rules.OPEN_STATES).exists()


def test_deterministic():
    """Run again on the same world with the same stream: the same demands."""
    from tongxin.demands import seed as demands_seed
    from tongxin.orgs.models import Org

    run_seed(seed=3)

    def snapshot():
        return list(
            Demand.objects.order_by("id").values_list(
                "code", "state", "category__code", "created_at", "due_at", "rating", "overdue",
                "department__code", "handler__username",
            )
        ), DemandEvent.objects.count()  # fmt: skip

    first = snapshot()
    demands_seed.wipe()
    assert not Demand.objects.exists() and not Department.objects.exists()
    showcase = Org.objects.get(name="三坊七巷社区党委")
    demands_seed.seed(
        scale="demo",
        rng=random.Random("3:demands"),
        out=StringIO(),
        context={"orgs": {"showcase": {"community": showcase}}},
    )
    assert snapshot() == first


def test_codes_are_unique_and_look_like_the_services(demo):
    codes = list(Demand.objects.values_list("code", "created_at"))
    assert len({c for c, _t in codes}) == len(codes)
    for code, created in codes[:200]:
        local = created.astimezone(workdays.SHANGHAI)
        assert len(code) == 12 and code[:6] == local.strftime("%y%m%d")


def test_work_clock_is_core_workdays():
    """The seeder's prefix-sum clock gives the same answers as core.workdays (whole minutes,
    as the seeder's times are)."""
    cal = load_calendar()
    sched = schedule()
    clock = WorkClock(cal, sched, date(2025, 9, 1), date(2027, 6, 30))
    rng = random.Random(5)
    base = _ts(datetime(2025, 10, 1, tzinfo=workdays.SHANGHAI))
    for _ in range(2000):
        ts = base + rng.randint(0, 400 * 1440) * 60
        start = _dt(ts)
        hours = rng.choice([1, 2, 0.5, 7])
        assert clock.add_hours(ts, hours) == _ts(
            workdays.add_working_hours(start, hours, cal, sched)
        )
        days = rng.randint(1, 7)
        assert clock.due_days(ts, days) == _ts(workdays.due_at(start, days=days, cal=cal))
        end = ts + rng.randint(0, 30 * 86400)
        assert clock.minutes_between(ts, end) == workdays.working_minutes_between(
            start, _dt(end), cal, sched
        )
