"""Every read of transfers: both sides see a transfer (the sending side stays responsible
until receipt, §4.4) through `Transfer.objects.visible_to(user, MEMBER_KEEPERS)`; a member
sees their own. Keyset pages, no N+1."""

from django.db.models import Q
from django.shortcuts import get_object_or_404

from tongxin.core.scoping import path_q, scope_paths
from tongxin.members.models import MEMBER_KEEPERS, Member, Transfer
from tongxin.members.rules import transfers as rules
from tongxin.orgs.selectors import (
    MAX_PAGE_SIZE,
    PAGE_SIZE,
    page_by_id,
)

DIRECTIONS = ("outgoing", "incoming")


def viewable(user):
    """Transfers the user keeps (either side) or that are their own."""
    kept = Transfer.objects.visible_to(user, MEMBER_KEEPERS)
    if getattr(user, "is_authenticated", False):
        return kept | Transfer.objects.filter(member__user=user)
    return kept


def _is_root(path: str) -> bool:
    return path.count("/") == 1


def _side_q(user, lookup: str) -> Q:
    paths = scope_paths(user, MEMBER_KEEPERS)
    if any(_is_root(p) for p in paths):
        return Q(**{f"{lookup}__isnull": False})
    return path_q(paths, (lookup,))


def transfer_list(
    user,
    *,
    direction: str = "",
    state: str = "",
    after: str | None = None,
    limit: int = PAGE_SIZE,
):
    """A page of transfers, newest first; returns (items, next_cursor)."""
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    qs = viewable(user).select_related("member", "from_org", "to_org").order_by("-id")
    if direction == "outgoing":
        qs = qs.filter(_side_q(user, "from_org__path"))
    elif direction == "incoming":
        qs = qs.filter(_side_q(user, "to_org__path"))
    if state in rules.STATES:
        qs = qs.filter(state=state)
    elif state == "open":
        qs = qs.filter(state__in=rules.OPEN)
    return page_by_id(qs, after, limit, descending=True)


def transfer_detail(user, pk) -> Transfer:
    qs = viewable(user).select_related("member", "member__org", "from_org", "to_org")
    return get_object_or_404(qs, pk=pk)


def timeline(transfer: Transfer) -> list:
    return list(transfer.events.select_related("actor").order_by("at", "id"))


def own_transfers(user, *, limit: int = 50) -> list[Transfer]:
    if not getattr(user, "is_authenticated", False):
        return []
    return list(
        Transfer.objects.filter(member__user=user)
        .select_related("member", "from_org", "to_org")
        .order_by("-id")[:limit]
    )


def own_member(user) -> Member | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return Member.objects.select_related("org").filter(user=user).first()


def kept_member(user, pk) -> Member:
    """A member whose registry the user keeps, or 404."""
    qs = Member.objects.visible_to(user, MEMBER_KEEPERS).select_related("org")
    return get_object_or_404(qs, pk=pk)


def member_choices(user, q: str, *, limit: int = 20) -> list[Member]:
    """Members in the user's keeping matching a name or pinyin (for choosing whom to move)."""
    q = (q or "").strip().lower()
    if not q:
        return []
    return list(
        Member.objects.visible_to(user, MEMBER_KEEPERS)
        .in_roll()
        .filter(Q(search_key__contains=q) | Q(name__contains=q))
        .select_related("org")
        .order_by("id")[:limit]
    )
