"""Every read of the member registry: scoped through `visible_to`, keyset-paged, no N+1.

A keeper (MEMBER_KEEPERS) sees the members of their subtree; a party member sees only their
own record, through `my_member` (/me/). Searching never decrypts the table: names through
the pinyin `search_key`, ID numbers through their keyed digest or last four characters,
phones through their last four digits.
"""

import re
from dataclasses import dataclass, field
from datetime import date

from django.db.models import Exists, OuterRef, Q
from django.shortcuts import get_object_or_404
from django.utils import timezone

from tongxin.core.codes import mask_id_number, mask_phone
from tongxin.core.crypto import digest
from tongxin.core.scoping import path_q, scope_paths
from tongxin.members.models import (
    MEMBER_KEEPERS,
    Category,
    CorrectionRequest,
    DuesRecord,
    FloatingRecord,
    Member,
    Status,
)
from tongxin.members.rules.dues import add_months, month_start
from tongxin.orgs.models import Org
from tongxin.orgs.selectors import page_by_id

PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
LEDGER_MONTHS = 24

_ID_RE = re.compile(r"^\d{17}[\dXx]$")
_TAIL_RE = re.compile(r"^\d{3}[\dXx]$")

# status filter values beyond the Status choices
IN_ROLL = ""  # default: in good standing, suspended or retained (MemberQuerySet.in_roll)
ALL = "all"

FLAGS = {
    "lost_contact": Q(lost_contact_since__isnull=False),
    "abroad": Q(is_abroad=True),
    "high_knowledge": Q(is_high_knowledge=True),
    "migrant": Q(is_migrant_worker=True),
    "soe": Q(is_soe=True),
    "two_new": Q(is_two_new=True),
}
FLOATING = "floating"  # has an open FloatingRecord (returned_on empty)
FLAG_NAMES = (*FLAGS, FLOATING)


@dataclass
class MemberFilters:
    q: str = ""
    org: int | None = None
    category: str = ""
    status: str = IN_ROLL
    flags: list[str] = field(default_factory=list)


def keepers_view(user):
    """Members the user keeps (their subtree under a keeper role)."""
    return Member.objects.visible_to(user, MEMBER_KEEPERS)


def with_masks(member: Member) -> Member:
    """Masked ID number and phone for display (`id_number_masked`, `phone_masked`)."""
    member.id_number_masked = mask_id_number(member.id_number or "")
    member.phone_masked = mask_phone(member.phone or "")
    if "address" not in member.get_deferred_fields():
        member.address_masked = "*" * min(len(member.address or ""), 8)
    return member


def search_q(q: str) -> Q:
    """Name, full pinyin or initials; a whole ID number (digest); four characters: the tail of
    the ID number or of the phone (exact, indexed).

    Every branch is index-backed on PostgreSQL (benchmarks: 600,000 members): three or more
    characters search `search_key` through its trigram index; one or two Chinese characters
    (too short for trigrams) match the start of the name — a surname or a two-character name.
    """
    q = q.strip()
    if _ID_RE.match(q):
        return Q(id_digest=digest(q))
    if _TAIL_RE.match(q):
        return Q(id_tail=q.upper()) | Q(phone_tail=q) if q[-1].isdigit() else Q(id_tail=q.upper())
    if len(q) <= 2 and not q.isascii():
        return Q(name__startswith=q)
    return Q(search_key__contains=q.lower())


def member_queryset(user, filters: MemberFilters):
    qs = keepers_view(user)
    if filters.q and filters.q.strip():
        qs = qs.filter(search_q(filters.q))
    if filters.org:
        path = Org.objects.filter(pk=filters.org).values_list("path", flat=True).first()
        qs = qs.filter(org__path__startswith=path) if path else qs.none()
    if filters.category:
        qs = qs.filter(category=filters.category)
    if filters.status == IN_ROLL:
        qs = qs.in_roll()
    elif filters.status != ALL:
        qs = qs.filter(status=filters.status)
    for flag in filters.flags:
        if flag in FLAGS:
            qs = qs.filter(FLAGS[flag])
        elif flag == FLOATING:
            qs = qs.filter(
                Exists(
                    FloatingRecord.objects.filter(member=OuterRef("pk"), returned_on__isnull=True)
                )
            )
    return qs


def member_list(user, filters: MemberFilters, *, after: str | None = None, limit: int = PAGE_SIZE):
    """A page of members by id; returns (items, next_cursor). No COUNT over the table."""
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    qs = (
        member_queryset(user, filters)
        .select_related("org")
        .defer("address", "search_key")
        .order_by("id")
    )
    items, next_cursor = page_by_id(qs, after, limit)
    return [with_masks(m) for m in items], next_cursor


def member_detail(user, pk) -> Member:
    """A member the user keeps; 404 otherwise (a member sees themself through `my_member`)."""
    qs = keepers_view(user).select_related("org", "party_group", "user")
    return with_masks(get_object_or_404(qs, pk=pk))


def member_for_reveal(user, pk) -> Member:
    """A member the user keeps, or the user's own record; 404 otherwise."""
    own = Member.objects.filter(user=user, pk=pk).select_related("org").first()
    return own if own is not None else member_detail(user, pk)


def my_member(user) -> Member | None:
    if user is None or not user.is_authenticated:
        return None
    member = Member.objects.select_related("org", "party_group").filter(user=user).first()
    return with_masks(member) if member else None


def member_history(member: Member) -> list:
    """Newest first; `from_label`/`to_label` show standing and category codes as words."""
    labels = {**dict(Status.choices), **dict(Category.choices)}
    entries = list(member.history.select_related("actor").order_by("-effective_on", "-id"))
    for entry in entries:
        entry.from_label = labels.get(entry.from_value, entry.from_value)
        entry.to_label = labels.get(entry.to_value, entry.to_value)
    return entries


def member_flags(member: Member) -> dict:
    """The flags shown on a record: lost contact (since), floating (open record), abroad."""
    floating = (
        FloatingRecord.objects.filter(member=member, returned_on__isnull=True)
        .select_related("host_org")
        .first()
    )
    return {
        "lost_contact_since": member.lost_contact_since,
        "floating": floating,
        "abroad": member.is_abroad,
    }


def dues_ledger(member: Member, *, today: date | None = None, months: int = LEDGER_MONTHS):
    """The member's ledger for the last `months` months, newest first."""
    start = add_months(month_start(today or timezone.localdate()), -(months - 1))
    return list(
        DuesRecord.objects.filter(member=member, month__gte=start)
        .select_related("org")
        .order_by("-month")
    )


def member_transfers(member: Member, *, limit: int = 20) -> list:
    return list(member.transfers.select_related("from_org", "to_org").order_by("-id")[:limit])


def my_page(user, *, today: date | None = None) -> dict | None:
    """What /me/ shows: the member's record, branch, ledger, transfers and requests."""
    member = my_member(user)
    if member is None:
        return None
    return {
        "member": member,
        "org": member.org,
        "ledger": dues_ledger(member, today=today),
        "transfers": member_transfers(member),
        "corrections": [
            with_field_label(c) for c in member.corrections.order_by("-created_at")[:20]
        ],
        "history": member_history(member),
        "flags": member_flags(member),
    }


# ---------------------------------------------------------------- correction requests


def with_field_label(request: CorrectionRequest) -> CorrectionRequest:
    """`field_label` for display; a requested ID number or phone is shown masked."""
    try:
        request.field_label = Member._meta.get_field(request.field).verbose_name
    except Exception:  # a field name from an older version of the form
        request.field_label = request.field
    value = request.requested_value or ""
    if request.field == "id_number":
        value = mask_id_number(value)
    elif request.field == "phone":
        value = mask_phone(value)
    request.value_shown = value
    return request


def correction_queryset(user):
    paths = scope_paths(user, MEMBER_KEEPERS)
    qs = CorrectionRequest.objects.select_related("member__org", "handled_by")
    if not paths:
        return qs.none()
    if any(p.count("/") == 1 for p in paths):
        return qs
    return qs.filter(path_q(paths, ("member__org__path",)))


def correction_queue(
    user, *, state: str = CorrectionRequest.State.OPEN, after=None, limit: int = PAGE_SIZE
):
    """Requests of members the user keeps, oldest waiting first; (items, next_cursor)."""
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    qs = correction_queryset(user).order_by("id")
    if state in CorrectionRequest.State.values:
        qs = qs.filter(state=state)
    items, next_cursor = page_by_id(qs, after, limit)
    return [with_field_label(r) for r in items], next_cursor


def correction_detail(user, pk) -> CorrectionRequest:
    return with_field_label(get_object_or_404(correction_queryset(user), pk=pk))


def keeper_orgs(user):
    """Organisations the user may place members in (for the member form)."""
    from tongxin.members.services.registry import MEMBER_ORG_TYPES

    return (
        Org.objects.visible_to(user, MEMBER_KEEPERS)
        .filter(type__in=MEMBER_ORG_TYPES, active=True)
        .order_by("path")
    )


def status_label(value: str) -> str:
    return dict(Status.choices).get(value, value)
