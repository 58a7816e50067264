"""Feed batches, their refused records, and the history a feed keeps beside the current state.

The draw reads only the current state (`objects.registration_status` and the
`object_credit` row); the tables here keep how it came about: list entries and
removals with dates and reasons, complaint counts per month, status changes.
"""
from __future__ import annotations

import datetime as dt
from typing import Optional

from sqlalchemy import Date, Float, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ...extensions import db
from ...types import BigIntPK, JSONType, UTCDateTime, utcnow

LISTS = {"abnormal": "经营异常名录", "serious_violation": "严重违法失信名单"}
LIST_FLAGS = {"abnormal": "abnormal_list", "serious_violation": "serious_violation_list"}
BATCH_STATUSES = ("applied", "failed")


class FeedSource(db.Model):
    """A sender of feed batches and the last sequence number applied from it."""

    __tablename__ = "feed_sources"

    source: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_sequence: Mapped[int] = mapped_column(Integer)
    last_batch_id: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class FeedBatch(db.Model):
    """One applied batch and its report: counts per record kind and outcome; refusals in `feed_refusals`."""

    __tablename__ = "feed_batches"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    source: Mapped[str] = mapped_column(String(64))
    sequence: Mapped[int] = mapped_column(Integer)
    file_sha256: Mapped[str] = mapped_column(String(64))
    format: Mapped[str] = mapped_column(String(8))
    encoding: Mapped[str] = mapped_column(String(16))
    records: Mapped[int] = mapped_column(Integer, default=0)
    applied: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    refused: Mapped[int] = mapped_column(Integer, default=0)
    counts: Mapped[dict] = mapped_column(JSONType, default=dict)  # {kind: {applied, unchanged, refused}}
    closed_objects: Mapped[int] = mapped_column(Integer, default=0)
    flagged_visits: Mapped[int] = mapped_column(Integer, default=0)
    received_by: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    received_via: Mapped[str] = mapped_column(String(8))  # api | cli
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    seconds: Mapped[Optional[float]] = mapped_column(Float)

    __table_args__ = (UniqueConstraint("source", "sequence"),)


class FeedRefusal(db.Model):
    """One refused record of a batch: its line, what it was about and why (Chinese)."""

    __tablename__ = "feed_refusals"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    batch_id: Mapped[str] = mapped_column(ForeignKey("feed_batches.id", ondelete="CASCADE"))
    line: Mapped[int] = mapped_column(Integer)
    kind: Mapped[Optional[str]] = mapped_column(String(16))
    credit_code: Mapped[Optional[str]] = mapped_column(String(64))
    field: Mapped[Optional[str]] = mapped_column(String(64))
    code: Mapped[str] = mapped_column(String(64))
    message: Mapped[str] = mapped_column(String(500))

    __table_args__ = (Index("ix_feed_refusals_batch", "batch_id", "line"),)


class ObjectListEntry(db.Model):
    """A stay of an object on the abnormal-operation or serious-violation list (open while removed_on is null)."""

    __tablename__ = "object_list_entries"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    object_id: Mapped[int] = mapped_column(ForeignKey("objects.id", ondelete="CASCADE"))
    list: Mapped[str] = mapped_column(String(24))
    entered_on: Mapped[dt.date] = mapped_column(Date)
    entry_reason: Mapped[Optional[str]] = mapped_column(String(500))
    entry_batch: Mapped[Optional[str]] = mapped_column(String(64))
    removed_on: Mapped[Optional[dt.date]] = mapped_column(Date)
    removal_reason: Mapped[Optional[str]] = mapped_column(String(500))
    removal_batch: Mapped[Optional[str]] = mapped_column(String(64))

    __table_args__ = (Index("ix_object_list_entries_object", "object_id", "list"),)


class ObjectComplaintMonth(db.Model):
    """Complaints and reports about an object in one month (YYYY-MM), as the last feed stated them."""

    __tablename__ = "object_complaint_months"

    object_id: Mapped[int] = mapped_column(ForeignKey("objects.id", ondelete="CASCADE"), primary_key=True)
    period: Mapped[str] = mapped_column(String(7), primary_key=True)
    count: Mapped[int] = mapped_column(Integer)
    batch_id: Mapped[str] = mapped_column(String(64))


class ObjectStatusChange(db.Model):
    """A change of an object's registration status, with the date and reason the feed gave."""

    __tablename__ = "object_status_changes"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    object_id: Mapped[int] = mapped_column(ForeignKey("objects.id", ondelete="CASCADE"), index=True)
    from_status: Mapped[Optional[str]] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    changed_on: Mapped[Optional[dt.date]] = mapped_column(Date)
    reason: Mapped[Optional[str]] = mapped_column(String(500))
    batch_id: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
