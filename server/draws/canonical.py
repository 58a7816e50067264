"""RFC 8785 canonical JSON, line hashing and a batched HMAC-SHA256: the byte-level helpers shared by
the object draw (``algorithm.py``), team matching (``teams.py``) and snapshot storage (``snapshot.py``).

Standard library only, like the rest of the draw; ``tools/verify_draw.py`` re-implements the same
definitions independently. Unlike the app-wide ``server/canonical.py`` (the ``rfc8785`` package),
``jcs`` here refuses floats, since draw payloads carry ratios as decimal strings and a float there
would be a bug, and it hashes a million snapshot lines without building one document.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping

MAX_SAFE_INTEGER = 2**53 - 1
json_string = json.encoder.encode_basestring  # RFC 8785 string escaping (non-ASCII kept)


def jcs(obj) -> bytes:
    """RFC 8785 canonical JSON of ``obj`` as UTF-8 bytes.

    Supports None, bools, integers within +/-(2^53-1), strings, lists/tuples and dicts with
    string keys (sorted by UTF-16 code units, as RFC 8785 requires). Floats raise TypeError;
    integers outside the I-JSON safe range and lone surrogates raise ValueError.
    """
    return jcs_text(obj).encode("utf-8")


def _utf16_key(key: str) -> bytes:
    return key.encode("utf-16-be", "surrogatepass")


def jcs_text(obj) -> str:
    """``jcs(obj)`` as text (before UTF-8 encoding)."""
    if obj is None:
        return "null"
    if obj is True:
        return "true"
    if obj is False:
        return "false"
    if isinstance(obj, int):
        if not -MAX_SAFE_INTEGER <= obj <= MAX_SAFE_INTEGER:
            raise ValueError(f"integer {obj} is outside the I-JSON safe range")
        return int.__repr__(obj)
    if isinstance(obj, str):
        return json_string(obj)
    if isinstance(obj, float):
        raise TypeError("floats are not allowed in canonical payloads; use decimal strings")
    if isinstance(obj, (list, tuple)):
        return "[" + ",".join(map(jcs_text, obj)) + "]"
    if isinstance(obj, Mapping):
        for key in obj:
            if not isinstance(key, str):
                raise TypeError(f"object keys must be strings, got {type(key).__name__}")
        keys = sorted(obj, key=_utf16_key)
        return "{" + ",".join(json_string(k) + ":" + jcs_text(obj[k]) for k in keys) + "}"
    raise TypeError(f"cannot canonicalise {type(obj).__name__}")


def jcs_lines_hash(rows: Iterable) -> str:
    """SHA-256 hex of ``concat(JCS(row) + "\\n" for row in rows)``."""
    return lines_hash(rows, jcs_text)


def lines_hash(rows: Iterable, line, chunk: int = 65536) -> str:
    """SHA-256 hex of ``concat(line(row) + "\\n")``, hashed in chunks to bound memory."""
    digest = hashlib.sha256()
    buf: list[str] = []
    for row in rows:
        buf.append(line(row))
        if len(buf) >= chunk:
            digest.update(("\n".join(buf) + "\n").encode("utf-8"))
            buf.clear()
    if buf:
        digest.update(("\n".join(buf) + "\n").encode("utf-8"))
    return digest.hexdigest()


_IPAD = bytes(b ^ 0x36 for b in range(256))
_OPAD = bytes(b ^ 0x5C for b in range(256))


class HmacSha256:
    """HMAC-SHA256 under one key, with the key schedule done once: ``prefixed(p)(s)`` equals
    ``HMAC-SHA256(key, p + s)`` and hashes ``p`` once for many suffixes (about twice as fast as
    ``hmac.digest`` per call for short messages)."""

    def __init__(self, key: bytes):
        if len(key) > 64:
            key = hashlib.sha256(key).digest()
        key = bytes(key).ljust(64, b"\0")
        self._inner = hashlib.sha256(key.translate(_IPAD))
        self._outer = hashlib.sha256(key.translate(_OPAD))

    def prefixed(self, prefix: bytes):
        inner = self._inner.copy()
        inner.update(prefix)
        icopy, ocopy = inner.copy, self._outer.copy

        def mac(suffix: bytes) -> bytes:
            ih = icopy()
            ih.update(suffix)
            oh = ocopy()
            oh.update(ih.digest())
            return oh.digest()

        return mac

    def many(self, prefix: bytes, suffixes: Iterable[bytes]) -> list[bytes]:
        """``[HMAC-SHA256(key, prefix + s) for s in suffixes]``, without a call per suffix."""
        inner = self._inner.copy()
        inner.update(prefix)
        icopy, ocopy = inner.copy, self._outer.copy
        out = []
        append = out.append
        for suffix in suffixes:
            ih = icopy()
            ih.update(suffix)
            oh = ocopy()
            oh.update(ih.digest())
            append(oh.digest())
        return out


def hmac_sha256_prefixed(key: bytes, prefix: bytes):
    """Return ``f(suffix) == HMAC-SHA256(key, prefix + suffix)`` (see ``HmacSha256``)."""
    return HmacSha256(key).prefixed(prefix)
