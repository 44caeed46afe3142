"""Background work of the demands module (django-tasks).

The overdue check (issue 6 item 6, services.overdue) runs every few minutes: either as a
long-running process (`tongxin check_overdue --loop 300`, e.g. a systemd service), from
cron (`tongxin check_overdue` every 5 minutes), or enqueued on the worker
(`overdue_check.enqueue()`, `tongxin worker`).
"""

from django_tasks import task

from tongxin.demands.services.overdue import check_overdue


def run_overdue_check(now=None) -> dict:
    """The overdue check, synchronously. Returns JSON-able counts."""
    return check_overdue(now=now)


@task()
def overdue_check() -> dict:
    return run_overdue_check()
