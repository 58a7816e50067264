"""Fixtures of the object directory tests."""
from __future__ import annotations

import pytest

from tests.server.registry.helpers import Registry


@pytest.fixture
def reg(client, login):
    return Registry(client, login)


@pytest.fixture
def food(reg):
    """scjg's 食品经营 and 价格 sub-libraries, sthj's 排污许可."""
    return {"food": reg.lib("food_business", "食品经营"), "price": reg.lib("price", "价格"),
            "pollution": reg.lib("pollutant_permit", "排污许可", user="sthj-admin")}
