"""Public read-only endpoints (no login): never any internal data."""
from __future__ import annotations

from marshmallow import fields, validate
from sqlalchemy import select

from ..accounts.models import Department
from ..accounts.throttle import limit_requests
from ..audit.checkpoints import AuditCheckpoint
from ..catalog import service as catalog
from ..catalog.models import CheckItem
from ..catalog.schemas import ItemSchema
from ..draws.schemas import DrawPublicSchema
from ..draws.service import get_task
from ..draws.views import public_view
from ..errors import NotFound
from ..extensions import db
from ..http import Blueprint
from ..plans.models import Plan
from ..plans.views import public_plan_view
from ..review.publication import public_row
from ..schemas import BaseSchema
from .results import search
from .verification import verification

blp = Blueprint("public", __name__, url_prefix="/api/v1/public", description="公开信息（无需登录）")

# One allowance per client address shared by the verification page and its JSON.
verify_rate_limit = limit_requests("public_verify", limit_key="PUBLIC_VERIFY_MAX_REQUESTS",
                                   window_key="PUBLIC_VERIFY_WINDOW", code="verify_throttled", what="记录核验")


class PublicItemArgs(BaseSchema):
    department = fields.String(load_default=None, validate=validate.Length(max=32))
    joint = fields.Boolean(load_default=None)


class PublicPlanArgs(BaseSchema):
    year = fields.Integer(load_default=None, validate=validate.Range(min=2020, max=2100))


class PublicPlanSchema(BaseSchema):
    code = fields.String()
    year = fields.Integer()
    title = fields.String()
    department = fields.String()
    version = fields.Integer()
    published_at = fields.String(allow_none=True)
    adjustments = fields.List(fields.Dict())
    tasks = fields.List(fields.Dict())


@blp.route("/items", methods=["GET"])
@blp.arguments(PublicItemArgs, location="query")
@blp.response(200, ItemSchema(many=True))
def public_items(args):
    """公开的随机抽查事项清单（本部门清单与联合清单）"""
    dept_id = None
    if args["department"]:
        dept = db.session.execute(select(Department).where(Department.code == args["department"])).scalar_one_or_none()
        if dept is None:
            return []
        dept_id = dept.id
    items = db.session.execute(catalog.items_stmt(dept_id, args["joint"]).order_by(CheckItem.id)).scalars()
    return [catalog.item_view(i) for i in items]


@blp.route("/plans", methods=["GET"])
@blp.arguments(PublicPlanArgs, location="query")
@blp.response(200, PublicPlanSchema(many=True))
def public_plans(args):
    """已公开的年度部门联合抽查计划"""
    stmt = select(Plan).where(Plan.published_version.is_not(None)).order_by(Plan.year.desc(), Plan.id)
    if args["year"]:
        stmt = stmt.where(Plan.year == args["year"])
    return [public_plan_view(p) for p in db.session.execute(stmt).scalars()]


class ResultArgs(BaseSchema):
    credit_code = fields.String(load_default=None, validate=validate.Length(max=18))
    name = fields.String(load_default=None, validate=validate.Length(max=100))
    task = fields.String(load_default=None, validate=validate.Length(max=80))
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=500))
    cursor = fields.Integer(load_default=None, validate=validate.Range(min=1))


class PublicResultSchema(BaseSchema):
    plan_no = fields.String(metadata={"description": "计划编号"})
    plan_name = fields.String(metadata={"description": "计划名称"})
    task_no = fields.String(metadata={"description": "任务编号"})
    task_name = fields.String(metadata={"description": "任务名称"})
    check_type = fields.String(metadata={"description": "抽查类型"})
    authority = fields.String(metadata={"description": "检查机关"})
    completed_on = fields.String(metadata={"description": "完成日期"})
    result = fields.String(metadata={"description": "检查结果"})
    object_name = fields.String()
    credit_code = fields.String(allow_none=True)
    market_entity = fields.Boolean()
    kind = fields.String(metadata={"description": "department：检查部门各自公示的本部门结果（检查机关即该部门）；"
                                                  "joint：发起部门公示的联合检查汇总"})
    kind_label = fields.String()
    revised_on = fields.String(allow_none=True, metadata={
        "description": "公示后结果变更的日期（如整改复查后由 A 变为 E），未变更为 null"})
    corrected_on = fields.String(allow_none=True, metadata={"description": "因异议成立而更正的日期（已更正），未更正为 null"})
    id = fields.Integer(metadata={"description": "公示结果编号（提出异议时用）"})


class PublicResultPage(BaseSchema):
    items = fields.List(fields.Nested(PublicResultSchema))
    next_cursor = fields.Integer(allow_none=True)


@blp.route("/results", methods=["GET"])
@blp.arguments(ResultArgs, location="query")
@blp.response(200, PublicResultPage)
def public_results(args):
    """已公示的抽查结果（按统一社会信用代码、名称或任务查询）：联合检查每个检查部门一行，另有发起部门的汇总一行"""
    rows, nxt = search(args["credit_code"], args["name"], args["task"], None, None, args["limit"], args["cursor"])
    return {"items": [public_row(r) for r in rows], "next_cursor": nxt}


class RecordVerificationSchema(BaseSchema):
    visit_id = fields.String()
    record_no = fields.String()
    task_no = fields.String()
    task_name = fields.String()
    object_name = fields.String()
    sealed_at = fields.String()
    content_sha256 = fields.String()
    intact = fields.Boolean()
    problem = fields.String(allow_none=True)
    review_status = fields.String(allow_none=True)


@blp.route("/records/<uuid:visit_id>/verification", methods=["GET"])
@blp.response(200, RecordVerificationSchema)
@blp.doc(responses={"429": {"description": "同一地址核验请求过于频繁（problem+json，code 为 verify_throttled，带 Retry-After）"}})
@verify_rate_limit
def record_verification(visit_id):
    """检查记录核验（记录表二维码指向的页面的数据）：内容哈希与记录是否完好，不含任何检查内容或个人信息"""
    v = verification(str(visit_id))
    if v is None:
        raise NotFound("封存的检查记录不存在。", code="record_not_found")
    return v


@blp.route("/draws/<int:task_id>", methods=["GET"])
@blp.response(200, DrawPublicSchema)
def public_draw(task_id):
    """抽取的公开信息：哈希、承诺值、随机数、种子、各层数量与抽中对象（不含信用风险分类）"""
    return public_view(get_task(task_id))


class PublicCheckpointSchema(BaseSchema):
    size = fields.Integer(metadata={"description": "日志条目数"})
    head_hash = fields.String(metadata={"description": "该条目的链哈希"})
    created_at = fields.DateTime()
    key_id = fields.String()
    public_key = fields.String(metadata={"description": "本系统 Ed25519 公钥"})
    signature = fields.String()
    text = fields.String(metadata={"description": "检查点文本（含审计方会签），原样保存即可用于 audit verify --checkpoint"})


class PublicCheckpointArgs(BaseSchema):
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))
    before = fields.Integer(load_default=None, validate=validate.Range(min=1))


@blp.route("/checkpoints", methods=["GET"])
@blp.arguments(PublicCheckpointArgs, location="query")
@blp.response(200, PublicCheckpointSchema(many=True))
def public_checkpoints(args):
    """审计日志检查点的历史（新的在前）：供外部保存副本、事后核对日志未被改写"""
    stmt = select(AuditCheckpoint).order_by(AuditCheckpoint.id.desc()).limit(args["limit"])
    if args["before"]:
        stmt = stmt.where(AuditCheckpoint.id < args["before"])
    return list(db.session.execute(stmt).scalars())


@blp.route("/checkpoints/latest", methods=["GET"])
@blp.response(200, PublicCheckpointSchema)
def public_latest_checkpoint():
    """最新的审计日志检查点"""
    cp = db.session.execute(select(AuditCheckpoint).order_by(AuditCheckpoint.id.desc()).limit(1)).scalar_one_or_none()
    if cp is None:
        raise NotFound("尚无检查点。", code="checkpoint_not_found")
    return cp
