"""Small generated media files shared by the media tests (MP4 boxes, PNG chunks)."""
from __future__ import annotations

import struct
import zlib


def box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def full_box(kind: bytes, version: int, payload: bytes) -> bytes:
    return box(kind, bytes([version, 0, 0, 0]) + payload)


def mvhd(timescale: int, duration: int, version: int = 0, created: int = 3_700_000_000) -> bytes:
    if version == 1:
        body = struct.pack(">QQIQ", created, created, timescale, duration)
    else:
        body = struct.pack(">IIII", created, created, timescale, duration)
    return full_box(b"mvhd", version, body + b"\x00" * 80)


def trak(handler: bytes, width: int = 0, height: int = 0) -> bytes:
    tkhd = full_box(b"tkhd", 0, b"\x00" * 72 + struct.pack(">II", width << 16, height << 16))
    hdlr = full_box(b"hdlr", 0, b"\x00" * 4 + handler + b"\x00" * 12 + b"name\x00")
    return box(b"trak", tkhd + box(b"mdia", hdlr))


def mp4_head(brand=b"isom", tracks=(b"vide", b"soun"), **mvhd_args) -> bytes:
    """ftyp + moov: everything of an MP4 before its media data."""
    ftyp = box(b"ftyp", brand + b"\x00\x00\x02\x00" + brand + b"mp41")
    moov = box(b"moov", mvhd(**mvhd_args) + b"".join(
        trak(t, 1920, 1080) if t == b"vide" else trak(t) for t in tracks))
    return ftyp + moov


def mdat_header(payload_size: int) -> bytes:
    """The header of an ``mdat`` box holding ``payload_size`` bytes (streamed separately)."""
    return struct.pack(">I", 8 + payload_size) + b"mdat"


def mp4(brand=b"isom", moov_first=True, tracks=(b"vide", b"soun"), mdat_size=4096, **mvhd_args) -> bytes:
    ftyp = box(b"ftyp", brand + b"\x00\x00\x02\x00" + brand + b"mp41")
    moov = box(b"moov", mvhd(**mvhd_args) + b"".join(
        trak(t, 1920, 1080) if t == b"vide" else trak(t) for t in tracks))
    mdat = box(b"mdat", b"\x00" * mdat_size)
    return ftyp + (moov + mdat if moov_first else mdat + moov)


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_declaring(width: int, height: int, color_type: int = 6) -> bytes:
    """A tiny PNG whose header declares ``width``×``height`` (a decompression bomb's shape)."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, color_type, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 1024)  # the first bytes of row 0; the rest would inflate later
    return b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", idat) + png_chunk(b"IEND", b"")
