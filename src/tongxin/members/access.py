"""Who keeps the member registry where — the one keeper check every members area uses.

Keepers are the roles of `MEMBER_KEEPERS` (district, street and community administrators and
branch secretaries); each keeps the subtree of the org its role is bound to (core.scoping).
"""

from django.core.exceptions import PermissionDenied

from tongxin.core.scoping import scope_paths
from tongxin.members.models import MEMBER_KEEPERS


def keeper_paths(actor) -> list[str]:
    """Org paths whose registries the actor keeps (empty: not a keeper anywhere)."""
    return scope_paths(actor, MEMBER_KEEPERS)


def keeps_path(actor, path: str | None) -> bool:
    """The actor keeps the registry of the org at `path`."""
    return bool(path) and any(path.startswith(p) for p in keeper_paths(actor))


def keeps(actor, org) -> bool:
    """The actor keeps the registry of `org` (None: no)."""
    return org is not None and keeps_path(actor, org.path)


def is_keeper(user) -> bool:
    return bool(keeper_paths(user))


def require_keeper(user, message: str = "") -> None:
    """Pages and routes only keepers may open: 403 for everybody else."""
    if not is_keeper(user):
        raise PermissionDenied(message)
