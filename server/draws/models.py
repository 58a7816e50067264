"""Launched tasks and their verifiable draws (the visits they produce are the visits feature's)."""
from __future__ import annotations

import datetime as dt
from typing import Any, Optional

from sqlalchemy import BigInteger, Boolean, Date, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..types import JSONType, UTCDateTime, utcnow

TASK_STATUSES = {"committed": "已固定候选名单，待公开随机数", "drawn": "已抽取", "cancelled": "已撤销"}


class InspectionTask(db.Model):
    """A plan task launched for drawing (抽查任务)."""

    __tablename__ = "tasks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    plan_task_id: Mapped[int] = mapped_column(ForeignKey("plan_tasks.id"), index=True)
    initiating_department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    participating_department_ids: Mapped[list] = mapped_column(JSONType, default=list)
    window_start: Mapped[dt.date] = mapped_column(Date)
    window_end: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="committed")
    launched_by: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    launched_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    draw: Mapped["Draw"] = relationship(back_populates="task", uselist=False)


class TaskDepartment(db.Model):
    """The departments of a task, one row each (the initiating one and every participating one):
    what "staff of the task's departments may read" is filtered by, in SQL (`draws.access`)."""

    __tablename__ = "task_departments"

    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"), primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), primary_key=True, index=True)
    initiating: Mapped[bool] = mapped_column(Boolean, default=False)


class Draw(db.Model):
    """The commitment (before the beacon) and the result (after): dsr-wrs-v1 + dsr-team-v2 (or v1 for older draws)."""

    __tablename__ = "draws"

    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id"), primary_key=True)
    algorithm: Mapped[str] = mapped_column(String(16), default="dsr-wrs-v1")
    plan_json: Mapped[str] = mapped_column(Text)  # canonical bytes exactly as hashed
    pool_json: Mapped[str] = mapped_column(Text)  # the frozen inspector pool rows (pool_hash is in the plan)
    plan_hash: Mapped[str] = mapped_column(String(64))
    snapshot_hash: Mapped[str] = mapped_column(String(64))
    snapshot_size: Mapped[int] = mapped_column(Integer)
    commitment: Mapped[str] = mapped_column(String(64))
    nonce_hex: Mapped[str] = mapped_column(String(64))  # revealed only after the draw
    committed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    borrowed_department_ids: Mapped[list] = mapped_column(JSONType, default=list)
    beacon_value: Mapped[Optional[str]] = mapped_column(String(500))
    beacon_published_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    seed_hex: Mapped[Optional[str]] = mapped_column(String(64))
    strata: Mapped[Optional[Any]] = mapped_column(JSONType)  # {S: {N, n}}
    drawn_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    drawn_by: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))

    task: Mapped[InspectionTask] = relationship(back_populates="draw")


class DrawSnapshot(db.Model):
    """The frozen candidate snapshot (dsr-wrs-v1) exactly as hashed: every row, excluded ones with
    their reason, as canonical JSON lines, zlib-compressed. One row per task: a million-object
    snapshot is ~60 MB of text and ~4 MB stored, written and read in well under a second, where a
    table row per candidate cost seconds each way. Its SHA-256 (of the uncompressed bytes) is the
    draw's snapshot_hash, so any change to it is caught before the draw and by the verifier."""

    __tablename__ = "draw_snapshots"

    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id"), primary_key=True)
    encoding: Mapped[str] = mapped_column(String(16), default="jsonl+zlib")
    row_count: Mapped[int] = mapped_column(Integer)
    byte_count: Mapped[int] = mapped_column(BigInteger)  # uncompressed
    content: Mapped[bytes] = mapped_column(LargeBinary)


class DrawRanking(db.Model):
    """A stratum's full ranking after the draw (newline-separated row ids): the substitution order."""

    __tablename__ = "draw_rankings"

    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id"), primary_key=True)
    stratum: Mapped[str] = mapped_column(String(8), primary_key=True)
    N: Mapped[int] = mapped_column("population", Integer)  # SQLite names are case-insensitive
    n: Mapped[int] = mapped_column("sample_size", Integer)
    ranking: Mapped[str] = mapped_column(Text)
    selected: Mapped[str] = mapped_column(Text)


class DrawEvent(db.Model):
    """Replacements of inspectors and substitutions of objects, requested then decided."""

    __tablename__ = "draw_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # replacement | substitution
    status: Mapped[str] = mapped_column(String(16), default="requested")  # requested | approved | rejected
    seq: Mapped[Optional[int]] = mapped_column(Integer)  # order among approved events
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))  # whose leader decides
    object_id: Mapped[Optional[int]] = mapped_column(Integer)
    stratum: Mapped[Optional[str]] = mapped_column(String(8))
    outgoing: Mapped[str] = mapped_column(String(32))  # inspector id or row id
    incoming: Mapped[Optional[str]] = mapped_column(String(32))
    reason_code: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(Text)
    evidence: Mapped[Optional[Any]] = mapped_column(JSONType)
    requested_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    requested_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_by: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    decision_note: Mapped[Optional[str]] = mapped_column(Text)
    payload: Mapped[Optional[Any]] = mapped_column(JSONType)  # the event as the audit package records it
