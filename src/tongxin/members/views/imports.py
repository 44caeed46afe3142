"""Excel import of members: the page, the template, the upload and a job's progress.

Thin views over `members.services.imports`; only member keepers (MEMBER_KEEPERS) may use
them. A small file is imported in the request; a large one becomes a background job whose
page polls its progress with htmx every second.
"""

import tempfile

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods

from tongxin.core.models import BackgroundJob
from tongxin.members import excel
from tongxin.members.access import require_keeper
from tongxin.members.forms.imports import ImportForm
from tongxin.members.selectors import imports as selectors
from tongxin.members.services import imports as services

MAX_ERRORS_SHOWN = 500


def _page(request, *, status=200, form=None, **extra):
    conf = settings.TONGXIN
    context = {
        "form": form or ImportForm(),
        "jobs": selectors.recent_jobs(request.user),
        "max_rows": conf["MEMBER_IMPORT_MAX_ROWS"],
        "max_mb": conf["MEMBER_IMPORT_MAX_BYTES"] / 2**20,
        "background_rows": conf["MEMBER_IMPORT_BACKGROUND_ROWS"],
        **extra,
    }
    return render(request, "members/imports/page.html", context, status=status)


def _errors_context(errors, error_count: int, bad_rows: int) -> dict:
    return {
        "errors": list(errors)[:MAX_ERRORS_SHOWN],
        "error_count": error_count,
        "bad_rows": bad_rows,
    }


@login_required
@require_http_methods(["GET", "POST"])
def import_page(request):
    require_keeper(request.user)
    if request.method == "GET":
        return _page(request)
    form = ImportForm(request.POST, request.FILES)
    if not form.is_valid():
        return _page(request, status=400, form=form)
    upload = form.cleaned_data["file"]
    try:
        outcome = services.submit_import(
            actor=request.user, upload=upload, filename=upload.name or ""
        )
    except services.ImportRefused as exc:
        return _page(request, status=400, form=form, refusal=exc.message)
    if isinstance(outcome, BackgroundJob):
        return redirect("members:import_job", job_id=outcome.pk)
    if not outcome.ok:
        context = _errors_context(outcome.errors, outcome.error_count, outcome.bad_rows)
        return _page(request, status=400, form=form, **context)
    messages.success(
        request,
        ngettext("%(count)d member imported.", "%(count)d members imported.", outcome.created)
        % {"count": outcome.created},
    )
    return redirect("members:import")


@login_required
@require_GET
def template_download(request):
    require_keeper(request.user)
    handle = tempfile.TemporaryFile()
    excel.write_template(handle)
    handle.seek(0)
    return FileResponse(
        handle,
        as_attachment=True,
        filename=excel.TEMPLATE_FILENAME,
        content_type=excel.XLSX_CONTENT_TYPE,
    )


@login_required
def import_job(request, job_id):
    job = selectors.job_detail(request.user, job_id)  # 404 before anything else
    if request.method != "GET":
        return HttpResponseNotAllowed(["GET"])
    errors = services.job_result_errors(job)
    context = {
        "job": job,
        **_errors_context(
            errors, job.result.get("error_count", len(errors)), job.result.get("bad_rows", 0)
        ),
    }
    if request.htmx:
        return render(request, "members/imports/_job.html", context)
    return render(request, "members/imports/job.html", context)


urlpatterns = [
    path("members/import/", import_page, name="import"),
    path("members/import/template/", template_download, name="import_template"),
    path("members/import/jobs/<int:job_id>/", import_job, name="import_job"),
]
