"""Buildings, households, residents and care needs of a grid — recorded by the grid's workers
and the community's administrators (access.works_in); sensitive values encrypted, audited
masked, revealed one at a time (`reveal`)."""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.utils.translation import gettext as _

from tongxin.core import audit
from tongxin.core.crypto import digest
from tongxin.core.errors import PermissionDenied, ValidationError, raise_if
from tongxin.core.models import AuditEntry
from tongxin.core.pinyin import search_key
from tongxin.grid import access, rules
from tongxin.grid.models import (
    Building,
    CareGroup,
    CareNeed,
    Gender,
    Grid,
    Household,
    Relation,
    Resident,
)
from tongxin.grid.services._common import Errors, today_or
from tongxin.members.models import Member
from tongxin.members.rules.registry import id_error, phone_error, phone_tail

SENSITIVE = {
    Household: ("address", "phone"),
    Resident: ("id_number", "phone"),
    CareNeed: ("details",),
}


def _require_works_in(actor, grid: Grid) -> None:
    if not access.works_in(actor, grid):
        raise PermissionDenied(_("You do not work in this grid."))


@transaction.atomic
def create_building(*, actor, grid: Grid, name: str, address: str = "", floors=None) -> Building:
    _require_works_in(actor, grid)
    errors = Errors()
    name = errors.text("name", name, max_length=60, required=True)
    address = errors.text("address", address, max_length=200)
    if floors is not None and (
        not isinstance(floors, int) or isinstance(floors, bool) or not 1 <= floors <= 200
    ):
        errors.add("floors", _("Enter a number from %(min)s to %(max)s.") % {"min": 1, "max": 200})
    if name and Building.objects.filter(grid=grid, name=name).exists():
        errors.add("name", _("the grid already has a building of this name"))
    raise_if(errors)
    building = Building.objects.create(grid=grid, name=name, address=address, floors=floors)
    audit.record(
        actor=actor,
        action="create",
        obj=building,
        changes=audit.diff({}, audit.snapshot(building, ("grid", "name", "address", "floors"))),
    )
    return building


HOUSEHOLD_FIELDS = ("grid", "building", "room", "address", "head_name", "phone")


@transaction.atomic
def create_household(
    *,
    actor,
    grid: Grid,
    head_name: str,
    building: Building | None = None,
    room: str = "",
    address: str = "",
    phone: str = "",
) -> Household:
    _require_works_in(actor, grid)
    errors = Errors()
    head_name = errors.text("head_name", head_name, max_length=50, required=True)
    room = errors.text("room", room, max_length=30)
    address = errors.text("address", address, max_length=200)
    phone = errors.text("phone", phone, max_length=30)
    problem = phone_error(phone)
    if problem:
        errors.add("phone", problem)
    if building is not None and building.grid_id != grid.pk:
        errors.add("building", _("the building is in another grid"))
    raise_if(errors)
    household = Household.objects.create(
        grid=grid,
        building=building,
        room=room,
        address=address,
        head_name=head_name,
        phone=phone,
        phone_tail=phone_tail(phone),
        search_key=search_key(head_name)[:200],
    )
    audit.record(
        actor=actor,
        action="create",
        obj=household,
        changes=audit.diff({}, audit.snapshot(household, HOUSEHOLD_FIELDS), SENSITIVE[Household]),
    )
    return household


RESIDENT_FIELDS = (
    "household", "name", "gender", "birth_date", "id_number", "phone", "relation", "member",
)  # fmt: skip


def _member_for(id_number: str) -> Member | None:
    """The registry record with the same ID number, not yet linked to a resident."""
    if not id_number:
        return None
    return (
        Member.objects.in_roll().filter(id_digest=digest(id_number), resident__isnull=True).first()
    )


@transaction.atomic
def create_resident(
    *,
    actor,
    household: Household,
    name: str,
    gender: str,
    birth_date: date | None = None,
    id_number: str = "",
    phone: str = "",
    relation: str = Relation.OTHER,
    today: date | None = None,
) -> Resident:
    """A resident of the household. The ID number is optional (minimum necessary); when given
    it is checked (GB 11643), fills in the birth date and must be unique among residents. A
    resident whose ID number is in the member registry is linked to their member record."""
    today = today_or(today)
    household = (
        Household.objects.select_for_update().select_related("grid__community").get(pk=household.pk)
    )
    _require_works_in(actor, household.grid)
    errors = Errors()
    name = errors.text("name", name, max_length=50, required=True)
    if gender not in Gender.values:
        errors.add("gender", _("One of: %(choices)s.") % {"choices": ", ".join(Gender.values)})
    if relation not in Relation.values:
        errors.add("relation", _("One of: %(choices)s.") % {"choices": ", ".join(Relation.values)})
    id_number = errors.text("id_number", id_number, max_length=18).upper()
    phone = errors.text("phone", phone, max_length=30)
    if id_number:
        problem = id_error(id_number, birth_date)
        if problem:
            errors.add("id_number", problem)
        elif birth_date is None:
            from tongxin.core.codes import id_number_birth_date

            birth_date = id_number_birth_date(id_number)
        if not problem and Resident.objects.filter(id_digest=digest(id_number)).exists():
            errors.add("id_number", _("a resident with this ID number is already recorded"))
    if birth_date is not None and birth_date > today:
        errors.add("birth_date", _("cannot be in the future"))
    problem = phone_error(phone)
    if problem:
        errors.add("phone", problem)
    if relation == rules.HEAD and household.residents.filter(relation=rules.HEAD).exists():
        errors.add("relation", _("the household already has a head"))
    raise_if(errors)
    resident = Resident.objects.create(
        household=household,
        name=name,
        gender=gender,
        birth_date=birth_date,
        id_number=id_number,
        id_digest=digest(id_number) if id_number else "",
        id_tail=id_number[-4:],
        phone=phone,
        phone_tail=phone_tail(phone),
        relation=relation,
        member=_member_for(id_number),
        search_key=search_key(name)[:200],
    )
    audit.record(
        actor=actor,
        action="create",
        obj=resident,
        changes=audit.diff({}, audit.snapshot(resident, RESIDENT_FIELDS), SENSITIVE[Resident]),
    )
    return resident


@transaction.atomic
def add_care_need(
    *,
    actor,
    household: Household,
    group: str,
    resident: Resident | None = None,
    since: date | None = None,
    details: str = "",
    today: date | None = None,
) -> CareNeed:
    """Put a household (family groups) or one of its residents (personal groups) in a care
    group (rules.care_need_error). One open need per group and person or household."""
    today = today_or(today)
    household = (
        Household.objects.select_for_update().select_related("grid__community").get(pk=household.pk)
    )
    _require_works_in(actor, household.grid)
    errors = Errors()
    details = errors.text("details", details, max_length=5000)
    since = since or today
    if since > today:
        errors.add("since", _("cannot be in the future"))
    if resident is not None and resident.household_id != household.pk:
        errors.add("resident", _("the resident lives in another household"))
    elif group not in CareGroup.values:
        errors.add("group", _("unknown care group"))
    else:
        broken = rules.care_need_error(
            group,
            has_resident=resident is not None,
            birth_date=resident.birth_date if resident else None,
            household_size=household.residents.count(),
            today=today,
        )
        if broken:
            errors.add(*broken)
        elif CareNeed.objects.filter(
            household=household, resident=resident, group=group, ended_on__isnull=True
        ).exists():
            errors.add("group", _("already recorded in this care group"))
    raise_if(errors)
    need = CareNeed.objects.create(
        household=household, resident=resident, group=group, since=since, details=details
    )
    audit.record(
        actor=actor,
        action="create",
        obj=need,
        object_repr=f"{household.head_name} · {need.get_group_display()}",
        changes=audit.diff(
            {},
            audit.snapshot(need, ("household", "resident", "group", "since", "details")),
            SENSITIVE[CareNeed],
        ),
    )
    return need


def _grid_of(obj) -> Grid:
    if isinstance(obj, Household):
        return obj.grid
    return obj.household.grid


def may_unmask(actor, obj, field: str) -> bool:
    return access.may_unmask(actor, _grid_of(obj), field)


def reveal(*, actor, obj, field: str) -> str:
    """The clear value of one masked field of a household, resident or care need, for a role
    that may see it (access.may_unmask). Every reveal and refusal is audited, without the
    value (DOMAIN.md §9.2, §9.4). `obj` comes from a scoped selector."""
    if field not in SENSITIVE.get(type(obj), ()):
        raise ValidationError({"field": [_("this field is not masked")]})
    allowed = may_unmask(actor, obj, field)
    audit.record(
        actor=actor,
        action="unmask",
        obj=obj,
        object_repr=str(obj)[:200] if not isinstance(obj, CareNeed) else obj.household.head_name,
        changes={"field": [None, field]},
        result=AuditEntry.Result.OK if allowed else AuditEntry.Result.DENIED,
    )
    if not allowed:
        raise PermissionDenied(_("Your role does not allow seeing this value."))
    return getattr(obj, field)
