"""What a file really is, from its first bytes (never from its name).

The phone's ``content_type`` and ``filename`` are claims; the magic bytes
decide.  ``sniff(head)`` looks at the first ``SNIFF_BYTES`` bytes and
returns ``(kind, mime)`` with ``kind`` in ``{"photo", "video", "audio"}``.

A signature image is an ordinary PNG here (kind ``"photo"``); what it is
used for is the caller's business.

Some containers hold either video or sound (MP4, 3GP, WebM, Matroska): the
header alone cannot tell, so they sniff as video unless the caller passes
the client's claimed type and it is the audio variant of the *same*
container (a browser's ``MediaRecorder`` writes ``audio/webm``).  A claim
can never change the container.  ``media.av.probe_av`` refines MP4-family
files from their track list.
"""
from __future__ import annotations

from typing import NamedTuple

from media.errors import MediaError

SNIFF_BYTES = 64  # enough for every signature below

PHOTO, VIDEO, AUDIO = "photo", "video", "audio"


class Sniffed(NamedTuple):
    """The sniffed type; ``container`` names the parser family (internal use)."""

    kind: str
    mime: str
    container: str


# ISO base media file format (ftyp) brands -> mime / (kind, mime).
_HEIF_BRANDS = {
    b"heic": "image/heic", b"heix": "image/heic", b"heim": "image/heic", b"heis": "image/heic",
    b"hevc": "image/heic-sequence", b"hevx": "image/heic-sequence",
    b"hevm": "image/heic-sequence", b"hevs": "image/heic-sequence",
    b"avif": "image/avif", b"avis": "image/avif",
    b"mif1": "image/heif", b"mif2": "image/heif", b"msf1": "image/heif-sequence",
}
_GENERIC_HEIF_BRANDS = {b"mif1", b"mif2", b"msf1"}  # say "HEIF structure", not which codec
_AV_BRANDS = {
    b"qt  ": (VIDEO, "video/quicktime"),
    b"M4A ": (AUDIO, "audio/mp4"), b"M4B ": (AUDIO, "audio/mp4"), b"M4P ": (AUDIO, "audio/mp4"),
    b"F4A ": (AUDIO, "audio/mp4"),
    b"3g2a": (VIDEO, "video/3gpp2"), b"3g2b": (VIDEO, "video/3gpp2"), b"3g2c": (VIDEO, "video/3gpp2"),
}
_MP4_VIDEO_BRANDS = {
    b"isom", b"iso2", b"iso3", b"iso4", b"iso5", b"iso6", b"iso7", b"iso8", b"iso9",
    b"mp41", b"mp42", b"mp71", b"avc1", b"dash", b"mmp4", b"MSNV", b"M4V ", b"M4VH", b"M4VP",
    b"f4v ", b"NDAS", b"XAVC", b"cmfc", b"cmf2",
}
# Old QuickTime files have no ftyp; their first box is one of these.
_QT_FIRST_BOXES = {b"moov", b"mdat", b"wide", b"pnot", b"skip", b"free"}

# Audio variants of containers that may hold only sound: (sniffed, claimed) -> mime.
_AUDIO_VARIANTS = {
    ("video/mp4", "audio/mp4"): "audio/mp4",
    ("video/mp4", "audio/x-m4a"): "audio/mp4",
    ("video/mp4", "audio/m4a"): "audio/mp4",
    ("video/3gpp", "audio/3gpp"): "audio/3gpp",
    ("video/3gpp2", "audio/3gpp2"): "audio/3gpp2",
    ("video/webm", "audio/webm"): "audio/webm",
    ("video/x-matroska", "audio/x-matroska"): "audio/x-matroska",
}

# MPEG audio: bitrate index 15 and sampling index 3 are invalid; index 0
# ("free format") is legal but so rare that it is refused, which makes an
# 11-bit sync pattern in random bytes less likely to pass as MP3.
_MPEG_BAD_BITRATES = (0x0, 0xF)
_MPEG_BAD_RATE = 0x3


def sniff(head: bytes, claimed_mime: str | None = None) -> tuple[str, str]:
    """Return ``(kind, mime)`` for a file whose first bytes are ``head``.

    Pass at least ``SNIFF_BYTES`` bytes (fewer is fine for tiny files).
    ``claimed_mime`` (the client's ``content_type``) only chooses between
    the video and audio reading of the same container.  Anything not
    recognised raises ``MediaError("unsupported_type")`` (HTTP 415).
    """
    found = sniff_detail(head, claimed_mime)
    return found.kind, found.mime


def sniff_detail(head: bytes, claimed_mime: str | None = None) -> Sniffed:
    """Like ``sniff`` but also names the container family (for parsers)."""
    found = _identify(bytes(head[:SNIFF_BYTES]))
    if found is None:
        raise MediaError("unsupported_type", head=bytes(head[:16]).hex())
    if claimed_mime:
        claimed = claimed_mime.split(";", 1)[0].strip().lower()
        audio_mime = _AUDIO_VARIANTS.get((found.mime, claimed))
        if audio_mime:
            return Sniffed(AUDIO, audio_mime, found.container)
    return found


def _identify(h: bytes) -> Sniffed | None:
    # Images -----------------------------------------------------------------
    if h[:3] == b"\xff\xd8\xff":
        return Sniffed(PHOTO, "image/jpeg", "jpeg")
    if h[:8] == b"\x89PNG\r\n\x1a\n":
        return Sniffed(PHOTO, "image/png", "png")
    if h[:6] in (b"GIF87a", b"GIF89a"):
        return Sniffed(PHOTO, "image/gif", "gif")
    if h[:4] in (b"RIFF", b"RF64", b"BW64") and len(h) >= 12:
        form = h[8:12]
        if form == b"WEBP" and h[:4] == b"RIFF":
            return Sniffed(PHOTO, "image/webp", "webp")
        if form == b"WAVE":
            return Sniffed(AUDIO, "audio/wav", "wav")
        return None
    # ISO base media (HEIF, MP4, MOV, 3GP, M4A) ---------------------------------
    if len(h) >= 12 and h[4:8] == b"ftyp":
        return _identify_ftyp(h)
    if len(h) >= 8 and h[4:8] in _QT_FIRST_BOXES:
        box_size = int.from_bytes(h[:4], "big")
        if box_size in (0, 1) or box_size >= 8:  # 0: to end of file, 1: 64-bit size follows
            return Sniffed(VIDEO, "video/quicktime", "isobmff")
    # Matroska / WebM (EBML header; DocType within the first bytes) -------------
    if h[:4] == b"\x1a\x45\xdf\xa3":
        if b"webm" in h:
            return Sniffed(VIDEO, "video/webm", "ebml")
        return Sniffed(VIDEO, "video/x-matroska", "ebml")
    # Ogg: the first page's codec header tells sound from picture ---------------
    if h[:4] == b"OggS":
        if b"\x80theora" in h:
            return Sniffed(VIDEO, "video/ogg", "ogg")
        return Sniffed(AUDIO, "audio/ogg", "ogg")
    # Audio -------------------------------------------------------------------
    if h[:9] == b"#!AMR-WB\n":
        return Sniffed(AUDIO, "audio/amr-wb", "amr")
    if h[:6] == b"#!AMR\n":
        return Sniffed(AUDIO, "audio/amr", "amr")
    if h[:3] == b"ID3" and len(h) >= 10:
        return _after_id3(h)
    return _identify_mpeg_frame(h)


def _identify_ftyp(h: bytes) -> Sniffed | None:
    box_size = int.from_bytes(h[:4], "big")
    end = min(len(h), box_size) if box_size >= 16 else 16
    # major brand, then the compatible brands (the minor version sits between)
    brands = [h[8:12], *(h[i:i + 4] for i in range(16, end - 3, 4))]
    # Specific brands win over generic ones wherever they are listed: a file
    # branded "mif1" that lists "avif" is AVIF, one that lists "heic" is HEIC.
    for brand in brands:
        if brand in _HEIF_BRANDS and brand not in _GENERIC_HEIF_BRANDS:
            return Sniffed(PHOTO, _HEIF_BRANDS[brand], "heif")
        if brand in _AV_BRANDS:
            kind, mime = _AV_BRANDS[brand]
            return Sniffed(kind, mime, "isobmff")
        if brand[:3] == b"3gp" or brand[:3] in (b"3ge", b"3gg", b"3gs", b"3gr"):
            return Sniffed(VIDEO, "video/3gpp", "isobmff")
    for brand in brands:
        if brand in _MP4_VIDEO_BRANDS:
            return Sniffed(VIDEO, "video/mp4", "isobmff")
        if brand in _GENERIC_HEIF_BRANDS:
            return Sniffed(PHOTO, _HEIF_BRANDS[brand], "heif")
    return None


def _after_id3(h: bytes) -> Sniffed:
    """An ID3v2 tag prefixes MP3 (and sometimes ADTS AAC) streams."""
    # The tag size is a 28-bit "syncsafe" integer: 7 bits per byte.
    size = 10 + ((h[6] & 0x7F) << 21 | (h[7] & 0x7F) << 14 | (h[8] & 0x7F) << 7 | (h[9] & 0x7F))
    if h[5] & 0x10:  # footer present
        size += 10
    after = _identify_mpeg_frame(h[size:]) if size + 4 <= len(h) else None
    return after or Sniffed(AUDIO, "audio/mpeg", "mpeg")


def _identify_mpeg_frame(h: bytes) -> Sniffed | None:
    """MPEG audio frame (MP3) or ADTS (AAC) sync word at the start."""
    if len(h) < 4 or h[0] != 0xFF or (h[1] & 0xE0) != 0xE0:
        return None
    layer = (h[1] >> 1) & 0x3
    if layer == 0:
        # ADTS: 12-bit sync, layer always 0; the sampling index must be valid.
        if (h[1] & 0xF0) == 0xF0 and ((h[2] >> 2) & 0xF) < 13:
            return Sniffed(AUDIO, "audio/aac", "adts")
        return None
    version = (h[1] >> 3) & 0x3
    bitrate = h[2] >> 4
    rate = (h[2] >> 2) & 0x3
    if version == 1 or bitrate in _MPEG_BAD_BITRATES or rate == _MPEG_BAD_RATE:
        return None
    return Sniffed(AUDIO, "audio/mpeg", "mpeg")
