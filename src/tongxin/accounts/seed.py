"""Demo accounts for `tongxin seed`: one per role, all with the password `tongxin-demo`.

The street, community and branch accounts are nested (branch ⊂ community ⊂ street), so
each sees a strictly smaller subtree than the one above it.
"""

import random
import unicodedata

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.utils import translation

from tongxin.accounts.models import Role, RoleAssignment
from tongxin.orgs.models import Org

DEMO_PASSWORD = "tongxin-demo"

# username, role, anchor org (from the orgs seeder's showcase), display name
DEMO_ACCOUNTS = (
    ("district_admin", Role.DISTRICT_ADMIN, "root", "林建华"),
    ("street_admin", Role.STREET_ADMIN, "street", "陈丽萍"),
    ("community_admin", Role.COMMUNITY_ADMIN, "community", "黄秀英"),
    ("branch_secretary", Role.BRANCH_SECRETARY, "branch", "郑志强"),
    ("party_member", Role.PARTY_MEMBER, "branch", "王晓东"),
    ("grid_worker", Role.GRID_WORKER, "community", "刘美玲"),
    ("dept_handler", Role.DEPT_HANDLER, "root", "张国平"),  # bound to a department later
    ("representative", Role.REPRESENTATIVE, "street", "吴文斌"),
    ("alliance_contact", Role.ALLIANCE_CONTACT, "community", "杨海燕"),
)
# Shown when the zh_Hans catalogue has no entry yet (DOMAIN.md §2).
ROLE_NAMES_ZH = {
    Role.DISTRICT_ADMIN: "区委组织部",
    Role.STREET_ADMIN: "街道党工委",
    Role.COMMUNITY_ADMIN: "社区党委",
    Role.BRANCH_SECRETARY: "支部书记",
    Role.PARTY_MEMBER: "党员",
    Role.GRID_WORKER: "网格员",
    Role.DEPT_HANDLER: "职能部门经办人",
    Role.REPRESENTATIVE: "党代表",
    Role.ALLIANCE_CONTACT: "共建单位联络人",
}
# The secretaries of the anchor orgs are the people holding these accounts.
SECRETARY_OF = {"community": "community_admin", "branch": "branch_secretary"}


def role_name_zh(role: str) -> str:
    with translation.override("zh-hans"):
        label = str(Role(role).label)
    return label if not label.isascii() else ROLE_NAMES_ZH[role]


def seed(*, scale: str, rng: random.Random, out, context: dict) -> dict:
    """Creates (or resets) the nine demo accounts and prints them as a table."""
    anchors: dict[str, Org] = context["orgs"]["showcase"]
    User = get_user_model()
    # One PBKDF2 run for all nine: they share a published password anyway.
    password = make_password(DEMO_PASSWORD)
    rows = []
    for username, role, anchor, display_name in DEMO_ACCOUNTS:
        user, _created = User.objects.update_or_create(
            username=username,
            defaults={"display_name": display_name, "password": password, "is_active": True},
        )
        org = anchors[anchor]
        RoleAssignment.objects.get_or_create(user=user, role=role, org=org)
        rows.append((username, role_name_zh(role), org.name, display_name))
    names = {username: name for username, _role, _anchor, name in DEMO_ACCOUNTS}
    for anchor, username in SECRETARY_OF.items():
        Org.objects.filter(pk=anchors[anchor].pk).update(
            secretary_name=names[username], contact_name=names[username]
        )
    out.write("")
    out.write(_table(("用户名", "角色", "组织", "姓名"), rows))
    out.write(f"所有演示账号的密码 (password of every demo account): {DEMO_PASSWORD}")
    if settings.TONGXIN["REQUIRE_ADMIN_2FA"]:
        out.write(
            "district_admin must enrol two-factor authentication at first sign-in "
            "(TONGXIN_REQUIRE_ADMIN_2FA=0 turns this off for a demo; `make demo` does)."
        )
    return {"accounts": len(rows)}


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> str:
    widths = [max(_width(r[i]) for r in (header, *rows)) for i in range(len(header))]

    def line(cells) -> str:
        padded = (c + " " * (w - _width(c)) for c, w in zip(cells, widths, strict=True))
        return "  ".join(padded).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(header), rule, *(line(r) for r in rows)])
