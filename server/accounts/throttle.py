"""Failed-login throttling per account, per (address, username) and per address for unknown
usernames, and request rate limits.

After too many failures inside a window the key is locked for a while; each
further lock doubles the time up to a cap, and the counters forget after a
quiet day. Three counters (issue 19: an office behind one NAT address must not be locked
out by one mistyping person or one attacker):

- per account (`LOGIN_ACCOUNT_MAX_FAILURES`, from any address) and per (address, username)
  (`LOGIN_PAIR_MAX_FAILURES`): neither applies to a device the user has logged in from
  before, so an attacker guessing passwords cannot lock a real user out of their own phone;
- per address, for usernames that do not exist only (`LOGIN_UNKNOWN_ADDRESS_MAX_FAILURES`,
  a higher threshold): it stops one source probing for account names, and never refuses a
  real account's login.

The same counters also limit how often one address may call an expensive
public endpoint (`limit_requests`): a fixed window per address, 429 with
Retry-After once the window's allowance is used up.

Rows whose counters would be forgotten anyway and that hold no lock are deleted by
`prune` (the delivery worker's periodic pass, `flask users prune-throttle` from cron), so
a crawler from many addresses does not grow the table without bound.
"""
from __future__ import annotations

import datetime as dt
import math
from functools import wraps
from typing import Callable

from flask import current_app, request
from sqlalchemy import delete, or_, select, tuple_
from sqlalchemy.exc import IntegrityError

from ..errors import TooManyRequests
from ..extensions import db
from ..types import utcnow
from .models import LoginThrottle

_FORGET_AFTER = dt.timedelta(days=1)
# Config keys of the windows `limit_requests` counts in (filled as views are decorated).
_REQUEST_WINDOW_KEYS: set[str] = set()
PRUNE_BATCH = 1000


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


def _scopes(username: str, address: str, known_device: bool, exists: bool) -> list[tuple[str, str, str]]:
    """(scope, key, limit config) of the counters that apply to one login attempt."""
    out = []
    if not known_device:
        out += [("account", username, "LOGIN_ACCOUNT_MAX_FAILURES"),
                ("pair", f"{address}|{username}"[:128], "LOGIN_PAIR_MAX_FAILURES")]
    if not exists:
        out.append(("address", address, "LOGIN_UNKNOWN_ADDRESS_MAX_FAILURES"))
    return out


def check(username: str, address: str, known_device: bool, exists: bool = True) -> None:
    """Refuse with 429 + Retry-After while a relevant lock is active."""
    now = utcnow()
    for scope, key, _ in _scopes(username, address, known_device, exists):
        row = _row(scope, key, create=False)
        if row is not None and row.locked_until is not None and row.locked_until > now:
            wait = max(1, int((row.locked_until - now).total_seconds()) + 1)
            who = "该账号" if scope in ("account", "pair") else "当前网络地址"
            raise TooManyRequests(
                f"{who}登录失败次数过多，请 {max(1, round(wait / 60))} 分钟后再试。",
                code="login_throttled",
                headers={"Retry-After": str(wait)},
                extra={"retry_after": wait, "scope": scope},
            )


def register_failure(username: str, address: str, known_device: bool = False, exists: bool = True) -> None:
    cfg = current_app.config
    now = utcnow()
    for scope, key, limit_key in _scopes(username, address, known_device, exists):
        limit = cfg[limit_key]
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


def register_success(username: str, address: str) -> None:
    for scope, key in (("account", username), ("pair", f"{address}|{username}"[:128])):
        row = _row(scope, key, create=False)
        if row is not None:
            db.session.delete(row)


def count_request(scope: str, key: str, limit: int, window: dt.timedelta, *, code: str, what: str) -> None:
    """Count one request of `key` in `scope`; refuse with 429 + Retry-After once `limit`
    requests were counted in the current window of length `window`.

    The row's `failures` column counts requests here. Refused requests are not counted, so
    a client that waits as told gets its full allowance again.
    """
    now = utcnow()
    row = _row(scope, key, create=True)
    if now - row.window_start >= window:
        row.failures, row.window_start = 0, now
    if row.failures >= limit:
        wait = max(1, math.ceil((row.window_start + window - now).total_seconds()))
        raise TooManyRequests(
            f"{what}请求过于频繁（每 {_span(window)}最多 {limit} 次），请 {wait} 秒后再试。",
            code=code, headers={"Retry-After": str(wait)},
            extra={"retry_after": wait, "limit": limit, "window_seconds": int(window.total_seconds())},
        )
    row.failures += 1


def _span(window: dt.timedelta) -> str:
    seconds = int(window.total_seconds())
    if seconds % 3600 == 0:
        return f"{seconds // 3600} 小时"
    if seconds % 60 == 0:
        return f"{seconds // 60} 分钟"
    return f"{seconds} 秒"


def limit_requests(scope: str, *, limit_key: str, window_key: str, code: str, what: str):
    """Decorate a public view: at most config[limit_key] requests per config[window_key] from
    one client address, counted and committed before the view runs (so answers that roll
    back, such as a 404 for a guessed id, still count)."""

    _REQUEST_WINDOW_KEYS.add(window_key)

    def deco(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            cfg = current_app.config
            count_request(scope, request.remote_addr or "-", int(cfg[limit_key]), cfg[window_key], code=code, what=what)
            db.session.commit()
            return view(*args, **kwargs)

        return wrapper

    return deco


def forget_period() -> dt.timedelta:
    """How long after its window started a row no longer matters (unless it is locked).

    A day, or the longest configured counting window if that is longer: deleting a row is
    then the same as the reset the next failure or request would do, never a fresh allowance.
    """
    cfg = current_app.config
    return max([_FORGET_AFTER, cfg["LOGIN_WINDOW"], *(cfg[k] for k in _REQUEST_WINDOW_KEYS)])


def prune(now: dt.datetime | None = None, *, batch: int = PRUNE_BATCH,
          should_stop: Callable[[], bool] = lambda: False) -> int:
    """Delete rows past the forget period that hold no active lock, `batch` rows per
    transaction (each committed); returns how many were deleted.

    The condition is checked again by the DELETE itself, so a row a login or request
    refreshed meanwhile (its window restarted, or a new lock) is kept.
    """
    now = now or utcnow()
    t = LoginThrottle
    stale = (t.window_start < now - forget_period(), or_(t.locked_until.is_(None), t.locked_until <= now))
    deleted = 0
    while not should_stop():
        keys = db.session.execute(select(t.scope, t.key).where(*stale).limit(batch)).all()
        if not keys:
            break
        res = db.session.execute(delete(t).where(tuple_(t.scope, t.key).in_([tuple(k) for k in keys]), *stale)
                                 .execution_options(synchronize_session=False))
        db.session.commit()
        deleted += res.rowcount or 0
        if len(keys) < batch:
            break
    return deleted
