"""HTTP endpoints of the check-item lists."""
from __future__ import annotations

from ..accounts.auth import current_principal, requires
from ..accounts.models import Role
from ..extensions import db
from ..http import Blueprint
from ..pagination import keyset_page
from . import service
from .models import CheckItem
from .schemas import ItemCreateSchema, ItemContentSchema, ItemListArgs, ItemPageSchema, ItemSchema, ItemVersionSchema, RetireSchema

blp = Blueprint("catalog", __name__, url_prefix="/api/v1/items", description="抽查事项清单与工作指引")


@blp.route("", methods=["GET"])
@requires()
@blp.arguments(ItemListArgs, location="query")
@blp.response(200, ItemPageSchema)
def list_items(args):
    """抽查事项清单（按部门或联合清单筛选；清单本身是公开的）"""
    page = keyset_page(service.items_stmt(args["department_id"], args["joint"], args["q"], args["include_retired"]),
                       CheckItem.id, args["limit"], args["cursor"])
    page["items"] = [service.item_view(i) for i in page["items"]]
    return page


@blp.route("", methods=["POST"])
@requires(Role.DEPT_ADMIN, Role.OFFICE_ADMIN)
@blp.arguments(ItemCreateSchema)
@blp.response(201, ItemSchema)
def create_item(args):
    """新增抽查事项（第 1 版）"""
    item = service.create_item(current_principal(), args)
    db.session.commit()
    return service.item_view(item)


@blp.route("/<int:item_id>", methods=["GET"])
@requires()
@blp.response(200, ItemSchema)
def get_item(item_id):
    """抽查事项（当前版本）"""
    return service.item_view(service.get_item(item_id))


@blp.route("/<int:item_id>", methods=["PUT"])
@requires(Role.DEPT_ADMIN, Role.OFFICE_ADMIN)
@blp.arguments(ItemContentSchema)
@blp.response(200, ItemSchema)
def revise_item(args, item_id):
    """修订抽查事项：生成新版本，已引用旧版本的任务不受影响"""
    item = service.revise_item(current_principal(), item_id, args)
    db.session.commit()
    return service.item_view(item)


@blp.route("/<int:item_id>/versions/<int:version>", methods=["GET"])
@requires()
@blp.response(200, ItemVersionSchema)
def get_version(item_id, version):
    """抽查事项的某一历史版本"""
    return service.get_version(item_id, version)


@blp.route("/<int:item_id>/retire", methods=["POST"])
@requires(Role.DEPT_ADMIN, Role.OFFICE_ADMIN)
@blp.arguments(RetireSchema)
@blp.response(200, ItemSchema)
def retire_item(args, item_id):
    """停用抽查事项（历史版本仍可查阅）"""
    item = service.retire_item(current_principal(), item_id, args["reason"])
    db.session.commit()
    return service.item_view(item)
