"""Objections: `/api/v1/public/objections` (anyone, rate-limited) and `/api/v1/objections` (the
publishing department)."""
from __future__ import annotations

from ..accounts.auth import current_principal, requires
from ..accounts.models import Role
from ..accounts.throttle import limit_requests
from ..extensions import db
from ..http import Blueprint
from . import service
from .schemas import (AcceptSchema, ObjectionFileSchema, ObjectionListArgs, ObjectionListSchema, ObjectionPublicSchema,
                      ObjectionStaffSchema, RejectSchema)

blp = Blueprint("objections", __name__, url_prefix="/api/v1", description="对公示结果的异议")
DECIDERS = (Role.REVIEWER, Role.DEPT_ADMIN)
READERS = (Role.REVIEWER, Role.DEPT_ADMIN, Role.DEPT_LEADER, Role.OFFICE_ADMIN, Role.AUDITOR)

# One allowance per client address for filing (and, separately, for looking up): abusive volumes
# get 429 objection_throttled with Retry-After.
file_limit = limit_requests("objection_file", limit_key="PUBLIC_OBJECTION_MAX_REQUESTS",
                            window_key="PUBLIC_OBJECTION_WINDOW", code="objection_throttled", what="提出异议")
lookup_limit = limit_requests("objection_look", limit_key="PUBLIC_VERIFY_MAX_REQUESTS",
                              window_key="PUBLIC_VERIFY_WINDOW", code="objection_throttled", what="异议查询")


@blp.route("/public/objections", methods=["POST"])
@file_limit
@blp.arguments(ObjectionFileSchema)
@blp.response(201, ObjectionPublicSchema)
def file_objection(args):
    """对公示结果提出异议（无需登录；返回异议编号，凭编号查询处理结果）"""
    obj = service.file_objection(args["result_id"], args["name"], args["contact"], args["text"])
    db.session.commit()
    return service.public_view(obj)


@blp.route("/public/objections/<reference>", methods=["GET"])
@lookup_limit
@blp.response(200, ObjectionPublicSchema)
def lookup(reference):
    """凭异议编号查询处理结果"""
    return service.public_view(service.by_reference(reference[:40]))


@blp.route("/objections", methods=["GET"])
@requires(*READERS)
@blp.arguments(ObjectionListArgs, location="query")
@blp.response(200, ObjectionListSchema)
def list_objections(args):
    """本部门公示结果收到的异议（办公室与审计：全部），待处理的在前"""
    return {"items": service.staff_list(current_principal(), args["status"]), "result_codes": service.result_choices()}


@blp.route("/objections/<int:objection_id>/accept", methods=["POST"])
@requires(*DECIDERS)
@blp.arguments(AcceptSchema)
@blp.response(200, ObjectionStaffSchema)
def accept(args, objection_id):
    """异议成立：更正录入结果，公示结果同步更正并标注“已更正”及日期"""
    obj = service.accept(current_principal(), objection_id, args["result_codes"], args["reason"])
    db.session.commit()
    return service.staff_view(obj)


@blp.route("/objections/<int:objection_id>/reject", methods=["POST"])
@requires(*DECIDERS)
@blp.arguments(RejectSchema)
@blp.response(200, ObjectionStaffSchema)
def reject(args, objection_id):
    """异议不成立：不予采纳并说明理由"""
    obj = service.reject(current_principal(), objection_id, args["reason"])
    db.session.commit()
    return service.staff_view(obj)
