"""Passwords, access tokens and the per-request principal.

Access tokens are short-lived HS256 JWTs naming the user, the device and the
login session (token family). Every request re-checks the device and session
in the database, so revoking a lost phone takes effect at its next request.
"""
from __future__ import annotations

import datetime as dt
import secrets
import uuid
from copy import deepcopy
from dataclasses import dataclass
from functools import wraps
from typing import Callable

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask import current_app, g, request
from sqlalchemy import select

from ..errors import Forbidden, Unauthorized
from ..extensions import db
from ..types import utcnow
from .models import AuthSession, Department, Device, Role, User

_TOUCH_INTERVAL = dt.timedelta(minutes=5)
# What a user whose password an administrator set may still call before changing it.
# A revoked phone or a logout: the browser drops its HTTP cache of this origin (evidence photos
# fetched with `private, no-cache` stay there otherwise); the app wipes its own storage itself.
CLEAR_CACHE = {"Clear-Site-Data": '"cache"'}
PASSWORD_CHANGE_ALLOWED = frozenset({"accounts.change_password", "accounts.me", "accounts.logout"})


def _hasher() -> PasswordHasher:
    cfg = current_app.config
    key = (cfg["ARGON2_TIME_COST"], cfg["ARGON2_MEMORY_COST"])
    cache = current_app.extensions.setdefault("argon2", {})
    if key not in cache:
        cache[key] = PasswordHasher(time_cost=key[0], memory_cost=key[1])
    return cache[key]


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    """Constant-work check; a missing user is checked against a dummy hash."""
    ph = _hasher()
    if stored is None:
        dummy = current_app.extensions.setdefault("argon2_dummy", ph.hash(secrets.token_hex(8)))
        try:
            ph.verify(dummy, password)
        except (VerificationError, InvalidHashError):
            pass
        return False
    try:
        return ph.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


@dataclass(frozen=True)
class Principal:
    """Who is calling: the user, their department, roles and device."""

    user_id: int
    username: str
    display_name: str
    department_id: int
    department_code: str
    is_office: bool
    roles: frozenset[str]
    device_id: int
    session_id: str

    def has(self, *roles: str | Role) -> bool:
        wanted = {r.value if isinstance(r, Role) else r for r in roles}
        return bool(self.roles & wanted)

    @property
    def sees_everything(self) -> bool:
        """Office admins and auditors read every department's data."""
        return self.has(Role.OFFICE_ADMIN, Role.AUDITOR)


def issue_access_token(user: User, device: Device, session_id: str) -> tuple[str, int]:
    cfg = current_app.config
    now = utcnow()
    ttl: dt.timedelta = cfg["ACCESS_TOKEN_TTL"]
    claims = {
        "iss": cfg["JWT_ISSUER"],
        "sub": str(user.id),
        "dev": device.id,
        "sid": session_id,
        "iat": int(now.timestamp()),
        "exp": int((now + ttl).timestamp()),
        "jti": uuid.uuid4().hex,
    }
    token = jwt.encode(claims, cfg["SECRET_KEY"], algorithm=cfg["JWT_ALGORITHM"])
    return token, int(ttl.total_seconds())


def _decode(token: str) -> dict:
    cfg = current_app.config
    try:
        return jwt.decode(
            token,
            cfg["SECRET_KEY"],
            algorithms=[cfg["JWT_ALGORITHM"]],
            issuer=cfg["JWT_ISSUER"],
            options={"require": ["exp", "iat", "sub", "iss"]},
        )
    except jwt.ExpiredSignatureError:
        raise Unauthorized("访问令牌已过期，请刷新令牌。", code="token_expired")
    except jwt.PyJWTError:
        raise Unauthorized("访问令牌无效。", code="token_invalid")


def bearer_token() -> str:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("请先登录（缺少 Bearer 访问令牌）。", code="unauthorized",
                           headers={"WWW-Authenticate": "Bearer"})
    return token.strip()


def authenticate() -> Principal:
    """Resolve the request's bearer token to a Principal (sets g.principal)."""
    if getattr(g, "principal", None) is not None:
        return g.principal
    claims = _decode(bearer_token())
    try:
        user_id = int(claims["sub"])
        device_id = int(claims["dev"])
        session_id = str(claims["sid"])
    except (KeyError, TypeError, ValueError):
        raise Unauthorized("访问令牌无效。", code="token_invalid")
    row = db.session.execute(
        select(User, Device, AuthSession, Department)
        .join(Device, Device.user_id == User.id)
        .join(AuthSession, AuthSession.device_id == Device.id)
        .join(Department, Department.id == User.department_id)
        .where(User.id == user_id, Device.id == device_id, AuthSession.id == session_id)
    ).first()
    if row is None:
        raise Unauthorized("访问令牌无效。", code="token_invalid")
    user, device, session, dept = row
    if device.revoked_at is not None:
        raise Unauthorized("此设备已被停用，本机数据将被清除。如有疑问请联系管理员。", code="device_revoked",
                           headers=CLEAR_CACHE)
    if session.revoked_at is not None:
        raise Unauthorized("登录已失效，请重新登录。", code="session_revoked")
    if not user.active:
        raise Unauthorized("账号已停用。", code="account_disabled")
    now = utcnow()
    if now - device.last_seen_at > _TOUCH_INTERVAL:
        # Best effort: a busy database must not fail the request itself.
        try:
            device.last_seen_at = now
            device.last_address = request.remote_addr
            db.session.commit()
        except Exception:
            db.session.rollback()
    principal = Principal(
        user_id=user.id,
        username=user.username,
        display_name=user.display_name,
        department_id=dept.id,
        department_code=dept.code,
        is_office=dept.is_office,
        roles=frozenset(user.roles),
        device_id=device.id,
        session_id=session.id,
    )
    if user.must_change_password and request.endpoint not in PASSWORD_CHANGE_ALLOWED:
        raise Forbidden("管理员设置的初始密码或重置密码须先修改：请设置您自己的新密码。",
                        code="password_change_required")
    g.principal = principal
    return principal


def current_principal() -> Principal:
    p = getattr(g, "principal", None)
    if p is None:
        raise Unauthorized()
    return p


# Endpoint → roles, filled by @requires; the permission-matrix tests read it.
ENDPOINT_ROLES: dict[str, tuple[str, ...]] = {}


def requires(*roles: str | Role) -> Callable:
    """Authenticate the caller and, if roles are given, require one of them.

    Put it directly under `@blp.route` so authentication runs before the body
    is parsed. It documents the bearer scheme and the roles in OpenAPI.
    """
    names = tuple(r.value if isinstance(r, Role) else r for r in roles)

    def decorator(fn: Callable) -> Callable:
        @wraps(fn)
        def wrapper(*args, **kwargs):
            principal = authenticate()
            if names and not principal.has(*names):
                raise Forbidden("当前账号的角色不能执行此操作。", code="role_required",
                                extra={"required_roles": list(names)})
            return fn(*args, **kwargs)

        wrapper._apidoc = deepcopy(getattr(fn, "_apidoc", {}))
        manual = wrapper._apidoc.setdefault("manual_doc", {})
        manual["security"] = [{"bearerAuth": []}]
        if names:
            manual["x-roles"] = list(names)
        wrapper._required_roles = names
        return wrapper

    return decorator
