"""What the demands seeder draws from and builds first: the constants and pools, departments
with their handlers, routing rules, the Open311 client, communities and grids."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password

from tongxin.core import crypto
from tongxin.core.workdays import SHANGHAI, WorkSchedule
from tongxin.demands import rules
from tongxin.demands.models import (
    Category,
    Department,
    Open311Client,
    RoutingRule,
)
from tongxin.orgs import rules as org_rules
from tongxin.orgs.models import Org
from tongxin.orgs.seed import REFERENCE_DATE

REFERENCE_NOW = datetime.combine(REFERENCE_DATE, time(10, 0), tzinfo=SHANGHAI)
DAYS = 365
TARGET = {"demo": None, "district": 500_000, "city": 5_000_000}
DEMO_PER_COMMUNITY = (90, 130)
DEMO_SHOWCASE = 420
CHUNK = 50_000  # demands per chunk handed to the writer
OPEN311_DEMO_KEY = "tongxin-demo-open311-key"  # published, like the demo passwords
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # as services.intake
CODE_SPACE = 32**6

CHANNELS = (
    ("portal", 30), ("hotline", 28), ("patrol", 14), ("visit", 6), ("reception", 4),
    ("alliance", 3), ("open311", 7), ("staff", 8),
)  # fmt: skip
TOP_WEIGHTS = {
    "ENV": 20, "ORD": 12, "DIS": 6, "REP": 22, "PRO": 12, "SOC": 8, "SAF": 3, "CON": 11,
    "SUG": 3, "PRA": 2, "OTH": 1,
}  # fmt: skip

# district departments: code, name, leaf/top categories they handle (area: whole district)
DEPARTMENTS = (
    ("CGJ", "城市管理局", ["ENV-01", "ENV-02", "ENV-03", "ORD-01", "ORD-03", "ORD-05",
                           "REP-01", "REP-02", "SAF-02"]),
    ("ZJJ", "住房和城乡建设局", ["DIS-02", "PRO-01", "PRO-02", "PRO-04", "SAF-03"]),
    ("SJJ", "市场监督管理局", ["ENV-05", "REP-06"]),
    ("GAJ", "公安分局", ["ORD-02", "ENV-04"]),
    ("XFJ", "消防救援大队", ["ORD-04", "SAF-01"]),
    ("MZJ", "民政局", ["SOC-01", "SOC-02", "SOC-03", "CON-03"]),
    ("RSJ", "人力资源和社会保障局", ["DIS-03", "SOC-04", "CON-01"]),
    ("WJJ", "卫生健康局", ["ENV-06", "SOC-05"]),
    ("JYJ", "教育局", ["SOC-06"]),
    ("SW", "自来水公司", ["REP-03"]),
    ("GD", "供电公司", ["REP-04"]),
    ("RQ", "燃气公司", ["REP-05"]),
)  # fmt: skip
# handled by the community itself (a district-wide rule with no department)
COMMUNITY_HANDLED = ["DIS-01", "DIS-04", "REP-07", "REP-08", "PRO-03", "CON-02", "CON-04",
                     "SUG", "PRA", "OTH"]  # fmt: skip
# each street's own city-management squad takes these in its street (more specific rule)
STREET_SQUAD = ["ENV-01", "ENV-02", "ORD-01"]

SURNAMES = "林陈黄郑王张李刘吴杨何翁邱游谢魏江高叶潘蔡方许周徐郭"
GIVEN = "建华 秀英 美玲 志强 丽萍 晓东 国平 凤英 永健 明辉 少华 玉珍 文斌 雪梅 德明 海燕 春生 惠玲 伟 芳 敏 静 强 磊 军 勇 杰 涛 明 超 霞 平".split()  # noqa: E501
PROBLEMS = {
    "ENV": ["{road}附近垃圾桶满溢，好几天没人清运", "{road}人行道上有大量落叶和垃圾",
            "小区旁绿化带杂草丛生，蚊虫多", "{road}夜间施工噪声很大，影响休息",
            "楼下餐馆油烟直排，窗户都不敢开", "小区老鼠多，希望统一灭鼠"],
    "ORD": ["{road}路口有流动摊贩占道经营", "{road}人行道上长期违章停车",
            "邻居在楼顶私自搭建彩钢房", "消防通道被车辆堵塞", "小区里流浪狗多，担心伤人"],
    "DIS": ["楼上漏水到我家，协商不成", "和物业因收费问题发生纠纷",
            "在{road}某店打工，老板拖欠两个月工资", "家庭矛盾，希望社区帮忙调解"],
    "REP": ["{road}路灯不亮，夜间出行不便", "{road}有井盖松动，踩上去有响声",
            "家里停水，已经半天了", "小区停电，不知道什么时候恢复", "闻到楼道里有燃气味",
            "电梯经常故障停运，老人上下楼困难", "楼道灯坏了", "小区健身器材损坏"],
    "PRO": ["物业服务差，小区卫生没人管", "想了解维修资金怎么申请使用",
            "小区停车位不够，外来车辆乱停", "业委会换届选举有疑问"],
    "SOC": ["独居老人希望申请居家养老服务", "家庭困难，咨询低保申请条件",
            "残疾人辅具申请进度", "失业后想了解创业补贴", "社区卫生服务中心能否延长门诊时间",
            "孩子上幼儿园报名问题"],
    "SAF": ["楼道里电动车充电，存在消防隐患", "高楼窗户玻璃松动，担心坠落",
            "老房子墙体开裂，担心安全"],
    "CON": ["咨询医保异地就医备案怎么办", "咨询居住证办理需要哪些材料",
            "咨询高龄津贴的申领条件", "咨询社区活动室开放时间"],
    "SUG": ["建议在{road}增设公交站点", "建议社区多组织老年人活动"],
    "PRA": ["感谢社区网格员帮忙解决了楼道积水问题", "表扬物业维修师傅服务热情"],
    "OTH": ["其他问题：{road}附近有废弃车辆"],
}  # fmt: skip
ANSWERS = (
    "已安排人员到现场处理，问题已解决。", "经核实，已协调相关单位整改完毕。",
    "已向您电话说明有关政策和办理流程。", "已联系物业公司限期整改，并将持续跟踪。",
    "已完成维修，恢复正常使用。", "经现场调解，双方已达成一致。",
)  # fmt: skip
REFUSE_REASONS = ("不属于本平台受理范围，请向法院起诉。", "反映内容不清楚，且无法联系到反映人。")
RATING_COMMENTS = {
    "satisfied": "处理及时，谢谢",
    "basically": "基本解决了",
    "unsatisfied": "问题没有解决",
}


# --- the world: categories, departments, routes, communities, grids, accounts -------------


@dataclass
class Cat:
    id: int
    code: str
    top: str
    limit: rules.Limit
    urgent: bool
    routes: list = field(default_factory=list)


@dataclass
class Place:
    id: int
    path: str
    street_id: int
    name: str
    grids: list  # [(grid id, (lon0, lat0, lon1, lat1))]
    weight: float
    showcase: bool
    last_ids: list = field(default_factory=list)  # recent demand ids (duplicates' originals)


@dataclass
class World:
    cats: list
    cat_weights: list
    places: list
    place_weights: list
    handlers: dict  # department id → [user ids]
    street_org: dict  # street id → its org (for escalations)
    root_id: int
    accounts: dict  # username → user id
    open311_client: int
    routes: dict = field(default_factory=dict)  # (category id, community id) → dept id | None


def _departments(scale: str, root: Org, streets: list[Org], rng, accounts) -> dict:
    """Departments, their handlers and routing rules. Returns {code: Department}."""
    User = get_user_model()
    depts = [Department(code=code, name=name, org=root, phone=_landline(rng))
             for code, name, _cats in DEPARTMENTS]  # fmt: skip
    for street in streets:
        short = street.name.removesuffix("党工委").removesuffix("党委")
        depts.append(
            Department(
                code=f"CG-{street.code}",
                name=f"{short}城管执法中队",
                org=street,
                phone=_landline(rng),
            )
        )
    Department.objects.bulk_create(depts, batch_size=2000)
    depts = {d.code: d for d in Department.objects.filter(code__in=[d.code for d in depts])}
    # handlers: the demo account at the city-management bureau, invented colleagues
    unusable = make_password(None)
    users, members = [], []
    per = 3 if scale == "demo" else 2
    for code, dept in depts.items():
        for k in range(per):
            if code == "CGJ" and k == 0 and "dept_handler" in accounts:
                members.append((dept.pk, accounts["dept_handler"]))
                continue
            name = rng.choice(SURNAMES) + rng.choice(GIVEN)
            users.append(
                (dept.pk, User(username=f"h-{code.lower()}-{k + 1}", display_name=name,
                               password=unusable, is_active=True))
            )  # fmt: skip
    User.objects.bulk_create([u for _d, u in users], batch_size=2000)
    made = dict(
        User.objects.filter(username__in=[u.username for _d, u in users]).values_list(
            "username", "pk"
        )
    )
    # no role assignments: these people never sign in (the demo has one account per role,
    # accounts.seed); Department.handlers is what routes and scopes their demands
    members += [(dept_id, made[u.username]) for dept_id, u in users]
    through = Department.handlers.through
    through.objects.bulk_create(
        [through(department_id=d, user_id=u) for d, u in members], batch_size=2000
    )
    return depts


def _landline(rng) -> str:
    return f"0591-8{rng.randint(3000000, 7999999)}"


def _routing(depts: dict, streets: list[Org], cats_by_code: dict) -> int:
    rows = []
    for code, _name, codes in DEPARTMENTS:
        for c in codes:
            rows.append(RoutingRule(category=cats_by_code[c], area=None, department=depts[code]))
    for c in COMMUNITY_HANDLED:
        rows.append(RoutingRule(category=cats_by_code[c], area=None, department=None))
    for street in streets:
        for c in STREET_SQUAD:
            rows.append(
                RoutingRule(
                    category=cats_by_code[c], area=street, department=depts[f"CG-{street.code}"]
                )
            )
    RoutingRule.objects.bulk_create(rows, batch_size=2000)
    return len(rows)


def _world(scale: str, rng, showcase: Org | None) -> tuple[World, dict]:
    User = get_user_model()
    accounts = dict(
        User.objects.filter(
            username__in=[
                "district_admin",
                "street_admin",
                "community_admin",
                "grid_worker",
                "dept_handler",
            ]
        ).values_list("username", "pk")
    )
    root = Org.objects.filter(parent__isnull=True).order_by("id").first()
    streets = list(Org.objects.filter(type=org_rules.STREET).order_by("path"))
    communities = list(
        Org.objects.filter(type=org_rules.COMMUNITY)
        .order_by("path")
        .values("id", "path", "parent_id", "name")
    )
    ensure_default_catalogue()  # a flushed test database has lost the data migration's rows
    all_cats = list(Category.objects.filter(active=True).order_by("order", "id"))
    cats_by_code = {c.code: c for c in all_cats}
    depts = _departments(scale, root, streets, rng, accounts)
    n_rules = _routing(depts, streets, cats_by_code)
    client = Open311Client.objects.create(
        name="福州12345便民服务平台",
        key_digest=crypto.digest(OPEN311_DEMO_KEY),
        key_hint=OPEN311_DEMO_KEY[-4:],
    )
    # leaves of the catalogue, weighted by their top category
    parents = {c.parent_id for c in all_cats if c.parent_id}
    leaves = [c for c in all_cats if c.pk not in parents]
    by_top: dict[str, list[Category]] = {}
    tops = {c.pk: c.code for c in all_cats if c.parent_id is None}
    for c in leaves:
        by_top.setdefault(tops.get(c.parent_id, c.code), []).append(c)
    limits = _limits()
    cats, weights = [], []
    routes_by_cat: dict[int, list] = {}
    for cat_id, area_path, dept_id in RoutingRule.objects.values_list(
        "category_id", "area__path", "department_id"
    ):
        routes_by_cat.setdefault(cat_id, []).append((area_path or "", dept_id))
    for top, members in by_top.items():
        for c in members:
            limit = rules.handle_limit(
                limit_value=c.limit_value, limit_unit=c.limit_unit, urgent=c.urgent, limits=limits
            )
            routes = [
                rules.Route(area_path=p, department=d, specific=cid == c.pk)
                for cid in (c.pk, c.parent_id)
                if cid
                for p, d in routes_by_cat.get(cid, [])
            ]
            cats.append(Cat(c.pk, c.code, top, limit, c.urgent, routes))
            weights.append(TOP_WEIGHTS.get(top, 1) / len(members))
    grids: dict[int, list] = {}
    from tongxin.grid.models import Grid

    for gid, comm, boundary in Grid.objects.order_by("id").values_list(
        "id", "community_id", "boundary"
    ):
        grids.setdefault(comm, []).append((gid, _bbox(boundary)))
    places = []
    for c in communities:
        is_showcase = showcase is not None and c["id"] == showcase.pk
        places.append(
            Place(
                id=c["id"], path=c["path"], street_id=c["parent_id"], name=c["name"],
                grids=grids.get(c["id"], []),
                weight=(4.0 if is_showcase and scale == "demo" else rng.uniform(0.8, 1.2)),
                showcase=is_showcase,
            )
        )  # fmt: skip
    handlers: dict[int, list[int]] = {}
    for dept_id, user_id in Department.handlers.through.objects.order_by("id").values_list(
        "department_id", "user_id"
    ):
        handlers.setdefault(dept_id, []).append(user_id)
    world = World(
        cats=cats,
        cat_weights=list(_cumulative(weights)),
        places=places,
        place_weights=list(_cumulative([p.weight for p in places])),
        handlers=handlers,
        street_org={s.pk: s for s in streets},
        root_id=root.pk,
        accounts=accounts,
        open311_client=client.pk,
    )
    return world, {"departments": len(depts), "routing_rules": n_rules}


def _limits() -> rules.Limits:
    from tongxin.demands.services.common import limits

    return limits()


def _schedule() -> WorkSchedule:
    from tongxin.demands.services.common import schedule

    return schedule()


def _cumulative(weights):
    total = 0.0
    for w in weights:
        total += w
        yield total


def _bbox(boundary) -> tuple | None:
    try:
        ring = boundary["coordinates"][0]
    except (TypeError, KeyError, IndexError):
        return None
    xs, ys = [p[0] for p in ring], [p[1] for p in ring]
    return (min(xs), min(ys), max(xs), max(ys))


def ensure_default_catalogue() -> None:
    """The default categories and state names of migration 0002, created where missing
    (the migration's own function, run against the current models)."""
    from importlib import import_module

    from django.apps import apps

    import_module("tongxin.demands.migrations.0002_default_categories").forwards(apps, None)
