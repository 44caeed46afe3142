"""Rules of the member record — DOMAIN.md §4 and 《中国共产党章程》.

Pure functions over plain values; the registry service and the Excel import both call them,
so a row is refused for the same reasons whichever way it arrives.
"""

from datetime import date

from django.utils.translation import gettext_lazy as _

from tongxin.core.codes import id_number_error

ADULT_AGE = 18  # 党章 第一条: 年满十八岁
PROBATION_YEARS = 1  # 党章 第七条: 预备期为一年
MAX_PROBATION_YEARS = 2  # one extension of at most one year (党章 第七条)

ID_MESSAGES = {
    "must be 18 characters": _("ID number must be 18 characters"),
    "must be 17 digits followed by a digit or X": _(
        "ID number must be 17 digits followed by a digit or X"
    ),
    "check digit is wrong": _("ID number check digit is wrong"),
    "embedded birth date is not a real date": _("the birth date inside the ID number is not real"),
    "embedded birth date differs from the recorded birth date": _(
        "the birth date inside the ID number differs from the birth date"
    ),
}


def add_years(d: date, years: int) -> date:
    try:
        return d.replace(year=d.year + years)
    except ValueError:  # 29 February → 28 February
        return d.replace(year=d.year + years, day=28)


def age_on(birth: date, on: date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def id_error(number: str, birth_date: date | None) -> str | None:
    """Translated message, or None (GB 11643 check digit, real and consistent birth date)."""
    problem = id_number_error(number or "", birth_date=birth_date)
    return str(ID_MESSAGES[problem]) if problem else None


def member_errors(
    *,
    id_number: str,
    birth_date: date | None,
    category: str,
    applied_on: date | None,
    admitted_on: date | None,
    full_on: date | None,
    today: date,
) -> dict[str, list[str]]:
    """{field: [messages]} for the identity and party dates of one member record."""
    errors: dict[str, list[str]] = {}

    def add(name, message):
        errors.setdefault(name, []).append(str(message))

    problem = id_error(id_number, birth_date)
    if problem:
        add("id_number", problem)
    for name, value in (
        ("birth_date", birth_date),
        ("applied_on", applied_on),
        ("admitted_on", admitted_on),
        ("full_on", full_on),
    ):
        if value is not None and value > today:
            add(name, _("cannot be in the future"))
    if birth_date and applied_on and applied_on < add_years(birth_date, ADULT_AGE):
        add(
            "applied_on",
            _("an applicant must be at least 18 years old (Party Constitution art. 1)"),
        )
    if birth_date and admitted_on and admitted_on <= birth_date:
        add("admitted_on", _("admission cannot be before birth"))
    if applied_on and admitted_on and admitted_on < applied_on:
        add("admitted_on", _("admission cannot be before the application"))
    if category == "full":
        if admitted_on and full_on is None:
            add("full_on", _("a full member needs the date of full membership"))
        if admitted_on and full_on and full_on < add_years(admitted_on, PROBATION_YEARS):
            add(
                "full_on",
                _("full membership starts one year or more after admission (Constitution art. 7)"),
            )
        if admitted_on and full_on and full_on > add_years(admitted_on, MAX_PROBATION_YEARS):
            add(
                "full_on",
                _("probation lasts at most two years, extension included (Constitution art. 7)"),
            )
    elif category == "probationary" and full_on is not None:
        add("full_on", _("a probationary member has no date of full membership"))
    return errors
