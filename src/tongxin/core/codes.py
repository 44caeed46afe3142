"""Check-digit validation of national identifiers. Pure functions, no I/O."""

import re
from datetime import date

# GB 32100-2015 统一社会信用代码: 18 characters from this 31-character set (no I O Z S V).
USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_USCC_RE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$")


def uscc_check_char(first17: str) -> str:
    """The 18th character of a unified social credit code (GB 32100-2015 §4.2, mod 31)."""
    total = sum(USCC_CHARSET.index(c) * w for c, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_CHARSET[(31 - total % 31) % 31]


def uscc_error(code: str) -> str | None:
    """None when `code` is a well-formed USCC, else the rule it breaks (English msgid)."""
    if len(code) != 18:
        return "must be 18 characters"
    if not _USCC_RE.match(code):
        return "contains characters not allowed in a unified social credit code"
    if uscc_check_char(code[:17]) != code[17]:
        return "check character is wrong"
    return None


# GB 11643-1999 公民身份号码: 17 digits + ISO 7064 MOD 11-2 check character.
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"
_ID_RE = re.compile(r"^\d{17}[\dX]$")


def id_check_char(first17: str) -> str:
    return ID_CHECK[sum(int(c) * w for c, w in zip(first17, ID_WEIGHTS, strict=True)) % 11]


def id_number_birth_date(number: str) -> date | None:
    try:
        return date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return None


def id_number_error(number: str, *, birth_date: date | None = None) -> str | None:
    """None when valid; else the rule broken (DOMAIN.md §4.6)."""
    number = number.upper()
    if len(number) != 18:
        return "must be 18 characters"
    if not _ID_RE.match(number):
        return "must be 17 digits followed by a digit or X"
    if id_check_char(number[:17]) != number[17]:
        return "check digit is wrong"
    born = id_number_birth_date(number)
    if born is None:
        return "embedded birth date is not a real date"
    if birth_date is not None and born != birth_date:
        return "embedded birth date differs from the recorded birth date"
    return None


def mask_id_number(number: str) -> str:
    """350102********1234: region code and last four shown, the rest masked."""
    if len(number) < 10:
        return "*" * len(number)
    return number[:6] + "*" * (len(number) - 10) + number[-4:]


def mask_phone(phone: str) -> str:
    if len(phone) < 7:
        return "*" * len(phone)
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]
