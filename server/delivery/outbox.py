"""The transactional outbox: messages to departments, written with the change they announce.

`enqueue(session, …)` only adds rows to the caller's session: the message,
its in-app inbox entry and an audit entry. It never commits. The caller
commits its own change (e.g. the lead) and the message together, or rolls
both back: a lead is never without its message, and no message ever announces
a lead that does not exist. The worker (`worker.py`) picks the message up
after that commit and delivers it at least once.

Payloads are thin (Standard Webhooks "thin payload"): the event type, the
subject's type and id, and a link. The receiver fetches the subject with its
own credentials through `GET /api/v1/delivery/subjects/<type>/<id>`, which
checks that the caller's department received a message about it and logs
the fetch. Features register how to load a subject with `register_subject`.
"""
from __future__ import annotations

import datetime as dt
import json
import random
import re
import secrets
from dataclasses import dataclass
from typing import Any, Callable

from flask import current_app, has_app_context
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..accounts.models import Department
from ..audit import service as audit
from ..errors import Invalid, field_error
from ..types import utcnow
from .models import INBOX_ONLY, PENDING, DeliveryEndpoint, InboxItem, OutboxMessage

# Delay before attempt n+1 after attempt n failed (trust.md; Standard Webhooks' example schedule).
# Attempt 1 is immediate; after the 10th failure the message is given up (`failed`).
SCHEDULE_SECONDS = (0, 5, 5 * 60, 30 * 60, 2 * 3600, 5 * 3600, 10 * 3600, 14 * 3600, 20 * 3600, 24 * 3600)
MAX_ATTEMPTS = len(SCHEDULE_SECONDS)
JITTER = 0.1  # ±10 %

EVENT_TYPE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*){1,3}$")
SUBJECT_TYPE = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
SUBJECT_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def new_message_id(now: dt.datetime | None = None) -> str:
    """`msg_` + 12 hex digits of milliseconds + 20 random hex digits.

    Ids sort by creation time (lists page over them, newest first) and never
    contain '.', as the signature scheme requires.
    """
    ms = int((now or utcnow()).timestamp() * 1000)
    return f"msg_{ms:012x}{secrets.token_hex(10)}"


def subject_url(subject_type: str, subject_id: str) -> str:
    return f"/api/v1/delivery/subjects/{subject_type}/{subject_id}"


def render_body(event_type: str, timestamp: str, subject_type: str, subject_id: str, url: str) -> str:
    """The exact JSON sent on every attempt (compact, stable key order)."""
    payload = {"type": event_type, "timestamp": timestamp,
               "data": {"subject_type": subject_type, "subject_id": subject_id, "url": url}}
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"))


def enqueue(
    session: Session,
    department_id: int,
    event_type: str,
    subject_type: str,
    subject_id: str | int,
    link: str | None = None,
    *,
    sender_department_id: int | None = None,
    created_by: int | None = None,
) -> OutboxMessage:
    """Queue a message to `department_id` IN THE CALLER'S TRANSACTION (never commits).

    Every department gets an in-app inbox entry; a department with an enabled
    webhook endpoint also gets the webhook (status `pending`), the others are
    `inbox_only`. `link` defaults to the generic subject fetch URL; a relative
    link is prefixed with `DELIVERY_PUBLIC_BASE_URL` when that is configured.
    Raises `Invalid` for a malformed event/subject or an unknown department.
    """
    subject_id = str(subject_id)
    errors = []
    if not EVENT_TYPE.match(event_type or ""):
        errors.append(field_error("event_type", "事件类型须形如 lead.created（小写字母、数字、下划线，用点分隔）。"))
    if not SUBJECT_TYPE.match(subject_type or ""):
        errors.append(field_error("subject_type", "对象类型须为 1–32 位小写字母、数字或下划线。"))
    if not SUBJECT_ID.match(subject_id):
        errors.append(field_error("subject_id", "对象标识须为 1–64 位字母、数字、_ 或 -。"))
    if link is not None and (len(link) > 500 or any(c.isspace() for c in link)):
        errors.append(field_error("link", "链接过长或含空白字符。"))
    if errors:
        raise Invalid("消息内容不符合要求。", code="invalid_message", errors=errors)
    if session.get(Department, department_id) is None:
        raise Invalid("接收部门不存在。", code="department_not_found")

    url = link or subject_url(subject_type, subject_id)
    base = current_app.config.get("DELIVERY_PUBLIC_BASE_URL") if has_app_context() else None
    if base and url.startswith("/"):
        url = base.rstrip("/") + url
    now = utcnow()
    endpoint_enabled = session.execute(
        select(DeliveryEndpoint.id).where(DeliveryEndpoint.department_id == department_id,
                                          DeliveryEndpoint.enabled.is_(True))
    ).first() is not None
    msg = OutboxMessage(
        id=new_message_id(now), department_id=department_id, sender_department_id=sender_department_id,
        event_type=event_type, subject_type=subject_type, subject_id=subject_id,
        body=render_body(event_type, now.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z", subject_type, subject_id, url),
        status=PENDING if endpoint_enabled else INBOX_ONLY, attempts=0, round_base=0,
        next_attempt_at=now if endpoint_enabled else None, created_by=created_by, created_at=now,
    )
    session.add(msg)
    session.add(InboxItem(message_id=msg.id, department_id=department_id, created_at=now))
    audit.record(session, "delivery.enqueued", "outbox_message", msg.id, {
        "department_id": department_id, "sender_department_id": sender_department_id, "event_type": event_type,
        "subject_type": subject_type, "subject_id": subject_id, "webhook": endpoint_enabled})
    return msg


def retry_delay(attempt_in_round: int, rng: random.Random | None = None) -> float | None:
    """Seconds to wait after failed attempt `attempt_in_round` (1-based), jittered; None = give up."""
    if attempt_in_round >= MAX_ATTEMPTS:
        return None
    base = SCHEDULE_SECONDS[attempt_in_round]
    return base * (rng or random).uniform(1 - JITTER, 1 + JITTER)


# --- subjects ----------------------------------------------------------------

@dataclass(frozen=True)
class Subject:
    type: str
    loader: Callable[[Any, str], dict]


SUBJECTS: dict[str, Subject] = {}


def register_subject(subject_type: str, loader: Callable[[Any, str], dict]) -> None:
    """Let receivers fetch subjects of this type: `loader(principal, subject_id) -> dict`.

    The fetch route has already checked that the caller's department received a
    message about the subject; the loader returns the subject's content (or
    raises `NotFound` when it no longer exists).
    """
    if not SUBJECT_TYPE.match(subject_type):
        raise ValueError(f"bad subject type {subject_type!r}")
    SUBJECTS[subject_type] = Subject(subject_type, loader)
