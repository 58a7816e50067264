"""Benchmark of backup/verify/restore and of the per-request cost of metrics and JSON logs.

    .venv/bin/python bench/ops.py [--media-mb 50] [--requests 2000] [--runs 5] [--no-pg]

Prints figures only. On SQLite (a temporary file) and PostgreSQL (BENCH_PG_URL; throwaway
databases named BENCH_DB_PREFIX…, dropped afterwards) with the "field" demo data and
--media-mb MiB of evidence files (1 MiB each):
- `backup create`, `backup verify`, `backup restore` into a fresh empty database: seconds;
- GET /healthz through the app with and without the observability hooks (request metric and one
  JSON log line, formatted and written to /dev/null), interleaved run by run: the difference of
  the medians is the cost per request.
The machine may be shared and loaded: compare figures taken at the same time only.
"""
from __future__ import annotations

import argparse
import logging
import os
import shutil
import statistics
import tempfile
import time
import uuid
from pathlib import Path

from _setup import DB_PREFIX, FIELD_STEPS, PG_ADMIN, _admin, bench_app, make_app


def fill_media(app, mib: int) -> None:
    from media.store import originals

    with app.app_context():
        store = originals()
        for _ in range(mib):
            store.put_bytes(os.urandom(1 << 20))


def backup_round(backend: str, mib: int) -> dict:
    from server.extensions import db
    from server.ops import backup

    out: dict = {}
    with bench_app(backend, FIELD_STEPS, tag="ops") as (app, _url):
        fill_media(app, mib)
        target = Path(tempfile.mkdtemp(prefix="dsr-bench-backup-")) / "b"
        with app.app_context():
            t0 = time.perf_counter()
            manifest = backup.create(target)
            out["create"] = time.perf_counter() - t0
            db.session.remove()
            t0 = time.perf_counter()
            assert backup.verify(target).ok
            out["verify"] = time.perf_counter() - t0
        out["size_mb"] = sum(p["size"] for p in manifest["parts"]) / 1e6
        workdir = Path(tempfile.mkdtemp(prefix="dsr-bench-restore-"))
        dbname = None
        if backend == "sqlite":
            url = f"sqlite:///{workdir / 'restored.sqlite3'}"
        else:
            dbname = f"{DB_PREFIX}restore{uuid.uuid4().hex[:8]}"
            with _admin(PG_ADMIN) as conn:
                conn.execute(f'CREATE DATABASE "{dbname}"')
            url = PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1) + f"/{dbname}"
        fresh = make_app(url, workdir)
        try:
            with fresh.app_context():
                t0 = time.perf_counter()
                backup.restore(target)
                out["restore"] = time.perf_counter() - t0
                db.session.remove()
                db.engine.dispose()
        finally:
            if dbname:
                with _admin(PG_ADMIN) as conn:
                    conn.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
            shutil.rmtree(target.parent, ignore_errors=True)
            shutil.rmtree(workdir, ignore_errors=True)
    return out


def request_overhead(n: int, runs: int) -> tuple[float, float]:
    from server.observability.logs import JsonFormatter

    with bench_app("sqlite", set()) as (app, _url):
        handler = logging.StreamHandler(open(os.devnull, "w"))
        handler.setFormatter(JsonFormatter())
        logging.getLogger().addHandler(handler)
        logging.getLogger().setLevel(logging.INFO)
        plain = make_app(app.config["SQLALCHEMY_DATABASE_URI"], Path(app.instance_path))
        for funcs in (plain.before_request_funcs, plain.after_request_funcs):
            for key, fs in funcs.items():
                funcs[key] = [f for f in fs if f.__module__ != "server.observability.logs"]
        with_hooks, without = [], []
        for _ in range(runs):
            for target, sink in ((app, with_hooks), (plain, without)):
                client = target.test_client()
                client.get("/healthz")
                t0 = time.perf_counter()
                for _ in range(n):
                    client.get("/healthz")
                sink.append((time.perf_counter() - t0) / n)
        logging.getLogger().removeHandler(handler)
    return statistics.median(with_hooks), statistics.median(without)


def hook_parts(n: int = 20000) -> tuple[float, float]:
    """The two things the hook does, alone: one histogram observation, one JSON line to /dev/null."""
    from server.observability import metrics
    from server.observability.logs import REQUEST_LOGGER, JsonFormatter

    t0 = time.perf_counter()
    for _ in range(n):
        metrics.observe_request("GET", "/bench", 200, 0.001)
    observe = (time.perf_counter() - t0) / n
    log = logging.getLogger(REQUEST_LOGGER + ".bench")
    handler = logging.StreamHandler(open(os.devnull, "w"))
    handler.setFormatter(JsonFormatter())
    log.addHandler(handler)
    log.propagate, log.level = False, logging.INFO
    t0 = time.perf_counter()
    for _ in range(n):
        log.info("%s %s %s", "GET", "/bench", 200, extra={"request_id": "r", "user_id": 1, "method": "GET",
                                                          "route": "/bench", "status": 200, "duration_ms": 1.0})
    return observe, (time.perf_counter() - t0) / n


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--media-mb", type=int, default=50)
    ap.add_argument("--requests", type=int, default=2000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--no-pg", action="store_true")
    args = ap.parse_args()
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} (shared: figures are indicative)")
    for backend in ["sqlite"] + ([] if args.no_pg else ["postgresql"]):
        r = backup_round(backend, args.media_mb)
        print(f"{backend:10s} backup {r['size_mb']:.1f} MB: create {r['create']:.2f} s, verify {r['verify']:.2f} s, "
              f"restore {r['restore']:.2f} s")
    hooked, plain = request_overhead(args.requests, args.runs)
    print(f"GET /healthz: {hooked * 1e6:.0f} µs with metrics + JSON log line, {plain * 1e6:.0f} µs without "
          f"→ {(hooked - plain) * 1e6:.0f} µs per request (median of {args.runs} interleaved runs of {args.requests})")
    observe, line = hook_parts()
    print(f"alone: one latency observation {observe * 1e6:.1f} µs, one JSON log line {line * 1e6:.1f} µs")


if __name__ == "__main__":
    main()
