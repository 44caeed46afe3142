"""Strict parsing of API request bodies (admissions, demands, grids).

Bodies of routes with a path parameter arrive as loose objects (LooseBody: so that an object
outside the caller's scope answers 404 whatever the body) and are parsed here after the
scoped lookup.
Every problem is collected with its field name and answered as the project's 422 shape,
{"detail": [{"field", "message"}]} — the same as a schema error — never a 500.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from contextlib import contextmanager
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from ninja.errors import ValidationError as SchemaError
from pydantic import BaseModel, ConfigDict, Field

_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# control characters other than tab and line breaks (PostgreSQL refuses NUL in text)
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
MAX_IDS = 500  # ids in one list (a branch roster is far smaller)
MAX_ID = 2**63 - 1  # BigAutoField: a larger number is no id (and would overflow the query)


def invalid(errors: Mapping[str, Iterable[str]]) -> SchemaError:
    """The 422 {"detail": [{"field", "message"}]} of the API's schema errors."""
    return SchemaError(
        [{"loc": ("body", field), "msg": str(m)} for field, msgs in errors.items() for m in msgs]
    )


@contextmanager
def fields_as_422(renamed: Mapping[str, str] | None = None):
    """A service's ValidationError({field: [message]}) → the 422 detail shape (fields renamed
    to the API's names). StepRefused (also a ValidationError) passes through untouched."""
    from tongxin.development.services import StepRefused

    try:
        yield
    except StepRefused:
        raise
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            errors = {(renamed or {}).get(k, k): v for k, v in exc.message_dict.items()}
        else:
            errors = {"__all__": exc.messages}
        raise invalid(errors) from None


class Body:
    """Reads typed fields from a JSON object, collecting every error by field name."""

    def __init__(self, data: Any, allowed: Iterable[str] | None = None):
        self.errors: dict[str, list[str]] = {}
        if not isinstance(data, Mapping):
            self.data: Mapping[str, Any] = {}
            self.error("__all__", _("The body must be a JSON object."))
            return
        self.data = data
        if allowed is not None:
            allowed = set(allowed)
            for key in data:
                if key not in allowed:
                    self.error(str(key)[:50], _("Unknown field."))

    def error(self, field: str, message: str) -> None:
        self.errors.setdefault(field, []).append(message)

    def check(self) -> None:
        if self.errors:
            raise invalid(self.errors)

    def _get(self, field: str, required: bool) -> Any:
        value = self.data.get(field)
        if value is None and required:
            self.error(field, _("This field is required."))
        return value

    def text(self, field: str, *, max_length: int, required: bool = False) -> str:
        value = self._get(field, required)
        if value is None:
            return ""
        if not isinstance(value, str):
            self.error(field, _("Enter a text."))
            return ""
        value = value.strip()
        if has_control(value):
            self.error(field, _("Remove the control characters."))
            return ""
        if required and not value:
            self.error(field, _("This field is required."))
        if len(value) > max_length:
            message = _("At most %(n)s characters (it has %(len)s).")
            self.error(field, message % {"n": max_length, "len": len(value)})
        return value

    def choice(self, field: str, choices: Iterable[str], *, required: bool = False) -> str:
        choices = list(choices)
        value = self._get(field, required)
        if value is None:
            return ""
        if not isinstance(value, str) or value not in choices:
            self.error(field, _("One of: %(choices)s.") % {"choices": ", ".join(choices)})
            return ""
        return value

    def integer(
        self, field: str, *, minimum: int = 0, maximum: int = 10**9, required: bool = False
    ) -> int | None:
        value = self._get(field, required)
        if value is None:
            return None
        if not is_int(value):
            self.error(field, _("Enter a whole number."))
            return None
        if not minimum <= value <= maximum:
            self.error(
                field,
                _("Enter a number from %(min)s to %(max)s.") % {"min": minimum, "max": maximum},
            )
            return None
        return value

    def boolean(self, field: str, *, default: bool = False) -> bool:
        value = self.data.get(field)
        if value is None:
            return default
        if not isinstance(value, bool):
            self.error(field, _("Enter true or false."))
            return default
        return value

    def day(self, field: str, *, required: bool = False) -> date | None:
        value = self._get(field, required)
        if value is None:
            return None
        parsed = parse_day(value)
        if parsed is None:
            self.error(field, _("Enter a date as YYYY-MM-DD."))
        return parsed

    def ids(self, field: str, *, max_items: int = MAX_IDS, required: bool = False) -> list[int]:
        value = self._get(field, required)
        if value is None:
            return []
        if not isinstance(value, list) or not all(is_int(v) and 0 < v <= MAX_ID for v in value):
            self.error(field, _("Enter a list of ids."))
            return []
        if len(value) > max_items:
            self.error(field, _("At most %(n)s ids.") % {"n": max_items})
            return []
        if len(set(value)) != len(value):
            self.error(field, _("An id is listed twice."))
            return []
        return list(value)


def has_control(text: str) -> bool:
    return bool(_CONTROL_RE.search(text))


def is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def parse_day(value: Any) -> date | None:
    """A date written exactly YYYY-MM-DD (not 20260101, not a week date, not a number)."""
    if not isinstance(value, str) or not _DATE_RE.match(value):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


# --- loose request bodies ------------------------------------------------------------------
# Every field `Any` and unknown fields kept: an object outside the caller's scope answers 404
# whatever the body (the scoping walk), and every problem is named by `Body` after the lookup.
def loose_field(description: str, kind: str | None = None, **extra: Any) -> Any:
    """A documented `Any` field of a LooseBody (OpenAPI shows `kind` and `extra`)."""
    schema: dict[str, Any] = {"type": kind} if kind else {}
    schema.update(extra)
    return Field(None, description=description, json_schema_extra=schema or None)


class LooseBody(BaseModel):
    model_config = ConfigDict(extra="allow")

    def fields(self) -> dict[str, Any]:
        """The fields the client sent (declared or not); absent ones are left out."""
        sent = {name: getattr(self, name) for name in self.model_fields_set}
        return {**sent, **(self.model_extra or {})}
