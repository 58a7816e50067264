"""Cost of an incremental pull after one change: 10,000 vs 1,000,000 rows.

Usage:  .venv/bin/python bench/pull_cost.py [--small 10000] [--large 1000000] [--runs 15]
                                            [--pg postgresql://postgres@127.0.0.1:5432/postgres]

A throwaway database (SQLite file, or with --pg a PostgreSQL database
`<BENCH_DB_PREFIX>pull_<random>` created and dropped by bench/_setup.py) gets the "field"
demo data. Then the change feed (`sync_feed`) and the `visits` table are filled up to --small rows
each, and later up to --large rows each. Filler rows are generated inside the
database (recursive CTE / generate_series): feed rows for 5,000 other recipients
plus, one in 200, older rows of the measured phone itself (its history below its
cursor); visits of other teams (foreign keys off while filling, since they point
at no real object). The measured phone (scjg-insp1) first pulls to get its cursor.

One measurement: a team member changes one answer of one of the phone's visits
(a push), then the phone pulls from its cursor — the timed part, through the
whole Flask request (test client, no network). Median and best of --runs at each
size and their ratios are printed; the feed query's plan is shown to name the index used.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _setup import FIELD_STEPS, PASSWORD, bench_app  # noqa: E402  (also puts the repository on sys.path)


def fill(app, table: str, target: int, me: int, task_id: int) -> float:
    """Add generated rows to `table` until it holds `target` rows; returns seconds taken.

    Runs on a raw DBAPI connection with foreign-key checks off (filler visits point at
    no real object): PRAGMA foreign_keys on SQLite, session_replication_role on PostgreSQL.
    """
    from server.extensions import db

    t0 = time.perf_counter()
    with app.app_context():
        pg = db.engine.dialect.name == "postgresql"
        raw = db.engine.raw_connection()
        try:
            cur = raw.cursor()
            cur.execute(f"SELECT COUNT(*) FROM {table}")
            have = cur.fetchone()[0]
            k = target - have
            if k <= 0:
                return 0.0
            if table == "sync_feed":
                # Numbers below the counter (history); then the counter moves past them.
                cur.execute("SELECT seq FROM sync_counter WHERE id = 1")
                top = (cur.fetchone() or [0])[0]
                rows = (f"SELECT CASE WHEN n % 200 = 0 THEN {me} ELSE 100000 + (n % 5000) END, {top} + n, 'visit', "
                        f"'filler-' || n, 'put', CURRENT_TIMESTAMP")
                cols = "recipient_id, seq, entity, entity_id, op, created_at"
            else:
                rows = (f"SELECT 'filler-{uuid.uuid4().hex[:8]}-' || n, {task_id}, -n - {have}, 'B', n, 'not_started', 1, "
                        f"CURRENT_TIMESTAMP")
                cols = "id, task_id, object_id, stratum, rank, status, version, created_at"
            if pg:
                cur.execute("SET session_replication_role = replica")
                cur.execute(f"INSERT INTO {table} ({cols}) {rows} FROM generate_series(1, {k}) AS g(n)")
            else:
                cur.execute("PRAGMA foreign_keys = OFF")
                cur.execute("BEGIN IMMEDIATE")
                cur.execute(f"INSERT INTO {table} ({cols}) WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL "
                            f"SELECT n + 1 FROM s WHERE n < {k}) {rows} FROM s")
            if table == "sync_feed":
                cur.execute(f"UPDATE sync_counter SET seq = seq + {k} WHERE id = 1")
            if pg:
                raw.commit()
                cur.execute("SET session_replication_role = origin")
                raw.commit()
                # As a maintained database would be: vacuumed and analysed (autovacuum would
                # otherwise be busy with the new rows during the measurement).
                raw.driver_connection.autocommit = True
                cur.execute(f"VACUUM ANALYZE {table}")
                raw.driver_connection.autocommit = False
            else:
                cur.execute("COMMIT")
                cur.execute("PRAGMA foreign_keys = ON")
                cur.execute(f"ANALYZE {table}")
        finally:
            raw.close()
    return time.perf_counter() - t0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--small", type=int, default=10_000)
    ap.add_argument("--large", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--pg", help="PostgreSQL admin URL; a database <BENCH_DB_PREFIX>pull_<random> is created and "
                                 "dropped")
    args = ap.parse_args()

    from sqlalchemy import text

    from server.extensions import db

    with bench_app("postgresql" if args.pg else "sqlite", FIELD_STEPS, pg_admin=args.pg, tag="pull_") as (app, _url):
        client = app.test_client()

        def login(username, device):
            r = client.post("/api/v1/auth/login", json={"username": username, "password": PASSWORD, "device_id": device,
                                                       "device_name": "bench"})
            assert r.status_code == 200, r.get_json()
            return {"Authorization": f"Bearer {r.get_json()['access_token']}"}

        me_h = login("scjg-insp1", "bench-phone-me")
        me_id = client.get("/api/v1/me", headers=me_h).get_json()["user"]["id"]
        cid = str(uuid.uuid4())
        first = client.get(f"/api/v1/sync/pull?client_id={cid}", headers=me_h).get_json()
        visit = next(c["data"] for c in first["changes"] if c["entity"] == "visit")
        task = next(c["data"] for c in first["changes"] if c["entity"] == "task" and c["id"] == visit["task_id"])
        # The writer: the team's scjg leader (or me), answering an scjg checkpoint.
        with app.app_context():
            from server.accounts.models import User

            leader_uid = next(m["user_id"] for m in visit["team"] if m["role"] == "leader")
            leader = db.session.get(User, leader_uid).username
            db.session.remove()
        w_h = login(leader, "bench-phone-writer")
        w_cid = str(uuid.uuid4())
        item = next(i for i in task["items"] if i["department_id"] == next(
            m["department_id"] for m in visit["team"] if m["role"] == "leader"))
        cp = item["checkpoints"][0]
        state = {"mid": 0}

        def one_change():
            state["mid"] += 1
            value = ["pass", "fail", "na"][state["mid"] % 3]
            r = client.post("/api/v1/sync/push", headers=w_h, json={"client_id": w_cid, "schema_version": 1, "mutations": [
                {"id": state["mid"], "name": "answer.set", "args": {"visit_id": visit["id"], "item_id": item["item_id"],
                                                                    "checkpoint_key": cp["key"], "value": value,
                                                                    "note": None, "base_version": None}}]})
            assert r.status_code == 200 and r.get_json()["results"][0]["status"] == "applied", r.get_json()

        def measure(label):
            cursor = client.get(f"/api/v1/sync/pull?client_id={cid}", headers=me_h).get_json()["cursor"]  # reset
            times = []
            for _ in range(args.runs + 2):
                one_change()
                t0 = time.perf_counter()
                r = client.get(f"/api/v1/sync/pull?client_id={cid}&cursor={cursor}", headers=me_h)
                times.append(time.perf_counter() - t0)
                body = r.get_json()
                assert r.status_code == 200 and body["reset"] is False, body
                assert {(c["entity"], c["id"]) for c in body["changes"]} == {("task", visit["task_id"]), ("visit", visit["id"])}
                cursor = body["cursor"]
            times = times[2:]  # warm-up
            with app.app_context():
                counts = {t: db.session.execute(text(f"SELECT COUNT(*) FROM {t}")).scalar() for t in ("sync_feed", "visits")}
                mine = db.session.execute(text(f"SELECT COUNT(*) FROM sync_feed WHERE recipient_id = {me_id}")).scalar()
                db.session.remove()
            med = statistics.median(times)
            print(f"{label}: sync_feed {counts['sync_feed']:,} rows ({mine:,} of them this phone's), "
                  f"visits {counts['visits']:,} rows -> pull after one change: median {med * 1000:.2f} ms "
                  f"(min {min(times) * 1000:.2f}, max {max(times) * 1000:.2f}, {len(times)} runs)")
            return med, min(times)

        with app.app_context():
            task_id = int(visit["task_id"])
        results = []
        for size in (args.small, args.large):
            secs = fill(app, "sync_feed", size, me_id, task_id) + fill(app, "visits", size, me_id, task_id)
            print(f"filled to {size:,} rows in {secs:.1f}s")
            results.append(measure(f"{size:>9,} rows"))
        with app.app_context():
            q = (f"SELECT seq, entity, entity_id, op FROM sync_feed WHERE recipient_id = {me_id} AND seq > 0 "
                 f"ORDER BY seq LIMIT 501")
            if db.engine.dialect.name == "postgresql":
                plan = [r[0] for r in db.session.execute(text("EXPLAIN " + q))]
            else:
                plan = [r[-1] for r in db.session.execute(text("EXPLAIN QUERY PLAN " + q))]
            db.session.remove()
        print(f"feed query plan: {' | '.join(plan)}")
        print(f"ratio large/small: median {results[1][0] / results[0][0]:.2f}, best {results[1][1] / results[0][1]:.2f}"
              f"  (flat = 1.0; {args.large // args.small}x the rows; on a shared machine the best run is the"
              f" least disturbed one)")
        return 0


if __name__ == "__main__":
    raise SystemExit(main())
