"""What authenticating one API request costs: statements and CPU of `authenticate()` (issue 20).

Usage:  .venv/bin/python bench/auth_cost.py [--n 2000] [--pg postgresql://postgres@127.0.0.1:5432/postgres]
                                            [--profile]

On a throwaway database (SQLite file, or a PostgreSQL database created and dropped), one phone
logs in; then, in this process, `authenticate()` runs `--n` times in a request context with its
bearer token (the session removed after each, as at the end of a request), three rounds. Reported:
the statements one authentication sends, CPU seconds of this thread per authentication, the same
for a bare request context (what every request costs anyway), and per whole `GET /api/v1/me`
through the test client. `--profile` prints a cProfile of one more round.
"""
from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import sync_load  # noqa: E402  (puts the repository on sys.path ahead of this folder)
from _setup import FIELD_STEPS, PASSWORD, bench_app  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--pg", help="PostgreSQL admin URL (a throwaway database is created and dropped)")
    ap.add_argument("--profile", action="store_true")
    args = ap.parse_args()

    from sqlalchemy import event

    from server.accounts.auth import authenticate
    from server.extensions import db

    with bench_app("postgresql" if args.pg else "sqlite", FIELD_STEPS, pg_admin=args.pg, tag="auth_") as (app, _):
        spec = sync_load.seed(app, 1)[0]
        client = app.test_client()
        r = client.post("/api/v1/auth/login", json={"username": spec["username"], "password": PASSWORD,
                                                     "device_id": "bench-auth-0001", "device_name": "压测手机"})
        headers = {"Authorization": f"Bearer {r.get_json()['access_token']}"}
        seen: list[str] = []
        with app.app_context():
            event.listen(db.engine, "before_cursor_execute", lambda *a: seen.append(a[2]))

        def once(auth: bool = True) -> None:
            with app.test_request_context("/api/v1/sync/pull", headers=headers):
                app.preprocess_request()
                if auth:
                    authenticate()
                db.session.remove()

        def per_call(fn, n: int) -> float:
            t0 = time.thread_time()
            for _ in range(n):
                fn()
            return (time.thread_time() - t0) / n * 1000

        for _ in range(50):
            once()
        seen.clear()
        once()
        print(f"{'PostgreSQL' if args.pg else 'SQLite'}: statements per authentication: {len(seen)}")
        for s in seen:
            print("   ", " ".join(s.split())[:150])
        for _ in range(3):
            print(f"CPU per authentication (request context and session removal included): "
                  f"{per_call(once, args.n):.3f} ms")
        print(f"CPU per bare request context: {per_call(lambda: once(auth=False), args.n):.3f} ms")
        print(f"CPU per GET /api/v1/me: {per_call(lambda: client.get('/api/v1/me', headers=headers), args.n // 4):.3f} ms")
        if args.profile:
            prof = cProfile.Profile()
            prof.enable()
            for _ in range(args.n // 2):
                once()
            prof.disable()
            pstats.Stats(prof).strip_dirs().sort_stats("cumulative").print_stats(30)
        with app.app_context():
            db.session.remove()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
