"""The tus 1.0.0 resumable upload protocol: headers in, headers out, bytes to disk.

Implemented: core (HEAD, PATCH), creation (and creation-with-upload),
expiration, checksum (``sha1`` as the spec requires, and ``sha256``) and
termination.  Not implemented: deferred length and concatenation (phones know
the size of what they captured; chunks are sent in order).

The request body is streamed to the partial file in ``READ_SIZE`` pieces:
memory stays bounded whatever the upload size.  A body that stops early (the
phone lost its signal) keeps the bytes that arrived, as the spec asks, unless
the chunk carries an ``Upload-Checksum``: a chunk that cannot be verified is
discarded whole.
"""
from __future__ import annotations

import base64
import binascii
import errno
import fcntl
import hashlib
import os
import re
from pathlib import Path
from typing import BinaryIO

from werkzeug.exceptions import ClientDisconnected
from werkzeug.http import http_date

from server.errors import ApiError, BadRequest

TUS_VERSION = "1.0.0"
EXTENSIONS = ("creation", "creation-with-upload", "expiration", "checksum", "termination")
CHECKSUM_ALGORITHMS = {"sha1": hashlib.sha1, "sha256": hashlib.sha256}
OFFSET_STREAM = "application/offset+octet-stream"
READ_SIZE = 1 << 20  # 1 MiB per read: throughput without holding a chunk in memory
MAX_METADATA_LENGTH = 4096
_DIGITS = re.compile(r"^[0-9]{1,19}$")


class ChunkChecksumMismatch(ApiError):
    status, code, title = 460, "chunk_checksum_mismatch", "分块校验失败"


class UploadLocked(ApiError):
    status, code, title = 423, "upload_locked", "上传正在进行"


class LengthExceeded(ApiError):
    status, code, title = 413, "upload_length_exceeded", "超过声明的上传长度"


def base_headers() -> dict[str, str]:
    """Headers on every tus response."""
    return {"Tus-Resumable": TUS_VERSION, "Cache-Control": "no-store"}


def discovery_headers(max_size: int) -> dict[str, str]:
    """What ``OPTIONS`` advertises."""
    return {
        **base_headers(),
        "Tus-Version": TUS_VERSION,
        "Tus-Extension": ",".join(EXTENSIONS),
        "Tus-Max-Size": str(max_size),
        "Tus-Checksum-Algorithm": ",".join(CHECKSUM_ALGORITHMS),
    }


def check_version(headers) -> None:
    """Refuse a request that does not speak tus 1.0.0 (412, with ``Tus-Version``)."""
    version = headers.get("Tus-Resumable")
    if version != TUS_VERSION:
        said = f"“{version[:20]}”" if version else "缺少 Tus-Resumable 请求头"
        raise ApiError(
            f"服务器只支持 tus {TUS_VERSION} 断点续传协议（{said}）。", status=412,
            code="tus_version_unsupported", title="不支持的上传协议版本",
            headers={"Tus-Version": TUS_VERSION, "Tus-Resumable": TUS_VERSION},
        )


def parse_size(value: str | None, header: str) -> int:
    """A non-negative integer header (``Upload-Offset``, ``Upload-Length``)."""
    if value is None or not _DIGITS.match(value.strip()):
        shown = "缺少该请求头" if value is None else "应为非负整数"
        raise BadRequest(f"请求头 {header} 无效：{shown}。", code="invalid_" + header.lower().replace("-", "_"))
    return int(value.strip())


def parse_metadata(header: str | None) -> dict[str, str]:
    """Decode ``Upload-Metadata``: comma-separated ``key base64value`` pairs."""
    if header is None or not header.strip():
        return {}
    if len(header) > MAX_METADATA_LENGTH:
        raise BadRequest(f"Upload-Metadata 过长（上限 {MAX_METADATA_LENGTH} 字符）。", code="invalid_upload_metadata")
    out: dict[str, str] = {}
    for item in header.split(","):
        key, _, encoded = item.strip().partition(" ")
        if not key or " " in encoded.strip() or key in out:
            raise BadRequest("Upload-Metadata 格式错误：每项应为“键 Base64值”，键不能为空或重复。",
                             code="invalid_upload_metadata")
        try:
            out[key] = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
        except (binascii.Error, ValueError):
            raise BadRequest(f"Upload-Metadata 中“{key[:40]}”的值不是有效的 Base64 编码 UTF-8 文本。",
                             code="invalid_upload_metadata") from None
    return out


def parse_checksum(header: str | None) -> tuple[str, bytes] | None:
    """``Upload-Checksum: <algorithm> <base64 digest>`` → (algorithm, digest)."""
    if header is None:
        return None
    algorithm, _, encoded = header.strip().partition(" ")
    if algorithm not in CHECKSUM_ALGORITHMS:
        raise BadRequest(f"不支持的校验算法“{algorithm[:20]}”，可用：{'、'.join(CHECKSUM_ALGORITHMS)}。",
                         code="checksum_algorithm_unsupported")
    try:
        digest = base64.b64decode(encoded.strip(), validate=True)
    except (binascii.Error, ValueError):
        digest = b""
    if len(digest) != CHECKSUM_ALGORITHMS[algorithm]().digest_size:
        raise BadRequest("Upload-Checksum 格式错误：应为“算法 Base64摘要”。", code="invalid_upload_checksum")
    return algorithm, digest


def expires_header(when) -> str:
    """RFC 7231 date for ``Upload-Expires``."""
    return http_date(when)


class PartFile:
    """The partial bytes of one upload, exclusively locked while in use.

    The lock (``flock``) is held per open file, so it serialises writers
    across threads and worker processes alike; a second writer gets 423 and
    retries later (tus-js-client does so by itself).
    """

    def __init__(self, path: Path, *, create: bool = False) -> None:
        self.path = path
        flags = os.O_RDWR | (os.O_CREAT if create else 0)
        fd = os.open(path, flags, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise UploadLocked("该上传正在由另一个请求写入，请稍后重试。") from None
        self.file: BinaryIO = os.fdopen(fd, "r+b")

    def __enter__(self) -> "PartFile":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        if not self.file.closed:
            self.file.close()  # also releases the lock

    def size(self) -> int:
        return os.fstat(self.file.fileno()).st_size

    def head(self, n: int) -> bytes:
        self.file.seek(0)
        return self.file.read(n)

    def append(self, offset: int, stream: BinaryIO, *, room: int, declared: int | None,
               checksum: tuple[str, bytes] | None) -> int:
        """Write the request body at ``offset``; return how many bytes were kept.

        ``room`` is what the upload can still take (more is refused, nothing
        kept); ``declared`` is the ``Content-Length`` if one was sent: a
        shorter body means the client went away.
        """
        f = self.file
        f.seek(offset)
        f.truncate()  # bytes past the committed offset are leftovers of a crash
        hasher = CHECKSUM_ALGORITHMS[checksum[0]]() if checksum else None
        received = 0
        cut_off = False
        try:
            while received <= room:
                data = _read(stream, min(READ_SIZE, room + 1 - received))
                if data is None:  # the connection broke: keep what arrived
                    cut_off = True
                    break
                if not data:
                    break
                received += len(data)
                if received > room:
                    break
                if hasher is not None:
                    hasher.update(data)
                f.write(data)
            if received > room:
                self._discard(offset)
                raise LengthExceeded(f"本次发送的内容超过了上传声明的总长度（还可接收 {room} 字节），已丢弃。",
                                     extra={"limit_bytes": room})
            if declared is not None and received < declared:
                cut_off = True
            if hasher is not None:
                if cut_off:
                    self._discard(offset)  # a partial chunk cannot be verified
                    return 0
                if hasher.digest() != checksum[1]:
                    self._discard(offset)
                    raise ChunkChecksumMismatch(f"本块内容与 Upload-Checksum（{checksum[0]}）不一致，已丢弃，请重新发送。")
            f.flush()
            os.fsync(f.fileno())
        except OSError as exc:
            self._discard(offset)
            if exc.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)):
                raise ApiError("服务器存储空间不足，本块未保存，请稍后重试。", status=507, code="storage_full",
                               title="存储空间不足", headers={"Retry-After": "600"}) from exc
            raise
        return received

    def _discard(self, offset: int) -> None:
        try:
            self.file.seek(offset)
            self.file.truncate()
        except OSError:
            pass


def _read(stream: BinaryIO, n: int) -> bytes | None:
    """Read up to ``n`` bytes; ``None`` when the client disconnected."""
    try:
        return stream.read(n)
    except (ClientDisconnected, OSError, ValueError):
        return None


class MethodOverride:
    """WSGI middleware for ``X-HTTP-Method-Override`` (tus core).

    Clients behind proxies that drop PATCH or DELETE send a POST with the
    real method in this header; only upload URLs (below ``prefix``) honour it.
    """

    METHODS = frozenset({"PATCH", "DELETE", "HEAD"})

    def __init__(self, wsgi_app, prefix: str) -> None:
        self.wsgi_app = wsgi_app
        self.prefix = prefix

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if environ.get("REQUEST_METHOD") == "POST" and path.startswith(self.prefix) and len(path) > len(self.prefix):
            override = environ.get("HTTP_X_HTTP_METHOD_OVERRIDE", "").strip().upper()
            if override in self.METHODS:
                environ["REQUEST_METHOD"] = override
        return self.wsgi_app(environ, start_response)
