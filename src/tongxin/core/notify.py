"""In-app notifications for staff — the one way any module tells a person something.

`notify(users, ...)` writes one Notification per recipient; with a `key`, a notice already
sent to that recipient under the same key is not sent again (daily checks stay quiet).
Outbound channels (SMS) arrive with the demands module.
"""

from collections.abc import Iterable

from django.db import IntegrityError, transaction
from django.utils import timezone

from tongxin.core.models import Notification


def notify(
    users: Iterable, *, kind: str, subject: str, body: str = "", link: str = "", key: str = ""
) -> int:
    """Notify each user once; returns how many notices were written."""
    users = {u.pk: u for u in users if u is not None and u.is_active}
    if key:
        already = set(
            Notification.objects.filter(recipient_id__in=users, key=key).values_list(
                "recipient_id", flat=True
            )
        )
        users = {pk: u for pk, u in users.items() if pk not in already}
    written = 0
    for user in users.values():
        try:
            with transaction.atomic():
                Notification.objects.create(
                    recipient=user,
                    kind=kind,
                    subject=str(subject)[:200],
                    body=str(body),
                    link=link[:300],
                    key=key[:200],
                )
            written += 1
        except IntegrityError:  # sent concurrently under the same key
            continue
    return written


def unread(user, limit: int = 20) -> list[Notification]:
    return list(Notification.objects.filter(recipient=user, read_at__isnull=True)[:limit])


def unread_count(user) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def mark_read(user, ids: Iterable[int] | None = None) -> int:
    qs = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=list(ids))
    return qs.update(read_at=timezone.now())
