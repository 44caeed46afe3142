"""Factories for tests: real rows in the real database, built through the services."""

import itertools
from datetime import date

from django.contrib.auth import get_user_model

from tongxin.accounts.models import RoleAssignment
from tongxin.core.codes import uscc_check_char
from tongxin.orgs import services
from tongxin.orgs.models import Org, Unit, path_segment

_seq = itertools.count(1)

PASSWORD = "Tongxin-Test-2026"


def make_root(name="鼓楼区委", code="D0") -> Org:
    org = Org(
        code=code,
        name=name,
        type="district_committee",
        sector="community",
        path="tmp-root",
        search_key="",
    )
    from tongxin.core.pinyin import search_key

    org.search_key = search_key(name, code)
    org.save()
    org.path = path_segment(org.pk)
    org.save(update_fields=["path"])
    return org


def make_user(username=None, *, role=None, org=None, **extra):
    username = username or f"user{next(_seq)}"
    user = get_user_model().objects.create_user(username=username, password=PASSWORD, **extra)
    if role:
        RoleAssignment.objects.create(user=user, role=role, org=org)
    return user


def make_org(actor, parent: Org, *, name=None, type="branch", code=None, **fields) -> Org:
    n = next(_seq)
    return services.create_org(
        actor=actor,
        parent=parent,
        code=code or f"O{n:05d}",
        name=name or f"第{n}党支部",
        type=type,
        sector=fields.pop("sector", "community"),
        **fields,
    )


def uscc(n: int) -> str:
    body = f"91350102{n:09d}"
    body = body[:17]
    return body + uscc_check_char(body)


def make_unit(actor, *, street: Org, community: Org | None = None, name=None, **fields) -> Unit:
    n = next(_seq)
    return services.create_unit(
        actor=actor,
        name=name or f"测试单位{n}",
        category=fields.pop("category", "non_public_enterprise"),
        street=street,
        community=community,
        credit_code=fields.pop("credit_code", uscc(n)),
        **fields,
    )


class District:
    """A small district: root → 2 streets → 2 communities each → a branch each, with users."""

    def __init__(self):
        self.root = make_root()
        self.admin = make_user("district", role="district_admin", org=self.root)
        a = self.admin
        self.street_a = make_org(
            a, self.root, name="鼓东街道党工委", type="street_committee", code="S-A"
        )
        self.street_b = make_org(
            a, self.root, name="温泉街道党工委", type="street_committee", code="S-B"
        )
        self.comm_a1 = make_org(
            a, self.street_a, name="三坊七巷社区党委", type="community_committee", code="C-A1"
        )
        self.comm_a2 = make_org(
            a, self.street_a, name="东街社区党委", type="community_committee", code="C-A2"
        )
        self.comm_b1 = make_org(
            a, self.street_b, name="温泉社区党委", type="community_committee", code="C-B1"
        )
        self.branch_a1 = make_org(
            a,
            self.comm_a1,
            name="三坊七巷社区第一党支部",
            code="B-A1",
            term_started_on=date(2024, 3, 1),
        )
        self.branch_b1 = make_org(a, self.comm_b1, name="温泉社区第一党支部", code="B-B1")
        self.unit_a1 = make_unit(
            a,
            street=self.street_a,
            community=self.comm_a1,
            name="福州三坊科技有限公司",
            party_member_count=4,
            coverage="own_org",
            org=self.branch_a1,
        )
        self.unit_b1 = make_unit(
            a,
            street=self.street_b,
            community=self.comm_b1,
            name="温泉商贸有限公司",
            party_member_count=5,
        )
        self.street_admin = make_user("street_a", role="street_admin", org=self.street_a)
        self.community_admin = make_user("community_a1", role="community_admin", org=self.comm_a1)
        self.other_community = make_user("community_b1", role="community_admin", org=self.comm_b1)
        self.secretary = make_user("secretary_a1", role="branch_secretary", org=self.branch_a1)
