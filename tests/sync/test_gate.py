"""A server process serves at most SYNC_CONCURRENCY push and pull requests at once (sync/gate.py);
the others wait, and one that waits too long is told to come back (503 with Retry-After), with
nothing of its batch written; the place is given back however a request ends."""
from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import func, select

from server import create_app
from server.config import ConfigError
from sync import gate
from sync.models import SyncMutation
from tests.support.http import assert_problem


def put(mid, key, value):
    return {"id": mid, "name": "test.put", "client_time": "2026-12-07T09:14:03+08:00",
            "args": {"key": key, "value": value}}


def push(client, h, cid, muts):
    return client.post("/api/v1/sync/push", headers=h, json={"client_id": cid, "schema_version": 1, "mutations": muts})


def _waits(outcome: str) -> float:
    from prometheus_client import REGISTRY

    return REGISTRY.get_sample_value("dsr_sync_gate_wait_seconds_count", {"outcome": outcome}) or 0.0


def _free(app) -> int:
    return gate._gate(app.config["SYNC_CONCURRENCY"])._value


@pytest.mark.parametrize("size", [1, 3])
def test_at_most_the_configured_number_of_sync_requests_run_at_once(app, login, new_client_id, monkeypatch, size):
    from sync import push as push_mod

    monkeypatch.setitem(app.config, "SYNC_CONCURRENCY", size)
    real, lock, running, peak = push_mod.push, threading.Lock(), [0], [0]

    def slow_push(*a, **kw):
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        try:
            time.sleep(0.05)
            return real(*a, **kw)
        finally:
            with lock:
                running[0] -= 1

    monkeypatch.setattr(push_mod, "push", slow_push)
    h, statuses = login("scjg-insp1"), []

    def phone(n: int) -> None:
        statuses.append(push(app.test_client(), h, new_client_id(), [put(1, f"gate{size}-{n}", "合格")]).status_code)

    threads = [threading.Thread(target=phone, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert statuses == [200] * 8
    assert peak[0] == size
    assert _free(app) == size


def test_a_push_that_waits_too_long_is_told_to_retry_and_writes_nothing(app, client, login, new_client_id, dbs,
                                                                        monkeypatch):
    monkeypatch.setitem(app.config, "SYNC_GATE_TIMEOUT", 0.2)
    h, cid = login("scjg-insp1"), new_client_id()
    batch = [put(1, "busy-a", "合格"), put(2, "busy-b", "不合格")]
    place = gate._gate(app.config["SYNC_CONCURRENCY"])
    busy_before = _waits("busy")
    for _ in range(app.config["SYNC_CONCURRENCY"]):  # every place is taken by requests still running
        assert place.acquire(timeout=5)
    try:
        r = push(client, h, cid, batch)
        body = assert_problem(r, 503, "sync_busy")
        assert r.headers["Retry-After"] == "5" and body["retry_after"] == 5
        assert_problem(client.get(f"/api/v1/sync/pull?client_id={cid}", headers=h), 503, "sync_busy")
    finally:
        for _ in range(app.config["SYNC_CONCURRENCY"]):
            place.release()
    assert _waits("busy") == busy_before + 2  # what operators watch to size SYNC_CONCURRENCY (/metrics)
    with dbs() as s:
        assert s.scalar(select(func.count()).select_from(SyncMutation).where(SyncMutation.client_id == cid)) == 0
    # The phone retries the same batch: applied once.
    body = push(client, h, cid, batch).get_json()
    assert [x["status"] for x in body["results"]] == ["applied", "applied"]
    assert _free(app) == app.config["SYNC_CONCURRENCY"]


def test_the_place_is_given_back_however_the_request_ends(app, client, login, new_client_id):
    h, cid = login("scjg-insp1"), new_client_id()
    n = app.config["SYNC_CONCURRENCY"]
    assert n >= 1  # the product's default: the gate is on
    assert_problem(client.post("/api/v1/sync/push", headers=h, data=b"{not json",
                               content_type="application/json"), 400)
    assert_problem(client.post("/api/v1/sync/push", headers=h, data=b"x" * (app.config["MAX_CONTENT_LENGTH"] + 1),
                               content_type="application/json"), 413)
    assert_problem(client.post("/api/v1/sync/push", json={"client_id": cid, "schema_version": 1, "mutations": []}), 401)
    assert_problem(push(client, h, cid, [{"id": "one", "name": "test.put", "args": {}}]), 422)
    assert push(client, h, cid, [{"id": 1, "name": "test.crash", "args": {"key": "k"}}]).status_code == 200
    assert client.get(f"/api/v1/sync/pull?client_id={cid}", headers=h).status_code == 200
    assert _free(app) == n


def test_sync_concurrency_is_read_from_the_environment_and_checked(tmp_path, monkeypatch):
    def start():
        return create_app({"APP_ENV": "testing", "INSTANCE_PATH": str(tmp_path),
                           "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.sqlite3"})

    for value, expected in (("4", 4), ("0", 0)):
        monkeypatch.setenv("SYNC_CONCURRENCY", value)
        assert start().config["SYNC_CONCURRENCY"] == expected
    for bad in ("many", "-1", "5000"):
        monkeypatch.setenv("SYNC_CONCURRENCY", bad)
        with pytest.raises(ConfigError, match="SYNC_CONCURRENCY"):
            start()
