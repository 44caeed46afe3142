"""Terms of office and re-elections — DOMAIN.md §3.5, 选举工作条例 第三条.

Term lengths come from ``tongxin.orgs.rules`` (the single source: 党委 5 years; 总支 and
支部 3 years; 村 and 社区 organisations — sector "community" — 5 years); this module adds
the reminder and overdue arithmetic the meetings app needs, with the same conventions as
``orgs.rules.org_advisories``:

* the term ends on the same calendar date ``years`` later (29 February → 28 February);
* on the end date itself the term is NOT yet overdue; from the day after it is;
* the reminder is due from ``lead_days`` before the end date (inclusive) until the end date
  (lead time **configurable**, settings ``TONGXIN["TERM_REMINDER_DAYS"]``, default 90);
* an approved extension (第三条: 延长或者提前期限一般不超过1年) moves the deadline; an
  extension of more than one year past the end is a violation (不超过 includes the year).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.utils.translation import gettext_lazy as _

from tongxin.orgs import rules as org_rules

from . import common as c
from .common import RuleError, Violation, violation

DEFAULT_LEAD_DAYS = 90
MAX_EXTENSION_YEARS = 1  # 第三条

MSG = {
    "lead": _("The reminder lead time cannot be negative."),
    "extension_before": _("An extension must end after the term's end (%(end)s)."),
    "extension_long": _(
        "A term can be extended by at most one year: until %(latest)s at the latest."
    ),
}


def term_years(org_type: str, sector: str = "") -> int | None:
    return org_rules.term_years(org_type, sector)


def term_end(start: date, org_type: str, sector: str = "") -> date | None:
    """The end of a term started on ``start``; None for kinds without a term (party group)."""
    return org_rules.term_end(start, org_type, sector)


def extension_errors(ends_on: date, extended_to: date) -> list[Violation]:
    latest = org_rules.add_years(ends_on, MAX_EXTENSION_YEARS)
    if extended_to <= ends_on:
        return [
            violation(
                "term_extension",
                c.ART_TERM_EXTENSION,
                MSG["extension_before"],
                end=ends_on.isoformat(),
            )
        ]
    if extended_to > latest:
        return [
            violation(
                "term_extension",
                c.ART_TERM_EXTENSION,
                MSG["extension_long"],
                latest=latest.isoformat(),
            )
        ]
    return []


@dataclass(frozen=True)
class TermStatus:
    ends_on: date
    deadline: date  # the end, or the approved extension
    remind_from: date
    today: date

    @property
    def days_left(self) -> int:
        return (self.deadline - self.today).days

    @property
    def overdue(self) -> bool:
        return self.today > self.deadline

    @property
    def reminder_due(self) -> bool:
        return self.remind_from <= self.today <= self.deadline


def term_status(
    *,
    ends_on: date,
    today: date,
    lead_days: int = DEFAULT_LEAD_DAYS,
    extended_to: date | None = None,
) -> TermStatus:
    """Reminder and overdue for a term ending on ``ends_on`` (see the module docstring).
    An invalid extension raises; check it with :func:`extension_errors` when recorded."""
    if lead_days < 0:
        raise RuleError("term_lead_days", MSG["lead"])
    deadline = ends_on
    if extended_to is not None:
        errors = extension_errors(ends_on, extended_to)
        if errors:
            raise RuleError(errors[0].rule, errors[0].message, **errors[0].params)
        deadline = extended_to
    return TermStatus(ends_on, deadline, deadline - timedelta(days=lead_days), today)
