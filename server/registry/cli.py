"""`flask objects import FILE` (the batch import, with a progress bar) and `flask objects feed FILE`
(a registration/credit feed batch, e.g. from a nightly cron over a drop folder)."""
from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import AppGroup

from ..accounts import admin
from ..audit.service import set_system_actor
from ..errors import ApiError
from ..extensions import db
from .access import Editor
from .feeds import service as feeds
from .feeds.report import write_batch_report
from .importer import jobs
from .importer.report import write_error_report
from .importer.runner import run_job

objects_cli = AppGroup("objects", help="Object directory (检查对象名录库).")


@objects_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Validate only; change nothing.")
@click.option("--report", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the per-row error report (XLSX) here.")
@click.option("--department", "dept_code", default=None,
              help="Import as this department (its sub-libraries only); default: the office, unrestricted.")
def import_objects(file: Path, dry_run: bool, report: Path | None, dept_code: str | None) -> None:
    """Import objects from a CSV or XLSX file. Exits 1 when rows were rejected, 2 when nothing could be read."""
    set_system_actor("cli:objects import")
    try:
        editor = Editor(None, True)
        if dept_code:
            dept = admin.department_by_code(dept_code)
            editor = Editor(dept.id, dept.is_office)
        sha256, size = jobs.file_digest(file)
        job_id, table = jobs.prepare(editor, file, file.name, sha256, size, "dry_run" if dry_run else "commit")
    except ApiError as err:
        db.session.rollback()
        click.echo(f"错误：{err.detail}", err=True)
        sys.exit(2)
    if table.ignored:
        click.echo(f"未识别、已忽略的列 / ignored columns: {'、'.join(table.ignored)}")
    label = "校验中 / validating" if dry_run else "导入中 / importing"
    with click.progressbar(length=max(table.estimate or 0, 1), label=label, show_pos=True) as bar:
        job = run_job(job_id, table, editor, chunk_size=jobs.setting("REGISTRY_IMPORT_CHUNK"), on_progress=bar.update)
    if dry_run:
        click.echo("试导入：只做校验，未写入任何数据 / dry run: nothing was written")
    click.echo(f"读取行数 rows read: {job.rows_processed}")
    click.echo(f"新增 created: {job.created}")
    click.echo(f"更新 updated: {job.updated}")
    click.echo(f"未变化 unchanged: {job.unchanged}")
    click.echo(f"拒绝 rejected: {job.rejected}")
    if report is not None:
        write_error_report(job, report)
        click.echo(f"错误报告 / error report: {report}")
    if job.status == "failed":
        click.echo(f"导入失败 / failed: {job.error}", err=True)
        sys.exit(2)
    if job.rejected:
        sys.exit(1)


@objects_cli.command("feed")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Evaluate the batch and report; change nothing.")
@click.option("--report", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the batch report (XLSX) here.")
def feed_objects(file: Path, dry_run: bool, report: Path | None) -> None:
    """Apply a registration/credit feed batch (docs/directory-feed.md). Exits 1 when records were
    refused, 2 when the batch was refused as a whole (unreadable, reused batch id, sequence gap)."""
    set_system_actor("cli:objects feed")
    try:
        result, replayed = feeds.apply_feed(file, dry_run=dry_run, via="cli")
    except ApiError as err:
        db.session.rollback()
        click.echo(f"错误 / refused ({err.code})：{err.detail}", err=True)
        sys.exit(2)
    if replayed:
        click.echo(f"批次 {result['id']} 已接收过，未重复执行 / already applied, nothing changed")
    elif dry_run:
        click.echo("试运行：未写入任何数据 / dry run: nothing was written")
    click.echo(f"批次 batch: {result['id']}  来源 source: {result['source']}  序号 sequence: {result['sequence']}")
    for kind, counts in result["counts"].items():
        click.echo(f"  {kind:11} applied {counts['applied']:>8}  unchanged {counts['unchanged']:>8}  "
                   f"refused {counts['refused']:>8}")
    click.echo(f"注销/吊销/迁出 closed objects: {result['closed_objects']}  已提示组长 flagged visits: "
               f"{result['flagged_visits']}  用时 seconds: {result['seconds']}")
    for r in result["refusals"][:20]:
        click.echo(f"  第 {r['line']} 行 / line {r['line']}: [{r['code']}] {r['message']}", err=True)
    if report is not None and not dry_run:
        write_batch_report(feeds.get_batch(result["id"]), report)
        click.echo(f"批次报告 / report: {report}")
    if result["refused"]:
        sys.exit(1)
