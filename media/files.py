"""Which stored file answers ``GET /api/v1/media/<id>/<variant>``, and how it may be cached."""
from __future__ import annotations

import logging
from dataclasses import dataclass

from server.errors import NotFound

from media.errors import StorageError

from . import store
from .models import MediaObject
from .schemas import VARIANTS

log = logging.getLogger(__name__)
# Authorized per user: never shared caches, and revalidated (ETag) on every use.
CACHE_CONTROL = "private, no-cache"


@dataclass(frozen=True)
class Served:
    path: str
    mime: str
    etag: str  # the SHA-256 of exactly these bytes
    max_age: int
    cache_control: str
    download_name: str | None = None


def variant(obj: MediaObject, name: str) -> Served:
    """The original or a derivative of a readable media object (404 problems otherwise).

    Caching is ``private, no-cache``: the bytes are authorized per user, so every use revalidates
    by the ETag (a revoked phone or a logged-out user gets them no more, whatever its cache holds).
    """
    if name not in VARIANTS:
        raise NotFound(f"未知的文件版本“{name[:20]}”，可用：original、view、thumb。", code="unknown_variant")
    if not obj.arrived:
        raise NotFound("证据文件尚未上传到服务器（证据待上传）。", code="evidence_pending")
    if name == "original":
        key, mime, storage = obj.sha256, obj.mime, store.originals()
        download_name = obj.filename
    else:
        key = obj.view_sha256 if name == "view" else obj.thumb_sha256
        if key is None:
            raise NotFound(obj.preview_reason or "该文件没有预览图。", code="no_preview",
                           extra={"reason_code": obj.preview_reason_code})
        mime, storage = "image/jpeg", store.derivatives()
        download_name = f"{obj.media_id}-{name}.jpg"
    try:
        path = storage.local_path(key)
    except StorageError:
        log.error("media %s: stored %s file %s is missing", obj.media_id, name, key)
        raise NotFound("服务器上找不到该文件的存储内容，请联系管理员。", code="media_file_missing") from None
    return Served(path, mime, key, 0, CACHE_CONTROL, download_name)
