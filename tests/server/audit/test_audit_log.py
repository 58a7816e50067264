"""The audit log: appended for each change, append-only in the database, verifiable."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from server.audit import ddl
from server.audit.models import AuditEntry
from tests.conftest import DEMO_PASSWORD
from tests.support.http import Session


def _last(s, n=1):
    return s.execute(select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(n)).scalars().all()


def test_state_changes_append_entries_with_actor_device_and_request(client, dbs):
    s = Session.login(client, "office", DEMO_PASSWORD, "office-desk-0001")
    r = client.post("/api/v1/departments", headers={**s.headers, "X-Request-ID": "req-dept-1"},
                    json={"code": "gtzy", "name": "忻州市规划和自然资源局", "level": "city", "region_code": "140900"})
    assert r.status_code == 201
    with dbs() as db:
        (entry,) = _last(db)
        assert entry.action == "department.create"
        assert entry.target_type == "department" and entry.target_id == str(r.get_json()["id"])
        assert entry.request_id == "req-dept-1"
        me = client.get("/api/v1/me", headers=s.headers).get_json()
        assert entry.actor_user_id == me["user"]["id"]
        assert entry.actor_department_id == me["department"]["id"]
        assert entry.device_id == me["device"]["id"]
        payload = json.loads(entry.payload)
        assert payload["data"]["name"] == "忻州市规划和自然资源局"
        # Stored exactly as hashed: canonical (sorted keys, no spaces).
        assert entry.payload == json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def test_failed_request_appends_nothing(client, dbs):
    s = Session.login(client, "office", DEMO_PASSWORD)
    with dbs() as db:
        before = _last(db)[0].seq
    r = client.post("/api/v1/departments", headers=s.headers,
                    json={"code": "scjg", "name": "重复的部门", "level": "city", "region_code": "140900"})
    assert r.status_code == 409
    with dbs() as db:
        assert _last(db)[0].seq == before


def test_direct_update_and_delete_are_refused(app, dbs):
    with dbs() as db:
        with pytest.raises(DBAPIError, match="append-only"):
            db.execute(text("UPDATE audit_entries SET action = 'x' WHERE seq = 1"))
        db.rollback()
        with pytest.raises(DBAPIError, match="append-only"):
            db.execute(text("DELETE FROM audit_entries WHERE seq = 1"))
        db.rollback()
        if app.config["TEST_BACKEND"] == "postgresql":
            with pytest.raises(DBAPIError, match="append-only"):
                db.execute(text("TRUNCATE audit_entries"))
            db.rollback()
            # ENABLE ALWAYS: replica mode does not switch them off either.
            db.execute(text("SET session_replication_role = replica"))
            with pytest.raises(DBAPIError, match="append-only"):
                db.execute(text("DELETE FROM audit_entries"))
            db.rollback()


def _drop_triggers(db, app):
    for stmt in ddl.drop_statements(app.config["TEST_BACKEND"]):
        db.execute(text(stmt))


def _verify(runner):
    return runner.invoke(args=["audit", "verify"])


def test_verify_passes_on_intact_log(runner):
    result = _verify(runner)
    assert result.exit_code == 0, result.output
    assert "OK: audit log intact" in result.output


def test_verify_names_the_first_edited_entry(app, dbs, runner):
    with dbs() as db:
        _drop_triggers(db, app)
        seq = db.execute(text("SELECT seq FROM audit_entries WHERE payload LIKE '%\"scjg-insp2\"%'")).scalar_one()
        db.execute(text(f"UPDATE audit_entries SET payload = replace(payload, 'scjg-insp2', 'scjg-insp9') WHERE seq = {seq}"))
        db.execute(text(f"UPDATE audit_entries SET payload = replace(payload, 'scjg', 'sthj') WHERE seq = {seq + 5}"))
        db.commit()
    result = _verify(runner)
    assert result.exit_code == 1
    assert f"FAILED: chain at entry {seq}: entry {seq}: payload or hash was altered" in result.output


def test_verify_catches_column_edit_behind_intact_payload(app, dbs, runner):
    with dbs() as db:
        _drop_triggers(db, app)
        db.execute(text("UPDATE audit_entries SET actor_user_id = 999 WHERE seq = 5"))
        db.commit()
    result = _verify(runner)
    assert result.exit_code == 1
    assert "entry 5" in result.output and "actor_user_id" in result.output


def test_verify_catches_deleted_entry(app, dbs, runner):
    with dbs() as db:
        _drop_triggers(db, app)
        db.execute(text("DELETE FROM audit_entries WHERE seq = 7"))
        db.commit()
    result = _verify(runner)
    assert result.exit_code == 1
    assert "entry 7 is missing" in result.output


def test_verify_catches_truncated_tail(app, dbs, runner):
    with dbs() as db:
        _drop_triggers(db, app)
        last = _last(db)[0].seq
        db.execute(text(f"DELETE FROM audit_entries WHERE seq = {last}"))
        db.commit()
    result = _verify(runner)
    assert result.exit_code == 1
    assert "chain head" in result.output


def test_api_lists_and_verifies_for_auditors_only(client, login):
    r = client.get("/api/v1/audit/entries?limit=5", headers=login("auditor"))
    assert r.status_code == 200
    page = r.get_json()
    assert len(page["items"]) == 5 and page["next_cursor"]
    seqs = [e["seq"] for e in page["items"]]
    assert seqs == sorted(seqs, reverse=True)
    nxt = client.get(f"/api/v1/audit/entries?limit=5&cursor={page['next_cursor']}", headers=login("auditor")).get_json()
    assert nxt["items"][0]["seq"] == seqs[-1] - 1
    assert client.get("/api/v1/audit/verify", headers=login("auditor")).get_json()["ok"] is True
    assert client.get("/api/v1/audit/entries", headers=login("scjg-insp1")).status_code == 403
    # A department admin sees only entries of their own department's people.
    entries = client.get("/api/v1/audit/entries?limit=200", headers=login("sthj-admin")).get_json()["items"]
    assert entries and all(e["actor_department_id"] == entries[0]["actor_department_id"] for e in entries)
