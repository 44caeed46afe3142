"""Reads of meetings for pages and the API — always through `access.meetings_visible_to`.

Lists are keyset-paginated on (-starts_at, -id): ``after`` is the last row of the previous
page (a Meeting, or a (starts_at, id) pair); the caller asks for ``limit + 1`` rows' worth
through `meeting_list` and gets ``(rows, next_key)``.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Prefetch, Q
from django.utils import timezone

from tongxin.meetings import access
from tongxin.meetings.models import Attendance, Meeting, State
from tongxin.meetings.rules.periods import Period
from tongxin.members.access import keeper_paths

MAX_LIMIT = 200


def _keyset(qs, after):
    if after is None:
        return qs
    if isinstance(after, Meeting):
        starts_at, pk = after.starts_at, after.pk
    else:
        starts_at, pk = after
    return qs.filter(Q(starts_at__lt=starts_at) | Q(starts_at=starts_at, id__lt=pk))


def meeting_list(
    user,
    *,
    org=None,
    kind=None,
    state=None,
    period: Period | None = None,
    after=None,
    limit: int = 50,
):
    """(rows, next_key): meetings the user sees, newest first; ``org`` narrows to its subtree;
    ``next_key`` is (starts_at, id) of the last row when there are more, else None."""
    limit = max(1, min(int(limit), MAX_LIMIT))
    qs = access.meetings_visible_to(user).select_related("org", "party_group", "host")
    if org is not None:
        qs = qs.filter(org__path__startswith=org.path)
    if kind:
        qs = qs.filter(kind=kind)
    if state:
        qs = qs.filter(state=state)
    if period is not None:
        qs = qs.filter(on__gte=period.start, on__lte=period.end)
    qs = _keyset(qs, after).order_by("-starts_at", "-id")
    rows = list(qs[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    next_key = (rows[-1].starts_at, rows[-1].pk) if more and rows else None
    return rows, next_key


def meeting_detail(user, meeting_id) -> Meeting:
    """The meeting (404 unless visible) with its roster (members), events and attachments."""
    meeting = access.meeting_for(user, meeting_id)
    return (
        Meeting.objects.select_related("org", "party_group", "host", "recorder", "reviewed_by")
        .prefetch_related(
            Prefetch(
                "attendance",
                queryset=Attendance.objects.select_related("member").order_by("member_id"),
            ),
            Prefetch("events", queryset=meeting.events.model.objects.select_related("actor")),
            "attachments",
            "appraisals",
        )
        .get(pk=meeting.pk)
    )


def review_queue(user, *, limit: int = 100):
    """Submitted meetings of branches strictly below an org the user keeps, oldest first."""
    paths = keeper_paths(user)
    if not paths:
        return Meeting.objects.none()
    q = Q(pk__in=[])
    for p in paths:
        q |= Q(org__path__startswith=p) & ~Q(org__path=p)
    return (
        Meeting.objects.filter(q, state=State.SUBMITTED)
        .select_related("org", "org__parent")
        .order_by("submitted_at", "id")[:limit]
    )


def my_meetings(user, *, now: datetime | None = None, recent_days: int = 90, limit: int = 50):
    """The user's own roster entries: {"upcoming": [Attendance], "recent": [Attendance]}
    (upcoming: not ended yet, soonest first; recent: ended within ``recent_days``, newest
    first; cancelled meetings left out). One query: a member's rows in that span are few."""
    if user is None or not getattr(user, "is_authenticated", False):
        return {"upcoming": [], "recent": []}
    now = now or timezone.now()
    rows = list(
        Attendance.objects.filter(
            member__user=user, meeting__ends_at__gte=now - timedelta(days=recent_days)
        )
        .exclude(meeting__state=State.CANCELLED)
        .select_related("meeting", "meeting__org", "member")
        .order_by("meeting__starts_at", "meeting_id")
    )
    upcoming = [a for a in rows if a.meeting.ends_at >= now][:limit]
    recent = [a for a in reversed(rows) if a.meeting.ends_at < now][:limit]
    return {"upcoming": upcoming, "recent": recent}
