"""Benchmark of the delivery outbox and worker (prints figures only).

    .venv/bin/python bench/delivery.py [--messages 300] [--runs 5] [--backlog 50000]
                                       [--pg postgresql://postgres@127.0.0.1:5432/postgres]

On SQLite (a temporary file) and, with --pg, on a PostgreSQL database it creates and drops
(`dsr_delivery_bench_<pid>`):
- enqueue: one message per committed transaction, as a lead creation would do it;
- delivery to a loopback receiver answering 204: messages per second for one worker, and on
  PostgreSQL for two concurrent workers, interleaved run by run, medians of --runs;
- the claim query with a backlog of --backlog delivered messages next to 1,000 pending ones.
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


class _Quiet(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(204)
        self.end_headers()


def make_app(url: str, instance: str):
    from flask_migrate import upgrade

    from server import create_app
    from server.demo import accounts
    from server.demo.names import NameMaker
    from server.extensions import db

    app = create_app({"APP_ENV": "testing", "INSTANCE_PATH": instance, "SQLALCHEMY_DATABASE_URI": url,
                      "SECRET_KEY": "bench-secret-key-0123456789abcdef-0123", "DEMO_PASSWORD": "bench-pass-1"})
    with app.app_context():
        upgrade()
        from server.audit.service import set_system_actor
        set_system_actor("bench")
        accounts.load({"password": "bench-pass-1", "names": NameMaker()})
        db.session.commit()
        db.session.remove()
    return app


def dept_ids(app):
    from sqlalchemy import select

    from server.accounts.models import Department
    from server.extensions import db

    with app.app_context():
        ids = {c: i for c, i in db.session.execute(select(Department.code, Department.id))}
        db.session.remove()
    return ids


def enqueue_many(app, n: int, to: int, sender: int) -> float:
    from server.extensions import db
    from server.delivery import outbox

    with app.app_context():
        start = time.perf_counter()
        for i in range(n):
            outbox.enqueue(db.session, to, "bench.created", "bench", f"b{i}", sender_department_id=sender)
            db.session.commit()
        elapsed = time.perf_counter() - start
        db.session.remove()
    return elapsed


def deliver(app, workers: int, batch: int = 10) -> tuple[float, int]:
    from server.delivery.worker import Worker

    ws = [Worker(app, batch=batch, poll_interval=0) for _ in range(workers)]
    threads = [threading.Thread(target=w.run, kwargs={"once": True}) for w in ws]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    total = sum(w.stats["delivered"] for w in ws)
    return elapsed, total


def claim_cost(app, backlog: int, dept: int) -> float:
    """Median seconds per claim with `backlog` delivered rows and 1,000 pending ones."""
    from sqlalchemy import insert

    from server.extensions import db
    from server.delivery.models import OutboxMessage
    from server.delivery.outbox import new_message_id
    from server.delivery.worker import Worker
    from server.types import utcnow

    now = utcnow()
    with app.app_context():
        rows = []
        for i in range(backlog + 1000):
            pending = i >= backlog
            rows.append({"id": new_message_id(now), "department_id": dept,
                         "sender_department_id": None, "event_type": "bench.created", "subject_type": "bench",
                         "subject_id": str(i), "body": "{}", "status": "pending" if pending else "delivered",
                         "attempts": 0 if pending else 1, "round_base": 0,
                         "next_attempt_at": now - dt.timedelta(seconds=1) if pending else None,
                         "created_at": now, "delivered_at": None if pending else now})
        db.session.execute(insert(OutboxMessage).execution_options(render_nulls=True), rows)
        db.session.commit()
        w = Worker(app, batch=10, poll_interval=0)
        times = []
        for _ in range(50):
            start = time.perf_counter()
            ids = w.claim()
            times.append(time.perf_counter() - start)
            w.release(ids)
        db.session.remove()
    return statistics.median(times)


def bench_backend(label: str, url: str, args, instance: str) -> None:
    app = make_app(url, instance)
    ids = dept_ids(app)
    from server.delivery import endpoints
    from server.extensions import db

    server = ThreadingHTTPServer(("127.0.0.1", 0), _Quiet)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    with app.app_context():
        endpoints.create_endpoint(ids["sthj"], f"http://127.0.0.1:{server.server_address[1]}/hook")
        db.session.commit()
        db.session.remove()

    n = args.messages
    elapsed = enqueue_many(app, n, ids["sthj"], ids["scjg"])
    print(f"[{label}] enqueue, one transaction each: {n / elapsed:,.0f} messages/s ({elapsed / n * 1000:.2f} ms each)")

    variants = [1, 2] if label == "postgresql" else [1]
    rates: dict[int, list[float]] = {v: [] for v in variants}
    deliver(app, 1)  # drain what the enqueue figure left
    for _ in range(args.runs):
        for v in variants:
            enqueue_many(app, n, ids["sthj"], ids["scjg"])
            elapsed, total = deliver(app, v)
            assert total == n, (total, n)
            rates[v].append(total / elapsed)
    for v in variants:
        print(f"[{label}] delivery to loopback, {v} worker{'s' if v > 1 else ''}: median {statistics.median(rates[v]):,.0f}"
              f" messages/s over {args.runs} runs (min {min(rates[v]):,.0f}, max {max(rates[v]):,.0f})")
    per_claim = claim_cost(app, args.backlog, ids["wsjk"])
    print(f"[{label}] claim of 10 with {args.backlog:,} delivered + 1,000 pending rows: median {per_claim * 1000:.2f} ms")
    server.shutdown()
    with app.app_context():
        db.engine.dispose()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=300)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--backlog", type=int, default=50000)
    parser.add_argument("--pg", default=os.environ.get("BENCH_PG_URL"))
    args = parser.parse_args()
    print(f"cpu count {os.cpu_count()}, python {sys.version.split()[0]}")
    with tempfile.TemporaryDirectory() as tmp:
        bench_backend("sqlite", f"sqlite:///{tmp}/bench.sqlite3", args, tmp)
        if args.pg:
            from tests.support import pg

            name = f"dsr_delivery_bench_{os.getpid()}"
            pg.recreate(args.pg, name)
            try:
                bench_backend("postgresql", pg.url_for(args.pg, name), args, tmp)
            finally:
                pg.drop(args.pg, name)


if __name__ == "__main__":
    main()
