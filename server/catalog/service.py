"""The one list: check items, versioning and working guides."""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy import or_, select

from ..accounts.auth import Principal
from ..accounts.models import Department, Role
from ..audit import service as audit
from ..canonical import jcs_sha256
from ..errors import Conflict, Forbidden, Invalid, NotFound, field_error
from ..extensions import db
from ..types import utcnow
from .models import CheckItem, CheckItemVersion, Checkpoint

CONTENT_FIELDS = ("name", "sub_items", "legal_basis", "object_types", "level", "methods", "max_ratio",
                  "required_qualifications", "documents_to_request")
CHECKPOINT_FIELDS = ("key", "prompt", "legal_basis", "answer_type", "unit", "choices", "photo_required", "hint")


def version_content(v: CheckItemVersion) -> dict:
    """The canonical content of a version (what its hash covers)."""
    body = {f: getattr(v, f) for f in CONTENT_FIELDS}
    body["checkpoints"] = [{f: getattr(c, f) for f in CHECKPOINT_FIELDS} for c in v.checkpoints]
    return body


def _new_version(item: CheckItem, number: int, data: dict, author: int | None) -> CheckItemVersion:
    content = {f: data.get(f) for f in CONTENT_FIELDS}
    content["checkpoints"] = [{f: cp.get(f) for f in CHECKPOINT_FIELDS} for cp in data["checkpoints"]]
    v = CheckItemVersion(item=item, version=number, change_note=data.get("change_note"),
                         created_by=author, content_sha256=jcs_sha256(content), created_at=utcnow(),
                         **{f: content[f] for f in CONTENT_FIELDS})
    v.checkpoints = [Checkpoint(position=i + 1, **cp) for i, cp in enumerate(content["checkpoints"])]
    db.session.add(v)
    return v


def _may_manage(principal: Principal, item_dept_id: int, is_joint: bool) -> bool:
    if principal.has(Role.OFFICE_ADMIN):
        return True
    return principal.has(Role.DEPT_ADMIN) and not is_joint and item_dept_id == principal.department_id


def create_item(principal: Principal, data: dict) -> CheckItem:
    """A new item (version 1). Joint items belong to the office's joint list."""
    if data.get("is_joint") and not principal.has(Role.OFFICE_ADMIN):
        raise Forbidden("联合抽查事项清单由领导小组办公室维护。", code="joint_list_office_only")
    dept_id = data.get("department_id") or principal.department_id
    if db.session.get(Department, dept_id) is None:
        raise Invalid("部门不存在。", errors=[field_error("department_id", "部门不存在。")])
    if not _may_manage(principal, dept_id, bool(data.get("is_joint"))):
        raise Forbidden("只能维护本部门的抽查事项。", code="other_department")
    if db.session.execute(select(CheckItem.id).where(CheckItem.code == data["code"])).first():
        raise Conflict(f"事项编码“{data['code']}”已存在。", code="item_code_taken",
                       errors=[field_error("code", "事项编码已存在。")])
    item = CheckItem(code=data["code"], department_id=dept_id, is_joint=bool(data.get("is_joint")), current_version=1)
    db.session.add(item)
    v = _new_version(item, 1, data, principal.user_id)
    db.session.flush()
    audit.record(db.session, "item.create", "check_item", item.id,
                 {"code": item.code, "version": 1, "content_sha256": v.content_sha256})
    return item


def get_item(item_id: int) -> CheckItem:
    item = db.session.get(CheckItem, item_id)
    if item is None:
        raise NotFound("抽查事项不存在。", code="item_not_found")
    return item


def get_version(item_id: int, version: int) -> CheckItemVersion:
    v = db.session.execute(
        select(CheckItemVersion).where(CheckItemVersion.item_id == item_id, CheckItemVersion.version == version)
    ).scalar_one_or_none()
    if v is None:
        raise NotFound(f"抽查事项的第 {version} 版不存在。", code="item_version_not_found")
    return v


def current_version(item: CheckItem) -> CheckItemVersion:
    return next(v for v in item.versions if v.version == item.current_version)


def revise_item(principal: Principal, item_id: int, data: dict) -> CheckItem:
    """Editing makes a new version; old versions stay readable and pinned tasks keep theirs."""
    item = get_item(item_id)
    if not _may_manage(principal, item.department_id, item.is_joint):
        raise NotFound("抽查事项不存在。", code="item_not_found")
    if item.retired_at is not None:
        raise Conflict("该事项已停用，不能修订。", code="item_retired")
    latest = current_version(item)
    candidate = {f: data.get(f) for f in CONTENT_FIELDS}
    candidate["checkpoints"] = [{f: cp.get(f) for f in CHECKPOINT_FIELDS} for cp in data["checkpoints"]]
    if jcs_sha256(candidate) == latest.content_sha256:
        return item  # nothing changed: no new version
    number = item.current_version + 1
    v = _new_version(item, number, data, principal.user_id)
    item.current_version = number
    db.session.flush()
    audit.record(db.session, "item.revise", "check_item", item.id,
                 {"version": number, "previous": number - 1, "content_sha256": v.content_sha256,
                  "change_note": data.get("change_note")})
    return item


def retire_item(principal: Principal, item_id: int, reason: str) -> CheckItem:
    item = get_item(item_id)
    if not _may_manage(principal, item.department_id, item.is_joint):
        raise NotFound("抽查事项不存在。", code="item_not_found")
    if item.retired_at is None:
        item.retired_at = utcnow()
        audit.record(db.session, "item.retire", "check_item", item.id, {"reason": reason})
    return item


def items_stmt(department_id: int | None = None, joint: bool | None = None, q: str | None = None,
               include_retired: bool = False):
    stmt = select(CheckItem)
    if department_id is not None:
        stmt = stmt.where(CheckItem.department_id == department_id)
    if joint is not None:
        stmt = stmt.where(CheckItem.is_joint.is_(joint))
    if not include_retired:
        stmt = stmt.where(CheckItem.retired_at.is_(None))
    if q:
        like = f"%{q}%"
        stmt = stmt.where(or_(CheckItem.code.ilike(like), CheckItem.id.in_(
            select(CheckItemVersion.item_id).where(CheckItemVersion.name.ilike(like)))))
    return stmt


def item_view(item: CheckItem, version: CheckItemVersion | None = None) -> dict:
    dept = db.session.get(Department, item.department_id)
    v = version or current_version(item)
    return {"id": item.id, "code": item.code, "department_id": item.department_id, "department_code": dept.code,
            "department_name": dept.name, "is_joint": item.is_joint, "current_version": item.current_version,
            "retired": item.retired_at is not None, "versions": [x.version for x in item.versions], "current": v}


def ratio_within_max(version: CheckItemVersion, ratio: str) -> bool:
    """General items cap the sampling ratio; key items have no upper limit."""
    if version.level == "key" or version.max_ratio is None:
        return True
    return Decimal(ratio) <= Decimal(version.max_ratio)
