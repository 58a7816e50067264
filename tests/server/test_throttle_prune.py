"""Throttle rows that are over (quiet past the forget period, not locked) are deleted; the rest stay."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from server.accounts import throttle
from server.accounts.models import LoginThrottle
from server.delivery.worker import Worker
from server.types import utcnow
from tests.conftest import DEMO_PASSWORD
from tests.server.test_throttle import _attempt
from tests.support.http import assert_problem

HOUR = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)


def _put(dbs, *rows) -> None:
    """rows: (scope, key, window_start, locked_until, lock_count)."""
    with dbs() as s:
        for scope, key, start, locked, lock_count in rows:
            s.add(LoginThrottle(scope=scope, key=key, failures=3, window_start=start, locked_until=locked,
                                lock_count=lock_count))
        s.commit()


def _keys(dbs) -> set[tuple[str, str]]:
    with dbs() as s:
        return {tuple(r) for r in s.execute(select(LoginThrottle.scope, LoginThrottle.key))}


def _mixed_rows(now: dt.datetime):
    """Rows to delete (stale: past the forget period and no lock in force) and rows to keep."""
    stale = [("address", "198.51.100.1", now - DAY - HOUR, None, 0),
             ("account", "gone-quiet", now - 3 * DAY, now - 2 * DAY, 2),  # its lock ended long ago
             ("public_verify", "198.51.100.2", now - 2 * DAY, None, 0)]
    keep = [("address", "198.51.100.3", now - HOUR, None, 0),  # recent window
            ("account", "still-locked", now - 2 * DAY, now + DAY, 9),  # old window, lock in force
            ("public_verify", "198.51.100.4", now - dt.timedelta(minutes=5), None, 0)]
    return stale, keep


def test_prune_deletes_only_rows_that_are_over(app, dbs, runner):
    now = utcnow()
    stale, keep = _mixed_rows(now)
    _put(dbs, *stale, *keep)
    res = runner.invoke(args=["users", "prune-throttle"])
    assert res.exit_code == 0 and "throttle rows deleted: 3" in res.output, res.output
    assert _keys(dbs) == {(scope, key) for scope, key, *_ in keep}
    res = runner.invoke(args=["users", "prune-throttle"])
    assert "throttle rows deleted: 0" in res.output, res.output


def test_prune_works_in_batches_and_stops_when_told(app, dbs):
    now = utcnow()
    _put(dbs, *[("address", f"203.0.113.{i}", now - 2 * DAY, None, 0) for i in range(7)])
    with app.app_context():
        assert throttle.prune(now, batch=3, should_stop=lambda: True) == 0
        assert throttle.prune(now, batch=3) == 7
    assert _keys(dbs) == set()


@pytest.mark.parametrize("app_config", [{"PUBLIC_VERIFY_WINDOW": 3 * DAY}])
def test_a_counting_window_longer_than_a_day_is_not_cut_short(app, dbs):
    now = utcnow()
    _put(dbs, ("public_verify", "198.51.100.9", now - 2 * DAY, None, 0),
         ("address", "198.51.100.9", now - 4 * DAY, None, 0))
    with app.app_context():
        assert throttle.forget_period() == 3 * DAY
        assert throttle.prune(now) == 1
    assert _keys(dbs) == {("public_verify", "198.51.100.9")}


def test_login_lockout_still_works_around_a_prune(app, client, dbs):
    limit = app.config["LOGIN_ACCOUNT_MAX_FAILURES"]
    for i in range(limit):
        assert_problem(_attempt(client, "scjg-insp2", "wrong", addr=f"198.51.100.{i}"), 401, "invalid_credentials")
    with app.app_context():
        assert throttle.prune() == 0  # the lock in force (and the fresh address rows) are kept
    assert_problem(_attempt(client, "scjg-insp2", DEMO_PASSWORD, addr="198.51.100.77"), 429, "login_throttled")

    # A day and more later the lock is long over: the row goes, and counting starts afresh.
    with dbs() as s:
        row = s.get(LoginThrottle, ("account", "scjg-insp2"))
        assert row.lock_count == 1
        row.window_start -= 2 * DAY
        row.locked_until -= 2 * DAY
        s.commit()
    with app.app_context():
        assert throttle.prune() == 1
    assert ("account", "scjg-insp2") not in _keys(dbs)
    for i in range(limit - 1):
        assert_problem(_attempt(client, "scjg-insp2", "wrong", addr=f"198.51.100.{i}"), 401, "invalid_credentials")
    assert_problem(_attempt(client, "scjg-insp2", "wrong", addr="198.51.100.99"), 401, "invalid_credentials")
    r = _attempt(client, "scjg-insp2", DEMO_PASSWORD, addr="198.51.100.78")
    body = assert_problem(r, 429, "login_throttled")
    assert body["scope"] == "account"
    with dbs() as s:
        row = s.get(LoginThrottle, ("account", "scjg-insp2"))
        assert row.lock_count == 1 and row.locked_until - row.window_start == app.config["LOGIN_LOCK_BASE"]


def test_worker_prunes_at_start_then_once_per_interval_even_without_reminders(app, dbs):
    now = [utcnow()]
    stale, keep = _mixed_rows(now[0])
    _put(dbs, *stale, *keep)
    worker = Worker(app, poll_interval=0, clock=lambda: now[0],
                    every={"lead_reminders": dt.timedelta(0), "throttle_prune": HOUR})
    assert worker.run(once=True)["throttle_pruned"] == 3
    assert _keys(dbs) == {(scope, key) for scope, key, *_ in keep}

    # Within the interval the pass does not run again; after it, it does.
    _put(dbs, ("address", "192.0.2.1", now[0] - 2 * DAY, None, 0))
    worker.run(once=True)
    assert ("address", "192.0.2.1") in _keys(dbs) and worker.stats["throttle_pruned"] == 3
    now[0] += HOUR
    worker.run(once=True)
    assert ("address", "192.0.2.1") not in _keys(dbs) and worker.stats["throttle_pruned"] == 4

    # A zero interval: no pass at all.
    _put(dbs, ("address", "192.0.2.2", now[0] - 2 * DAY, None, 0))
    never = {"lead_reminders": dt.timedelta(0), "throttle_prune": dt.timedelta(0)}
    assert Worker(app, poll_interval=0, every=never).run(once=True)["throttle_pruned"] == 0
    assert ("address", "192.0.2.2") in _keys(dbs)
