"""The dues calculation as a pure function (DOMAIN.md §5): tables at every boundary and
hypothesis properties."""

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tongxin.members.rules import dues as rules
from tongxin.members.rules.dues import (
    DEFAULT_POLICY,
    Policy,
    add_months,
    back_pay_error,
    dues_for,
    is_large_voluntary,
    money_error,
    month_start,
    months_between,
    policy_errors,
    round_money,
)

D = Decimal


@pytest.mark.parametrize(
    ("category", "base", "amount", "rate", "rule"),
    [
        # salaried, §5.2: whole base, upper bounds inclusive
        ("salaried", "0", "0.00", "0.005", "salaried_le_3000"),
        ("salaried", "2999.99", "15.00", "0.005", "salaried_le_3000"),
        ("salaried", "3000", "15.00", "0.005", "salaried_le_3000"),
        ("salaried", "3000.01", "30.00", "0.01", "salaried_3000_5000"),
        ("salaried", "5000", "50.00", "0.01", "salaried_3000_5000"),
        ("salaried", "5000.01", "75.00", "0.015", "salaried_5000_10000"),
        ("salaried", "10000", "150.00", "0.015", "salaried_5000_10000"),
        ("salaried", "10000.01", "200.00", "0.02", "salaried_gt_10000"),
        ("salaried", "25000", "500.00", "0.02", "salaried_gt_10000"),
        # annual salary and self-employed use the salaried tiers (§5.3)
        ("annual_salary", "3000.01", "30.00", "0.01", "annual_salary_3000_5000"),
        ("self_employed", "10000.01", "200.00", "0.02", "self_employed_gt_10000"),
        # retired, §5.4
        ("retired", "5000", "25.00", "0.005", "retired_le_5000"),
        ("retired", "5000.01", "50.00", "0.01", "retired_gt_5000"),
        ("retired", "4000", "20.00", "0.005", "retired_le_5000"),
        # flat categories, §5.5: the base is ignored
        ("farmer", "0", "0.50", "0", "farmer_flat"),
        ("farmer", "8000", "0.50", "0", "farmer_flat"),
        ("student", "0", "0.20", "0", "student_flat"),
        ("unemployed", "100", "0.20", "0", "unemployed_flat"),
        ("relief", "0", "0.20", "0", "relief_flat"),
    ],
)
def test_tier_table(category, base, amount, rate, rule):
    quote = dues_for(category, D(base))
    assert quote.amount == D(amount) and str(quote.amount) == amount
    assert quote.rate == D(rate)
    assert quote.rule == rule


@pytest.mark.parametrize(
    ("base", "amount"),
    [
        ("1001", "5.01"),  # 5.005 → 5.01: half-up at the fen
        ("1000.99", "5.00"),  # 5.00495 → 5.00
        ("3333.33", "33.33"),
        ("5333.33", "80.00"),  # 79.99995 → 80.00
        ("3100.50", "31.01"),  # 31.005 → 31.01 (banker's rounding would give 31.00)
    ],
)
def test_rounding_half_up_at_the_fen(base, amount):
    assert dues_for("salaried", D(base)).amount == D(amount)


def test_configured_rounding_unit():
    jiao = replace(DEFAULT_POLICY, rounding_unit=D("0.10"))
    assert dues_for("salaried", D("3100.50"), jiao).amount == D("31.00")  # 31.005 → 31.0
    assert dues_for("salaried", D("3110"), jiao).amount == D("31.10")
    assert dues_for("salaried", D("3150"), jiao).amount == D("31.50")
    assert dues_for("salaried", D("3155"), jiao).amount == D("31.60")  # 31.55 → 31.6 half-up
    yuan = replace(DEFAULT_POLICY, rounding_unit=D("1"))
    assert str(dues_for("salaried", D("3150"), yuan).amount) == "32.00"  # 31.5 → 32
    # flat amounts are configured exactly and never rounded away
    assert dues_for("student", D("0"), yuan).amount == D("0.20")
    assert round_money(D("0.005")) == D("0.01") and round_money(D("0.0049")) == D("0.00")


@pytest.mark.parametrize("farmer", ["0.20", "0.35", "1.00"])
def test_configured_farmer_amount(farmer):
    policy = replace(DEFAULT_POLICY, farmer_amount=D(farmer))
    assert policy_errors(policy) == []
    assert dues_for("farmer", D("0"), policy).amount == D(farmer)


@pytest.mark.parametrize("farmer", ["0.19", "1.01", "0"])
def test_farmer_amount_outside_the_range_is_refused(farmer):
    assert policy_errors(replace(DEFAULT_POLICY, farmer_amount=D(farmer)))


def test_configured_tiers_change_the_table():
    policy = replace(
        DEFAULT_POLICY,
        salaried_tiers=((D("3500.00"), D("0.005")), (None, D("0.01"))),
    )
    assert policy_errors(policy) == []
    assert dues_for("salaried", D("3500"), policy).rule == "salaried_le_3500"
    assert dues_for("salaried", D("3500.01"), policy).rule == "salaried_gt_3500"


@pytest.mark.parametrize(
    "tiers",
    [
        ((D("5000"), D("0.01")), (D("3000"), D("0.015")), (None, D("0.02"))),  # bounds decrease
        ((D("3000"), D("0.01")), (D("5000"), D("0.015"))),  # no open last tier
        ((D("3000"), D("0.02")), (None, D("0.01"))),  # rates decrease
        ((D("3000"), D("0.00005")), (None, D("0.01"))),  # more than four decimals
        ((None, D("0.5")),),  # 50 %
    ],
)
def test_bad_policies_are_refused(tiers):
    assert policy_errors(replace(DEFAULT_POLICY, salaried_tiers=tiers))


def test_bad_policy_units():
    assert policy_errors(replace(DEFAULT_POLICY, rounding_unit=D("0")))
    assert policy_errors(replace(DEFAULT_POLICY, rounding_unit=D("0.001")))
    assert policy_errors(replace(DEFAULT_POLICY, back_pay_months=-1))
    assert policy_errors(replace(DEFAULT_POLICY, large_voluntary_amount=D("0")))
    assert policy_errors(DEFAULT_POLICY) == []


@pytest.mark.parametrize("base", ["-0.01", "-100", "3000.001", "0.125", "NaN", "Infinity", "1E+30"])
def test_bad_bases_are_refused(base):
    assert money_error(D(base)) is not None
    with pytest.raises(ValueError):
        dues_for("salaried", D(base))


def test_unknown_category_and_non_numbers_are_refused():
    with pytest.raises(ValueError):
        dues_for("pensioner", D("100"))
    with pytest.raises(ValueError):
        dues_for("salaried", "three thousand")
    assert money_error(None) is not None
    # a float is read through its text, never its binary value
    assert dues_for("salaried", 3000.01).amount == D("30.00")


def test_pay_change_mid_year_is_a_base_per_month():
    """§5.9: the month the new pay is first received uses the new base. The service picks
    the base per month (tested in test_dues_services); the rule gives each month its tier."""
    assert dues_for("salaried", D("4800")).amount == D("48.00")
    assert dues_for("salaried", D("5200")).amount == D("78.00")


def test_back_pay_boundary():
    today = date(2026, 11, 15)
    assert back_pay_error(date(2026, 5, 1), today) is None  # six months back: allowed
    assert back_pay_error(date(2026, 4, 1), today) is not None  # seven: refused
    assert "6" in str(back_pay_error(date(2026, 4, 1), today))
    assert back_pay_error(date(2027, 1, 1), today) is None  # paying ahead
    longer = replace(DEFAULT_POLICY, back_pay_months=12)
    assert back_pay_error(date(2025, 11, 1), today, longer) is None
    assert back_pay_error(date(2025, 10, 1), today, longer) is not None


def test_large_voluntary_boundary():
    assert not is_large_voluntary(D("999.99"))
    assert is_large_voluntary(D("1000.00"))


def test_month_arithmetic_across_years():
    assert add_months(date(2026, 12, 1), 1) == date(2027, 1, 1)
    assert add_months(date(2026, 1, 1), -1) == date(2025, 12, 1)
    assert add_months(date(2026, 3, 31), -13) == date(2025, 2, 1)
    assert month_start(date(2026, 3, 31)) == date(2026, 3, 1)
    assert months_between(date(2025, 12, 1), date(2026, 1, 31)) == 1


# --- properties ------------------------------------------------------------------------------

money = st.decimals(
    min_value=D("0"), max_value=D("1000000"), places=2, allow_nan=False, allow_infinity=False
)
units = st.sampled_from([D("0.01"), D("0.05"), D("0.10"), D("0.50"), D("1.00")])


@given(category=st.sampled_from(rules.CATEGORIES), a=money, b=money, unit=units)
def test_monotone_in_base_within_a_category(category, a, b, unit):
    policy = replace(DEFAULT_POLICY, rounding_unit=unit)
    low, high = sorted((a, b))
    assert dues_for(category, low, policy).amount <= dues_for(category, high, policy).amount


@given(category=st.sampled_from(rules.CATEGORIES), base=money, unit=units)
def test_never_negative_and_always_two_decimals(category, base, unit):
    amount = dues_for(category, base, replace(DEFAULT_POLICY, rounding_unit=unit)).amount
    assert amount >= 0
    assert amount.as_tuple().exponent == -2
    assert amount == amount.quantize(D("0.01"))


@given(base=money)
def test_rate_applies_to_the_whole_base(base):
    quote = dues_for("salaried", base)
    assert abs(quote.amount - base * quote.rate) <= D("0.005")


@given(
    value=st.decimals(
        min_value=D("-1e9"), max_value=D("1e9"), places=3, allow_nan=False, allow_infinity=False
    ).filter(lambda v: v != v.quantize(D("0.01")))
)
def test_three_decimals_always_refused(value):
    assert money_error(value) is not None


def test_policy_is_a_value():
    assert Policy() == DEFAULT_POLICY
