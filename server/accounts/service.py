"""Login, token rotation, logout and device revocation."""
from __future__ import annotations

import hashlib
import secrets
import uuid

from flask import current_app
from sqlalchemy import select, update

from ..audit import service as audit
from ..dbsetup import read_first
from ..errors import NotFound, Unauthorized
from ..extensions import db
from ..types import utcnow
from . import throttle
from .auth import CLEAR_CACHE, Principal, issue_access_token, verify_password
from .models import AuthSession, Device, RefreshToken, Role, User


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _new_refresh_token(session: AuthSession) -> tuple[str, RefreshToken]:
    token = "rt_" + secrets.token_urlsafe(32)
    row = RefreshToken(
        session_id=session.id,
        token_hash=_token_hash(token),
        created_at=utcnow(),
        expires_at=utcnow() + current_app.config["REFRESH_TOKEN_TTL"],
    )
    db.session.add(row)
    return token, row


def _token_bundle(user: User, device: Device, session: AuthSession) -> dict:
    refresh, row = _new_refresh_token(session)
    access, ttl = issue_access_token(user, device, session.id)
    return {
        "access_token": access,
        "token_type": "Bearer",
        "expires_in": ttl,
        "refresh_token": refresh,
        "refresh_expires_at": row.expires_at,
        "user_id": user.id,
        "device_id": device.id,
        "password_change_required": bool(user.must_change_password),
    }


def normalise_username(username: str) -> str:
    return username.strip().lower()


def login(username: str, password: str, device_uid: str, device_name: str, address: str) -> dict:
    """Check the password, register the device and open a token family."""
    username = normalise_username(username)
    # Who it is, whether a lock refuses the attempt, and the password's hashing (argon2: tens of
    # milliseconds) hold no writer's turn on SQLite (read_first), so a burst of logins does not
    # stop every phone's push behind it. The write below checks the throttle again: a parallel
    # attempt may have locked the account meanwhile, and then even the right password is refused,
    # as if the attempts had run one after another.
    with read_first():
        user = db.session.execute(select(User).where(User.username == username)).scalar_one_or_none()
        known_device = False
        if user is not None:
            known_device = db.session.execute(
                select(Device.id).where(Device.user_id == user.id, Device.device_uid == device_uid,
                                        Device.revoked_at.is_(None))
            ).first() is not None
        throttle.check(username, address or "-", known_device, exists=user is not None)
        verified = verify_password(user.password_hash if user else None, password)
    throttle.check(username, address or "-", known_device, exists=user is not None)

    if not verified:
        throttle.register_failure(username, address or "-", known_device, exists=user is not None)
        audit.record(db.session, "auth.login_failed", "user", user.id if user else None,
                     {"username": username, "address": address, "device_uid": device_uid},
                     actor={"user": None, "department": None, "device": None, "system": "anonymous"})
        db.session.commit()
        raise Unauthorized("用户名或密码错误。", code="invalid_credentials")
    if not user.active:
        raise Unauthorized("账号已停用，请联系管理员。", code="account_disabled")

    device = db.session.execute(
        select(Device).where(Device.user_id == user.id, Device.device_uid == device_uid)
    ).scalar_one_or_none()
    if device is not None and device.revoked_at is not None:
        raise Unauthorized("此设备已被停用，不能再登录。请清除本机数据后重试。", code="device_revoked", headers=CLEAR_CACHE)
    now = utcnow()
    if device is None:
        device = Device(user_id=user.id, device_uid=device_uid, name=device_name, created_at=now,
                        last_seen_at=now, last_address=address)
        db.session.add(device)
    else:
        device.name = device_name
        device.last_seen_at = now
        device.last_address = address
    session = AuthSession(id=uuid.uuid4().hex, device=device, created_at=now)
    db.session.add(session)
    db.session.flush()
    throttle.register_success(username, address or "-")
    bundle = _token_bundle(user, device, session)
    audit.record(db.session, "auth.login", "device", device.id,
                 {"device_uid": device_uid, "device_name": device_name, "session": session.id, "address": address},
                 actor={"user": user.id, "department": user.department_id, "device": device.id, "system": None})
    db.session.commit()
    return bundle


def refresh(token: str, device_uid: str) -> dict:
    """Rotate: the old token is spent; reusing a spent token revokes the family."""
    row = db.session.execute(
        select(RefreshToken).where(RefreshToken.token_hash == _token_hash(token)).with_for_update()
    ).scalar_one_or_none()
    if row is None:
        raise Unauthorized("刷新令牌无效，请重新登录。", code="refresh_invalid")
    session = row.session
    device = session.device
    user = device.user
    actor = {"user": user.id, "department": user.department_id, "device": device.id, "system": None}
    if device.device_uid != device_uid:
        raise Unauthorized("刷新令牌不属于此设备，请重新登录。", code="refresh_invalid")
    if device.revoked_at is not None:
        raise Unauthorized("此设备已被停用，本机数据将被清除。", code="device_revoked", headers=CLEAR_CACHE)
    if session.revoked_at is not None:
        raise Unauthorized("登录已失效，请重新登录。", code="session_revoked")
    if row.used_at is not None:
        session.revoked_at = utcnow()
        session.revoke_reason = "refresh_reuse"
        audit.record(db.session, "auth.refresh_reuse", "device", device.id,
                     {"session": session.id, "token_id": row.id}, actor=actor)
        db.session.commit()
        raise Unauthorized("检测到刷新令牌被重复使用，此设备的登录已全部失效，请重新登录。", code="refresh_reused")
    if row.expires_at <= utcnow():
        raise Unauthorized("登录已过期，请重新输入密码。", code="refresh_expired")
    if not user.active:
        raise Unauthorized("账号已停用。", code="account_disabled")
    row.used_at = utcnow()
    device.last_seen_at = utcnow()
    bundle = _token_bundle(user, device, session)
    audit.record(db.session, "auth.refresh", "device", device.id, {"session": session.id}, actor=actor)
    db.session.commit()
    return bundle


def logout(principal: Principal) -> None:
    """End this login: its refresh tokens stop working at once."""
    session = db.session.get(AuthSession, principal.session_id)
    if session is not None and session.revoked_at is None:
        session.revoked_at = utcnow()
        session.revoke_reason = "logout"
    audit.record(db.session, "auth.logout", "device", principal.device_id, {"session": principal.session_id})
    db.session.commit()


# --- devices -----------------------------------------------------------------

def end_sessions(user_id: int, reason: str, now, keep: str | None = None) -> int:
    """Revoke every open session of a user (their access and refresh tokens stop working), but `keep`."""
    stmt = (update(AuthSession)
            .where(AuthSession.device_id.in_(select(Device.id).where(Device.user_id == user_id)),
                   AuthSession.revoked_at.is_(None)))
    if keep is not None:
        stmt = stmt.where(AuthSession.id != keep)
    return db.session.execute(stmt.values(revoked_at=now, revoke_reason=reason)
                              .execution_options(synchronize_session=False)).rowcount


def can_manage_user(principal: Principal, user: User) -> bool:
    if principal.has(Role.OFFICE_ADMIN):
        return True
    if principal.has(Role.DEPT_ADMIN) and user.department_id == principal.department_id:
        return True
    return False


def visible_devices(principal: Principal, user_id: int | None = None, include_revoked: bool = True) -> list[Device]:
    """Devices the caller may see: their own; admins their department's; office/auditor all."""
    stmt = select(Device).join(User, User.id == Device.user_id).order_by(Device.id)
    if principal.sees_everything:
        pass
    elif principal.has(Role.DEPT_ADMIN):
        stmt = stmt.where(User.department_id == principal.department_id)
    else:
        stmt = stmt.where(Device.user_id == principal.user_id)
    if user_id is not None:
        stmt = stmt.where(Device.user_id == user_id)
    if not include_revoked:
        stmt = stmt.where(Device.revoked_at.is_(None))
    return list(db.session.execute(stmt).scalars())


def revoke_device(principal: Principal, device_id: int, reason: str) -> Device:
    """Lock a lost phone out: its next request gets `device_revoked`."""
    device = db.session.get(Device, device_id)
    if device is None or not (device.user_id == principal.user_id or can_manage_user(principal, device.user)):
        raise NotFound("设备不存在。", code="device_not_found")
    if device.revoked_at is None:
        now = utcnow()
        device.revoked_at = now
        device.revoked_by = principal.user_id
        device.revoke_reason = reason
        db.session.execute(
            update(AuthSession).where(AuthSession.device_id == device.id, AuthSession.revoked_at.is_(None))
            .values(revoked_at=now, revoke_reason="device_revoked")
        )
        audit.record(db.session, "device.revoke", "device", device.id,
                     {"user": device.user_id, "reason": reason})
        db.session.commit()
    return device
