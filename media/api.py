"""`/api/v1/uploads/` (tus 1.0.0) and `/api/v1/media/…` (evidence records and files)."""
from __future__ import annotations

from flask import Flask, Response, request, send_file, url_for
from werkzeug.exceptions import RequestedRangeNotSatisfiable

from server.accounts.auth import current_principal, requires
from server.audit import service as audit
from server.errors import ApiError, BadRequest
from server.extensions import db
from server.http import Blueprint, UnsupportedMediaType

from media.derivatives import set_max_image_pixels

from . import files, service, store, tus, uploads, verification  # noqa: F401  (verification: registers its audit check)
from .schemas import LimitsSchema, MediaBatchArgs, MediaListSchema, MediaSchema, UploadCreatedSchema

blp = Blueprint("uploads", __name__, url_prefix="/api/v1/uploads",
                description="证据文件断点续传（tus 1.0.0：creation、creation-with-upload、checksum、termination、expiration）")
media_blp = Blueprint("media", __name__, url_prefix="/api/v1/media", description="证据文件：元数据、原件与预览图")

_TUS_VERSION = {"name": "Tus-Resumable", "in": "header", "required": True, "schema": {"type": "string", "enum": ["1.0.0"]}}
_OFFSET = {"name": "Upload-Offset", "in": "header", "required": True, "schema": {"type": "integer", "minimum": 0}}
_CHECKSUM = {"name": "Upload-Checksum", "in": "header", "required": False, "schema": {"type": "string"},
             "description": "本块的校验：“sha1 <Base64>” 或 “sha256 <Base64>”；不一致时返回 460，本块丢弃"}
_BINARY_BODY = {"required": False, "content": {tus.OFFSET_STREAM: {"schema": {"type": "string", "format": "binary"}}}}


def init_app(app: Flask) -> None:
    """Process-wide pixel limit, and tus's X-HTTP-Method-Override for upload URLs."""
    set_max_image_pixels(int(app.config["MEDIA_MAX_IMAGE_PIXELS"]))
    app.wsgi_app = tus.MethodOverride(app.wsgi_app, "/api/v1/uploads/")


@blp.after_request
def _tus_headers(resp: Response) -> Response:
    if request.method == "OPTIONS":
        resp.headers.update(tus.discovery_headers(store.max_size()))
        resp = _empty(204, dict(resp.headers))
    else:
        resp.headers.update(tus.base_headers())
    return resp


def _empty(status: int, headers: dict[str, str]) -> Response:
    """A bodiless tus response (no misleading Content-Type)."""
    resp = Response(status=status, headers=headers)
    resp.headers.pop("Content-Type", None)
    return resp


def _body_stream():
    """The request body as a stream, with the app's 1 MiB limit lifted for this request only."""
    request.max_content_length = store.max_size() + 1
    return request.stream


def _progress_headers(upload) -> dict[str, str]:
    headers = {"Upload-Offset": str(upload.offset if upload.completed_at is None else upload.length)}
    if upload.completed_at is None:
        headers["Upload-Expires"] = tus.expires_header(upload.expires_at)
    return headers


@blp.route("/", methods=["POST"])
@requires()
@blp.doc(parameters=[
    _TUS_VERSION,
    {"name": "Upload-Length", "in": "header", "required": True, "schema": {"type": "integer", "minimum": 1}},
    {"name": "Upload-Metadata", "in": "header", "required": True, "schema": {"type": "string"},
     "description": "逗号分隔的“键 Base64值”：media_id（UUID）、sha256（整个文件）、content_type、filename，可选 kind"},
    _CHECKSUM,
], requestBody=_BINARY_BODY)
@blp.response(201, UploadCreatedSchema, description="已创建；Location 为上传地址")
def create_upload():
    """创建上传（可在请求体中直接附带第一块数据）"""
    tus.check_version(request.headers)
    if request.headers.get("Upload-Defer-Length") is not None:
        raise BadRequest("不支持延后声明长度（Upload-Defer-Length），请提供 Upload-Length。", code="defer_length_unsupported")
    length = tus.parse_size(request.headers.get("Upload-Length"), "Upload-Length")
    with_data = request.mimetype == tus.OFFSET_STREAM
    checksum = tus.parse_checksum(request.headers.get("Upload-Checksum")) if with_data else None
    principal = current_principal()
    upload = uploads.create(principal, length, request.headers.get("Upload-Metadata"))
    db.session.commit()
    if with_data:
        upload = uploads.receive(principal, upload.id, 0, _body_stream(), request.content_length, checksum)
    location = url_for("uploads.upload_head", upload_id=upload.id)
    body = {"upload_id": upload.id, "location": location, "media_id": upload.media_id, "length": upload.length,
            "offset": upload.length if upload.completed_at else upload.offset,
            "expires_at": None if upload.completed_at else upload.expires_at}
    return body, 201, {"Location": location, **_progress_headers(upload)}


@blp.route("/limits", methods=["GET"])
@requires()
@blp.response(200, LimitsSchema)
def limits():
    """上传限制：各类型大小上限、总上限、保留天数与支持的协议扩展"""
    return {"tus_version": tus.TUS_VERSION, "extensions": list(tus.EXTENSIONS),
            "checksum_algorithms": list(tus.CHECKSUM_ALGORITHMS), "max_size": store.max_size(),
            "limits": store.limits(), "upload_expiry_days": store.expiry().total_seconds() / 86400,
            "required_metadata": ["media_id", "sha256", "content_type", "filename"]}


@blp.route("/<upload_id>", methods=["HEAD"])
@requires()
@blp.doc(parameters=[_TUS_VERSION])
@blp.response(200, description="Upload-Offset：已收到的字节数；Upload-Length；Upload-Metadata；Upload-Expires")
def upload_head(upload_id):
    """查询上传进度（断点续传前先查询）"""
    tus.check_version(request.headers)
    upload = uploads.get_live(current_principal(), upload_id)
    headers = {"Upload-Length": str(upload.length), **_progress_headers(upload)}
    if upload.upload_metadata:
        headers["Upload-Metadata"] = upload.upload_metadata
    return _empty(200, headers)


@blp.route("/<upload_id>", methods=["PATCH"])
@requires()
@blp.doc(parameters=[_TUS_VERSION, _OFFSET, _CHECKSUM], requestBody={**_BINARY_BODY, "required": True})
@blp.response(204, description="已接收；Upload-Offset 为新的偏移量。最后一块到达时完成校验与处理")
def upload_patch(upload_id):
    """从 Upload-Offset 处续传一块数据"""
    tus.check_version(request.headers)
    if request.mimetype != tus.OFFSET_STREAM:
        raise UnsupportedMediaType(f"续传数据的 Content-Type 须为 {tus.OFFSET_STREAM}。")
    offset = tus.parse_size(request.headers.get("Upload-Offset"), "Upload-Offset")
    checksum = tus.parse_checksum(request.headers.get("Upload-Checksum"))
    upload = uploads.receive(current_principal(), upload_id, offset, _body_stream(), request.content_length,
                             checksum)
    return _empty(204, _progress_headers(upload))


@blp.route("/<upload_id>", methods=["DELETE"])
@requires()
@blp.doc(parameters=[_TUS_VERSION])
@blp.response(204, description="已终止并删除未完成的数据（已完成的证据文件不受影响）")
def upload_delete(upload_id):
    """终止上传"""
    tus.check_version(request.headers)
    uploads.terminate(current_principal(), upload_id)
    return _empty(204, {})


# -- media records -----------------------------------------------------------------


@media_blp.route("", methods=["GET"])
@requires()
@media_blp.arguments(MediaBatchArgs, location="query")
@media_blp.response(200, MediaListSchema)
def media_batch(args):
    """批量查询证据文件元数据（只返回本人可见的，最多 100 个）"""
    return {"items": service.visible_objects(current_principal(), args["ids"])}


@media_blp.route("/<media_id>", methods=["GET"])
@requires()
@media_blp.response(200, MediaSchema)
def media_detail(media_id):
    """证据文件元数据：SHA-256、类型、大小、EXIF 与应用声明（并列）、预览状态、所属记录"""
    return service.visible_object(current_principal(), media_id)


@media_blp.route("/<media_id>/<variant>", methods=["GET"])
@requires()
@media_blp.doc(parameters=[{"name": "Range", "in": "header", "required": False, "schema": {"type": "string"}}],
               responses={code: {"description": text, "content": {"application/octet-stream": {
                   "schema": {"type": "string", "format": "binary"}}}}
                   for code, text in (("200", "文件内容（ETag 为其 SHA-256，支持条件请求）"), ("206", "Range 请求的一段"))})
@media_blp.response(200, description="文件内容（ETag 为其 SHA-256，支持条件请求）")
def variant(media_id, variant):
    """获取证据文件：original（原件）、view（1600 像素预览）、thumb（320 像素缩略图）"""
    obj = service.visible_object(current_principal(), media_id)
    served = files.variant(obj, variant)
    try:
        resp = send_file(served.path, mimetype=served.mime, conditional=True, etag=served.etag,
                         max_age=served.max_age, download_name=served.download_name,
                         last_modified=obj.uploaded_at)
    except RequestedRangeNotSatisfiable as exc:
        raise ApiError("请求的字节范围超出文件大小。", status=416, code="range_not_satisfiable",
                       title="范围无效", headers={"Content-Range": f"bytes */{exc.length}"}) from None
    resp.headers["Cache-Control"] = served.cache_control
    if variant == "original" and _first_bytes(resp):
        # Reading evidence leaves a trace (PIPL, GB/T 22239): who, which file, from which device; in the
        # trail of the record it belongs to. Revalidations (304) and later ranges of one video are not reads.
        target = (obj.attached_type, obj.attached_id) if obj.attached_type else ("media", obj.media_id)
        audit.record(db.session, "media.read", target[0], target[1], {"media_id": obj.media_id, "variant": variant,
                                                                      "sha256": obj.sha256})
        db.session.commit()
    return resp


def _first_bytes(resp) -> bool:
    if resp.status_code == 200:
        return True
    return resp.status_code == 206 and resp.headers.get("Content-Range", "").startswith("bytes 0-")
