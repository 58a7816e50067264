"""sniff(): the real type from magic bytes, for every accepted type and some impostors."""
from __future__ import annotations

import io
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from media.errors import MediaError
from media.sniff import SNIFF_BYTES, sniff, sniff_detail


def ftyp(major: bytes, *compatible: bytes) -> bytes:
    body = major + b"\x00\x00\x00\x00" + b"".join(compatible)
    return struct.pack(">I", 8 + len(body)) + b"ftyp" + body + b"\x00\x00\x00\x08free"


def riff(form: bytes, magic: bytes = b"RIFF") -> bytes:
    return magic + struct.pack("<I", 1000) + form + b"fmt " + b"\x00" * 20


CASES = [
    # photos
    (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", "photo", "image/jpeg"),
    (b"\xff\xd8\xff\xe1\x12\x34Exif\x00\x00", "photo", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "photo", "image/png"),
    (b"GIF89a\x01\x00\x01\x00", "photo", "image/gif"),
    (b"GIF87a\x01\x00\x01\x00", "photo", "image/gif"),
    (riff(b"WEBP"), "photo", "image/webp"),
    (ftyp(b"heic", b"mif1", b"heic"), "photo", "image/heic"),
    (ftyp(b"heix", b"mif1"), "photo", "image/heic"),
    (ftyp(b"mif1", b"mif1", b"heic"), "photo", "image/heic"),  # the specific brand wins
    (ftyp(b"mif1", b"mif1", b"miaf"), "photo", "image/heif"),
    (ftyp(b"mif1", b"mif1", b"avif", b"miaf"), "photo", "image/avif"),
    (ftyp(b"msf1", b"msf1"), "photo", "image/heif-sequence"),
    (ftyp(b"msf1", b"hevc"), "photo", "image/heic-sequence"),
    (ftyp(b"hevc", b"msf1"), "photo", "image/heic-sequence"),
    (ftyp(b"avif", b"mif1", b"miaf"), "photo", "image/avif"),
    # video
    (ftyp(b"isom", b"isom", b"iso2", b"avc1", b"mp41"), "video", "video/mp4"),
    (ftyp(b"mp42", b"mp42", b"isom"), "video", "video/mp4"),
    (ftyp(b"qt  ", b"qt  "), "video", "video/quicktime"),
    (b"\x00\x00\x00\x08wide\x00\x00\x10\x00mdat", "video", "video/quicktime"),
    (ftyp(b"3gp4", b"isom", b"3gp4"), "video", "video/3gpp"),
    (ftyp(b"3gp6"), "video", "video/3gpp"),
    (ftyp(b"3g2a"), "video", "video/3gpp2"),
    (b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\xf7\x81\x01\x42\x82\x84webm", "video", "video/webm"),
    (b"\x1a\x45\xdf\xa3\xa3\x42\x86\x81\x01\x42\x82\x88matroska", "video", "video/x-matroska"),
    (b"OggS\x00\x02" + b"\x00" * 22 + b"\x80theora", "video", "video/ogg"),
    # audio
    (b"ID3\x04\x00\x00\x00\x00\x00\x21" + b"\x00" * 40, "audio", "audio/mpeg"),
    (b"\xff\xfb\x90\x64\x00\x00", "audio", "audio/mpeg"),  # MPEG-1 layer III, 128 kbit/s
    (b"\xff\xf3\x84\xc4\x00\x00", "audio", "audio/mpeg"),  # MPEG-2 layer III
    (b"\xff\xf1\x50\x80\x02\x1f\xfc", "audio", "audio/aac"),  # ADTS, 44.1 kHz
    (b"\xff\xf9\x4c\x80\x02\x1f\xfc", "audio", "audio/aac"),
    (ftyp(b"M4A ", b"M4A ", b"mp42", b"isom"), "audio", "audio/mp4"),
    (b"#!AMR\n\x3c\x48\xf5", "audio", "audio/amr"),
    (b"#!AMR-WB\n\x04", "audio", "audio/amr-wb"),
    (riff(b"WAVE"), "audio", "audio/wav"),
    (riff(b"WAVE", b"RF64"), "audio", "audio/wav"),
    (b"OggS\x00\x02" + b"\x00" * 22 + b"OpusHead\x01\x01", "audio", "audio/ogg"),
    (b"OggS\x00\x02" + b"\x00" * 22 + b"\x01vorbis", "audio", "audio/ogg"),
]


@pytest.mark.parametrize("head,kind,mime", CASES, ids=[c[2] + f"#{i}" for i, c in enumerate(CASES)])
def test_sniff_known_types(head, kind, mime):
    assert sniff(head) == (kind, mime)
    # a longer head (as read from a real file) gives the same answer
    assert sniff(head + b"\x00" * 100) == (kind, mime)


def test_sniff_real_photos(photos):
    expected = {"gps_DSCN0010.jpg": "image/jpeg", "mobile_iphone_13_pro_max.HEIC": "image/heic"}
    for name, mime in expected.items():
        with open(photos / name, "rb") as f:
            assert sniff(f.read(SNIFF_BYTES)) == ("photo", mime)


def test_sniff_ignores_names_and_png_signature_is_a_photo():
    # a signature image is an ordinary PNG; the caller decides its usage
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGBA", (20, 10), (0, 0, 0, 0)).save(buf, "PNG")
    assert sniff(buf.getvalue()[:SNIFF_BYTES]) == ("photo", "image/png")


@pytest.mark.parametrize(
    "head",
    [
        b"",
        b"\xff\xd8",  # too short to be a JPEG
        b"%PDF-1.7\n%\xe2\xe3\xcf\xd3",
        b"PK\x03\x04\x14\x00\x06\x00",  # zip / docx / apk
        b"MZ\x90\x00\x03\x00\x00\x00",  # Windows executable
        b"<?xml version='1.0'?><svg",
        b"<html><script>alert(1)</script>",
        b"BM\x36\x00\x0c\x00\x00\x00",  # BMP
        b"II*\x00\x08\x00\x00\x00",  # TIFF / camera raw
        riff(b"AVI "),
        ftyp(b"crx ", b"crx "),  # Canon raw in an ISO box: not accepted
        b"\xff\xff\xff\xff\xff\xff",  # MPEG sync with reserved values
        b"\xff\xe2\x00\x00",  # MPEG 2.5 layer III in "free format" (bitrate index 0): refused
        b"\x00\x00\x00\x04moov",  # box size below its header length
        b"hello world, this is plain text",
    ],
)
def test_sniff_rejects_everything_else(head):
    with pytest.raises(MediaError) as info:
        sniff(head)
    assert info.value.code == "unsupported_type"
    assert info.value.status == 415
    assert "不支持" in info.value.message


def test_claimed_audio_chooses_audio_reading_of_the_same_container():
    webm = next(head for head, _, mime in CASES if mime == "video/webm")
    assert sniff(webm) == ("video", "video/webm")
    assert sniff(webm, "audio/webm;codecs=opus") == ("audio", "audio/webm")
    mp4 = ftyp(b"isom", b"isom")
    assert sniff(mp4, "audio/x-m4a") == ("audio", "audio/mp4")
    # a claim never changes the container: a JPEG claimed as audio stays a JPEG
    assert sniff(b"\xff\xd8\xff\xe0", "audio/webm") == ("photo", "image/jpeg")
    assert sniff(mp4, "image/png") == ("video", "video/mp4")


def test_sniff_detail_names_the_container():
    assert sniff_detail(ftyp(b"qt  ")).container == "isobmff"
    assert sniff_detail(ftyp(b"heic")).container == "heif"
    assert sniff_detail(riff(b"WAVE")).container == "wav"


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=SNIFF_BYTES * 2))
def test_sniff_never_raises_anything_but_media_error(head):
    try:
        kind, mime = sniff(head)
    except MediaError as exc:
        assert exc.code == "unsupported_type"
    else:
        assert kind in {"photo", "video", "audio"} and "/" in mime
