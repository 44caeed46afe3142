"""Every read of floating members (§4.5): the branch sees its members who are away; the host
organisation sees the members it hosts even though their branch lies outside its scope
(`FloatingRecord.objects.visible_to` looks at `member__org__path` and `host_org__path`)."""

from datetime import date

from django.db.models import Q
from django.shortcuts import get_object_or_404
from django.utils import timezone

from tongxin.core.scoping import path_q, scope_paths
from tongxin.members.models import MEMBER_KEEPERS, Category, FloatingRecord, Member, Status
from tongxin.members.rules import transfers as rules
from tongxin.orgs.selectors import (
    MAX_PAGE_SIZE,
    PAGE_SIZE,
    page_by_id,
)

TABS = ("away", "hosted")
LOOKUPS = {"away": "member__org__path", "hosted": "host_org__path"}


def _tab_q(user, tab: str) -> Q:
    lookup = LOOKUPS[tab]
    paths = scope_paths(user, MEMBER_KEEPERS)
    if any(p.count("/") == 1 for p in paths):  # the whole district
        return Q(**{f"{lookup}__isnull": False})
    return path_q(paths, (lookup,))


def floating_list(
    user,
    *,
    tab: str = "away",
    include_returned: bool = False,
    after: str | None = None,
    limit: int = PAGE_SIZE,
    today: date | None = None,
):
    """A page of floating records of one tab, newest first: (items, next_cursor). Each item
    carries `advisory` (away six months or more: transfer, §4.4)."""
    tab = tab if tab in TABS else "away"
    today = today or timezone.localdate()
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    qs = (
        FloatingRecord.objects.visible_to(user, MEMBER_KEEPERS)
        .filter(_tab_q(user, tab))
        .select_related("member", "member__org", "host_org")
        .order_by("-id")
    )
    if not include_returned:
        qs = qs.filter(returned_on__isnull=True)
    items, next_cursor = page_by_id(qs, after, limit, descending=True)
    for record in items:
        record.advisory = advisory_for(record, today=today)
    return items, next_cursor


def floating_detail(user, pk, *, today: date | None = None) -> FloatingRecord:
    qs = FloatingRecord.objects.visible_to(user, MEMBER_KEEPERS).select_related(
        "member", "member__org", "host_org"
    )
    record = get_object_or_404(qs, pk=pk)
    record.advisory = advisory_for(record, today=today)
    return record


def advisory_for(record: FloatingRecord, *, today: date | None = None):
    return rules.floating_advisory(
        left_on=record.left_on,
        returned_on=record.returned_on,
        today=today or timezone.localdate(),
    )


def attendance_of(record: FloatingRecord, *, limit: int = 200) -> list:
    return list(record.attendance.select_related("recorded_by").order_by("-attended_on")[:limit])


def voters_of(org, on_date: date):
    """The branch roster entitled to vote on `on_date` (《基层组织选举工作条例》2020; §3.6):
    full members in good standing of that branch, full on or before the date.

    Probationary members and members whose standing is not normal are excluded. Members under
    留党察看 (probation within the party) on that date — party_probation_from <= date <=
    party_probation_until, or no end recorded — are excluded too (党章 第四十条: no right to
    vote while it lasts). Floating members hosted by `org` never count: they are members of
    their home branch, not of the host (§4.5).
    """
    return (
        Member.objects.filter(
            org=org, category=Category.FULL, status=Status.NORMAL, admitted_on__lte=on_date
        )
        .filter(Q(full_on__isnull=True) | Q(full_on__lte=on_date))
        .filter(
            Q(party_probation_from__isnull=True)
            | Q(party_probation_from__gt=on_date)
            | Q(party_probation_until__lt=on_date)
        )
        .order_by("id")
    )
