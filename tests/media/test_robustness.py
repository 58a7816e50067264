"""Hostile and broken input: a result or a MediaError, never another exception, never a hang."""
from __future__ import annotations

import io
import json
import random
import re
import struct
import subprocess
import sys
import textwrap
import zlib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from media.derivatives import MAX_IMAGE_PIXELS
from media.errors import MediaError
from media.processing import ProcessResult, process_image
from tests.media.builders import png_chunk, png_declaring

ROOT = Path(__file__).resolve().parents[2]
FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def outcome(source) -> ProcessResult | MediaError:
    """Run process_image; only a result or a MediaError is acceptable."""
    try:
        result = process_image(source)
    except MediaError as exc:
        assert exc.code in {"unsupported_type", "image_too_large", "corrupt_image"}
        assert exc.status in {413, 415, 422}
        assert re.search(r"[\u4e00-\u9fff]", exc.message)  # Chinese text for the inspector
        return exc
    assert isinstance(result, ProcessResult)
    if result.preview:
        assert set(result.derivatives) == {"view", "thumb"}
    else:
        assert result.derivatives == {} and result.reason_code in {"truncated_image", "decode_failed"}
        assert result.reason
    return result


def jpeg_declaring(width: int, height: int) -> bytes:
    data = bytearray(encoded("JPEG", (64, 48)))  # no EXIF thumbnail whose SOF could come first
    sof = data.index(b"\xff\xc0")
    data[sof + 5:sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def encoded(fmt: str, size=(640, 480)) -> bytes:
    rnd = random.Random(7)
    im = Image.radial_gradient("L").resize(size).convert("RGB")
    noise = Image.effect_noise(size, 40).convert("RGB")
    im = Image.blend(im, noise, 0.3)
    for _ in range(rnd.randrange(3)):
        im = im.rotate(90, expand=True)
    buf = io.BytesIO()
    im.save(buf, fmt, **({"quality": 90} if fmt in ("JPEG", "WEBP") else {}))
    return buf.getvalue()


# -- the real odd files ---------------------------------------------------------


@pytest.mark.timeout(60)
@pytest.mark.parametrize("name", ["corrupted.jpg", "invalid_image01088.jpg", "xmp_no_exif.jpg"])
def test_odd_real_files_are_processed(photos, name):
    result = outcome(photos / name)
    assert isinstance(result, ProcessResult) and result.preview


@pytest.mark.timeout(60)
def test_truncated_camera_jpeg_is_stored_without_preview(truncated_jpeg):
    result = outcome(truncated_jpeg)
    assert isinstance(result, ProcessResult)
    assert result.preview is False
    assert result.reason_code == "truncated_image"
    assert "无法生成预览" in result.reason
    # what the header said is still known
    assert (result.width, result.height) == (3648, 2736)
    assert result.exif["captured_at"] == "2015-09-08T11:02:17"
    assert result.size == 300_000


@pytest.mark.timeout(60)
def test_truncated_heic_is_stored_without_preview(photos):
    data = (photos / "mobile_iphone_13_pro_max.HEIC").read_bytes()
    for cut in (500_000, len(data) - 10):
        result = outcome(io.BytesIO(data[:cut]))
        # libheif would paint the missing tiles green; the iloc check refuses a preview instead
        assert isinstance(result, ProcessResult) and result.preview is False
        assert result.reason_code == "truncated_image"


@pytest.mark.timeout(60)
def test_garbage(tmp_path):
    rnd = random.Random(1)
    for i in range(20):
        junk = bytes(rnd.randrange(256) for _ in range(rnd.randrange(0, 5000)))
        assert isinstance(outcome(io.BytesIO(junk)), MediaError)
    # garbage behind a valid magic number: cannot be identified -> corrupt_image (422)
    for magic in (b"\xff\xd8\xff\xe0", b"\x89PNG\r\n\x1a\n", b"GIF89a", b"RIFF\x00\x00\x00\x00WEBP"):
        err = outcome(io.BytesIO(magic + bytes(rnd.randrange(256) for _ in range(3000))))
        assert isinstance(err, MediaError) and err.code == "corrupt_image" and err.status == 422
    empty = tmp_path / "empty.jpg"
    empty.write_bytes(b"")
    assert outcome(empty).code == "unsupported_type"


@pytest.mark.timeout(120)
@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP", "GIF"])
def test_every_truncation_is_handled(fmt):
    data = encoded(fmt)
    for fraction in (0.02, 0.1, 0.3, 0.5, 0.8, 0.95, 0.999):
        result = outcome(io.BytesIO(data[: int(len(data) * fraction)]))
        # never a partial picture passed off as the photo: no preview (or a 422 for
        # WebP, whose container libwebp refuses to open when cut short)
        if isinstance(result, ProcessResult):
            assert not result.preview, f"{fmt} cut at {fraction} got a preview"
            assert result.reason_code == "truncated_image"
        else:
            assert result.code == "corrupt_image"


# -- decompression bombs ----------------------------------------------------------


@pytest.mark.timeout(30)
@pytest.mark.parametrize(
    "make,size",
    [
        (lambda: png_declaring(30000, 30000), (30000, 30000)),  # Pillow itself refuses (> 2x limit)
        (lambda: png_declaring(8000, 8000), (8000, 8000)),  # 64 MP: Pillow only warns; we refuse
        (lambda: jpeg_declaring(60000, 60000), (60000, 60000)),
        (lambda: jpeg_declaring(9000, 7000), (9000, 7000)),
    ],
    ids=["png-30000", "png-8000", "jpeg-60000", "jpeg-9000x7000"],
)
def test_decompression_bombs_are_refused(make, size):
    data = make()
    assert len(data) < 20_000
    err = outcome(io.BytesIO(data))
    assert isinstance(err, MediaError)
    assert err.code == "image_too_large" and err.status == 413
    assert "像素" in err.message
    assert size[0] * size[1] > MAX_IMAGE_PIXELS


def test_per_call_pixel_limit(photos):
    err = outcome_with_limit(photos / "gps_DSCN0010.jpg", 100_000)  # 640x480 = 307,200 px
    assert err.code == "image_too_large" and err.details["max_pixels"] == 100_000
    assert (err.details["width"], err.details["height"]) == (640, 480)


def outcome_with_limit(path, limit):
    with pytest.raises(MediaError) as info:
        process_image(path, max_pixels=limit)
    return info.value


def png_bomb(width: int, height: int) -> bytes:
    """A real RGBA PNG of zeros: ~1000:1 compression, so 8000x8000 is 256 MB in 250 KB."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    packer = zlib.compressobj(9)
    row = b"\x00" * (1 + 4 * width)  # filter byte + pixels
    idat = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    return b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", idat) + png_chunk(b"IEND", b"")


@pytest.mark.timeout(120)
@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs Linux /proc for peak RSS")
def test_bomb_does_not_allocate_pixels(tmp_path):
    """In a fresh interpreter, refusing bombs keeps the peak RSS near the baseline.

    The control at the end decodes the same 8000x8000 file with Pillow's limit
    switched off, to show that the measurement would see the allocation.
    """
    bomb = tmp_path / "bomb.png"
    bomb.write_bytes(png_bomb(8000, 8000))
    assert bomb.stat().st_size < 1_000_000
    (tmp_path / "huge.png").write_bytes(png_declaring(30000, 30000))
    script = textwrap.dedent(
        f"""
        import json, re, sys
        sys.path.insert(0, {str(ROOT)!r})
        from media.processing import MediaError, process_image
        from PIL import Image

        def rss():
            # VmHWM: peak RSS of this process image.  (ru_maxrss would carry
            # the parent's peak over fork+exec.)
            with open("/proc/self/status") as status:
                return int(re.search(r"VmHWM:\\s+(\\d+)", status.read()).group(1))

        base = rss()
        codes = []
        for name in ("bomb.png", "huge.png"):
            try:
                process_image({str(tmp_path)!r} + "/" + name)
                codes.append("processed")
            except MediaError as exc:
                codes.append(exc.code)
        refused = rss()
        Image.MAX_IMAGE_PIXELS = None  # control: plain Pillow, no limit
        with Image.open({str(bomb)!r}) as im:
            im.load()
        print(json.dumps({{"codes": codes, "refused_kib": refused - base, "control_kib": rss() - base}}))
        """
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=100, check=True)
    report = json.loads(out.stdout)
    assert report["codes"] == ["image_too_large", "image_too_large"]
    assert report["refused_kib"] < 20 * 1024, report
    assert report["control_kib"] > 150 * 1024, report  # 8000x8000 RGBA is 244 MiB of pixels


# -- fuzzing -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def samples(photos):
    return {
        "jpeg": (photos / "Canon_40D.jpg").read_bytes(),  # small, with EXIF, ICC and maker notes
        "png": encoded("PNG", (64, 48)),
        "webp": encoded("WEBP", (64, 48)),
        "gif": encoded("GIF", (64, 48)),
    }


@pytest.mark.timeout(300)
@FUZZ
@given(data=st.data())
def test_mutated_files_never_escape(samples, data):
    kind = data.draw(st.sampled_from(sorted(samples)))
    blob = bytearray(samples[kind])
    flips = data.draw(st.lists(st.tuples(st.integers(0, len(blob) - 1), st.integers(0, 255)), min_size=1, max_size=12))
    for position, value in flips:
        blob[position] = value
    cut = data.draw(st.integers(len(blob) // 3, len(blob)))
    outcome(io.BytesIO(bytes(blob[:cut])))
