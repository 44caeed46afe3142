"""Reads of lapse flags: scoped to the keepers of the member's branch, keyset-paginated."""

from django.db.models import Count
from django.shortcuts import get_object_or_404

from tongxin.core.scoping import path_q
from tongxin.members.models import MEMBER_KEEPERS, LapseFlag, Member
from tongxin.orgs.selectors import (
    MAX_PAGE_SIZE,
    PAGE_SIZE,
    page_by_id,
)

# Up to this many members in the chosen subtree the on-demand check runs in the request;
# above it, the check is queued for the worker.
SYNC_MAX_MEMBERS = 5000


def flags_queryset(user):
    return LapseFlag.objects.visible_to(user, MEMBER_KEEPERS).select_related(
        "member", "member__org", "resolved_by"
    )


def flag_list(
    user,
    *,
    kind: str | None = None,
    state: str | None = LapseFlag.State.OPEN,
    after: str | None = None,
    limit: int = PAGE_SIZE,
):
    """A page of flags, newest first; returns (items, next_cursor)."""
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    qs = flags_queryset(user).order_by("-id")
    if kind:
        qs = qs.filter(kind=kind)
    if state:
        qs = qs.filter(state=state)
    return page_by_id(qs, after, limit, descending=True)


def open_counts(user) -> dict[str, int]:
    """{kind: number of open flags} in the user's scope, one aggregate query."""
    rows = (
        LapseFlag.objects.visible_to(user, MEMBER_KEEPERS)
        .filter(state=LapseFlag.State.OPEN)
        .values_list("kind")
        .annotate(n=Count("id"))
        .order_by()
    )
    return dict(rows)


def flag_detail(user, flag_id) -> LapseFlag:
    return get_object_or_404(flags_queryset(user), pk=flag_id)


def members_in_subtree(paths: list[str]) -> int:
    return Member.objects.filter(path_q(paths, ("org__path",))).count()
