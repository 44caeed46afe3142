"""Every write of floating-member records (流动党员, DOMAIN.md §4.5): the member's branch
records the time away and the return; the host organisation records attendance there (never
a vote: a floating member is not a member of the host organisation)."""

from datetime import date

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tongxin.core import audit
from tongxin.core.errors import PermissionDenied, ValidationError, raise_if
from tongxin.members.access import keeps
from tongxin.members.models import FloatingRecord, HostAttendance, Member, Status
from tongxin.orgs.models import Org
from tongxin.orgs.rules import PARTY_GROUP

RECORD_FIELDS = (
    "member",
    "destination",
    "host_org",
    "certificate_no",
    "left_on",
    "expected_return_on",
    "returned_on",
    "reason",
)
SENSITIVE = ("destination",)  # whereabouts (DOMAIN.md §9.4): encrypted, never in the audit


def _today(today: date | None) -> date:
    return today or timezone.localdate()


@transaction.atomic
def start_floating(
    *,
    actor,
    member: Member,
    destination: str,
    left_on: date | None,
    host_org: Org | None = None,
    certificate_no: str = "",
    expected_return_on: date | None = None,
    reason: str = "",
    today: date | None = None,
) -> FloatingRecord:
    """The member's branch records that they are away (流动党员活动证 optional)."""
    today = _today(today)
    member = Member.objects.select_for_update().get(pk=member.pk)
    if not keeps(actor, member.org):
        raise PermissionDenied(_("Only a keeper of the member's branch can record this."))
    errors: dict[str, list[str]] = {}
    destination = (destination or "").strip()
    certificate_no = (certificate_no or "").strip()
    reason = (reason or "").strip()
    if not destination:
        errors["destination"] = [_("say where the member has gone")]
    elif len(destination) > 150:
        errors["destination"] = [_("at most 150 characters")]
    if len(certificate_no) > 40:
        errors["certificate_no"] = [_("at most 40 characters")]
    if len(reason) > 200:
        errors["reason"] = [_("at most 200 characters")]
    if left_on is None:
        errors["left_on"] = [_("the date the member left is required")]
    elif left_on > today:
        errors["left_on"] = [_("the date the member left cannot be in the future")]
    if expected_return_on and left_on and expected_return_on <= left_on:
        errors["expected_return_on"] = [_("the expected return must be after leaving")]
    if host_org is not None:
        if host_org.pk == member.org_id:
            errors["host_org"] = [_("the host organisation cannot be the member's own branch")]
        elif host_org.type == PARTY_GROUP or not host_org.active:
            errors["host_org"] = [_("choose an active party organisation as the host")]
    if member.status != Status.NORMAL:
        errors["member"] = [_("only a member in good standing can be recorded as away")]
    elif FloatingRecord.objects.filter(member=member, returned_on__isnull=True).exists():
        errors["member"] = [_("the member is already recorded as away")]
    raise_if(errors)
    record = FloatingRecord.objects.create(
        member=member,
        destination=destination,
        host_org=host_org,
        certificate_no=certificate_no,
        left_on=left_on,
        expected_return_on=expected_return_on,
        reason=reason,
    )
    audit.record(
        actor=actor,
        action="floating_start",
        obj=record,
        changes=audit.diff({}, audit.snapshot(record, RECORD_FIELDS), SENSITIVE),
    )
    return record


@transaction.atomic
def end_floating(
    *, actor, record: FloatingRecord, returned_on: date | None, today: date | None = None
) -> FloatingRecord:
    """The member is back: the branch closes the record."""
    today = _today(today)
    record = FloatingRecord.objects.select_for_update().get(pk=record.pk)
    member = Member.objects.get(pk=record.member_id)
    if not keeps(actor, member.org):
        raise PermissionDenied(_("Only a keeper of the member's branch can record this."))
    if record.returned_on is not None:
        raise ValidationError({"returned_on": [_("the member's return is already recorded")]})
    if returned_on is None:
        raise ValidationError({"returned_on": [_("the date of return is required")]})
    if returned_on > today:
        raise ValidationError({"returned_on": [_("the date of return cannot be in the future")]})
    if returned_on < record.left_on:
        raise ValidationError({"returned_on": [_("the return cannot be before leaving")]})
    before = audit.snapshot(record, RECORD_FIELDS)
    record.returned_on = returned_on
    record.save(update_fields=["returned_on", "updated_at"])
    audit.record(
        actor=actor,
        action="floating_end",
        obj=record,
        changes=audit.diff(before, audit.snapshot(record, RECORD_FIELDS), SENSITIVE),
    )
    return record


@transaction.atomic
def record_host_attendance(
    *,
    actor,
    record: FloatingRecord,
    attended_on: date | None,
    activity: str,
    today: date | None = None,
) -> HostAttendance:
    """The host organisation records a floating member at its organisational life."""
    today = _today(today)
    record = FloatingRecord.objects.select_for_update().get(pk=record.pk)
    host = Org.objects.filter(pk=record.host_org_id).first()
    if not keeps(actor, host):
        raise PermissionDenied(_("Only a keeper of the host organisation can record this."))
    errors: dict[str, list[str]] = {}
    activity = (activity or "").strip()
    if not activity:
        errors["activity"] = [_("name the meeting or activity")]
    elif len(activity) > 150:
        errors["activity"] = [_("at most 150 characters")]
    if attended_on is None:
        errors["attended_on"] = [_("the date is required")]
    elif attended_on > today:
        errors["attended_on"] = [_("the date cannot be in the future")]
    elif attended_on < record.left_on:
        errors["attended_on"] = [_("the date is before the member left")]
    elif record.returned_on and attended_on > record.returned_on:
        errors["attended_on"] = [_("the date is after the member returned")]
    raise_if(errors)
    row = HostAttendance.objects.create(
        record=record,
        attended_on=attended_on,
        activity=activity,
        recorded_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    audit.record(
        actor=actor,
        action="floating_attendance",
        obj=record,
        changes={"attended_on": [None, attended_on], "activity": [None, activity]},
    )
    return row
