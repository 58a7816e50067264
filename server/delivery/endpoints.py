"""Webhook endpoints: one per department, managed by its administrator.

A secret is shown once, when it is created or rotated, and never again.
Rotation keeps the previous secret signing alongside the new one for an
overlap (default `DELIVERY_ROTATION_OVERLAP`, 24 h), so the receiver can
switch without losing a message.
"""
from __future__ import annotations

import datetime as dt

from flask import current_app
from sqlalchemy import select, update

from ..accounts.auth import Principal
from ..accounts.models import Department, Role
from ..audit import service as audit
from ..errors import Conflict, Invalid, NotFound, field_error
from ..extensions import db
from ..types import utcnow
from . import webhooks
from .models import DISABLED_ADMIN, DISABLED_GONE, FAILED, INBOX_ONLY, PENDING, DeliveryEndpoint, OutboxMessage

MAX_OVERLAP_HOURS = 24 * 7


def active_secrets(endpoint: DeliveryEndpoint, now: dt.datetime) -> list[str]:
    """The secrets that sign now: the current one, plus the previous one until its overlap ends."""
    out = [endpoint.secret]
    if endpoint.previous_secret and endpoint.previous_secret_expires_at and endpoint.previous_secret_expires_at > now:
        out.append(endpoint.previous_secret)
    return out


def _check_url(url: str) -> None:
    problem = webhooks.check_url(url, bool(current_app.config.get("DELIVERY_ALLOW_HTTP")))
    if problem:
        raise Invalid(problem, code="invalid_endpoint_url", errors=[field_error("url", problem)])


def _not_found() -> NotFound:
    return NotFound("接收端点不存在。", code="endpoint_not_found")


# --- plain operations (the CLI uses these directly) ---------------------------

def endpoint_of(department_id: int) -> DeliveryEndpoint | None:
    return db.session.execute(
        select(DeliveryEndpoint).where(DeliveryEndpoint.department_id == department_id)).scalar_one_or_none()


def create_endpoint(department_id: int, url: str, enabled: bool = True,
                    created_by: int | None = None) -> tuple[DeliveryEndpoint, str]:
    """Register a department's endpoint; returns it and its secret (shown only now)."""
    if db.session.get(Department, department_id) is None:
        raise NotFound("部门不存在。", code="department_not_found")
    _check_url(url)
    if endpoint_of(department_id) is not None:
        raise Conflict("本部门已登记接收端点；请修改或轮换密钥，或先删除原端点。", code="endpoint_exists")
    now = utcnow()
    secret = webhooks.new_secret()
    ep = DeliveryEndpoint(department_id=department_id, url=url, secret=secret, enabled=enabled,
                          disabled_code=None if enabled else DISABLED_ADMIN,
                          disabled_reason=None if enabled else "部门管理员登记时未启用",
                          disabled_at=None if enabled else now,
                          created_by=created_by, created_at=now, updated_at=now)
    db.session.add(ep)
    db.session.flush()
    audit.record(db.session, "delivery.endpoint_created", "delivery_endpoint", ep.id,
                 {"department_id": department_id, "url": url, "enabled": enabled})
    return ep, secret


def set_enabled(ep: DeliveryEndpoint, enabled: bool, reason: str | None = None) -> None:
    """Enable, or disable by the administrator: queued webhooks then stay in the inbox only."""
    if ep.enabled == enabled:
        return
    now = utcnow()
    ep.enabled = enabled
    ep.updated_at = now
    if enabled:
        ep.disabled_code = ep.disabled_reason = ep.disabled_at = None
        audit.record(db.session, "delivery.endpoint_enabled", "delivery_endpoint", ep.id, {})
        return
    ep.disabled_code, ep.disabled_reason, ep.disabled_at = DISABLED_ADMIN, reason or "部门管理员停用", now
    moved = _pending_to(ep.department_id, INBOX_ONLY, None)
    audit.record(db.session, "delivery.endpoint_disabled", "delivery_endpoint", ep.id,
                 {"by": "admin", "reason": ep.disabled_reason, "messages_inbox_only": moved})


def disable_gone(ep: DeliveryEndpoint, message_id: str, status_code: int) -> int:
    """The receiver answered 410 Gone: disable the endpoint and give up its queued webhooks."""
    now = utcnow()
    ep.enabled = False
    ep.disabled_code = DISABLED_GONE
    ep.disabled_reason = f"接收端对消息 {message_id} 返回 {status_code} Gone，已自动停用"
    ep.disabled_at = ep.updated_at = now
    failed = _pending_to(ep.department_id, FAILED, "接收端点已停用（410 Gone），未送达，请人工跟进。")
    audit.record(db.session, "delivery.endpoint_disabled", "delivery_endpoint", ep.id,
                 {"by": "receiver", "status_code": status_code, "message_id": message_id, "messages_failed": failed})
    return failed


def _pending_to(department_id: int, status: str, error: str | None) -> int:
    now = utcnow()
    values: dict = {"status": status, "next_attempt_at": None, "claimed_by": None, "claimed_until": None}
    if status == FAILED:
        values.update(failed_at=now, last_error=error)
    res = db.session.execute(
        update(OutboxMessage).where(OutboxMessage.department_id == department_id, OutboxMessage.status == PENDING)
        .values(**values).execution_options(synchronize_session=False))
    return res.rowcount or 0


def rotate(ep: DeliveryEndpoint, overlap: dt.timedelta | None = None) -> str:
    """Replace the secret; the old one keeps signing for `overlap`. Returns the new secret (shown once)."""
    if overlap is None:
        overlap = current_app.config["DELIVERY_ROTATION_OVERLAP"]
    now = utcnow()
    secret = webhooks.new_secret()
    if overlap > dt.timedelta(0):
        ep.previous_secret, ep.previous_secret_expires_at = ep.secret, now + overlap
    else:
        ep.previous_secret = ep.previous_secret_expires_at = None
    ep.secret = secret
    ep.rotated_at = ep.updated_at = now
    audit.record(db.session, "delivery.endpoint_rotated", "delivery_endpoint", ep.id,
                 {"overlap_seconds": int(overlap.total_seconds()),
                  "previous_valid_until": ep.previous_secret_expires_at.isoformat() if ep.previous_secret else None})
    return secret


def delete(ep: DeliveryEndpoint) -> None:
    """Remove the endpoint; queued webhooks stay in the inbox only. Attempts keep the URL they used."""
    moved = _pending_to(ep.department_id, INBOX_ONLY, None)
    audit.record(db.session, "delivery.endpoint_deleted", "delivery_endpoint", ep.id,
                 {"department_id": ep.department_id, "url": ep.url, "messages_inbox_only": moved})
    db.session.delete(ep)


# --- per-principal access (the API) -------------------------------------------

def visible(principal: Principal) -> list[DeliveryEndpoint]:
    stmt = select(DeliveryEndpoint).order_by(DeliveryEndpoint.id)
    if not principal.sees_everything:
        stmt = stmt.where(DeliveryEndpoint.department_id == principal.department_id)
    return list(db.session.execute(stmt).scalars())


def get_for(principal: Principal, endpoint_id: int) -> DeliveryEndpoint:
    ep = db.session.get(DeliveryEndpoint, endpoint_id)
    if ep is None or not (principal.sees_everything or ep.department_id == principal.department_id):
        raise _not_found()
    return ep


def own(principal: Principal, endpoint_id: int) -> DeliveryEndpoint:
    """An endpoint the caller administers (their department's); others are hidden (404)."""
    ep = db.session.get(DeliveryEndpoint, endpoint_id)
    if ep is None or ep.department_id != principal.department_id or not principal.has(Role.DEPT_ADMIN):
        raise _not_found()
    return ep


def update_for(principal: Principal, endpoint_id: int, args: dict) -> DeliveryEndpoint:
    ep = own(principal, endpoint_id)
    if "url" in args and args["url"] != ep.url:
        _check_url(args["url"])
        audit.record(db.session, "delivery.endpoint_updated", "delivery_endpoint", ep.id,
                     {"url": args["url"], "previous_url": ep.url})
        ep.url = args["url"]
        ep.updated_at = utcnow()
    if "enabled" in args:
        set_enabled(ep, args["enabled"], args.get("reason"))
    return ep


def rotate_for(principal: Principal, endpoint_id: int, overlap_hours: float | None) -> tuple[DeliveryEndpoint, str]:
    ep = own(principal, endpoint_id)
    overlap = None if overlap_hours is None else dt.timedelta(hours=overlap_hours)
    return ep, rotate(ep, overlap)
