"""Plans, their versions (every adjustment is a new version) and tasks."""
from __future__ import annotations

import datetime as dt
from typing import Optional

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..types import JSONType, UTCDateTime, utcnow

STATUSES = {
    "draft": "草拟中",
    "submitted": "已报送",
    "aggregated": "办公室已汇总",
    "approved": "已审定",
    "published": "已公开",
    "superseded": "已被调整后的版本替代",
}
STRATA = ("A", "B", "C", "D", "U")


class Plan(db.Model):
    """One department's annual plan; its content lives in versions."""

    __tablename__ = "plans"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    year: Mapped[int] = mapped_column(Integer, index=True)
    title: Mapped[str] = mapped_column(String(200))
    current_version: Mapped[int] = mapped_column(Integer, default=1)
    published_version: Mapped[Optional[int]] = mapped_column(Integer)
    created_by: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    versions: Mapped[list["PlanVersion"]] = relationship(
        back_populates="plan", order_by="PlanVersion.version", lazy="selectin")

    __table_args__ = (UniqueConstraint("department_id", "year", "title"),)


class PlanVersion(db.Model):
    __tablename__ = "plan_versions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="draft")
    adjustment_reason: Mapped[Optional[str]] = mapped_column(Text)
    content_sha256: Mapped[Optional[str]] = mapped_column(String(64))
    late: Mapped[bool] = mapped_column(Boolean, default=False)
    submitted_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    submitted_by: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    aggregated_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    aggregated_by: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    approved_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    approved_by: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    approval_ref: Mapped[Optional[str]] = mapped_column(String(100))
    published_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    published_by: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    returned_reason: Mapped[Optional[str]] = mapped_column(Text)
    created_by: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    plan: Mapped[Plan] = relationship(back_populates="versions")
    tasks: Mapped[list["PlanTask"]] = relationship(
        back_populates="plan_version", order_by="PlanTask.code", lazy="selectin", cascade="all, delete-orphan")

    __table_args__ = (UniqueConstraint("plan_id", "version"),)


class PlanTask(db.Model):
    """One joint task of a plan version, in "1+X" form."""

    __tablename__ = "plan_tasks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_version_id: Mapped[int] = mapped_column(ForeignKey("plan_versions.id"), index=True)
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    check_type: Mapped[str] = mapped_column(String(16))  # directed | undirected
    scope: Mapped[dict] = mapped_column(JSONType, default=dict)
    ratios: Mapped[dict] = mapped_column(JSONType, default=dict)
    zero_ratio_reasons: Mapped[dict] = mapped_column(JSONType, default=dict)
    weight_rule: Mapped[dict] = mapped_column(JSONType, default=dict)
    exclusions: Mapped[dict] = mapped_column(JSONType, default=dict)
    min_team_size: Mapped[int] = mapped_column(Integer, default=2)
    per_inspector_cap: Mapped[int] = mapped_column(Integer, default=10)
    allow_experts: Mapped[bool] = mapped_column(Boolean, default=False)
    window_start: Mapped[dt.date] = mapped_column(Date)
    window_end: Mapped[dt.date] = mapped_column(Date)
    participating_department_ids: Mapped[list] = mapped_column(JSONType, default=list)
    note: Mapped[Optional[str]] = mapped_column(Text)
    # The method its visits are checked by unless the leader chooses another (null = on-site).
    default_method: Mapped[Optional[str]] = mapped_column(String(16))

    plan_version: Mapped[PlanVersion] = relationship(back_populates="tasks")
    items: Mapped[list["PlanTaskItem"]] = relationship(
        order_by="PlanTaskItem.position", lazy="selectin", cascade="all, delete-orphan")

    __table_args__ = (UniqueConstraint("plan_version_id", "code"),)


class PlanTaskItem(db.Model):
    """An item pinned to the version the task uses: one main item plus X items."""

    __tablename__ = "plan_task_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("plan_tasks.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    role: Mapped[str] = mapped_column(String(8))  # main | x
    item_id: Mapped[int] = mapped_column(ForeignKey("check_items.id"))
    item_version: Mapped[int] = mapped_column(Integer)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
