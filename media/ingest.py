"""Turning a complete upload into evidence: identify, verify, store, derive.

``examine`` has no side effects: it sniffs the real type from the bytes,
refuses what is not an allowed image/video/audio (or not what the upload
declared), and runs ``process_image`` (photos, signatures) or ``probe_av``
(video, audio).  ``keep`` then moves the file into content-addressed
storage, verifying the device's SHA-256 on the way, and stores the display
derivatives (``keep``).  A refusal in either step leaves nothing stored.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from media.av import probe_av
from media.derivatives import process_image
from media.errors import MediaError
from media.sniff import AUDIO, PHOTO, SNIFF_BYTES, VIDEO, sniff

from . import store
from .models import PREVIEW_NONE, PREVIEW_READY

KIND_LABELS = {"photo": "图片", "signature": "签名图片", "video": "视频", "audio": "音频"}
# Which sniffed kinds each declared kind accepts.  MP4/WebM/3GP hold either
# picture or sound, and the container alone cannot always tell.
_COMPATIBLE = {"photo": {PHOTO}, "signature": {PHOTO}, "video": {VIDEO, AUDIO}, "audio": {VIDEO, AUDIO}}
_NOT_AN_IMAGE = ("not_an_image", "视频和音频没有图片预览。")


@dataclass
class Examined:
    """What the bytes are, before anything is stored."""

    kind: str
    mime: str
    size: int
    sha256: str | None = None  # known early for photos (process_image hashes them)
    exif: dict | None = None
    details: dict = field(default_factory=dict)
    width: int | None = None
    height: int | None = None
    duration: float | None = None
    preview: str = PREVIEW_NONE
    reason_code: str | None = None
    reason: str | None = None
    derivatives: dict = field(default_factory=dict)  # name -> media.derivatives.Derivative


@dataclass
class Stored:
    """What ``keep`` put where."""

    sha256: str
    created: bool  # False: identical bytes were already stored
    view_sha256: str | None = None
    thumb_sha256: str | None = None


def check_head(declared_kind: str, content_type: str, head: bytes) -> tuple[str, str]:
    """Sniff the first bytes; refuse types we do not accept or that contradict the declared kind."""
    kind, mime = sniff(head, content_type)
    if kind not in _COMPATIBLE[declared_kind]:
        raise MediaError(
            "kind_mismatch",
            f"文件内容是{KIND_LABELS[kind]}（{mime}），与上传时声明的类型（{KIND_LABELS[declared_kind]}）不符，已拒绝。",
            status=415, sniffed=mime, declared=declared_kind,
        )
    return kind, mime


def examine(path: Path, declared_kind: str, content_type: str) -> Examined:
    """Identify and process the complete file at ``path`` (nothing is stored)."""
    with open(path, "rb") as f:
        head = f.read(SNIFF_BYTES)
    kind, mime = check_head(declared_kind, content_type, head)
    size = os.path.getsize(path)
    if kind == PHOTO:
        return _photo(path, declared_kind, mime, size)
    info = probe_av(path, content_type)
    details = {k: v for k, v in info.items() if k not in ("kind", "mime", "size", "duration")}
    return Examined(
        kind=info["kind"], mime=info["mime"], size=size, details=details,
        width=info.get("width"), height=info.get("height"), duration=info.get("duration"),
        reason_code=_NOT_AN_IMAGE[0], reason=_NOT_AN_IMAGE[1],
    )


def _photo(path: Path, declared_kind: str, mime: str, size: int) -> Examined:
    try:
        result = process_image(path)
    except MediaError as err:
        if err.code != "corrupt_image":
            raise  # a bomb (413) or not an image after all (415): refused
        # The bytes are what the phone holds (the hash is checked when storing):
        # evidence is kept as received, only the preview is missing.
        return Examined(kind=declared_kind, mime=mime, size=size, reason_code=err.code, reason=err.message,
                        details={"warnings": [str(err.details.get("detail", ""))[:200]]})
    details = {k: getattr(result, k) for k in ("width", "height", "orientation", "warnings")}
    return Examined(
        kind=declared_kind, mime=result.mime, size=size, sha256=result.sha256, exif=result.exif,
        details=details, width=result.upright_width, height=result.upright_height,
        preview=PREVIEW_READY if result.preview else PREVIEW_NONE,
        reason_code=result.reason_code, reason=result.reason, derivatives=result.derivatives,
    )


def keep(path: Path, examined: Examined, claimed_sha256: str) -> Stored:
    """Move the file into storage (verifying the claim) and store its derivatives.

    Raises ``MediaError("checksum_mismatch")`` and keeps nothing when the
    bytes disagree with the device's SHA-256 (the file stays at ``path``).
    """
    if examined.sha256 is not None and examined.sha256 != claimed_sha256:
        raise MediaError("checksum_mismatch", expected=claimed_sha256, actual=examined.sha256)
    stored = store.originals().put_file(path, claimed_sha256, move=True)
    out = Stored(sha256=stored.sha256, created=stored.created)
    keys = {name: store.derivatives().put_bytes(d.data).sha256 for name, d in examined.derivatives.items()}
    out.view_sha256, out.thumb_sha256 = keys.get("view"), keys.get("thumb")
    return out
