"""Schemas of plans, versions and tasks."""
from __future__ import annotations

from marshmallow import ValidationError, fields, validate, validates_schema

from ..catalog.models import METHODS, OBJECT_TYPES
from ..catalog.schemas import RATIO
from ..schemas import BaseSchema
from .models import STRATA

# The methods a visit may be checked by (Art. 19, 20(1)); sampling for testing is part of a check.
VISIT_METHODS = [m for m in METHODS if m != "lab_testing"]
REG_STATUSES = ["active", "operating", "revoked", "deregistered", "cancelled", "moved_out", "liquidating"]


class ItemRefSchema(BaseSchema):
    item_id = fields.Integer(required=True)
    version = fields.Integer(required=True, validate=validate.Range(min=1))


class ScopeSchema(BaseSchema):
    sub_libraries = fields.List(fields.String(validate=validate.Length(min=1, max=64)), load_default=list,
                                validate=validate.Length(max=50))
    object_types = fields.List(fields.String(validate=validate.OneOf(OBJECT_TYPES)), required=True,
                               validate=validate.Length(min=1, max=7))
    regions = fields.List(fields.String(validate=validate.Regexp(r"^\d{6}$", error="行政区划代码须为 6 位数字。")),
                          load_default=list, validate=validate.Length(max=200))
    statuses = fields.List(fields.String(validate=validate.OneOf(REG_STATUSES)),
                           load_default=lambda: ["active", "operating"], validate=validate.Length(max=7))
    online = fields.Boolean(load_default=None, allow_none=True)


class WeightRuleSchema(BaseSchema):
    """Art. 16: weights by years unchecked, and the risk signals raising them (the draw's weight rule)."""

    default = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100))
    not_checked_2y = fields.Integer(load_default=2, validate=validate.Range(min=1, max=100))
    not_checked_3y = fields.Integer(load_default=3, validate=validate.Range(min=1, max=100))
    abnormal_list = fields.Integer(load_default=1, validate=validate.Range(min=0, max=100),
                                   metadata={"description": "列入经营异常名录的对象权重增加值"})
    serious_violation_list = fields.Integer(load_default=2, validate=validate.Range(min=0, max=100),
                                            metadata={"description": "列入严重违法失信名单的对象权重增加值"})
    complaints_per_point = fields.Integer(load_default=3, validate=validate.Range(min=1, max=1000),
                                          metadata={"description": "每多少件投诉举报使权重加 1"})
    complaints_max = fields.Integer(load_default=2, validate=validate.Range(min=0, max=100),
                                    metadata={"description": "投诉举报使权重增加的上限"})

    @validates_schema
    def _ordered(self, data, **kwargs):
        if not data.get("default", 1) <= data.get("not_checked_2y", 2) <= data.get("not_checked_3y", 3):
            raise ValidationError("权重须满足：默认 ≤ 两年未检查 ≤ 三年以上未检查（第十六条）。", "not_checked_2y")


class ExclusionsSchema(BaseSchema):
    low_risk_checked_this_year = fields.Boolean(load_default=True)
    deregistered = fields.Boolean(load_default=True)


class TaskInSchema(BaseSchema):
    code = fields.String(required=True, validate=validate.Regexp(r"^[A-Za-z0-9_-]{1,40}$", error="任务编号须为 1–40 位字母、数字或 _-。"))
    name = fields.String(required=True, validate=validate.Length(min=2, max=200))
    check_type = fields.String(load_default="undirected", validate=validate.OneOf(["directed", "undirected"]))
    main_item = fields.Nested(ItemRefSchema, required=True)
    x_items = fields.List(fields.Nested(ItemRefSchema), load_default=list, validate=validate.Length(max=30))
    participating_department_ids = fields.List(fields.Integer(), load_default=list, validate=validate.Length(max=20))
    scope = fields.Nested(ScopeSchema, required=True)
    ratios = fields.Dict(keys=fields.String(validate=validate.OneOf(STRATA)), values=fields.String(validate=RATIO),
                         required=True)
    zero_ratio_reasons = fields.Dict(keys=fields.String(validate=validate.OneOf(STRATA)),
                                     values=fields.String(validate=validate.Length(min=2, max=500)), load_default=dict)
    weight_rule = fields.Nested(WeightRuleSchema, load_default=lambda: WeightRuleSchema().load({}))
    exclusions = fields.Nested(ExclusionsSchema, load_default=lambda: ExclusionsSchema().load({}))
    min_team_size = fields.Integer(load_default=2, validate=validate.Range(min=2, max=10))
    per_inspector_cap = fields.Integer(load_default=10, validate=validate.Range(min=1, max=1000))
    allow_experts = fields.Boolean(load_default=False)
    window_start = fields.Date(required=True)
    window_end = fields.Date(required=True)
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))
    default_method = fields.String(load_default="onsite", validate=validate.OneOf(VISIT_METHODS),
                                   metadata={"description": "本任务检查对象的默认检查方式（组长可在检查开始前逐户调整）"})

    @validates_schema
    def _shape(self, data, **kwargs):
        ratios = data.get("ratios") or {}
        missing = [s for s in STRATA if s not in ratios]
        if missing:
            raise ValidationError(f"须为每个信用风险分类设定比例，缺少：{'、'.join(missing)}（未分类记为 U）。", "ratios")
        if data.get("window_start") and data.get("window_end") and data["window_end"] < data["window_start"]:
            raise ValidationError("检查时间安排的结束日期早于开始日期。", "window_end")


class TaskItemOutSchema(BaseSchema):
    role = fields.String()
    item_id = fields.Integer()
    item_code = fields.String()
    version = fields.Integer()
    name = fields.String()
    level = fields.String()
    department_id = fields.Integer()
    department_name = fields.String()


class TaskOutSchema(BaseSchema):
    id = fields.Integer()
    code = fields.String()
    name = fields.String()
    check_type = fields.String()
    items = fields.List(fields.Nested(TaskItemOutSchema))
    initiating_department_id = fields.Integer()
    participating_department_ids = fields.List(fields.Integer())
    scope = fields.Dict()
    ratios = fields.Dict()
    zero_ratio_reasons = fields.Dict()
    weight_rule = fields.Dict()
    exclusions = fields.Dict()
    min_team_size = fields.Integer()
    per_inspector_cap = fields.Integer()
    allow_experts = fields.Boolean()
    window_start = fields.Date()
    window_end = fields.Date()
    note = fields.String(allow_none=True)
    default_method = fields.String(metadata={"description": "默认检查方式"})


class VersionOutSchema(BaseSchema):
    version = fields.Integer()
    status = fields.String()
    status_label = fields.String()
    adjustment_reason = fields.String(allow_none=True)
    content_sha256 = fields.String(allow_none=True)
    late = fields.Boolean()
    submitted_at = fields.DateTime(allow_none=True)
    aggregated_at = fields.DateTime(allow_none=True)
    approved_at = fields.DateTime(allow_none=True)
    approval_ref = fields.String(allow_none=True)
    published_at = fields.DateTime(allow_none=True)
    returned_reason = fields.String(allow_none=True)
    tasks = fields.List(fields.Nested(TaskOutSchema))


class PlanOutSchema(BaseSchema):
    id = fields.Integer()
    code = fields.String()
    year = fields.Integer()
    title = fields.String()
    department_id = fields.Integer()
    department_name = fields.String()
    current_version = fields.Integer()
    published_version = fields.Integer(allow_none=True)
    versions = fields.List(fields.Dict(), metadata={"description": "各版本的状态摘要"})
    current = fields.Nested(VersionOutSchema)
    warnings = fields.List(fields.String())


class PlanCreateSchema(BaseSchema):
    year = fields.Integer(required=True, validate=validate.Range(min=2020, max=2100))
    title = fields.String(required=True, validate=validate.Length(min=2, max=200))
    code = fields.String(load_default=None, validate=validate.Regexp(r"^[A-Za-z0-9_-]{2,40}$", error="计划编号须为 2–40 位字母、数字或 _-。"))


class PlanListArgs(BaseSchema):
    year = fields.Integer(load_default=None, validate=validate.Range(min=2020, max=2100))
    department_id = fields.Integer(load_default=None)


class ReasonSchema(BaseSchema):
    reason = fields.String(required=True, validate=validate.Length(min=2, max=2000))


class ApproveSchema(BaseSchema):
    approval_ref = fields.String(required=True, validate=validate.Length(min=2, max=100),
                                 metadata={"description": "市政府审定文号"})


class DiffArgs(BaseSchema):
    base = fields.Integer(required=True, validate=validate.Range(min=1))
    target = fields.Integer(required=True, validate=validate.Range(min=1))


class DiffSchema(BaseSchema):
    base = fields.Integer()
    target = fields.Integer()
    added = fields.List(fields.String())
    removed = fields.List(fields.String())
    changed = fields.Dict(metadata={"description": "任务编号 → 字段 → {from, to}"})
