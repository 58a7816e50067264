"""Read-only access to the audit log for the office and auditors."""
from __future__ import annotations

import json

from marshmallow import fields, validate
from sqlalchemy import select

from .. import keys
from ..accounts.auth import current_principal, requires
from ..accounts.models import Role
from ..extensions import db
from ..http import Blueprint
from ..pagination import keyset_page
from ..schemas import BaseSchema, PageArgsSchema, page_schema
from .checkpoints import AuditCheckpoint, create
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
    actor_user_id = fields.Integer(load_default=None, metadata={"description": "某一用户的操作（如其查阅记录）"})
    since = fields.AwareDateTime(load_default=None, metadata={"description": "自此时刻起（含）"})
    until = fields.AwareDateTime(load_default=None, metadata={"description": "到此时刻为止（不含）"})


class VerifySchema(BaseSchema):
    ok = fields.Boolean()
    entries = fields.Integer()
    findings = fields.List(fields.Dict())


@blp.route("/entries", methods=["GET"])
@requires(Role.OFFICE_ADMIN, Role.AUDITOR, Role.DEPT_ADMIN)
@blp.arguments(AuditQuerySchema, location="query")
@blp.response(200, page_schema(AuditEntrySchema, "AuditPageSchema"))
def list_entries(args):
    """审计日志条目（新的在前），可按操作、对象、用户与时段筛选（如某人某时段的查阅记录：action=record.read 或 media.read）。部门管理员只看到本部门人员的操作。"""
    p = current_principal()
    stmt = select(AuditEntry)
    if not p.sees_everything:
        stmt = stmt.where(AuditEntry.actor_department_id == p.department_id)
    for key in ("action", "target_type", "target_id", "actor_user_id"):
        if args.get(key) is not None:
            stmt = stmt.where(getattr(AuditEntry, key) == args[key])
    if args.get("since"):
        stmt = stmt.where(AuditEntry.created_at >= args["since"])
    if args.get("until"):
        stmt = stmt.where(AuditEntry.created_at < args["until"])
    return keyset_page(stmt, AuditEntry.seq, args["limit"], args["cursor"], descending=True)


@blp.route("/verify", methods=["GET"])
@requires(Role.OFFICE_ADMIN, Role.AUDITOR)
@blp.response(200, VerifySchema)
def verify_now():
    """重新计算整条哈希链并运行各项校验"""
    report = verify(db.session)
    return {"ok": report.ok, "entries": report.entries,
            "findings": [f.__dict__ for f in report.findings]}


class AuditCheckpointSchema(BaseSchema):
    id = fields.Integer()
    size = fields.Integer()
    head_hash = fields.String()
    created_at = fields.DateTime()
    key_id = fields.String()
    public_key = fields.String()
    signature = fields.String()
    text = fields.String(metadata={"description": "可导出保存的检查点文本"})


class PublicKeySchema(BaseSchema):
    algorithm = fields.String()
    key_id = fields.String()
    public_key = fields.String()


@blp.route("/checkpoints", methods=["GET"])
@requires(Role.OFFICE_ADMIN, Role.AUDITOR)
@blp.response(200, AuditCheckpointSchema(many=True))
def list_checkpoints():
    """已签名的审计日志检查点（新的在前）"""
    return list(db.session.execute(select(AuditCheckpoint).order_by(AuditCheckpoint.id.desc()).limit(200)).scalars())


@blp.route("/checkpoints", methods=["POST"])
@requires(Role.OFFICE_ADMIN, Role.AUDITOR)
@blp.response(201, AuditCheckpointSchema)
def create_checkpoint():
    """立即生成一个签名检查点（请另行保存导出文本）"""
    cp = create(created_by=f"user:{current_principal().user_id}")
    db.session.commit()
    return cp


@blp.route("/public-key", methods=["GET"])
@requires()
@blp.response(200, PublicKeySchema)
def public_key():
    """本系统的 Ed25519 公钥（用于核验检查点与签名事件）"""
    return {"algorithm": "Ed25519", "key_id": keys.key_id(), "public_key": keys.public_key_b64()}
