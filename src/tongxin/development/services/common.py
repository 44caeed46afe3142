"""What every admission service shares: the refusal, the lock, the rules' view of a file,
the timeline event and the small parsers of malformed input."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tongxin.development import rules
from tongxin.development.models import AdmissionSettings, Applicant, FileEvent


class StepRefused(ValidationError):
    """The rules refused a write. `violations` is a list of rules.Violation; the API answers
    422 {"violations": [v.as_dict() ...]}, pages show each message with its article."""

    def __init__(self, violations: list[rules.Violation]):
        self.violations = list(violations)
        super().__init__([v.text for v in self.violations])

    @property
    def rules(self) -> list[str]:
        return [v.rule for v in self.violations]


MSG_CLOSED = gettext_lazy("The file is closed (%(state)s): nothing more can be recorded on it.")


def today_or(today: date | None) -> date:
    return today or timezone.localdate()


def local_rules() -> rules.LocalRules:
    """The district's local extra rules (AdmissionSettings pk=1; all off when absent)."""
    row = AdmissionSettings.objects.filter(pk=1).first()
    if row is None:
        return rules.LocalRules()
    return rules.LocalRules(
        min_months_application_to_activist=row.min_months_application_to_activist
    )


def lock(applicant: Applicant) -> Applicant:
    """The file, locked for this transaction, with its branch."""
    return (
        Applicant.objects.select_for_update(of=("self",)).select_related("org").get(pk=applicant.pk)
    )


def file_of(applicant: Applicant) -> rules.File:
    """The file as the rules see it (uses prefetched steps/reviews when present)."""
    return rules.File(
        birth_date=applicant.birth_date,
        steps={s.step: rules.StepRecord(s.on, dict(s.data or {})) for s in applicant.steps.all()},
        activist_reviews=[r.on for r in applicant.reviews.all()],
        probation_extended_to=applicant.probation_extended_to,
    )


def require_open(applicant: Applicant) -> None:
    if applicant.state != Applicant.State.OPEN:
        raise StepRefused(
            [
                rules.Violation(
                    "file_closed",
                    rules.ART_ORDER,
                    MSG_CLOSED,
                    {"state": applicant.get_state_display()},
                )
            ]
        )


def event(applicant: Applicant, *, actor, kind: str, step=None, note="", payload=None):
    return FileEvent.objects.create(
        applicant=applicant,
        kind=kind,
        step=step,
        note=str(note)[:2000],
        payload=payload or {},
        actor=actor if getattr(actor, "is_authenticated", False) else None,
    )


# --- parsers of malformed input (ValidationError naming the field) -----------------------
def as_date(value: Any, field: str) -> date:
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ValidationError({field: [_("Enter a valid date (YYYY-MM-DD).")]})


def as_int(value: Any, field: str, *, minimum: int | None = 0, required: bool = True) -> int | None:
    if value is None or value == "":
        if required:
            raise ValidationError({field: [_("This field is required.")]})
        return None
    if isinstance(value, bool):
        raise ValidationError({field: [_("Enter a whole number.")]})
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ValidationError({field: [_("Enter a whole number.")]}) from None
    if isinstance(value, float) and number != value:
        raise ValidationError({field: [_("Enter a whole number.")]})
    if minimum is not None and number < minimum:
        raise ValidationError({field: [_("Ensure this value is at least %(n)s.") % {"n": minimum}]})
    return number


def as_text(value: Any, field: str, *, limit: int, required: bool = False) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ValidationError({field: [_("Enter text.")]})
    value = value.strip()
    if required and not value:
        raise ValidationError({field: [_("This field is required.")]})
    if len(value) > limit:
        raise ValidationError(
            {field: [_("Ensure this value has at most %(n)s characters.") % {"n": limit}]}
        )
    return value


def as_ids(value: Any, field: str) -> list[int]:
    """A list of member ids (ints or digit strings), without repeats."""
    if not isinstance(value, list | tuple):
        raise ValidationError({field: [_("Give a list of member ids.")]})
    ids: list[int] = []
    for item in value:
        number = as_int(item, field, minimum=1)
        if number in ids:
            raise ValidationError({field: [_("A member is named twice.")]})
        ids.append(number)
    return ids
