"""The outbound message channel: text messages (SMS) to residents and staff.

Issue 6 item 7. Code that wants to tell someone something by SMS calls `send_sms`; the
message goes through the backend named by the setting TONGXIN["SMS_BACKEND"] (a dotted
path to a `Backend` subclass). The default, `DatabaseBackend`, sends nothing: it records
each message in `OutboundMessage`, so the demo, the district administrators' outbox page
(/outbox/) and the tests see exactly what would be sent. A deployment plugs in its SMS
gateway by writing a `Backend` whose `send` talks to the gateway (and, ideally, records the
message too — subclass `DatabaseBackend` and override `deliver`).

Send about a write only after it is committed:
`transaction.on_commit(lambda: send_sms(phone, text, kind="demand_answered", related=...))`.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from tongxin.core.errors import ValidationError, raise_if
from tongxin.core.models import OutboundMessage

DEFAULT_BACKEND = "tongxin.core.outbound.DatabaseBackend"
#: Mainland China mobile numbers (11 digits, 13x–19x).
MOBILE_RE = re.compile(r"1[3-9]\d{9}")
#: Characters of one SMS holding Chinese text (UCS-2); a longer text is sent as a
#: concatenated message whose parts hold 67 characters each (3 go to the joining header).
SEGMENT_CHARS = 70
CONCAT_SEGMENT_CHARS = 67
MAX_BODY_CHARS = 500
KIND_MAX = OutboundMessage._meta.get_field("kind").max_length
RELATED_MAX = OutboundMessage._meta.get_field("related").max_length


@dataclass(frozen=True)
class SMS:
    """One validated message, as handed to a backend."""

    to: str
    body: str
    kind: str = ""
    related: str = ""

    @property
    def segments(self) -> int:
        return segment_count(self.body)

    @property
    def to_masked(self) -> str:
        return mask_mobile(self.to)


def normalise_mobile(raw: str) -> str:
    """The 11 digits of a mainland mobile number written with spaces, hyphens or a +86 /
    0086 prefix; the input unchanged (apart from stripping) when it is not one."""
    text = re.sub(r"[\s\-()]", "", str(raw or ""))
    for prefix in ("+86", "0086", "86"):
        if text.startswith(prefix) and len(text) == 11 + len(prefix):
            text = text[len(prefix) :]
            break
    return text


def is_mobile(number: str) -> bool:
    return MOBILE_RE.fullmatch(number or "") is not None


def mask_mobile(number: str) -> str:
    """138****5678: what pages show of a mobile number."""
    if len(number) < 7:
        return "*" * len(number)
    return number[:3] + "*" * (len(number) - 7) + number[-4:]


def segment_count(body: str) -> int:
    """How many SMS a text takes (and is billed as): 1 up to 70 characters, else one per
    67 characters."""
    n = len(body)
    if n <= SEGMENT_CHARS:
        return 1
    return math.ceil(n / CONCAT_SEGMENT_CHARS)


def build_sms(to: str, body: str, *, kind: str = "", related: str = "") -> SMS:
    """Check and normalise a message; ValidationError naming the field otherwise."""
    number = normalise_mobile(to)
    text = (body or "").strip()
    errors: dict[str, list[str]] = {"to": [], "body": [], "kind": [], "related": []}
    if not number:
        errors["to"].append(_("Enter a mobile number."))
    elif not is_mobile(number):
        errors["to"].append(_("Enter a mainland China mobile number: 11 digits starting 13–19."))
    if not text:
        errors["body"].append(_("The message is empty."))
    elif len(text) > MAX_BODY_CHARS:
        errors["body"].append(
            _("The message has %(count)d characters; at most %(max)d are allowed.")
            % {"count": len(text), "max": MAX_BODY_CHARS}
        )
    if len(kind) > KIND_MAX:
        errors["kind"].append(_("At most %(max)d characters.") % {"max": KIND_MAX})
    if len(related) > RELATED_MAX:
        errors["related"].append(_("At most %(max)d characters.") % {"max": RELATED_MAX})
    raise_if(errors)
    return SMS(to=number, body=text, kind=kind, related=related)


class Backend:
    """Where messages go. Subclasses implement `send`; it is called once per message,
    outside any guarantee of a surrounding transaction, and returns whatever the backend
    wants to hand back to the caller (the database backend returns the stored row)."""

    def send(self, message: SMS):  # pragma: no cover - interface
        raise NotImplementedError


class DatabaseBackend(Backend):
    """Records each message in `OutboundMessage` as sent — and sends nothing. The default:
    the demo and the tests read what would have gone out from the outbox."""

    def deliver(self, message: SMS) -> None:
        """Hand the message to a real gateway; raise to mark it failed. Nothing here."""

    def send(self, message: SMS) -> OutboundMessage:
        row = OutboundMessage(
            to=message.to,
            to_masked=message.to_masked,
            body=message.body,
            segments=message.segments,
            kind=message.kind,
            related=message.related,
            backend=f"{type(self).__module__}.{type(self).__qualname__}"[:200],
        )
        try:
            self.deliver(message)
        except Exception as exc:  # a gateway's failure is recorded, not raised
            row.status = OutboundMessage.Status.FAILED
            row.error = str(exc)[:200]
        else:
            row.status = OutboundMessage.Status.SENT
            row.sent_at = timezone.now()
        row.save()
        return row


def backend_path() -> str:
    return getattr(settings, "TONGXIN", {}).get("SMS_BACKEND") or DEFAULT_BACKEND


def get_backend() -> Backend:
    """A fresh instance of the configured backend (so `override_settings` takes effect)."""
    path = backend_path()
    try:
        cls = import_string(path)
    except ImportError as exc:
        raise ImportError(f'TONGXIN["SMS_BACKEND"] = {path!r} cannot be imported: {exc}') from exc
    backend = cls()
    if not isinstance(backend, Backend):
        raise TypeError(f'TONGXIN["SMS_BACKEND"] = {path!r} is not a core.outbound.Backend')
    return backend


def send_sms(to: str, body: str, *, kind: str = "", related: str = ""):
    """Send a text message through the configured backend. `to` is a mainland mobile
    number (spaces, hyphens and +86 accepted); `body` at most 500 characters (a message
    longer than 70 characters goes out as several segments, recorded in `segments`);
    `kind` says what it is ("demand_answered"), `related` what it is about
    ("demands.demand:42"). Raises ValidationError({"to"|"body": [...]}) for bad input,
    before the backend sees anything. Returns what the backend returns."""
    message = build_sms(to, body, kind=kind, related=related)
    return get_backend().send(message)


__all__ = [
    "SMS",
    "Backend",
    "DatabaseBackend",
    "ValidationError",
    "build_sms",
    "get_backend",
    "mask_mobile",
    "normalise_mobile",
    "segment_count",
    "send_sms",
]
