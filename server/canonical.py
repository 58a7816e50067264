"""RFC 8785 (JCS) canonical JSON and hashing helpers."""
from __future__ import annotations

import hashlib
from typing import Any

import rfc8785


def jcs(obj: Any) -> bytes:
    """Canonical UTF-8 bytes of `obj` per RFC 8785."""
    return rfc8785.dumps(obj)


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def jcs_sha256(obj: Any) -> str:
    """SHA-256 hex of the canonical form: the hash anyone can recompute."""
    return sha256_hex(jcs(obj))
