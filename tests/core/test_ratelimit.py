import socket
import uuid

import pytest
from django.core.cache import caches
from django.test import RequestFactory, override_settings
from django.utils import translation

from tongxin.core import ratelimit

T0 = 1_800_000_000.0  # a fixed instant at the start of an hour window (divisible by 3600)


@pytest.fixture(autouse=True)
def clean_cache():
    caches["default"].clear()
    yield
    caches["default"].clear()


def req(ip="203.0.113.7"):
    return RequestFactory().get("/", REMOTE_ADDR=ip)


def test_parse_rate():
    assert ratelimit.parse_rate("10/h") == (10, 3600)
    assert ratelimit.parse_rate("20/10m") == (20, 600)
    assert ratelimit.parse_rate("5/30s") == (5, 30)
    assert ratelimit.parse_rate(" 3 / d ") == (3, 86400)
    for bad in ("", "10", "10/x", "h/10", "-1/h", "10/0m"):
        with pytest.raises(ValueError):
            ratelimit.parse_rate(bad)


def test_allows_up_to_the_limit_then_refuses():
    r = req()
    assert [ratelimit.hit(r, "b", 3, 60, now=T0 + i) for i in range(5)] == [
        True,
        True,
        True,
        False,
        False,
    ]


def test_new_window_starts_afresh():
    r = req()
    for _ in range(3):
        ratelimit.hit(r, "b", 3, 60, now=T0)
    assert ratelimit.hit(r, "b", 3, 60, now=T0 + 59) is False
    assert ratelimit.hit(r, "b", 3, 60, now=T0 + 60) is True


def test_buckets_and_clients_are_separate():
    a, b = req("198.51.100.1"), req("198.51.100.2")
    assert ratelimit.hit(a, "submit", 1, 60, now=T0)
    assert not ratelimit.hit(a, "submit", 1, 60, now=T0)
    assert ratelimit.hit(a, "track", 1, 60, now=T0)  # another bucket
    assert ratelimit.hit(b, "submit", 1, 60, now=T0)  # another client


def test_ipv6_counted_by_slash_64():
    a = req("2001:db8:1:2::1")
    b = req("2001:db8:1:2:ffff::9")  # same /64
    c = req("2001:db8:1:3::1")  # another /64
    assert ratelimit.client_key(a) == ratelimit.client_key(b) == "2001:db8:1:2::/64"
    assert ratelimit.hit(a, "b", 1, 60, now=T0)
    assert not ratelimit.hit(b, "b", 1, 60, now=T0)
    assert ratelimit.hit(c, "b", 1, 60, now=T0)


def test_ipv4_mapped_is_the_ipv4_address():
    assert ratelimit.client_key(req("::ffff:198.51.100.4")) == "198.51.100.4"


def test_forwarded_for_is_not_trusted():
    r = RequestFactory().get("/", REMOTE_ADDR="198.51.100.1", HTTP_X_FORWARDED_FOR="10.9.9.9")
    assert ratelimit.client_key(r) == "198.51.100.1"
    assert ratelimit.hit(r, "b", 1, 60, now=T0)
    r2 = RequestFactory().get("/", REMOTE_ADDR="198.51.100.1", HTTP_X_FORWARDED_FOR="10.8.8.8")
    assert not ratelimit.hit(r2, "b", 1, 60, now=T0)  # forging the header does not help


def test_zero_limit_disables():
    r = req()
    assert all(ratelimit.hit(r, "b", 0, 60, now=T0) for _ in range(50))


def test_hit_rate_uses_the_rate_string():
    r = req()
    assert ratelimit.hit_rate(r, "b", "2/m", now=T0)
    assert ratelimit.hit_rate(r, "b", "2/m", now=T0)
    assert not ratelimit.hit_rate(r, "b", "2/m", now=T0)


def test_retry_after():
    assert ratelimit.retry_after(60, now=T0 + 15) == 45
    assert ratelimit.retry_after(60, now=T0) == 60


def test_too_many_response_is_429_with_the_message():
    response = ratelimit.too_many(retry_seconds=30)
    assert response.status_code == 429
    assert response["Retry-After"] == "30"
    assert response["Content-Type"].startswith("text/plain")
    with translation.override("en"):
        assert ratelimit.too_many().content.decode() == ratelimit.message()
        assert "Too many attempts" in ratelimit.message()


def test_fails_open_when_the_cache_is_down():
    with override_settings(
        CACHES={
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
            }
        }
    ):
        assert all(ratelimit.hit(req(), "b", 1, 60, now=T0) for _ in range(3))


def _redis_up() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=0.5).close()
        return True
    except OSError:
        return False


@pytest.mark.skipif(not _redis_up(), reason="no Redis on 127.0.0.1:6379")
def test_counts_are_shared_through_redis():
    prefix = f"test-{uuid.uuid4().hex}"
    with override_settings(
        CACHES={
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": "redis://127.0.0.1:6379/0",
                "KEY_PREFIX": prefix,
            }
        }
    ):
        r = req()
        assert ratelimit.hit(r, "b", 2, 60, now=T0)
        assert ratelimit.hit(r, "b", 2, 60, now=T0)
        assert not ratelimit.hit(r, "b", 2, 60, now=T0)
        # The count lives in Redis: a fresh connection sees it.
        caches["default"].close()
        key = ratelimit._cache_key("b", ratelimit.client_key(r), 60, int(T0 // 60))
        assert caches["default"].get(key) == 3
        caches["default"].delete(key)
