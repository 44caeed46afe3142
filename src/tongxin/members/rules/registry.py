"""Rules of the member record — DOMAIN.md §4 and 《中国共产党章程》.

Pure functions over plain values; the registry service and the Excel import both call them,
so a row is refused for the same reasons whichever way it arrives.
"""

from datetime import date, timedelta

from django.utils.translation import gettext_lazy as _

from tongxin.core.codes import id_number_error

_ONE_DAY = timedelta(days=1)
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


# ---------------------------------------------------------------- phone


def phone_error(phone: str) -> str | None:
    """A mobile (11 digits starting with 1) or a landline (digits, optional area code and
    dash, 7–20 characters); empty is allowed."""
    phone = (phone or "").strip()
    if not phone:
        return None
    digits = phone.replace("-", "").replace(" ", "").removeprefix("+86")
    if not digits.isdigit() or not 7 <= len(digits) <= 20:
        return str(_("a phone number has 7 to 20 digits (a dash may separate the area code)"))
    if len(digits) == 11 and digits[0] == "1" and digits[1] not in "3456789":
        return str(_("a mobile number starts with 13 to 19"))
    return None


def phone_tail(phone: str) -> str:
    digits = "".join(c for c in (phone or "") if c.isdigit())
    return digits[-4:]


# ---------------------------------------------------------------- standing (DOMAIN.md §4.1)

NORMAL = "normal"
SUSPENDED = "suspended"
RETAINED = "retained"
REMOVED = "removed"
EXPELLED = "expelled"
LAPSED = "lapsed"
DECEASED = "deceased"
TRANSFERRED_OUT = "transferred_out"

# Leaving the party (出党: 除名/开除/自行脱党) and death end the record: a person who left
# can only come back through a new admission (党章 第九条, 第四十条).
TERMINAL_STATUSES = frozenset({REMOVED, EXPELLED, LAPSED, DECEASED})

# Standing changes a keeper may record (transfers out/in are written by the transfer service).
STANDING_TRANSITIONS: dict[str, frozenset[str]] = {
    NORMAL: frozenset({SUSPENDED, RETAINED, REMOVED, EXPELLED, LAPSED, DECEASED}),
    SUSPENDED: frozenset({NORMAL, RETAINED, REMOVED, EXPELLED, LAPSED, DECEASED}),
    RETAINED: frozenset({NORMAL, SUSPENDED, REMOVED, EXPELLED, LAPSED, DECEASED}),
    TRANSFERRED_OUT: frozenset({NORMAL, DECEASED}),
}


def standing_error(current: str, target: str) -> str | None:
    """None if the party standing may change from `current` to `target` (DOMAIN.md §4.1)."""
    if current == target:
        return str(_("the member already has this standing"))
    if current in TERMINAL_STATUSES:
        return str(_("the record is closed: this standing cannot be changed any more"))
    if target not in STANDING_TRANSITIONS.get(current, frozenset()):
        return str(_("this change of standing is not allowed"))
    return None


def needs_decision(target: str) -> bool:
    """Every standing change is decided by a party organisation, except recording a death."""
    return target != DECEASED


# ---------------------------------------------------------------- probation (党章 第七条)


def probation_end(admitted_on: date, *, extended: bool) -> date:
    return add_years(admitted_on, MAX_PROBATION_YEARS if extended else PROBATION_YEARS)


def conversion_error(*, admitted_on: date, on: date) -> str | None:
    """Conversion to full member: one year after admission at the earliest, at most two
    years with the one extension (党章 第七条)."""
    if on < add_years(admitted_on, PROBATION_YEARS):
        return str(_("conversion is possible one year after admission at the earliest"))
    if on > add_years(admitted_on, MAX_PROBATION_YEARS):
        return str(_("probation lasts at most two years, extension included (Constitution art. 7)"))
    return None


def extension_error(*, admitted_on: date, on: date, already_extended: bool) -> str | None:
    """A probation may be extended once, by at most one year, before it ends (党章 第七条)."""
    if already_extended:
        return str(_("the probation has already been extended once"))
    if on > add_years(admitted_on, PROBATION_YEARS):
        return str(_("an extension is decided before the one-year probation ends"))
    if on < admitted_on:
        return str(_("cannot be before the admission date"))
    return None


# ---------------------------------------------------------------- 留党察看 (党章 第四十条)

MAX_PARTY_PROBATION_YEARS = 2  # 留党察看最长不超过两年


def under_party_probation(
    party_probation_from: date | None, party_probation_until: date | None, on: date
) -> bool:
    """Under 留党察看 on `on` (both ends included; no end recorded: still under it). A member
    under it has no right to vote, elect or be elected, nor to introduce an applicant."""
    if party_probation_from is None or on < party_probation_from:
        return False
    return party_probation_until is None or on <= party_probation_until


def party_probation_error(
    *, current_from: date | None, current_until: date | None, on: date, until: date | None
) -> tuple[str, str] | None:
    """(field, message) when placing a member on 留党察看 from `on` until `until` breaks a
    rule: the end must be a date after the start, at most two years later, and the member
    must not already be under it (党章 第四十条)."""
    if until is None:
        return "to_value", str(_("enter the date the probation within the party ends"))
    if until <= on:
        return "to_value", str(_("the probation within the party ends after it starts"))
    if until > add_years(on, MAX_PARTY_PROBATION_YEARS):
        return "to_value", str(_("probation within the party lasts at most two years"))
    if under_party_probation(current_from, current_until, on):
        return "kind", str(_("the member is already on probation within the party"))
    return None


def party_probation_end_error(
    *, current_from: date | None, current_until: date | None, on: date
) -> tuple[str, str] | None:
    """(field, message) when restoring the rights on `on` is not possible: the member is
    not under 留党察看 then, or `on` is not after its start."""
    if current_from is None or (current_until is not None and current_until < on - _ONE_DAY):
        return "kind", str(_("the member is not on probation within the party"))
    if on <= current_from:
        return "effective_on", str(_("rights are restored after the probation has started"))
    return None
