"""A consistent, verifiable backup of one deployment, and its restore into an empty one.

Layout of a backup directory:

- ``database.dump`` (PostgreSQL: ``pg_dump --format=custom``, one snapshot) or
  ``database.sqlite3`` (SQLite: the online backup API, safe while the app writes);
- ``media/…``: every file under MEDIA_ROOT (evidence originals, derivatives), taken *after* the
  database: objects are write-once and content-addressed, and a row names an object only once its
  bytes are durable, so every object the dump names is in the copy (later ones are harmless extras);
- ``keys/``: the deployment's public key, its Ed25519 signing key and the instance secret key
  (without them the restored audit checkpoints and keyed hashes would no longer verify; keep the
  backup as private as the instance directory);
- ``checkpoints/``: every signed audit checkpoint, one file each, for out-of-band checking;
- ``manifest.json``, written last: format, time, backend, Alembic revision and the size and
  SHA-256 of every other file. A directory without it is an unfinished backup.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from flask import current_app
from sqlalchemy import inspect, select, text
from sqlalchemy.engine import make_url

from .. import keys
from ..audit.checkpoints import AuditCheckpoint
from ..extensions import db

FORMAT = "dsr-backup-v1"
MANIFEST = "manifest.json"
PG_DUMP = "database.dump"
SQLITE_FILE = "database.sqlite3"
CHUNK = 1 << 20


class BackupError(Exception):
    """A backup cannot be written, verified or restored; the message says why."""


@dataclass
class Check:
    ok: bool
    problems: list[str] = field(default_factory=list)
    files: int = 0
    bytes: int = 0


# -- helpers -----------------------------------------------------------------

def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            h.update(chunk)
    return h.hexdigest()


def _files(root: Path):
    """Every regular file under root, as sorted relative POSIX paths."""
    out = []
    for dirpath, _dirs, names in os.walk(root):
        for name in names:
            p = Path(dirpath) / name
            if p.is_file() and not p.is_symlink():
                out.append(p.relative_to(root).as_posix())
    return sorted(out)


def _url():
    return make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])


def _libpq_url(url) -> str:
    """postgresql+psycopg://… → postgresql://… (what pg_dump / pg_restore understand)."""
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def _run(argv: list[str]) -> None:
    try:
        proc = subprocess.run(argv, capture_output=True, text=True)
    except FileNotFoundError:
        raise BackupError(f"{argv[0]} is not installed (Debian: apt-get install postgresql-client-15)") from None
    if proc.returncode != 0:
        raise BackupError(f"{argv[0]} failed: {proc.stderr.strip()[-2000:]}")


def _write_private(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)


def _secret_key_path() -> Path:
    return Path(current_app.instance_path) / "secret_key"


# -- create ------------------------------------------------------------------

def create(target: Path) -> dict:
    """Write a backup into `target` (new or empty); returns the manifest."""
    target = Path(target)
    if target.exists() and any(target.iterdir()):
        raise BackupError(f"{target} is not empty: a backup goes into a new directory")
    target.mkdir(parents=True, exist_ok=True)
    url = _url()
    revision = db.session.execute(text("SELECT version_num FROM alembic_version")).scalar_one_or_none()
    db.session.rollback()
    if url.get_backend_name() == "postgresql":
        backend, db_file = "postgresql", PG_DUMP
        _run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges", "--file", str(target / PG_DUMP),
              "--dbname", _libpq_url(url)])
    elif url.get_backend_name() == "sqlite":
        backend, db_file = "sqlite", SQLITE_FILE
        src = sqlite3.connect(url.database)
        dst = sqlite3.connect(target / SQLITE_FILE)
        try:
            with dst:
                src.backup(dst)
        finally:
            dst.close()
            src.close()
    else:
        raise BackupError(f"unsupported database backend {url.get_backend_name()}")

    media_root = Path(current_app.config["MEDIA_ROOT"])
    if media_root.is_dir():
        for rel in _files(media_root):
            dest = target / "media" / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(media_root / rel, dest)

    key_dir = target / "keys"
    key_dir.mkdir()
    (key_dir / "public_key.b64").write_text(keys.public_key_b64() + "\n", encoding="utf-8")
    _write_private(key_dir / "ed25519_private.pem", keys.key_path().read_bytes())
    if _secret_key_path().is_file():
        _write_private(key_dir / "secret_key", _secret_key_path().read_bytes())

    cp_dir = target / "checkpoints"
    cp_dir.mkdir()
    for cp in db.session.execute(select(AuditCheckpoint).order_by(AuditCheckpoint.id)).scalars():
        (cp_dir / f"{cp.id:08d}-{cp.size}.json").write_text(cp.text, encoding="utf-8")
    db.session.rollback()

    parts = [{"path": rel, "size": (target / rel).stat().st_size, "sha256": _sha256(target / rel)}
             for rel in _files(target)]
    manifest = {"format": FORMAT, "created_at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "backend": backend, "database_file": db_file, "alembic_revision": revision,
                "key_id": keys.key_id(), "parts": parts}
    tmp = target / (MANIFEST + ".tmp")
    tmp.write_text(json.dumps(manifest, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    os.replace(tmp, target / MANIFEST)
    return manifest


# -- verify ------------------------------------------------------------------

def read_manifest(source: Path) -> dict:
    path = Path(source) / MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BackupError(f"{path} is missing: not a backup, or an unfinished one") from None
    except ValueError:
        raise BackupError(f"{path} is not readable JSON") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT or not isinstance(manifest.get("parts"), list):
        raise BackupError(f"{path} is not a {FORMAT} manifest")
    return manifest


def verify(source: Path) -> Check:
    """Every part the manifest lists is there with its size and SHA-256; nothing else is."""
    source = Path(source)
    manifest = read_manifest(source)
    check = Check(ok=True)
    listed = set()
    for part in manifest["parts"]:
        rel = part.get("path", "")
        listed.add(rel)
        path = source / rel
        if Path(rel).is_absolute() or ".." in Path(rel).parts:
            check.problems.append(f"{rel}: path outside the backup")
        elif not path.is_file():
            check.problems.append(f"{rel}: missing")
        elif path.stat().st_size != part.get("size"):
            check.problems.append(f"{rel}: size {path.stat().st_size}, manifest says {part.get('size')}")
        elif _sha256(path) != part.get("sha256"):
            check.problems.append(f"{rel}: SHA-256 differs from the manifest")
        else:
            check.files += 1
            check.bytes += part["size"]
    for rel in _files(source):
        if rel != MANIFEST and rel not in listed:
            check.problems.append(f"{rel}: not in the manifest")
    if manifest.get("database_file") not in listed:
        check.problems.append("the manifest names no database file")
    check.ok = not check.problems
    return check


# -- restore -----------------------------------------------------------------

def _database_is_empty() -> bool:
    names = inspect(db.engine).get_table_names()
    return not names


def restore(source: Path) -> dict:
    """Restore a verified backup into this app's database and media root, both empty."""
    source = Path(source)
    check = verify(source)
    if not check.ok:
        raise BackupError("the backup does not verify: " + "; ".join(check.problems[:5]))
    manifest = read_manifest(source)
    url = _url()
    if url.get_backend_name() != manifest["backend"]:
        raise BackupError(f"the backup is of a {manifest['backend']} database; this app uses {url.get_backend_name()}")
    if not _database_is_empty():
        raise BackupError("the target database is not empty: restore goes into a new, empty database")
    media_root = Path(current_app.config["MEDIA_ROOT"])
    if media_root.is_dir() and _files(media_root):
        raise BackupError(f"the media root {media_root} is not empty")
    key_path = keys.key_path()
    backup_key = (source / "keys" / "ed25519_private.pem").read_bytes()
    if key_path.exists() and key_path.read_bytes() != backup_key:
        raise BackupError(f"{key_path} holds a different signing key; move it away to restore this deployment's key")

    db.session.remove()
    db.engine.dispose()
    if manifest["backend"] == "postgresql":
        _run(["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction",
              "--dbname", _libpq_url(url), str(source / PG_DUMP)])
    else:
        src = sqlite3.connect(source / SQLITE_FILE)
        dst = sqlite3.connect(url.database)
        try:
            with dst:
                src.backup(dst)
        finally:
            dst.close()
            src.close()

    for part in manifest["parts"]:
        rel = Path(part["path"])
        if rel.parts[0] == "media":
            dest = media_root.joinpath(*rel.parts[1:])
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source / rel, dest)
    _write_private(key_path, backup_key)
    if (source / "keys" / "secret_key").is_file():
        _write_private(_secret_key_path(), (source / "keys" / "secret_key").read_bytes())
    current_app.extensions.pop("dsr_signing_key", None)
    return manifest
