"""Retention of the archive (Art. 25): at least 2 years, configurable upward; deletion
before that refused by the service and by the database; after it, deletion is logged."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from server.review import archive_ddl
from tests.support.field import complete_inspection
from tests.support.tamper import drop_append_only_guards


@pytest.fixture
def seed_level():
    return "field"


def _backdate(dbs, visit_id: str, years: int) -> None:
    """Let `years` pass for one record (only its seal time moves)."""
    with dbs() as s:
        ts = s.execute(text("SELECT sealed_at FROM visit_records WHERE visit_id = :v"), {"v": visit_id}).scalar_one()
        if isinstance(ts, str):
            ts = __import__("datetime").datetime.fromisoformat(ts)
        drop_append_only_guards(s)
        s.execute(text("UPDATE visit_records SET sealed_at = :t WHERE visit_id = :v"),
                  {"t": ts.replace(year=ts.year - years), "v": visit_id})
        s.commit()


def test_retention_below_two_years_is_refused_at_start(tmp_path):
    from server import create_app
    from server.config import ConfigError
    from tests.conftest import base_config

    for bad in (1, 0, "two"):
        with pytest.raises(ConfigError, match="ARCHIVE_RETENTION_YEARS"):
            create_app({**base_config(tmp_path), "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.db",
                        "ARCHIVE_RETENTION_YEARS": bad})


def test_deletion_within_retention_is_impossible_and_after_it_logged(app, client, login, dbs, runner):
    office, rev = login("office"), login("scjg-reviewer")
    ctx = complete_inspection(client, office)
    vid = ctx["visit_id"]
    assert client.post(f"/api/v1/reviews/{vid}/approve", headers=rev).status_code == 200
    assert client.post(f"/api/v1/reviews/{vid}/publish", headers=rev).status_code == 200

    # The service refuses …
    r = runner.invoke(args=["archive", "delete", vid, "--reason", "清理"])
    assert r.exit_code == 1 and "须保存至少 2 年" in r.output
    # … and so does the database, whoever asks, for the record and every part of it.
    with dbs() as s:
        filled = [t for t in [archive_ddl.RECORD, *archive_ddl.CHILDREN]
                  if s.execute(text(f"SELECT COUNT(*) FROM {t} WHERE visit_id = :v"), {"v": vid}).scalar_one()]
    assert {"visit_records", "visit_answers", "visit_media", "visit_signatures", "reviews", "published_results"} <= set(filled)
    for table in filled:
        with dbs() as s:
            with pytest.raises(DBAPIError, match="archive retention"):
                s.execute(text(f"DELETE FROM {table} WHERE visit_id = :v"), {"v": vid})
                s.flush()
            s.rollback()
    with dbs() as s:
        with pytest.raises(DBAPIError):
            s.execute(text("UPDATE archive_policy SET retention_years = 1"))
        s.rollback()
        with pytest.raises(DBAPIError, match="archive_policy"):
            s.execute(text("DELETE FROM archive_policy"))
        s.rollback()
    r = runner.invoke(args=["archive", "purge"])
    assert r.exit_code == 0 and "deleted 0 sealed record(s)" in r.output

    # Two years and a bit later: the purge deletes it and says so in the audit chain.
    _backdate(dbs, vid, 2)
    with dbs() as s:
        drop_append_only_guards(s)
        s.execute(text("UPDATE visit_records SET sealed_at = sealed_at - INTERVAL '1 day' WHERE visit_id = :v"
                       if app.config["TEST_BACKEND"] == "postgresql" else
                       "UPDATE visit_records SET sealed_at = datetime(sealed_at, '-1 day') WHERE visit_id = :v"), {"v": vid})
        s.commit()
    r = runner.invoke(args=["archive", "purge", "--dry-run"])
    assert r.exit_code == 0 and f"would delete {vid}" in r.output
    with dbs() as s:
        assert s.execute(text("SELECT COUNT(*) FROM visit_records WHERE visit_id = :v"), {"v": vid}).scalar_one() == 1
    from pathlib import Path

    originals = Path(app.config["MEDIA_ROOT"]) / "originals"
    before = {p.name for p in originals.rglob("*") if p.is_file()}
    r = runner.invoke(args=["archive", "purge"])
    assert r.exit_code == 0, r.output
    assert f"deleted {vid}" in r.output and "deleted 1 sealed record(s)" in r.output
    after = {p.name for p in originals.rglob("*") if p.is_file()}
    with dbs() as s:
        assert s.execute(text("SELECT COUNT(*) FROM media_objects WHERE media_id IN :ids").bindparams(
            __import__("sqlalchemy").bindparam("ids", expanding=True)), {"ids": ctx["media"]}).scalar_one() == 0
    assert len(before - after) == len(ctx["media"])  # every photo and signature image is gone
    with dbs() as s:
        for table in [archive_ddl.RECORD, *archive_ddl.CHILDREN]:
            assert s.execute(text(f"SELECT COUNT(*) FROM {table} WHERE visit_id = :v"), {"v": vid}).scalar_one() == 0
        entry = s.execute(text("SELECT payload FROM audit_entries WHERE action = 'archive.delete' AND target_id = :v"),
                          {"v": vid}).scalar_one()
    data = json.loads(entry)["data"]
    assert data["content_sha256"] == ctx["content_sha256"] and data["retention_years"] == 2
    assert data["reason"] == "保存期限届满" and len(data["media"]) == len(ctx["media"])
    assert client.get("/api/v1/public/results").get_json()["items"] == []
    r = runner.invoke(args=["audit", "verify"])
    assert r.exit_code == 0, r.output
    assert "PASS archive: 1 sealed, 1 deleted after retention, none missing" in r.output


def test_longer_retention_is_kept_by_the_database_too(app_config, app, client, login, dbs, runner):
    vid = complete_inspection(client, login("office"))["visit_id"]
    _backdate(dbs, vid, 3)
    r = runner.invoke(args=["archive", "status"])
    assert r.exit_code == 0 and "retention: 5 years" in r.output and "expired sealed records: 0" in r.output
    with dbs() as s:
        assert s.execute(text("SELECT retention_years FROM archive_policy")).scalar_one() == 5
        with pytest.raises(DBAPIError, match="archive retention"):
            s.execute(text("DELETE FROM visit_records WHERE visit_id = :v"), {"v": vid})
        s.rollback()
        assert s.execute(text("SELECT COUNT(*) FROM audit_entries WHERE action = 'archive.policy'")).scalar_one() == 1
    r = runner.invoke(args=["archive", "delete", vid, "--reason", "清理"])
    assert r.exit_code == 1 and "须保存至少 5 年" in r.output


@pytest.fixture
def app_config(request):
    return {"ARCHIVE_RETENTION_YEARS": 5} if "longer" in request.node.name else {}


def test_a_sealed_record_deleted_behind_the_triggers_fails_verification(app, client, login, dbs, runner):
    vid = complete_inspection(client, login("office"))["visit_id"]
    with dbs() as s:
        for stmt in archive_ddl.drop_statements(app.config["TEST_BACKEND"]):
            s.execute(text(stmt))
        for table in [*archive_ddl.CHILDREN, archive_ddl.RECORD]:
            s.execute(text(f"DELETE FROM {table} WHERE visit_id = :v"), {"v": vid})
        s.commit()
    r = runner.invoke(args=["audit", "verify"])
    assert r.exit_code == 1
    assert f"FAIL archive: sealed record {vid} is gone without a logged deletion" in r.output
