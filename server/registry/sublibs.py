"""Sub-libraries (分库) and their members: the tags that place objects in a domain."""
from __future__ import annotations

from sqlalchemy import delete, func, select, update

from ..accounts.models import Department
from ..audit import service as audit
from ..errors import Conflict, Forbidden, Invalid, NotFound, field_error
from ..extensions import db
from ..types import utcnow
from .access import Editor
from .models import InspectionObject, ObjectSubLibrary, SubLibrary
from .normalize import LibRef, Lookup

MAX_MEMBERS_PER_CALL = 1000


def ref(lib: SubLibrary) -> LibRef:
    return LibRef(lib.id, lib.code, lib.name, lib.department_id)


def load_lookup() -> Lookup:
    """Every sub-library, for resolving codes and names in a batch."""
    rows = db.session.execute(select(SubLibrary.id, SubLibrary.code, SubLibrary.name, SubLibrary.department_id))
    return Lookup.of(LibRef(*r) for r in rows)


def list_sub_libraries(department_id: int | None = None) -> list[SubLibrary]:
    stmt = select(SubLibrary).order_by(SubLibrary.code)
    if department_id is not None:
        stmt = stmt.where(SubLibrary.department_id == department_id)
    return list(db.session.execute(stmt).scalars())


def member_counts(ids: list[int]) -> dict[int, int]:
    if not ids:
        return {}
    rows = db.session.execute(select(ObjectSubLibrary.sub_library_id, func.count())
                              .where(ObjectSubLibrary.sub_library_id.in_(ids))
                              .group_by(ObjectSubLibrary.sub_library_id))
    return dict(rows.all())


def get_sub_library(lib_id: int) -> SubLibrary:
    lib = db.session.get(SubLibrary, lib_id)
    if lib is None:
        raise NotFound("分库不存在。", code="sub_library_not_found")
    return lib


def _managed(editor: Editor, lib_id: int) -> SubLibrary:
    lib = get_sub_library(lib_id)
    if not editor.may_use_library(ref(lib)):
        raise Forbidden("该分库属于其他部门，本部门不能管理。", code="sub_library_not_manageable")
    return lib


def _check_unique(code: str | None, name: str | None, exclude: int | None = None) -> None:
    if code is not None:
        other = db.session.execute(select(SubLibrary.id).where(SubLibrary.code == code)).scalar()
        if other is not None and other != exclude:
            raise Conflict(f"分库代码“{code}”已存在。", code="sub_library_code_taken",
                           errors=[field_error("code", "分库代码已存在。")])
    if name is not None:
        other = db.session.execute(select(SubLibrary.id).where(SubLibrary.name == name)).scalar()
        if other is not None and other != exclude:
            raise Conflict(f"分库名称“{name}”已存在（导入时按名称识别分库，名称须唯一）。", code="sub_library_name_taken",
                           errors=[field_error("name", "分库名称已存在。")])


def create_sub_library(editor: Editor, data: dict) -> SubLibrary:
    """A department admin creates sub-libraries of their own department; the office, of any."""
    dept_id = data.get("department_id") or editor.department_id
    if dept_id is None or db.session.get(Department, dept_id) is None:
        raise Invalid("所属部门不存在。", code="department_not_found",
                      errors=[field_error("department_id", "所属部门不存在。")])
    if not editor.manages_all and dept_id != editor.department_id:
        raise Forbidden("部门管理员只能为本部门建立分库。", code="other_department")
    _check_unique(data["code"], data["name"])
    lib = SubLibrary(code=data["code"], name=data["name"], department_id=dept_id, description=data.get("description"))
    db.session.add(lib)
    db.session.flush()
    audit.record(db.session, "registry.sub_library.create", "sub_library", lib.id,
                 {"code": lib.code, "name": lib.name, "department_id": dept_id, "description": lib.description},
                 actor=editor.actor)
    return lib


def update_sub_library(editor: Editor, lib_id: int, data: dict) -> SubLibrary:
    """Name and description may change; the code is what plans refer to and stays."""
    lib = _managed(editor, lib_id)
    _check_unique(None, data.get("name"), exclude=lib.id)
    changes = {}
    for key in ("name", "description"):
        if key in data and getattr(lib, key) != data[key]:
            changes[key] = data[key]
            setattr(lib, key, data[key])
    if changes:
        audit.record(db.session, "registry.sub_library.update", "sub_library", lib.id, changes, actor=editor.actor)
    return lib


def delete_sub_library(editor: Editor, lib_id: int) -> None:
    lib = _managed(editor, lib_id)
    if member_counts([lib.id]).get(lib.id):
        raise Conflict("分库中仍有检查对象，请先移出全部对象再删除。", code="sub_library_not_empty")
    audit.record(db.session, "registry.sub_library.delete", "sub_library", lib.id, {"code": lib.code, "name": lib.name},
                 actor=editor.actor)
    db.session.delete(lib)


def _touch(object_ids: list[int]) -> None:
    """Membership is part of an object's state: bump version and time."""
    if object_ids:
        db.session.execute(update(InspectionObject).where(InspectionObject.id.in_(object_ids))
                           .values(version=InspectionObject.version + 1, updated_at=utcnow()))


def add_members(editor: Editor, lib_id: int, object_ids: list[int]) -> dict:
    """Tag objects into a sub-library (idempotent). Unknown ids are refused as a whole."""
    lib = _managed(editor, lib_id)
    wanted = list(dict.fromkeys(object_ids))
    if len(wanted) > MAX_MEMBERS_PER_CALL:
        raise Invalid(f"每次最多 {MAX_MEMBERS_PER_CALL} 个对象。", code="too_many_objects")
    found = set(db.session.execute(select(InspectionObject.id).where(InspectionObject.id.in_(wanted))).scalars())
    missing = [i for i in wanted if i not in found]
    if missing:
        raise Invalid(f"检查对象不存在：{'、'.join(map(str, missing[:20]))}。", code="object_not_found",
                      errors=[field_error("object_ids", f"不存在的对象编号：{missing[:20]}")])
    present = set(db.session.execute(select(ObjectSubLibrary.object_id).where(
        ObjectSubLibrary.sub_library_id == lib.id, ObjectSubLibrary.object_id.in_(wanted))).scalars())
    added = [i for i in wanted if i not in present]
    db.session.add_all(ObjectSubLibrary(object_id=i, sub_library_id=lib.id) for i in added)
    _touch(added)
    if added:
        audit.record(db.session, "registry.sub_library.add_members", "sub_library", lib.id,
                     {"code": lib.code, "object_ids": added}, actor=editor.actor)
    return {"added": added, "already": [i for i in wanted if i in present]}


def remove_member(editor: Editor, lib_id: int, object_id: int) -> None:
    lib = _managed(editor, lib_id)
    gone = db.session.execute(delete(ObjectSubLibrary).where(
        ObjectSubLibrary.sub_library_id == lib.id, ObjectSubLibrary.object_id == object_id)).rowcount
    if not gone:
        raise NotFound("该对象不在此分库中。", code="member_not_found")
    _touch([object_id])
    audit.record(db.session, "registry.sub_library.remove_member", "sub_library", lib.id,
                 {"code": lib.code, "object_id": object_id}, actor=editor.actor)
