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

from tests.support.seed import LEVELS  # noqa: E402

PG_ADMIN = os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
# Throwaway PostgreSQL databases are named with this prefix (a shared server may reserve one per user).
DB_PREFIX = os.environ.get("BENCH_DB_PREFIX", "dsr_bench_")
PASSWORD = "bench-pass-1"  # every demo account's password
SECRET = "bench-secret-key-0123456789abcdef0123456789"
FIELD_STEPS = LEVELS["field"]  # the demo up to a completed joint draw with teams


def _admin(pg_admin: str):
    import psycopg

    return psycopg.connect(pg_admin, autocommit=True)


def make_app(url: str, workdir: Path):
    """The app on `url` (testing configuration: fast password hashing)."""
    from server import create_app

    return create_app({"APP_ENV": "testing", "INSTANCE_PATH": str(workdir), "SQLALCHEMY_DATABASE_URI": url,
                       "SECRET_KEY": SECRET, "DEMO_PASSWORD": PASSWORD})


@contextmanager
def bench_app(backend: str, steps: set[str] | None = None, *, pg_admin: str | None = None, tag: str = ""):
    """Yield (app, url) on a fresh, migrated database with the demo `steps` loaded (None: none).

    SQLite: a file in a new temporary directory. PostgreSQL: a database named
    `<BENCH_DB_PREFIX><tag><random>` created through `pg_admin` (default: BENCH_PG_URL) and
    dropped afterwards, also when the benchmark fails or is stopped with SIGTERM turned into
    SystemExit.
    """
    from flask_migrate import upgrade

    from server.extensions import db

    workdir = Path(tempfile.mkdtemp(prefix="dsr-bench-"))
    pg_admin = pg_admin or PG_ADMIN
    dbname = None
    if backend == "sqlite":
        url = f"sqlite:///{workdir / 'bench.sqlite3'}"
    else:
        dbname = f"{DB_PREFIX}{tag}{uuid.uuid4().hex[:10]}"
        with _admin(pg_admin) as conn:
            conn.execute(f'CREATE DATABASE "{dbname}"')
        url = pg_admin.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1) + f"/{dbname}"
    app = None
    try:
        app = make_app(url, workdir)
        with app.app_context():
            upgrade()
            if steps is not None:
                from server.demo.cli import STEPS, load_demo

                load_demo(PASSWORD, steps=[(label, fn) for label, fn in STEPS if label in steps])
            db.session.remove()
        yield app, url
    finally:
        if dbname:
            if app is not None:
                with app.app_context():
                    db.engine.dispose()
            with _admin(pg_admin) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')


def median(xs):
    xs = sorted(xs)
    n = len(xs)
    return xs[n // 2] if n % 2 else (xs[n // 2 - 1] + xs[n // 2]) / 2
