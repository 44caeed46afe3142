"""Every write to the member registry: validated, authorised, audited, atomic.

DOMAIN.md §4 (members), §9 (personal data). Other areas call this interface:
`create_member`, `update_member`, `change_status`, `reveal`, `request_correction`,
`decide_correction`, `refresh_org_counts`.
"""

from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from tongxin.core import audit
from tongxin.core.crypto import digest
from tongxin.core.errors import PermissionDenied, ValidationError, raise_if
from tongxin.core.models import AuditEntry
from tongxin.core.pinyin import search_key
from tongxin.core.scoping import scope_paths
from tongxin.members.access import keeper_paths, keeps_path
from tongxin.members.models import (
    Category,
    CorrectionRequest,
    DuesBase,
    Member,
    Status,
    StatusChange,
)
from tongxin.members.rules import registry as rules
from tongxin.members.rules.dues import money_error, month_start, to_money
from tongxin.orgs import rules as org_rules
from tongxin.orgs.models import Org

# Organisations that hold members directly (a party group is a subdivision of a branch).
MEMBER_ORG_TYPES = frozenset(
    {org_rules.BRANCH, org_rules.JOINT_BRANCH, org_rules.GENERAL_BRANCH, org_rules.COMMITTEE}
)
# Roles that may see the clear ID number, phone and address (DOMAIN.md §9.4).
UNMASK_ROLES = frozenset({"district_admin", "community_admin", "branch_secretary"})
SENSITIVE_FIELDS = ("id_number", "phone", "address")

IDENTITY_FIELDS = (
    "name",
    "gender",
    "ethnicity",
    "birth_date",
    "id_number",
    "phone",
    "address",
    "education",
    "occupation",
    "is_high_knowledge",
    "is_migrant_worker",
    "is_soe",
    "is_two_new",
    "work_unit",
)
PARTY_FIELDS = (
    "org",
    "party_group",
    "applied_on",
    "admitted_on",
    "full_on",
    "introducers",
    "post",
)
DUES_FIELDS = ("dues_category", "dues_base")
CREATE_FIELDS = (*IDENTITY_FIELDS, *PARTY_FIELDS, "category", *DUES_FIELDS, "user")
# Category and standing change through `change_status`, so the history keeps every step.
UPDATE_FIELDS = (*IDENTITY_FIELDS, *PARTY_FIELDS, *DUES_FIELDS, "user")
AUDIT_FIELDS = (
    *CREATE_FIELDS,
    "status",
    "lost_contact_since",
    "is_abroad",
    "party_probation_from",
    "party_probation_until",
)
# What a member may ask to have corrected on their own record (PIPL art. 46).
CORRECTABLE_FIELDS = (
    "name",
    "gender",
    "ethnicity",
    "birth_date",
    "id_number",
    "phone",
    "address",
    "education",
    "occupation",
    "work_unit",
    "applied_on",
    "admitted_on",
    "full_on",
    "introducers",
)


def _today(today: date | None) -> date:
    return today or timezone.localdate()


def may_unmask(actor, member: Member) -> bool:
    if member.user_id is not None and member.user_id == getattr(actor, "pk", None):
        return True
    return any(member.org.path.startswith(p) for p in scope_paths(actor, UNMASK_ROLES))


def _require_keeper(actor, member: Member) -> None:
    if not keeps_path(actor, member.org.path):
        raise PermissionDenied(_("You do not keep the registry of this member's organisation."))


def _unknown(fields: dict, allowed: tuple[str, ...]) -> None:
    unknown = set(fields) - set(allowed)
    if unknown:
        raise ValidationError({name: [_("unknown field")] for name in sorted(unknown)})


def _normalise(member: Member) -> None:
    member.name = (member.name or "").strip()
    member.id_number = (member.id_number or "").strip().upper()
    member.phone = (member.phone or "").strip()
    member.address = (member.address or "").strip()
    if isinstance(member.dues_base, str | int | float):
        member.dues_base = to_money(member.dues_base)


def _validate(actor, member: Member, *, today: date, placing: bool = True) -> None:
    """All problems of the record at once, each on its field."""
    errors: dict[str, list[str]] = rules.member_errors(
        id_number=member.id_number,
        birth_date=member.birth_date,
        category=member.category,
        applied_on=member.applied_on,
        admitted_on=member.admitted_on,
        full_on=member.full_on,
        today=today,
    )

    def add(name, message):
        if str(message) not in errors.get(name, []):
            errors.setdefault(name, []).append(str(message))

    problem = rules.phone_error(member.phone)
    if problem:
        add("phone", problem)
    if member.dues_base is None:
        add("dues_base", _("must be a number"))
    else:
        problem = money_error(member.dues_base)
        if problem:
            add("dues_base", problem)
    if member.id_number and "id_number" not in errors:
        taken = Member.objects.filter(id_digest=digest(member.id_number))
        if member.pk:
            taken = taken.exclude(pk=member.pk)
        if taken.exists():
            add("id_number", _("a member with this ID number is already registered"))
    org = member.org if member.org_id else None
    if org is not None:
        if org.type not in MEMBER_ORG_TYPES:
            add("org", _("members belong to a branch, joint branch, general branch or committee"))
        elif placing and not org.active:
            add("org", _("this organisation is no longer active"))
        elif not keeps_path(actor, org.path):
            add("org", _("organisation not found in your scope"))
    if member.party_group_id is not None:
        group = member.party_group
        if group.type != org_rules.PARTY_GROUP or group.parent_id != member.org_id:
            add("party_group", _("the party group must belong to the member's branch"))
    try:
        member.full_clean(exclude=["id_digest", "id_tail", "phone_tail", "search_key"])
    except ValidationError as exc:
        for name, messages in exc.message_dict.items():
            for message in messages:
                add(name, message)
    raise_if(errors)


def _derive(member: Member) -> None:
    member.id_digest = digest(member.id_number)
    member.id_tail = member.id_number[-4:]
    member.phone_tail = rules.phone_tail(member.phone)
    member.search_key = search_key(member.name)[:400]


def _history(member, *, actor, kind, effective_on, from_value="", to_value="", **extra):
    return StatusChange.objects.create(
        member=member,
        kind=kind,
        effective_on=effective_on,
        from_value=str(from_value)[:40],
        to_value=str(to_value)[:40],
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        **extra,
    )


def _set_dues_base(member: Member, *, from_month: date, note: str = "") -> None:
    DuesBase.objects.update_or_create(
        member=member,
        from_month=from_month,
        defaults={"category": member.dues_category, "base": member.dues_base, "note": note},
    )


@transaction.atomic
def create_member(
    *,
    actor,
    today: date | None = None,
    admitted: bool = False,
    decision: str = "",
    decided_by: str = "",
    **fields,
) -> Member:
    """Enter a member in the registry of a branch the actor keeps (DOMAIN.md §4).

    With `admitted=True` (the admission pipeline, development step 17) the history entry is
    ADMITTED on the admission date, with the approving `decision` and `decided_by`, instead
    of REGISTERED on `today`."""
    today = _today(today)
    _unknown(fields, CREATE_FIELDS)
    if not keeper_paths(actor):
        raise PermissionDenied(_("Your roles do not keep a member registry."))
    org = fields.get("org")
    if isinstance(org, Org):
        fields["org"] = Org.objects.select_for_update().get(pk=org.pk)
    member = Member(**fields)
    _normalise(member)
    _validate(actor, member, today=today)
    _derive(member)
    member.save()
    if admitted:
        _history(
            member,
            actor=actor,
            kind=StatusChange.Kind.ADMITTED,
            effective_on=member.admitted_on,
            to_value=member.category,
            decision=decision.strip()[:200],
            decided_by=decided_by.strip()[:100],
            note=member.org.name,
        )
    else:
        _history(
            member,
            actor=actor,
            kind=StatusChange.Kind.REGISTERED,
            effective_on=today,
            to_value=member.org.code,
            note=member.org.name,
        )
    _set_dues_base(member, from_month=month_start(member.admitted_on or today))
    audit.record(
        actor=actor,
        action="create",
        obj=member,
        changes=audit.diff({}, audit.snapshot(member, AUDIT_FIELDS), SENSITIVE_FIELDS),
    )
    refresh_org_counts([member.org_id])
    return member


@transaction.atomic
def update_member(
    *,
    actor,
    member: Member,
    today: date | None = None,
    dues_from_month: date | None = None,
    **changes,
) -> Member:
    """Change a member's record. A new branch is written to the history; a new dues base or
    category applies from `dues_from_month` (default: this month — DOMAIN.md §5.9)."""
    today = _today(today)
    _unknown(changes, UPDATE_FIELDS)
    member = Member.objects.select_for_update().select_related("org").get(pk=member.pk)
    _require_keeper(actor, member)
    before = audit.snapshot(member, AUDIT_FIELDS)
    old_org = member.org
    for name, value in changes.items():
        setattr(member, name, value)
    moving = member.org_id != old_org.pk
    if moving and "party_group" not in changes:
        member.party_group = None
    _normalise(member)
    dues_changed = member.dues_category != before["dues_category"] or (
        isinstance(member.dues_base, Decimal)
        and member.dues_base.is_finite()
        and member.dues_base != Decimal(before["dues_base"])
    )
    _validate(actor, member, today=today, placing=moving)
    from_month = month_start(dues_from_month or today)
    if dues_changed:
        if from_month > month_start(today):
            raise ValidationError(
                {"dues_from_month": [_("a change of pay is recorded once it is received")]}
            )
        if member.admitted_on and from_month < month_start(member.admitted_on):
            raise ValidationError(
                {"dues_from_month": [_("cannot be before the month of admission")]}
            )
    _derive(member)
    member.save()
    if moving:
        _history(
            member,
            actor=actor,
            kind=StatusChange.Kind.BRANCH_CHANGED,
            effective_on=today,
            from_value=old_org.code,
            to_value=member.org.code,
            note=f"{old_org.name} → {member.org.name}",
        )
    if dues_changed:
        _set_dues_base(member, from_month=from_month)
        newest = member.dues_bases.order_by("-from_month").first()
        if (newest.category, newest.base) != (member.dues_category, member.dues_base):
            # a back-dated change below a newer row: the member mirrors the newest row
            Member.objects.filter(pk=member.pk).update(
                dues_category=newest.category, dues_base=newest.base
            )
            member.dues_category, member.dues_base = newest.category, newest.base
    changed = audit.diff(before, audit.snapshot(member, AUDIT_FIELDS), SENSITIVE_FIELDS)
    if changed:
        if dues_changed:
            changed["dues_from_month"] = [None, from_month.isoformat()]
        audit.record(actor=actor, action="update", obj=member, changes=changed)
    if moving:
        refresh_org_counts([old_org.pk, member.org_id])
    return member


STATUS_KINDS = (
    StatusChange.Kind.STANDING,
    StatusChange.Kind.CONVERTED,
    StatusChange.Kind.PROBATION_EXTENDED,
    StatusChange.Kind.PROBATION_CANCELLED,
    StatusChange.Kind.LOST_CONTACT,
    StatusChange.Kind.CONTACT_RESTORED,
    StatusChange.Kind.ABROAD,
    StatusChange.Kind.BACK_FROM_ABROAD,
    StatusChange.Kind.TRANSFERRED_OUT,
    StatusChange.Kind.TRANSFERRED_IN,
    StatusChange.Kind.PARTY_PROBATION,
    StatusChange.Kind.PARTY_PROBATION_ENDED,
)


def _status_errors(member: Member, kind: str, to_value: str, on: date, decision: str):
    """(field, message) of the first rule the change breaks, else None."""
    K = StatusChange.Kind
    if kind not in STATUS_KINDS:
        return "kind", _("unknown kind of change")
    if kind == K.STANDING:
        if to_value not in Status.values:
            return "to_value", _("unknown party standing")
        problem = rules.standing_error(member.status, to_value)
        if problem:
            return "to_value", problem
        if rules.needs_decision(to_value) and not decision.strip():
            return "decision", _("record the decision (body, date, document)")
        return None
    if member.status in rules.TERMINAL_STATUSES:
        return "kind", _("the record is closed: this standing cannot be changed any more")
    probation = (K.CONVERTED, K.PROBATION_EXTENDED, K.PROBATION_CANCELLED)
    if kind in probation:
        if member.category != Category.PROBATIONARY:
            return "kind", _("only a probationary member's probation can change")
        if member.status != Status.NORMAL:
            return "kind", _("only a member in good standing can be converted or extended")
        if not decision.strip():
            return "decision", _("record the decision (body, date, document)")
        extended = member.history.filter(kind=K.PROBATION_EXTENDED).exists()
        if kind == K.CONVERTED:
            problem = rules.conversion_error(admitted_on=member.admitted_on, on=on)
            if (
                problem is None
                and not extended
                and on > rules.probation_end(member.admitted_on, extended=False)
            ):
                problem = _("without an extension the probation ends one year after admission")
        elif kind == K.PROBATION_EXTENDED:
            problem = rules.extension_error(
                admitted_on=member.admitted_on, on=on, already_extended=extended
            )
            if problem is None and to_value:
                end = _parse_date(to_value)
                earliest = rules.probation_end(member.admitted_on, extended=False)
                latest = rules.probation_end(member.admitted_on, extended=True)
                if end is None or not earliest < end <= latest:
                    return "to_value", _(
                        "the new end of probation lies within one year after the first"
                    )
        else:
            problem = None if on >= member.admitted_on else _("cannot be before admission")
        return ("effective_on", problem) if problem else None
    if kind in (K.PARTY_PROBATION, K.PARTY_PROBATION_ENDED):
        if not decision.strip():
            return "decision", _("record the decision (body, date, document)")
        if kind == K.PARTY_PROBATION:
            problem = rules.party_probation_error(
                current_from=member.party_probation_from,
                current_until=member.party_probation_until,
                on=on,
                until=_as_date(to_value),
            )
        else:
            problem = rules.party_probation_end_error(
                current_from=member.party_probation_from,
                current_until=member.party_probation_until,
                on=on,
            )
        return problem if problem else None
    if kind == K.LOST_CONTACT and member.lost_contact_since is not None:
        return "kind", _("the member is already marked as lost contact")
    if kind == K.CONTACT_RESTORED:
        if member.lost_contact_since is None:
            return "kind", _("the member is not marked as lost contact")
        if on < member.lost_contact_since:
            return "effective_on", _("cannot be before contact was lost")
    if kind == K.ABROAD and member.is_abroad:
        return "kind", _("the member is already marked as abroad")
    if kind == K.BACK_FROM_ABROAD and not member.is_abroad:
        return "kind", _("the member is not marked as abroad")
    if kind == K.TRANSFERRED_OUT and member.status != Status.NORMAL:
        return "kind", _("only a member in good standing can transfer out")
    if kind == K.TRANSFERRED_IN and member.status != Status.TRANSFERRED_OUT:
        return "kind", _("only a member who transferred out can transfer back in")
    return None


@transaction.atomic
def change_status(
    *,
    actor,
    member: Member,
    kind: str,
    to_value: str = "",
    effective_on: date,
    decision: str = "",
    decided_by: str = "",
    note: str = "",
    today: date | None = None,
) -> StatusChange:
    """Record a change of standing, category or flag with its decision (DOMAIN.md §4.1;
    党章 第七、九、四十条; 党员教育管理工作条例 第二十四条)."""
    today = _today(today)
    member = Member.objects.select_for_update().select_related("org").get(pk=member.pk)
    _require_keeper(actor, member)
    if not isinstance(effective_on, date):
        raise ValidationError({"effective_on": [_("Enter a valid date.")]})
    if effective_on > today:
        raise ValidationError({"effective_on": [_("cannot be in the future")]})
    for name, value, limit in (("decision", decision, 200), ("decided_by", decided_by, 100)):
        if len(value) > limit:
            raise ValidationError({name: [_("too long")]})
    problem = _status_errors(member, kind, to_value, effective_on, decision)
    if problem:
        raise ValidationError({problem[0]: [str(problem[1])]})
    before = audit.snapshot(member, AUDIT_FIELDS)
    K = StatusChange.Kind
    from_value = ""
    if kind == K.STANDING:
        from_value, member.status = member.status, to_value
    elif kind == K.CONVERTED:
        from_value, to_value = member.category, Category.FULL
        member.category, member.full_on = Category.FULL, effective_on
    elif kind == K.PROBATION_EXTENDED:
        from_value = rules.probation_end(member.admitted_on, extended=False).isoformat()
        to_value = to_value or rules.probation_end(member.admitted_on, extended=True).isoformat()
    elif kind == K.PROBATION_CANCELLED:
        from_value, to_value = member.status, Status.REMOVED
        member.status = Status.REMOVED
    elif kind == K.PARTY_PROBATION:
        until = _as_date(to_value)
        member.party_probation_from, member.party_probation_until = effective_on, until
        to_value = until.isoformat()
    elif kind == K.PARTY_PROBATION_ENDED:
        # rights restored on `effective_on`: under probation until the day before
        from_value = (
            member.party_probation_until.isoformat() if member.party_probation_until else ""
        )
        member.party_probation_until = effective_on - timedelta(days=1)
        to_value = member.party_probation_until.isoformat()
    elif kind == K.LOST_CONTACT:
        member.lost_contact_since = effective_on
        to_value = effective_on.isoformat()
    elif kind == K.CONTACT_RESTORED:
        from_value = member.lost_contact_since.isoformat()
        member.lost_contact_since = None
    elif kind == K.ABROAD:
        member.is_abroad = True
    elif kind == K.BACK_FROM_ABROAD:
        member.is_abroad = False
    elif kind == K.TRANSFERRED_OUT:
        from_value, to_value = member.status, Status.TRANSFERRED_OUT
        member.status = Status.TRANSFERRED_OUT
    elif kind == K.TRANSFERRED_IN:
        from_value, to_value = member.status, Status.NORMAL
        member.status = Status.NORMAL
    member.save()
    entry = _history(
        member,
        actor=actor,
        kind=kind,
        effective_on=effective_on,
        from_value=from_value,
        to_value=to_value,
        decision=decision.strip(),
        decided_by=decided_by.strip(),
        note=note.strip(),
    )
    changes = audit.diff(before, audit.snapshot(member, AUDIT_FIELDS), SENSITIVE_FIELDS)
    changes["history"] = [None, f"{kind} {effective_on.isoformat()}"]
    audit.record(actor=actor, action="change_status", obj=member, changes=changes)
    if "status" in changes or "category" in changes:
        refresh_org_counts([member.org_id])
    return entry


def reveal(*, actor, member: Member, field: str) -> str:
    """The clear value of a masked field, for a role that needs it (or the member themself).
    Every reveal and every refusal is audited, without the value (DOMAIN.md §9.2, §9.4)."""
    if field not in SENSITIVE_FIELDS:
        raise ValidationError({"field": [_("this field is not masked")]})
    member = Member.objects.select_related("org").get(pk=member.pk)
    allowed = may_unmask(actor, member)
    audit.record(
        actor=actor,
        action="unmask",
        obj=member,
        changes={"field": [None, field]},
        result=AuditEntry.Result.OK if allowed else AuditEntry.Result.DENIED,
    )
    if not allowed:
        raise PermissionDenied(_("Your role does not allow seeing this value."))
    return getattr(member, field)


# ---------------------------------------------------------------- correction requests


@transaction.atomic
def request_correction(
    *, actor, member: Member, field: str, requested_value: str, reason: str = ""
) -> CorrectionRequest:
    """A member asks their branch to correct their own record (个人信息保护法 第四十六条)."""
    if member.user_id is None or member.user_id != getattr(actor, "pk", None):
        raise PermissionDenied(_("Only the member may request a correction of their record."))
    errors: dict[str, list[str]] = {}
    if field not in CORRECTABLE_FIELDS:
        errors["field"] = [_("this field cannot be corrected by request")]
    requested_value = (requested_value or "").strip()
    if not requested_value:
        errors["requested_value"] = [_("This field cannot be blank.")]
    elif len(requested_value) > 200:
        errors["requested_value"] = [_("too long")]
    if CorrectionRequest.objects.filter(
        member=member, field=field, state=CorrectionRequest.State.OPEN
    ).exists():
        errors.setdefault("field", []).append(
            _("a request for this field is already waiting for the branch")
        )
    raise_if(errors)
    request = CorrectionRequest.objects.create(
        member=member, field=field, requested_value=requested_value, reason=(reason or "").strip()
    )
    shown = audit.MASK if field in SENSITIVE_FIELDS else requested_value
    audit.record(
        actor=actor,
        action="request_correction",
        obj=request,
        object_repr=f"{member} · {field}",
        changes={field: [None, shown]},
    )
    return request


def _as_date(value) -> date | None:
    return value if isinstance(value, date) else _parse_date(str(value or ""))


def _parse_date(text: str) -> date | None:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        return None


def _coerce(member: Member, field: str, value: str):
    """The requested text as the field's Python value, or a ValidationError on the field."""
    model_field = Member._meta.get_field(field)
    for code, label in model_field.choices or ():
        if value.strip() in (code, str(label)):
            return code
    try:
        return model_field.to_python(value)
    except ValidationError as exc:
        raise ValidationError({field: exc.messages}) from exc


@transaction.atomic
def decide_correction(
    *, actor, request: CorrectionRequest, accept: bool, reply: str = ""
) -> CorrectionRequest:
    """The keeper accepts (the record is changed through `update_member`) or rejects."""
    request = (
        CorrectionRequest.objects.select_for_update()
        .select_related("member__org")
        .get(pk=request.pk)
    )
    _require_keeper(actor, request.member)
    if request.state != CorrectionRequest.State.OPEN:
        raise ValidationError({"state": [_("this request has already been decided")]})
    reply = (reply or "").strip()
    if not accept and not reply:
        raise ValidationError({"reply": [_("tell the member why the request is refused")]})
    if accept:
        value = _coerce(request.member, request.field, request.requested_value)
        update_member(actor=actor, member=request.member, **{request.field: value})
    request.state = CorrectionRequest.State.ACCEPTED if accept else CorrectionRequest.State.REJECTED
    request.reply = reply
    request.handled_by = actor
    request.save()
    audit.record(
        actor=actor,
        action="decide_correction",
        obj=request,
        object_repr=f"{request.member} · {request.field}",
        changes={"state": [CorrectionRequest.State.OPEN, request.state]},
    )
    return request


# ---------------------------------------------------------------- counts


def refresh_org_counts(org_ids) -> None:
    """Org.member_count / full_member_count from the registry (members in good standing),
    in one UPDATE per 500 organisations — used by the registry, the import and the seed."""
    ids = sorted({pk for pk in org_ids if pk})
    in_roll = Member.objects.filter(org_id=OuterRef("pk"), status=Status.NORMAL).order_by()
    every = in_roll.values("org_id").annotate(n=Count("id")).values("n")
    full = in_roll.filter(category=Category.FULL).values("org_id").annotate(n=Count("id"))
    for start in range(0, len(ids), 500):
        Org.objects.filter(pk__in=ids[start : start + 500]).update(
            member_count=Coalesce(Subquery(every), 0),
            full_member_count=Coalesce(Subquery(full.values("n")), 0),
        )
