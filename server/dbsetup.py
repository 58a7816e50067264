"""Engine-level settings for SQLite: WAL, foreign keys, and write transactions.

SQLite allows one writer. A deferred transaction that read first and then
writes fails at once (SQLITE_BUSY_SNAPSHOT) if another writer committed in
between, instead of waiting; so every transaction that may write begins with
BEGIN IMMEDIATE and waits its turn (busy_timeout). Safe HTTP methods keep a
plain BEGIN so readers never queue behind writers.

Waiting its turn inside SQLite is polling: a blocked writer sleeps 1, 2, 5 … up to 100 ms between
tries, so under a steady stream of writers an unlucky one keeps missing the moments the lock is
free and waits seconds (the sync load's push and first-pull p99, issue 20). The threads of one
process therefore queue for a process-wide writer lock first (`_WRITER`), taken at BEGIN IMMEDIATE
and given back at the transaction's end: a waiting thread is woken the moment the previous writer
of its process commits. Between processes (gunicorn's workers, a second server on the same file)
the thread holding it then takes an exclusive `flock` on ``<database>-writer.lock``, polling every
0.5–2 ms instead of SQLite's 100 ms (a process that dies frees it with its file). A thread that
cannot get either within the busy timeout goes on to BEGIN IMMEDIATE anyway, so these locks can
delay a writer but never stop it.

The writer's turn is the bottleneck of a busy SQLite server (the sync load holds it ~100 % of the
time), so a request that writes reads what it can before it: `read_first()` runs a block (the
caller's authentication) in a plain read transaction and ends it, and the request's writes then
begin with BEGIN IMMEDIATE as before. The body's parsing and validation in between hold no lock.
"""
from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
import time
from contextlib import contextmanager
from typing import Callable, Iterator

from flask import has_request_context, request
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.pool import Pool

from .extensions import db

_SAFE = {"GET", "HEAD", "OPTIONS"}
SQLITE_BUSY_TIMEOUT_MS = 30000
_WRITE_INTENT = "dsr.db_write_intent"
_READ_FIRST = "dsr.db_read_first"
_WRITER = threading.Lock()
_HELD = "dsr.sqlite_writer_lock"  # in a connection's info while its transaction holds `_WRITER`
_FILE_HELD = "dsr.sqlite_writer_file"  # … and the file descriptor it holds the flock on
_SINCE = "dsr.sqlite_writer_since"  # … and when it asked for the writer's turn and got it (metrics)
# Called with (seconds waited for the writer's turn, seconds held) as each SQLite write transaction
# ends (server/observability/metrics.py counts them).
WRITE_OBSERVERS: list[Callable[[float, float], None]] = []
_lock_files: dict[str, int] = {}  # database path -> this process's descriptor of its lock file (one kept)


def _on_connect(dbapi_conn, record) -> None:
    if not isinstance(dbapi_conn, sqlite3.Connection):
        return
    dbapi_conn.isolation_level = None  # we emit BEGIN ourselves
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def _on_begin(conn) -> None:
    if conn.dialect.name != "sqlite":
        return
    read_only = has_request_context() and (
        (request.method in _SAFE and not request.environ.get(_WRITE_INTENT)) or request.environ.get(_READ_FIRST))
    if read_only:
        conn.exec_driver_sql("BEGIN")
        return
    asked = time.monotonic()
    deadline = asked + SQLITE_BUSY_TIMEOUT_MS / 1000
    if _WRITER.acquire(timeout=SQLITE_BUSY_TIMEOUT_MS / 1000):
        conn.info[_HELD] = True
        _lock_file(conn, deadline)
    try:
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    except BaseException:
        _release(conn.info)
        raise
    conn.info[_SINCE] = (asked, time.monotonic())


def _lock_file(conn, deadline: float) -> None:
    """Take the database's writer flock (only the holder of `_WRITER` does), or give up at `deadline`."""
    path = conn.engine.url.database
    if not path or path == ":memory:" or path.startswith("file:"):
        return
    fd = _lock_files.get(path)
    if fd is None:
        # Another database's descriptor is not in use (holding `_WRITER`, this thread is the only one
        # that could hold a flock): closed, so a process that opens many databases (the tests) keeps one.
        for other in _lock_files.values():
            os.close(other)
        _lock_files.clear()
        try:
            fd = _lock_files[path] = os.open(f"{path}-writer.lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        except OSError:  # e.g. a read-only directory: SQLite's own waiting decides, as before
            return
    delay = 0.0005
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if time.monotonic() >= deadline:
                return
            time.sleep(delay)
            delay = min(delay * 2, 0.002)
            continue
        conn.info[_FILE_HELD] = fd
        return


def _release(info) -> None:
    since = info.pop(_SINCE, None)
    if since is not None:
        waited, held = since[1] - since[0], time.monotonic() - since[1]
        for observe in WRITE_OBSERVERS:
            observe(waited, held)
    fd = info.pop(_FILE_HELD, None)
    if fd is not None:
        fcntl.flock(fd, fcntl.LOCK_UN)
    if info.pop(_HELD, False):
        _WRITER.release()


def _on_end(conn) -> None:
    """The transaction committed or rolled back (or its connection went back to the pool)."""
    _release(conn.info)


def _on_pool_reset(dbapi_connection, connection_record, reset_state) -> None:
    _release(connection_record.info)


def _on_pool_invalidate(dbapi_connection, connection_record, exception) -> None:
    _release(connection_record.info)


def _on_pool_close(dbapi_connection, connection_record) -> None:
    _release(connection_record.info)


def begin_write() -> None:
    """Make a safe-method request (e.g. an audited read) write safely from here on.

    Ends the request's read transaction (it must hold no pending changes) so
    that the next one begins with BEGIN IMMEDIATE on SQLite: a deferred
    transaction that read first would fail instead of waiting if another
    writer committed before its first write. On PostgreSQL it only ends the
    read transaction.
    """
    session = db.session
    if session.new or session.dirty or session.deleted or session.info.get("audit_pending"):
        raise RuntimeError("begin_write() called with pending changes")
    if has_request_context():
        request.environ[_WRITE_INTENT] = True
    session.rollback()


@contextmanager
def read_first() -> Iterator[None]:
    """Run the block's reads in their own read transaction, ended after it (SQLite, in a request whose
    session has no transaction yet): a request that goes on to write does not hold the writer's turn
    while it reads who the caller is and parses its body. The block must only read. Elsewhere (and on
    PostgreSQL, where readers and writers never queue for one lock) the block simply runs."""
    session = db.session()  # the request's Session (the scoped proxy has no in_transaction)
    if (not has_request_context() or (request.method in _SAFE and not request.environ.get(_WRITE_INTENT))
            or session.in_transaction() or session.get_bind().dialect.name != "sqlite"):
        yield  # (a safe method reads in a plain transaction anyway)
        return
    request.environ[_READ_FIRST] = True
    try:
        yield
    finally:
        request.environ.pop(_READ_FIRST, None)
        session.rollback()  # the read transaction ends (it wrote nothing); the next one begins afresh


def end_write() -> None:
    """After `begin_write()`'s transaction has committed: the request's next transaction is a read
    again (plain BEGIN on SQLite), so what it goes on to read holds no writer's lock."""
    if has_request_context():
        request.environ.pop(_WRITE_INTENT, None)


def install() -> None:
    if getattr(install, "_done", False):
        return
    event.listen(Engine, "connect", _on_connect)
    event.listen(Engine, "begin", _on_begin)
    event.listen(Engine, "commit", _on_end)
    event.listen(Engine, "rollback", _on_end)
    # A transaction that ended without a commit or rollback of its own: its connection went back.
    event.listen(Pool, "reset", _on_pool_reset)
    event.listen(Pool, "invalidate", _on_pool_invalidate)
    event.listen(Pool, "close", _on_pool_close)
    install._done = True
