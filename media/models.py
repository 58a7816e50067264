"""Tables of the media layer: tus uploads in progress and the evidence objects.

``media_uploads`` is bookkeeping for the tus protocol (one row per upload
URL); ``media_objects`` is one row per client ``media_id``.  A media object
row may exist before its bytes: when a feature references the media first
(``attach`` / ``record_claim``) the row is created *pending* and the upload
fills in the byte columns later.  Bytes are content-addressed in storage, so
two media ids may share one ``sha256`` and identical bytes are stored once.
"""
from __future__ import annotations

import datetime as dt
from typing import Any, Optional

from sqlalchemy import BigInteger, Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from server.extensions import db
from server.types import JSONType, UTCDateTime, utcnow

KINDS = ("photo", "video", "audio", "signature")
PREVIEW_READY, PREVIEW_NONE = "ready", "no_preview"


class Upload(db.Model):
    """One tus upload resource (``/api/v1/uploads/<id>``), owned by one user."""

    __tablename__ = "media_uploads"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)  # random, url-safe
    media_id: Mapped[str] = mapped_column(String(36), index=True)  # the client's UUID
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id"))
    kind: Mapped[str] = mapped_column(String(16))  # limit class: photo | video | audio | signature
    length: Mapped[int] = mapped_column(BigInteger)  # Upload-Length
    offset: Mapped[int] = mapped_column(BigInteger, default=0)  # bytes received and kept
    sha256: Mapped[str] = mapped_column(String(64))  # the device's claim for the whole file
    content_type: Mapped[str] = mapped_column(String(100))  # claimed; the bytes decide
    filename: Mapped[str] = mapped_column(String(255))
    upload_metadata: Mapped[str] = mapped_column(String(4096))  # Upload-Metadata as sent (echoed on HEAD)
    temp_key: Mapped[str] = mapped_column(String(40), unique=True)  # names the partial file
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    completed_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)


class MediaObject(db.Model):
    """One piece of evidence, keyed by the client's ``media_id``.

    ``exif`` is what the file says about itself (capture time, GPS, make,
    model, orientation); ``claim`` is what the app said when it attached the
    media.  They are kept side by side and never merged.
    """

    __tablename__ = "media_objects"

    media_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    # The bytes (NULL while the evidence is pending) -----------------------------
    sha256: Mapped[Optional[str]] = mapped_column(String(64), index=True)
    kind: Mapped[Optional[str]] = mapped_column(String(16))  # photo | video | audio | signature
    mime: Mapped[Optional[str]] = mapped_column(String(64))  # sniffed from the bytes
    size: Mapped[Optional[int]] = mapped_column(BigInteger)
    uploader_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"), index=True)
    device_id: Mapped[Optional[int]] = mapped_column(ForeignKey("devices.id"))
    uploaded_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    filename: Mapped[Optional[str]] = mapped_column(String(255))
    content_type: Mapped[Optional[str]] = mapped_column(String(100))  # as claimed at upload
    exif: Mapped[Optional[Any]] = mapped_column(JSONType)
    details: Mapped[Optional[Any]] = mapped_column(JSONType)  # pixel sizes, AV probe, warnings
    width: Mapped[Optional[int]] = mapped_column(Integer)  # upright
    height: Mapped[Optional[int]] = mapped_column(Integer)
    duration: Mapped[Optional[float]] = mapped_column(Float)  # seconds, video/audio
    preview: Mapped[Optional[str]] = mapped_column(String(16))  # ready | no_preview
    preview_reason_code: Mapped[Optional[str]] = mapped_column(String(32))
    preview_reason: Mapped[Optional[str]] = mapped_column(String(200))
    view_sha256: Mapped[Optional[str]] = mapped_column(String(64))
    thumb_sha256: Mapped[Optional[str]] = mapped_column(String(64))
    # What the app says (may come before the bytes) -------------------------------
    claim: Mapped[Optional[Any]] = mapped_column(JSONType)
    claimed_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    attached_type: Mapped[Optional[str]] = mapped_column(String(32))
    attached_id: Mapped[Optional[str]] = mapped_column(String(64))
    attached_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ix_media_objects_attached", "attached_type", "attached_id"),)

    @property
    def arrived(self) -> bool:
        """Whether the bytes are here (otherwise the evidence is pending)."""
        return self.uploaded_at is not None
