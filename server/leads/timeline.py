"""A lead's timeline: every state change, reminder and fetch it recorded, plus every delivery attempt.

Steps are written as `LeadEvent` rows in the same transaction as the change
(and an audit entry beside them); delivery attempts stay where the worker
records them (`delivery_attempts`) and are merged in when the timeline is read.
"""
from __future__ import annotations

from sqlalchemy import select

from ..audit import service as audit
from ..extensions import db
from ..types import utcnow
from .models import Lead, LeadEvent
from ..delivery.models import DeliveryAttempt, OutboxMessage

LABELS = {
    "created": "创建并移送线索", "delivered": "已送达接收端点", "attempt": "投递尝试", "undelivered": "未送达",
    "fetched": "接收部门获取线索内容", "received": "签收", "in_progress": "办理中", "concluded": "办结反馈",
    "returned": "退回", "reminder_receipt": "签收超期提醒", "reminder_feedback": "反馈超期提醒",
    "credit_updated": "更新信用记录", "notified": "通知发送部门",
}


def step(lead: Lead, kind: str, data: dict | None = None, *, user_id: int | None = None,
         department_id: int | None = None, audit_action: str | None = None) -> LeadEvent:
    """Record one step in the caller's transaction: a timeline row and an audit entry."""
    data = data or {}
    ev = LeadEvent(lead_id=lead.id, kind=kind, status=lead.status, user_id=user_id, department_id=department_id,
                   data=data, at=utcnow())
    db.session.add(ev)
    audit.record(db.session, audit_action or f"lead.{kind}", "lead", lead.id, {"status": lead.status, **data})
    return ev


def _iso(ts):
    return ts.isoformat() if ts else None


def timeline(lead: Lead) -> list[dict]:
    """All steps in time order (ties: recorded steps before attempts, then by id)."""
    rows = [{"at": e.at, "kind": e.kind, "label": LABELS.get(e.kind, e.kind), "status": e.status,
             "user_id": e.user_id, "department_id": e.department_id, "data": e.data or {}, "_o": (0, e.id)}
            for e in db.session.execute(select(LeadEvent).where(LeadEvent.lead_id == lead.id)
                                        .order_by(LeadEvent.id)).scalars()]
    attempts = db.session.execute(
        select(DeliveryAttempt, OutboxMessage.event_type).join(OutboxMessage, OutboxMessage.id == DeliveryAttempt.message_id)
        .where(OutboxMessage.subject_type == "lead", OutboxMessage.subject_id == str(lead.id))
        .order_by(DeliveryAttempt.id)).all()
    for a, event_type in attempts:
        rows.append({"at": a.started_at, "kind": "attempt", "label": LABELS["attempt"], "status": None,
                     "user_id": None, "department_id": None, "_o": (1, a.id),
                     "data": {"message_id": a.message_id, "event_type": event_type, "attempt_no": a.attempt_no,
                              "outcome": a.outcome, "status_code": a.status_code, "error": a.error,
                              "finished_at": _iso(a.finished_at)}})
    rows.sort(key=lambda r: (r["at"], r["_o"]))
    for r in rows:
        del r["_o"]
    return rows
