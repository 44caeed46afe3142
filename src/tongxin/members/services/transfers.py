"""Every write of a transfer (组织关系转接, DOMAIN.md §4.4): authorised by side, validated by
`rules.transfers`, one TransferEvent and one audit entry per step, in one transaction with the
transfer row locked. Until receipt the member stays in the sending branch (the sending side
stays responsible); receipt moves them."""

from datetime import date

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tongxin.core import audit
from tongxin.core.errors import PermissionDenied, ValidationError, raise_if
from tongxin.members.access import keeps
from tongxin.members.models import (
    DuesRecord,
    Member,
    Status,
    StatusChange,
    Transfer,
    TransferEvent,
)
from tongxin.members.rules import transfers as rules
from tongxin.orgs.models import Org
from tongxin.orgs.rules import BRANCH_TYPES

TRANSFER_FIELDS = (
    "member",
    "kind",
    "state",
    "from_org",
    "to_org",
    "outside_org_name",
    "reason",
    "letter_no",
    "letter_issued_on",
    "valid_days",
    "expires_on",
    "dues_paid_to",
    "closed_on",
)


# --- who is who -----------------------------------------------------------------------------


def sides_of(actor, transfer: Transfer) -> frozenset[str]:
    """The sides of the transfer the actor holds: member, sending, receiving."""
    sides = set()
    if getattr(actor, "is_authenticated", False):
        if transfer.member.user_id is not None and transfer.member.user_id == actor.pk:
            sides.add(rules.MEMBER)
        if keeps(actor, transfer.from_org):
            sides.add(rules.SENDING)
        if keeps(actor, transfer.to_org):
            sides.add(rules.RECEIVING)
    return frozenset(sides)


def allowed_actions(actor, transfer: Transfer) -> list[str]:
    return rules.allowed_actions(transfer.state, transfer.kind, sides_of(actor, transfer))


# --- the timeline ---------------------------------------------------------------------------


def _event(actor, transfer: Transfer, kind: str, from_state: str, note="", payload=None):
    user = actor if getattr(actor, "is_authenticated", False) else None
    return TransferEvent.objects.create(
        transfer=transfer,
        kind=kind,
        from_state=from_state,
        to_state=transfer.state,
        note=note,
        payload=payload or {},
        actor=user,
    )


def _audit(actor, transfer: Transfer, kind: str, before: dict) -> None:
    audit.record(
        actor=actor,
        action=f"transfer_{kind}",
        obj=transfer,
        changes=audit.diff(before, audit.snapshot(transfer, TRANSFER_FIELDS)),
    )


def _today(today: date | None) -> date:
    return today or timezone.localdate()


def _begin(actor, transfer: Transfer, action: str) -> tuple[Transfer, dict]:
    """Lock the transfer, check the table and the actor's side; (locked row, snapshot)."""
    locked = Transfer.objects.select_for_update().get(pk=transfer.pk)
    problem = rules.transition_error(locked.state, action)
    if problem:
        raise ValidationError({"state": [problem]})
    if action != rules.EXPIRE and not rules.may_act(
        locked.state, action, locked.kind, sides_of(actor, locked)
    ):
        raise PermissionDenied(_("Your roles do not allow this step of the transfer."))
    return locked, audit.snapshot(locked, TRANSFER_FIELDS)


def _require_text(field: str, value: str, message: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError({field: [message]})
    return value


# --- request --------------------------------------------------------------------------------


@transaction.atomic
def request_transfer(
    *,
    actor,
    member: Member,
    kind: str,
    to_org: Org | None = None,
    outside_org_name: str = "",
    reason: str,
    today: date | None = None,
) -> Transfer:
    """A member asks to move, or their branch asks on their behalf (§4.4 申请)."""
    today = _today(today)
    member = Member.objects.select_for_update().get(pk=member.pk)
    is_self = getattr(actor, "is_authenticated", False) and member.user_id == actor.pk
    if not is_self and not keeps(actor, member.org):
        raise PermissionDenied(_("Only the member or a keeper of their branch can ask."))
    outside_org_name = (outside_org_name or "").strip()
    reason = (reason or "").strip()
    errors = rules.request_errors(
        kind=kind,
        from_org_id=member.org_id,
        to_org_id=to_org.pk if to_org else None,
        to_org_is_branch=bool(to_org and to_org.type in BRANCH_TYPES and to_org.active),
        outside_org_name=outside_org_name,
        reason=reason,
        member_in_good_standing=member.status == Status.NORMAL,
        has_open_transfer=Transfer.objects.filter(member=member, state__in=rules.OPEN).exists(),
    )
    if len(outside_org_name) > 150:
        errors.setdefault("outside_org_name", []).append(_("at most 150 characters"))
    if len(reason) > 200:
        errors.setdefault("reason", []).append(_("at most 200 characters"))
    raise_if(errors)
    transfer = Transfer.objects.create(
        member=member,
        kind=kind,
        state=rules.REQUESTED,
        from_org=member.org,
        to_org=to_org,
        outside_org_name=outside_org_name,
        reason=reason,
        valid_days=settings.TONGXIN["TRANSFER_LETTER_DAYS"],
        requested_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    _event(actor, transfer, "request", "", reason, {"on": today.isoformat(), "self": is_self})
    _audit(actor, transfer, "request", {})
    return transfer


# --- the sending side -----------------------------------------------------------------------


@transaction.atomic
def approve_transfer(
    *,
    actor,
    transfer: Transfer,
    letter_no: str,
    dues_paid_to: date | None,
    valid_days: int | None = None,
    today: date | None = None,
) -> Transfer:
    """The sending side approves and issues the letter (or re-issues a returned one)."""
    today = _today(today)
    t, before = _begin(actor, transfer, rules.APPROVE)
    errors: dict[str, list[str]] = {}
    letter_no = (letter_no or "").strip()
    if not letter_no:
        errors["letter_no"] = [_("the letter number is required")]
    elif len(letter_no) > 40:
        errors["letter_no"] = [_("at most 40 characters")]
    valid_days = settings.TONGXIN["TRANSFER_LETTER_DAYS"] if valid_days is None else valid_days
    problem = rules.valid_days_error(valid_days)
    if problem:
        errors["valid_days"] = [problem]
    if dues_paid_to is None:
        errors["dues_paid_to"] = [_("write the month up to which dues are paid")]
    else:
        dues_paid_to = rules.month_start(dues_paid_to)
        ledger = [
            (month, paid_on is not None or not due)
            for month, paid_on, due in DuesRecord.objects.filter(
                member_id=t.member_id, month__lte=dues_paid_to
            ).values_list("month", "paid_on", "amount_due")
        ]
        problem = rules.dues_error(rules.unpaid_months(ledger, dues_paid_to), dues_paid_to)
        if problem:
            errors["dues_paid_to"] = [problem]
    raise_if(errors)
    t.letter_no = letter_no
    t.letter_issued_on = today
    t.valid_days = valid_days
    t.expires_on = rules.letter_expires_on(today, valid_days)
    t.dues_paid_to = dues_paid_to
    kind = "reissue" if before["state"] == rules.RETURNED else rules.APPROVE
    payload = {
        "letter_no": letter_no,
        "issued_on": today.isoformat(),
        "expires_on": t.expires_on.isoformat(),
        "dues_paid_to": f"{dues_paid_to:%Y-%m}",
    }
    return _step(actor, t, rules.APPROVE, before, today, "", payload, event_kind=kind)


def _step(actor, t, action, before, today, note="", payload=None, *, event_kind=None):
    old = before["state"]
    t.state = rules.next_state(old, action)
    if t.state in rules.TERMINAL:
        t.closed_on = today
    t.save()
    _event(actor, t, event_kind or action, old, note, payload)
    _audit(actor, t, event_kind or action, before)
    return t


@transaction.atomic
def reject_transfer(*, actor, transfer: Transfer, reason: str, today: date | None = None):
    """The sending side refuses the request, with a reason."""
    today = _today(today)
    t, before = _begin(actor, transfer, rules.REJECT)
    reason = _require_text("reason", reason, _("give the reason for refusing"))
    return _step(actor, t, rules.REJECT, before, today, reason)


@transaction.atomic
def withdraw_transfer(*, actor, transfer: Transfer, reason: str = "", today: date | None = None):
    """The member (while open) or the sending side withdraws the transfer."""
    today = _today(today)
    t, before = _begin(actor, transfer, rules.WITHDRAW)
    return _step(actor, t, rules.WITHDRAW, before, today, (reason or "").strip())


# --- the receiving side ---------------------------------------------------------------------


@transaction.atomic
def return_transfer(*, actor, transfer: Transfer, reason: str, today: date | None = None):
    """The receiving side sends the letter back with a reason; the sending side may re-issue
    it or close the transfer."""
    today = _today(today)
    t, before = _begin(actor, transfer, rules.RETURN)
    reason = _require_text("reason", reason, _("give the reason for returning the letter"))
    return _step(actor, t, rules.RETURN, before, today, reason)


@transaction.atomic
def receive_transfer(*, actor, transfer: Transfer, today: date | None = None) -> Transfer:
    """The receiving side confirms (§4.4 转入方接收): the member moves to the receiving branch.

    For a transfer out of the district the sending side records the returned receipt stub
    (回执): the member leaves the district's roll (status TRANSFERRED_OUT).
    """
    today = _today(today)
    t, before = _begin(actor, transfer, rules.RECEIVE)
    if rules.is_expired(t.expires_on, today):
        raise ValidationError(
            {
                "expires_on": [
                    _("the letter expired on %(date)s; the sending side must issue a new one")
                    % {"date": t.expires_on.isoformat()}
                ]
            }
        )
    member = Member.objects.select_for_update().get(pk=t.member_id)
    member_before = audit.snapshot(member, ("org", "party_group", "status"))
    user = actor if getattr(actor, "is_authenticated", False) else None
    if t.kind == rules.WITHIN:
        from_org = t.from_org
        member.org = t.to_org
        member.party_group = None  # party groups belong to the old branch
        member.save(update_fields=["org", "party_group", "updated_at"])
        StatusChange.objects.create(
            member=member,
            kind=StatusChange.Kind.BRANCH_CHANGED,
            effective_on=today,
            from_value=from_org.code if from_org else "",
            to_value=t.to_org.code,
            decision=t.letter_no,
            note=_("Transfer %(id)s received") % {"id": t.pk},
            actor=user,
        )
    else:
        old_status = member.status
        member.status = Status.TRANSFERRED_OUT
        member.save(update_fields=["status", "updated_at"])
        StatusChange.objects.create(
            member=member,
            kind=StatusChange.Kind.TRANSFERRED_OUT,
            effective_on=today,
            from_value=old_status,
            to_value=Status.TRANSFERRED_OUT,
            decision=t.letter_no,
            note=t.outside_org_name,
            actor=user,
        )
    audit.record(
        actor=actor,
        action="transfer_move_member",
        obj=member,
        changes=audit.diff(member_before, audit.snapshot(member, ("org", "party_group", "status"))),
    )
    return _step(actor, t, rules.RECEIVE, before, today, "", {"on": today.isoformat()})


@transaction.atomic
def record_inward(
    *,
    actor,
    member: Member,
    outside_org_name: str,
    letter_no: str,
    letter_issued_on: date | None = None,
    dues_paid_to: date | None = None,
    reason: str = "",
    today: date | None = None,
) -> Transfer:
    """A member arrives with a letter from outside the district: the receiving branch, having
    entered their record, files the letter as a received inward transfer."""
    today = _today(today)
    member = Member.objects.select_for_update().get(pk=member.pk)
    if not keeps(actor, member.org):
        raise PermissionDenied(_("Only a keeper of the receiving branch can record this."))
    errors: dict[str, list[str]] = {}
    outside_org_name = (outside_org_name or "").strip()
    letter_no = (letter_no or "").strip()
    reason = (reason or "").strip()
    if not outside_org_name:
        errors["outside_org_name"] = [_("name the organisation that issued the letter")]
    elif len(outside_org_name) > 150:
        errors["outside_org_name"] = [_("at most 150 characters")]
    if not letter_no:
        errors["letter_no"] = [_("the letter number is required")]
    elif len(letter_no) > 40:
        errors["letter_no"] = [_("at most 40 characters")]
    if len(reason) > 200:
        errors["reason"] = [_("at most 200 characters")]
    if letter_issued_on and letter_issued_on > today:
        errors["letter_issued_on"] = [_("the letter cannot be issued in the future")]
    if Transfer.objects.filter(member=member, state__in=rules.OPEN).exists():
        errors["member"] = [_("the member already has a transfer in progress")]
    raise_if(errors)
    t = Transfer.objects.create(
        member=member,
        kind=rules.INWARD,
        state=rules.RECEIVED,
        from_org=None,
        to_org=member.org,
        outside_org_name=outside_org_name,
        reason=reason or _("Transferred in from outside the district"),
        letter_no=letter_no,
        letter_issued_on=letter_issued_on,
        dues_paid_to=rules.month_start(dues_paid_to) if dues_paid_to else None,
        requested_by=actor if getattr(actor, "is_authenticated", False) else None,
        closed_on=today,
    )
    StatusChange.objects.create(
        member=member,
        kind=StatusChange.Kind.TRANSFERRED_IN,
        effective_on=today,
        from_value="",
        to_value=member.org.code,
        decision=letter_no,
        note=outside_org_name,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
    )
    _event(actor, t, "record_inward", "", reason, {"on": today.isoformat()})
    _audit(actor, t, "record_inward", {})
    return t


# --- the daily task -------------------------------------------------------------------------


def expire_letters(*, today: date) -> int:
    """Approved transfers whose letter validity has passed become EXPIRED; returns how many.

    One short transaction per transfer, each re-checked under lock."""
    count = 0
    ids = list(
        Transfer.objects.filter(state=rules.APPROVED, expires_on__lt=today).values_list(
            "id", flat=True
        )
    )
    for pk in ids:
        with transaction.atomic():
            t = Transfer.objects.select_for_update().get(pk=pk)
            if t.state != rules.APPROVED or not rules.is_expired(t.expires_on, today):
                continue
            before = audit.snapshot(t, TRANSFER_FIELDS)
            _step(
                "system",
                t,
                rules.EXPIRE,
                before,
                today,
                "",
                {"expires_on": t.expires_on.isoformat()},
            )
            count += 1
    return count


# --- one entry point for pages and the API --------------------------------------------------


def perform(*, actor, transfer: Transfer, action: str, data: dict, today: date | None = None):
    """Run a user action by name with its form/API data (unknown keys ignored)."""
    if action == rules.APPROVE:
        return approve_transfer(
            actor=actor,
            transfer=transfer,
            letter_no=data.get("letter_no") or "",
            dues_paid_to=data.get("dues_paid_to"),
            valid_days=data.get("valid_days"),
            today=today,
        )
    if action == rules.REJECT:
        return reject_transfer(
            actor=actor, transfer=transfer, reason=data.get("reason") or "", today=today
        )
    if action == rules.WITHDRAW:
        return withdraw_transfer(
            actor=actor, transfer=transfer, reason=data.get("reason") or "", today=today
        )
    if action == rules.RETURN:
        return return_transfer(
            actor=actor, transfer=transfer, reason=data.get("reason") or "", today=today
        )
    if action == rules.RECEIVE:
        return receive_transfer(actor=actor, transfer=transfer, today=today)
    raise ValidationError({"action": [_("unknown action")]})
