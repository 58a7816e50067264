"""The receiver's steps: sign for (签收), work (办理中), conclude (办结) or return (退回).

Each step changes the lead's state, records a timeline step and an audit
entry, and flows back to the sender as an outbox message (`lead.received`,
`lead.in_progress`, `lead.concluded`, `lead.returned`) in the same
transaction. Concluding with a penalty updates the object's credit record.
"""
from __future__ import annotations

from ..accounts.auth import Principal
from ..errors import Conflict, Invalid, field_error
from ..extensions import db
from ..types import local_today, utcnow
from . import access, credit, timeline
from ..delivery import outbox
from .models import CONCLUDED, IN_PROGRESS, RECEIVED, RESULTS, RETURNED, SENT, STATUSES, Lead
from .service import cfg, due_after

NEXT = {
    "received": (SENT,),
    "in_progress": (RECEIVED,),
    "concluded": (RECEIVED, IN_PROGRESS),
    "returned": (SENT, RECEIVED, IN_PROGRESS),
}


def _transition(lead: Lead, step: str) -> None:
    if lead.status not in NEXT[step]:
        raise Conflict(f"线索当前为“{STATUSES[lead.status]}”，不能执行这一步。", code="lead_wrong_state",
                       extra={"status": lead.status})


def _notify_sender(principal: Principal, lead: Lead, step: str) -> str:
    """Tell the sending department (its inbox, and its webhook if it has one)."""
    msg = outbox.enqueue(db.session, lead.sender_department_id, f"lead.{step}", "lead", lead.id,
                         sender_department_id=lead.receiver_department_id, created_by=principal.user_id)
    return msg.id


def _done(principal: Principal, lead: Lead, step: str, data: dict) -> Lead:
    now = utcnow()
    lead.updated_at, lead.version = now, lead.version + 1
    data = {**data, "notice_message_id": _notify_sender(principal, lead, step)}
    timeline.step(lead, step, data, user_id=principal.user_id, department_id=principal.department_id)
    return lead


def receive(principal: Principal, lead_id: int, args: dict) -> Lead:
    """签收: the receiving department takes the lead; the feedback deadline starts."""
    lead = access.receiving_lead(principal, lead_id)
    _transition(lead, "received")
    lead.status, lead.received_at, lead.received_by = RECEIVED, utcnow(), principal.user_id
    lead.handler_name = args.get("handler_name")
    lead.feedback_due_on = due_after(local_today(), int(cfg("LEAD_FEEDBACK_WORKDAYS", 20)))
    return _done(principal, lead, "received", {"handler_name": lead.handler_name, "note": args.get("note"),
                                               "feedback_due_on": lead.feedback_due_on.isoformat()
                                               if lead.feedback_due_on else None})


def start(principal: Principal, lead_id: int, args: dict) -> Lead:
    """办理中."""
    lead = access.receiving_lead(principal, lead_id)
    _transition(lead, "in_progress")
    lead.status = IN_PROGRESS
    return _done(principal, lead, "in_progress", {"note": args.get("note")})


def conclude(principal: Principal, lead_id: int, args: dict) -> Lead:
    """办结: the result, decision number and documents; a penalty enters the object's credit record."""
    lead = access.receiving_lead(principal, lead_id)
    _transition(lead, "concluded")
    result = args["result"]
    if result not in RESULTS:
        raise Invalid("办理结果无效。", code="validation_failed", errors=[field_error("result", "结果无效。")])
    if result in ("not_filed", "transferred", "other", "no_violation") and not (args.get("note") or "").strip():
        raise Invalid("请说明理由或去向。", code="validation_failed", errors=[field_error("note", "须填写说明。")])
    if result == "punished" and not (args.get("decision_no") or "").strip():
        raise Invalid("作出行政处罚的，须填写处罚决定书文号。", code="validation_failed",
                      errors=[field_error("decision_no", "须填写决定书文号。")])
    now = utcnow()
    lead.status, lead.result, lead.result_note = CONCLUDED, result, args.get("note")
    lead.decision_no, lead.decided_on = args.get("decision_no"), args.get("decided_on")
    lead.serious = bool(args.get("serious")) and result == "punished"
    lead.documents = list(args.get("documents") or [])
    lead.closed_at = now
    _done(principal, lead, "concluded", {"result": result, "decision_no": lead.decision_no, "serious": lead.serious,
                                         "decided_on": lead.decided_on.isoformat() if lead.decided_on else None,
                                         "documents": lead.documents, "note": lead.result_note})
    changes = credit.apply_result(lead)
    if changes:
        timeline.step(lead, "credit_updated", changes, user_id=principal.user_id,
                      department_id=principal.department_id)
    return lead


def give_back(principal: Principal, lead_id: int, args: dict) -> Lead:
    """退回: not this department's matter (or insufficient), with a reason; the sender follows up."""
    lead = access.receiving_lead(principal, lead_id)
    _transition(lead, "returned")
    reason = (args.get("reason") or "").strip()
    if not reason:
        raise Invalid("请填写退回理由。", code="validation_failed", errors=[field_error("reason", "须填写理由。")])
    lead.status, lead.return_reason, lead.closed_at = RETURNED, reason, utcnow()
    return _done(principal, lead, "returned", {"reason": reason})
