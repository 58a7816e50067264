"""Set-wise writes of the object directory: the one engine under the feed loader, the
spreadsheet import and single entry (docs/directory-feed.md, "How it loads").

New objects go in by COPY (PostgreSQL, with ids drawn from the sequence first) or one executemany
(SQLite, their ids read back in one SELECT); changed objects are staged in a temporary table and merged with one
``UPDATE … FROM``; credit rows are replaced by one DELETE and one insert. Callers write in one
order (keys, then ids) so concurrent writers wait on each other rather than deadlock.
"""
from __future__ import annotations

import logging
from contextlib import contextmanager
from typing import Iterable, Iterator, Sequence

from sqlalchemy import Column, Integer, MetaData, Table, delete, select, text, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from ..bulk import among, insert_rows
from ..extensions import db
from ..types import UTCDateTime
from .models import InspectionObject, ObjectCredit
from .state import OBJECT_COLUMNS

_o, _cr = InspectionObject.__table__, ObjectCredit.__table__
PROTECTED = ("legal_rep_id_protected", "legal_rep_id_masked")
_UPDATABLE = (*OBJECT_COLUMNS, *PROTECTED, "content_hash", "version")
_IN_CHUNK = 5000
log = logging.getLogger(__name__)

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
    if name == "postgresql":  # ids drawn first, in key order: no query to read them back
        ids = session.execute(text("SELECT nextval(pg_get_serial_sequence(:t, 'id')) FROM generate_series(1, :n)"),
                              {"t": _o.name, "n": len(rows)}).scalars().all()
        rows = [{"id": i, **r} for i, r in zip(sorted(ids), rows)]
    try:
        insert_rows(session, _o, rows)
    except IntegrityError as exc:
        raise RaceLost() from exc
    except Exception as exc:  # COPY raises the driver's own error (not wrapped by SQLAlchemy)
        if isinstance(exc, session.get_bind().dialect.dbapi.IntegrityError):
            raise RaceLost() from exc
        raise
    if name == "postgresql":
        return {r["match_key"]: r["id"] for r in rows}
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
    with by_index():
        session.execute(update(_o).values({_o.c[c]: STAGE.c[c] for c in cols}).where(_o.c.id == STAGE.c.id))
    STAGE.drop(conn)


@contextmanager
def by_index() -> Iterator[None]:
    """Statements run inside find their rows by index probes (PostgreSQL: no sequential scan, hash
    or merge join), for the set-wise statements of a chunk: its thousands of keys are always few
    beside the directory, but the planner, seeing ten thousand keys (or statistics left stale by a
    large load just written), scans the whole table instead: 0.9 s against 0.2 s a chunk at a
    million objects. An error leaves the settings to the transaction's rollback."""
    session = db.session
    if dialect() != "postgresql":
        yield
        return
    for setting in _PLANNER:
        session.execute(text(f"SET LOCAL {setting} = off"))
    yield
    for setting in _PLANNER:
        session.execute(text(f"SET LOCAL {setting} = on"))


_PLANNER = ("enable_seqscan", "enable_hashjoin", "enable_mergejoin")


def refresh_statistics() -> None:
    """After a batch that wrote much of the directory (committed): VACUUM (ANALYZE) the objects and
    their credit rows, as autovacuum would within minutes. The planner then knows the directory's
    size, and the rows a load just wrote are marked visible once, in one pass (about a second for a
    million objects), instead of by whichever query reads each page first (a 50,000-change delta
    right after a first load of a million ran its lookups twice as long)."""
    if dialect() != "postgresql":
        return
    try:
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql(f"VACUUM (ANALYZE) {_o.name}, {_cr.name}")
    except SQLAlchemyError:  # the batch is committed already; autovacuum will do it in time
        log.warning("VACUUM after a large directory batch failed", exc_info=True)


def replace_credit(rows: list[dict], known_ids: Iterable[int]) -> None:
    """Credit rows of these objects (``object_id`` and every credit column): the rows of objects
    that had one (`known_ids`) are deleted first."""
    session, name = db.session, dialect()
    known: Sequence[int] = sorted(known_ids)
    with by_index():
        for i in range(0, len(known), _IN_CHUNK):
            session.execute(delete(_cr).where(among(_cr.c.object_id, known[i:i + _IN_CHUNK], name)))
    insert_rows(session, _cr, sorted(rows, key=lambda r: r["object_id"]))
