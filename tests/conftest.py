import pytest
from django.conf import settings
from django.utils import translation

from tests.factories import District


@pytest.fixture(autouse=True)
def default_language():
    """Every test starts in the site's language (Chinese): a request handled by an earlier
    test leaves its language active in the thread, which made results depend on order."""
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def empty_cache():
    """Rate-limit counters (core.ratelimit) live in the cache: each test starts with none."""
    from django.core.cache import caches

    caches["default"].clear()
    yield


@pytest.fixture
def district(db):
    return District()
