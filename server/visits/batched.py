"""Lookups and writes of the visit mutators that a push batch makes cheaper (sync/batch.py).

Inside a batch the mutators' primary-key lookups (a finding, a media reference) do not flush
the session first: an autoflush there would write the visit and its record once per mutation
instead of once per batch. What a flush could have made visible to such a lookup is only an
object this batch added and has not written yet; `add` remembers those and `get` answers them
first. The first lookup of a kind in a batch reads every row of that kind the batch's mutations
name (one statement): a re-sent photo or finding is then answered without another query, and a
new one without any. Field history rows are queued and inserted with one statement per batch. Outside a
batch (staff screens, the handoff's own flow) both are a plain `session.get` / `session.add`.
"""
from __future__ import annotations

import uuid

from sqlalchemy import inspect, select

from sync import batch

from ..extensions import db
from ..types import utcnow
from .models import FieldHistory, Finding, MediaRef

_ADDED, _READ = "visits.added", "visits.read"
# The mutations that name a row of each kind, and the argument that names it.
_NAMED_BY = {Finding: ("finding_id", frozenset({"finding.add", "finding.update"})),
             MediaRef: ("media_id", frozenset({"media.attach"}))}


def get(cls, key):
    """`session.get(cls, key)`, without an autoflush inside a batch."""
    memo = batch.memo(db.session)
    if memo is None:
        return db.session.get(cls, key)
    added = memo.get((_ADDED, cls, key))
    if added is not None:
        return added
    read = _read(memo, cls)
    if key in read:
        return read[key]
    with db.session.no_autoflush:
        return db.session.get(cls, key)


def _read(memo: dict, cls) -> dict:
    """{key: row or None} of every row of `cls` the batch's mutations name, read at the first lookup."""
    found = memo.get((_READ, cls))
    if found is None:
        arg, names = _NAMED_BY.get(cls, (None, ()))
        keys = sorted({k for m in batch.mutations(db.session) if m.get("name") in names
                       for k in [_uuid(m.get("args"), arg)] if k is not None})
        found = memo[(_READ, cls)] = dict.fromkeys(keys)
        if keys:
            pk = inspect(cls).primary_key[0]
            with db.session.no_autoflush:
                found.update((getattr(row, pk.key), row)
                             for row in db.session.execute(select(cls).where(pk.in_(keys))).scalars())
    return found


def _uuid(args, arg: str) -> str | None:
    """The id as the mutator's schema reads it (a UUID, written in its canonical form), or None."""
    try:
        return str(uuid.UUID(str(args[arg])))
    except (TypeError, KeyError, ValueError, AttributeError):
        return None


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
