"""Reads for care (关怀帮扶): open cases, elderly members, members 50 years in the party
(光荣在党50年 medal), and the month's political birthdays (admission anniversaries).

Everything goes through `visible_to(user, MEMBER_KEEPERS)`; lists are keyset-paginated.
The date helpers at the top are pure and tested on their own.
"""

import calendar
from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.db.models import Count, Q
from django.db.models.functions import ExtractDay
from django.shortcuts import get_object_or_404
from django.utils import timezone

from tongxin.members.models import MEMBER_KEEPERS, CareCase, CareVisit, Member
from tongxin.members.rules.registry import add_years, age_on
from tongxin.orgs.selectors import (
    MAX_PAGE_SIZE,
    PAGE_SIZE,
    decode_cursor,
    encode_cursor,
    page_by_id,
)

MEDAL_YEARS = 50  # 光荣在党50年纪念章: 党龄达到50周年


# --- pure date helpers ----------------------------------------------------------------------


def age_cutoff(today: date, age: int) -> date:
    """Latest birth date of someone aged `age` or more on `today` (registry.age_on)."""
    return add_years(today, -age)


def anniversary(d: date, year: int) -> date:
    """The anniversary of `d` in `year`; 29 February falls on 28 February in other years."""
    return add_years(d, year - d.year)


def reached_cutoff(today: date, years: int) -> date:
    """Latest admission date whose `years`-th anniversary (by `anniversary`) is on or before
    `today`: a 29 February admission reaches it on 28 February of a common year."""
    cutoff = add_years(today, -years)
    if (
        (today.month, today.day) == (2, 28)
        and not calendar.isleap(today.year)
        and calendar.isleap(cutoff.year)
    ):
        cutoff = cutoff.replace(day=29)
    return cutoff


def elderly_age() -> int:
    return int(settings.TONGXIN.get("ELDERLY_AGE", 80))


# --- cases ----------------------------------------------------------------------------------


def members_for(user):
    return Member.objects.visible_to(user, MEMBER_KEEPERS)


def cases_queryset(user):
    return (
        CareCase.objects.visible_to(user, MEMBER_KEEPERS)
        .select_related("member", "member__org")
        .defer("details")  # never decrypted for a list
    )


def open_cases(user, *, level: str | None = None, after: str | None = None, limit=PAGE_SIZE):
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    qs = cases_queryset(user).filter(closed_on__isnull=True).order_by("-id")
    if level:
        qs = qs.filter(level=level)
    return page_by_id(qs, after, limit, descending=True)


def open_counts_by_level(user) -> dict[str, int]:
    rows = (
        CareCase.objects.visible_to(user, MEMBER_KEEPERS)
        .filter(closed_on__isnull=True)
        .values_list("level")
        .annotate(n=Count("id"))
        .order_by()
    )
    return dict(rows)


def case_detail(user, pk) -> CareCase:
    qs = CareCase.objects.visible_to(user, MEMBER_KEEPERS).select_related("member", "member__org")
    return get_object_or_404(qs, pk=pk)


def case_visits(case: CareCase, limit: int = 100) -> list[CareVisit]:
    return list(case.visits.order_by("-visited_on", "-id")[:limit])


def member_choices(user, q: str, limit: int = 20) -> list[Member]:
    q = (q or "").strip().lower()
    if not q:
        return []
    qs = members_for(user).in_roll().select_related("org")
    return list(qs.filter(Q(search_key__contains=q) | Q(name=q)).order_by("id")[:limit])


def member_for(user, pk) -> Member:
    return get_object_or_404(members_for(user).select_related("org"), pk=pk)


# --- people to care for ---------------------------------------------------------------------


@dataclass
class Row:
    member: Member
    years: int  # age, or years in the party
    on: date | None = None  # the day the age/years are reached or celebrated


def _keyset(qs, field: str, after: str | None, limit: int):
    """Order by (field, id) with a "value|id" cursor."""
    last = decode_cursor(after)
    if last and "|" in last:
        value, _sep, last_id = last.partition("|")
        if last_id.isdigit():
            qs = qs.filter(Q(**{f"{field}__gt": value}) | Q(**{field: value, "id__gt": last_id}))
    items = list(qs.order_by(field, "id")[: limit + 1])
    next_cursor = None
    if len(items) > limit:
        tail = items[limit - 1]
        next_cursor = encode_cursor(f"{getattr(tail, field)}|{tail.id}")
    return items[:limit], next_cursor


def elderly_members(user, *, today: date | None = None, after=None, limit=PAGE_SIZE):
    """Members in the roll aged ELDERLY_AGE (default 80) or more, oldest first."""
    today = today or timezone.localdate()
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    qs = (
        members_for(user)
        .in_roll()
        .filter(birth_date__lte=age_cutoff(today, elderly_age()))
        .select_related("org")
    )
    items, next_cursor = _keyset(qs, "birth_date", after, limit)
    return [Row(m, age_on(m.birth_date, today)) for m in items], next_cursor


def long_standing_members(user, *, today: date | None = None, after=None, limit=PAGE_SIZE):
    """Members in the roll 50 years or more in the party on `today` (光荣在党50年), longest
    first, with the day the 50 years were reached."""
    today = today or timezone.localdate()
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    qs = (
        members_for(user)
        .in_roll()
        .filter(admitted_on__lte=reached_cutoff(today, MEDAL_YEARS))
        .select_related("org")
    )
    items, next_cursor = _keyset(qs, "admitted_on", after, limit)
    rows = []
    for m in items:
        years = today.year - m.admitted_on.year
        if anniversary(m.admitted_on, today.year) > today:
            years -= 1
        rows.append(Row(m, years, add_years(m.admitted_on, MEDAL_YEARS)))
    return rows, next_cursor


def political_birthdays(user, *, year: int, month: int, after=None, limit=PAGE_SIZE):
    """Members in the roll whose admission anniversary falls in `month` of `year` (one year
    or more), by day, with the number of years; 29 February admissions are celebrated on
    28 February in common years."""
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    qs = (
        members_for(user)
        .in_roll()
        .filter(admitted_on__month=month, admitted_on__year__lt=year)
        .annotate(day=ExtractDay("admitted_on"))
        .select_related("org")
    )
    last = decode_cursor(after)
    if last and "|" in last:
        day, _sep, last_id = last.partition("|")
        if day.isdigit() and last_id.isdigit():
            qs = qs.filter(Q(day__gt=int(day)) | Q(day=int(day), id__gt=int(last_id)))
    items = list(qs.order_by("day", "id")[: limit + 1])
    next_cursor = None
    if len(items) > limit:
        next_cursor = encode_cursor(f"{items[limit - 1].day}|{items[limit - 1].id}")
    rows = [
        Row(m, year - m.admitted_on.year, anniversary(m.admitted_on, year)) for m in items[:limit]
    ]
    return rows, next_cursor
