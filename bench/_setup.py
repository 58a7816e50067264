"""Shared set-up for benchmarks: a migrated, demo-seeded database on SQLite or PostgreSQL."""
from __future__ import annotations

import os
import sys
import tempfile
import uuid
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PG_ADMIN = os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
# Throwaway PostgreSQL databases are named with this prefix (a shared server may reserve one per user).
DB_PREFIX = os.environ.get("BENCH_DB_PREFIX", "dsr_bench_")


@contextmanager
def bench_app(backend: str, steps: set[str] | None = None):
    """Yield (app, url) on a fresh database; PostgreSQL databases are dropped afterwards."""
    import psycopg
    from flask_migrate import upgrade

    from server import create_app

    tmp = Path(tempfile.mkdtemp(prefix="dsr-bench-"))
    dbname = None
    if backend == "sqlite":
        url = f"sqlite:///{tmp / 'bench.sqlite3'}"
    else:
        dbname = f"{DB_PREFIX}{uuid.uuid4().hex[:10]}"
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{dbname}"')
        url = PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://") + f"/{dbname}"
    app = create_app({"APP_ENV": "testing", "INSTANCE_PATH": str(tmp), "SQLALCHEMY_DATABASE_URI": url,
                      "SECRET_KEY": "bench-secret-key-0123456789abcdef0123456789", "DEMO_PASSWORD": "bench-pass-1"})
    try:
        with app.app_context():
            upgrade()
            if steps is not None:
                from server.demo.cli import STEPS, load_demo

                load_demo("bench-pass-1", steps=[(label, fn) for label, fn in STEPS if label in steps])
        yield app, url
    finally:
        if dbname:
            from server.extensions import db

            with app.app_context():
                db.engine.dispose()
            with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')


def median(xs):
    xs = sorted(xs)
    n = len(xs)
    return xs[n // 2] if n % 2 else (xs[n // 2 - 1] + xs[n // 2]) / 2
