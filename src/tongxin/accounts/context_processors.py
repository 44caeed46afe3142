from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from tongxin.core.scoping import MANAGER_ROLES, roles_of
from tongxin.grid.access import GRID_ROLES
from tongxin.members.models import MEMBER_KEEPERS

DEMAND_STAFF = MANAGER_ROLES | {"grid_worker", "dept_handler"}
DISTRICT = frozenset({"district_admin"})
PARTY_MEMBER = frozenset({"party_member"})

# (group label, [(url name, label, roles that see it; None = everyone signed in)])
NAV_GROUPS = [
    (None, [("home", _("Home"), None)]),
    (
        _("Organisations"),
        [
            ("orgs:tree", _("Organisations"), None),
            ("orgs:unit_list", _("Units"), None),
            ("orgs:coverage", _("Coverage"), None),
            ("orgs:import", _("Import and export"), MANAGER_ROLES),
        ],
    ),
    (
        _("Members"),
        [
            ("members:list", _("Member registry"), MEMBER_KEEPERS),
            ("members:dues", _("Dues"), MEMBER_KEEPERS),
            ("members:transfers", _("Transfers"), MEMBER_KEEPERS),
            ("members:floating", _("Floating members"), MEMBER_KEEPERS),
            ("members:import", _("Import members"), MEMBER_KEEPERS),
            ("members:lapse", _("Lapse checks"), MEMBER_KEEPERS),
            ("members:care", _("Care"), MEMBER_KEEPERS),
            ("members:me", _("My party record"), PARTY_MEMBER),
        ],
    ),
    (
        _("Admissions"),
        [
            ("development:list", _("Admissions"), MEMBER_KEEPERS),
            ("development:funnel", _("Admission funnel"), MEMBER_KEEPERS),
            ("development:report", _("Admissions by group"), MEMBER_KEEPERS),
            ("development:settings", _("Local admission rules"), DISTRICT),
        ],
    ),
    (
        _("Organisational life"),
        [
            ("meetings:list", _("Meetings"), None),
            ("meetings:review", _("Meetings to review"), MANAGER_ROLES),
            ("meetings:signin", _("Sign in to a meeting"), PARTY_MEMBER),
            ("meetings:mine", _("My meetings"), PARTY_MEMBER),
            ("compliance:page", _("Compliance"), MEMBER_KEEPERS),
            ("elections:list", _("Terms and elections"), MEMBER_KEEPERS),
            ("compliance:settings", _("Organisational life settings"), DISTRICT),
        ],
    ),
    (
        _("Study and vitality"),
        [
            ("education:campaigns", _("Study campaigns"), None),
            ("education:records", _("Study records"), MEMBER_KEEPERS),
            ("education:my", _("My study"), PARTY_MEMBER),
            ("education:bases", _("Education bases"), None),
            ("education:secretaries", _("Branch secretaries"), MEMBER_KEEPERS),
            ("ratings:list", _("Star ratings"), MEMBER_KEEPERS),
            ("ratings:settings", _("Rating settings"), DISTRICT),
        ],
    ),
    (
        _("Grids and demands"),
        [
            ("grid:list", _("Grids"), GRID_ROLES),
            ("grid:map", _("Grid map"), GRID_ROLES),
            ("demands:list", _("Demands"), DEMAND_STAFF),
            ("demand_measures:page", _("Demand measures"), DEMAND_STAFF),
            ("demands:patrol", _("Patrol report"), frozenset({"grid_worker"})),
            ("demands:categories", _("Demand settings"), DISTRICT),
        ],
    ),
    (
        _("System"),
        [
            ("core:audit", _("Audit log"), DISTRICT),
            ("calendar:overview", _("Working-day calendar"), DISTRICT),
            ("outbox:list", _("Outbox"), DISTRICT),
            ("accounts:account", _("My account"), None),
        ],
    ),
]
NAV = [entry for _group, entries in NAV_GROUPS for entry in entries]


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": [], "user_roles": set()}
    roles = roles_of(user)
    items, groups = [], []
    for group, entries in NAV_GROUPS:
        shown = []
        for name, label, allowed in entries:
            if allowed is None or roles & allowed:
                url = reverse(name)
                active = request.path == url or (url != "/" and request.path.startswith(url))
                shown.append({"url": url, "label": label, "active": active, "group": group})
        if shown:
            groups.append({"label": group, "items": shown})
            items += shown
    return {"nav_items": items, "nav_groups": groups, "user_roles": roles}
