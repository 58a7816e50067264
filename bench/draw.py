"""Benchmark of a whole draw through the server code: launch (snapshot + hashes + commitment +
persist) and reveal (seed + rank + select + persist rankings + team matching + visits), then the
audit-package export and the standalone verifier on that package.

    .venv/bin/python bench/draw.py [--sizes 10000,100000,1000000] [--pg URL] [--no-verifier]
                                   [--ratio-scale 1.0]

For every size and backend a throwaway database is made (SQLite: a file in a temporary
directory; PostgreSQL, when --pg or TEST_DATABASE_URL is given: a database named
``dsr_bench_draw_<pid>`` created next to the given URL's database and dropped afterwards). It is
migrated, loaded with the base demo (departments, accounts, check items, the approved annual plan,
inspectors) and filled with N objects in a sub-library of their own (bulk, not timed). The
demo plan's task T02 (特种设备, 市场监管 only, min team 2) is pointed at that sub-library and its
per-inspector cap raised so the six scjg inspectors can staff every drawn object; its ratios
(A 3%, B 5%, C 10%, D 20%, U 5%) are kept unless --ratio-scale is given.

The timed part runs in its own subprocess (so its peak RSS is the draw's own, not the data
generator's): ``service.launch`` + commit, then ``service.reveal`` + commit, then
the audit package written to JSON (``export.write_audit_package``, as `flask draws
export-audit` and the download endpoint do). The verifier runs as an outsider runs it: the system
python with ``-I -S`` (standard library only) on that file.

Printed per row: wall seconds of launch, reveal and their total, the draw process's CPU
seconds, microseconds per candidate, candidates per second, peak RSS of the draw process after
the draw (dRSS) and after the export too (RSS), the export and verifier times and the
verifier's peak RSS; the ratio of the total to the issue's target (1,000,000 candidates in
under 20 s) and the growth of the per-object cost next to the n log n bound.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from _setup import PASSWORD, make_app  # noqa: E402  (the app factory every benchmark uses)

TARGET_SECONDS, TARGET_ROWS = 20.0, 1_000_000
BASE_STEPS = {"departments and accounts", "check items", "annual plans", "inspector directory"}
SUB_LIBRARY = "bench_draw"
BEACON = {"source": "中国福利彩票3D（基准测试）", "reference": "第2026999期"}
STDLIB_PYTHON = "/usr/bin/python3" if Path("/usr/bin/python3").exists() else sys.executable


def _maxrss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _cpu() -> float:
    """This process's CPU seconds (user + system): less sensitive than wall time to other load
    on the machine, but without the database server's own work on PostgreSQL."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


# --- preparation (subprocess 1, not timed) ------------------------------------------------------

def _object_rows(n: int, today: dt.date, scjg: int):
    """Objects, credit rows and last-check rows: strata A-D/U, ~3% deregistered, some A checked
    this year (excluded), weights 1/2/3 from the last check."""
    rnd = random.Random(20261129 + n)
    for i in range(1, n + 1):
        risk = rnd.choice("AABBBBCCCD") if rnd.random() < 0.97 else None
        status = "deregistered" if rnd.random() < 0.03 else "active"
        r = rnd.random()
        last = (today - dt.timedelta(days=rnd.randrange(0, 200)) if r < 0.35
                else today - dt.timedelta(days=800) if r < 0.6 else None)
        yield i, risk, status, last


def prepare(url: str, instance: str, n: int, ratio_scale: float) -> dict:
    from flask_migrate import upgrade
    from sqlalchemy import select, text

    from server.accounts.models import Department
    from server.extensions import db
    from server.plans.models import PlanTask
    from server.registry.models import SubLibrary
    from server.types import local_today

    app = make_app(url, instance)
    started = time.perf_counter()
    with app.app_context():
        upgrade()
        from server.demo.cli import STEPS, load_demo

        load_demo(PASSWORD, steps=[(label, fn) for label, fn in STEPS if label in BASE_STEPS])
        scjg = db.session.execute(select(Department.id).where(Department.code == "scjg")).scalar_one()
        lib = SubLibrary(code=SUB_LIBRARY, name="基准测试分库", department_id=scjg)
        db.session.add(lib)
        task = db.session.execute(select(PlanTask).where(PlanTask.code == "T02")).scalar_one()
        task.scope = {**task.scope, "sub_libraries": [SUB_LIBRARY]}
        task.per_inspector_cap = 10_000_000
        if ratio_scale != 1.0:
            task.ratios = {s: str(round(float(r) * ratio_scale, 6)) for s, r in task.ratios.items()}
        db.session.commit()
        lib_id, task_id = lib.id, task.id
        today = local_today()
        now = "2026-01-01 00:00:00"
        conn = db.session.connection()
        raw = conn.connection.driver_connection
        if conn.dialect.name == "postgresql":
            db.session.commit()
            with raw.cursor() as cur:
                for table, cols, line in (
                        ("objects", "id, object_type, name, credit_code, match_key, registration_status, online, "
                                    "created_at, updated_at, content_hash, version",
                         lambda i, risk, status, last: f"{i}\tenterprise\t基准企业{i}\t91{i:016d}\tcc:91{i:016d}\t"
                                                       f"{status}\tf\t{now}+00\t{now}+00\t{'0' * 64}\t1\n"),
                        ("object_credit", "object_id, risk_class, abnormal_list, serious_violation_list, "
                                          "complaint_count, updated_at",
                         lambda i, risk, status, last: f"{i}\t{risk or chr(92) + 'N'}\tf\tf\t0\t{now}+00\n"),
                        ("object_sub_libraries", "object_id, sub_library_id",
                         lambda i, risk, status, last: f"{i}\t{lib_id}\n")):
                    with cur.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
                        buf = []
                        for row in _object_rows(n, today, scjg):
                            buf.append(line(*row))
                            if len(buf) >= 20000:
                                copy.write("".join(buf))
                                buf = []
                        copy.write("".join(buf))
                with cur.copy("COPY object_dept_checks (object_id, department_id, last_checked_on) FROM STDIN") as copy:
                    copy.write("".join(f"{i}\t{scjg}\t{last.isoformat()}\n"
                                       for i, _, _, last in _object_rows(n, today, scjg) if last))
                cur.execute("SELECT setval(pg_get_serial_sequence('objects', 'id'), %s)", (n + 1,))
                cur.execute("ANALYZE")
            raw.commit()
        else:
            db.session.commit()
            cur = raw.cursor()
            rows = list(_object_rows(n, today, scjg))
            cur.executemany(
                "INSERT INTO objects (id, object_type, name, credit_code, match_key, registration_status, online, "
                "created_at, updated_at, content_hash, version) VALUES (?, 'enterprise', ?, ?, ?, ?, 0, ?, ?, ?, 1)",
                ((i, f"基准企业{i}", f"91{i:016d}", f"cc:91{i:016d}", status, now, now, "0" * 64)
                 for i, _, status, _ in rows))
            cur.executemany("INSERT INTO object_credit (object_id, risk_class, abnormal_list, serious_violation_list, "
                            "complaint_count, updated_at) VALUES (?, ?, 0, 0, 0, ?)",
                            ((i, risk, now) for i, risk, _, _ in rows))
            cur.executemany("INSERT INTO object_sub_libraries (object_id, sub_library_id) VALUES (?, ?)",
                            ((i, lib_id) for i, _, _, _ in rows))
            cur.executemany("INSERT INTO object_dept_checks (object_id, department_id, last_checked_on) VALUES (?, ?, ?)",
                            ((i, scjg, last.isoformat()) for i, _, _, last in rows if last))
            raw.commit()
            cur.execute("ANALYZE")
            raw.commit()
        db.session.remove()
        db.engine.dispose()
    return {"task_id": task_id, "prepare_s": time.perf_counter() - started}


# --- the timed draw (subprocess 2) --------------------------------------------------------------

def measure(url: str, instance: str, task_id: int, out: str) -> dict:
    from sqlalchemy import select

    from server.accounts.models import User
    from server.demo.catalog import principal_for
    from server.draws import export, service
    from server.visits.models import Visit
    from server.extensions import db
    from server.types import utcnow

    app = make_app(url, instance)
    with app.app_context():
        admin = principal_for(db.session.execute(select(User).where(User.username == "scjg-admin")).scalar_one())
        db.session.commit()
        rss_before = _maxrss_mib()
        c0, t0 = _cpu(), time.perf_counter()
        task = service.launch(admin, task_id, BEACON, [])
        db.session.commit()
        c1, t1 = _cpu(), time.perf_counter()
        tid = task.id
        service.reveal(admin, tid, "7 4 1", utcnow() + dt.timedelta(seconds=1), BEACON["reference"])
        db.session.commit()
        c2, t2 = _cpu(), time.perf_counter()
        rss_draw = _maxrss_mib()
        db.session.expire_all()
        task = service.get_task(tid)
        snapshot_size = task.draw.snapshot_size
        selected = db.session.scalar(select(db.func.count()).select_from(Visit).where(Visit.task_id == tid))
        with open(out, "w", encoding="utf-8") as fh:
            export.write_audit_package(task, fh)
        t3 = time.perf_counter()
        db.session.remove()
        db.engine.dispose()
    return {"launch_s": t1 - t0, "reveal_s": t2 - t1, "export_s": t3 - t2, "cpu_s": c2 - c0, "rss_before_mib": rss_before,
            "rss_draw_mib": rss_draw, "rss_peak_mib": _maxrss_mib(), "snapshot": snapshot_size, "selected": selected,
            "package_mib": os.path.getsize(out) / 2**20}


def verify(path: str) -> dict:
    """The stdlib verifier as an outsider runs it, timed, with its own peak RSS."""
    code = ("import resource, runpy, sys\n"
            "sys.argv = ['verify_draw.py', %r]\n"
            "try:\n    runpy.run_path(%r, run_name='__main__')\n    rc = 0\n"
            "except SystemExit as e:\n    rc = e.code or 0\n"
            "sys.stderr.write('RSS %%d RC %%d\\n' %% (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, rc))\n"
            % (path, str(ROOT / "tools" / "verify_draw.py")))
    start = time.perf_counter()
    run = subprocess.run([STDLIB_PYTHON, "-I", "-S", "-c", code], capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    tail = [line for line in run.stderr.splitlines() if line.startswith("RSS ")]
    rss, rc = (int(tail[-1].split()[1]) / 1024, int(tail[-1].split()[3])) if tail else (float("nan"), run.returncode)
    last = run.stdout.strip().splitlines()[-1] if run.stdout.strip() else run.stderr[-300:]
    return {"verify_s": elapsed, "verify_rss_mib": rss, "verify_rc": rc, "verify_last": last}


# --- orchestration --------------------------------------------------------------------------

def _child(mode: str, *args) -> dict:
    run = subprocess.run([sys.executable, __file__, "--child", mode, *map(str, args)], capture_output=True, text=True)
    if run.returncode != 0:
        raise SystemExit(f"{mode} failed:\n{run.stderr[-4000:]}")
    return json.loads(run.stdout.strip().splitlines()[-1])


def _pg_urls(base: str) -> tuple[str, str, str]:
    """(admin URL for CREATE/DROP, SQLAlchemy URL of the throwaway database, its name)."""
    name = f"dsr_bench_draw_{os.getpid()}"
    plain = base.replace("postgresql+psycopg://", "postgresql://")
    head = plain.rsplit("/", 1)[0]
    return head + "/postgres", head.replace("postgresql://", "postgresql+psycopg://") + "/" + name, name


def _pg(admin: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql)


def run_one(backend: str, n: int, args) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix="dsr-bench-draw-"))
    pg_admin = pg_name = None
    try:
        if backend == "sqlite":
            url = f"sqlite:///{tmp / 'draw.sqlite3'}"
        else:
            pg_admin, url, pg_name = _pg_urls(args.pg)
            _pg(pg_admin, f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')
            _pg(pg_admin, f'CREATE DATABASE "{pg_name}"')
        prep = _child("prepare", url, tmp, n, args.ratio_scale)
        out = tmp / "audit-package.json"
        res = {"backend": backend, "n": n, **prep, **_child("measure", url, tmp, prep["task_id"], out)}
        if not args.no_verifier:
            res.update(verify(str(out)))
        return res
    finally:
        if pg_name:
            _pg(pg_admin, f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        mode, rest = sys.argv[2], sys.argv[3:]
        if mode == "prepare":
            out = prepare(rest[0], rest[1], int(rest[2]), float(rest[3]))
        else:
            out = measure(rest[0], rest[1], int(rest[2]), rest[3])
        print(json.dumps(out))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--backends", default=None, help="sqlite,postgresql (default: sqlite, plus postgresql "
                                                          "when --pg or TEST_DATABASE_URL is given)")
    parser.add_argument("--pg", default=os.environ.get("TEST_DATABASE_URL"),
                        help="a PostgreSQL URL; the bench creates and drops dsr_bench_draw_<pid> on that server")
    parser.add_argument("--no-verifier", action="store_true")
    parser.add_argument("--ratio-scale", type=float, default=1.0,
                        help="multiply the plan's stratum ratios (fewer drawn objects, fewer visits)")
    parser.add_argument("--json", default=None, help="also write the rows to this JSON file")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    backends = args.backends.split(",") if args.backends else ["sqlite"] + (["postgresql"] if args.pg else [])
    print(f"cpu count {os.cpu_count()}, load average {os.getloadavg()[0]:.1f}, python {sys.version.split()[0]}, "
          f"verifier python {STDLIB_PYTHON} -I -S, ratio scale {args.ratio_scale}")
    head = ("%-10s %9s %8s %8s %8s %9s %7s %9s %8s %7s %7s %8s %8s %8s %9s" %
            ("backend", "rows", "drawn", "launch", "reveal", "total s", "cpu s", "us/row", "rows/s", "dRSS",
             "RSS", "export", "verify", "vRSS", "x target"))
    print(head)
    results = []
    for backend in backends:
        previous = None
        for n in sizes:
            r = run_one(backend, n, args)
            results.append(r)
            total = r["launch_s"] + r["reveal_s"]
            per = total / n * 1e6
            # Ratio to the target, scaled linearly to the row count (1.0 = exactly on target).
            x_target = total / (TARGET_SECONDS * n / TARGET_ROWS)
            print("%-10s %9d %8d %8.2f %8.2f %9.2f %7.2f %9.2f %8.0f %7.0f %7.0f %8.2f %8.1f %8.0f %9.2f" % (
                backend, n, r["selected"], r["launch_s"], r["reveal_s"], total, r["cpu_s"], per, n / total,
                r["rss_draw_mib"], r["rss_peak_mib"],
                r["export_s"], r.get("verify_s", float("nan")), r.get("verify_rss_mib", float("nan")), x_target))
            print("%-10s load average %.1f (2 cores shared)" % ("", os.getloadavg()[0]))
            if r.get("verify_rc", 0) != 0:
                print(f"   verifier exit {r['verify_rc']}: {r.get('verify_last')}")
            if previous is not None:
                p_n, p_per = previous
                print("%-10s per-row cost x%.2f vs %d rows (n log n bound x%.2f); data prep %.0f s (not timed)" % (
                    "", per / p_per, p_n, math.log(n) / math.log(p_n), r["prepare_s"]))
            previous = (n, per)
            sys.stdout.flush()
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
