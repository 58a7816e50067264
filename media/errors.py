"""Errors of the media layer.

Every failure that reaches a caller of ``media`` is a ``MediaError`` carrying

- ``code``: a stable English snake_case identifier (goes into problem+json),
- ``message``: Simplified Chinese text that can be shown to the inspector,
- ``status``: the HTTP status the web layer should use.

The web layer maps these onto its own problem type, e.g.
``ApiError(err.message, code=err.code, status=err.status)``; nothing here
imports Flask.
"""
from __future__ import annotations

from typing import Any

# code -> (suggested HTTP status, default Chinese message)
ERROR_CODES: dict[str, tuple[int, str]] = {
    "unsupported_type": (
        415,
        "不支持的文件类型：仅接受 JPEG、PNG、WebP、HEIC/HEIF、AVIF、GIF 图片，"
        "MP4、MOV、3GP、WebM/MKV、Ogg 视频，以及 MP3、AAC、M4A、AMR、WAV、Ogg/Opus 音频。",
    ),
    "image_too_large": (413, "图片像素尺寸超过上限，已拒绝处理。"),
    "corrupt_image": (422, "图片文件已损坏或格式无效，无法解码。"),
    "checksum_mismatch": (422, "文件校验失败：收到的内容与声明的 SHA-256 不一致，未予保存。"),
    "invalid_key": (400, "文件标识无效：应为 64 位十六进制 SHA-256。"),
    "not_found": (404, "找不到该文件。"),
    "storage_full": (507, "服务器存储空间不足，文件未保存，请稍后重试。"),
}


class MediaError(Exception):
    """A media failure with a stable ``code``, a Chinese ``message`` and a ``status``.

    ``details`` holds machine-readable extras (sizes, limits, hashes) that the
    web layer may add to its problem document.
    """

    def __init__(
        self,
        code: str,
        message: str | None = None,
        *,
        status: int | None = None,
        **details: Any,
    ) -> None:
        default_status, default_message = ERROR_CODES.get(code, (422, "文件处理失败。"))
        self.code = code
        self.message = message or default_message
        self.status = status or default_status
        self.details = details
        super().__init__(f"{code}: {self.message}")

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, status={self.status}, details={self.details!r})"


class StorageError(MediaError):
    """A storage failure (checksum mismatch, unknown key, disk full)."""
