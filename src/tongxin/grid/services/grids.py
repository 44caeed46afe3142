"""Creating and changing grids (managers of the community only — access.manages)."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from tongxin.core import audit
from tongxin.core.errors import PermissionDenied, ValidationError, raise_if
from tongxin.core.pinyin import search_key
from tongxin.grid import access, rules
from tongxin.grid.models import Grid
from tongxin.grid.selectors.people import eligible_leaders, eligible_workers
from tongxin.grid.services._common import Errors
from tongxin.orgs import rules as org_rules
from tongxin.orgs.models import Org

FIELDS = ("community", "code", "name", "boundary", "leader", "party_org", "description", "active")
PARTY_ORG_TYPES = org_rules.BRANCH_TYPES | {org_rules.PARTY_GROUP}


def _snapshot(grid: Grid, workers: list[int]) -> dict:
    data = audit.snapshot(grid, FIELDS)
    data["boundary"] = None if grid.boundary is None else "geojson"
    data["workers"] = sorted(workers)
    return data


def _validate(actor, grid: Grid, workers: list) -> list:
    errors = Errors()
    grid.code = errors.text("code", grid.code, max_length=32, required=True)
    grid.name = errors.text("name", grid.name, max_length=100, required=True)
    grid.description = errors.text("description", grid.description, max_length=2000)
    community = grid.community
    if community.type != org_rules.COMMUNITY:
        errors.add("community", _("a grid belongs to a community committee"))
    elif not access.manages_path(actor, community.path):
        errors.add("community", _("community not found in your scope"))
    if grid.code and Grid.objects.filter(code=grid.code).exclude(pk=grid.pk).exists():
        errors.add("code", _("a grid with this code already exists"))
    if (
        grid.name
        and Grid.objects.filter(community=community, name=grid.name).exclude(pk=grid.pk).exists()
    ):
        errors.add("name", _("the community already has a grid of this name"))
    if grid.boundary is not None:
        grid.boundary = rules.normalise_boundary(grid.boundary)
        for message in rules.boundary_errors(grid.boundary):
            errors.add("boundary", message)
    if (
        grid.leader_id is not None
        and not eligible_leaders(community).filter(pk=grid.leader_id).exists()
    ):
        errors.add(
            "leader",
            _("the leader must be a grid worker or administrator of this community"),
        )
    worker_ids = sorted({getattr(w, "pk", w) for w in workers})
    if worker_ids:
        known = set(
            eligible_workers(community).filter(pk__in=worker_ids).values_list("pk", flat=True)
        )
        if set(worker_ids) - known:
            errors.add(
                "workers", _("every worker must hold the grid worker role for this community")
            )
    if grid.party_org_id is not None:
        org = grid.party_org
        if not org.path.startswith(community.path) or org.pk == community.pk:
            errors.add("party_org", _("the party branch or group must be inside the community"))
        elif org.type not in PARTY_ORG_TYPES:
            errors.add("party_org", _("choose a branch or a party group"))
    raise_if(errors)
    return worker_ids


@transaction.atomic
def create_grid(
    *,
    actor,
    community: Org,
    code: str,
    name: str,
    boundary=None,
    leader=None,
    workers=(),
    party_org: Org | None = None,
    description: str = "",
) -> Grid:
    """A new grid of a community the actor manages (DOMAIN.md §1 网格化管理)."""
    if not access.manages_path(actor, community.path):
        raise PermissionDenied(_("You do not manage this community."))
    grid = Grid(
        community=community,
        code=code,
        name=name,
        boundary=boundary,
        leader=leader,
        party_org=party_org,
        description=description or "",
    )
    worker_ids = _validate(actor, grid, list(workers))
    grid.search_key = search_key(grid.name, grid.code)[:400]
    grid.save()
    grid.workers.set(worker_ids)
    audit.record(
        actor=actor, action="create", obj=grid, changes=audit.diff({}, _snapshot(grid, worker_ids))
    )
    return grid


UPDATABLE = ("code", "name", "boundary", "leader", "workers", "party_org", "description", "active")


@transaction.atomic
def update_grid(*, actor, grid: Grid, **changes) -> Grid:
    """Change a grid (not its community). `workers` replaces the list of workers."""
    unknown = set(changes) - set(UPDATABLE)
    if unknown:
        raise ValidationError({name: [_("unknown field")] for name in sorted(unknown)})
    grid = Grid.objects.select_for_update().select_related("community").get(pk=grid.pk)
    if not access.manages(actor, grid):
        raise PermissionDenied(_("You do not manage this community."))
    current = list(grid.workers.values_list("pk", flat=True))
    before = _snapshot(grid, current)
    old_boundary = grid.boundary
    workers = changes.pop("workers", current)
    for name, value in changes.items():
        setattr(grid, name, value)
    worker_ids = _validate(actor, grid, list(workers))
    grid.search_key = search_key(grid.name, grid.code)[:400]
    grid.save()
    if sorted(worker_ids) != sorted(current):
        grid.workers.set(worker_ids)
    changed = audit.diff(before, _snapshot(grid, worker_ids))
    if grid.boundary != old_boundary:
        changed["boundary"] = [before["boundary"], "geojson" if grid.boundary else None]
    if changed:
        audit.record(actor=actor, action="update", obj=grid, changes=changed)
    return grid
