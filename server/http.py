"""The Blueprint every feature uses: a JSON parser that never lets garbage become a 500.

webargs only catches `JSONDecodeError`; deeply nested arrays raise
`RecursionError` and over-long integers raise `ValueError` inside
`json.loads`. Both are turned into the same 400 "invalid JSON" problem. A
non-JSON body sent to a JSON endpoint is 415 instead of a confusing 422.
"""
from __future__ import annotations

import base64
import hashlib
import json
import math
import re
import typing

import flask
import flask_smorest
from webargs import core
from werkzeug.routing import IntegerConverter
from webargs.flaskparser import FlaskParser, is_json_request

from .errors import ApiError


class UnsupportedMediaType(ApiError):
    status, code, title = 415, "unsupported_media_type", "不支持的内容类型"


class InvalidText(ApiError):
    status, code, title = 400, "invalid_text", "文本包含无效字符"


MAX_DEPTH = 64
# JSON numbers a phone or a browser can round-trip exactly (IEEE 754 doubles): beyond them a value
# changes on its way or fails later in canonical JSON or the database.
MAX_SAFE_INTEGER = 2**53
_BAD_CHARS = re.compile("[\x00\ud800-\udfff]")


# Ids in paths, queries and bodies: PostgreSQL `integer` columns end at 2^31 - 1 (SQLite's at 2^63 - 1);
# one bound for both keeps every id an id on either database.
MAX_ID = 2**31 - 1


class IdConverter(IntegerConverter):
    """`<int:…>` in every route: beyond MAX_ID no row can exist, so the route answers 404."""

    def __init__(self, map, fixed_digits=0, min=None, max=MAX_ID, signed=False):  # noqa: A002
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max if max is not None else MAX_ID,
                         signed=signed)


class NumberOutOfRange(ApiError):
    status, code, title = 422, "number_out_of_range", "数值超出范围"


class UnsafeNumber(str):
    """A refused number kept as its text where it must not stop the rest (a sync batch's args)."""


def unsafe_number(value: typing.Any) -> bool:
    """Infinity, NaN, 1e999 and integers beyond ±2^53: never stored."""
    if isinstance(value, bool):
        return False
    if isinstance(value, float):
        return not math.isfinite(value)
    return isinstance(value, int) and abs(value) > MAX_SAFE_INTEGER


def number_error(path: str) -> NumberOutOfRange:
    where = path or "请求体"
    return NumberOutOfRange(f"字段“{where}”的数值超出范围（不允许 Infinity、NaN 或绝对值大于 2^53 的整数）。",
                            errors=[{"field": where, "pointer": "/" + path.replace(".", "/"),
                                     "message": "数值超出范围。"}])


def find_unsafe(value: typing.Any, path: str = "") -> str | None:
    """The path of the first refused number (UnsafeNumber marks included), or None."""
    if isinstance(value, UnsafeNumber) or unsafe_number(value):
        return path
    if isinstance(value, dict):
        for k, v in value.items():
            found = find_unsafe(v, f"{path}.{k}" if path else str(k))
            if found is not None:
                return found
    elif isinstance(value, list):
        for i, v in enumerate(value):
            found = find_unsafe(v, f"{path}.{i}" if path else str(i))
            if found is not None:
                return found
    return None


def mark_unsafe(value: typing.Any) -> typing.Any:
    """The same JSON with every refused number replaced by an UnsafeNumber (its text)."""
    if unsafe_number(value):
        return UnsafeNumber(repr(value) if isinstance(value, float) else str(value))
    if isinstance(value, dict):
        return {k: mark_unsafe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [mark_unsafe(v) for v in value]
    return value


def _check_text(value: typing.Any, path: str = "", depth: int = 0) -> None:
    """Refuse NUL and lone surrogates anywhere (no database stores them) and deep nesting."""
    if depth > MAX_DEPTH:
        raise InvalidText(f"JSON 嵌套层数超过 {MAX_DEPTH} 层。", code="json_too_deep")
    if isinstance(value, str):
        if _BAD_CHARS.search(value):
            raise InvalidText(f"字段“{path or '请求体'}”含有无效字符（空字符或孤立的代理项）。")
    elif unsafe_number(value):
        raise number_error(path)
    elif isinstance(value, dict):
        for k, v in value.items():
            _check_text(k, path, depth + 1)
            _check_text(v, f"{path}.{k}" if path else str(k), depth + 1)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            _check_text(v, f"{path}.{i}" if path else str(i), depth + 1)


class SafeParser(FlaskParser):
    def _raw_load_json(self, req: flask.Request) -> typing.Any:
        data = req.get_data(cache=True)
        if not is_json_request(req):
            if data:
                raise UnsupportedMediaType(
                    f"请求体须为 JSON（Content-Type: application/json），收到的是“{req.mimetype or '未声明'}”。"
                )
            return core.missing
        try:
            parsed = core.parse_json(data)
        except json.JSONDecodeError:
            raise
        except (RecursionError, ValueError) as exc:
            raise json.JSONDecodeError(f"unparseable JSON: {type(exc).__name__}", "<body>", 0) from exc
        parsed = self.quarantine(parsed)
        _check_text(parsed)
        return parsed

    def quarantine(self, parsed: typing.Any) -> typing.Any:
        """Where refused numbers are marked instead of refusing the whole body (none here)."""
        return parsed


_INLINE_SCRIPT = re.compile(rb"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", re.S | re.I)
CSP_BASE = ("default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; connect-src 'self'; "
            "worker-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; "
            "style-src 'self' 'unsafe-inline'")


def content_security_policy(html: bytes) -> str:
    """The CSP of one HTML page: scripts from this origin only; an inline script (the API docs'
    loader) only by its hash; never framed (frame-ancestors 'none')."""
    hashes = " ".join(f"'sha256-{base64.b64encode(hashlib.sha256(m).digest()).decode()}'"
                      for m in _INLINE_SCRIPT.findall(html))
    return f"{CSP_BASE}; script-src 'self'{' ' + hashes if hashes else ''}"


class Blueprint(flask_smorest.Blueprint):
    ARGUMENTS_PARSER = SafeParser()
