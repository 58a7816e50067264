"""Schemas of the staff and team-leader endpoints over visits."""
from __future__ import annotations

from marshmallow import fields, validate

from ..schemas import BaseSchema


class VisitOutSchema(BaseSchema):
    id = fields.String()
    task_id = fields.String()
    status = fields.String()
    evidence_pending = fields.Boolean()
    object = fields.Dict()
    team = fields.List(fields.Dict())
    schedule = fields.Dict()
    record = fields.Dict()
    version = fields.Integer()


class ProgressSchema(BaseSchema):
    id = fields.String()
    task_id = fields.String()
    task_name = fields.String()
    object_name = fields.String()
    status = fields.String()
    evidence_pending = fields.Boolean()
    schedule = fields.Dict()
    conflicts = fields.Integer()
    schedule_warnings = fields.List(fields.Dict())


class ScheduleSchema(BaseSchema):
    date = fields.Date(required=True)
    time_from = fields.Time(load_default=None, allow_none=True)
    time_to = fields.Time(load_default=None, allow_none=True)


class ConflictSchema(BaseSchema):
    id = fields.Integer()
    field = fields.String()
    old_value = fields.Raw(allow_none=True)
    new_value = fields.Raw(allow_none=True)
    old_by = fields.Integer(allow_none=True)
    new_by = fields.Integer()
    at = fields.DateTime()


class MineArgs(BaseSchema):
    status = fields.String(load_default=None, validate=validate.OneOf(["not_started", "in_progress", "sealed"]))
