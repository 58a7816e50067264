"""Serving the caller's changes since their cursor, or a full snapshot (reset)."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update
from sqlalchemy.exc import OperationalError

from server.dbsetup import SQLITE_BUSY_TIMEOUT_MS, begin_write, end_write
from server.extensions import db
from server.settings import get_setting
from server.types import utcnow

from .changes import current_seq
from .clients import check_owner, claim
from .models import SyncClient, SyncFeed
from .registry import ENTITIES
from .schemas import MAX_MUTATIONS

CURSOR_PREFIX = "v1."


def limits(app_config) -> dict:
    return {"max_mutations": MAX_MUTATIONS, "max_body_bytes": app_config["MAX_CONTENT_LENGTH"]}


def encode_cursor(seq: int) -> str:
    return f"{CURSOR_PREFIX}{seq}"


def decode_cursor(cursor: str | None) -> int | None:
    if not cursor or not cursor.startswith(CURSOR_PREFIX):
        return None
    try:
        value = int(cursor[len(CURSOR_PREFIX):])
    except ValueError:
        return None
    return value if value >= 0 else None


def _snapshot(principal) -> list[dict]:
    changes = []
    for ent in sorted(ENTITIES.values(), key=lambda e: (e.order, e.name)):
        for entity_id, data in ent.snapshot(principal):
            changes.append({"seq": 0, "entity": ent.name, "op": "put", "id": str(entity_id), "data": data})
    return changes


def _client_for_pull(principal, client_id: str) -> SyncClient:
    """The caller's client. Only an installation's very first pull writes: it registers the
    client to this user and device (so that a section the phone hands over by QR code before it
    ever pushes is known to be this member's, server/visits/handoff.py). Every later pull only
    reads. A pull is a GET and reads in a plain (deferred) transaction on SQLite; a read-then-write
    there fails at once if another writer committed in between (SQLITE_BUSY_SNAPSHOT), so the
    first pull switches to a write transaction before it reads anything."""
    client = db.session.get(SyncClient, client_id)
    if client is None:
        db.session.rollback()
        begin_write()
        client = claim(principal, client_id)
        client.last_pull_at = utcnow()
        db.session.commit()
        end_write()  # the pull itself only reads
        return client
    return check_owner(principal, client)


TOUCH_INTERVAL = dt.timedelta(minutes=10)


def _touch(client: SyncClient | None) -> None:
    """Record the pull time, at most every TOUCH_INTERVAL and only when no writer holds the
    lock it needs: on its own short connection, without waiting (SQLite: no busy wait;
    PostgreSQL: a short lock timeout, the row being locked only by the same client's push).
    Best effort: a pull never queues behind pushes for it."""
    due = client is not None and (client.last_pull_at is None or utcnow() - client.last_pull_at >= TOUCH_INTERVAL)
    client_id = client.client_id if client is not None else None
    db.session.rollback()  # the read transaction ends here
    if not due:
        return
    stmt = update(SyncClient).where(SyncClient.client_id == client_id).values(last_pull_at=utcnow())
    try:
        with db.engine.connect() as conn:
            sqlite = conn.dialect.name == "sqlite"
            conn.exec_driver_sql("PRAGMA busy_timeout=0" if sqlite else "SET LOCAL lock_timeout = '100ms'")
            try:
                conn.execute(stmt)
                conn.commit()
            finally:
                if sqlite:
                    conn.rollback()
                    conn.exec_driver_sql(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
                    conn.commit()
    except OperationalError:
        pass


def pull(principal, client_id: str, cursor: str | None, limit: int, app_config) -> dict:
    client = _client_for_pull(principal, client_id)
    top = current_seq(db.session)
    floor = int(get_setting("sync_feed_floor", 0) or 0)
    after = decode_cursor(cursor)
    base = {"last_mutation_id": client.last_mutation_id, "limits": limits(app_config),
            "server_time": utcnow().isoformat()}
    if after is None or after < floor or after > top:
        # Unknown, pruned or foreign cursor: the complete view. The cursor is
        # read before the snapshot, so later changes are sent again, never lost.
        changes = _snapshot(principal)
        _touch(client)
        return {**base, "cursor": encode_cursor(top), "more": False, "reset": True, "changes": changes}

    rows = db.session.execute(
        select(SyncFeed.seq, SyncFeed.entity, SyncFeed.entity_id, SyncFeed.op)
        .where(SyncFeed.recipient_id == principal.user_id, SyncFeed.seq > after)
        .order_by(SyncFeed.seq).limit(limit + 1)
    ).all()
    more = len(rows) > limit
    rows = rows[:limit]
    new_cursor = rows[-1].seq if rows else after
    # Several changes of one entity in a page collapse into its latest.
    latest: dict[tuple[str, str], tuple[int, str]] = {}
    for r in rows:
        latest[(r.entity, r.entity_id)] = (r.seq, r.op)
    by_entity: dict[str, list[str]] = {}
    for (entity, entity_id), (_, op) in latest.items():
        if op == "put" and entity in ENTITIES:
            by_entity.setdefault(entity, []).append(entity_id)
    loaded = {name: ENTITIES[name].load(ids, principal) for name, ids in by_entity.items()}
    changes = []
    for (entity, entity_id), (seq, op) in sorted(latest.items(), key=lambda kv: kv[1][0]):
        data = loaded.get(entity, {}).get(entity_id) if op == "put" else None
        if data is None:
            # Deleted, or no longer in the caller's view: the phone drops it.
            changes.append({"seq": seq, "entity": entity, "op": "del", "id": entity_id, "data": None})
        else:
            changes.append({"seq": seq, "entity": entity, "op": "put", "id": entity_id, "data": data})
    _touch(client)
    return {**base, "cursor": encode_cursor(new_cursor), "more": more, "reset": False, "changes": changes}
