"""Public read-only endpoints (no login): never any internal data."""
from __future__ import annotations

from marshmallow import fields, validate
from sqlalchemy import select

from ..accounts.models import Department
from ..catalog import service as catalog
from ..catalog.models import CheckItem
from ..catalog.schemas import ItemSchema
from ..extensions import db
from ..http import Blueprint
from ..plans.models import Plan
from ..plans.views import public_plan_view
from ..schemas import BaseSchema

blp = Blueprint("public", __name__, url_prefix="/api/v1/public", description="公开信息（无需登录）")


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
