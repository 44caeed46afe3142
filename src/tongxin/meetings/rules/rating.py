"""Branch vitality: weighted indicators → a score out of 100 and a 1–5 star rating
(党支部活力提升工程; issue 5 §6).

The indicators (meeting compliance, attendance, dues on time, admission work, study hours …)
and their weights are **configurable**; each value is a measured share from 0 to 1 computed
by the services from recorded data. Decisions:

* **Weights must sum to exactly 100** (configuration error otherwise, raised — not silently
  normalised), so that a weight reads as "points out of 100" on the branch's breakdown and
  a mistyped weight is caught where it is configured (use :func:`weights_errors` to
  validate settings). Weights are non-negative; a weight of 0 shows an indicator without
  scoring it.
* **Missing data is not zero.** An indicator whose value is ``None`` could not be measured
  (e.g. the module that measures it is not in use yet). It is listed in the breakdown as
  missing, scores no points, and the remaining weights are scaled up to 100 (each measured
  indicator's ``effective_weight`` = weight × 100 / measured weight). Counting it as zero
  would punish a branch for what the platform does not measure; a branch that records
  nothing is measured as 0 by the services (no meetings recorded → compliance 0), which is
  not "missing". To keep a rating from resting on too little, no stars are given when the
  measured weight is below ``Thresholds.min_measured_weight`` (default 60 of 100):
  ``stars`` is None and ``rated`` is False.
* **Arithmetic** is exact (``Fraction``) up to the end: score = Σ effective_weight × value.
  The score and each indicator's points are rounded to 0.01 half-up for display; the stars
  are decided on the DISPLAYED (rounded) score, so a branch shown 90.00 has five stars.
  Rounded points may differ from the rounded score by 0.01 in their sum.
* **Stars** by thresholds, inclusive (以上): default 90 → 5, 80 → 4, 70 → 3, 60 → 2, below
  60 → 1. Thresholds are configurable and must decrease strictly from 5 to 2 stars.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

from django.utils.translation import gettext_lazy as _

from .common import RuleError

CENT = Decimal("0.01")
FULL_WEIGHT = 100
DEFAULT_STAR_THRESHOLDS: dict[int, int] = {5: 90, 4: 80, 3: 70, 2: 60}
DEFAULT_MIN_MEASURED_WEIGHT = 60

MSG = {
    "weights_sum": _("The indicator weights add up to %(total)s; they must add up to 100."),
    "weight_negative": _("The weight of %(code)s cannot be negative."),
    "duplicate": _("Indicator %(code)s is listed twice."),
    "value": _("The value of %(code)s must be between 0 and 1."),
    "thresholds": _(
        "Star thresholds must be given for 2 to 5 stars, between 0 and 100, and fall "
        "strictly from 5 stars to 2."
    ),
    "min_measured": _("The minimum measured weight must be between 0 and 100."),
    "empty": _("No indicators are configured."),
}


def _fraction(value: Any) -> Fraction:
    if isinstance(value, float):
        return Fraction(Decimal(str(value)))
    return Fraction(value)


def round_points(value: Fraction) -> Decimal:
    exact = Decimal(value.numerator) / Decimal(value.denominator)
    return exact.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Indicator:
    """One indicator: ``code`` (e.g. "meeting_compliance"), ``weight`` (points of 100),
    ``value`` from 0 to 1 or None when it could not be measured, and ``detail`` — the
    measured figures in words (e.g. "10 of 12 monthly meetings"), shown in the breakdown."""

    code: str
    weight: int | Decimal | Fraction
    value: int | Decimal | Fraction | float | None
    detail: str = ""


@dataclass(frozen=True)
class Thresholds:
    stars: Mapping[int, int | Decimal] = field(
        default_factory=lambda: dict(DEFAULT_STAR_THRESHOLDS)
    )
    min_measured_weight: int | Decimal = DEFAULT_MIN_MEASURED_WEIGHT

    def __post_init__(self) -> None:
        levels = dict(self.stars)
        ok = set(levels) == {2, 3, 4, 5} and all(0 <= levels[s] <= 100 for s in levels)
        ok = ok and levels[5] > levels[4] > levels[3] > levels[2]
        if not ok:
            raise RuleError("rating_thresholds", MSG["thresholds"])
        if not 0 <= self.min_measured_weight <= FULL_WEIGHT:
            raise RuleError("rating_min_measured", MSG["min_measured"])

    def stars_for(self, score: Decimal) -> int:
        for stars in (5, 4, 3, 2):
            if score >= self.stars[stars]:  # 以上: inclusive
                return stars
        return 1


DEFAULT_THRESHOLDS = Thresholds()


@dataclass(frozen=True)
class BreakdownLine:
    code: str
    weight: Fraction
    value: Fraction | None
    effective_weight: Fraction
    detail: str

    @property
    def missing(self) -> bool:
        return self.value is None

    @property
    def points_exact(self) -> Fraction:
        return Fraction(0) if self.value is None else self.effective_weight * self.value

    @property
    def points(self) -> Decimal:
        return round_points(self.points_exact)

    @property
    def value_percent(self) -> Decimal | None:
        return None if self.value is None else round_points(self.value * 100)

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "weight": str(round_points(self.weight)),
            "effective_weight": str(round_points(self.effective_weight)),
            "value": None if self.value is None else str(self.value_percent),
            "points": str(self.points),
            "missing": self.missing,
            "detail": self.detail,
        }


@dataclass(frozen=True)
class Rating:
    score: Decimal  # out of 100, rounded to 0.01 half-up
    stars: int | None  # 1..5, None when too little was measured
    breakdown: tuple[BreakdownLine, ...]
    measured_weight: Fraction
    score_exact: Fraction

    @property
    def rated(self) -> bool:
        return self.stars is not None

    @property
    def missing(self) -> tuple[str, ...]:
        return tuple(line.code for line in self.breakdown if line.missing)


def weights_errors(weights: Mapping[str, Any] | Iterable[Indicator]) -> list[str]:
    """Problems with configured weights (a mapping code → weight, or indicators), as text."""
    pairs = (
        list(weights.items())
        if isinstance(weights, Mapping)
        else [(i.code, i.weight) for i in weights]
    )
    errors = []
    if not pairs:
        return [str(MSG["empty"])]
    seen: set[str] = set()
    for code, weight in pairs:
        if code in seen:
            errors.append(str(MSG["duplicate"]) % {"code": code})
        seen.add(code)
        if _fraction(weight) < 0:
            errors.append(str(MSG["weight_negative"]) % {"code": code})
    total = sum((_fraction(w) for _code, w in pairs), Fraction(0))
    if total != FULL_WEIGHT:
        errors.append(
            str(MSG["weights_sum"]) % {"total": format(round_points(total).normalize(), "f")}
        )
    return errors


def rate(indicators: Iterable[Indicator], thresholds: Thresholds = DEFAULT_THRESHOLDS) -> Rating:
    """The score, stars and breakdown (see the module docstring for the rules)."""
    items = list(indicators)
    errors = weights_errors(items)
    if errors:
        raise RuleError("rating_weights", "%(errors)s", errors="; ".join(errors))
    values: list[Fraction | None] = []
    for i in items:
        v = None if i.value is None else _fraction(i.value)
        if v is not None and not 0 <= v <= 1:
            raise RuleError("rating_value", MSG["value"], code=i.code)
        values.append(v)
    measured = sum(
        (_fraction(i.weight) for i, v in zip(items, values, strict=True) if v is not None),
        Fraction(0),
    )
    scale = Fraction(FULL_WEIGHT) / measured if measured else Fraction(0)
    lines = tuple(
        BreakdownLine(
            i.code,
            _fraction(i.weight),
            v,
            _fraction(i.weight) * scale if v is not None else Fraction(0),
            i.detail,
        )
        for i, v in zip(items, values, strict=True)
    )
    exact = sum((line.points_exact for line in lines), Fraction(0))
    score = round_points(exact)
    enough = measured >= _fraction(thresholds.min_measured_weight)
    stars = thresholds.stars_for(score) if enough else None
    return Rating(score, stars, lines, measured, exact)
