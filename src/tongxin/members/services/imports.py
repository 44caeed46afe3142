"""Excel import of members (issue 3 item 8; ARCHITECTURE.md principle 8).

Two passes over one streamed read:

1. **Validate every row**, in chunks: cell formats, the member rules of
   `rules.registry.member_errors` (ID check digit and birth date, party dates), the dues
   base (`rules.dues.money_error`), duplicate ID numbers within the file (both rows named)
   and against the registry (`Member.id_digest`, one query per chunk), and the branch code
   (known, a branch, inside the importer's scope `scope_paths(user, MEMBER_KEEPERS)`; one
   query per chunk for codes not seen before). Every problem is kept with its Excel row
   number, column header and reason.
2. **Write** only if no row has a problem: one transaction, `bulk_create` of the members
   (the same derived fields as the registry: `id_digest`, `id_tail`, `phone_tail`,
   `search_key`), a "registered" history entry and a dues base row each, and one audit
   entry (rows, file name, job; no personal data).

Small files run in the request; larger ones (`MEMBER_IMPORT_BACKGROUND_ROWS`) are stored in
a private folder and run on the worker (`members.import_tasks`) with a `BackgroundJob`
whose progress the page polls.
"""

import logging
import shutil
import uuid
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import IO

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tongxin.core import audit, jobs
from tongxin.core.crypto import EncryptedTextField, digest
from tongxin.core.models import BackgroundJob
from tongxin.core.pinyin import search_key
from tongxin.core.scoping import scope_paths
from tongxin.members import excel
from tongxin.members.excel import HEADER_OF, ImportRefused
from tongxin.members.models import (
    MEMBER_KEEPERS,
    DuesBase,
    DuesCategory,
    Member,
    Status,
    StatusChange,
)
from tongxin.members.rules.dues import month_start
from tongxin.members.rules.registry import member_errors, phone_tail
from tongxin.members.services.registry import MEMBER_ORG_TYPES, refresh_org_counts
from tongxin.orgs.models import Org

log = logging.getLogger(__name__)

KIND = "member_import"
CHUNK = 1000  # rows validated together (one duplicate query, one org query at most)
QUERY_CHUNK = 500  # values in one IN (...) list (SQLite's parameter limit)
WRITE_CHUNK = 2000  # rows per bulk_create
MAX_ERRORS_KEPT = 2000  # problems kept on the job and shown; all are counted

__all__ = ["ImportRefused", "ImportResult", "RowError", "import_members", "submit_import"]


@dataclass(frozen=True)
class RowError:
    row: int  # Excel row number; the header is row 1; 0 when not about one row
    column: str  # Chinese header, "" when not tied to one column
    message: str

    def as_dict(self) -> dict:
        return {"row": self.row, "column": self.column, "message": self.message}


@dataclass
class ImportResult:
    rows: int = 0
    created: int = 0
    errors: list[RowError] = field(default_factory=list)
    error_count: int = 0
    bad_rows: int = 0
    job: BackgroundJob | None = None

    @property
    def ok(self) -> bool:
        return self.error_count == 0

    def summary(self) -> dict:
        return {
            "rows": self.rows,
            "created": self.created,
            "error_count": self.error_count,
            "bad_rows": self.bad_rows,
        }


# --- validation -------------------------------------------------------------------------------

# the order of a validated row kept for writing (compact tuples, not model instances)
_KEEP = (
    "name",
    "gender",
    "ethnicity",
    "birth_date",
    "id_number",
    "phone",
    "education",
    "occupation",
    "is_high_knowledge",
    "is_migrant_worker",
    "is_soe",
    "is_two_new",
    "work_unit",
    "address",
    "org",  # the org id
    "category",
    "applied_on",
    "admitted_on",
    "full_on",
    "introducers",
    "post",
    "dues_category",
    "dues_base",
    "_digest",
)


def _chunks(iterable: Iterable, size: int) -> Iterator[list]:
    batch: list = []
    for item in iterable:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


class _Validator:
    def __init__(self, actor, *, today: date, columns: dict[str, int]):
        self.actor = actor
        self.today = today
        self.columns = columns
        self.scope = scope_paths(actor, MEMBER_KEEPERS)
        # code -> (id, path, type, active, name)
        self.orgs: dict[str, tuple[int, str, str, bool, str] | None] = {}
        self.seen: dict[str, int] = {}  # ID digest -> first row number
        self.rows: list[tuple] = []  # valid rows, kept while the file has no problem
        self.errors: list[RowError] = []
        self.error_count = 0
        self.bad_rows: set[int] = set()
        self.count = 0
        self.parse_row = excel.row_parser(columns)

    def add(self, row: int, name: str, message) -> None:
        self.error_count += 1
        self.bad_rows.add(row)
        if len(self.errors) < MAX_ERRORS_KEPT:
            self.errors.append(RowError(row, HEADER_OF.get(name, ""), str(message)))
        if self.rows:
            self.rows = []  # nothing will be written: free the memory

    def check(self, batch: list[tuple[int, list]]) -> None:
        parsed = []
        for number, values in batch:
            data, problems = self.parse_row(values)
            self.count += 1
            for name, message in problems:
                self.add(number, name, message)
            self._rules(number, data, problems)
            parsed.append((number, data, problems))
        self._check_orgs(parsed)
        self._check_duplicates(parsed)
        if self.error_count == 0:
            for _number, data, _problems in parsed:
                self.rows.append(tuple(data[name] for name in _KEEP))

    def _rules(self, number: int, data: dict, problems: list) -> None:
        failed = {name for name, _message in problems}
        errors = member_errors(
            id_number=data.get("id_number") or "",
            birth_date=data.get("birth_date"),
            category=data.get("category") or "",
            applied_on=data.get("applied_on"),
            admitted_on=data.get("admitted_on"),
            full_on=data.get("full_on"),
            today=self.today,
        )
        for name, messages in errors.items():
            if name in failed or (name == "id_number" and "id_number" in failed):
                continue
            for message in messages:
                self.add(number, name, message)
        if errors.get("id_number") or "id_number" in failed:
            data["_digest"] = None
        else:
            data["_digest"] = digest(data["id_number"])
        dues_category = data.get("dues_category") or DuesCategory.SALARIED
        data["dues_category"] = dues_category
        if data.get("dues_base") is None and "dues_base" not in failed:
            if dues_category in excel.BASE_REQUIRED:
                self.add(number, "dues_base", _("the base is required for this dues category"))
            data["dues_base"] = Decimal("0.00")
        if not data.get("ethnicity"):
            data["ethnicity"] = "汉族"

    def _check_orgs(self, parsed: list) -> None:
        wanted = {d["org"] for _n, d, _p in parsed if d.get("org") and d["org"] not in self.orgs}
        for codes in _chunks(sorted(wanted), QUERY_CHUNK):
            found = {
                row[0]: row[1:]
                for row in Org.objects.filter(code__in=codes).values_list(
                    "code", "id", "path", "type", "active", "name"
                )
            }
            for code in codes:
                self.orgs[code] = found.get(code)
        for number, data, _problems in parsed:
            code = data.get("org")
            if not code:
                continue
            org = self.orgs.get(code)
            if org is None:
                self.add(number, "org", _("no organisation with code %(code)s") % {"code": code})
                continue
            _pk, path, kind, active, _name = org
            if not any(path.startswith(p) for p in self.scope):
                self.add(
                    number,
                    "org",
                    _("the organisation %(code)s is outside the part you manage") % {"code": code},
                )
            elif kind not in MEMBER_ORG_TYPES:
                self.add(
                    number,
                    "org",
                    _("members belong to a branch, joint branch, general branch or committee"),
                )
            elif not active:
                self.add(number, "org", _("this organisation is no longer active"))
            data["org"] = code

    def _check_duplicates(self, parsed: list) -> None:
        fresh = []
        for number, data, _problems in parsed:
            key = data.get("_digest")
            if key is None:
                continue
            first = self.seen.get(key)
            if first is not None:
                self.add(
                    number,
                    "id_number",
                    _("the same ID number is already in row %(row)d") % {"row": first},
                )
                self.add(
                    first,
                    "id_number",
                    _("the same ID number is also in row %(row)d") % {"row": number},
                )
                continue
            self.seen[key] = number
            fresh.append((number, key))
        existing: set[str] = set()
        for part in _chunks([key for _n, key in fresh], QUERY_CHUNK):
            existing.update(
                Member.objects.filter(id_digest__in=part).values_list("id_digest", flat=True)
            )
        for number, key in fresh:
            if key in existing:
                self.add(
                    number,
                    "id_number",
                    _("a member with this ID number is already in the registry"),
                )


# --- writing ----------------------------------------------------------------------------------


def _derived(data: dict, keys: dict) -> dict:
    """The fields the registry service derives (`services.registry._derive`), plus the
    member's columns as read."""
    data["id_digest"] = data.pop("_digest")
    data["id_tail"] = data["id_number"][-4:]
    data["phone_tail"] = phone_tail(data["phone"])
    name = data["name"]
    key = keys.get(name)
    if key is None:
        key = keys[name] = search_key(name)[:400]  # names repeat; pinyin is the slow part
    data["search_key"] = key
    data["status"] = Status.NORMAL.value
    return data


def _member_dicts(rows: list[tuple], orgs: dict, keys: dict) -> list[dict]:
    out = []
    for values in rows:
        data = dict(zip(_KEEP, values, strict=True))
        data["org_id"] = orgs[data.pop("org")][0]
        out.append(_derived(data, keys))
    return out


class _Writer:
    """Inserts members, their history entries and dues bases in bulk.

    On PostgreSQL through COPY with ids taken from the sequences first (the rows need no
    RETURNING); elsewhere through `bulk_create`. Both give each field its model default
    and pass the encrypted fields through their `get_prep_value` (core.crypto)."""

    def __init__(self):
        self.copy = connection.vendor == "postgresql"
        self.now = timezone.now()

    def _ids(self, model, count: int) -> list[int]:
        table = model._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [table, count],
            )
            return [row[0] for row in cursor.fetchall()]

    def insert(self, model, rows: list[dict]) -> list[int]:
        """Insert `rows` ({field attname: value}); returns their ids in order."""
        if not rows:
            return []
        if not self.copy:
            objs = model.objects.bulk_create([model(**row) for row in rows], batch_size=500)
            return [obj.pk for obj in objs]
        fields = list(model._meta.concrete_fields)
        ids = self._ids(model, len(rows))
        plan = []
        for f in fields:
            if f.primary_key:
                plan.append((f, None, None))
            elif getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                plan.append((f, "now", None))
            else:
                prep = f.get_prep_value if isinstance(f, EncryptedTextField) else None
                plan.append((f, prep, f.get_default()))
        columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
        sql = f"COPY {connection.ops.quote_name(model._meta.db_table)} ({columns}) FROM STDIN"
        now = self.now
        plain = [(i, f.attname, d) for i, (f, p, d) in enumerate(plan) if p is None]
        prepped = [(i, f.attname, d, p) for i, (f, p, d) in enumerate(plan) if callable(p)]
        first = [now if p == "now" else None for _f, p, _d in plan]
        key = next(i for i, (f, _p, _d) in enumerate(plan) if f.primary_key)
        # raw psycopg COPY: its errors are turned into django.db ones (IntegrityError...)
        with (
            connection.wrap_database_errors,
            connection.cursor() as cursor,
            cursor.cursor.copy(sql) as copy,
        ):
            for pk, row in zip(ids, rows, strict=True):
                values = first.copy()
                get = row.get
                for i, name, default in plain:
                    values[i] = get(name, default)
                for i, name, default, prep in prepped:
                    values[i] = prep(get(name, default))
                values[key] = pk
                copy.write_row(values)
        return ids


def _write(
    actor, rows: list[tuple], orgs: dict, *, filename: str, job, today: date, progress
) -> int:
    """One transaction: members, their "registered" history and dues base, org counts and
    one audit entry — as `services.registry.create_member` writes them, in bulk."""
    keys: dict[str, str] = {}
    by_id = {row[0]: (code, row[4]) for code, row in orgs.items() if row}
    written = 0
    actor_id = actor.pk if getattr(actor, "is_authenticated", False) else None
    org_ids: set[int] = set()
    writer = _Writer()
    chunks = list(_chunks(rows, WRITE_CHUNK))
    # The next chunk's rows (pinyin keys: pure Python, no database) are prepared on a
    # second thread while this one waits for the database to take the current chunk.
    with transaction.atomic(), ThreadPoolExecutor(max_workers=1) as pool:
        pending = pool.submit(_member_dicts, chunks[0], orgs, keys) if chunks else None
        for index in range(len(chunks)):
            members = pending.result()
            if index + 1 < len(chunks):
                pending = pool.submit(_member_dicts, chunks[index + 1], orgs, keys)
            ids = writer.insert(Member, members)
            writer.insert(
                StatusChange,
                [
                    {
                        "member_id": pk,
                        "kind": StatusChange.Kind.REGISTERED.value,
                        "effective_on": today,
                        "to_value": by_id[m["org_id"]][0][:40],
                        "note": by_id[m["org_id"]][1],
                        "actor_id": actor_id,
                    }
                    for pk, m in zip(ids, members, strict=True)
                ],
            )
            writer.insert(
                DuesBase,
                [
                    {
                        "member_id": pk,
                        "from_month": month_start(m["admitted_on"] or today),
                        "category": m["dues_category"],
                        "base": m["dues_base"],
                    }
                    for pk, m in zip(ids, members, strict=True)
                ],
            )
            org_ids.update(m["org_id"] for m in members)
            written += len(members)
            progress.update(written, phase="writing")
        refresh_org_counts(org_ids)
        audit.record(
            actor=actor,
            action="import",
            object_type="members.member",
            object_id=str(job.pk) if job is not None else "",
            object_repr=filename[:200],
            changes={
                "rows": [None, written],
                "file": [None, filename[:200]],
                "job": [None, job.pk if job is not None else None],
            },
        )
    return written


# --- entry points -----------------------------------------------------------------------------


def _limits() -> tuple[int, int]:
    conf = settings.TONGXIN
    return conf["MEMBER_IMPORT_MAX_ROWS"], conf["MEMBER_IMPORT_MAX_BYTES"]


def import_members(
    *,
    actor,
    fileobj: IO[bytes],
    filename: str = "",
    today: date | None = None,
    job: BackgroundJob | None = None,
) -> ImportResult:
    """Validate every row of an .xlsx and, if none has a problem, register all its members.
    All rows or none. Raises ImportRefused for a file that cannot be read as a whole."""
    today = today or timezone.localdate()
    max_rows, max_bytes = _limits()
    sheet = excel.open_sheet(fileobj, max_bytes=max_bytes)
    progress = jobs.Progress(job)
    try:
        total = excel.count_rows(sheet)
        if total > max_rows:
            raise ImportRefused(_("The file has more than %(max)d data rows.") % {"max": max_rows})
        progress.update(0, total=total, phase="validating", force=True)
        validator = _Validator(actor, today=today, columns=sheet.columns)
        rows = (
            (number, values)
            for number, values in sheet.rows()
            if not all(excel.blank(v) for v in values)
        )
        for batch in _chunks(rows, CHUNK):
            if validator.count + len(batch) > max_rows:
                raise ImportRefused(
                    _("The file has more than %(max)d data rows.") % {"max": max_rows}
                )
            validator.check(batch)
            progress.update(validator.count, total=max(total, validator.count))
    finally:
        sheet.close()
    if validator.count == 0:
        progress.close()
        raise ImportRefused(_("The file has no data rows."))
    result = ImportResult(
        rows=validator.count,
        errors=sorted(validator.errors, key=lambda e: e.row),
        error_count=validator.error_count,
        bad_rows=len(validator.bad_rows),
        job=job,
    )
    if not result.ok:
        progress.close()
        return result
    rows = validator.rows
    validator.rows = []
    progress.update(0, total=len(rows), phase="writing", force=True)
    try:
        result.created = _write(
            actor,
            rows,
            validator.orgs,
            filename=filename,
            job=job,
            today=today,
            progress=progress,
        )
    except IntegrityError:
        log.info("member import conflicted with a concurrent write", exc_info=True)
        result.errors = [
            RowError(
                0,
                "",
                _(
                    "A member with one of these ID numbers was registered meanwhile; nothing "
                    "was imported. Upload the file again."
                ),
            )
        ]
        result.error_count = 1
    finally:
        progress.close()
    return result


def _store(upload) -> str:
    """Copy the upload into the private job folder; returns its path under DATA_DIR."""
    name = f"{uuid.uuid4().hex}.xlsx"
    target = jobs.job_dir() / name
    upload.seek(0)
    with open(target, "wb") as out:
        if hasattr(upload, "chunks"):
            for part in upload.chunks():
                out.write(part)
        else:
            shutil.copyfileobj(upload, out)
    target.chmod(0o600)
    return str(Path(jobs.JOB_FILES) / name)


def _finish(job: BackgroundJob, result: ImportResult) -> None:
    if result.ok:
        jobs.succeed(job, result=result.summary())
    else:
        jobs.fail(job, errors=[e.as_dict() for e in result.errors], result=result.summary())


def submit_import(*, actor, upload, filename: str = "", today: date | None = None):
    """Import an uploaded sheet: in the request when it is small (returns the finished
    ImportResult, whose `job` records it), else on the worker (returns the queued job).
    Raises ImportRefused for a file that cannot be read as a whole."""
    from tongxin.members.import_tasks import run_member_import

    if not scope_paths(actor, MEMBER_KEEPERS):
        from tongxin.core.errors import PermissionDenied

        raise PermissionDenied
    max_rows, max_bytes = _limits()
    sheet = excel.open_sheet(upload, max_bytes=max_bytes)
    try:
        rows = excel.count_rows(sheet)
    finally:
        sheet.close()
    if rows > max_rows:
        raise ImportRefused(_("The file has more than %(max)d data rows.") % {"max": max_rows})
    if rows > settings.TONGXIN["MEMBER_IMPORT_BACKGROUND_ROWS"]:
        path = _store(upload)
        job = jobs.create(kind=KIND, user=actor, total=rows, file_name=filename, file_path=path)
        try:
            queued = run_member_import.enqueue(job_id=job.pk)
        except Exception:
            jobs.fail(job, result={"refusal": _("The import could not be queued.")})
            raise
        job.task_id = str(queued.id)[:64]
        job.save(update_fields=["task_id", "updated_at"])
        return job
    job = jobs.create(kind=KIND, user=actor, total=rows, file_name=filename)
    jobs.start(job, phase="validating")
    try:
        result = import_members(
            actor=actor, fileobj=upload, filename=filename, today=today, job=job
        )
    except ImportRefused as exc:
        jobs.fail(job, result={"refusal": exc.message})
        raise
    _finish(job, result)
    return result


def run_job(job_id: int, *, today: date | None = None) -> dict:
    """The worker's side of a background import (called by the task)."""
    job = BackgroundJob.objects.select_related("created_by").filter(pk=job_id, kind=KIND).first()
    if job is None or job.state != BackgroundJob.State.QUEUED:
        return {"skipped": True}
    jobs.start(job, phase="validating")
    path = Path(settings.DATA_DIR) / job.file_path
    try:
        with open(path, "rb") as handle:
            result = import_members(
                actor=job.created_by, fileobj=handle, filename=job.file_name, today=today, job=job
            )
    except ImportRefused as exc:
        jobs.fail(job, result={"refusal": exc.message})
        return job.result
    except FileNotFoundError:
        jobs.fail(job, result={"refusal": _("The uploaded file is no longer there.")})
        return job.result
    except Exception:
        jobs.fail(job, result={"refusal": _("The import stopped because of an internal error.")})
        raise
    _finish(job, result)
    return result.summary()


def job_result_errors(job: BackgroundJob) -> list[RowError]:
    return [RowError(e["row"], e["column"], e["message"]) for e in job.errors or []]
