"""Lookups and writes of the visit mutators that a push batch makes cheaper (sync/batch.py).

Inside a batch the mutators' primary-key lookups (a finding, a media reference) do not flush
the session first: an autoflush there would write the visit and its record once per mutation
instead of once per batch. What a flush could have made visible to such a lookup is only an
object this batch added and has not written yet; `add` remembers those and `get` answers them
first. Field history rows are queued and inserted with one statement per batch. Outside a
batch (staff screens, the handoff's own flow) both are a plain `session.get` / `session.add`.
"""
from __future__ import annotations

from sync import batch

from ..extensions import db
from ..types import utcnow
from .models import FieldHistory, Visit, VisitRecord

_ADDED = "visits.added"


def held(visit_id: str) -> tuple[Visit, VisitRecord] | None:
    """The visit and record this batch has already selected and locked (access.writable_record)."""
    memo = batch.memo(db.session)
    return memo.get(("visits.writable", str(visit_id))) if memo is not None else None


def get(cls, key):
    """`session.get(cls, key)`, without an autoflush inside a batch."""
    memo = batch.memo(db.session)
    if memo is None:
        return db.session.get(cls, key)
    added = memo.get((_ADDED, cls, key))
    if added is not None:
        return added
    with db.session.no_autoflush:
        return db.session.get(cls, key)


def add(obj, key) -> None:
    """`session.add(obj)`, remembered for `get` while the batch runs (a savepoint's rollback empties it)."""
    db.session.add(obj)
    memo = batch.memo(db.session)
    if memo is not None:
        memo[(_ADDED, type(obj), key)] = obj


def history(visit_id: str, field: str, old, new, old_by: int | None, new_by: int, conflict: bool) -> None:
    """Keep an overwritten value (in a batch: inserted with the batch's other history rows)."""
    row = {"visit_id": visit_id, "field": field, "old_value": old, "new_value": new, "old_by": old_by,
           "new_by": new_by, "conflict": conflict, "resolved": False, "at": utcnow()}
    if not batch.defer(db.session, FieldHistory.__table__, row):
        db.session.add(FieldHistory(**row))
