"""The audit trail: every write records who, when, what, from where — in the same
transaction as the write (services call `record` inside their atomic block)."""

from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal

from django.db import models

from tongxin.core import context
from tongxin.core.models import AuditEntry

MASK = "***"


def _plain(value):
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def snapshot(instance: models.Model, fields: Iterable[str]) -> dict:
    """Field values of an instance, for `diff` (foreign keys by id)."""
    out = {}
    for name in fields:
        field = instance._meta.get_field(name)
        attr = field.attname if field.is_relation else name
        out[name] = _plain(getattr(instance, attr))
    return out


def diff(before: dict, after: dict, sensitive: Iterable[str] = ()) -> dict:
    """{field: [old, new]} for changed fields; sensitive values are never kept in clear."""
    hidden = set(sensitive)
    changes = {}
    for name in after:
        if before.get(name) != after[name]:
            if name in hidden:
                changes[name] = [MASK, MASK]
            else:
                changes[name] = [before.get(name), after[name]]
    return changes


def record(
    *,
    actor,
    action: str,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str = "",
    object_repr: str = "",
    changes: dict | None = None,
    result: str = AuditEntry.Result.OK,
) -> AuditEntry:
    ctx = context.current()
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
        object_repr = object_repr or str(obj)[:200]
    user = actor if getattr(actor, "is_authenticated", False) else None
    return AuditEntry.objects.create(
        actor=user,
        actor_name=(user.get_username() if user else str(actor or ""))[:150],
        action=action,
        object_type=object_type,
        object_id=object_id,
        object_repr=object_repr[:200],
        changes={k: [_plain(v) for v in pair] for k, pair in (changes or {}).items()},
        result=result,
        ip=ctx.ip,
        request_id=ctx.request_id,
    )
