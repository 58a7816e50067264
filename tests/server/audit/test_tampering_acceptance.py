"""Acceptance: `audit verify` on a database with a sealed, approved and published record
passes untouched, and catches each kind of tampering of the archive.

(The base-data variants live in test_audit_log.py and test_checkpoints.py; the sealed-record
ones also in tests/server/visits/test_inspection_flow.py. Here all four on one archive.)
"""
from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select, text

from server.audit import ddl
from server.audit.models import AuditEntry
from tests.support.field import complete_inspection
from tests.support.tamper import drop_append_only_guards, resign_stored_checkpoints, rewrite_chain


@pytest.fixture
def seed_level():
    return "field"


@pytest.fixture
def archive(client, login):
    ctx = complete_inspection(client, login("office"))
    rev = login("scjg-reviewer")
    assert client.post(f"/api/v1/reviews/{ctx['visit_id']}/approve", headers=rev).status_code == 200
    assert client.post(f"/api/v1/reviews/{ctx['visit_id']}/publish", headers=rev).status_code == 200
    return ctx


def _verify(runner, *checkpoints):
    args = ["audit", "verify"]
    for c in checkpoints:
        args += ["--checkpoint", str(c)]
    return runner.invoke(args=args)


def _seq_of(db, action: str, visit_id: str) -> int:
    return db.execute(select(AuditEntry.seq).where(AuditEntry.action == action, AuditEntry.target_id == visit_id)).scalar_one()


def test_untouched_archive_passes(archive, runner):
    r = _verify(runner)
    assert r.exit_code == 0, r.output
    assert "PASS sealed records: 1 sealed records" in r.output and "OK: audit log intact" in r.output


def test_edit_of_a_sealed_answer(archive, runner, dbs):
    with dbs() as db:
        drop_append_only_guards(db)
        db.execute(text("UPDATE visit_answers SET note = '改过的说明' WHERE visit_id = :v AND id = "
                        "(SELECT MAX(id) FROM visit_answers WHERE visit_id = :v)"), {"v": archive["visit_id"]})
        db.commit()
    r = _verify(runner)
    assert r.exit_code == 1
    assert f"FAIL sealed record {archive['visit_id']}: the record's content was changed after sealing" in r.output


def test_swapped_photo_file(archive, app, runner, dbs):
    from media.models import MediaObject

    with dbs() as db:
        sha = db.get(MediaObject, archive["media"][0]).sha256
    path = next((Path(app.config["MEDIA_ROOT"]) / "originals").rglob(sha))
    path.chmod(0o644)
    other = next(p for p in (Path(app.config["MEDIA_ROOT"]) / "originals").rglob("*") if p.is_file() and p != path)
    path.write_bytes(other.read_bytes())  # another genuine photo under this one's name
    r = _verify(runner)
    assert r.exit_code == 1 and "no longer matches its SHA-256" in r.output


def test_deleted_audit_row(archive, app, runner, dbs):
    with dbs() as db:
        for stmt in ddl.drop_statements(app.config["TEST_BACKEND"]):
            db.execute(text(stmt))
        seq = _seq_of(db, "review.approve", archive["visit_id"])
        db.execute(text("DELETE FROM audit_entries WHERE seq = :s"), {"s": seq})
        db.commit()
    r = _verify(runner)
    assert r.exit_code == 1 and f"entry {seq} is missing" in r.output


def test_consistent_rewrite_from_the_start_caught_by_an_exported_checkpoint(archive, app, runner, dbs, tmp_path):
    exported = tmp_path / "checkpoint.txt"
    assert runner.invoke(args=["audit", "checkpoint", "--out", str(exported)]).exit_code == 0
    assert _verify(runner, exported).exit_code == 0
    with dbs() as db:
        for stmt in ddl.drop_statements(app.config["TEST_BACKEND"]):
            db.execute(text(stmt))
        # Rewrite the publication's entry (say, a different result) and rehash the whole log.
        target = _seq_of(db, "result.publish", archive["visit_id"])

        def change(body, row):
            if row.seq == target:
                body["data"]["result"] = "发现问题经责令已改正"
                return True
            return False

        rewrite_chain(db, change)
        drop_append_only_guards(db)  # and the table the rewritten entry describes, consistently
        db.execute(text("UPDATE published_results SET result = '发现问题经责令已改正' WHERE visit_id = :v"),
                   {"v": archive["visit_id"]})
        # The stored copy is in the same database, signed with the key file next to it: re-signed.
        resign_stored_checkpoints(db, keep_cosignatures=True)
        db.commit()
    r = _verify(runner)
    assert r.exit_code == 0, r.output  # the log alone looks consistent …
    r = _verify(runner, exported)  # … but not against the checkpoint kept elsewhere
    assert r.exit_code == 1 and "the log was rewritten" in r.output
