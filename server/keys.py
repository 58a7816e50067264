"""The deployment's Ed25519 signing key (audit checkpoints, signature events).

Kept in instance/ed25519_private.pem (mode 0600), generated on first use, or
read from the file named by SIGNING_KEY_PATH. The public key is published so
anyone can check what the deployment signed.
"""
from __future__ import annotations

import base64
import hashlib
import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from flask import current_app
import hmac


def _path() -> Path:
    configured = current_app.config.get("SIGNING_KEY_PATH")
    return Path(configured) if configured else Path(current_app.instance_path) / "ed25519_private.pem"


def key_path() -> Path:
    """Where the signing key is kept (instance/ed25519_private.pem or SIGNING_KEY_PATH)."""
    return _path()


def private_key() -> Ed25519PrivateKey:
    cache = current_app.extensions.setdefault("dsr_signing_key", {})
    if "key" in cache:
        return cache["key"]
    path = _path()
    if path.exists():
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    else:
        key = Ed25519PrivateKey.generate()
        if not path.parent.exists():
            path.parent.mkdir(parents=True, mode=0o700)
        pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(pem)
    cache["key"] = key
    return key


def public_key_b64() -> str:
    raw = private_key().public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode()


def key_id() -> str:
    """Short fingerprint of the public key (first 16 hex of its SHA-256)."""
    return hashlib.sha256(base64.b64decode(public_key_b64())).hexdigest()[:16]


def sign(message: bytes) -> str:
    return base64.b64encode(private_key().sign(message)).decode()


def verify(public_b64: str, message: bytes, signature_b64: str) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(base64.b64decode(public_b64)).verify(base64.b64decode(signature_b64), message)
        return True
    except Exception:
        return False


def keyed_hash(purpose: str, value: str) -> str:
    """HMAC-SHA256 with a key derived from SECRET_KEY: matches equal values, reveals none."""
    key = hashlib.sha256(f"dsr-keyed-hash|{purpose}|".encode() + current_app.config["SECRET_KEY"].encode()).digest()
    return hmac.new(key, value.encode("utf-8"), hashlib.sha256).hexdigest()
