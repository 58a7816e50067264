"""What the mutators of one push batch may keep between its mutations.

A push applies its mutations in one transaction. Rows a mutator loaded and locked for one
mutation (a visit, its record, the task's check items) stay locked and current for the
rest of that transaction, so the next mutation of the same batch may reuse them instead of
selecting and locking them again. `memo(session)` is that store while a batch is being
applied (None otherwise). The sync core empties it whenever a mutation's savepoint is
rolled back (a rolled-back savepoint releases its locks and drops the objects it added)
and drops it when the batch ends.
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

from sqlalchemy.orm import Session

_KEY = "sync_batch_memo"


def memo(session: Session) -> dict | None:
    """The running batch's store, or None outside a push."""
    return session.info.get(_KEY)


def forget(session: Session) -> None:
    """Empty the store (a savepoint was rolled back)."""
    store = session.info.get(_KEY)
    if store is not None:
        store.clear()


@contextmanager
def running(session: Session) -> Iterator[dict]:
    session.info[_KEY] = {}
    try:
        yield session.info[_KEY]
    finally:
        session.info.pop(_KEY, None)
