"""`audit verify` resumes from the checkpoint its last successful run signed (issue 19): the
replays of the tables against the log and the files changed since run in full every time; the
entries before the checkpoint and the files untouched since are trusted, and `--full` re-checks
them. What each run re-checks is stated in docs/trust.md; these tests pin it."""
from __future__ import annotations

import time
from pathlib import Path

import pytest
from sqlalchemy import select, text

from server.audit import ddl
from server.audit.models import AuditEntry
from tests.support.field import complete_inspection
from tests.support.tamper import drop_append_only_guards, rewrite_chain


@pytest.fixture
def seed_level():
    return "field"


@pytest.fixture
def verified(client, login, runner):
    """A published record with photos, and a first (full) successful run."""
    ctx = complete_inspection(client, login("office"))
    rev = login("scjg-reviewer")
    assert client.post(f"/api/v1/reviews/{ctx['visit_id']}/approve", headers=rev).status_code == 200
    assert client.post(f"/api/v1/reviews/{ctx['visit_id']}/publish", headers=rev).status_code == 200
    r = runner.invoke(args=["audit", "verify"])
    assert r.exit_code == 0 and "incremental" not in r.output, r.output
    time.sleep(0.05)  # files changed from here on have a later ctime than that run's start
    return ctx


def _verify(runner, *extra):
    return runner.invoke(args=["audit", "verify", *extra])


def _original(app, dbs, media_id) -> Path:
    from media.models import MediaObject

    with dbs() as db:
        sha = db.get(MediaObject, media_id).sha256
    return next((Path(app.config["MEDIA_ROOT"]) / "originals").rglob(sha))


def test_a_second_run_resumes_and_trusts_unchanged_files(verified, client, login, runner):
    client.get("/api/v1/me", headers=login("auditor"))  # a few more entries after the checkpoint
    r = _verify(runner)
    assert r.exit_code == 0, r.output
    assert "incremental: resumed from checkpoint" in r.output and " 0 files re-hashed" in r.output
    assert "trusted from the verified checkpoint" in r.output
    r = _verify(runner, "--full")
    assert r.exit_code == 0 and "incremental" not in r.output and "entries linked and rehashed" in r.output


def test_a_file_replaced_after_the_run_is_re_hashed_and_caught(verified, app, dbs, runner):
    path = _original(app, dbs, verified["media"][0])
    other = _original(app, dbs, verified["media"][1]).read_bytes()
    path.chmod(0o644)
    path.write_bytes(other)
    r = _verify(runner)
    assert r.exit_code == 1 and "incremental: resumed" in r.output, r.output
    assert "no longer matches its SHA-256" in r.output


def test_tables_are_replayed_in_full_every_time(verified, dbs, runner):
    with dbs() as db:
        drop_append_only_guards(db)
        db.execute(text("UPDATE published_results SET result = '发现问题' WHERE visit_id = :v"),
                   {"v": verified["visit_id"]})
        db.commit()
    r = _verify(runner)
    assert r.exit_code == 1 and "incremental: resumed" in r.output, r.output
    assert "FAIL published result" in r.output and "differs from the logged" in r.output


def test_an_old_entry_a_replay_reads_is_re_hashed(verified, app, dbs, runner):
    with dbs() as db:
        for stmt in ddl.drop_statements(app.config["TEST_BACKEND"]):
            db.execute(text(stmt))
        seq = db.execute(select(AuditEntry.seq).where(AuditEntry.action == "visit.seal")).scalar_one()
        db.execute(text("UPDATE audit_entries SET payload = replace(payload, 'sealed_by', 'sealed_bx') WHERE seq = :s"),
                   {"s": seq})
        db.commit()
    r = _verify(runner)
    assert r.exit_code == 1, r.output
    assert f"FAILED: chain at entry {seq}: entry {seq}: payload or hash was altered (before the verified checkpoint)" in r.output


def test_what_an_incremental_run_trusts_a_full_run_checks(verified, app, dbs, runner):
    """An in-place edit of an old entry no replay reads (a login), with its triggers dropped, is
    trusted by the incremental run and caught by --full: run it on a schedule."""
    with dbs() as db:
        for stmt in ddl.drop_statements(app.config["TEST_BACKEND"]):
            db.execute(text(stmt))
        seq = db.execute(select(AuditEntry.seq).where(AuditEntry.action == "auth.login")
                         .order_by(AuditEntry.seq)).scalars().first()
        db.execute(text("UPDATE audit_entries SET payload = replace(payload, 'device', 'devicx') WHERE seq = :s"),
                   {"s": seq})
        db.commit()
    assert _verify(runner).exit_code == 0
    r = _verify(runner, "--full")
    assert r.exit_code == 1 and f"entry {seq}: payload or hash was altered" in r.output, r.output


def test_a_rewritten_prefix_is_not_resumed_from(verified, app, dbs, runner):
    with dbs() as db:
        for stmt in ddl.drop_statements(app.config["TEST_BACKEND"]):
            db.execute(text(stmt))
        drop_append_only_guards(db)
        target = db.execute(select(AuditEntry.seq).where(AuditEntry.action == "auth.login")
                            .order_by(AuditEntry.seq)).scalars().first()

        def change(body, row):
            if row.seq == target:
                body["data"]["address"] = "10.9.9.9"
                return True
            return False

        rewrite_chain(db, change)
        db.commit()
    # The stored checkpoint it would resume from no longer matches: a full run, which names it.
    r = _verify(runner)
    assert r.exit_code == 1 and "incremental" not in r.output, r.output
    assert "differs from the checkpoint: the log was rewritten" in r.output


def test_an_old_entry_deleted_is_missed_by_no_run(verified, app, dbs, runner):
    with dbs() as db:
        for stmt in ddl.drop_statements(app.config["TEST_BACKEND"]):
            db.execute(text(stmt))
        db.execute(text("DELETE FROM audit_entries WHERE seq = 3"))
        db.commit()
    r = _verify(runner)
    assert r.exit_code == 1 and "1 entries before the verified checkpoint" in r.output and "are missing" in r.output, r.output
