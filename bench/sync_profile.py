"""Where a push spends its time: queries and CPU per mutation, and a cProfile of the server side.

Usage:  .venv/bin/python bench/sync_profile.py [--phones 20] [--pg postgresql://postgres@127.0.0.1:5432/postgres]
                                               [--top 25] [--out sync.prof]

The same phones and days as bench/sync_load.py (same seed, the same ~43 mutations each,
faults injected), but in one process, one phone after another, through the Flask test
client: no network, no concurrency, so the figures do not depend on how busy the machine
is. Reported, per push and per distinct mutation:

  * SQL statements (an SQLAlchemy `before_cursor_execute` listener), by kind and table;
  * CPU seconds of this process (`time.process_time`, client side included; on PostgreSQL
    the server's backend CPU is read from /proc as well when it runs on this machine);
  * the functions that take the time (cProfile, cumulative), for pushes and pulls.

Findings are written down in docs/sync-performance.md.
"""
from __future__ import annotations

import argparse
import cProfile
import pstats
import re
import sys
import threading
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import sync_load  # noqa: E402
from _setup import FIELD_STEPS, PASSWORD, bench_app  # noqa: E402


class Recorder:
    """Counts statements per request path while a request is being served."""

    def __init__(self):
        self.local = threading.local()  # the duplicate-send fault sends from a second thread
        self.by_path: Counter = Counter()
        self.kinds: Counter = Counter()
        self.requests: Counter = Counter()
        self.cpu: Counter = Counter()  # CPU seconds of the serving thread, per request kind

    def on_execute(self, conn, cursor, statement, parameters, context, executemany):
        path = getattr(self.local, "path", None)
        if path is None:
            return
        self.by_path[path] += 1
        self.kinds[(path, _kind(statement))] += 1


def _kind(sql: str) -> str:
    s = " ".join(sql.split())
    m = re.match(r"(SELECT|INSERT INTO|UPDATE|DELETE FROM|SAVEPOINT|RELEASE SAVEPOINT|ROLLBACK TO SAVEPOINT|BEGIN\w*)\s*(\S*)",
                 s, re.I)
    if not m:
        return s[:40]
    verb, rest = m.group(1).upper(), m.group(2)
    if verb.startswith(("SAVEPOINT", "RELEASE", "ROLLBACK")):
        return verb
    if verb == "SELECT":
        t = re.search(r"\bFROM\s+(\w+)", s, re.I)
        return f"SELECT {t.group(1) if t else ''}"
    return f"{verb} {rest.strip('(')}"


class TestConn:
    """sync_load.Conn over the Flask test client (one request at a time)."""

    app = None
    recorder: Recorder | None = None

    def __init__(self, port=None):
        self.c = self.app.test_client()

    def close(self):  # sync_load closes the second connection of a duplicate send
        pass

    def request(self, method, path, body=None, headers=None):
        rec = self.recorder
        kind = "push" if "/sync/push" in path else "pull" if "/sync/pull" in path else "other"
        rec.local.path = kind
        rec.requests[kind] += 1
        t0 = time.thread_time()
        try:
            r = self.c.open(path, method=method, json=body, headers=headers or {})
        finally:
            rec.local.path = None
            rec.cpu[kind] += time.thread_time() - t0
        return r.status_code, r.get_json(silent=True)


def _writer_turn() -> dict[str, float]:
    """SQLite write transactions and the seconds they held the writer's turn (server/dbsetup.py), so far."""
    from prometheus_client import REGISTRY

    return {"writes": REGISTRY.get_sample_value("dsr_sqlite_write_transactions_total") or 0.0,
            "held": REGISTRY.get_sample_value("dsr_sqlite_writer_held_seconds_total") or 0.0}


def _pg_backend_cpu(app) -> float:
    """CPU seconds of this database's PostgreSQL backends, when they run on this machine."""
    from sqlalchemy import text

    from server.extensions import db

    total = 0.0
    with app.app_context():
        pids = db.session.execute(text("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")).scalars().all()
        db.session.rollback()
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / 100  # utime, stime in clock ticks
        except (OSError, IndexError, ValueError):
            pass
    return total


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--phones", type=int, default=20)
    ap.add_argument("--pg", help="PostgreSQL admin URL (a throwaway database is created and dropped)")
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--top", type=int, default=25, help="functions listed from the profile")
    ap.add_argument("--out", help="write the cProfile stats here (for snakeviz, gprof2dot, pstats)")
    args = ap.parse_args()

    from sqlalchemy import event

    from server.extensions import db

    with bench_app("postgresql" if args.pg else "sqlite", FIELD_STEPS, pg_admin=args.pg, tag="prof_") as (app, url):
        specs = sync_load.seed(app, args.phones)
        rec = Recorder()
        TestConn.app, TestConn.recorder = app, rec
        sync_load.Conn = TestConn
        with app.app_context():
            event.listen(db.engine, "before_cursor_execute", rec.on_execute)
        import random

        rng = random.Random(args.seed)
        phones = [sync_load.Phone(s, None, random.Random(rng.random())) for s in specs]
        c = TestConn()
        for ph in phones:
            status, body = c.request("POST", "/api/v1/auth/login", {
                "username": ph.spec["username"], "password": PASSWORD, "device_id": f"bench-{ph.client_id[:12]}",
                "device_name": "压测手机"})
            assert status == 200, body
            ph.token = body["access_token"]
        rec.by_path.clear()
        rec.requests.clear()
        rec.cpu.clear()
        stats = sync_load.Stats()
        pulled = {}
        prof = cProfile.Profile()
        writer0 = _writer_turn()
        cpu0, wall0 = time.process_time(), time.perf_counter()
        pg0 = _pg_backend_cpu(app) if args.pg else 0.0
        prof.enable()
        for ph in phones:
            sync_load._local.conn = None
            pulled[ph.client_id] = sync_load.day(0, ph, stats)
        prof.disable()
        cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
        writer = {k: v - writer0[k] for k, v in _writer_turn().items()}
        pg_cpu = (_pg_backend_cpu(app) - pg0) if args.pg else 0.0
        ev = stats.events
        n_mut = sum(len(p.outbox) for p in phones)
        processed = ev["applied"] + ev["duplicate"] + ev["rejected"]
        push_time = sum(stats.push_latency)
        pull_time = sum(stats.pull_latency)
        print(f"\n{'PostgreSQL' if args.pg else 'SQLite'}: {len(phones)} phones, {n_mut} distinct mutations, "
              f"{ev['pushes']} pushes ({processed} mutations processed incl. resent duplicates), {ev['pulls']} pulls")
        print(f"queries: {rec.by_path['push']} in pushes = {rec.by_path['push'] / n_mut:.1f} per distinct mutation, "
              f"{rec.by_path['push'] / max(1, ev['pushes']):.1f} per push; {rec.by_path['pull'] / max(1, ev['pulls']):.1f} "
              f"per pull")
        print(f"CPU in requests (test client included): pushes {rec.cpu['push']:.2f} s = "
              f"{rec.cpu['push'] / n_mut * 1000:.2f} ms per distinct mutation; pulls {rec.cpu['pull']:.2f} s = "
              f"{rec.cpu['pull'] / max(1, ev['pulls']) * 1000:.1f} ms per pull")
        print(f"CPU: {cpu:.2f} s in this process = {cpu / n_mut * 1000:.2f} ms per distinct mutation"
              + (f"; PostgreSQL backends {pg_cpu:.2f} s = {pg_cpu / n_mut * 1000:.2f} ms per mutation" if args.pg else "")
              + f"; wall {wall:.1f} s (pushes {push_time:.1f} s, pulls {pull_time:.1f} s)")
        if writer["writes"]:
            print(f"SQLite writer's turn: {writer['writes']:.0f} write transactions held it {writer['held']:.2f} s = "
                  f"{writer['held'] / writer['writes'] * 1000:.2f} ms each (under the profiler): one writer at a time "
                  f"bounds the server at {writer['writes'] / writer['held']:.0f} such transactions/s")
        print("\nstatements in pushes, by kind (per distinct mutation):")
        for (path, kind), n in rec.kinds.most_common():
            if path == "push" and n / n_mut >= 0.01:
                print(f"  {n / n_mut:6.2f}  {kind}")
        print("\nstatements in pulls, by kind (per pull):")
        for (path, kind), n in rec.kinds.most_common():
            if path == "pull":
                print(f"  {n / max(1, ev['pulls']):6.2f}  {kind}")
        print(f"\ncProfile, top {args.top} by cumulative time (the phones' day, client side included):")
        if args.out:
            pstats.Stats(prof).dump_stats(args.out)  # with full paths, to group by package
        pstats.Stats(prof).strip_dirs().sort_stats("cumulative").print_stats(args.top)
        rc = sync_load.reconcile(app, phones, pulled)
        print(f"reconciliation: lost {rc['lost']}, doubled {rc['doubled']}" + (f", {rc['problems'][:3]}" if rc["problems"] else ""))
        with app.app_context():
            db.session.remove()
        return 0 if rc["lost"] == 0 and rc["doubled"] == 0 and not rc["problems"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
