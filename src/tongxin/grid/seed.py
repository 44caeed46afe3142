"""Demo grids for `tongxin seed` (issue 6 item 11, the grid part).

Every community of the seeded tree is divided into grids (vertical strips of a rectangle on
a lattice around Gulou district, Fuzhou — invented shapes, valid GeoJSON Polygons), each with
the community's party branch or one of its party groups built on it ("支部建在网格上").

At demo scale every grid also gets buildings, households, residents (valid GB 11643 ID
numbers; some party members of the community's branches are residents linked to their
member record) and care needs. The demo `grid_worker` account works in two grids of the
showcase community (leading one) and the community's administrator leads the third; their
grids get a year of household visits. Other communities' grids have no staff yet (the demo
has one account per role: accounts.seed). At district and city scale only the grids and
their boundaries are written (for the map and list benchmarks), plus the showcase
community's households.

Deterministic: drawn from `rng` and orgs.seed.REFERENCE_DATE, never the clock. Bulk writes
bypass the services; the seed command writes one summary audit entry.
"""

from __future__ import annotations

import math
import random
from datetime import date, timedelta

from django.contrib.auth import get_user_model

from tongxin.core.codes import id_check_char
from tongxin.core.crypto import digest
from tongxin.core.pinyin import search_key
from tongxin.grid import rules
from tongxin.grid.models import Building, CareNeed, Grid, Household, Resident, Visit
from tongxin.members.models import Member
from tongxin.members.seed import (
    FEMALE_FIRST,
    FEMALE_SECOND,
    MALE_FIRST,
    MALE_SECOND,
    MOBILE_PREFIXES,
    ROADS,
)
from tongxin.orgs import rules as org_rules
from tongxin.orgs.models import Org
from tongxin.orgs.seed import ORDINALS, REFERENCE_DATE

ORIGIN = (119.262, 26.058)  # south-west corner of the lattice (lon, lat)
CELL = (0.012, 0.009)  # one community's rectangle (degrees of lon, lat)
GAP = 0.0004  # between communities, so their outlines stay apart
SURNAMES = "林陈黄郑王张李刘吴杨何翁邱游谢魏江高叶潘蔡方许周徐郭"
LEARNED = (
    "老人身体状况良好，子女每周回来看望", "家中三口人，生活稳定，对社区服务满意",
    "了解到老人行动不便，希望有人定期上门", "住户反映楼道灯已修好，表示感谢",
    "与住户拉家常，宣传垃圾分类和反诈知识", "孩子明年上小学，咨询入学政策",
    "住户刚搬来，介绍了社区党群服务中心的活动", "家里老人需要长期服药，医保报销有疑问",
)  # fmt: skip
PROBLEMS = (
    "楼道堆放杂物，存在消防隐患", "小区门口路灯不亮，夜间出行不便", "楼顶漏水，雨天渗到室内",
    "希望社区帮助申请居家养老服务", "楼下餐馆油烟扰民", "电动车在楼道充电，邻居担心安全",
)  # fmt: skip
CARE_DETAILS = {
    rules.ELDERLY_ALONE: ("独居，子女在外地工作", "高龄独居，需定期看望"),
    rules.DISABLED: ("肢体残疾，行动需轮椅", "视力残疾"),
    rules.SERIOUS_ILLNESS: ("长期透析治疗", "术后康复中"),
    rules.FAMILY_IN_DIFFICULTY: ("主要劳动力失业，收入低", "子女上学负担重"),
}


class _People:
    def __init__(self, rng: random.Random):
        self.rng = rng
        self.ids: set[str] = set()

    def name(self, male: bool) -> str:
        rng = self.rng
        first, second = (MALE_FIRST, MALE_SECOND) if male else (FEMALE_FIRST, FEMALE_SECOND)
        given = rng.choice(first) + rng.choice(second) if rng.random() < 0.8 else rng.choice(second)
        return rng.choice(SURNAMES) + given

    def id_number(self, birth: date, male: bool) -> str:
        while True:
            order = self.rng.randrange(0, 500) * 2 + (1 if male else 0)
            body = f"350102{birth:%Y%m%d}{order:03d}"
            if body not in self.ids:
                self.ids.add(body)
                return body + id_check_char(body)

    def phone(self) -> str:
        return f"{self.rng.choice(MOBILE_PREFIXES)}{self.rng.randrange(10**8):08d}"

    def birth(self, low: int, high: int) -> date:
        age_days = self.rng.randint(low * 365 + 10, high * 365 - 10)
        return REFERENCE_DATE - timedelta(days=age_days)


def strip(col: int, row: int, i: int, n: int) -> dict:
    """The i-th of n vertical strips of the community cell at (col, row): a closed Polygon."""
    x0 = ORIGIN[0] + col * CELL[0] + GAP
    y0 = ORIGIN[1] + row * CELL[1] + GAP
    width = (CELL[0] - 2 * GAP) / n
    height = CELL[1] - 2 * GAP
    left, right = x0 + i * width, x0 + (i + 1) * width
    top = y0 + height
    ring = [
        [left, y0], [right, y0], [right, (y0 + top) / 2], [right, top],
        [left, top], [left, (y0 + top) / 2], [left, y0],
    ]  # fmt: skip
    return {"type": "Polygon", "coordinates": [[[round(x, 6), round(y, 6)] for x, y in ring]]}


def _party_orgs(community: Org, orgs_by_parent: dict) -> list[Org]:
    """The community's resident branches' party groups (else the branches): one per grid."""
    branches = [
        o
        for o in orgs_by_parent.get(community.pk, [])
        if o.type == org_rules.BRANCH and o.sector == "community" and "离退休" not in o.name
    ]
    groups = [g for b in branches for g in orgs_by_parent.get(b.pk, [])]
    return groups or branches


def seed(*, scale: str, rng: random.Random, out, context: dict) -> dict:
    out.write(f"Grids ({scale}) …")
    showcase = context.get("orgs", {}).get("showcase", {}).get("community")
    communities = list(Org.objects.filter(type=org_rules.COMMUNITY).order_by("path"))
    if not communities:
        return {"grids": 0}
    showcase = showcase or communities[0]
    orgs_by_parent: dict[int, list[Org]] = {}
    for org in (
        Org.objects.filter(parent__type__in=[org_rules.COMMUNITY, org_rules.BRANCH])
        .filter(path__startswith=communities[0].path[:9])
        .order_by("path")
    ):
        orgs_by_parent.setdefault(org.parent_id, []).append(org)
    people = _People(rng)
    User = get_user_model()
    demo_users = {
        u.username: u for u in User.objects.filter(username__in=["grid_worker", "community_admin"])
    }
    columns = math.ceil(math.sqrt(len(communities)))
    grids: list[Grid] = []
    staff: dict[str, tuple] = {}  # grid code → (leader, [workers])
    for k, community in enumerate(communities):
        n = 3 if community.pk == showcase.pk else rng.randint(2, 4)
        party = _party_orgs(community, orgs_by_parent)
        short = community.name.removesuffix("党委").removesuffix("社区")
        for i in range(n):
            code = f"{community.code}-W{i + 1:02d}"
            name = f"{short}第{ORDINALS[i]}网格"
            grids.append(
                Grid(
                    community=community,
                    code=code,
                    name=name,
                    boundary=strip(k % columns, k // columns, i, n),
                    party_org=party[i % len(party)] if party else None,
                    description="",
                    search_key=search_key(name, code)[:400],
                )
            )
            if community.pk == showcase.pk:
                gw, admin = demo_users.get("grid_worker"), demo_users.get("community_admin")
                staff[code] = ((gw, [gw]), (admin, [gw]), (admin, []))[i]
    for grid in grids:
        leader = staff.get(grid.code, (None, []))[0]
        grid.leader = leader
    Grid.objects.bulk_create(grids, batch_size=2000)
    grids = list(Grid.objects.filter(code__in=[g.code for g in grids]).select_related("community"))
    through = Grid.workers.through
    through.objects.bulk_create(
        through(grid_id=g.pk, user_id=w.pk)
        for g in grids
        for w in staff.get(g.code, (None, []))[1]
        if w is not None
    )
    counts = {"grids": len(grids)}
    filled = [g for g in grids if scale == "demo" or g.community_id == showcase.pk]
    counts.update(_households(filled, showcase, rng, people))
    out.write("  " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    return counts


def _households(grids, showcase, rng, people) -> dict:
    buildings: list[Building] = []
    for grid in grids:
        for b in range(rng.randint(2, 3)):
            address = f"鼓楼区{rng.choice(ROADS)}{rng.randint(1, 300)}号"
            floors = rng.randint(5, 18)
            buildings.append(
                Building(grid=grid, name=f"{b + 1}号楼", address=address, floors=floors)
            )
    Building.objects.bulk_create(buildings)
    buildings = list(Building.objects.filter(grid__in=grids).select_related("grid"))
    households: list[Household] = []
    plans: list[list[tuple]] = []  # residents of each household: (name, male, birth, relation)
    for building in buildings:
        for _ in range(rng.randint(3, 5)):
            room = (
                f"{rng.randint(1, 3)}单元{rng.randint(1, building.floors or 6)}0{rng.randint(1, 4)}"
            )
            male = rng.random() < 0.55
            head = people.name(male)
            roll = rng.random()
            if roll < 0.15:  # an elderly person living alone
                members = [(head, male, people.birth(66, 92), "head")]
            else:
                head_birth = people.birth(30, 75)
                members = [(head, male, head_birth, "head")]
                if rng.random() < 0.8:
                    members.append(
                        (people.name(not male), not male, people.birth(28, 74), "spouse")
                    )
                for _c in range(rng.randint(0, 2)):
                    members.append(
                        (
                            people.name(rng.random() < 0.5),
                            rng.random() < 0.5,
                            people.birth(3, 28),
                            "child",
                        )
                    )
            phone = people.phone()
            households.append(
                Household(
                    grid=building.grid, building=building, room=room,
                    address=f"福建省福州市{building.address}{building.name}{room}室",
                    head_name=head, phone=phone, phone_tail=phone[-4:],
                    search_key=search_key(head)[:200],
                )
            )  # fmt: skip
            plans.append(members)
    Household.objects.bulk_create(households)
    households = list(
        Household.objects.filter(grid__in=grids).select_related("grid").order_by("id")
    )
    members_here = list(
        Member.objects.in_roll()
        .filter(org__path__startswith=showcase.path, resident__isnull=True)
        .order_by("id")[:8]
    )
    residents: list[Resident] = []
    for household, plan in zip(households, plans, strict=True):
        for name, male, birth, relation in plan:
            number = people.id_number(birth, male) if rng.random() < 0.85 else ""
            phone = people.phone() if relation in ("head", "spouse") else ""
            residents.append(
                Resident(
                    household=household, name=name, gender="male" if male else "female",
                    birth_date=birth, id_number=number, id_digest=digest(number) if number else "",
                    id_tail=number[-4:], phone=phone, phone_tail=phone[-4:], relation=relation,
                    search_key=search_key(name)[:200],
                )
            )  # fmt: skip
    # party members of the showcase community's branches live in its first households
    showcase_households = [
        h
        for h, plan in zip(households, plans, strict=True)
        if h.grid.community_id == showcase.pk and len(plan) > 1  # never into a lone elder's home
    ]
    for household, member in zip(showcase_households, members_here, strict=False):
        residents.append(
            Resident(
                household=household, name=member.name, gender=member.gender,
                birth_date=member.birth_date, id_number=member.id_number,
                id_digest=member.id_digest, id_tail=member.id_tail, phone=member.phone,
                phone_tail=member.phone_tail, relation="other", member=member,
                search_key=search_key(member.name)[:200],
            )
        )  # fmt: skip
    Resident.objects.bulk_create(residents, batch_size=2000)
    needs = _care_needs(households, plans, rng)
    visits = _visits(households, rng)
    return {
        "buildings": len(buildings),
        "households": len(households),
        "residents": len(residents),
        "linked_members": len(members_here),
        "care_needs": needs,
        "visits": visits,
    }


def _care_needs(households, plans, rng) -> int:
    heads = {
        r.household_id: r
        for r in Resident.objects.filter(household__in=households, relation="head")
    }
    needs = []
    for household, plan in zip(households, plans, strict=True):
        head = heads[household.pk]
        age = rules.age_on(head.birth_date, REFERENCE_DATE)
        group = None
        if len(plan) == 1 and age >= rules.ELDERLY_AGE:
            group = rules.ELDERLY_ALONE
        elif rng.random() < 0.05:
            group = rng.choice([rules.DISABLED, rules.SERIOUS_ILLNESS])
        elif rng.random() < 0.06:
            group = rules.FAMILY_IN_DIFFICULTY
        if group is None:
            continue
        needs.append(
            CareNeed(
                household=household,
                resident=None if group in rules.FAMILY_GROUPS else head,
                group=group,
                since=REFERENCE_DATE - timedelta(days=rng.randint(30, 900)),
                details=rng.choice(CARE_DETAILS[group]),
            )
        )
    CareNeed.objects.bulk_create(needs)
    return len(needs)


def _visits(households, rng) -> int:
    """Visits by the grid's leader or one of its workers; grids without staff get none."""
    grid_ids = {h.grid_id for h in households}
    staff: dict[int, list[int]] = {}
    for grid_id, leader_id in Grid.objects.filter(pk__in=grid_ids).values_list("pk", "leader_id"):
        if leader_id:
            staff.setdefault(grid_id, []).append(leader_id)
    for grid_id, user_id in Grid.workers.through.objects.filter(grid_id__in=grid_ids).values_list(
        "grid_id", "user_id"
    ):
        if user_id not in staff.get(grid_id, []):
            staff.setdefault(grid_id, []).append(user_id)
    visits = []
    for household in households:
        visitors = sorted(staff.get(household.grid_id, []))
        if not visitors:
            continue
        for _ in range(rng.randint(0, 3)):
            visitor = rng.choice(visitors)
            problem = rng.choice(PROBLEMS) if rng.random() < 0.2 else ""
            visits.append(
                Visit(
                    grid_id=household.grid_id, household=household,
                    visited_on=REFERENCE_DATE - timedelta(days=rng.randint(1, 330)),
                    visitor_id=visitor, learned=rng.choice(LEARNED),
                    problem_found=problem, has_problem=bool(problem),
                )
            )  # fmt: skip
    Visit.objects.bulk_create(visits, batch_size=2000)
    return len(visits)
