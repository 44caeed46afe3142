"""Lapse and lost-contact detection as pure functions — DOMAIN.md §4.2, §4.3, §5.11.

- 《中国共产党章程》第九条: a member who, without proper reason, for six consecutive months
  does not take part in organisational life, or does not pay dues, or does not do the work
  the party assigns, is treated as having lapsed (自行脱党). The branch meeting decides and
  the higher committee approves; the platform only flags, with the months as evidence.
- 《中国共产党党员教育管理工作条例》(2019) 第二十四条: a member out of contact for six months
  or more may have their standing suspended (停止党籍); still out of contact two years later,
  they may be removed (按照自行脱党予以除名).

Months are first-of-month dates. Only months that have ENDED count: the current month is
not yet unpaid (dues may be paid until its last day). A month with no ledger row (e.g. before
admission, or not yet generated) is neither paid nor unpaid and therefore breaks a run —
the platform never accuses on missing data.
"""

from collections.abc import Iterable
from datetime import date

from tongxin.members.rules.dues import add_months, month_start
from tongxin.members.rules.registry import add_years

LAPSE_MONTHS = 6  # 党章 第九条: 连续六个月
LOST_CONTACT_MONTHS = 6  # 党员教育管理工作条例 第二十四条
LOST_CONTACT_REMOVAL_YEARS = 2  # 同条: 停止党籍2年后

# Kinds, as stored in members.models.LapseFlag.Kind
DUES = "dues"
LIFE = "life"
LOST_6M = "lost_6m"
LOST_2Y = "lost_2y"

# The window the daily scan reads: enough ended months to see one full run plus a margin.
WINDOW_MONTHS = 13


def last_ended_month(today: date) -> date:
    """The most recent month that has ended on `today` (the month before today's)."""
    return add_months(month_start(today), -1)


def window_start(today: date, months: int = WINDOW_MONTHS) -> date:
    """First month of the scan window: `months` ended months up to the last ended month."""
    return add_months(month_start(today), -months)


def consecutive_runs(
    months: Iterable[date], *, today: date, min_length: int = LAPSE_MONTHS
) -> list[list[date]]:
    """Runs of at least `min_length` calendar-consecutive months among `months` that have
    ended by `today`, oldest run first. Duplicates and unsorted input are fine."""
    current = month_start(today)
    ordered = sorted({month_start(m) for m in months if month_start(m) < current})
    runs: list[list[date]] = []
    run: list[date] = []
    for m in ordered:
        if run and add_months(run[-1], 1) == m:
            run.append(m)
        else:
            if len(run) >= min_length:
                runs.append(run)
            run = [m]
    if len(run) >= min_length:
        runs.append(run)
    return runs


def dues_lapse(
    unpaid_months: Iterable[date], *, today: date, admitted_on: date | None = None
) -> list[date] | None:
    """The latest run of ≥ 6 consecutive ended months with dues unpaid, or None (党章 第九条).

    `unpaid_months` are the months whose ledger row has an amount due above zero and is not
    paid; an exempted month (amount due 0) is not unpaid and so breaks a run. Months before
    the month of admission do not exist for the member and are ignored.
    """
    first = month_start(admitted_on) if admitted_on else None
    months = [m for m in unpaid_months if first is None or month_start(m) >= first]
    runs = consecutive_runs(months, today=today)
    return runs[-1] if runs else None


def life_lapse(
    attended_months: Iterable[date], *, first_month: date, today: date
) -> list[date] | None:
    """The latest run of ≥ 6 consecutive ended months without organisational life, or None
    (党章 第九条). `first_month` is the first month that can count (the later of admission
    and the month attendance started being recorded); `attended_months` are the months with
    at least one attendance. Not called until the meetings app records attendance: the
    daily scan then passes, per member, the set of months attended."""
    attended = {month_start(m) for m in attended_months}
    missed = []
    m = month_start(first_month)
    last = last_ended_month(today)
    while m <= last:
        if m not in attended:
            missed.append(m)
        m = add_months(m, 1)
    runs = consecutive_runs(missed, today=today)
    return runs[-1] if runs else None


def add_months_to_date(d: date, n: int) -> date:
    """The same day n months later; the last day of the month when it has fewer days
    (31 August + 6 months = 28 or 29 February)."""
    first = add_months(d.replace(day=1), n)
    following = add_months(first, 1)
    last_day = (following - first).days
    return first.replace(day=min(d.day, last_day))


def lost_contact_kind(since: date | None, *, today: date) -> str | None:
    """LOST_2Y when out of contact two years or more, LOST_6M when six months or more, else
    None (党员教育管理工作条例 第二十四条). Boundaries are inclusive: on the day six months
    after `since` the member has been out of contact for six months."""
    if since is None or since > today:
        return None
    if add_years(since, LOST_CONTACT_REMOVAL_YEARS) <= today:
        return LOST_2Y
    if add_months_to_date(since, LOST_CONTACT_MONTHS) <= today:
        return LOST_6M
    return None


def month_label(m: date) -> str:
    return f"{m:%Y-%m}"


def months_evidence(months: list[date]) -> dict:
    return {"months": [month_label(m) for m in months]}


def since_evidence(since: date) -> dict:
    return {"since": since.isoformat()}


def is_new_evidence(kind: str, evidence: dict, resolved_evidence: dict) -> bool:
    """Whether a condition found again after a person dismissed or decided a flag is news.

    A person's dismissal (e.g. a proper reason, 党章 第九条 "没有正当理由") holds while the
    facts are the same: for dues/life until a further month is missed after the last month
    they saw; for lost contact until the date contact was lost changes."""
    if kind in (DUES, LIFE):
        new, old = evidence.get("months") or [], resolved_evidence.get("months") or []
        return bool(new) and (not old or max(new) > max(old))
    return evidence.get("since") != resolved_evidence.get("since")
