"""Check items, their immutable versions, and each version's checkpoints."""
from __future__ import annotations

import datetime as dt
from typing import Optional

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..types import JSONType, UTCDateTime, utcnow

OBJECT_TYPES = ["enterprise", "farmer_coop", "individual", "other_org", "product", "project", "behaviour"]
METHODS = ["documentary", "onsite", "online", "lab_testing", "delegated_body", "other_authority"]
METHOD_LABELS = {"documentary": "书面检查", "onsite": "实地核查", "online": "网络检查", "lab_testing": "抽样检测",
                 "delegated_body": "委托专业机构", "other_authority": "采信其他部门结论"}
LEVELS = {"general": "一般检查事项", "key": "重点检查事项"}
ANSWER_TYPES = {"pass_fail_na": "合格/不合格/不涉及", "number": "数值", "text": "文字", "choice": "选项"}


class CheckItem(db.Model):
    """The stable identity of an item; its content lives in versions."""

    __tablename__ = "check_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    is_joint: Mapped[bool] = mapped_column(Boolean, default=False)
    current_version: Mapped[int] = mapped_column(Integer, default=1)
    retired_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    versions: Mapped[list["CheckItemVersion"]] = relationship(
        back_populates="item", order_by="CheckItemVersion.version", lazy="selectin")


class CheckItemVersion(db.Model):
    """One version of an item. Never edited after creation: tasks pin it."""

    __tablename__ = "check_item_versions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("check_items.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    sub_items: Mapped[list] = mapped_column(JSONType, default=list)
    legal_basis: Mapped[str] = mapped_column(Text)
    object_types: Mapped[list] = mapped_column(JSONType, default=list)
    level: Mapped[str] = mapped_column(String(16))
    methods: Mapped[list] = mapped_column(JSONType, default=list)
    max_ratio: Mapped[Optional[str]] = mapped_column(String(12))  # decimal string; general items only
    required_qualifications: Mapped[list] = mapped_column(JSONType, default=list)
    documents_to_request: Mapped[list] = mapped_column(JSONType, default=list)
    change_note: Mapped[Optional[str]] = mapped_column(String(500))
    content_sha256: Mapped[str] = mapped_column(String(64))
    created_by: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    item: Mapped[CheckItem] = relationship(back_populates="versions")
    checkpoints: Mapped[list["Checkpoint"]] = relationship(
        order_by="Checkpoint.position", lazy="selectin", cascade="all, delete-orphan")

    __table_args__ = (UniqueConstraint("item_id", "version"),)


class Checkpoint(db.Model):
    """One step of an item version's working guide (抽查工作指引)."""

    __tablename__ = "checkpoints"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_version_id: Mapped[int] = mapped_column(ForeignKey("check_item_versions.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    key: Mapped[str] = mapped_column(String(32))  # stable across versions, e.g. "cp1"
    prompt: Mapped[str] = mapped_column(String(500))
    legal_basis: Mapped[Optional[str]] = mapped_column(Text)
    answer_type: Mapped[str] = mapped_column(String(16))
    unit: Mapped[Optional[str]] = mapped_column(String(32))
    choices: Mapped[list] = mapped_column(JSONType, default=list)
    photo_required: Mapped[bool] = mapped_column(Boolean, default=False)
    hint: Mapped[Optional[str]] = mapped_column(String(500))

    __table_args__ = (UniqueConstraint("item_version_id", "key"),)
