"""Measures (issue 6 item 8): counts per group from one grouped query, period boundaries,
scoping (each demand counted once), the page, bad input and the Excel export.

The demands are written as rows (the measures read fields, not the workflow), with a table
of what each one is; the expected counts are worked out by hand in the comments."""

from datetime import datetime, timedelta
from io import BytesIO
from itertools import count

import pytest
from django.utils import translation
from openpyxl import load_workbook

from tests.factories import make_user
from tongxin.core.workdays import SHANGHAI
from tongxin.demands.models import Category, Demand, Department, Escalation, Summons
from tongxin.demands.selectors.measures import measures
from tongxin.grid.models import Grid

_codes = count(1)
NOW = datetime(2026, 3, 20, 10, 0, tzinfo=SHANGHAI)
START, END = NOW.date().replace(day=1), NOW.date().replace(day=31)


def T(day, hour=9, minute=0, month=3):
    return datetime(2026, month, day, hour, minute, tzinfo=SHANGHAI)


def _demand(community, category, created, **fields):
    d = Demand.objects.create(
        code=f"M{next(_codes):07d}",
        channel=fields.pop("channel", "hotline"),
        category=category,
        description="路灯不亮",
        street=community.parent,
        community=community,
        **fields,
    )
    Demand.objects.filter(pk=d.pk).update(created_at=created)  # auto_now_add
    return d


@pytest.fixture
def world(district):
    d = district
    env = Category.objects.create(code="env", name="环境卫生")
    rep = Category.objects.create(code="rep", name="设施维修")
    dept1 = Department.objects.create(code="cg", name="城管局", org=d.root)
    dept2 = Department.objects.create(code="zj", name="住建局", org=d.root)
    h1 = make_user("handler1", role="dept_handler", org=d.root, display_name="张经办")
    h2 = make_user("handler2", role="dept_handler", org=d.root, display_name="李经办")
    dept1.handlers.add(h1)
    dept2.handlers.add(h2)
    grid = Grid.objects.create(community=d.comm_a1, code="G1", name="三坊第一网格")
    a1, a2, b1 = d.comm_a1, d.comm_a2, d.comm_b1
    rows = {}
    # d1 all well: accepted and answered in time, rated satisfied, 120 working minutes
    rows["d1"] = _demand(
        a1, env, T(2), grid=grid, department=dept1, handler=h1, state="rated",
        accept_due_at=T(2, 10), accepted_at=T(2, 9, 30), due_at=T(9, 17, 30),
        answered_at=T(5, 10), closed_at=T(5, 11), rating="satisfied", handling_minutes=120,
    )  # fmt: skip
    # d2 late twice, rated unsatisfied, was overdue (flag since cleared)
    rows["d2"] = _demand(
        a1, env, T(3), department=dept1, handler=h1, state="rated",
        accept_due_at=T(3, 10), accepted_at=T(3, 11), due_at=T(10, 17, 30),
        answered_at=T(12, 9), closed_at=T(12, 10), rating="unsatisfied",
        handling_minutes=600, overdue_since=T(10, 17, 30),
    )  # fmt: skip
    # d3 pending, acceptance not yet due at NOW
    rows["d3"] = _demand(a2, rep, T(20), department=dept2, accept_due_at=T(20, 11))
    # d4 pending past its acceptance time: overdue; the community handles it itself
    rows["d4"] = _demand(
        a2, rep, T(19), accept_due_at=T(19, 10), overdue=True, overdue_since=T(19, 10)
    )
    # refusals and duplicates carry accepted_at = the time of that decision (rules.measures)
    rows["d5"] = _demand(
        b1, env, T(4), department=dept1, state="refused", accept_due_at=T(4, 10),
        accepted_at=T(4, 9, 30),
    )  # fmt: skip
    rows["d6"] = _demand(b1, rep, T(4), department=dept2, state="duplicate", accepted_at=T(4, 9))
    # d7 being handled past its due time; escalated, two departments summoned
    rows["d7"] = _demand(
        b1, rep, T(5), department=dept2, handler=h2, state="escalated", escalated=True,
        accept_due_at=T(5, 10), accepted_at=T(5, 9, 10), due_at=T(12, 17, 30),
        overdue=True, overdue_since=T(12, 17, 30),
    )  # fmt: skip
    esc = Escalation.objects.create(
        demand=rows["d7"], from_org=b1, to_org=d.street_b, by=d.other_community, reason="x"
    )
    Summons.objects.create(escalation=esc, department=dept1)
    Summons.objects.create(escalation=esc, department=dept2)
    # period boundaries (Asia/Shanghai days): d8 and d11 fall outside
    rows["d8"] = _demand(a1, env, T(1, 0) - timedelta(seconds=1), department=dept1)
    rows["d9"] = _demand(
        a1, env, T(1, 0), department=dept1, state="accepted", accepted_at=T(1, 8)
    )  # no acceptance due time: accepted at all counts as in time
    rows["d10"] = _demand(
        a1, env, T(31, 23, 59) + timedelta(seconds=59), department=dept1,
        accept_due_at=T(1, 10, month=4),
    )  # fmt: skip
    rows["d11"] = _demand(a1, env, T(1, 0, month=4), department=dept1)
    # d12 answered in time, closed, rated unsatisfied and reopened
    rows["d12"] = _demand(
        a2, rep, T(6), department=dept2, handler=h2, state="reopened", reopen_count=1,
        accept_due_at=T(6, 10), accepted_at=T(6, 9, 30), due_at=T(13, 17, 30),
        answered_at=T(10, 9), closed_at=T(10, 10), rating="unsatisfied", handling_minutes=300,
    )  # fmt: skip
    d.env, d.rep, d.dept1, d.dept2, d.h1, d.h2, d.grid, d.rows = (
        env, rep, dept1, dept2, h1, h2, grid, rows
    )  # fmt: skip
    return d


TOTAL = {
    "total": 10,  # d1–d7, d9, d10, d12
    "responded": 7,  # d1 d2 d5 d6 d7 d9 d12
    "responded_on_time": 6,  # d2 accepted late
    "answered": 3,  # d1 d2 (rated) and d12 (reopened once)
    "answered_on_time": 2,  # d1 d12
    "resolved": 2,  # d1 d2 (rated; d12 is open again)
    "rated": 3, "satisfied": 1, "reopened": 1,
    "overdue": 2,  # d4 d7 flagged now
    "handling_minutes": 1020, "handling_count": 3,
    "to_resolve": 8,  # without d5 (refused) and d6 (duplicate)
}  # fmt: skip


def _counts(m):
    return {name: getattr(m, name) for name in TOTAL}


def _by(result):
    return {row.key: row for row in result.rows}


def test_total_counts_and_rates(world):
    result = measures(world.admin, by="department", start=START, end=END, now=NOW)
    m = result.total.measures
    assert _counts(m) == TOTAL
    assert m.response_rate == 0.6  # 6/10
    assert m.on_time_rate == 0.6667  # 2/3
    assert m.resolution_rate == 0.25  # 2/8
    assert m.satisfaction_rate == 0.3333  # 1/3
    assert m.reopen_rate == 0.3333  # 1/3
    assert m.average_handling_hours == 5.67  # 1020/3 = 340 min


@pytest.mark.parametrize("by", ["department", "handler", "grid", "community", "street", "category"])
def test_sql_sums_are_the_rules_sums(world, by):
    """The grouped SQL gives, group by group, what rules.measures gives over the rows."""
    from tongxin.demands import rules
    from tongxin.demands.selectors.measures import DIMENSIONS, period_bounds

    column = DIMENSIONS[by][0]
    low, high = period_bounds(START, END)
    groups: dict = {}
    for d in Demand.objects.filter(created_at__gte=low, created_at__lt=high):
        groups.setdefault(getattr(d, column), []).append(
            rules.Facts(
                state=d.state, accept_due_at=d.accept_due_at, accepted_at=d.accepted_at,
                due_at=d.due_at, answered_at=d.answered_at, handling_minutes=d.handling_minutes,
                rating=d.rating, reopen_count=d.reopen_count, overdue=d.overdue,
            )
        )  # fmt: skip
    result = measures(world.admin, by=by, start=START, end=END, now=NOW)
    assert {row.key: row.measures for row in result.rows} == {
        key: rules.measures(facts) for key, facts in groups.items()
    }


@pytest.mark.parametrize(
    ("by", "expected"),
    [
        ("department", {"dept1": 5, "dept2": 4, None: 1}),
        ("handler", {"h1": 2, "h2": 2, None: 6}),
        ("grid", {"grid": 1, None: 9}),
        ("community", {"comm_a1": 4, "comm_a2": 3, "comm_b1": 3}),
        ("street", {"street_a": 7, "street_b": 3}),
        ("category", {"env": 5, "rep": 5}),
    ],
)
def test_grouping(world, by, expected):
    result = measures(world.admin, by=by, start=START, end=END, now=NOW)
    got = {row.key: row.measures.total for row in result.rows}
    assert got == {(getattr(world, k).pk if k else None): v for k, v in expected.items()}
    assert _counts(result.total.measures) == TOTAL  # groups add up to the total


def test_department_rows(world):
    rows = _by(measures(world.admin, by="department", start=START, end=END, now=NOW))
    one = rows[world.dept1.pk]  # d1 d2 d5 d9 d10
    assert one.label == "城管局"
    m = one.measures
    assert (m.total, m.responded, m.responded_on_time, m.to_resolve) == (5, 4, 3, 4)
    assert (m.answered, m.answered_on_time, m.resolved, m.overdue) == (2, 1, 2, 0)
    assert m.average_handling_hours == 6.0  # (120 + 600) / 2 min
    two = rows[world.dept2.pk].measures  # d3 d6 d7 d12
    assert (two.reopened, two.overdue, two.reopen_rate) == (1, 1, 1.0)
    none = rows[None]
    assert none.measures.overdue == 1 and none.measures.on_time_rate is None
    assert none.label  # "Handled by the community itself"


def test_handler_and_category_labels(world):
    rows = _by(measures(world.admin, by="handler", start=START, end=END, now=NOW))
    assert rows[world.h1.pk].label == "张经办"
    rows = _by(measures(world.admin, by="category", start=START, end=END, now=NOW))
    assert rows[world.env.pk].label == "环境卫生"


def test_period_boundaries_are_shanghai_days(world):
    day = measures(world.admin, by="street", start=START, end=START, now=NOW)  # 1 March only
    assert day.total.measures.total == 1  # d9 at 00:00; d8 one second before is out
    last = measures(
        world.admin, by="street", start=END, end=END, now=datetime(2026, 4, 2, tzinfo=SHANGHAI)
    )
    assert last.total.measures.total == 1  # d10 at 23:59:59; d11 at 00:00 next day is out
    feb28 = START.replace(month=2, day=28)
    feb = measures(world.admin, by="street", start=feb28, end=feb28, now=NOW)
    assert feb.total.measures.total == 1  # d8


@pytest.mark.parametrize(
    ("who", "received"),
    [
        ("street_admin", 7),
        ("community_admin", 4),
        ("other_community", 3),  # d7 with two summonses counted once
        ("h1", 6),  # department 1's d1 d2 d5 d9 d10, and d7 it was summoned to
        ("h2", 4),  # department 2's d3 d6 d7 d12
    ],
)
def test_scoping_counts_each_demand_once(world, who, received):
    result = measures(getattr(world, who), by="department", start=START, end=END, now=NOW)
    assert result.total.measures.total == received


def test_staff_who_also_handle_a_department_see_both(world):
    world.dept2.handlers.add(world.street_admin)  # street a, and department 2's d6 d7 in b1
    result = measures(world.street_admin, by="street", start=START, end=END, now=NOW)
    assert result.total.measures.total == 9


def test_area_narrows_the_scope(world):
    result = measures(
        world.admin, by="community", start=START, end=END, area=world.street_a, now=NOW
    )
    assert result.total.measures.total == 7
    assert {r.key for r in result.rows} == {world.comm_a1.pk, world.comm_a2.pk}


def test_two_queries_whatever_the_size(world, django_assert_num_queries):
    measures(world.street_admin, by="street", start=START, end=END, now=NOW)  # roles cached
    for by in ("department", "handler", "grid", "category", "street"):
        # the department check and the scope's streets (index filters), the grouped
        # aggregate, the groups' names
        with django_assert_num_queries(4):
            measures(world.street_admin, by=by, start=START, end=END, now=NOW)


def test_cached_counts_are_kept_with_their_time(world):
    from django.core.cache import cache

    cache.clear()
    first = measures(world.admin, by="street", start=START, end=END, now=NOW, cache_seconds=60)
    _demand(world.comm_a1, world.env, T(7), department=world.dept1)
    later = NOW + timedelta(minutes=2)
    kept = measures(world.admin, by="street", start=START, end=END, now=later, cache_seconds=60)
    assert kept.total.measures == first.total.measures and kept.now == NOW  # "as of" NOW
    fresh = measures(world.admin, by="street", start=START, end=END, now=later)
    assert fresh.total.measures.total == first.total.measures.total + 1
    other = measures(world.street_admin, by="street", start=START, end=END, now=later,
                     cache_seconds=60)  # fmt: skip
    assert other.total.measures.total == 8  # another scope: another key
    cache.clear()


# --- the page and the export -----------------------------------------------------------

URL = "/demands/measures/"
Q = {"start": "2026-03-01", "end": "2026-03-31"}


@pytest.fixture(autouse=True)
def _frozen(monkeypatch):
    monkeypatch.setattr("tongxin.demands.views.measures._now", lambda: NOW)


def _client(client, user):
    client.force_login(user)
    return client


def test_page_shows_the_rates(world, client):
    c = _client(client, world.admin)
    with translation.override("en"):
        r = c.get(URL, {**Q, "by": "department"}, HTTP_ACCEPT_LANGUAGE="en")
    assert r.status_code == 200
    html = r.content.decode()
    assert "城管局" in html and "住建局" in html
    assert 'id="measures-total"' in html
    assert 'title="6 / 10"' in html  # the response rate's fraction
    assert "60.0%" in html and "25.0%" in html and "66.7%" in html and ">5.7<" in html


def test_page_query_budget(world, client, django_assert_max_num_queries):
    c = _client(client, world.street_admin)
    c.get(URL, Q)  # warm the session
    with django_assert_max_num_queries(10):
        r = c.get(URL, {**Q, "by": "grid"})
    assert r.status_code == 200


def test_page_defaults_to_this_month(world, client):
    r = _client(client, world.admin).get(URL)
    assert r.status_code == 200


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"start": "2026-03-31", "end": "2026-03-01"}, "end"),
        ({"start": "yesterday"}, "start"),
        ({"end": "2026-02-30"}, "end"),
        ({"by": "colour"}, "by"),
        ({"area": "abc"}, "area"),
        ({"start": "2020-01-01", "end": "2026-01-01"}, "end"),
    ],
)
def test_bad_input_is_400_naming_the_field(world, client, params, field):
    r = _client(client, world.admin).get(URL, params)
    assert r.status_code == 400
    assert f'id="id_{field}-errors"' in r.content.decode()


def test_area_outside_the_scope_is_404(world, client):
    c = _client(client, world.street_admin)
    assert c.get(URL, {**Q, "area": world.comm_b1.pk}).status_code == 404
    assert c.get(URL, {**Q, "area": world.comm_a1.pk}).status_code == 200
    assert c.get(URL + "export/", {**Q, "area": world.comm_b1.pk}).status_code == 404


def test_not_for_members_or_anonymous(world, client):
    assert client.get(URL).status_code == 302  # to the login page
    assert _client(client, world.secretary).get(URL).status_code == 403


def test_excel_export(world, client):
    from tongxin.core.models import AuditEntry

    c = _client(client, world.admin)
    with translation.override("en"):
        r = c.get(URL + "export/", {**Q, "by": "street"}, HTTP_ACCEPT_LANGUAGE="en")
    assert r.status_code == 200
    assert r["Content-Type"].startswith("application/vnd.openxmlformats")
    wb = load_workbook(BytesIO(r.content), read_only=True)
    rows = [list(row) for row in wb.worksheets[0].iter_rows(values_only=True)]
    header = next(row for row in rows if len(row) > 1 and row[1] == "Received")
    at = {name: i for i, name in enumerate(header)}
    body = {row[0]: row for row in rows[rows.index(header) + 1 :]}
    street_a = body["鼓东街道党工委"]
    assert street_a[at["Received"]] == 7
    total = body["Total"]
    assert total[at["Received"]] == 10 and total[at["To resolve"]] == 8
    assert total[at["Response rate"]] == pytest.approx(0.6)
    assert total[at["Responded in time"]] == 6 and total[at["Responded"]] == 7
    assert total[at["On-time rate"]] == pytest.approx(0.6667)
    assert total[at["Average handling time (working hours)"]] == pytest.approx(5.67)
    assert total[at["Overdue"]] == 2
    assert body["温泉街道党工委"][at["Satisfaction rate"]] is None  # nothing rated there
    entry = AuditEntry.objects.filter(action="export", object_type="demands.measures").get()
    assert entry.actor == world.admin
