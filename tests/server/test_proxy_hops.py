"""Behind a reverse proxy: the client address comes from X-Forwarded-For only as far as the
configured proxies vouch for it (TRUSTED_PROXY_HOPS), so per-address limits work and cannot be
dodged by a forged header."""
from __future__ import annotations

import pytest

from server import create_app
from server.config import ConfigError
from tests.support.http import assert_problem

UNKNOWN = "00000000-0000-4000-8000-000000000000"
PROXY = "10.0.0.2"
URL = f"/api/v1/public/records/{UNKNOWN}/verification"


@pytest.fixture
def app_config():
    return {"TRUSTED_PROXY_HOPS": 1, "PUBLIC_VERIFY_MAX_REQUESTS": 2}


def _via_proxy(client, forwarded_for: str):
    return client.get(URL, environ_base={"REMOTE_ADDR": PROXY}, headers={"X-Forwarded-For": forwarded_for})


def test_each_client_behind_the_proxy_has_its_own_allowance(client):
    for _ in range(2):
        assert_problem(_via_proxy(client, "203.0.113.7"), 404, "record_not_found")
    assert_problem(_via_proxy(client, "203.0.113.7"), 429, "verify_throttled")
    # Another client behind the same proxy is not affected.
    assert_problem(_via_proxy(client, "203.0.113.8"), 404, "record_not_found")


def test_a_forged_forwarded_for_does_not_give_a_fresh_allowance(client):
    for _ in range(2):
        assert_problem(_via_proxy(client, "203.0.113.7"), 404, "record_not_found")
    # The client sends its own X-Forwarded-For; the proxy appends the real address after it.
    assert_problem(_via_proxy(client, "198.51.100.1, 203.0.113.7"), 429, "verify_throttled")


@pytest.mark.parametrize("value", ["abc", "-1", "9"])
def test_a_wrong_number_of_hops_refuses_to_start(tmp_path, monkeypatch, value):
    monkeypatch.setenv("TRUSTED_PROXY_HOPS", value)
    with pytest.raises(ConfigError, match="TRUSTED_PROXY_HOPS"):
        create_app({"APP_ENV": "testing", "INSTANCE_PATH": str(tmp_path),
                    "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.sqlite3"})


def test_hops_come_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("TRUSTED_PROXY_HOPS", "1")
    app = create_app({"APP_ENV": "testing", "INSTANCE_PATH": str(tmp_path),
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.sqlite3"})
    assert app.config["TRUSTED_PROXY_HOPS"] == 1
