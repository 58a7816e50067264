"""Fast reads and writes for draws with up to a million candidates: the scope query straight
from the driver, and the snapshot stored as one compressed document."""
from __future__ import annotations

import hashlib
from typing import Iterator

from ..extensions import db
from . import snapshot
from .models import DrawSnapshot

BATCH = 50_000


class SnapshotAltered(ValueError):
    """The stored snapshot no longer hashes to the committed snapshot_hash."""


def raw_batches(stmt, batch: int = BATCH) -> Iterator[list[tuple]]:
    """Rows of a Core SELECT as the driver's plain tuples, in batches, inside the session's
    transaction. For a million rows this is ~3x faster than SQLAlchemy result rows; values
    are the driver's own (PostgreSQL dates are dates, SQLite's are ISO text)."""
    conn = db.session.connection()
    compiled = stmt.compile(dialect=conn.dialect, compile_kwargs={"render_postcompile": True})
    params = (tuple(compiled.params[name] for name in compiled.positiontup) if compiled.positional
              else compiled.params)
    driver = conn.connection.driver_connection
    postgres = conn.dialect.name == "postgresql"
    # A server-side cursor on PostgreSQL, so the rows stream instead of arriving all at once.
    cursor = driver.cursor(name="dsr_draw_scope") if postgres else driver.cursor()
    try:
        cursor.execute(str(compiled), params)
        while rows := cursor.fetchmany(batch):
            yield rows
    finally:
        cursor.close()


def store_snapshot(task_id: int, frozen: snapshot.Frozen) -> None:
    db.session.add(DrawSnapshot(task_id=task_id, encoding=snapshot.ENCODING, row_count=frozen.size,
                                byte_count=frozen.byte_count, content=frozen.content))


def snapshot_text(task_id: int, expect_sha256: str | None = None) -> str:
    """The stored snapshot lines. With ``expect_sha256`` (the committed snapshot_hash), refuse
    a snapshot that was altered after the commitment."""
    stored = db.session.get(DrawSnapshot, task_id)
    if stored is None or stored.encoding != snapshot.ENCODING:
        raise SnapshotAltered("the snapshot is missing or in an unknown encoding")
    data = snapshot.decode(stored.content)
    if expect_sha256 is not None and hashlib.sha256(data).hexdigest() != expect_sha256:
        raise SnapshotAltered("the stored snapshot does not hash to the committed snapshot_hash")
    return data.decode("utf-8")

