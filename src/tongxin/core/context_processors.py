"""Template context every page needs from core: the signed-in person's unread notices, and
for district administrators the years in use whose official calendar is not loaded."""

from functools import cached_property

from django.utils.functional import SimpleLazyObject

from tongxin.core import calendar
from tongxin.core.models import Notification
from tongxin.core.scoping import roles_of

# The header shows "99+" from this many on: the count reads at most this many index entries.
UNREAD_CAP = 100


class UnreadNotices:
    """The bell's count, queried once and only when a template reads it (one bounded COUNT
    on the (recipient, read_at) index); prints as "3" or "99+"."""

    def __init__(self, user):
        self.user = user

    @cached_property
    def count(self) -> int:
        if self.user is None or not self.user.is_authenticated:
            return 0
        return (
            Notification.objects.filter(recipient=self.user, read_at__isnull=True)
            .order_by()[:UNREAD_CAP]
            .count()
        )

    def __bool__(self) -> bool:
        return self.count > 0

    def __int__(self) -> int:
        return self.count

    def __str__(self) -> str:
        return f"{UNREAD_CAP - 1}+" if self.count >= UNREAD_CAP else str(self.count)


def notifications(request):
    return {"unread_notices": UnreadNotices(getattr(request, "user", None))}


def calendar_warning(request):
    """`calendar_missing_years`: this year and the next when not loaded, for district
    administrators only, so every page warns them (partials/calendar_warning.html) until the
    year is loaded (DOMAIN.md §8.4). One small query, only if a template reads it; nothing
    cached across requests (an import is seen on the next page)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or calendar.ADMIN_ROLE not in roles_of(user):
        return {"calendar_missing_years": []}
    return {"calendar_missing_years": SimpleLazyObject(calendar.missing_years_in_use)}
