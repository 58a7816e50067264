"""Request and response schemas of the feed endpoints."""
from __future__ import annotations

from marshmallow import fields

from ...schemas import BaseSchema, page_schema
from ..schemas import FileField


class FeedArgs(BaseSchema):
    file = FileField(required=True, metadata={"description": "批次文件：JSON Lines 或 CSV，UTF-8 或 GB18030（见 docs/directory-feed.md）"})
    dry_run = fields.Boolean(load_default=False, metadata={"description": "true：只评估并返回报告，不写入"})


class OutcomeCountsSchema(BaseSchema):
    applied = fields.Integer()
    unchanged = fields.Integer()
    refused = fields.Integer()


class RefusalSchema(BaseSchema):
    line = fields.Integer()
    kind = fields.String(allow_none=True)
    credit_code = fields.String(allow_none=True)
    field = fields.String(allow_none=True)
    code = fields.String()
    message = fields.String()


class FeedBatchSchema(BaseSchema):
    id = fields.String()
    source = fields.String()
    sequence = fields.Integer()
    file_sha256 = fields.String()
    format = fields.String()
    encoding = fields.String()
    records = fields.Integer()
    applied = fields.Integer()
    unchanged = fields.Integer()
    refused = fields.Integer()
    counts = fields.Dict(keys=fields.String(), values=fields.Nested(OutcomeCountsSchema),
                         metadata={"description": "按记录类型（object、status、list、complaints、risk、unreadable）"})
    closed_objects = fields.Integer(metadata={"description": "本批次注销、吊销、撤销或迁出的对象数"})
    flagged_visits = fields.Integer(metadata={"description": "因此提示组长的在办检查数"})
    received_via = fields.String()
    received_at = fields.DateTime()
    seconds = fields.Float(allow_none=True)
    refusals = fields.List(fields.Nested(RefusalSchema), metadata={"description": "被拒绝的记录（前 1000 条；全部见 XLSX 报告）"})
    dry_run = fields.Boolean()
    replayed = fields.Boolean(metadata={"description": "该批次号此前已接收（内容相同），本次未做任何修改"})


FeedBatchPageSchema = page_schema(FeedBatchSchema, "FeedBatchPageSchema")


class StatusChangeSchema(BaseSchema):
    from_status = fields.String(allow_none=True)
    from_label = fields.String(allow_none=True)
    to_status = fields.String()
    to_label = fields.String(allow_none=True)
    changed_on = fields.Date(allow_none=True)
    reason = fields.String(allow_none=True)
    batch_id = fields.String()
    recorded_at = fields.DateTime()


class ListStaySchema(BaseSchema):
    list = fields.String()
    list_label = fields.String(allow_none=True)
    entered_on = fields.Date()
    entry_reason = fields.String(allow_none=True)
    entry_batch = fields.String(allow_none=True)
    removed_on = fields.Date(allow_none=True, metadata={"description": "空：仍在名录/名单中"})
    removal_reason = fields.String(allow_none=True)
    removal_batch = fields.String(allow_none=True)


class ComplaintMonthSchema(BaseSchema):
    period = fields.String(metadata={"description": "YYYY-MM"})
    count = fields.Integer()
    batch_id = fields.String()


class ObjectHistorySchema(BaseSchema):
    status_changes = fields.List(fields.Nested(StatusChangeSchema))
    list_stays = fields.List(fields.Nested(ListStaySchema))
    complaint_months = fields.List(fields.Nested(ComplaintMonthSchema))
