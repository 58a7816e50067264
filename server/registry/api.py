"""HTTP endpoints of the object directory: objects, sub-libraries and their members.

Imports live in `api_imports.py` on the same blueprint.
"""
from __future__ import annotations

from flask import url_for
from werkzeug.datastructures import CombinedMultiDict

from ..accounts.auth import current_principal, requires
from ..errors import Forbidden
from ..extensions import db
from ..http import Blueprint, SafeParser
from ..pagination import keyset_page
from . import service, sublibs
from .access import READERS, WRITERS, Editor, sees_credit
from .models import InspectionObject
from .schemas import (
    BulkResultSchema, BulkSchema, MembersResultSchema, MembersSchema, ObjectInputSchema, ObjectPageSchema,
    ObjectPatchSchema, ObjectSchema, ObjectSearchArgs, SubLibrarySchema, SubLibraryUpdateSchema,
)
from .search import search_stmt
from .views import object_view, object_views


class _Parser(SafeParser):
    """`files` location = the whole multipart body (file parts and plain fields together)."""

    def load_files(self, req, schema):
        return self._makeproxy(CombinedMultiDict([req.files, req.form]), schema)


class RegistryBlueprint(Blueprint):
    ARGUMENTS_PARSER = _Parser()


blp = RegistryBlueprint("registry", __name__, url_prefix="/api/v1/registry", description="检查对象名录库（总库与分库、导入）")


def _view(obj: InspectionObject, **extra) -> dict:
    return {**object_view(obj, with_credit=sees_credit(current_principal())), **extra}


# --- sub-libraries ----------------------------------------------------------------

def _lib_view(lib, counts=None) -> dict:
    counts = sublibs.member_counts([lib.id]) if counts is None else counts
    return {"id": lib.id, "code": lib.code, "name": lib.name, "department_id": lib.department_id,
            "description": lib.description, "created_at": lib.created_at, "member_count": counts.get(lib.id, 0)}


@blp.route("/sub-libraries", methods=["GET"])
@requires(*READERS)
@blp.response(200, SubLibrarySchema(many=True))
def list_sub_libraries():
    """分库列表（含各分库对象数）"""
    libs = sublibs.list_sub_libraries()
    counts = sublibs.member_counts([lib.id for lib in libs])
    return [_lib_view(lib, counts) for lib in libs]


@blp.route("/sub-libraries", methods=["POST"])
@requires(*WRITERS)
@blp.arguments(SubLibrarySchema)
@blp.response(201, SubLibrarySchema)
def create_sub_library(args):
    """新建分库（部门管理员：本部门；办公室管理员：任意部门，含联合分库）"""
    lib = sublibs.create_sub_library(Editor.of(current_principal()), args)
    db.session.commit()
    return _lib_view(lib, {})


@blp.route("/sub-libraries/<int:lib_id>", methods=["GET"])
@requires(*READERS)
@blp.response(200, SubLibrarySchema)
def get_sub_library(lib_id):
    """分库详情"""
    return _lib_view(sublibs.get_sub_library(lib_id))


@blp.route("/sub-libraries/<int:lib_id>", methods=["PATCH"])
@requires(*WRITERS)
@blp.arguments(SubLibraryUpdateSchema)
@blp.response(200, SubLibrarySchema)
def update_sub_library(args, lib_id):
    """修改分库名称或说明（所属部门管理员或办公室管理员）"""
    lib = sublibs.update_sub_library(Editor.of(current_principal()), lib_id, args)
    db.session.commit()
    return _lib_view(lib)


@blp.route("/sub-libraries/<int:lib_id>", methods=["DELETE"])
@requires(*WRITERS)
@blp.response(204)
def delete_sub_library(lib_id):
    """删除空分库（仍有对象时拒绝）"""
    sublibs.delete_sub_library(Editor.of(current_principal()), lib_id)
    db.session.commit()


@blp.route("/sub-libraries/<int:lib_id>/members", methods=["POST"])
@requires(*WRITERS)
@blp.arguments(MembersSchema)
@blp.response(200, MembersResultSchema)
def add_members(args, lib_id):
    """把对象纳入分库（分类标注；可重复提交）"""
    result = sublibs.add_members(Editor.of(current_principal()), lib_id, args["object_ids"])
    db.session.commit()
    return result


@blp.route("/sub-libraries/<int:lib_id>/members/<int:object_id>", methods=["DELETE"])
@requires(*WRITERS)
@blp.response(204)
def remove_member(lib_id, object_id):
    """把对象移出分库"""
    sublibs.remove_member(Editor.of(current_principal()), lib_id, object_id)
    db.session.commit()


# --- objects -----------------------------------------------------------------------

@blp.route("/objects", methods=["GET"])
@requires(*READERS)
@blp.arguments(ObjectSearchArgs, location="query")
@blp.response(200, ObjectPageSchema)
def search_objects(args):
    """检索检查对象（名称、信用代码、区划、分库、信用风险分类等；游标分页）"""
    p = current_principal()
    credit = sees_credit(p)
    if args.get("risk_class") and not credit:
        raise Forbidden("执法检查人员不能按信用风险分类检索。", code="credit_data_forbidden")
    page = keyset_page(search_stmt(args), InspectionObject.id, args["limit"], args["cursor"])
    return {"items": object_views(page["items"], with_credit=credit), "next_cursor": page["next_cursor"]}


@blp.route("/objects", methods=["POST"])
@requires(*WRITERS)
@blp.arguments(ObjectInputSchema)
@blp.response(201, ObjectSchema)
@blp.alt_response(200, schema=ObjectSchema, description="已合并到信用代码相同的已有对象（或无变化）")
def create_object(args):
    """单户录入：新建对象；统一社会信用代码已存在时合并到原对象（返回 200）"""
    object_id, outcome = service.upsert_one(Editor.of(current_principal()), args)
    db.session.commit()
    obj = service.get_object(object_id)
    headers = {"Location": url_for("registry.get_object", object_id=object_id)}
    return _view(obj, outcome=outcome), 201 if outcome == "created" else 200, headers


@blp.route("/objects/bulk", methods=["POST"])
@requires(*WRITERS)
@blp.arguments(BulkSchema)
@blp.response(200, BulkResultSchema)
def bulk_upsert(args):
    """数据对接：批量新增或合并（每次最多 1000 个，逐项返回结果，可重复提交）"""
    result = service.bulk_upsert(Editor.of(current_principal()), args["objects"])
    db.session.commit()
    return result


@blp.route("/objects/<int:object_id>", methods=["GET"])
@requires(*READERS)
@blp.response(200, ObjectSchema)
def get_object(object_id):
    """检查对象详情（信用数据仅对后台人员显示）"""
    return _view(service.get_object(object_id))


@blp.route("/objects/<int:object_id>", methods=["PATCH"])
@requires(*WRITERS)
@blp.arguments(ObjectPatchSchema)
@blp.response(200, ObjectSchema)
def update_object(args, object_id):
    """修改检查对象（null 表示清空；可带 version 防止覆盖他人修改）"""
    obj = service.update_object(Editor.of(current_principal()), object_id, args)
    db.session.commit()
    return _view(obj)


from . import api_imports  # noqa: E402,F401  (routes on the same blueprint)
from .feeds import api as feeds_api  # noqa: E402,F401  (routes on the same blueprint)
