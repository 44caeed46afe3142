"""Compliance of one branch for one reporting period — DOMAIN.md §7, issue 5 §2.

For every kind of organisational life: which periods of its frequency fall in the reporting
period, which of them the branch owed, and whether enough meetings were held AND approved
(the next level's review is what turns a period green; a meeting held but not yet approved
is counted in ``held`` only).

Decisions (tested in tests/meetings/test_rules.py):

* **Counting unit.** A meeting counts for the frequency period that contains its date.
  Extra meetings in one period never make up for another period (three committee meetings
  in July do not cover August). A frequency ``n/period`` needs ``n`` approved meetings in
  that period.
* **Longer frequencies.** A kind whose frequency period is longer than the reporting period
  (a yearly 组织生活会 seen from 2026-Q4 or 2026-07) owes nothing in that reporting period:
  it is reported with ``reason="longer_period"`` and its meetings are still counted in
  ``held``/``approved``. Ask for the year to see it judged.
* **A branch created during a period** owes that period only if it existed for at least
  one whole calendar month of it (``CompliancePolicy.min_whole_months``, default 1, is
  configurable): created on or before the first day of the period's last month. So a
  monthly meeting is due for a month only if the branch existed on its 1st; the quarterly
  general meeting is due in a quarter when the branch was created by the first day of the
  quarter's third month (1 July … 1 September for Q3; not on 2 September or 30 September);
  a yearly meeting when created by 1 December. Why: frequencies are stated per calendar
  period ("一般每季度召开1次"), a month is the unit in which organisational life is held
  and in which absences are counted (the six-month lapse rule), and one whole month is the
  least in which a new branch can fairly be expected to hold a meeting; the platform does
  not accuse on a period the branch barely existed in (same stance as members' lapse rule).
  Meetings a new branch held in periods it did not owe are still counted as held.
* **Committee and groups.** Committee meetings are due only when the branch has a committee
  (DOMAIN.md §7), party group meetings only when it has party groups (第十三条). Otherwise
  ``reason="no_committee"`` / ``"no_groups"`` and nothing is due.
  Party group meetings are judged per branch (one a month), not per group: per-group
  compliance needs the group roster and belongs to the services.
* **Periods not yet ended.** With ``today`` given, a due period that has not ended
  (``today <= period.end``) and is not yet met is ``open``, not missing. Without ``today``
  every period is judged as closed. ``compliant`` means every due period is met;
  ``behind`` means at least one is missing; a report can be neither (only open periods).
* **Attendance rate** = attended / should attend, summed over the approved meetings of the
  period that recorded attendance (a weighted rate, not an average of per-meeting rates).
  Leave (请假) is NOT attendance: it is reported separately (``on_leave``, ``leave_rate``)
  and the rest are absent. Exact arithmetic (``Fraction``); percentages are rounded to
  0.1 half-up only for display.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from functools import lru_cache

from django.utils.translation import gettext_lazy as _

from . import common as c
from .common import RuleError, Violation, violation
from .kinds import DEFAULT_FREQUENCIES, KINDS, Frequency, frequencies, kind
from .periods import Period, add_months, periods_within

# Meeting states as the rules read them (meetings.models will use the same values).
PLANNED = "planned"
HELD = "held"
SUBMITTED = "submitted"
RETURNED = "returned"
APPROVED = "approved"
CANCELLED = "cancelled"
HELD_STATES = frozenset({HELD, SUBMITTED, RETURNED, APPROVED})
STATES = HELD_STATES | {PLANNED, CANCELLED}

# Why a kind owes nothing in a reporting period.
NO_COMMITTEE = "no_committee"
NO_GROUPS = "no_groups"
NOT_REQUIRED = "not_required"
LONGER_PERIOD = "longer_period"
NEW_BRANCH = "new_branch"

# Status of one frequency period.
MET = "met"
MISSING = "missing"
OPEN = "open"
NOT_DUE = "not_due"
BEHIND = "behind"  # a branch's overall status: something missing

MSG = {
    "state": _('"%(state)s" is not a meeting state.'),
    "negative": _("Attendance figures cannot be negative."),
    "above_roster": _(
        "%(attended)s attended and %(on_leave)s on leave is more than the %(should)s who "
        "should attend."
    ),
    "min_months": _("The number of whole months must be at least 1."),
}

HUNDRED = Decimal(100)
ONE_DECIMAL = Decimal("0.1")


def percent(value: Fraction | None) -> Decimal | None:
    """A fraction as a percentage rounded to 0.1 half-up (display only)."""
    if value is None:
        return None
    exact = Decimal(value.numerator) * HUNDRED / Decimal(value.denominator)
    return exact.quantize(ONE_DECIMAL, rounding=ROUND_HALF_UP)


# --- attendance -----------------------------------------------------------------------
@dataclass(frozen=True)
class Attendance:
    """One meeting's figures: who should attend, who attended, who was on leave."""

    should_attend: int
    attended: int
    on_leave: int = 0

    @property
    def absent(self) -> int:
        return self.should_attend - self.attended - self.on_leave


def attendance_errors(a: Attendance) -> list[Violation]:
    """Attendance above the roster or negative figures (issue 5, bad input)."""
    if min(a.should_attend, a.attended, a.on_leave) < 0:
        return [violation("attendance_figures", c.ART_ATTENDANCE, MSG["negative"])]
    if a.attended + a.on_leave > a.should_attend:
        return [
            violation(
                "attendance_above_roster",
                c.ART_ATTENDANCE,
                MSG["above_roster"],
                attended=a.attended,
                on_leave=a.on_leave,
                should=a.should_attend,
            )
        ]
    return []


@dataclass(frozen=True)
class AttendanceRate:
    should_attend: int
    attended: int
    on_leave: int
    meetings: int

    @property
    def absent(self) -> int:
        return self.should_attend - self.attended - self.on_leave

    @property
    def rate(self) -> Fraction | None:
        """attended / should attend; None when nobody should have attended."""
        return Fraction(self.attended, self.should_attend) if self.should_attend else None

    @property
    def leave_rate(self) -> Fraction | None:
        return Fraction(self.on_leave, self.should_attend) if self.should_attend else None

    @property
    def percent(self) -> Decimal | None:
        return percent(self.rate)

    @property
    def leave_percent(self) -> Decimal | None:
        return percent(self.leave_rate)


def attendance_rate(figures: Iterable[Attendance]) -> AttendanceRate:
    """Sum of attended over sum of should-attend. Bad figures raise (they must have been
    refused when recorded)."""
    should = attended = leave = n = 0
    for a in figures:
        errors = attendance_errors(a)
        if errors:
            raise RuleError(errors[0].rule, errors[0].message, **errors[0].params)
        should += a.should_attend
        attended += a.attended
        leave += a.on_leave
        n += 1
    return AttendanceRate(should, attended, leave, n)


# --- inputs -----------------------------------------------------------------------------
@dataclass(frozen=True)
class MeetingRecord:
    """A meeting as the compliance rules need it."""

    kind: str
    on: date
    state: str
    attendance: Attendance | None = None

    def __post_init__(self) -> None:
        kind(self.kind)
        if self.state not in STATES:
            raise RuleError("meeting_state", MSG["state"], state=self.state)

    @property
    def held(self) -> bool:
        return self.state in HELD_STATES

    @property
    def approved(self) -> bool:
        return self.state == APPROVED


@dataclass(frozen=True)
class CompliancePolicy:
    """Configurable parts: frequencies per kind (None: not required) and how many whole
    months of a period a new branch must have existed to owe it."""

    frequencies: Mapping[str, Frequency | str | None] = field(
        default_factory=lambda: dict(DEFAULT_FREQUENCIES)
    )
    min_whole_months: int = 1

    def __post_init__(self) -> None:
        if self.min_whole_months < 1:
            raise RuleError("min_whole_months", MSG["min_months"])
        # defaults + overrides, "2/quarter" strings parsed, unknown kinds refused
        object.__setattr__(self, "frequencies", frequencies(self.frequencies))


DEFAULT_POLICY = CompliancePolicy()


def owes_period(created_on: date, period: Period, min_whole_months: int = 1) -> bool:
    """Whether a branch created on ``created_on`` owes ``period``: it existed for at least
    ``min_whole_months`` whole calendar months of it (see the module docstring)."""
    return created_on <= _latest_creation(period, min_whole_months)


@lru_cache(maxsize=1024)
def _latest_creation(period: Period, min_whole_months: int) -> date:
    """The last creation day that still owes ``period`` (memoised: asked once per branch,
    kind and period in the full recompute)."""
    months = min(min_whole_months, period.months)
    return add_months(period.last_month, -(months - 1))


# --- outputs -----------------------------------------------------------------------------
@dataclass(frozen=True)
class PeriodStatus:
    period: Period
    status: str  # MET | MISSING | OPEN | NOT_DUE
    held: int
    approved: int


@dataclass(frozen=True)
class KindCompliance:
    kind: str
    frequency: Frequency | None
    reason: str  # "" when the kind owes something in the reporting period
    periods: tuple[PeriodStatus, ...]
    held: int
    approved: int
    attendance: AttendanceRate

    @property
    def name_zh(self) -> str:
        return kind(self.kind).name_zh

    @property
    def article(self) -> str:
        return kind(self.kind).article

    @property
    def applies(self) -> bool:
        return not self.reason

    @property
    def due(self) -> int:
        """Meetings owed: frequency times × due periods."""
        times = self.frequency.times if self.frequency else 0
        return times * sum(1 for p in self.periods if p.status != NOT_DUE)

    @property
    def met(self) -> int:
        """Approved meetings that count toward ``due`` (capped per period)."""
        times = self.frequency.times if self.frequency else 0
        return sum(min(p.approved, times) for p in self.periods if p.status != NOT_DUE)

    @property
    def missing(self) -> tuple[Period, ...]:
        return tuple(p.period for p in self.periods if p.status == MISSING)

    @property
    def open(self) -> tuple[Period, ...]:
        return tuple(p.period for p in self.periods if p.status == OPEN)

    @property
    def compliant(self) -> bool:
        """Every due period met (trivially true when nothing is due)."""
        return all(p.status in (MET, NOT_DUE) for p in self.periods)

    @property
    def behind(self) -> bool:
        return any(p.status == MISSING for p in self.periods)


@dataclass(frozen=True)
class BranchCompliance:
    period: Period
    kinds: tuple[KindCompliance, ...]
    attendance: AttendanceRate

    def of(self, code: str) -> KindCompliance:
        for k in self.kinds:
            if k.kind == code:
                return k
        raise KeyError(code)

    @property
    def compliant(self) -> bool:
        return all(k.compliant for k in self.kinds)

    @property
    def behind(self) -> bool:
        return any(k.behind for k in self.kinds)

    @property
    def status(self) -> str:
        """ "behind" (something missing), "met" (everything due met) or "open"."""
        if self.behind:
            return BEHIND
        return MET if self.compliant else OPEN

    @property
    def missing_items(self) -> list[tuple[str, str]]:
        """(kind, period label) of every missing meeting period, for "what they miss"."""
        return [(k.kind, p.label) for k in self.kinds for p in k.missing]


def _kind_compliance(
    code: str,
    freq: Frequency | None,
    *,
    period: Period,
    created_on: date,
    has_committee: bool,
    has_groups: bool,
    meetings: list[MeetingRecord],
    policy: CompliancePolicy,
    today: date | None,
) -> KindCompliance:
    mk = kind(code)
    mine = meetings  # the caller passes this kind's meetings only
    held = sum(1 for m in mine if m.held)
    approved = [m for m in mine if m.approved]
    rate = attendance_rate(m.attendance for m in approved if m.attendance is not None)

    def result(reason: str, periods: tuple[PeriodStatus, ...] = ()) -> KindCompliance:
        return KindCompliance(code, freq, reason, periods, held, len(approved), rate)

    if mk.needs_committee and not has_committee:
        return result(NO_COMMITTEE)
    if mk.needs_groups and not has_groups:
        return result(NO_GROUPS)
    if freq is None:
        return result(NOT_REQUIRED)
    subs = periods_within(period, freq.per)
    if not subs:
        return result(LONGER_PERIOD)
    rows = []
    for p in subs:
        start, end = p.start, p.end
        n_held = n_approved = 0
        for m in mine:
            if start <= m.on <= end:
                if m.held:
                    n_held += 1
                if m.approved:
                    n_approved += 1
        if not owes_period(created_on, p, policy.min_whole_months):
            status = NOT_DUE
        elif n_approved >= freq.times:
            status = MET
        elif today is not None and today <= p.end:
            status = OPEN
        else:
            status = MISSING
        rows.append(PeriodStatus(p, status, n_held, n_approved))
    if all(r.status == NOT_DUE for r in rows):
        return result(NEW_BRANCH, tuple(rows))
    return result("", tuple(rows))


def meeting_compliance_for_branch(
    *,
    period: Period,
    created_on: date,
    has_committee: bool,
    has_groups: bool,
    meetings: Iterable[MeetingRecord],
    policy: CompliancePolicy = DEFAULT_POLICY,
    today: date | None = None,
) -> BranchCompliance:
    """Due vs held and approved per kind, and the attendance rate, for one branch and one
    reporting period. Meetings outside the period are ignored; meetings dated before
    ``created_on`` or in the future are counted as given (refusing them when they are
    recorded is the services' job)."""
    start, end = period.start, period.end
    inside = [m for m in meetings if start <= m.on <= end]
    by_kind: dict[str, list[MeetingRecord]] = {}
    for m in inside:
        by_kind.setdefault(m.kind, []).append(m)
    freqs = policy.frequencies
    kinds = tuple(
        _kind_compliance(
            k.code,
            freqs[k.code],
            period=period,
            created_on=created_on,
            has_committee=has_committee,
            has_groups=has_groups,
            meetings=by_kind.get(k.code, []),
            policy=policy,
            today=today,
        )
        for k in KINDS
    )
    overall = attendance_rate(
        m.attendance for m in inside if m.approved and m.attendance is not None
    )
    return BranchCompliance(period, kinds, overall)
