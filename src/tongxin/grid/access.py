"""Who sees and does what in the grid app — the one scoping rule (DOMAIN.md §2).

* Managers (district, street and community administrators: `core.scoping.MANAGER_ROLES`) see
  and manage every grid whose community lies in the subtree of their role's org node, and
  everything in those grids.
* A grid worker (role `grid_worker`, bound to an org node — usually their community) sees only
  the grids they lead or work in, and only inside the subtree of that role's node: a worker
  removed from a grid, or whose role is moved elsewhere, loses it at once. In their grids
  they record buildings, households, residents, care needs and visits; they do not create or
  change grids.
* Everybody else (branch secretaries, party members, department handlers …) sees no grid data.

Unmasking (DOMAIN.md §9.4, minimum necessary): district and community administrators may
unmask every sensitive field of their subtree; a grid worker only the phone and address of
households and residents in their own grids (to visit and call them), never ID numbers or
care details. Street administrators supervise and do not unmask (as in members).
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.utils.translation import gettext as _

from tongxin.core.scoping import MANAGER_ROLES, path_q, scope_paths

GRID_WORKER = "grid_worker"
WORKER_ROLES = frozenset({GRID_WORKER})
GRID_ROLES = MANAGER_ROLES | WORKER_ROLES  # who has any business with grids (navigation)
UNMASK_ALL_ROLES = frozenset({"district_admin", "community_admin"})
WORKER_UNMASK_FIELDS = frozenset({"phone", "address"})


def _is_root(path: str) -> bool:
    return path.count("/") == 1


def grid_scope_q(user, grid_lookup: str = "", *, managers_only: bool = False) -> Q | None:
    """The filter of rows the user may see, for a model that reaches its grid through
    `grid_lookup` ("" for Grid itself, "grid__", "household__grid__" …). None: no filter
    (a district administrator of the root sees everything)."""
    manager_paths = scope_paths(user, MANAGER_ROLES)
    if any(_is_root(p) for p in manager_paths):
        return None
    q = path_q(manager_paths, (f"{grid_lookup}community__path",))
    if managers_only:
        return q
    worker_paths = scope_paths(user, WORKER_ROLES)
    if worker_paths:
        from tongxin.grid.models import Grid

        own = Grid.objects.filter(path_q(worker_paths, ("community__path",))).filter(
            Q(leader=user) | Q(workers=user)
        )
        q |= Q(**{f"{grid_lookup}id__in" if grid_lookup else "id__in": own.values("id")})
    return q


def visible_grids(user):
    from tongxin.grid.models import Grid

    return Grid.objects.visible_to(user)


def has_grid_role(user) -> bool:
    return bool(scope_paths(user, GRID_ROLES))


def require_grid_role(user) -> None:
    """Pages only grid managers and workers open: 403 for everybody else."""
    if not has_grid_role(user):
        raise PermissionDenied(_("Only grid workers and community administrators see grids."))


def manages_path(user, community_path: str) -> bool:
    return any(community_path.startswith(p) for p in scope_paths(user, MANAGER_ROLES))


def manages(user, grid) -> bool:
    """The user may create or change the grid itself (boundary, leader, workers)."""
    return manages_path(user, grid.community.path)


def works_in(user, grid) -> bool:
    """The user may record households, residents, care needs and visits in the grid: a
    manager of its community, or a grid worker who leads or works in it (in scope)."""
    return manages(user, grid) or is_worker_of(user, grid)


def is_worker_of(user, grid) -> bool:
    """The user holds the grid-worker role over the grid's community and leads or works in it."""
    if not any(grid.community.path.startswith(p) for p in scope_paths(user, WORKER_ROLES)):
        return False
    uid = getattr(user, "pk", None)
    return grid.leader_id == uid or grid.workers.filter(pk=uid).exists()


def may_unmask(user, grid, field: str) -> bool:
    path = grid.community.path
    if any(path.startswith(p) for p in scope_paths(user, UNMASK_ALL_ROLES)):
        return True
    return field in WORKER_UNMASK_FIELDS and is_worker_of(user, grid)
