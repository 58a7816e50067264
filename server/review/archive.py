"""The archive's retention (rules Art. 25): sealed records, with their approvals and
publications, are kept at least ARCHIVE_RETENTION_YEARS (≥ 2) after sealing. Before that,
deletion is refused here and, whoever tries it directly, by the database's triggers
(archive_ddl.py). After it, `flask archive purge` deletes them, and each deletion is itself
an entry of the audit chain (with the record's content hash, so what was deleted stays
provable)."""
from __future__ import annotations

import datetime as dt

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import delete, select

from media.models import MediaObject, Upload
from media.store import derivatives, originals

from ..audit import service as audit
from ..audit.models import AuditEntry
from ..audit.service import register_verifier, set_system_actor
from ..draws.models import InspectionTask
from ..errors import ApiError, NotFound
from ..extensions import db
from ..types import utcnow
from ..visits.models import Amendment, Answer, FieldHistory, Finding, MediaRef, Signature, Visit, VisitRecord
from .models import ArchivePolicy, Disclosure, PublishedResult, Review, ReviewComment

MIN_YEARS = 2


class RetentionPeriod(ApiError):
    status, code, title = 409, "retention_period", "仍在保存期限内"


def retention_years() -> int:
    return max(MIN_YEARS, int(current_app.config.get("ARCHIVE_RETENTION_YEARS", MIN_YEARS)))


def sync_policy() -> ArchivePolicy:
    """Make the database's policy row say what the configuration says (the caller commits)."""
    years = retention_years()
    policy = db.session.get(ArchivePolicy, 1)
    if policy is None:
        policy = ArchivePolicy(id=1, retention_years=years, updated_at=utcnow())
        db.session.add(policy)
        audit.record(db.session, "archive.policy", "archive_policy", 1, {"retention_years": years})
    elif policy.retention_years != years:
        audit.record(db.session, "archive.policy", "archive_policy", 1,
                     {"retention_years": years, "was": policy.retention_years})
        policy.retention_years, policy.updated_at = years, utcnow()
    db.session.flush()
    return policy


def _years_before(ts: dt.datetime, years: int) -> dt.datetime:
    try:
        return ts.replace(year=ts.year - years)
    except ValueError:  # 29 February
        return ts.replace(year=ts.year - years, day=28)


def cutoff(now: dt.datetime | None = None) -> dt.datetime:
    """Records sealed at or before this moment may be deleted."""
    return _years_before(now or utcnow(), retention_years())


def kept_until(sealed_at: dt.datetime) -> dt.datetime:
    return _years_before(sealed_at, -retention_years())


def delete_record(visit_id: str, reason: str, now: dt.datetime | None = None) -> dict:
    """Delete one sealed record and all that belongs to it, logging it; refused within the
    retention period. The caller commits."""
    sync_policy()
    record = db.session.get(VisitRecord, visit_id)
    if record is None or record.sealed_at is None:
        raise NotFound("封存的检查记录不存在。", code="record_not_found")
    if record.sealed_at > cutoff(now):
        raise RetentionPeriod(f"该记录于 {record.sealed_at:%Y-%m-%d} 封存，须保存至少 {retention_years()} 年"
                              f"（至 {kept_until(record.sealed_at):%Y-%m-%d}），期满前不能删除。",
                              extra={"kept_until": kept_until(record.sealed_at).isoformat()})
    visit = db.session.get(Visit, visit_id)
    task = db.session.get(InspectionTask, visit.task_id)
    media = list(db.session.execute(select(MediaRef.media_id, MediaRef.sha256).where(MediaRef.visit_id == visit_id)).all())
    entry = {"record_no": f"{task.code}-{visit.stratum}{visit.rank:04d}", "content_sha256": record.content_sha256,
             "sealed_at": record.sealed_at.isoformat(), "retention_years": retention_years(), "reason": reason,
             "media": sorted(m.sha256 for m in media)}
    for model in (ReviewComment, Disclosure, PublishedResult, Review, Amendment, Signature, Finding, Answer,
                  FieldHistory, MediaRef):
        db.session.execute(delete(model).where(model.visit_id == visit_id))
    # The evidence files' records go too; their bytes are removed after the commit (files_to_remove).

    ids = [m.media_id for m in media]
    objs = list(db.session.execute(select(MediaObject).where(MediaObject.media_id.in_(ids or [""]))).scalars())
    files = db.session.info.setdefault("archive_files", set())
    for o in objs:
        files.update(k for k in (("originals", o.sha256), ("derivatives", o.view_sha256), ("derivatives", o.thumb_sha256))
                     if k[1])
    db.session.execute(delete(Upload).where(Upload.media_id.in_(ids or [""])))
    db.session.execute(delete(MediaObject).where(MediaObject.media_id.in_(ids or [""])))
    db.session.execute(delete(VisitRecord).where(VisitRecord.visit_id == visit_id))
    visit.status = "purged"
    audit.record(db.session, "archive.delete", "visit", visit_id, entry)
    return entry


def remove_files() -> int:
    """After the commit: delete the stored bytes of purged evidence no other media still uses."""
    files = db.session.info.pop("archive_files", set())
    stores = {"originals": originals(), "derivatives": derivatives()}
    removed = 0
    for space, sha in sorted(files):
        col = MediaObject.sha256 if space == "originals" else None
        still_used = col is not None and db.session.execute(select(MediaObject.media_id).where(col == sha)).first()
        if space == "derivatives":
            still_used = db.session.execute(select(MediaObject.media_id).where(
                (MediaObject.view_sha256 == sha) | (MediaObject.thumb_sha256 == sha))).first()
        if not still_used:
            try:
                removed += bool(stores[space].delete(sha))
            except OSError:
                pass
    return removed


def expired(now: dt.datetime | None = None) -> list[str]:
    return list(db.session.execute(select(VisitRecord.visit_id).where(
        VisitRecord.sealed_at.is_not(None), VisitRecord.sealed_at <= cutoff(now)).order_by(VisitRecord.sealed_at)).scalars())


archive_cli = AppGroup("archive", help="Archive retention: status, and deletion after the retention period.")


@archive_cli.command("status")
def status_command() -> None:
    """Show the retention period and how many sealed records have passed it."""
    sync_policy()
    db.session.commit()
    n = len(expired())
    click.echo(f"retention: {retention_years()} years (records sealed before {cutoff():%Y-%m-%d %H:%M} UTC may be deleted)")
    click.echo(f"expired sealed records: {n}")


@archive_cli.command("purge")
@click.option("--reason", default="保存期限届满", show_default=True)
@click.option("--dry-run", is_flag=True, help="List what would be deleted, change nothing.")
def purge_command(reason: str, dry_run: bool) -> None:
    """Delete every sealed record past the retention period; each deletion is logged."""
    set_system_actor("cli:archive purge")
    sync_policy()
    ids = expired()
    for vid in ids:
        if dry_run:
            click.echo(f"would delete {vid}")
            continue
        entry = delete_record(vid, reason)
        click.echo(f"deleted {vid} ({entry['record_no']}, sealed {entry['sealed_at'][:10]}, sha256 {entry['content_sha256'][:12]}…)")
    if dry_run:
        db.session.rollback()
        db.session.info.pop("archive_files", None)
    else:
        db.session.commit()
        n = remove_files()
        click.echo(f"removed {n} stored file(s)")
    click.echo(f"{'would delete' if dry_run else 'deleted'} {len(ids)} sealed record(s); retention {retention_years()} years")


@archive_cli.command("delete")
@click.argument("visit_id")
@click.option("--reason", required=True)
def delete_command(visit_id: str, reason: str) -> None:
    """Delete one sealed record (refused within the retention period)."""
    set_system_actor("cli:archive delete")
    try:
        delete_record(visit_id, reason)
    except ApiError as err:
        db.session.rollback()
        click.echo(f"refused: {err.detail if hasattr(err, 'detail') else err}", err=True)
        raise SystemExit(1)
    db.session.commit()
    remove_files()
    click.echo(f"deleted {visit_id}")


def verify_no_silent_deletion(session) -> list:
    """Every record the log says was sealed is still here, unless the log also says it was
    deleted after its retention period: a sealed record that vanished is tampering."""
    sealed, deleted = set(), set()
    for action, target in session.execute(select(AuditEntry.action, AuditEntry.target_id).where(
            AuditEntry.action.in_(("visit.seal", "archive.delete")))).all():
        (sealed if action == "visit.seal" else deleted).add(target)
    present = set(session.execute(select(VisitRecord.visit_id).where(VisitRecord.sealed_at.is_not(None))).scalars())
    missing = sorted(sealed - deleted - present)
    if missing:
        return [audit.Finding("archive", False, f"sealed record {missing[0]} is gone without a logged deletion"
                        + (f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""))]
    return [audit.Finding("archive", True, f"{len(sealed)} sealed, {len(deleted & sealed)} deleted after retention, none missing")]


register_verifier("archive", verify_no_silent_deletion)
