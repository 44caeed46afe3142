"""Users who may lead or work in a community's grids."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef

from tongxin.accounts.models import RoleAssignment
from tongxin.core.scoping import MANAGER_ROLES
from tongxin.grid.access import WORKER_ROLES


def _holding(community, roles) -> object:
    """Active users with one of `roles` bound to the community or a node above it."""
    paths = [*community.ancestor_paths(), community.path]
    assignments = RoleAssignment.objects.filter(
        user=OuterRef("pk"), active=True, role__in=roles, org__path__in=paths
    )
    return get_user_model().objects.filter(Exists(assignments), is_active=True)


def eligible_workers(community):
    return _holding(community, WORKER_ROLES).order_by("display_name", "username")


def eligible_leaders(community):
    return _holding(community, WORKER_ROLES | MANAGER_ROLES).order_by("display_name", "username")


def eligible_workers_in(paths: list[str], roles=WORKER_ROLES):
    """Users with one of `roles` bound inside any of `paths` (a form listing a manager's
    whole scope; the service checks the grid's community)."""
    from tongxin.core.scoping import path_q

    assignments = RoleAssignment.objects.filter(
        path_q(paths, ("org__path",)), user=OuterRef("pk"), active=True, role__in=roles
    )
    return get_user_model().objects.filter(Exists(assignments), is_active=True)
