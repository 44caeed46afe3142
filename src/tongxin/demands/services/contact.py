"""Unmasking the caller's contact details (DOMAIN.md §9.4: unmasking is audited)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from tongxin.core import audit
from tongxin.demands import access
from tongxin.demands.models import Demand


def reveal_contact(*, actor, demand: Demand) -> dict:
    """{"name", "phone"} in clear for a user who may see them (access.may_see_contact: for a
    confidential demand only the staff who entered it and the accepting dispatcher), with an
    audit entry; PermissionDenied otherwise (also audited)."""
    if not access.may_see_contact(actor, demand):
        audit.record(
            actor=actor,
            action="demand.reveal_contact",
            obj=demand,
            result="denied",
        )
        raise PermissionDenied(_("The caller's details are not shown to you."))
    audit.record(actor=actor, action="demand.reveal_contact", obj=demand)
    return {"name": demand.contact_name, "phone": demand.phone}
