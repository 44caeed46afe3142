import pytest

from tests.meetings.factories import Branch


@pytest.fixture
def b(db):
    """A branch of six members (members[0] 书记) with its users (tests.meetings.factories)."""
    return Branch()
