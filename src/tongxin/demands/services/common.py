"""Shared pieces of the demands services: settings, the calendar, errors, events, recipients."""

from __future__ import annotations

import functools
from datetime import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from tongxin.core import notify as core_notify
from tongxin.core import workdays
from tongxin.core.calendar import official_calendar
from tongxin.demands import rules
from tongxin.demands.models import Demand, DemandEvent

DEFAULTS = {
    # DOMAIN.md §8.4 defaults (configurable in settings TONGXIN)
    "DEMAND_ACCEPT_WORKING_HOURS": 1,
    "DEMAND_URGENT_HOURS": 2,
    "DEMAND_GENERAL_DAYS": 5,
    "DEMAND_CONSULTATION_DAYS": 3,
    "DEMAND_VISIT_DAYS": 1,
    "WORK_SCHEDULE": "08:30-12:00,14:00-17:30",
    "DEMAND_PHOTO_MAX_COUNT": 5,
    "DEMAND_PHOTO_MAX_BYTES": 5 * 1024 * 1024,
    "DEMAND_DESCRIPTION_MAX": 2000,
    "DEMAND_OVERDUE_CHECK_SECONDS": 300,
}


class ActionRefused(ValidationError):
    """The state machine or a rule refused the action; `.rule` names it."""

    def __init__(self, rule: str, message):
        self.rule = rule
        super().__init__({"action": [message]})


class Conflict(Exception):
    """The demand changed since the actor loaded it (version mismatch or state moved on)."""


def setting(name: str):
    return getattr(settings, "TONGXIN", {}).get(name, DEFAULTS[name])


def limits() -> rules.Limits:
    return rules.Limits(
        accept_working_hours=float(setting("DEMAND_ACCEPT_WORKING_HOURS")),
        urgent_hours=int(setting("DEMAND_URGENT_HOURS")),
        general_days=int(setting("DEMAND_GENERAL_DAYS")),
        consultation_days=int(setting("DEMAND_CONSULTATION_DAYS")),
        visit_days=int(setting("DEMAND_VISIT_DAYS")),
    )


def schedule() -> workdays.WorkSchedule:
    return _parsed_schedule(str(setting("WORK_SCHEDULE")))


@functools.lru_cache(maxsize=16)
def _parsed_schedule(text: str) -> workdays.WorkSchedule:
    """Parsed once per process and text (a WorkSchedule is frozen; keyed by the setting's
    value, so a changed setting is parsed afresh)."""
    return workdays.WorkSchedule.parse(text)


def calendar() -> workdays.Calendar:
    """The official calendar, cached (core.calendar.official_calendar: dropped on every
    calendar write)."""
    return official_calendar()


def now_or(now: datetime | None) -> datetime:
    if now is None:
        return timezone.now()
    if timezone.is_naive(now):
        raise ValueError("now must be an aware datetime")
    return now


def lock(demand: Demand | int) -> Demand:
    pk = demand.pk if isinstance(demand, Demand) else demand
    return (
        Demand.objects.select_for_update(of=("self",))
        .select_related("category", "community", "street", "department")
        .get(pk=pk)
    )


def event(
    demand: Demand,
    *,
    action: str,
    from_state: str,
    to_state: str,
    actor=None,
    actor_label: str = "",
    note: str = "",
    payload: dict | None = None,
    at: datetime,
    public: bool | None = None,
) -> DemandEvent:
    user = actor if getattr(actor, "is_authenticated", False) else None
    label = actor_label or (str(user)[:100] if user else "")
    return DemandEvent.objects.create(
        demand=demand,
        action=action,
        from_state=from_state,
        to_state=to_state,
        note=note,
        public=(action in rules.PUBLIC_ACTIONS) if public is None else public,
        payload=payload or {},
        actor=user,
        actor_label=label,
        at=at,
    )


def users_with_role(roles: set[str] | frozenset[str], org_ids) -> list:
    """Active users holding one of `roles` bound exactly to one of `org_ids`."""
    User = get_user_model()
    return list(
        User.objects.filter(
            is_active=True,
            role_assignments__active=True,
            role_assignments__role__in=list(roles),
            role_assignments__org_id__in=list(org_ids),
        ).distinct()
    )


def dispatchers_of(demand: Demand) -> list:
    return users_with_role({"community_admin"}, [demand.community_id])


def street_staff_of(demand: Demand) -> list:
    return users_with_role({"street_admin"}, [demand.street_id])


def handlers_of(demand: Demand) -> list:
    """Who is handling it now: the handler who claimed it, else the department's handlers,
    else (the community handles it) the community's dispatchers."""
    if demand.handler_id and demand.handler and demand.handler.is_active:
        return [demand.handler]
    if demand.department_id:
        return list(demand.department.handlers.filter(is_active=True))
    return dispatchers_of(demand)


def link_of(demand: Demand) -> str:
    return f"/demands/{demand.pk}/"


def notify_on_commit(users, *, kind: str, subject, body="", demand: Demand, key: str = ""):
    users = [u for u in users if u is not None]
    if not users:
        return
    link = link_of(demand)
    subject, body = str(subject), str(body)
    transaction.on_commit(
        lambda: core_notify.notify(users, kind=kind, subject=subject, body=body, link=link, key=key)
    )


def sms_on_commit(demand: Demand, body: str, *, kind: str) -> None:
    """Text the resident on commit, when there is a mobile number (a landline gets none)."""
    from tongxin.core.outbound import is_mobile, normalise_mobile, send_sms

    number = normalise_mobile(demand.phone)
    if not is_mobile(number):
        return
    related = f"demands.demand:{demand.pk}"
    body = str(body)
    transaction.on_commit(lambda: send_sms(number, body, kind=kind, related=related))


def notify_now(users, *, kind: str, subject, body="", demand: Demand, key: str = "") -> None:
    """As `notify_on_commit`, but written in the current transaction, so that it commits
    (or rolls back) with the write it is about: one INSERT for all recipients. With a
    `key`, a recipient already notified under it is skipped (the unique constraint
    notification_once_per_key; ON CONFLICT DO NOTHING), as core.notify.notify does."""
    from tongxin.core.models import Notification

    recipients = {u.pk: u for u in users if u is not None and u.is_active}
    if not recipients:
        return
    link = link_of(demand)[:300]
    subject, body = str(subject)[:200], str(body)
    Notification.objects.bulk_create(
        [
            Notification(
                recipient=u, kind=kind, subject=subject, body=body, link=link, key=key[:200]
            )
            for u in recipients.values()
        ],
        ignore_conflicts=bool(key),
    )


def sms_now(demand: Demand, body: str, *, kind: str) -> None:
    """As `sms_on_commit`; with the default DatabaseBackend (it records the message and
    talks to no gateway) the outbox row is written in the current transaction, so it
    commits or rolls back with the demand. Any other backend is still called on commit."""
    from tongxin.core.outbound import (
        DatabaseBackend,
        build_sms,
        get_backend,
        is_mobile,
        normalise_mobile,
        send_sms,
    )

    number = normalise_mobile(demand.phone)
    if not is_mobile(number):
        return
    related = f"demands.demand:{demand.pk}"
    body = str(body)
    backend = get_backend()
    if type(backend) is DatabaseBackend:
        backend.send(build_sms(number, body, kind=kind, related=related))
    else:
        transaction.on_commit(lambda: send_sms(number, body, kind=kind, related=related))
