"""Engine-level settings for SQLite: WAL, foreign keys, and write transactions.

SQLite allows one writer. A deferred transaction that read first and then
writes fails at once (SQLITE_BUSY_SNAPSHOT) if another writer committed in
between, instead of waiting; so every transaction that may write begins with
BEGIN IMMEDIATE and waits its turn (busy_timeout). Safe HTTP methods keep a
plain BEGIN so readers never queue behind writers.
"""
from __future__ import annotations

import sqlite3

from flask import has_request_context, request
from sqlalchemy import event
from sqlalchemy.engine import Engine

from .extensions import db

_SAFE = {"GET", "HEAD", "OPTIONS"}
SQLITE_BUSY_TIMEOUT_MS = 30000
_WRITE_INTENT = "dsr.db_write_intent"


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
    read_only = has_request_context() and request.method in _SAFE \
        and not request.environ.get(_WRITE_INTENT)
    conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


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


def install() -> None:
    if getattr(install, "_done", False):
        return
    event.listen(Engine, "connect", _on_connect)
    event.listen(Engine, "begin", _on_begin)
    install._done = True
