"""SQLite's one writer (server/dbsetup.py): the threads of a process queue for a writer lock
before BEGIN IMMEDIATE, and give it back however their transaction ends; a phone's first pull
writes only its registration and reads the rest without holding a writer's place."""
from __future__ import annotations

import threading

import pytest
from sqlalchemy import text

from server import dbsetup
from server.extensions import db
from tests.support.sql import counted_statements


@pytest.fixture
def sqlite_app(app, backend):
    if backend != "sqlite":
        pytest.skip("SQLite's writer lock")
    return app


def test_the_writer_lock_is_given_back_at_commit_rollback_error_and_return_to_the_pool(sqlite_app):
    with sqlite_app.app_context():
        db.session.execute(text("UPDATE app_settings SET key = key WHERE 0"))  # a write transaction (no request)
        assert dbsetup._WRITER.locked()
        db.session.commit()
        assert not dbsetup._WRITER.locked()
        db.session.execute(text("UPDATE app_settings SET key = key WHERE 0"))
        db.session.rollback()
        assert not dbsetup._WRITER.locked()
        with pytest.raises(Exception):
            db.session.execute(text("SELECT * FROM no_such_table"))
        db.session.rollback()
        assert not dbsetup._WRITER.locked()
        db.session.execute(text("SELECT 1"))
        assert dbsetup._WRITER.locked()
        db.session.remove()  # back to the pool without commit or rollback of its own
        assert not dbsetup._WRITER.locked()
        with db.engine.connect() as conn:  # a Core connection too
            conn.execute(text("SELECT 1"))
            assert dbsetup._WRITER.locked()
        assert not dbsetup._WRITER.locked()


def test_writers_of_one_process_take_turns_and_all_commit(sqlite_app):
    """Eight threads each write twenty times; every write lands and the lock ends free."""
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            with sqlite_app.app_context():
                for i in range(20):
                    db.session.execute(text("INSERT INTO app_settings (key, value, updated_at) VALUES (:k, '1', '2026-12-07 00:00:00')"),
                                       {"k": f"w:{n}:{i}"})
                    db.session.commit()
                db.session.remove()
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == [] and not any(t.is_alive() for t in threads)
    with sqlite_app.app_context():
        assert db.session.execute(text("SELECT count(*) FROM app_settings WHERE key LIKE 'w:%'")).scalar() == 160
        db.session.remove()
    assert not dbsetup._WRITER.locked()


def test_a_first_pull_writes_its_registration_then_reads_without_the_writer_lock(sqlite_app, client, login,
                                                                                 new_client_id):
    h = login("scjg-insp1")
    with counted_statements(sqlite_app) as seen:
        body = client.get(f"/api/v1/sync/pull?client_id={new_client_id()}", headers=h).get_json()
    assert body["reset"] is True and body["changes"]
    begins = [s.strip() for s in seen if s.strip().startswith("BEGIN")]
    # One write transaction (the registration), then the snapshot read in a plain one.
    assert begins[:1] == ["BEGIN"] and begins.count("BEGIN IMMEDIATE") == 1, begins
    assert begins[-1] == "BEGIN", begins
    assert not dbsetup._WRITER.locked()


def test_writers_on_several_databases_keep_one_lock_file_open_and_each_locks_its_own(tmp_path):
    from sqlalchemy import create_engine

    dbsetup.install()
    engines = [create_engine(f"sqlite:///{tmp_path / f'db{n}.sqlite3'}") for n in range(3)]
    try:
        for _ in range(2):
            for engine in engines:
                with engine.begin() as conn:  # BEGIN IMMEDIATE (no request): the writer locks are taken
                    conn.execute(text("CREATE TABLE IF NOT EXISTS t (x INTEGER)"))
                    conn.execute(text("INSERT INTO t VALUES (1)"))
                    assert dbsetup._WRITER.locked() and list(dbsetup._lock_files) == [engine.url.database]
                assert not dbsetup._WRITER.locked()
        assert len(dbsetup._lock_files) == 1
        assert sorted(p.name for p in tmp_path.glob("*-writer.lock")) == [f"db{n}.sqlite3-writer.lock" for n in range(3)]
        for engine in engines:
            with engine.connect() as conn:
                assert conn.execute(text("SELECT count(*) FROM t")).scalar() == 2
    finally:
        for engine in engines:
            engine.dispose()


def test_a_push_reads_who_is_calling_before_it_takes_the_writers_turn_and_the_turn_is_measured(
        sqlite_app, client, login, new_client_id):
    """The caller's authentication is read in a plain transaction that ends before the batch's write
    transaction begins (the body is parsed and validated in between, holding nothing); the write
    transaction's wait and hold are counted for /metrics."""
    from prometheus_client import REGISTRY

    h = login("scjg-insp1")

    def sample(name: str) -> float:
        return REGISTRY.get_sample_value(name) or 0.0

    before = {n: sample(n) for n in ("dsr_sqlite_write_transactions_total", "dsr_sqlite_writer_held_seconds_total")}
    with counted_statements(sqlite_app) as seen:
        r = client.post("/api/v1/sync/push", headers=h,
                        json={"client_id": new_client_id(), "schema_version": 1, "mutations": []})
    assert r.status_code == 200, r.get_json()
    flow = [s.strip().split()[0] if not s.strip().startswith("BEGIN") else s.strip() for s in seen]
    first_write = flow.index("BEGIN IMMEDIATE")
    assert flow[0] == "BEGIN", flow
    assert [s for s in seen[:first_write] if "FROM users" in s], seen[:first_write]
    assert flow.count("BEGIN IMMEDIATE") == 1, flow
    assert sample("dsr_sqlite_write_transactions_total") == before["dsr_sqlite_write_transactions_total"] + 1
    assert sample("dsr_sqlite_writer_held_seconds_total") > before["dsr_sqlite_writer_held_seconds_total"]
    assert not dbsetup._WRITER.locked()


def test_a_login_hashes_the_password_holding_no_writers_turn(sqlite_app, client, monkeypatch):
    """argon2 takes tens of milliseconds: a burst of logins must not stop every push behind it. The
    lookup and the hashing run in a read transaction; the device and session are written after."""
    from server.accounts import service
    from tests.conftest import DEMO_PASSWORD

    real, held = service.verify_password, []

    def verify(stored, password):
        held.append(dbsetup._WRITER.locked())
        return real(stored, password)

    monkeypatch.setattr(service, "verify_password", verify)
    with counted_statements(sqlite_app) as seen:
        r = client.post("/api/v1/auth/login", json={"username": "scjg-insp1", "password": DEMO_PASSWORD,
                                                     "device_id": "writer-turn-01", "device_name": "x"})
    assert r.status_code == 200, r.get_json()
    assert held == [False]
    flow = [s.strip() for s in seen if s.strip().startswith("BEGIN")]
    assert flow == ["BEGIN", "BEGIN IMMEDIATE"], flow
    assert not dbsetup._WRITER.locked()
