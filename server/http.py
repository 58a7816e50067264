"""The Blueprint every feature uses: a JSON parser that never lets garbage become a 500.

webargs only catches `JSONDecodeError`; deeply nested arrays raise
`RecursionError` and over-long integers raise `ValueError` inside
`json.loads`. Both are turned into the same 400 "invalid JSON" problem. A
non-JSON body sent to a JSON endpoint is 415 instead of a confusing 422.
"""
from __future__ import annotations

import json
import re
import typing

import flask
import flask_smorest
from webargs import core
from webargs.flaskparser import FlaskParser, is_json_request

from .errors import ApiError


class UnsupportedMediaType(ApiError):
    status, code, title = 415, "unsupported_media_type", "不支持的内容类型"


class InvalidText(ApiError):
    status, code, title = 400, "invalid_text", "文本包含无效字符"


MAX_DEPTH = 64
_BAD_CHARS = re.compile("[\x00\ud800-\udfff]")


def _check_text(value: typing.Any, path: str = "", depth: int = 0) -> None:
    """Refuse NUL and lone surrogates anywhere (no database stores them) and deep nesting."""
    if depth > MAX_DEPTH:
        raise InvalidText(f"JSON 嵌套层数超过 {MAX_DEPTH} 层。", code="json_too_deep")
    if isinstance(value, str):
        if _BAD_CHARS.search(value):
            raise InvalidText(f"字段“{path or '请求体'}”含有无效字符（空字符或孤立的代理项）。")
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
        _check_text(parsed)
        return parsed


class Blueprint(flask_smorest.Blueprint):
    ARGUMENTS_PARSER = SafeParser()
