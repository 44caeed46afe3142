"""Background member imports: a large upload becomes a job run by the real django_tasks_db
worker; progress reaches the total; the job page polls; only its owner (and district
admins) see it; the API creates and reports jobs."""

import io
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from tests.members.test_import_excel import bad_rows, row, xlsx
from tongxin.accounts.services import issue_api_token
from tongxin.core import jobs
from tongxin.core.models import AuditEntry, BackgroundJob
from tongxin.members.models import Member

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture
def background(settings, tmp_path):
    """Files of more than 3 rows go to the worker; uploads are stored under tmp_path."""
    settings.DATA_DIR = tmp_path
    settings.TONGXIN = {**settings.TONGXIN, "MEMBER_IMPORT_BACKGROUND_ROWS": 3}
    return tmp_path


def work_off_queue():
    """Run every queued task once through the django_tasks_db worker, then return."""
    call_command("db_worker", batch=True, startup_delay=False, reload=False, verbosity=0)


def upload(client, data: bytes, name="大文件.xlsx"):
    return client.post(reverse("members:import"), {"file": SimpleUploadedFile(name, data)}, **EN)


@pytest.mark.django_db(transaction=True)
def test_a_large_file_runs_on_the_worker_with_progress(client, district, background):
    client.force_login(district.community_admin)
    response = upload(client, xlsx([row(n) for n in range(6)]))
    job = BackgroundJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("members:import_job", args=[job.pk])
    assert job.state == "queued" and job.total == 6 and job.done == 0
    assert job.created_by == district.community_admin and job.kind == "member_import"
    stored = Path(background) / job.file_path
    assert stored.exists() and "private" in job.file_path
    assert Member.objects.count() == 0
    assert DBTaskResult.objects.filter(status="READY").count() == 1

    page = client.get(reverse("members:import_job", args=[job.pk]), **EN)
    assert page.status_code == 200
    body = page.content.decode()
    assert 'hx-trigger="every 1s"' in body and 'id="job-progress"' in body

    work_off_queue()

    job.refresh_from_db()
    assert job.state == "succeeded", (job.result, job.errors)
    assert job.done == job.total == 6 and job.percent == 100
    assert job.result["created"] == 6 and job.started_at and job.finished_at
    assert Member.objects.count() == 6
    assert DBTaskResult.objects.get().status == "SUCCESSFUL"
    assert not stored.exists()  # personal data is not kept after the job
    entry = AuditEntry.objects.get(action="import")
    assert entry.object_id == str(job.pk) and entry.changes["job"] == [None, job.pk]

    partial = client.get(reverse("members:import_job", args=[job.pk]), HTTP_HX_REQUEST="true")
    text = partial.content.decode()
    assert "<html" not in text and "hx-trigger" not in text  # finished: polling stops
    assert 'value="6"' in text
    listing = client.get(reverse("members:import"), **EN).content.decode()
    assert reverse("members:import_job", args=[job.pk]) in listing


@pytest.mark.django_db(transaction=True)
def test_a_large_file_with_bad_rows_fails_whole(client, district, background):
    rows, _good, _existing = bad_rows(district)
    before = Member.objects.count()
    client.force_login(district.community_admin)
    upload(client, xlsx(rows))
    work_off_queue()
    job = BackgroundJob.objects.get()
    assert job.state == "failed"
    assert {(e["row"], e["column"]) for e in job.errors} >= {(3, "公民身份号码"), (11, "党费基数")}
    assert job.result["bad_rows"] == 9 and job.result["created"] == 0
    assert Member.objects.count() == before
    body = client.get(reverse("members:import_job", args=[job.pk]), **EN).content.decode()
    assert 'id="import-errors"' in body and "9 rows have problems" in body


@pytest.mark.django_db(transaction=True)
def test_progress_is_recorded_while_the_job_runs(district, background, monkeypatch):
    """Each chunk reports its progress on the job row (throttle off)."""
    from tongxin.members.services import imports

    seen = []
    real = jobs.Progress.update

    def spy(self, done, **kwargs):
        real(self, done, **{**kwargs, "force": True})
        seen.append((self.job.phase, done, self.job.total))

    monkeypatch.setattr(jobs.Progress, "update", spy)
    monkeypatch.setattr(imports, "CHUNK", 2)
    monkeypatch.setattr(imports, "WRITE_CHUNK", 2)
    job = imports.submit_import(
        actor=district.community_admin,
        upload=io.BytesIO(xlsx([row(n) for n in range(5)])),
        filename="five.xlsx",
    )
    work_off_queue()
    job.refresh_from_db()
    validating = [done for phase, done, _total in seen if phase == "validating"]
    writing = [done for phase, done, _total in seen if phase == "writing"]
    assert validating == [0, 2, 4, 5]
    assert writing == [0, 2, 4, 5]
    assert job.state == "succeeded" and job.done == job.total == 5


def test_another_user_cannot_see_the_job(client, district, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    job = jobs.create(kind="member_import", user=district.community_admin, total=10)
    url = reverse("members:import_job", args=[job.pk])
    for user in (district.other_community, district.street_admin, district.secretary):
        client.force_login(user)
        assert client.get(url).status_code == 404
        assert client.post(url).status_code == 404
    client.force_login(district.admin)  # a district admin sees every job
    assert client.get(url).status_code == 200
    client.force_login(district.community_admin)
    assert client.get(url).status_code == 200
    assert client.post(url).status_code == 405


def test_the_job_page_shows_progress(client, district):
    job = jobs.create(kind="member_import", user=district.community_admin, total=200)
    jobs.start(job, phase="validating")
    BackgroundJob.objects.filter(pk=job.pk).update(done=50)
    client.force_login(district.community_admin)
    response = client.get(
        reverse("members:import_job", args=[job.pk]), HTTP_HX_REQUEST="true", **EN
    )
    body = response.content.decode()
    assert 'max="200"' in body and 'value="50"' in body and "25%" in body
    assert 'hx-trigger="every 1s"' in body and "checking rows" in body


def test_a_refused_stored_file_fails_the_job(district, settings, tmp_path):
    from tongxin.members.services import imports

    settings.DATA_DIR = tmp_path
    job = jobs.create(
        kind="member_import", user=district.community_admin, file_path="private/jobs/gone.xlsx"
    )
    imports.run_job(job.pk)
    job.refresh_from_db()
    assert job.state == "failed" and job.result["refusal"]
    assert imports.run_job(job.pk) == {"skipped": True}  # a finished job is not run again


# --- API ------------------------------------------------------------------------------------


def api(client, user):
    token = issue_api_token(user=user)
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def test_api_small_file_is_imported_at_once(client, district):
    headers = api(client, district.community_admin)
    data = SimpleUploadedFile("two.xlsx", xlsx([row(1), row(2)]))
    response = client.post("/api/v1/member-imports", {"file": data}, **headers)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["state"] == "succeeded" and body["result"]["created"] == 2
    assert body["done"] == body["total"] == 2 and body["percent"] == 100
    got = client.get(f"/api/v1/member-imports/{body['id']}", **headers)
    assert got.status_code == 200 and got.json()["id"] == body["id"]
    assert Member.objects.count() == 2


def test_api_bad_rows_are_a_400_with_every_row(client, district):
    rows, _good, _existing = bad_rows(district)
    before = Member.objects.count()
    headers = api(client, district.community_admin)
    data = SimpleUploadedFile("bad.xlsx", xlsx(rows))
    response = client.post("/api/v1/member-imports", {"file": data}, **headers)
    assert response.status_code == 400
    body = response.json()
    assert body["error_count"] == 9, body["detail"]
    assert {(d["row"], d["column"]) for d in body["detail"]} >= {
        (3, "公民身份号码"),
        (8, "所在支部编码"),
        (10, "入党日期"),
    }
    assert all(d["field"] == d["column"] for d in body["detail"])
    assert Member.objects.count() == before


def test_api_refuses_a_file_that_is_not_a_workbook(client, district):
    headers = api(client, district.community_admin)
    data = SimpleUploadedFile("x.xlsx", b"nope")
    response = client.post("/api/v1/member-imports", {"file": data}, **headers)
    assert response.status_code == 400
    assert response.json()["detail"][0]["field"] == "file"


def test_api_large_file_is_queued_and_reported(client, district, background):
    headers = api(client, district.community_admin)
    data = SimpleUploadedFile("big.xlsx", xlsx([row(n) for n in range(5)]))
    response = client.post("/api/v1/member-imports", {"file": data}, **headers)
    assert response.status_code == 201
    body = response.json()
    assert body["state"] == "queued" and body["total"] == 5
    other = api(client, district.other_community)
    assert client.get(f"/api/v1/member-imports/{body['id']}", **other).status_code == 404
    mine = client.get(f"/api/v1/member-imports/{body['id']}", **headers)
    assert mine.status_code == 200 and mine.json()["state"] == "queued"


def test_api_refuses_users_who_keep_no_registry(client, district):
    from tests.factories import make_user

    headers = api(client, make_user("plain"))
    data = SimpleUploadedFile("two.xlsx", xlsx([row(1)]))
    response = client.post("/api/v1/member-imports", {"file": data}, **headers)
    assert response.status_code == 403
    assert Member.objects.count() == 0


def test_a_job_left_running_by_a_dead_worker_is_failed_by_the_daily_check(district):
    from datetime import timedelta

    from django.utils import timezone

    from tongxin.core import jobs
    from tongxin.core.models import BackgroundJob
    from tongxin.members.tasks import run_daily_member_checks

    stale = jobs.create(kind="member_import", user=district.community_admin, total=5000)
    jobs.start(stale)
    fresh = jobs.create(kind="member_import", user=district.community_admin, total=5000)
    jobs.start(fresh)
    # the stale one last moved three hours ago; the fresh one a minute ago
    BackgroundJob.objects.filter(pk=stale.pk).update(updated_at=timezone.now() - timedelta(hours=3))
    BackgroundJob.objects.filter(pk=fresh.pk).update(
        updated_at=timezone.now() - timedelta(minutes=1)
    )
    result = run_daily_member_checks()
    assert result["stale_jobs_failed"] == 1
    stale.refresh_from_db()
    fresh.refresh_from_db()
    assert stale.state == "failed" and stale.result["refusal"]
    assert fresh.state == "running"
