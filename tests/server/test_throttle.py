"""Failed logins are throttled per account, per (address, username) and per address for unknown
usernames, never forever, and never an office behind one address (issue 19)."""
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


def test_address_lock_counts_unknown_usernames_only(app, client):
    limit = app.config["LOGIN_UNKNOWN_ADDRESS_MAX_FAILURES"]
    for i in range(limit):
        _attempt(client, f"nobody-{i}", "wrong", addr="203.0.113.50")
    body = assert_problem(_attempt(client, "nobody-else", "wrong", addr="203.0.113.50"), 429, "login_throttled")
    assert body["scope"] == "address"
    # A real account behind the same address is not locked out by made-up names (issue 19).
    assert _attempt(client, "sw-admin", DEMO_PASSWORD, addr="203.0.113.50").status_code == 200


def test_one_mistyping_colleague_does_not_lock_out_the_office(app, client):
    # Behind one NAT address: one person fails again and again …
    for _ in range(app.config["LOGIN_PAIR_MAX_FAILURES"]):
        _attempt(client, "sw-insp1", "wrong", addr="203.0.113.60")
    body = assert_problem(_attempt(client, "sw-insp1", DEMO_PASSWORD, addr="203.0.113.60"), 429, "login_throttled")
    assert body["scope"] == "pair"
    # … their colleagues at the same address still log in, and so does the one on a known phone.
    for other in ("sw-insp2", "sw-insp3", "sw-admin"):
        assert _attempt(client, other, DEMO_PASSWORD, device=f"{other}-desk-01", addr="203.0.113.60").status_code == 200


def test_known_device_is_exempt_from_the_pair_lock(app, client):
    Session.login(client, "sw-insp4", DEMO_PASSWORD, "own-phone-0004")
    for _ in range(app.config["LOGIN_PAIR_MAX_FAILURES"]):
        _attempt(client, "sw-insp4", "wrong", addr="203.0.113.61")
    assert _attempt(client, "sw-insp4", DEMO_PASSWORD, device="own-phone-0004", addr="203.0.113.61").status_code == 200


def test_an_account_locked_while_the_password_was_checked_refuses_even_the_right_password(app, client, dbs, monkeypatch):
    """The password is hashed outside the login's write (on SQLite it holds no writer's turn), so
    parallel guesses can pass the first check together; the write checks the throttle again, and an
    attempt that finds the account locked by then is refused whatever its password (429, not 200)."""
    from sqlalchemy import insert

    from server.accounts import service
    from server.accounts.models import LoginThrottle
    from server.extensions import db
    from server.types import utcnow

    real = service.verify_password

    def verify_while_a_parallel_attempt_locks_the_account(stored, password):
        ok = real(stored, password)
        now = utcnow()
        with db.engine.begin() as other:  # another request's write, committed during this one's check
            other.execute(insert(LoginThrottle.__table__).values(
                scope="account", key="scjg-insp2", failures=0, window_start=now, lock_count=1,
                locked_until=now + dt.timedelta(minutes=5)))
        return ok

    monkeypatch.setattr(service, "verify_password", verify_while_a_parallel_attempt_locks_the_account)
    body = assert_problem(_attempt(client, "scjg-insp2", DEMO_PASSWORD, addr="198.51.100.90"), 429, "login_throttled")
    assert body["scope"] == "account"
    with dbs() as s:  # nothing of the refused login was written
        from server.accounts.models import Device

        assert s.query(Device).filter_by(device_uid="attacker-dev-01").count() == 0
