"""Benchmark of `audit verify` with its replays (prints figures only).

    .venv/bin/python bench/audit_verify.py [--inspections 3] [--entries 20000,100000] [--runs 3] [--backends sqlite,postgresql] [--delta 1000]

On a fresh database per backend with the "field" demo (bench/_setup.py), --inspections visits
are inspected, sealed, approved and published through the API (photos and signatures uploaded,
so the media check re-hashes real files); then filler entries are appended to the log in
batches, as a busy deployment's reads and logins would. For each size it prints the median of
--runs full verifications (`audit verify --full`): seconds, entries per second, and the share spent
outside the chain (the replaying checks); then, after --delta more entries, the median of --runs
incremental verifications (`audit verify`, resuming from the checkpoint the last successful run
signed): seconds and the rate over the whole log.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _setup import FIELD_STEPS, PASSWORD, bench_app, median  # noqa: E402  (also puts the repository on sys.path)


def _inspect(app, n: int) -> None:
    import tests.support.field as field
    from tests.support.http import Session

    field.DEMO_PASSWORD = PASSWORD
    client = app.test_client()
    office = Session.login(client, "office", PASSWORD, "bench-office-01").headers
    rev = Session.login(client, "scjg-reviewer", PASSWORD, "bench-rev-0001").headers
    scout = field.Phone(client, "scjg-insp1")
    scout.pull()
    for visit in sorted(scout.visits(), key=lambda v: v["id"])[:n]:
        ctx = field.complete_inspection(client, office, visit["id"])
        for step in ("approve", "publish"):
            r = client.post(f"/api/v1/reviews/{ctx['visit_id']}/{step}", headers=rev)
            assert r.status_code == 200, r.get_json()


def _fill(app, upto: int) -> int:
    from server.audit import service as audit
    from server.audit.models import AuditChainHead
    from server.extensions import db

    with app.app_context():
        audit.set_system_actor("bench:filler")
        have = db.session.get(AuditChainHead, 1).seq
        while have < upto:
            for i in range(min(5000, upto - have)):
                audit.record(db.session, "bench.read", "visit", str(i), {"i": i})
            db.session.commit()
            have = db.session.get(AuditChainHead, 1).seq
        db.session.remove()
        return have


def _verify(app) -> tuple[float, float, int, bool]:
    from server.audit.service import verify_chain, verify
    from server.extensions import db

    with app.app_context():
        t0 = time.perf_counter()
        chain = verify_chain(db.session)
        t1 = time.perf_counter()
        report = verify(db.session)
        t2 = time.perf_counter()
        db.session.remove()
    return t2 - t1, (t2 - t1) - (t1 - t0), report.entries, report.ok and chain.ok


def _incremental(app, delta: int) -> tuple[float, int, int, bool]:
    """Sign a verified checkpoint (as a successful run does), append `delta` entries, resume."""
    from server.audit import checkpoints
    from server.audit.service import verify
    from server.types import utcnow
    from server.extensions import db

    with app.app_context():
        started = utcnow()
        checkpoints.record_verified(verify(db.session), started)
        db.session.commit()
        have = db.session.get(checkpoints.AuditChainHead, 1).seq
        db.session.remove()
    _fill(app, have + delta)
    with app.app_context():
        t0 = time.perf_counter()
        resume = checkpoints.resume_point(db.session)
        report = verify(db.session, resume)
        elapsed = time.perf_counter() - t0
        size = report.verified_head[0] if report.verified_head else 0
        db.session.remove()
    return elapsed, size, report.entries, bool(resume) and report.ok


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--inspections", type=int, default=3)
    ap.add_argument("--entries", default="20000,100000")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--backends", default="sqlite,postgresql")
    ap.add_argument("--delta", type=int, default=1000, help="entries appended before each incremental run")
    args = ap.parse_args()
    for backend in args.backends.split(","):
        with bench_app(backend, FIELD_STEPS, tag="verify") as (app, _url):
            _inspect(app, args.inspections)
            for size in (int(s) for s in args.entries.split(",")):
                entries = _fill(app, size)
                runs = [_verify(app) for _ in range(args.runs)]
                assert all(r[3] for r in runs), "verify failed on an untouched database"
                total = median([r[0] for r in runs])
                replay = median([r[1] for r in runs])
                print(f"{backend:10s} full        entries={entries:>7d} inspections={args.inspections} verify={total:6.2f}s "
                      f"rate={entries / total:>8.0f} entries/s replaying checks={replay:5.2f}s", flush=True)
                inc = [_incremental(app, args.delta) for _ in range(args.runs)]
                assert all(r[3] for r in inc), "incremental verify failed on an untouched database"
                secs = median([r[0] for r in inc])
                size = max(r[1] for r in inc)
                print(f"{backend:10s} incremental entries={size:>7d} rehashed={inc[-1][2]:>5d} verify={secs:6.2f}s "
                      f"rate={size / secs:>8.0f} entries/s (whole log over the run's time)", flush=True)


if __name__ == "__main__":
    main()
