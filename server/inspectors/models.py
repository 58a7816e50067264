"""Inspector directory tables: inspectors, unavailable periods, conflicts, borrowing."""
from __future__ import annotations

import datetime as dt
from typing import Optional

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import Department
from ..extensions import db
from ..types import JSONType, UTCDateTime, utcnow

KINDS = {"general": "普通", "specialist": "专业"}
EXPERT_ORG_TYPES = {"lab": "检测机构", "institute": "科研院所", "university": "高等院校", "other": "其他"}
UNAVAILABILITY_REASONS = {"leave": "休假", "training": "培训", "sick": "病假", "secondment": "借调/外派", "other": "其他"}


class Inspector(db.Model):
    """One person in the directory: a staff member with an account, or an external expert."""

    __tablename__ = "inspectors"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Staff log in; external experts (labs, institutes, universities) have no account.
    user_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"), unique=True)
    name: Mapped[str] = mapped_column(String(64))
    phone: Mapped[Optional[str]] = mapped_column(String(32))
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    # 执法证号: unique when present (NULLs do not collide on either database).
    cert_no: Mapped[Optional[str]] = mapped_column(String(32), unique=True)
    cert_valid_from: Mapped[Optional[dt.date]] = mapped_column(Date)
    cert_valid_until: Mapped[Optional[dt.date]] = mapped_column(Date)
    post: Mapped[Optional[str]] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16), default="general")  # general | specialist
    is_expert: Mapped[bool] = mapped_column(Boolean, default=False)
    expert_org: Mapped[Optional[str]] = mapped_column(String(100))
    expert_org_type: Mapped[Optional[str]] = mapped_column(String(16))  # lab | institute | university | other
    qualification_tags: Mapped[list] = mapped_column(JSONType, default=list)
    expertise_tags: Mapped[list] = mapped_column(JSONType, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    department: Mapped[Department] = relationship(lazy="joined")


class InspectorUnavailability(db.Model):
    """A period (inclusive dates) in which the inspector cannot be matched to a team."""

    __tablename__ = "inspector_unavailability"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    inspector_id: Mapped[int] = mapped_column(ForeignKey("inspectors.id"))
    start_date: Mapped[dt.date] = mapped_column(Date)
    end_date: Mapped[dt.date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(16))  # UNAVAILABILITY_REASONS
    note: Mapped[Optional[str]] = mapped_column(String(200))
    created_by: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))  # None: command line
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ix_inspector_unavailability_period", "inspector_id", "start_date", "end_date"),)


class ConflictDeclaration(db.Model):
    """Inspector ↔ object or credit code with a conflict of interest (Art. 17).

    `object_id` refers to the object directory (foreign key added with the draws migration).
    Withdrawn, never deleted: a declaration that existed at a draw stays on record.
    """

    __tablename__ = "inspector_conflicts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    inspector_id: Mapped[int] = mapped_column(ForeignKey("inspectors.id"), index=True)
    object_id: Mapped[Optional[int]] = mapped_column(ForeignKey("objects.id"), index=True)
    credit_code: Mapped[Optional[str]] = mapped_column(String(18), index=True)
    reason: Mapped[str] = mapped_column(String(500))
    valid_from: Mapped[dt.date] = mapped_column(Date)
    valid_until: Mapped[Optional[dt.date]] = mapped_column(Date)  # None: open-ended
    declared_by: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))  # None: command line
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    withdrawn_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    withdrawn_by: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    withdraw_reason: Mapped[Optional[str]] = mapped_column(String(200))


class BorrowAgreement(db.Model):
    """Art. 17: `department_id` may draw inspectors from `lender_department_id`'s directory,
    once the lending department's admin has consented (`consented_at`)."""

    __tablename__ = "inspector_borrowing"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)  # the borrower
    lender_department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    reason: Mapped[str] = mapped_column(String(500))
    valid_from: Mapped[dt.date] = mapped_column(Date)
    valid_until: Mapped[dt.date] = mapped_column(Date)
    created_by: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))  # None: command line
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    revoked_by: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    revoke_reason: Mapped[Optional[str]] = mapped_column(String(200))
    consented_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)  # None: not (yet) usable
    consented_by: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    consent_note: Mapped[Optional[str]] = mapped_column(String(200))

    department: Mapped[Department] = relationship(foreign_keys=[department_id], lazy="joined")
    lender: Mapped[Department] = relationship(foreign_keys=[lender_department_id], lazy="joined")
