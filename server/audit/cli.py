"""`flask audit verify`."""
from __future__ import annotations

import json
import os
import sys
import urllib.request
from pathlib import Path

import click
from flask.cli import AppGroup

from .. import keys
from ..extensions import db
from ..types import utcnow
from .checkpoints import check_exported, create, record_verified, resume_point
from .service import verify, set_system_actor
from .witnesses import WitnessError, load_private, register, registered_keys

audit_cli = AppGroup("audit", help="Audit log: verify the hash chain.")


@audit_cli.command("verify")
@click.option("--checkpoint", "checkpoint_files", multiple=True,
              help="An exported checkpoint (a file, or an http(s) URL such as a copy published elsewhere) the log "
                   "must still contain; its countersignatures must be by registered witnesses (repeatable).")
@click.option("--full", is_flag=True, default=False,
              help="Re-hash every entry and every stored file instead of resuming from the last verified checkpoint.")
def verify_command(checkpoint_files, full) -> None:
    """Recompute the chain and run every registered check; exit 1 on the first failure.

    Resumes from the checkpoint the last successful run signed (docs/trust.md says what is then
    trusted); a successful run signs the head it verified."""
    started = utcnow()
    resume = None if full else resume_point(db.session)
    db.session.rollback()  # end the read transaction: verify reads in pages
    report = verify(db.session, resume)
    witnesses = registered_keys(db.session)
    for where in checkpoint_files:
        try:
            text = _read_checkpoint(where)
        except (OSError, ValueError) as exc:
            click.echo(f"cannot read checkpoint {where}: {exc}", err=True)
            sys.exit(2)
        report.findings.append(check_exported(text, keys.public_key_b64(), witnesses))
    for f in report.findings:
        mark = "PASS" if f.ok else "FAIL"
        click.echo(f"{mark} {f.check}: {f.detail}")
    run = report.scope
    if run is not None and run.incremental:
        click.echo(f"incremental: resumed from {run.resumed_from}; {run.files_hashed} files re-hashed, "
                   f"{run.files_trusted} unchanged since that run trusted (--full re-checks everything)")
    if report.ok:
        set_system_actor("cli:audit verify")
        record_verified(report, started)
        db.session.commit()
        click.echo(f"OK: audit log intact ({report.entries} entries).")
        return
    bad = report.first_failure
    where = f" at entry {bad.seq}" if bad.seq is not None else ""
    click.echo(f"FAILED: {bad.check}{where}: {bad.detail}", err=True)
    sys.exit(1)


def _read_checkpoint(where: str) -> str:
    if where.startswith(("http://", "https://")):
        with urllib.request.urlopen(where, timeout=30) as resp:  # noqa: S310  (an auditor's own URL)
            body = resp.read(1_000_000).decode("utf-8")
        # /api/v1/public/checkpoints/latest answers JSON with the checkpoint's text inside.
        parsed = json.loads(body)
        return parsed["text"] if isinstance(parsed, dict) and "text" in parsed and "format" not in parsed else body
    with open(where, encoding="utf-8") as fh:
        return fh.read()


@audit_cli.command("checkpoint")
@click.option("--out", "out_path", type=click.Path(dir_okay=False, writable=True), default=None,
              help="Also write the checkpoint to this file (keep it outside the application).")
@click.option("--cosign", "cosign_file", type=click.Path(exists=True, dir_okay=False), default=None,
              help="Countersign with this Ed25519 private key (PEM) of a registered witness (an auditor's own key).")
def checkpoint_command(out_path, cosign_file) -> None:
    """Sign the current chain head with the deployment key (and a witness's) and print the checkpoint."""
    set_system_actor("cli:audit checkpoint")
    try:
        cp = create(cosign_key=load_private(cosign_file) if cosign_file else None)
    except WitnessError as exc:
        click.echo(f"cannot countersign: {exc}", err=True)
        sys.exit(2)
    db.session.commit()
    if out_path:
        with open(out_path, "w", encoding="utf-8") as fh:
            fh.write(cp.text)
    click.echo(cp.text, nl=False)


@audit_cli.group("witness")
def witness_cli() -> None:
    """Witnesses: auditors' keys that countersign checkpoints."""


@witness_cli.command("add")
@click.option("--name", required=True, help="Who holds the key (e.g. 市审计局).")
@click.option("--public-key", "public_key", required=True,
              help="The witness's Ed25519 public key: base64 of the raw 32 bytes, or a PEM file's path.")
def witness_add(name, public_key) -> None:
    """Register a witness's public key (before it countersigns)."""
    set_system_actor("cli:audit witness add")
    try:
        text = Path(public_key).read_text(encoding="utf-8") if os.path.isfile(public_key) else public_key
        w = register(name, text)
    except (WitnessError, OSError) as exc:
        click.echo(f"cannot register: {exc}", err=True)
        sys.exit(2)
    db.session.commit()
    click.echo(f"witness {w.name}: key {w.key_id}")
