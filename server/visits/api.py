"""Staff and team-leader endpoints over visits (phones use sync)."""
from __future__ import annotations

from marshmallow import fields, validate
from sqlalchemy import select

from ..accounts.auth import current_principal, requires
from ..accounts.models import Role
from ..audit import service as audit
from ..draws.models import InspectionTask, Visit, VisitMember
from ..errors import Forbidden, NotFound
from ..extensions import db
from ..http import Blueprint
from ..schemas import BaseSchema
from .access import member_of, refuse_if_sealed
from .models import FieldHistory
from .schedule import apply_schedule
from .views import visit_entity

blp = Blueprint("visits", __name__, url_prefix="/api/v1/visits", description="现场检查记录与检查组日程")


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


def _staff_may_read(principal, visit: Visit) -> bool:
    if principal.sees_everything:
        return True
    task = db.session.get(InspectionTask, visit.task_id)
    depts = {task.initiating_department_id, *(task.participating_department_ids or [])}
    return principal.department_id in depts and principal.has(Role.DEPT_ADMIN, Role.DEPT_LEADER, Role.REVIEWER)


def readable_visit(visit_id: str) -> Visit:
    p = current_principal()
    visit = db.session.get(Visit, visit_id)
    if visit is None or not (member_of(visit, p.user_id) or _staff_may_read(p, visit)):
        raise NotFound("检查记录不存在。", code="visit_not_found")
    return visit


def _led_visits(principal):
    return list(db.session.execute(
        select(Visit).join(VisitMember, VisitMember.visit_id == Visit.id)
        .where(VisitMember.user_id == principal.user_id, VisitMember.active.is_(True), VisitMember.role == "leader",
               Visit.status != "withdrawn").order_by(Visit.scheduled_date, Visit.id)).scalars().unique())


@blp.route("/mine", methods=["GET"])
@requires()
@blp.arguments(MineArgs, location="query")
@blp.response(200, VisitOutSchema(many=True))
def mine(args):
    """我的检查任务（所在检查组的全部检查对象）"""
    from .feed import _my_visits

    p = current_principal()
    return [visit_entity(v, p) for v in _my_visits(p) if not args["status"] or v.status == args["status"]]


@blp.route("/team", methods=["GET"])
@requires()
@blp.response(200, ProgressSchema(many=True))
def team_progress():
    """组长视图：本人担任组长的检查进度、冲突与日程提示"""
    p = current_principal()
    out = []
    for v in _led_visits(p):
        e = visit_entity(v, p)
        task = db.session.get(InspectionTask, v.task_id)
        conflicts = db.session.scalar(select(db.func.count()).select_from(FieldHistory).where(
            FieldHistory.visit_id == v.id, FieldHistory.conflict.is_(True), FieldHistory.resolved.is_(False)))
        out.append({"id": v.id, "task_id": str(v.task_id), "task_name": task.name, "object_name": e["object"]["name"],
                    "status": v.status, "evidence_pending": e["evidence_pending"], "schedule": e["schedule"],
                    "conflicts": conflicts, "schedule_warnings": e["schedule"]["conflicts"]})
    return out


@blp.route("/<uuid:visit_id>", methods=["GET"])
@requires()
@blp.response(200, VisitOutSchema)
def get_visit(visit_id):
    """检查记录详情（检查组成员；相关部门的管理、审核人员；办公室与审计）"""
    return visit_entity(readable_visit(str(visit_id)), current_principal())


@blp.route("/<uuid:visit_id>/conflicts", methods=["GET"])
@requires()
@blp.response(200, ConflictSchema(many=True))
def conflicts(visit_id):
    """组员离线同时修改同一要点产生的冲突（被覆盖的值保留在此）"""
    visit = readable_visit(str(visit_id))
    return list(db.session.execute(select(FieldHistory).where(
        FieldHistory.visit_id == visit.id, FieldHistory.conflict.is_(True)).order_by(FieldHistory.id)).scalars())


@blp.route("/<uuid:visit_id>/schedule", methods=["PUT"])
@requires()
@blp.arguments(ScheduleSchema)
@blp.response(200, ProgressSchema)
def set_schedule(args, visit_id):
    """组长安排检查日期与时段（同步到组员手机；提示时间冲突与超出计划时间）"""
    p = current_principal()
    visit = readable_visit(str(visit_id))
    me = member_of(visit, p.user_id)
    if me is None or me.role != "leader":
        raise Forbidden("只有检查组组长可以安排检查日程。", code="not_team_leader")
    refuse_if_sealed(visit)
    warnings = apply_schedule(visit, args["date"], args["time_from"], args["time_to"], p.user_id)
    audit.record(db.session, "visit.schedule", "visit", visit.id,
                 {"date": args["date"].isoformat(), "from": str(args["time_from"]), "to": str(args["time_to"])})
    db.session.commit()
    e = visit_entity(visit, p)
    task = db.session.get(InspectionTask, visit.task_id)
    return {"id": visit.id, "task_id": str(visit.task_id), "task_name": task.name, "object_name": e["object"]["name"],
            "status": visit.status, "evidence_pending": e["evidence_pending"], "schedule": e["schedule"],
            "conflicts": 0, "schedule_warnings": warnings}
