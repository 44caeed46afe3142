"""Background work of the admission pipeline (django-tasks).

`run_daily_admission_checks` is part of the daily checks (`tongxin run_daily_checks`, through
members.tasks.run_daily_member_checks): every open file's standing is refreshed and each
new overdue item (talk, half-year review, approval limit, conversion due — DOMAIN.md §6) is
told once to the branch's secretaries and the approving committee's keepers (core.notify
with a key per file, rule and due date).
"""

from django.utils import timezone
from django_tasks import task

from tongxin.development import services


def run_daily_admission_checks(today=None) -> dict:
    """The daily admission check, synchronously. Returns JSON-able counts."""
    return services.refresh_open_files(today=today or timezone.localdate())


@task()
def daily_admission_checks() -> dict:
    return run_daily_admission_checks()
