"""The outbox: text messages recorded by the outbound channel (core.outbound), for district
administrators — what the platform sent (or, with the database backend, would have sent).
Numbers are shown masked; newest first, keyset pages."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_GET

from tongxin.core.calendar_views import admin_only
from tongxin.core.models import OutboundMessage
from tongxin.orgs.selectors import page_by_id

PAGE = 50


@login_required
@admin_only
@require_GET
def outbox(request):
    # the encrypted number is never read for the list: only the masked copy is shown
    qs = OutboundMessage.objects.defer("to").order_by("-id")
    filters = {k: request.GET.get(k, "").strip() for k in ("kind", "status", "tail", "related")}
    if filters["kind"]:
        qs = qs.filter(kind=filters["kind"])
    if filters["status"] in OutboundMessage.Status.values:
        qs = qs.filter(status=filters["status"])
    if filters["tail"].isdigit() and len(filters["tail"]) == 4:
        qs = qs.filter(to_masked__endswith=filters["tail"])
    if filters["related"]:
        qs = qs.filter(related=filters["related"])
    items, next_cursor = page_by_id(qs, request.GET.get("after"), PAGE, descending=True)
    query = request.GET.copy()
    query.pop("after", None)
    return render(
        request,
        "core/outbox.html",
        {
            "items": items,
            "next": next_cursor,
            "filters": filters,
            "query": query.urlencode(),
            "statuses": OutboundMessage.Status.choices,
        },
    )
