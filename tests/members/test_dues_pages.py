"""Dues pages: ledger, summary, payment form (htmx), arrears, reductions, voluntary
payments, the policy, the Excel ledger — with query budgets."""

import io
from datetime import date
from decimal import Decimal

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from tests.factories import make_org
from tests.member_factories import make_member
from tongxin.core.models import AuditEntry
from tongxin.members.models import DuesPolicy, DuesRecord, DuesReduction, VoluntaryPayment
from tongxin.members.rules.dues import add_months, month_start
from tongxin.members.services import dues as services

D = Decimal


@pytest.fixture(autouse=True)
def _no_2fa(settings):
    settings.TONGXIN = {**settings.TONGXIN, "REQUIRE_ADMIN_2FA": False}


@pytest.fixture
def month():
    return month_start(timezone.localdate())


@pytest.fixture
def ledger(district, month):
    d = district
    d.members = [
        make_member(d.branch_a1, name=f"成员{i:02d}", dues_base="4000.00") for i in range(30)
    ]
    d.members.append(make_member(d.branch_a1, name="农民甲", dues_category="farmer"))
    d.a2_branch = make_org(d.admin, d.comm_a2, name="东街第一党支部", code="B-A2")
    for i in range(10):
        make_member(d.a2_branch, dues_base="6000.00")
    make_member(d.branch_b1, name="温泉党员")
    services.generate_month(actor=d.admin, org=d.root, month=month)
    return d


@pytest.mark.parametrize(
    ("who", "url", "budget"),
    [
        ("secretary", "/dues/", 12),
        ("community_admin", "/dues/?org={branch_a1}", 12),
        ("community_admin", "/dues/", 12),
        ("street_admin", "/dues/", 12),
        ("admin", "/dues/", 12),
        ("admin", "/dues/arrears/", 10),
        ("street_admin", "/dues/arrears/?org={comm_a1}", 10),
        ("community_admin", "/dues/reductions/?org={branch_a1}", 12),
        ("community_admin", "/dues/voluntary/?org={branch_a1}", 12),
        ("admin", "/dues/policy/", 10),
    ],
)
def test_pages_have_query_budgets(client, ledger, who, url, budget, django_assert_max_num_queries):
    d = ledger
    client.force_login(getattr(d, who))
    url = url.format(branch_a1=d.branch_a1.pk, comm_a1=d.comm_a1.pk)
    with django_assert_max_num_queries(budget):
        response = client.get(url)
    assert response.status_code == 200


def test_branch_ledger_and_summary_figures(client, ledger, month):
    d = ledger
    client.force_login(d.secretary)
    body = client.get("/dues/").content.decode()
    assert "成员00" in body and "农民甲" in body and "1200.50" in body  # 30 × 40 + 0.50
    assert "温泉党员" not in body
    client.force_login(d.street_admin)
    body = client.get(f"/dues/?month={month:%Y-%m}").content.decode()
    assert "三坊七巷社区党委" in body and "东街社区党委" in body
    assert "2100.50" in body  # 1200.50 + 10 × 90 (6000 at 1.5 %)
    assert "温泉" not in body


def test_generate_button(client, district, month):
    d = district
    make_member(d.branch_a1)
    client.force_login(d.secretary)
    next_month = add_months(month, 1)
    response = client.post("/dues/", {"org": d.branch_a1.pk, "month": f"{next_month:%Y-%m}"})
    assert response.status_code == 302
    assert DuesRecord.objects.filter(month=next_month).count() == 1
    # above one's scope: 404
    response = client.post("/dues/", {"org": d.comm_a1.pk, "month": f"{month:%Y-%m}"})
    assert response.status_code == 404


def test_pay_with_htmx(client, ledger):
    d = ledger
    record = DuesRecord.objects.get(member=d.members[0])
    client.force_login(d.secretary)
    url = f"/dues/records/{record.pk}/pay/"
    form = client.get(url, headers={"HX-Request": "true"})
    assert form.status_code == 200 and "<html" not in form.content.decode()
    today = f"{timezone.localdate():%Y-%m-%d}"
    bad = client.post(
        url,
        {"amount": "39.99", "paid_on": today, "method": "cash"},
        headers={"HX-Request": "true"},
    )
    assert bad.status_code == 400 and "40.00" in bad.content.decode()
    ok = client.post(
        url,
        {"amount": "40.00", "paid_on": today, "method": "cash", "proxy_name": ""},
        headers={"HX-Request": "true"},
    )
    assert ok.status_code == 200
    assert (
        f'id="record-{record.pk}"' in ok.content.decode() and "hx-swap-oob" in ok.content.decode()
    )
    record.refresh_from_db()
    assert record.amount_paid == D("40.00")
    twice = client.post(url, {"amount": "40.00", "paid_on": today, "method": "cash"})
    assert twice.status_code == 400
    assert f"{record.month:%Y-%m}" in twice.content.decode()
    record.refresh_from_db()
    assert record.amount_paid == D("40.00")


def test_arrears_page(client, ledger, month):
    d = ledger
    previous = add_months(month, -1)
    services.generate_month(actor=d.admin, org=d.branch_a1, month=previous)
    client.force_login(d.community_admin)
    body = client.get("/dues/arrears/").content.decode()
    assert "成员00" in body and f"{previous:%Y-%m}" in body
    assert "温泉党员" not in body


def test_reductions_pages(client, ledger, month):
    d = ledger
    client.force_login(d.secretary)
    m = f"{month:%Y-%m}"
    response = client.post(
        "/dues/reductions/",
        {
            "org": d.branch_a1.pk,
            "member": d.members[1].pk,
            "kind": "exempt",
            "amount": "",
            "reason": "重病住院",
            "start_month": m,
            "end_month": m,
        },
    )
    assert response.status_code == 302
    reduction = DuesReduction.objects.get()
    # the secretary cannot decide: no buttons, and a forged POST is refused
    body = client.get(f"/dues/reductions/?org={d.branch_a1.pk}").content.decode()
    assert f"/dues/reductions/{reduction.pk}/decide/" not in body
    response = client.post(f"/dues/reductions/{reduction.pk}/decide/", {"decision": "approve"})
    assert response.status_code == 403
    client.force_login(d.community_admin)
    body = client.get("/dues/reductions/").content.decode()
    assert f"/dues/reductions/{reduction.pk}/decide/" in body
    response = client.post(f"/dues/reductions/{reduction.pk}/decide/", {"decision": "approve"})
    assert response.status_code == 302
    assert DuesRecord.objects.get(member=d.members[1], month=month).amount_due == D("0.00")
    # a bad proposal names the field
    bad = client.post(
        "/dues/reductions/",
        {"org": d.branch_a1.pk, "member": d.members[2].pk, "kind": "reduce", "amount": "-1",
         "reason": "x", "start_month": m, "end_month": m},
    )  # fmt: skip
    assert bad.status_code == 400 and DuesReduction.objects.count() == 1


def test_voluntary_page_flags_large_payments(client, ledger):
    d = ledger
    client.force_login(d.secretary)
    today = f"{timezone.localdate():%Y-%m-%d}"
    for amount in ("999.99", "1000.00"):
        response = client.post(
            "/dues/voluntary/",
            {"org": d.branch_a1.pk, "member": d.members[0].pk, "amount": amount, "paid_on": today},
        )
        assert response.status_code == 302
    assert list(
        VoluntaryPayment.objects.order_by("amount").values_list("to_centre", flat=True)
    ) == [
        False,
        True,
    ]
    body = client.get(f"/dues/voluntary/?org={d.branch_a1.pk}&flagged=1").content.decode()
    assert "1000.00" in body and "999.99" not in body


def test_policy_page_district_admin_only(client, district):
    d = district
    client.force_login(d.street_admin)
    assert client.get("/dues/policy/").status_code == 403
    client.force_login(d.admin)
    data = {
        "effective_from": "2027-01",
        "salaried_tiers": "3000 0.005\n5000 0.01\n10000 0.015\n- 0.02",
        "retired_tiers": "5000 0.005\n- 0.01",
        "farmer_amount": "0.60",
        "flat_amount": "0.20",
        "rounding_unit": "0.01",
        "back_pay_months": "6",
        "large_voluntary_amount": "1000.00",
        "after_tax_deductions": "个人所得税，养老保险",
    }
    assert client.post("/dues/policy/", data).status_code == 302
    row = DuesPolicy.objects.get()
    assert row.effective_from == date(2027, 1, 1) and row.farmer_amount == D("0.60")
    assert row.after_tax_deductions == ["个人所得税", "养老保险"]
    assert row.salaried_tiers[-1] == [None, "0.02"]
    bad = client.post(
        "/dues/policy/", {**data, "farmer_amount": "1.20", "effective_from": "2027-02"}
    )
    assert bad.status_code == 400 and DuesPolicy.objects.count() == 1
    bad = client.post("/dues/policy/", {**data, "salaried_tiers": "3000\n- 0.02"})
    assert bad.status_code == 400
    assert "2027-01" in client.get("/dues/policy/").content.decode()


def test_excel_ledger_opens_and_has_totals(client, ledger, month):
    d = ledger
    first = DuesRecord.objects.get(member=d.members[0])
    services.record_payment(
        actor=d.secretary,
        record=first,
        amount="40.00",
        paid_on=timezone.localdate(),
        method="wechat",
    )
    client.force_login(d.secretary)
    response = client.get(f"/dues/export/?org={d.branch_a1.pk}&month={month:%Y-%m}")
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    rows = list(book.active.iter_rows(values_only=True))
    assert rows[0][0] == "党费收缴登记表"
    assert d.branch_a1.name in rows[1][0] and f"{month.year}年{month.month}月" in rows[1][5]
    assert list(rows[2]) == [
        "序号", "姓名", "党员类别", "交纳基数", "比例", "应交金额", "实交金额",
        "交纳日期", "交纳方式", "代交人", "备注",
    ]  # fmt: skip
    members = rows[3:34]
    assert [r[0] for r in members] == list(range(1, 32))
    paid = next(r for r in members if r[6] is not None)
    assert paid[8] == "微信" and D(str(paid[6])) == D("40.00")
    totals = rows[34]
    assert totals[0] == "合计" and totals[1] == "31人"
    assert D(str(totals[5])).quantize(D("0.01")) == D("1200.50")
    assert D(str(totals[6])).quantize(D("0.01")) == D("40.00")
    assert "已交1人" in totals[10]
    assert AuditEntry.objects.filter(action="export", object_type="members.duesrecord").count() == 1
    # only a branch's ledger, and only in scope
    assert client.get(f"/dues/export/?org={d.comm_a1.pk}&month={month:%Y-%m}").status_code == 404
    client.force_login(d.community_admin)
    assert client.get(f"/dues/export/?org={d.comm_a1.pk}").status_code == 403
    client.force_login(d.other_community)
    assert client.get(f"/dues/export/?org={d.branch_a1.pk}").status_code == 404


def test_nav_shows_dues_to_keepers_only(client, district):
    from tests.factories import make_user

    d = district
    client.force_login(d.secretary)
    assert 'href="/dues/"' in client.get("/").content.decode()
    member = make_user("just_member", role="party_member", org=d.branch_a1)
    client.force_login(member)
    assert 'href="/dues/"' not in client.get("/").content.decode()
    assert client.get("/dues/").status_code == 403
