"""Who sees and does what in study and education — the one access module of the app.

* Campaigns and education bases are launched/registered by an org and visible to that org's
  whole subtree: a user sees those of orgs above or within their scope (core.scoping paths,
  plus a party member's own branch).
* Keepers (members.access: district/street/community admins, branch secretaries) launch
  campaigns and register bases for orgs they keep, record study and visits for the branches
  they keep, and keep the secretary roster and training records of their subtree.
* A party member (the user linked to a Member) sees and adds their own self-study.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.utils.translation import gettext as _

from tongxin.core.scoping import path_q, scope_paths
from tongxin.members.access import keeper_paths, keeps, keeps_path
from tongxin.members.models import Member
from tongxin.orgs.models import PATH_SEGMENT

SEGMENT = PATH_SEGMENT + 1  # digits and the slash

__all__ = [
    "ancestors",
    "keeper_paths",
    "keeps",
    "keeps_path",
    "member_of",
    "require_keeper",
    "seen_paths",
    "top_down_q",
]


def ancestors(path: str) -> list[str]:
    """The path itself and the paths of every org above it."""
    return [path[:i] for i in range(SEGMENT, len(path) + 1, SEGMENT)]


def member_of(user) -> Member | None:
    """The party member whose account this is (None: not linked)."""
    if user is None or not user.is_authenticated:
        return None
    cached = getattr(user, "_education_member", False)
    if cached is False:
        cached = Member.objects.filter(user=user).select_related("org").first()
        user._education_member = cached
    return cached


def seen_paths(user) -> list[str]:
    """Subtrees the user sees: their role scopes, and their own branch if a member."""
    paths = set(scope_paths(user))
    member = member_of(user)
    if member is not None:
        paths.add(member.org.path)
    return sorted(paths)


def top_down_q(user, lookup: str = "org__path") -> Q:
    """Rows launched by an org above or within the user's scope (campaigns, bases)."""
    paths = seen_paths(user)
    if not paths:
        return Q(pk__in=[])
    above = {a for p in paths for a in ancestors(p)}
    return Q(**{f"{lookup}__in": sorted(above)}) | path_q(paths, (lookup,))


def require_keeper(user) -> None:
    if not keeper_paths(user):
        raise PermissionDenied(_("Only keepers of the member registry may do this."))


def may_record_for(user, member: Member) -> bool:
    """Branch entries for a member: the keepers of the member's branch."""
    return keeps(user, member.org)


def may_self_record(user, member: Member) -> bool:
    return member.user_id is not None and member.user_id == user.pk
