"""`Idempotency-Key` for the receiver's steps (sign for, work, conclude, return).

The key is scoped to the calling department. The first call runs the step
and stores its reply in the same transaction; a repeat with the same key and
the same request (method, path and JSON body, canonicalised) gets the stored
reply again, without running anything; the same key with a different request
is refused with 409 `idempotency_key_reused`. A step without the header runs
normally (its state checks still refuse a second, different step).
"""
from __future__ import annotations

import json
import re
from typing import Callable

from flask import Response, request
from sqlalchemy.exc import IntegrityError

from ..canonical import jcs_sha256
from ..errors import BadRequest, Conflict
from ..extensions import db
from ..types import utcnow
from .models import IdempotentReply

HEADER = "Idempotency-Key"
KEY = re.compile(r"^[\x21-\x7e]{1,200}$")


def _json_response(body: str, status: int, replayed: bool) -> Response:
    resp = Response(body, status=status, mimetype="application/json")
    if replayed:
        resp.headers["Idempotent-Replayed"] = "true"
    return resp


def request_fingerprint(method: str, path: str, body) -> str:
    return jcs_sha256({"method": method, "path": path, "body": body})


def key_from_request() -> str | None:
    key = request.headers.get(HEADER)
    if key is None:
        return None
    if not KEY.match(key):
        raise BadRequest("Idempotency-Key 须为 1–200 个可见 ASCII 字符。", code="invalid_idempotency_key")
    return key


def run(department_id: int, key: str | None, body, step: Callable[[], dict], status: int = 200) -> Response:
    """Run `step()` (returns the JSON-ready reply) at most once per (department, key); commit."""
    fingerprint = request_fingerprint(request.method, request.path, body)
    if key is not None:
        stored = db.session.get(IdempotentReply, (department_id, key))
        if stored is not None:
            return _replay(stored, fingerprint)
    reply = step()
    text = json.dumps(reply, ensure_ascii=False, separators=(",", ":"), default=str)
    if key is not None:
        db.session.add(IdempotentReply(department_id=department_id, key=key, request_sha256=fingerprint,
                                       status_code=status, body=text, created_at=utcnow()))
    try:
        db.session.commit()
    except IntegrityError:
        # A concurrent request with the same key committed first: answer as a repeat of it.
        db.session.rollback()
        stored = db.session.get(IdempotentReply, (department_id, key)) if key is not None else None
        if stored is None:
            raise
        return _replay(stored, fingerprint)
    return _json_response(text, status, False)


def _replay(stored: IdempotentReply, fingerprint: str) -> Response:
    if stored.request_sha256 != fingerprint:
        raise Conflict("这个 Idempotency-Key 已用于另一个不同的请求；请为新的操作使用新的键。",
                       code="idempotency_key_reused")
    return _json_response(stored.body, stored.status_code, True)
