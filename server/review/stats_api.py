"""Statistics of the checks for the office dashboard: JSON, SVG charts and an XLSX export."""
from __future__ import annotations

from flask import Response
from marshmallow import fields, validate

from ..accounts.auth import current_principal, requires
from ..accounts.models import Role
from ..errors import NotFound
from ..http import Blueprint
from ..schemas import BaseSchema
from . import statistics

blp = Blueprint("statistics", __name__, url_prefix="/api/v1/statistics", description="抽查统计（部门、任务）")
READERS = (Role.OFFICE_ADMIN, Role.AUDITOR, Role.DEPT_ADMIN, Role.DEPT_LEADER, Role.REVIEWER)


class StatsArgs(BaseSchema):
    department_id = fields.Integer(load_default=None, validate=validate.Range(min=1))
    task_id = fields.Integer(load_default=None, validate=validate.Range(min=1))


class StatsSchema(BaseSchema):
    as_of = fields.String()
    departments = fields.List(fields.Dict(), metadata={"description": "每个牵头部门：完成率（按时录入）、按时录入率、临近截止、逾期、退回返工、结果代码分布"})
    tasks = fields.List(fields.Dict())
    problems = fields.List(fields.Dict(), metadata={"description": "每个事项、检查要点的问题发现率"})
    outcomes = fields.List(fields.Dict())
    regions = fields.List(fields.Dict(), metadata={"description": "按县（检查对象的行政区划代码 region_code，名称 region_name）：抽取、封存、录入、按时录入率"})
    inspectors = fields.List(fields.Dict(), metadata={"description": "按检查人员：参加的检查、封存、录入、按时录入率"})


@blp.route("", methods=["GET"])
@requires(*READERS)
@blp.arguments(StatsArgs, location="query")
@blp.response(200, StatsSchema)
def stats(args):
    """统计：完成率、按时录入率、问题发现率、结果代码分布、退回返工次数（本部门；办公室和审计看全部）"""
    return statistics.compute(current_principal(), args["department_id"], args["task_id"])


@blp.route("/charts/<kind>.svg", methods=["GET"])
@requires(*READERS)
@blp.arguments(StatsArgs, location="query")
@blp.doc(responses={"200": {"description": "SVG 统计图", "content": {"image/svg+xml": {
    "schema": {"type": "string", "format": "binary"}}}}})
@blp.response(200, description="SVG 统计图")
def chart(args, kind):
    """统计图（服务器生成的 SVG）：completion、deadlines、outcomes、problems"""
    if kind not in statistics.CHARTS:
        raise NotFound("没有这种统计图。", code="chart_not_found")
    data = statistics.compute(current_principal(), args["department_id"], args["task_id"])
    return Response(statistics.chart(data, kind), mimetype="image/svg+xml")


@blp.route("/export.xlsx", methods=["GET"])
@requires(*READERS)
@blp.arguments(StatsArgs, location="query")
@blp.doc(responses={"200": {"description": "XLSX 统计表", "content": {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
    "schema": {"type": "string", "format": "binary"}}}}})
@blp.response(200, description="XLSX 统计表")
def export(args):
    """统计表导出（XLSX：部门、任务、检查要点问题率、结果代码分布）"""
    data = statistics.compute(current_principal(), args["department_id"], args["task_id"])
    return Response(statistics.xlsx(data),
                    mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": "attachment; filename=dsr-statistics.xlsx"})
