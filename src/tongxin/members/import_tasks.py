"""Worker task of the member Excel import (run by `tongxin db_worker`)."""

from django_tasks import task


@task()
def run_member_import(job_id: int) -> dict:
    """Validate and write one stored upload; progress and outcome go to its BackgroundJob."""
    from tongxin.members.services.imports import run_job

    return run_job(job_id)
