from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.dateparse import parse_date

from tongxin.core.errors import PermissionDenied
from tongxin.core.models import AuditEntry
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
        },
    )


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
