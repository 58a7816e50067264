"""RFC 8785 (JCS) canonical JSON and hashing helpers."""
from __future__ import annotations

import hashlib
import json
from typing import Any

import rfc8785

_SAFE_INT = 2 ** 53
_FLAT = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def jcs(obj: Any) -> bytes:
    """Canonical UTF-8 bytes of `obj` per RFC 8785.

    Documents made only of dicts with ASCII keys, lists, strings, booleans, None and integers
    within ±2^53 (what the audit log, sync and records hold) are written by the json module's C
    encoder, several times faster and byte for byte the same: ASCII keys sort alike, strings
    escape only ``"``, ``\\`` and control characters (as ``\\b\\t\\n\\f\\r`` or lower-case
    ``\\u00xx``) and such integers print alike. Anything else goes through the rfc8785 library.
    """
    try:
        if _plain(obj):
            return _FLAT.encode(obj).encode("utf-8")
    except (RecursionError, UnicodeEncodeError):
        pass
    return rfc8785.dumps(obj)


def _plain(v: Any) -> bool:
    t = type(v)
    if v is None or t is str or t is bool:
        return True
    if t is int:
        return -_SAFE_INT < v < _SAFE_INT
    if t is dict:
        return all(type(k) is str and k.isascii() and _plain(x) for k, x in v.items())
    if t is list:
        return all(_plain(x) for x in v)
    return False


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def jcs_sha256(obj: Any) -> str:
    """SHA-256 hex of the canonical form: the hash anyone can recompute."""
    return sha256_hex(jcs(obj))
