"""HTTP endpoints for authentication, the caller, devices, departments and users."""
from __future__ import annotations

from flask import request
from ..http import Blueprint

from ..extensions import db
from ..pagination import keyset_page
from ..schemas import PageArgsSchema
from . import admin, service
from .auth import CLEAR_CACHE, current_principal, requires
from .models import Device, Role, User
from .schemas import (
    DepartmentSchema, DepartmentUpdateSchema, DeviceListArgs, DeviceSchema, LoginSchema, MeSchema, OwnPasswordSchema,
    PasswordSchema, RefreshSchema, RevokeSchema, RolesSchema, TokenSchema, UserPageSchema, UserSchema,
    UserUpdateSchema,
)

blp = Blueprint("accounts", __name__, url_prefix="/api/v1", description="账号、设备与部门")


@blp.route("/auth/login", methods=["POST"])
@blp.arguments(LoginSchema)
@blp.response(200, TokenSchema)
def login(args):
    """登录：返回短期访问令牌与绑定本设备的刷新令牌"""
    return service.login(args["username"], args["password"], args["device_id"], args["device_name"],
                         request.remote_addr or "-")


@blp.route("/auth/refresh", methods=["POST"])
@blp.arguments(RefreshSchema)
@blp.response(200, TokenSchema)
def refresh(args):
    """轮换刷新令牌（每个刷新令牌只能使用一次）"""
    return service.refresh(args["refresh_token"], args["device_id"])


@blp.route("/auth/logout", methods=["POST"])
@requires()
@blp.response(204)
def logout():
    """退出登录：本次登录的全部刷新令牌立即失效；浏览器随即清除本站的 HTTP 缓存（Clear-Site-Data）"""
    service.logout(current_principal())
    return None, 204, CLEAR_CACHE


@blp.route("/me/password", methods=["POST"])
@requires()
@blp.arguments(OwnPasswordSchema)
@blp.response(204)
def change_password(args):
    """修改本人密码（须符合密码策略）；本人其他设备上的登录随即失效"""
    admin.change_own_password(current_principal(), args["current_password"], args["new_password"])
    db.session.commit()


@blp.route("/me", methods=["GET"])
@requires()
@blp.response(200, MeSchema)
def me():
    """当前用户、部门、角色与设备"""
    p = current_principal()
    user = db.session.get(User, p.user_id)
    return {"user": user, "department": user.department, "roles": user.roles,
            "device": db.session.get(Device, p.device_id)}


@blp.route("/me/devices", methods=["GET"])
@requires()
@blp.response(200, DeviceSchema(many=True))
def my_devices():
    """本人登录过的设备"""
    p = current_principal()
    return service.visible_devices(p, user_id=p.user_id)


@blp.route("/devices", methods=["GET"])
@requires(Role.DEPT_ADMIN, Role.OFFICE_ADMIN, Role.AUDITOR)
@blp.arguments(DeviceListArgs, location="query")
@blp.response(200, DeviceSchema(many=True))
def list_devices(args):
    """设备列表（部门管理员：本部门；办公室与审计：全部）"""
    return service.visible_devices(current_principal(), args["user_id"], args["include_revoked"])


@blp.route("/devices/<int:device_id>/revoke", methods=["POST"])
@requires()
@blp.arguments(RevokeSchema)
@blp.response(200, DeviceSchema)
def revoke_device(args, device_id):
    """停用设备（本人、本部门管理员或办公室管理员）：该设备下次请求即被拒绝并清除本机数据"""
    return service.revoke_device(current_principal(), device_id, args["reason"])


@blp.route("/departments", methods=["GET"])
@requires()
@blp.response(200, DepartmentSchema(many=True))
def list_departments():
    """部门列表"""
    return admin.list_departments()


@blp.route("/departments", methods=["POST"])
@requires(Role.OFFICE_ADMIN)
@blp.arguments(DepartmentSchema)
@blp.response(201, DepartmentSchema)
def create_department(args):
    """新建部门（办公室管理员）"""
    dept = admin.create_department(args)
    db.session.commit()
    return dept


@blp.route("/departments/<int:dept_id>", methods=["GET"])
@requires()
@blp.response(200, DepartmentSchema)
def get_department(dept_id):
    """部门详情"""
    return admin.get_department(dept_id)


@blp.route("/departments/<int:dept_id>", methods=["PATCH"])
@requires(Role.OFFICE_ADMIN)
@blp.arguments(DepartmentUpdateSchema)
@blp.response(200, DepartmentSchema)
def update_department(args, dept_id):
    """修改部门（办公室管理员）"""
    dept = admin.update_department(dept_id, args)
    db.session.commit()
    return dept


@blp.route("/users", methods=["GET"])
@requires(Role.DEPT_ADMIN, Role.OFFICE_ADMIN, Role.AUDITOR)
@blp.arguments(PageArgsSchema, location="query")
@blp.response(200, UserPageSchema)
def list_users(args):
    """用户列表（部门管理员：本部门；办公室与审计：全部）"""
    return keyset_page(admin.visible_users_stmt(current_principal()), User.id, args["limit"], args["cursor"])


@blp.route("/users", methods=["POST"])
@requires(Role.DEPT_ADMIN, Role.OFFICE_ADMIN)
@blp.arguments(UserSchema)
@blp.response(201, UserSchema)
def create_user(args):
    """新建用户（部门管理员：本部门；办公室管理员：任意部门）"""
    user = admin.create_user(args, granter=current_principal())
    db.session.commit()
    return user


@blp.route("/users/<int:user_id>", methods=["GET"])
@requires()
@blp.response(200, UserSchema)
def get_user(user_id):
    """用户详情（本部门或全部，视角色而定）"""
    return admin.get_user_for(current_principal(), user_id)


@blp.route("/users/<int:user_id>", methods=["PATCH"])
@requires(Role.DEPT_ADMIN, Role.OFFICE_ADMIN)
@blp.arguments(UserUpdateSchema)
@blp.response(200, UserSchema)
def update_user(args, user_id):
    """修改用户资料或停用账号"""
    user = admin.update_user(current_principal(), user_id, args)
    db.session.commit()
    return user


@blp.route("/users/<int:user_id>/roles", methods=["PUT"])
@requires(Role.DEPT_ADMIN, Role.OFFICE_ADMIN)
@blp.arguments(RolesSchema)
@blp.response(200, UserSchema)
def set_roles(args, user_id):
    """设置用户角色"""
    p = current_principal()
    user = admin.set_roles(admin.get_user_for(p, user_id, manage=True), args["roles"], granter=p)
    db.session.commit()
    return user


@blp.route("/users/<int:user_id>/password", methods=["POST"])
@requires(Role.DEPT_ADMIN, Role.OFFICE_ADMIN)
@blp.arguments(PasswordSchema)
@blp.response(204)
def reset_password(args, user_id):
    """重置用户密码（须符合密码策略）；该用户的全部登录随即失效，下次登录须先修改密码"""
    admin.set_password(admin.get_user_for(current_principal(), user_id, manage=True), args["password"],
                       must_change=True)
    db.session.commit()
