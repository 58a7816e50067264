"""Visits (one drawn object of one task, with its joint team and schedule) and their record.
Sealed records are never updated; corrections are amendments."""
from __future__ import annotations

import datetime as dt
from typing import Any, Optional

from sqlalchemy import BigInteger, Boolean, Date, ForeignKey, Index, Integer, String, Text, Time, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..types import BigIntPK, JSONType, UTCDateTime, utcnow


VISIT_STATUSES = {"not_started": "未开始", "in_progress": "检查中", "sealed": "已封存", "withdrawn": "已撤回"}


class Visit(db.Model):
    """One drawn object of one task, with its joint team and schedule."""

    __tablename__ = "visits"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id"), index=True)
    object_id: Mapped[int] = mapped_column(ForeignKey("objects.id"), index=True)
    stratum: Mapped[str] = mapped_column(String(8))
    rank: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="not_started")
    scheduled_date: Mapped[Optional[dt.date]] = mapped_column(Date)
    time_from: Mapped[Optional[dt.time]] = mapped_column(Time)
    time_to: Mapped[Optional[dt.time]] = mapped_column(Time)
    scheduled_by: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Set when a directory feed closed the object (deregistered, revoked, moved out) while the visit
    # was open: its leader may form the result directly (Art. 21).
    object_closed_status: Mapped[Optional[str]] = mapped_column(String(16))
    object_closed_on: Mapped[Optional[dt.date]] = mapped_column(Date)
    object_closed_batch: Mapped[Optional[str]] = mapped_column(String(64))
    # The method chosen for this visit before it started (null = the plan task's default):
    # the phone and the desk follow it (``visits.method_choice``).
    planned_method: Mapped[Optional[str]] = mapped_column(String(16))
    method_planned_by: Mapped[Optional[int]] = mapped_column(Integer)

    members: Mapped[list["VisitMember"]] = relationship(
        back_populates="visit", order_by="VisitMember.position", lazy="selectin", cascade="all, delete-orphan")

    __table_args__ = (UniqueConstraint("task_id", "object_id"), Index("ix_visits_schedule", "scheduled_date"))


class VisitMember(db.Model):
    """A team member; a replaced member stays (inactive) for the record."""

    __tablename__ = "visit_members"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    visit_id: Mapped[str] = mapped_column(ForeignKey("visits.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    inspector_id: Mapped[int] = mapped_column(ForeignKey("inspectors.id"), index=True)
    user_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    role: Mapped[str] = mapped_column(String(32))  # leader | <department code> | member
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    visit: Mapped[Visit] = relationship(back_populates="members")


class VisitRecord(db.Model):
    """The scalar part of the record, one row per visit."""

    __tablename__ = "visit_records"

    visit_id: Mapped[str] = mapped_column(ForeignKey("visits.id"), primary_key=True)
    arrival_at: Mapped[Optional[str]] = mapped_column(String(40))  # client time, ISO with offset
    arrival_gps: Mapped[Optional[Any]] = mapped_column(JSONType)
    arrival_recorded_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    present: Mapped[list] = mapped_column(JSONType, default=list)  # inspector ids
    credentials_shown_at: Mapped[Optional[str]] = mapped_column(String(40))
    rights_informed_at: Mapped[Optional[str]] = mapped_column(String(40))
    method: Mapped[Optional[str]] = mapped_column(String(16))
    method_details: Mapped[Optional[Any]] = mapped_column(JSONType)  # the method's own evidence (rules.METHODS)
    check_ended_at: Mapped[Optional[str]] = mapped_column(String(40))  # phone time the check ended on site
    outcome: Mapped[Optional[Any]] = mapped_column(JSONType)
    check_ended_on: Mapped[Optional[dt.date]] = mapped_column(Date)
    sealed_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    sealed_by: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    content_sha256: Mapped[Optional[str]] = mapped_column(String(64))
    sealed_content: Mapped[Optional[str]] = mapped_column(Text)  # canonical JSON exactly as hashed
    seal_signature: Mapped[Optional[str]] = mapped_column(String(128))  # deployment Ed25519 over the seal event
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Answer(db.Model):
    """One checkpoint's answer; "who checks, who enters": answered by the item's department."""

    __tablename__ = "visit_answers"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    visit_id: Mapped[str] = mapped_column(ForeignKey("visits.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("check_items.id"))
    item_version: Mapped[int] = mapped_column(Integer)
    checkpoint_key: Mapped[str] = mapped_column(String(32))
    value: Mapped[Optional[str]] = mapped_column(String(2000))
    note: Mapped[Optional[str]] = mapped_column(String(2000))
    answered_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("visit_id", "item_id", "checkpoint_key"),)


class FieldHistory(db.Model):
    """Every overwritten scalar value survives here (with conflict marking)."""

    __tablename__ = "visit_field_history"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    visit_id: Mapped[str] = mapped_column(ForeignKey("visits.id"), index=True)
    field: Mapped[str] = mapped_column(String(80))
    old_value: Mapped[Optional[Any]] = mapped_column(JSONType)
    new_value: Mapped[Optional[Any]] = mapped_column(JSONType)
    old_by: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    new_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    conflict: Mapped[bool] = mapped_column(Boolean, default=False)
    resolved: Mapped[bool] = mapped_column(Boolean, default=False)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ix_visit_field_history_conflict", "visit_id", "conflict"),)


class Finding(db.Model):
    __tablename__ = "visit_findings"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    visit_id: Mapped[str] = mapped_column(ForeignKey("visits.id"), index=True)
    item_id: Mapped[Optional[int]] = mapped_column(ForeignKey("check_items.id"))
    checkpoint_key: Mapped[Optional[str]] = mapped_column(String(32))
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    description: Mapped[str] = mapped_column(Text)
    legal_basis: Mapped[Optional[str]] = mapped_column(Text)
    measures: Mapped[list] = mapped_column(JSONType, default=list)
    rectify_deadline: Mapped[Optional[dt.date]] = mapped_column(Date)
    media_ids: Mapped[list] = mapped_column(JSONType, default=list)
    unlicensed: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)


class MediaRef(db.Model):
    """A media item attached to the record (bytes may arrive before or after)."""

    __tablename__ = "visit_media"

    media_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    visit_id: Mapped[str] = mapped_column(ForeignKey("visits.id"), index=True)
    sha256: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    target_type: Mapped[str] = mapped_column(String(16))
    target_id: Mapped[Optional[str]] = mapped_column(String(80))
    claim: Mapped[Optional[Any]] = mapped_column(JSONType)
    attached_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    attached_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Signature(db.Model):
    """A handwritten signature bound to the record's content hash (trust.md)."""

    __tablename__ = "visit_signatures"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    visit_id: Mapped[str] = mapped_column(ForeignKey("visits.id"), index=True)
    role: Mapped[str] = mapped_column(String(24))
    kind: Mapped[str] = mapped_column(String(16), default="signature", server_default="signature")  # | stamp
    signer_name: Mapped[str] = mapped_column(String(64))
    signer_inspector_id: Mapped[Optional[int]] = mapped_column(Integer)
    id_number_hash: Mapped[Optional[str]] = mapped_column(String(64))  # keyed HMAC, never the number
    id_number_masked: Mapped[Optional[str]] = mapped_column(String(24))
    id_type: Mapped[Optional[str]] = mapped_column(String(24))  # identifiers.ID_DOCUMENT_TYPES
    content_sha256: Mapped[str] = mapped_column(String(64))
    strokes: Mapped[Optional[Any]] = mapped_column(JSONType)
    strokes_sha256: Mapped[Optional[str]] = mapped_column(String(64))
    image_media_id: Mapped[Optional[str]] = mapped_column(String(36))
    image_sha256: Mapped[Optional[str]] = mapped_column(String(64))
    refused: Mapped[bool] = mapped_column(Boolean, default=False)
    refusal_reason: Mapped[Optional[str]] = mapped_column(Text)
    no_witness_reason: Mapped[Optional[str]] = mapped_column(Text)  # why no witness was necessary
    device_id: Mapped[Optional[int]] = mapped_column(Integer)
    app_version: Mapped[Optional[str]] = mapped_column(String(40))
    gps: Mapped[Optional[Any]] = mapped_column(JSONType)
    client_time: Mapped[Optional[str]] = mapped_column(String(40))
    server_time: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    event_json: Mapped[str] = mapped_column(Text)  # canonical signature event, exactly as signed
    server_signature: Mapped[str] = mapped_column(String(128))  # deployment Ed25519 over event_json


class Amendment(db.Model):
    """A correction appended to a sealed record; the sealed version stays intact."""

    __tablename__ = "visit_amendments"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    visit_id: Mapped[str] = mapped_column(ForeignKey("visits.id"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    patch: Mapped[Any] = mapped_column(JSONType)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class HandoffSection(db.Model):
    """A member's section of a joint visit, handed to the leader's phone by QR code with no network
    (docs/field-contract.md, "Handoff"), and pushed later by the leader's phone."""

    __tablename__ = "visit_handoffs"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    visit_id: Mapped[str] = mapped_column(ForeignKey("visits.id"), index=True)
    member_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    client_id: Mapped[str] = mapped_column(String(36))
    seq: Mapped[int] = mapped_column(Integer)
    section_sha256: Mapped[str] = mapped_column(String(64))
    handed_at: Mapped[str] = mapped_column(String(40))
    mutation_count: Mapped[int] = mapped_column(Integer)
    received_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("visit_id", "section_sha256"),)


class HandoffMutation(db.Model):
    """A member's mutation that reached the server inside a handed-over section: the member's own
    push of the same (client, id) later is applied once, and compared."""

    __tablename__ = "visit_handoff_mutations"

    client_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    mutation_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    visit_id: Mapped[str] = mapped_column(ForeignKey("visits.id"), index=True)
    handoff_id: Mapped[int] = mapped_column(ForeignKey("visit_handoffs.id"))
    name: Mapped[str] = mapped_column(String(64))
    args: Mapped[Any] = mapped_column(JSONType)
    args_sha256: Mapped[str] = mapped_column(String(64))


class ContentMismatch(db.Model):
    """What a member's phone sent differs from what the party signed (the handed-over section):
    never silently accepted; both values are kept (and logged) for the leader and the reviewer."""

    __tablename__ = "visit_content_mismatches"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    visit_id: Mapped[str] = mapped_column(ForeignKey("visits.id"), index=True)
    member_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    client_id: Mapped[str] = mapped_column(String(36))
    mutation_id: Mapped[Optional[int]] = mapped_column(BigInteger)
    field: Mapped[str] = mapped_column(String(120))
    signed: Mapped[Optional[Any]] = mapped_column(JSONType)
    arrived: Mapped[Optional[Any]] = mapped_column(JSONType)
    source: Mapped[str] = mapped_column(String(16))  # member_push | handoff
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
