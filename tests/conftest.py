"""Shared fixtures: the app on every configured database backend.

Every test that uses `app` (or `client`) runs once on SQLite and, when
TEST_DATABASE_URL is set, once more on PostgreSQL. Each test gets its own
fresh database cloned from a template that was migrated once per session
(SQLite: a file copy; PostgreSQL: CREATE DATABASE … TEMPLATE), so tests
never see each other's rows and the audit triggers stay in place.
"""
from __future__ import annotations

import itertools
import os
import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.support import pg  # noqa: E402

DEMO_PASSWORD = "demo-pass-123"
PG_URL = os.environ.get("TEST_DATABASE_URL")
BACKENDS = ["sqlite", "postgresql"]
_counter = itertools.count()


def pytest_report_header(config):
    if PG_URL:
        return f"database backends: sqlite, postgresql ({pg.redact(PG_URL)})"
    msg = "database backends: sqlite only (TEST_DATABASE_URL unset: PostgreSQL variants are SKIPPED)"
    return msg


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    if os.environ.get("REQUIRE_POSTGRES") and not PG_URL:
        raise pytest.UsageError("REQUIRE_POSTGRES is set but TEST_DATABASE_URL is not")
    # Whatever drives a browser page is a browser test, marked or not: `make test-fast`
    # (-m "not browser") must never start Chromium. tryfirst: before -m deselects.
    for item in items:
        if "page" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.browser)


def base_config(instance: Path) -> dict:
    return {
        "APP_ENV": "testing",
        "INSTANCE_PATH": str(instance),
        "SECRET_KEY": "test-secret-key-0123456789abcdef-0123456789",
        "DEMO_PASSWORD": DEMO_PASSWORD,
    }


def _migrate_and_seed(url: str, instance: Path, seed: str) -> None:
    from flask_migrate import upgrade

    from server import create_app
    from server.extensions import db

    app = create_app({**base_config(instance), "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade()
        if seed != "empty":
            from server.demo.cli import load_demo
            from tests.support.seed import seed_steps

            load_demo(DEMO_PASSWORD, steps=seed_steps(seed))
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(scope="session")
def templates(tmp_path_factory):
    """{(backend, level): template} built lazily, once per session (levels: tests/support/seed.py)."""
    cache: dict = {}
    root = tmp_path_factory.mktemp("templates")

    def get(backend: str, level: str):
        key = (backend, level)
        if key not in cache:
            name = level
            if backend == "sqlite":
                path = root / f"{name}.sqlite3"
                _migrate_and_seed(f"sqlite:///{path}", root, level)
                cache[key] = path
            else:
                tpl = pg.template_name(PG_URL, name)
                pg.recreate(PG_URL, tpl)
                _migrate_and_seed(pg.url_for(PG_URL, tpl), root, level)
                cache[key] = tpl
        return cache[key]

    yield get
    if PG_URL:
        for (backend, _), tpl in cache.items():
            if backend == "postgresql":
                pg.drop(PG_URL, tpl)


@pytest.fixture(params=BACKENDS)
def backend(request):
    if request.param == "postgresql" and not PG_URL:
        pytest.skip("PostgreSQL: TEST_DATABASE_URL is not set")
    return request.param


def _database(backend: str, templates, tmp_path: Path, level: str):
    tpl = templates(backend, level)
    if backend == "sqlite":
        path = tmp_path / "test.sqlite3"
        shutil.copyfile(tpl, path)
        return f"sqlite:///{path}", None
    name = pg.test_db_name(PG_URL, next(_counter))
    pg.clone(PG_URL, tpl, name)
    return pg.url_for(PG_URL, name), name


def _make_app(backend, templates, tmp_path, level, extra=None):
    from server import create_app
    from server.extensions import db

    url, pg_name = _database(backend, templates, tmp_path, level)
    instance = tmp_path / "instance"
    instance.mkdir(exist_ok=True)
    app = create_app({**base_config(instance), "SQLALCHEMY_DATABASE_URI": url, **(extra or {})})
    app.config["TEST_BACKEND"] = backend
    return app, pg_name, db


def _dispose(app, db) -> None:
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def dbs(app):
    """Direct database access for assertions: a fresh session per `with dbs() as s:`."""
    from contextlib import contextmanager

    from server.extensions import db

    @contextmanager
    def scope():
        with app.app_context():
            try:
                yield db.session
            finally:
                db.session.remove()

    return scope


@pytest.fixture
def app_config():
    """Override to pass extra config to the `app` fixture."""
    return {}


@pytest.fixture
def seed_level():
    """Which demo data the `app` starts with; a folder's conftest may override it ("field")."""
    return "base"


@pytest.fixture
def app(backend, templates, tmp_path, app_config, seed_level):
    """The app on its own database with the demo data of `seed_level` loaded."""
    app, pg_name, db = _make_app(backend, templates, tmp_path, seed_level, app_config)
    yield app
    _dispose(app, db)
    if pg_name:
        pg.drop(PG_URL, pg_name)


@pytest.fixture
def empty_app(backend, templates, tmp_path):
    """The app on a migrated but empty database."""
    app, pg_name, db = _make_app(backend, templates, tmp_path, "empty")
    yield app
    _dispose(app, db)
    if pg_name:
        pg.drop(PG_URL, pg_name)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def login(client):
    """login("scjg-insp1") → Authorization headers (cached per user and device)."""
    from tests.support.http import Session

    cache: dict = {}

    def do(username: str, device: str = "test-device-0001") -> dict:
        key = (username, device)
        if key not in cache:
            cache[key] = Session.login(client, username, DEMO_PASSWORD, device).headers
        return cache[key]

    return do
