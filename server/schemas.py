"""Schemas shared by every feature: the problem envelope and list pages."""
from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from .http import MAX_ID


# The database's integer range for every integer a client sends (ids above all): beyond it a
# query or an insert fails in the driver. PostgreSQL `integer` is the narrowest column type used;
# the same bound as the `<int:…>` converter of every route.
INT_MIN, INT_MAX = -(MAX_ID + 1), MAX_ID


def _bounded(field: fields.Field) -> None:
    """Give an Integer without its own upper bound the database's range (List items too)."""
    if isinstance(field, fields.List):
        _bounded(field.inner)
    elif isinstance(field, fields.Tuple):
        for f in field.tuple_fields:
            _bounded(f)
    elif isinstance(field, fields.Integer) and not field.metadata.get("int64"):
        if not any(isinstance(v, validate.Range) and v.max is not None for v in field.validators):
            field.validators.append(validate.Range(min=INT_MIN, max=INT_MAX, error="超出允许范围。"))


class BaseSchema(ma.Schema):
    """Unknown fields are refused (marshmallow's RAISE), never silently dropped; integers stay
    within the database's range (422, not a driver error)."""

    class Meta:
        unknown = ma.RAISE

    def on_bind_field(self, field_name: str, field_obj: fields.Field) -> None:
        _bounded(field_obj)


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
