"""Departments, users and roles: used by the admin API and the CLI alike."""
from __future__ import annotations

from sqlalchemy import func, select

from ..audit import service as audit
from ..errors import Conflict, Forbidden, Invalid, NotFound, field_error
from ..extensions import db
from ..types import utcnow
from .auth import Principal, hash_password
from .models import Department, Role, User, UserRole
from . import passwords
from .auth import verify_password
from .service import can_manage_user, end_sessions, normalise_username

ALL_ROLES = [r.value for r in Role]
# Roles a department admin may hand out inside their own department.
DEPT_GRANTABLE = {Role.INSPECTOR.value, Role.REVIEWER.value, Role.DEPT_ADMIN.value, Role.DEPT_LEADER.value}


# --- departments ---------------------------------------------------------------

def list_departments() -> list[Department]:
    return list(db.session.execute(select(Department).order_by(Department.id)).scalars())


def get_department(dept_id: int) -> Department:
    dept = db.session.get(Department, dept_id)
    if dept is None:
        raise NotFound("部门不存在。", code="department_not_found")
    return dept


def department_by_code(code: str) -> Department:
    dept = db.session.execute(select(Department).where(Department.code == code)).scalar_one_or_none()
    if dept is None:
        raise NotFound(f"部门“{code}”不存在。", code="department_not_found")
    return dept


def create_department(data: dict) -> Department:
    """Create a department; at most one may be the office (领导小组办公室)."""
    if db.session.execute(select(Department.id).where(Department.code == data["code"])).first():
        raise Conflict(f"部门代码“{data['code']}”已存在。", code="department_exists")
    parent_id = data.get("parent_id")
    if parent_id is not None:
        get_department(parent_id)
    if data.get("is_office") and db.session.execute(select(Department.id).where(Department.is_office.is_(True))).first():
        raise Conflict("领导小组办公室已存在，只能有一个。", code="office_exists")
    dept = Department(
        code=data["code"], name=data["name"], level=data["level"], region_code=data["region_code"],
        industry_tags=sorted(set(data.get("industry_tags") or [])), parent_id=parent_id,
        is_office=bool(data.get("is_office")),
    )
    db.session.add(dept)
    db.session.flush()
    audit.record(db.session, "department.create", "department", dept.id, department_view(dept))
    return dept


def update_department(dept_id: int, data: dict) -> Department:
    dept = get_department(dept_id)
    changes = {}
    for key in ("name", "level", "region_code", "industry_tags", "parent_id"):
        if key in data:
            value = sorted(set(data[key])) if key == "industry_tags" else data[key]
            if key == "parent_id" and value is not None:
                if value == dept.id:
                    raise Invalid("上级部门不能是自己。", errors=[field_error("parent_id", "上级部门不能是自己。")])
                get_department(value)
            if getattr(dept, key) != value:
                changes[key] = value
                setattr(dept, key, value)
    if changes:
        audit.record(db.session, "department.update", "department", dept.id, changes)
    return dept


def department_view(dept: Department) -> dict:
    return {"code": dept.code, "name": dept.name, "level": dept.level, "region_code": dept.region_code,
            "industry_tags": list(dept.industry_tags or []), "parent_id": dept.parent_id, "is_office": dept.is_office}


# --- users -------------------------------------------------------------------------

def _check_roles(roles: list[str], dept: Department, granter: Principal | None) -> list[str]:
    unknown = [r for r in roles if r not in ALL_ROLES]
    if unknown:
        raise Invalid(f"未知角色：{'、'.join(unknown)}。", code="unknown_role",
                      errors=[field_error("roles", f"未知角色：{'、'.join(unknown)}。")])
    if Role.OFFICE_ADMIN.value in roles and not dept.is_office:
        raise Invalid("只有领导小组办公室的人员可以担任办公室管理员。", code="role_not_allowed",
                      errors=[field_error("roles", "办公室管理员角色仅限领导小组办公室人员。")])
    if granter is not None and not granter.has(Role.OFFICE_ADMIN):
        beyond = [r for r in roles if r not in DEPT_GRANTABLE]
        if beyond:
            raise Forbidden(f"部门管理员不能授予角色：{'、'.join(beyond)}。", code="role_not_grantable")
    return sorted(set(roles))


def visible_users_stmt(principal: Principal):
    stmt = select(User).order_by(User.id)
    if not principal.sees_everything:
        stmt = stmt.where(User.department_id == principal.department_id)
    return stmt


def get_user_for(principal: Principal, user_id: int, manage: bool = False) -> User:
    """A user the caller may see (or manage); others are 404 so ids don't leak."""
    user = db.session.get(User, user_id)
    visible = user is not None and (
        principal.sees_everything or user.department_id == principal.department_id or user.id == principal.user_id
    )
    if not visible or (manage and not can_manage_user(principal, user)):
        raise NotFound("用户不存在。", code="user_not_found")
    return user


def create_user(data: dict, granter: Principal | None = None, check_policy: bool = True) -> User:
    """Create an account (granter None = the CLI, which may do anything; the demo data alone skips
    the password policy, for its one shared, printed password)."""
    username = normalise_username(data["username"])
    dept = get_department(data["department_id"])
    if granter is not None and not granter.has(Role.OFFICE_ADMIN) and dept.id != granter.department_id:
        raise Forbidden("部门管理员只能为本部门创建账号。", code="other_department")
    if db.session.execute(select(User.id).where(func.lower(User.username) == username)).first():
        raise Conflict(f"用户名“{username}”已存在。", code="username_taken",
                       errors=[field_error("username", "用户名已存在。")])
    if check_policy:
        passwords.check(data["password"], username)
    roles = _check_roles(list(data.get("roles") or []), dept, granter)
    user = User(username=username, display_name=data["display_name"], phone=data.get("phone"),
                department_id=dept.id, active=data.get("active", True),
                password_hash=hash_password(data["password"]),
                # An administrator chose this password: the user replaces it at first login.
                must_change_password=granter is not None)
    user.role_rows = [UserRole(role=r) for r in roles]
    db.session.add(user)
    db.session.flush()
    audit.record(db.session, "user.create", "user", user.id,
                 {"username": username, "display_name": user.display_name, "department": dept.code, "roles": roles})
    return user


def update_user(principal: Principal, user_id: int, data: dict) -> User:
    user = get_user_for(principal, user_id, manage=True)
    changes = {}
    for key in ("display_name", "phone", "active"):
        if key in data and getattr(user, key) != data[key]:
            changes[key] = data[key]
            setattr(user, key, data[key])
    if changes:
        audit.record(db.session, "user.update", "user", user.id, changes)
    return user


def set_roles(user: User, roles: list[str], granter: Principal | None = None) -> User:
    before = user.roles
    if granter is not None and not granter.has(Role.OFFICE_ADMIN):
        # A department admin can neither grant nor take away office-level roles.
        fixed = [r for r in before if r not in DEPT_GRANTABLE]
        roles = list(roles) + fixed
    new = _check_roles(roles, user.department, granter)
    user.role_rows = [UserRole(role=r) for r in new]
    audit.record(db.session, "user.roles", "user", user.id, {"before": before, "after": new})
    return user


def set_password(user: User, password: str, keep_session: str | None = None, must_change: bool = False) -> None:
    """A new password ends every session of the user (a reset by an administrator: all of them;
    the user's own change: all but `keep_session`, the one they changed it from). `must_change`:
    an administrator's reset, which the user must replace at their next login."""
    passwords.check(password, user.username)
    user.password_hash = hash_password(password)
    user.password_changed_at = now = utcnow()
    user.must_change_password = must_change
    ended = end_sessions(user.id, "password_changed", now, keep=keep_session)
    audit.record(db.session, "user.password", "user", user.id,
                 {"sessions_ended": ended, "self": keep_session is not None, "must_change": must_change})


def change_own_password(principal: Principal, current: str, new: str) -> None:
    """Self-service: the current password, then the policy; every other session of the user ends."""
    user = db.session.get(User, principal.user_id)
    if not verify_password(user.password_hash, current):
        raise Invalid("当前密码不正确。", code="wrong_password", errors=[field_error("current_password", "当前密码不正确。")])
    if new == current:
        raise Invalid("新密码不能与当前密码相同。", code="password_unchanged",
                      errors=[field_error("new_password", "新密码不能与当前密码相同。")])
    set_password(user, new, keep_session=principal.session_id)


def user_by_username(username: str) -> User:
    user = db.session.execute(select(User).where(User.username == normalise_username(username))).scalar_one_or_none()
    if user is None:
        raise NotFound(f"用户“{username}”不存在。", code="user_not_found")
    return user
