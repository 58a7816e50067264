"""Failed-login throttling per account and per address.

After too many failures inside a window the key is locked for a while; each
further lock doubles the time up to a cap, and the counters forget after a
quiet day. The account lock does not apply to a device the user has logged
in from before, so an attacker guessing passwords cannot lock a real user out
of their own phone; the address lock stops one source trying many accounts.
"""
from __future__ import annotations

import datetime as dt

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..errors import TooManyRequests
from ..extensions import db
from ..types import utcnow
from .models import LoginThrottle

_FORGET_AFTER = dt.timedelta(days=1)


def _row(scope: str, key: str, create: bool) -> LoginThrottle | None:
    stmt = select(LoginThrottle).where(LoginThrottle.scope == scope, LoginThrottle.key == key).with_for_update()
    row = db.session.execute(stmt).scalar_one_or_none()
    if row is None and create:
        try:
            with db.session.begin_nested():
                row = LoginThrottle(scope=scope, key=key, failures=0, window_start=utcnow(), lock_count=0)
                db.session.add(row)
        except IntegrityError:
            row = db.session.execute(stmt).scalar_one()
    return row


def check(username: str, address: str, known_device: bool) -> None:
    """Refuse with 429 + Retry-After while a relevant lock is active."""
    now = utcnow()
    checks = [("address", address)]
    if not known_device:
        checks.append(("account", username))
    for scope, key in checks:
        row = _row(scope, key, create=False)
        if row is not None and row.locked_until is not None and row.locked_until > now:
            wait = max(1, int((row.locked_until - now).total_seconds()) + 1)
            who = "该账号" if scope == "account" else "当前网络地址"
            raise TooManyRequests(
                f"{who}登录失败次数过多，请 {max(1, round(wait / 60))} 分钟后再试。",
                code="login_throttled",
                headers={"Retry-After": str(wait)},
                extra={"retry_after": wait, "scope": scope},
            )


def register_failure(username: str, address: str) -> None:
    cfg = current_app.config
    now = utcnow()
    for scope, key, limit in (
        ("account", username, cfg["LOGIN_ACCOUNT_MAX_FAILURES"]),
        ("address", address, cfg["LOGIN_ADDRESS_MAX_FAILURES"]),
    ):
        row = _row(scope, key, create=True)
        if now - row.window_start > cfg["LOGIN_WINDOW"]:
            if now - row.window_start > _FORGET_AFTER:
                row.lock_count = 0
            row.failures = 0
            row.window_start = now
        row.failures += 1
        if row.failures >= limit:
            row.lock_count += 1
            lock = min(cfg["LOGIN_LOCK_BASE"] * (2 ** (row.lock_count - 1)), cfg["LOGIN_LOCK_MAX"])
            row.locked_until = now + lock
            row.failures = 0
            row.window_start = now


def register_success(username: str) -> None:
    row = _row("account", username, create=False)
    if row is not None:
        db.session.delete(row)
