"""The Excel exchange page: templates, imports and exports of organisations and units.

Thin views over `orgs.excel`; only users holding a manager role (MANAGER_ROLES) may use them.
"""

import tempfile

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_POST

from tongxin.core.errors import PermissionDenied
from tongxin.orgs import excel
from tongxin.orgs.models import Org

MAX_ERRORS_SHOWN = 500


class UploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Excel file (.xlsx)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx," + excel.XLSX_CONTENT_TYPE}),
    )


def _require_manager(user) -> None:
    if not Org.objects.manageable_by(user).exists():
        raise PermissionDenied


def _kind(name: str) -> excel.Kind:
    kind = excel.KINDS.get(name)
    if kind is None:
        raise Http404
    return kind


def _page(request, *, status=200, **extra):
    context = {
        "kinds": list(excel.KINDS.values()),
        "max_rows": settings.TONGXIN["IMPORT_MAX_ROWS"],
        "max_mb": settings.TONGXIN["IMPORT_MAX_BYTES"] / 2**20,
        **extra,
    }
    return render(request, "orgs/exchange.html", context, status=status)


@login_required
@require_GET
def exchange(request):
    _require_manager(request.user)
    return _page(request)


def _success_message(kind: excel.Kind, result: excel.ImportResult) -> str:
    values = {"rows": result.rows, "created": result.created, "updated": result.updated}
    if kind.name == "orgs":
        text = ngettext(
            "%(rows)d organisation imported: %(created)d created, %(updated)d updated.",
            "%(rows)d organisations imported: %(created)d created, %(updated)d updated.",
            result.rows,
        )
    else:
        text = ngettext(
            "%(rows)d unit imported: %(created)d created, %(updated)d updated.",
            "%(rows)d units imported: %(created)d created, %(updated)d updated.",
            result.rows,
        )
    return text % values


@login_required
@require_POST
def import_file(request, kind):
    _require_manager(request.user)
    kind = _kind(kind)
    form = UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        problem = "; ".join(str(m) for errs in form.errors.values() for m in errs)
        return _page(request, status=400, kind=kind, refusal=problem)
    upload = form.cleaned_data["file"]
    try:
        result = kind.importer(request.user, upload, filename=upload.name or "")
    except excel.ImportRefused as exc:
        return _page(request, status=400, kind=kind, refusal=exc.message)
    if not result.ok:
        return _page(
            request,
            status=400,
            kind=kind,
            errors=result.errors[:MAX_ERRORS_SHOWN],
            error_count=len(result.errors),
            bad_rows=len({e.row for e in result.errors}),
        )
    messages.success(request, _success_message(kind, result))
    return redirect("orgs:import")


def _xlsx_response(handle, filename: str) -> FileResponse:
    handle.seek(0)
    return FileResponse(
        handle, as_attachment=True, filename=filename, content_type=excel.XLSX_CONTENT_TYPE
    )


@login_required
@require_GET
def template_download(request, kind):
    _require_manager(request.user)
    kind = _kind(kind)
    handle = tempfile.TemporaryFile()
    excel.write_template(kind.columns, kind.sheet_title, handle)
    return _xlsx_response(handle, kind.template_filename)


@login_required
@require_GET
def export(request, kind):
    _require_manager(request.user)
    kind = _kind(kind)
    handle = tempfile.TemporaryFile()
    kind.exporter(request.user, handle)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return _xlsx_response(handle, f"{kind.export_filename}-{stamp}.xlsx")
