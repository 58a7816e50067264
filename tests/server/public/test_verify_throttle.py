"""The public record verification (page and JSON) is rate limited per client address."""
from __future__ import annotations

import datetime as dt

import pytest

from server.accounts.models import LoginThrottle
from tests.server.visits.team import chinese
from tests.support.field import complete_inspection
from tests.support.http import assert_problem

LIMIT = 3
UNKNOWN = "00000000-0000-4000-8000-000000000000"


@pytest.fixture
def seed_level():
    return "field"


@pytest.fixture
def app_config():
    return {"PUBLIC_VERIFY_MAX_REQUESTS": LIMIT, "PUBLIC_VERIFY_WINDOW": dt.timedelta(minutes=1)}


def _get(client, path: str, addr: str):
    return client.get(path, environ_base={"REMOTE_ADDR": addr})


def test_verification_is_limited_per_address_with_retry_after(client, login, dbs):
    vid = complete_inspection(client, login("office"))["visit_id"]
    page, api = f"/verify/{vid}", f"/api/v1/public/records/{vid}/verification"
    # The page and its JSON share one allowance.
    for path in (page, api, page):
        assert _get(client, path, "203.0.113.7").status_code == 200
    for path in (api, page):
        r = _get(client, path, "203.0.113.7")
        body = assert_problem(r, 429, "verify_throttled")
        wait = int(r.headers["Retry-After"])
        assert 0 < wait <= 60 and body["retry_after"] == wait
        assert body["limit"] == LIMIT and body["window_seconds"] == 60
        assert chinese(body["title"]) and chinese(body["detail"])
    # Another address is not affected.
    assert _get(client, api, "203.0.113.8").get_json()["intact"] is True

    # Once the window has passed, the address gets its allowance again.
    with dbs() as s:
        row = s.get(LoginThrottle, ("public_verify", "203.0.113.7"))
        assert row.failures == LIMIT  # refused requests are not counted
        row.window_start -= dt.timedelta(minutes=1)
        s.commit()
    assert _get(client, api, "203.0.113.7").status_code == 200


def test_guessed_ids_count_too(client):
    for _ in range(LIMIT):
        assert_problem(_get(client, f"/api/v1/public/records/{UNKNOWN}/verification", "198.51.100.4"), 404,
                       "record_not_found")
    assert_problem(_get(client, f"/verify/{UNKNOWN}", "198.51.100.4"), 429, "verify_throttled")
    # Other public pages are not limited by it.
    assert _get(client, "/api/v1/public/results", "198.51.100.4").status_code == 200


def test_without_trusted_proxies_a_forwarded_for_header_is_ignored(client):
    # TRUSTED_PROXY_HOPS is 0 by default: a client cannot pick its address with a header.
    for n in range(LIMIT):
        r = client.get(f"/api/v1/public/records/{UNKNOWN}/verification", environ_base={"REMOTE_ADDR": "198.51.100.9"},
                       headers={"X-Forwarded-For": f"203.0.113.{n}"})
        assert_problem(r, 404, "record_not_found")
    assert_problem(client.get(f"/verify/{UNKNOWN}", environ_base={"REMOTE_ADDR": "198.51.100.9"},
                              headers={"X-Forwarded-For": "203.0.113.99"}), 429, "verify_throttled")
