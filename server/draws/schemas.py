"""Schemas of launching, drawing, events and visits."""
from __future__ import annotations

from marshmallow import fields, validate

from ..schemas import BaseSchema
from .events import REPLACEMENT_REASONS


class BeaconSchema(BaseSchema):
    source = fields.String(required=True, validate=validate.Length(min=2, max=100),
                           metadata={"description": "公开随机数来源，如“中国福利彩票3D”或 drand"})
    reference = fields.String(required=True, validate=validate.Length(min=2, max=200),
                              metadata={"description": "事先公布的期号/轮次"})


class BorrowSchema(BaseSchema):
    department_id = fields.Integer(required=True)
    lender_department_id = fields.Integer(required=True)


class LaunchSchema(BaseSchema):
    plan_task_id = fields.Integer(required=True)
    beacon = fields.Nested(BeaconSchema, required=True)
    borrow = fields.List(fields.Nested(BorrowSchema), load_default=list, validate=validate.Length(max=10))


class RevealSchema(BaseSchema):
    beacon_value = fields.String(required=True, validate=validate.Length(min=1, max=500))
    reference = fields.String(required=True, validate=validate.Length(min=2, max=200))
    published_at = fields.AwareDateTime(required=True, metadata={"description": "随机数公开的时间（须晚于承诺时间）"})


class ReplacementSchema(BaseSchema):
    object_id = fields.Integer(required=True)
    inspector_id = fields.Integer(required=True)
    reason_code = fields.String(required=True, validate=validate.OneOf(list(REPLACEMENT_REASONS)))
    reason = fields.String(required=True, validate=validate.Length(min=2, max=1000))
    evidence = fields.Dict(load_default=None, allow_none=True)


class SubstitutionSchema(BaseSchema):
    object_id = fields.Integer(required=True)
    reason = fields.String(required=True, validate=validate.Length(min=2, max=1000))
    evidence = fields.Dict(load_default=None, allow_none=True)


class DecisionSchema(BaseSchema):
    approve = fields.Boolean(required=True)
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=1000))


class EventSchema(BaseSchema):
    id = fields.Integer()
    kind = fields.String()
    status = fields.String()
    seq = fields.Integer(allow_none=True)
    object_id = fields.Integer(allow_none=True)
    outgoing = fields.String()
    incoming = fields.String(allow_none=True)
    reason_code = fields.String()
    reason = fields.String()
    requested_at = fields.DateTime()
    decided_at = fields.DateTime(allow_none=True)
    decision_note = fields.String(allow_none=True)


class TaskSchema(BaseSchema):
    id = fields.Integer()
    code = fields.String()
    name = fields.String()
    status = fields.String()
    plan_task_id = fields.Integer()
    initiating_department_id = fields.Integer()
    participating_department_ids = fields.List(fields.Integer())
    window_start = fields.Date()
    window_end = fields.Date()
    launched_at = fields.DateTime()


class DepartmentRefSchema(BaseSchema):
    code = fields.String()
    name = fields.String()


class PublicTaskSchema(BaseSchema):
    id = fields.Integer()
    code = fields.String()
    name = fields.String()
    status = fields.String(metadata={"description": "committed（已固定候选名单）、drawn（已抽取）"})
    initiating_department = fields.Nested(DepartmentRefSchema, allow_none=True)
    participating_departments = fields.List(fields.Nested(DepartmentRefSchema, allow_none=True))
    window_start = fields.String(metadata={"description": "检查时间安排起（YYYY-MM-DD）"})
    window_end = fields.String()


class BeaconRefSchema(BaseSchema):
    source = fields.String()
    reference = fields.String()


class PublicTeamRuleSchema(BaseSchema):
    algorithm = fields.String()
    pool_hash = fields.String(metadata={"description": "冻结的执法人员库的哈希"})
    min_size = fields.Integer()
    cap = fields.Integer(allow_none=True)
    leader_qualifications = fields.List(fields.String(), metadata={
        "description": "dsr-team-v2：组长须具备其一的资格（主项检查事项要求的资格）"})
    experts = fields.Boolean(metadata={"description": "dsr-team-v2：是否可由一名外部专家协助（不任组长、不计入执法人员人数）"})


class BorrowedSchema(BaseSchema):
    borrower = fields.String()
    lender = fields.String()
    agreement = fields.Integer(metadata={"description": "dsr-team-v2：所用借调约定的编号"})
    consented_at = fields.String(metadata={"description": "dsr-team-v2：出借部门同意的时间"})


class PublicPlanSchema(BaseSchema):
    """The draw plan exactly as hashed (plan_hash), with the team section reduced to its public part."""

    algorithm = fields.String()
    task = fields.String()
    strata = fields.Dict(keys=fields.String(), values=fields.String(),
                         metadata={"description": "各层（信用风险分类）的抽取比例，十进制字符串"})
    rounding = fields.String()
    weight_rule = fields.Raw(metadata={"description": "权重与排除规则（第十六条）：本规则与快照各行的"
                                                     "登记状态、上次检查日期、经营异常名录、严重违法失信名单、"
                                                     "投诉举报数一起，可复算每一行的权重；早期抽取为文字说明"})
    exclusion_rule = fields.String()
    beacon = fields.Nested(BeaconRefSchema)
    teams = fields.Nested(PublicTeamRuleSchema)
    borrowed = fields.List(fields.Nested(BorrowedSchema))


class StratumCountSchema(BaseSchema):
    N = fields.Integer(metadata={"description": "该层可抽取的对象数"})
    n = fields.Integer(metadata={"description": "该层抽取的对象数"})


class SelectedObjectSchema(BaseSchema):
    name = fields.String()
    credit_code = fields.String(allow_none=True)
    withdrawn = fields.Boolean(metadata={"description": "因超出任务范围已被递补替换"})


class DrawPublicSchema(BaseSchema):
    task = fields.Nested(PublicTaskSchema)
    algorithm = fields.String()
    plan = fields.Nested(PublicPlanSchema)
    plan_hash = fields.String()
    snapshot_hash = fields.String()
    snapshot_size = fields.Integer()
    commitment = fields.String()
    committed_at = fields.String()
    beacon = fields.Nested(BeaconRefSchema)
    beacon_value = fields.String(allow_none=True)
    beacon_published_at = fields.String(allow_none=True)
    nonce = fields.String(allow_none=True)
    seed = fields.String(allow_none=True)
    drawn_at = fields.String(allow_none=True)
    counts = fields.Dict(keys=fields.String(), values=fields.Nested(StratumCountSchema))
    selected = fields.List(fields.Nested(SelectedObjectSchema))


class SnapshotRowSchema(BaseSchema):
    id = fields.String(metadata={"description": "对象行号（10 位数字）"})
    stratum = fields.String()
    weight = fields.Integer()
    excluded = fields.String(allow_none=True, metadata={"description": "不参与抽取的原因；参与时为 null"})


class StratumResultSchema(BaseSchema):
    N = fields.Integer()
    n = fields.Integer()
    ranking = fields.List(fields.String(), metadata={"description": "该层全部对象按随机键的排序（递补顺序）"})
    selected = fields.List(fields.String())


class PackageTaskSchema(BaseSchema):
    id = fields.Integer()
    code = fields.String()
    name = fields.String()


class ObjectNameSchema(BaseSchema):
    name = fields.String()
    credit_code = fields.String(allow_none=True)


class AuditPackageSchema(BaseSchema):
    """The audit package `tools/verify_draw.py` checks (format dsr-audit-v1; every field is described
    in tools/README-verify-draw.md). Streamed as text by draws/export.py."""

    format = fields.String()
    algorithm = fields.String()
    task = fields.Nested(PackageTaskSchema)
    plan = fields.Dict(metadata={"description": "抽取方案，与 plan_hash 对应的规范 JSON（含完整的 teams 规则）"})
    plan_hash = fields.String()
    snapshot = fields.List(fields.Nested(SnapshotRowSchema))
    snapshot_hash = fields.String()
    commitment = fields.String()
    committed_at = fields.String()
    beacon_value = fields.String()
    nonce = fields.String()
    seed = fields.String()
    results = fields.Dict(keys=fields.String(), values=fields.Nested(StratumResultSchema))
    substitutions = fields.List(fields.Dict(), metadata={"description": "经批准的递补（顺序、层、换出与换入的对象）"})
    final_selection = fields.Dict(keys=fields.String(), values=fields.List(fields.String()))
    teams = fields.Dict(metadata={"description": "执法人员库、匹配规则、初始与最终检查组、调换记录"})
    objects = fields.Dict(keys=fields.String(), values=fields.Nested(ObjectNameSchema))
