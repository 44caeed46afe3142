"""The sign-in window of a meeting — issue 5 §1.

A member may sign in (code or QR code on their phone) from ``grace_before`` before the
start until ``grace_after`` after the end, both ends INCLUDED: at exactly
``starts_at - grace_before`` and at exactly ``ends_at + grace_after`` the window is open.
The grace periods are configurable; the services read them from settings. Datetimes must
be timezone-aware (UTC in the database, DOMAIN/ARCHITECTURE "time is aware"); naive
datetimes are refused so that a server clock in another zone cannot shift the window.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils.translation import gettext_lazy as _

from .common import RuleError

DEFAULT_GRACE_BEFORE = timedelta(minutes=30)
DEFAULT_GRACE_AFTER = timedelta(minutes=30)

MSG = {
    "naive": _("Sign-in times must include a time zone."),
    "order": _("The meeting ends before it starts."),
    "grace": _("The sign-in grace period cannot be negative."),
}


def signin_window(
    starts_at: datetime,
    ends_at: datetime,
    grace_before: timedelta = DEFAULT_GRACE_BEFORE,
    grace_after: timedelta = DEFAULT_GRACE_AFTER,
) -> tuple[datetime, datetime]:
    """(opens, closes) of the sign-in window, both inclusive."""
    for moment in (starts_at, ends_at):
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise RuleError("signin_naive", MSG["naive"])
    if ends_at < starts_at:
        raise RuleError("signin_order", MSG["order"])
    if grace_before < timedelta(0) or grace_after < timedelta(0):
        raise RuleError("signin_grace", MSG["grace"])
    return starts_at - grace_before, ends_at + grace_after


def signin_open(
    now: datetime,
    starts_at: datetime,
    ends_at: datetime,
    grace_before: timedelta = DEFAULT_GRACE_BEFORE,
    grace_after: timedelta = DEFAULT_GRACE_AFTER,
) -> bool:
    """Whether a sign-in at ``now`` falls in the window (inclusive at both ends)."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise RuleError("signin_naive", MSG["naive"])
    opens, closes = signin_window(starts_at, ends_at, grace_before, grace_after)
    return opens <= now <= closes
