"""Pixels to display colours: mode normalisation, transparency, sRGB.

Used by ``media.derivatives`` on the already reduced image, so the cost of
each step is paid on ~2 MP, not on the original's 12 MP.
"""
from __future__ import annotations

import hashlib
import io
import threading
from functools import lru_cache

from PIL import Image, ImageCms

MAX_ICC_BYTES = 1 << 20  # real profiles are 0.5-500 KB; bigger ones are not worth a transform


def resizable(im: Image.Image) -> Image.Image:
    """Bring odd modes to one that resizes well (RGB, RGBA, L, LA or CMYK)."""
    mode = im.mode
    if mode in ("RGB", "RGBA", "L", "LA", "CMYK"):
        return im
    if mode == "1":
        return im.convert("L")
    if mode in ("P", "PA"):
        # Palette images resize with NEAREST in Pillow: expand first.
        return im.convert("RGBA" if mode == "PA" or im.has_transparency_data else "RGB")
    if mode.startswith("I"):
        # 16/32-bit greyscale: scale to 8 bits instead of clipping to white.
        return im.convert("I").point(lambda value: value * (1 / 256)).convert("L")
    if mode == "F":
        return im.convert("L")
    return im.convert("RGBA" if "A" in mode or "a" in mode else "RGB")


def flatten_alpha(frame: Image.Image) -> Image.Image:
    """Composite transparency onto white (signature PNGs: ink on a clear background)."""
    if frame.mode not in ("RGBA", "LA"):
        return frame
    base_mode = frame.mode[:-1]
    background = Image.new(base_mode, frame.size, 255 if base_mode == "L" else (255, 255, 255))
    background.paste(frame.convert(base_mode), mask=frame.getchannel("A"))
    return background


def to_srgb(frame: Image.Image, icc: bytes | None, warnings_out: list[str]) -> Image.Image:
    """Convert to sRGB RGB through the embedded ICC profile when it is not sRGB.

    Display P3 (iPhone) or Adobe RGB shown as if sRGB look dull; the
    transform costs about 30 ms on a 1600x1200 view here, paid only by
    files that carry such a profile.  Problems become warnings, never errors.
    """
    if icc and len(icc) > MAX_ICC_BYTES:
        warnings_out.append(f"icc: profile of {len(icc)} bytes ignored")
    elif icc and frame.mode in ("RGB", "CMYK", "L"):
        transform, problem = _srgb_transform(bytes(icc), frame.mode)
        if problem:
            warnings_out.append(problem)
        if transform is not None:
            try:
                return ImageCms.applyTransform(frame, transform)
            except Exception as exc:  # broken profile data: fall back to a plain conversion
                warnings_out.append(f"icc: transform failed ({type(exc).__name__})")
    return frame if frame.mode == "RGB" else frame.convert("RGB")


@lru_cache(maxsize=1)
def _srgb_profile() -> ImageCms.ImageCmsProfile:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


_transforms: dict[tuple[bytes, str], tuple] = {}
_transforms_lock = threading.Lock()
_MAX_TRANSFORMS = 32  # phones embed a handful of profiles (Display P3, sRGB): the cache hits


def _srgb_transform(icc: bytes, mode: str) -> tuple:
    """``(transform or None, warning or None)`` for an embedded profile, cached by its hash.

    ``None`` as the transform means: sRGB already, or unusable (then with a warning).
    """
    key = (hashlib.sha256(icc).digest(), mode)
    cached = _transforms.get(key)
    if cached is not None:
        return cached
    try:
        profile = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        if "srgb" in ImageCms.getProfileDescription(profile).lower():
            cached = (None, None)
        else:
            # NOCACHE: the transform is shared between threads, and lcms2's
            # one-pixel cache is not thread-safe (it buys nothing on photos).
            transform = ImageCms.buildTransform(
                profile, _srgb_profile(), mode, "RGB",
                renderingIntent=ImageCms.Intent.PERCEPTUAL, flags=ImageCms.Flags.NOCACHE,
            )
            cached = (transform, None)
    except Exception as exc:  # unreadable or unsupported profile
        cached = (None, f"icc: profile ignored ({type(exc).__name__})")
    with _transforms_lock:
        if len(_transforms) >= _MAX_TRANSFORMS:  # uploads choose the profiles: stay bounded
            _transforms.clear()
        _transforms[key] = cached
    return cached
