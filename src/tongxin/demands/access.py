"""Who sees and acts on which demand — the one scoping function of the demands module.

* demand_scope_q(user) -> Q | None — None: sees everything (district admins); otherwise the
  demands of the communities/streets in the user's org scope (core.scoping: district,
  street and community administrators and grid workers), OR dispatched to a department the
  user handles (Department.handlers), OR summoned to it (Summons). A department handler
  sees ONLY their department's demands.
* roles_for(user, demand) -> set[str] — which of rules.DISPATCHER/DEPARTMENT/STREET/
  SUPERVISOR the user holds on this demand:
  - DISPATCHER: a district, street or community administrator whose org subtree holds
    the demand's community (grid workers see their community's demands and file new ones,
    but do not accept or dispatch);
  - DEPARTMENT: a handler of the department the demand is dispatched to; when the
    community handles the demand itself (no department), its dispatchers; for
    `answer_summons`, a handler of a department summoned on one of its escalations
    (`summoned_departments`);
  - STREET and SUPERVISOR: a street administrator of the demand's street, or a district
    administrator.
* Confidential demands (DOMAIN.md §9.3: "a resident who asks for confidentiality is never
  exposed to the department handling their demand"): the caller's name and phone are
  shown only to the staff who entered the demand and the dispatcher who accepted it;
  everybody else — departments, other administrators, the street and the district — sees
  "confidential" (`may_see_contact`, `contact_of`). Non-confidential contacts are shown
  masked (138****5678) to everyone in scope; `services.reveal_contact` unmasks with an
  audit entry for those who may see them.
"""

from __future__ import annotations

from django.db.models import Q
from django.utils.translation import gettext as _

from tongxin.core.codes import mask_phone
from tongxin.core.scoping import path_q, roles_of, scope_paths
from tongxin.demands import rules

STAFF_ROLES = frozenset({"district_admin", "street_admin", "community_admin", "grid_worker"})
DISPATCH_ROLES = frozenset({"district_admin", "street_admin", "community_admin"})
STREET_ROLES = frozenset({"district_admin", "street_admin"})


def demand_scope_q(user):
    if user is None or not user.is_authenticated or not user.is_active:
        return Q(pk__in=[])
    if "district_admin" in roles_of(user):
        if any(p.count("/") == 1 for p in scope_paths(user, frozenset({"district_admin"}))):
            return None
    from tongxin.demands.models import Department, Summons

    q = path_q(scope_paths(user, STAFF_ROLES), ("community__path",))
    own = Department.objects.filter(handlers=user).values("id")
    summoned = Summons.objects.filter(department__handlers=user).values("escalation__demand_id")
    return q | Q(department_id__in=own) | Q(pk__in=summoned)


def _covers(user, roles: frozenset[str], path: str) -> bool:
    return any(path.startswith(p) for p in scope_paths(user, roles))


def handles_department(user, department_id: int | None) -> bool:
    if department_id is None or user is None or not user.is_authenticated:
        return False
    from tongxin.demands.models import Department

    return Department.objects.filter(pk=department_id, handlers=user).exists()


def summoned_departments(user, demand) -> list[int]:
    """Ids of the departments the user handles that are summoned on the demand's
    escalations."""
    if user is None or not user.is_authenticated:
        return []
    from tongxin.demands.models import Summons

    return list(
        Summons.objects.filter(escalation__demand=demand, department__handlers=user)
        .values_list("department_id", flat=True)
        .distinct()
    )


def roles_for(user, demand) -> set[str]:
    if user is None or not user.is_authenticated or not user.is_active:
        return set()
    found: set[str] = set()
    community_path = demand.community.path
    if _covers(user, DISPATCH_ROLES, community_path):
        found.add(rules.DISPATCHER)
        if demand.department_id is None:
            found.add(rules.DEPARTMENT)  # the community handles it itself
    if handles_department(user, demand.department_id):
        found.add(rules.DEPARTMENT)
    elif demand.state == rules.ESCALATED and summoned_departments(user, demand):
        found.add(rules.DEPARTMENT)
    if _covers(user, STREET_ROLES, demand.street.path):
        found |= {rules.STREET, rules.SUPERVISOR}
    return found


def can_see(user, demand) -> bool:
    from tongxin.demands.models import Demand

    return Demand.objects.visible_to(user).filter(pk=demand.pk).exists()


def may_decide_extension(user, demand) -> bool:
    """ "Approved one level up" (DOMAIN.md §8.2): for a department, an administrator of the
    org the department belongs to (its street, or the district) or above; for a demand the
    community handles itself, an administrator of its street or the district."""
    if demand.department_id is not None:
        return _covers(user, STREET_ROLES, demand.department.org.path)
    return _covers(user, STREET_ROLES, demand.street.path)


# ------------------------------------------------------------------ the caller's contact


def _entered_or_accepted_by(demand) -> set[int]:
    from tongxin.demands.models import DemandEvent

    return set(
        DemandEvent.objects.filter(
            demand=demand, action__in=("submit", "accept"), actor__isnull=False
        ).values_list("actor_id", flat=True)
    )


def may_see_contact(user, demand) -> bool:
    """Whether the user may see the caller's name and phone (masked, or unmasked through
    services.reveal_contact). Confidential: only the staff who entered it and the accepting
    dispatcher; otherwise anyone who sees the demand."""
    if user is None or not user.is_authenticated:
        return False
    if demand.confidential:
        return user.pk in _entered_or_accepted_by(demand)
    return can_see(user, demand)


def mask_name(name: str) -> str:
    """张** : the family name, the rest masked."""
    if not name:
        return ""
    return name[0] + "*" * max(1, len(name) - 1)


def contact_of(user, demand) -> dict:
    """{"name", "phone", "hidden"} as the user may see them: masked values, or
    "confidential" (hidden=True) for those who may not."""
    if not may_see_contact(user, demand):
        label = _("Confidential") if demand.confidential else ""
        return {"name": label, "phone": label, "hidden": True}
    return {
        "name": mask_name(demand.contact_name),
        "phone": mask_phone(demand.phone),
        "hidden": False,
    }
