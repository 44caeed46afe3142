"""Every write to organisations and units: validated, authorised, audited, atomic."""

import uuid
from datetime import date

from django.db import transaction
from django.db.models import F, Value
from django.db.models.functions import Concat, Substr
from django.utils.translation import gettext as _

from tongxin.core import audit
from tongxin.core.codes import uscc_error
from tongxin.core.errors import PermissionDenied, ValidationError, raise_if
from tongxin.core.pinyin import search_key
from tongxin.core.scoping import can_manage_path
from tongxin.orgs import rules
from tongxin.orgs.models import Org, Unit, path_segment

ORG_FIELDS = (
    "code",
    "name",
    "type",
    "sector",
    "parent",
    "founded_on",
    "secretary_name",
    "has_committee",
    "term_started_on",
    "term_ends_on",
    "contact_name",
    "contact_phone",
    "address",
    "member_count",
    "full_member_count",
    "active",
)
UNIT_FIELDS = (
    "name",
    "credit_code",
    "category",
    "street",
    "community",
    "address",
    "employee_count",
    "party_member_count",
    "coverage",
    "org",
    "instructor_name",
    "active",
)


def _require_manage(actor, path: str) -> None:
    if not can_manage_path(actor, path):
        raise PermissionDenied(_("You may not change organisations outside your scope."))


def _validate_org(org: Org, *, moving_from: str | None = None) -> None:
    errors: dict[str, list[str]] = {}
    try:
        org.full_clean(exclude=["path", "search_key"])
    except ValidationError as exc:
        errors.update(exc.message_dict)
    parent = org.parent
    if org.type in rules.ALLOWED_PARENTS:
        problem = rules.parent_error(org.type, parent.type if parent else None)
        if problem:
            errors.setdefault("parent", []).append(str(problem))
    if parent is not None and moving_from is not None and parent.path.startswith(moving_from):
        errors.setdefault("parent", []).append(
            _("an organisation cannot be moved under itself or one of its own sub-organisations")
        )
    if org.term_started_on and org.term_ends_on and org.term_ends_on <= org.term_started_on:
        errors.setdefault("term_ends_on", []).append(_("term end must be after term start"))
    if org.founded_on and org.founded_on > date.today():
        errors.setdefault("founded_on", []).append(_("founding date cannot be in the future"))
    raise_if(errors)


def _fill_term_end(org: Org) -> None:
    if org.term_started_on and not org.term_ends_on:
        org.term_ends_on = rules.term_end(org.term_started_on, org.type, org.sector)


@transaction.atomic
def create_org(*, actor, parent: Org | None, **fields) -> Org:
    unknown = set(fields) - set(ORG_FIELDS)
    if unknown:
        raise ValidationError({name: [_("unknown field")] for name in sorted(unknown)})
    if parent is None:
        if not actor.is_superuser:
            raise PermissionDenied(_("Only a system administrator can create the root."))
    else:
        parent = Org.objects.select_for_update().get(pk=parent.pk)
        _require_manage(actor, parent.path)
    org = Org(parent=parent, **fields)
    org.path = "tmp-" + uuid.uuid4().hex
    _fill_term_end(org)
    _validate_org(org)
    org.search_key = search_key(org.name, org.code)
    org.save()
    org.path = (parent.path if parent else "") + path_segment(org.pk)
    org.depth = parent.depth + 1 if parent else 0
    org.save(update_fields=["path", "depth"])
    audit.record(
        actor=actor,
        action="create",
        obj=org,
        changes=audit.diff({}, audit.snapshot(org, ORG_FIELDS)),
    )
    return org


@transaction.atomic
def update_org(*, actor, org: Org, **changes) -> Org:
    unknown = set(changes) - set(ORG_FIELDS)
    if unknown:
        raise ValidationError({name: [_("unknown field")] for name in sorted(unknown)})
    org = Org.objects.select_for_update().get(pk=org.pk)
    _require_manage(actor, org.path)
    before = audit.snapshot(org, ORG_FIELDS)
    old_path = org.path
    for name, value in changes.items():
        setattr(org, name, value)
    moving = "parent" in changes and before["parent"] != (org.parent.pk if org.parent else None)
    if moving:
        if org.parent is None:
            raise ValidationError({"parent": [_("this type of organisation needs a parent")]})
        _require_manage(actor, org.parent.path)
    if "term_started_on" in changes and "term_ends_on" not in changes:
        org.term_ends_on = None
    _fill_term_end(org)
    _validate_org(org, moving_from=old_path if moving else None)
    org.search_key = search_key(org.name, org.code)
    if moving:
        new_path = org.parent.path + path_segment(org.pk)
        delta = org.parent.depth + 1 - org.depth
        Org.objects.filter(path__startswith=old_path).update(
            path=Concat(Value(new_path), Substr("path", len(old_path) + 1)),
            depth=F("depth") + delta,
        )
        org.path, org.depth = new_path, org.depth + delta
    org.save()
    changed = audit.diff(before, audit.snapshot(org, ORG_FIELDS))
    if changed:
        audit.record(actor=actor, action="update", obj=org, changes=changed)
    return org


# --- units ---------------------------------------------------------------------------------


def _validate_unit(actor, unit: Unit) -> None:
    errors: dict[str, list[str]] = {}
    if unit.street_id is None and unit.community_id is not None:
        unit.street_id = unit.community.parent_id  # a community lies in exactly one street
    if unit.credit_code == "":
        unit.credit_code = None
    if unit.credit_code:
        unit.credit_code = unit.credit_code.strip().upper()
        problem = uscc_error(unit.credit_code)
        if problem:
            errors.setdefault("credit_code", []).append(
                _("unified social credit code: %(rule)s") % {"rule": _(problem)}
            )
    try:
        unit.full_clean(exclude=["search_key"])
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    if unit.street_id and unit.street.type != rules.STREET:
        errors.setdefault("street", []).append(_("must be a street working committee"))
    if unit.community_id:
        if unit.community.type != rules.COMMUNITY:
            errors.setdefault("community", []).append(_("must be a community committee"))
        elif unit.community.parent_id != unit.street_id:
            errors.setdefault("community", []).append(
                _("the community does not belong to the chosen street")
            )
    problem = rules.coverage_error(
        unit.coverage, has_org=unit.org_id is not None, instructor_name=unit.instructor_name
    )
    if problem:
        errors.setdefault("coverage", []).append(str(problem))
    if unit.org_id:
        problem = rules.coverage_org_error(unit.coverage, unit.org.type)
        if problem:
            errors.setdefault("org", []).append(str(problem))
        elif (
            not can_manage_path(actor, unit.org.path)
            and not Org.objects.visible_to(actor).filter(pk=unit.org_id).exists()
        ):
            errors.setdefault("org", []).append(_("organisation not found"))
    raise_if(errors)


def _unit_scope_path(unit: Unit) -> str:
    return (unit.community or unit.street).path


@transaction.atomic
def create_unit(*, actor, **fields) -> Unit:
    unknown = set(fields) - set(UNIT_FIELDS)
    if unknown:
        raise ValidationError({name: [_("unknown field")] for name in sorted(unknown)})
    unit = Unit(**fields)
    _validate_unit(actor, unit)
    _require_manage(actor, _unit_scope_path(unit))
    unit.search_key = search_key(unit.name)
    unit.save()
    audit.record(
        actor=actor,
        action="create",
        obj=unit,
        changes=audit.diff({}, audit.snapshot(unit, UNIT_FIELDS)),
    )
    return unit


@transaction.atomic
def update_unit(*, actor, unit: Unit, **changes) -> Unit:
    unknown = set(changes) - set(UNIT_FIELDS)
    if unknown:
        raise ValidationError({name: [_("unknown field")] for name in sorted(unknown)})
    unit = Unit.objects.select_for_update().get(pk=unit.pk)
    _require_manage(actor, _unit_scope_path(unit))
    before = audit.snapshot(unit, UNIT_FIELDS)
    for name, value in changes.items():
        setattr(unit, name, value)
    _validate_unit(actor, unit)
    _require_manage(actor, _unit_scope_path(unit))
    unit.search_key = search_key(unit.name)
    unit.save()
    changed = audit.diff(before, audit.snapshot(unit, UNIT_FIELDS))
    if changed:
        audit.record(actor=actor, action="update", obj=unit, changes=changed)
    return unit
