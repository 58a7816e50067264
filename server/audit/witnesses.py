"""Witnesses: auditors who countersign checkpoints with keys of their own (trust.md, issue 19).

The deployment's key sits on the server: whoever holds the database and that key file can cut or
rewrite the log and re-sign every stored checkpoint. A witness's key does not: an auditor registers
their Ed25519 public key beforehand (`flask audit witness add`), countersigns a checkpoint with their
private key (`flask audit checkpoint --cosign KEYFILE`) and keeps the file. A cosigned checkpoint that
no longer matches the log, or a stored one whose countersignature no longer verifies, then gives any
rewrite away, as Certificate Transparency's witnesses do.
"""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import String, select
from sqlalchemy.orm import Mapped, mapped_column

from .. import keys
from ..extensions import db
from ..types import BigIntPK, UTCDateTime, utcnow
from . import service as audit


class AuditWitness(db.Model):
    """A registered countersigning key (public half only)."""

    __tablename__ = "audit_witnesses"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    public_key: Mapped[str] = mapped_column(String(64), unique=True)
    key_id: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class WitnessError(ValueError):
    """A key that cannot be used to countersign (unreadable, or not registered)."""


def key_id_of(public_b64: str) -> str:
    return hashlib.sha256(base64.b64decode(public_b64)).hexdigest()[:16]


def public_b64(key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    pub = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return base64.b64encode(pub.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)).decode()


def register(name: str, public_key: str) -> AuditWitness:
    """Register a witness's public key (base64 of the raw 32 bytes, or a PEM). The caller commits."""
    text = public_key.strip()
    try:
        if text.startswith("-----BEGIN"):
            text = public_b64(serialization.load_pem_public_key(text.encode()))
        Ed25519PublicKey.from_public_bytes(base64.b64decode(text, validate=True))
    except Exception as exc:
        raise WitnessError("not an Ed25519 public key (base64 of 32 bytes, or PEM)") from exc
    existing = db.session.execute(select(AuditWitness).where(AuditWitness.public_key == text)).scalar_one_or_none()
    if existing is not None:
        return existing
    w = AuditWitness(name=name, public_key=text, key_id=key_id_of(text), created_at=utcnow())
    db.session.add(w)
    audit.record(db.session, "audit.witness_added", "audit_witness", w.key_id, {"name": name, "public_key": text})
    return w


def load_private(path: str | Path) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(Path(path).read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as exc:
        raise WitnessError(f"cannot read an Ed25519 private key from {path}") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise WitnessError(f"{path} is not an Ed25519 private key")
    return key


def cosign(statement: bytes, key: Ed25519PrivateKey) -> dict:
    """A countersignature by a registered witness over a checkpoint's statement."""
    pub = public_b64(key)
    w = db.session.execute(select(AuditWitness).where(AuditWitness.public_key == pub)).scalar_one_or_none()
    if w is None:
        raise WitnessError(f"key {key_id_of(pub)} is not a registered witness (flask audit witness add)")
    return {"witness": w.name, "key_id": w.key_id, "public_key": pub,
            "signature": base64.b64encode(key.sign(statement)).decode()}


def check_cosignatures(statement: bytes, cosignatures: list, registered: set[str] | None) -> str | None:
    """The first problem with a checkpoint's countersignatures, or None.

    `registered`: the public keys the verifier trusts as witnesses (None: whatever the file names)."""
    for c in cosignatures or []:
        if not isinstance(c, dict):
            return "a countersignature is not readable"
        if registered is not None and c.get("public_key") not in registered:
            return f"countersigned with key {c.get('key_id')}, which is not a registered witness"
        if not keys.verify(c.get("public_key", ""), statement, c.get("signature", "")):
            return f"the countersignature of {c.get('witness')} ({c.get('key_id')}) does not verify"
    return None


def registered_keys(session) -> set[str]:
    return set(session.execute(select(AuditWitness.public_key)).scalars())
