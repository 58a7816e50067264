"""`/api/v1/delivery/…`: endpoints, messages with their attempts, the inbox, the dashboard, subject fetch."""
from __future__ import annotations

from ..accounts.auth import current_principal, requires
from ..accounts.models import Role
from ..extensions import db
from ..http import Blueprint
from . import endpoints, inbox, messages
from .schemas import (DashboardRowSchema, EndpointCreateSchema, EndpointSchema, EndpointUpdateSchema,
                      EndpointWithSecretSchema, InboxItemSchema, InboxListArgs, InboxPageSchema, MessageListArgs,
                      MessagePageSchema, MessageSchema, RotateSchema, SubjectSchema)

blp = Blueprint("delivery", __name__, url_prefix="/api/v1/delivery", description="消息投递：接收端点、收件箱与投递记录")

ADMINS_AND_READERS = (Role.DEPT_ADMIN, Role.OFFICE_ADMIN, Role.AUDITOR)
STAFF_AND_READERS = (Role.DEPT_ADMIN, Role.DEPT_LEADER, Role.REVIEWER, Role.OFFICE_ADMIN, Role.AUDITOR)
STAFF = (Role.DEPT_ADMIN, Role.DEPT_LEADER, Role.REVIEWER)


@blp.route("/endpoints", methods=["GET"])
@requires(*ADMINS_AND_READERS)
@blp.response(200, EndpointSchema(many=True))
def list_endpoints():
    """接收端点列表（部门管理员：本部门；办公室与审计：全部）"""
    return endpoints.visible(current_principal())


@blp.route("/endpoints", methods=["POST"])
@requires(Role.DEPT_ADMIN)
@blp.arguments(EndpointCreateSchema)
@blp.response(201, EndpointWithSecretSchema)
def create_endpoint(args):
    """登记本部门的接收端点（返回签名密钥，只显示这一次）"""
    p = current_principal()
    ep, secret = endpoints.create_endpoint(p.department_id, args["url"], args["enabled"], created_by=p.user_id)
    db.session.commit()
    return {"endpoint": ep, "secret": secret}


@blp.route("/endpoints/<int:endpoint_id>", methods=["GET"])
@requires(*ADMINS_AND_READERS)
@blp.response(200, EndpointSchema)
def get_endpoint(endpoint_id):
    """接收端点详情（不含密钥）"""
    return endpoints.get_for(current_principal(), endpoint_id)


@blp.route("/endpoints/<int:endpoint_id>", methods=["PATCH"])
@requires(Role.DEPT_ADMIN)
@blp.arguments(EndpointUpdateSchema)
@blp.response(200, EndpointSchema)
def update_endpoint(args, endpoint_id):
    """修改网址、启用或停用（停用后排队的消息只进站内收件箱）"""
    ep = endpoints.update_for(current_principal(), endpoint_id, args)
    db.session.commit()
    return ep


@blp.route("/endpoints/<int:endpoint_id>", methods=["DELETE"])
@requires(Role.DEPT_ADMIN)
@blp.response(204)
def delete_endpoint(endpoint_id):
    """删除接收端点（排队的消息只进站内收件箱）"""
    endpoints.delete(endpoints.own(current_principal(), endpoint_id))
    db.session.commit()


@blp.route("/endpoints/<int:endpoint_id>/rotate", methods=["POST"])
@requires(Role.DEPT_ADMIN)
@blp.arguments(RotateSchema)
@blp.response(200, EndpointWithSecretSchema)
def rotate_endpoint(args, endpoint_id):
    """轮换签名密钥：返回新密钥（只显示这一次），旧密钥在重叠期内继续签名"""
    ep, secret = endpoints.rotate_for(current_principal(), endpoint_id, args["overlap_hours"])
    db.session.commit()
    return {"endpoint": ep, "secret": secret}


@blp.route("/messages", methods=["GET"])
@requires(*STAFF_AND_READERS)
@blp.arguments(MessageListArgs, location="query")
@blp.response(200, MessagePageSchema)
def list_messages(args):
    """本部门收到或发出的消息及每次投递记录（未送达的消息状态为 failed）"""
    return messages.page(current_principal(), args)


@blp.route("/messages/<message_id>", methods=["GET"])
@requires(*STAFF_AND_READERS)
@blp.response(200, MessageSchema)
def get_message(message_id):
    """消息详情及每次投递记录"""
    return messages.get_for(current_principal(), message_id)


@blp.route("/messages/<message_id>/redeliver", methods=["POST"])
@requires(Role.DEPT_ADMIN, Role.OFFICE_ADMIN)
@blp.response(200, MessageSchema)
def redeliver_message(message_id):
    """重新投递未送达的消息（发送或接收部门管理员、办公室管理员；webhook-id 不变）"""
    msg = messages.redeliver(current_principal(), message_id)
    db.session.commit()
    return msg


@blp.route("/inbox", methods=["GET"])
@requires(*STAFF_AND_READERS)
@blp.arguments(InboxListArgs, location="query")
@blp.response(200, InboxPageSchema)
def list_inbox(args):
    """站内收件箱（本部门；办公室与审计：全部）"""
    return inbox.page(current_principal(), args)


@blp.route("/inbox/<int:item_id>/read", methods=["POST"])
@requires(*STAFF)
@blp.response(200, InboxItemSchema)
def read_inbox_item(item_id):
    """标记为已读"""
    item = inbox.mark_read(current_principal(), item_id)
    db.session.commit()
    return item


@blp.route("/inbox/<int:item_id>/acknowledge", methods=["POST"])
@requires(*STAFF)
@blp.response(200, InboxItemSchema)
def acknowledge_inbox_item(item_id):
    """确认收悉（同时标记为已读）"""
    item = inbox.acknowledge(current_principal(), item_id)
    db.session.commit()
    return item


@blp.route("/dashboard", methods=["GET"])
@requires(*STAFF_AND_READERS)
@blp.response(200, DashboardRowSchema(many=True))
def dashboard():
    """各部门投递概况：待投递、未送达、未读与未确认"""
    return inbox.dashboard(current_principal())


@blp.route("/subjects/<subject_type>/<subject_id>", methods=["GET"])
@requires(*STAFF_AND_READERS)
@blp.response(200, SubjectSchema)
def fetch_subject(subject_type, subject_id):
    """接收部门凭本部门账号获取消息所指对象的内容（每次获取均记入审计日志）"""
    result = messages.fetch_subject(current_principal(), subject_type, subject_id)
    db.session.commit()
    return result
