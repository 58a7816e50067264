"""Back-office endpoints: the review queue and its actions, publication and withholding."""
from __future__ import annotations

from flask import Response

from ..accounts.auth import current_principal, requires
from ..accounts.models import Role
from ..audit import service as audit
from ..draws.models import InspectionTask
from ..extensions import db
from ..http import Blueprint
from ..visits.models import Visit, VisitRecord
from . import publication, record, service
from .detail import review_detail
from .models import Review
from .schemas import (ApproveSchema, DecisionSchema, DetailSchema, DisclosureSchema, PublishedSchema, QueueArgs,
                      QueueRowSchema, ReasonSchema, SendBackSchema, WithholdingArgs, WithholdingSchema)

blp = Blueprint("review", __name__, url_prefix="/api/v1/reviews", description="后台审核、结果录入与公示")
REVIEWERS = (Role.REVIEWER, Role.DEPT_ADMIN)
READERS = (Role.REVIEWER, Role.DEPT_ADMIN, Role.DEPT_LEADER, Role.OFFICE_ADMIN, Role.AUDITOR)


@blp.route("", methods=["GET"])
@requires(*READERS)
@blp.arguments(QueueArgs, location="query")
@blp.response(200, QueueRowSchema(many=True))
def queue(args):
    """审核队列：本部门检查过的已封存记录（联合检查各部门各自录入本部门事项的结果），按录入截止日期排序"""
    return service.queue(current_principal(), args["status"], args["deadline"], args["task_id"], args["sort"],
                         args["department"], args["q"], args["department_id"])


@blp.route("/<uuid:visit_id>", methods=["GET"])
@requires(*READERS)
@blp.response(200, DetailSchema)
def detail(visit_id):
    """审核详情：答案、发现问题、结果、照片、签名（服务器重新核验绑定）、补正与审计轨迹（本次查阅也记入审计日志）"""
    body = review_detail(current_principal(), str(visit_id))
    audit.record(db.session, "record.read", "visit", str(visit_id), {"view": "detail"})
    db.session.commit()
    return body


@blp.route("/<uuid:visit_id>/approve", methods=["POST"])
@requires(*REVIEWERS)
@blp.arguments(ApproveSchema(), required=False)
@blp.response(200, QueueRowSchema)
def approve(args, visit_id):
    """审核通过并录入本部门事项的结果（证据未到齐时拒绝；结果代码与本部门事项的检查情况不一致时拒绝）"""
    review = service.approve(current_principal(), str(visit_id), (args or {}).get("result_codes"))
    db.session.commit()
    return _row(review)


@blp.route("/<uuid:visit_id>/return", methods=["POST"])
@requires(*REVIEWERS)
@blp.arguments(SendBackSchema)
@blp.response(200, QueueRowSchema)
def send_back(args, visit_id):
    """退回检查组（按事项、要点或照片逐条提出意见；检查组以补正答复）"""
    review = service.send_back(current_principal(), str(visit_id), args["comments"], "return")
    db.session.commit()
    return _row(review)


@blp.route("/<uuid:visit_id>/request-evidence", methods=["POST"])
@requires(*REVIEWERS)
@blp.arguments(SendBackSchema)
@blp.response(200, QueueRowSchema)
def request_evidence(args, visit_id):
    """要求补充证据"""
    review = service.send_back(current_principal(), str(visit_id), args["comments"], "evidence")
    db.session.commit()
    return _row(review)


@blp.route("/<uuid:visit_id>/publish", methods=["POST"])
@requires(*REVIEWERS)
@blp.response(200, PublishedSchema)
def publish(visit_id):
    """公示本部门录入的检查结果（一行，写明本部门）"""
    row = publication.publish(current_principal(), str(visit_id))
    db.session.commit()
    return publication.public_row(row)


@blp.route("/<uuid:visit_id>/publish-summary", methods=["POST"])
@requires(*REVIEWERS)
@blp.response(200, PublishedSchema)
def publish_summary(visit_id):
    """公示联合检查的汇总结果（发起部门；各部门均已录入后）"""
    row = publication.publish_summary(current_principal(), str(visit_id))
    db.session.commit()
    return publication.public_row(row)


@blp.route("/<uuid:visit_id>/withhold", methods=["POST"])
@requires(*REVIEWERS)
@blp.arguments(ReasonSchema)
@blp.response(201, DisclosureSchema)
def withhold(args, visit_id):
    """申请本部门的结果不予公示（须本部门领导批准）"""
    d = publication.request_withholding(current_principal(), str(visit_id), args["reason"])
    db.session.commit()
    return d


@blp.route("/withholdings", methods=["GET"])
@requires(*READERS)
@blp.arguments(WithholdingArgs, location="query")
@blp.response(200, WithholdingSchema(many=True))
def list_withholdings(args):
    """不予公示申请（本部门任务；办公室与审计：全部），待审批的在前"""
    return publication.withholdings(current_principal(), args["status"])


@blp.route("/withholdings/<int:request_id>/decision", methods=["POST"])
@requires(Role.DEPT_LEADER)
@blp.arguments(DecisionSchema)
@blp.response(200, DisclosureSchema)
def decide_withholding(args, request_id):
    """部门领导审批本部门的不予公示申请"""
    d = publication.decide_withholding(current_principal(), request_id, args["approve"], args["note"])
    db.session.commit()
    return d


@blp.route("/<uuid:visit_id>/record.pdf", methods=["GET"])
@requires(*READERS)
@blp.doc(responses={"200": {"description": "记录表 PDF", "content": {"application/pdf": {
    "schema": {"type": "string", "format": "binary"}}}}})
@blp.response(200, description="记录表 PDF")
def record_pdf(visit_id):
    """随机抽查情况记录表（PDF，中文字体内嵌，含内容哈希与核验二维码）"""
    visit, rec, task = service.sealed_visit(current_principal(), str(visit_id))
    data = record.render(visit, rec, task)
    name = record.record_no(task, visit)
    audit.record(db.session, "record.read", "visit", visit.id, {"view": "pdf", "content_sha256": rec.content_sha256})
    db.session.commit()
    return Response(data, mimetype="application/pdf", headers={
        "Content-Disposition": f"attachment; filename=record-{visit.id}.pdf; filename*=UTF-8''{name}.pdf"})


def _row(review: Review) -> dict:
    visit = db.session.get(Visit, review.visit_id)
    return service.queue_row(visit, db.session.get(VisitRecord, visit.id), db.session.get(InspectionTask, visit.task_id),
                             review)


