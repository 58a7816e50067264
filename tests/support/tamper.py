"""Playing an attacker with database rights: first drop the guards that refuse the change."""
from __future__ import annotations

from sqlalchemy import text


def drop_append_only_guards(session) -> None:
    """Drop the triggers that make sealed records and published results append-only (sealed_ddl)."""
    from server.review import sealed_ddl

    for stmt in sealed_ddl.drop_statements(session.get_bind().dialect.name):
        session.execute(text(stmt))


def rewrite_chain(session, change) -> str:
    """Rehash the whole audit log after `change(body, row)` edits payloads (return True when it did);
    fix the chain head; return the new head hash. The audit triggers must be dropped first."""
    import json

    from sqlalchemy import select

    from server.audit.models import AuditEntry
    from server.audit.service import GENESIS, entry_hash

    prev, hashes = GENESIS, {}
    for row in session.execute(select(AuditEntry).order_by(AuditEntry.seq)).scalars().all():
        body = json.loads(row.payload)
        changed = change(body, row)
        if body["action"] == "audit.checkpoint":  # a thorough attacker keeps these consistent too
            body["data"]["head"], changed = hashes[body["data"]["size"]], True
        if changed:
            row.payload = json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        row.prev_hash = prev
        row.entry_hash = entry_hash(prev, row.seq, row.payload.encode())
        prev = hashes[row.seq] = row.entry_hash
    session.flush()
    session.execute(text("UPDATE audit_chain_head SET head_hash = :h"), {"h": prev})
    return prev


def resign_stored_checkpoints(session, keep_cosignatures: bool) -> None:
    """Re-sign every stored checkpoint for the (rewritten) log with the instance key, as someone
    holding the key file can; the witnesses' countersignatures cannot be re-made."""
    import json

    from sqlalchemy import select

    from server import keys
    from server.audit.checkpoints import AuditCheckpoint, _statement
    from server.audit.models import AuditEntry

    for cp in session.execute(select(AuditCheckpoint)).scalars().all():
        body = json.loads(cp.text)
        head = session.execute(select(AuditEntry.entry_hash).where(AuditEntry.seq == cp.size)).scalar_one()
        body["head"], body["signature"] = head, keys.sign(_statement(cp.size, head, body["at"]))
        if not keep_cosignatures:
            body.pop("cosignatures", None)
        cp.head_hash, cp.signature, cp.text = head, body["signature"], json.dumps(body, ensure_ascii=False, indent=1) + "\n"
    session.flush()
