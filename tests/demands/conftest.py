import pytest

from tests.demands.factories import Setup


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def setup(district):
    return Setup(district)


@pytest.fixture
def official_calendar(db):
    """The State Council's arrangements for 2025 and 2026 (from the chinese-calendar package)
    in the calendar tables; 2027 stays unloaded (weekends only)."""
    from tongxin.core import calendar

    calendar.seed_from_package([2025, 2026])
