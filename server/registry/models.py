"""The object directory (检查对象名录库): master library, sub-libraries, credit data, imports.

The master library is the `objects` table; sub-libraries are tags owned by a
department (`sub_libraries` + `object_sub_libraries`). Credit data and the last
check date per department are internal and live in their own tables so that
no query of the public or brief views can touch them by accident.
"""
from __future__ import annotations

import datetime as dt
from typing import Optional

from sqlalchemy import (
    BigInteger, Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..types import BigIntPK, JSONType, UTCDateTime, utcnow

OBJECT_TYPES = {
    "enterprise": "企业",
    "farmer_coop": "农民专业合作社",
    "individual": "个体工商户",
    "other_org": "其他组织",
    "product": "产品",
    "project": "项目",
    "behaviour": "行为",
}
# Types that are market entities or organisations and therefore carry a credit code.
ENTITY_TYPES = ("enterprise", "farmer_coop", "individual", "other_org")

REGISTRATION_STATUSES = {
    "active": "存续",
    "operating": "在业",
    "revoked": "吊销",
    "deregistered": "注销",
    "cancelled": "撤销",
    "moved_out": "迁出",
    "liquidating": "清算",
}

RISK_CLASSES = {"A": "低风险", "B": "一般风险", "C": "较高风险", "D": "高风险"}

IMPORT_STATUSES = ("pending", "running", "done", "failed")


class SubLibrary(db.Model):
    """A domain sub-library (分库) owned by one department; the office's are joint ones."""

    __tablename__ = "sub_libraries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    description: Mapped[Optional[str]] = mapped_column(String(500))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class InspectionObject(db.Model):
    """One object of the master library: a business, organisation, product, project or behaviour.

    `match_key` is what imports and feeds merge on: the credit code for entities,
    a digest of type, name and region for products, projects and behaviours.
    """

    __tablename__ = "objects"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    object_type: Mapped[str] = mapped_column(String(16), index=True)
    name: Mapped[str] = mapped_column(String(200))
    credit_code: Mapped[Optional[str]] = mapped_column(String(18), unique=True)
    credit_code_override: Mapped[Optional[str]] = mapped_column(String(500))
    match_key: Mapped[str] = mapped_column(String(64), unique=True)
    legal_rep_name: Mapped[Optional[str]] = mapped_column(String(64))
    legal_rep_id_protected: Mapped[Optional[str]] = mapped_column(Text)
    legal_rep_id_hash: Mapped[Optional[str]] = mapped_column(String(64), index=True)
    legal_rep_id_masked: Mapped[Optional[str]] = mapped_column(String(18))
    phone: Mapped[Optional[str]] = mapped_column(String(32))
    registered_address: Mapped[Optional[str]] = mapped_column(String(300))
    business_address: Mapped[Optional[str]] = mapped_column(String(300))
    region_code: Mapped[Optional[str]] = mapped_column(String(6), index=True)
    industry: Mapped[Optional[str]] = mapped_column(String(100))
    registration_status: Mapped[str] = mapped_column(String(16), index=True)
    online: Mapped[bool] = mapped_column(Boolean, default=False)
    shop_url: Mapped[Optional[str]] = mapped_column(String(500))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    content_hash: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer, default=1)

    credit: Mapped[Optional["ObjectCredit"]] = relationship(lazy="raise", uselist=False)
    sub_library_rows: Mapped[list["ObjectSubLibrary"]] = relationship(lazy="raise")
    check_rows: Mapped[list["ObjectDeptCheck"]] = relationship(lazy="raise")


class ObjectCredit(db.Model):
    """Internal credit data of an object: never public, never shown to inspectors."""

    __tablename__ = "object_credit"

    object_id: Mapped[int] = mapped_column(ForeignKey("objects.id", ondelete="CASCADE"), primary_key=True)
    risk_class: Mapped[Optional[str]] = mapped_column(String(1))
    abnormal_list: Mapped[bool] = mapped_column(Boolean, default=False)
    serious_violation_list: Mapped[bool] = mapped_column(Boolean, default=False)
    complaint_count: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class ObjectDeptCheck(db.Model):
    """The last date a department checked the object (Art. 16: "not checked for 2 / 3+ years")."""

    __tablename__ = "object_dept_checks"

    object_id: Mapped[int] = mapped_column(ForeignKey("objects.id", ondelete="CASCADE"), primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), primary_key=True)
    last_checked_on: Mapped[dt.date] = mapped_column(Date)


class ObjectCheck(db.Model):
    """Check history: one row per entered result, per object, department and check item.

    Written when a department enters its result of a sealed record (review approval); the day
    is the day the check ended on site. `object_dept_checks` keeps the latest day per department
    for the draw; this keeps every check with its result codes."""

    __tablename__ = "object_checks"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    object_id: Mapped[int] = mapped_column(ForeignKey("objects.id", ondelete="CASCADE"))
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    item_code: Mapped[str] = mapped_column(String(32))
    checked_on: Mapped[dt.date] = mapped_column(Date)
    result_codes: Mapped[list] = mapped_column(JSONType, default=list)
    # The sealed record; no foreign key: visits sit above the registry, and the history outlives
    # a record purged after the retention period (Art. 16 looks back 3 years and more).
    visit_id: Mapped[str] = mapped_column(String(36), index=True)
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("visit_id", "department_id", "item_code"),
                      Index("ix_object_checks_object", "object_id", "department_id", "item_code", "checked_on"))


class ObjectSubLibrary(db.Model):
    __tablename__ = "object_sub_libraries"

    object_id: Mapped[int] = mapped_column(ForeignKey("objects.id", ondelete="CASCADE"), primary_key=True)
    sub_library_id: Mapped[int] = mapped_column(ForeignKey("sub_libraries.id"), primary_key=True)

    sub_library: Mapped[SubLibrary] = relationship(lazy="joined")

    # Scope queries start from the sub-library.
    __table_args__ = (Index("ix_object_sub_libraries_sub", "sub_library_id", "object_id"),)


class ImportJob(db.Model):
    """One upload of a CSV/XLSX file, validated (dry run) or imported (commit), with progress."""

    __tablename__ = "import_jobs"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    filename: Mapped[str] = mapped_column(String(255))
    file_sha256: Mapped[str] = mapped_column(String(64))
    file_size: Mapped[int] = mapped_column(BigInteger)
    format: Mapped[str] = mapped_column(String(8))
    mode: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(8), default="pending")
    headers: Mapped[list] = mapped_column(JSONType, default=list)
    ignored_columns: Mapped[list] = mapped_column(JSONType, default=list)
    rows_total: Mapped[Optional[int]] = mapped_column(Integer)
    rows_processed: Mapped[int] = mapped_column(Integer, default=0)
    created: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[Optional[str]] = mapped_column(String(1000))
    created_by: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    department_id: Mapped[Optional[int]] = mapped_column(ForeignKey("departments.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    finished_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)


class ImportRowError(db.Model):
    """One problem in one row of an import; `raw` is the row as read (ID numbers masked)."""

    __tablename__ = "import_row_errors"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    job_id: Mapped[str] = mapped_column(ForeignKey("import_jobs.id", ondelete="CASCADE"))
    row_number: Mapped[int] = mapped_column(Integer)
    column: Mapped[Optional[str]] = mapped_column(String(100))
    value: Mapped[Optional[str]] = mapped_column(String(500))
    code: Mapped[str] = mapped_column(String(64))
    message: Mapped[str] = mapped_column(String(500))
    raw: Mapped[Optional[list]] = mapped_column(JSONType)

    __table_args__ = (Index("ix_import_row_errors_job", "job_id", "id"),)


class ImportSeenKey(db.Model):
    """Scratch: the merge keys a running job has read, to flag duplicates inside one file.

    Kept in the database rather than in a Python set so that memory stays flat
    however long the file is; a job's rows are deleted when it finishes.
    """

    __tablename__ = "import_seen_keys"

    job_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    match_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    row_number: Mapped[int] = mapped_column(Integer)
