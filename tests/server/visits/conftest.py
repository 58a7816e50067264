import pytest


@pytest.fixture
def seed_level():
    return "field"
