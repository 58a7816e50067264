"""Audit log tables: the entries and the single chain-head row."""
from __future__ import annotations

import datetime as dt
from typing import Optional

from sqlalchemy import BigInteger, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..types import BigIntPK, UTCDateTime, utcnow


class AuditEntry(db.Model):
    """One appended entry. `payload` is stored exactly as hashed."""

    __tablename__ = "audit_entries"

    seq: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=False)
    prev_hash: Mapped[str] = mapped_column(String(64))
    entry_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    action: Mapped[str] = mapped_column(String(64), index=True)
    target_type: Mapped[Optional[str]] = mapped_column(String(64))
    target_id: Mapped[Optional[str]] = mapped_column(String(64))
    actor_user_id: Mapped[Optional[int]] = mapped_column(Integer)
    actor_department_id: Mapped[Optional[int]] = mapped_column(Integer, index=True)
    device_id: Mapped[Optional[int]] = mapped_column(Integer)
    request_id: Mapped[Optional[str]] = mapped_column(String(64))
    payload: Mapped[str] = mapped_column(Text)

    __table_args__ = (Index("ix_audit_entries_target", "target_type", "target_id"),)


class AuditChainHead(db.Model):
    """The single row every appending transaction locks: no gaps, no forks."""

    __tablename__ = "audit_chain_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(BigInteger, default=0)
    head_hash: Mapped[str] = mapped_column(String(64))
