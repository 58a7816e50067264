"""The change feed: emitted during a transaction, numbered as it commits.

Numbers come from one counter row that each writing transaction updates just
before it commits. The row lock is held until commit, so numbers are handed
out in commit order: once a reader has seen change N, every change numbered
N or less is already committed and none can appear behind its cursor. The
same holds on SQLite, where write transactions are serialised anyway.
"""
from __future__ import annotations

from typing import Iterable

from sqlalchemy import event, insert, select, text
from sqlalchemy.orm import Session

from server.bulk import insert_rows
from server.types import utcnow

from .models import SyncCounter, SyncFeed

_PENDING = "sync_pending"
COUNTER_ID = 1


def emit(session: Session, entity: str, entity_id, recipients: Iterable[int], op: str = "put") -> None:
    """Queue a change of `entity`/`entity_id` for these users (put or del)."""
    recipients = {int(r) for r in recipients if r is not None}
    if recipients:
        session.info.setdefault(_PENDING, []).append((entity, str(entity_id), recipients, op))


def pending_count(session: Session) -> int:
    return len(session.info.get(_PENDING, []))


def rewind(session: Session, mark: int) -> None:
    """Drop changes emitted after `mark` (their savepoint was rolled back)."""
    pending = session.info.get(_PENDING)
    if pending is not None:
        del pending[mark:]


def _allocate(session: Session) -> None:
    if session.in_nested_transaction():
        # "before_commit" also fires when a SAVEPOINT is released (each mutation of a
        # push). Numbering there would take the counter row's lock at the batch's first
        # mutation and hold it to the end (serialising every push), and in the opposite
        # order to the audit chain head's lock, which deadlocks on PostgreSQL. The
        # changes stay queued (rewind() drops those of a rolled-back savepoint) and are
        # numbered once, at the outer commit.
        return
    pending = session.info.pop(_PENDING, None)
    if not pending:
        return
    # The last op per (entity, id, recipient) wins; one number per (entity, id).
    latest: dict[tuple[str, str], dict[int, str]] = {}
    for entity, entity_id, recipients, op in pending:
        slot = latest.setdefault((entity, entity_id), {})
        for r in recipients:
            slot[r] = op
    n = len(latest)
    top = session.execute(
        text("UPDATE sync_counter SET seq = seq + :n WHERE id = :id RETURNING seq"), {"n": n, "id": COUNTER_ID}
    ).scalar()
    if top is None:
        session.execute(insert(SyncCounter).values(id=COUNTER_ID, seq=n))
        top = n
    seq = top - n
    now = utcnow()
    rows = []
    for (entity, entity_id), per_recipient in latest.items():
        seq += 1
        for recipient, op in sorted(per_recipient.items()):
            rows.append({"recipient_id": recipient, "seq": seq, "entity": entity, "entity_id": entity_id,
                         "op": op, "created_at": now})
    # A draw queues ~150k rows here: below the ORM, and COPY on PostgreSQL.
    insert_rows(session, SyncFeed.__table__, rows)


def _discard(session: Session, *args) -> None:
    if session.in_nested_transaction():
        return  # a SAVEPOINT rolled back: its caller rewinds to its mark (push.py)
    session.info.pop(_PENDING, None)


def install_session_hooks() -> None:
    if getattr(install_session_hooks, "_done", False):
        return
    event.listen(Session, "before_commit", _allocate)
    event.listen(Session, "after_rollback", _discard)
    install_session_hooks._done = True


def current_seq(session: Session) -> int:
    return session.execute(select(SyncCounter.seq).where(SyncCounter.id == COUNTER_ID)).scalar() or 0
