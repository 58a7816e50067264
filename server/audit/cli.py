"""`flask audit verify`."""
from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from ..extensions import db
from .service import verify

audit_cli = AppGroup("audit", help="Audit log: verify the hash chain.")


@audit_cli.command("verify")
def verify_command() -> None:
    """Recompute the chain and run every registered check; exit 1 on the first failure."""
    report = verify(db.session)
    for f in report.findings:
        mark = "PASS" if f.ok else "FAIL"
        click.echo(f"{mark} {f.check}: {f.detail}")
    if report.ok:
        click.echo(f"OK: audit log intact ({report.entries} entries).")
        return
    bad = report.first_failure
    where = f" at entry {bad.seq}" if bad.seq is not None else ""
    click.echo(f"FAILED: {bad.check}{where}: {bad.detail}", err=True)
    sys.exit(1)
