"""Reminders for leads not signed for, or not concluded, in time (working days), and the dashboard."""
from __future__ import annotations

import datetime as dt
import logging
from typing import Callable

from sqlalchemy import and_, func, or_, select

from ..accounts.auth import Principal
from ..accounts.models import Department
from ..delivery import outbox
from ..delivery.models import FAILED, OutboxMessage
from ..extensions import db
from ..types import SHANGHAI, local_today, utcnow
from . import timeline
from .models import CONCLUDED, IN_PROGRESS, OPEN_STATUSES, RECEIVED, RETURNED, SENT, Lead

log = logging.getLogger(__name__)


def _overdue_receipt(today: dt.date):
    return and_(Lead.status == SENT, Lead.receipt_due_on.is_not(None), Lead.receipt_due_on < today)


def _overdue_feedback(today: dt.date):
    return and_(Lead.status.in_((RECEIVED, IN_PROGRESS)), Lead.feedback_due_on.is_not(None),
                Lead.feedback_due_on < today)


def remind(today: dt.date | None = None, limit: int | None = None) -> dict:
    """One reminder per overdue stage and lead, to the receiver's inbox (and webhook), copied to the
    sender's inbox. Runs in the caller's transaction; returns counts.

    A lead is reminded once per stage: `receipt_reminded_at` / `feedback_reminded_at` is set in the
    same transaction. The leads are locked as they are picked (PostgreSQL: `FOR UPDATE SKIP
    LOCKED`), so two passes at once (two workers, or a worker and `leads tick`) never both remind
    one lead: the second skips what the first holds, and once the first commits the lead no longer
    matches. On SQLite every writing transaction begins with BEGIN IMMEDIATE: passes run in turn.
    """
    today = today or local_today()
    counts = {"receipt": 0, "feedback": 0}
    stmt = (select(Lead).where(or_(and_(_overdue_receipt(today), Lead.receipt_reminded_at.is_(None)),
                                   and_(_overdue_feedback(today), Lead.feedback_reminded_at.is_(None))))
            .order_by(Lead.id).limit(limit).with_for_update(skip_locked=True))
    due = db.session.execute(stmt).scalars().all()
    now = utcnow()
    for lead in due:
        stage = "receipt" if lead.status == SENT else "feedback"
        due_on = lead.receipt_due_on if stage == "receipt" else lead.feedback_due_on
        to_receiver = outbox.enqueue(db.session, lead.receiver_department_id, f"lead.reminder_{stage}", "lead", lead.id,
                                     sender_department_id=lead.sender_department_id)
        to_sender = outbox.enqueue(db.session, lead.sender_department_id, f"lead.overdue_{stage}", "lead", lead.id,
                                   sender_department_id=None)
        if stage == "receipt":
            lead.receipt_reminded_at = now
        else:
            lead.feedback_reminded_at = now
        timeline.step(lead, f"reminder_{stage}", {"due_on": due_on.isoformat(), "today": today.isoformat(),
                                                  "message_ids": [to_receiver.id, to_sender.id]})
        counts[stage] += 1
    return counts


def remind_in_batches(today: dt.date | None = None, batch: int = 100,
                      should_stop: Callable[[], bool] = lambda: False) -> dict:
    """`remind` in transactions of at most `batch` leads, each committed. A backlog of thousands
    (about 2–8 ms a lead) would otherwise hold SQLite's one write lock, or on PostgreSQL the
    leads' row locks that a receipt waits for, for the whole pass."""
    total = {"receipt": 0, "feedback": 0}
    while True:
        counts = remind(today, limit=batch)
        db.session.commit()
        total = {k: total[k] + counts[k] for k in total}
        if sum(counts.values()) < batch or should_stop():
            return total


def periodic_pass(now: dt.datetime, should_stop: Callable[[], bool]) -> int:
    """The delivery worker's job (registered in `server/wiring.py`): today's reminders, in batches."""
    counts = remind_in_batches(now.astimezone(SHANGHAI).date(), should_stop=should_stop)
    if counts["receipt"] or counts["feedback"]:
        log.info("lead reminders sent: %s overdue receipt, %s overdue feedback", counts["receipt"], counts["feedback"])
    return counts["receipt"] + counts["feedback"]


def dashboard(principal: Principal, today: dt.date | None = None) -> list[dict]:
    """Per department: received and sent leads that are open, overdue for receipt or feedback, and closed."""
    today = today or local_today()
    own = None if principal.sees_everything else principal.department_id
    depts = select(Department).order_by(Department.id)
    if own is not None:
        depts = depts.where(Department.id == own)
    rows = {d.id: {"department_id": d.id, "department_code": d.code, "department_name": d.name,
                   "received": _empty(), "sent": _empty()} for d in db.session.execute(depts).scalars()}
    # Grouped by department and status, each side reads only its covering index (department,
    # status, due dates); which status counts as what is decided per group here, not per row.
    # Two statements rather than one UNION ALL: PostgreSQL runs that as a parallel append whose
    # worker start-up costs more than the two index scans.
    for side, column in (("received", Lead.receiver_department_id), ("sent", Lead.sender_department_id)):
        stmt = select(column, Lead.status, func.count(), func.count().filter(Lead.receipt_due_on < today),
                      func.count().filter(Lead.feedback_due_on < today))
        if own is not None:
            stmt = stmt.where(column == own)
        for dept_id, status, n, late_receipt, late_feedback in db.session.execute(stmt.group_by(column, Lead.status)):
            if dept_id in rows:
                _count(rows[dept_id][side], status, n, late_receipt, late_feedback)
    # Sent leads whose message gave up (endpoint gone, retries exhausted): the sender follows up by hand.
    # Starts from the failed messages and finds their leads, with status and sender, in `ix_leads_message`.
    failed = (select(Lead.sender_department_id, func.count()).join(OutboxMessage, OutboxMessage.id == Lead.message_id)
              .where(OutboxMessage.status == FAILED, Lead.status == SENT).group_by(Lead.sender_department_id))
    if own is not None:
        failed = failed.where(Lead.sender_department_id == own)
    for dept_id, n in db.session.execute(failed):
        if dept_id in rows:
            rows[dept_id]["sent"]["undelivered"] = n
    return list(rows.values())


def _count(c: dict, status: str, n: int, late_receipt: int, late_feedback: int) -> None:
    """Add one (department, status) group to a department's counts."""
    if status in OPEN_STATUSES:
        c["open"] += n
    if status == SENT:
        c["awaiting_receipt"] += n
        c["overdue_receipt"] += late_receipt
    elif status in (RECEIVED, IN_PROGRESS):
        c["in_progress"] += n
        c["overdue_feedback"] += late_feedback
    elif status in (CONCLUDED, RETURNED):
        c["closed"] += n
        c["concluded" if status == CONCLUDED else "returned"] += n


def _empty() -> dict:
    return {"open": 0, "awaiting_receipt": 0, "in_progress": 0, "overdue_receipt": 0, "overdue_feedback": 0,
            "closed": 0, "concluded": 0, "returned": 0, "undelivered": 0}
