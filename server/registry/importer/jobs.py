"""Import jobs as the API and the CLI see them: upload, start, find, show.

Processing runs in a background thread by default (REGISTRY_IMPORT_BACKGROUND):
a 100,000-row file takes longer than a browser should wait on one request, and
the progress a user polls for is committed chunk by chunk anyway. The thread
gets its own app context and database session and acts as the uploader (its
audit entries name them). If the worker process dies mid-import the job stays
`running`; it is then shown as stalled once no chunk has landed for
REGISTRY_IMPORT_STALL_MINUTES, and re-importing the same file is safe.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import tempfile
import secrets
import threading
import time
from pathlib import Path

from flask import Flask, current_app
from sqlalchemy import select

from ...accounts.auth import Principal
from ...errors import NotFound
from ...extensions import db
from ...types import utcnow
from ..access import Editor
from ..models import ImportJob
from .reading import DEFAULT_MAX_UNCOMPRESSED, open_table
from .runner import DEFAULT_CHUNK, create_job, run_job

log = logging.getLogger(__name__)

DEFAULT_MAX_BYTES = 64 * 1024 * 1024
DEFAULT_FEED_MAX_BYTES = 1024 * 1024 * 1024  # a first load of a province's million objects is ~400 MB
_COPY_BLOCK = 1 << 20


def new_job_id() -> str:
    """32 hex characters, time-ordered (milliseconds first), so newest-first paging is by id."""
    return f"{int(time.time() * 1000):012x}{secrets.token_hex(10)}"


def setting(name: str):
    # Tests run imports inline (deterministic) unless they ask for the thread.
    defaults = {"REGISTRY_IMPORT_MAX_BYTES": DEFAULT_MAX_BYTES, "REGISTRY_FEED_MAX_BYTES": DEFAULT_FEED_MAX_BYTES,
                "REGISTRY_IMPORT_BACKGROUND": not current_app.testing,
                "REGISTRY_IMPORT_CHUNK": DEFAULT_CHUNK, "REGISTRY_IMPORT_STALL_MINUTES": 10,
                "REGISTRY_XLSX_MAX_UNCOMPRESSED": DEFAULT_MAX_UNCOMPRESSED}
    return current_app.config.get(name, defaults[name])


def upload_dir() -> Path:
    path = Path(current_app.instance_path) / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def save_stream(stream, directory: Path) -> tuple[Path, str, int]:
    """Copy an upload to a private temporary file; returns (path, sha256, size)."""
    fd, name = tempfile.mkstemp(prefix="upload-", suffix=".bin", dir=directory)
    digest, size = hashlib.sha256(), 0
    try:
        with os.fdopen(fd, "wb") as out:
            while block := stream.read(_COPY_BLOCK):
                digest.update(block)
                size += len(block)
                out.write(block)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise
    return Path(name), digest.hexdigest(), size


def file_digest(path: Path) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    with open(path, "rb") as fh:
        while block := fh.read(_COPY_BLOCK):
            digest.update(block)
            size += len(block)
    return digest.hexdigest(), size


def prepare(editor: Editor, path: Path, filename: str, sha256: str, size: int, mode: str):
    """Open the file (422 if it is no table) and record the job; returns (job_id, open table)."""
    table = open_table(path, filename, setting("REGISTRY_XLSX_MAX_UNCOMPRESSED"))
    try:
        job_id = new_job_id()
        create_job(editor, job_id=job_id, filename=filename, sha256=sha256, size=size, table=table, mode=mode)
        db.session.commit()
    except BaseException:
        table.close()
        raise
    return job_id, table


def submit(editor: Editor, path: Path, filename: str, sha256: str, size: int, mode: str, *,
           background: bool) -> ImportJob:
    """Prepare the job, then process it here or in a thread; the uploaded file is removed once read
    (uploads hold ID numbers in clear)."""
    handed_over = False
    try:
        job_id, table = prepare(editor, path, filename, sha256, size, mode)
        chunk = setting("REGISTRY_IMPORT_CHUNK")
        if not background:
            return run_job(job_id, table, editor, chunk_size=chunk)
        app = current_app._get_current_object()
        thread = threading.Thread(target=_background, name=f"import-{job_id[:8]}", daemon=True,
                                  args=(app, job_id, table, editor, chunk, path))
        app.extensions.setdefault("registry_import_threads", {})[job_id] = thread
        thread.start()
        handed_over = True
        return db.session.get(ImportJob, job_id)
    finally:
        if not handed_over:
            path.unlink(missing_ok=True)


def _background(app: Flask, job_id: str, table, editor: Editor, chunk: int, path: Path) -> None:
    try:
        with app.app_context():
            try:
                run_job(job_id, table, editor, chunk_size=chunk)
            finally:
                db.session.remove()
    except Exception:  # the thread has no one to report to but the log
        log.exception("background import %s crashed", job_id)
    finally:
        path.unlink(missing_ok=True)


def wait_for(app: Flask, job_id: str, timeout: float | None = None) -> None:
    """Join a background import (tests, and a graceful shutdown)."""
    thread = app.extensions.get("registry_import_threads", {}).get(job_id)
    if thread is not None:
        thread.join(timeout)


def visible_jobs_stmt(p: Principal):
    stmt = select(ImportJob)
    if not p.sees_everything:
        stmt = stmt.where(ImportJob.department_id == p.department_id)
    return stmt


def get_job_for(p: Principal, job_id: str) -> ImportJob:
    """A job of the caller's department (office and auditors: any); others are 404."""
    job = db.session.get(ImportJob, job_id)
    if job is None or not (p.sees_everything or job.department_id == p.department_id):
        raise NotFound("导入任务不存在。", code="import_job_not_found")
    return job


def job_view(job: ImportJob) -> dict:
    stall = dt.timedelta(minutes=setting("REGISTRY_IMPORT_STALL_MINUTES"))
    active = job.status in ("pending", "running")
    total = job.rows_total
    return {
        **{k: getattr(job, k) for k in ("id", "filename", "file_sha256", "file_size", "format", "mode", "status",
                                        "ignored_columns", "rows_total", "rows_processed", "created", "updated",
                                        "unchanged", "rejected", "error", "created_by", "department_id",
                                        "created_at", "updated_at", "started_at", "finished_at")},
        "progress": 1.0 if job.status == "done" else (min(job.rows_processed / total, 0.99) if total else None),
        "stalled": active and utcnow() - job.updated_at > stall,
    }
