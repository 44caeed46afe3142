"""Who sees and configures star ratings — the one access module of the assessment app.

* Ratings are seen by the keepers of the member registry (members.access: district, street
  and community administrators and branch secretaries), each within the subtree of the org
  their role is bound to: a branch secretary sees exactly their own branch's rating and its
  breakdown; the levels above see ranking and trend for their subtree.
* Only district administrators (bound to the root) change the weights and thresholds and
  start a recompute.
* A rating or org outside the caller's scope is "not found" (404); a visible page the caller
  may not use answers 403.
"""

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from tongxin.assessment.models import BranchRating
from tongxin.core.scoping import roles_of, scope_paths
from tongxin.members.models import MEMBER_KEEPERS
from tongxin.orgs.models import Org

VIEWERS = MEMBER_KEEPERS
CONFIGURERS = frozenset({"district_admin"})


def viewer_paths(user) -> list[str]:
    return scope_paths(user, VIEWERS)


def require_viewer(user) -> None:
    if not viewer_paths(user):
        raise PermissionDenied(_("Only keepers of the member registry see branch ratings."))


def can_configure(user) -> bool:
    return bool(roles_of(user) & CONFIGURERS) and bool(scope_paths(user, CONFIGURERS))


def require_configurer(user) -> None:
    if not can_configure(user):
        raise PermissionDenied(_("Only district administrators change the rating settings."))


def visible_orgs(user):
    return Org.objects.visible_to(user, VIEWERS)


def visible_ratings(user):
    return BranchRating.objects.visible_to(user, VIEWERS)


def org_in_scope(user, pk: int | None) -> Org:
    """An org the user may see ratings of (404 otherwise); None: the top of their scope."""
    require_viewer(user)
    orgs = visible_orgs(user)
    if pk is None:
        org = orgs.order_by("depth", "path").first()
        if org is None:
            raise PermissionDenied(_("Only keepers of the member registry see branch ratings."))
        return org
    return get_object_or_404(orgs, pk=pk)
