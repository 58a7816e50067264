"""Review of sealed records and the results published from them."""
from __future__ import annotations

import datetime as dt
from typing import Any, Optional

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..types import BigIntPK, JSONType, UTCDateTime, utcnow

REVIEW_STATUSES = {
    "pending": "待审核", "returned": "已退回检查组", "evidence_requested": "待补充证据",
    "approved": "已录入结果", "published": "已公示", "withheld": "经批准不予公示",
}


class Review(db.Model):
    """One department's entry of a sealed record's result ("谁检查、谁录入、谁负责", Art. 20(3)).

    Every department whose items the record covers reviews and enters the result of its own
    items, with its own deadline; a single-department check has one entry."""

    __tablename__ = "reviews"

    visit_id: Mapped[str] = mapped_column(ForeignKey("visits.id"), primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), primary_key=True, index=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id"), index=True)
    status: Mapped[str] = mapped_column(String(24), default="pending")
    check_ended_on: Mapped[dt.date] = mapped_column(Date)
    due_on: Mapped[Optional[dt.date]] = mapped_column(Date)  # None: calendar missing for a year
    entered_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    entered_on_time: Mapped[Optional[bool]] = mapped_column(Boolean)
    entered_by: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    returned_count: Mapped[int] = mapped_column(Integer, default=0)
    result_codes: Mapped[list] = mapped_column(JSONType, default=list)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ix_reviews_dept_status", "department_id", "status"),)


class ReviewComment(db.Model):
    """A reviewer's comment on the whole record, an item's checkpoint, a finding or a photo."""

    __tablename__ = "review_comments"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    visit_id: Mapped[str] = mapped_column(ForeignKey("visits.id"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))  # the commenting department's entry
    round: Mapped[int] = mapped_column(Integer, default=1)
    kind: Mapped[str] = mapped_column(String(16))  # return | evidence
    target: Mapped[str] = mapped_column(String(80))  # general | answer:<item>:<key> | finding:<id> | media:<id>
    text: Mapped[str] = mapped_column(Text)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Disclosure(db.Model):
    """A request not to publish a result, decided by a department leader (Art. 20(3))."""

    __tablename__ = "disclosure_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    visit_id: Mapped[str] = mapped_column(ForeignKey("visits.id"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))  # whose entry; its leader decides
    reason: Mapped[str] = mapped_column(Text)
    requested_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    requested_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    status: Mapped[str] = mapped_column(String(16), default="requested")  # requested | approved | rejected
    decided_by: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    decision_note: Mapped[Optional[str]] = mapped_column(Text)


PUBLISHED_KINDS = {"department": "部门检查结果", "joint": "联合检查汇总"}


class PublishedResult(db.Model):
    """What the public sees, in the national publicity system's fields; nothing internal.

    One row per department that checked (kind "department", naming that department), and for a
    joint check the initiating department's summary of the whole record (kind "joint")."""

    __tablename__ = "published_results"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    visit_id: Mapped[str] = mapped_column(ForeignKey("visits.id"))
    kind: Mapped[str] = mapped_column(String(16), default="department")
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))  # the publishing department
    object_id: Mapped[int] = mapped_column(Integer, index=True)
    market_entity: Mapped[bool] = mapped_column(Boolean)
    object_name: Mapped[str] = mapped_column(String(200))
    credit_code: Mapped[Optional[str]] = mapped_column(String(18), index=True)
    plan_no: Mapped[str] = mapped_column(String(40))
    plan_name: Mapped[str] = mapped_column(String(200))
    task_no: Mapped[str] = mapped_column(String(80), index=True)
    task_name: Mapped[str] = mapped_column(String(200))
    check_type: Mapped[str] = mapped_column(String(32))
    authority: Mapped[str] = mapped_column(String(400))
    initiating_department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    completed_on: Mapped[dt.date] = mapped_column(Date)
    result: Mapped[str] = mapped_column(String(400))
    result_codes: Mapped[Any] = mapped_column(JSONType)
    published_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    revised_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)  # result changed after publication
    corrected_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)  # corrected on an accepted objection

    __table_args__ = (db.UniqueConstraint("visit_id", "department_id", "kind"),)


class ArchivePolicy(db.Model):
    """The retention period the database itself enforces (one row; triggers read it).

    The application raises it to ARCHIVE_RETENTION_YEARS; the CHECK keeps it at 2 or more
    whatever anyone writes (rules Art. 25)."""

    __tablename__ = "archive_policy"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    retention_years: Mapped[int] = mapped_column(Integer, default=2)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (db.CheckConstraint("retention_years >= 2", name="retention_at_least_2_years"),
                      db.CheckConstraint("id = 1", name="single_row"))
