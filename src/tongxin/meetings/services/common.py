"""What every meeting service shares: the refusal, the conflict, the lock, the event."""

from __future__ import annotations

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.urls import NoReverseMatch, reverse

from tongxin.core import audit
from tongxin.meetings.models import ComplianceSettings, Meeting, MeetingEvent
from tongxin.meetings.rules.common import Violation, violation


class MeetingRefused(ValidationError):
    """The rules refused a write. ``violations`` is a list of rules.common.Violation; the API
    answers 422 {"violations": [v.as_dict() ...]}, pages list each message with its article."""

    def __init__(self, violations: list[Violation]):
        self.violations = list(violations)
        super().__init__([v.text for v in self.violations])

    @property
    def rules(self) -> list[str]:
        return [v.rule for v in self.violations]


class Conflict(Exception):
    """The meeting changed since the actor loaded it (a stale ``version``): 409."""

    def __init__(self, meeting: Meeting | None = None):
        self.meeting = meeting
        super().__init__("stale version")


def refuse(rule: str, article: str, message, **params) -> MeetingRefused:
    return MeetingRefused([violation(rule, article, message, **params)])


def lock(meeting: Meeting) -> Meeting:
    """The meeting, locked for this transaction, with its branch."""
    return (
        Meeting.objects.select_for_update(of=("self",))
        .select_related("org", "party_group")
        .get(pk=meeting.pk)
    )


def check_version(meeting: Meeting, version) -> None:
    if version is not None and version != meeting.version:
        raise Conflict(meeting)


def bump(meeting: Meeting, *fields: str) -> None:
    """Save the named fields and the next version."""
    meeting.version += 1
    meeting.save(update_fields=[*fields, "version", "updated_at"])


def event(meeting: Meeting, *, actor, kind: str, from_state="", to_state="", note="", payload=None):
    user = actor if getattr(actor, "is_authenticated", False) else None
    return MeetingEvent.objects.create(
        meeting=meeting,
        kind=kind,
        from_state=from_state,
        to_state=to_state,
        note=note,
        payload=payload or {},
        actor=user,
    )


def record(actor, action: str, meeting: Meeting, changes: dict | None = None) -> None:
    audit.record(actor=actor, action=f"meeting.{action}", obj=meeting, changes=changes or {})


def signin_grace() -> tuple[timedelta, timedelta]:
    """(before, after) from ComplianceSettings pk=1; 30/30 minutes when absent."""
    row = ComplianceSettings.objects.filter(pk=1).first()
    if row is None:
        return timedelta(minutes=30), timedelta(minutes=30)
    return (
        timedelta(minutes=row.signin_before_minutes),
        timedelta(minutes=row.signin_after_minutes),
    )


def link(meeting: Meeting) -> str:
    try:
        return reverse("meetings:detail", args=[meeting.pk])
    except NoReverseMatch:
        return f"/meetings/{meeting.pk}/"


def user_or_none(actor):
    return actor if getattr(actor, "is_authenticated", False) else None
