"""read_exif(): real camera values pinned, and broken EXIF that must never raise."""
from __future__ import annotations

import io
import struct

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image
from PIL.TiffImagePlugin import IFDRational

from media.derivatives import register_heif
from media.exif import read_exif

# The helper below opens JPEGs with damaged EXIF through Pillow, which warns.
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning:PIL.TiffImagePlugin")

KEYS = {"captured_at", "captured_at_naive", "captured_at_source", "gps", "make", "model", "software",
        "orientation", "warnings"}


def exif_of(path) -> dict:
    register_heif()
    with Image.open(path) as im:
        return read_exif(im)


def jpeg_with_exif(exif) -> Image.Image:
    buf = io.BytesIO()
    Image.new("RGB", (16, 12), "grey").save(buf, "JPEG", exif=exif)
    return Image.open(io.BytesIO(buf.getvalue()))


# -- real photos (values printed once from the files and pinned) --------------


def test_gps_and_time_of_nikon_dscn0010(photos):
    exif = exif_of(photos / "gps_DSCN0010.jpg")
    assert exif["captured_at"] == "2008-10-22T16:28:39"
    assert exif["captured_at_naive"] is True  # no OffsetTimeOriginal: device local time
    assert exif["captured_at_source"] == "DateTimeOriginal"
    assert exif["make"] == "NIKON" and exif["model"] == "COOLPIX P6000"
    gps = exif["gps"]
    # 43° 28' 2.814" N, 11° 53' 6.456" E
    assert gps["lat"] == pytest.approx(43 + 28 / 60 + 2.814 / 3600, abs=1e-6)
    assert gps["lat"] == pytest.approx(43.4674483, abs=1e-7)
    assert gps["lon"] == pytest.approx(11.8851267, abs=1e-7)
    assert gps["alt"] is None
    assert gps["timestamp_utc"] == "2008-10-23T14:27:07.240000+00:00"
    assert exif["orientation"] == 1
    assert exif["warnings"] == []


def test_gps_and_time_of_nikon_dscn0021(photos):
    exif = exif_of(photos / "gps_DSCN0021.jpg")
    assert exif["captured_at"] == "2008-10-22T16:38:20"
    assert exif["captured_at_naive"] is True
    assert exif["gps"]["lat"] == pytest.approx(43.4670817, abs=1e-7)
    assert exif["gps"]["lon"] == pytest.approx(11.8845383, abs=1e-7)
    assert exif["make"] == "NIKON"


def test_west_longitude_altitude_and_subseconds_of_iphone(photos):
    exif = exif_of(photos / "hdr_iphone_hdr_NO.jpg")
    assert exif["captured_at"] == "2015-04-10T20:12:23.016000"
    assert exif["gps"]["lat"] == pytest.approx(40.4469722, abs=1e-7)
    assert exif["gps"]["lon"] == pytest.approx(-3.7247528, abs=1e-7)  # ref W
    assert exif["gps"]["alt"] == pytest.approx(639.59, abs=0.01)
    assert (exif["make"], exif["model"]) == ("Apple", "iPhone 6")


def test_heic_time_carries_its_utc_offset(photos):
    exif = exif_of(photos / "mobile_iphone_13_pro_max.HEIC")
    assert exif["captured_at"] == "2022-02-16T12:55:41.762000+01:00"
    assert exif["captured_at_naive"] is False
    assert exif["model"] == "iPhone 13 Pro Max"


def test_version_only_gps_block_is_no_position(photos):
    exif = exif_of(photos / "Canon_40D.jpg")  # GPS IFD holds only GPSVersionID
    assert exif["gps"] is None
    assert exif["captured_at"] == "2008-05-30T15:56:01"


def test_fallback_to_datetime_is_flagged(photos):
    exif = exif_of(photos / "xmp_no_exif.jpg")
    assert exif["captured_at_source"] == "DateTime"
    assert any("DateTime" in w for w in exif["warnings"])


def test_orientation_values_of_real_files(photos):
    for k in range(1, 9):
        assert exif_of(photos / f"orientation_landscape_{k}.jpg")["orientation"] == k
    assert exif_of(photos / "orientation_portrait_6.jpg")["orientation"] == 6


def test_odd_real_files_do_not_raise(photos):
    for name in ("invalid_image01088.jpg", "corrupted.jpg", "xmp_no_exif.jpg", "mobile_jolla.jpg"):
        exif = exif_of(photos / name)
        assert set(exif) == KEYS


# -- synthetic odd values ------------------------------------------------------


def test_zero_denominator_and_bad_refs_are_warnings():
    exif = Image.Exif()
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = "N", (IFDRational(30, 1), IFDRational(15, 0), IFDRational(0, 1))
    gps[3], gps[4] = "E", (IFDRational(120, 1), IFDRational(0, 1), IFDRational(0, 1))
    result = read_exif(jpeg_with_exif(exif))
    assert result["gps"] is None
    assert any("zero denominator" in w for w in result["warnings"])


def test_south_west_missing_ref_and_negative_altitude():
    exif = Image.Exif()
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = "S\x00", (IFDRational(33, 1), IFDRational(30, 1), IFDRational(0, 1))
    gps[3], gps[4] = "w", (IFDRational(70, 1), IFDRational(45, 1), IFDRational(0, 1))
    gps[5], gps[6] = b"\x01", IFDRational(25, 2)
    result = read_exif(jpeg_with_exif(exif))
    assert result["gps"]["lat"] == pytest.approx(-33.5)
    assert result["gps"]["lon"] == pytest.approx(-70.75)
    assert result["gps"]["alt"] == pytest.approx(-12.5)

    exif = Image.Exif()
    gps = exif.get_ifd(0x8825)
    gps[2] = (IFDRational(31, 1), IFDRational(12, 1), IFDRational(0, 1))  # no refs at all
    gps[4] = (IFDRational(121, 1), IFDRational(28, 1), IFDRational(0, 1))
    result = read_exif(jpeg_with_exif(exif))
    assert result["gps"]["lat"] == pytest.approx(31.2) and result["gps"]["lon"] == pytest.approx(121.4666667)
    assert any("reference" in w for w in result["warnings"])


def test_out_of_range_position_is_dropped():
    exif = Image.Exif()
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = "N", (IFDRational(95, 1), IFDRational(0, 1), IFDRational(0, 1))
    gps[3], gps[4] = "E", (IFDRational(10, 1), IFDRational(0, 1), IFDRational(0, 1))
    result = read_exif(jpeg_with_exif(exif))
    assert result["gps"] is None and any("out of range" in w for w in result["warnings"])


@pytest.mark.parametrize(
    "raw,offset,expected,naive",
    [
        ("2024:05:06 07:08:09", "+08:00", "2024-05-06T07:08:09+08:00", False),
        ("2024:05:06 07:08:09", None, "2024-05-06T07:08:09", True),
        ("2024-05-06 07:08:09", "-03:30", "2024-05-06T07:08:09-03:30", False),
        ("2024:05:06 07:08:09", "+99:00", "2024-05-06T07:08:09", True),  # invalid offset: warned, naive
        ("0000:00:00 00:00:00", None, None, None),
        ("    :  :     :  :  ", None, None, None),
        ("2024:13:45 25:61:61", None, None, None),
    ],
)
def test_capture_time_variants(raw, offset, expected, naive):
    exif = Image.Exif()
    sub = exif.get_ifd(0x8769)
    sub[0x9003] = raw
    if offset:
        sub[0x9011] = offset
    result = read_exif(jpeg_with_exif(exif))
    assert result["captured_at"] == expected
    assert result["captured_at_naive"] is naive
    if expected is None or (offset and naive):
        assert result["warnings"]


def test_invalid_orientation_falls_back_to_1():
    exif = Image.Exif()
    exif[0x0112] = 9
    result = read_exif(jpeg_with_exif(exif))
    assert result["orientation"] == 1 and result["warnings"]


def _tiff(ifd0_offset: int, body: bytes) -> bytes:
    return b"Exif\x00\x00" + b"II*\x00" + struct.pack("<I", ifd0_offset) + body


def _entry(tag: int, typ: int, count: int, value: int) -> bytes:
    return struct.pack("<HHII", tag, typ, count, value)


BROKEN_EXIF = {
    "ifd0_beyond_end": _tiff(100_000, b""),
    "huge_entry_count": _tiff(8, struct.pack("<H", 0xFFFF)),
    "exif_ifd_points_to_itself": _tiff(8, struct.pack("<H", 1) + _entry(0x8769, 4, 1, 8) + b"\0\0\0\0"),
    "gps_ifd_beyond_end": _tiff(8, struct.pack("<H", 1) + _entry(0x8825, 4, 1, 1 << 30) + b"\0\0\0\0"),
    "ifd_loop_via_next_pointer": _tiff(8, struct.pack("<H", 1) + _entry(0x0112, 3, 1, 6) + struct.pack("<I", 8)),
    "bad_type_code": _tiff(8, struct.pack("<H", 1) + _entry(0x0110, 99, 1, 0) + b"\0\0\0\0"),
    "rational_count_huge": _tiff(8, struct.pack("<H", 1) + _entry(0x8825, 5, 0xFFFFFFFF, 26) + b"\0\0\0\0"),
    "not_tiff_at_all": b"Exif\x00\x00" + b"garbage" * 10,
    "empty": b"Exif\x00\x00",
}


@pytest.mark.timeout(30)
@pytest.mark.parametrize("name", sorted(BROKEN_EXIF))
def test_broken_ifds_never_raise(name):
    result = read_exif(jpeg_with_exif(BROKEN_EXIF[name]))
    assert set(result) == KEYS
    assert isinstance(result["warnings"], list)
    assert 1 <= result["orientation"] <= 8


def test_accepts_an_exif_object_too():
    exif = Image.Exif()
    exif[0x010F] = b"Xiaomi\x00"
    assert read_exif(exif)["make"] == "Xiaomi"


@pytest.mark.timeout(120)
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(min_size=0, max_size=400))
def test_random_exif_payload_never_raises(payload):
    for prefix in (b"Exif\x00\x00II*\x00\x08\x00\x00\x00", b"Exif\x00\x00MM\x00*\x00\x00\x00\x08"):
        result = read_exif(jpeg_with_exif(prefix + payload))
        assert set(result) == KEYS
