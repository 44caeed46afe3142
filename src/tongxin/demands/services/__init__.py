"""Every write on demands (DOMAIN.md §8). The interface: services/workflow.py."""

from tongxin.demands.services.contact import reveal_contact  # noqa: F401
from tongxin.demands.services.workflow import (  # noqa: F401
    ActionRefused,
    Conflict,
    act,
    check_overdue,
    resident_act,
    route,
    submit,
    track,
)
