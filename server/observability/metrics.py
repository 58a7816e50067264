"""Prometheus metrics of the whole deployment (prometheus_client).

Every process reports here; a feature never defines its own metrics. Under gunicorn (several
worker processes) set PROMETHEUS_MULTIPROC_DIR to an empty directory shared by the app's
processes and the delivery worker: each process then writes its values to files there and
`/metrics` adds them up (deploy/gunicorn.conf.py removes a dead process's live gauges).
Without it, values are per process (development, tests).

Names are fixed and labels are bounded (route templates, never paths or ids), so the series
count does not grow with use.
"""
from __future__ import annotations

import os
import time

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

from .. import dbsetup

_FAST = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
_SLOW = (0.1, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0)

REQUEST_SECONDS = Histogram("dsr_http_request_duration_seconds", "HTTP request latency by route template",
                            ["method", "route", "status"], buckets=_FAST)
SYNC_SECONDS = Histogram("dsr_sync_duration_seconds", "Sync push/pull latency", ["op"], buckets=_FAST)
# How long push and pull requests waited for a place in their process (sync/gate.py, SYNC_CONCURRENCY);
# `outcome` is "served" or "busy" (the 503 after SYNC_GATE_TIMEOUT).
SYNC_GATE_WAIT = Histogram("dsr_sync_gate_wait_seconds", "Seconds sync requests waited for a place in their process",
                           ["outcome"], buckets=_FAST)
SYNC_MUTATIONS = Counter("dsr_sync_mutations_total", "Pushed mutations by result", ["result"])
TUS_BYTES = Counter("dsr_tus_bytes_total", "Evidence bytes received through tus PATCH requests")
UPLOADS_COMPLETED = Counter("dsr_uploads_completed_total", "Uploads completed", ["kind"])
WEBHOOK_FAILURES = Counter("dsr_webhook_failures_total", "Webhook attempts that did not succeed", ["reason"])
WEBHOOK_DELIVERED = Counter("dsr_webhook_delivered_total", "Webhook messages delivered")
DRAW_SECONDS = Histogram("dsr_draw_duration_seconds", "Duration of a draw (reveal) run", ["step"], buckets=_SLOW)
WORKER_HEARTBEAT = Gauge("dsr_worker_heartbeat_timestamp_seconds",
                         "Unix time of the delivery worker's last loop (alive when recent)",
                         multiprocess_mode="max")
WORKER_JOBS = Counter("dsr_worker_jobs_total", "Worker jobs run", ["job", "outcome"])
# SQLite allows one writer: how long write transactions waited for that turn and held it. Held
# seconds growing as fast as the clock means the writer is saturated (more threads will not help;
# PostgreSQL will).
SQLITE_WRITES = Counter("dsr_sqlite_write_transactions_total", "SQLite write transactions (BEGIN IMMEDIATE)")
SQLITE_WRITER_WAIT = Counter("dsr_sqlite_writer_wait_seconds_total", "Seconds SQLite writers waited for the writer's turn")
SQLITE_WRITER_HELD = Counter("dsr_sqlite_writer_held_seconds_total", "Seconds SQLite writers held the writer's turn")

SYNC_RESULTS = ("applied", "rejected", "duplicate")


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


def observe_request(method: str, route: str, status: int, seconds: float) -> None:
    REQUEST_SECONDS.labels(method, route, str(status)).observe(seconds)


def observe_sync(op: str, seconds: float, results: list[dict] | None = None) -> None:
    SYNC_SECONDS.labels(op).observe(seconds)
    for r in results or ():
        if r.get("status") in SYNC_RESULTS:
            SYNC_MUTATIONS.labels(r["status"]).inc()


def sync_gate_wait(seconds: float, served: bool) -> None:
    SYNC_GATE_WAIT.labels("served" if served else "busy").observe(seconds)


def sqlite_write(waited: float, held: float) -> None:
    SQLITE_WRITES.inc()
    SQLITE_WRITER_WAIT.inc(waited)
    SQLITE_WRITER_HELD.inc(held)


if sqlite_write not in dbsetup.WRITE_OBSERVERS:
    dbsetup.WRITE_OBSERVERS.append(sqlite_write)


def tus_received(nbytes: int) -> None:
    if nbytes > 0:
        TUS_BYTES.inc(nbytes)


def upload_completed(kind: str | None) -> None:
    UPLOADS_COMPLETED.labels(kind or "unknown").inc()


def webhook_result(ok: bool, status_code: int | None) -> None:
    if ok:
        WEBHOOK_DELIVERED.inc()
    else:
        WEBHOOK_FAILURES.labels(str(status_code) if status_code else "no_response").inc()


def worker_alive(now: float | None = None) -> None:
    WORKER_HEARTBEAT.set(now if now is not None else time.time())


def worker_job(job: str, ok: bool) -> None:
    WORKER_JOBS.labels(job, "ok" if ok else "failed").inc()


class timed:
    """`with timed(DRAW_SECONDS, "reveal"):` observes the block's duration (also when it raises)."""

    def __init__(self, histogram: Histogram, *labels: str) -> None:
        self.metric = histogram.labels(*labels) if labels else histogram

    def __enter__(self):
        self.t0 = time.perf_counter()
        return self

    def __exit__(self, *exc) -> None:
        self.metric.observe(time.perf_counter() - self.t0)


def exposition(extra_collectors=()) -> tuple[bytes, str]:
    """The text exposition of this deployment (all processes in multiprocess mode)."""
    if multiprocess_dir():
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    body = generate_latest(registry)
    extra = CollectorRegistry()
    for collector in extra_collectors:
        extra.register(collector)
    return body + generate_latest(extra), CONTENT_TYPE_LATEST


def mark_process_dead(pid: int) -> None:
    """gunicorn's child_exit hook: drop a dead process's live gauges."""
    if multiprocess_dir():
        multiprocess.mark_process_dead(pid)
