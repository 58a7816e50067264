"""Request and response schemas of the uploads and media APIs."""
from __future__ import annotations

from flask import url_for
from marshmallow import fields, validate
from webargs.fields import DelimitedList

from server.schemas import BaseSchema

from .models import PREVIEW_READY, MediaObject

VARIANTS = ("original", "view", "thumb")
MAX_BATCH = 100


class UploadCreatedSchema(BaseSchema):
    upload_id = fields.String(metadata={"description": "上传标识（也见 Location 响应头）"})
    location = fields.String(metadata={"description": "上传地址：之后对它发送 HEAD/PATCH/DELETE"})
    media_id = fields.String()
    offset = fields.Integer(metadata={"description": "服务器已收到的字节数"})
    length = fields.Integer()
    expires_at = fields.DateTime(allow_none=True, metadata={"description": "未完成的上传在此之后被清理"})


class KindLimitsSchema(BaseSchema):
    photo = fields.Integer()
    video = fields.Integer()
    audio = fields.Integer()
    signature = fields.Integer()


class LimitsSchema(BaseSchema):
    tus_version = fields.String()
    extensions = fields.List(fields.String())
    checksum_algorithms = fields.List(fields.String())
    max_size = fields.Integer(metadata={"description": "任何类型允许的最大字节数（Tus-Max-Size）"})
    limits = fields.Nested(KindLimitsSchema, metadata={"description": "各类型的大小上限（字节）"})
    upload_expiry_days = fields.Float(metadata={"description": "未完成的上传保留天数（自最后一次进展起）"})
    required_metadata = fields.List(fields.String(), metadata={"description": "Upload-Metadata 必须包含的键"})


class MediaBatchArgs(BaseSchema):
    ids = DelimitedList(fields.String(validate=validate.Length(max=64)), required=True,
                        validate=validate.Length(min=1, max=MAX_BATCH),
                        metadata={"description": f"逗号分隔的 media_id，最多 {MAX_BATCH} 个"})


class PreviewSchema(BaseSchema):
    state = fields.String(metadata={"description": "ready：有预览图；no_preview：无预览（见 reason）"})
    reason_code = fields.String(allow_none=True)
    reason = fields.String(allow_none=True)


class AttachedToSchema(BaseSchema):
    type = fields.String()
    id = fields.String()
    at = fields.DateTime()


class MediaSchema(BaseSchema):
    media_id = fields.String()
    status = fields.Method("_status", metadata={"description": "arrived：文件已到达；pending：证据待上传"})
    sha256 = fields.String(allow_none=True)
    kind = fields.String(allow_none=True)
    mime = fields.String(allow_none=True, metadata={"description": "由文件内容识别的类型"})
    size = fields.Integer(allow_none=True)
    filename = fields.String(allow_none=True)
    uploader_id = fields.Integer(allow_none=True)
    device_id = fields.Integer(allow_none=True)
    uploaded_at = fields.DateTime(allow_none=True)
    width = fields.Integer(allow_none=True)
    height = fields.Integer(allow_none=True)
    duration = fields.Float(allow_none=True, metadata={"description": "音视频时长（秒），可能未知"})
    exif = fields.Dict(allow_none=True, metadata={"description": "文件自身的 EXIF：拍摄时间、GPS、设备、方向"})
    claim = fields.Dict(allow_none=True, metadata={"description": "应用声明的信息（与 EXIF 并列保存，不合并）"})
    preview = fields.Method("_preview")
    attached_to = fields.Method("_attached_to")
    variants = fields.Method("_variants", metadata={"description": "可获取的文件地址：original、view、thumb"})

    def _status(self, obj: MediaObject) -> str:
        return "arrived" if obj.arrived else "pending"

    def _preview(self, obj: MediaObject) -> dict | None:
        if not obj.arrived:
            return None
        return {"state": obj.preview, "reason_code": obj.preview_reason_code, "reason": obj.preview_reason}

    def _attached_to(self, obj: MediaObject) -> dict | None:
        if obj.attached_type is None:
            return None
        return {"type": obj.attached_type, "id": obj.attached_id, "at": obj.attached_at.isoformat()}

    def _variants(self, obj: MediaObject) -> dict:
        def url(variant: str) -> str:
            return url_for("media.variant", media_id=obj.media_id, variant=variant)

        if not obj.arrived:
            return {}
        out = {"original": url("original")}
        if obj.preview == PREVIEW_READY:
            out.update(view=url("view"), thumb=url("thumb"))
        return out


class MediaListSchema(BaseSchema):
    items = fields.List(fields.Nested(MediaSchema))
