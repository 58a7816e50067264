"""`audit verify` re-checks every sealed record: its content, the seal, every
signature event, and the stored bytes of every photo it names."""
from __future__ import annotations

import json

from sqlalchemy import select

from media import service as media_service
from media.store import originals
from media.verification import file_intact

from .. import keys
from ..audit.service import Finding, register_verifier
from ..canonical import jcs, sha256_hex
from ..extensions import db
from .content import content_sha256, canonical_record
from .models import Visit, Signature, VisitRecord


def _media_intact(record_body: dict) -> str | None:
    store = originals()
    for m in record_body["media"]:
        obj = media_service.get_object(m["media_id"])
        if obj is None or obj.uploaded_at is None:
            continue  # evidence still pending: nothing stored to check yet
        if obj.sha256 != m["sha256"]:
            return f"media {m['media_id']} has hash {obj.sha256[:12]}… but the record binds {m['sha256'][:12]}…"
        if not file_intact(store, obj.sha256):
            return f"the stored file of media {m['media_id']} no longer matches its SHA-256 (missing or replaced)"
    return None


def binding_verified(visit, record) -> bool:
    """Recompute the content hash from what the server holds; every signature must bind it."""
    current = content_sha256(visit, record)
    if current != record.content_sha256 or json.loads(record.sealed_content) is None:
        return False
    sigs = db.session.execute(select(Signature).where(Signature.visit_id == visit.id)).scalars().all()
    return bool(sigs) and all(s.content_sha256 == current for s in sigs)


def check_record(visit: Visit, record: VisitRecord) -> str | None:
    """The first problem with one sealed record, or None."""
    current = canonical_record(visit, record)
    if jcs(current).decode() != record.sealed_content:
        return "the record's content was changed after sealing"
    if sha256_hex(record.sealed_content.encode()) != record.content_sha256:
        return "the sealed content does not match its hash"
    sigs = db.session.execute(select(Signature).where(Signature.visit_id == visit.id)).scalars().all()
    public = keys.public_key_b64()
    for s in sigs:
        if not keys.verify(public, s.event_json.encode(), s.server_signature):
            return f"signature {s.id}: the server's signature over the event does not verify"
        if s.content_sha256 != record.content_sha256 or f'"content_sha256":"{record.content_sha256}"' not in s.event_json:
            return f"signature {s.id} is not bound to the sealed content"
    sig_ids = sorted(s.id for s in sigs)
    statement = {"visit_id": visit.id, "content_sha256": record.content_sha256, "signatures": sig_ids,
                 "sealed_at": record.sealed_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"), "sealed_by": record.sealed_by}
    if not keys.verify(public, jcs(statement), record.seal_signature or ""):
        return "the seal's signature does not verify"
    return _media_intact(current)


def verify_sealed(session) -> list[Finding]:
    rows = session.execute(select(Visit, VisitRecord).join(VisitRecord, VisitRecord.visit_id == Visit.id)
                           .where(VisitRecord.sealed_at.is_not(None)).order_by(Visit.id)).all()
    if not rows:
        return []
    for visit, record in rows:
        problem = check_record(visit, record)
        if problem:
            return [Finding(f"sealed record {visit.id}", False, problem)]
    return [Finding("sealed records", True, f"{len(rows)} sealed records, their signatures and photos intact")]


register_verifier("sealed records", verify_sealed)
