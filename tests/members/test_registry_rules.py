"""Rules of the member record (DOMAIN.md §4, 党章 第一、七条, GB 11643): tables with
boundaries, and hypothesis properties of ID validation."""

from datetime import date, timedelta

import pytest
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from tests.member_factories import id_number
from tongxin.core.codes import id_check_char
from tongxin.members.rules import registry as rules

TODAY = date(2026, 11, 26)
BIRTH = date(1990, 5, 20)


@pytest.fixture(autouse=True)
def english():
    """These tests read the rule messages in their English source wording."""
    with translation.override("en"):
        yield


def errors(**overrides):
    fields = {
        "id_number": id_number(BIRTH, 7),
        "birth_date": BIRTH,
        "category": "full",
        "applied_on": date(2012, 3, 1),
        "admitted_on": date(2013, 7, 1),
        "full_on": date(2014, 7, 1),
        "today": TODAY,
    }
    fields.update(overrides)
    return rules.member_errors(**fields)


def test_a_valid_record_has_no_errors():
    assert errors() == {}


@pytest.mark.parametrize(
    ("applied_on", "ok"),
    [
        (date(2008, 5, 19), False),  # day before the 18th birthday
        (date(2008, 5, 20), True),  # the 18th birthday
        (date(2008, 5, 21), True),
    ],
)
def test_applicant_must_be_eighteen(applied_on, ok):
    result = errors(applied_on=applied_on, admitted_on=date(2009, 7, 1), full_on=date(2010, 7, 1))
    assert ("applied_on" not in result) is ok


def test_eighteenth_birthday_of_someone_born_on_29_february():
    born = date(2000, 2, 29)
    number = id_number(born, 3)
    # 2018 has no 29 February: the birthday counts from 28 February (add_years)
    ok = errors(
        id_number=number,
        birth_date=born,
        applied_on=date(2018, 2, 28),
        admitted_on=date(2019, 7, 1),
        full_on=date(2020, 7, 1),
    )
    assert "applied_on" not in ok
    early = errors(
        id_number=number,
        birth_date=born,
        applied_on=date(2018, 2, 27),
        admitted_on=date(2019, 7, 1),
        full_on=date(2020, 7, 1),
    )
    assert "applied_on" in early


@pytest.mark.parametrize(
    ("full_on", "ok"),
    [
        (date(2014, 6, 30), False),  # day before one year after admission
        (date(2014, 7, 1), True),  # exactly one year
        (date(2014, 7, 2), True),
        (date(2015, 7, 1), True),  # two years: the longest probation, extension included
        (date(2015, 7, 2), False),
    ],
)
def test_full_membership_one_to_two_years_after_admission(full_on, ok):
    assert ("full_on" not in errors(full_on=full_on)) is ok


def test_full_on_after_admission_on_29_february():
    result = errors(admitted_on=date(2016, 2, 29), full_on=date(2017, 2, 28))
    assert "full_on" not in result
    assert "full_on" in errors(admitted_on=date(2016, 2, 29), full_on=date(2017, 2, 27))


@pytest.mark.parametrize("name", ["birth_date", "applied_on", "admitted_on", "full_on"])
def test_dates_cannot_be_in_the_future(name):
    assert name not in errors(today=date(2100, 1, 1))
    future = {"birth_date": BIRTH, "applied_on": None, "admitted_on": None, "full_on": None}
    future[name] = TODAY + timedelta(days=1)
    if name == "birth_date":
        future["id_number"] = id_number(future[name], 1)
    result = errors(**future, category="probationary" if name != "full_on" else "full")
    assert "cannot be in the future" in " ".join(result.get(name, []))


def test_admission_before_application_or_birth_is_refused():
    assert "admitted_on" in errors(applied_on=date(2013, 7, 2))
    assert "admitted_on" not in errors(applied_on=date(2013, 7, 1))
    result = errors(admitted_on=BIRTH, applied_on=None, full_on=None, category="probationary")
    assert "admitted_on" in result


def test_category_and_full_membership_date_agree():
    assert "full_on" in errors(full_on=None)
    assert "full_on" in errors(category="probationary")
    assert errors(category="probationary", full_on=None) == {}


def test_id_number_birth_date_must_match_the_record():
    result = errors(birth_date=BIRTH + timedelta(days=1))
    assert "differs" in result["id_number"][0]


# ---------------------------------------------------------------- ID numbers (GB 11643)

dates = st.dates(min_value=date(1920, 1, 1), max_value=date(2008, 12, 31))
regions = st.sampled_from(["350102", "110101", "440305", "510104", "650102"])


@st.composite
def valid_ids(draw):
    born = draw(dates)
    body = f"{draw(regions)}{born:%Y%m%d}{draw(st.integers(0, 999)):03d}"
    return body + id_check_char(body), born


@given(valid_ids())
def test_valid_generated_ids_are_accepted(case):
    number, born = case
    assert rules.id_error(number, born) is None
    assert rules.id_error(number.lower(), born) is None  # x or X


@given(valid_ids(), st.integers(0, 17), st.integers(1, 10))
def test_any_single_character_change_is_rejected(case, position, shift):
    number, _born = case
    alphabet = "0123456789X" if position == 17 else "0123456789"
    old = number[position]
    new = alphabet[(alphabet.index(old) + shift) % len(alphabet)]
    if new == old:
        new = alphabet[(alphabet.index(old) + 1) % len(alphabet)]
    changed = number[:position] + new + number[position + 1 :]
    assert rules.id_error(changed, None) is not None


@pytest.mark.parametrize(
    ("number", "word"),
    [
        ("35010219900520007", "18"),
        ("3501021990052000X7", "17 digits"),
        ("350102199002300070", None),  # 30 February, check digit recomputed below
    ],
)
def test_id_messages_name_the_rule(number, word):
    if word is None:
        body = number[:17]
        number = body + id_check_char(body)
        assert "not real" in rules.id_error(number, None)
    else:
        assert word in rules.id_error(number, None)


# ---------------------------------------------------------------- standing (§4.1)


@pytest.mark.parametrize(
    ("current", "target", "ok"),
    [
        ("normal", "suspended", True),
        ("normal", "deceased", True),
        ("normal", "normal", False),
        ("suspended", "normal", True),
        ("retained", "normal", True),
        ("normal", "transferred_out", False),  # the transfer service records it
        ("transferred_out", "normal", True),
        ("deceased", "normal", False),
        ("expelled", "normal", False),
        ("removed", "suspended", False),
        ("lapsed", "normal", False),
    ],
)
def test_standing_transitions(current, target, ok):
    assert (rules.standing_error(current, target) is None) is ok


def test_every_terminal_status_is_closed():
    for status in rules.TERMINAL_STATUSES:
        for target in ("normal", "suspended", "retained", "deceased", "expelled"):
            if target != status:
                assert rules.standing_error(status, target) is not None


def test_decision_needed_except_for_death():
    assert rules.needs_decision("expelled") and not rules.needs_decision("deceased")


@pytest.mark.parametrize(
    ("on", "ok"),
    [
        (date(2025, 6, 30), False),
        (date(2025, 7, 1), True),
        (date(2026, 7, 1), True),
        (date(2026, 7, 2), False),
    ],
)
def test_conversion_window(on, ok):
    assert (rules.conversion_error(admitted_on=date(2024, 7, 1), on=on) is None) is ok


@pytest.mark.parametrize(
    ("on", "already", "ok"),
    [
        (date(2025, 7, 1), False, True),  # decided on the last day of the probation
        (date(2025, 7, 2), False, False),
        (date(2024, 6, 30), False, False),  # before admission
        (date(2025, 1, 1), True, False),  # only one extension
    ],
)
def test_extension(on, already, ok):
    problem = rules.extension_error(admitted_on=date(2024, 7, 1), on=on, already_extended=already)
    assert (problem is None) is ok


@pytest.mark.parametrize(
    ("phone", "ok"),
    [
        ("", True),
        ("13912345678", True),
        ("0591-87654321", True),
        ("+86 139 1234 5678", True),
        ("12912345678", False),
        ("12345", False),
        ("139abc45678", False),
    ],
)
def test_phone(phone, ok):
    assert (rules.phone_error(phone) is None) is ok


def test_phone_tail_uses_digits_only():
    assert rules.phone_tail("0591-8765 4321") == "4321"
