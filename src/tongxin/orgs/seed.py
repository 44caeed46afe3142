"""Demo and benchmark data for the org tree and units (called by `tongxin seed`).

Two steps, so that determinism is testable without a database:

* `plan(scale, rng)` — pure: a `Plan` of org rows (parents by index) and unit rows, drawn
  only from `rng` and the fixed `REFERENCE_DATE`;
* `write(plan)` — bulk inserts. Ids are allocated up front (the command only runs on an
  empty org table), so every materialised path is known before the insert and each row is
  written once; the id sequences are reset afterwards.

Bulk writing bypasses the services; the command writes one summary audit entry instead.
"""

import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.core.management.color import no_style
from django.db import connection
from django.db.models import Max

from tongxin.core.codes import uscc_check_char
from tongxin.core.pinyin import search_key
from tongxin.orgs import rules
from tongxin.orgs.models import Org, Unit, path_segment

REFERENCE_DATE = date(2026, 11, 1)  # "today" of the seeded world; never the clock
BATCH = 2000


@dataclass(frozen=True)
class ScaleSpec:
    root_name: str
    root_code: str
    streets: int
    communities_per_street: tuple[int, int]
    resident_branches: tuple[int, int]  # per community, besides the retirees' branch
    units_per_community: tuple[int, int]
    organ_bureaus: int  # organs under the root's 机关工委, each with its own branch
    schools: int  # institutions under the root's education committee
    soe_companies: int
    buildings_per_street: tuple[int, int]
    markets_per_street: tuple[int, int]
    parks: int


SCALES: dict[str, ScaleSpec] = {
    "demo": ScaleSpec("鼓楼区委", "GL", 4, (2, 3), (2, 2), (3, 4), 4, 3, 3, (0, 1), (0, 1), 1),
    "district": ScaleSpec(
        "鼓楼区委", "GL", 10, (6, 8), (2, 3), (100, 130), 24, 20, 8, (2, 4), (1, 3), 2
    ),
    "city": ScaleSpec(
        "福州市委", "FZ", 100, (6, 8), (2, 3), (100, 130), 240, 200, 80, (2, 4), (1, 3), 20
    ),
}

# --- name pools ---------------------------------------------------------------------------

REAL_STREETS = [  # the nine streets and one town of Gulou district
    "南街街道", "东街街道", "鼓东街道", "温泉街道", "鼓西街道",
    "安泰街道", "华大街道", "水部街道", "五凤街道", "洪山镇",
]  # fmt: skip
REAL_COMMUNITIES = {
    "南街街道": ["三坊七巷社区", "澳门路社区", "杨桥河南社区", "吉庇社区", "光禄坊社区"],
    "东街街道": ["东大路社区", "庆城社区", "丽文社区", "卫前社区", "达明社区"],
    "鼓东街道": ["三牧坊社区", "冠亚社区", "中山社区", "渡鸡口社区", "鼓东路社区"],
    "温泉街道": ["温泉社区", "斗池社区", "汤井社区", "锦江社区", "东水社区"],
    "鼓西街道": ["西湖社区", "屏西社区", "宁化坊社区", "乌山社区"],
    "安泰街道": ["朱紫坊社区", "安泰社区", "虎节社区", "乌山西社区"],
    "华大街道": ["华大社区", "屏东社区", "北大社区", "文林社区"],
    "水部街道": ["水部社区", "琼东社区", "德润社区", "古田路社区"],
    "五凤街道": ["五凤社区", "长汀社区", "树兜社区", "省府社区"],
    "洪山镇": ["洪山社区", "西洪社区", "杨桥社区", "凤湖社区"],
}
PLACE_FIRST = "金银玉青碧翠丹紫凤龙鹤燕梅兰竹桂榕松柏枫湖江溪泉东西南北安福乐康宁和顺兴华盛"
PLACE_SECOND = "湖山江洲桥港园亭坊巷里塘浦岭峰屿湾坪埕苑庭坂垅头尾前后洋墩"
SURNAMES = "林林林陈陈陈黄黄郑郑王张李刘吴杨何翁邱游詹卓谢魏江高叶潘蔡方"
GIVEN = (
    "建华 秀英 美玲 志强 丽萍 晓东 国平 凤英 永健 明辉 少华 玉珍 文斌 雪梅 德明 海燕 春生 "
    "惠玲 榕生 闽生 小燕 金水 宝珠 一鸣 思远 佳怡 子涵 雨桐 晨曦 立新 卫东 秀兰 桂香 "
    "伟 芳 敏 静 丽 强 磊 军 勇 艳 杰 涛 明 超 霞 平 刚 娟 鑫 斌 琳"
).split()
TRADE_NAME = "闽榕鑫华泰瑞恒信达通宏嘉联创博源盛德安兴汇隆祥和润丰凯越晟宸海天星辰元锦弘裕"
INDUSTRIES = [
    "科技", "信息技术", "网络科技", "电子商务", "贸易", "餐饮管理", "物业管理", "建筑工程",
    "文化传媒", "教育咨询", "医疗器械", "软件", "广告", "装饰工程", "物流", "房地产开发",
    "酒店管理", "健康管理", "人力资源", "会计服务",
]  # fmt: skip
NPE_PREFIXES = ["福州", "福建", "福州市鼓楼区"]
SOE_KINDS = ["城市建设发展", "物业管理", "文化旅游", "城市更新", "水务", "资产运营"]
SOCIAL_TOPICS = ["志愿者", "老年人体育", "书法", "慈善", "青年创业", "家政", "社区文化", "助残"]
SOCIAL_FORMS = ["协会", "促进会", "服务中心", "社会工作服务中心"]
BUREAUS = [
    "教育局", "卫生健康局", "民政局", "城市管理局", "住房和城乡建设局", "市场监督管理局",
    "人力资源和社会保障局", "财政局", "司法局", "文化体育和旅游局", "应急管理局", "统计局",
    "商务局", "科技局", "退役军人事务局", "医疗保障局", "信访局", "审计局", "发展和改革局",
    "人民政府办公室", "机关事务服务中心", "档案馆",
]  # fmt: skip
CITY_DISTRICTS = [
    "鼓楼区", "台江区", "仓山区", "晋安区", "马尾区", "长乐区",
    "福清市", "闽侯县", "连江县", "罗源县", "闽清县", "永泰县",
]  # fmt: skip
ROADS = [
    "五四路", "八一七北路", "东街", "杨桥中路", "湖东路", "华林路", "西二环中路", "铜盘路",
    "乌山路", "白马北路", "古田路", "温泉支路", "五一北路", "北环中路", "福飞路", "工业路",
    "梦山路", "通湖路", "南后街", "津泰路",
]  # fmt: skip
ORDINALS = "一二三四五六七八九十"
BUILDING_FORMS = ["大厦", "国际中心", "广场", "商务中心"]
MARKET_FORMS = ["商圈", "农贸市场", "美食街", "商业街"]
PARK_FORMS = ["科技园", "文创园", "产业园"]
SCHOOL_FORMS = ["小学", "中心小学", "幼儿园", "中学"]
USCC_PREFIX = {  # 登记管理部门码 + 机构类别码 (GB 32100-2015)
    "organ": "11",
    "institution": "12",
    "soe": "91",
    "non_public_enterprise": "91",
    "social_organisation": "51",
    "commercial_building": "91",
    "park": "91",
    "market": "92",
    "other": "93",
}
REGION = "350102"  # 鼓楼区 administrative division code
NPE = "non_public_enterprise"


# --- the plan -----------------------------------------------------------------------------


@dataclass
class Plan:
    orgs: list[dict] = field(default_factory=list)  # field values; "parent" is an index
    units: list[dict] = field(default_factory=list)  # "street"/"community"/"org" are indexes
    showcase: dict[str, int] = field(default_factory=dict)  # account anchors, by org index


class _Planner:
    def __init__(self, spec: ScaleSpec, rng: random.Random):
        self.spec = spec
        self.rng = rng
        self.plan = Plan()
        self.children: dict[int | None, int] = {}
        places = [a + b for a in PLACE_FIRST for b in PLACE_SECOND if a != b]
        rng.shuffle(places)
        self.place_names = places
        self.places = iter(places)
        self.unit_names: set[str] = set()
        self.credit_bodies: set[int] = set()

    # --- people, places, contact details
    def person(self) -> str:
        return self.rng.choice(SURNAMES) + self.rng.choice(GIVEN)

    def phone(self, landline: bool) -> str:
        rng = self.rng
        if landline:
            return f"0591-8{rng.randint(3000000, 7999999)}"
        return f"1{rng.choice('3589')}{rng.randint(0, 9)}{rng.randint(0, 99999999):08d}"

    def address(self) -> str:
        return f"鼓楼区{self.rng.choice(ROADS)}{self.rng.randint(1, 399)}号"

    def place(self) -> str:
        """A place name not used before (streets and communities)."""
        return next(self.places)

    # --- organisations
    def org(self, parent: int | None, name: str, type: str, sector: str, members=None) -> int:
        rng = self.rng
        n = self.children.get(parent, 0) + 1
        self.children[parent] = n
        if parent is None:
            code, depth = self.spec.root_code, 0
        else:
            code = f"{self.plan.orgs[parent]['code']}-{n:02d}"
            depth = self.plan.orgs[parent]["depth"] + 1
        secretary = self.person()
        row = {
            "code": code,
            "name": name,
            "type": type,
            "sector": sector,
            "parent": parent,
            "depth": depth,
            "founded_on": REFERENCE_DATE - timedelta(days=rng.randint(400, 40 * 365)),
            "secretary_name": secretary,
            "has_committee": type in rules.COMMITTEE_TYPES,
            "term_started_on": None,
            "term_ends_on": None,
            "contact_name": secretary if rng.random() < 0.6 else self.person(),
            "contact_phone": self.phone(type in rules.COMMITTEE_TYPES),
            "address": self.address(),
            "member_count": 0,
            "full_member_count": 0,
        }
        self.term(row)
        if type in rules.BRANCH_TYPES or type == rules.PARTY_GROUP:
            self._members(row, *(members or (8, 40)))
        self.plan.orgs.append(row)
        return len(self.plan.orgs) - 1

    def term(self, row: dict, days_left: int | None = None) -> None:
        """Most terms run well; about 8% end within the reminder window and 6% are overdue."""
        years = rules.term_years(row["type"], row["sector"])
        if not years:
            return
        if days_left is None:
            roll = self.rng.random()
            if roll < 0.06:
                days_left = self.rng.randint(-240, -1)
            elif roll < 0.14:
                days_left = self.rng.randint(5, 85)
            else:
                days_left = self.rng.randint(120, years * 365 - 30)
        start = rules.add_years(REFERENCE_DATE + timedelta(days=days_left), -years)
        row["term_started_on"] = start
        row["term_ends_on"] = rules.term_end(start, row["type"], row["sector"])
        row["founded_on"] = min(row["founded_on"], start)

    def _members(self, row: dict, low: int, high: int) -> None:
        members = self.rng.randint(low, high)
        full = members - self.rng.randint(0, min(3, members))
        row["member_count"], row["full_member_count"] = members, full
        if row["type"] in rules.BRANCH_TYPES:
            enough = full >= rules.COMMITTEE_MIN_FULL_MEMBERS
            row["has_committee"] = enough and self.rng.random() < 0.9

    def groups(self, branch: int, count: int) -> None:
        b = self.plan.orgs[branch]
        share = max(3, b["member_count"] // max(count, 1))
        for i in range(count):
            self.org(branch, f"第{ORDINALS[i]}党小组", rules.PARTY_GROUP, b["sector"], (3, share))

    # --- units
    def unit_name(self, category: str, hint: str = "") -> str:
        rng = self.rng
        for _attempt in range(1000):
            trade = hint or "".join(rng.sample(TRADE_NAME, 2))
            hint = ""
            if category == "social_organisation":
                name = f"鼓楼区{trade}{rng.choice(SOCIAL_TOPICS)}{rng.choice(SOCIAL_FORMS)}"
            elif category == "commercial_building":
                name = f"{trade}{rng.choice(BUILDING_FORMS)}"
            elif category == "market":
                name = f"{trade}{rng.choice(MARKET_FORMS)}"
            elif category == "park":
                name = f"{trade}{rng.choice(PARK_FORMS)}"
            elif category == "institution":
                name = f"鼓楼区{trade}{rng.choice(SCHOOL_FORMS)}"
            elif category == "soe":
                name = f"福州{trade}{rng.choice(SOE_KINDS)}有限公司"
            else:
                name = f"{rng.choice(NPE_PREFIXES)}{trade}{rng.choice(INDUSTRIES)}有限公司"
            if name not in self.unit_names:
                self.unit_names.add(name)
                return name
        raise RuntimeError("unit name pool exhausted")  # pragma: no cover

    def credit_code(self, category: str) -> str:
        """A unique, valid unified social credit code (GB 32100-2015)."""
        while True:
            n = self.rng.randrange(10**7, 10**8)
            if n not in self.credit_bodies:
                self.credit_bodies.add(n)
                break
        body = f"{USCC_PREFIX[category]}{REGION}{n}{_org_code_check(str(n))}"
        return body + uscc_check_char(body)

    def unit(
        self,
        *,
        name: str,
        category: str,
        street: int,
        community: int | None,
        members: int,
        coverage: str = rules.NONE,
        org: int | None = None,
    ) -> int:
        self.plan.units.append(
            {
                "name": name,
                "credit_code": self.credit_code(category),
                "category": category,
                "street": street,
                "community": community,
                "address": self.address(),
                "employee_count": max(members, self.rng.randint(3, 300)),
                "party_member_count": members,
                "coverage": coverage,
                "org": org,
                "instructor_name": "",
            }
        )
        return len(self.plan.units) - 1

    def own(
        self,
        parent: int,
        kind: str,
        name: str,
        street: int,
        community=None,
        *,
        type: str = rules.BRANCH,
        members=None,
        org_name: str = "",
        sector: str = "",
    ) -> int:
        """A unit of category `kind` with an organisation of its own under `parent`."""
        org = self.org(parent, org_name or f"{name}党支部", type, sector or kind, members)
        self.unit_names.add(name)
        self.unit(
            name=name,
            category=kind,
            street=street,
            community=community,
            members=self.plan.orgs[org]["member_count"] or self.rng.randint(3, 10),
            coverage=rules.OWN_ORG,
            org=org,
        )
        return org

    def joint(self, parent: int, name: str, sector: str, units: list[int]) -> int:
        """A joint branch covering `units` (支部工作条例 第五条: generally ≤5 units)."""
        members = sum(self.plan.units[u]["party_member_count"] for u in units)
        joint = self.org(parent, name, rules.JOINT_BRANCH, sector, (members, members))
        for u in units:
            self.plan.units[u].update(coverage=rules.JOINT, org=joint)
        return joint

    def unit_members(self) -> int:
        roll = self.rng.random()
        if roll < 0.60:
            return 0
        if roll < 0.88:
            return self.rng.randint(1, 2)
        if roll < 0.97:
            return self.rng.randint(3, 12)
        return self.rng.randint(13, 45)


def _org_code_check(body8: str) -> str:
    """Check character of the 9-character organisation code (GB 11714-1997)."""
    total = sum(int(c) * w for c, w in zip(body8, (3, 7, 9, 10, 5, 8, 4, 2), strict=True))
    return {10: "X", 11: "0"}.get(11 - total % 11, str(11 - total % 11))


def plan(scale: str, rng: random.Random) -> Plan:
    spec = SCALES[scale]
    p = _Planner(spec, rng)
    root = p.org(None, spec.root_name, rules.DISTRICT, "organ")
    names = REAL_STREETS[: spec.streets]
    names += [p.place() + "街道" for _ in range(spec.streets - len(names))]
    streets = [p.org(root, _street_org_name(n), rules.STREET, "community") for n in names]
    _district_sectors(p, root, streets, city=scale == "city")
    first_community = None
    for i, (street, street_name) in enumerate(zip(streets, names, strict=True)):
        real = REAL_COMMUNITIES.get(street_name, [])
        for j in range(rng.randint(*spec.communities_per_street)):
            name = real[j] if j < len(real) else p.place() + "社区"
            community = _community(p, street, name)
            first_community = first_community or community
        _street_sectors(p, street, street_name, first=i == 0)
    _showcase(p, streets[0], first_community)
    _finish_counts(p.plan)
    return p.plan


def _street_org_name(name: str) -> str:
    return name[:-1] + "党委" if name.endswith("镇") else name + "党工委"


def _community(p: _Planner, street: int, name: str) -> int:
    rng, spec = p.rng, p.spec
    community = p.org(street, name + "党委", rules.COMMUNITY, "community")
    for i in range(rng.randint(*spec.resident_branches)):
        branch = p.org(community, f"{name}第{ORDINALS[i]}党支部", rules.BRANCH, "community")
        p.groups(branch, rng.randint(1, 2) if i == 0 else rng.randint(0, 2))
    retirees = p.org(community, f"{name}离退休党支部", rules.BRANCH, "community", (25, 62))
    p.groups(retirees, rng.randint(1, 2))
    joint_candidates: list[int] = []
    for _ in range(rng.randint(*spec.units_per_community)):
        category = rng.choices(
            ["non_public_enterprise", "social_organisation", "other"], weights=[85, 12, 3]
        )[0]
        members = p.unit_members()
        unit = p.unit(
            name=p.unit_name(category),
            category=category,
            street=street,
            community=community,
            members=members,
        )
        row = p.plan.units[unit]
        roll = rng.random()
        big = members >= rules.UNIT_MIN_FULL_MEMBERS
        if big and roll < 0.5:
            sector = category if category == "social_organisation" else "non_public_enterprise"
            org = p.org(community, row["name"] + "党支部", rules.BRANCH, sector, (members, members))
            if members >= 12 and rng.random() < 0.5:
                p.groups(org, 1)
            row.update(coverage=rules.OWN_ORG, org=org)
        elif (big and roll < 0.65) or (0 < members < 3 and roll < 0.25):
            joint_candidates.append(unit)
        elif big or (members and roll < 0.8) or (not members and roll < 0.65):
            row.update(coverage=rules.INSTRUCTOR, instructor_name=p.person())
    rng.shuffle(joint_candidates)
    short = name.removesuffix("社区")
    n = 0
    while len(joint_candidates) >= 2:
        size = min(len(joint_candidates), rng.randint(2, 4))
        covered, joint_candidates = joint_candidates[:size], joint_candidates[size:]
        label = "非公企业" if n == 0 else f"第{ORDINALS[min(n, 9)]}"
        n += 1
        p.joint(community, f"{short}社区{label}联合党支部", "non_public_enterprise", covered)
    for u in joint_candidates:
        p.plan.units[u].update(coverage=rules.INSTRUCTOR, instructor_name=p.person())
    return community


def _street_sectors(p: _Planner, street: int, street_name: str, *, first: bool) -> None:
    """The street's organ and clinic, its commercial buildings and markets."""
    rng, spec = p.rng, p.spec
    communities = [i for i, o in enumerate(p.plan.orgs) if o["parent"] == street]
    short = street_name.removesuffix("街道")
    office = f"鼓楼区{street_name}" + ("人民政府" if street_name.endswith("镇") else "办事处")
    p.own(street, "organ", office, street, members=(12, 30), org_name=f"{short}街道机关党支部")
    clinic = f"鼓楼区{short}社区卫生服务中心"
    p.own(street, "institution", clinic, street, rng.choice(communities), members=(8, 25))
    low, high = spec.buildings_per_street
    for _ in range(rng.randint(max(low, first), high)):
        community = rng.choice(communities)
        name = p.unit_name("commercial_building")
        general = p.own(
            street,
            "commercial_building",
            name,
            street,
            community,
            type=rules.GENERAL_BRANCH,
            org_name=f"{name}党总支",
        )
        for i in range(rng.randint(1, 2)):
            tenants = [
                p.unit(
                    name=p.unit_name(NPE),
                    category=NPE,
                    street=street,
                    community=community,
                    members=rng.randint(1, 2),
                )
                for _ in range(rng.randint(2, 4))
            ]
            p.joint(general, f"{name}第{ORDINALS[i]}联合党支部", "commercial_building", tenants)
    low, high = spec.markets_per_street
    for _ in range(rng.randint(max(low, first), high)):
        name = p.unit_name("market", hint=short if rng.random() < 0.3 else "")
        p.own(street, "market", name, street, rng.choice(communities), members=(5, 20))


def _district_sectors(p: _Planner, root: int, streets: list[int], *, city: bool) -> None:
    """Organs, schools, state-owned enterprises, parks and social organisations."""
    rng, spec = p.rng, p.spec
    head = "福州市" if city else "鼓楼区"
    organs = p.org(root, f"{head}直属机关工作委员会", rules.COMMITTEE, "organ")
    bureaus = [d + b for d in (CITY_DISTRICTS if city else ["鼓楼区"]) for b in BUREAUS]
    for name in bureaus[: spec.organ_bureaus]:
        branch = f"{name}机关党支部"
        p.own(organs, "organ", name, rng.choice(streets), members=(10, 45), org_name=branch)
    schools = p.org(root, f"{head}教育系统党委", rules.COMMITTEE, "institution")
    for _ in range(spec.schools):
        name = p.unit_name("institution", hint=rng.choice(p.place_names))
        p.own(schools, "institution", name, rng.choice(streets), members=(10, 60))
    group_name = f"{head}国有资产投资发展集团有限公司"
    group = p.own(
        root, "soe", group_name, streets[0], type=rules.COMMITTEE, org_name=f"{group_name}党委"
    )
    for _ in range(spec.soe_companies):
        p.own(group, "soe", p.unit_name("soe"), rng.choice(streets), members=(8, 40))
    two_new = p.org(root, f"{head}非公有制经济组织和社会组织综合党委", rules.COMMITTEE, NPE)
    for _ in range(spec.parks):
        street = rng.choice(streets)
        name = p.unit_name("park")
        park = p.own(two_new, "park", name, street, type=rules.COMMITTEE, org_name=f"{name}党委")
        for _ in range(rng.randint(2, 4)):
            members = rng.randint(3, 30)
            p.own(park, NPE, p.unit_name(NPE), street, members=(members, members), sector="park")
    social = p.org(two_new, f"{head}社会组织联合党委", rules.COMMITTEE, "social_organisation")
    for _ in range(max(1, spec.parks)):
        name = p.unit_name("social_organisation")
        p.own(social, "social_organisation", name, rng.choice(streets), members=(3, 15))


def _showcase(p: _Planner, street: int, community: int) -> None:
    """Anchors for the demo accounts, and at least one case of every advisory there."""
    orgs, units = p.plan.orgs, p.plan.units
    children = [i for i, o in enumerate(orgs) if o["parent"] == community]
    branch = children[0]  # 第一党支部: 7+ full members and no committee yet
    orgs[branch].update(member_count=9, full_member_count=8, has_committee=False)
    for group in (o for o in orgs if o["parent"] == branch):
        group.update(member_count=4, full_member_count=4)
    p.term(orgs[branch], days_left=400)
    retirees = next(i for i in children if "离退休" in orgs[i]["name"])
    orgs[retirees].update(member_count=56, full_member_count=54, has_committee=True)  # >50
    p.term(orgs[retirees], days_left=-25)  # re-election overdue
    p.term(orgs[children[1]], days_left=40)  # term ends within the reminder window
    p.term(orgs[community], days_left=70)
    p.plan.showcase = {"root": 0, "street": street, "community": community, "branch": branch}
    own = [u for u in units if u["community"] == community]
    # a unit with 3+ party members and no organisation of its own, and one not covered at all
    flagged = next((u for u in own if u["coverage"] in (rules.INSTRUCTOR, rules.NONE)), own[0])
    if flagged["coverage"] == rules.OWN_ORG:
        flagged.update(coverage=rules.INSTRUCTOR, org=None, instructor_name=p.person())
    flagged["party_member_count"] = max(flagged["party_member_count"], 4)
    flagged["employee_count"] = max(flagged["employee_count"], 4)
    if not any(u["coverage"] == rules.NONE for u in units):
        uncovered = p.unit(
            name=p.unit_name("non_public_enterprise"),
            street=street,
            category="non_public_enterprise",
            community=community,
            members=1,
        )
        units[uncovered]["employee_count"] = 12
    if not any(u["coverage"] == rules.JOINT for u in units):  # pragma: no cover - buildings add
        raise RuntimeError("the plan has no joint branch")


def _finish_counts(plan: Plan) -> None:
    """Committees and general branches count the members of the branches below them."""
    for row in reversed(plan.orgs):  # children always come after their parent
        parent = row["parent"]
        if parent is None or row["type"] == rules.PARTY_GROUP:
            continue
        target = plan.orgs[parent]
        if target["type"] not in rules.BRANCH_TYPES:
            target["member_count"] += row["member_count"]
            target["full_member_count"] += row["full_member_count"]


# --- writing ------------------------------------------------------------------------------


class _SearchKeys:
    """search_key(name, code) == search_key(name) + " " + search_key(code): names repeat
    (党小组, 联合党支部 …) so their pinyin is computed once; codes are ASCII."""

    def __init__(self):
        self.names: dict[str, str] = {}

    def name(self, text: str) -> str:
        key = self.names.get(text)
        if key is None:
            key = self.names[text] = search_key(text)
        return key

    def org(self, name: str, code: str) -> str:
        code = code.lower()
        return f"{self.name(name)} {code} {code} {code}"


def write(plan: Plan, *, out=None) -> dict:
    """Insert the plan; returns the counts and the showcase orgs (for the accounts seeder)."""
    keys = _SearchKeys()
    first = (Org.objects.aggregate(m=Max("id"))["m"] or 0) + 1
    paths: list[str] = []
    batch: list[Org] = []
    for i, row in enumerate(plan.orgs):
        parent = row["parent"]
        paths.append((paths[parent] if parent is not None else "") + path_segment(first + i))
        fields = {k: v for k, v in row.items() if k != "parent"}
        batch.append(
            Org(
                id=first + i,
                parent_id=None if parent is None else first + parent,
                path=paths[i],
                search_key=keys.org(row["name"], row["code"]),
                **fields,
            )
        )
        if len(batch) >= BATCH:
            Org.objects.bulk_create(batch, batch_size=BATCH)
            batch = []
    Org.objects.bulk_create(batch, batch_size=BATCH)
    if out:
        out.write(f"  organisations: {len(plan.orgs)}")
    first_unit = (Unit.objects.aggregate(m=Max("id"))["m"] or 0) + 1
    units: list[Unit] = []
    for i, row in enumerate(plan.units):
        fields = {k: v for k, v in row.items() if k not in ("street", "community", "org")}
        units.append(
            Unit(
                id=first_unit + i,
                street_id=first + row["street"],
                community_id=None if row["community"] is None else first + row["community"],
                org_id=None if row["org"] is None else first + row["org"],
                search_key=keys.name(row["name"]),
                **fields,
            )
        )
        if len(units) >= BATCH:
            Unit.objects.bulk_create(units, batch_size=BATCH)
            units = []
    Unit.objects.bulk_create(units, batch_size=BATCH)
    if out:
        out.write(f"  units: {len(plan.units)}")
    _reset_sequences([Org, Unit])
    anchors = {name: first + index for name, index in plan.showcase.items()}
    by_id = Org.objects.in_bulk(list(anchors.values()))
    return {
        "orgs": len(plan.orgs),
        "units": len(plan.units),
        "showcase": {name: by_id[pk] for name, pk in anchors.items()},
    }


def _reset_sequences(models) -> None:
    statements = connection.ops.sequence_reset_sql(no_style(), models)
    if statements:
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)


def seed(*, scale: str, rng: random.Random, out, context: dict) -> dict:
    """The orgs seeder of `tongxin seed`: the org tree, units and their coverage."""
    out.write(f"Organisations and units ({scale}) …")
    return write(plan(scale, rng), out=out)
