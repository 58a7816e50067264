"""Staff and team-leader endpoints over visits (phones use sync)."""
from __future__ import annotations

from ..accounts.auth import current_principal, requires
from ..extensions import db
from ..http import Blueprint
from . import desk_check, method_choice, sections as visit_sections, service, unsealed as unsealed_records
from .schemas import (ConflictSchema, DeskCheckOutSchema, DeskCheckSchema, DeskFormSchema, DeskPendingSchema,
                      MethodChoiceSchema, MineArgs, PlannedMethodSchema, ProgressSchema, ScheduleSchema, SectionSchema,
                      UnsealedArgs, UnsealedRowSchema, VisitOutSchema)
from .views import visit_entity

blp = Blueprint("visits", __name__, url_prefix="/api/v1/visits", description="现场检查记录与检查组日程")


@blp.route("/mine", methods=["GET"])
@requires()
@blp.arguments(MineArgs, location="query")
@blp.response(200, VisitOutSchema(many=True))
def mine(args):
    """我的检查任务（所在检查组的全部检查对象）"""
    p = current_principal()
    return [visit_entity(v, p) for v in service.my_visits(p, status=args["status"])]


@blp.route("/team", methods=["GET"])
@requires()
@blp.response(200, ProgressSchema(many=True))
def team_progress():
    """组长视图：本人担任组长的检查进度、冲突与日程提示"""
    return service.team_progress(current_principal())


@blp.route("/unsealed", methods=["GET"])
@requires()
@blp.arguments(UnsealedArgs, location="query")
@blp.response(200, UnsealedRowSchema(many=True))
def unsealed(args):
    """已检查未封存：检查后超过若干工作日仍未签名封存的记录（组长、相关部门与办公室可见），最久的在前"""
    return unsealed_records.unsealed(current_principal(), args["min_workdays"])


@blp.route("/desk-checks", methods=["GET"])
@requires()
@blp.response(200, DeskPendingSchema(many=True))
def desk_checks():
    """待后台书面检查：本部门任务中检查方式为书面检查、检查组尚未开始的检查对象"""
    return desk_check.pending(current_principal())


@blp.route("/<uuid:visit_id>/desk-check", methods=["GET"])
@requires()
@blp.response(200, DeskFormSchema)
def desk_check_form(visit_id):
    """后台书面检查表：检查对象与本任务全部检查要点（计划制定部门的审核人员、管理员）"""
    p = current_principal()
    return desk_check.form(p, service.readable_visit(p, str(visit_id)))


@blp.route("/<uuid:visit_id>/desk-check", methods=["POST"])
@requires()
@blp.arguments(DeskCheckSchema)
@blp.response(201, DeskCheckOutSchema)
def desk_check_record(args, visit_id):
    """在后台完成书面检查：记录收到的材料、审查人员、审查日期（即检查日期）、各要点、发现的问题和检查结果，并立即封存"""
    p = current_principal()
    record = desk_check.record_and_seal(p, service.readable_visit(p, str(visit_id)), args)
    db.session.commit()
    return {"visit_id": record.visit_id, "content_sha256": record.content_sha256, "sealed_at": record.sealed_at,
            "check_ended_on": record.check_ended_on}


@blp.route("/<uuid:visit_id>", methods=["GET"])
@requires()
@blp.response(200, VisitOutSchema)
def get_visit(visit_id):
    """检查记录详情（检查组成员；相关部门的管理、审核人员；办公室与审计）"""
    p = current_principal()
    return visit_entity(service.readable_visit(p, str(visit_id)), p)


@blp.route("/<uuid:visit_id>/sections", methods=["GET"])
@requires()
@blp.response(200, SectionSchema(many=True))
def sections(visit_id):
    """检查组各成员的部分：所属部门、服务器上本部门要点是否填完、最近同步时间、是否已交接（组长视图）"""
    return visit_sections.sections(service.readable_visit(current_principal(), str(visit_id)))


@blp.route("/<uuid:visit_id>/conflicts", methods=["GET"])
@requires()
@blp.response(200, ConflictSchema(many=True))
def conflicts(visit_id):
    """组员离线同时修改同一要点产生的冲突（被覆盖的值保留在此）"""
    return service.edit_conflicts(current_principal(), str(visit_id))


@blp.route("/<uuid:visit_id>/schedule", methods=["PUT"])
@requires()
@blp.arguments(ScheduleSchema)
@blp.response(200, ProgressSchema)
def set_schedule(args, visit_id):
    """组长安排检查日期与时段（同步到组员手机；提示时间冲突与超出计划时间）"""
    p = current_principal()
    visit, warnings = service.schedule(p, str(visit_id), args["date"], args["time_from"], args["time_to"])
    db.session.commit()
    return service.progress_row(visit, p, conflicts=0, warnings=warnings)


@blp.route("/<uuid:visit_id>/method", methods=["PUT"])
@requires()
@blp.arguments(MethodChoiceSchema)
@blp.response(200, PlannedMethodSchema)
def choose_method(args, visit_id):
    """确定本次检查的检查方式（检查开始前：检查组组长或计划制定部门的管理员；手机与后台按此方式检查）"""
    visit = method_choice.choose(current_principal(), service.readable_visit(current_principal(), str(visit_id)),
                                 args["method"])
    db.session.commit()
    return method_choice.planned_view(visit)
