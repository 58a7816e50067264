"""process_image() on the real photos: orientation, HEIC, metadata-free derivatives, originals untouched."""
from __future__ import annotations

import hashlib
import io
import shutil

import pytest
from PIL import Image, ImageChops, ImageDraw, ImageStat

from media.derivatives import THUMB_SIZE, VIEW_SIZE, fit
from media.errors import MediaError
from media.processing import process_image


REAL_PHOTOS = [
    "Canon_40D.jpg", "corrupted.jpg", "gps_DSCN0010.jpg", "gps_DSCN0021.jpg", "hdr_iphone_hdr_NO.jpg",
    "invalid_image01088.jpg", "mobile_iphone_13_pro_max.HEIC", "mobile_jolla.jpg",
    "orientation_landscape_1.jpg", "orientation_portrait_6.jpg", "xmp_no_exif.jpg",
]


def decoded(derivative) -> Image.Image:
    return Image.open(io.BytesIO(derivative.data))


def grey(derivative) -> Image.Image:
    return decoded(derivative).convert("L")


def mean_abs_diff(a: Image.Image, b: Image.Image) -> float:
    return ImageStat.Stat(ImageChops.difference(a, b)).mean[0]


@pytest.fixture(scope="module")
def orientation_thumbs(photos):
    results = {k: process_image(photos / f"orientation_landscape_{k}.jpg") for k in range(1, 9)}
    return results


@pytest.mark.parametrize("k", range(1, 9))
def test_every_exif_orientation_comes_out_upright(orientation_thumbs, k):
    result = orientation_thumbs[k]
    assert result.orientation == k
    assert (result.upright_width, result.upright_height) == (600, 450)
    assert (result.width, result.height) == ((450, 600) if k >= 5 else (600, 450))  # as stored
    thumb, view = result.derivatives["thumb"], result.derivatives["view"]
    assert (thumb.width, thumb.height) == (320, 240) == decoded(thumb).size
    assert (view.width, view.height) == (600, 450) == decoded(view).size  # never upscaled

    reference = grey(orientation_thumbs[1].derivatives["thumb"])
    ours = grey(thumb)
    right = mean_abs_diff(ours, reference)
    # What a mistaken mirror or rotation would look like, measured the same way.
    wrong = min(
        mean_abs_diff(ours, reference.transpose(t))
        for t in (Image.Transpose.FLIP_LEFT_RIGHT, Image.Transpose.FLIP_TOP_BOTTOM, Image.Transpose.ROTATE_180)
    )
    assert right < 8, f"orientation {k}: mean grey difference to #1 is {right:.1f}"
    assert wrong > 30, f"orientation {k}: a wrong transform differs by only {wrong:.1f}"
    assert wrong > 5 * right


def test_ignoring_orientation_would_be_caught(photos, orientation_thumbs):
    """The pixel check has teeth: the stored pixels of #3 (upside down) fail it."""
    with Image.open(photos / "orientation_landscape_3.jpg") as im:
        raw = im.convert("L").resize((320, 240))
    reference = grey(orientation_thumbs[1].derivatives["thumb"])
    assert mean_abs_diff(raw, reference) > 30


def test_portrait_phone_photo_comes_out_portrait(photos):
    result = process_image(photos / "orientation_portrait_6.jpg")
    assert (result.width, result.height) == (600, 450)  # stored landscape
    assert (result.upright_width, result.upright_height) == (450, 600)
    assert (result.derivatives["thumb"].width, result.derivatives["thumb"].height) == (240, 320)
    assert decoded(result.derivatives["view"]).size == (450, 600)


def test_heic_from_iphone(photos):
    result = process_image(photos / "mobile_iphone_13_pro_max.HEIC")
    assert result.mime == "image/heic"
    # libheif applies the container rotation: stored and upright are both portrait
    assert (result.width, result.height) == (3024, 4032)
    assert (result.upright_width, result.upright_height) == (3024, 4032)
    assert decoded(result.derivatives["view"]).size == (1200, 1600)
    assert decoded(result.derivatives["thumb"]).size == (240, 320)
    assert result.exif["model"] == "iPhone 13 Pro Max"
    assert result.preview is True


def test_12_megapixel_camera_file(photos):
    result = process_image(photos / "corrupted.jpg")
    assert (result.width, result.height) == (3648, 2736)
    assert decoded(result.derivatives["view"]).size == (1600, 1200)
    assert decoded(result.derivatives["thumb"]).size == (320, 240)


@pytest.mark.parametrize("name", REAL_PHOTOS)
def test_derivatives_carry_no_metadata(photos, name):
    result = process_image(photos / name)
    assert set(result.derivatives) == {"view", "thumb"}
    for derivative in result.derivatives.values():
        im = decoded(derivative)
        assert im.format == "JPEG" and im.mode == "RGB"
        assert len(im.getexif()) == 0
        for key in ("exif", "icc_profile", "xmp", "photoshop", "comment", "adobe"):
            assert key not in im.info, f"{name} {derivative.name}: {key} leaked"
        for marker in (b"Exif\x00\x00", b"ICC_PROFILE", b"http://ns.adobe.com/xap/", b"Photoshop 3.0"):
            assert marker not in derivative.data
        assert max(im.size) <= (VIEW_SIZE if derivative.name == "view" else THUMB_SIZE)


def test_originals_are_not_modified(photos, tmp_path):
    for name in REAL_PHOTOS:
        copy = tmp_path / name
        shutil.copyfile(photos / name, copy)
        before = hashlib.sha256(copy.read_bytes()).hexdigest()
        result = process_image(copy)
        assert hashlib.sha256(copy.read_bytes()).hexdigest() == before
        assert result.sha256 == before
        assert result.size == copy.stat().st_size


def test_file_objects_and_unseekable_streams(photos):
    data = (photos / "gps_DSCN0010.jpg").read_bytes()
    from_path = process_image(photos / "gps_DSCN0010.jpg")
    from_file = process_image(io.BytesIO(data))

    class Unseekable(io.RawIOBase):
        def __init__(self):
            self.inner = io.BytesIO(data)

        def readable(self):
            return True

        def seekable(self):
            return False

        def readinto(self, b):
            chunk = self.inner.read(len(b))
            b[: len(chunk)] = chunk
            return len(chunk)

    from_stream = process_image(Unseekable())
    assert from_path.sha256 == from_file.sha256 == from_stream.sha256 == hashlib.sha256(data).hexdigest()
    assert from_path.derivatives["view"].data == from_stream.derivatives["view"].data
    assert from_path.as_dict()["exif"]["gps"]["lat"] == pytest.approx(43.4674483)


def test_signature_png_with_transparency_gets_a_white_background():
    """Signature pads export black ink on a transparent background."""
    sig = Image.new("RGBA", (800, 300), (0, 0, 0, 0))
    ImageDraw.Draw(sig).line([(50, 250), (400, 50), (750, 250)], fill=(0, 0, 0, 255), width=12)
    buf = io.BytesIO()
    sig.save(buf, "PNG")
    result = process_image(io.BytesIO(buf.getvalue()))
    assert result.mime == "image/png"
    view = decoded(result.derivatives["view"])
    assert view.size == (800, 300)
    assert view.getpixel((10, 10)) == pytest.approx((255, 255, 255), abs=3)  # not black
    assert view.convert("L").getextrema()[0] < 40  # the ink is still there


@pytest.mark.parametrize("mode", ["P", "1", "L", "LA", "CMYK", "I;16", "RGBA"])
def test_odd_modes_become_rgb_jpegs(mode):
    base = Image.linear_gradient("L").resize((400, 200))
    if mode == "I;16":
        im = base.convert("I").point(lambda v: v * 256).convert("I;16")
        fmt = "PNG"
    else:
        im = base.convert(mode)
        fmt = "JPEG" if mode == "CMYK" else "PNG"
    buf = io.BytesIO()
    im.save(buf, fmt)
    result = process_image(io.BytesIO(buf.getvalue()))
    view = decoded(result.derivatives["view"])
    assert view.mode == "RGB" and view.size == (400, 200)
    low, high = view.convert("L").getextrema()
    assert high - low > 100  # a gradient, not a flat white or black field


def test_fit_never_upscales():
    assert fit((4000, 3000), 1600) == (1600, 1200)
    assert fit((3024, 4032), 1600) == (1200, 1600)
    assert fit((600, 450), 1600) == (600, 450)
    assert fit((10000, 1), 320) == (320, 1)


def test_webp_and_gif_are_processed():
    for fmt, mime in (("WEBP", "image/webp"), ("GIF", "image/gif")):
        buf = io.BytesIO()
        Image.linear_gradient("L").convert("RGB").resize((2000, 1000)).save(buf, fmt)
        result = process_image(io.BytesIO(buf.getvalue()))
        assert result.mime == mime and decoded(result.derivatives["view"]).size == (1600, 800)


def test_video_is_not_an_image():
    mp4 = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2" + b"\x00" * 100
    with pytest.raises(MediaError) as info:
        process_image(io.BytesIO(mp4))
    assert info.value.code == "unsupported_type" and info.value.status == 415


def test_as_dict_is_json_ready(photos):
    import json

    result = process_image(photos / "hdr_iphone_hdr_NO.jpg")
    data = json.loads(json.dumps(result.as_dict()))
    assert data["derivatives"]["view"]["sha256"] == hashlib.sha256(result.derivatives["view"].data).hexdigest()
    assert data["exif"]["gps"]["lon"] < 0


def test_avif_is_processed():
    buf = io.BytesIO()
    Image.linear_gradient("L").convert("RGB").resize((2000, 1500)).save(buf, "AVIF", quality=60)
    result = process_image(io.BytesIO(buf.getvalue()))
    assert result.mime == "image/avif" and decoded(result.derivatives["view"]).size == (1600, 1200)


def _jpeg_with_icc(colour, icc: bytes | None) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(buf, "JPEG", quality=100, subsampling=0, icc_profile=icc)
    return buf.getvalue()


def test_display_p3_is_converted_to_srgb(photos):
    from media.derivatives import register_heif

    register_heif()
    with Image.open(photos / "mobile_iphone_13_pro_max.HEIC") as heic:
        p3 = heic.info["icc_profile"]
    colour = (200, 100, 50)
    plain = decoded(process_image(io.BytesIO(_jpeg_with_icc(colour, None))).derivatives["view"]).getpixel((32, 24))
    managed = process_image(io.BytesIO(_jpeg_with_icc(colour, p3)))
    pixel = decoded(managed.derivatives["view"]).getpixel((32, 24))
    assert plain == pytest.approx(colour, abs=3)
    # the same numbers mean a more saturated colour in P3: red goes up, green and blue down
    assert pixel[0] > plain[0] + 5 and pixel[2] < plain[2] - 5
    assert managed.warnings == []


def test_broken_icc_profile_is_a_warning(photos):
    result = process_image(io.BytesIO(_jpeg_with_icc((10, 20, 30), b"\x00" * 200)))
    assert result.preview and any(w.startswith("icc:") for w in result.warnings)


def test_process_wide_pixel_limit(photos):
    from media import derivatives

    try:
        derivatives.set_max_image_pixels(200_000)
        with pytest.raises(MediaError) as info:
            process_image(photos / "gps_DSCN0010.jpg")
        assert info.value.code == "image_too_large"
    finally:
        derivatives.set_max_image_pixels(50_000_000)
    assert Image.MAX_IMAGE_PIXELS == derivatives.MAX_IMAGE_PIXELS == 50_000_000
    assert process_image(photos / "gps_DSCN0010.jpg").preview
