"""Care (关怀帮扶): cases of members in difficulty, and visits. Every write audited; the case
details (health or family circumstances) are encrypted at rest, never written to the audit
trail in clear, and shown only to keepers who ask to see them — that view is audited too
(DOMAIN.md §4.6, §9.4; 个人信息保护法 第二十八条 sensitive personal information)."""

from datetime import date
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tongxin.core import audit
from tongxin.core.errors import PermissionDenied, ValidationError, raise_if
from tongxin.members.access import keeps_path
from tongxin.members.models import CareCase, CareVisit, Member
from tongxin.members.rules.dues import money_error

CASE_FIELDS = ("kind", "level", "details", "help_given", "opened_on", "closed_on")
VISIT_FIELDS = ("member", "case", "kind", "visited_on", "visitors", "amount", "note")
SENSITIVE = ("details",)
EDITABLE = ("kind", "level", "details", "help_given")


def _repr(case: CareCase) -> str:
    return f"{case.member} · {case.get_kind_display()}"


def _require_keeper(actor, member: Member) -> None:
    path = Member.objects.filter(pk=member.pk).values_list("org__path", flat=True).first() or ""
    if not keeps_path(actor, path):
        raise PermissionDenied(_("You may not care for members outside your scope."))


def _date_error(value, today: date) -> str | None:
    if not isinstance(value, date):
        return _("enter a date")
    if value > today:
        return _("cannot be in the future")
    return None


def _case_errors(case: CareCase, today: date) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if case.kind not in CareCase.Kind.values:
        errors["kind"] = [_("choose a kind of difficulty")]
    if case.level not in CareCase.Level.values:
        errors["level"] = [_("choose a level")]
    problem = _date_error(case.opened_on, today)
    if problem:
        errors["opened_on"] = [problem]
    if case.closed_on is not None:
        problem = _date_error(case.closed_on, today)
        if problem:
            errors["closed_on"] = [problem]
        elif isinstance(case.opened_on, date) and case.closed_on < case.opened_on:
            errors["closed_on"] = [_("cannot be before the case was opened")]
    if len(case.details or "") > 5000:
        errors["details"] = [_("at most 5000 characters")]
    if len(case.help_given or "") > 5000:
        errors["help_given"] = [_("at most 5000 characters")]
    return errors


@transaction.atomic
def create_case(
    *,
    actor,
    member: Member,
    kind: str,
    level: str = CareCase.Level.GENERAL,
    details: str = "",
    help_given: str = "",
    opened_on: date | None = None,
    today: date | None = None,
) -> CareCase:
    _require_keeper(actor, member)
    today = today or timezone.localdate()
    case = CareCase(
        member=member,
        kind=kind,
        level=level or CareCase.Level.GENERAL,
        details=(details or "").strip(),
        help_given=(help_given or "").strip(),
        opened_on=opened_on or today,
    )
    raise_if(_case_errors(case, today))
    case.save()
    audit.record(
        actor=actor,
        action="create",
        obj=case,
        object_repr=_repr(case),
        changes=audit.diff({}, audit.snapshot(case, CASE_FIELDS), sensitive=SENSITIVE),
    )
    return case


def _locked(actor, case: CareCase) -> CareCase:
    case = CareCase.objects.select_for_update(of=("self",)).select_related("member").get(pk=case.pk)
    _require_keeper(actor, case.member)
    return case


@transaction.atomic
def update_case(*, actor, case: CareCase, today: date | None = None, **changes) -> CareCase:
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise ValidationError({name: [_("unknown field")] for name in sorted(unknown)})
    case = _locked(actor, case)
    if case.closed_on is not None:
        raise ValidationError({"closed_on": [_("this case is closed")]})
    before = audit.snapshot(case, CASE_FIELDS)
    for name, value in changes.items():
        setattr(case, name, (value or "").strip() if name in ("details", "help_given") else value)
    raise_if(_case_errors(case, today or timezone.localdate()))
    case.save()
    changed = audit.diff(before, audit.snapshot(case, CASE_FIELDS), sensitive=SENSITIVE)
    if changed:
        audit.record(
            actor=actor, action="update", obj=case, object_repr=_repr(case), changes=changed
        )
    return case


@transaction.atomic
def close_case(
    *,
    actor,
    case: CareCase,
    closed_on: date | None = None,
    help_given: str | None = None,
    today: date | None = None,
) -> CareCase:
    case = _locked(actor, case)
    if case.closed_on is not None:
        raise ValidationError({"closed_on": [_("this case is already closed")]})
    today = today or timezone.localdate()
    before = audit.snapshot(case, CASE_FIELDS)
    case.closed_on = closed_on or today
    if help_given is not None and help_given.strip():
        case.help_given = help_given.strip()
    raise_if(_case_errors(case, today))
    case.save()
    audit.record(
        actor=actor,
        action="close",
        obj=case,
        object_repr=_repr(case),
        changes=audit.diff(before, audit.snapshot(case, CASE_FIELDS), sensitive=SENSITIVE),
    )
    return case


def reveal_details(*, actor, case: CareCase) -> str:
    """The case details in clear, for a keeper of the member; the view is audited."""
    _require_keeper(actor, case.member)
    audit.record(
        actor=actor,
        action="view_sensitive",
        obj=case,
        object_repr=_repr(case),
        changes={"details": [None, audit.MASK]},
    )
    return case.details


def _amount(value) -> tuple[Decimal | None, str | None]:
    try:
        amount = Decimal(str(value if value not in (None, "") else "0"))
    except (InvalidOperation, ValueError):
        return None, _("must be a number")
    problem = money_error(amount)
    if problem == "cannot be negative":
        return None, _("cannot be negative")
    if problem == "at most two decimal places":
        return None, _("at most two decimal places")
    if problem:
        return None, _("must be a number")
    if amount >= Decimal("1e10"):
        return None, _("amount too large")
    return amount, None


@transaction.atomic
def add_visit(
    *,
    actor,
    member: Member,
    kind: str,
    visited_on: date | None,
    visitors: str,
    amount=Decimal("0.00"),
    note: str = "",
    case: CareCase | None = None,
    today: date | None = None,
) -> CareVisit:
    """A care, holiday, condolence or hospital visit, with money or goods given (yuan)."""
    _require_keeper(actor, member)
    today = today or timezone.localdate()
    errors: dict[str, list[str]] = {}
    if case is not None:
        case = CareCase.objects.select_for_update(of=("self",)).get(pk=case.pk)
        if case.member_id != member.pk:
            errors["case"] = [_("the case belongs to another member")]
        elif case.closed_on is not None:
            errors["case"] = [_("this case is closed")]
    if kind not in CareVisit.Kind.values:
        errors["kind"] = [_("choose a kind of visit")]
    if visited_on is None:
        errors["visited_on"] = [_("enter a date")]
    else:
        problem = _date_error(visited_on, today)
        if problem:
            errors["visited_on"] = [problem]
    visitors = (visitors or "").strip()
    if not visitors:
        errors["visitors"] = [_("name who visited")]
    elif len(visitors) > 150:
        errors["visitors"] = [_("at most 150 characters")]
    value, problem = _amount(amount)
    if problem:
        errors["amount"] = [problem]
    raise_if(errors)
    visit = CareVisit.objects.create(
        member=member,
        case=case,
        kind=kind,
        visited_on=visited_on,
        visitors=visitors,
        amount=value,
        note=(note or "").strip(),
    )
    audit.record(
        actor=actor,
        action="create",
        obj=visit,
        object_repr=f"{member} · {visit.get_kind_display()} {visited_on}",
        changes=audit.diff({}, audit.snapshot(visit, VISIT_FIELDS)),
    )
    return visit
