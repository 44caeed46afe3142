"""The seeder's work clock: core.workdays arithmetic by prefix sums (integer UTC seconds)."""

from __future__ import annotations

from bisect import bisect_left
from datetime import UTC, date, datetime, timedelta

from tongxin.core.workdays import WORK_END, WorkSchedule, is_working_day

LOCAL = 8 * 3600  # Asia/Shanghai has no daylight saving time


# --- the work clock: working seconds on the official calendar, as prefix sums -------------


class WorkClock:
    """Working time on the calendar and the office schedule over a range of local days,
    in integer UTC seconds — the same arithmetic as core.workdays (add_working_hours,
    working_minutes_between, due_at) by prefix sums, so millions of demands cost
    microseconds each (tests check it against core.workdays)."""

    def __init__(self, cal, schedule: WorkSchedule, first: date, last: date):
        self.cal = cal
        self.first = first
        self.base = _epoch_day(first)
        self.periods = [
            (a.hour * 3600 + a.minute * 60, b.hour * 3600 + b.minute * 60)
            for a, b in schedule.periods
        ]
        per_day = sum(b - a for a, b in self.periods)
        n = (last - first).days + 1
        self.working = [is_working_day(first + timedelta(days=i), cal) for i in range(n)]
        self.cum = [0] * (n + 1)  # working seconds before day i
        self.count = [0] * (n + 1)  # working days before day i
        for i, w in enumerate(self.working):
            self.cum[i + 1] = self.cum[i] + (per_day if w else 0)
            self.count[i + 1] = self.count[i] + (1 if w else 0)
        self.cum_end = self.cum[1:]
        self.workdays = [i for i, w in enumerate(self.working) if w]
        self.work_end = WORK_END.hour * 3600 + WORK_END.minute * 60

    def day(self, ts: int) -> int:
        return (ts + LOCAL) // 86400 - self.base

    def w(self, ts: int) -> int:
        """Working seconds from the start of the range to `ts`."""
        i = self.day(ts)
        total = self.cum[i]
        if self.working[i]:
            sod = (ts + LOCAL) % 86400
            for a, b in self.periods:
                if sod > a:
                    total += min(sod, b) - a
        return total

    def at(self, target: int) -> int:
        """The earliest moment at which w() reaches `target` (inverse of w)."""
        i = bisect_left(self.cum_end, target)
        rem = target - self.cum[i]
        for a, b in self.periods:
            if rem <= b - a:
                return (self.base + i) * 86400 - LOCAL + a + rem
            rem -= b - a
        raise AssertionError("target beyond the day")  # pragma: no cover

    def add_hours(self, ts: int, hours: float) -> int:
        """core.workdays.add_working_hours for hours > 0."""
        return self.at(self.w(ts) + round(hours * 60) * 60)

    def minutes_between(self, a: int, b: int) -> int:
        """core.workdays.working_minutes_between."""
        return 0 if b <= a else (self.w(b) - self.w(a)) // 60

    def due_days(self, ts: int, days: int) -> int:
        """core.workdays.due_at(start, days=n): 17:30 local of the n-th working day after
        the local day of `ts` (days ≥ 1)."""
        i = self.day(ts)
        k = self.count[i + 1] + days - 1  # index of the n-th working day after day i
        return (self.base + self.workdays[k]) * 86400 - LOCAL + self.work_end


def _epoch_day(d: date) -> int:
    return (d - date(1970, 1, 1)).days


def _ts(moment: datetime) -> int:
    return int(moment.timestamp())


def _dt(ts: int | None) -> datetime | None:
    return None if ts is None else datetime.fromtimestamp(ts, UTC)
