"""Who may see and change what in the inspector directory.

- office admin: manages every department's inspectors; auditor: reads everything;
- department admin: manages their own department's inspectors;
- department leader and reviewer: read their own department;
- inspector: reads their own record, manages their own leave and conflict declarations.

An inspector the caller may not see is 404 (ids do not leak); one they may see but not
change is 403.
"""
from __future__ import annotations

from ..accounts.auth import Principal
from ..accounts.models import Role
from ..errors import Forbidden, NotFound
from ..extensions import db
from .models import Inspector

DEPT_READERS = (Role.DEPT_ADMIN, Role.DEPT_LEADER, Role.REVIEWER)
MAX_ID = 2**31 - 1


def get_row(model, row_id: int):
    """`session.get`, but an id no integer column can hold (from a URL) is simply absent."""
    if not isinstance(row_id, int) or not 0 < row_id <= MAX_ID:
        return None
    return db.session.get(model, row_id)


def reads_department(p: Principal, department_id: int) -> bool:
    """Directory-wide reading: the office and auditors everywhere, staff their own department."""
    return p.sees_everything or (p.department_id == department_id and p.has(*DEPT_READERS))


def manages_department(p: Principal, department_id: int) -> bool:
    return p.has(Role.OFFICE_ADMIN) or (p.has(Role.DEPT_ADMIN) and p.department_id == department_id)


def is_self(p: Principal, inspector: Inspector) -> bool:
    return inspector.user_id is not None and inspector.user_id == p.user_id


def existing_inspector(inspector_id: int) -> Inspector:
    """The inspector, for the command line and the demo loader (no caller to check), else 404."""
    insp = get_row(Inspector, inspector_id)
    if insp is None:
        raise NotFound("执法检查人员不存在。", code="inspector_not_found")
    return insp


def visible_inspector(p: Principal, inspector_id: int) -> Inspector:
    """The inspector if the caller may see it, else 404."""
    insp = get_row(Inspector, inspector_id)
    if insp is None or not (reads_department(p, insp.department_id) or is_self(p, insp)):
        raise NotFound("执法检查人员不存在。", code="inspector_not_found")
    return insp


def managed_inspector(p: Principal, inspector_id: int) -> Inspector:
    """An inspector record the caller may edit (administrators only)."""
    insp = visible_inspector(p, inspector_id)
    if not manages_department(p, insp.department_id):
        raise Forbidden("只有本部门管理员或办公室管理员可以修改执法检查人员信息。", code="not_department_admin")
    return insp


def self_service_inspector(p: Principal, inspector_id: int, what: str) -> Inspector:
    """The inspector themself, or an administrator of their department (leave, conflicts)."""
    insp = visible_inspector(p, inspector_id)
    if not (is_self(p, insp) or manages_department(p, insp.department_id)):
        raise Forbidden(f"只有本人、本部门管理员或办公室管理员可以{what}。", code="not_self_or_admin")
    return insp


def reads_conflicts(p: Principal, insp: Inspector) -> bool:
    """Declarations are personal: the inspector, their department's admins, the office, auditors."""
    return is_self(p, insp) or p.sees_everything or (p.has(Role.DEPT_ADMIN) and p.department_id == insp.department_id)
