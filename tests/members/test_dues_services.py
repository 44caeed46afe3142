"""Dues services against the real database: generation, payments, reductions, voluntary
payments, the policy (DOMAIN.md §5)."""

import time
from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from tests.factories import make_user
from tests.member_factories import make_member
from tongxin.core.errors import PermissionDenied, ValidationError
from tongxin.core.models import AuditEntry
from tongxin.members.models import (
    DuesBase,
    DuesPolicy,
    DuesRecord,
    DuesReduction,
    FloatingRecord,
    VoluntaryPayment,
)
from tongxin.members.rules.dues import DEFAULT_POLICY
from tongxin.members.selectors.dues import current_policy
from tongxin.members.services import dues as services

D = Decimal
TODAY = date(2026, 11, 15)
NOV = date(2026, 11, 1)


@pytest.fixture
def branch(district):
    d = district
    d.alice = make_member(d.branch_a1, name="艾丽", dues_base="4000.00")  # 40.00
    d.bob = make_member(d.branch_a1, name="鲍勃", dues_category="retired", dues_base="6000.00")
    d.carl = make_member(d.branch_b1, name="卡尔", dues_base="12000.00")  # 240.00
    return d


def record_of(member, month=NOV):
    return DuesRecord.objects.get(member=member, month=month)


def pay(d, record, **extra):
    args = {
        "actor": d.secretary,
        "record": record,
        "amount": record.amount_due,
        "paid_on": TODAY,
        "method": "cash",
        "today": TODAY,
    }
    args.update(extra)
    return services.record_payment(**args)


# --- generation -----------------------------------------------------------------------------


def test_generate_is_idempotent_and_scoped(branch):
    d = branch
    assert services.generate_month(actor=d.secretary, org=d.branch_a1, month=NOV) == 2
    assert services.generate_month(actor=d.secretary, org=d.branch_a1, month=NOV) == 0
    assert DuesRecord.objects.filter(month=NOV).count() == 2
    alice = record_of(d.alice)
    assert (alice.amount_due, alice.rate, alice.rule) == (
        D("40.00"),
        D("0.01"),
        "salaried_3000_5000",
    )
    assert alice.org == d.branch_a1 and alice.paid_on is None
    assert record_of(d.bob).amount_due == D("60.00")  # retired > 5000: 1 %
    # the whole district, from the root: only what is missing
    assert services.generate_month(actor=d.admin, org=d.root, month=date(2026, 11, 20)) == 1
    assert record_of(d.carl).amount_due == D("240.00")
    entries = AuditEntry.objects.filter(action="dues_generate")
    assert entries.count() == 3
    assert entries.order_by("id").first().changes == {
        "month": [None, "2026-11"],
        "created": [None, 2],
    }


def test_generate_refuses_other_scope_and_members_not_in_good_standing(branch):
    d = branch
    with pytest.raises(PermissionDenied):
        services.generate_month(actor=d.secretary, org=d.branch_b1, month=NOV)
    with pytest.raises(PermissionDenied):
        services.generate_month(actor=d.secretary, org=d.comm_a1, month=NOV)  # above the branch
    make_member(d.branch_a1, status="suspended")
    make_member(d.branch_a1, status="deceased")
    assert services.generate_month(actor=d.secretary, org=d.branch_a1, month=NOV) == 2
    assert DuesRecord.objects.count() == 2


def test_probationary_member_pays_from_the_month_of_admission(branch):
    d = branch
    newbie = make_member(
        d.branch_a1, category="probationary", admitted_on=date(2026, 10, 31), dues_base="3000.00"
    )
    services.generate_month(actor=d.secretary, org=d.branch_a1, month=date(2026, 9, 1))
    assert not DuesRecord.objects.filter(member=newbie).exists()  # the month before: none
    services.generate_month(actor=d.secretary, org=d.branch_a1, month=date(2026, 10, 1))
    assert record_of(newbie, date(2026, 10, 1)).amount_due == D("15.00")  # month of admission
    services.generate_month(actor=d.secretary, org=d.branch_a1, month=NOV)
    assert record_of(newbie).amount_due == D("15.00")


def test_pay_change_mid_year_uses_the_base_from_the_month_first_received(branch):
    """§5.9: the month the new pay is first received uses the new base."""
    d = branch
    DuesBase.objects.create(
        member=d.alice, from_month=date(2026, 1, 1), category="salaried", base=D("4800")
    )
    DuesBase.objects.create(
        member=d.alice, from_month=date(2026, 7, 1), category="salaried", base=D("5200")
    )
    for month in (date(2026, 6, 1), date(2026, 7, 1), date(2026, 8, 1)):
        services.generate_month(actor=d.secretary, org=d.branch_a1, month=month)
    assert record_of(d.alice, date(2026, 6, 1)).amount_due == D("48.00")  # the month before: old
    july = record_of(d.alice, date(2026, 7, 1))
    assert (july.base, july.amount_due, july.rule) == (
        D("5200.00"),
        D("78.00"),
        "salaried_5000_10000",
    )
    assert record_of(d.alice, date(2026, 8, 1)).amount_due == D("78.00")
    assert services.base_for_month(d.alice, date(2026, 6, 30)) == ("salaried", D("4800.00"))
    assert services.base_for_month(d.alice, date(2025, 12, 1)) == ("salaried", D("4000.00"))


def test_exemption_applies_at_generation(branch):
    d = branch
    exempt = DuesReduction.objects.create(
        member=d.alice,
        kind="exempt",
        reason="重病",
        start_month=date(2026, 10, 1),
        end_month=NOV,
        state="approved",
    )
    DuesReduction.objects.create(  # proposed only: does not apply
        member=d.bob, kind="exempt", reason="x", start_month=NOV, end_month=NOV
    )
    services.generate_month(actor=d.secretary, org=d.branch_a1, month=NOV)
    alice = record_of(d.alice)
    assert alice.amount_due == D("0.00") and alice.reduction == exempt
    assert alice.rule == "salaried_3000_5000"  # the tier is still shown
    assert record_of(d.bob).amount_due == D("60.00") and record_of(d.bob).reduction is None
    services.generate_month(actor=d.secretary, org=d.branch_a1, month=date(2026, 12, 1))
    assert record_of(d.alice, date(2026, 12, 1)).amount_due == D("40.00")  # after the period


def test_generation_uses_the_policy_in_force(branch):
    d = branch
    DuesPolicy.objects.create(
        effective_from=date(2026, 11, 1),
        salaried_tiers=[["5000", "0.02"], [None, "0.03"]],
        retired_tiers=[[None, "0.01"]],
    )
    assert current_policy(date(2026, 10, 31)) == DEFAULT_POLICY
    services.generate_month(actor=d.secretary, org=d.branch_a1, month=date(2026, 10, 1))
    services.generate_month(actor=d.secretary, org=d.branch_a1, month=NOV)
    assert record_of(d.alice, date(2026, 10, 1)).amount_due == D("40.00")
    assert record_of(d.alice).amount_due == D("80.00")
    assert record_of(d.alice).rule == "salaried_le_5000"


def test_generate_many_members_in_few_queries(district, django_assert_max_num_queries):
    d = district
    members = [make_member(d.branch_a1) for _ in range(60)]
    DuesBase.objects.create(member=members[0], from_month=NOV, category="student", base=0)
    with django_assert_max_num_queries(12):
        start = time.perf_counter()
        assert services.generate_month(actor=d.admin, org=d.root, month=NOV) == 60
        elapsed = time.perf_counter() - start
    assert record_of(members[0]).amount_due == D("0.20")
    assert elapsed < 5


# --- payments ------------------------------------------------------------------------------


@pytest.fixture
def november(branch):
    services.generate_month(actor=branch.admin, org=branch.root, month=NOV)
    return branch


def test_payment_recorded_and_audited(november):
    d = november
    record = pay(d, record_of(d.alice), amount="45.00", method="wechat")
    assert (record.amount_paid, record.paid_on, record.method) == (D("45.00"), TODAY, "wechat")
    assert record.recorded_by == d.secretary and not record.paid_by_proxy
    entry = AuditEntry.objects.get(action="dues_payment")
    assert entry.changes["amount_paid"] == [None, "45.00"]


def test_paying_a_month_twice_is_refused_with_nothing_written(november):
    d = november
    pay(d, record_of(d.alice))
    audits = AuditEntry.objects.count()
    with pytest.raises(ValidationError) as exc:
        pay(d, record_of(d.alice), amount="99.00", method="bank")
    assert "2026-11" in exc.value.message_dict["month"][0]  # the rule names the month
    again = record_of(d.alice)
    assert (again.amount_paid, again.method) == (D("40.00"), "cash")
    assert AuditEntry.objects.count() == audits


@pytest.mark.parametrize(
    ("amount", "field"),
    [("-1.00", "amount"), ("40.001", "amount"), ("39.99", "amount"), ("abc", "amount")],
)
def test_bad_amounts_are_refused(november, amount, field):
    d = november
    with pytest.raises(ValidationError) as exc:
        pay(d, record_of(d.alice), amount=amount)
    assert field in exc.value.message_dict
    assert record_of(d.alice).paid_on is None


def test_below_the_amount_due_names_the_rule(november):
    d = november
    with pytest.raises(ValidationError) as exc:
        pay(d, record_of(d.alice), amount="39.99")
    assert "40.00" in exc.value.message_dict["amount"][0]


def test_paid_on_in_the_future_is_refused(november):
    d = november
    with pytest.raises(ValidationError) as exc:
        pay(d, record_of(d.alice), paid_on=date(2026, 11, 16))
    assert "paid_on" in exc.value.message_dict
    pay(d, record_of(d.alice), paid_on=TODAY)  # today itself is fine


def test_back_payments_six_months_allowed_seven_refused(branch):
    d = branch
    may, april = date(2026, 5, 1), date(2026, 4, 1)
    for month in (april, may):
        services.generate_month(actor=d.secretary, org=d.branch_a1, month=month)
    pay(d, record_of(d.alice, may))  # 6 months before November
    with pytest.raises(ValidationError) as exc:
        pay(d, record_of(d.alice, april))  # 7 months
    assert "§5.8" in exc.value.message_dict["month"][0]
    assert record_of(d.alice, april).paid_on is None
    # a policy allowing 12 months lets it through
    DuesPolicy.objects.create(
        effective_from=date(2026, 1, 1),
        salaried_tiers=[["3000", "0.005"], ["5000", "0.01"], ["10000", "0.015"], [None, "0.02"]],
        retired_tiers=[["5000", "0.005"], [None, "0.01"]],
        back_pay_months=12,
    )
    pay(d, record_of(d.alice, april))


def test_proxy_needs_consent_and_organisations_may_not_pay(november):
    d = november
    with pytest.raises(ValidationError) as exc:
        pay(d, record_of(d.alice), proxy_name="艾丽的丈夫")
    assert "§5.8" in exc.value.message_dict["proxy_consent"][0]
    with pytest.raises(ValidationError) as exc:
        pay(d, record_of(d.alice), proxy_name=d.branch_a1.name, proxy_consent=True)
    assert "§5.10" in exc.value.message_dict["proxy_name"][0]
    record = pay(d, record_of(d.alice), proxy_name="艾丽的丈夫", proxy_consent=True)
    assert record.paid_by_proxy and record.proxy_consent and record.proxy_name == "艾丽的丈夫"


def test_payment_permissions(november):
    d = november
    with pytest.raises(PermissionDenied):
        pay(d, record_of(d.carl))  # another community's member
    with pytest.raises(PermissionDenied):
        pay(d, record_of(d.alice), actor=d.other_community)
    pay(d, record_of(d.alice), actor=d.community_admin)  # a keeper above the branch may


def test_floating_host_may_record_a_payment(november):
    """§4.5: a floating member may pay dues at the host organisation."""
    d = november
    host_secretary = make_user("secretary_b1", role="branch_secretary", org=d.branch_b1)
    with pytest.raises(PermissionDenied):
        pay(d, record_of(d.alice), actor=host_secretary)
    away = FloatingRecord.objects.create(
        member=d.alice, destination="温泉街道", host_org=d.branch_b1, left_on=date(2026, 9, 1)
    )
    record = pay(d, record_of(d.alice), actor=host_secretary)
    assert record.paid_on == TODAY and record.org == d.branch_a1  # still the home branch's ledger
    away.returned_on = date(2026, 11, 10)
    away.save()
    services.generate_month(actor=d.secretary, org=d.branch_a1, month=date(2026, 10, 1))
    with pytest.raises(PermissionDenied):  # back home: the host no longer records
        pay(d, record_of(d.alice, date(2026, 10, 1)), actor=host_secretary)


def test_several_months_at_once_all_or_nothing(november):
    d = november
    pay(d, record_of(d.alice))
    months = [date(2026, 12, 1), date(2027, 1, 1), NOV]
    with pytest.raises(ValidationError) as exc:  # November already paid: nothing written
        services.record_payments(
            actor=d.secretary,
            member=d.alice,
            months=months,
            paid_on=TODAY,
            method="cash",
            today=TODAY,
        )
    assert "months" in exc.value.message_dict
    assert not DuesRecord.objects.filter(member=d.alice, month__gt=NOV).exists()
    records = services.record_payments(
        actor=d.secretary,
        member=d.alice,
        months=[*months[:2], date(2027, 2, 1)],
        paid_on=TODAY,
        method="bank",
        today=TODAY,
    )
    assert [r.month for r in records] == [date(2026, 12, 1), date(2027, 1, 1), date(2027, 2, 1)]
    assert all(r.amount_paid == D("40.00") and r.org == d.branch_a1 for r in records)


# --- reductions (§5.6) --------------------------------------------------------------------


def propose(d, **extra):
    args = {
        "actor": d.secretary,
        "member": d.alice,
        "kind": "reduce",
        "amount": "10.00",
        "reason": "长期病休，收入减少",
        "start_month": date(2026, 10, 1),
        "end_month": date(2026, 12, 1),
    }
    args.update(extra)
    return services.propose_reduction(**args)


def test_reduction_approved_by_the_community_not_the_branch(november):
    d = november
    services.generate_month(actor=d.secretary, org=d.branch_a1, month=date(2026, 10, 1))
    pay(d, record_of(d.alice, date(2026, 10, 1)))  # October already paid in full
    reduction = propose(d)
    assert reduction.state == "proposed" and reduction.approving_org == d.comm_a1
    with pytest.raises(PermissionDenied):
        services.decide_reduction(actor=d.secretary, reduction=reduction, approve=True)
    with pytest.raises(PermissionDenied):
        services.decide_reduction(actor=d.other_community, reduction=reduction, approve=True)
    assert record_of(d.alice).amount_due == D("40.00")
    services.decide_reduction(actor=d.community_admin, reduction=reduction, approve=True)
    reduction.refresh_from_db()
    assert reduction.state == "approved" and reduction.decided_by == d.community_admin
    assert record_of(d.alice).amount_due == D("10.00")
    assert record_of(d.alice).reduction == reduction
    assert record_of(d.alice, date(2026, 10, 1)).amount_due == D("40.00")  # paid: untouched
    assert record_of(d.bob).amount_due == D("60.00")
    with pytest.raises(ValidationError):  # decided once
        services.decide_reduction(actor=d.community_admin, reduction=reduction, approve=False)
    # December is generated with the reduction
    services.generate_month(actor=d.secretary, org=d.branch_a1, month=date(2026, 12, 1))
    assert record_of(d.alice, date(2026, 12, 1)).amount_due == D("10.00")
    assert AuditEntry.objects.filter(action__startswith="dues_reduction").count() == 2


def test_rejected_reduction_changes_nothing(november):
    d = november
    reduction = propose(d, kind="exempt", amount="")
    assert reduction.amount == D("0.00")
    services.decide_reduction(actor=d.street_admin, reduction=reduction, approve=False)
    assert record_of(d.alice).amount_due == D("40.00")


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"reason": " "}, "reason"),
        ({"end_month": date(2026, 9, 1)}, "end_month"),
        ({"amount": "-5"}, "amount"),
        ({"amount": "0"}, "amount"),
        ({"kind": "forgive"}, "kind"),
    ],
)
def test_bad_reductions_are_refused(november, extra, field):
    d = november
    with pytest.raises(ValidationError) as exc:
        propose(d, **extra)
    assert field in exc.value.message_dict
    assert not DuesReduction.objects.exists()


def test_reduction_proposed_only_in_scope(november):
    d = november
    with pytest.raises(PermissionDenied):
        propose(d, member=d.carl)


# --- voluntary (§5.8) ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "to_centre"), [("999.99", False), ("1000.00", True), ("5000", True)]
)
def test_voluntary_payment_flagged_from_1000(branch, amount, to_centre):
    d = branch
    payment = services.record_voluntary(
        actor=d.secretary, member=d.alice, amount=amount, paid_on=TODAY, note="", today=TODAY
    )
    assert payment.to_centre is to_centre and payment.org == d.branch_a1
    assert AuditEntry.objects.filter(action="dues_voluntary").count() == 1


@pytest.mark.parametrize("amount", ["0", "-1", "1.001"])
def test_bad_voluntary_amounts(branch, amount):
    d = branch
    with pytest.raises(ValidationError):
        services.record_voluntary(
            actor=d.secretary, member=d.alice, amount=amount, paid_on=TODAY, today=TODAY
        )
    assert not VoluntaryPayment.objects.exists()


# --- policy -----------------------------------------------------------------------------------


def test_policy_saved_by_district_admin_only(district):
    d = district
    farmer = replace(DEFAULT_POLICY, farmer_amount=D("0.80"))
    with pytest.raises(PermissionDenied):
        services.save_policy(actor=d.street_admin, effective_from=date(2027, 1, 1), policy=farmer)
    with pytest.raises(ValidationError):
        services.save_policy(
            actor=d.admin,
            effective_from=date(2027, 1, 1),
            policy=replace(DEFAULT_POLICY, farmer_amount=D("1.50")),
        )
    assert not DuesPolicy.objects.exists()
    services.save_policy(actor=d.admin, effective_from=date(2027, 1, 15), policy=farmer)
    services.save_policy(actor=d.admin, effective_from=date(2027, 3, 1), policy=DEFAULT_POLICY)
    assert DuesPolicy.objects.count() == 2
    assert current_policy(date(2026, 12, 1)) == DEFAULT_POLICY
    assert current_policy(date(2027, 2, 1)).farmer_amount == D("0.80")
    assert current_policy(date(2027, 3, 1)) == DEFAULT_POLICY
    # the same month again replaces that month's row
    services.save_policy(actor=d.admin, effective_from=date(2027, 1, 1), policy=DEFAULT_POLICY)
    assert DuesPolicy.objects.count() == 2
    assert current_policy(date(2027, 2, 1)) == DEFAULT_POLICY
    assert AuditEntry.objects.filter(object_type="members.duespolicy").count() == 3
