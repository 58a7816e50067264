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
from .state import CREDIT_COLUMNS, OBJECT_COLUMNS

_o, _cr = InspectionObject.__table__, ObjectCredit.__table__
PROTECTED = ("legal_rep_id_protected", "legal_rep_id_masked")
_UPDATABLE = (*OBJECT_COLUMNS, *PROTECTED, "content_hash", "version")
_IN_CHUNK = 5000
# Rows a feed's reader process writes out as COPY text (`copy_fields`): the columns after the ones
# known only when the row is written (its id and the chunk's time).
COPY_OBJECT = ("version", "match_key", "content_hash", *OBJECT_COLUMNS, *PROTECTED)
COPY_CREDIT = CREDIT_COLUMNS
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_COPY_LITERALS = {None: "\\N", True: "t", False: "f"}
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


def copy_fields(values: tuple) -> bytes | None:
    """Values (text, booleans, integers or None) as tab-separated fields of PostgreSQL's COPY text
    format, UTF-8; None where that cannot be written (a value of another type, text that is not
    valid Unicode): such a row goes in the usual way."""
    out = []
    for v in values:
        t = type(v)
        if t is str:  # printable text without a backslash has nothing to escape
            out.append(v if v.isprintable() and "\\" not in v else v.translate(_COPY_ESCAPES))
        elif v is None or t is bool:
            out.append(_COPY_LITERALS[v])
        elif t is int:
            out.append(str(v))
        else:
            return None
    try:
        return "\t".join(out).encode("utf-8")
    except UnicodeEncodeError:
        return None


def insert_objects(rows: list[dict], copied: Sequence[tuple[str, bytes]] = (), now=None) -> dict[str, int]:
    """Insert new objects (full rows with ``match_key``; on PostgreSQL also `copied`, rows a feed's
    reader wrote out: ``(match_key, copy_fields of its COPY_OBJECT columns)``, created at `now`);
    returns {match_key: id}. A key another transaction inserted meanwhile raises `RaceLost` (the
    transaction is then unusable)."""
    if not rows and not copied:
        return {}
    session, name = db.session, dialect()
    if copied and name != "postgresql":
        raise ValueError("COPY text rows are PostgreSQL's")
    rows = sorted(rows, key=lambda r: r["match_key"])
    if name == "postgresql":  # ids drawn first, in key order: no query to read them back
        keys = sorted([r["match_key"] for r in rows] + [key for key, _ in copied])
        ids = session.execute(text("SELECT nextval(pg_get_serial_sequence(:t, 'id')) FROM generate_series(1, :n)"),
                              {"t": _o.name, "n": len(keys)}).scalars().all()
        given = dict(zip(keys, sorted(ids)))
        rows = [{"id": given[r["match_key"]], **r} for r in rows]
    try:
        insert_rows(session, _o, rows)
        if copied:
            stamp = _stamp(now)
            copy_lines(_o, ("id", "created_at", "updated_at", *COPY_OBJECT),
                       (b"%d\t%s\t%s\t%s\n" % (given[key], stamp, stamp, line) for key, line in copied))
    except IntegrityError as exc:
        raise RaceLost() from exc
    except Exception as exc:  # COPY raises the driver's own error (not wrapped by SQLAlchemy)
        if isinstance(exc, session.get_bind().dialect.dbapi.IntegrityError):
            raise RaceLost() from exc
        raise
    if name == "postgresql":
        return given
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


def replace_credit(rows: list[dict], known_ids: Iterable[int], copied: Sequence[tuple[int, bytes]] = (),
                   now=None) -> None:
    """Credit rows of these objects (``object_id`` and every credit column; on PostgreSQL also
    `copied`: ``(object_id, copy_fields of its COPY_CREDIT columns)`` of new objects, at `now`):
    the rows of objects that had one (`known_ids`) are deleted first."""
    session, name = db.session, dialect()
    known: Sequence[int] = sorted(known_ids)
    with by_index():
        for i in range(0, len(known), _IN_CHUNK):
            session.execute(delete(_cr).where(among(_cr.c.object_id, known[i:i + _IN_CHUNK], name)))
    insert_rows(session, _cr, sorted(rows, key=lambda r: r["object_id"]))
    if copied:
        stamp = _stamp(now)
        copy_lines(_cr, ("object_id", "updated_at", *COPY_CREDIT),
                   (b"%d\t%s\t%s\n" % (object_id, stamp, line) for object_id, line in sorted(copied)))


def _stamp(now) -> bytes:
    """An aware datetime as COPY text (what psycopg sends for it)."""
    if now is None or now.tzinfo is None:
        raise ValueError("an aware datetime is needed")
    return now.isoformat(sep=" ").encode("ascii")


def copy_lines(table, columns: Sequence[str], lines: Iterable[bytes]) -> None:
    """COPY ready-made text lines (`copy_fields`, each ending in a newline) into `table` (PostgreSQL)."""
    conn = db.session.connection()
    quoted = ", ".join(conn.dialect.identifier_preparer.quote(c) for c in columns)
    name = conn.dialect.identifier_preparer.format_table(table)
    with conn.connection.driver_connection.cursor() as cursor:
        with cursor.copy(f"COPY {name} ({quoted}) FROM STDIN") as copy:
            buffer = []
            for line in lines:
                buffer.append(line)
                if len(buffer) == 1000:
                    copy.write(b"".join(buffer))
                    buffer.clear()
            if buffer:
                copy.write(b"".join(buffer))
