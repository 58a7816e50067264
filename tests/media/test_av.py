"""probe_av(): durations from MP4/MOV/3GP/M4A and WAV headers, defensively."""
from __future__ import annotations

import struct
import wave

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from media.av import probe_av
from media.errors import MediaError
from tests.media.builders import box, full_box, mp4, mvhd, trak


def write(tmp_path, name: str, data: bytes):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_mp4_duration_tracks_size_and_creation(tmp_path):
    info = probe_av(write(tmp_path, "a.mp4", mp4(timescale=600, duration=7530)))
    assert info["kind"] == "video" and info["mime"] == "video/mp4"
    assert info["duration"] == pytest.approx(12.55)
    assert (info["has_video"], info["has_audio"]) == (True, True)
    assert (info["width"], info["height"]) == (1920, 1080)
    assert info["created_at"].startswith("2021-")  # 3.7e9 s after 1904-01-01
    assert info["truncated"] is False and info["warnings"] == []
    assert info["size"] == len(mp4(timescale=600, duration=7530))


def test_moov_after_mdat_and_64_bit_mvhd(tmp_path):
    data = mp4(brand=b"qt  ", moov_first=False, mdat_size=200_000, version=1, timescale=90000, duration=90000 * 61)
    info = probe_av(write(tmp_path, "b.mov", data))
    assert info["mime"] == "video/quicktime" and info["duration"] == pytest.approx(61.0)


def test_audio_only_mp4_and_m4a(tmp_path):
    info = probe_av(write(tmp_path, "voice.mp4", mp4(tracks=(b"soun",), timescale=44100, duration=44100 * 3)))
    assert info["kind"] == "audio" and info["mime"] == "audio/mp4" and info["duration"] == 3.0
    info = probe_av(write(tmp_path, "voice.m4a", mp4(brand=b"M4A ", tracks=(b"soun",), timescale=1000, duration=2500)))
    assert info["kind"] == "audio" and info["duration"] == 2.5


def test_3gp(tmp_path):
    info = probe_av(write(tmp_path, "c.3gp", mp4(brand=b"3gp5", timescale=1000, duration=4000)))
    assert info["mime"] == "video/3gpp" and info["duration"] == 4.0


def test_fragmented_mp4_duration_from_mehd(tmp_path):
    mvex = box(b"mvex", full_box(b"mehd", 0, struct.pack(">I", 5000)))
    moov = box(b"moov", mvhd(timescale=1000, duration=0) + trak(b"vide", 640, 480) + mvex)
    data = box(b"ftyp", b"iso5\x00\x00\x02\x00iso5") + moov + box(b"moof", b"\x00" * 32)
    assert probe_av(write(tmp_path, "frag.mp4", data))["duration"] == 5.0


def test_truncated_recording(tmp_path):
    data = mp4(timescale=1000, duration=10_000, mdat_size=100_000)
    info = probe_av(write(tmp_path, "cut.mp4", data[:50_000]))
    assert info["truncated"] is True
    assert info["duration"] == 10.0  # the header still says what was meant
    info = probe_av(write(tmp_path, "cut2.mp4", mp4(moov_first=False, timescale=1, duration=1)[:3000]))
    assert info["duration"] is None and info["truncated"] is True
    assert any("moov" in w for w in info["warnings"])


@pytest.mark.parametrize(
    "moov_payload",
    [
        b"\x00\x00\x00\x04mvhd",  # size smaller than the header
        struct.pack(">I", 0xFFFFFFF0) + b"mvhd",  # claims far past the end
        full_box(b"mvhd", 0, b"\x00" * 8 + struct.pack(">II", 0, 100)),  # timescale 0
        full_box(b"mvhd", 0, b"\x00" * 4),  # too short
        box(b"trak", box(b"mdia", b"\x00\x00\x00\x00hdlr")),  # size 0 box inside: runs to its parent's end
    ],
)
def test_hostile_boxes_give_warnings_not_errors(tmp_path, moov_payload):
    data = box(b"ftyp", b"isom\x00\x00\x00\x00isom") + box(b"moov", moov_payload)
    info = probe_av(write(tmp_path, "bad.mp4", data))
    assert info["duration"] is None


def test_box_bomb_is_bounded(tmp_path):
    # 200,000 empty boxes: the walk stops at its budget instead of crawling them all
    data = box(b"ftyp", b"isom\x00\x00\x00\x00isom") + b"\x00\x00\x00\x08free" * 200_000
    info = probe_av(write(tmp_path, "boxes.mp4", data))
    assert any("too many boxes" in w for w in info["warnings"])


def test_wav_duration(tmp_path):
    path = tmp_path / "r.wav"
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes(b"\x00\x00" * 16000 * 2 + b"\x00\x00" * 8000)
    info = probe_av(path)
    assert info == {"kind": "audio", "mime": "audio/wav", "size": path.stat().st_size, "duration": 2.5,
                    "warnings": [], "channels": 1, "sample_rate": 16000}


def test_wav_cut_off_uses_bytes_present(tmp_path):
    path = tmp_path / "cut.wav"
    with wave.open(str(path), "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"\x00" * 4 * 8000 * 4)  # 4 s
    data = path.read_bytes()
    path.write_bytes(data[: 44 + 4 * 8000])  # 1 s left
    info = probe_av(path)
    assert info["duration"] == 1.0 and info["warnings"]


@pytest.mark.parametrize(
    "name,head,mime",
    [
        ("a.mp3", b"ID3\x04\x00\x00\x00\x00\x00\x00" + b"\xff\xfb\x90\x64" + b"\x00" * 500, "audio/mpeg"),
        ("a.aac", b"\xff\xf1\x50\x80\x02\x1f\xfc" + b"\x00" * 500, "audio/aac"),
        ("a.amr", b"#!AMR\n" + b"\x3c" * 500, "audio/amr"),
        ("a.ogg", b"OggS\x00\x02" + b"\x00" * 22 + b"OpusHead\x01\x01" + b"\x00" * 400, "audio/ogg"),
        ("a.webm", b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x84webm" + b"\x00" * 400, "video/webm"),
    ],
)
def test_other_containers_have_no_cheap_duration(tmp_path, name, head, mime):
    info = probe_av(write(tmp_path, name, head))
    assert info["mime"] == mime and info["duration"] is None and info["size"] == len(head)


def test_claimed_audio_webm(tmp_path):
    path = write(tmp_path, "voice.webm", b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x84webm" + b"\x00" * 40)
    info = probe_av(path, claimed_mime="audio/webm;codecs=opus")
    assert (info["kind"], info["mime"]) == ("audio", "audio/webm")


def test_photos_and_unknown_files_are_refused(tmp_path, photos):
    with pytest.raises(MediaError) as info:
        probe_av(photos / "Canon_40D.jpg")
    assert info.value.code == "unsupported_type"
    with pytest.raises(MediaError):
        probe_av(write(tmp_path, "x.bin", b"%PDF-1.4 hello"))


@pytest.mark.timeout(120)
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_mutated_mp4_and_wav_never_raise(tmp_path, data):
    base = data.draw(st.sampled_from([
        mp4(timescale=1000, duration=5000),
        mp4(moov_first=False, version=1, timescale=48000, duration=48000),
        b"RIFF\x24\x00\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00\x01\x00\x40\x1f\x00\x00\x80\x3e\x00\x00"
        b"\x02\x00\x10\x00data\x00\x00\x00\x00",
    ]))
    blob = bytearray(base)
    for position, value in data.draw(st.lists(st.tuples(st.integers(8, len(blob) - 1), st.integers(0, 255)),
                                              max_size=10)):
        blob[position] = value
    path = write(tmp_path, "fuzz.bin", bytes(blob[: data.draw(st.integers(12, len(blob)))]))
    try:
        info = probe_av(path)
    except MediaError as exc:
        assert exc.code == "unsupported_type"
    else:
        assert info["duration"] is None or info["duration"] >= 0
