"""Reads of buildings, households, residents and care needs: scoped, masked, paged."""

from __future__ import annotations

import re

from django.db.models import Q
from django.shortcuts import get_object_or_404

from tongxin.core.codes import mask_id_number, mask_phone
from tongxin.grid.models import Building, CareNeed, Household, Resident
from tongxin.orgs.selectors import page_by_id

PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
_TAIL_RE = re.compile(r"^\d{4}$")


def mask_address(address: str) -> str:
    return "*" * min(len(address or ""), 8)


def with_masks(obj):
    """`phone_masked`, `address_masked`, `id_number_masked` for display."""
    if "phone" not in obj.get_deferred_fields():
        obj.phone_masked = mask_phone(obj.phone or "")
    if isinstance(obj, Household) and "address" not in obj.get_deferred_fields():
        obj.address_masked = mask_address(obj.address)
    if isinstance(obj, Resident):
        obj.id_number_masked = mask_id_number(obj.id_number or "")
    return obj


def buildings_of(grid) -> list[Building]:
    return list(Building.objects.filter(grid=grid).order_by("name"))


def household_list(user, *, grid, q: str = "", building: int | None = None, after=None,
                   limit=PAGE_SIZE):  # fmt: skip
    """A page of a grid's households by id (head name, building, room); no decryption."""
    qs = (
        Household.objects.visible_to(user)
        .filter(grid=grid)
        .select_related("building")
        .defer("address", "phone", "search_key")
        .order_by("id")
    )
    if building:
        qs = qs.filter(building_id=building)
    q = (q or "").strip()
    if _TAIL_RE.match(q):
        qs = qs.filter(phone_tail=q)
    elif q:
        qs = qs.filter(Q(head_name__startswith=q) | Q(search_key__contains=q.lower()))
    return page_by_id(qs, after, max(1, min(limit, MAX_PAGE_SIZE)))


def household_detail(user, pk) -> Household:
    qs = Household.objects.visible_to(user).select_related("grid__community", "building")
    return with_masks(get_object_or_404(qs, pk=pk))


def residents_of(household) -> list[Resident]:
    qs = Resident.objects.filter(household=household).select_related("member").order_by("id")
    return [with_masks(r) for r in qs]


def care_needs_of(household) -> list[CareNeed]:
    return list(
        CareNeed.objects.filter(household=household)
        .select_related("resident")
        .defer("details")
        .order_by("ended_on", "id")
    )


def resident_detail(user, pk) -> Resident:
    qs = Resident.objects.visible_to(user).select_related("household__grid__community")
    return with_masks(get_object_or_404(qs, pk=pk))


def care_need_detail(user, pk) -> CareNeed:
    qs = CareNeed.objects.visible_to(user).select_related("household__grid__community", "resident")
    return get_object_or_404(qs, pk=pk)
