"""Open311 clients: who may POST requests, each with its own api_key.

The key is shown once, when it is created; only its keyed digest (core.crypto.digest) and
its last four characters (a hint to tell keys apart) are kept.
"""

from __future__ import annotations

import secrets

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from tongxin.core import audit
from tongxin.core.crypto import digest
from tongxin.demands.models import Open311Client

KEY_BYTES = 24  # 48 hex characters (digest() folds case: hex keeps the full strength)


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
