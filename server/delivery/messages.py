"""Who sees which message, manual redelivery, and the audited fetch of a message's subject."""
from __future__ import annotations

from sqlalchemy import select

from ..accounts.auth import Principal
from ..accounts.models import Role
from ..audit import service as audit
from ..dbsetup import begin_write
from ..errors import Conflict, NotFound
from ..extensions import db
from ..pagination import keyset_page
from ..types import utcnow
from .models import FAILED, PENDING, DeliveryEndpoint, OutboxMessage
from .outbox import SUBJECT_ID, SUBJECTS

STAFF = (Role.DEPT_ADMIN, Role.DEPT_LEADER, Role.REVIEWER)


def _not_found() -> NotFound:
    return NotFound("消息不存在。", code="message_not_found")


def can_see(principal: Principal, msg: OutboxMessage) -> bool:
    """The receiving and the sending department's staff, the office and auditors."""
    if principal.sees_everything:
        return True
    return principal.has(*STAFF) and principal.department_id in (msg.department_id, msg.sender_department_id)


def get_for(principal: Principal, message_id: str) -> OutboxMessage:
    msg = db.session.get(OutboxMessage, message_id)
    if msg is None or not can_see(principal, msg):
        raise _not_found()
    return msg


def page(principal: Principal, args: dict) -> dict:
    """Messages received by (default) or sent by the caller's department, newest first."""
    stmt = select(OutboxMessage)
    column = OutboxMessage.sender_department_id if args.get("direction") == "sent" else OutboxMessage.department_id
    if principal.sees_everything:
        if args.get("department_id") is not None:
            stmt = stmt.where(column == args["department_id"])
    else:
        stmt = stmt.where(column == principal.department_id)
    if args.get("status"):
        stmt = stmt.where(OutboxMessage.status == args["status"])
    if args.get("subject_type"):
        stmt = stmt.where(OutboxMessage.subject_type == args["subject_type"])
    if args.get("subject_id"):
        stmt = stmt.where(OutboxMessage.subject_id == args["subject_id"])
    return keyset_page(stmt, OutboxMessage.id, args["limit"], args.get("cursor"), descending=True)


def redeliver(principal: Principal, message_id: str) -> OutboxMessage:
    """Start a new round of the retry schedule for an undelivered message.

    For the sending or receiving department's administrator (e.g. after the
    receiver fixed and re-enabled its endpoint) or the office. The same
    `webhook-id` is used again, so a receiver that did get it deduplicates.
    """
    msg = get_for(principal, message_id)
    if not (principal.has(Role.OFFICE_ADMIN) or
            (principal.has(Role.DEPT_ADMIN) and principal.department_id in (msg.department_id, msg.sender_department_id))):
        raise _not_found()
    if msg.status != FAILED:
        raise Conflict("只有未送达的消息可以重新投递。", code="message_not_failed", extra={"status": msg.status})
    ep = db.session.execute(select(DeliveryEndpoint).where(
        DeliveryEndpoint.department_id == msg.department_id)).scalar_one_or_none()
    if ep is None or not ep.enabled:
        raise Conflict("接收部门没有启用的接收端点，无法重新投递；消息仍在其站内收件箱中。", code="endpoint_disabled")
    msg.status, msg.round_base, msg.next_attempt_at, msg.failed_at = PENDING, msg.attempts, utcnow(), None
    audit.record(db.session, "delivery.redeliver", "outbox_message", msg.id, {"attempts_so_far": msg.attempts})
    return msg


def fetch_subject(principal: Principal, subject_type: str, subject_id: str) -> dict:
    """A message's subject, for the department that received a message about it; every fetch is logged.

    Departments that received nothing about the subject get 404, as if it did
    not exist. The office and auditors may fetch for oversight (also logged).
    """
    subject = SUBJECTS.get(subject_type)
    if subject is None or not SUBJECT_ID.match(subject_id):
        raise NotFound("没有这种类型的对象。", code="subject_not_found")
    stmt = select(OutboxMessage.id).where(OutboxMessage.subject_type == subject_type,
                                          OutboxMessage.subject_id == subject_id)
    if not principal.sees_everything:
        stmt = stmt.where(OutboxMessage.department_id == principal.department_id)
    message_ids = list(db.session.execute(stmt.order_by(OutboxMessage.id).limit(20)).scalars())
    if not message_ids:
        raise NotFound("对象不存在。", code="subject_not_found")
    # An audited read: on SQLite the log is written in a transaction that takes the write lock up front.
    begin_write()
    data = subject.loader(principal, subject_id)
    audit.record(db.session, "delivery.fetch", subject_type, subject_id, {
        "department_id": principal.department_id, "message_ids": message_ids,
        "as": "oversight" if principal.sees_everything and not _received(principal, message_ids) else "receiver"})
    return {"subject_type": subject_type, "subject_id": subject_id, "data": data}


def _received(principal: Principal, message_ids: list[str]) -> bool:
    return db.session.execute(select(OutboxMessage.id).where(
        OutboxMessage.id.in_(message_ids), OutboxMessage.department_id == principal.department_id)).first() is not None

