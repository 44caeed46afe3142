from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tongxin.core import codes

# Published codes of well-known companies (from their business licences).
REAL_USCC = ["91440300708461136T", "9144030071526726XG", "91110000802100433B"]


@pytest.mark.parametrize("code", REAL_USCC)
def test_real_credit_codes_pass(code):
    assert codes.uscc_error(code) is None


@pytest.mark.parametrize(
    ("code", "rule"),
    [
        ("91440300708461136", "must be 18 characters"),
        ("91440300708461136TT", "must be 18 characters"),
        ("91440300708461136I", "contains characters not allowed in a unified social credit code"),
        ("9144O300708461136T", "contains characters not allowed in a unified social credit code"),
        ("91440300708461136A", "check character is wrong"),
    ],
)
def test_bad_credit_codes_name_the_rule(code, rule):
    assert codes.uscc_error(code) == rule


@given(
    st.text(alphabet=codes.USCC_CHARSET, min_size=2, max_size=2),
    st.text(alphabet="0123456789", min_size=6, max_size=6),
    st.text(alphabet=codes.USCC_CHARSET, min_size=9, max_size=9),
)
def test_any_code_with_its_check_char_passes_and_every_other_char_fails(a, b, c):
    body = a + b + c
    good = codes.uscc_check_char(body)
    assert codes.uscc_error(body + good) is None
    for other in codes.USCC_CHARSET:
        if other != good:
            assert codes.uscc_error(body + other) == "check character is wrong"


def _id(body17: str) -> str:
    return body17 + codes.id_check_char(body17)


def test_id_number_standard_example():
    # GB 11643-1999 appendix example: 11010519491231002X
    assert codes.id_number_error("11010519491231002X") is None
    assert codes.id_number_error("11010519491231002x") is None
    assert codes.id_number_error("110105194912310021") == "check digit is wrong"


def test_id_number_birth_date_rules():
    feb29 = _id("35010220000229123")
    assert codes.id_number_error(feb29) is None
    assert codes.id_number_error(_id("35010219000229123")) == (
        "embedded birth date is not a real date"
    )  # 1900 was not a leap year
    assert codes.id_number_error(feb29, birth_date=date(2000, 2, 29)) is None
    assert codes.id_number_error(feb29, birth_date=date(2000, 2, 28)) == (
        "embedded birth date differs from the recorded birth date"
    )


@given(
    st.dates(min_value=date(1900, 1, 1), max_value=date(2026, 12, 31)),
    st.text(alphabet="0123456789", min_size=3, max_size=3),
)
def test_id_numbers_with_real_dates_validate(born, seq):
    number = _id(f"350102{born:%Y%m%d}{seq}")
    assert codes.id_number_error(number, birth_date=born) is None
    assert codes.id_number_birth_date(number) == born


def test_masking():
    assert codes.mask_id_number("350102199001011234") == "350102********1234"
    assert codes.mask_phone("13800138000") == "138****8000"
