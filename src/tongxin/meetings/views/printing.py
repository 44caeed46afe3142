"""Printables (PDF): meetings:pdf at /meetings/<id>/pdf/ and meetings:yearly_pdf at
/meetings/summary/<org_id>/<year>/pdf/ (URLs in meetings/urls.py).

A meeting prints for whoever may see it (access.meeting_for: keepers of its branch and above,
members on its roster; 404 elsewhere). The yearly summary prints for keepers of the branch
(404 for a branch outside the user's keeping, or not a branch, or a year outside 2000–2100).
Without a Chinese font installed the answer is 503 naming the Debian package, never 500.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from tongxin.core.pdf import PdfFontMissing, pdf_response
from tongxin.meetings import access, printing
from tongxin.members.access import keeps
from tongxin.orgs import rules as org_rules
from tongxin.orgs.models import Org

MAX_ID = 2**63 - 1


def _font_missing(exc: PdfFontMissing) -> HttpResponse:
    return HttpResponse(str(exc), status=503, content_type="text/plain; charset=utf-8")


@login_required
def meeting_pdf(request, meeting_id):
    meeting = access.meeting_for(request.user, meeting_id)
    try:
        data = printing.meeting_pdf(actor=request.user, meeting=meeting)
    except PdfFontMissing as exc:
        return _font_missing(exc)
    return pdf_response(data, printing.meeting_file_name(meeting))


def _branch_for(user, org_id) -> Org:
    try:
        pk = int(org_id)
    except (TypeError, ValueError):
        raise Http404(_("No such branch.")) from None
    if not 0 < pk <= MAX_ID:
        raise Http404(_("No such branch."))
    org = Org.objects.filter(pk=pk, type__in=org_rules.BRANCH_TYPES).first()
    if org is None or not keeps(user, org):
        raise Http404(_("No such branch."))
    return org


@login_required
def yearly_summary_pdf(request, org_id, year):
    org = _branch_for(request.user, org_id)
    if not 2000 <= int(year) <= 2100:
        raise Http404(_("No such year."))
    try:
        data = printing.yearly_summary_pdf(
            actor=request.user, org=org, year=int(year), today=timezone.localdate()
        )
    except PdfFontMissing as exc:
        return _font_missing(exc)
    return pdf_response(data, printing.summary_file_name(org, int(year)))
