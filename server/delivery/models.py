"""Delivery tables: endpoints, the outbox, delivery attempts and the in-app inbox."""
from __future__ import annotations

import datetime as dt
from typing import Optional

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..types import BigIntPK, UTCDateTime, utcnow

# Message states. `failed` is shown to the sender as "undelivered" (未送达) for manual follow-up.
PENDING, DELIVERING, DELIVERED, FAILED, INBOX_ONLY = "pending", "delivering", "delivered", "failed", "inbox_only"
MESSAGE_STATUSES = {
    PENDING: "等待投递",
    DELIVERING: "投递中",
    DELIVERED: "已送达接收端点",
    FAILED: "未送达（已停止重试，请人工跟进）",
    INBOX_ONLY: "仅站内收件箱",
}
# Why an endpoint was disabled: by the receiver's 410 (messages then fail) or by its administrator
# (messages then stay in the in-app inbox only).
DISABLED_GONE, DISABLED_ADMIN = "gone", "admin"


class DeliveryEndpoint(db.Model):
    """A department's webhook endpoint (at most one per department).

    Secrets are `whsec_` + base64; during a rotation the previous secret keeps
    signing too until `previous_secret_expires_at`.
    """

    __tablename__ = "delivery_endpoints"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), unique=True)
    url: Mapped[str] = mapped_column(String(2000))
    secret: Mapped[str] = mapped_column(String(120))
    previous_secret: Mapped[Optional[str]] = mapped_column(String(120))
    previous_secret_expires_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    disabled_code: Mapped[Optional[str]] = mapped_column(String(16))
    disabled_reason: Mapped[Optional[str]] = mapped_column(String(300))
    disabled_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    created_by: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    rotated_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)


class OutboxMessage(db.Model):
    """One message to one department, written in the sender's transaction.

    `id` (msg_…) is the Standard Webhooks `webhook-id`: the same on every
    attempt, so receivers deduplicate on it. `body` is the exact JSON sent.
    """

    __tablename__ = "outbox_messages"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    sender_department_id: Mapped[Optional[int]] = mapped_column(ForeignKey("departments.id"))
    event_type: Mapped[str] = mapped_column(String(64))
    subject_type: Mapped[str] = mapped_column(String(32))
    subject_id: Mapped[str] = mapped_column(String(64))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # Attempts made before the current round (a manual redelivery starts a new retry schedule).
    round_base: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    last_status_code: Mapped[Optional[int]] = mapped_column(Integer)
    last_error: Mapped[Optional[str]] = mapped_column(String(500))
    created_by: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    delivered_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    failed_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    claimed_by: Mapped[Optional[str]] = mapped_column(String(64))
    claimed_until: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)

    attempt_rows: Mapped[list["DeliveryAttempt"]] = relationship(
        order_by="DeliveryAttempt.attempt_no", lazy="selectin", viewonly=True)

    __table_args__ = (
        Index("ix_outbox_messages_due", "status", "next_attempt_at"),
        Index("ix_outbox_messages_receiver", "department_id", "id"),
        Index("ix_outbox_messages_sender", "sender_department_id", "id"),
        Index("ix_outbox_messages_subject", "subject_type", "subject_id"),
    )


class DeliveryAttempt(db.Model):
    """One HTTP attempt. A row without `finished_at` is in flight; a worker that died
    mid-attempt leaves it open until the message is reclaimed, which closes it as interrupted."""

    __tablename__ = "delivery_attempts"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    message_id: Mapped[str] = mapped_column(ForeignKey("outbox_messages.id"))
    attempt_no: Mapped[int] = mapped_column(Integer)
    worker: Mapped[str] = mapped_column(String(64))
    url: Mapped[str] = mapped_column(String(2000))
    signatures: Mapped[int] = mapped_column(Integer, default=1)
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    outcome: Mapped[Optional[str]] = mapped_column(String(16))  # delivered | retry | failed | gone | interrupted
    status_code: Mapped[Optional[int]] = mapped_column(Integer)
    error: Mapped[Optional[str]] = mapped_column(String(500))
    response_snippet: Mapped[Optional[str]] = mapped_column(String(1000))
    duration_ms: Mapped[Optional[int]] = mapped_column(Integer)
    retry_after_seconds: Mapped[Optional[int]] = mapped_column(Integer)
    retry_after_honoured: Mapped[bool] = mapped_column(Boolean, default=False)
    next_attempt_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)

    __table_args__ = (UniqueConstraint("message_id", "attempt_no"),)


class InboxItem(db.Model):
    """The in-app inbox: every message lands here, whether or not a webhook is configured."""

    __tablename__ = "delivery_inbox"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    message_id: Mapped[str] = mapped_column(ForeignKey("outbox_messages.id"), unique=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    read_by: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    acknowledged_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    acknowledged_by: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))

    message: Mapped[OutboxMessage] = relationship(lazy="joined")

    __table_args__ = (Index("ix_delivery_inbox_department", "department_id", "id"),)
