from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.dateparse import parse_date
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from tongxin.core import notify
from tongxin.core.errors import PermissionDenied
from tongxin.core.models import AuditEntry, Notification
from tongxin.core.scoping import roles_of
from tongxin.orgs import selectors as org_selectors

AUDIT_PAGE = 100


def _date(text: str):
    try:
        return parse_date(text) if text else None
    except ValueError:
        return None


def healthz(request):
    return JsonResponse({"status": "ok"})


def readyz(request):
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:
        return JsonResponse({"status": "unavailable", "database": str(exc)[:200]}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


@login_required
def home(request):
    user = request.user
    roots = org_selectors.scope_roots(user)
    return render(
        request,
        "core/home.html",
        {
            "roots": roots,
            "terms_due": org_selectors.terms_due(user, limit=10),
            "coverage": org_selectors.coverage_summary(user, by="street")["totals"],
            "admission_todo": _admission_todo(user),
        },
    )


def _admission_todo(user) -> list:
    """Admission deadlines near or passed of the files the user keeps (DOMAIN.md §6)."""
    from django.utils import timezone

    from tongxin.development.selectors import todo_for

    return todo_for(user, today=timezone.localdate())


@login_required
def audit_log(request):
    """The audit browser: district administrators only; read-only, filterable, keyset-paged."""
    if "district_admin" not in roles_of(request.user):
        raise PermissionDenied
    qs = AuditEntry.objects.all()
    f = {
        k: request.GET.get(k, "").strip()
        for k in ("user", "action", "object_type", "since", "until", "result")
    }
    if f["user"]:
        qs = qs.filter(actor_name__icontains=f["user"])
    if f["action"]:
        qs = qs.filter(action=f["action"])
    if f["object_type"]:
        qs = qs.filter(object_type=f["object_type"])
    if f["result"]:
        qs = qs.filter(result=f["result"])
    since, until = _date(f["since"]), _date(f["until"])
    if since:
        qs = qs.filter(at__date__gte=since)
    if until:
        qs = qs.filter(at__date__lte=until)
    before = request.GET.get("before", "")
    if before.isdigit():
        qs = qs.filter(id__lt=int(before))
    entries = list(qs.order_by("-id")[: AUDIT_PAGE + 1])
    more = len(entries) > AUDIT_PAGE
    entries = entries[:AUDIT_PAGE]
    query = request.GET.copy()
    query.pop("before", None)
    return render(
        request,
        "core/audit_log.html",
        {
            "entries": entries,
            "filters": f,
            "query": query.urlencode(),
            "next_before": entries[-1].id if more else None,
            "actions": [
                "create",
                "update",
                "import",
                "export",
                "print",
                "login",
                "login_failed",
                "issue_api_token",
                "assign_role",
                "enable_2fa",
                "purge_audit",
            ],
            "results": AuditEntry.Result.choices,
        },
    )


# ------------------------------------------------------------------ notifications

NOTIFICATION_PAGE = 50


def _row_id(text: str) -> int | None:
    """A row id from user input; None for anything else (and for numbers no id column holds,
    which PostgreSQL would refuse with an error instead of finding nothing)."""
    text = (text or "").strip()
    if text.isascii() and text.isdigit() and 0 < int(text) < 2**63:
        return int(text)
    return None


@login_required
def notifications(request):
    """The signed-in person's own notices, newest first, keyset-paged (?before=<id>);
    ?unread=1 shows only those not yet read."""
    qs = Notification.objects.filter(recipient=request.user)
    unread_only = request.GET.get("unread") == "1"
    if unread_only:
        qs = qs.filter(read_at__isnull=True)
    before = _row_id(request.GET.get("before", ""))
    if before is not None:
        qs = qs.filter(id__lt=before)
    notices = list(
        qs.order_by("-id").only("id", "kind", "subject", "body", "link", "created_at", "read_at")[
            : NOTIFICATION_PAGE + 1
        ]
    )
    more = len(notices) > NOTIFICATION_PAGE
    notices = notices[:NOTIFICATION_PAGE]
    return render(
        request,
        "core/notifications.html",
        {
            "notices": notices,
            "unread_only": unread_only,
            "next_before": notices[-1].id if more else None,
        },
    )


def _local_link(link: str) -> str:
    """A notice's link if it is a path on this site (never an absolute or protocol URL)."""
    if link.startswith("/") and not link.startswith(("//", "/\\")):
        return link
    return ""


@login_required
@require_POST
def notification_read(request):
    """Mark one of the caller's own notices read (POST id=…); with open=1, go on to the
    notice's link. Another person's notice is not found (404) and stays as it was."""
    pk = _row_id(request.POST.get("id", ""))
    if pk is None:
        raise Http404
    notice = get_object_or_404(Notification, pk=pk, recipient=request.user)
    notify.mark_read(request.user, [notice.pk])
    if request.POST.get("open") == "1" and _local_link(notice.link):
        return redirect(_local_link(notice.link))
    return redirect(_notifications_return(request))


@login_required
@require_POST
def notification_read_all(request):
    """Mark every unread notice of the caller read."""
    count = notify.mark_read(request.user)
    if count:
        messages.success(
            request,
            ngettext("%(count)d notice marked as read.", "%(count)d notices marked as read.", count)
            % {"count": count},
        )
    return redirect(_notifications_return(request))


def _notifications_return(request) -> str:
    url = reverse("core:notifications")
    return url + "?unread=1" if request.POST.get("unread") == "1" else url
