"""HTTP endpoints of annual plans."""
from __future__ import annotations

from ..accounts.auth import current_principal, requires
from ..accounts.models import Role
from ..extensions import db
from ..http import Blueprint
from . import service
from .schemas import (ApproveSchema, DiffArgs, DiffSchema, PlanCreateSchema, PlanListArgs, PlanOutSchema, ReasonSchema,
                      TaskInSchema, TaskOutSchema)
from .views import plan_view, task_view

blp = Blueprint("plans", __name__, url_prefix="/api/v1/plans", description="年度部门联合抽查计划")
READERS = (Role.DEPT_ADMIN, Role.DEPT_LEADER, Role.REVIEWER, Role.OFFICE_ADMIN, Role.AUDITOR)


@blp.route("", methods=["GET"])
@requires(*READERS)
@blp.arguments(PlanListArgs, location="query")
@blp.response(200, PlanOutSchema(many=True))
def list_plans(args):
    """计划列表（本部门、参与的联合任务所在计划；办公室与审计可见全部）"""
    return [plan_view(p) for p in service.list_plans(current_principal(), args["year"], args["department_id"])]


@blp.route("", methods=["POST"])
@requires(Role.DEPT_ADMIN)
@blp.arguments(PlanCreateSchema)
@blp.response(201, PlanOutSchema)
def create_plan(args):
    """起草本部门年度计划"""
    plan = service.create_plan(current_principal(), args)
    db.session.commit()
    return plan_view(plan)


@blp.route("/<int:plan_id>", methods=["GET"])
@requires(*READERS)
@blp.response(200, PlanOutSchema)
def get_plan(plan_id):
    """计划详情（最新版本）"""
    return plan_view(service.get_plan(current_principal(), plan_id))


@blp.route("/<int:plan_id>/versions/<int:version>", methods=["GET"])
@requires(*READERS)
@blp.response(200, PlanOutSchema)
def get_plan_version(plan_id, version):
    """计划的某一版本"""
    return plan_view(service.get_plan(current_principal(), plan_id), version)


@blp.route("/<int:plan_id>/diff", methods=["GET"])
@requires(*READERS)
@blp.arguments(DiffArgs, location="query")
@blp.response(200, DiffSchema)
def diff(args, plan_id):
    """比较两个版本（调整前后）的差异"""
    return service.diff(service.get_plan(current_principal(), plan_id), args["base"], args["target"])


@blp.route("/<int:plan_id>/tasks", methods=["PUT"])
@requires(Role.DEPT_ADMIN)
@blp.arguments(TaskInSchema)
@blp.response(200, TaskOutSchema)
def put_task(args, plan_id):
    """新增或修改草拟中计划的任务（按任务编号）"""
    task = service.put_task(current_principal(), plan_id, args)
    db.session.commit()
    return task_view(task, task.plan_version.plan)


@blp.route("/<int:plan_id>/tasks/<code>", methods=["DELETE"])
@requires(Role.DEPT_ADMIN)
@blp.response(204)
def delete_task(plan_id, code):
    """删除草拟中计划的任务"""
    service.delete_task(current_principal(), plan_id, code)
    db.session.commit()


@blp.route("/<int:plan_id>/submit", methods=["POST"])
@requires(Role.DEPT_ADMIN)
@blp.response(200, PlanOutSchema)
def submit(plan_id):
    """报送领导小组办公室（1 月底前；逾期会提示并记录）"""
    plan, warnings = service.submit(current_principal(), plan_id)
    db.session.commit()
    return plan_view(plan, warnings=warnings)


@blp.route("/<int:plan_id>/aggregate", methods=["POST"])
@requires(Role.OFFICE_ADMIN)
@blp.response(200, PlanOutSchema)
def aggregate(plan_id):
    """办公室汇总"""
    plan = service.aggregate(current_principal(), plan_id)
    db.session.commit()
    return plan_view(plan)


@blp.route("/<int:plan_id>/approve", methods=["POST"])
@requires(Role.OFFICE_ADMIN)
@blp.arguments(ApproveSchema)
@blp.response(200, PlanOutSchema)
def approve(args, plan_id):
    """登记市政府审定（文号）"""
    plan = service.approve(current_principal(), plan_id, args["approval_ref"])
    db.session.commit()
    return plan_view(plan)


@blp.route("/<int:plan_id>/publish", methods=["POST"])
@requires(Role.OFFICE_ADMIN)
@blp.response(200, PlanOutSchema)
def publish(plan_id):
    """向社会公开"""
    plan = service.publish(current_principal(), plan_id)
    db.session.commit()
    return plan_view(plan)


@blp.route("/<int:plan_id>/return", methods=["POST"])
@requires(Role.OFFICE_ADMIN)
@blp.arguments(ReasonSchema)
@blp.response(200, PlanOutSchema)
def return_plan(args, plan_id):
    """退回部门修改"""
    plan = service.return_plan(current_principal(), plan_id, args["reason"])
    db.session.commit()
    return plan_view(plan)


@blp.route("/<int:plan_id>/adjust", methods=["POST"])
@requires(Role.DEPT_ADMIN)
@blp.arguments(ReasonSchema)
@blp.response(201, PlanOutSchema)
def adjust(args, plan_id):
    """调整已审定的计划：生成新版本，重新报送、审定、公开"""
    plan = service.adjust(current_principal(), plan_id, args["reason"])
    db.session.commit()
    return plan_view(plan)
