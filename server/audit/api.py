"""Read-only access to the audit log for the office and auditors."""
from __future__ import annotations

import json

from ..http import Blueprint
from marshmallow import fields, validate
from sqlalchemy import select

from ..accounts.auth import current_principal, requires
from ..accounts.models import Role
from ..pagination import keyset_page
from ..schemas import BaseSchema, PageArgsSchema, page_schema
from .models import AuditEntry
from .service import verify

blp = Blueprint("audit", __name__, url_prefix="/api/v1/audit", description="审计日志（只读）")


class AuditEntrySchema(BaseSchema):
    seq = fields.Integer()
    created_at = fields.DateTime()
    action = fields.String()
    target_type = fields.String(allow_none=True)
    target_id = fields.String(allow_none=True)
    actor_user_id = fields.Integer(allow_none=True)
    actor_department_id = fields.Integer(allow_none=True)
    device_id = fields.Integer(allow_none=True)
    request_id = fields.String(allow_none=True)
    prev_hash = fields.String()
    entry_hash = fields.String()
    payload = fields.Method("_payload")

    def _payload(self, obj):
        return json.loads(obj.payload)


class AuditQuerySchema(PageArgsSchema):
    action = fields.String(validate=validate.Length(max=64), load_default=None)
    target_type = fields.String(validate=validate.Length(max=64), load_default=None)
    target_id = fields.String(validate=validate.Length(max=64), load_default=None)


class VerifySchema(BaseSchema):
    ok = fields.Boolean()
    entries = fields.Integer()
    findings = fields.List(fields.Dict())


@blp.route("/entries", methods=["GET"])
@requires(Role.OFFICE_ADMIN, Role.AUDITOR, Role.DEPT_ADMIN)
@blp.arguments(AuditQuerySchema, location="query")
@blp.response(200, page_schema(AuditEntrySchema, "AuditPageSchema"))
def list_entries(args):
    """审计日志条目（新的在前）。部门管理员只看到本部门人员的操作。"""
    p = current_principal()
    stmt = select(AuditEntry)
    if not p.sees_everything:
        stmt = stmt.where(AuditEntry.actor_department_id == p.department_id)
    for key in ("action", "target_type", "target_id"):
        if args.get(key):
            stmt = stmt.where(getattr(AuditEntry, key) == args[key])
    return keyset_page(stmt, AuditEntry.seq, args["limit"], args["cursor"], descending=True)


@blp.route("/verify", methods=["GET"])
@requires(Role.OFFICE_ADMIN, Role.AUDITOR)
@blp.response(200, VerifySchema)
def verify_now():
    """重新计算整条哈希链并运行各项校验"""
    from ..extensions import db

    report = verify(db.session)
    return {"ok": report.ok, "entries": report.entries,
            "findings": [f.__dict__ for f in report.findings]}
