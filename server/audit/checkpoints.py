"""Signed checkpoints of the audit chain, exportable as small text files.

A checkpoint states "the log had `size` entries ending in `head_hash`",
signed with the deployment's Ed25519 key. Kept outside the application (by
the office, auditors, or printed), it catches even a rewrite of the whole
chain by someone with database superuser rights: the rewritten log no longer
has that entry at that position.
"""
from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import Integer, String, Text, select
from sqlalchemy.orm import Mapped, mapped_column

from .. import keys
from ..extensions import db
from ..types import BigIntPK, UTCDateTime, utcnow
from .models import AuditChainHead, AuditEntry
from . import service as audit
from .service import Finding, HEAD_ID, logged, register_verifier
from .witnesses import check_cosignatures, cosign, registered_keys

FORMAT = "dsr-audit-checkpoint-v1"


class AuditCheckpoint(db.Model):
    __tablename__ = "audit_checkpoints"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    size: Mapped[int] = mapped_column(Integer)
    head_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    key_id: Mapped[str] = mapped_column(String(16))
    public_key: Mapped[str] = mapped_column(String(64))
    signature: Mapped[str] = mapped_column(String(128))
    text: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str | None] = mapped_column(String(64))


def _statement(size: int, head_hash: str, at: str) -> bytes:
    return f"{FORMAT}\nsize {size}\nhead {head_hash}\nat {at}\n".encode()


def create(created_by: str = "cli", cosign_key=None, head: tuple[int, str] | None = None,
           verified: dict | None = None) -> AuditCheckpoint:
    """Sign the current head, or `head` = (size, hash) (and countersign it with a registered
    witness's key). The caller commits. `verified`: a successful `audit verify` run signs the head it
    verified, saying how (later incremental runs resume from it).

    The checkpoint is itself logged (`audit.checkpoint`, right after the head it signs), so a stored
    checkpoint deleted later is missed by `verify`."""
    if head is None:
        row = db.session.execute(select(AuditChainHead).where(AuditChainHead.id == HEAD_ID)).scalar_one()
        head = (row.seq, row.head_hash)
    size, head_hash = head
    at = utcnow().strftime("%Y-%m-%dT%H:%M:%SZ")
    statement = _statement(size, head_hash, at)
    signature = keys.sign(statement)
    body = {"format": FORMAT, "size": size, "head": head_hash, "at": at, "key_id": keys.key_id(),
            "public_key": keys.public_key_b64(), "signature": signature}
    if cosign_key is not None:
        body["cosignatures"] = [cosign(statement, cosign_key)]
    text = json.dumps(body, ensure_ascii=False, indent=1) + "\n"
    cp = AuditCheckpoint(size=size, head_hash=head_hash, key_id=body["key_id"], public_key=body["public_key"],
                         signature=signature, text=text, created_by=created_by)
    db.session.add(cp)
    data = {"size": size, "head": head_hash, "at": at, "witnesses": [c["key_id"] for c in body.get("cosignatures", [])]}
    if verified:
        data["verified"] = verified
    audit.record(db.session, "audit.checkpoint", "audit_checkpoint", str(size), data)
    return cp


def _parse_iso(text: str) -> dt.datetime:
    return dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=dt.timezone.utc)


def resume_point(session) -> audit.Scope | None:
    """Where an incremental `audit verify` resumes: the latest checkpoint a successful run signed,
    if it is still stored, its signature and countersignatures verify and the log still has its head
    (else None: a full run). The `checkpoints` check reports a deleted or altered one."""
    last = None
    for e in logged(session, ["audit.checkpoint"]):
        if isinstance(e.data.get("verified"), dict):
            last = e
    if last is None:
        return None
    size, head = last.data.get("size"), last.data.get("head")
    cp = session.execute(select(AuditCheckpoint).where(AuditCheckpoint.size == size, AuditCheckpoint.head_hash == head)
                         .order_by(AuditCheckpoint.id.desc())).scalars().first()
    if cp is None or not check_exported(cp.text, keys.public_key_b64(), registered_keys(session)).ok:
        return None
    try:
        files_from = _parse_iso(last.data["verified"]["files_from"])
    except (KeyError, TypeError, ValueError):
        return None
    return audit.Scope(since_seq=int(size), since_hash=head, files_trusted_before=files_from,
                       resumed_from=f"checkpoint {size}@{last.data.get('at')}")


def record_verified(report: audit.Report, started: dt.datetime) -> AuditCheckpoint | None:
    """After a successful run, sign the head it verified so that the next run can resume there."""
    run = report.scope or audit.Scope()
    if not report.ok or not report.verified_head or report.verified_head[0] == 0:
        return None
    return create("audit verify", head=report.verified_head, verified={
        "mode": "incremental" if run.incremental else "full", "from": run.since_seq,
        "files_from": started.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "files_hashed": run.files_hashed, "files_trusted": run.files_trusted})


def check_exported(text: str, trusted_public_key: str | None = None, witnesses: set[str] | None = None) -> Finding:
    """An exported checkpoint must be validly signed (and countersigned, when it is) and a prefix of
    today's log. `witnesses`: the witness keys to trust (None: those the file names)."""
    try:
        body = json.loads(text)
        statement = _statement(int(body["size"]), body["head"], body["at"])
    except (ValueError, KeyError, TypeError):
        return Finding("checkpoint", False, "checkpoint file is not readable")
    name = f"checkpoint {body['size']}@{body['at']}"
    key = trusted_public_key or body.get("public_key", "")
    if trusted_public_key and body.get("public_key") != trusted_public_key:
        return Finding(name, False, "signed with a different key than the deployment's")
    if not keys.verify(key, statement, body.get("signature", "")):
        return Finding(name, False, "signature does not verify")
    problem = check_cosignatures(statement, body.get("cosignatures"), witnesses)
    if problem:
        return Finding(name, False, problem)
    if body.get("cosignatures"):
        name += " cosigned by " + "、".join(str(c.get("witness")) for c in body["cosignatures"])
    if body["size"] == 0:
        return Finding(name, True, "empty log")
    entry = db.session.execute(select(AuditEntry).where(AuditEntry.seq == body["size"])).scalar_one_or_none()
    if entry is None:
        return Finding(name, False, f"the log no longer has entry {body['size']}", body["size"])
    if entry.entry_hash != body["head"]:
        return Finding(name, False, f"entry {body['size']} differs from the checkpoint: the log was rewritten", body["size"])
    return Finding(name, True, f"log still ends entry {body['size']} in {body['head'][:12]}…")


def verify_stored(session) -> list[Finding]:
    """Every checkpoint kept in the database is still a prefix of the log, its countersignatures
    still verify (the server key alone cannot re-make them), and none the log names is gone."""
    out = []
    witnesses = registered_keys(session)
    kept: dict = {}
    for cp in session.execute(select(AuditCheckpoint).order_by(AuditCheckpoint.id)).scalars():
        f = check_exported(cp.text, keys.public_key_b64(), witnesses)
        f.check = "stored " + f.check
        out.append(f)
        kept[(cp.size, cp.head_hash)] = sorted(c.get("key_id") for c in json.loads(cp.text).get("cosignatures", []))
    for e in logged(session, ["audit.checkpoint"]):
        key, name = (e.data.get("size"), e.data.get("head")), f"stored checkpoint {e.data.get('size')}@{e.data.get('at')}"
        if key not in kept:
            out.append(Finding(name, False, "the log records this checkpoint but it is no longer stored (deleted)", e.seq))
            break
        if kept[key] != sorted(e.data.get("witnesses") or []):
            out.append(Finding(name, False, "its countersignatures differ from those logged (stripped or added)", e.seq))
            break
    return out


register_verifier("checkpoints", verify_stored)
