"""Public facade of media processing: import from here.

The work is split by concern (each module a few hundred lines at most):

- ``media.sniff``       -- ``sniff(head) -> (kind, mime)`` from magic bytes;
- ``media.exif``        -- ``read_exif(image) -> dict``, never raises;
- ``media.derivatives`` -- pixel limits and ``process_image`` (hash, EXIF,
  upright metadata-free JPEG view and thumbnail);
- ``media.colour``      -- mode, transparency and ICC handling for derivatives;
- ``media.av``          -- ``probe_av(path) -> dict`` (duration from headers);
- ``media.isobmff``     -- the bounded MP4/HEIF box reader both rely on;
- ``media.errors``      -- ``MediaError`` (``code``, Chinese ``message``, ``status``).

The pixel limit is process-wide: ``set_max_image_pixels(n)`` at start-up
(default ``media.derivatives.MAX_IMAGE_PIXELS``, 50 MP).

A typical upload completion (the tus server's job)::

    stored = originals.put_file(upload_path, expected_sha256=claimed_sha256, move=True)
    path = originals.local_path(stored.sha256)
    with open(path, "rb") as f:
        kind, mime = sniff(f.read(SNIFF_BYTES), claimed_content_type)
    if kind == "photo":
        result = process_image(path)          # MediaError -> problem+json
        keys = {name: derivatives.put_bytes(d.data).sha256
                for name, d in result.derivatives.items()}   # empty if not result.preview
        metadata = result.as_dict()
    else:
        metadata = probe_av(path, claimed_content_type)
"""
from media.av import probe_av
from media.derivatives import (
    THUMB_QUALITY,
    THUMB_SIZE,
    VIEW_QUALITY,
    VIEW_SIZE,
    Derivative,
    ProcessResult,
    fit,
    process_image,
    register_heif,
    set_max_image_pixels,
)
from media.errors import MediaError, StorageError
from media.exif import read_exif
from media.sniff import AUDIO, PHOTO, SNIFF_BYTES, VIDEO, sniff

__all__ = [
    "AUDIO",
    "PHOTO",
    "SNIFF_BYTES",
    "THUMB_QUALITY",
    "THUMB_SIZE",
    "VIDEO",
    "VIEW_QUALITY",
    "VIEW_SIZE",
    "Derivative",
    "MediaError",
    "ProcessResult",
    "StorageError",
    "fit",
    "probe_av",
    "process_image",
    "read_exif",
    "register_heif",
    "set_max_image_pixels",
    "sniff",
]
