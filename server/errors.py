"""One error family, one envelope: RFC 9457 problem+json for every error.

Services raise `ApiError` subclasses (never HTTP tuples); the handlers here
turn them, Werkzeug's HTTP errors, webargs/marshmallow validation errors and
unexpected exceptions (after a rollback) into `application/problem+json`
with a stable machine `code` and Simplified-Chinese human text.
"""
from __future__ import annotations

import json
import logging
import re
from typing import Any

from flask import Flask, Response, g, request
from werkzeug.exceptions import HTTPException
from flask import has_app_context
from sqlalchemy.exc import DBAPIError, OperationalError

from .extensions import db

log = logging.getLogger(__name__)

PROBLEM_MIME = "application/problem+json"
# Extension members may never overwrite the standard ones.
_RESERVED = frozenset({"type", "title", "status", "detail", "code", "instance", "errors"})


class ApiError(Exception):
    """A failure the caller can act on. Subclasses fix status, code and title."""

    status = 400
    code = "bad_request"
    title = "请求有误"

    def __init__(
        self,
        detail: str | None = None,
        *,
        code: str | None = None,
        status: int | None = None,
        title: str | None = None,
        errors: list[dict] | None = None,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(detail or title or self.title)
        self.detail = detail or title or self.title
        if code:
            self.code = code
        if status:
            self.status = status
        if title:
            self.title = title
        self.errors = errors
        self.headers = headers or {}
        self.extra = extra or {}

    def to_problem(self) -> dict:
        """The problem object, also used for rejected sync mutations."""
        body: dict[str, Any] = {
            "type": problem_type(self.code),
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
            "code": self.code,
        }
        if self.errors:
            body["errors"] = self.errors
        body.update({k: v for k, v in self.extra.items() if k not in _RESERVED})
        return body


class BadRequest(ApiError):
    status, code, title = 400, "bad_request", "请求有误"


class Unauthorized(ApiError):
    status, code, title = 401, "unauthorized", "未登录或登录已失效"


class Forbidden(ApiError):
    status, code, title = 403, "forbidden", "无权执行此操作"


class NotFound(ApiError):
    status, code, title = 404, "not_found", "未找到"


class Conflict(ApiError):
    status, code, title = 409, "conflict", "与当前状态冲突"


class Gone(ApiError):
    status, code, title = 410, "gone", "资源已不存在"


class PayloadTooLarge(ApiError):
    status, code, title = 413, "payload_too_large", "内容超过大小限制"


class Invalid(ApiError):
    status, code, title = 422, "validation_failed", "数据校验未通过"


class TooManyRequests(ApiError):
    status, code, title = 429, "too_many_requests", "请求过于频繁"


class Unavailable(ApiError):
    status, code, title = 503, "service_unavailable", "服务暂时不可用"


def problem_type(code: str) -> str:
    """A URI reference naming the problem type (served as a page under /problems/)."""
    return f"/problems/{code}"


def field_error(field: str, message: str) -> dict:
    """One entry of a problem's `errors` list."""
    return {"field": field, "pointer": "/" + field.replace(".", "/"), "message": message}


# marshmallow / webargs messages → Chinese. Parameterised ones use regexes.
_EXACT = {
    "Missing data for required field.": "缺少必填字段。",
    "Unknown field.": "不允许的字段。",
    "Field may not be null.": "不能为空值（null）。",
    "Not a valid string.": "不是有效的字符串。",
    "Not a valid integer.": "不是有效的整数。",
    "Not a valid number.": "不是有效的数字。",
    "Not a valid boolean.": "不是有效的布尔值。",
    "Not a valid datetime.": "不是有效的日期时间。",
    "Not a valid date.": "不是有效的日期。",
    "Not a valid UUID.": "不是有效的 UUID。",
    "Not a valid email address.": "不是有效的电子邮件地址。",
    "Not a valid URL.": "不是有效的网址。",
    "Not a valid list.": "不是有效的列表。",
    "Not a valid mapping type.": "不是有效的对象。",
    "Invalid input type.": "输入类型无效。",
    "Invalid value.": "取值无效。",
    "Invalid JSON body.": "请求体不是有效的 JSON。",
    "Shorter than minimum length 1.": "不能为空。",
    "Field cannot be blank.": "不能为空。",
    "Not a valid time.": "不是有效的时间。",
    "Not a valid tuple.": "不是有效的数组。",
}
_PATTERNS = [
    (re.compile(r"^Length must be between (\d+) and (\d+)\.$"), "长度须在 {0} 到 {1} 之间。"),
    (re.compile(r"^Shorter than minimum length (\d+)\.$"), "长度不能少于 {0}。"),
    (re.compile(r"^Longer than maximum length (\d+)\.$"), "长度不能超过 {0}。"),
    (re.compile(r"^Must be greater than or equal to (\S+) and less than or equal to (\S+)\.$"), "取值须在 {0} 到 {1} 之间。"),
    (re.compile(r"^Must be greater than or equal to (\S+)\.$"), "取值不能小于 {0}。"),
    (re.compile(r"^Must be less than or equal to (\S+)\.$"), "取值不能大于 {0}。"),
    (re.compile(r"^Must be greater than (\S+)\.$"), "取值须大于 {0}。"),
    (re.compile(r"^Must be one of: (.*)\.$"), "取值须为以下之一：{0}。"),
    (re.compile(r"^String does not match expected pattern\.$"), "格式不正确。"),
    (re.compile(r"^Not a valid (\w+)\.$"), "类型不正确（应为 {0}）。"),
]


def translate(message: str) -> str:
    """Chinese text for a marshmallow/webargs message; unknown text passes through."""
    if message in _EXACT:
        return _EXACT[message]
    for pattern, template in _PATTERNS:
        m = pattern.match(message)
        if m:
            return template.format(*m.groups())
    return message


def flatten_messages(messages: Any, prefix: str = "") -> list[dict]:
    """Turn marshmallow's nested message dict into a flat list of field errors."""
    out: list[dict] = []
    if isinstance(messages, dict):
        for key, value in messages.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            out.extend(flatten_messages(value, name))
    elif isinstance(messages, (list, tuple)):
        if all(isinstance(m, str) for m in messages):
            for m in messages:
                out.append(field_error(prefix or "_body", translate(m)))
        else:
            for m in messages:
                out.extend(flatten_messages(m, prefix))
    else:
        out.append(field_error(prefix or "_body", translate(str(messages))))
    return out


def problem_response(
    status: int,
    code: str,
    title: str,
    detail: str | None = None,
    *,
    errors: list[dict] | None = None,
    headers: dict[str, str] | None = None,
    extra: dict | None = None,
) -> Response:
    """Build an `application/problem+json` response."""
    body: dict[str, Any] = {
        "type": problem_type(code),
        "title": title,
        "status": status,
        "detail": detail or title,
        "code": code,
    }
    if errors:
        body["errors"] = errors
    if extra:
        body.update({k: v for k, v in extra.items() if k not in _RESERVED})
    rid = getattr(g, "request_id", None) if _has_g() else None
    if rid:
        body["instance"] = f"urn:request:{rid}"
    resp = Response(json.dumps(body, ensure_ascii=False), status=status, mimetype=PROBLEM_MIME)
    for k, v in (headers or {}).items():
        resp.headers[k] = v
    return resp


def _has_g() -> bool:
    return has_app_context()


# Werkzeug's HTTP errors → (code, Chinese title, Chinese detail)
_HTTP = {
    400: ("bad_request", "请求有误", "请求格式不正确。"),
    401: ("unauthorized", "未登录或登录已失效", "请先登录。"),
    403: ("forbidden", "无权执行此操作", "当前账号没有此操作的权限。"),
    404: ("not_found", "未找到", "请求的地址或资源不存在。"),
    405: ("method_not_allowed", "不支持的请求方法", "该地址不支持此请求方法。"),
    406: ("not_acceptable", "无法提供所需格式", "无法按请求的格式返回内容。"),
    409: ("conflict", "与当前状态冲突", "请求与资源当前状态冲突。"),
    411: ("length_required", "缺少内容长度", "请求需要 Content-Length。"),
    412: ("precondition_failed", "前置条件不满足", "请求的前置条件不满足。"),
    413: ("payload_too_large", "内容超过大小限制", "请求体超过了允许的大小。"),
    414: ("uri_too_long", "地址过长", "请求地址过长。"),
    415: ("unsupported_media_type", "不支持的内容类型", "不支持此内容类型。"),
    416: ("range_not_satisfiable", "范围无效", "请求的字节范围无效。"),
    422: ("validation_failed", "数据校验未通过", "提交的数据未通过校验，请查看各字段的错误说明。"),
    428: ("precondition_required", "缺少前置条件", "请求需要前置条件头。"),
    429: ("too_many_requests", "请求过于频繁", "请求过于频繁，请稍后再试。"),
    500: ("internal_error", "服务器内部错误", "服务器处理请求时出错，已记录，请稍后重试。"),
    501: ("not_implemented", "不支持的操作", "服务器不支持此操作。"),
    503: ("service_unavailable", "服务暂时不可用", "服务暂时不可用，请稍后重试。"),
}


def handle_api_error(err: ApiError) -> Response:
    """Domain errors: roll back whatever the request wrote, then answer."""
    _rollback()
    return problem_response(
        err.status, err.code, err.title, err.detail,
        errors=err.errors, headers=err.headers, extra=err.extra,
    )


def handle_http_exception(err: HTTPException) -> Response:
    """Werkzeug/webargs HTTP errors as problem+json."""
    _rollback()
    status = err.code or 500
    code, title, detail = _HTTP.get(status, ("http_error", "请求失败", err.description or "请求失败。"))
    errors = None
    headers: dict[str, str] = {}
    data = getattr(err, "data", None) or {}
    messages = data.get("messages") or data.get("errors")
    if messages:
        # webargs nests by location ({"json": {...}, "query": {...}}); the
        # location is context, not part of the field path.
        if isinstance(messages, dict) and set(messages) <= {"json", "query", "form", "headers", "files", "view_args", "cookies", "path", "querystring"}:
            flat: list[dict] = []
            for loc, msgs in messages.items():
                for item in flatten_messages(msgs):
                    item["location"] = loc
                    flat.append(item)
            errors = flat
        else:
            errors = flatten_messages(messages)
        if status == 400 and any(e["message"] == _EXACT["Invalid JSON body."] for e in errors):
            code, title, detail = "invalid_json", "请求体不是有效的 JSON", "请求体不是有效的 JSON（或不是 UTF-8 编码）。"
    if status == 405 and hasattr(err, "valid_methods") and err.valid_methods:
        headers["Allow"] = ", ".join(err.valid_methods)
    if status == 413:
        limit = _current_limit()
        if limit:
            detail = f"请求体超过了允许的大小（上限 {limit} 字节）。"
            return problem_response(status, code, title, detail, headers=headers, extra={"limit_bytes": limit})
    if data.get("headers"):
        headers.update(data["headers"])
    return problem_response(status, code, title, detail, errors=errors, headers=headers)


def handle_unexpected(err: Exception) -> Response:
    """Anything else: roll back, log with the request id, answer 500."""
    if isinstance(err, HTTPException):
        return handle_http_exception(err)
    if isinstance(err, ApiError):
        return handle_api_error(err)
    _rollback()
    transient = _transient_db_error(err)
    if transient:
        log.warning("transient database error: %s", err)
        code, title, detail = _HTTP[503]
        return problem_response(503, code, title, detail, headers={"Retry-After": "5"})
    log.exception("unhandled error (request %s)", getattr(g, "request_id", "-"))
    code, title, detail = _HTTP[500]
    return problem_response(500, code, title, detail)


def _transient_db_error(err: Exception) -> bool:
    if isinstance(err, OperationalError):
        return True
    if isinstance(err, DBAPIError) and err.connection_invalidated:
        return True
    return False


def _current_limit() -> int | None:
    try:
        return request.max_content_length
    except RuntimeError:
        return None


def _rollback() -> None:
    try:
        db.session.rollback()
    except Exception:  # the session may be unusable; never mask the original error
        log.debug("rollback failed", exc_info=True)


def init_app(app: Flask) -> None:
    """Register the handlers (after flask-smorest so ours win)."""
    app.register_error_handler(ApiError, handle_api_error)
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(Exception, handle_unexpected)
