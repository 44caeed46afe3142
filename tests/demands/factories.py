"""Shared demand factories: categories, departments with handlers, routing rules, grids with
boundaries, and demands in any state — built through the services (so every row and event is
what the real workflow writes). Others may add functions at the END of this file.

Times: pass `now=`; the default T0 is a working Tuesday morning in Shanghai, so clocks are
predictable (T0 = 2026-03-10 09:00 +08:00).
"""

from __future__ import annotations

import io
import itertools
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.core.files.uploadedfile import SimpleUploadedFile

from tests.factories import make_user
from tongxin.demands import rules
from tongxin.demands.models import Category, Department, RoutingRule
from tongxin.demands.services import workflow

SH = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 3, 10, 9, 0, tzinfo=SH)
PHONE = "13812345678"
TAIL = "5678"

_seq = itertools.count(1)


def make_category(
    name=None, *, parent=None, limit_value=5, limit_unit="working_days", urgent=False, **extra
) -> Category:
    n = next(_seq)
    return Category.objects.create(
        code=extra.pop("code", f"T{n:04d}"),
        name=name or f"测试类别{n}",
        parent=parent,
        limit_value=limit_value,
        limit_unit=limit_unit,
        urgent=urgent,
        **extra,
    )


def make_department(org, *, name=None, handlers=(), code=None, **extra) -> Department:
    """A department belonging to `org` (the district root or a street); `handlers` are
    users, or ints n → n new users named dept<seq>."""
    n = next(_seq)
    dept = Department.objects.create(
        code=code or f"DEP{n:04d}", name=name or f"测试部门{n}", org=org, **extra
    )
    users = []
    for h in handlers:
        users.append(h if not isinstance(h, int) else make_user(f"dept{n}_{h}"))
    if users:
        dept.handlers.add(*users)
    return dept


def make_handler(dept: Department, username=None):
    user = make_user(username or f"handler{next(_seq)}", role="dept_handler")
    dept.handlers.add(user)
    return user


def make_route(category, department=None, area=None) -> RoutingRule:
    return RoutingRule.objects.create(category=category, department=department, area=area)


def square(lon: float, lat: float, size: float = 0.01) -> dict:
    return {
        "type": "Polygon",
        "coordinates": [
            [
                [lon, lat],
                [lon + size, lat],
                [lon + size, lat + size],
                [lon, lat + size],
                [lon, lat],
            ]
        ],
    }


def make_grid(community, *, boundary=None, name=None, **extra):
    from tongxin.grid.models import Grid

    n = next(_seq)
    return Grid.objects.create(
        community=community, code=f"G{n:04d}", name=name or f"第{n}网格", boundary=boundary, **extra
    )


def png_bytes(width=4, height=3) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(buf, format="PNG")
    return buf.getvalue()


def photo(name="photo.png", data=None, content_type="image/png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, png_bytes() if data is None else data, content_type)


class Setup:
    """A district (tests.factories.District) with a category, a department at the district
    with one handler, a second department with its own handler, and a routing rule."""

    def __init__(self, district):
        self.d = district
        self.category = make_category("路灯损坏", limit_value=5)
        self.consult = make_category("政策咨询", limit_value=3)
        self.urgent = make_category("燃气泄漏", limit_value=2, limit_unit="hours", urgent=True)
        self.dept = make_department(district.root, name="城管局")
        self.handler = make_handler(self.dept, "handler_cg")
        self.other_dept = make_department(district.root, name="住建局")
        self.other_handler = make_handler(self.other_dept, "handler_zj")
        make_route(self.category, self.dept)


def submit(district, *, category, community=None, now=T0, phone=PHONE, **kw):
    return workflow.submit(
        channel=kw.pop("channel", "portal"),
        category=category,
        description=kw.pop("description", "小区门口路灯不亮已经三天了"),
        community=community or district.comm_a1,
        phone=phone,
        contact_name=kw.pop("contact_name", "张三"),
        now=now,
        **kw,
    )


# the path to each state, as (action, who, params) — who: "dispatcher" | "handler" |
# "street" | "resident"
PATHS: dict[str, list[tuple[str, str, dict]]] = {
    rules.PENDING: [],
    rules.ACCEPTED: [("accept", "dispatcher", {})],
    rules.REFUSED: [("refuse", "dispatcher", {"reason": "不属于受理范围"})],
    rules.DUPLICATE: [("mark_duplicate", "dispatcher", {"original": "ORIGINAL"})],
    rules.DISPATCHED: [
        ("accept", "dispatcher", {}),
        ("dispatch", "dispatcher", {"department": "DEPT"}),
    ],
}
PATHS[rules.HANDLING] = [*PATHS[rules.DISPATCHED], ("claim", "handler", {})]
PATHS[rules.RETURNED] = [*PATHS[rules.DISPATCHED], ("return", "handler", {"reason": "不是我们的"})]
PATHS[rules.ESCALATED] = [
    *PATHS[rules.HANDLING],
    ("escalate", "dispatcher", {"reason": "需要街道协调"}),
]
PATHS[rules.ANSWERED] = [*PATHS[rules.HANDLING], ("answer", "handler", {"answer": "已修复"})]
PATHS[rules.CLOSED] = [*PATHS[rules.ANSWERED], ("close", "dispatcher", {})]
PATHS[rules.RATED] = [*PATHS[rules.CLOSED], ("rate", "resident", {"rating": "satisfied"})]
PATHS[rules.VISITED] = [*PATHS[rules.CLOSED], ("return_visit", "dispatcher", {})]
PATHS[rules.ARCHIVED] = [*PATHS[rules.RATED], ("archive", "dispatcher", {})]
PATHS[rules.REOPENED] = [*PATHS[rules.CLOSED], ("reopen", "resident", {})]


def demand_in(state: str, setup: Setup, *, now=T0, category=None, rating="satisfied", **kw):
    """A demand brought to `state` through the services (one minute per step after `now`).
    Dispatcher: the community admin of comm_a1; handler: setup.handler; resident: the
    portal phone (rating: what the resident gives on the way to RATED/ARCHIVED)."""
    d = setup.d
    demand = submit(d, category=category or setup.category, now=now, **kw)
    actors = {"dispatcher": d.community_admin, "handler": setup.handler, "street": d.street_admin}
    t = now
    for action, who, params in PATHS[state]:
        t = t + timedelta(minutes=1)
        params = dict(params)
        if params.get("original") == "ORIGINAL":
            params["original"] = submit(d, category=category or setup.category, now=now)
        if action == "rate":
            params["rating"] = rating
        if params.get("department") == "DEPT":
            params["department"] = setup.dept
        if who == "resident":
            demand = workflow.resident_act(
                code=demand.code, phone_tail=TAIL, action=action, now=t, **params
            )
        else:
            demand = workflow.act(actor=actors[who], demand=demand, action=action, now=t, **params)
    return demand
