"""Who sees what of a meeting's attendance (one rule for the page, the PDF and the API).

Those who may manage the meeting (keepers of its branch) or review it (keepers strictly
above) see the whole roster with every member's status and reason for leave. A member on
the roster who is neither sees the meeting, the counts and their OWN attendance only: the
others' statuses and reasons for leave are personal.
"""

from __future__ import annotations

from tongxin.meetings import access
from tongxin.meetings.models import Meeting


def may_see_roster(user, meeting: Meeting) -> bool:
    """The user sees every member's attendance status and reason for leave."""
    return access.may_manage(user, meeting) or access.may_review(user, meeting)


def visible_rows(user, meeting: Meeting, rows, *, see_roster: bool | None = None) -> list:
    """The attendance rows `user` may see out of `rows`: all of them, or their own.
    `see_roster`: may_see_roster's answer when the caller already has it."""
    rows = list(rows)
    if see_roster is None:
        see_roster = may_see_roster(user, meeting)
    if see_roster:
        return rows
    member = access.member_of(user)
    if member is None:
        return []
    return [r for r in rows if r.member_id == member.pk]
