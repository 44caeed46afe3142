"""District administrators' page of Open311 clients: the list, a new client whose api_key
is shown once (in the answer to the POST, never stored in clear), and switching a client
off or on. Mounted at /demands/settings/open311/ (admin_urls.py)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from tongxin.core.calendar_views import admin_only
from tongxin.demands.models import Open311Client
from tongxin.demands.open311.clients import create_client, set_active


def _page(request, *, name="", errors=(), key=None, created=None, status=200):
    clients = Open311Client.objects.annotate(demand_count=Count("demands")).order_by("id")
    return render(
        request,
        "demands/open311_clients.html",
        {"clients": clients, "name": name, "errors": errors, "key": key, "created": created},
        status=status,
    )


@login_required
@admin_only
@never_cache
@require_http_methods(["GET", "POST"])
def clients(request):
    if request.method == "GET":
        return _page(request)
    name = request.POST.get("name", "")
    try:
        client, key = create_client(actor=request.user, name=name)
    except ValidationError as exc:
        return _page(request, name=name, errors=exc.messages, status=400)
    return _page(request, key=key, created=client)


@login_required
@admin_only
@require_POST
def toggle(request, pk: int):
    client = get_object_or_404(Open311Client, pk=pk)
    set_active(actor=request.user, client=client, active=not client.active)
    return redirect("open311:clients")
