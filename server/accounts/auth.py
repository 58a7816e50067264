"""Passwords, access tokens and the per-request principal.

Access tokens are short-lived HS256 JWTs naming the user, the device and the
login session (token family). Every request re-checks the device and session
in the database, so revoking a lost phone takes effect at its next request.
That check is one statement (user, department, device, session and roles); a
token's signature is verified once per process and its expiry on every request.
"""
from __future__ import annotations

import datetime as dt
import secrets
import time
import uuid
from copy import deepcopy
from dataclasses import dataclass
from functools import lru_cache, wraps
from types import MappingProxyType
from typing import Callable, Mapping

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask import current_app, g, request
from sqlalchemy import bindparam, select, update

from ..dbsetup import read_first
from ..errors import Forbidden, Unauthorized
from ..extensions import db
from ..types import utcnow
from .models import AuthSession, Department, Device, Role, User, UserRole

_TOUCH_INTERVAL = dt.timedelta(minutes=5)
# Access tokens whose signature a worker has checked, remembered (least recently used first out):
# one per phone served; about 1 kB each.
VERIFIED_TOKENS = 4096
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


_users, _devices, _sessions, _departments, _roles = (
    m.__table__ for m in (User, Device, AuthSession, Department, UserRole))
# Everything a request's principal needs, in one statement built once: a row per role (one row
# with role NULL when the user has none), none when the user, device and session do not match.
_PRINCIPAL_ROWS = (
    select(_users.c.id, _users.c.username, _users.c.display_name, _users.c.active, _users.c.must_change_password,
           _departments.c.id.label("department_id"), _departments.c.code, _departments.c.is_office,
           _devices.c.revoked_at.label("device_revoked_at"), _devices.c.last_seen_at,
           _sessions.c.revoked_at.label("session_revoked_at"), _roles.c.role)
    .select_from(_users.join(_devices, _devices.c.user_id == _users.c.id)
                 .join(_sessions, _sessions.c.device_id == _devices.c.id)
                 .join(_departments, _departments.c.id == _users.c.department_id)
                 .outerjoin(_roles, _roles.c.user_id == _users.c.id))
    .where(_users.c.id == bindparam("user_id"), _devices.c.id == bindparam("device_id"),
           _sessions.c.id == bindparam("session_id"))
)


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


def _now() -> float:
    """Seconds since the epoch, as PyJWT reads the clock (tests move it)."""
    return time.time()


@lru_cache(maxsize=VERIFIED_TOKENS)
def _verified(token: str, key: str, algorithm: str, issuer: str) -> MappingProxyType:
    """The claims of a token whose signature, issuer and times PyJWT accepted (raises otherwise).

    Cached per process: a phone sends the same access token with every request until it
    expires, and the signature of the same string under the same key does not change.
    Refusals are not cached (an exception is never stored).
    """
    return MappingProxyType(jwt.decode(token, key, algorithms=[algorithm], issuer=issuer,
                                       options={"require": ["exp", "iat", "sub", "iss"]}))


def _decode(token: str) -> Mapping:
    """Verify the token (signature once per process, its expiry on every request)."""
    cfg = current_app.config
    try:
        claims = _verified(token, cfg["SECRET_KEY"], cfg["JWT_ALGORITHM"], cfg["JWT_ISSUER"])
    except jwt.ExpiredSignatureError:
        raise Unauthorized("访问令牌已过期，请刷新令牌。", code="token_expired")
    except jwt.PyJWTError:
        raise Unauthorized("访问令牌无效。", code="token_invalid")
    if int(claims["exp"]) <= _now():  # as PyJWT checks it, for a token verified earlier
        raise Unauthorized("访问令牌已过期，请刷新令牌。", code="token_expired")
    return claims


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
    with read_first():  # SQLite: a request that writes does not hold the writer's turn for this read
        rows = db.session.execute(_PRINCIPAL_ROWS, {"user_id": user_id, "device_id": device_id,
                                                     "session_id": session_id}).all()
    if not rows:
        raise Unauthorized("访问令牌无效。", code="token_invalid")
    row = rows[0]
    if row.device_revoked_at is not None:
        raise Unauthorized("此设备已被停用，本机数据将被清除。如有疑问请联系管理员。", code="device_revoked",
                           headers=CLEAR_CACHE)
    if row.session_revoked_at is not None:
        raise Unauthorized("登录已失效，请重新登录。", code="session_revoked")
    if not row.active:
        raise Unauthorized("账号已停用。", code="account_disabled")
    now = utcnow()
    if now - row.last_seen_at > _TOUCH_INTERVAL:
        # Best effort: a busy database must not fail the request itself.
        try:
            db.session.execute(update(_devices).where(_devices.c.id == device_id)
                               .values(last_seen_at=now, last_address=request.remote_addr))
            db.session.commit()
        except Exception:
            db.session.rollback()
    principal = Principal(
        user_id=row.id,
        username=row.username,
        display_name=row.display_name,
        department_id=row.department_id,
        department_code=row.code,
        is_office=row.is_office,
        roles=frozenset(r.role for r in rows if r.role is not None),
        device_id=device_id,
        session_id=session_id,
    )
    if row.must_change_password and request.endpoint not in PASSWORD_CHANGE_ALLOWED:
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
