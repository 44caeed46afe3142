"""Context processor: `calendar_missing_years` — the years in use (this year and the next)
whose official calendar is not loaded, for district administrators only, so every page
can warn them (partials/calendar_warning.html) until the year is loaded (DOMAIN.md §8.4).

Cheap: nothing for anyone else; for an administrator, one small query, run only if a
template actually looks at the value, and nothing cached across requests (an import is
seen on the next page)."""

from django.utils.functional import SimpleLazyObject

from tongxin.core import calendar
from tongxin.core.scoping import roles_of


def calendar_warning(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or calendar.ADMIN_ROLE not in roles_of(user):
        return {"calendar_missing_years": []}
    return {"calendar_missing_years": SimpleLazyObject(calendar.missing_years_in_use)}
