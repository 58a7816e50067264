"""HTTP endpoints of the working-day calendar and result-entry deadlines."""
from __future__ import annotations

from ..accounts.auth import current_principal, requires
from ..accounts.models import Role
from ..extensions import db
from ..http import Blueprint
from ..types import local_today
from . import service as service
from .schemas import (CalendarStatusSchema, DeadlineArgs, DeadlineSchema, OverrideInSchema, OverrideListArgs,
                      OverrideSchema, YearDeclareSchema, YearStatusSchema)

blp = Blueprint("calendar", __name__, url_prefix="/api/v1/calendar", description="工作日历与结果录入期限")


@blp.route("/overrides", methods=["GET"])
@requires()
@blp.arguments(OverrideListArgs, location="query")
@blp.response(200, OverrideSchema(many=True))
def list_overrides(args):
    """管理员录入的放假日与调休上班日（优先于日历组件）"""
    return service.list_overrides(args["year"])


@blp.route("/overrides", methods=["POST"])
@requires(Role.OFFICE_ADMIN)
@blp.arguments(OverrideInSchema)
@blp.response(200, OverrideSchema(many=True))
def set_overrides(args):
    """录入放假日或调休上班日（可录入一段日期，已有记录被覆盖）"""
    rows = service.set_overrides(current_principal(), args["first"], args["last"], args["is_workday"], args["note"])
    db.session.commit()
    return rows


@blp.route("/overrides/<day>", methods=["DELETE"])
@requires(Role.OFFICE_ADMIN)
@blp.response(204)
def delete_override(day):
    """删除某一天的调整记录（日期格式 YYYY-MM-DD）"""
    service.delete_override(current_principal(), day)
    db.session.commit()


@blp.route("/years/<int:year>", methods=["PUT"])
@requires(Role.OFFICE_ADMIN)
@blp.arguments(YearDeclareSchema)
@blp.response(200, YearStatusSchema)
def declare_year(args, year):
    """宣告（或撤回）某年的节假日安排已完整录入"""
    result = service.declare_year(current_principal(), year, args["declared_complete"], args["source"])
    db.session.commit()
    return result


@blp.route("/status", methods=["GET"])
@requires()
@blp.response(200, CalendarStatusSchema)
def status():
    """各年日历来源与缺失提醒"""
    return service.status(local_today())


@blp.route("/deadline", methods=["GET"])
@requires()
@blp.arguments(DeadlineArgs, location="query")
@blp.response(200, DeadlineSchema)
def deadline(args):
    """检查结果录入截止日期（20 个工作日；日历缺失时返回“未知”而不报错）"""
    return service.deadline_view(args["ended_on"], local_today())
