"""/healthz reports the database and the schema version; 503 when the database is down."""
from __future__ import annotations

from server import create_app
from tests.conftest import base_config
from tests.support.http import assert_problem


def test_healthz_ok(client, app):
    r = client.get("/healthz")
    assert r.status_code == 200
    body = r.get_json()
    assert body["status"] == "ok" and body["database"] == "ok"
    assert body["schema_current"] is True and body["schema_version"]
    assert body["backend"] == app.config["TEST_BACKEND"]


def test_healthz_503_when_database_down(tmp_path):
    app = create_app({**base_config(tmp_path), "SQLALCHEMY_DATABASE_URI":
                      "postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=1"})
    body = assert_problem(app.test_client().get("/healthz"), 503, "database_unavailable")
    assert body["database"] == "unreachable"


def test_healthz_503_when_not_migrated(tmp_path):
    app = create_app({**base_config(tmp_path), "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/blank.sqlite3"})
    assert_problem(app.test_client().get("/healthz"), 503, "database_unavailable")


def test_livez_answers_without_the_database(tmp_path):
    """/livez touches no database (the benchmarks' no-database ceiling): it answers with the database down."""
    app = create_app({**base_config(tmp_path), "SQLALCHEMY_DATABASE_URI":
                      "postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=1"})
    r = app.test_client().get("/livez")
    assert r.status_code == 200 and r.get_json() == {"status": "ok"}
