"""The one scoping entry point: `Model.objects.visible_to(user)`.

A user's role assignments are bound to org nodes; each assignment shows that node's
subtree (DOMAIN.md §2). Org nodes carry a materialised `path`, so "inside the subtree of
X" is `path LIKE 'X.path%'` — one indexed query. Models declare which path(s) place
them in the tree through `scope_lookups` on their queryset.
"""

from django.db import models
from django.db.models import Q

# Roles that may create and change organisations and units within their subtree.
MANAGER_ROLES = frozenset({"district_admin", "street_admin", "community_admin"})


def _collapse(paths: set[str]) -> list[str]:
    """Drop paths already inside another path of the set."""
    kept: list[str] = []
    for p in sorted(paths):
        if not any(p.startswith(k) for k in kept):
            kept.append(p)
    return kept


def _assignments(user):
    cached = getattr(user, "_tongxin_assignments", None)
    if cached is None:
        cached = list(
            user.role_assignments.filter(active=True, org__isnull=False).values_list(
                "role", "org__path"
            )
        )
        user._tongxin_assignments = cached
    return cached


def scope_paths(user, roles: frozenset[str] | None = None) -> list[str]:
    """Org paths whose subtrees the user may see (or, with `roles`, act in)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return []
    return _collapse({path for role, path in _assignments(user) if roles is None or role in roles})


def roles_of(user) -> set[str]:
    if user is None or not user.is_authenticated:
        return set()
    return {role for role, _ in _assignments(user)}


def path_q(paths: list[str], lookups: tuple[str, ...]) -> Q:
    q = Q(pk__in=[])
    for lookup in lookups:
        for p in paths:
            q |= Q(**{f"{lookup}__startswith": p})
    return q


def _is_root(path: str) -> bool:
    return path.count("/") == 1  # one segment: the district committee itself


class ScopedQuerySet(models.QuerySet):
    scope_lookups: tuple[str, ...] = ("path",)

    def _scoped(self, paths: list[str]):
        if not paths:
            return self.none()
        if any(_is_root(p) for p in paths):
            return self.all()  # the whole tree: no joins needed (benchmarks/FINDINGS.md §3)
        return self.filter(path_q(paths, self.scope_lookups))

    def visible_to(self, user, roles: frozenset[str] | None = None):
        """Rows in the subtrees of the user's assignments (only those of `roles`, if given)."""
        return self._scoped(scope_paths(user, roles))

    def manageable_by(self, user):
        return self._scoped(scope_paths(user, MANAGER_ROLES))


def can_manage_path(user, path: str) -> bool:
    return any(path.startswith(p) for p in scope_paths(user, MANAGER_ROLES))


def can_see_path(user, path: str) -> bool:
    return any(path.startswith(p) for p in scope_paths(user))
