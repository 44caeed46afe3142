"""Open311 clients: who may POST requests, each with its own api_key.

The key is shown once, when it is created; only its keyed digest (core.crypto.digest) and
its last four characters (a hint to tell keys apart) are kept.
"""

from __future__ import annotations

import contextlib
import secrets

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from tongxin.core import audit
from tongxin.core.crypto import digest
from tongxin.demands.models import Open311Client

KEY_BYTES = 24  # 48 hex characters (digest() folds case: hex keeps the full strength)
#: How long a process may serve an active client it found by its key digest (every save or
#: delete of a client drops the cached row at once: demands.apps; this bounds other
#: processes' local-memory caches). Unknown keys are never cached.
CLIENT_CACHE_SECONDS = 30


def _cache_key(key_digest: str) -> str:
    return f"tongxin:open311:client:{key_digest}"


def active_client(key_digest: str) -> Open311Client | None:
    """The active client with this key digest, from Django's cache when there."""
    from django.core.cache import cache

    try:
        client = cache.get(_cache_key(key_digest))
    except Exception:  # a cache outage: read the database
        client = None
    if client is None:
        client = Open311Client.objects.filter(key_digest=key_digest, active=True).first()
        if client is not None:
            with contextlib.suppress(Exception):  # a cache outage must not fail the request
                cache.set(_cache_key(key_digest), client, CLIENT_CACHE_SECONDS)
    return client


def forget_client(key_digest: str) -> None:
    """Drop a cached client, now and when the current transaction commits."""
    from django.core.cache import cache

    def drop():
        with contextlib.suppress(Exception):  # a cache outage must not fail the request
            cache.delete(_cache_key(key_digest))

    drop()
    transaction.on_commit(drop)


@transaction.atomic
def create_client(*, actor, name: str) -> tuple[Open311Client, str]:
    """A new active client and its api_key (returned once, never stored in clear)."""
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise ValidationError({"name": [_("Enter a name of 1 to 100 characters.")]})
    if any(ord(ch) < 32 for ch in name):
        raise ValidationError({"name": [_("The name may not contain control characters.")]})
    key = secrets.token_hex(KEY_BYTES)
    client = Open311Client.objects.create(name=name, key_digest=digest(key), key_hint=key[-4:])
    audit.record(actor=actor, action="open311_client_create", obj=client)
    return client, key


@transaction.atomic
def set_active(*, actor, client: Open311Client, active: bool) -> Open311Client:
    client = Open311Client.objects.select_for_update().get(pk=client.pk)
    if client.active != active:
        client.active = active
        client.save(update_fields=["active", "updated_at"])
        audit.record(
            actor=actor,
            action="open311_client_enable" if active else "open311_client_disable",
            obj=client,
            changes={"active": [not active, active]},
        )
    return client
