"""Background work of the members app (django-tasks; run by `tongxin db_worker`).

`daily_member_checks` is what cron enqueues each morning (see `tongxin run_daily_checks`):
lapse and lost-contact detection for the whole district, expiry of transfer letters past
their validity (DOMAIN.md §4.2–4.4), background jobs a dead worker left "running", and
the admission files' deadlines (development.tasks, DOMAIN.md §6), and organisational life:
compliance, term reminders and the running year's ratings (meetings.tasks, DOMAIN.md §7).
`lapse_check` is the on-demand check of one subtree, queued from the lapse page.
"""

from django.contrib.auth import get_user_model
from django.utils import timezone
from django_tasks import task

from tongxin.core import jobs
from tongxin.members.services import lapse, transfers


def run_daily_member_checks(today=None) -> dict:
    """The daily checks, synchronously. Returns JSON-able counts."""
    today = today or timezone.localdate()
    result: dict = {"lapse": lapse.run_detection(today=today)}
    result["expired_letters"] = transfers.expire_letters(today=today)
    result["stale_jobs_failed"] = jobs.fail_stale()
    from tongxin.development.tasks import run_daily_admission_checks

    result["admissions"] = run_daily_admission_checks(today=today)
    from tongxin.meetings.tasks import run_daily_meeting_checks

    result["meetings"] = run_daily_meeting_checks(today=today)
    return result


@task()
def daily_member_checks() -> dict:
    return run_daily_member_checks()


@task()
def lapse_check(org_id: int | None = None, actor_id: int | None = None) -> dict:
    """Lapse detection of one subtree for a person who pressed "run the check now"."""
    from tongxin.orgs.models import Org

    org = Org.objects.get(pk=org_id) if org_id else None
    actor = get_user_model().objects.get(pk=actor_id) if actor_id else None
    return lapse.run_detection(org=org, actor=actor)
