"""The printable file (PDF): development:file_pdf at /admissions/<id>/pdf/.

Scoped through selectors.get_file (a file the user does not keep: 404). Without a Chinese
font installed the page answers 503 with the Debian package to install, never 500.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.utils import timezone

from tongxin.core.pdf import PdfFontMissing, pdf_response
from tongxin.development import printing, selectors


@login_required
def file_pdf(request, file_id):
    applicant = selectors.get_file(request.user, file_id)
    today = timezone.localdate()
    view = selectors.file_view(applicant, today=today)
    try:
        data = printing.file_pdf(actor=request.user, applicant=applicant, view=view)
    except PdfFontMissing as exc:
        return HttpResponse(str(exc), status=503, content_type="text/plain; charset=utf-8")
    return pdf_response(data, printing.file_name(applicant, today))
