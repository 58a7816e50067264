"""Receiving a feed batch: order and idempotency per source, one transaction, a kept report.

A batch is applied whole or not at all (one transaction); its refused records are listed
in the report with their line numbers and change nothing. The same batch id sent again with
the same content changes nothing and answers the kept report; with other content it is
refused. Each source numbers its batches 1, 2, 3, …: a batch whose number skips one is
refused naming the missing number, so nothing is applied out of order.
"""
from __future__ import annotations

import gc
import hashlib
import time
from pathlib import Path

from sqlalchemy import select

from ...audit import service as audit

from ...errors import Conflict, NotFound
from ...extensions import db
from ...types import local_today, utcnow
from .. import bulkwrite, closures
from ..upsert import dialect_insert
from . import reader
from .merge import Merger
from .models import FeedBatch, FeedRefusal, FeedSource
from .parse import BatchId, open_feed

CHUNK = 10_000
ANALYZE_AFTER = 50_000  # objects created or changed by one batch
_BLOCK = 1 << 20


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(_BLOCK):
            digest.update(block)
    return digest.hexdigest()


def apply_feed(path: Path, *, dry_run: bool, via: str, user_id: int | None = None,
               chunk_size: int = CHUNK, parallel: bool | None = None) -> tuple[dict, bool]:
    """Apply (or, on a dry run, only evaluate) the feed in `path`; returns (report, replayed).

    A dry run does all the work in the transaction and rolls it back, so its counts are exactly
    what applying would give. `parallel` (None: by the file's size) reads and checks the records
    in reader processes (`reader`). Raises 422 (unreadable file) or 409 (batch id reused with other
    content, sequence already used or skipped)."""
    sha = file_sha256(path)
    feed = open_feed(path)
    gc.freeze()  # the collector would walk the app's objects again and again in a long batch (~25 % CPU)
    try:
        _lock_source(feed.batch.source)  # first, so a batch sent twice at once is seen as a replay
        kept = db.session.get(FeedBatch, feed.batch.id)
        if kept is not None:
            if kept.file_sha256 != sha:
                raise Conflict(f"批次号“{kept.id}”已用于另一份内容不同的批次，不能重复使用。", code="feed_batch_id_reused")
            kept_report = report(kept)
            db.session.rollback()  # release the source's lock: nothing is written
            return kept_report, True
        _check_sequence(feed.batch)
        started = time.perf_counter()
        batch = FeedBatch(id=feed.batch.id, source=feed.batch.source, sequence=feed.batch.sequence, file_sha256=sha,
                          format=feed.format, encoding=feed.encoding, received_by=user_id, received_via=via,
                          received_at=utcnow(), counts={})
        db.session.add(batch)
        db.session.flush()
        merger = Merger(batch.id, local_today())
        for chunk in reader.chunks(path, feed, chunk_size, parallel=parallel, copy=merger.postgres):
            merger.chunk(chunk)
        _finish(batch, merger, time.perf_counter() - started)
        result = report(batch)
    finally:
        feed.close()
        gc.unfreeze()
    if dry_run:
        db.session.rollback()
        result["dry_run"] = True
    else:
        db.session.commit()
        if merger.written >= ANALYZE_AFTER:
            bulkwrite.refresh_statistics()
    return result, False


def _lock_source(name: str) -> FeedSource:
    """The source's row (created on its first batch), locked until the transaction ends: one
    batch of a source at a time."""
    t = FeedSource.__table__
    db.session.execute(dialect_insert(t).on_conflict_do_nothing().values(
        source=name, last_sequence=0, last_batch_id="", updated_at=utcnow()))
    stmt = select(FeedSource).where(FeedSource.source == name)
    if db.session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    return db.session.execute(stmt).scalar_one()


def _check_sequence(ident: BatchId) -> None:
    """Require the source's next number."""
    expected = db.session.get(FeedSource, ident.source).last_sequence + 1
    if ident.sequence > expected:
        missing = list(range(expected, min(ident.sequence, expected + 100)))
        raise Conflict(f"来源“{ident.source}”缺少第 {expected} 号批次（本批次为第 {ident.sequence} 号），请先发送缺少的批次。",
                       code="feed_sequence_gap", extra={"expected": expected, "missing": missing})
    if ident.sequence < expected:
        raise Conflict(f"来源“{ident.source}”的第 {ident.sequence} 号批次已经接收过（批次号不同），下一批应为第 {expected} 号。",
                       code="feed_sequence_used", extra={"expected": expected})


def _finish(batch: FeedBatch, merger: Merger, seconds: float) -> None:
    counts = {k: v for k, v in merger.counts.items() if any(v.values())}
    batch.counts = counts
    batch.records = sum(sum(v.values()) for v in counts.values())
    for outcome in ("applied", "unchanged", "refused"):
        setattr(batch, outcome, sum(v[outcome] for v in counts.values()))
    batch.closed_objects = len(merger.closures)
    batch.flagged_visits = closures.closed(merger.closures, batch.id)
    batch.seconds = round(seconds, 3)
    source = db.session.get(FeedSource, batch.source)
    source.last_sequence, source.last_batch_id, source.updated_at = batch.sequence, batch.id, utcnow()
    audit.record(db.session, "registry.feed.batch", "feed_batch", batch.id, {
        "batch_id": batch.id, "source": batch.source, "sequence": batch.sequence, "sha256": batch.file_sha256,
        "counts": counts, "closed_objects": batch.closed_objects, "flagged_visits": batch.flagged_visits})


def report(batch: FeedBatch, refusal_limit: int = 1000) -> dict:
    """The batch's report: counts per record kind and outcome, and its first refusals (line order)."""
    refusals = db.session.execute(select(FeedRefusal).where(FeedRefusal.batch_id == batch.id)
                                  .order_by(FeedRefusal.line, FeedRefusal.id).limit(refusal_limit)).scalars() \
        if refusal_limit else []
    return {
        **{k: getattr(batch, k) for k in ("id", "source", "sequence", "file_sha256", "format", "encoding", "records",
                                          "applied", "unchanged", "refused", "counts", "closed_objects",
                                          "flagged_visits", "received_via", "received_at", "seconds")},
        "refusals": [{k: getattr(r, k) for k in ("line", "kind", "credit_code", "field", "code", "message")}
                     for r in refusals],
        "dry_run": False,
    }


def get_batch(batch_id: str) -> FeedBatch:
    batch = db.session.get(FeedBatch, batch_id)
    if batch is None:
        raise NotFound("没有这个批次。", code="feed_batch_not_found")
    return batch


def batches_stmt():
    return select(FeedBatch)


def refusals_of(batch_id: str):
    """Every refusal of a batch, in line order (streamed, for the XLSX report)."""
    return db.session.execute(select(FeedRefusal).where(FeedRefusal.batch_id == batch_id)
                              .order_by(FeedRefusal.line, FeedRefusal.id), execution_options={"yield_per": 2000}).scalars()


