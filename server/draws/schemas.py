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


class DrawPublicSchema(BaseSchema):
    task = fields.Dict()
    algorithm = fields.String()
    plan = fields.Dict()
    plan_hash = fields.String()
    snapshot_hash = fields.String()
    snapshot_size = fields.Integer()
    commitment = fields.String()
    committed_at = fields.String()
    beacon = fields.Dict()
    beacon_value = fields.String(allow_none=True)
    beacon_published_at = fields.String(allow_none=True)
    nonce = fields.String(allow_none=True)
    seed = fields.String(allow_none=True)
    drawn_at = fields.String(allow_none=True)
    counts = fields.Dict()
    selected = fields.List(fields.Dict())


class AuditPackageSchema(BaseSchema):
    format = fields.String()
    algorithm = fields.String()
    task = fields.Dict()
    plan = fields.Dict()
    plan_hash = fields.String()
    snapshot = fields.List(fields.Dict())
    snapshot_hash = fields.String()
    commitment = fields.String()
    committed_at = fields.String()
    beacon_value = fields.String()
    nonce = fields.String()
    seed = fields.String()
    results = fields.Dict()
    substitutions = fields.List(fields.Dict())
    final_selection = fields.Dict()
    teams = fields.Dict()
    objects = fields.Dict()
