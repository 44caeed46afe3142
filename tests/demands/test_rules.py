"""Pure rules of the demands loop (demands/rules.py): the state table, time limits on the
official calendar, routing choice, point-in-polygon, the measures' arithmetic."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tongxin.core.workdays import Calendar
from tongxin.demands import rules
from tongxin.demands.rules import Facts, GridShape, Limit, Limits, Route

SH = ZoneInfo("Asia/Shanghai")
CAL = Calendar(
    holidays=set(chinese_calendar.holidays),
    workdays={d for d in chinese_calendar.workdays if d.weekday() >= 5},
    loaded_years={d.year for d in chinese_calendar.holidays},
)
L = Limits()


def at(y, m, d, hh=9, mm=0):
    return datetime(y, m, d, hh, mm, tzinfo=SH)


# ------------------------------------------------------------------ the state table


def test_table_covers_states_and_targets():
    assert rules.OPEN_STATES < rules.ALL_STATES
    for action in rules.ACTIONS.values():
        assert action.sources <= rules.ALL_STATES, action.name
        assert action.target is None or action.target in rules.ALL_STATES
        assert action.who <= {
            rules.DISPATCHER,
            rules.DEPARTMENT,
            rules.STREET,
            rules.SUPERVISOR,
            rules.RESIDENT,
        }
    # every state but the start is reachable, and every open state can be left
    targets = {a.target for a in rules.ACTIONS.values() if a.target} | {rules.HANDLING}
    assert targets == rules.ALL_STATES - {rules.PENDING}
    for state in rules.OPEN_STATES:
        assert any(state in a.sources and a.target for a in rules.ACTIONS.values()), state


def test_terminal_states_allow_nothing():
    for state in (rules.ARCHIVED, rules.REFUSED, rules.DUPLICATE):
        assert not [a for a in rules.ACTIONS.values() if state in a.sources], state


@pytest.mark.parametrize("action", sorted(rules.ACTIONS))
@pytest.mark.parametrize("state", sorted(rules.ALL_STATES))
def test_check_action_every_pair(action, state):
    refusal = rules.check_action(action, state)
    if state in rules.ACTIONS[action].sources:
        assert refusal is None
    else:
        assert refusal is not None and refusal.rule == rules.RULE_STATE


def test_unknown_action():
    assert rules.check_action("delete", rules.PENDING).rule == "unknown_action"


def test_domain_rules_in_the_table():
    a = rules.ACTIONS
    # the department returns "not ours" back to dispatch; the dispatcher may re-dispatch
    assert a["return"].target == rules.RETURNED and a["return"].who == {rules.DEPARTMENT}
    assert rules.RETURNED in a["dispatch"].sources
    # a reopened demand is dispatched again
    assert rules.REOPENED in a["dispatch"].sources
    # only the resident reopens; the community closes; the street summons
    assert a["reopen"].who == {rules.RESIDENT}
    assert a["close"].who == {rules.DISPATCHER}
    assert a["summon"].who == {rules.STREET}
    assert a["supervise"].who == {rules.SUPERVISOR}
    assert a["decide_extension"].who == {rules.SUPERVISOR}
    # refusing happens before acceptance only
    assert a["refuse"].sources == {rules.PENDING}


def test_dispatch_to_the_community_goes_straight_to_handling():
    assert rules.target_state("dispatch", rules.ACCEPTED) == rules.DISPATCHED
    assert rules.target_state("dispatch", rules.ACCEPTED, self_handled=True) == rules.HANDLING
    assert rules.target_state("progress", rules.HANDLING) == rules.HANDLING


def test_reopen_once_and_only_unsatisfied():
    assert rules.check_reopen(reopen_count=0, rating="") is None
    assert rules.check_reopen(reopen_count=0, rating="unsatisfied") is None
    assert rules.check_reopen(reopen_count=1, rating="").rule == rules.RULE_REOPEN_ONCE
    assert (
        rules.check_reopen(reopen_count=0, rating="satisfied").rule == rules.RULE_REOPEN_UNSATISFIED
    )
    assert (
        rules.check_reopen(reopen_count=0, rating="basically").rule == rules.RULE_REOPEN_UNSATISFIED
    )


# ------------------------------------------------------------------ time limits


def test_handle_limit_by_category():
    assert rules.handle_limit(limit_value=5, limit_unit="working_days", urgent=False, limits=L) == (
        Limit(5, "working_days")
    )
    assert rules.handle_limit(limit_value=2, limit_unit="hours", urgent=True, limits=L) == Limit(
        2, "hours"
    )
    # urgent without hours: the default urgent limit
    assert rules.handle_limit(limit_value=5, limit_unit="working_days", urgent=True, limits=L) == (
        Limit(2, "hours")
    )
    assert rules.handle_limit(limit_value=24, limit_unit="hours", urgent=False, limits=L) == (
        Limit(24, "hours")
    )
    assert rules.handle_limit(limit_value=0, limit_unit="working_days", urgent=False, limits=L) == (
        Limit(5, "working_days")
    )


@pytest.mark.parametrize(
    ("start", "limit", "expected"),
    [
        # general 5 working days over National Day: 09-30, 10-08, 10-09, 10-10 (Sat), 10-12
        (at(2026, 9, 29, 10), Limit(5, "working_days"), at(2026, 10, 12, 17, 30)),
        # received on the holiday: day 1 is 10-08
        (at(2026, 10, 2, 10), Limit(3, "working_days"), at(2026, 10, 10, 17, 30)),
        # Mid-autumn 09-25..27 off, Sunday 09-20 worked
        (at(2026, 9, 18, 10), Limit(1, "working_days"), at(2026, 9, 20, 17, 30)),
        (at(2026, 9, 24, 10), Limit(1, "working_days"), at(2026, 9, 28, 17, 30)),
        # Spring Festival: 02-13 (Fri) → 02-14 (Sat, worked) → 02-24
        (at(2026, 2, 13, 10), Limit(2, "working_days"), at(2026, 2, 24, 17, 30)),
        # urgent: clock hours, holidays included
        (at(2026, 10, 1, 23, 0), Limit(2, "hours"), at(2026, 10, 2, 1, 0)),
        # 2027 not loaded: weekends only (New Year's Day counted as a working Friday)
        (at(2026, 12, 31, 10), Limit(1, "working_days"), at(2027, 1, 1, 17, 30)),
    ],
)
def test_handle_due(start, limit, expected):
    assert rules.handle_due(start, limit, CAL) == expected


def test_accept_due_working_hour_and_urgent_clock_hour():
    # filed Wednesday 09-30 at 17:00: 30 minutes left, then 10-08 08:30 + 30
    assert rules.accept_due(at(2026, 9, 30, 17), urgent=False, limits=L, cal=CAL) == at(
        2026, 10, 8, 9, 0
    )
    assert rules.accept_due(at(2026, 10, 3, 22), urgent=True, limits=L, cal=CAL) == at(
        2026, 10, 3, 23, 0
    )
    two = Limits(accept_working_hours=2)
    assert rules.accept_due(at(2026, 3, 10, 11), urgent=False, limits=two, cal=CAL) == at(
        2026, 3, 10, 15, 0
    )


def test_visit_due_one_working_day_after_closing():
    assert rules.visit_due(at(2026, 9, 30, 16), limits=L, cal=CAL) == at(2026, 10, 8, 17, 30)
    assert rules.visit_due(at(2026, 2, 13, 16), limits=L, cal=CAL) == at(2026, 2, 14, 17, 30)


def test_extended_due():
    old = at(2026, 9, 30, 17, 30)
    assert rules.extended_due(old, value=2, unit="working_days", cal=CAL) == at(2026, 10, 9, 17, 30)
    assert rules.extended_due(old, value=4, unit="hours", cal=CAL) == at(2026, 9, 30, 21, 30)


# ------------------------------------------------------------------ routing


def test_choose_route_most_specific_first():
    district, street, community = "0001/", "0001/0002/", "0001/0002/0003/"
    routes = [
        Route("", 1),
        Route(street, 2),
        Route(community, None),  # the community handles it itself
        Route("0001/0009/", 9),  # another street
    ]
    assert rules.choose_route(routes, community) == Route(community, None)
    assert rules.choose_route(routes, "0001/0002/0004/") == Route(street, 2)
    assert rules.choose_route(routes, "0001/0005/0006/") == Route("", 1)
    assert rules.choose_route(routes[3:], community) is None
    assert rules.choose_route([], community) is None
    # same area: the subcategory's own rule beats the parent category's
    both = [Route(street, 7, specific=False), Route(street, 8, specific=True)]
    assert rules.choose_route(both, community).department == 8
    assert rules.choose_route(list(reversed(both)), community).department == 8
    # a more specific area beats category specificity
    mixed = [Route(district, 5, specific=True), Route(street, 6, specific=False)]
    assert rules.choose_route(mixed, community).department == 6


# ------------------------------------------------------------------ location

SQUARE = {"type": "Polygon", "coordinates": [[[0, 0], [10, 0], [10, 10], [0, 10], [0, 0]]]}
WITH_HOLE = {
    "type": "Polygon",
    "coordinates": [
        [[0, 0], [10, 0], [10, 10], [0, 10], [0, 0]],
        [[4, 4], [6, 4], [6, 6], [4, 6], [4, 4]],
    ],
}
MULTI = {
    "type": "MultiPolygon",
    "coordinates": [
        [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]],
        [[[5, 5], [6, 5], [6, 6], [5, 6], [5, 5]]],
    ],
}
# an L shape: the box contains (8, 8) but the polygon does not
ELL = {
    "type": "Polygon",
    "coordinates": [[[0, 0], [10, 0], [10, 3], [3, 3], [3, 10], [0, 10], [0, 0]]],
}


@pytest.mark.parametrize(
    ("geometry", "point", "inside"),
    [
        (SQUARE, (5, 5), True),
        (SQUARE, (11, 5), False),
        (SQUARE, (-0.1, 5), False),
        (WITH_HOLE, (5, 5), False),  # in the hole
        (WITH_HOLE, (2, 2), True),
        (MULTI, (0.5, 0.5), True),
        (MULTI, (5.5, 5.5), True),
        (MULTI, (3, 3), False),
        (ELL, (1, 8), True),
        (ELL, (8, 1), True),
        (ELL, (8, 8), False),
        ({"type": "Point", "coordinates": [1, 1]}, (1, 1), False),
    ],
)
def test_point_in_geometry(geometry, point, inside):
    assert rules.point_in_geometry(*point, geometry) is inside


def test_locate_and_extent():
    shapes = [GridShape.of(1, ELL), GridShape.of(2, WITH_HOLE), GridShape.of(3, MULTI)]
    assert rules.locate(1, 8, shapes) == 1
    assert rules.locate(8, 8, shapes) == 2  # outside the L, inside the second grid
    assert rules.locate(5, 5, shapes[:2]) is None  # the hole
    assert rules.locate(50, 50, shapes) is None
    assert rules.within_extent(5, 5, shapes)
    assert not rules.within_extent(50, 50, shapes)
    assert rules.within_extent(50, 50, [])


@given(
    x=st.floats(min_value=-5, max_value=15, allow_nan=False),
    y=st.floats(min_value=-5, max_value=15, allow_nan=False),
)
def test_square_matches_bounds(x, y):
    expected = 0 < x < 10 and 0 < y < 10
    if x in (0, 10) or y in (0, 10):
        return  # on the edge: either way
    assert rules.point_in_geometry(x, y, SQUARE) is expected


# ------------------------------------------------------------------ measures


def test_measures_arithmetic():
    t = at(2026, 3, 10, 9)
    h = timedelta(hours=1)
    facts = [
        # accepted on time, answered on time, rated satisfied, 120 working minutes
        Facts(
            rules.RATED,
            accept_due_at=t + h,
            accepted_at=t,
            due_at=t + 10 * h,
            answered_at=t + 2 * h,
            handling_minutes=120,
            rating="satisfied",
        ),
        # accepted late, answered late, basically satisfied, reopened once, overdue
        Facts(
            rules.VISITED,
            accept_due_at=t,
            accepted_at=t + h,
            due_at=t + 2 * h,
            answered_at=t + 3 * h,
            handling_minutes=240,
            rating="basically",
            reopen_count=1,
            overdue=True,
        ),
        # answered, not closed, unsatisfied rating not possible yet: no rating
        Facts(
            rules.ANSWERED,
            accept_due_at=t + h,
            accepted_at=t,
            due_at=t + 10 * h,
            answered_at=t + 5 * h,
            handling_minutes=60,
        ),
        # closed and rated unsatisfied
        Facts(
            rules.RATED,
            accept_due_at=t + h,
            accepted_at=t,
            due_at=None,
            answered_at=t + 5 * h,
            handling_minutes=0,
            rating="unsatisfied",
        ),
        # still pending, overdue on acceptance
        Facts(rules.PENDING, accept_due_at=t, overdue=True),
        # refused in time: a response, not to be resolved
        Facts(rules.REFUSED, accept_due_at=t + h, accepted_at=t),
    ]
    m = rules.measures(facts)
    assert (m.total, m.responded, m.responded_on_time) == (6, 5, 4)
    assert m.response_rate == round(4 / 6, 4)
    assert (m.answered, m.answered_on_time) == (4, 3)
    assert m.on_time_rate == 0.75
    assert (m.resolved, m.to_resolve) == (3, 5)
    assert m.resolution_rate == 0.6
    assert (m.rated, m.satisfied) == (3, 2)
    assert m.satisfaction_rate == round(2 / 3, 4)
    assert m.reopened == 1 and m.reopen_rate == 0.25
    assert m.overdue == 2
    assert m.average_handling_hours == round((120 + 240 + 60 + 0) / 4 / 60, 2)


def test_measures_empty_rates_are_none():
    m = rules.measures([])
    assert m.total == 0
    for value in (
        m.response_rate,
        m.on_time_rate,
        m.resolution_rate,
        m.satisfaction_rate,
        m.reopen_rate,
        m.average_handling_hours,
    ):
        assert value is None
    assert rules.rate(0, 5) == 0.0 and rules.rate(5, 5) == 1.0


def test_reopened_and_not_yet_answered_again_counts_as_answered_not_on_time():
    m = rules.measures([Facts(rules.REOPENED, due_at=at(2026, 3, 11), reopen_count=1)])
    assert m.answered == 1 and m.answered_on_time == 0 and m.reopen_rate == 1.0
