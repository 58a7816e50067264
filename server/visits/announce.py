"""Queueing a visit for its team's phones (the sync change log)."""
from __future__ import annotations

from sqlalchemy import select

from sync.changes import emit

from ..extensions import db
from .models import MediaRef, Visit


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


def on_media_arrived(media_id: str) -> None:
    """Registered with media: a photo's or video's bytes arrived, so the records that reference it
    go to their teams' phones again (their "evidence pending" flag may have cleared)."""
    ids = set(db.session.execute(select(MediaRef.visit_id).where(MediaRef.media_id == media_id)).scalars())
    for visit_id in sorted(ids):
        visit = db.session.get(Visit, visit_id)
        if visit is not None:
            announce(visit)
