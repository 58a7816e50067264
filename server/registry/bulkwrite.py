"""Set-wise writes of the object directory: the one engine under the feed loader, the
spreadsheet import and single entry (docs/directory-feed.md, "How it loads").

New objects go in by COPY (PostgreSQL) or one executemany (SQLite) and their ids are read back
in one SELECT; changed objects are staged in a temporary table and merged with one
``UPDATE … FROM``; credit rows are replaced by one DELETE and one insert. Callers write in one
order (keys, then ids) so concurrent writers wait on each other rather than deadlock.
"""
from __future__ import annotations

from typing import Iterable, Sequence

from sqlalchemy import Column, Integer, MetaData, Table, delete, select, text, update
from sqlalchemy.exc import IntegrityError

from ..bulk import among, insert_rows
from ..extensions import db
from ..types import UTCDateTime
from .models import InspectionObject, ObjectCredit
from .state import OBJECT_COLUMNS

_o, _cr = InspectionObject.__table__, ObjectCredit.__table__
PROTECTED = ("legal_rep_id_protected", "legal_rep_id_masked")
_UPDATABLE = (*OBJECT_COLUMNS, *PROTECTED, "content_hash", "version")
_IN_CHUNK = 5000

# Changed objects are staged here (a temporary table, created and dropped around each use).
_stage_meta = MetaData()
STAGE = Table("registry_stage_objects", _stage_meta, Column("id", Integer, primary_key=True),
              *[Column(c, _o.c[c].type) for c in _UPDATABLE], Column("updated_at", UTCDateTime),
              prefixes=["TEMPORARY"])


class RaceLost(Exception):
    """Another transaction created one of these objects first; roll back and redo the batch."""


def dialect() -> str:
    return db.session.get_bind().dialect.name


def insert_objects(rows: list[dict]) -> dict[str, int]:
    """Insert new objects (full rows with ``match_key``); returns {match_key: id}. A key another
    transaction inserted meanwhile raises `RaceLost` (the transaction is then unusable)."""
    if not rows:
        return {}
    session, name = db.session, dialect()
    rows = sorted(rows, key=lambda r: r["match_key"])
    try:
        insert_rows(session, _o, rows)
    except IntegrityError as exc:
        raise RaceLost() from exc
    except Exception as exc:  # COPY raises the driver's own error (not wrapped by SQLAlchemy)
        if isinstance(exc, session.get_bind().dialect.dbapi.IntegrityError):
            raise RaceLost() from exc
        raise
    keys = [r["match_key"] for r in rows]
    ids: dict[str, int] = {}
    for i in range(0, len(keys), _IN_CHUNK * 2):
        ids.update(session.execute(select(_o.c.match_key, _o.c.id).where(
            among(_o.c.match_key, keys[i:i + _IN_CHUNK * 2], name))).all())
    return ids


def update_objects(rows: list[dict]) -> None:
    """Update objects from rows of ``id`` and the columns to set (every row the same columns)."""
    if not rows:
        return
    session, conn = db.session, db.session.connection()
    rows = sorted(rows, key=lambda r: r["id"])
    cols = [c for c in rows[0] if c != "id"]
    STAGE.create(conn)  # a failure below leaves it to the rollback, with the rest of the transaction
    insert_rows(session, STAGE, rows)
    if dialect() == "postgresql":
        session.execute(text(f"ANALYZE {STAGE.name}"))
    session.execute(update(_o).values({_o.c[c]: STAGE.c[c] for c in cols}).where(_o.c.id == STAGE.c.id))
    STAGE.drop(conn)


def replace_credit(rows: list[dict], known_ids: Iterable[int]) -> None:
    """Credit rows of these objects (``object_id`` and every credit column): the rows of objects
    that had one (`known_ids`) are deleted first."""
    session, name = db.session, dialect()
    known: Sequence[int] = sorted(known_ids)
    for i in range(0, len(known), _IN_CHUNK):
        session.execute(delete(_cr).where(among(_cr.c.object_id, known[i:i + _IN_CHUNK], name)))
    insert_rows(session, _cr, sorted(rows, key=lambda r: r["object_id"]))
