"""Benchmark: batch import of the object directory on SQLite and PostgreSQL.

Generates CSV files of 10,000 and 100,000 rows and XLSX files of 10,000 and
100,000 rows written the way Excel writes them, with a shared-string table
(bench/out/, reused when present), then imports each one into a
fresh database, measured in its own subprocess:

* rows/s of the first import (every row created) and of re-importing the
  same file (every row unchanged), through the same code as the CLI;
* peak memory: the subprocess's ru_maxrss after the import minus its
  ru_maxrss just before it (the database is prepared in another subprocess,
  so migrations do not set the high-water mark); the 100k/10k ratio shows
  whether memory stays flat as the row count grows;
* on the 100k database: search latency and the candidate stream the draw reads.

With --feed SIZES (e.g. --feed 100000,1000000) it measures directory feeds instead
(docs/directory-feed.md): a first load of SIZE objects as one JSON Lines batch, then a delta
batch of 50,000 changes (20k upserts, 10k status changes, 10k list entries, 10k complaint
months) into that directory; per run rows/s, wall time, CPU seconds of the applying process,
of its reader processes (a large file is read and checked beside the merge) and of the
PostgreSQL backend serving it (from /proc), and peak RSS of the applying process. The machine
has two cores, and may be shared: total CPU seconds show what the work cost when wall time is
inflated by others, and total ÷ 2 is the wall time two free cores would allow. On PostgreSQL it then
writes the loaded objects again by plain COPY into a table like `objects` (its indexes): that
yardstick is the floor no loader can go below on the machine, and makes rows/s comparable across
machines (the first load's rate as a share of it).

Usage: python bench/registry_import.py [--feed SIZES] [--pg postgresql://postgres@127.0.0.1:5432/dsr_registry_bench]
(or REGISTRY_BENCH_PG=…). The PostgreSQL database named there is dropped and
re-created for every run: give it a database of its own. Without it, only SQLite runs.
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
sys.path.insert(0, str(ROOT))

HEADERS = ["名称", "统一社会信用代码", "对象类型", "法定代表人", "法定代表人身份证号", "联系电话", "注册地址", "经营地址",
           "行政区划代码", "行业", "登记状态", "是否网络经营", "网店网址", "所属分库", "信用风险分类", "列入经营异常名录",
           "列入严重违法失信名单", "投诉举报次数"]
LIBS = [("scjg", "food_business", "食品经营"), ("scjg", "price", "价格"), ("scjg", "special_equipment", "特种设备"),
        ("yjgl", "work_safety", "安全生产"), ("sthj", "pollutant_permit", "排污许可")]


# --- data --------------------------------------------------------------------------

def rows(n: int, seed: int = 7):
    from server.identifiers import XINZHOU_DIVISIONS, id_check_char, make_credit_code

    rng = random.Random(seed)
    divisions = sorted(set(XINZHOU_DIVISIONS) - {"140900"})
    for i in range(n):
        division = rng.choice(divisions)
        prefix, kind = rng.choice([("91", "企业"), ("91", "企业"), ("92", "个体工商户"), ("93", "农民专业合作社")])
        idn = ""
        if rng.random() < 0.3:
            first17 = f"{division}{rng.randrange(1950, 2000)}{rng.randrange(1, 13):02d}{rng.randrange(1, 29):02d}{rng.randrange(1000):03d}"
            idn = first17 + id_check_char(first17)
        online = rng.random() < 0.05
        yield [f"{XINZHOU_DIVISIONS[division]}样本{i:06d}号商贸有限公司", make_credit_code(f"{prefix}{division}BM{i:07d}"),
               kind, "王建国", idn, f"0350-{rng.randrange(2000000, 8000000)}", f"忻州市{XINZHOU_DIVISIONS[division]}和平街{i}号",
               "", division, "批发业", rng.choice(["存续", "存续", "存续", "在业", "注销"]), "是" if online else "否",
               f"https://shop{i}.example.com/" if online else "", "、".join(rng.sample([c for _, c, _ in LIBS], 2)),
               rng.choice("AABBBBBCCD"), "是" if rng.random() < 0.05 else "否", "否", rng.choice([0, 0, 0, 1, 2])]


def make_files(sizes_csv, sizes_xlsx) -> list[Path]:
    OUT.mkdir(parents=True, exist_ok=True)
    files = []
    for n in sizes_csv:
        path = OUT / f"objects_{n}.csv"
        if not path.exists():
            with open(path, "w", encoding="utf-8-sig", newline="") as fh:
                w = csv.writer(fh)
                w.writerow(HEADERS)
                w.writerows(rows(n))
        files.append(path)
    for n in sizes_xlsx:
        path = OUT / f"objects_{n}.xlsx"
        if not path.exists():  # as Excel saves it: text in the shared-string table
            from tests.server.registry.helpers import excel_like_xlsx

            excel_like_xlsx([HEADERS, *rows(n)], path)
        files.append(path)
    return files


def feed_files(n: int, delta: int = 50_000) -> tuple[Path, Path]:
    """feed_<n>.jsonl (first load, sequence 1) and feed_<n>_delta.jsonl (sequence 2), reused when present."""
    from server.identifiers import XINZHOU_DIVISIONS, make_credit_code

    OUT.mkdir(parents=True, exist_ok=True)
    first, second = OUT / f"feed_{n}.jsonl", OUT / f"feed_{n}_delta.jsonl"
    divisions = sorted(set(XINZHOU_DIVISIONS) - {"140900"})

    def code(i: int) -> str:
        return make_credit_code(f"91{divisions[i % len(divisions)]}BM{i:07d}")

    def header(seq: int) -> str:
        return json.dumps({"batch": {"id": f"bench-{n}-{seq}", "source": "bench", "sequence": seq}}) + "\n"

    if not first.exists():
        with open(first, "w", encoding="utf-8") as fh:
            fh.write(header(1))
            for i, row in enumerate(rows(n)):
                fh.write(json.dumps({"kind": "object", "name": row[0], "credit_code": code(i), "legal_rep_name": row[3],
                                     "legal_rep_id_number": row[4], "phone": row[5], "registered_address": row[6],
                                     "region_code": row[8], "industry": row[9], "registration_status": row[10],
                                     "risk_class": row[14]}, ensure_ascii=False) + "\n")
    if not second.exists():
        rng = random.Random(11)
        picks = rng.sample(range(n), min(delta, n))
        quarter = len(picks) // 5
        with open(second, "w", encoding="utf-8") as fh:
            fh.write(header(2))
            for j, i in enumerate(picks):
                c = code(i)
                if j < 2 * quarter:
                    rec = {"kind": "object", "name": f"变更后名称{i:07d}有限公司", "credit_code": c,
                           "business_address": f"忻州市新址路{j}号"}
                elif j < 3 * quarter:
                    rec = {"kind": "status", "credit_code": c, "status": rng.choice(["deregistered", "revoked", "moved_out"]),
                           "date": "2026-11-30", "reason": "基准测试"}
                elif j < 4 * quarter:
                    rec = {"kind": "list", "credit_code": c, "list": "abnormal", "action": "enter", "date": "2026-11-01",
                           "reason": "未按规定报送年度报告"}
                else:
                    rec = {"kind": "complaints", "credit_code": c, "period": time.strftime("%Y-%m"), "count": rng.randrange(1, 5)}
                fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
    return first, second


def measure_feed(url: str, instance: str, first: str, delta: str) -> dict:
    from server.audit.service import set_system_actor
    from server.extensions import db
    from server.registry.feeds.service import apply_feed

    app = _app(url, instance)
    out: dict = {}
    with app.app_context():
        backend = None
        if db.session.get_bind().dialect.name == "postgresql":
            backend = db.session.execute(db.text("SELECT pg_backend_pid()")).scalar()
        else:
            db.session.execute(db.text("SELECT 1"))
        set_system_actor("bench")
        for label, path in (("first", first), ("delta", delta)):
            before = _maxrss_mib()
            usage, kids, pg = _cpu(resource.RUSAGE_SELF), _cpu(resource.RUSAGE_CHILDREN), _proc_cpu(backend)
            t0 = time.perf_counter()
            report, _ = apply_feed(Path(path), dry_run=False, via="cli")
            elapsed = time.perf_counter() - t0
            out[label] = {"records": report["records"], "applied": report["applied"], "refused": report["refused"],
                          "seconds": round(elapsed, 1), "cpu_seconds": round(_cpu(resource.RUSAGE_SELF) - usage, 1),
                          "reader_cpu_seconds": round(_cpu(resource.RUSAGE_CHILDREN) - kids, 1),
                          "pg_cpu_seconds": round(_proc_cpu(backend) - pg, 1) if backend else None,
                          "rows_per_s": round(report["records"] / elapsed), "peak_delta_mib": round(_maxrss_mib() - before, 1)}
            db.session.remove()
        if backend:
            out["yardstick"] = _copy_yardstick(instance)
    return out


def _copy_yardstick(instance: str) -> dict:
    """This machine's PostgreSQL writing the loaded objects again by plain COPY (from a file of their
    COPY text) into a table like `objects` with its indexes: the floor no loader can go below here,
    and the figure that makes the feed's rows/s comparable across machines."""
    from server.extensions import db

    path = Path(instance) / "objects.copy"
    conn = db.engine.raw_connection()
    try:
        cur = conn.driver_connection.cursor()
        with open(path, "wb") as fh, cur.copy("COPY objects TO STDOUT") as copy:
            for block in copy:
                fh.write(block)
        rows = cur.execute("SELECT count(*) FROM objects").fetchone()[0]
        cur.execute("CREATE TABLE bench_yardstick (LIKE objects INCLUDING ALL)")
        t0 = time.perf_counter()
        with open(path, "rb") as fh, cur.copy("COPY bench_yardstick FROM STDIN") as copy:
            while block := fh.read(1 << 20):
                copy.write(block)
        conn.driver_connection.commit()
        elapsed = time.perf_counter() - t0
        cur.execute("DROP TABLE bench_yardstick")
        conn.driver_connection.commit()
    finally:
        conn.close()
        path.unlink(missing_ok=True)
    return {"rows": rows, "seconds": round(elapsed, 1), "rows_per_s": round(rows / elapsed)}


def _cpu(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def _proc_cpu(pid: int | None) -> float:
    """CPU seconds of a process on this machine (the PostgreSQL backend serving the bench), from /proc."""
    if not pid:
        return 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_feed(backend: str, url: str | None, n: int) -> dict:
    first, delta = feed_files(n)
    return _in_fresh_db(backend, url, ["--measure-feed", "{url}", "{instance}", str(first), str(delta)])


# --- one run (subprocesses) -------------------------------------------------------

def _app(url: str, instance: str):
    from server import create_app

    return create_app({"APP_ENV": "testing", "SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": instance,
                       "SECRET_KEY": "bench-secret-key-0123456789abcdef-0123456789"})


def prepare_db(url: str, instance: str) -> None:
    """Migrate, load departments and a few sub-libraries (separate process: sets no memory mark for the run)."""
    from flask_migrate import upgrade

    from server.demo import accounts
    from server.demo.names import NameMaker
    from server.extensions import db
    from server.registry import sublibs
    from server.registry.access import Editor

    app = _app(url, instance)
    with app.app_context():
        upgrade()
        ctx = {"password": "bench-password", "names": NameMaker()}
        accounts.load(ctx)
        for dept, code, name in LIBS:
            sublibs.create_sub_library(Editor(None, True), {"code": code, "name": name,
                                                            "department_id": ctx["departments"][dept].id})
        db.session.commit()


def _maxrss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(url: str, instance: str, path: str, extras: bool) -> dict:
    from server.extensions import db
    from server.registry.access import Editor
    from server.registry.importer import jobs
    from server.registry.importer.runner import run_job
    from server.registry.sublibs import load_lookup

    app = _app(url, instance)
    out: dict = {}
    with app.app_context():
        load_lookup()  # warm: connection, imports
        editor = Editor(None, True)
        sha, size = jobs.file_digest(Path(path))
        for label in ("first", "again"):
            before, usage = _maxrss_mib(), resource.getrusage(resource.RUSAGE_SELF)
            t0 = time.perf_counter()
            job_id, table = jobs.prepare(editor, Path(path), Path(path).name, sha, size, "commit")
            job = run_job(job_id, table, editor, chunk_size=2000)
            elapsed = time.perf_counter() - t0
            after = resource.getrusage(resource.RUSAGE_SELF)
            cpu = after.ru_utime + after.ru_stime - usage.ru_utime - usage.ru_stime
            out[label] = {"rows": job.rows_processed, "created": job.created, "unchanged": job.unchanged,
                          "rejected": job.rejected, "seconds": round(elapsed, 2), "cpu_seconds": round(cpu, 1),
                          "rows_per_cpu_s": round(job.rows_processed / max(cpu, 0.01)),
                          "rows_per_s": round(job.rows_processed / elapsed), "peak_delta_mib": round(_maxrss_mib() - before, 1)}
            db.session.remove()
        if extras:
            out["extras"] = _extras()
    return out


def _extras() -> dict:
    from server.extensions import db
    from server.pagination import keyset_page
    from server.registry.models import InspectionObject
    from server.registry.search import objects_in_scope, search_stmt

    def timed(fn, repeat=5):
        times = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t0)
        return round(sorted(times)[len(times) // 2] * 1000, 1)

    def page(args):
        return lambda: keyset_page(search_stmt({**args}), InspectionObject.id, 50, None)

    code = db.session.execute(db.select(InspectionObject.credit_code).offset(54321).limit(1)).scalar()
    res = {
        "search_ms": {
            "q=name substring (rare)": timed(page({"q": "样本098765"})),
            "q=credit code prefix": timed(page({"q": code[:14]})),
            "credit_code exact": timed(page({"credit_code": code})),
            "region+risk+sub_library": timed(page({"region": "140902", "risk_class": "D", "sub_library": "price"})),
            "status=deregistered": timed(page({"status": "deregistered"})),
        }
    }
    t0 = time.perf_counter()
    n = sum(1 for _ in objects_in_scope({"statuses": ["active", "operating"]}, 2))
    elapsed = time.perf_counter() - t0
    res["objects_in_scope"] = {"rows": n, "seconds": round(elapsed, 2), "rows_per_s": round(n / elapsed)}
    return res


# --- driver ------------------------------------------------------------------------

def _pg_recreate(url: str) -> None:
    import psycopg
    from sqlalchemy.engine import make_url

    u = make_url(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with psycopg.connect(host=u.host, port=u.port or 5432, user=u.username, password=u.password, dbname="postgres",
                         autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{u.database}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{u.database}"')


def run_one(backend: str, url: str | None, path: Path, extras: bool) -> dict:
    return _in_fresh_db(backend, url, ["--measure", "{url}", "{instance}", str(path)] + (["--extras"] if extras else []))


def _in_fresh_db(backend: str, url: str | None, measure: list[str]) -> dict:
    """Prepare a fresh database in one subprocess, then run `measure` (its "{url}" and "{instance}"
    filled in) in another, which prints its figures as JSON on its last line."""
    with tempfile.TemporaryDirectory() as instance:
        if backend == "sqlite":
            url = f"sqlite:///{instance}/bench.sqlite3"
        else:
            _pg_recreate(url)
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        me = [sys.executable, str(Path(__file__).resolve())]
        subprocess.run(me + ["--prepare", url, instance], check=True, env=env, capture_output=True)
        args = [a.format(url=url, instance=instance) for a in measure]
        proc = subprocess.run(me + args, check=True, env=env, capture_output=True, text=True)
        return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--pg", default=os.environ.get("REGISTRY_BENCH_PG"))
    ap.add_argument("--prepare", nargs=2, metavar=("URL", "INSTANCE"))
    ap.add_argument("--measure", nargs=3, metavar=("URL", "INSTANCE", "FILE"))
    ap.add_argument("--extras", action="store_true")
    ap.add_argument("--no-xlsx-100k", action="store_true", help="skip the slow 100k-row XLSX")
    ap.add_argument("--feed", metavar="SIZES", help="measure feeds instead: first-load sizes, e.g. 100000,1000000")
    ap.add_argument("--sqlite-only", action="store_true")
    ap.add_argument("--pg-only", action="store_true", help="with --feed and --pg: skip SQLite")
    ap.add_argument("--measure-feed", nargs=4, metavar=("URL", "INSTANCE", "FIRST", "DELTA"))
    args = ap.parse_args()
    if args.prepare:
        prepare_db(*args.prepare)
        return
    if args.measure:
        print(json.dumps(measure(*args.measure, extras=args.extras)))
        return
    if args.measure_feed:
        print(json.dumps(measure_feed(*args.measure_feed)))
        return
    if args.feed:
        feed_main([int(x) for x in args.feed.split(",")], None if args.sqlite_only else args.pg,
                  sqlite=not (args.pg_only and args.pg))
        return

    files = make_files([10_000, 100_000], [10_000] if args.no_xlsx_100k else [10_000, 100_000])
    backends = [("sqlite", None)] + ([("postgresql", args.pg)] if args.pg else [])
    if not args.pg:
        print("PostgreSQL skipped (give --pg URL or REGISTRY_BENCH_PG)")
    results = {}
    for backend, url in backends:
        for path in files:
            extras = path.name == "objects_100000.csv"
            r = run_one(backend, url, path, extras)
            results[(backend, path.name)] = r
            first, again = r["first"], r["again"]
            print(f"{backend:10} {path.name:22} first: {first['rows']:>7} rows {first['seconds']:7.2f}s "
                  f"{first['rows_per_s']:>6} rows/s ({first['rows_per_cpu_s']:>6} per CPU s) peak "
                  f"+{first['peak_delta_mib']:6.1f} MiB | re-import (unchanged {again['unchanged']}): "
                  f"{again['rows_per_s']:>6} rows/s ({again['rows_per_cpu_s']:>6} per CPU s) peak "
                  f"+{again['peak_delta_mib']:6.1f} MiB", flush=True)
            if extras:
                for name, ms in r["extras"]["search_ms"].items():
                    print(f"{'':10}   search on 100k, median of 5: {name:28} {ms:7.1f} ms")
                s = r["extras"]["objects_in_scope"]
                print(f"{'':10}   objects_in_scope: {s['rows']} rows in {s['seconds']} s ({s['rows_per_s']} rows/s)")
    print("\npeak memory, 100k rows vs 10k rows (first import):")
    for backend, _ in backends:
        for fmt in ("csv", "xlsx"):
            small, big = results.get((backend, f"objects_10000.{fmt}")), results.get((backend, f"objects_100000.{fmt}"))
            if small and big:
                a, b = small["first"]["peak_delta_mib"], big["first"]["peak_delta_mib"]
                print(f"  {backend:10} {fmt:4}: {a:6.1f} MiB → {b:6.1f} MiB  (ratio {b / max(a, 0.1):.2f} for 10× the rows)")


def feed_main(sizes: list[int], pg: str | None, sqlite: bool = True) -> None:
    backends = ([("sqlite", None)] if sqlite else []) + ([("postgresql", pg)] if pg else [])
    print(f"load average before: {os.getloadavg()[0]:.1f} (2 cores, shared machine: compare CPU seconds too)")
    for backend, url in backends:
        for n in sizes:
            r = run_feed(backend, url, n)
            for label in ("first", "delta"):
                x = r[label]
                pg_cpu = f" + PostgreSQL {x['pg_cpu_seconds']:5.1f}" if x["pg_cpu_seconds"] is not None else ""
                cpu = x["cpu_seconds"] + x["reader_cpu_seconds"] + (x["pg_cpu_seconds"] or 0)
                print(f"{backend:10} feed {n:>8} {label:5}: {x['records']:>8} records {x['seconds']:7.1f} s wall "
                      f"{x['rows_per_s']:>7} rows/s; CPU s: app {x['cpu_seconds']:5.1f} + readers "
                      f"{x['reader_cpu_seconds']:5.1f}{pg_cpu} = {cpu:5.1f} ({x['records'] / cpu:,.0f} rows per CPU-s); "
                      f"peak +{x['peak_delta_mib']:6.1f} MiB (refused {x['refused']})", flush=True)
            if "yardstick" in r:
                y = r["yardstick"]
                print(f"{backend:10} yardstick: plain COPY of the same {y['rows']} object rows into a table like objects "
                      f"(its indexes): {y['seconds']} s, {y['rows_per_s']} rows/s; the first load ran at "
                      f"{r['first']['rows_per_s'] / y['rows_per_s']:.2f} of that", flush=True)
    print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
