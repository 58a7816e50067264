"""`/api/v1/leads/…`: leads from findings, the receiver's steps, timeline, dashboard, rectification orders."""
from __future__ import annotations

from flask import Response, request

from ..accounts.auth import current_principal, requires
from ..audit import service as audit
from ..dbsetup import begin_write
from ..delivery import outbox
from ..draws.models import InspectionTask
from ..extensions import db
from ..http import Blueprint
from ..review import record
from ..visits.models import Visit, VisitRecord
from . import feedback, idempotency, rectification, reminders, service, timeline, inbound as inbound_hooks
from .access import AUTHORS, READERS, STAFF, visible_lead, visible_order
from .schemas import (ConcludeSchema, LeadCreateSchema, LeadDashboardRowSchema, LeadDetailSchema, LeadListArgs,
                      LeadPageSchema, LeadSchema, NoteSchema, ReceiveSchema, RectificationCreateSchema,
                      RectificationDecisionSchema, RectificationListArgs, RectificationPageSchema, RectificationSchema, ReturnSchema, SuggestArgs,
                      SuggestionSchema, TimelineEntrySchema)

blp = Blueprint("leads", __name__, url_prefix="/api/v1/leads", description="违法线索移送、签收与反馈，责令整改跟进")

# Receivers fetch a lead they were sent with their own token (`/api/v1/delivery/subjects/lead/<id>`).
outbox.register_subject("lead", service.subject_view)

IDEMPOTENCY_DOC = {"parameters": [{"in": "header", "name": "Idempotency-Key", "required": False,
                                   "schema": {"type": "string", "maxLength": 200},
                                   "description": "同一键、同一请求体重复提交时返回首次结果；同一键、不同请求体返回 409"}]}


@blp.route("", methods=["GET"])
@requires(*READERS)
@blp.arguments(LeadListArgs, location="query")
@blp.response(200, LeadPageSchema)
def list_leads(args):
    """本部门移送或收到的线索（办公室与审计：全部）"""
    return service.page(current_principal(), args)


@blp.route("", methods=["POST"])
@requires(*AUTHORS)
@blp.arguments(LeadCreateSchema)
@blp.response(201, LeadSchema)
@blp.doc(**IDEMPOTENCY_DOC)
def create_lead(args):
    """由已封存记录中的问题移送线索（审核人员或检查组组长；证据到齐后才可移送；支持 Idempotency-Key）"""
    p = current_principal()
    args = {**args, "finding_id": str(args["finding_id"]),
            "media_ids": None if args["media_ids"] is None else [str(m) for m in args["media_ids"]]}
    return idempotency.run(p.department_id, idempotency.key_from_request(), request.get_json(silent=True),
                           lambda: LeadSchema().dump(service.create_lead(p, args)), status=201)


@blp.route("/suggestion", methods=["GET"])
@requires(*AUTHORS)
@blp.arguments(SuggestArgs, location="query")
@blp.response(200, SuggestionSchema)
def suggest(args):
    """移送建议：违反事项所属部门、问题描述、法律依据与证据是否到齐"""
    return service.suggestion(current_principal(), str(args["finding_id"]))


@blp.route("/dashboard", methods=["GET"])
@requires(*READERS)
@blp.response(200, LeadDashboardRowSchema(many=True))
def dashboard():
    """各部门线索概况：办理中、签收超期、反馈超期、已办结"""
    return reminders.dashboard(current_principal())


@blp.route("/<int:lead_id>", methods=["GET"])
@requires(*READERS)
@blp.response(200, LeadDetailSchema)
def get_lead(lead_id):
    """线索详情（含投递状态与是否超期）；发送部门以外的获取均记入审计日志"""
    return service.read_lead(current_principal(), lead_id)


@blp.route("/<int:lead_id>/timeline", methods=["GET"])
@requires(*READERS)
@blp.response(200, TimelineEntrySchema(many=True))
def get_timeline(lead_id):
    """线索全过程：每次状态变化、投递尝试、获取、签收、反馈与提醒"""
    return timeline.timeline(visible_lead(current_principal(), lead_id))


@blp.route("/<int:lead_id>/record.pdf", methods=["GET"])
@requires(*READERS)
@blp.doc(responses={"200": {"description": "检查记录表 PDF", "content": {"application/pdf": {
    "schema": {"type": "string", "format": "binary"}}}}})
@blp.response(200, description="检查记录表 PDF")
def record_pdf(lead_id):
    """线索所附检查记录表（PDF）；每次获取均记入审计日志"""
    p = current_principal()
    lead = visible_lead(p, lead_id)
    visit = db.session.get(Visit, lead.visit_id)
    data = record.render(visit, db.session.get(VisitRecord, visit.id), db.session.get(InspectionTask, visit.task_id))
    begin_write()
    audit.record(db.session, "lead.record_pdf", "lead", lead_id, {"visit_id": visit.id,
                                                                  "department_id": p.department_id})
    db.session.commit()
    return Response(data, mimetype="application/pdf",
                    headers={"Content-Disposition": f"attachment; filename=lead-{lead_id}-record.pdf"})


def _step(fn, lead_id: int, args: dict) -> Response:
    p = current_principal()
    body = request.get_json(silent=True)
    return idempotency.run(p.department_id, idempotency.key_from_request(), body,
                           lambda: LeadSchema().dump(fn(p, lead_id, args)))


@blp.route("/<int:lead_id>/receipt", methods=["POST"])
@requires(*STAFF)
@blp.arguments(ReceiveSchema)
@blp.response(200, LeadSchema)
@blp.doc(**IDEMPOTENCY_DOC)
def receive(args, lead_id):
    """签收（仅接收部门；支持 Idempotency-Key）"""
    return _step(feedback.receive, lead_id, args)


@blp.route("/<int:lead_id>/progress", methods=["POST"])
@requires(*STAFF)
@blp.arguments(NoteSchema)
@blp.response(200, LeadSchema)
@blp.doc(**IDEMPOTENCY_DOC)
def start(args, lead_id):
    """标记为办理中（仅接收部门；支持 Idempotency-Key）"""
    return _step(feedback.start, lead_id, args)


@blp.route("/<int:lead_id>/conclusion", methods=["POST"])
@requires(*STAFF)
@blp.arguments(ConcludeSchema)
@blp.response(200, LeadSchema)
@blp.doc(**IDEMPOTENCY_DOC)
def conclude(args, lead_id):
    """办结反馈：结果、决定书文号与文书（仅接收部门；支持 Idempotency-Key）"""
    return _step(feedback.conclude, lead_id, args)


@blp.route("/<int:lead_id>/return", methods=["POST"])
@requires(*STAFF)
@blp.arguments(ReturnSchema)
@blp.response(200, LeadSchema)
@blp.doc(**IDEMPOTENCY_DOC)
def give_back(args, lead_id):
    """退回线索并说明理由（仅接收部门；支持 Idempotency-Key）"""
    return _step(feedback.give_back, lead_id, args)


@blp.route("/rectifications", methods=["GET"])
@requires(*READERS)
@blp.arguments(RectificationListArgs, location="query")
@blp.response(200, RectificationPageSchema)
def list_orders(args):
    """责令整改（本部门任务或本部门下达的；办公室与审计：全部）"""
    return rectification.page(current_principal(), args)


@blp.route("/rectifications", methods=["POST"])
@requires(*AUTHORS)
@blp.arguments(RectificationCreateSchema)
@blp.response(201, RectificationSchema)
def create_order(args):
    """下达责令限期改正（期限为日期或工作日数；到期后自动生成复查任务）"""
    order = rectification.create_order(current_principal(), {**args, "finding_id": str(args["finding_id"])})
    db.session.commit()
    return order


@blp.route("/rectifications/<int:order_id>", methods=["GET"])
@requires(*READERS)
@blp.response(200, RectificationSchema)
def get_order(order_id):
    """整改令详情"""
    return visible_order(current_principal(), order_id)[0]


@blp.route("/rectifications/<int:order_id>/decision", methods=["POST"])
@requires(*AUTHORS)
@blp.arguments(RectificationDecisionSchema)
@blp.response(200, RectificationSchema)
def decide_order(args, order_id):
    """复查结论：已改正（记录结果追加 E）或逾期未改正（移送线索或立案）"""
    if args.get("lead") and args["lead"].get("media_ids") is not None:
        args["lead"]["media_ids"] = [str(m) for m in args["lead"]["media_ids"]]
    order = rectification.decide(current_principal(), order_id, args)
    db.session.commit()
    return order


hooks_blp = Blueprint("lead_hooks", __name__, url_prefix="/hooks/v1/leads",
                      description="部门业务系统以签名 webhook 回传签收、办理与办结（Standard Webhooks 签名）")
_SIGNED = {"parameters": [{"in": "header", "name": n, "required": True, "schema": {"type": "string"}}
                          for n in ("webhook-id", "webhook-timestamp", "webhook-signature")],
           "security": [],
           "requestBody": {"required": True, "content": {"application/json": {"schema": {
               "type": "object", "required": ["type", "lead_id"],
               "properties": {"type": {"type": "string", "enum": ["lead.received", "lead.in_progress", "lead.concluded",
                                                                  "lead.returned"]},
                              "lead_id": {"type": "integer"}, "data": {"type": "object"}}}}}}}


@hooks_blp.route("/<dept_code>", methods=["POST"])
@hooks_blp.doc(**_SIGNED)
@hooks_blp.response(200, LeadSchema)
def inbound(dept_code):
    """接收部门以签名 webhook 回传一步（webhook-id 即幂等键；签名密钥与该部门接收端点相同）"""
    return inbound_hooks.handle(dept_code)
