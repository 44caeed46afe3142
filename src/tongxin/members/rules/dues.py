"""Dues (党费) as pure functions — DOMAIN.md §5, 《关于中国共产党党费收缴、使用和管理的规定》
(中组发〔2008〕3号).

`dues_for(category, base, policy)` → `Quote(amount, rate, rule)`. Rates apply to the whole
base (not marginally) and tier upper bounds are inclusive (§5.2, §5.4). Money is `Decimal`,
rounded half-up to the policy's rounding unit (§5.12). Never floats.
"""

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.utils.translation import gettext_lazy as _

CENT = Decimal("0.01")
MAX_MONEY = Decimal("9999999999.99")
RATE_STEP = Decimal(
    "0.0001"
)  # DuesRecord.rate keeps four decimal places  # DecimalField(max_digits=12, decimal_places=2)

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
    back_pay_months: int = 6  # §5.8: back payments generally ≤ 6 months
    large_voluntary_amount: Decimal = Decimal("1000.00")  # §5.8: goes wholly to the centre


DEFAULT_POLICY = Policy()


@dataclass(frozen=True)
class Quote:
    amount: Decimal  # always two decimal places
    rate: Decimal  # 0 for flat amounts
    rule: str  # the tier applied, e.g. "salaried_3000_5000"


def round_money(value: Decimal, unit: Decimal = CENT) -> Decimal:
    """Half-up to the rounding unit (a multiple of the unit), with two decimals (§5.12)."""
    steps = (value / unit).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return (steps * unit).quantize(CENT, rounding=ROUND_HALF_UP)


def money_error(value: Decimal) -> str | None:
    """None for a valid amount of money: not negative, at most two decimal places."""
    if not isinstance(value, Decimal):
        return _("must be a number")
    if not value.is_finite():
        return _("must be a number")
    if value < 0:
        return _("cannot be negative")
    if value > MAX_MONEY:
        return _("too large")
    try:
        if value != value.quantize(CENT):
            return _("at most two decimal places")
    except InvalidOperation:
        return _("at most two decimal places")
    return None


def to_money(value) -> Decimal | None:
    """A Decimal from a string, int or Decimal (floats go through `str`, never binary); None
    when the value is not a number at all. Validity is `money_error`'s job."""
    if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
        return None  # never a tuple or list: Decimal would read those as digit tuples
    if isinstance(value, float):
        value = str(value)
    try:
        return Decimal(value.strip() if isinstance(value, str) else value)
    except (InvalidOperation, TypeError, ValueError):
        return None


def policy_errors(policy: Policy) -> list[str]:
    """Problems of a policy before it is saved (empty when valid)."""
    errors = []
    if not FARMER_MIN <= policy.farmer_amount <= FARMER_MAX:
        errors.append(_("farmer amount must be between 0.20 and 1.00 yuan a month (§5.5)"))
    if money_error(policy.flat_amount) or policy.flat_amount <= 0:
        errors.append(_("the flat amount must be a positive amount of money (§5.5)"))
    unit = policy.rounding_unit
    if money_error(unit) or not Decimal("0") < unit <= Decimal("1"):
        errors.append(_("the rounding unit must be between 0.01 and 1.00 yuan (§5.12)"))
    if policy.back_pay_months < 0:
        errors.append(_("back payments cannot be limited to fewer than 0 months (§5.8)"))
    if money_error(policy.large_voluntary_amount) or policy.large_voluntary_amount <= 0:
        errors.append(_("the flagged voluntary amount must be a positive amount of money (§5.8)"))
    for tiers in (policy.salaried_tiers, policy.retired_tiers):
        uppers = [upper for upper, _rate in tiers]
        rates = [rate for _upper, rate in tiers]
        if not tiers or uppers[-1] is not None or None in uppers[:-1]:
            errors.append(_("the last tier, and only the last, is open-ended"))
        elif uppers[:-1] != sorted(uppers[:-1]) or len(set(uppers[:-1])) != len(uppers) - 1:
            errors.append(_("tier bounds must increase"))
        elif any(money_error(u) or u <= 0 for u in uppers[:-1]):
            errors.append(_("tier bounds must be positive amounts of money"))
        if any(not Decimal(0) <= r <= Decimal("0.1") or r != r.quantize(RATE_STEP) for r in rates):
            errors.append(_("rates must be between 0 and 0.1, with at most four decimals"))
        elif rates != sorted(rates):
            errors.append(_("rates must not decrease as the base grows (§5.2, §5.4)"))
    return errors


def _bound(value: Decimal) -> str:
    """3000 for Decimal("3000.00"): rule names do not depend on how a bound was stored."""
    return format(value.normalize(), "f")


def _tier_rule(category: str, tiers: tuple, base: Decimal) -> Quote:
    lower = None
    for upper, rate in tiers:
        if upper is None or base <= upper:  # upper bounds inclusive (§5.2)
            if lower is None:
                name = f"{category}_le_{_bound(upper)}" if upper is not None else f"{category}_all"
            elif upper is None:
                name = f"{category}_gt_{_bound(lower)}"
            else:
                name = f"{category}_{_bound(lower)}_{_bound(upper)}"
            return Quote(amount=base * rate, rate=rate, rule=name)
        lower = upper
    raise AssertionError("tiers end with an open tier")  # policy_errors guarantees it


def dues_for(category: str, base: Decimal, policy: Policy = DEFAULT_POLICY) -> Quote:
    """Monthly dues of one member. `base` is the monthly base of §5.1/5.3/5.4 (ignored for
    the flat categories). Raises ValueError for an unknown category or an invalid base."""
    if category not in CATEGORIES:
        raise ValueError(f"unknown dues category {category!r}")
    base = to_money(base)
    problem = money_error(base) if base is not None else "must be a number"
    if problem:
        raise ValueError(problem)
    # Flat amounts are configured in yuan and fen already: they are never rounded away
    # (a 1-yuan rounding unit must not turn a student's 0.20 into 0).
    if category == FARMER:
        return Quote(policy.farmer_amount.quantize(CENT), Decimal(0), "farmer_flat")
    if category in FLAT:
        return Quote(policy.flat_amount.quantize(CENT), Decimal(0), f"{category}_flat")
    if category == RETIRED:
        quote = _tier_rule(category, policy.retired_tiers, base)
    else:
        quote = _tier_rule(category, policy.salaried_tiers, base)
    return Quote(round_money(quote.amount, policy.rounding_unit), quote.rate, quote.rule)


def months_between(earlier, later) -> int:
    """Whole months from `earlier`'s month to `later`'s month (0 for the same month)."""
    return (later.year - earlier.year) * 12 + later.month - earlier.month


def back_pay_error(month, today, policy: Policy = DEFAULT_POLICY) -> str | None:
    """§5.8: back payments generally for at most `policy.back_pay_months` months. A month
    exactly that many months before the current one may still be paid; one more may not."""
    if months_between(month, today) > policy.back_pay_months:
        return _("back payments are limited to %(n)d months (§5.8)") % {"n": policy.back_pay_months}
    return None


def is_large_voluntary(amount: Decimal, policy: Policy = DEFAULT_POLICY) -> bool:
    """§5.8: a single voluntary payment of 1000 yuan or more goes wholly to the centre."""
    return amount >= policy.large_voluntary_amount


def month_start(d):
    return d.replace(day=1)


def add_months(month, n: int):
    """First day of the month n months after (or before, n < 0) `month`."""
    index = month.year * 12 + month.month - 1 + n
    return month.replace(year=index // 12, month=index % 12 + 1, day=1)


_MONTH_TEXT = re.compile(r"^\s*(\d{4})-(\d{2})\s*$")


def parse_month(text: str | None):
    """ "YYYY-MM" → the first day of that month; None when it is not a month (1900 or later)."""
    match = _MONTH_TEXT.match(text or "")
    if not match:
        return None
    year, month = int(match.group(1)), int(match.group(2))
    if year < 1900 or not 1 <= month <= 12:
        return None
    return date(year, month, 1)
