"""Real clients over real HTTP: the tuspy client, and a connection that drops mid-body."""
from __future__ import annotations

import socket
import time
import uuid
from urllib.parse import urlsplit

import pytest
import requests
from tusclient import client as tus_client
from tusclient.exceptions import TusCommunicationError, TusUploadFailed

from tests.media.tus_support import TUS, UPLOADS, Tus, serve, sha256

PHOTO = "gps_DSCN0021.jpg"


def _wait_for_offset(base, location, headers, expected, timeout=30.0) -> int:
    """Poll HEAD until the server has processed a broken request (bounded wait, not a timing assertion)."""
    deadline = time.monotonic() + timeout
    offset = -1
    while time.monotonic() < deadline:
        resp = requests.head(base + location, headers={**headers, **TUS})
        offset = int(resp.headers.get("Upload-Offset", -1))
        if offset == expected:
            return offset
        time.sleep(0.05)
    return offset


def test_tuspy_upload_interrupted_and_resumed_by_a_new_uploader(app, login, photos):
    path = photos / PHOTO
    data = path.read_bytes()
    headers = login("scjg-insp1")
    media_id = str(uuid.uuid4())
    meta = {"media_id": media_id, "sha256": sha256(data), "content_type": "image/jpeg", "filename": PHOTO}
    with serve(app) as base:
        client = tus_client.TusClient(base + UPLOADS, headers=headers)
        first = client.uploader(file_path=str(path), chunk_size=16 * 1024, metadata=meta, upload_checksum=True)
        first.upload(stop_at=5 * 16 * 1024)  # the phone goes out of coverage after five chunks
        assert first.offset == 5 * 16 * 1024 < len(data)
        assert first.url.startswith(base + UPLOADS)

        # Later, after an app restart: a new uploader with the stored URL asks HEAD where to go on.
        second = client.uploader(file_path=str(path), chunk_size=16 * 1024, url=first.url, upload_checksum=True)
        assert second.offset == first.offset
        second.upload()
        assert second.offset == len(data)

        original = requests.get(f"{base}/api/v1/media/{media_id}/original", headers=headers)
        assert original.status_code == 200 and original.content == data
        meta = requests.get(f"{base}/api/v1/media/{media_id}", headers=headers).json()
        assert meta["preview"]["state"] == "ready" and meta["exif"]["gps"]["lat"] == pytest.approx(43.4674, abs=1e-3)
        thumb = requests.get(f"{base}/api/v1/media/{media_id}/thumb", headers=headers)
        assert thumb.status_code == 200 and thumb.headers["Content-Type"] == "image/jpeg"

        # Resuming a finished upload is a no-op that reports completion.
        third = client.uploader(file_path=str(path), chunk_size=16 * 1024, url=first.url)
        assert third.offset == len(data)


def test_tuspy_sees_a_refused_upload(app, login, photos):
    path = photos / PHOTO
    meta = {"media_id": str(uuid.uuid4()), "sha256": "0" * 64, "content_type": "image/jpeg", "filename": PHOTO}
    with serve(app) as base:
        client = tus_client.TusClient(base + UPLOADS, headers=login("scjg-insp1"))
        uploader = client.uploader(file_path=str(path), chunk_size=64 * 1024, metadata=meta)
        with pytest.raises(TusUploadFailed) as info:
            uploader.upload()
        assert info.value.status_code == 422 and b"checksum_mismatch" in info.value.response_content
        with pytest.raises(TusCommunicationError):
            client.uploader(file_path=str(path), url=uploader.url)  # the refused upload is gone (404)


def test_connection_dropped_mid_body_keeps_the_bytes_that_arrived(app, client, login, photos):
    data = (photos / PHOTO).read_bytes()
    headers = login("scjg-insp1")
    location = Tus(client, headers).create(data).headers["Location"]
    with serve(app) as base:
        host, port = urlsplit(base).hostname, urlsplit(base).port
        sock = socket.create_connection((host, port))
        request_head = (
            f"PATCH {location} HTTP/1.1\r\nHost: {host}:{port}\r\n"
            f"Authorization: {headers['Authorization']}\r\nTus-Resumable: 1.0.0\r\n"
            f"Upload-Offset: 0\r\nContent-Type: application/offset+octet-stream\r\n"
            f"Content-Length: {len(data)}\r\n\r\n"
        ).encode()
        sock.sendall(request_head + data[:40_000])
        sock.close()  # the signal goes
        assert _wait_for_offset(base, location, headers, 40_000) == 40_000

        rest = requests.patch(base + location, data=data[40_000:], headers={
            **headers, **TUS, "Upload-Offset": "40000", "Content-Type": "application/offset+octet-stream"})
        assert rest.status_code == 204 and rest.headers["Upload-Offset"] == str(len(data))
