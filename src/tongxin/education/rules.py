"""Pure rules of study and education (no ORM, no I/O).

Yearly hours (学时) — 《2019—2023年全国党员教育培训工作规划》 (中共中央办公厅, 2019), part on
the study-hours system (学时制度): party members take part in concentrated training and
collective study for, as a rule, no less than 32 学时 a year; secretaries and committee members
of grass-roots party organisations no less than 56 学时 a year, with at least one concentrated
training. The figures are defaults, configurable (settings.TONGXIN "EDUCATION_MEMBER_HOURS",
"EDUCATION_SECRETARY_HOURS", "EDUCATION_SECRETARY_TRAININGS").

Hours are transparent: progress is hours ÷ required, capped at 1 — no points, no weights.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.utils.translation import gettext as _

ART_PLAN = "《2019—2023年全国党员教育培训工作规划》"

MIN_RECORD_HOURS = Decimal("0.5")  # half an hour: the smallest unit a record keeps
MAX_RECORD_HOURS = Decimal("24")  # a record is one day
HOURS_STEP = Decimal("0.5")
MAX_REQUIRED_HOURS = Decimal("1000")

MEMBER_YEARLY_HOURS = Decimal("32")
SECRETARY_YEARLY_HOURS = Decimal("56")
SECRETARY_YEARLY_TRAININGS = 1


@dataclass(frozen=True)
class TrainingPolicy:
    member_hours: Decimal = MEMBER_YEARLY_HOURS
    secretary_hours: Decimal = SECRETARY_YEARLY_HOURS
    secretary_trainings: int = SECRETARY_YEARLY_TRAININGS


def policy_from_settings() -> TrainingPolicy:
    conf = getattr(settings, "TONGXIN", {}) or {}
    return TrainingPolicy(
        member_hours=Decimal(str(conf.get("EDUCATION_MEMBER_HOURS", MEMBER_YEARLY_HOURS))),
        secretary_hours=Decimal(str(conf.get("EDUCATION_SECRETARY_HOURS", SECRETARY_YEARLY_HOURS))),
        secretary_trainings=int(
            conf.get("EDUCATION_SECRETARY_TRAININGS", SECRETARY_YEARLY_TRAININGS)
        ),
    )


def parse_hours(value) -> Decimal | None:
    """A number of hours from text/number (None: not a number)."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        hours = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None
    return hours if hours.is_finite() else None


def record_hours_errors(hours: Decimal | None) -> list[str]:
    """Hours of one study record: 0.5 to 24, in steps of half an hour."""
    if hours is None:
        return [_("Enter the hours as a number.")]
    if not MIN_RECORD_HOURS <= hours <= MAX_RECORD_HOURS:
        return [
            _("A study record has from %(min)s to %(max)s hours (one day).")
            % {"min": MIN_RECORD_HOURS, "max": MAX_RECORD_HOURS}
        ]
    if hours % HOURS_STEP:
        return [_("Hours are counted in half hours (e.g. 1.5).")]
    return []


def required_hours_errors(hours: Decimal | None) -> list[str]:
    if hours is None:
        return [_("Enter the hours as a number.")]
    if hours < 0 or hours > MAX_REQUIRED_HOURS:
        return [_("Required hours are from 0 to %(max)s.") % {"max": MAX_REQUIRED_HOURS}]
    if hours % HOURS_STEP:
        return [_("Hours are counted in half hours (e.g. 1.5).")]
    return []


def training_hours_errors(hours: Decimal | None) -> list[str]:
    """Hours of one training course: at least half an hour, at most 1000."""
    if hours is None:
        return [_("Enter the hours as a number.")]
    if not MIN_RECORD_HOURS <= hours <= MAX_REQUIRED_HOURS:
        return [
            _("A training has from %(min)s to %(max)s hours.")
            % {"min": MIN_RECORD_HOURS, "max": MAX_REQUIRED_HOURS}
        ]
    if hours % HOURS_STEP:
        return [_("Hours are counted in half hours (e.g. 1.5).")]
    return []


def past_date_errors(on: date | None, today: date) -> list[str]:
    """A record of something done: not in the future."""
    if on is None:
        return [_("Enter a date.")]
    if on > today:
        return [_("The date is in the future: record study after it took place.")]
    return []


def period_errors(starts_on: date | None, ends_on: date | None) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if starts_on is None:
        errors["starts_on"] = [_("Enter a date.")]
    if ends_on is None:
        errors["ends_on"] = [_("Enter a date.")]
    if starts_on and ends_on and ends_on < starts_on:
        errors["ends_on"] = [_("The end date is before the start date.")]
    return errors


def progress(hours: Decimal, required: Decimal) -> Decimal:
    """A member's progress in a campaign: min(hours / required, 1); nothing required → 1."""
    if required <= 0:
        return Decimal(1)
    return min(Decimal(hours) / Decimal(required), Decimal(1))


def percent(fraction: Decimal) -> int:
    """A fraction as a whole percent, rounded down (never shows 100 % before it is)."""
    return int(Decimal(fraction) * 100)


def secretary_training_due(*, hours: Decimal, trainings: int, policy: TrainingPolicy) -> list[str]:
    """Why a secretary is due for training this year (empty: not due). ART_PLAN."""
    reasons = []
    if hours < policy.secretary_hours:
        reasons.append(
            _("%(hours)s of %(required)s training hours this year")
            % {"hours": hours, "required": policy.secretary_hours}
        )
    if trainings < policy.secretary_trainings:
        reasons.append(
            _("%(n)s of %(required)s concentrated trainings this year")
            % {"n": trainings, "required": policy.secretary_trainings}
        )
    return reasons
