"""Benchmark of `eligibility_pool` (prints figures only).

    .venv/bin/python bench/inspector_pool.py [--backends sqlite,postgresql] [--sizes 500,5000] [--runs 7]

For each size N: N inspectors spread over 20 departments, 2 unavailable periods and one
conflict declaration (a third of them withdrawn) per inspector, random dates over two years.
The declarations name objects of a small directory filled first (`inspector_conflicts.object_id`
is a foreign key to `objects`).
Times the pool of a 3-department task (what a joint task asks for) and of all 20 departments,
median of `--runs` calls, in milliseconds and microseconds per pool row. PostgreSQL needs
BENCH_PG_URL (default postgresql://postgres@127.0.0.1:5432/postgres).
"""
import argparse
import datetime as dt
import random
import time

from _setup import bench_app, median

D0 = dt.date(2030, 1, 1)
OBJECTS = 2000  # directory size the conflict declarations pick their objects from


def fill(n: int, rnd: random.Random) -> list[int]:
    from sqlalchemy import insert, text

    from server.accounts.models import Department
    from server.extensions import db
    from server.inspectors.models import ConflictDeclaration, Inspector, InspectorUnavailability
    from server.registry.models import InspectionObject
    from server.types import utcnow

    now = utcnow()
    depts = [{"code": f"b{i:02d}", "name": f"基准测试局{i}", "level": "city", "region_code": "140900",
              "industry_tags": [], "is_office": False, "created_at": now} for i in range(20)]
    db.session.execute(insert(Department), depts)
    ids = [d.id for d in db.session.query(Department).filter(Department.code.like("b%")).order_by(Department.id)]
    tags = ["食品安全执法", "特种设备安全监察", "价格监督检查", "广告监管", "网络交易监管", "安全生产执法"]
    rows = [{"name": f"人员{i}", "department_id": ids[i % 20], "cert_no": f"BENCH{i:08d}", "kind": "general",
             "cert_valid_from": D0 - dt.timedelta(days=rnd.randrange(2000)),
             "cert_valid_until": D0 + dt.timedelta(days=rnd.randrange(60, 2000)), "is_expert": i % 25 == 0,
             "qualification_tags": rnd.sample(tags, 2), "expertise_tags": [], "active": i % 40 != 0,
             "created_at": now, "updated_at": now} for i in range(n)]
    db.session.execute(insert(Inspector).execution_options(render_nulls=True), rows)
    insp = [i for (i,) in db.session.query(Inspector.id).order_by(Inspector.id)]
    db.session.execute(insert(InspectionObject), [
        {"object_type": "enterprise", "name": f"基准企业{i}", "credit_code": f"91{i:016d}", "match_key": f"cc:91{i:016d}",
         "registration_status": "active", "online": False, "created_at": now, "updated_at": now,
         "content_hash": "0" * 64, "version": 1} for i in range(OBJECTS)])
    objects = [i for (i,) in db.session.query(InspectionObject.id)]
    periods, conflicts = [], []
    for iid in insp:
        for _ in range(2):
            start = D0 + dt.timedelta(days=rnd.randrange(730))
            periods.append({"inspector_id": iid, "start_date": start, "end_date": start + dt.timedelta(days=rnd.randrange(1, 15)),
                            "reason": "leave", "created_at": now})
        conflicts.append({"inspector_id": iid, "object_id": rnd.choice(objects), "credit_code": None,
                          "reason": "基准", "valid_from": D0, "valid_until": None, "created_at": now,
                          "withdrawn_at": now if rnd.random() < 0.33 else None})
    db.session.execute(insert(InspectorUnavailability).execution_options(render_nulls=True), periods)
    db.session.execute(insert(ConflictDeclaration).execution_options(render_nulls=True), conflicts)
    db.session.commit()
    # Fresh tables carry no planner statistics; a deployed database has them (autovacuum).
    db.session.execute(text("ANALYZE"))
    db.session.commit()
    return ids


def measure(backend: str, n: int, runs: int) -> None:
    from server.inspectors.service import eligibility_pool

    with bench_app(backend, steps=set()) as (app, _):
        with app.app_context():
            ids = fill(n, random.Random(n))
            window = (D0 + dt.timedelta(days=90), D0 + dt.timedelta(days=180))
            for label, depts in (("3 departments", ids[:3]), ("20 departments", ids)):
                times, size = [], 0
                for _ in range(runs):
                    t = time.perf_counter()
                    size = len(eligibility_pool(depts, *window, include_experts=True, on=D0))
                    times.append(time.perf_counter() - t)
                m = median(times)
                print(f"{backend:10} N={n:6}  {label:15} rows={size:6}  median {m * 1000:8.1f} ms  "
                      f"{m / size * 1e6:6.1f} µs/row")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--backends", default="sqlite,postgresql")
    ap.add_argument("--sizes", default="500,5000")
    ap.add_argument("--runs", type=int, default=7)
    args = ap.parse_args()
    for backend in args.backends.split(","):
        for n in (int(s) for s in args.sizes.split(",")):
            measure(backend, n, args.runs)


if __name__ == "__main__":
    main()
