"""`flask backup create|verify|restore DIR`."""
from __future__ import annotations

import sys
import time
from pathlib import Path

import click
from flask.cli import AppGroup

from . import backup

backup_cli = AppGroup("backup", help="Back up the database, evidence files and keys; verify; restore.")


def _fail(exc: Exception) -> None:
    click.echo(f"FAILED: {exc}", err=True)
    sys.exit(1)


@backup_cli.command("create")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
def create_command(directory: Path) -> None:
    """Write a backup into DIRECTORY (new or empty)."""
    t0 = time.monotonic()
    try:
        manifest = backup.create(directory)
    except backup.BackupError as exc:
        _fail(exc)
    size = sum(p["size"] for p in manifest["parts"])
    click.echo(f"OK: {len(manifest['parts'])} files, {size} bytes ({manifest['backend']}, "
               f"revision {manifest['alembic_revision']}) in {time.monotonic() - t0:.2f} s → {directory}")


@backup_cli.command("verify")
@click.argument("directory", type=click.Path(file_okay=False, exists=True, path_type=Path))
def verify_command(directory: Path) -> None:
    """Check every part of the backup in DIRECTORY against its manifest; exit 1 on any difference."""
    try:
        check = backup.verify(directory)
    except backup.BackupError as exc:
        _fail(exc)
    for problem in check.problems:
        click.echo(f"FAIL {problem}", err=True)
    if not check.ok:
        sys.exit(1)
    click.echo(f"OK: {check.files} files, {check.bytes} bytes match the manifest.")


@backup_cli.command("restore")
@click.argument("directory", type=click.Path(file_okay=False, exists=True, path_type=Path))
def restore_command(directory: Path) -> None:
    """Restore the backup in DIRECTORY into this app's empty database and media root."""
    t0 = time.monotonic()
    try:
        manifest = backup.restore(directory)
    except backup.BackupError as exc:
        _fail(exc)
    click.echo(f"OK: restored the backup of {manifest['created_at']} (revision {manifest['alembic_revision']}) "
               f"in {time.monotonic() - t0:.2f} s. Run `flask audit verify` next.")
