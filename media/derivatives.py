"""Photo ingest: decoding limits, EXIF, and the two display derivatives.

``process_image`` hashes the original, sniffs it, reads its EXIF and makes

- ``view``:  longest side 1600 px, JPEG quality 82,
- ``thumb``: longest side 320 px, JPEG quality 75, made from the view,

both upright (EXIF orientation applied, as ``ImageOps.exif_transpose``
would), sRGB RGB, and stripped of every piece of metadata (no EXIF, ICC,
XMP, comments): position and device data stay in the original, which is
evidence and is never modified.  Derivatives are never upscaled.

Speed (12 MP JPEG): the decoder is asked for a reduced image with
``draft()`` (libjpeg DCT scaling, 1/2 here), the orientation is applied to
the 1600 px image rather than to 12 MP, and the thumbnail is made from the
view.  That keeps the whole ingest close to Pillow's own floor (decode with
draft + one resize); see ``bench/media.py``.

Failures (decided here, documented for the upload server):

- not an image we accept                -> ``MediaError("unsupported_type")`` 415
- more pixels than allowed, or a decompression bomb
                                        -> ``MediaError("image_too_large")``  413
  (refused from the header, before any pixel memory is allocated)
- cannot even be opened/identified      -> ``MediaError("corrupt_image")``    422
- opens (valid header, EXIF readable) but pixel decoding fails, e.g. a
  truncated upload of a camera file, or a HEIF whose items reach past the
  end of the file                       -> a ``ProcessResult`` with
  ``preview=False``, ``reason_code`` ``truncated_image``/``decode_failed``
  and a Chinese ``reason``: the original is evidence and stays stored;
  only the preview is missing.

Every exception Pillow raises is converted to one of the above; nothing
else escapes except ``OSError`` from opening a *path* the caller passed.
"""
from __future__ import annotations

import hashlib
import io
import os
import tempfile
import threading
import warnings
from dataclasses import dataclass, field
from typing import BinaryIO

from PIL import Image, ImageFile
from pillow_heif import register_heif_opener

from media.colour import flatten_alpha, resizable, to_srgb
from media.errors import MediaError
from media.exif import read_exif
from media.isobmff import iloc_data_end
from media.sniff import PHOTO, SNIFF_BYTES, sniff_detail

MAX_IMAGE_PIXELS = 50_000_000  # phones produce up to 48-50 MP; Pillow's 89 MP default only warns
VIEW_SIZE = 1600
THUMB_SIZE = 320
VIEW_QUALITY = 82
THUMB_QUALITY = 75
# Pillow's own thumbnail() choice: good downscaling quality, cheaper than LANCZOS.
RESAMPLE = Image.Resampling.BICUBIC
REDUCING_GAP = 2.0  # big reductions go through a fast box reduce first, as thumbnail() does
HASH_CHUNK = 1 << 20

# Deliberate process-wide Pillow settings (see architecture.md, "Traps"):
# refuse oversized images instead of warning, and never "repair" truncated data.
Image.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS
ImageFile.LOAD_TRUNCATED_IMAGES = False
# For code elsewhere in the process that opens images: a bomb warning is an
# error.  (process_image does not rely on this filter -- test runners and
# catch_warnings blocks replace it -- it records the warning and checks the
# pixel count itself.)
warnings.simplefilter("error", Image.DecompressionBombWarning)

_PIL_FORMATS = {
    "image/jpeg": ["JPEG"],
    "image/png": ["PNG"],
    "image/gif": ["GIF"],
    "image/webp": ["WEBP"],
    "image/avif": ["AVIF"],
    "image/heic": ["HEIF"],
    "image/heif": ["HEIF"],
    "image/heic-sequence": ["HEIF"],
    "image/heif-sequence": ["HEIF"],
}
# EXIF orientation -> the transpose that makes the image upright
# (the same table as PIL.ImageOps.exif_transpose).
_UPRIGHT = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
_REASONS = {
    "truncated_image": "图片数据不完整（文件可能被截断），无法生成预览；原文件按收到的字节保留。",
    "decode_failed": "图片数据无法完整解码，无法生成预览；原文件按收到的字节保留。",
}

_heif_lock = threading.Lock()
_heif_ready = False


def set_max_image_pixels(limit: int) -> None:
    """Set the process-wide pixel limit (Pillow's and this module's default).

    Call once at start-up (e.g. from the app config).  A per-call
    ``max_pixels`` above this limit has no effect: Pillow's own check in
    ``Image.open`` uses the process-wide value.
    """
    global MAX_IMAGE_PIXELS
    if limit < 1:
        raise ValueError("limit must be positive")
    MAX_IMAGE_PIXELS = limit
    Image.MAX_IMAGE_PIXELS = limit


def register_heif() -> None:
    """Register pillow-heif's opener once (thread-safe, idempotent)."""
    global _heif_ready
    if _heif_ready:
        return
    with _heif_lock:
        if _heif_ready:
            return
        # Thumbnails, depth maps and auxiliary images are not needed for derivatives.
        register_heif_opener(thumbnails=False, depth_images=False, aux_images=False)
        _heif_ready = True


@dataclass
class Derivative:
    """A display copy: JPEG bytes and their pixel size."""

    name: str
    data: bytes
    width: int
    height: int
    mime: str = "image/jpeg"

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


@dataclass
class ProcessResult:
    """What ``process_image`` learnt about an original and the derivatives it made.

    ``width``/``height`` are the pixel size as stored (before orientation;
    for HEIF, libheif has already applied the container's rotation, so they
    are upright and ``orientation`` is 1).  ``upright_*`` is how the photo is
    shown.  ``preview`` is False when the pixels could not be decoded; then
    ``derivatives`` is empty and ``reason_code``/``reason`` say why.
    """

    sha256: str
    size: int
    mime: str
    width: int
    height: int
    upright_width: int
    upright_height: int
    orientation: int
    exif: dict
    derivatives: dict[str, Derivative] = field(default_factory=dict)
    preview: bool = True
    reason_code: str | None = None
    reason: str | None = None
    warnings: list[str] = field(default_factory=list)
    kind: str = PHOTO

    def as_dict(self) -> dict:
        """JSON-ready metadata (derivative bytes replaced by size and hash)."""
        return {
            "kind": self.kind,
            "sha256": self.sha256,
            "size": self.size,
            "mime": self.mime,
            "width": self.width,
            "height": self.height,
            "upright_width": self.upright_width,
            "upright_height": self.upright_height,
            "orientation": self.orientation,
            "exif": self.exif,
            "preview": self.preview,
            "reason_code": self.reason_code,
            "reason": self.reason,
            "warnings": self.warnings,
            "derivatives": {
                name: {"mime": d.mime, "width": d.width, "height": d.height, "size": len(d.data), "sha256": d.sha256}
                for name, d in self.derivatives.items()
            },
        }


def fit(size: tuple[int, int], longest: int) -> tuple[int, int]:
    """Scale ``size`` so that its longest side is at most ``longest`` (never up)."""
    width, height = size
    biggest = max(width, height)
    if biggest <= longest:
        return width, height
    scale = longest / biggest
    return max(1, round(width * scale)), max(1, round(height * scale))


def process_image(
    source: str | os.PathLike | BinaryIO,
    *,
    max_pixels: int | None = None,
    view_size: int = VIEW_SIZE,
    thumb_size: int = THUMB_SIZE,
    view_quality: int = VIEW_QUALITY,
    thumb_quality: int = THUMB_QUALITY,
) -> ProcessResult:
    """Hash, sniff and decode a photo; return metadata and upright JPEG derivatives.

    ``source`` is a path or a binary file object whose content starts at
    offset 0 (non-seekable streams are spooled to a temporary file).  The
    original is only read.  ``max_pixels`` lowers the pixel limit for this
    call (default: ``MAX_IMAGE_PIXELS``).  See the module docstring for the
    failure modes; all of them are ``MediaError`` or ``preview=False``.
    """
    limit = MAX_IMAGE_PIXELS if max_pixels is None else max_pixels
    if isinstance(source, (str, os.PathLike)):
        with open(source, "rb") as fp:
            return _process(fp, limit, view_size, thumb_size, view_quality, thumb_quality)
    if not _seekable(source):
        with tempfile.SpooledTemporaryFile(max_size=16 << 20) as spool:
            while chunk := source.read(HASH_CHUNK):
                spool.write(chunk)
            return _process(spool, limit, view_size, thumb_size, view_quality, thumb_quality)
    return _process(source, limit, view_size, thumb_size, view_quality, thumb_quality)


def _seekable(fp: BinaryIO) -> bool:
    try:
        return bool(fp.seekable())
    except (AttributeError, ValueError):
        return False


def _process(fp: BinaryIO, limit, view_size, thumb_size, view_quality, thumb_quality) -> ProcessResult:
    fp.seek(0)
    digest = hashlib.sha256()
    size = 0
    while chunk := fp.read(HASH_CHUNK):
        digest.update(chunk)
        size += len(chunk)
    fp.seek(0)
    found = sniff_detail(fp.read(SNIFF_BYTES))
    fp.seek(0)
    if found.kind != PHOTO or found.mime not in _PIL_FORMATS:
        raise MediaError("unsupported_type", "该文件不是可处理的图片。", mime=found.mime)
    if found.container == "heif":
        register_heif()

    # Record Pillow's warnings instead of letting them go to the log: a
    # DecompressionBombWarning becomes an error right after open (before any
    # pixel is decoded) and "Corrupt EXIF data" ends up in result.warnings.
    # (catch_warnings swaps a process-wide list; under threads a warning may
    # land in another call's record -- the explicit pixel check below does
    # not depend on it.)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            im = Image.open(fp, formats=_PIL_FORMATS[found.mime])
        except (Image.DecompressionBombError, Image.DecompressionBombWarning, MemoryError) as exc:
            raise _too_large(None, limit) from exc
        except Exception as exc:  # any Pillow failure on a file we cannot even identify
            raise MediaError("corrupt_image", detail=f"{type(exc).__name__}: {exc}"[:200]) from exc
        with im:
            width, height = im.size
            if any(issubclass(w.category, Image.DecompressionBombWarning) for w in caught) or (
                width * height > limit
            ):
                raise _too_large((width, height), limit)
            if width < 1 or height < 1:
                raise MediaError("corrupt_image", detail=f"size {width}x{height}")
            exif = read_exif(im)
            orientation = exif["orientation"]
            upright = (height, width) if orientation >= 5 else (width, height)
            result = ProcessResult(
                sha256=digest.hexdigest(), size=size, mime=found.mime, width=width, height=height,
                upright_width=upright[0], upright_height=upright[1], orientation=orientation, exif=exif,
            )
            missing = _heif_missing_bytes(fp, size, result.warnings) if found.container == "heif" else 0
            if missing:
                _no_preview(result, "truncated_image", f"decode: HEIF items reference {missing} bytes past the end")
            else:
                try:
                    view = _view(im, orientation, view_size, result.warnings)
                    thumb = view.resize(fit(view.size, thumb_size), RESAMPLE, reducing_gap=REDUCING_GAP)
                    result.derivatives = {
                        "view": _encode("view", view, view_quality),
                        "thumb": _encode("thumb", thumb, thumb_quality),
                    }
                except (Image.DecompressionBombError, Image.DecompressionBombWarning, MemoryError) as exc:
                    raise _too_large((width, height), limit) from exc
                except Exception as exc:  # decoding failed after a valid header: keep, no preview
                    code = "truncated_image" if _looks_truncated(exc) else "decode_failed"
                    _no_preview(result, code, f"decode: {type(exc).__name__}: {exc}")
    for message in dict.fromkeys(str(w.message).strip()[:120] for w in caught):
        result.warnings.append(f"pillow: {message}")
    return result


def _no_preview(result: ProcessResult, code: str, detail: str) -> None:
    result.preview = False
    result.reason_code = code
    result.reason = _REASONS[code]
    result.warnings.append(detail[:200])
    result.derivatives = {}


def _heif_missing_bytes(fp: BinaryIO, size: int, warnings_out: list[str]) -> int:
    """How far a HEIF file's items reach past its end (0 when complete).

    libheif paints missing grid tiles green instead of failing, so a cut-off
    iPhone photo would otherwise get a plausible-looking, wrong preview.
    """
    position = fp.tell()
    try:
        data_end = iloc_data_end(fp, size, warnings_out)
    finally:
        fp.seek(position)
    return max(0, data_end - size) if data_end is not None else 0


def _too_large(size: tuple[int, int] | None, limit: int) -> MediaError:
    megapixels = limit / 1_000_000
    if size:
        message = f"图片尺寸 {size[0]}×{size[1]} 超过 {megapixels:g} 百万像素的上限，已拒绝处理。"
        return MediaError("image_too_large", message, width=size[0], height=size[1], max_pixels=limit)
    return MediaError("image_too_large", f"图片尺寸超过 {megapixels:g} 百万像素的上限，已拒绝处理。", max_pixels=limit)


def _looks_truncated(exc: Exception) -> bool:
    text = str(exc).lower()
    return isinstance(exc, EOFError) or "truncated" in text or "premature" in text


def _view(im: Image.Image, orientation: int, view_size: int, warnings_out: list[str]) -> Image.Image:
    """Decode (reduced where the codec allows), resize, make sRGB RGB, then upright."""
    box = fit(im.size, view_size)
    if im.format == "JPEG":
        # libjpeg scales by 1/2, 1/4 or 1/8 while decoding: far less to decode
        # and to resize.  It never goes below ``box``, so quality is kept.
        im.draft("RGB", box)
    im.load()
    icc = im.info.get("icc_profile")
    frame = resizable(im)
    if frame.size != box:
        frame = frame.resize(box, RESAMPLE, reducing_gap=REDUCING_GAP)
    frame = flatten_alpha(frame)
    frame = to_srgb(frame, icc, warnings_out)
    if orientation in _UPRIGHT:
        # On the 1600 px image: transposing 12 MP would cost more than decoding it.
        frame = frame.transpose(_UPRIGHT[orientation])
    return frame


def _encode(name: str, frame: Image.Image, quality: int) -> Derivative:
    # A fresh info dict: Pillow copies info (comments, EXIF, ICC) through
    # resize/convert and the JPEG writer would carry the comment over.
    frame.info = {}
    buffer = io.BytesIO()
    frame.save(buffer, "JPEG", quality=quality)
    return Derivative(name, buffer.getvalue(), frame.width, frame.height)
