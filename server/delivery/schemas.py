"""Request and response schemas of the delivery API."""
from __future__ import annotations

import json

from marshmallow import fields, validate

from ..schemas import BaseSchema, PageArgsSchema, page_schema
from ..types import utcnow
from .endpoints import MAX_OVERLAP_HOURS
from .models import MESSAGE_STATUSES
from .outbox import SUBJECT_ID, SUBJECT_TYPE

URL = fields.String(required=True, validate=validate.Length(min=8, max=2000),
                    metadata={"description": "接收端点网址（生产环境须为 HTTPS）"})


class EndpointCreateSchema(BaseSchema):
    url = URL
    enabled = fields.Boolean(load_default=True)


class EndpointUpdateSchema(BaseSchema):
    url = fields.String(validate=validate.Length(min=8, max=2000))
    enabled = fields.Boolean()
    reason = fields.String(validate=validate.Length(min=1, max=200), metadata={"description": "停用原因（停用时填写）"})


class RotateSchema(BaseSchema):
    overlap_hours = fields.Float(load_default=None, allow_none=True, allow_nan=False,
                                 validate=validate.Range(min=0, max=MAX_OVERLAP_HOURS),
                                 metadata={"description": "旧密钥继续有效的小时数，默认 24"})


class EndpointSchema(BaseSchema):
    id = fields.Integer()
    department_id = fields.Integer()
    url = fields.String()
    enabled = fields.Boolean()
    disabled_code = fields.String(allow_none=True, metadata={"description": "gone：接收端返回 410；admin：管理员停用"})
    disabled_reason = fields.String(allow_none=True)
    disabled_at = fields.DateTime(allow_none=True)
    rotating = fields.Method("_rotating", metadata={"description": "是否处于密钥轮换重叠期（新旧密钥同时签名）"})
    previous_secret_expires_at = fields.DateTime(allow_none=True)
    rotated_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()

    def _rotating(self, obj) -> bool:
        return bool(obj.previous_secret and obj.previous_secret_expires_at and
                    obj.previous_secret_expires_at > utcnow())


class EndpointWithSecretSchema(BaseSchema):
    endpoint = fields.Nested(EndpointSchema)
    secret = fields.String(metadata={"description": "签名密钥（whsec_…），只显示这一次，请妥善保存"})


class AttemptSchema(BaseSchema):
    attempt_no = fields.Integer()
    url = fields.String()
    signatures = fields.Integer(metadata={"description": "签名个数（轮换重叠期为 2）"})
    started_at = fields.DateTime()
    finished_at = fields.DateTime(allow_none=True)
    outcome = fields.String(allow_none=True, metadata={"description": "delivered | retry | failed | gone | interrupted"})
    status_code = fields.Integer(allow_none=True)
    error = fields.String(allow_none=True)
    response_snippet = fields.String(allow_none=True)
    duration_ms = fields.Integer(allow_none=True)
    retry_after_seconds = fields.Integer(allow_none=True)
    retry_after_honoured = fields.Boolean()
    next_attempt_at = fields.DateTime(allow_none=True)


class MessageBriefSchema(BaseSchema):
    id = fields.String(metadata={"description": "消息标识，即 webhook-id"})
    department_id = fields.Integer(metadata={"description": "接收部门"})
    sender_department_id = fields.Integer(allow_none=True)
    event_type = fields.String()
    subject_type = fields.String()
    subject_id = fields.String()
    payload = fields.Method("_payload", metadata={"description": "发送的消息体（精简载荷）"})
    status = fields.String(metadata={"description": "pending | delivering | delivered | failed（未送达）| inbox_only"})
    status_label = fields.Method("_label")
    attempts = fields.Integer()
    next_attempt_at = fields.DateTime(allow_none=True)
    last_status_code = fields.Integer(allow_none=True)
    last_error = fields.String(allow_none=True)
    created_at = fields.DateTime()
    delivered_at = fields.DateTime(allow_none=True)
    failed_at = fields.DateTime(allow_none=True)

    def _payload(self, obj) -> dict:
        return json.loads(obj.body)

    def _label(self, obj) -> str:
        return MESSAGE_STATUSES.get(obj.status, obj.status)


class MessageSchema(MessageBriefSchema):
    attempt_log = fields.List(fields.Nested(AttemptSchema), attribute="attempt_rows",
                              metadata={"description": "每次投递尝试（含中断的）"})


MessagePageSchema = page_schema(MessageSchema, "MessagePageSchema")


class MessageListArgs(PageArgsSchema):
    direction = fields.String(load_default="received", validate=validate.OneOf(["received", "sent"]),
                              metadata={"description": "received：本部门收到的；sent：本部门发出的"})
    status = fields.String(load_default=None, validate=validate.OneOf(list(MESSAGE_STATUSES)))
    department_id = fields.Integer(load_default=None, validate=validate.Range(min=1, max=2**31 - 1),
                                   metadata={"description": "办公室与审计人员按部门筛选"})
    subject_type = fields.String(load_default=None, validate=validate.Regexp(SUBJECT_TYPE))
    subject_id = fields.String(load_default=None, validate=validate.Regexp(SUBJECT_ID))


class InboxItemSchema(BaseSchema):
    id = fields.Integer()
    department_id = fields.Integer()
    created_at = fields.DateTime()
    read_at = fields.DateTime(allow_none=True)
    read_by = fields.Integer(allow_none=True)
    acknowledged_at = fields.DateTime(allow_none=True)
    acknowledged_by = fields.Integer(allow_none=True)
    message = fields.Nested(MessageBriefSchema)


InboxPageSchema = page_schema(InboxItemSchema, "InboxPageSchema")


class InboxListArgs(PageArgsSchema):
    unread = fields.Boolean(load_default=False)
    unacknowledged = fields.Boolean(load_default=False)
    department_id = fields.Integer(load_default=None, validate=validate.Range(min=1, max=2**31 - 1))


class CountsReceivedSchema(BaseSchema):
    pending = fields.Integer(metadata={"description": "等待或正在投递"})
    delivered = fields.Integer()
    failed = fields.Integer(metadata={"description": "未送达"})
    inbox_only = fields.Integer()


class CountsSentSchema(BaseSchema):
    pending = fields.Integer()
    failed = fields.Integer()


class CountsInboxSchema(BaseSchema):
    unread = fields.Integer()
    unacknowledged = fields.Integer()


class DashboardRowSchema(BaseSchema):
    department_id = fields.Integer()
    department_code = fields.String()
    department_name = fields.String()
    received = fields.Nested(CountsReceivedSchema)
    sent = fields.Nested(CountsSentSchema)
    inbox = fields.Nested(CountsInboxSchema)


class SubjectSchema(BaseSchema):
    subject_type = fields.String()
    subject_id = fields.String()
    data = fields.Dict(metadata={"description": "对象内容（由对象类型的提供方定义）"})
