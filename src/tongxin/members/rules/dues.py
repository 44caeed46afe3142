"""Dues (党费) as pure functions — DOMAIN.md §5, 《关于中国共产党党费收缴、使用和管理的规定》
(中组发〔2008〕3号).

`dues_for(category, base, policy)` → `Quote(amount, rate, rule)`. Rates apply to the whole
base (not marginally) and tier upper bounds are inclusive (§5.2, §5.4). Money is `Decimal`,
rounded half-up to the policy's rounding unit (§5.12). Never floats.
"""

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")

# Categories of the API contract (issue 3) and which rule family each uses.
TIERED_LIKE_SALARIED = ("salaried", "annual_salary", "self_employed")  # §5.2–5.3
RETIRED = "retired"  # §5.4
FARMER = "farmer"  # §5.5
FLAT = ("student", "unemployed", "relief")  # §5.5
CATEGORIES = (*TIERED_LIKE_SALARIED, RETIRED, FARMER, *FLAT)

FARMER_MIN, FARMER_MAX = Decimal("0.20"), Decimal("1.00")


def _tiers(*pairs):
    return tuple(
        (None if upper is None else Decimal(upper), Decimal(rate)) for upper, rate in pairs
    )


@dataclass(frozen=True)
class Policy:
    """The configurable parts of §5; members.models.DuesPolicy stores one per effective month."""

    salaried_tiers: tuple = field(
        default=_tiers(("3000", "0.005"), ("5000", "0.01"), ("10000", "0.015"), (None, "0.02"))
    )
    retired_tiers: tuple = field(default=_tiers(("5000", "0.005"), (None, "0.01")))
    farmer_amount: Decimal = Decimal("0.50")
    flat_amount: Decimal = Decimal("0.20")
    rounding_unit: Decimal = CENT


DEFAULT_POLICY = Policy()


@dataclass(frozen=True)
class Quote:
    amount: Decimal  # always two decimal places
    rate: Decimal  # 0 for flat amounts
    rule: str  # the tier applied, e.g. "salaried_3000_5000"


def round_money(value: Decimal, unit: Decimal = CENT) -> Decimal:
    """Half-up to the rounding unit, shown with two decimals (§5.12)."""
    steps = (value / unit).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return (steps * unit).quantize(CENT, rounding=ROUND_HALF_UP)


def money_error(value: Decimal) -> str | None:
    """None for a valid amount of money: not negative, at most two decimal places."""
    if not value.is_finite():
        return "must be a number"
    if value < 0:
        return "cannot be negative"
    if value != value.quantize(CENT):
        return "at most two decimal places"
    return None


def policy_errors(policy: Policy) -> list[str]:
    errors = []
    if not FARMER_MIN <= policy.farmer_amount <= FARMER_MAX:
        errors.append("farmer amount must be between 0.20 and 1.00 yuan a month (§5.5)")
    for tiers in (policy.salaried_tiers, policy.retired_tiers):
        uppers = [u for u, _ in tiers]
        if not tiers or uppers[-1] is not None or None in uppers[:-1]:
            errors.append("the last tier, and only the last, is open-ended")
        elif uppers[:-1] != sorted(uppers[:-1]) or len(set(uppers[:-1])) != len(uppers) - 1:
            errors.append("tier bounds must increase")
    return errors


def _tier_rule(category: str, tiers: tuple, base: Decimal) -> Quote:
    lower = None
    for upper, rate in tiers:
        if upper is None or base <= upper:  # upper bounds inclusive (§5.2)
            if lower is None:
                name = f"{category}_le_{upper:f}" if upper is not None else f"{category}_all"
            elif upper is None:
                name = f"{category}_gt_{lower:f}"
            else:
                name = f"{category}_{lower:f}_{upper:f}"
            return Quote(amount=base * rate, rate=rate, rule=name)
        lower = upper
    raise AssertionError("tiers end with an open tier")  # policy_errors guarantees it


def dues_for(category: str, base: Decimal, policy: Policy = DEFAULT_POLICY) -> Quote:
    """Monthly dues of one member. `base` is the monthly base of §5.1/5.3/5.4 (ignored for
    the flat categories). Raises ValueError for an unknown category or an invalid base."""
    if category not in CATEGORIES:
        raise ValueError(f"unknown dues category {category!r}")
    base = Decimal(base)
    problem = money_error(base)
    if problem:
        raise ValueError(problem)
    if category == FARMER:
        quote = Quote(policy.farmer_amount, Decimal(0), "farmer_flat")
    elif category in FLAT:
        quote = Quote(policy.flat_amount, Decimal(0), f"{category}_flat")
    elif category == RETIRED:
        quote = _tier_rule(category, policy.retired_tiers, base)
    else:
        quote = _tier_rule(category, policy.salaried_tiers, base)
    return Quote(round_money(quote.amount, policy.rounding_unit), quote.rate, quote.rule)


def month_start(d):
    return d.replace(day=1)


def add_months(month, n: int):
    """First day of the month n months after (or before, n < 0) `month`."""
    index = month.year * 12 + month.month - 1 + n
    return month.replace(year=index // 12, month=index % 12 + 1, day=1)
