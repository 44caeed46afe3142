"""Reads of member imports: a user's recent import jobs and one job (404 unless visible)."""

from django.http import Http404

from tongxin.core.jobs import visible_jobs
from tongxin.core.models import BackgroundJob
from tongxin.members.services.imports import KIND

RECENT_JOBS = 10


def recent_jobs(user, *, limit: int = RECENT_JOBS) -> list[BackgroundJob]:
    """The imports this user started, newest first."""
    return list(visible_jobs(user, KIND).filter(created_by=user).order_by("-id")[:limit])


def job_detail(user, job_id: int) -> BackgroundJob:
    """One import job of the user (a district admin sees every one); else 404."""
    job = visible_jobs(user, KIND).filter(pk=job_id).first()
    if job is None:
        raise Http404
    return job
