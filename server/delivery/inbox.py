"""The in-app inbox every department has, and the delivery dashboard."""
from __future__ import annotations

from sqlalchemy import func, select

from ..accounts.auth import Principal
from ..accounts.models import Department
from ..audit import service as audit
from ..errors import NotFound
from ..extensions import db
from ..pagination import keyset_page
from ..types import utcnow
from .messages import STAFF
from .models import DELIVERING, DELIVERED, FAILED, INBOX_ONLY, PENDING, InboxItem, OutboxMessage


def page(principal: Principal, args: dict) -> dict:
    """The caller's department's inbox, newest first (the office and auditors: every department's)."""
    stmt = select(InboxItem)
    if principal.sees_everything:
        if args.get("department_id") is not None:
            stmt = stmt.where(InboxItem.department_id == args["department_id"])
    else:
        stmt = stmt.where(InboxItem.department_id == principal.department_id)
    if args.get("unread"):
        stmt = stmt.where(InboxItem.read_at.is_(None))
    if args.get("unacknowledged"):
        stmt = stmt.where(InboxItem.acknowledged_at.is_(None))
    return keyset_page(stmt, InboxItem.id, args["limit"], args.get("cursor"), descending=True)


def _own_item(principal: Principal, item_id: int) -> InboxItem:
    """An item of the caller's own department (only its staff act on it); others are hidden."""
    item = db.session.get(InboxItem, item_id)
    if item is None or item.department_id != principal.department_id or not principal.has(*STAFF):
        raise NotFound("收件箱中没有这条消息。", code="inbox_item_not_found")
    return item


def mark_read(principal: Principal, item_id: int) -> InboxItem:
    """Mark as read; reading again keeps the first reader and time."""
    item = _own_item(principal, item_id)
    if item.read_at is None:
        item.read_at, item.read_by = utcnow(), principal.user_id
        audit.record(db.session, "delivery.inbox_read", "inbox_item", item.id, {"message_id": item.message_id})
    return item


def acknowledge(principal: Principal, item_id: int) -> InboxItem:
    """Acknowledge (implies read); acknowledging again changes nothing."""
    item = _own_item(principal, item_id)
    if item.acknowledged_at is None:
        now = utcnow()
        if item.read_at is None:
            item.read_at, item.read_by = now, principal.user_id
        item.acknowledged_at, item.acknowledged_by = now, principal.user_id
        audit.record(db.session, "delivery.inbox_acknowledged", "inbox_item", item.id,
                     {"message_id": item.message_id})
    return item


def dashboard(principal: Principal) -> list[dict]:
    """Per department: messages received by state, unread/unacknowledged inbox items, and sent ones
    still pending or undelivered. The caller's department only, or all for the office and auditors."""
    depts = select(Department).order_by(Department.id)
    if not principal.sees_everything:
        depts = depts.where(Department.id == principal.department_id)
    rows = {d.id: _empty(d) for d in db.session.execute(depts).scalars()}

    received = select(OutboxMessage.department_id, OutboxMessage.status, func.count()).group_by(
        OutboxMessage.department_id, OutboxMessage.status)
    for dept_id, status, n in db.session.execute(received):
        if dept_id in rows:
            key = "pending" if status in (PENDING, DELIVERING) else status
            rows[dept_id]["received"][key] += n
    sent = select(OutboxMessage.sender_department_id, OutboxMessage.status, func.count()).where(
        OutboxMessage.sender_department_id.is_not(None),
        OutboxMessage.status.in_((PENDING, DELIVERING, FAILED))).group_by(
        OutboxMessage.sender_department_id, OutboxMessage.status)
    for dept_id, status, n in db.session.execute(sent):
        if dept_id in rows:
            rows[dept_id]["sent"]["failed" if status == FAILED else "pending"] += n
    inbox = select(InboxItem.department_id,
                   func.count().filter(InboxItem.read_at.is_(None)),
                   func.count().filter(InboxItem.acknowledged_at.is_(None))).group_by(InboxItem.department_id)
    for dept_id, unread, unacked in db.session.execute(inbox):
        if dept_id in rows:
            rows[dept_id]["inbox"] = {"unread": unread, "unacknowledged": unacked}
    return list(rows.values())


def _empty(d: Department) -> dict:
    return {
        "department_id": d.id, "department_code": d.code, "department_name": d.name,
        "received": {PENDING: 0, DELIVERED: 0, FAILED: 0, INBOX_ONLY: 0},
        "sent": {"pending": 0, "failed": 0},
        "inbox": {"unread": 0, "unacknowledged": 0},
    }
