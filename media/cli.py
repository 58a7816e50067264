"""`flask media …`: housekeeping of evidence uploads."""
from __future__ import annotations

import datetime as dt

import click
from flask.cli import AppGroup

from server.audit.service import set_system_actor
from server.extensions import db

from .housekeeping import cleanup

media_cli = AppGroup("media", help="Evidence media: uploads housekeeping.")


@media_cli.command("cleanup")
@click.option("--older-than-days", type=click.FloatRange(min=0), default=None,
              help="Also remove unfinished uploads without progress for this many days "
                   "(default: only those past their expiry).")
def cleanup_command(older_than_days: float | None) -> None:
    """Remove expired partial uploads, their temporary files and stale upload records."""
    set_system_actor("cli:media cleanup")
    older_than = dt.timedelta(days=older_than_days) if older_than_days is not None else None
    counts = cleanup(older_than)
    db.session.commit()
    click.echo(
        f"removed {counts['expired_uploads']} expired partial uploads, "
        f"{counts['orphan_files']} orphan temporary files ({counts['bytes_freed']} bytes freed), "
        f"{counts['finished_records']} finished upload records; "
        f"skipped {counts['skipped_in_progress']} in progress"
    )
