from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from tongxin.core.scoping import MANAGER_ROLES, roles_of
from tongxin.grid.access import GRID_ROLES
from tongxin.members.models import MEMBER_KEEPERS

# (url name, label, roles that see it; None = everyone signed in)
NAV = [
    ("home", _("Home"), None),
    ("orgs:tree", _("Organisations"), None),
    ("orgs:unit_list", _("Units"), None),
    ("orgs:coverage", _("Coverage"), None),
    ("orgs:import", _("Import and export"), MANAGER_ROLES),
    ("members:list", _("Member registry"), MEMBER_KEEPERS),
    ("members:dues", _("Dues"), MEMBER_KEEPERS),
    ("members:transfers", _("Transfers"), MEMBER_KEEPERS),
    ("members:floating", _("Floating members"), MEMBER_KEEPERS),
    ("members:import", _("Import members"), MEMBER_KEEPERS),
    ("members:lapse", _("Lapse checks"), MEMBER_KEEPERS),
    ("members:care", _("Care"), MEMBER_KEEPERS),
    ("development:list", _("Admissions"), MEMBER_KEEPERS),
    ("development:funnel", _("Admission funnel"), MEMBER_KEEPERS),
    ("development:report", _("Admissions by group"), MEMBER_KEEPERS),
    ("development:settings", _("Local admission rules"), frozenset({"district_admin"})),
    ("grid:list", _("Grids"), GRID_ROLES),
    ("grid:map", _("Grid map"), GRID_ROLES),
    ("demands:list", _("Demands"), MANAGER_ROLES | {"grid_worker", "dept_handler"}),
    ("demand_measures:page", _("Demand measures"), MANAGER_ROLES | {"grid_worker", "dept_handler"}),
    ("demands:patrol", _("Patrol report"), frozenset({"grid_worker"})),
    ("demands:categories", _("Demand settings"), frozenset({"district_admin"})),
    ("members:me", _("My party record"), frozenset({"party_member"})),
    ("core:audit", _("Audit log"), frozenset({"district_admin"})),
    ("calendar:overview", _("Working-day calendar"), frozenset({"district_admin"})),
    ("outbox:list", _("Outbox"), frozenset({"district_admin"})),
    ("accounts:account", _("My account"), None),
]


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": [], "user_roles": set()}
    roles = roles_of(user)
    items = []
    for name, label, allowed in NAV:
        if allowed is None or roles & allowed:
            url = reverse(name)
            items.append(
                {
                    "url": url,
                    "label": label,
                    "active": request.path == url or (url != "/" and request.path.startswith(url)),
                }
            )
    return {"nav_items": items, "user_roles": roles}
