"""`flask draws list` and `flask draws export-audit TASK_ID OUT.json`."""
from __future__ import annotations

import sys

import click
from flask.cli import AppGroup
from sqlalchemy import select

from ..extensions import db
from .export import write_audit_package
from .models import InspectionTask

draws_cli = AppGroup("draws", help="Verifiable draws.")


@draws_cli.command("list")
def list_draws():
    """List launched tasks and their draw state."""
    for t in db.session.execute(select(InspectionTask).order_by(InspectionTask.id)).scalars():
        d = t.draw
        click.echo(f"{t.id:5} {t.code:28} {t.status:10} commitment={d.commitment[:16]}… "
                   f"seed={(d.seed_hex or '-')[:16]} {t.name}")


@draws_cli.command("export-audit")
@click.argument("task_id", type=int)
@click.argument("out", type=click.Path(dir_okay=False, writable=True))
def export_audit(task_id, out):
    """Write the audit package that tools/verify_draw.py checks."""
    task = db.session.get(InspectionTask, task_id)
    if task is None or task.draw.seed_hex is None:
        click.echo("没有已完成抽取的该任务。/ No drawn task with that id.", err=True)
        sys.exit(2)
    with open(out, "w", encoding="utf-8") as fh:
        write_audit_package(task, fh, indent=1)
    click.echo(f"wrote {out}; verify with: python tools/verify_draw.py {out}")
