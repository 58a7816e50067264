"""The canonical record a signature binds: SHA-256 of its RFC 8785 form.

The phone computes the same object from its local copy (docs/field-contract.md,
"Content hash"); any later change to the record, or to any photo's bytes
(every media item's SHA-256 is inside), changes the hash and breaks the binding.
"""
from __future__ import annotations

from sqlalchemy import select

from ..canonical import jcs, sha256_hex
from .models import Visit
from ..extensions import db
from ..registry.models import InspectionObject
from .models import Answer, Finding, MediaRef, VisitRecord


def canonical_record(visit: Visit, record: VisitRecord | None = None) -> dict:
    record = record or db.session.get(VisitRecord, visit.id) or VisitRecord(visit_id=visit.id, present=[])
    obj = db.session.get(InspectionObject, visit.object_id)
    answers = db.session.execute(select(Answer).where(Answer.visit_id == visit.id)
                                 .order_by(Answer.item_id, Answer.checkpoint_key)).scalars()
    findings = db.session.execute(select(Finding).where(Finding.visit_id == visit.id).order_by(Finding.id)).scalars()
    # Photos sent with an amendment after the seal are not part of the signed content.
    media = db.session.execute(select(MediaRef).where(MediaRef.visit_id == visit.id, MediaRef.kind != "signature",
                                                      MediaRef.target_type != "amendment")
                               .order_by(MediaRef.media_id)).scalars()
    body = {
        "visit_id": visit.id,
        "task_id": str(visit.task_id),
        "object": {"id": obj.id, "name": obj.name, "credit_code": obj.credit_code},
        "arrival": {"at": record.arrival_at, "gps": record.arrival_gps} if record.arrival_at else None,
        "present": sorted(record.present or []),
        "credentials_shown_at": record.credentials_shown_at,
        "rights_informed_at": record.rights_informed_at,
        "method": record.method,
        "answers": [{"item_id": a.item_id, "version": a.item_version, "checkpoint_key": a.checkpoint_key,
                     "value": a.value, "note": a.note} for a in answers],
        "findings": [{"id": f.id, "item_id": f.item_id, "checkpoint_key": f.checkpoint_key,
                      "description": f.description, "legal_basis": f.legal_basis, "measures": list(f.measures or []),
                      "rectify_deadline": f.rectify_deadline.isoformat() if f.rectify_deadline else None,
                      "media_ids": list(f.media_ids or [])} for f in findings],
        "media": [{"media_id": m.media_id, "sha256": m.sha256} for m in media],
        "outcome": record.outcome,
    }
    # Added with the check methods (docs/field-contract.md): present only once recorded, so the
    # content of every record sealed before them, and its hash, stays exactly as it was.
    if record.method_details is not None:
        body["method_details"] = record.method_details
    if record.check_ended_at is not None:
        body["check_ended_at"] = record.check_ended_at
    return body


def content_bytes(visit: Visit, record: VisitRecord | None = None) -> bytes:
    return jcs(canonical_record(visit, record))


def content_sha256(visit: Visit, record: VisitRecord | None = None) -> str:
    return sha256_hex(content_bytes(visit, record))
