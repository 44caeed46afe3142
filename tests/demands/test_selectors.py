"""Demand lists and the demand page's reads: scope, filters, keyset pages, query counts."""

import itertools
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404

from tests.factories import make_user
from tongxin.demands import selectors
from tongxin.demands.models import (
    Category,
    Demand,
    DemandEvent,
    Department,
    Escalation,
    State,
    StateLabel,
    Summons,
)

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 26, 10, 0, tzinfo=SH)
_seq = itertools.count(1)


def category(name="环境卫生", parent=None, **fields):
    n = next(_seq)
    return Category.objects.create(
        code=fields.pop("code", f"K{n}"), name=name, parent=parent, **fields
    )


def department(org, *handlers, name="城管局"):
    n = next(_seq)
    dept = Department.objects.create(code=f"DP{n}", name=name, org=org)
    dept.handlers.set(handlers)
    return dept


def demand(community, cat, **fields):
    n = next(_seq)
    return Demand.objects.create(
        code=fields.pop("code", f"TX{n:06d}"),
        channel=fields.pop("channel", "portal"),
        category=cat,
        description=fields.pop("description", f"路灯不亮 {n}"),
        street=community.parent,
        community=community,
        **fields,
    )


@pytest.fixture
def world(district):
    d = district
    d.top = category("市容环境")
    d.sub = category("垃圾清运", parent=d.top)
    d.other = category("咨询")
    d.handler = make_user("handler1", role="dept_handler", org=d.root)
    d.dept = department(d.root, d.handler, make_user("handler2"))
    d.a1 = demand(d.comm_a1, d.sub, description="楼道垃圾堆积")
    d.a2 = demand(d.comm_a2, d.other, channel="hotline", state="accepted", overdue=True)
    d.b1 = demand(
        d.comm_b1, d.sub, state="dispatched", department=d.dept, supervised=True, code="TXB00001"
    )
    return d


def ids(items):
    return [d.id for d in items]


def test_scope_each_role_sees_its_own(world):
    d = world
    assert ids(selectors.demands_for(d.admin)[0]) == [d.b1.id, d.a2.id, d.a1.id]
    assert ids(selectors.demands_for(d.street_admin)[0]) == [d.a2.id, d.a1.id]
    assert ids(selectors.demands_for(d.community_admin)[0]) == [d.a1.id]
    # a department handler sees only what is dispatched to their department
    assert ids(selectors.demands_for(d.handler)[0]) == [d.b1.id]
    assert ids(selectors.demands_for(d.secretary)[0]) == []


def test_no_duplicates_when_department_has_many_handlers_and_summonses(world):
    d = world
    esc = Escalation.objects.create(
        demand=d.b1, from_org=d.comm_b1, to_org=d.street_b, by=d.admin, reason="x"
    )
    Summons.objects.create(escalation=esc, department=d.dept)
    esc2 = Escalation.objects.create(
        demand=d.b1, from_org=d.comm_b1, to_org=d.street_b, by=d.admin, reason="y"
    )
    Summons.objects.create(escalation=esc2, department=d.dept)
    # a community admin of b1 and a handler: both see b1 exactly once
    assert ids(selectors.demands_for(d.other_community)[0]) == [d.b1.id]
    assert ids(selectors.demands_for(d.handler)[0]) == [d.b1.id]
    assert selectors.get_demand(d.handler, d.b1.pk) == d.b1


def test_filters(world):
    d = world
    f = lambda **kw: ids(selectors.demands_for(d.admin, **kw)[0])  # noqa: E731
    assert f(state="accepted") == [d.a2.id]
    assert f(state="open") == [d.b1.id, d.a2.id, d.a1.id]
    assert f(state="closed") == []
    assert f(state="all") == [d.b1.id, d.a2.id, d.a1.id]
    assert f(channel="hotline") == [d.a2.id]
    # a top-level category includes its subcategories
    assert f(category=d.top.id) == [d.b1.id, d.a1.id]
    assert f(category=str(d.sub.id)) == [d.b1.id, d.a1.id]
    assert f(community=d.comm_a1) == [d.a1.id]
    assert f(street=d.street_a.id) == [d.a2.id, d.a1.id]
    assert f(org=d.street_b.id) == [d.b1.id]
    assert f(department=d.dept.id) == [d.b1.id]
    assert f(overdue="1") == [d.a2.id]
    assert f(overdue="0") == [d.b1.id, d.a1.id]
    assert f(supervised=True) == [d.b1.id]
    assert f(escalated="true") == []
    assert f(q="txb00001") == [d.b1.id]
    assert f(q="垃圾") == [d.a1.id]
    # filters narrow the scope, never widen it
    assert ids(selectors.demands_for(d.community_admin, street=d.street_b.id)[0]) == []


@pytest.mark.parametrize(
    "field,value",
    [
        ("state", "nonsense"),
        ("channel", "pigeon"),
        ("category", "abc"),
        ("overdue", "maybe"),
        ("department", "1; drop"),
        ("colour", "red"),
        ("q", "x" * 101),
    ],
)
def test_bad_filter_names_the_field(world, field, value):
    with pytest.raises(ValidationError) as e:
        selectors.demands_for(world.admin, **{field: value})
    assert field in e.value.message_dict


def test_keyset_pages_newest_first(world, django_assert_max_num_queries):
    d = world
    for _ in range(5):
        demand(d.comm_a1, d.sub, department=d.dept)
    seen = []
    after = None
    while True:
        with django_assert_max_num_queries(3):
            items, after = selectors.demands_for(d.admin, after=after, limit=3)
        seen += ids(items)
        for item in items:  # related objects loaded with the page
            str(item.category.parent), str(item.community), str(item.department)
        if not after:
            break
    assert seen == sorted(seen, reverse=True)
    assert len(seen) == len(set(seen)) == 8


def test_list_query_count_does_not_grow(world, django_assert_max_num_queries):
    d = world
    for _ in range(30):
        demand(d.comm_a1, d.sub, department=d.dept)
    with django_assert_max_num_queries(3):
        items, _ = selectors.demands_for(d.handler, limit=50)
        for item in items:
            item.category.name, item.community.name, item.street.name, item.department.name
    assert len(items) == 31


def test_get_demand_outside_scope_is_404(world):
    d = world
    assert selectors.get_demand(d.community_admin, d.a1.pk) == d.a1
    for user, pk in [
        (d.community_admin, d.b1.pk),
        (d.handler, d.a1.pk),
        (d.secretary, d.a1.pk),
        (d.admin, "abc"),
        (d.admin, 10**12),
    ]:
        with pytest.raises(Http404):
            selectors.get_demand(user, pk)


def test_get_demand_prefetches_and_timeline(world, django_assert_max_num_queries):
    d = world
    DemandEvent.objects.create(
        demand=d.a1, action="submit", to_state="pending", public=True, actor_label="居民"
    )
    DemandEvent.objects.create(
        demand=d.a1,
        action="accept",
        from_state="pending",
        to_state="accepted",
        actor=d.community_admin,
        note="内部备注",
    )
    with django_assert_max_num_queries(12):
        demand_ = selectors.get_demand(d.admin, d.a1.pk)
    with django_assert_max_num_queries(0):
        events = selectors.timeline(demand_)
        public = selectors.timeline(demand_, public_only=True)
        list(demand_.photos.all()), list(demand_.extensions.all()), list(demand_.escalations.all())
    assert [e.action for e in events] == ["submit", "accept"]
    assert events[1].who == "community_a1"
    assert [e.action for e in public] == ["submit"]
    assert public[0].who == "居民"


def test_clock(world):
    d = world
    d.a1.accept_due_at = NOW + timedelta(hours=1)
    assert selectors.current_due(d.a1) == NOW + timedelta(hours=1)
    assert selectors.annotate_clock(d.a1, now=NOW).late is False
    assert selectors.annotate_clock(d.a1, now=NOW + timedelta(hours=2)).late is True
    d.b1.due_at = NOW
    d.b1.accept_due_at = NOW - timedelta(days=3)
    assert selectors.current_due(d.b1) == NOW
    d.b1.state = "archived"
    assert selectors.current_due(d.b1) is None
    assert d.a2.overdue and selectors.annotate_clock(d.a2, now=NOW).late


def test_state_labels_and_categories(world):
    StateLabel.objects.update_or_create(state="pending", defaults={"label": "待签收"})
    StateLabel.objects.filter(state="accepted").delete()
    labels = selectors.state_labels()
    assert labels["pending"] == "待签收"
    assert labels["accepted"] == str(State.ACCEPTED.label)  # the default name
    groups = dict(selectors.category_choices())
    # a top level with children offers its children; a childless one offers itself
    assert groups["市容环境"] == [(world.sub.id, "垃圾清运")]
    assert groups["咨询"] == [(world.other.id, "咨询")]
    category(name="停用", parent=world.top, active=False)
    assert dict(selectors.category_choices())["市容环境"] == [(world.sub.id, "垃圾清运")]
