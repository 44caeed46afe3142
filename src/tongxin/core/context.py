"""Per-request context (actor, client address, request id) for the audit trail.

Set by RequestContextMiddleware and by the API's authentication; read by core.audit.
Kept in a contextvar so services need no request argument.
"""

import contextvars
import uuid
from dataclasses import dataclass, field


@dataclass
class RequestContext:
    request_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    ip: str | None = None
    user: object | None = None


_current: contextvars.ContextVar[RequestContext | None] = contextvars.ContextVar(
    "tongxin_request_context", default=None
)


def current() -> RequestContext:
    ctx = _current.get()
    if ctx is None:
        ctx = RequestContext()
        _current.set(ctx)
    return ctx


def begin(ip: str | None = None) -> contextvars.Token:
    return _current.set(RequestContext(ip=ip))


def end(token: contextvars.Token) -> None:
    _current.reset(token)
