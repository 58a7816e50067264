"""`flask audit verify`."""
from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from .. import keys
from ..extensions import db
from .checkpoints import check_exported, create
from .service import verify, set_system_actor

audit_cli = AppGroup("audit", help="Audit log: verify the hash chain.")


@audit_cli.command("verify")
@click.option("--checkpoint", "checkpoint_files", multiple=True, type=click.Path(exists=True, dir_okay=False),
              help="An exported checkpoint file the log must still contain (repeatable).")
def verify_command(checkpoint_files) -> None:
    """Recompute the chain and run every registered check; exit 1 on the first failure."""
    report = verify(db.session)
    for path in checkpoint_files:
        with open(path, encoding="utf-8") as fh:
            report.findings.append(check_exported(fh.read(), keys.public_key_b64()))
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


@audit_cli.command("checkpoint")
@click.option("--out", "out_path", type=click.Path(dir_okay=False, writable=True), default=None,
              help="Also write the checkpoint to this file (keep it outside the application).")
def checkpoint_command(out_path) -> None:
    """Sign the current chain head with the deployment key and print the checkpoint."""
    set_system_actor("cli:audit checkpoint")
    cp = create()
    db.session.commit()
    if out_path:
        with open(out_path, "w", encoding="utf-8") as fh:
            fh.write(cp.text)
    click.echo(cp.text, nl=False)
