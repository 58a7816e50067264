"""Protecting the legal representative's ID number (GB 11643).

The number is stored three ways, each for one purpose:

* encrypted (Fernet, key derived from SECRET_KEY with HKDF) so that a later
  feature with a legitimate need can read it back;
* a keyed HMAC-SHA256 so that lookups and signature matching work without
  decrypting (a plain SHA-256 of an 18-digit number with a known structure
  could be brute-forced in minutes);
* masked (``3604**********0071``) for every view.

No API returns anything but the masked form.

Also here: the public name of an object (`public_name`): an individual business registered
under its operator's own personal name is a person's name, shown masked (王**) wherever the
public reads it (published results, the public draw page).
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass

from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app

from ..identifiers import mask_id_number, mask_name, normalize_code

_PERSON_NAME = re.compile(r"^[\u4e00-\u9fa5·]{2,4}$")
_ENC_INFO = b"dsr/registry/legal-rep-id/fernet/v1"
_MAC_INFO = b"dsr/registry/legal-rep-id/hmac/v1"


@dataclass(frozen=True)
class ProtectedId:
    protected: str
    digest: str
    masked: str


def _derive(secret: str, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(secret.encode("utf-8"))


def _keys() -> tuple[Fernet, bytes]:
    secret = current_app.config["SECRET_KEY"]
    cache = current_app.extensions.setdefault("registry_id_keys", {})
    if cache.get("secret") != secret:
        cache.clear()
        cache["secret"] = secret
        cache["fernet"] = Fernet(base64.urlsafe_b64encode(_derive(secret, _ENC_INFO)))
        cache["mac"] = _derive(secret, _MAC_INFO)
    return cache["fernet"], cache["mac"]


class IdProtector:
    """The keys taken once, for a loop over many ID numbers (a feed of a million objects)."""

    def __init__(self, fernet: Fernet, mac: bytes) -> None:
        self.fernet, self.mac = fernet, mac

    @classmethod
    def current(cls) -> "IdProtector":
        return cls(*_keys())

    @staticmethod
    def key_material() -> tuple[bytes, bytes]:
        """The two derived keys, for a helper process of this server (the feed reader), never stored."""
        secret = current_app.config["SECRET_KEY"]
        return base64.urlsafe_b64encode(_derive(secret, _ENC_INFO)), _derive(secret, _MAC_INFO)

    @classmethod
    def from_material(cls, fernet_key: bytes, mac: bytes) -> "IdProtector":
        return cls(Fernet(fernet_key), mac)

    def digest(self, id_number: str) -> str:
        return hmac.new(self.mac, normalize_code(id_number).encode("ascii", "replace"), hashlib.sha256).hexdigest()

    def protect(self, id_number: str, digest: str | None = None) -> ProtectedId:
        norm = normalize_code(id_number)
        return ProtectedId(self.fernet.encrypt(norm.encode("ascii")).decode("ascii"), digest or self.digest(norm),
                           mask_id_number(norm))


def hash_id_number(id_number: str) -> str:
    """Keyed HMAC-SHA256 (hex) of a normalised ID number: equal numbers give equal hashes."""
    _, mac = _keys()
    return hmac.new(mac, normalize_code(id_number).encode("ascii", "replace"), hashlib.sha256).hexdigest()


def protect_id_number(id_number: str) -> ProtectedId:
    """Encrypt, hash and mask a (validated) ID number."""
    return IdProtector.current().protect(id_number)


def reveal_id_number(protected: str) -> str:
    """Decrypt a stored ID number (for server-side use only; never put it in a response)."""
    fernet, _ = _keys()
    return fernet.decrypt(protected.encode("ascii")).decode("ascii")


def public_name(obj) -> str:
    """The name the public sees: individual businesses named after their operator show a masked
    name (王**); every other object its registered name."""
    if obj.object_type == "individual" and _PERSON_NAME.match(obj.name or ""):
        return mask_name(obj.name)
    return obj.name
