"""The application's media storage and limits, from its configuration.

One ``FilesystemStorage`` per app (created on first use, kept in
``app.extensions``): ``originals()`` for evidence, ``derivatives()`` for
display copies, and ``part_path()`` for partial tus uploads, which live in
the storage's own temporary area so that completing an upload is a rename.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from flask import current_app

from media.storage import DERIVATIVES, ORIGINALS, FilesystemStorage

from .models import KINDS

PART_PREFIX = "tus-"
PART_SUFFIX = ".part"


def originals() -> FilesystemStorage:
    """The evidence store (byte-exact originals, content-addressed)."""
    stores = current_app.extensions.setdefault("media_storage", {})
    if ORIGINALS not in stores:
        cfg = current_app.config
        stores[ORIGINALS] = FilesystemStorage(cfg["MEDIA_ROOT"], ORIGINALS, fsync=cfg["MEDIA_FSYNC"])
    return stores[ORIGINALS]


def derivatives() -> FilesystemStorage:
    """The display-copy store (views and thumbnails; can be regenerated)."""
    stores = current_app.extensions.setdefault("media_storage", {})
    if DERIVATIVES not in stores:
        stores[DERIVATIVES] = originals().namespace(DERIVATIVES)
    return stores[DERIVATIVES]


def part_path(temp_key: str) -> Path:
    """Where the partial bytes of an upload are staged."""
    return originals().temp_dir / f"{PART_PREFIX}{temp_key}{PART_SUFFIX}"


def limits() -> dict[str, int]:
    """Maximum upload size in bytes per kind (photo, video, audio, signature)."""
    configured = current_app.config["MEDIA_LIMITS"]
    return {kind: int(configured[kind]) for kind in KINDS}


def max_size() -> int:
    """The largest upload any kind allows (advertised as ``Tus-Max-Size``)."""
    return max(limits().values())


def expiry() -> dt.timedelta:
    """How long an unfinished upload is kept after its last progress."""
    return dt.timedelta(days=float(current_app.config["MEDIA_UPLOAD_EXPIRY_DAYS"]))
