"""Schemas of check items and checkpoints."""
from __future__ import annotations

from marshmallow import ValidationError, fields, validate, validates_schema

from ..schemas import BaseSchema, PageArgsSchema, page_schema
from .models import ANSWER_TYPES, LEVELS, METHODS, OBJECT_TYPES

RATIO = validate.Regexp(r"^(0(\.\d{1,4})?|1(\.0{1,4})?)$", error="比例须为 0 到 1 之间的小数字符串，如“0.05”。")
TAG = fields.String(validate=validate.Length(min=1, max=64))


class CheckpointSchema(BaseSchema):
    key = fields.String(required=True, validate=validate.Regexp(r"^[a-z0-9_-]{1,32}$", error="要点标识须为 1–32 位小写字母、数字或 _-。"))
    prompt = fields.String(required=True, validate=validate.Length(min=2, max=500))
    legal_basis = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))
    answer_type = fields.String(required=True, validate=validate.OneOf(list(ANSWER_TYPES)))
    unit = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=32))
    choices = fields.List(fields.String(validate=validate.Length(min=1, max=100)), load_default=list,
                          validate=validate.Length(max=30))
    photo_required = fields.Boolean(load_default=False)
    hint = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=500))
    id = fields.Integer(dump_only=True)
    position = fields.Integer(dump_only=True)

    @validates_schema
    def _by_type(self, data, **kwargs):
        if data.get("answer_type") == "choice" and len(data.get("choices") or []) < 2:
            raise ValidationError("选项型要点至少需要两个选项。", "choices")
        if data.get("answer_type") == "number" and not data.get("unit"):
            raise ValidationError("数值型要点须注明单位。", "unit")


class ItemContentSchema(BaseSchema):
    """The content of one version (what an edit supplies in full)."""

    name = fields.String(required=True, validate=validate.Length(min=2, max=200))
    sub_items = fields.List(fields.String(validate=validate.Length(min=1, max=200)), load_default=list,
                            validate=validate.Length(max=50))
    legal_basis = fields.String(required=True, validate=validate.Length(min=2, max=4000))
    object_types = fields.List(fields.String(validate=validate.OneOf(OBJECT_TYPES)), required=True,
                               validate=validate.Length(min=1, max=7))
    level = fields.String(required=True, validate=validate.OneOf(list(LEVELS)))
    methods = fields.List(fields.String(validate=validate.OneOf(METHODS)), required=True,
                          validate=validate.Length(min=1, max=6))
    max_ratio = fields.String(load_default=None, allow_none=True, validate=RATIO)
    required_qualifications = fields.List(TAG, load_default=list, validate=validate.Length(max=20))
    documents_to_request = fields.List(fields.String(validate=validate.Length(min=1, max=200)), load_default=list,
                                       validate=validate.Length(max=50))
    checkpoints = fields.List(fields.Nested(CheckpointSchema), required=True, validate=validate.Length(min=1, max=100))
    change_note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=500))

    @validates_schema
    def _ratio_by_level(self, data, **kwargs):
        if data.get("level") == "general" and not data.get("max_ratio"):
            raise ValidationError("一般检查事项须设定最高抽查比例。", "max_ratio")
        if data.get("level") == "key" and data.get("max_ratio"):
            raise ValidationError("重点检查事项的抽查比例不设上限，请勿填写最高比例。", "max_ratio")
        keys = [c["key"] for c in data.get("checkpoints") or []]
        if len(keys) != len(set(keys)):
            raise ValidationError("检查要点标识不能重复。", "checkpoints")


class ItemCreateSchema(ItemContentSchema):
    code = fields.String(required=True, validate=validate.Regexp(r"^[A-Za-z0-9_-]{2,32}$", error="事项编码须为 2–32 位字母、数字或 _-。"))
    department_id = fields.Integer(load_default=None, allow_none=True)
    is_joint = fields.Boolean(load_default=False)


class ItemVersionSchema(BaseSchema):
    item_id = fields.Integer()
    version = fields.Integer()
    name = fields.String()
    sub_items = fields.List(fields.String())
    legal_basis = fields.String()
    object_types = fields.List(fields.String())
    level = fields.String()
    methods = fields.List(fields.String())
    max_ratio = fields.String(allow_none=True)
    required_qualifications = fields.List(fields.String())
    documents_to_request = fields.List(fields.String())
    change_note = fields.String(allow_none=True)
    content_sha256 = fields.String()
    created_at = fields.DateTime()
    checkpoints = fields.List(fields.Nested(CheckpointSchema))


class ItemSchema(BaseSchema):
    id = fields.Integer()
    code = fields.String()
    department_id = fields.Integer()
    department_code = fields.String()
    department_name = fields.String()
    is_joint = fields.Boolean()
    current_version = fields.Integer()
    retired = fields.Boolean()
    versions = fields.List(fields.Integer())
    current = fields.Nested(ItemVersionSchema)


class ItemListArgs(PageArgsSchema):
    department_id = fields.Integer(load_default=None)
    joint = fields.Boolean(load_default=None)
    q = fields.String(load_default=None, validate=validate.Length(max=100))
    include_retired = fields.Boolean(load_default=False)


class RetireSchema(BaseSchema):
    reason = fields.String(required=True, validate=validate.Length(min=2, max=500))


ItemPageSchema = page_schema(ItemSchema, "ItemPageSchema")
