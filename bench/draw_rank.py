"""Benchmark of the dsr-wrs-v1 draw core and of the standalone verifier (prints figures only).

    .venv/bin/python bench/draw_rank.py [--sizes 10000,100000,1000000] [--no-verifier]

For each size: snapshot hashing, ranking + selection (including snapshot validation), and the
total, in seconds and microseconds per object; then the growth of the per-object cost between
sizes next to the log n bound (an O(n log n) sort gives at most log(n2)/log(n1)). The
verifier (pure decimal, stdlib only) is run as a subprocess on the package written to a
temporary file. A small inspector-matching figure is printed too.
"""
import argparse
import math
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from server.draws import algorithm as A  # noqa: E402
from server.draws import package as P  # noqa: E402
from server.draws import teams as T  # noqa: E402

PLAN = {"algorithm": "dsr-wrs-v1", "task": "BENCH",
        "strata": {"A": "0.02", "B": "0.05", "C": "0.10", "D": "0.20", "U": "0.05"},
        "rounding": "ceil", "weight_rule": "1 default; 2 if not checked 2y; 3 if 3y+",
        "exclusion_rule": "A checked this year", "beacon": {"source": "bench", "reference": "0"}}


def synthetic_snapshot(size, rnd):
    """Rows sorted by id: 18-character credit-code-like ids, strata A-D/U, ~5% excluded."""
    rows = []
    for i in range(size):
        stratum = rnd.choice("AABBBBCCCDU")
        excluded = "low_risk_checked_this_year" if stratum == "A" and rnd.random() < 0.25 else None
        weight = 0 if excluded else rnd.choice((1, 1, 1, 1, 2, 3))
        rows.append({"id": "9133%014d" % i, "stratum": stratum, "weight": weight,
                     "excluded": excluded})
    return rows


def timed(func, *args, **kwargs):
    start = time.perf_counter()
    value = func(*args, **kwargs)
    return value, time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--no-verifier", action="store_true")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    rnd = random.Random(20261128)
    nonce, beacon = bytes(range(32)), "03 11 19 24 28 33 + 07"
    print("cpu count %s, python %s" % (os.cpu_count(), sys.version.split()[0]))
    print("%10s %9s %9s %9s %10s %9s %9s" % ("rows", "hash s", "rank s", "total s",
                                            "us/object", "ties", "verify s"))
    previous = None
    for size in sizes:
        snapshot = synthetic_snapshot(size, rnd)
        s_hash, t_hash = timed(A.snapshot_hash, snapshot)
        seed = A.derive_seed(nonce, beacon, A.plan_hash(PLAN), s_hash)
        result, t_rank = timed(A.select, PLAN, snapshot, seed)
        stats = {}
        largest = max(PLAN["strata"], key=lambda s: result["strata"][s]["N"])
        A.rank_stratum([(r["id"], r["weight"]) for r in snapshot
                        if r["stratum"] == largest and r["excluded"] is None], seed, stats=stats)
        total = t_hash + t_rank
        per_object = total / size * 1e6
        t_verify = float("nan")
        if not args.no_verifier:
            draw = {"plan_hash": A.plan_hash(PLAN), "snapshot_hash": s_hash,
                    "commitment": A.commitment(nonce), "seed": seed.hex(),
                    "strata": result["strata"]}
            package = P.build_audit_package(
                plan=PLAN, snapshot=snapshot, nonce=nonce, beacon_value=beacon,
                committed_at="2026-11-27T00:00:00Z", draw=draw)
            with tempfile.TemporaryDirectory() as tmp:
                path = Path(tmp) / "package.json"
                with open(path, "w", encoding="utf-8") as fp:
                    P.dump_audit_package(package, fp)
                command = [sys.executable, str(ROOT / "tools/verify_draw.py"), str(path)]
                run, t_verify = timed(subprocess.run, command, capture_output=True)
                if run.returncode != 0:
                    print("  verifier FAILED on the %d-row package" % size)
        print("%10d %9.3f %9.3f %9.3f %10.2f %9d %9.1f" % (
            size, t_hash, t_rank, total, per_object, stats["near_tie_groups"], t_verify))
        if previous is not None:
            p_size, p_cost = previous
            print("%10s per-object cost x%.2f vs %d rows (log bound x%.2f)" % (
                "", per_object / p_cost, p_size, math.log(size) / math.log(p_size)))
        previous = (size, per_object)

    # Inspector matching: cost grows with objects x pool size (every object orders the pool).
    pool = [T.Inspector("I%04d" % i, "SCJ" if i % 3 else "WJW", frozenset({"food"}))
            for i in range(300)]
    rule = T.TeamRule("SCJ", {"WJW": {"food"}}, min_size=3, cap=1000)
    objects = ["9133%014d" % i for i in range(2000)]
    _, t_teams = timed(T.match_teams, pool, rule, bytes(32), objects)
    print("teams: %d objects x %d inspectors matched in %.2f s (%.1f us per object-inspector)"
          % (len(objects), len(pool), t_teams, t_teams / (len(objects) * len(pool)) * 1e6))


if __name__ == "__main__":
    main()
