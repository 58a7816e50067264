"""A small, bounded reader for ISO base media files (MP4, MOV, 3GP, HEIF).

Boxes are ``size(4) type(4) [largesize(8)] payload``.  Everything here reads
untrusted bytes: each size is checked against its parent, a ``Budget``
bounds the number of boxes visited, and damage produces a warning string,
never an exception or a loop.
"""
from __future__ import annotations

import struct
from typing import BinaryIO, Iterator

MAX_BOXES = 10_000  # a real phone file has a few dozen boxes at the levels we visit
MAX_ITEMS = 100_000  # HEIF items (grid tiles, thumbnails, metadata): ~100 on an iPhone


class Budget:
    """Counts visited boxes so that a hostile file cannot make a walk loop."""

    def __init__(self, limit: int = MAX_BOXES) -> None:
        self.left = limit

    def spend(self) -> bool:
        self.left -= 1
        return self.left >= 0


def iter_boxes(
    f: BinaryIO, start: int, end: int, budget: Budget, warnings: list[str]
) -> Iterator[tuple[bytes, int, int]]:
    """Yield ``(type, payload_start, box_end)`` for the boxes in ``[start, end)``.

    A box that claims to run past ``end`` is clipped and reported
    ("truncated" in the warning), which is how a cut-off upload shows.
    """
    pos = start
    while pos + 8 <= end:
        if not budget.spend():
            warnings.append("isobmff: too many boxes, stopped reading")
            return
        f.seek(pos)
        header = f.read(8)
        if len(header) < 8:
            return
        size, box_type = struct.unpack(">I4s", header)
        header_len = 8
        if size == 1:  # 64-bit size follows the type
            large = f.read(8)
            if len(large) < 8:
                return
            size = struct.unpack(">Q", large)[0]
            header_len = 16
        elif size == 0:  # the box runs to the end of its parent (or the file)
            size = end - pos
        if size < header_len:
            warnings.append(f"isobmff: invalid size {size} for box {box_type!r} at {pos}")
            return
        box_end = pos + size
        if box_end > end:
            warnings.append(f"isobmff: box {box_type!r} at {pos} is truncated")
            box_end = end
        yield box_type, pos + header_len, box_end
        pos = box_end


def find_box(f: BinaryIO, start: int, end: int, box_type: bytes, budget: Budget, warnings: list[str]):
    """``(payload_start, box_end)`` of the first ``box_type`` box in ``[start, end)``, or None."""
    for found_type, payload, box_end in iter_boxes(f, start, end, budget, warnings):
        if found_type == box_type:
            return payload, box_end
    return None


def iloc_data_end(f: BinaryIO, size: int, warnings: list[str]) -> int | None:
    """The end of the last byte that a HEIF file's items reference, or None.

    libheif decodes a grid image whose tiles lie past the end of a cut-off
    file by painting the missing tiles green, without an error.  Comparing
    this value with the file size catches such truncation before decoding.
    Only extents addressed by file offset (construction method 0) count.
    """
    budget = Budget()
    meta = find_box(f, 0, size, b"meta", budget, warnings)
    if meta is None:
        return None
    iloc = find_box(f, meta[0] + 4, meta[1], b"iloc", budget, warnings)  # meta is a full box
    if iloc is None:
        return None
    f.seek(iloc[0])
    data = f.read(iloc[1] - iloc[0])
    try:
        return _iloc_max_end(data)
    except (struct.error, IndexError, ValueError):
        warnings.append("isobmff: iloc box unreadable")
        return None


def _iloc_max_end(data: bytes) -> int | None:
    version = data[0]
    offset_size, length_size = data[4] >> 4, data[4] & 0xF
    base_offset_size = data[5] >> 4
    index_size = data[5] & 0xF if version in (1, 2) else 0
    pos = 6

    def uint(width: int) -> int:
        nonlocal pos
        if width > 8 or pos + width > len(data):
            raise ValueError("iloc field out of bounds")
        value = int.from_bytes(data[pos:pos + width], "big")
        pos += width
        return value

    item_count = uint(2) if version < 2 else uint(4)
    if item_count > MAX_ITEMS:
        raise ValueError("too many items")
    data_end = None
    for _ in range(item_count):
        uint(2) if version < 2 else uint(4)  # item_ID
        method = uint(2) & 0xF if version in (1, 2) else 0
        uint(2)  # data_reference_index
        base = uint(base_offset_size)
        for _ in range(uint(2)):  # extent_count
            if index_size:
                uint(index_size)
            offset = uint(offset_size)
            length = uint(length_size)
            if method == 0 and length:  # length 0 means "to the end of the file"
                end = base + offset + length
                data_end = end if data_end is None else max(data_end, end)
    return data_end
