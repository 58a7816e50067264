"""What a reviewer sees for one record, with the signature binding recomputed."""
from __future__ import annotations

import json

from sqlalchemy import or_, select

from ..audit.models import AuditEntry
from ..extensions import db
from ..visits.content import content_sha256
from ..visits.models import Signature
from ..visits.views import visit_entity
from .workflow_models import Review
from .service import comments_for, sealed_visit


def binding_verified(visit, record) -> bool:
    """Recompute the content hash from what the server holds; every signature must bind it."""
    current = content_sha256(visit, record)
    if current != record.content_sha256 or json.loads(record.sealed_content) is None:
        return False
    sigs = db.session.execute(select(Signature).where(Signature.visit_id == visit.id)).scalars().all()
    return bool(sigs) and all(s.content_sha256 == current for s in sigs)


def review_detail(principal, visit_id: str) -> dict:
    visit, record, task = sealed_visit(principal, visit_id)
    review = db.session.get(Review, visit.id)
    trail = db.session.execute(select(AuditEntry).where(
        or_(AuditEntry.target_id == visit.id, AuditEntry.target_id == str(visit.task_id))).order_by(AuditEntry.seq)).scalars()
    return {"visit": visit_entity(visit, principal),
            "review": {"status": review.status, "due_on": review.due_on.isoformat() if review.due_on else None,
                       "check_ended_on": review.check_ended_on.isoformat(), "entered_on_time": review.entered_on_time,
                       "returned_count": review.returned_count} if review else None,
            "comments": comments_for(visit.id), "binding_verified": binding_verified(visit, record),
            "audit_trail": [{"seq": e.seq, "at": e.created_at.isoformat(), "action": e.action,
                             "actor_user_id": e.actor_user_id, "entry_hash": e.entry_hash} for e in trail
                            if e.target_type in ("visit", "task")]}
