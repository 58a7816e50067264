"""Request and response schemas of the lead API."""
from __future__ import annotations

from marshmallow import fields, validate

from ..extensions import db
from ..schemas import BaseSchema, PageArgsSchema, page_schema
from ..registry.models import InspectionObject
from ..visits.models import Finding, Visit, VisitRecord
from .models import CATEGORIES, RESULTS, STATUSES
from .state import delivery_state, overdue

TEXT = validate.Length(min=1, max=4000)


class LeadCreateSchema(BaseSchema):
    finding_id = fields.UUID(required=True)
    category = fields.String(required=True, validate=validate.OneOf(list(CATEGORIES)),
                             metadata={"description": "case_unit 本部门办案机构；department 其他有管辖权部门；"
                                                      "judicial 司法机关；discipline 纪检监察机关"})
    department_id = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=1),
                                   metadata={"description": "接收部门；不填时按违反事项所属部门建议"})
    summary = fields.String(load_default=None, allow_none=True, validate=TEXT)
    legal_basis = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))
    media_ids = fields.List(fields.UUID(), load_default=None, allow_none=True, validate=validate.Length(max=50),
                            metadata={"description": "随线索移送的照片或视频；不填时为该问题所附的全部证据"})


class LeadSpecSchema(BaseSchema):
    """A lead made from a rectification order that was not complied with."""
    category = fields.String(required=True, validate=validate.OneOf(list(CATEGORIES)))
    department_id = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=1))
    summary = fields.String(load_default=None, allow_none=True, validate=TEXT)
    legal_basis = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))
    media_ids = fields.List(fields.UUID(), load_default=None, allow_none=True, validate=validate.Length(max=50))


class LeadListArgs(PageArgsSchema):
    direction = fields.String(load_default="all", validate=validate.OneOf(["all", "sent", "received"]))
    status = fields.String(load_default=None, validate=validate.OneOf(list(STATUSES)))
    open = fields.Boolean(load_default=False)
    department_id = fields.Integer(load_default=None, validate=validate.Range(min=1),
                                   metadata={"description": "办公室与审计：只看某部门"})
    visit_id = fields.UUID(load_default=None)


class SuggestArgs(BaseSchema):
    finding_id = fields.UUID(required=True)


class ReceiveSchema(BaseSchema):
    handler_name = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=64))
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))


class NoteSchema(BaseSchema):
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))


class ConcludeSchema(BaseSchema):
    result = fields.String(required=True, validate=validate.OneOf(list(RESULTS)),
                           metadata={"description": "case_filed 已立案查处；punished 已处罚；not_filed 不予立案；"
                                                    "transferred 已移送；no_violation 不构成违法；other 其他"})
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=4000))
    decision_no = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=100))
    decided_on = fields.Date(load_default=None, allow_none=True)
    serious = fields.Boolean(load_default=False, metadata={"description": "处罚属严重违法失信情形"})
    documents = fields.List(fields.String(validate=validate.Length(min=1, max=500)), load_default=list,
                            validate=validate.Length(max=20), metadata={"description": "文书名称或链接"})


class ReturnSchema(BaseSchema):
    reason = fields.String(required=True, validate=TEXT)


class DeliveryStateSchema(BaseSchema):
    message_id = fields.String()
    status = fields.String()
    attempts = fields.Integer()
    undelivered = fields.Boolean()
    delivered_at = fields.DateTime(allow_none=True)
    last_error = fields.String(allow_none=True)


class LeadSchema(BaseSchema):
    id = fields.Integer()
    visit_id = fields.String()
    finding_id = fields.String()
    object_id = fields.Integer()
    category = fields.String()
    category_label = fields.Function(lambda o: CATEGORIES.get(o.category))
    sender_department_id = fields.Integer()
    receiver_department_id = fields.Integer()
    suggested_department_id = fields.Integer(allow_none=True)
    summary = fields.String()
    legal_basis = fields.String(allow_none=True)
    evidence = fields.Dict()
    origin = fields.String()
    rectification_id = fields.Integer(allow_none=True)
    status = fields.String()
    status_label = fields.Function(lambda o: STATUSES.get(o.status))
    receipt_due_on = fields.Date(allow_none=True)
    feedback_due_on = fields.Date(allow_none=True)
    received_at = fields.DateTime(allow_none=True)
    handler_name = fields.String(allow_none=True)
    result = fields.String(allow_none=True)
    result_label = fields.Function(lambda o: RESULTS.get(o.result) if o.result else None)
    result_note = fields.String(allow_none=True)
    decision_no = fields.String(allow_none=True)
    decided_on = fields.Date(allow_none=True)
    serious = fields.Boolean()
    documents = fields.List(fields.String())
    return_reason = fields.String(allow_none=True)
    closed_at = fields.DateTime(allow_none=True)
    overdue = fields.Method("_overdue")
    delivery = fields.Method("_delivery")
    created_by = fields.Integer()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    version = fields.Integer()

    def _overdue(self, obj):
        return overdue(obj)

    def _delivery(self, obj):
        state = delivery_state(obj)
        return DeliveryStateSchema().dump(state) if state else None


LeadPageSchema = page_schema(LeadSchema, "LeadPage")


class LeadDetailSchema(LeadSchema):
    """One lead as its page shows it: with the checked object's name (the list leaves it out)."""
    object_name = fields.Method("_object_name", metadata={"description": "检查对象名称"})

    def _object_name(self, obj):
        o = db.session.get(InspectionObject, obj.object_id)
        return o.name if o else None


class SuggestionSchema(BaseSchema):
    finding_id = fields.String()
    category = fields.String()
    department_id = fields.Integer()
    department_name = fields.String()
    summary = fields.String()
    legal_basis = fields.String(allow_none=True)
    media_ids = fields.List(fields.String())
    evidence = fields.Dict()


class TimelineEntrySchema(BaseSchema):
    at = fields.DateTime()
    kind = fields.String()
    label = fields.String()
    status = fields.String(allow_none=True)
    user_id = fields.Integer(allow_none=True)
    department_id = fields.Integer(allow_none=True)
    data = fields.Dict()


class LeadCountsSchema(BaseSchema):
    open = fields.Integer()
    awaiting_receipt = fields.Integer()
    in_progress = fields.Integer()
    overdue_receipt = fields.Integer()
    overdue_feedback = fields.Integer()
    closed = fields.Integer()
    concluded = fields.Integer()
    returned = fields.Integer()
    undelivered = fields.Integer(metadata={"description": "投递失败、待人工跟进的（仅发送方）"})


class LeadDashboardRowSchema(BaseSchema):
    department_id = fields.Integer()
    department_code = fields.String()
    department_name = fields.String()
    received = fields.Nested(LeadCountsSchema)
    sent = fields.Nested(LeadCountsSchema)


class RectificationCreateSchema(BaseSchema):
    finding_id = fields.UUID(required=True)
    deadline_on = fields.Date(load_default=None, allow_none=True, metadata={"description": "整改期限（日期）"})
    deadline_workdays = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=1, max=250),
                                       metadata={"description": "整改期限（检查结束次日起的工作日数）"})


class RectificationDecisionSchema(BaseSchema):
    rectified = fields.Boolean(required=True)
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))
    lead = fields.Nested(LeadSpecSchema, load_default=None, allow_none=True,
                         metadata={"description": "逾期未改正时：移送本部门办案机构（立案）或其他部门"})


class RectificationListArgs(PageArgsSchema):
    status = fields.String(load_default=None, validate=validate.OneOf(["open", "follow_up", "rectified",
                                                                        "not_rectified"]))


class RectificationSchema(BaseSchema):
    id = fields.Integer()
    visit_id = fields.String()
    finding_id = fields.String()
    object_id = fields.Integer()
    department_id = fields.Integer()
    deadline_workdays = fields.Integer(allow_none=True)
    deadline_on = fields.Date()
    status = fields.String()
    followup_task_id = fields.Integer(allow_none=True)
    followup_visit_id = fields.String(allow_none=True)
    followup = fields.Method("_followup", metadata={"description": "复查记录的状态与检查结果（供作出复查结论）"})
    object_name = fields.Method("_object_name", metadata={"description": "检查对象名称"})
    finding_description = fields.Method("_finding", metadata={"description": "责令整改的问题"})
    lead_id = fields.Integer(allow_none=True)
    decision_note = fields.String(allow_none=True)
    decided_by = fields.Integer(allow_none=True)
    decided_at = fields.DateTime(allow_none=True)
    created_by = fields.Integer()
    created_at = fields.DateTime()


    # A listed order carries what it shows (`rectification.page`: one query per kind for the page);
    # a single order looks each up.
    @staticmethod
    def _shown(obj, what: str, model, key):
        shown = getattr(obj, "shown", None)
        return shown[what] if shown is not None else db.session.get(model, key)

    def _object_name(self, obj):
        o = self._shown(obj, "object", InspectionObject, obj.object_id)
        return o.name if o else None

    def _finding(self, obj):
        f = self._shown(obj, "finding", Finding, obj.finding_id)
        return f.description if f else None

    def _followup(self, obj):
        if not obj.followup_visit_id:
            return None

        visit = self._shown(obj, "visit", Visit, obj.followup_visit_id)
        record = self._shown(obj, "record", VisitRecord, obj.followup_visit_id)
        return {"visit_id": obj.followup_visit_id, "status": visit.status if visit else None,
                "scheduled_date": visit.scheduled_date.isoformat() if visit and visit.scheduled_date else None,
                "sealed": bool(record and record.sealed_at),
                "result_codes": list(((record.outcome or {}) if record else {}).get("codes") or [])}


RectificationPageSchema = page_schema(RectificationSchema, "RectificationPage")
