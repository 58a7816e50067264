"""Defensive EXIF reading: capture time, position, device, orientation.

EXIF comes from the phone and is untrusted: IFD offsets point anywhere,
rationals have zero denominators, strings carry NULs, references are
missing.  ``read_exif`` never raises; whatever cannot be read is left out
and explained in ``warnings`` (stable English ``area: detail`` strings).

Returned dictionary (JSON-serialisable, fixed keys)::

    {
      "captured_at": "2008-10-22T16:28:39" | "2022-02-16T12:55:41.762+01:00" | None,
      "captured_at_naive": True,    # True: no UTC offset recorded -- device
                                    # local time, zone unknown (most cameras)
      "captured_at_source": "DateTimeOriginal" | "DateTimeDigitized" | "DateTime" | None,
      "gps": {"lat": 43.467448, "lon": 11.885127, "alt": 123.4 | None,
              "accuracy_m": 5.0 | None, "timestamp_utc": "…+00:00" | None} | None,
      "make": "NIKON" | None, "model": "COOLPIX P6000" | None, "software": … | None,
      "orientation": 1..8 (1 when absent or invalid),
      "warnings": [...],
    }
"""
from __future__ import annotations

import math
import re
import warnings as _warnings
from datetime import datetime, timedelta, timezone
from typing import Any

from PIL import ExifTags, Image

# Tags (numbers from the EXIF 2.32 / TIFF 6 specifications)
_MAKE, _MODEL, _SOFTWARE, _ORIENTATION, _DATETIME = 0x010F, 0x0110, 0x0131, 0x0112, 0x0132
_DT_ORIGINAL, _DT_DIGITIZED = 0x9003, 0x9004
_OFFSET_ORIGINAL, _OFFSET_DIGITIZED, _OFFSET = 0x9011, 0x9012, 0x9010
_SUBSEC_ORIGINAL, _SUBSEC_DIGITIZED, _SUBSEC = 0x9291, 0x9292, 0x9290
_GPS_LAT_REF, _GPS_LAT, _GPS_LON_REF, _GPS_LON = 1, 2, 3, 4
_GPS_ALT_REF, _GPS_ALT, _GPS_TIME, _GPS_DATE, _GPS_HPOS_ERROR = 5, 6, 7, 29, 31

_DATETIME_RE = re.compile(r"^\s*(\d{4})[:\-/](\d{2})[:\-/](\d{2})[ T](\d{2}):(\d{2}):(\d{2})")
_OFFSET_RE = re.compile(r"^\s*([+-])(\d{2}):?(\d{2})\s*$")
_MAX_TEXT = 128  # device strings longer than this are junk or an attack

# (datetime tag, offset tag, subsecond tag, name) in order of preference
_TIME_SOURCES = (
    (_DT_ORIGINAL, _OFFSET_ORIGINAL, _SUBSEC_ORIGINAL, "DateTimeOriginal"),
    (_DT_DIGITIZED, _OFFSET_DIGITIZED, _SUBSEC_DIGITIZED, "DateTimeDigitized"),
)


def empty_exif() -> dict:
    """The result for an image without (readable) EXIF."""
    return {
        "captured_at": None,
        "captured_at_naive": None,
        "captured_at_source": None,
        "gps": None,
        "make": None,
        "model": None,
        "software": None,
        "orientation": 1,
        "warnings": [],
    }


def read_exif(image: Image.Image | Image.Exif) -> dict:
    """Read capture time, GPS, make/model/software and orientation; never raises.

    ``image`` is an opened (not necessarily loaded) Pillow image, or an
    ``Image.Exif``.  Capture time prefers DateTimeOriginal with
    OffsetTimeOriginal; without an offset the time is returned naive and
    ``captured_at_naive`` is True.  See the module docstring for the keys.
    """
    result = empty_exif()
    warnings: list[str] = result["warnings"]
    # Pillow reports damaged IFDs with UserWarning("Corrupt EXIF data…"): record
    # them in the result instead of the server log.  (catch_warnings swaps a
    # process-wide list; a concurrent thread can at worst lose a log line.)
    with _warnings.catch_warnings(record=True) as caught:
        _warnings.simplefilter("always")
        try:
            exif = image if isinstance(image, Image.Exif) else image.getexif()
        except Exception as exc:  # Pillow raises many types on broken APP1 data
            warnings.append(f"exif: unreadable ({type(exc).__name__})")
            return result
        ifd0 = _safe_items(exif, warnings, "ifd0")
        exif_ifd = _sub_ifd(exif, ExifTags.IFD.Exif, warnings, "exif_ifd")
        gps_ifd = _sub_ifd(exif, ExifTags.IFD.GPSInfo, warnings, "gps_ifd")
    for message in dict.fromkeys(str(w.message).strip()[:120] for w in caught):
        warnings.append(f"exif: {message}")

    try:
        result["make"] = _text(ifd0.get(_MAKE))
        result["model"] = _text(ifd0.get(_MODEL))
        result["software"] = _text(ifd0.get(_SOFTWARE))
        result["orientation"] = _orientation(ifd0.get(_ORIENTATION), warnings)
        _capture_time(ifd0, exif_ifd, result, warnings)
        if gps_ifd:
            result["gps"] = _gps(gps_ifd, warnings)
    except Exception as exc:  # a value shape nobody foresaw: keep what was read so far
        warnings.append(f"exif: unexpected value ({type(exc).__name__})")
    return result


# -- helpers ------------------------------------------------------------------


def _safe_items(mapping: Any, warnings: list, area: str) -> dict:
    try:
        return dict(mapping.items())
    except Exception as exc:
        warnings.append(f"{area}: unreadable ({type(exc).__name__})")
        return {}


def _sub_ifd(exif: Image.Exif, tag: int, warnings: list, area: str) -> dict:
    try:
        return _safe_items(exif.get_ifd(tag), warnings, area)
    except Exception as exc:  # bad offsets, loops, truncated data
        warnings.append(f"{area}: unreadable ({type(exc).__name__})")
        return {}


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if not isinstance(value, str):
        value = str(value)
    value = value.replace("\x00", "").strip()
    return value[:_MAX_TEXT] or None


def _number(value: Any) -> float | None:
    """A finite float from an IFDRational, int, float or (num, den) pair, else None."""
    try:
        if isinstance(value, tuple) and len(value) == 2 and all(isinstance(v, int) for v in value):
            num, den = value  # a raw rational that Pillow did not wrap
            value = num / den if den else math.nan
        elif getattr(value, "denominator", 1) == 0:
            return None  # IFDRational(x, 0) reads as NaN; treat it as missing
        number = float(value)
    except (TypeError, ValueError, ZeroDivisionError, OverflowError):
        return None
    return number if math.isfinite(number) else None


def _orientation(value: Any, warnings: list) -> int:
    if value is None:
        return 1
    try:
        orientation = int(value)
    except (TypeError, ValueError):
        orientation = 0
    if 1 <= orientation <= 8:
        return orientation
    warnings.append(f"orientation: invalid value {str(value)[:20]!r}, using 1")
    return 1


def _capture_time(ifd0: dict, exif_ifd: dict, result: dict, warnings: list) -> None:
    sources = [(exif_ifd, *source) for source in _TIME_SOURCES]
    # IFD0 DateTime is the file's modification time: a last resort only.
    sources.append((ifd0, _DATETIME, None, None, "DateTime"))
    for ifd, dt_tag, offset_tag, subsec_tag, name in sources:
        raw = _text(ifd.get(dt_tag))
        if raw is None:
            continue
        parsed = _parse_datetime(raw)
        if parsed is None:
            warnings.append(f"time: unparseable {name} {raw[:32]!r}")
            continue
        subsec = _text(exif_ifd.get(subsec_tag)) if subsec_tag else None
        if subsec and subsec.isdigit():
            parsed = parsed.replace(microsecond=int(subsec[:6].ljust(6, "0")))
        offset_raw = _text(exif_ifd.get(offset_tag)) if offset_tag else None
        if offset_raw is None and name == "DateTimeOriginal":
            offset_raw = _text(exif_ifd.get(_OFFSET))
        tz = _parse_offset(offset_raw, warnings) if offset_raw else None
        if tz is not None:
            parsed = parsed.replace(tzinfo=tz)
        if name == "DateTime":
            warnings.append("time: no DateTimeOriginal; using DateTime (last modification)")
        result["captured_at"] = parsed.isoformat()
        result["captured_at_naive"] = tz is None
        result["captured_at_source"] = name
        return


def _parse_datetime(raw: str) -> datetime | None:
    match = _DATETIME_RE.match(raw)
    if not match:
        return None
    try:
        return datetime(*(int(part) for part in match.groups()))
    except ValueError:  # 0000:00:00 00:00:00, month 13, …
        return None


def _parse_offset(raw: str, warnings: list) -> timezone | None:
    match = _OFFSET_RE.match(raw)
    if match:
        sign, hours, minutes = match.groups()
        delta = timedelta(hours=int(hours), minutes=int(minutes))
        if delta <= timedelta(hours=14):
            return timezone(-delta if sign == "-" else delta)
    warnings.append(f"time: invalid UTC offset {raw[:16]!r}")
    return None


def _gps(gps: dict, warnings: list) -> dict | None:
    lat = _coordinate(gps.get(_GPS_LAT), gps.get(_GPS_LAT_REF), "NS", 90.0, "latitude", warnings)
    lon = _coordinate(gps.get(_GPS_LON), gps.get(_GPS_LON_REF), "EW", 180.0, "longitude", warnings)
    if lat is None or lon is None:
        if gps.get(_GPS_LAT) is not None or gps.get(_GPS_LON) is not None:
            warnings.append("gps: position incomplete, ignored")
        return None
    if lat == 0.0 and lon == 0.0:
        warnings.append("gps: position is 0,0 (probably no fix)")
    return {
        "lat": round(lat, 7),  # 1e-7 degrees is about 1 cm: more is noise
        "lon": round(lon, 7),
        "alt": _altitude(gps, warnings),
        "accuracy_m": _number(gps.get(_GPS_HPOS_ERROR)),
        "timestamp_utc": _gps_timestamp(gps, warnings),
    }


def _coordinate(value: Any, ref: Any, refs: str, limit: float, name: str, warnings: list) -> float | None:
    if value is None:
        return None
    parts = value if isinstance(value, (tuple, list)) else (value,)
    if not 1 <= len(parts) <= 3:
        warnings.append(f"gps: {name} has {len(parts)} components")
        return None
    numbers = [_number(part) for part in parts]
    if any(n is None or n < 0 for n in numbers):
        warnings.append(f"gps: {name} has an invalid component (zero denominator or negative)")
        return None
    degrees = sum(n / 60**i for i, n in enumerate(numbers))
    ref_text = (_text(ref) or "").upper()[:1]
    if ref_text == refs[1]:
        degrees = -degrees
    elif ref_text != refs[0]:
        warnings.append(f"gps: {name} reference {ref_text or 'missing'!r}, assuming {refs[0]}")
    if abs(degrees) > limit:
        warnings.append(f"gps: {name} {degrees:.4f} out of range")
        return None
    return degrees


def _altitude(gps: dict, warnings: list) -> float | None:
    raw = gps.get(_GPS_ALT)
    if raw is None:
        return None
    altitude = _number(raw)
    if altitude is None:
        warnings.append("gps: altitude unreadable")
        return None
    ref = gps.get(_GPS_ALT_REF)
    if isinstance(ref, bytes):
        ref = ref[:1] == b"\x01"
    elif ref is not None:
        try:
            ref = int(ref) == 1
        except (TypeError, ValueError):
            ref = False
    return round(-altitude if ref else altitude, 2)


def _gps_timestamp(gps: dict, warnings: list) -> str | None:
    date_raw = _text(gps.get(_GPS_DATE))
    time_raw = gps.get(_GPS_TIME)
    if not date_raw or not isinstance(time_raw, (tuple, list)) or len(time_raw) != 3:
        return None
    numbers = [_number(part) for part in time_raw]
    match = re.match(r"^(\d{4})[:\-](\d{2})[:\-](\d{2})$", date_raw)
    if not match or any(n is None for n in numbers):
        warnings.append("gps: timestamp unreadable")
        return None
    hours, minutes, seconds = numbers
    try:
        day = datetime(*(int(p) for p in match.groups()), tzinfo=timezone.utc)
        stamp = day + timedelta(hours=hours, minutes=minutes, seconds=seconds)
    except (ValueError, OverflowError):
        warnings.append("gps: timestamp out of range")
        return None
    return stamp.isoformat()
