"""HTTP endpoints of draws: launch, reveal, views, replacements and substitutions."""
from __future__ import annotations

from flask import Response
from sqlalchemy import select

from ..accounts.auth import current_principal, requires
from ..accounts.models import Role
from ..errors import Conflict, NotFound
from ..extensions import db
from ..http import Blueprint
from ..observability import metrics
from . import access, events, export, service, views
from .models import DrawEvent, InspectionTask
from .schemas import (AuditPackageSchema, DecisionSchema, DrawPublicSchema, EventSchema, LaunchSchema, ReplacementSchema,
                      RevealSchema, SubstitutionSchema, TaskSchema)

blp = Blueprint("draws", __name__, url_prefix="/api/v1/draws", description="双随机抽取（可验证）")
STAFF = (Role.DEPT_ADMIN, Role.DEPT_LEADER, Role.REVIEWER, Role.OFFICE_ADMIN, Role.AUDITOR)


def _visible_task(task_id: int) -> InspectionTask:
    task = service.get_task(task_id)
    if not access.may_read_task(current_principal(), task):
        raise NotFound("抽查任务不存在。", code="task_not_found")
    return task


@blp.route("", methods=["GET"])
@requires(*STAFF)
@blp.response(200, TaskSchema(many=True))
def list_tasks():
    """抽查任务（本部门发起或参与的；办公室与审计可见全部）"""
    stmt = select(InspectionTask).where(access.readable_tasks(current_principal())).order_by(InspectionTask.id.desc())
    return list(db.session.execute(stmt.limit(500)).scalars())


@blp.route("", methods=["POST"])
@requires(Role.DEPT_ADMIN)
@blp.arguments(LaunchSchema)
@blp.response(201, DrawPublicSchema)
def launch(args):
    """启动任务：固定候选名单与执法人员库，公布哈希与承诺值（此时随机数尚未产生）"""
    task = service.launch(current_principal(), args["plan_task_id"], args["beacon"], args["borrow"])
    db.session.commit()
    return views.public_view(task, staff=True)


@blp.route("/<int:task_id>", methods=["GET"])
@requires(*STAFF)
@blp.response(200, DrawPublicSchema)
def get_draw(task_id):
    """抽取情况（与公开页相同的信息）"""
    return views.public_view(_visible_task(task_id), staff=True)


@blp.route("/<int:task_id>/reveal", methods=["POST"])
@requires(Role.DEPT_ADMIN)
@blp.arguments(RevealSchema)
@blp.response(200, DrawPublicSchema)
def reveal(args, task_id):
    """录入事先指定的公开随机数，完成抽取（只能进行一次）"""
    with metrics.timed(metrics.DRAW_SECONDS, "reveal"):
        task = service.reveal(current_principal(), task_id, args["beacon_value"], args["published_at"],
                              args["reference"])
        db.session.commit()
    return views.public_view(task, staff=True)


@blp.route("/<int:task_id>/audit-package", methods=["GET"])
@requires(Role.OFFICE_ADMIN, Role.AUDITOR)
@blp.response(200, AuditPackageSchema)
def audit_package(task_id):
    """审计包：供 tools/verify_draw.py 独立复核的完整数据"""
    task = service.get_task(task_id)
    if task.draw.seed_hex is None:
        raise Conflict("任务尚未完成抽取。", code="not_drawn")
    # Built as text, the stored snapshot and rankings spliced in (export.py): a million-row
    # package would otherwise become a million dicts and a marshmallow dump.
    chunks = [c.encode("utf-8") for c in export.audit_package_chunks(task)]
    return Response(chunks, mimetype="application/json", headers={
        "Content-Disposition": f'attachment; filename="audit-package-{task.code}.json"',
        "Content-Length": str(sum(map(len, chunks)))})


@blp.route("/<int:task_id>/events", methods=["GET"])
@requires(*STAFF)
@blp.response(200, EventSchema(many=True))
def list_events(task_id):
    """调换与递补申请"""
    task = _visible_task(task_id)
    return list(db.session.execute(select(DrawEvent).where(DrawEvent.task_id == task.id).order_by(DrawEvent.id)).scalars())


@blp.route("/<int:task_id>/replacements", methods=["POST"])
@requires(Role.DEPT_ADMIN, Role.INSPECTOR)
@blp.arguments(ReplacementSchema)
@blp.response(201, EventSchema)
def request_replacement(args, task_id):
    """申请调换执法人员（第十七条：利害关系、岗位调整、工作冲突、身体健康）"""
    ev = events.request_replacement(current_principal(), task_id, args["object_id"], args["inspector_id"],
                                    args["reason_code"], args["reason"], args["evidence"])
    db.session.commit()
    return ev


@blp.route("/<int:task_id>/substitutions", methods=["POST"])
@requires(Role.DEPT_ADMIN)
@blp.arguments(SubstitutionSchema)
@blp.response(201, EventSchema)
def request_substitution(args, task_id):
    """申请递补检查对象（仅限检查前发现超出任务范围的对象）"""
    ev = events.request_substitution(current_principal(), task_id, args["object_id"], args["reason"], args["evidence"])
    db.session.commit()
    return ev


@blp.route("/<int:task_id>/events/<int:event_id>/decision", methods=["POST"])
@requires(Role.DEPT_LEADER)
@blp.arguments(DecisionSchema)
@blp.response(200, EventSchema)
def decide(args, task_id, event_id):
    """部门领导审批调换/递补申请；同意后按原排序自动另行匹配"""
    ev = events.decide(current_principal(), task_id, event_id, args["approve"], args["note"])
    db.session.commit()
    return ev
