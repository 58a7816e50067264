"""Lead tables: leads, their timeline, idempotent replies, rectification orders, violation history."""
from __future__ import annotations

import datetime as dt
from typing import Any, Optional

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..types import BigIntPK, JSONType, UTCDateTime, utcnow
from ..delivery.models import OutboxMessage

# Where a lead goes (Art. 22).
CATEGORIES = {
    "case_unit": "本部门案件办理机构",
    "department": "其他有管辖权的部门",
    "judicial": "司法机关（涉嫌犯罪）",
    "discipline": "纪检监察机关（涉嫌违纪违法）",
}
# A lead's states. Transport success is not receipt: `sent` until the receiver signs for it.
SENT, RECEIVED, IN_PROGRESS, CONCLUDED, RETURNED = "sent", "received", "in_progress", "concluded", "returned"
STATUSES = {SENT: "已移送待签收", RECEIVED: "已签收", IN_PROGRESS: "办理中", CONCLUDED: "已办结", RETURNED: "已退回"}
OPEN_STATUSES = (SENT, RECEIVED, IN_PROGRESS)
# What the receiver reports when concluding (办结).
RESULTS = {
    "case_filed": "已立案查处",
    "punished": "已作出行政处罚",
    "not_filed": "不予立案",
    "transferred": "已移送其他机关",
    "no_violation": "经查不构成违法",
    "other": "其他",
}


class Lead(db.Model):
    """A violation lead from one finding of a sealed record to the competent department."""

    __tablename__ = "leads"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    visit_id: Mapped[str] = mapped_column(ForeignKey("visits.id"), index=True)
    finding_id: Mapped[str] = mapped_column(ForeignKey("visit_findings.id"))
    object_id: Mapped[int] = mapped_column(ForeignKey("objects.id"), index=True)
    category: Mapped[str] = mapped_column(String(16))
    sender_department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    receiver_department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    suggested_department_id: Mapped[Optional[int]] = mapped_column(ForeignKey("departments.id"))
    summary: Mapped[str] = mapped_column(Text)
    legal_basis: Mapped[Optional[str]] = mapped_column(Text)
    evidence: Mapped[Any] = mapped_column(JSONType)  # {"record": {...}, "media": [{media_id, sha256, kind}]}
    origin: Mapped[str] = mapped_column(String(16), default="finding")  # finding | rectification
    rectification_id: Mapped[Optional[int]] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default=SENT)
    message_id: Mapped[Optional[str]] = mapped_column(ForeignKey("outbox_messages.id"))
    receipt_due_on: Mapped[Optional[dt.date]] = mapped_column(Date)  # None: calendar year missing
    feedback_due_on: Mapped[Optional[dt.date]] = mapped_column(Date)
    received_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    received_by: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    handler_name: Mapped[Optional[str]] = mapped_column(String(64))
    result: Mapped[Optional[str]] = mapped_column(String(16))
    result_note: Mapped[Optional[str]] = mapped_column(Text)
    decision_no: Mapped[Optional[str]] = mapped_column(String(100))
    decided_on: Mapped[Optional[dt.date]] = mapped_column(Date)
    serious: Mapped[bool] = mapped_column(Boolean, default=False)
    documents: Mapped[list] = mapped_column(JSONType, default=list)
    return_reason: Mapped[Optional[str]] = mapped_column(Text)
    closed_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    receipt_reminded_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    feedback_reminded_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    # The first message to the receiver, for the delivery state shown with the lead. Read-only:
    # `message_id` is what is written. Lists load it for a whole page at once (`service.page`).
    message: Mapped[Optional[OutboxMessage]] = relationship(viewonly=True)

    # Covering indexes for the dashboard: per-department counts by status and due date, and the
    # sent leads whose message failed (found from the failed messages).
    __table_args__ = (
        Index("ix_leads_receiver", "receiver_department_id", "status", "receipt_due_on", "feedback_due_on"),
        Index("ix_leads_sender", "sender_department_id", "status", "receipt_due_on", "feedback_due_on"),
        Index("ix_leads_message", "message_id", "status", "sender_department_id"),
    )


class LeadEvent(db.Model):
    """One step of a lead's timeline (delivery attempts are merged in from `delivery_attempts`)."""

    __tablename__ = "lead_events"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id"))
    kind: Mapped[str] = mapped_column(String(32))
    status: Mapped[Optional[str]] = mapped_column(String(16))  # the lead's status after the step
    user_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    department_id: Mapped[Optional[int]] = mapped_column(ForeignKey("departments.id"))
    data: Mapped[Any] = mapped_column(JSONType, default=dict)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ix_lead_events_lead", "lead_id", "id"),)


class IdempotentReply(db.Model):
    """The stored reply of a step sent with `Idempotency-Key`, per department and key."""

    __tablename__ = "lead_idempotency"

    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    request_sha256: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class RectificationOrder(db.Model):
    """责令限期改正: an order with a deadline; a passed deadline creates a follow-up visit."""

    __tablename__ = "rectification_orders"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    visit_id: Mapped[str] = mapped_column(ForeignKey("visits.id"), index=True)
    finding_id: Mapped[str] = mapped_column(ForeignKey("visit_findings.id"), unique=True)
    object_id: Mapped[int] = mapped_column(ForeignKey("objects.id"))
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    deadline_workdays: Mapped[Optional[int]] = mapped_column(Integer)
    deadline_on: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | follow_up | rectified | not_rectified
    followup_task_id: Mapped[Optional[int]] = mapped_column(ForeignKey("tasks.id"))
    followup_visit_id: Mapped[Optional[str]] = mapped_column(ForeignKey("visits.id"))
    lead_id: Mapped[Optional[int]] = mapped_column(Integer)
    decision_note: Mapped[Optional[str]] = mapped_column(Text)
    decided_by: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ix_rectification_orders_due", "status", "deadline_on"),)


class ObjectViolation(db.Model):
    """An object's violation history: decided penalties reported back on leads (internal, like credit)."""

    __tablename__ = "object_violations"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    object_id: Mapped[int] = mapped_column(ForeignKey("objects.id"), index=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id"), unique=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    result: Mapped[str] = mapped_column(String(16))
    decision_no: Mapped[Optional[str]] = mapped_column(String(100))
    decided_on: Mapped[Optional[dt.date]] = mapped_column(Date)
    serious: Mapped[bool] = mapped_column(Boolean, default=False)
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
