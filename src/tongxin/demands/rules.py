"""Residents' demands as pure rules — DOMAIN.md §8. No ORM, no I/O.

Reference practice: 国办发〔2020〕53号 (12345 hotline: 受理、派单、办理、答复、督办、办结、
回访、评价), the digital city-management workflow (GB/T 30428, CJJ/T 106) and Beijing's
接诉即办 (judged by response, resolution and satisfaction rates).

* The state machine is a table: ACTIONS[action] = (from states, to state, who may act).
  `None` as the to-state means "stays where it is" (an event only). `check_action` says
  whether an action may happen and, if not, which rule refuses it.
* Time limits: `limits_for` turns a category into (accept, handle) limits; `accept_due`,
  `handle_due`, `visit_due` give the due times on the official calendar (core.workdays).
* Routing: `choose_route` picks the most specific rule (community, street, district).
* Location: `locate` finds the grid whose GeoJSON boundary contains a point.
* Measures: `measures` computes response, on-time, resolution, satisfaction and reopen
  rates and the average handling time in working hours from plain facts per demand.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from django.utils.translation import gettext_noop

from tongxin.core import workdays

# states (values of models.State)
PENDING, ACCEPTED, DISPATCHED, HANDLING = "pending", "accepted", "dispatched", "handling"
RETURNED, ESCALATED, ANSWERED, CLOSED = "returned", "escalated", "answered", "closed"
RATED, VISITED, ARCHIVED = "rated", "visited", "archived"
REFUSED, DUPLICATE, REOPENED = "refused", "duplicate", "reopened"

# Open until answered; Open311 maps OPEN_STATES to "open", everything else to "closed".
OPEN_STATES = frozenset({PENDING, ACCEPTED, DISPATCHED, HANDLING, RETURNED, ESCALATED, REOPENED})
ALL_STATES = OPEN_STATES | {ANSWERED, CLOSED, RATED, VISITED, ARCHIVED, REFUSED, DUPLICATE}
# the handling clock (due_at) runs in these states; the acceptance clock in PENDING
HANDLING_CLOCK_STATES = OPEN_STATES - {PENDING}
# answered and closed, waiting for the resident's rating and the return visit
VISIT_CLOCK_STATES = frozenset({CLOSED, RATED})
# ended without an answer: not counted in the resolution measures
TERMINAL_WITHOUT_ANSWER = frozenset({REFUSED, DUPLICATE})

# who may act (access.py resolves these against a user and a demand)
DISPATCHER = "dispatcher"  # administrators of the demand's community (community/street/district)
DEPARTMENT = "department"  # handlers of the department the demand is dispatched to (or, when
#                            the community handles it itself, the community's dispatchers)
STREET = "street"  # administrators of the demand's street or the district (escalation, summons)
SUPERVISOR = "supervisor"  # street or district administrators (督办, extension decisions)
RESIDENT = "resident"  # the person who filed it (portal code + phone tail)


@dataclass(frozen=True)
class Action:
    name: str
    sources: frozenset[str]
    target: str | None  # None: the state does not change
    who: frozenset[str]


def _a(name, sources, target, *who) -> Action:
    return Action(name, frozenset(sources), target, frozenset(who))


ACTIONS: dict[str, Action] = {
    a.name: a
    for a in (
        _a("accept", {PENDING}, ACCEPTED, DISPATCHER),
        # not accepted, with a reason the resident sees
        _a("refuse", {PENDING}, REFUSED, DISPATCHER),
        _a("mark_duplicate", {PENDING, ACCEPTED, RETURNED}, DUPLICATE, DISPATCHER),
        # to a department, or to the community itself (then straight to HANDLING)
        _a("dispatch", {ACCEPTED, RETURNED, REOPENED}, DISPATCHED, DISPATCHER),
        # the department takes it on (接单)
        _a("claim", {DISPATCHED}, HANDLING, DEPARTMENT),
        # "not ours": back to dispatch with a reason, never lost
        _a("return", {DISPATCHED, HANDLING}, RETURNED, DEPARTMENT),
        _a("progress", {HANDLING, ESCALATED}, None, DEPARTMENT, DISPATCHER, STREET),
        # 吹哨: the community escalates to the street
        _a(
            "escalate",
            {ACCEPTED, DISPATCHED, HANDLING, RETURNED, REOPENED},
            ESCALATED,
            DISPATCHER,
        ),
        # 报到: the street summons departments; each answers its own summons
        _a("summon", {ESCALATED}, None, STREET),
        _a("answer_summons", {ESCALATED}, None, DEPARTMENT),
        # the answer to the resident: the handling department, or the street on an escalation
        _a("answer", {HANDLING, ESCALATED}, ANSWERED, DEPARTMENT, STREET),
        # 核查结案: the community checks the answer and closes
        _a("close", {ANSWERED}, CLOSED, DISPATCHER),
        # the resident rates on the tracking page; staff record a rating given by phone
        _a("rate", {CLOSED}, RATED, RESIDENT, DISPATCHER),
        # 不满意 may reopen once (MAX_REOPENS)
        _a("reopen", {CLOSED, RATED}, REOPENED, RESIDENT),
        # 回访 (may record the rating heard on the phone, if the resident had not rated)
        _a("return_visit", {CLOSED, RATED}, VISITED, DISPATCHER),
        _a("archive", {RATED, VISITED}, ARCHIVED, DISPATCHER),
        _a("supervise", OPEN_STATES, None, SUPERVISOR),
        _a("request_extension", {DISPATCHED, HANDLING, ESCALATED}, None, DEPARTMENT, DISPATCHER),
        # approved one level up (access.may_decide_extension)
        _a("decide_extension", {DISPATCHED, HANDLING, ESCALATED}, None, SUPERVISOR),
    )
}
MAX_REOPENS = 1  # 不满意 may reopen once (DOMAIN.md §8.7)
UNSATISFIED = "unsatisfied"
RATINGS = ("satisfied", "basically", UNSATISFIED)
# the satisfaction rate counts these (满意 + 基本满意, the 12345 convention)
SATISFIED_RATINGS = frozenset({"satisfied", "basically"})

# actions whose event the resident sees on the tracking page
PUBLIC_ACTIONS = frozenset(
    {
        "submit",
        "accept",
        "refuse",
        "mark_duplicate",
        "dispatch",
        "claim",
        "answer",
        "close",
        "rate",
        "reopen",
        "return_visit",
        "archive",
    }
)

# rule names carried by ActionRefused.rule
RULE_STATE = "state"  # the action is not possible in the demand's state
RULE_REOPEN_ONCE = "reopen_once"
RULE_REOPEN_UNSATISFIED = "reopen_only_unsatisfied"
RULE_ALREADY_RATED = "already_rated"
RULE_EXTENSION_PENDING = "extension_pending"
RULE_EXTENSION_DECIDED = "extension_decided"
RULE_OWN_EXTENSION = "own_extension"
RULE_SUMMONS_ANSWERED = "summons_answered"
RULE_DUPLICATE_SELF = "duplicate_of_itself"
RULE_DUPLICATE_CHAIN = "duplicate_of_duplicate"
RULE_SAME_DEPARTMENT = "returned_to_same_department"
RULE_ALREADY_SUPERVISED = "already_supervised"


@dataclass(frozen=True)
class Refusal:
    rule: str
    message: str  # English msgid marked with gettext_noop (the service translates it)


def check_action(action: str, state: str) -> Refusal | None:
    """None when `action` may happen in `state` (by the table), else the refusal."""
    spec = ACTIONS.get(action)
    if spec is None:
        return Refusal("unknown_action", gettext_noop("There is no such action."))
    if state not in spec.sources:
        return Refusal(
            RULE_STATE, gettext_noop("This action is not possible in the demand's current state.")
        )
    return None


def target_state(action: str, state: str, *, self_handled: bool = False) -> str:
    """The state after `action` from `state`: dispatching to the community itself goes
    straight to HANDLING (nobody has to claim it)."""
    spec = ACTIONS[action]
    if action == "dispatch" and self_handled:
        return HANDLING
    return spec.target or state


def check_reopen(*, reopen_count: int, rating: str) -> Refusal | None:
    """DOMAIN.md §8.7: an unsatisfied resident may reopen once. From CLOSED (not yet rated)
    a reopen counts as 不满意; after a rating only 不满意 reopens."""
    if reopen_count >= MAX_REOPENS:
        return Refusal(RULE_REOPEN_ONCE, gettext_noop("A demand can be reopened only once."))
    if rating and rating != UNSATISFIED:
        return Refusal(
            RULE_REOPEN_UNSATISFIED,
            gettext_noop("Only an unsatisfied resident can reopen the demand."),
        )
    return None


# --------------------------------------------------------------------- time limits


@dataclass(frozen=True)
class Limits:
    """The configurable defaults of DOMAIN.md §8.4 (settings TONGXIN["DEMAND_*"])."""

    accept_working_hours: float = 1  # accept within 1 working hour
    urgent_hours: int = 2  # urgent: done within 2 (clock) hours
    general_days: int = 5  # general: within 5 working days
    consultation_days: int = 3  # consultation: within 3 working days
    visit_days: int = 1  # return visit within 1 working day of closing


@dataclass(frozen=True)
class Limit:
    value: float
    unit: str  # "working_days" | "hours"


WORKING_DAYS, HOURS = "working_days", "hours"


def handle_limit(*, limit_value: int, limit_unit: str, urgent: bool, limits: Limits) -> Limit:
    """A category's handling limit. Urgent categories run on clock hours (day and night,
    holidays included — an emergency does not wait for Monday); a category in hours that is
    not urgent also runs on clock hours (e.g. utilities "within 24 h"); otherwise working
    days. A zero limit falls back to the general default."""
    if urgent:
        hours = limit_value if limit_unit == HOURS and limit_value else limits.urgent_hours
        return Limit(hours, HOURS)
    if limit_unit == HOURS and limit_value:
        return Limit(limit_value, HOURS)
    return Limit(limit_value or limits.general_days, WORKING_DAYS)


def accept_due(
    start: datetime,
    *,
    urgent: bool,
    limits: Limits,
    cal: workdays.Calendar,
    schedule: workdays.WorkSchedule = workdays.DEFAULT_SCHEDULE,
) -> datetime:
    """When a new demand must be accepted: `accept_working_hours` working hours after it
    was filed (a demand filed on Saturday night is due 09:30 on Monday); an urgent one in
    the same number of clock hours."""
    if urgent:
        return workdays.due_at(start, hours=limits.accept_working_hours, cal=cal)
    return workdays.add_working_hours(start, limits.accept_working_hours, cal, schedule)


def handle_due(start: datetime, limit: Limit, cal: workdays.Calendar) -> datetime:
    """When the answer is due: working days end at 17:30 on the n-th working day after the
    day the clock started (the day itself never counts); hours are clock hours."""
    if limit.unit == HOURS:
        return workdays.due_at(start, hours=limit.value, cal=cal)
    return workdays.due_at(start, days=int(limit.value), cal=cal)


def visit_due(closed_at: datetime, *, limits: Limits, cal: workdays.Calendar) -> datetime:
    """Return visit within `visit_days` working day(s) of closing: 17:30 of the next
    working day by default."""
    return workdays.due_at(closed_at, days=limits.visit_days, cal=cal)


def extended_due(old_due: datetime, *, value: int, unit: str, cal: workdays.Calendar) -> datetime:
    """An approved extension adds its time to the current due time (working days from the
    old due day, or clock hours)."""
    if unit == HOURS:
        return workdays.due_at(old_due, hours=value, cal=cal)
    return workdays.due_at(old_due, days=value, cal=cal)


# --------------------------------------------------------------------- routing


@dataclass(frozen=True)
class Route:
    """One routing rule: `area_path` is the org path of the area ("" for the whole
    district), `department` its department id (None: the community handles it),
    `specific` True when the rule names the demand's own category (False: its parent)."""

    area_path: str
    department: int | None
    specific: bool = True


def choose_route(routes: Iterable[Route], community_path: str) -> Route | None:
    """The rule of the most specific area containing the community — the community itself,
    then its street, then the whole district (area "") — and within one area a rule for the
    subcategory before one for its parent category. None when no rule applies."""
    best: Route | None = None
    best_key: tuple[int, bool] = (-1, False)
    for route in routes:
        if not community_path.startswith(route.area_path):
            continue
        key = (len(route.area_path), route.specific)
        if best is None or key > best_key:
            best, best_key = route, key
    return best


# --------------------------------------------------------------------- location


def point_in_ring(lon: float, lat: float, ring: Sequence[Sequence[float]]) -> bool:
    """Even-odd ray casting on a closed GeoJSON ring of [longitude, latitude] positions.
    A point exactly on an edge may count either way (boundaries between grids are shared)."""
    inside = False
    n = len(ring)
    j = n - 1
    for i in range(n):
        xi, yi = ring[i][0], ring[i][1]
        xj, yj = ring[j][0], ring[j][1]
        if (yi > lat) != (yj > lat):
            x_cross = (xj - xi) * (lat - yi) / (yj - yi) + xi
            if lon < x_cross:
                inside = not inside
        j = i
    return inside


def point_in_geometry(lon: float, lat: float, geometry: dict) -> bool:
    """A GeoJSON Polygon or MultiPolygon contains the point: inside an outer ring and in
    none of that polygon's holes (RFC 7946 §3.1.6)."""
    kind = geometry.get("type") if isinstance(geometry, dict) else None
    if kind == "Polygon":
        polys = [geometry["coordinates"]]
    elif kind == "MultiPolygon":
        polys = geometry["coordinates"]
    else:
        return False
    for rings in polys:
        if not rings:
            continue
        if point_in_ring(lon, lat, rings[0]) and not any(
            point_in_ring(lon, lat, hole) for hole in rings[1:]
        ):
            return True
    return False


def bbox(geometry: dict) -> tuple[float, float, float, float]:
    """(min lon, min lat, max lon, max lat) of a Polygon or MultiPolygon."""
    kind = geometry.get("type")
    polys = [geometry["coordinates"]] if kind == "Polygon" else geometry["coordinates"]
    xs = [p[0] for rings in polys for ring in rings for p in ring]
    ys = [p[1] for rings in polys for ring in rings for p in ring]
    return min(xs), min(ys), max(xs), max(ys)


@dataclass(frozen=True)
class GridShape:
    grid: int  # grid id
    geometry: dict
    box: tuple[float, float, float, float]

    @classmethod
    def of(cls, grid: int, geometry: dict) -> GridShape:
        return cls(grid, geometry, bbox(geometry))


def locate(lon: float, lat: float, shapes: Iterable[GridShape]) -> int | None:
    """The id of the first grid (in the given order) whose boundary contains the point."""
    for shape in shapes:
        x1, y1, x2, y2 = shape.box
        if x1 <= lon <= x2 and y1 <= lat <= y2 and point_in_geometry(lon, lat, shape.geometry):
            return shape.grid
    return None


def within_extent(lon: float, lat: float, shapes: Iterable[GridShape]) -> bool:
    """The point lies inside the bounding box of all grids together (the district's
    extent as drawn). With no grids drawn, every valid point is accepted."""
    boxes = [s.box for s in shapes]
    if not boxes:
        return True
    return min(b[0] for b in boxes) <= lon <= max(b[2] for b in boxes) and min(
        b[1] for b in boxes
    ) <= lat <= max(b[3] for b in boxes)


# --------------------------------------------------------------------- measures


@dataclass(frozen=True)
class Facts:
    """What the measures need of one demand (the measures helper builds these from rows
    or computes the same sums in SQL — see the docstring of `measures`).

    state: current state; accepted_at/answered_at/accept_due_at/due_at: as on the demand
    (aware datetimes or None); handling_minutes: working minutes from the start of the
    handling clock (accepted_at) to answered_at, fixed when answered; rating: "" or one of
    RATINGS; reopen_count; overdue: the flag set by the overdue check."""

    state: str
    accept_due_at: datetime | None = None
    accepted_at: datetime | None = None
    due_at: datetime | None = None
    answered_at: datetime | None = None
    handling_minutes: int | None = None
    rating: str = ""
    reopen_count: int = 0
    overdue: bool = False


@dataclass(frozen=True)
class Measures:
    total: int
    responded: int
    responded_on_time: int
    answered: int
    answered_on_time: int
    resolved: int
    rated: int
    satisfied: int
    reopened: int
    overdue: int
    handling_minutes: int
    handling_count: int
    to_resolve: int  # total minus refused and duplicate demands

    @property
    def response_rate(self) -> float | None:
        return rate(self.responded_on_time, self.total)

    @property
    def on_time_rate(self) -> float | None:
        return rate(self.answered_on_time, self.answered)

    @property
    def resolution_rate(self) -> float | None:
        return rate(self.resolved, self.to_resolve)

    @property
    def satisfaction_rate(self) -> float | None:
        return rate(self.satisfied, self.rated)

    @property
    def reopen_rate(self) -> float | None:
        return rate(self.reopened, self.answered)

    @property
    def average_handling_hours(self) -> float | None:
        if not self.handling_count:
            return None
        return round(self.handling_minutes / self.handling_count / 60, 2)


def rate(part: int, whole: int) -> float | None:
    """part / whole as a fraction in [0, 1], rounded to 4 places; None when whole is 0
    (shown as "—", never as 0 % or 100 %)."""
    if not whole:
        return None
    return round(part / whole, 4)


ANSWERED_STATES = frozenset({ANSWERED, CLOSED, RATED, VISITED, ARCHIVED})
RESOLVED_STATES = frozenset({CLOSED, RATED, VISITED, ARCHIVED})


def measures(facts: Iterable[Facts]) -> Measures:
    """The measures of DOMAIN.md §8.8 over a set of demands (a period × a department,
    handler, grid, community, street or category — the caller filters):

    - response rate = demands accepted no later than their acceptance due time ÷ all
      demands counted (a demand not yet accepted, or accepted late, is not "responded");
      duplicates and refusals are responses too (the dispatcher dealt with them in time)
      when they happened — they carry accepted_at = the time of that decision;
    - on-time rate = demands answered no later than due_at ÷ demands answered (an answer
      without a due time counts as on time);
    - resolution rate = demands closed (closed, rated, visited or archived) ÷ all demands
      counted except refused and duplicate ones (those were never to be resolved);
    - satisfaction rate = ratings 满意 or 基本满意 ÷ demands rated;
    - reopen rate = demands reopened at least once ÷ demands answered (ever: the current
      state is answered or later, or it was reopened);
    - average handling time = mean of handling_minutes over the demands that have it
      (working minutes from acceptance to the answer, on the official calendar and the
      work schedule), in hours rounded to 2 places;
    - overdue count = demands flagged overdue.

    Every rate is None when its denominator is 0.
    """
    total = responded = responded_on_time = answered = answered_on_time = 0
    resolved = rated_n = satisfied = reopened = overdue = minutes = counted = 0
    to_resolve = 0
    for f in facts:
        total += 1
        if f.accepted_at is not None:
            responded += 1
            if f.accept_due_at is None or f.accepted_at <= f.accept_due_at:
                responded_on_time += 1
        was_answered = f.state in ANSWERED_STATES or f.reopen_count > 0
        if was_answered:
            answered += 1
            if f.answered_at is not None and (f.due_at is None or f.answered_at <= f.due_at):
                answered_on_time += 1
        if f.state not in TERMINAL_WITHOUT_ANSWER:
            to_resolve += 1
            if f.state in RESOLVED_STATES:
                resolved += 1
        if f.rating:
            rated_n += 1
            if f.rating in SATISFIED_RATINGS:
                satisfied += 1
        if f.reopen_count > 0:
            reopened += 1
        if f.overdue:
            overdue += 1
        if f.handling_minutes is not None:
            minutes += f.handling_minutes
            counted += 1
    return Measures(
        total=total,
        responded=responded,
        responded_on_time=responded_on_time,
        answered=answered,
        answered_on_time=answered_on_time,
        resolved=resolved,
        rated=rated_n,
        satisfied=satisfied,
        reopened=reopened,
        overdue=overdue,
        handling_minutes=minutes,
        handling_count=counted,
        to_resolve=to_resolve,
    )
