"""What the mutators of one push batch may keep between its mutations, and rows they defer.

A push applies its mutations in one transaction. Rows a mutator loaded and locked for one
mutation (a visit, its record, the task's check items) stay locked and current for the
rest of that transaction, so the next mutation of the same batch may reuse them instead of
selecting and locking them again. `memo(session)` is that store while a batch is being
applied (None otherwise). The sync core empties it whenever a mutation's savepoint is
rolled back (a rolled-back savepoint releases its locks and drops the objects it added)
and drops it when the batch ends.

`defer(session, table, row)` queues a row that nothing reads back during the batch (e.g. the
history of an overwritten value): the sync core inserts the queued rows of each table with one
multi-row statement in the same transaction, before the commit (at the end of the batch, or
at the end of each mutation's savepoint when the batch is applied one savepoint at a time).
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

from sqlalchemy import Table, insert
from sqlalchemy.orm import Session

_KEY = "sync_batch_memo"
_DEFERRED = "sync_batch_deferred"
_MUTATIONS = "sync_batch_mutations"


def memo(session: Session) -> dict | None:
    """The running batch's store, or None outside a push."""
    return session.info.get(_KEY)


def mutations(session: Session) -> list[dict]:
    """The running batch's mutations as sent (`name`, unvalidated `args`), for a mutator that reads
    what later mutations of the batch will need in one statement; [] outside a push."""
    return session.info.get(_MUTATIONS) or []


def forget(session: Session) -> None:
    """Empty the store (a savepoint was rolled back)."""
    store = session.info.get(_KEY)
    if store is not None:
        store.clear()


def defer(session: Session, table: Table, row: dict) -> bool:
    """Queue `row` for `table` if a batch is running (True); otherwise the caller writes it (False)."""
    rows = session.info.get(_DEFERRED)
    if rows is None:
        return False
    rows.append((table, row))
    return True


def write_deferred(session: Session) -> None:
    """Insert the queued rows, one statement per table, in the order they were queued."""
    rows = session.info.get(_DEFERRED)
    if not rows:
        return
    by_table: dict[Table, list[dict]] = {}
    for table, row in rows:
        by_table.setdefault(table, []).append(row)
    rows.clear()
    for table, table_rows in by_table.items():
        session.execute(insert(table), table_rows)


def discard_deferred(session: Session) -> None:
    """Drop the queued rows (their savepoint was rolled back)."""
    rows = session.info.get(_DEFERRED)
    if rows is not None:
        rows.clear()


@contextmanager
def running(session: Session, mutations: list[dict] = ()) -> Iterator[dict]:
    session.info[_KEY] = {}
    session.info[_DEFERRED] = []
    session.info[_MUTATIONS] = list(mutations)
    try:
        yield session.info[_KEY]
    finally:
        session.info.pop(_KEY, None)
        session.info.pop(_DEFERRED, None)
        session.info.pop(_MUTATIONS, None)
