import pytest

from tests.factories import District


@pytest.fixture
def district(db):
    return District()
