"""Small helpers shared by the grid services."""

from __future__ import annotations

import re
from datetime import date

from django.utils import timezone
from django.utils.translation import gettext as _

_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def today_or(today: date | None) -> date:
    return today or timezone.localdate()


class Errors(dict):
    """{field: [messages]} collected while checking one write."""

    def add(self, field: str, message) -> None:
        text = str(message)
        if text not in self.setdefault(field, []):
            self[field].append(text)

    def text(self, field: str, value, *, max_length: int, required: bool = False) -> str:
        """The stripped text, or "" with an error on `field`."""
        if value is None:
            value = ""
        if not isinstance(value, str):
            self.add(field, _("Enter a text."))
            return ""
        value = value.strip()
        if _CONTROL_RE.search(value):
            self.add(field, _("Remove the control characters."))
            return ""
        if required and not value:
            self.add(field, _("This field is required."))
        if len(value) > max_length:
            self.add(
                field,
                _("At most %(n)s characters (it has %(len)s).")
                % {"n": max_length, "len": len(value)},
            )
        return value
