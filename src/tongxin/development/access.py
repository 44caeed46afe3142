"""Who may act on an applicant's file, and on which step — the one check services, views
and the API use (DOMAIN.md §6; members.access for who keeps which registry).

* A file is kept by the keepers (members.models.MEMBER_KEEPERS) of its branch's subtree:
  the branch secretary and the community, street and district administrators above.
* Steps of the higher committee (rules.HIGHER_COMMITTEE_STEPS: filings, pre-review, the
  talk, approvals) are recorded only by a keeper of an org strictly above the branch —
  never by the branch secretary alone.
* The approving body of steps 17 and 24 defaults to the nearest approving ancestor of the
  branch the actor keeps (rules.APPROVER_TYPE_OF_ORG; general branches and community
  committees cannot approve), else the nearest ancestor the actor keeps — which the rules
  then refuse with ``approval_authority``.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from tongxin.accounts.models import RoleAssignment
from tongxin.development import rules
from tongxin.development.models import Applicant
from tongxin.members.access import keeper_paths, keeps
from tongxin.members.models import MEMBER_KEEPERS
from tongxin.orgs.models import Org


def files_visible_to(actor):
    """Applicant files of the subtrees the actor keeps."""
    return Applicant.objects.visible_to(actor, MEMBER_KEEPERS)


def may_view(actor, applicant: Applicant) -> bool:
    return keeps(actor, applicant.org)


def keeps_above(actor, org: Org) -> bool:
    """The actor keeps an org strictly above `org` (a higher committee of it)."""
    return any(org.path.startswith(p) and p != org.path for p in keeper_paths(actor))


def may_record_step(actor, applicant: Applicant, step: int) -> bool:
    """Whether the actor may record `step` on this file (order and dates aside)."""
    if step in rules.HIGHER_COMMITTEE_STEPS:
        return keeps_above(actor, applicant.org)
    return keeps(actor, applicant.org)


def require_file(actor, applicant: Applicant) -> None:
    if not may_view(actor, applicant):
        raise PermissionDenied(_("You do not keep the files of this branch."))


def require_step(actor, applicant: Applicant, step: int) -> None:
    """PermissionDenied unless the actor may record `step` on the file."""
    require_file(actor, applicant)
    if not may_record_step(actor, applicant, step):
        raise PermissionDenied(
            _("Step %(step)s is recorded by the higher committee, not by the branch.")
            % {"step": step}
        )


def steps_actor_may_record(actor, applicant: Applicant) -> set[int]:
    """Step numbers the actor may record on this file (for pages: which forms to show)."""
    if not keeps(actor, applicant.org):
        return set()
    above = keeps_above(actor, applicant.org)
    return {s.number for s in rules.STEPS if above or s.number not in rules.HIGHER_COMMITTEE_STEPS}


# --- approving bodies ---------------------------------------------------------------------
def approver_type(org: Org) -> str:
    """The approving-body type of an org (rules.APPROVER_TYPE_OF_ORG; "" when unknown)."""
    return rules.APPROVER_TYPE_OF_ORG.get(org.type, "")


def is_approving(org: Org) -> bool:
    kind = approver_type(org)
    return bool(kind) and kind not in rules.NON_APPROVING_BODIES


def ancestors(org: Org) -> list[Org]:
    """The orgs above `org`, nearest first (one query)."""
    paths = org.ancestor_paths()
    by_path = {o.path: o for o in Org.objects.filter(path__in=paths)}
    return [by_path[p] for p in reversed(paths) if p in by_path]


def approving_ancestor(org: Org) -> Org | None:
    """The nearest ancestor that may approve admissions (street, district or committee)."""
    return next((o for o in ancestors(org) if is_approving(o)), None)


def default_approver(actor, org: Org) -> Org | None:
    """The nearest approving ancestor of `org` the actor keeps; failing that the nearest
    ancestor the actor keeps (the rules refuse it as a body that cannot approve)."""
    kept = [o for o in ancestors(org) if keeps(actor, o)]
    return next((o for o in kept if is_approving(o)), kept[0] if kept else None)


def approver_choices(actor, org: Org) -> list[Org]:
    """Ancestors of `org` the actor keeps that may approve, nearest first (for forms)."""
    return [o for o in ancestors(org) if keeps(actor, o) and is_approving(o)]


def may_act_as_approver(actor, branch: Org, approver: Org) -> bool:
    """`approver` lies strictly above the branch and the actor keeps it."""
    return (
        branch.path.startswith(approver.path)
        and approver.path != branch.path
        and keeps(actor, approver)
    )


# --- who is told ------------------------------------------------------------------------
def keepers_of(org: Org, roles: frozenset[str] = MEMBER_KEEPERS) -> list:
    """Active users holding a keeper role bound to exactly this org."""
    return [
        a.user
        for a in RoleAssignment.objects.filter(
            org=org, role__in=roles, active=True, user__is_active=True
        ).select_related("user")
    ]


def branch_secretaries(org: Org) -> list:
    return keepers_of(org, frozenset({"branch_secretary"}))


def approving_keepers(org: Org) -> list:
    """Keepers of the nearest approving ancestor that has any (the file's overdue items
    are flagged upward to them)."""
    for ancestor in ancestors(org):
        if is_approving(ancestor):
            users = keepers_of(ancestor)
            if users:
                return users
    return []
