"""Cheap facts about video and audio files, read from container headers.

No ffmpeg: only what the container states up front.  MP4/MOV/3GP/M4A get
their duration from the ``mvhd`` box (or ``mehd`` for fragmented files
written by browsers), their track kinds from ``hdlr`` and the picture size
from the video track's ``tkhd``; WAV gets its duration from the ``fmt`` and
``data`` chunks.  Everything else reports ``duration: None``.

The walkers read untrusted bytes: every size is checked against its parent,
the number of boxes/chunks visited is bounded, and a damaged file yields
``None`` fields plus a warning, never an exception or a loop.
"""
from __future__ import annotations

import os
import struct
from datetime import datetime, timedelta, timezone
from typing import BinaryIO

from media.errors import MediaError
from media.isobmff import Budget, find_box, iter_boxes
from media.sniff import AUDIO, PHOTO, SNIFF_BYTES, sniff_detail

_MAC_EPOCH = datetime(1904, 1, 1, tzinfo=timezone.utc)  # QuickTime/MP4 time origin
_AUDIO_MIME_OF = {"video/mp4": "audio/mp4", "video/3gpp": "audio/3gpp", "video/3gpp2": "audio/3gpp2"}


def probe_av(path: str | os.PathLike, claimed_mime: str | None = None) -> dict:
    """Describe a video or audio file without decoding it.

    Returns ``{"kind", "mime", "size", "duration", "warnings"}`` where
    ``duration`` is seconds (float) or ``None`` when the container does not
    state it cheaply.  MP4-family files add ``truncated`` (a box runs past
    the end of the file: the recording or upload was cut off) and may add
    ``has_video``, ``has_audio``, ``width``, ``height`` and ``created_at``
    (ISO 8601 UTC, as the device wrote it); a file with sound tracks only is
    reported as audio.  WAV adds
    ``sample_rate`` and ``channels``.  Raises ``MediaError("unsupported_type")``
    for anything that does not sniff as video or audio (photos included:
    use ``process_image`` for them).
    """
    size = os.path.getsize(path)
    with open(path, "rb") as f:
        found = sniff_detail(f.read(SNIFF_BYTES), claimed_mime)
        if found.kind == PHOTO:
            raise MediaError("unsupported_type", "这是图片文件，不是音视频。", mime=found.mime)
        info: dict = {"kind": found.kind, "mime": found.mime, "size": size, "duration": None, "warnings": []}
        if found.container == "isobmff":
            _probe_isobmff(f, size, info)
            if info.get("has_video") is False and info.get("has_audio") and info["kind"] != AUDIO:
                info["kind"] = AUDIO
                info["mime"] = _AUDIO_MIME_OF.get(info["mime"], info["mime"])
        elif found.container == "wav":
            _probe_wav(f, size, info)
    return info


# -- ISO base media file format (MP4, MOV, 3GP, M4A) ----------------------------


def _probe_isobmff(f: BinaryIO, size: int, info: dict) -> None:
    warnings = info["warnings"]
    budget = Budget()
    # Walk the whole top level: a box running past the end of the file is how
    # a cut-off recording shows (usually mdat, sometimes moov itself).
    moov = None
    for box_type, payload, box_end in iter_boxes(f, 0, size, budget, warnings):
        if box_type == b"moov" and moov is None:
            moov = payload, box_end
    info["truncated"] = any("truncated" in w for w in warnings)
    if moov is None:
        warnings.append("mp4: no moov box (file incomplete or moov not written)")
        return
    moov_start, moov_end = moov
    timescale = None
    tracks = {"vide": False, "soun": False}
    for box_type, payload, box_end in iter_boxes(f, moov_start, moov_end, budget, warnings):
        if box_type == b"mvhd":
            timescale = _read_mvhd(f, payload, box_end, info)
        elif box_type == b"trak":
            _read_trak(f, payload, box_end, budget, warnings, tracks, info)
        elif box_type == b"mvex" and not info["duration"] and timescale:
            # Fragmented MP4 (e.g. Safari's MediaRecorder): mvhd says 0, mehd has it.
            mehd = find_box(f, payload, box_end, b"mehd", budget, warnings)
            if mehd:
                duration = _read_full_box_uint(f, mehd[0], mehd[1])
                if duration:
                    info["duration"] = round(duration / timescale, 3)
    info["has_video"] = tracks["vide"]
    info["has_audio"] = tracks["soun"]


def _read_full_box_uint(f: BinaryIO, payload: int, end: int) -> int | None:
    """The first field of a full box: 32-bit in version 0, 64-bit in version 1."""
    f.seek(payload)
    data = f.read(min(end - payload, 12))
    try:
        return struct.unpack_from(">Q" if data[0] == 1 else ">I", data, 4)[0]
    except (struct.error, IndexError):
        return None


def _read_mvhd(f: BinaryIO, payload: int, end: int, info: dict) -> int | None:
    f.seek(payload)
    data = f.read(min(end - payload, 40))
    try:
        if data[0] == 1:
            created, _modified, timescale, duration = struct.unpack_from(">QQIQ", data, 4)
            unknown = 0xFFFFFFFFFFFFFFFF
        else:
            created, _modified, timescale, duration = struct.unpack_from(">IIII", data, 4)
            unknown = 0xFFFFFFFF
    except (struct.error, IndexError):
        info["warnings"].append("mp4: mvhd box too short")
        return None
    if not timescale:
        info["warnings"].append("mp4: mvhd timescale is zero")
        return None
    if duration and duration != unknown:
        info["duration"] = round(duration / timescale, 3)
    if created:
        try:
            info["created_at"] = (_MAC_EPOCH + timedelta(seconds=created)).isoformat()
        except OverflowError:
            info["warnings"].append("mp4: creation time out of range")
    return timescale


def _read_trak(f, start, end, budget, warnings, tracks, info) -> None:
    tkhd_size = None
    handler = None
    for box_type, payload, box_end in iter_boxes(f, start, end, budget, warnings):
        if box_type == b"tkhd":
            f.seek(payload)
            data = f.read(min(box_end - payload, 96))
            # width and height are the last two 16.16 fixed-point fields
            expected = 96 if data[:1] == b"\x01" else 84
            if len(data) >= expected:
                w, h = struct.unpack_from(">II", data, expected - 8)
                tkhd_size = (w >> 16, h >> 16)
        elif box_type == b"mdia":
            hdlr = find_box(f, payload, box_end, b"hdlr", budget, warnings)
            if hdlr:
                f.seek(hdlr[0] + 8)  # version/flags (4) + pre_defined (4)
                handler = f.read(4).decode("latin-1")
    if handler in tracks:
        tracks[handler] = True
    if handler == "vide" and tkhd_size and tkhd_size[0] and "width" not in info:
        info["width"], info["height"] = tkhd_size


# -- WAV / RF64 -----------------------------------------------------------------


def _probe_wav(f: BinaryIO, size: int, info: dict) -> None:
    warnings = info["warnings"]
    f.seek(0)
    riff = f.read(4)
    pos = 12
    byte_rate = None
    data_size = None
    rf64_data_size = None
    for _ in range(1000):
        f.seek(pos)
        header = f.read(8)
        if len(header) < 8:
            break
        chunk_id, chunk_size = struct.unpack("<4sI", header)
        body = pos + 8
        if chunk_id == b"ds64":
            ds = f.read(min(chunk_size, 28))
            if len(ds) >= 16:
                rf64_data_size = struct.unpack_from("<Q", ds, 8)[0]
        elif chunk_id == b"fmt ":
            fmt = f.read(min(chunk_size, 16))
            if len(fmt) >= 16:
                _format, channels, rate, byte_rate, _align, _bits = struct.unpack("<HHIIHH", fmt)
                info["channels"], info["sample_rate"] = channels, rate
        elif chunk_id == b"data":
            data_size = chunk_size
            if riff in (b"RF64", b"BW64") and chunk_size == 0xFFFFFFFF and rf64_data_size is not None:
                data_size = rf64_data_size
            available = size - body
            if data_size > available:
                # Recorders that were cut off never rewrite the header.
                warnings.append("wav: data chunk larger than the file; using the bytes present")
                data_size = available
            break
        pos = body + chunk_size + (chunk_size & 1)  # chunks are padded to even sizes
    if byte_rate and data_size is not None:
        info["duration"] = round(data_size / byte_rate, 3)
    elif data_size is None:
        warnings.append("wav: no data chunk")
    else:
        warnings.append("wav: no usable fmt chunk")
