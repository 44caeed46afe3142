"""A member's months without organisational life — the feed of the six-month lapse rule
(《中国共产党章程》第九条; DOMAIN.md §4.2; ``tongxin.members.rules.lapse``).

Conventions are those of ``members.rules.lapse`` (not edited here): months are first-of-month
dates, a month is judged only once it has ended (the caller passes the last ended month),
and the platform never accuses on missing data. A month is one of:

* **attended** — the member attended at least one meeting of organisational life (any kind
  they were expected at: branch meeting, party group meeting, party lecture, theme day …);
* **excused** — absent with a proper reason accepted by the branch (请假 approved, illness,
  away with a floating-member arrangement …): 第九条 speaks of absence "没有正当理由";
* **not expected** — the member was on no meeting's should-attend list that month (the
  branch held nothing, or the member was not yet admitted or not yet in this branch);
* **missed** — expected, not attended, not excused.

Only missed months count, and a run of missed months must be calendar-consecutive: an
attended, excused or not-expected month breaks it (as an exempted dues month breaks a dues
run in ``lapse.dues_lapse``). A month before ``first_month`` (admission, or the start of
attendance records) is not judged and breaks a run too.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from tongxin.members.rules.lapse import LAPSE_MONTHS

from .periods import add_months, month_start


def _months(values: Iterable[date]) -> set[date]:
    return {month_start(d) for d in values}


def missed_months(
    *,
    expected: Iterable[date],
    attended: Iterable[date],
    excused: Iterable[date] = (),
    first_month: date | None = None,
    last_month: date,
) -> list[date]:
    """The missed months from ``first_month`` (if given) to ``last_month``, oldest first."""
    first = month_start(first_month) if first_month else None
    last = month_start(last_month)
    exp, att, exc = _months(expected), _months(attended), _months(excused)
    return sorted(m for m in exp - att - exc if m <= last and (first is None or m >= first))


def missed_run_ending_at(
    month: date,
    *,
    expected: Iterable[date],
    attended: Iterable[date],
    excused: Iterable[date] = (),
    first_month: date | None = None,
) -> list[date]:
    """The run of consecutive missed months that ends with ``month`` (oldest first); empty
    when ``month`` itself was not missed. Its length is what the lapse rule compares with
    six (``lapse_due``)."""
    missed = set(
        missed_months(
            expected=expected,
            attended=attended,
            excused=excused,
            first_month=first_month,
            last_month=month,
        )
    )
    run: list[date] = []
    m = month_start(month)
    while m in missed:
        run.append(m)
        m = add_months(m, -1)
    return run[::-1]


def lapse_due(run: list[date], months: int = LAPSE_MONTHS) -> bool:
    """Six (``LAPSE_MONTHS``) or more consecutive missed months: flag for the branch."""
    return len(run) >= months


def months_not_missed(
    *,
    expected: Iterable[date],
    attended: Iterable[date],
    excused: Iterable[date] = (),
    first_month: date,
    last_month: date,
) -> set[date]:
    """Every month from ``first_month`` to ``last_month`` that was NOT missed — the set to
    pass as ``attended_months`` to ``members.rules.lapse.life_lapse``, which treats every
    month it is not given as missed. This keeps excused and not-expected months from
    counting against the member there."""
    missed = set(
        missed_months(
            expected=expected,
            attended=attended,
            excused=excused,
            first_month=first_month,
            last_month=last_month,
        )
    )
    out = set()
    m, last = month_start(first_month), month_start(last_month)
    while m <= last:
        if m not in missed:
            out.add(m)
        m = add_months(m, 1)
    return out
