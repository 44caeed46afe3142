"""A small rate limiter by client address and bucket name, on Django's cache framework.

Fixed windows: the counter of (bucket, client, window number) lives in the cache for one
window. With Redis configured (settings CACHES, from TONGXIN_REDIS_URL / REDIS_URL) the
counter is shared by every process; with the local-memory default it is per process, which
is fine for one process and makes a flood at most N times the limit for N processes.

Usage::

    from tongxin.core import ratelimit

    if not ratelimit.hit(request, "portal-submit", 10, 3600):
        return ratelimit.too_many(request)            # 429, a Chinese message

    # or with a configurable rate string from settings.TONGXIN ("10/h", "20/10m", "5/30s")
    if not ratelimit.hit_rate(request, "portal-track", settings.TONGXIN["PORTAL_TRACK_RATE"]):
        ...

The limiter fails open: when the cache cannot be reached the request is allowed (and a
warning logged) — an outage of the cache must not take the public portal down with it.
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import re
import time

from django.core.cache import caches
from django.http import HttpResponse
from django.utils.translation import gettext as _

from tongxin.core.middleware import client_ip

logger = logging.getLogger(__name__)

CACHE_ALIAS = "default"
KEY_PREFIX = "ratelimit"

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_RATE_RE = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*([smhd])\s*$")


def parse_rate(rate: str) -> tuple[int, int]:
    """ "10/h" → (10, 3600); "20/10m" → (20, 600); "5/30s" → (5, 30).

    Raises ValueError for anything else (a settings mistake should fail loudly)."""
    match = _RATE_RE.match(rate or "")
    if not match:
        raise ValueError(f"invalid rate {rate!r}: expected e.g. '10/h', '20/10m', '5/30s'")
    limit = int(match.group(1))
    window = int(match.group(2) or 1) * _UNITS[match.group(3)]
    if window <= 0:
        raise ValueError(f"invalid rate {rate!r}: the window must be positive")
    return limit, window


def client_key(request) -> str:
    """The client's identity for limiting: its address (REMOTE_ADDR; see
    core.middleware.client_ip for why X-Forwarded-For is not trusted). An IPv6 client is
    counted by its /64 network, since one subscriber usually holds a whole /64."""
    raw = client_ip(request) or "unknown"
    try:
        address = ipaddress.ip_address(raw)
    except ValueError:
        return raw
    if address.version == 6 and address.ipv4_mapped is None:
        return str(ipaddress.ip_network(f"{address}/64", strict=False).network_address) + "/64"
    if address.version == 6 and address.ipv4_mapped is not None:
        return str(address.ipv4_mapped)
    return str(address)


def _cache_key(bucket: str, client: str, window_seconds: int, window_no: int) -> str:
    # Hash the client part: keys stay short and safe for memcached-style key rules.
    digest = hashlib.sha256(client.encode()).hexdigest()[:24]
    return f"{KEY_PREFIX}:{bucket}:{window_seconds}:{window_no}:{digest}"


def hit(
    request,
    bucket: str,
    limit: int,
    window_seconds: int,
    *,
    now: float | None = None,
) -> bool:
    """Count one attempt of this client in `bucket`; True while the client is within
    `limit` attempts per `window_seconds`, False once it is over (the attempt is still
    counted, so hammering does not reset anything). `limit` <= 0 disables the limit."""
    if limit <= 0:
        return True
    now = time.time() if now is None else now
    window_no = int(now // window_seconds)
    key = _cache_key(bucket, client_key(request), window_seconds, window_no)
    cache = caches[CACHE_ALIAS]
    timeout = window_seconds + 1
    try:
        if cache.add(key, 1, timeout=timeout):
            count = 1
        else:
            try:
                count = cache.incr(key)
            except ValueError:  # expired between add and incr
                cache.add(key, 1, timeout=timeout)
                count = 1
    except Exception:  # the cache is down: fail open, but say so
        logger.warning("rate limiter: cache unavailable, allowing %s", bucket, exc_info=True)
        return True
    return count <= limit


def hit_rate(request, bucket: str, rate: str, *, now: float | None = None) -> bool:
    """hit() with a rate string such as "10/h" (see parse_rate)."""
    limit, window = parse_rate(rate)
    return hit(request, bucket, limit, window, now=now)


def retry_after(window_seconds: int, *, now: float | None = None) -> int:
    """Seconds until the current window ends (for a Retry-After header)."""
    now = time.time() if now is None else now
    return max(1, int(window_seconds - (now % window_seconds)))


def message() -> str:
    """The plain-words refusal shown to a person who has been limited."""
    return _("Too many attempts from your network. Please wait a while and try again.")


def too_many(request=None, *, retry_seconds: int | None = None, body: str | None = None):
    """A bare 429 response with a plain-text message (HTML pages may render their own
    template with status=429 instead)."""
    response = HttpResponse(
        body if body is not None else message(),
        status=429,
        content_type="text/plain; charset=utf-8",
    )
    if retry_seconds:
        response["Retry-After"] = str(retry_seconds)
    return response
