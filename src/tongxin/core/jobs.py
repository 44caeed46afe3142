"""Background jobs: creation, visibility and progress of `BackgroundJob` rows.

The work itself runs as a django-tasks task on the worker (`tongxin db_worker`); it calls
`start`, reports with a `Progress` and ends with `succeed` or `fail`. The page polls the
job row, so progress must be committed while the work's own transaction is still open:
`Progress` writes through a second database connection when the caller is inside an atomic
block (PostgreSQL; SQLite allows one writer at a time, so there the bar moves again when
the transaction ends).
"""

import logging
import time
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tongxin.core.models import BackgroundJob
from tongxin.core.scoping import scope_paths

log = logging.getLogger(__name__)

JOB_FILES = "private/jobs"  # under DATA_DIR; never served


def job_dir() -> Path:
    path = Path(settings.DATA_DIR) / JOB_FILES
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def visible_jobs(user, kind: str | None = None):
    """Jobs the user started; a district admin (scope at the district root) sees all."""
    qs = BackgroundJob.objects.all()
    if kind:
        qs = qs.filter(kind=kind)
    if user is None or not user.is_authenticated:
        return qs.none()
    if user.is_superuser or any(
        p.count("/") == 1 for p in scope_paths(user, frozenset({"district_admin"}))
    ):
        return qs
    return qs.filter(created_by=user)


def create(*, kind: str, user, total: int = 0, file_name: str = "", file_path: str = ""):
    return BackgroundJob.objects.create(
        kind=kind,
        created_by=user if getattr(user, "is_authenticated", False) else None,
        total=total,
        file_name=file_name[:200],
        file_path=file_path,
    )


def start(job: BackgroundJob, *, phase: str = "") -> None:
    job.state = BackgroundJob.State.RUNNING
    job.phase = phase
    job.done = 0
    job.started_at = timezone.now()
    job.save(update_fields=["state", "phase", "done", "started_at", "updated_at"])


def _finish(job: BackgroundJob, state: str, *, errors=None, result=None) -> None:
    job.state = state
    job.errors = errors or []
    job.result = result or {}
    job.finished_at = timezone.now()
    if state == BackgroundJob.State.SUCCEEDED:
        job.done = job.total
    job.save(update_fields=["state", "errors", "result", "finished_at", "done", "updated_at"])
    remove_file(job)


def succeed(job: BackgroundJob, *, result: dict) -> None:
    _finish(job, BackgroundJob.State.SUCCEEDED, result=result)


def fail(job: BackgroundJob, *, errors: list | None = None, result: dict | None = None) -> None:
    _finish(job, BackgroundJob.State.FAILED, errors=errors, result=result)


def fail_stale(*, older_than: timedelta = timedelta(hours=2), now=None) -> int:
    """Jobs left "running" by a worker that died (no progress for `older_than`) are marked
    failed, with a refusal the person sees, and their stored files deleted. Run daily."""
    cutoff = (now or timezone.now()) - older_than
    stale = list(
        BackgroundJob.objects.filter(state=BackgroundJob.State.RUNNING, updated_at__lt=cutoff)
    )
    for job in stale:
        fail(
            job,
            result={
                "refusal": _(
                    "The job stopped without finishing (the background worker was interrupted). "
                    "Nothing was saved; please upload the file again."
                )
            },
        )
    return len(stale)


def remove_file(job: BackgroundJob) -> None:
    """The stored upload is personal data: deleted as soon as the job ends."""
    if not job.file_path:
        return
    try:
        (Path(settings.DATA_DIR) / job.file_path).unlink(missing_ok=True)
    except OSError:
        log.warning("could not delete the file of job %s", job.pk, exc_info=True)


class Progress:
    """Throttled progress updates of one job (at most one write per `interval` seconds)."""

    def __init__(self, job: BackgroundJob | None, *, interval: float = 0.5):
        self.job = job
        self.interval = interval
        self._last = 0.0
        self._side = None

    def update(
        self, done: int, *, total: int | None = None, phase: str | None = None, force: bool = False
    ) -> None:
        job = self.job
        if job is None:
            return
        job.done = done
        if total is not None:
            job.total = total
        if phase is not None:
            job.phase = phase
        now = time.monotonic()
        if not force and now - self._last < self.interval:
            return
        self._last = now
        try:
            self._write(job)
        except Exception:  # progress is a courtesy; it never breaks the work
            log.warning("progress of job %s not recorded", job.pk, exc_info=True)

    def _write(self, job: BackgroundJob) -> None:
        values = [job.done, job.total, job.phase, timezone.now(), job.pk]
        sql = (
            f"UPDATE {BackgroundJob._meta.db_table} "  # noqa: S608 (table name, not input)
            "SET done = %s, total = %s, phase = %s, updated_at = %s WHERE id = %s"
        )
        if not transaction.get_connection().in_atomic_block:
            BackgroundJob.objects.filter(pk=job.pk).update(
                done=job.done, total=job.total, phase=job.phase, updated_at=timezone.now()
            )
            return
        if connection.vendor == "sqlite":
            return  # one writer at a time: the open transaction holds the lock
        if self._side is None:
            self._side = connections.create_connection(DEFAULT_DB_ALIAS)
        with self._side.cursor() as cursor:
            cursor.execute(sql, values)

    def close(self) -> None:
        if self._side is not None:
            self._side.close()
            self._side = None
