"""Dues reads: ledger, arrears, roll-up summaries — numbers and query counts."""

from datetime import date
from decimal import Decimal

import pytest

from tests.factories import make_org
from tests.member_factories import make_member
from tongxin.members.models import DuesRecord
from tongxin.members.selectors import dues as selectors
from tongxin.members.services import dues as services

D = Decimal
TODAY = date(2026, 11, 15)
NOV, OCT, SEP = date(2026, 11, 1), date(2026, 10, 1), date(2026, 9, 1)


def paid(member, month, amount=None):
    record = DuesRecord.objects.get(member=member, month=month)
    DuesRecord.objects.filter(pk=record.pk).update(
        paid_on=TODAY, amount_paid=amount or record.amount_due, method="cash"
    )


@pytest.fixture
def tree(district):
    """A1 branch: 3 members (40, 15, 0.20); A2 gets a branch with 2 (75, 200); B1: 1 (30)."""
    d = district
    d.branch_a2 = make_org(d.admin, d.comm_a2, name="东街社区第一党支部", code="B-A2")
    d.a = [
        make_member(d.branch_a1, name="张三", dues_base="4000.00"),
        make_member(d.branch_a1, name="李四", dues_base="3000.00"),
        make_member(d.branch_a1, name="王五", dues_category="student", dues_base="0"),
    ]
    d.a2 = [
        make_member(d.branch_a2, name="赵六", dues_base="5000.01"),
        make_member(d.branch_a2, name="钱七", dues_base="10000.01"),
    ]
    d.b = [make_member(d.branch_b1, name="孙八", dues_base="3000.01")]
    for month in (SEP, OCT, NOV):
        services.generate_month(actor=d.admin, org=d.root, month=month)
    paid(d.a[0], NOV)
    paid(d.a[2], NOV, D("1.00"))
    paid(d.a2[0], NOV)
    for m in [*d.a, *d.a2, *d.b]:
        paid(m, SEP)
    paid(d.a[1], OCT)
    return d


def test_month_ledger_sorted_with_names_and_totals(tree, django_assert_num_queries):
    d = tree
    with django_assert_num_queries(2):  # role assignments, records with members
        records, next_cursor = selectors.month_ledger(d.secretary, d.branch_a1, NOV)
        names = [r.member.name for r in records]
    assert names == sorted(names) and len(records) == 3 and next_cursor is None
    totals = selectors.ledger_totals(records)
    assert totals == {
        "count": 3,
        "due": D("55.20"),
        "paid": D("41.00"),
        "count_paid": 2,
        "count_unpaid": 1,
    }
    # keyset pages cover the ledger once
    page, cursor = selectors.month_ledger(d.secretary, d.branch_a1, NOV, limit=2)
    rest, end = selectors.month_ledger(d.secretary, d.branch_a1, NOV, after=cursor, limit=2)
    assert [r.pk for r in page + rest] == [r.pk for r in records] and end is None
    # another scope sees nothing
    assert selectors.month_ledger(d.other_community, d.branch_a1, NOV)[0] == []


def test_summary_rolls_up_in_one_grouped_query(tree, django_assert_num_queries):
    d = tree
    d.admin._tongxin_assignments = None
    selectors.summary(d.admin, d.root, NOV)  # warm the role cache
    with django_assert_num_queries(2):  # the grouped records, the children
        root = selectors.summary(d.admin, d.root, NOV)
    by_name = {row.org.name: row for row in root["rows"]}
    a, b = by_name["鼓东街道党工委"], by_name["温泉街道党工委"]
    assert (a.due, a.paid, a.count_paid, a.count_unpaid) == (D("330.20"), D("116.00"), 3, 2)
    assert (b.due, b.paid, b.count_paid, b.count_unpaid) == (D("30.00"), D("0.00"), 0, 1)
    total = root["total"]
    assert (total.due, total.paid, total.count_paid, total.count_unpaid) == (
        D("360.20"),
        D("116.00"),
        3,
        3,
    )
    street = selectors.summary(d.street_admin, d.street_a, NOV)
    assert {r.org.name: r.due for r in street["rows"]} == {
        "三坊七巷社区党委": D("55.20"),
        "东街社区党委": D("275.00"),
    }
    community = selectors.summary(d.community_admin, d.comm_a1, NOV)
    assert [(r.org.name, r.count_paid, r.count_unpaid) for r in community["rows"]] == [
        ("三坊七巷社区第一党支部", 2, 1)
    ]
    branch = selectors.summary(d.secretary, d.branch_a1, NOV)
    assert branch["rows"] == [] and branch["own"].due == D("55.20")
    assert branch["total"].count == 3
    # a community admin of B1 sees nothing of A
    other = selectors.summary(d.other_community, d.comm_a1, NOV)
    assert other["total"].count == 0


def test_arrears_lists_unpaid_past_months(tree, django_assert_max_num_queries):
    d = tree
    with django_assert_max_num_queries(3):
        rows, cursor = selectors.arrears(d.admin, d.root, today=TODAY)
    found = {r.name: [f"{m:%Y-%m}" for m in r.months] for r in rows}
    # November is the current month: not yet in arrears; students' 0.20 counts
    assert found == {
        "张三": ["2026-10"],
        "王五": ["2026-10"],
        "赵六": ["2026-10"],
        "钱七": ["2026-10"],
        "孙八": ["2026-10"],
    }
    assert cursor is None
    assert {r.name for r in selectors.arrears(d.community_admin, d.comm_a1, today=TODAY)[0]} == {
        "张三",
        "王五",
    }
    first, cursor = selectors.arrears(d.admin, d.root, today=TODAY, limit=2)
    second, _ = selectors.arrears(d.admin, d.root, today=TODAY, limit=2, after=cursor)
    assert (
        len(first) == 2
        and len(second) == 2
        and not {r.name for r in first} & {r.name for r in second}
    )
    # in December, November's unpaid months join
    december = selectors.arrears(d.admin, d.root, today=date(2026, 12, 1))[0]
    assert {r.name: r.count for r in december}["钱七"] == 2


def test_exempt_months_are_not_arrears(tree):
    d = tree
    DuesRecord.objects.filter(member=d.a[0], month=OCT).update(amount_due=0)
    rows, _ = selectors.arrears(d.admin, d.root, today=TODAY)
    assert "张三" not in {r.name for r in rows}
