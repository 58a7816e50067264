"""Schemas of the staff and team-leader endpoints over visits."""
from __future__ import annotations

from marshmallow import fields, validate

from ..schemas import BaseSchema
from .rules import CASE_CODES, FOLLOWUPS, METHODS, RESULT_CODES


class PreviousResultSchema(BaseSchema):
    task = fields.String()
    date = fields.String()
    result = fields.String()
    authority = fields.String()


class ObjectBriefSchema(BaseSchema):
    """The business brief (Art. 19: read its registration and credit information before the visit)."""

    id = fields.Integer()
    name = fields.String()
    credit_code = fields.String(allow_none=True)
    object_type = fields.String()
    legal_rep_name = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    registered_address = fields.String(allow_none=True)
    business_address = fields.String(allow_none=True)
    region_code = fields.String(allow_none=True)
    region_name = fields.String(allow_none=True)
    industry = fields.String(allow_none=True)
    registration_status = fields.String(allow_none=True)
    online = fields.Boolean(allow_none=True)
    shop_url = fields.String(allow_none=True)
    risk_class = fields.String(allow_none=True, metadata={"description": "信用风险分类（仅后台人员可见；检查人员为 null）"})
    previous_results = fields.List(fields.Nested(PreviousResultSchema))


class TeamMemberSchema(BaseSchema):
    inspector_id = fields.Integer()
    user_id = fields.Integer(allow_none=True)
    name = fields.String(allow_none=True)
    department_id = fields.Integer()
    department_code = fields.String()
    role = fields.String(metadata={"description": "leader（组长）或 member"})
    slot = fields.String(metadata={"description": "抽取时的席位：leader 或所代表部门的代码"})
    cert_no = fields.String(allow_none=True)


class ScheduleWarningSchema(BaseSchema):
    code = fields.String(metadata={"description": "outside_window、inspector_double_booked"})
    message = fields.String()
    inspector_id = fields.Integer()
    inspector_name = fields.String(metadata={"description": "同一时段另有安排的执法人员姓名"})
    visit_id = fields.String()


class VisitScheduleSchema(BaseSchema):
    date = fields.String(allow_none=True)
    time_from = fields.String(allow_none=True)
    time_to = fields.String(allow_none=True)
    conflicts = fields.List(fields.Nested(ScheduleWarningSchema))


class GpsOutSchema(BaseSchema):
    lat = fields.Float()
    lon = fields.Float()
    accuracy = fields.Float(allow_none=True)


class ArrivalSchema(BaseSchema):
    at = fields.String()
    gps = fields.Nested(GpsOutSchema, allow_none=True)


class AnswerOutSchema(BaseSchema):
    value = fields.Raw(allow_none=True)
    note = fields.String(allow_none=True)
    by = fields.Integer(allow_none=True)
    department_id = fields.Integer(allow_none=True)
    version = fields.Integer()
    item_version = fields.Integer(allow_none=True)


class FindingOutSchema(BaseSchema):
    id = fields.String()
    item_id = fields.Integer(allow_none=True)
    checkpoint_key = fields.String(allow_none=True)
    description = fields.String()
    legal_basis = fields.String(allow_none=True)
    measures = fields.List(fields.String())
    rectify_deadline = fields.String(allow_none=True)
    media_ids = fields.List(fields.String())
    by = fields.Integer(allow_none=True)
    version = fields.Integer()
    unlicensed = fields.Boolean()


class MediaTargetOutSchema(BaseSchema):
    type = fields.String(allow_none=True)
    id = fields.String(allow_none=True)


class RecordMediaSchema(BaseSchema):
    media_id = fields.String()
    sha256 = fields.String()
    kind = fields.String()
    target = fields.Nested(MediaTargetOutSchema)
    arrived = fields.Boolean(metadata={"description": "原件已上传到服务器并核验"})


class OutcomeEvidenceSchema(BaseSchema):
    description = fields.String(allow_none=True)
    phone_attempt = fields.String(allow_none=True)
    refused_what = fields.String(allow_none=True)
    refused_how = fields.String(allow_none=True)
    witness = fields.String(allow_none=True)
    address_checked = fields.String(allow_none=True)
    neighbours_asked = fields.String(allow_none=True)
    media_ids = fields.List(fields.String())


class OutcomeOutSchema(BaseSchema):
    codes = fields.List(fields.String(), metadata={"description": "检查结果代码"})
    followup = fields.String(allow_none=True)
    followup_note = fields.String(allow_none=True)
    case = fields.String(allow_none=True, metadata={"description": "第二十一条情形（如 unreachable、refused）"})
    evidence = fields.Nested(OutcomeEvidenceSchema)


class SignatureOutSchema(BaseSchema):
    id = fields.String()
    role = fields.String()
    kind = fields.String(metadata={"description": "signature（签字）或 stamp（盖章）"})
    signer_name = fields.String()
    inspector_id = fields.Integer(allow_none=True)
    id_type = fields.String(allow_none=True, metadata={"description": "证件类型（resident_id、hmt_residence、hk_mo_permit、tw_permit、passport）"})
    id_number_masked = fields.String(allow_none=True)
    no_witness_reason = fields.String(allow_none=True, metadata={"description": "拒绝签字且未请见证人时，组长注明的原因"})
    content_sha256 = fields.String()
    image_media_id = fields.String(allow_none=True)
    refused = fields.Boolean()
    refusal_reason = fields.String(allow_none=True)
    server_verified = fields.Boolean()
    server_time = fields.String(allow_none=True)


class SealedSchema(BaseSchema):
    at = fields.String()
    content_sha256 = fields.String()


class AmendmentOutSchema(BaseSchema):
    id = fields.String()
    reason = fields.String()
    by = fields.Integer(allow_none=True)
    at = fields.String(allow_none=True)
    patch = fields.List(fields.Dict(), metadata={"description": "RFC 6902 JSON Patch over the sealed content"})


class ReviewCommentOutSchema(BaseSchema):
    id = fields.Integer()
    round = fields.Integer()
    kind = fields.String(metadata={"description": "return（退回）或 evidence（要求补充证据）"})
    target = fields.String()
    text = fields.String()
    at = fields.String()
    department = fields.String(allow_none=True, metadata={"description": "提出意见的部门代码（联合检查各部门分别审核）"})


class MethodDetailsOutSchema(BaseSchema):
    documents_received = fields.String(allow_none=True)
    urls = fields.List(fields.String())
    body = fields.String(allow_none=True)
    report_no = fields.String(allow_none=True)
    authority = fields.String(allow_none=True)
    document = fields.String(allow_none=True)
    document_date = fields.String(allow_none=True)
    reviewed_by = fields.String(allow_none=True, metadata={"description": "书面检查的审查人员（后台书面检查）"})


class RecordViewSchema(BaseSchema):
    arrival = fields.Nested(ArrivalSchema, allow_none=True)
    present = fields.List(fields.Integer(), metadata={"description": "到场执法人员的编号"})
    credentials_shown_at = fields.String(allow_none=True)
    rights_informed_at = fields.String(allow_none=True)
    method = fields.String(allow_none=True, metadata={"description": "onsite、documentary、online、delegated_body、other_authority"})
    method_details = fields.Nested(MethodDetailsOutSchema, allow_none=True)
    check_ended_at = fields.String(allow_none=True, metadata={"description": "检查结束时间（手机记录，带时区）"})
    answers = fields.Dict(keys=fields.String(), values=fields.Nested(AnswerOutSchema),
                          metadata={"description": "键为“事项编号:要点”"})
    findings = fields.List(fields.Nested(FindingOutSchema))
    media = fields.List(fields.Nested(RecordMediaSchema))
    outcome = fields.Nested(OutcomeOutSchema, allow_none=True)
    signatures = fields.List(fields.Nested(SignatureOutSchema))
    sealed = fields.Nested(SealedSchema, allow_none=True)
    amendments = fields.List(fields.Nested(AmendmentOutSchema))
    review_comments = fields.List(fields.Nested(ReviewCommentOutSchema))
    content_mismatches = fields.List(fields.Nested("ContentMismatchOutSchema"), metadata={
        "description": "联合检查交接后组员手机提交的内容与当事人签名内容不一致之处（双方内容均保留）"})
    version = fields.Integer()


class ContentMismatchOutSchema(BaseSchema):
    id = fields.Integer()
    field = fields.String(metadata={"description": "answers.<事项>:<要点>、findings.<编号>、media.<编号> 或 mutation:<操作>"})
    member_user_id = fields.Integer()
    mutation_id = fields.Integer(allow_none=True)
    signed = fields.Raw(allow_none=True, metadata={"description": "签名（交接）时的内容"})
    arrived = fields.Raw(allow_none=True, metadata={"description": "组员手机后来提交的内容"})
    source = fields.String(metadata={"description": "member_push（组员同步时发现）或 handoff（交接内容到达时发现）"})
    at = fields.String()


class ObjectClosedSchema(BaseSchema):
    status = fields.String()
    status_label = fields.String()
    on = fields.String(allow_none=True)
    batch_id = fields.String()
    note = fields.String()


class ReviewStateSchema(BaseSchema):
    department_id = fields.Integer()
    department_code = fields.String()
    department_name = fields.String()
    status = fields.String(metadata={"description": "pending、returned、evidence_requested、approved、published、withheld"})
    status_label = fields.String()
    round = fields.Integer(metadata={"description": "退回或要求补证的次数"})


class MethodChoiceSchema(BaseSchema):
    method = fields.String(required=True, validate=validate.OneOf(list(METHODS)),
                           metadata={"description": "onsite、documentary、online、delegated_body、other_authority"})


class PlannedMethodSchema(BaseSchema):
    code = fields.String()
    label = fields.String()
    source = fields.String(metadata={"description": "task：计划任务的默认方式；visit：组长（或计划部门）为本次检查确定"})
    chosen_by = fields.Integer(allow_none=True)


class VisitOutSchema(BaseSchema):
    id = fields.String()
    task_id = fields.String()
    status = fields.String(metadata={"description": "not_started、in_progress、sealed、withdrawn"})
    evidence_pending = fields.Boolean()
    review = fields.List(fields.Nested(ReviewStateSchema),
                         metadata={"description": "封存后各部门审核录入的状态（联合检查每个部门一条）"})
    object = fields.Nested(ObjectBriefSchema)
    team = fields.List(fields.Nested(TeamMemberSchema))
    schedule = fields.Nested(VisitScheduleSchema)
    record = fields.Nested(RecordViewSchema)
    planned_method = fields.Nested(PlannedMethodSchema, metadata={"description": "本次检查确定的检查方式"})
    object_closed = fields.Nested(ObjectClosedSchema, allow_none=True,
                                  metadata={"description": "名录数据显示对象已注销、吊销、撤销或迁出时的提示"})
    version = fields.Integer()


class ProgressSchema(BaseSchema):
    id = fields.String()
    task_id = fields.String()
    task_name = fields.String()
    object_name = fields.String()
    status = fields.String()
    evidence_pending = fields.Boolean()
    schedule = fields.Nested(VisitScheduleSchema)
    conflicts = fields.Integer()
    schedule_warnings = fields.List(fields.Nested(ScheduleWarningSchema))


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


class UnsealedArgs(BaseSchema):
    min_workdays = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=0, max=200),
                                  metadata={"description": "至少已过多少个工作日（默认 UNSEALED_ALERT_WORKDAYS）"})


class UnsealedRowSchema(BaseSchema):
    visit_id = fields.String()
    task_id = fields.Integer()
    task_name = fields.String()
    object_name = fields.String()
    method = fields.String()
    method_label = fields.String()
    checked_on = fields.Date(metadata={"description": "检查日期（手机记录的检查结束日；未记录结束时为到达日）"})
    check_ended = fields.Boolean(metadata={"description": "已记录检查结束"})
    workdays_since = fields.Integer(metadata={"description": "检查后已过的工作日数"})
    days_since = fields.Integer(metadata={"description": "检查后已过的自然日数"})
    due_on = fields.Date(metadata={"description": "结果录入截止日期（自检查日起 20 个工作日）"})
    deadline_provisional = fields.Boolean(metadata={"description": "日历缺失时为 true：截止日期为暂定"})
    leader_user_id = fields.Integer(allow_none=True)


class SectionDepartmentSchema(BaseSchema):
    id = fields.Integer()
    code = fields.String()
    name = fields.String()


class SectionHandoverSchema(BaseSchema):
    handed_over_at = fields.String(allow_none=True, metadata={"description": "交接时间（带时区）"})


class SectionSchema(BaseSchema):
    inspector_id = fields.Integer()
    user_id = fields.Integer(allow_none=True)
    name = fields.String(allow_none=True)
    role = fields.String(metadata={"description": "leader（组长）或 member"})
    department = fields.Nested(SectionDepartmentSchema)
    checkpoints_total = fields.Integer(metadata={"description": "本部门检查要点总数"})
    checkpoints_answered = fields.Integer(metadata={"description": "服务器已收到的本部门已填要点数"})
    complete = fields.Boolean(metadata={"description": "服务器上本部门的要点已全部填写"})
    answers_by_member = fields.Integer()
    findings_by_member = fields.Integer()
    last_push_at = fields.String(allow_none=True, metadata={"description": "该成员手机最近一次上传（同步）时间"})
    last_pull_at = fields.String(allow_none=True)
    handover = fields.Nested(SectionHandoverSchema, allow_none=True,
                             metadata={"description": "服务器所知的该成员部分已交接给组长手机；未知为 null"})
class DeskAnswerSchema(BaseSchema):
    item_id = fields.Integer(required=True)
    checkpoint_key = fields.String(required=True, validate=validate.Length(min=1, max=32))
    value = fields.String(required=True, allow_none=True, validate=validate.Length(max=2000))
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))


class DeskFindingSchema(BaseSchema):
    description = fields.String(required=True, validate=validate.Length(min=2, max=4000))
    legal_basis = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))


class DeskScanSchema(BaseSchema):
    content_type = fields.String(required=True, validate=validate.OneOf(["image/png", "image/jpeg"]))
    data = fields.String(required=True, validate=validate.Length(min=4, max=14_000_000),
                         metadata={"description": "图片的 base64 编码（单个不超过约 10 MB）"})


class DeskCheckSchema(BaseSchema):
    documents_received = fields.String(required=True, validate=validate.Length(min=2, max=2000),
                                       metadata={"description": "收到的书面材料（名称、份数、提交日期）"})
    reviewed_by = fields.String(required=True, validate=validate.Length(min=2, max=200),
                                metadata={"description": "审查书面材料的人员"})
    review_date = fields.Date(required=True, metadata={"description": "审查日期（即检查日期：录入期限自此起算）"})
    answers = fields.List(fields.Nested(DeskAnswerSchema), required=True, validate=validate.Length(max=3000))
    findings = fields.List(fields.Nested(DeskFindingSchema), load_default=list, validate=validate.Length(max=50))
    codes = fields.List(fields.String(validate=validate.OneOf([c for c in RESULT_CODES if c not in CASE_CODES])),
                        required=True, validate=validate.Length(min=1, max=10))
    followup = fields.String(load_default="none", validate=validate.OneOf(list(FOLLOWUPS)))
    followup_note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))
    scans = fields.List(fields.Nested(DeskScanSchema), load_default=list, validate=validate.Length(max=5),
                        metadata={"description": "书面材料的扫描件或照片（可选，原件由部门存档）"})


class DeskCheckOutSchema(BaseSchema):
    visit_id = fields.String()
    content_sha256 = fields.String()
    sealed_at = fields.DateTime()
    check_ended_on = fields.Date()


class DeskPendingSchema(BaseSchema):
    visit_id = fields.String()
    task_id = fields.Integer()
    task_name = fields.String()
    object_name = fields.String()
    credit_code = fields.String(allow_none=True)
    scheduled_date = fields.Date(allow_none=True)
    window_end = fields.Date()


class DeskCheckpointSchema(BaseSchema):
    key = fields.String()
    prompt = fields.String()
    answer_type = fields.String()
    choices = fields.List(fields.String())
    unit = fields.String(allow_none=True)


class DeskItemSchema(BaseSchema):
    item_id = fields.Integer()
    code = fields.String()
    name = fields.String()
    department_id = fields.Integer()
    documents_to_request = fields.List(fields.String())
    checkpoints = fields.List(fields.Nested(DeskCheckpointSchema))


class DeskFormSchema(BaseSchema):
    visit_id = fields.String()
    task_name = fields.String()
    object = fields.Nested(ObjectBriefSchema)
    items = fields.List(fields.Nested(DeskItemSchema))
    window_start = fields.Date()
    window_end = fields.Date()
    result_codes = fields.List(fields.Dict(), metadata={"description": "可选的检查结果（书面检查不含现场特殊情形）"})
    followups = fields.List(fields.Dict())
