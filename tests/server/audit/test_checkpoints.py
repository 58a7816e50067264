"""Signed checkpoints catch a log rewritten consistently from the start."""
from __future__ import annotations

import json

from sqlalchemy import select, text

from server.audit import ddl
from server.audit.models import AuditEntry
from tests.support.tamper import resign_stored_checkpoints, rewrite_chain


def _rewrite_from(db, app, seq_from: int) -> None:
    """What a database superuser could do: edit an entry and rehash everything after it."""
    for stmt in ddl.drop_statements(app.config["TEST_BACKEND"]):
        db.execute(text(stmt))

    def change(body, row):
        if row.seq != seq_from:
            return False
        edited = json.loads(row.payload.replace("scjg", "sthj"))
        body.clear()
        body.update(edited)
        return True

    rewrite_chain(db, change)
    db.commit()


def test_checkpoint_export_and_consistent_rewrite(app, dbs, runner, tmp_path):
    out = tmp_path / "checkpoint.txt"
    r = runner.invoke(args=["audit", "checkpoint", "--out", str(out)])
    assert r.exit_code == 0, r.output
    body = json.loads(out.read_text())
    assert body["format"] == "dsr-audit-checkpoint-v1" and body["size"] > 50 and len(body["signature"]) > 40
    r = runner.invoke(args=["audit", "verify", "--checkpoint", str(out)])
    assert r.exit_code == 0, r.output

    with dbs() as db:
        seq = db.execute(select(AuditEntry.seq).where(AuditEntry.payload.like("%scjg%")).order_by(AuditEntry.seq)).scalars().first()
        _rewrite_from(db, app, seq)
    # The chain alone looks fine after a consistent rewrite (the stored checkpoint row is in the
    # same database and signed with the key file next to it, so re-sign it, as the attacker would) …
    with dbs() as db:
        resign_stored_checkpoints(db, keep_cosignatures=True)
        db.commit()
    r = runner.invoke(args=["audit", "verify"])
    assert r.exit_code == 0, r.output
    # … but the exported checkpoint kept elsewhere does not match any more.
    r = runner.invoke(args=["audit", "verify", "--checkpoint", str(out)])
    assert r.exit_code == 1
    assert "the log was rewritten" in r.output


def test_tampered_checkpoint_file_is_refused(runner, tmp_path):
    out = tmp_path / "cp.txt"
    runner.invoke(args=["audit", "checkpoint", "--out", str(out)])
    body = json.loads(out.read_text())
    body["size"] -= 1
    out.write_text(json.dumps(body))
    r = runner.invoke(args=["audit", "verify", "--checkpoint", str(out)])
    assert r.exit_code == 1 and "signature does not verify" in r.output


def test_api_checkpoint_and_public_key(client, login):
    h = login("auditor")
    cp = client.post("/api/v1/audit/checkpoints", headers=h).get_json()
    key = client.get("/api/v1/audit/public-key", headers=h).get_json()
    assert cp["public_key"] == key["public_key"] and key["algorithm"] == "Ed25519"
    assert client.get("/api/v1/audit/checkpoints", headers=h).get_json()[0]["id"] == cp["id"]
