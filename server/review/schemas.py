"""Request and response schemas of the back office's review endpoints."""
from __future__ import annotations

from marshmallow import fields, validate

from ..schemas import BaseSchema
from ..visits.schemas import (ArrivalSchema, MediaTargetOutSchema, MethodDetailsOutSchema, OutcomeOutSchema,
                              ReviewCommentOutSchema, VisitOutSchema)
from .models import REVIEW_STATUSES
from .service import SORTS


class QueueArgs(BaseSchema):
    status = fields.String(load_default=None, validate=validate.OneOf(list(REVIEW_STATUSES)))
    deadline = fields.String(load_default=None, validate=validate.OneOf(["ok", "due_soon", "overdue", "unknown", "done"]),
                             metadata={"description": "截止状态：ok、due_soon、overdue、unknown（日历缺失）、done"})
    task_id = fields.Integer(load_default=None, validate=validate.Range(min=1))
    department_id = fields.Integer(load_default=None, validate=validate.Range(min=1),
                                   metadata={"description": "录入部门编号（办公室与审计按部门筛选）"})
    q = fields.String(load_default=None, validate=validate.Length(max=100),
                      metadata={"description": "搜索：检查对象名称、统一社会信用代码、任务名称或编号、检查人员姓名"})
    sort = fields.String(load_default="due", validate=validate.OneOf(list(SORTS)),
                         metadata={"description": "due（截止日期由近到远）、-due、ended、-ended"})
    department = fields.String(load_default=None, validate=validate.Length(min=1, max=32),
                               metadata={"description": "部门代码（办公室按部门筛选；其他人员只看本部门的录入）"})


class QueueRowSchema(BaseSchema):
    visit_id = fields.String()
    task_id = fields.Integer()
    task_name = fields.String()
    task_code = fields.String()
    department_id = fields.Integer(metadata={"description": "录入该结果的部门"})
    inspectors = fields.List(fields.String())
    object_name = fields.String()
    credit_code = fields.String(allow_none=True)
    department = fields.String(metadata={"description": "录入该结果的部门代码（谁检查、谁录入）"})
    department_name = fields.String()
    joint = fields.Boolean(metadata={"description": "联合检查（多个部门各自录入）"})
    initiating = fields.Boolean(metadata={"description": "该部门是发起部门"})
    status = fields.String()
    status_label = fields.String()
    check_ended_on = fields.Date()
    due_on = fields.Date(allow_none=True)
    deadline_provisional = fields.Boolean(metadata={"description": "日历缺失时为 true：due_on 为暂定截止日期（界面标“暂定”）"})
    deadline_message = fields.String(allow_none=True, metadata={"description": "暂定截止日期的说明"})
    deadline_state = fields.String()
    entered_on_time = fields.Boolean(allow_none=True)
    result_codes = fields.List(fields.String())
    result_labels = fields.List(fields.Nested("CodeLabelSchema"))
    published_on = fields.Date(allow_none=True)
    revised_on = fields.Date(allow_none=True, metadata={"description": "公示后结果更新（更正）的日期"})
    returned_count = fields.Integer()
    evidence_pending = fields.Boolean()
    amended_since_sent_back = fields.Boolean(metadata={"description": "退回或要求补证后，检查组已提交补正"})


class CommentIn(BaseSchema):
    target = fields.String(required=True, validate=validate.Regexp(
        r"^(general|answer:\d+:[a-z0-9_-]+|finding:[0-9a-f-]{36}|media:[0-9a-f-]{36})$",
        error="意见对象须为 general、answer:事项:要点、finding:编号 或 media:编号。"))
    text = fields.String(required=True, validate=validate.Length(min=2, max=2000))


class SendBackSchema(BaseSchema):
    comments = fields.List(fields.Nested(CommentIn), required=True, validate=validate.Length(min=1, max=50))


class ApproveSchema(BaseSchema):
    result_codes = fields.List(fields.String(validate=validate.Length(min=1, max=4)), load_default=None,
                               validate=validate.Length(min=1, max=10), metadata={
                                   "description": "本部门录入的结果代码（省略时按本部门事项的检查情况取检查组的结果）"})


class ReasonSchema(BaseSchema):
    reason = fields.String(required=True, validate=validate.Length(min=2, max=2000))


class DecisionSchema(BaseSchema):
    approve = fields.Boolean(required=True)
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=1000))


class DisclosureSchema(BaseSchema):
    id = fields.Integer()
    visit_id = fields.String()
    department_id = fields.Integer()
    reason = fields.String()
    status = fields.String()
    requested_at = fields.DateTime()
    decided_at = fields.DateTime(allow_none=True)
    decision_note = fields.String(allow_none=True)


class WithholdingArgs(BaseSchema):
    status = fields.String(load_default=None, validate=validate.OneOf(["requested", "approved", "rejected"]))


class WithholdingSchema(DisclosureSchema):
    """A withholding request with the record it concerns (the leader decides from this)."""
    requested_by = fields.String(allow_none=True)
    decided_by = fields.String(allow_none=True)
    object_name = fields.String()
    credit_code = fields.String(allow_none=True)
    task_name = fields.String()
    department = fields.String(metadata={"description": "申请不予公示其结果的部门代码"})
    department_name = fields.String()
    result = fields.String(allow_none=True)


class EntrySchema(BaseSchema):
    """One department's entry of the record's result."""

    department = fields.String()
    department_name = fields.String()
    initiating = fields.Boolean()
    items = fields.List(fields.String(), metadata={"description": "该部门负责的抽查事项编号"})
    status = fields.String()
    status_label = fields.String()
    due_on = fields.String(allow_none=True)
    deadline_provisional = fields.Boolean()
    deadline_message = fields.String(allow_none=True)
    check_ended_on = fields.String()
    entered_on_time = fields.Boolean(allow_none=True)
    entered_at = fields.String(allow_none=True)
    result_codes = fields.List(fields.String())
    result_labels = fields.List(fields.Nested(lambda: CodeLabelSchema()))
    returned_count = fields.Integer()
    published = fields.Boolean()
    amended_since_sent_back = fields.Boolean()


class ReviewStateSchema(EntrySchema):
    writable = fields.Boolean(metadata={"description": "当前用户所在部门可录入此结果"})
    proposed_labels = fields.List(fields.Nested(lambda: CodeLabelSchema()), allow_none=True, metadata={
        "description": "本部门录入待审核时：不另选结果代码直接审核通过将录入的结果"})
    result_choices = fields.List(fields.Nested(lambda: CodeLabelSchema()), allow_none=True, metadata={
        "description": "本部门录入待审核时：审核通过时可另选的结果代码（approve 的 result_codes）"})


class SummaryStateSchema(BaseSchema):
    published = fields.Boolean()
    result = fields.String(allow_none=True)
    pending_departments = fields.List(fields.String())
    publishable = fields.Boolean()


class AuditTrailEntrySchema(BaseSchema):
    seq = fields.Integer()
    at = fields.String()
    action = fields.String()
    actor_user_id = fields.Integer(allow_none=True)
    actor = fields.String(allow_none=True)
    entry_hash = fields.String()


class CodeLabelSchema(BaseSchema):
    code = fields.String()
    label = fields.String()


class NameCodeSchema(BaseSchema):
    code = fields.String()
    name = fields.String()


class SheetTaskSchema(NameCodeSchema):
    check_type = fields.String()


class SheetBusinessSchema(BaseSchema):
    name = fields.String()
    credit_code = fields.String(allow_none=True)
    object_type = fields.String()
    address = fields.String(allow_none=True)
    registered_address = fields.String(allow_none=True)
    legal_rep_name = fields.String(allow_none=True)
    legal_rep_id_number = fields.String(allow_none=True, metadata={"description": "脱敏后的证件号码"})


class SheetMemberSchema(BaseSchema):
    name = fields.String(allow_none=True)
    department = fields.String(allow_none=True)
    cert_no = fields.String(allow_none=True)
    role = fields.String()
    present = fields.Boolean()


class SheetCheckpointSchema(BaseSchema):
    key = fields.String()
    prompt = fields.String()
    answer_type = fields.String()
    value = fields.Raw(allow_none=True)
    unit = fields.String(allow_none=True)
    note = fields.String(allow_none=True)
    answered_by = fields.String(allow_none=True)
    department = fields.String(allow_none=True)
    amended = fields.Dict(allow_none=True, metadata={"description": "补正后的值（value、note）；未补正为 null"})


class SheetItemSchema(BaseSchema):
    item_id = fields.Integer()
    code = fields.String()
    name = fields.String()
    department = fields.String(allow_none=True)
    checkpoints = fields.List(fields.Nested(SheetCheckpointSchema))


class SheetFindingSchema(BaseSchema):
    item = fields.String()
    checkpoint = fields.String(allow_none=True)
    description = fields.String()
    legal_basis = fields.String(allow_none=True)
    measures = fields.List(fields.String())
    rectify_deadline = fields.String(allow_none=True)


class SheetSignatureSchema(BaseSchema):
    id = fields.String()
    role = fields.String()
    signer_name = fields.String()
    signed_at = fields.String(allow_none=True)
    refused = fields.Boolean()
    refusal_reason = fields.String(allow_none=True)
    kind = fields.String(metadata={"description": "signature（签字）或 stamp（盖章）"})
    id_type = fields.String(allow_none=True, metadata={"description": "证件类型（中文名称）"})
    id_number_masked = fields.String(allow_none=True)
    no_witness_reason = fields.String(allow_none=True)
    server_verified = fields.Boolean()
    image_media_id = fields.String(allow_none=True)


class SheetPhotoSchema(BaseSchema):
    kind = fields.String()
    sha256 = fields.String()
    captured_at = fields.String(allow_none=True)
    caption = fields.String()


class SheetAmendmentSchema(BaseSchema):
    at = fields.String(allow_none=True)
    by = fields.String(allow_none=True)
    reason = fields.String()
    summary = fields.String(metadata={"description": "补正内容的文字说明"})


class SheetMediaSchema(BaseSchema):
    media_id = fields.String()
    kind = fields.String()
    sha256 = fields.String()
    target = fields.Nested(MediaTargetOutSchema)
    arrived = fields.Boolean()
    claim = fields.Dict(metadata={"description": "应用声明的拍摄时间、位置、设备"})
    exif = fields.Dict(metadata={"description": "原件 EXIF 中的时间、位置、设备"})
    width = fields.Integer(allow_none=True)
    height = fields.Integer(allow_none=True)


class SheetSchema(BaseSchema):
    """The record laid out as the record PDF prints it, plus what only the desk shows."""

    record_no = fields.String()
    content_sha256 = fields.String()
    verify_url = fields.String()
    sealed_at = fields.String()
    plan = fields.Nested(NameCodeSchema)
    task = fields.Nested(SheetTaskSchema)
    authority = fields.String()
    business = fields.Nested(SheetBusinessSchema)
    team = fields.List(fields.Nested(SheetMemberSchema))
    arrival = fields.Nested(ArrivalSchema, allow_none=True)
    method = fields.String(allow_none=True)
    method_details = fields.Nested(MethodDetailsOutSchema, allow_none=True)
    check_ended_at = fields.String(allow_none=True)
    credentials_shown_at = fields.String(allow_none=True)
    rights_informed_at = fields.String(allow_none=True)
    items = fields.List(fields.Nested(SheetItemSchema))
    findings = fields.List(fields.Nested(SheetFindingSchema))
    outcome = fields.Nested(OutcomeOutSchema, allow_none=True)
    signatures = fields.List(fields.Nested(SheetSignatureSchema))
    photos = fields.List(fields.Nested(SheetPhotoSchema))
    amendments = fields.List(fields.Nested(SheetAmendmentSchema))
    media = fields.List(fields.Nested(SheetMediaSchema))
    outcome_labels = fields.List(fields.Nested(CodeLabelSchema))
    sealed_outcome_labels = fields.List(fields.Nested(CodeLabelSchema), allow_none=True)
    followup_label = fields.String(allow_none=True)
    followup_note = fields.String(allow_none=True)
    case_label = fields.String(allow_none=True, metadata={"description": "第二十一条情形（拒绝配合、无法联系等）"})
    outcome_evidence = fields.List(fields.Nested("EvidenceLineSchema"), metadata={
        "description": "第二十一条情形的证据（拒绝配合的事项、拒绝方式、见证人、情况说明、电话联系情况）"})
    outcome_media_ids = fields.List(fields.String())


class EvidenceLineSchema(BaseSchema):
    key = fields.String()
    label = fields.String()
    text = fields.String()


class DetailSchema(BaseSchema):
    visit = fields.Nested(VisitOutSchema)
    review = fields.Nested(ReviewStateSchema, allow_none=True, metadata={
        "description": "当前用户所在部门的录入（无本部门录入时为发起部门的）"})
    entries = fields.List(fields.Nested(EntrySchema), metadata={"description": "各检查部门的录入"})
    summary = fields.Nested(SummaryStateSchema, allow_none=True, metadata={
        "description": "联合检查汇总结果的公示状态（单部门检查为 null）"})
    comments = fields.List(fields.Nested(ReviewCommentOutSchema))
    binding_verified = fields.Boolean()
    sheet = fields.Nested(SheetSchema, metadata={
        "description": "按事项排列的记录（含部门、检查要点、照片 EXIF 与应用声明并列、签名、补正）"})
    audit_trail = fields.List(fields.Nested(AuditTrailEntrySchema))
    withholdings = fields.List(fields.Nested(WithholdingSchema))
    published = fields.Nested("PublishedSchema", allow_none=True, metadata={
        "description": "review 所指部门录入的公示结果（联合检查汇总见 summary）"})


class PublishedSchema(BaseSchema):
    plan_no = fields.String()
    plan_name = fields.String()
    task_no = fields.String()
    task_name = fields.String()
    check_type = fields.String()
    authority = fields.String()
    completed_on = fields.String()
    result = fields.String()
    object_name = fields.String()
    credit_code = fields.String(allow_none=True)
    market_entity = fields.Boolean()
    kind = fields.String(metadata={"description": "department：部门检查结果；joint：联合检查汇总"})
    kind_label = fields.String()
    revised_on = fields.String(allow_none=True, metadata={"description": "公示后结果更新的日期"})
    corrected_on = fields.String(allow_none=True, metadata={"description": "因异议成立而更正的日期"})
    id = fields.Integer(metadata={"description": "公示结果编号（提出异议时用）"})
    published_at = fields.String(allow_none=True)
