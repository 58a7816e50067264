"""HTTP endpoints of directory feeds: the data-sharing platform posts batches; staff read the reports."""
from __future__ import annotations

from flask import url_for

from ...accounts.auth import current_principal, requires
from ...accounts.models import Role
from ...pagination import keyset_page
from ...schemas import PageArgsSchema
from ..api import blp
from ..api_imports import BINARY, xlsx_response
from ..importer import jobs
from ..importer.report import XLSX_MIME
from ..access import STAFF
from . import service
from .history import object_history
from .models import FeedBatch
from .report import write_batch_report
from .schemas import FeedArgs, FeedBatchPageSchema, FeedBatchSchema, ObjectHistorySchema

SENDERS = (Role.FEED_SERVICE, Role.OFFICE_ADMIN)
READERS = (Role.FEED_SERVICE, Role.OFFICE_ADMIN, Role.AUDITOR)
BATCH = "/feeds/<string(maxlength=64):batch_id>"


@blp.route("/feeds", methods=["POST"])
@requires(*SENDERS)
@blp.arguments(FeedArgs, location="files")
@blp.response(201, FeedBatchSchema)
@blp.alt_response(200, schema=FeedBatchSchema, description="该批次号此前已接收（内容相同）：返回当时的报告，未做任何修改")
@blp.alt_response(409, description="批次号已用于不同内容，或序号已用过、跳号（problem 中 expected 为应发送的序号）")
def post_feed(args):
    """接收一个名录数据批次（登记、状态、名录名单、投诉举报、风险分类）。同一批次号重复发送不重复执行；
    序号跳号时拒绝并指出缺少的序号。dry_run=true 只评估。"""
    path, _, _ = jobs.save_stream(args["file"].stream, jobs.upload_dir())
    try:
        result, replayed = service.apply_feed(path, dry_run=args["dry_run"], via="api",
                                              user_id=current_principal().user_id)
    finally:
        path.unlink(missing_ok=True)
    result["replayed"] = replayed
    status = 200 if replayed or args["dry_run"] else 201
    headers = {} if args["dry_run"] else {"Location": url_for("registry.get_feed", batch_id=result["id"])}
    return result, status, headers


@blp.route("/feeds", methods=["GET"])
@requires(*READERS)
@blp.arguments(PageArgsSchema, location="query")
@blp.response(200, FeedBatchPageSchema)
def list_feeds(args):
    """已接收的名录数据批次（新的在前）"""
    page = keyset_page(service.batches_stmt(), FeedBatch.id, args["limit"], args["cursor"], descending=True)
    return {"items": [service.report(b, refusal_limit=0) for b in page["items"]], "next_cursor": page["next_cursor"]}


@blp.route(BATCH, methods=["GET"])
@requires(*READERS)
@blp.response(200, FeedBatchSchema)
def get_feed(batch_id):
    """一个批次的报告：按记录类型统计已生效、未变化、拒绝，及拒绝原因"""
    return service.report(service.get_batch(batch_id))


@blp.route(f"{BATCH}/report.xlsx", methods=["GET"])
@requires(*READERS)
@blp.response(200, BINARY, content_type=XLSX_MIME)
def feed_report(batch_id):
    """下载批次报告（XLSX：概况与拒绝明细）"""
    batch = service.get_batch(batch_id)
    return xlsx_response(lambda dest: write_batch_report(batch, dest), f"名录数据批次报告-{batch.id}.xlsx")


@blp.route("/objects/<int:object_id>/history", methods=["GET"])
@requires(*STAFF)
@blp.response(200, ObjectHistorySchema)
def get_object_history(object_id):
    """检查对象的名录变动记录：登记状态变化、列入/移出经营异常名录和严重违法失信名单、每月投诉举报次数，
    各附批次号（新的在前；仅后台人员可见）"""
    return object_history(object_id)
