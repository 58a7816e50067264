"""How many sync requests one server process serves at once (`SYNC_CONCURRENCY`, issue 20).

A push is CPU work in Python, and most of it runs inside the database's write transaction (on
SQLite, inside the one writer's turn for the whole server). In a threaded worker, every thread
running Python at the same time shares the process's one interpreter lock with the thread that
holds the writer's turn, and stretches its hold: under the sync load bench, 2 workers x 8 threads
held SQLite's turn 7-9 ms per push against 4.2-4.4 ms one push at a time, and served fewer
mutations a second than 3 single-threaded workers.

So a worker serves at most `SYNC_CONCURRENCY` push and pull requests at a time; the rest wait
here, holding no database connection and no interpreter time, in arrival order as far as the
operating system's lock allows. With one place per worker the same bench held the turn 4.3-6.0 ms
per push and served 605-826 mutations/s against 477-622 without the gate, and PostgreSQL's push
p99 fell from 0.8 to 0.5-0.6 s (docs/sync-performance.md). The other requests of the same worker
(uploads that wait on a slow phone's network, evidence files, the back office) keep their
threads: this is why the gate is per feature and not a single-threaded worker.

The request body is read before the gate (the parser would read it inside): a phone on a slow
network sending its batch holds no place. A request that waits longer than `SYNC_GATE_TIMEOUT`
seconds gets 503 with Retry-After; the phone retries the same batch (a push is idempotent by
mutation id). `SYNC_CONCURRENCY` = 0 turns the gate off.
"""
from __future__ import annotations

import threading
import time

from flask import current_app, g, request

from server.errors import Unavailable
from server.observability import metrics

_gates: dict[int, threading.BoundedSemaphore] = {}
_made = threading.Lock()
_HELD = "_sync_gate"


def _gate(size: int) -> threading.BoundedSemaphore:
    gate = _gates.get(size)
    if gate is None:
        with _made:
            gate = _gates.setdefault(size, threading.BoundedSemaphore(size))
    return gate


def enter() -> None:
    """Before a sync request: read its body, then wait for a place (or 503 after the timeout)."""
    size = current_app.config["SYNC_CONCURRENCY"]
    if not size or g.get(_HELD) is not None:
        return
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    if request.content_length is not None and (limit is None or request.content_length <= limit):
        request.get_data(cache=True)  # (a body over the limit is refused by the parser, as before)
    gate, t0 = _gate(size), time.perf_counter()
    served = gate.acquire(timeout=current_app.config["SYNC_GATE_TIMEOUT"])
    metrics.sync_gate_wait(time.perf_counter() - t0, served)
    if not served:
        raise Unavailable("服务器正忙，请稍后自动重试。", code="sync_busy", headers={"Retry-After": "5"},
                          extra={"retry_after": 5})
    g.setdefault(_HELD, gate)


def leave(_exc: BaseException | None = None) -> None:
    """At the end of the request, however it ended: give the place back."""
    gate = g.pop(_HELD, None)
    if gate is not None:
        gate.release()


def install(blueprint) -> None:
    blueprint.before_request(enter)
    blueprint.teardown_request(leave)
