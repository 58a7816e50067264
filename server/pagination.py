"""Keyset pagination with opaque, stable cursors."""
from __future__ import annotations

import base64
import json

from sqlalchemy import Select

from .errors import BadRequest
from .extensions import db


def encode_cursor(values: list) -> str:
    raw = json.dumps(values, separators=(",", ":"), ensure_ascii=False).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> list:
    try:
        pad = "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(cursor + pad))
        if not isinstance(values, list):
            raise ValueError
        return values
    except (ValueError, TypeError):
        raise BadRequest("分页游标无效。", code="invalid_cursor")


def keyset_page(stmt: Select, key_column, limit: int, cursor: str | None, descending: bool = False) -> dict:
    """Page over a unique, orderable key column (usually the primary key)."""
    if cursor:
        (last,) = decode_cursor(cursor)[:1] or [None]
        if last is None:
            raise BadRequest("分页游标无效。", code="invalid_cursor")
        try:
            expected = key_column.type.python_type
        except NotImplementedError:
            expected = str
        if isinstance(last, bool) or not isinstance(last, expected):
            raise BadRequest("分页游标无效。", code="invalid_cursor")
        stmt = stmt.where(key_column < last if descending else key_column > last)
    stmt = stmt.order_by(None).order_by(key_column.desc() if descending else key_column).limit(limit + 1)
    rows = list(db.session.execute(stmt).scalars())
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = None
    if more and rows:
        next_cursor = encode_cursor([getattr(rows[-1], key_column.key)])
    return {"items": rows, "next_cursor": next_cursor}
