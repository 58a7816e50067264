"""Failed logins are throttled per account and address, never forever."""
from __future__ import annotations

import datetime as dt

from tests.conftest import DEMO_PASSWORD
from tests.support.http import Session, assert_problem


def _attempt(client, username, password, device="attacker-dev-01", addr="203.0.113.9"):
    return client.post("/api/v1/auth/login", json={"username": username, "password": password,
                                                    "device_id": device, "device_name": "x"},
                       environ_base={"REMOTE_ADDR": addr})


def test_account_lock_after_failures_but_known_device_still_logs_in(app, client, dbs):
    # The real user has logged in from their phone before.
    Session.login(client, "scjg-insp1", DEMO_PASSWORD, "real-phone-0001")
    limit = app.config["LOGIN_ACCOUNT_MAX_FAILURES"]
    for i in range(limit):
        assert_problem(_attempt(client, "scjg-insp1", "wrong-guess", addr=f"198.51.100.{i}"), 401, "invalid_credentials")
    # Locked for unknown devices, even with the right password …
    r = _attempt(client, "scjg-insp1", DEMO_PASSWORD, addr="198.51.100.77")
    body = assert_problem(r, 429, "login_throttled")
    assert int(r.headers["Retry-After"]) > 0 and body["scope"] == "account"
    # … but the user's own phone is not locked out.
    r = _attempt(client, "scjg-insp1", DEMO_PASSWORD, device="real-phone-0001", addr="198.51.100.78")
    assert r.status_code == 200

    # The lock expires by itself: the cap bounds how long anyone can be kept out.
    from server.accounts.models import LoginThrottle

    with dbs() as s:
        row = s.get(LoginThrottle, ("account", "scjg-insp1"))
        assert row is None  # the successful login cleared it


def test_lock_is_capped_and_expires(app, client, dbs):
    from server.accounts.models import LoginThrottle

    limit = app.config["LOGIN_ACCOUNT_MAX_FAILURES"]
    for _round in range(8):
        for i in range(limit):
            _attempt(client, "wl-insp1", "wrong", addr=f"192.0.2.{i + 10 * _round % 200}")
        with dbs() as s:
            row = s.get(LoginThrottle, ("account", "wl-insp1"))
            lock = row.locked_until - row.window_start
            assert lock <= app.config["LOGIN_LOCK_MAX"]
            # Let the lock lapse so the next round is counted.
            row.locked_until = row.locked_until - dt.timedelta(days=1)
            row.window_start = row.window_start - dt.timedelta(hours=1)
            s.commit()
    assert lock == app.config["LOGIN_LOCK_MAX"]
    assert _attempt(client, "wl-insp1", DEMO_PASSWORD, addr="192.0.2.250").status_code == 200


def test_address_lock(app, client):
    limit = app.config["LOGIN_ADDRESS_MAX_FAILURES"]
    users = [f"sw-insp{i % 6 + 1}" for i in range(limit)]
    for u in users:
        _attempt(client, u, "wrong", addr="203.0.113.50")
    r = _attempt(client, "sw-admin", DEMO_PASSWORD, addr="203.0.113.50")
    body = assert_problem(r, 429, "login_throttled")
    assert body["scope"] == "address"
    assert _attempt(client, "sw-admin", DEMO_PASSWORD, addr="203.0.113.51").status_code == 200
