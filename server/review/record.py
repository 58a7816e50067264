"""From a sealed visit to the record PDF's dict (server/review/pdf.py), and the public
verification of a record (the QR code's target) that shows nothing private."""
from __future__ import annotations

from flask import current_app, request
from sqlalchemy import select

from media.errors import StorageError
from media.store import originals
from media import service as media_service

from .. import keys
from ..accounts.models import Department, User
from ..canonical import jcs, sha256_hex
from ..catalog.models import CheckItem
from ..draws.models import InspectionTask
from ..extensions import db
from ..plans.models import PlanTask
from ..registry.models import InspectionObject
from ..identifiers import ID_DOCUMENT_TYPES
from ..visits.content import canonical_record
from ..visits.models import Visit, Amendment, Answer, Finding, MediaRef, Signature, VisitRecord
from ..visits.seal import task_item_versions
from ..visits.verification import binding_verified
from ..visits.views import team
from .amendment_text import describe_amendments
from .pdf import font_from_config, render_record_pdf

SIGNATURE_KINDS = ("signature",)


def record_no(task: InspectionTask, visit: Visit) -> str:
    return f"{task.code}-{visit.stratum}{visit.rank:04d}"


def verify_url(visit_id: str) -> str:
    base = current_app.config.get("PUBLIC_BASE_URL") or (request.host_url if request else "http://localhost/")
    return base.rstrip("/") + f"/verify/{visit_id}"


def _user_name(user_id, cache: dict) -> str | None:
    if user_id is None:
        return None
    if user_id not in cache:
        u = db.session.get(User, user_id)
        cache[user_id] = u.display_name if u else str(user_id)
    return cache[user_id]


def _dept_name(dept_id, cache: dict) -> str | None:
    if dept_id is None:
        return None
    key = ("d", dept_id)
    if key not in cache:
        d = db.session.get(Department, dept_id)
        cache[key] = d.name if d else str(dept_id)
    return cache[key]


def _media_bytes(sha256: str | None) -> bytes | None:
    if not sha256:
        return None

    try:
        with originals().open(sha256) as fh:
            return fh.read()
    except (OSError, ValueError, KeyError, StorageError):  # not uploaded yet: shown as missing
        return None


def pdf_record(visit: Visit, record: VisitRecord, task: InspectionTask) -> dict:
    """The dict render_record_pdf() prints, from what the server holds for a sealed record."""
    names: dict = {}
    pt = db.session.get(PlanTask, task.plan_task_id)
    plan = pt.plan_version.plan
    obj = db.session.get(InspectionObject, visit.object_id)
    depts = [task.initiating_department_id, *(task.participating_department_ids or [])]
    authority = "、".join(_dept_name(d, names) + ("（牵头）" if i == 0 and len(depts) > 1 else "")
                         for i, d in enumerate(depts))
    members = team(visit)
    present = set(record.present or [])
    answers = {(a.item_id, a.checkpoint_key): a for a in
               db.session.execute(select(Answer).where(Answer.visit_id == visit.id)).scalars()}
    items, prompts = [], {}
    for v in task_item_versions(visit):
        item = db.session.get(CheckItem, v.item_id)
        cps = []
        for c in v.checkpoints:
            prompts[(v.item_id, c.key)] = c.prompt
            a = answers.get((v.item_id, c.key))
            if a is None:
                continue
            cps.append({"key": c.key, "prompt": c.prompt, "answer_type": c.answer_type, "value": a.value,
                        "unit": c.unit, "note": a.note, "answered_by": _user_name(a.answered_by, names),
                        "department": _dept_name(a.department_id, names)})
        items.append({"code": item.code, "name": v.name, "department": _dept_name(item.department_id, names),
                      "checkpoints": cps})
    item_codes = {v.item_id: db.session.get(CheckItem, v.item_id).code for v in task_item_versions(visit)}
    findings = [{"item": item_codes.get(f.item_id, str(f.item_id)),
                 "checkpoint": prompts.get((f.item_id, f.checkpoint_key), f.checkpoint_key),
                 "description": f.description, "legal_basis": f.legal_basis, "measures": list(f.measures or []),
                 "rectify_deadline": f.rectify_deadline.isoformat() if f.rectify_deadline else None}
                for f in db.session.execute(select(Finding).where(Finding.visit_id == visit.id)
                                            .order_by(Finding.created_at)).scalars()]
    verified = binding_verified(visit, record)
    media = list(db.session.execute(select(MediaRef).where(MediaRef.visit_id == visit.id)
                                    .order_by(MediaRef.attached_at)).scalars())
    by_id = {m.media_id: m for m in media}
    signatures = []
    for s in db.session.execute(select(Signature).where(Signature.visit_id == visit.id)
                                .order_by(Signature.server_time)).scalars():
        ref = by_id.get(s.image_media_id)
        signatures.append({"role": s.role, "signer_name": s.signer_name, "signed_at": s.server_time,
                           "image_png": _media_bytes(s.image_sha256 or (ref.sha256 if ref else None)),
                           "refused": s.refused, "refusal_reason": s.refusal_reason, "kind": s.kind or "signature",
                           "id_type": ID_DOCUMENT_TYPES.get(s.id_type, s.id_type) if s.id_type else None,
                           "id_number_masked": s.id_number_masked,
                           "no_witness_reason": s.no_witness_reason,
                           "server_verified": verified and s.content_sha256 == record.content_sha256})
    photos = []
    for m in media:
        if m.kind in SIGNATURE_KINDS:
            continue
        target = {"answer": "检查要点", "finding": "发现问题", "record": "记录", "method": "检查依据材料"}.get(m.target_type, m.target_type or "")
        photos.append({"kind": m.kind, "sha256": m.sha256, "captured_at": (m.claim or {}).get("captured_at"),
                       "caption": f"{target} {m.target_id or ''}".strip()})
    stored = list(db.session.execute(select(Amendment).where(Amendment.visit_id == visit.id)
                                     .order_by(Amendment.created_at)).scalars())
    checkpoints = {key: f"{item_codes.get(key[0], key[0])} {prompt}" for key, prompt in prompts.items()}
    summaries = describe_amendments(record.sealed_content, [a.patch for a in stored], checkpoints)
    amendments = [{"at": a.created_at, "by": _user_name(a.author_id, names), "reason": a.reason, "summary": summary}
                  for a, summary in zip(stored, summaries)]
    return {
        "record_no": record_no(task, visit),
        "content_sha256": record.content_sha256,
        "verify_url": verify_url(visit.id),
        "sealed_at": record.sealed_at,
        "plan": {"code": plan.code, "name": plan.title},
        "task": {"code": task.code, "name": task.name, "check_type": pt.check_type},
        "authority": authority,
        "business": {"name": obj.name, "credit_code": obj.credit_code, "object_type": obj.object_type,
                     "address": obj.business_address, "registered_address": obj.registered_address,
                     "legal_rep_name": obj.legal_rep_name, "legal_rep_id_number": obj.legal_rep_id_masked},
        "team": [{"name": m["name"], "department": _dept_name(m["department_id"], names), "cert_no": m["cert_no"],
                  "role": m["role"], "present": m["inspector_id"] in present} for m in members],
        "arrival": {"at": record.arrival_at, "gps": record.arrival_gps} if record.arrival_at else None,
        "method": record.method,
        "method_details": record.method_details,
        "check_ended_at": record.check_ended_at,
        "credentials_shown_at": record.credentials_shown_at,
        "rights_informed_at": record.rights_informed_at,
        "items": items,
        "findings": findings,
        "outcome": record.outcome,
        "signatures": signatures,
        "photos": photos,
        "amendments": amendments,
    }


def render(visit: Visit, record: VisitRecord, task: InspectionTask) -> bytes:
    return render_record_pdf(pdf_record(visit, record, task), font_from_config(current_app.config))


def public_check(visit: Visit, record: VisitRecord) -> str | None:
    """`audit verify`'s check of one sealed record, except that stored files are compared by
    their recorded SHA-256 instead of being read and hashed again: an anonymous page must not
    make the server hash videos on every request (the daily `audit verify` re-hashes the bytes)."""
    current = canonical_record(visit, record)
    if jcs(current).decode() != record.sealed_content:
        return "content"
    if sha256_hex(record.sealed_content.encode()) != record.content_sha256:
        return "hash"
    public = keys.public_key_b64()
    sigs = db.session.execute(select(Signature).where(Signature.visit_id == visit.id)).scalars().all()
    for s in sigs:
        if not keys.verify(public, s.event_json.encode(), s.server_signature) or s.content_sha256 != record.content_sha256:
            return "signature"
    statement = {"visit_id": visit.id, "content_sha256": record.content_sha256, "signatures": sorted(s.id for s in sigs),
                 "sealed_at": record.sealed_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"), "sealed_by": record.sealed_by}
    if not keys.verify(public, jcs(statement), record.seal_signature or ""):
        return "seal"
    for m in current["media"]:
        obj = media_service.get_object(m["media_id"])
        if obj is not None and obj.uploaded_at is not None and obj.sha256 != m["sha256"]:
            return "media"
    return None

