"""/api/v1/member-imports: upload a member sheet, follow its job."""

from datetime import datetime

from ninja import File, Router, Schema, Status
from ninja.files import UploadedFile

from tongxin.core.models import BackgroundJob
from tongxin.members.selectors import imports as selectors
from tongxin.members.services import imports as services

router = Router(tags=["members"])


class RowErrorOut(Schema):
    row: int
    column: str
    field: str
    message: str


class JobOut(Schema):
    id: int
    state: str
    phase: str
    total: int
    done: int
    percent: int
    file_name: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    result: dict
    errors: list[RowErrorOut]


class ErrorsOut(Schema):
    detail: list[RowErrorOut]
    error_count: int
    job_id: int | None


def _job_out(job: BackgroundJob) -> dict:
    return {
        "id": job.pk,
        "state": job.state,
        "phase": job.phase,
        "total": job.total,
        "done": job.done,
        "percent": job.percent,
        "file_name": job.file_name,
        "created_at": job.created_at,
        "started_at": job.started_at,
        "finished_at": job.finished_at,
        "result": job.result,
        "errors": [{**e, "field": e.get("column", "")} for e in (job.errors or [])],
    }


@router.post("", response={201: JobOut, 400: ErrorsOut})
def create_import(request, file: UploadedFile = File(...)):  # noqa: B008 (ninja's idiom)
    """Import an .xlsx of members (the template's columns). A small file is imported at
    once: 201 with the finished job, or 400 with every bad row (nothing written). A large
    file is queued: 201 with the job; follow it with GET /member-imports/{id}."""
    try:
        outcome = services.submit_import(actor=request.user, upload=file, filename=file.name or "")
    except services.ImportRefused as exc:
        detail = [{"row": 0, "column": "", "field": "file", "message": exc.message}]
        return Status(400, {"detail": detail, "error_count": 1, "job_id": None})
    if isinstance(outcome, BackgroundJob):
        return Status(201, _job_out(outcome))
    if not outcome.ok:
        detail = [{**e.as_dict(), "field": e.column} for e in outcome.errors]
        return Status(
            400,
            {
                "detail": detail,
                "error_count": outcome.error_count,
                "job_id": outcome.job.pk if outcome.job else None,
            },
        )
    outcome.job.refresh_from_db()
    return Status(201, _job_out(outcome.job))


@router.get("/{int:job_id}", response=JobOut)
def get_import(request, job_id: int):
    """Progress and outcome of an import job (only its owner, and district admins)."""
    return _job_out(selectors.job_detail(request.user, job_id))
