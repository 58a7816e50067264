"""Schemas shared by every feature: the problem envelope and list pages."""
from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate


class BaseSchema(ma.Schema):
    """Unknown fields are refused (marshmallow's RAISE), never silently dropped."""

    class Meta:
        unknown = ma.RAISE


class FieldErrorSchema(BaseSchema):
    field = fields.String()
    pointer = fields.String()
    message = fields.String()
    location = fields.String()


class ProblemSchema(BaseSchema):
    """RFC 9457 problem details with a stable machine `code`."""

    type = fields.String(metadata={"description": "问题类型 URI"})
    title = fields.String(metadata={"description": "简短标题（中文）"})
    status = fields.Integer()
    detail = fields.String(metadata={"description": "说明（中文）"})
    code = fields.String(metadata={"description": "稳定的机器可读错误码"})
    instance = fields.String()
    errors = fields.List(fields.Nested(FieldErrorSchema))


class PageArgsSchema(BaseSchema):
    """Cursor pagination: `cursor` is opaque; `limit` is capped."""

    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))
    cursor = fields.String(load_default=None, validate=validate.Length(max=200))


def page_schema(item_schema: type[ma.Schema], name: str) -> type[ma.Schema]:
    """A `{items, next_cursor}` schema for one item type."""
    return type(name, (BaseSchema,), {
        "items": fields.List(fields.Nested(item_schema)),
        "next_cursor": fields.String(allow_none=True),
    })
