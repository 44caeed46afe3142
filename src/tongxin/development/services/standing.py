"""Where each file stands (the denormalised fields of Applicant) and the daily check."""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from tongxin.core.models import Notification
from tongxin.core.notify import notify
from tongxin.development import access, rules
from tongxin.development.models import Applicant
from tongxin.development.services.common import file_of, today_or

STANDING_FIELDS = (
    "last_step",
    "phase",
    "next_due",
    "overdue",
    "overdue_since",
    "applied_on",
    "activist_on",
    "target_on",
    "admitted_on",
    "approved_on",
    "converted_on",
)
NOTICE_KIND = "admission_overdue"


def _converted_on(file: rules.File) -> date | None:
    meeting = file.steps.get(23)
    if file.done(24) is None or meeting is None:
        return None
    return file.probation_end if meeting.data.get("outcome", "convert") == "convert" else None


def apply_standing(applicant: Applicant, file: rules.File, today: date) -> bool:
    """Set the standing fields from `file`; True when any of them changed (not saved)."""
    now = rules.standing(file, today)
    is_open = applicant.state == Applicant.State.OPEN
    values = {
        "last_step": now.last_step,
        "phase": now.phase,
        "next_due": now.next_due if is_open else None,
        "overdue": now.overdue if is_open else False,
        "overdue_since": now.overdue_since if is_open else None,
        "applied_on": file.done(1),
        "activist_on": file.done(3),
        "target_on": file.done(7),
        "admitted_on": file.done(15),
        "approved_on": file.done(17),
        "converted_on": _converted_on(file),
    }
    changed = False
    for name, value in values.items():
        if getattr(applicant, name) != value:
            setattr(applicant, name, value)
            changed = True
    return changed


def refresh_file(applicant: Applicant, *, today: date | None = None) -> Applicant:
    """Recompute last_step, phase, next_due, overdue(_since) and key dates from the steps."""
    today = today_or(today)
    if apply_standing(applicant, file_of(applicant), today):
        applicant.save(update_fields=[*STANDING_FIELDS, "updated_at"])
    return applicant


def file_link(applicant: Applicant) -> str:
    return reverse("development:detail", args=[applicant.pk])


def notice_key(applicant: Applicant, item: rules.OverdueItem) -> str:
    """Stable per file, rule and due date: the same overdue item is told once."""
    return f"admission:{applicant.pk}:{item.rule}:{item.due.isoformat()}"


def refresh_open_files(*, today: date | None = None) -> dict[str, int]:
    """The daily check: refresh every open file; notify (core.notify, once per item) the
    branch's secretaries and the approving committee's keepers of new overdue items.

    Queries do not grow with the files already told: the keys already sent are read once
    per batch of 500 files, and core.notify is called only for items someone has not had."""
    today = today_or(today)
    counts = {"files": 0, "updated": 0, "overdue": 0, "notices": 0}
    recipients: dict[int, list] = {}
    qs = (
        Applicant.objects.open()
        .select_related("org")
        .prefetch_related("steps", "reviews")
        .order_by("pk")
    )
    changed: list[Applicant] = []
    pending: list[tuple[Applicant, rules.OverdueItem, list]] = []
    with translation.override(settings.LANGUAGE_CODE):
        for applicant in qs.iterator(chunk_size=BATCH):
            counts["files"] += 1
            file = file_of(applicant)
            if apply_standing(applicant, file, today):
                changed.append(applicant)
            items = [i for i in rules.overdue_items(file, today) if i.done_on is None]
            if items:
                counts["overdue"] += 1
                if applicant.org_id not in recipients:
                    recipients[applicant.org_id] = access.branch_secretaries(
                        applicant.org
                    ) + access.approving_keepers(applicant.org)
                pending += [(applicant, item, recipients[applicant.org_id]) for item in items]
            if len(changed) >= BATCH:
                counts["updated"] += _save(changed)
            if len(pending) >= BATCH:
                counts["notices"] += _tell(pending)
        counts["updated"] += _save(changed)
        counts["notices"] += _tell(pending)
    return counts


BATCH = 500


def _tell(pending: list) -> int:
    """Notify the items of `pending` someone has not been told yet; empties the list."""
    keys = {notice_key(a, i) for a, i, _users in pending}
    sent = set(
        Notification.objects.filter(kind=NOTICE_KIND, key__in=keys).values_list(
            "recipient_id", "key"
        )
    )
    written = 0
    for applicant, item, users in pending:
        key = notice_key(applicant, item)
        new = [u for u in users if (u.pk, key) not in sent]
        if not new:
            continue
        written += notify(
            new,
            kind=NOTICE_KIND,
            subject=_("Admission file of %(name)s: %(item)s")
            % {"name": applicant.name, "item": item.text},
            body=f"{item.text} ({item.article})",
            link=file_link(applicant),
            key=key,
        )
    pending.clear()
    return written


def _save(changed: list[Applicant]) -> int:
    n = len(changed)
    if changed:
        with transaction.atomic():
            Applicant.objects.bulk_update(changed, STANDING_FIELDS, batch_size=500)
        changed.clear()
    return n
