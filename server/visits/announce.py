"""Queueing a visit for its team's phones (the sync change log)."""
from __future__ import annotations

from sync.changes import emit

from ..extensions import db
from .models import Visit


def recipients(visit: Visit) -> set[int]:
    """Users who see this visit on their phones: its active team members with accounts."""
    return {m.user_id for m in visit.members if m.active and m.user_id is not None}


def announce(visit: Visit, extra_recipients: set[int] | None = None) -> None:
    """Queue the visit (and its task) for the team's next pull."""
    users = recipients(visit) | (extra_recipients or set())
    emit(db.session, "task", visit.task_id, users)
    emit(db.session, "visit", visit.id, users)


def withdraw(visit: Visit, users: set[int]) -> None:
    """Tell these users' phones to drop the visit (a replaced member, a substituted object)."""
    if users:
        emit(db.session, "visit", visit.id, users, op="del")
