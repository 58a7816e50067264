"""Removing what unfinished uploads leave behind (``flask media cleanup``).

- unfinished uploads past their expiry (or, with ``older_than``, without
  progress for that long), with their partial files;
- the bookkeeping rows of finished uploads once the expiry has passed again
  (the evidence itself is never touched here);
- partial files that no upload row names (a crash between creating the file
  and committing the row), once they are a day old.

A partial file being written (locked by a PATCH in progress) is skipped.
"""
from __future__ import annotations

import datetime as dt
import os
import time

from sqlalchemy import or_, select

from server.audit import service as audit
from server.extensions import db
from server.types import utcnow

from . import store, tus
from .models import Upload

ORPHAN_AGE = dt.timedelta(days=1)
MAX_LISTED_IDS = 1000


def cleanup(older_than: dt.timedelta | None = None, now: dt.datetime | None = None) -> dict:
    """Remove expired partial uploads and leftovers; returns the counts (not committed)."""
    now = now or utcnow()
    stale = Upload.expires_at <= now
    if older_than is not None:
        stale = or_(stale, Upload.updated_at <= now - older_than)
    partial = db.session.scalars(select(Upload).where(Upload.completed_at.is_(None), stale)).all()
    removed_ids: list[str] = []
    freed = skipped = 0
    for upload in partial:
        path = store.part_path(upload.temp_key)
        try:
            part = tus.PartFile(path)
        except FileNotFoundError:
            part = None
        except tus.UploadLocked:
            skipped += 1  # receiving bytes right now: not abandoned after all
            continue
        try:
            if part is not None:
                freed += part.size()
                os.unlink(path)
        finally:
            if part is not None:
                part.close()
        removed_ids.append(upload.id)
        db.session.delete(upload)

    finished_before = now - (older_than if older_than is not None else store.expiry())
    finished = db.session.scalars(
        select(Upload).where(Upload.completed_at.is_not(None), Upload.completed_at <= finished_before)).all()
    for upload in finished:
        db.session.delete(upload)

    orphans, orphan_bytes = _remove_orphan_parts(older_than or ORPHAN_AGE)
    counts = {
        "expired_uploads": len(removed_ids), "bytes_freed": freed + orphan_bytes,
        "finished_records": len(finished), "orphan_files": orphans, "skipped_in_progress": skipped,
    }
    audit.record(db.session, "media.uploads_cleaned", "media_upload", None,
                 {**counts, "upload_ids": removed_ids[:MAX_LISTED_IDS]})
    return counts


def _remove_orphan_parts(min_age: dt.timedelta) -> tuple[int, int]:
    temp_dir = store.originals().temp_dir
    known = set(db.session.scalars(select(Upload.temp_key)))
    cutoff = time.time() - min_age.total_seconds()
    count = size = 0
    for entry in os.scandir(temp_dir):
        name = entry.name
        if not (name.startswith(store.PART_PREFIX) and name.endswith(store.PART_SUFFIX)):
            continue
        key = name[len(store.PART_PREFIX):-len(store.PART_SUFFIX)]
        if key in known or entry.stat().st_mtime >= cutoff:
            continue
        try:
            with tus.PartFile(entry.path) as part:
                size += part.size()
                os.unlink(entry.path)
                count += 1
        except (FileNotFoundError, tus.UploadLocked):
            continue
    return count, size
