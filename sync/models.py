"""Tables of the sync core."""
from __future__ import annotations

import datetime as dt
from typing import Any, Optional

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from server.extensions import db
from server.types import BigIntPK, JSONType, UTCDateTime, utcnow


class SyncClient(db.Model):
    """One installation of the app, registered to the user and device that first used it."""

    __tablename__ = "sync_clients"

    client_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id"), index=True)
    last_mutation_id: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_push_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    last_pull_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)


class SyncMutation(db.Model):
    """Every processed mutation with its result, so replies are idempotent.

    Rejected mutations keep their payload here: they are listed for the user,
    never silently dropped.
    """

    __tablename__ = "sync_mutations"

    client_id: Mapped[str] = mapped_column(ForeignKey("sync_clients.client_id"), primary_key=True)
    mutation_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(String(64))
    args: Mapped[Any] = mapped_column(JSONType)
    client_time: Mapped[Optional[str]] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(16))  # applied | rejected
    conflict: Mapped[Optional[Any]] = mapped_column(JSONType)
    problem: Mapped[Optional[Any]] = mapped_column(JSONType)
    processed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ix_sync_mutations_status", "client_id", "status"),)


class SyncCounter(db.Model):
    """The single row that serialises change numbers (locked by each writer)."""

    __tablename__ = "sync_counter"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(BigInteger, default=0)


class SyncFeed(db.Model):
    """One row per recipient per change: a pull reads only its own rows."""

    __tablename__ = "sync_feed"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    recipient_id: Mapped[int] = mapped_column(Integer)
    seq: Mapped[int] = mapped_column(BigInteger)
    entity: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[str] = mapped_column(String(64))
    op: Mapped[str] = mapped_column(String(8))  # put | del
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ix_sync_feed_recipient_seq", "recipient_id", "seq"),)
