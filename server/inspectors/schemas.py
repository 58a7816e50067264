"""Request and response schemas of the inspector directory API."""
from __future__ import annotations

from marshmallow import ValidationError, fields, validate, validates_schema

from ..accounts.schemas import DepartmentBriefSchema
from ..schemas import BaseSchema, PageArgsSchema, page_schema
from .directory import cert_status
from .models import EXPERT_ORG_TYPES, KINDS, UNAVAILABILITY_REASONS

PHONE = validate.Regexp(r"^[0-9+\- ]{5,32}$", error="电话号码格式不正确。")
KIND = validate.OneOf(list(KINDS))
ORG_TYPE = validate.OneOf(list(EXPERT_ORG_TYPES))
ID = validate.Range(min=1, max=2**31 - 1)


class Tag(fields.String):
    """A tag: trimmed, never blank."""

    def _deserialize(self, value, attr, data, **kwargs):
        tag = super()._deserialize(value, attr, data, **kwargs).strip()
        if not tag:
            raise ValidationError("标签不能为空白。")
        if len(tag) > 64:
            raise ValidationError("标签不能超过 64 个字。")
        return tag


def _tags(**kw):
    return fields.List(Tag(), validate=validate.Length(max=30, error="标签不能超过 30 个。"), **kw)


class InspectorFields(BaseSchema):
    """Fields an administrator supplies; creation requires name and department."""

    name = fields.String(validate=validate.Length(min=1, max=64))
    phone = fields.String(allow_none=True, validate=PHONE)
    department_id = fields.Integer(strict=True, validate=ID)
    user_id = fields.Integer(allow_none=True, strict=True, validate=ID,
                             metadata={"description": "关联的系统账号（本部门人员）；外部专家为空"})
    cert_no = fields.String(allow_none=True, validate=validate.Length(min=1, max=40),
                            metadata={"description": "执法证号（全局唯一）"})
    cert_valid_from = fields.Date(allow_none=True)
    cert_valid_until = fields.Date(allow_none=True)
    post = fields.String(allow_none=True, validate=validate.Length(max=64), metadata={"description": "岗位"})
    kind = fields.String(validate=KIND, metadata={"description": "general 普通 | specialist 专业"})
    is_expert = fields.Boolean(metadata={"description": "检测机构、科研院所、高校等外部专家"})
    expert_org = fields.String(allow_none=True, validate=validate.Length(max=100))
    expert_org_type = fields.String(allow_none=True, validate=ORG_TYPE)
    qualification_tags = _tags(metadata={"description": "执法资质，如 食品安全执法、特种设备安全监察"})
    expertise_tags = _tags(metadata={"description": "业务专长"})


class InspectorCreateSchema(InspectorFields):
    name = fields.String(required=True, validate=validate.Length(min=1, max=64))
    department_id = fields.Integer(required=True, strict=True, validate=ID)
    active = fields.Boolean(load_default=True)


class InspectorUpdateSchema(InspectorFields):
    pass


class InspectorSchema(BaseSchema):
    id = fields.Integer()
    user_id = fields.Integer(allow_none=True)
    name = fields.String()
    phone = fields.String(allow_none=True)
    department_id = fields.Integer()
    department = fields.Nested(DepartmentBriefSchema)
    cert_no = fields.String(allow_none=True)
    cert_valid_from = fields.Date(allow_none=True)
    cert_valid_until = fields.Date(allow_none=True)
    cert_status = fields.Function(cert_status, metadata={
        "description": "截至今天：none 未登记 | not_yet_valid 未生效 | valid 有效 | expiring 30 天内到期 | expired 已过期"})
    post = fields.String(allow_none=True)
    kind = fields.String()
    is_expert = fields.Boolean()
    expert_org = fields.String(allow_none=True)
    expert_org_type = fields.String(allow_none=True)
    qualification_tags = fields.List(fields.String())
    expertise_tags = fields.List(fields.String())
    active = fields.Boolean()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


InspectorPageSchema = page_schema(InspectorSchema, "InspectorPageSchema")


class InspectorQuerySchema(PageArgsSchema):
    department_id = fields.Integer(load_default=None, validate=ID)
    kind = fields.String(load_default=None, validate=KIND)
    qualification = fields.String(load_default=None, validate=validate.Length(min=1, max=64),
                                  metadata={"description": "持有该执法资质标签"})
    expertise = fields.String(load_default=None, validate=validate.Length(min=1, max=64))
    is_expert = fields.Boolean(load_default=None)
    active = fields.Boolean(load_default=None)
    available_from = fields.Date(load_default=None, metadata={"description": "与 available_to 一起：该期间无不可用登记"})
    available_to = fields.Date(load_default=None)
    cert_expiring_within = fields.Integer(load_default=None, validate=validate.Range(min=0, max=3650), metadata={
        "description": "执法证在 N 天内到期（含已过期）的人员，便于安排换证"})
    q = fields.String(load_default=None, validate=validate.Length(min=1, max=64),
                      metadata={"description": "按姓名、执法证号或岗位查找"})

    @validates_schema
    def _range(self, data, **kwargs):
        start, end = data.get("available_from"), data.get("available_to")
        if (start is None) != (end is None):
            raise ValidationError("须同时指定 available_from 与 available_to。", "available_to")
        if start is not None and end < start:
            raise ValidationError("结束日期不能早于开始日期。", "available_to")


class ReasonSchema(BaseSchema):
    reason = fields.String(required=True, validate=validate.Length(min=2, max=200))


class UnavailabilitySchema(BaseSchema):
    id = fields.Integer(dump_only=True)
    inspector_id = fields.Integer(dump_only=True)
    start_date = fields.Date(required=True)
    end_date = fields.Date(required=True, metadata={"description": "含当天"})
    reason = fields.String(required=True, validate=validate.OneOf(list(UNAVAILABILITY_REASONS)),
                           metadata={"description": "leave 休假 | training 培训 | sick 病假 | secondment 借调/外派 | other 其他"})
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))
    created_by = fields.Integer(dump_only=True, allow_none=True)
    created_at = fields.DateTime(dump_only=True)


class ConflictSchema(BaseSchema):
    id = fields.Integer(dump_only=True)
    inspector_id = fields.Integer(dump_only=True)
    object_id = fields.Integer(load_default=None, allow_none=True, strict=True, validate=ID,
                               metadata={"description": "检查对象 id（与信用代码至少填一项）"})
    credit_code = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=40),
                                metadata={"description": "统一社会信用代码（GB 32100 校验）"})
    reason = fields.String(required=True, validate=validate.Length(min=2, max=500))
    valid_from = fields.Date(load_default=None, allow_none=True, metadata={"description": "缺省为今天"})
    valid_until = fields.Date(load_default=None, allow_none=True, metadata={"description": "为空表示长期有效"})
    declared_by = fields.Integer(dump_only=True, allow_none=True)
    created_at = fields.DateTime(dump_only=True)
    withdrawn_at = fields.DateTime(dump_only=True, allow_none=True)
    withdrawn_by = fields.Integer(dump_only=True, allow_none=True)
    withdraw_reason = fields.String(dump_only=True, allow_none=True)


ConflictPageSchema = page_schema(ConflictSchema, "ConflictPageSchema")


class ConflictListArgs(BaseSchema):
    include_withdrawn = fields.Boolean(load_default=True)


class ConflictQuerySchema(PageArgsSchema):
    department_id = fields.Integer(load_default=None, validate=ID)
    object_id = fields.Integer(load_default=None, validate=ID)
    credit_code = fields.String(load_default=None, validate=validate.Length(min=1, max=40))
    include_withdrawn = fields.Boolean(load_default=False)


class BorrowSchema(BaseSchema):
    id = fields.Integer(dump_only=True)
    department_id = fields.Integer(dump_only=True, metadata={"description": "借入部门（登记人所在部门）"})
    department = fields.Nested(DepartmentBriefSchema, dump_only=True)
    lender_department_id = fields.Integer(required=True, strict=True, validate=ID)
    lender = fields.Nested(DepartmentBriefSchema, dump_only=True)
    reason = fields.String(required=True, validate=validate.Length(min=2, max=500))
    valid_from = fields.Date(required=True)
    valid_until = fields.Date(required=True)
    created_by = fields.Integer(dump_only=True, allow_none=True)
    created_at = fields.DateTime(dump_only=True)
    revoked_at = fields.DateTime(dump_only=True, allow_none=True)
    revoked_by = fields.Integer(dump_only=True, allow_none=True)
    revoke_reason = fields.String(dump_only=True, allow_none=True)
    consented_at = fields.DateTime(dump_only=True, allow_none=True,
                                   metadata={"description": "出借部门同意的时间；未同意的约定不能用于抽取"})
    consented_by = fields.Integer(dump_only=True, allow_none=True)
    consent_note = fields.String(dump_only=True, allow_none=True)


class ConsentSchema(BaseSchema):
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200),
                         metadata={"description": "出借部门的说明（可选）"})


BorrowPageSchema = page_schema(BorrowSchema, "BorrowPageSchema")


class BorrowQuerySchema(PageArgsSchema):
    department_id = fields.Integer(load_default=None, validate=ID, metadata={"description": "借入或出借方为该部门"})
    active_on = fields.Date(load_default=None, metadata={"description": "只列出该日有效的约定"})
