"""tus uploads: create, receive chunks, complete, terminate.

Unlike other services this one commits as it goes: the bytes on disk and the
offset in the database must agree after every request, including requests
that end in an error (a refused file is removed *and* the removal is
audited and committed, while the partial file is still locked, before the
error is raised).  A long request body is received outside any database
transaction.
"""
from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import os
import re
import secrets
import uuid
from typing import BinaryIO

from sqlalchemy import func, select

from server.audit import service as audit
from server.errors import ApiError, Conflict, Forbidden, Gone, Invalid, NotFound, PayloadTooLarge, field_error
from server.extensions import db
from server.observability import metrics
from server.types import utcnow

from media.errors import MediaError
from media.sniff import SNIFF_BYTES

from . import access, ingest, service, store, tus
from .models import KINDS, MediaObject, Upload

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_CONTENT_TYPE = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]{0,62}/[a-z0-9][a-z0-9!#$&^_.+-]{0,62}$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_KIND_OF_TYPE = {"image": "photo", "video": "video", "audio": "audio"}
_MEDIA_ERROR_TITLES = {413: "文件过大", 415: "不支持的文件类型", 422: "文件未通过校验", 507: "存储空间不足"}


@dataclasses.dataclass(frozen=True)
class UploadClaim:
    """What ``Upload-Metadata`` says about the file."""

    media_id: str
    sha256: str
    content_type: str
    filename: str
    kind: str


def read_claim(meta: dict[str, str]) -> UploadClaim:
    """Validate the metadata keys the server needs (422 naming each bad field)."""
    errors = []
    media_id = service.normalize_media_id(meta.get("media_id", ""))
    if media_id is None:
        errors.append(field_error("media_id", "应为客户端生成的 UUID。"))
    sha256 = meta.get("sha256", "").strip().lower()
    if not _SHA256.match(sha256):
        errors.append(field_error("sha256", "应为整个文件的 SHA-256（64 位十六进制）。"))
    content_type = meta.get("content_type", "").split(";", 1)[0].strip().lower()
    if not _CONTENT_TYPE.match(content_type):
        errors.append(field_error("content_type", "应为 MIME 类型，如 image/jpeg。"))
    filename = os.path.basename(meta.get("filename", "").replace("\\", "/")).strip()
    if not filename or len(filename) > 255 or _CONTROL.search(filename):
        errors.append(field_error("filename", "应为 1–255 个字符的文件名。"))
    kind = meta.get("kind") or _KIND_OF_TYPE.get(content_type.split("/", 1)[0], "")
    if kind not in KINDS:
        errors.append(field_error("kind", "应为 photo、video、audio 或 signature（或由 content_type 推断）。"))
    if errors:
        raise Invalid("Upload-Metadata 缺少必需的项或取值无效。", code="invalid_upload_metadata", errors=errors)
    return UploadClaim(media_id, sha256, content_type, filename, kind)


def api_error(err: MediaError) -> ApiError:
    """A media-layer error as the API's problem."""
    return ApiError(err.message, code=err.code, status=err.status,
                    title=_MEDIA_ERROR_TITLES.get(err.status, "文件处理失败"),
                    extra={k: v for k, v in err.details.items() if isinstance(v, (str, int, float, bool))})


# -- creation ---------------------------------------------------------------------


def create(principal, length: int, metadata_header: str | None) -> Upload:
    """A new upload for ``length`` bytes described by ``Upload-Metadata`` (not committed)."""
    claim = read_claim(tus.parse_metadata(metadata_header))
    limit = store.limits()[claim.kind]
    if length > limit:
        raise PayloadTooLarge(
            f"文件大小 {length} 字节超过{ingest.KIND_LABELS[claim.kind]}的上限 {limit} 字节。", code="upload_too_large",
            extra={"limit_name": claim.kind, "limit_bytes": limit, "length": length})
    if length == 0:
        raise Invalid("空文件不能作为证据上传。", code="empty_upload")
    _check_media_id(principal, claim.media_id, claim.sha256)
    now = utcnow()
    upload = Upload(
        id=secrets.token_urlsafe(24), media_id=claim.media_id, user_id=principal.user_id,
        device_id=principal.device_id, kind=claim.kind, length=length, offset=0, sha256=claim.sha256,
        content_type=claim.content_type, filename=claim.filename, upload_metadata=(metadata_header or "").strip(),
        temp_key=uuid.uuid4().hex, created_at=now, updated_at=now, expires_at=now + store.expiry(),
    )
    fd = os.open(store.part_path(upload.temp_key), os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    os.close(fd)
    db.session.add(upload)
    return upload


def _check_media_id(principal, media_id: str, sha256: str) -> None:
    """One media id names one file and has one owner: refuse different bytes, another uploader,
    bytes for an id another user is already sending, and bytes for an id attached to a record
    whose feature does not admit the caller (issue 19: the media-id race)."""
    others = db.session.scalar(select(func.count()).select_from(Upload).where(
        Upload.media_id == media_id, Upload.user_id != principal.user_id, Upload.completed_at.is_(None),
        Upload.expires_at > utcnow()))
    if others:
        raise Conflict("另一位人员正在上传此证据文件标识（media_id）的文件。", code="media_id_conflict")
    obj = db.session.get(MediaObject, media_id)
    if obj is None:
        return
    if not access.may_send_bytes(principal.user_id, obj):
        raise Forbidden("该证据文件标识已关联到您无权补传的记录。", code="media_not_yours")
    if obj.arrived and (obj.sha256 != sha256 or obj.uploader_id != principal.user_id):
        raise Conflict("该证据文件标识（media_id）已对应另一份文件，不能用不同的内容覆盖。", code="media_id_conflict")
    claimed = (obj.claim or {}).get("sha256")
    if claimed and claimed != sha256:
        raise Conflict("文件的 SHA-256 与记录中引用的不一致。", code="media_id_conflict")


# -- lookups ------------------------------------------------------------------------


def get_own(principal, upload_id: str) -> Upload:
    """The caller's upload; another user's (or an unknown one) is 404."""
    upload = db.session.get(Upload, upload_id, populate_existing=True) if len(upload_id) <= 40 else None
    if upload is None or upload.user_id != principal.user_id:
        raise NotFound("找不到该上传（可能已完成清理或已被终止）。", code="upload_not_found")
    return upload


def get_live(principal, upload_id: str) -> Upload:
    """The caller's upload, refusing one that expired unfinished (410)."""
    upload = get_own(principal, upload_id)
    if upload.completed_at is None and upload.expires_at <= utcnow():
        raise Gone("该上传已过期，请重新开始上传。", code="upload_expired")
    return upload


# -- receiving bytes -----------------------------------------------------------------


def receive(principal, upload_id: str, offset: int, body: BinaryIO, declared: int | None,
            checksum: tuple[str, bytes] | None) -> Upload:
    """Apply one PATCH (or the body of a creation-with-upload) and commit.

    Raises 409 (offset), 413 (too long), 423 (busy), 460 (chunk checksum),
    and the problem of a refused file after its removal was committed.
    """
    upload = _checked(principal, upload_id, offset, declared)
    if upload.completed_at is not None:
        return upload  # an empty PATCH at the final offset: nothing to do
    path = store.part_path(upload.temp_key)
    db.session.commit()  # end the read transaction: the body may take minutes to arrive
    try:
        part = tus.PartFile(path)
    except FileNotFoundError:
        part = None
    with contextlib.ExitStack() as stack:
        if part is not None:
            stack.enter_context(part)
        # Locked (or no file): re-read what another request may have changed meanwhile.
        upload = _checked(principal, upload_id, offset, declared)
        if upload.completed_at is not None:
            return upload
        if part is None:  # the partial file was lost: the upload starts again, empty
            part = stack.enter_context(tus.PartFile(path, create=True))
        if part.size() < upload.offset:
            # Bytes acknowledged earlier were lost (crash before fsync, disk
            # restored): resume from what is really there.
            upload.offset = part.size()
            db.session.commit()
            _check_offset(upload, offset)
        room = upload.length - offset
        kept = part.append(offset, body, room=room, declared=declared, checksum=checksum)
        metrics.tus_received(kept)
        new_offset = offset + kept
        if offset < SNIFF_BYTES <= new_offset < upload.length:
            _check_head(upload, part)  # (a complete file is examined in full below)
        if new_offset == upload.length:
            _complete(upload, part)
        elif kept:
            now = utcnow()
            upload.offset, upload.updated_at, upload.expires_at = new_offset, now, now + store.expiry()
        db.session.commit()
    if upload.completed_at is not None:
        metrics.upload_completed(upload.kind)
    return upload


def _checked(principal, upload_id: str, offset: int, declared: int | None) -> Upload:
    """The caller's live upload, at ``offset``, with room for ``declared`` bytes."""
    upload = get_live(principal, upload_id)
    _check_offset(upload, offset)
    room = upload.length - offset
    if declared is not None and declared > room:
        raise tus.LengthExceeded(f"本次发送 {declared} 字节，超过上传剩余的 {room} 字节。", extra={"limit_bytes": room})
    return upload


def _check_offset(upload: Upload, offset: int) -> None:
    current = upload.length if upload.completed_at is not None else upload.offset
    if offset != current:
        raise Conflict(f"Upload-Offset 为 {offset}，但服务器已收到 {current} 字节，请先用 HEAD 查询后从该位置继续。",
                       code="offset_mismatch", headers={"Upload-Offset": str(current)}, extra={"offset": current})


def _check_head(upload: Upload, part: tus.PartFile) -> None:
    """Refuse a disallowed file as soon as its first bytes are in, not after a gigabyte."""
    try:
        ingest.check_head(upload.kind, upload.content_type, part.head(SNIFF_BYTES))
    except MediaError as err:
        _reject(upload, part, api_error(err))


def _complete(upload: Upload, part: tus.PartFile) -> None:
    """All bytes are in: verify, identify, store and record them (or refuse them)."""
    path = part.path
    existing = db.session.get(MediaObject, upload.media_id)
    if existing is not None and existing.arrived:
        _complete_duplicate(upload, part, existing)
        return
    try:
        examined = ingest.examine(path, upload.kind, upload.content_type)
        stored = ingest.keep(path, examined, upload.sha256)
    except MediaError as err:
        if err.code == "storage_full":
            raise api_error(err) from err  # transient: the upload stays, the client retries
        _reject(upload, part, api_error(err))
    obj = service.lock_object(upload.media_id)
    if not access.may_send_bytes(upload.user_id, obj):  # attached to someone else's record meanwhile
        if stored.created:
            _discard_unreferenced(stored.sha256)
        _reject(upload, part, Forbidden("该证据文件标识已关联到您无权补传的记录。", code="media_not_yours"))
    if obj.arrived or (obj.claim or {}).get("sha256", upload.sha256) != upload.sha256:
        if obj.arrived and obj.sha256 == upload.sha256 and obj.uploader_id == upload.user_id:
            _finish(upload, obj, duplicate=True)  # a concurrent upload of the same file won
            return
        if stored.created:
            _discard_unreferenced(stored.sha256)
        _reject(upload, part, Conflict("该证据文件标识（media_id）已对应另一份文件。", code="media_id_conflict"))
    record_arrival(obj, examined, stored, user_id=upload.user_id, device_id=upload.device_id,
                   filename=upload.filename, content_type=upload.content_type)
    _finish(upload, obj, duplicate=False)


def record_arrival(obj: MediaObject, examined: ingest.Examined, stored: ingest.Stored, *, user_id: int,
                   device_id: int | None, filename: str | None, content_type: str) -> None:
    """The media object's bytes arrived and were kept: what they are, who sent them, their previews."""
    obj.sha256, obj.kind, obj.mime, obj.size = stored.sha256, examined.kind, examined.mime, examined.size
    obj.uploader_id, obj.device_id, obj.uploaded_at = user_id, device_id, utcnow()
    obj.filename, obj.content_type = filename, content_type
    obj.exif, obj.details = _exif_summary(examined.exif), examined.details
    obj.width, obj.height, obj.duration = examined.width, examined.height, examined.duration
    obj.preview = examined.preview
    obj.preview_reason_code, obj.preview_reason = examined.reason_code, examined.reason
    obj.view_sha256, obj.thumb_sha256 = stored.view_sha256, stored.thumb_sha256
    service.arrived(obj.media_id)  # e.g. the record's "evidence pending" flag on the team's phones


def arrive_bytes(media_id: str, data: bytes, kind: str, content_type: str, *, user_id: int,
                 filename: str | None = None) -> MediaObject:
    """Bytes the server itself holds (the demo data set's photos), checked and kept as an upload's
    are: examined, stored under their SHA-256 (which must match the app's claim) and recorded."""
    sha = hashlib.sha256(data).hexdigest()
    path = store.part_path(f"server-{uuid.uuid4().hex}")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    try:
        examined = ingest.examine(path, kind, content_type)
        stored = ingest.keep(path, examined, sha)
    except MediaError as err:
        raise api_error(err) from err
    finally:
        _unlink(path)
    obj = service.lock_object(media_id)
    if obj.arrived or (obj.claim or {}).get("sha256", sha) != sha:
        raise Conflict("该证据文件标识（media_id）已对应另一份文件。", code="media_id_conflict")
    record_arrival(obj, examined, stored, user_id=user_id, device_id=None, filename=filename, content_type=content_type)
    audit.record(db.session, "media.stored", "media", media_id, {
        "sha256": obj.sha256, "size": obj.size, "kind": obj.kind, "mime": obj.mime, "preview": obj.preview,
        "view_sha256": obj.view_sha256, "thumb_sha256": obj.thumb_sha256})
    return obj


def _complete_duplicate(upload: Upload, part: tus.PartFile, existing: MediaObject) -> None:
    """The same media again (a lost reply, a re-sent file): verify, keep nothing new."""
    if existing.sha256 != upload.sha256 or existing.uploader_id != upload.user_id:
        _reject(upload, part, Conflict("该证据文件标识（media_id）已对应另一份文件。", code="media_id_conflict"))
    digest = hashlib.sha256()
    part.file.seek(0)
    while chunk := part.file.read(tus.READ_SIZE):
        digest.update(chunk)
    if digest.hexdigest() != upload.sha256:
        _reject(upload, part, api_error(MediaError("checksum_mismatch")))
    _unlink(part.path)
    _finish(upload, existing, duplicate=True)


def _finish(upload: Upload, obj: MediaObject, *, duplicate: bool) -> None:
    now = utcnow()
    upload.offset, upload.completed_at, upload.updated_at = upload.length, now, now
    audit.record(db.session, "media.upload_completed", "media", upload.media_id, {
        "upload_id": upload.id, "sha256": obj.sha256, "size": obj.size, "kind": obj.kind, "mime": obj.mime,
        "preview": obj.preview, "duplicate": duplicate,
        # The display copies' hashes, so that `audit verify` can tell a replaced view or thumbnail.
        "view_sha256": obj.view_sha256, "thumb_sha256": obj.thumb_sha256,
    })


def _exif_summary(exif: dict | None) -> dict | None:
    if exif is None:
        return None
    keys = ("captured_at", "captured_at_naive", "captured_at_source", "gps", "make", "model", "software",
            "orientation", "warnings")
    return {k: exif.get(k) for k in keys}


def _reject(upload: Upload, part: tus.PartFile, error: ApiError):
    """Remove the refused upload and its bytes, audit and commit that, then raise ``error``.

    Committed while the partial file is still locked, so that no retry can
    slip in between and find the upload half-removed.
    """
    _unlink(part.path)
    audit.record(db.session, "media.upload_rejected", "media_upload", upload.id, {
        "media_id": upload.media_id, "code": error.code, "sha256": upload.sha256, "length": upload.length,
    })
    db.session.delete(upload)
    db.session.commit()
    raise error


def _discard_unreferenced(sha256: str) -> None:
    if db.session.scalar(select(MediaObject.media_id).where(MediaObject.sha256 == sha256).limit(1)) is None:
        store.originals().delete(sha256)


def _unlink(path) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


# -- termination -----------------------------------------------------------------------


def terminate(principal, upload_id: str) -> None:
    """Remove an upload and its partial bytes (a completed file stays: it is evidence)."""
    upload = get_own(principal, upload_id)
    path = store.part_path(upload.temp_key)
    part = None
    if upload.completed_at is None:
        try:
            part = tus.PartFile(path)
        except FileNotFoundError:
            part = None
    try:
        audit.record(db.session, "media.upload_terminated", "media_upload", upload.id, {
            "media_id": upload.media_id, "offset": upload.offset, "length": upload.length,
            "completed": upload.completed_at is not None,
        })
        db.session.delete(upload)
        db.session.commit()
        _unlink(path)
    finally:
        if part is not None:
            part.close()
