"""Account tables: departments, users and their roles, devices, sessions, tokens."""
from __future__ import annotations

import datetime as dt
import enum
from typing import Optional

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, UniqueConstraint, false as sa_false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..types import JSONType, UTCDateTime, utcnow


class Role(str, enum.Enum):
    """Roles are scoped to the user's own department."""

    INSPECTOR = "inspector"
    REVIEWER = "reviewer"
    DEPT_ADMIN = "dept_admin"
    DEPT_LEADER = "dept_leader"
    OFFICE_ADMIN = "office_admin"
    AUDITOR = "auditor"
    FEED_SERVICE = "feed_service"  # the data-sharing platform's service account (directory feeds only)


ROLE_LABELS = {
    Role.INSPECTOR: "执法检查人员",
    Role.REVIEWER: "审核人员（后台）",
    Role.DEPT_ADMIN: "部门管理员",
    Role.DEPT_LEADER: "部门领导（审批）",
    Role.OFFICE_ADMIN: "领导小组办公室管理员",
    Role.AUDITOR: "审计人员（只读）",
    Role.FEED_SERVICE: "数据共享平台服务账号（名录数据推送）",
}


class Department(db.Model):
    __tablename__ = "departments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    level: Mapped[str] = mapped_column(String(16))  # city | county
    region_code: Mapped[str] = mapped_column(String(6))
    industry_tags: Mapped[list] = mapped_column(JSONType, default=list)
    parent_id: Mapped[Optional[int]] = mapped_column(ForeignKey("departments.id"))
    is_office: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    parent: Mapped[Optional["Department"]] = relationship(remote_side=[id])


class User(db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(64))
    phone: Mapped[Optional[str]] = mapped_column(String(32))
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    password_changed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Set by an administrator's create or reset: until the user picks their own password, the API
    # answers every other call with 403 `password_change_required` (GB/T 22239-2019 level 3).
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    department: Mapped[Department] = relationship(lazy="joined")
    role_rows: Mapped[list["UserRole"]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="UserRole.role"
    )

    @property
    def roles(self) -> list[str]:
        return [r.role for r in self.role_rows]


class UserRole(db.Model):
    __tablename__ = "user_roles"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[str] = mapped_column(String(32), primary_key=True)


class Device(db.Model):
    """One phone or browser a user logged in from; revoking it locks it out."""

    __tablename__ = "devices"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    device_uid: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_address: Mapped[Optional[str]] = mapped_column(String(64))
    revoked_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    revoked_by: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    revoke_reason: Mapped[Optional[str]] = mapped_column(String(200))

    user: Mapped[User] = relationship(foreign_keys=[user_id])

    __table_args__ = (UniqueConstraint("user_id", "device_uid"),)


class AuthSession(db.Model):
    """A login on a device: the family its refresh tokens belong to."""

    __tablename__ = "auth_sessions"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    revoke_reason: Mapped[Optional[str]] = mapped_column(String(32))

    device: Mapped[Device] = relationship()


class RefreshToken(db.Model):
    """Stored only as a SHA-256 hash; single use."""

    __tablename__ = "refresh_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[str] = mapped_column(ForeignKey("auth_sessions.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)

    session: Mapped[AuthSession] = relationship()


class LoginThrottle(db.Model):
    """Failure counters per account and per address, with a capped temporary lock."""

    __tablename__ = "login_throttle"

    scope: Mapped[str] = mapped_column(String(16), primary_key=True)  # account | address
    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    window_start: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    locked_until: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    lock_count: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (Index("ix_login_throttle_locked", "locked_until"),)
