"""Garbage on every demands/grid route (pages, portal, Open311, API) never answers 500;
a department handler sees only their department's demands on every surface."""

import json

import pytest
from django.test import Client

from tests.demands.factories import demand_in, make_grid, square
from tests.factories import PASSWORD
from tongxin.demands import rules

GARBAGE = [
    "",
    "x",
    "-1",
    "0",
    "99999999999999999999999",
    "1.5",
    "²",
    "١٢",
    "a\x00b",
    "x" * 5000,
    "[]",
    "{}",
    "null",
    "true",
    "<script>alert(1)</script>",
]


def login(user):
    c = Client(raise_request_exception=False)
    assert c.login(username=user.username, password=PASSWORD)
    return c


def api_login(user):
    from tongxin.accounts.services import issue_api_token

    token = issue_api_token(user=user)
    return Client(raise_request_exception=False, headers={"Authorization": f"Bearer {token}"})


def check(resp, where):
    assert resp.status_code < 500, (where, resp.status_code, resp.content[:400])


@pytest.mark.parametrize("who", ["admin", "community_admin", "handler"])
def test_pages_fuzz(setup, who):
    d = setup.d
    user = setup.handler if who == "handler" else getattr(d, who)
    demand = demand_in(rules.HANDLING, setup)
    grid = make_grid(d.comm_a1, boundary=square(118.7, 32.0))
    c = login(user)
    pages = [
        "/demands/",
        "/demands/new/",
        "/demands/patrol/",
        f"/demands/{demand.pk}/",
        "/demands/measures/",
        "/demands/measures/export/",
        "/demands/settings/categories/",
        "/demands/settings/categories/new/",
        "/demands/settings/departments/new/",
        "/demands/settings/routes/",
        "/demands/settings/states/",
        "/demands/settings/open311/",
        "/grids/",
        "/grids/map/",
        "/grids/new/",
        f"/grids/{grid.pk}/",
        f"/grids/{grid.pk}/edit/",
        f"/grids/{grid.pk}/buildings/new/",
        f"/grids/{grid.pk}/households/new/",
        "/grids/visits/",
        "/calendar/",
    ]
    keys = [
        "q",
        "state",
        "channel",
        "category",
        "community",
        "street",
        "grid",
        "org",
        "department",
        "handler",
        "overdue",
        "after",
        "start",
        "end",
        "by",
        "area",
        "visit",
        "year",
        "page",
        "name",
        "code",
        "description",
        "phone",
        "latitude",
        "longitude",
        "address",
        "boundary",
        "limit_value",
        "limit_unit",
        "parent",
        "order",
        "leader",
        "workers",
        "party_org",
        "household",
        "date",
        "notes",
        "category_id",
        "community_id",
        "urgent",
        "active",
        "handlers",
        "departments",
        "building",
        "resident",
        "grid",
        "department",
        "area_id",
    ]
    for p in pages:
        for g in GARBAGE:
            data = {k: g for k in keys}
            check(c.get(p, data), ("GET", p, g[:20]))
            check(c.post(p, data), ("POST", p, g[:20]))
    for p in [
        f"/demands/{10**20}/",
        f"/demands/{demand.pk}/photos/{10**20}/",
        f"/demands/{demand.pk}/act/nope/",
        f"/grids/{10**20}/",
        f"/grids/households/{10**20}/",
        "/portal/track/%00/",
        "/portal/track/" + "x" * 5000 + "/",
    ]:
        check(c.get(p), p)
        check(c.post(p, {}), p)
    for action in [
        "accept",
        "refuse",
        "dispatch",
        "claim",
        "return",
        "progress",
        "escalate",
        "summon",
        "answer_summons",
        "answer",
        "close",
        "supervise",
        "request_extension",
        "decide_extension",
        "mark_duplicate",
        "return_visit",
        "archive",
    ]:
        for g in GARBAGE:
            data = {
                f"{action}-{k}": g
                for k in [
                    "version",
                    "reason",
                    "note",
                    "department",
                    "departments",
                    "original",
                    "answer",
                    "days",
                    "hours",
                    "extension",
                    "approve",
                    "summons",
                    "due_at",
                    "value",
                    "unit",
                ]
            }
            check(c.post(f"/demands/{demand.pk}/act/{action}/", data), (action, g[:20]))


def test_portal_fuzz(setup, settings):
    settings.TONGXIN = {**settings.TONGXIN}
    c = Client(raise_request_exception=False)
    keys = [
        "category",
        "community",
        "description",
        "phone",
        "latitude",
        "longitude",
        "address",
        "contact_name",
        "code",
        "tail",
        "phone_tail",
        "rating",
        "comment",
        "t",
    ]
    for g in GARBAGE:
        data = {k: g for k in keys}
        for p in [
            "/portal/",
            "/portal/track/",
            "/portal/submitted/",
            "/portal/track/ABC/",
            "/portal/track/ABC/rate/",
            "/portal/track/ABC/reopen/",
        ]:
            from django.core.cache import cache

            cache.clear()
            check(c.get(p, data), ("GET", p, g[:20]))
            check(c.post(p, data), ("POST", p, g[:20]))


def test_open311_fuzz(setup):
    from django.core.cache import cache

    c = Client(raise_request_exception=False)
    keys = [
        "service_code",
        "service_request_id",
        "start_date",
        "end_date",
        "status",
        "api_key",
        "lat",
        "long",
        "address_string",
        "description",
        "phone",
        "email",
        "media_url",
        "jurisdiction_id",
        "attribute[x]",
        "device_id",
        "account_id",
        "first_name",
        "last_name",
        "address_id",
    ]
    for g in GARBAGE:
        data = {k: g for k in keys}
        for p in [
            "discovery.json",
            "services.xml",
            "services/" + "x" * 300 + ".json",
            "services/%00.json",
            "requests.json",
            "requests.xml",
            "requests/" + g.replace("/", "")[:300] + ".json",
            "requests.yaml",
        ]:
            cache.clear()
            check(c.get("/open311/v2/" + p, data), ("GET", p, g[:20]))
            check(c.post("/open311/v2/" + p, data), ("POST", p, g[:20]))


@pytest.mark.parametrize("who", ["admin", "community_admin", "handler"])
def test_api_fuzz(setup, who):
    d = setup.d
    user = setup.handler if who == "handler" else getattr(d, who)
    demand = demand_in(rules.HANDLING, setup)
    grid = make_grid(d.comm_a1, boundary=square(118.7, 32.0))
    c = api_login(user)
    values = [*GARBAGE, None, 10**30, -5, 1.5, [1, "x"], {"a": 1}, True]
    keys = [
        "category_id",
        "community_id",
        "description",
        "phone",
        "latitude",
        "longitude",
        "address",
        "channel",
        "contact_name",
        "confidential",
        "version",
        "note",
        "reason",
        "department_id",
        "department_ids",
        "original_id",
        "answer",
        "rating",
        "days",
        "hours",
        "approve",
        "summons_id",
        "household_id",
        "date",
        "learned",
        "grid_id",
        "visited_on",
        "problem",
        "category",
        "ext_id",
    ]
    routes = ["/api/v1/demands", f"/api/v1/grids/{grid.pk}/visits"] + [
        f"/api/v1/demands/{demand.pk}/{a}"
        for a in [
            "accept",
            "refuse",
            "duplicate",
            "dispatch",
            "claim",
            "return",
            "progress",
            "escalate",
            "summon",
            "answer-summons",
            "answer",
            "close",
            "rate",
            "return-visit",
            "archive",
            "supervise",
            "extensions",
            "extensions/1/decide",
        ]
    ]
    for v in values:
        body = {k: v for k in keys}
        for r in routes:
            check(c.post(r, json.dumps(body), content_type="application/json"), (r, repr(v)[:30]))
        check(c.post(routes[0], "not json\x00", content_type="application/json"), "raw")
        gets = {
            k: v
            for k in [
                "state",
                "channel",
                "category",
                "community",
                "street",
                "grid",
                "org",
                "department",
                "handler",
                "overdue",
                "supervised",
                "escalated",
                "q",
                "after",
                "limit",
            ]
            if not isinstance(v, (list, dict))
        }
        gets = {k: ("" if x is None else str(x)) for k, x in gets.items()}
        for r in [
            "/api/v1/demands",
            "/api/v1/grids",
            f"/api/v1/grids/{grid.pk}",
            f"/api/v1/demands/{10**20}",
            f"/api/v1/grids/{10**20}",
            f"/api/v1/demands/{demand.pk}",
            "/api/v1/demands/categories",
            f"/api/v1/grids/{grid.pk}/visits",
        ]:
            check(c.get(r, gets), (r, repr(v)[:30]))


def test_department_handler_sees_only_their_departments_demands_everywhere(setup):
    """List, detail, photo, actions, API list/detail/actions, measures and the Excel export:
    a handler of the other department sees nothing of a demand dispatched elsewhere."""
    from io import BytesIO

    from openpyxl import load_workbook

    from tests.demands.factories import T0, photo, submit
    from tongxin.demands.services import workflow

    d = setup.d
    mine = demand_in(rules.DISPATCHED, setup, photos=[photo()])
    pending = submit(d, category=setup.category, now=T0)
    theirs = workflow.act(
        actor=d.community_admin,
        demand=workflow.act(actor=d.community_admin, demand=pending, action="accept", now=T0),
        action="dispatch",
        department=setup.other_dept,
        now=T0,
    )
    pic = mine.photos.get()
    other = login(setup.other_handler)
    owner = login(setup.handler)
    # pages
    assert mine.code not in other.get("/demands/").content.decode()
    assert theirs.code in other.get("/demands/").content.decode()
    assert other.get(f"/demands/{mine.pk}/").status_code == 404
    assert other.get(f"/demands/{mine.pk}/photos/{pic.pk}/").status_code == 404
    assert owner.get(f"/demands/{mine.pk}/photos/{pic.pk}/").status_code == 200
    r = other.post(f"/demands/{mine.pk}/act/claim/", {"claim-version": str(mine.version)})
    assert r.status_code == 404
    r = other.post(f"/demands/{mine.pk}/reveal/")
    assert r.status_code == 404
    # API
    other_api = api_login(setup.other_handler)
    r = other_api.get("/api/v1/demands")
    assert r.status_code == 200, r.content
    codes = [i["code"] for i in r.json()["items"]]
    assert mine.code not in codes and theirs.code in codes
    assert other_api.get(f"/api/v1/demands/{mine.pk}").status_code == 404
    r = other_api.post(f"/api/v1/demands/{mine.pk}/claim", "{}", content_type="application/json")
    assert r.status_code == 404
    # measures and the export count only their own
    r = other.get("/demands/measures/", {"start": "2026-03-01", "end": "2026-03-31"})
    assert r.status_code == 200
    total = r.context["result"].total.measures.total
    assert total == 1
    r = other.get("/demands/measures/export/", {"start": "2026-03-01", "end": "2026-03-31"})
    assert r.status_code == 200
    cells = [
        c
        for row in load_workbook(BytesIO(r.content)).active.iter_rows(values_only=True)
        for c in row
    ]
    assert setup.dept.name not in cells and setup.other_dept.name in cells
    Demand = type(mine)
    assert Demand.objects.get(pk=mine.pk).version == mine.version  # nothing written


def test_api_fuzz_is_authenticated(setup):
    c = api_login(setup.d.admin)
    assert c.get("/api/v1/demands").status_code == 200


def test_summon_with_ids_beyond_the_integer_range_is_a_field_error(setup):
    """The summon form's department list (and the department form's handlers) refuse ids
    the database cannot hold as an invalid choice, not a 500 (SQLite overflows)."""
    d = setup.d
    demand = demand_in(rules.ESCALATED, setup)
    c = login(d.street_admin)
    r = c.post(
        f"/demands/{demand.pk}/act/summon/",
        {
            "summon-version": str(demand.version),
            "summon-departments": ["9" * 25, str(setup.dept.pk)],
        },
    )
    assert r.status_code == 400
    assert type(demand).objects.get(pk=demand.pk).version == demand.version
    r = login(d.admin).post(
        "/demands/settings/departments/new/",
        {"code": "X1", "name": "x", "org": d.root.pk, "handlers": ["9" * 25]},
    )
    assert r.status_code in (200, 400) and "handlers" in r.context["form"].errors


def test_resident_reopen_and_rate_with_control_characters(setup):
    """A resident's comment with NUL characters (PostgreSQL refuses them in text) is an
    answer, never a 500; the reopen itself is kept or refused whole."""
    from tests.demands.factories import PHONE, TAIL

    demand = demand_in(rules.CLOSED, setup, phone=PHONE)
    c = Client(raise_request_exception=False)
    r = c.post("/portal/track/", {"code": demand.code, "phone_tail": TAIL, "tail": TAIL})
    assert r.status_code in (200, 302)
    r = c.post(f"/portal/track/{demand.code}/rate/", {"rating": "unsatisfied", "comment": "a\x00b"})
    assert r.status_code < 500
    r = c.post(f"/portal/track/{demand.code}/reopen/", {"comment": "还是\x00漏水"})
    assert r.status_code < 500
    demand.refresh_from_db()
    assert demand.reopen_count == 0  # refused whole
    r = c.post(f"/portal/track/{demand.code}/reopen/", {"comment": "还是漏水"})
    demand.refresh_from_db()
    assert demand.state == rules.REOPENED and demand.reopen_count == 1
    events = list(demand.events.values_list("action", "note"))
    assert all("\x00" not in (note or "") for _a, note in events)
