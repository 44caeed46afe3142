"""Cell and row parsing of the member sheet: (value, None) or (None, reason) per cell."""

from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _

from tongxin.members.excel.columns import (
    _DATE_RE,
    _FALSE,
    _TRUE,
    BOOL,
    CHOICE,
    COLUMNS,
    DATE,
    ID,
    MONEY,
    NO,
    PHONE,
    REF,
    TEXT,
    YES,
    Column,
)
from tongxin.members.rules.dues import money_error
from tongxin.members.rules.registry import phone_error


def blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def text_of(value) -> str:
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return YES if value else NO
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else str(value)
    return str(value).strip()


def _accepted(col: Column) -> dict[str, str]:
    """Every accepted spelling of a choice -> its code: the code, the Chinese label of this
    file format and the model's label in English and Chinese."""
    from django.utils.translation import override

    accepted = {}
    for code, label in col.choices.choices:
        accepted[code.lower()] = code
        with override("en"):
            accepted[str(label).lower()] = code
        with override("zh-hans"):
            accepted[str(label).lower()] = code
    for code, label in (col.labels or {}).items():
        accepted[label.lower()] = code
    return accepted


def parse_date(value):
    if isinstance(value, datetime):
        return value.date(), None
    if isinstance(value, date):
        return value, None
    match = _DATE_RE.match(text_of(value))
    if match:
        try:
            return date(*(int(part) for part in match.groups())), None
        except ValueError:
            return None, _("not a real date")
    return None, _("not a date; use the format YYYY-MM-DD")


_BOOLS = {**dict.fromkeys(_TRUE, True), **dict.fromkeys(_FALSE, False)}


def _make_parser(col: Column):
    """fn(cell value) -> (python value, None) or (None, reason), specialised to the column
    (a 100,000-row sheet calls it 2.3 million times)."""
    kind, required, max_length = col.kind, col.required, col.max_length
    empty = {BOOL: False, DATE: None, MONEY: None, CHOICE: None}.get(kind, "")
    accepted_cache: list = []

    def parse(value):
        text = value.strip() if type(value) is str else None
        if value is None or text == "":
            if required:
                return None, _("this cell is required")
            return empty, None
        if kind == TEXT or kind == REF:
            if text is None:
                text = text_of(value)
            if max_length and len(text) > max_length:
                return None, _("at most %(max)d characters") % {"max": max_length}
            return text, None
        if kind == DATE:
            if type(value) is datetime:
                return value.date(), None
            return parse_date(value)
        if kind == CHOICE:
            if not accepted_cache:
                accepted_cache.append(_accepted(col))
            shown = text if text is not None else text_of(value)
            code = accepted_cache[0].get(shown.lower())
            if code is None:
                return None, _("unknown value “%(value)s”; allowed: %(allowed)s") % {
                    "value": shown[:50],
                    "allowed": "、".join((col.labels or {}).values()),
                }
            return code, None
        if kind == BOOL:
            if isinstance(value, bool):
                return value, None
            found = _BOOLS.get((text if text is not None else text_of(value)).lower())
            if found is None:
                return None, _("enter 是 or 否")
            return found, None
        if kind == ID:
            return (text if text is not None else text_of(value)).upper(), None
        if kind == PHONE:
            text = text if text is not None else text_of(value)
            problem = phone_error(text)
            return (None, str(problem)) if problem else (text, None)
        if kind == MONEY:
            if isinstance(value, bool):
                return None, _("not an amount of money")
            try:
                # a float cell carries binary noise: its shortest repr is what was typed
                amount = Decimal(repr(value)) if type(value) is float else Decimal(text_of(value))
            except InvalidOperation:
                return None, _("not an amount of money")
            problem = money_error(amount)
            return (None, str(problem)) if problem else (amount, None)
        raise AssertionError(kind)

    return parse


_PARSERS = {col.field: _make_parser(col) for col in COLUMNS}


def parse_cell(col: Column, value):
    """(python value, None) or (None, reason). Blank cells give the column's empty value."""
    return _PARSERS[col.field](value)


def row_parser(columns: dict[str, int]):
    """fn(values) -> ({field: value}, [(field, reason)]) for the columns of one file."""
    plan = [(col.field, columns.get(col.field), _PARSERS[col.field]) for col in COLUMNS]

    def parse(values: list):
        out: dict[str, Any] = {}
        problems: list[tuple[str, str]] = []
        width = len(values)
        for name, index, parser in plan:
            raw = values[index] if index is not None and index < width else None
            value, problem = parser(raw)
            if problem is None:
                out[name] = value
            else:
                problems.append((name, problem))
        return out, problems

    return parse


def parse_row(columns: dict[str, int], values: list) -> tuple[dict[str, Any], list]:
    """({field: value}, [(field, reason)]) of one data row."""
    return row_parser(columns)(values)
