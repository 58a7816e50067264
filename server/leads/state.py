"""Derived state of a lead shown beside it: overdue receipt or feedback, and its message's delivery."""
from __future__ import annotations

import datetime as dt

from ..types import local_today
from .models import OPEN_STATUSES, SENT, Lead


def delivery_state(lead: Lead) -> dict | None:
    """The first message's transport state: the sender sees `failed` as undelivered."""
    msg = lead.message
    if msg is None:
        return None
    return {"message_id": msg.id, "status": msg.status, "attempts": msg.attempts,
            "undelivered": msg.status == "failed", "delivered_at": msg.delivered_at, "last_error": msg.last_error}


def overdue(lead: Lead, today: dt.date | None = None) -> dict:
    today = today or local_today()
    return {"receipt": lead.status == SENT and lead.receipt_due_on is not None and today > lead.receipt_due_on,
            "feedback": lead.status in OPEN_STATUSES[1:] and lead.feedback_due_on is not None
            and today > lead.feedback_due_on}
