"""HTTP endpoints of batch import: upload, progress, row errors, the XLSX report and template."""
from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

from flask import request, send_file, url_for
from sqlalchemy import select

from ..accounts.auth import current_principal, requires
from ..pagination import keyset_page
from ..schemas import PageArgsSchema
from .access import JOB_READERS, WRITERS, Editor
from .api import blp
from .importer import jobs
from .importer.report import XLSX_MIME, write_error_report, write_template
from .models import ImportJob, ImportRowError
from .schemas import ImportArgs, ImportErrorPageSchema, ImportJobPageSchema, ImportJobSchema

JOB = "/imports/<string(length=32):job_id>"
BINARY = {"type": "string", "format": "binary"}


_LARGE_BODIES = {"registry.create_import": "REGISTRY_IMPORT_MAX_BYTES", "registry.post_feed": "REGISTRY_FEED_MAX_BYTES"}


@blp.before_request
def _upload_limit():
    """Uploads may be larger than ordinary API bodies: a spreadsheet import, and a feed batch (a
    province's nightly delta is tens of MB, a first load hundreds), on those two endpoints only."""
    setting = _LARGE_BODIES.get(request.endpoint)
    if setting:
        request.max_content_length = jobs.setting(setting)


def _filename(name: str | None) -> str:
    base = re.sub(r"[\x00-\x1f\x7f]", "", (name or "").replace("\\", "/").rsplit("/", 1)[-1]).strip()
    return base[:255] or "upload"


def xlsx_response(write, download_name: str):
    """Write a workbook to a private temporary file and stream it (unlinked at once, so nothing stays)."""
    fd, name = tempfile.mkstemp(suffix=".xlsx", dir=jobs.upload_dir())
    os.close(fd)
    try:
        write(Path(name))
        fh = open(name, "rb")
    finally:
        Path(name).unlink(missing_ok=True)
    return send_file(fh, mimetype=XLSX_MIME, as_attachment=True, download_name=download_name, max_age=0)


@blp.route("/imports", methods=["POST"])
@requires(*WRITERS)
@blp.arguments(ImportArgs, location="files")
@blp.response(201, ImportJobSchema)
def create_import(args):
    """上传 CSV/XLSX 文件导入检查对象：dry_run 只校验并生成逐行错误报告，commit 导入通过校验的行。
    进度与结果通过 GET /imports/{id} 查询。"""
    storage = args["file"]
    path, sha256, size = jobs.save_stream(storage.stream, jobs.upload_dir())
    job = jobs.submit(Editor.of(current_principal()), path, _filename(storage.filename), sha256, size, args["mode"],
                      background=bool(jobs.setting("REGISTRY_IMPORT_BACKGROUND")))
    return jobs.job_view(job), 201, {"Location": url_for("registry.get_import", job_id=job.id)}


@blp.route("/imports", methods=["GET"])
@requires(*JOB_READERS)
@blp.arguments(PageArgsSchema, location="query")
@blp.response(200, ImportJobPageSchema)
def list_imports(args):
    """导入任务列表（新的在前；部门管理员看本部门，办公室与审计看全部）"""
    page = keyset_page(jobs.visible_jobs_stmt(current_principal()), ImportJob.id, args["limit"], args["cursor"],
                       descending=True)
    return {"items": [jobs.job_view(j) for j in page["items"]], "next_cursor": page["next_cursor"]}


@blp.route("/imports/template.xlsx", methods=["GET"])
@requires(*JOB_READERS)
@blp.response(200, BINARY, content_type=XLSX_MIME)
def import_template():
    """下载导入模板（标准表头与填写说明）"""
    return xlsx_response(write_template, "检查对象导入模板.xlsx")


@blp.route(JOB, methods=["GET"])
@requires(*JOB_READERS)
@blp.response(200, ImportJobSchema)
def get_import(job_id):
    """导入任务的状态、进度与统计（新增、更新、未变化、拒绝）"""
    return jobs.job_view(jobs.get_job_for(current_principal(), job_id))


@blp.route(JOB + "/errors", methods=["GET"])
@requires(*JOB_READERS)
@blp.arguments(PageArgsSchema, location="query")
@blp.response(200, ImportErrorPageSchema)
def list_import_errors(args, job_id):
    """逐行错误（按行号顺序，游标分页）"""
    job = jobs.get_job_for(current_principal(), job_id)
    stmt = select(ImportRowError).where(ImportRowError.job_id == job.id)
    return keyset_page(stmt, ImportRowError.id, args["limit"], args["cursor"])


@blp.route(JOB + "/errors.xlsx", methods=["GET"])
@requires(*JOB_READERS)
@blp.response(200, BINARY, content_type=XLSX_MIME)
def import_error_report(job_id):
    """下载错误报告（XLSX：原行号、列、值、错误说明及原始行）"""
    job = jobs.get_job_for(current_principal(), job_id)
    stem = job.filename.rsplit(".", 1)[0]
    return xlsx_response(lambda path: write_error_report(job, path), f"{stem}-错误报告.xlsx")
