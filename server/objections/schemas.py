"""Request and response schemas of objections."""
from __future__ import annotations

from marshmallow import fields, validate

from ..schemas import BaseSchema
from .models import OBJECTION_STATUSES

CONTACT = validate.Regexp(r"^[0-9+\-() ]{5,32}$|^[^@\s]{1,64}@[^@\s]{1,64}\.[^@\s]{2,32}$",
                          error="请填写电话号码或电子邮箱。")


class ObjectionFileSchema(BaseSchema):
    result_id = fields.Integer(required=True, validate=validate.Range(min=1), metadata={"description": "公示结果编号"})
    name = fields.String(required=True, validate=validate.Length(min=1, max=100), metadata={"description": "异议人（单位或个人）"})
    contact = fields.String(required=True, validate=CONTACT, metadata={"description": "联系电话或电子邮箱（不公开）"})
    text = fields.String(required=True, validate=validate.Length(min=5, max=4000), metadata={"description": "异议内容与理由"})


class ObjectionPublicSchema(BaseSchema):
    reference = fields.String(metadata={"description": "异议编号（凭此查询）"})
    status = fields.String()
    status_label = fields.String()
    filed_on = fields.String()
    decided_on = fields.String(allow_none=True)
    decision_reason = fields.String(allow_none=True)
    object_name = fields.String()
    task_name = fields.String()
    result = fields.String(metadata={"description": "当前公示的检查结果"})
    corrected_on = fields.String(allow_none=True)


class ObjectionStaffSchema(ObjectionPublicSchema):
    id = fields.Integer()
    visit_id = fields.String()
    name = fields.String()
    contact = fields.String()
    text = fields.String()
    filed_at = fields.DateTime()
    decided_at = fields.DateTime(allow_none=True)
    decided_by = fields.String(allow_none=True)
    result_codes = fields.List(fields.String())
    result_before = fields.List(fields.String(), allow_none=True)
    result_after = fields.List(fields.String(), allow_none=True)


class CodeLabel(BaseSchema):
    code = fields.String()
    label = fields.String()


class ObjectionListSchema(BaseSchema):
    items = fields.List(fields.Nested(ObjectionStaffSchema))
    result_codes = fields.List(fields.Nested(CodeLabel), metadata={"description": "可选的检查结果代码（更正时用）"})


class ObjectionListArgs(BaseSchema):
    status = fields.String(load_default=None, validate=validate.OneOf(list(OBJECTION_STATUSES)))


class AcceptSchema(BaseSchema):
    result_codes = fields.List(fields.String(validate=validate.Length(max=4)), required=True,
                               validate=validate.Length(min=1, max=15))
    reason = fields.String(required=True, validate=validate.Length(min=2, max=2000))


class RejectSchema(BaseSchema):
    reason = fields.String(required=True, validate=validate.Length(min=2, max=2000))
