"""Receipts and feedback sent by a department's own system as signed webhooks (the inbound direction).

A department that registered a delivery endpoint may report its steps back
to `POST /hooks/v1/leads/<department code>`, signed the Standard Webhooks way
with the same secret it verifies our deliveries with (during a rotation the
previous secret is accepted too): `webhook-id`, `webhook-timestamp` (at most
5 minutes off), `webhook-signature` (`v1,` + base64 HMAC-SHA256 of
`id.timestamp.body`). The body: `{"type": "lead.received" | "lead.in_progress"
| "lead.concluded" | "lead.returned", "lead_id": N, "data": {…the step's
fields…}}`. The `webhook-id` is the idempotency key: a retried delivery gets
the first reply again; the same id with a different body is refused (409).
"""
from __future__ import annotations

import hmac
import json
import re
import time

from flask import g, request
from marshmallow import ValidationError

from ..accounts.auth import Principal
from ..accounts.models import Department, Role
from ..errors import Invalid, Unauthorized, field_error
from ..extensions import db
from ..http import _check_text
from ..types import utcnow
from . import feedback, idempotency
from ..delivery.endpoints import active_secrets, endpoint_of
from .schemas import ConcludeSchema, LeadSchema, NoteSchema, ReceiveSchema, ReturnSchema
from ..delivery.webhooks import sign

TOLERANCE_SECONDS = 5 * 60
DEPT_CODE = re.compile(r"^[A-Za-z0-9_-]{1,40}$")
WEBHOOK_ID = re.compile(r"^[A-Za-z0-9_:-]{1,150}$")
STEPS = {
    "lead.received": (feedback.receive, ReceiveSchema()),
    "lead.in_progress": (feedback.start, NoteSchema()),
    "lead.concluded": (feedback.conclude, ConcludeSchema()),
    "lead.returned": (feedback.give_back, ReturnSchema()),
}


def _unauthorized(detail: str) -> Unauthorized:
    return Unauthorized(detail, code="webhook_signature_invalid")


def verify(department: Department | None, body: str, headers) -> None:
    """Refuse (401) anything not signed with one of the department's active endpoint secrets."""
    msg_id, ts, sigs = headers.get("webhook-id"), headers.get("webhook-timestamp"), headers.get("webhook-signature")
    if department is None or not msg_id or not ts or not sigs:
        raise _unauthorized("缺少 webhook-id、webhook-timestamp 或 webhook-signature，或部门不存在。")
    if not WEBHOOK_ID.match(msg_id) or not ts.isdigit():
        raise _unauthorized("webhook-id 或 webhook-timestamp 格式无效。")
    if abs(time.time() - int(ts)) > TOLERANCE_SECONDS:
        raise _unauthorized("webhook-timestamp 与服务器时间相差超过 5 分钟。")
    ep = endpoint_of(department.id)
    if ep is None:
        raise _unauthorized("该部门没有登记接收端点，不能以签名方式回传。")
    given = [s for s in sigs.split(" ") if s.startswith("v1,")]
    for secret in active_secrets(ep, utcnow()):
        expected = sign(msg_id, int(ts), body, secret)
        if any(hmac.compare_digest(expected, s) for s in given):
            return
    raise _unauthorized("签名无效。")


def handle(dept_code: str):
    """Verify, parse and run one step for the signing department; returns the JSON reply (a Response)."""
    department = None
    if DEPT_CODE.match(dept_code):
        department = db.session.execute(db.select(Department).where(Department.code == dept_code)).scalar_one_or_none()
    body = request.get_data(as_text=True)
    verify(department, body, request.headers)
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError):
        raise Invalid("请求体不是有效的 JSON。", code="invalid_json")
    _check_text(payload)  # no NUL or lone surrogates (no database stores them), no deep nesting
    if not isinstance(payload, dict) or payload.get("type") not in STEPS or not isinstance(payload.get("lead_id"), int):
        raise Invalid("须为 {type, lead_id, data}，type 为 lead.received、lead.in_progress、lead.concluded 或 "
                      "lead.returned。", code="validation_failed", errors=[field_error("type", "类型无效。")])
    fn, schema = STEPS[payload["type"]]
    try:
        args = schema.load(payload.get("data") or {})
    except ValidationError as err:
        raise Invalid("回传内容不符合要求。", code="validation_failed",
                      errors=[field_error(k, "；".join(map(str, v)) if isinstance(v, list) else str(v))
                              for k, v in err.messages.items()])
    principal = Principal(user_id=None, username=f"webhook:{department.code}", display_name=department.name,
                          department_id=department.id, department_code=department.code, is_office=False,
                          roles=frozenset({Role.REVIEWER.value}), device_id=None, session_id="webhook")
    g.audit_actor = {"user": None, "department": department.id, "device": None, "system": f"webhook:{department.code}"}
    return idempotency.run(department.id, "webhook:" + request.headers["webhook-id"], payload,
                           lambda: LeadSchema().dump(fn(principal, payload["lead_id"], args)))
