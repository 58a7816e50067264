"""HTTP endpoints of the inspector directory: thin handlers over the services."""
from __future__ import annotations

from ..accounts.auth import current_principal, requires
from ..accounts.models import Role
from ..errors import NotFound
from ..extensions import db
from ..http import Blueprint
from ..pagination import keyset_page
from . import borrowing, declarations, directory
from .access import visible_inspector
from .models import BorrowAgreement, ConflictDeclaration, Inspector
from .schemas import (
    BorrowPageSchema, BorrowQuerySchema, BorrowSchema, ConflictListArgs, ConflictPageSchema, ConflictQuerySchema,
    ConflictSchema, ConsentSchema, InspectorCreateSchema, InspectorPageSchema, InspectorQuerySchema, InspectorSchema,
    InspectorUpdateSchema, ReasonSchema, UnavailabilitySchema,
)
from .service import inspector_for_user

blp = Blueprint("inspectors", __name__, url_prefix="/api/v1", description="执法检查人员名录库")

READERS = (Role.DEPT_ADMIN, Role.DEPT_LEADER, Role.REVIEWER, Role.OFFICE_ADMIN, Role.AUDITOR)
MANAGERS = (Role.DEPT_ADMIN, Role.OFFICE_ADMIN)


# --- inspectors ---------------------------------------------------------------------------

@blp.route("/inspectors", methods=["GET"])
@requires(*READERS)
@blp.arguments(InspectorQuerySchema, location="query")
@blp.response(200, InspectorPageSchema)
def list_inspectors(args):
    """查询执法检查人员（本部门或全部，视角色而定），可按资质、类别、可用期间、执法证到期筛选"""
    stmt = directory.search_stmt(current_principal(), args)
    return keyset_page(stmt, Inspector.id, args["limit"], args["cursor"])


@blp.route("/inspectors", methods=["POST"])
@requires(*MANAGERS)
@blp.arguments(InspectorCreateSchema)
@blp.response(201, InspectorSchema)
def create_inspector(args):
    """新增执法检查人员（部门管理员：本部门；办公室管理员：任意部门）"""
    insp = directory.create_inspector(current_principal(), args)
    db.session.commit()
    return insp


@blp.route("/inspectors/me", methods=["GET"])
@requires()
@blp.response(200, InspectorSchema)
def my_record():
    """本人的执法检查人员档案（未登记为执法检查人员时为 404）"""
    insp = inspector_for_user(current_principal().user_id)
    if insp is None:
        raise NotFound("当前账号未登记为执法检查人员。", code="inspector_not_found")
    return insp


@blp.route("/inspectors/<int:inspector_id>", methods=["GET"])
@requires()
@blp.response(200, InspectorSchema)
def get_inspector(inspector_id):
    """执法检查人员详情（本人、本部门或全部，视角色而定）"""
    return visible_inspector(current_principal(), inspector_id)


@blp.route("/inspectors/<int:inspector_id>", methods=["PATCH"])
@requires(*MANAGERS)
@blp.arguments(InspectorUpdateSchema)
@blp.response(200, InspectorSchema)
def update_inspector(args, inspector_id):
    """修改执法检查人员信息（只有办公室管理员可以调整所属部门）"""
    insp = directory.update_inspector(current_principal(), inspector_id, args)
    db.session.commit()
    return insp


@blp.route("/inspectors/<int:inspector_id>/deactivate", methods=["POST"])
@requires(*MANAGERS)
@blp.arguments(ReasonSchema)
@blp.response(200, InspectorSchema)
def deactivate_inspector(args, inspector_id):
    """停用执法检查人员（调离、退休等），须说明原因；停用后不再参加随机匹配"""
    insp = directory.set_active(current_principal(), inspector_id, False, args["reason"])
    db.session.commit()
    return insp


@blp.route("/inspectors/<int:inspector_id>/reactivate", methods=["POST"])
@requires(*MANAGERS)
@blp.arguments(ReasonSchema)
@blp.response(200, InspectorSchema)
def reactivate_inspector(args, inspector_id):
    """恢复执法检查人员在岗状态，须说明原因"""
    insp = directory.set_active(current_principal(), inspector_id, True, args["reason"])
    db.session.commit()
    return insp


# --- unavailable periods --------------------------------------------------------------------

@blp.route("/inspectors/<int:inspector_id>/unavailability", methods=["GET"])
@requires()
@blp.response(200, UnavailabilitySchema(many=True))
def list_unavailability(inspector_id):
    """该人员登记的不可用期间（休假、培训、病假、借调等）"""
    return declarations.list_unavailability(current_principal(), inspector_id)


@blp.route("/inspectors/<int:inspector_id>/unavailability", methods=["POST"])
@requires()
@blp.arguments(UnavailabilitySchema)
@blp.response(201, UnavailabilitySchema)
def add_unavailability(args, inspector_id):
    """登记不可用期间（本人，或本部门管理员、办公室管理员）"""
    row = declarations.add_unavailability(current_principal(), inspector_id, args)
    db.session.commit()
    return row


@blp.route("/inspectors/<int:inspector_id>/unavailability/<int:period_id>", methods=["DELETE"])
@requires()
@blp.response(204)
def delete_unavailability(inspector_id, period_id):
    """删除不可用期间（本人，或本部门管理员、办公室管理员）"""
    declarations.delete_unavailability(current_principal(), inspector_id, period_id)
    db.session.commit()


# --- conflict-of-interest declarations ---------------------------------------------------------

@blp.route("/inspectors/conflicts", methods=["GET"])
@requires(Role.DEPT_ADMIN, Role.OFFICE_ADMIN, Role.AUDITOR)
@blp.arguments(ConflictQuerySchema, location="query")
@blp.response(200, ConflictPageSchema)
def list_all_conflicts(args):
    """利害关系申报一览（部门管理员：本部门；办公室与审计：全部）"""
    stmt = declarations.conflicts_stmt(current_principal(), args)
    return keyset_page(stmt, ConflictDeclaration.id, args["limit"], args["cursor"])


@blp.route("/inspectors/<int:inspector_id>/conflicts", methods=["GET"])
@requires()
@blp.arguments(ConflictListArgs, location="query")
@blp.response(200, ConflictSchema(many=True))
def list_conflicts(args, inspector_id):
    """该人员的利害关系申报（本人、本部门管理员、办公室、审计）"""
    return declarations.list_conflicts(current_principal(), inspector_id, args["include_withdrawn"])


@blp.route("/inspectors/<int:inspector_id>/conflicts", methods=["POST"])
@requires()
@blp.arguments(ConflictSchema)
@blp.response(201, ConflictSchema)
def declare_conflict(args, inspector_id):
    """申报与检查对象的利害关系（本人申报，或本部门管理员、办公室管理员代为登记）"""
    row = declarations.declare_conflict(current_principal(), inspector_id, args)
    db.session.commit()
    return row


@blp.route("/inspectors/<int:inspector_id>/conflicts/<int:conflict_id>/withdraw", methods=["POST"])
@requires()
@blp.arguments(ReasonSchema)
@blp.response(200, ConflictSchema)
def withdraw_conflict(args, inspector_id, conflict_id):
    """撤回利害关系申报（保留记录；本人只能撤回自己申报的）"""
    row = declarations.withdraw_conflict(current_principal(), inspector_id, conflict_id, args["reason"])
    db.session.commit()
    return row


# --- same-industry borrowing (Art. 17) -----------------------------------------------------------

@blp.route("/inspectors/borrowing", methods=["GET"])
@requires(*READERS)
@blp.arguments(BorrowQuerySchema, location="query")
@blp.response(200, BorrowPageSchema)
def list_borrowing(args):
    """同行业借调约定（办公室与审计：全部；各部门：本部门作为借入或出借方的）"""
    stmt = borrowing.agreements_stmt(current_principal(), args)
    return keyset_page(stmt, BorrowAgreement.id, args["limit"], args["cursor"])


@blp.route("/inspectors/borrowing", methods=["POST"])
@requires(Role.DEPT_ADMIN)
@blp.arguments(BorrowSchema)
@blp.response(201, BorrowSchema)
def create_borrowing(args):
    """登记同行业借调约定：本部门执法力量不足时可从出借部门名录库随机匹配人员（第十七条）"""
    row = borrowing.create_agreement(current_principal(), args)
    db.session.commit()
    return row


@blp.route("/inspectors/borrowing/<int:agreement_id>", methods=["GET"])
@requires(*READERS)
@blp.response(200, BorrowSchema)
def get_borrowing(agreement_id):
    """借调约定详情"""
    return borrowing.visible_agreement(current_principal(), agreement_id)


@blp.route("/inspectors/borrowing/<int:agreement_id>/consent", methods=["POST"])
@requires(Role.DEPT_ADMIN)
@blp.arguments(ConsentSchema)
@blp.response(200, BorrowSchema)
def consent_borrowing(args, agreement_id):
    """出借部门同意借调约定（仅出借部门管理员；未经同意的约定不能用于抽取，第十七条）"""
    row = borrowing.consent_agreement(current_principal(), agreement_id, args["note"])
    db.session.commit()
    return row


@blp.route("/inspectors/borrowing/<int:agreement_id>/revoke", methods=["POST"])
@requires(*MANAGERS)
@blp.arguments(ReasonSchema)
@blp.response(200, BorrowSchema)
def revoke_borrowing(args, agreement_id):
    """撤销借调约定（借调双方的部门管理员或办公室管理员）"""
    row = borrowing.revoke_agreement(current_principal(), agreement_id, args["reason"])
    db.session.commit()
    return row
