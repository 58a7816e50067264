"""Interrupted uploads resume from what the server really holds, byte-exact."""
from __future__ import annotations

import base64
import hashlib
import random
import uuid

import pytest

from tests.media.tus_support import Tus, sha256, stored_files, temp_files
from tests.support.http import assert_problem


@pytest.fixture
def insp(client, login):
    return Tus(client, login("scjg-insp1"))


def _resume_with_random_drops(insp, data: bytes, rnd: random.Random, *, checksums: bool) -> tuple[str, int]:
    """Send ``data`` like a phone on a bad network; return (media_id, number of drops)."""
    media_id = str(uuid.uuid4())
    location = insp.create(data, media_id=media_id).headers["Location"]
    believed = 0  # where the phone thinks it is
    drops = 0
    for _ in range(500):
        head = insp.head(location)
        assert head.status_code == 200
        server = int(head.headers["Upload-Offset"])
        assert server >= believed or drops, "the server never loses acknowledged bytes"
        if server == len(data):
            return media_id, drops
        believed = server
        size = rnd.randint(1, max(1, len(data) // 6))
        chunk = data[believed:believed + size]
        checksum = None
        if checksums:
            algorithm = rnd.choice(["sha1", "sha256"])
            checksum = f"{algorithm} {base64.b64encode(hashlib.new(algorithm, chunk).digest()).decode()}"
        if rnd.random() < 0.4 and len(chunk) > 1:
            # The signal goes: only part of the body arrives.
            arrived = rnd.randint(0, len(chunk) - 1)
            resp = insp.patch(location, chunk[:arrived], believed, checksum=checksum, declared=len(chunk))
            drops += 1
            if resp.status_code == 204:  # (the phone would not see this reply)
                kept = int(resp.headers["Upload-Offset"]) - believed
                assert kept == (0 if checksums else arrived)
            continue
        if rnd.random() < 0.1 and believed > 0:
            # A stale offset (a reply was lost and the phone resent): 409, nothing changes.
            resp = insp.patch(location, data[believed - 1:believed - 1 + size], believed - 1)
            assert_problem(resp, 409, "offset_mismatch")
            continue
        resp = insp.patch(location, chunk, believed, checksum=checksum)
        assert resp.status_code == 204, resp.get_data(as_text=True)
    raise AssertionError("upload did not finish")


@pytest.mark.parametrize("checksums", [False, True], ids=["plain", "checksums"])
def test_random_interruptions_resume_byte_exact(app, client, login, insp, photos, checksums):
    data = (photos / "hdr_iphone_hdr_NO.jpg").read_bytes()  # ~2 MB iPhone photo
    rnd = random.Random(20261128 + checksums)
    for round_ in range(3):
        media_id, drops = _resume_with_random_drops(insp, data, rnd, checksums=checksums)
        assert drops > 0
        resp = client.get(f"/api/v1/media/{media_id}/original", headers=login("scjg-insp1"))
        assert resp.status_code == 200 and resp.data == data, f"round {round_}"
        meta = client.get(f"/api/v1/media/{media_id}", headers=login("scjg-insp1")).get_json()
        assert meta["sha256"] == sha256(data) and meta["preview"]["state"] == "ready"
    # Three media ids, identical bytes: one original on disk, no partial files left.
    assert len(stored_files(app)) == 1
    assert temp_files(app) == []


def test_cut_off_body_keeps_what_arrived(insp, photos):
    data = (photos / "gps_DSCN0010.jpg").read_bytes()
    location = insp.create(data).headers["Location"]
    resp = insp.patch(location, data[:30_000], 0, declared=100_000)
    assert resp.status_code == 204
    assert insp.head(location).headers["Upload-Offset"] == "30000"
    assert insp.patch(location, data[30_000:], 30_000).status_code == 204


def test_cut_off_chunk_with_checksum_is_discarded(insp, photos):
    data = (photos / "gps_DSCN0010.jpg").read_bytes()
    location = insp.create(data).headers["Location"]
    digest = base64.b64encode(hashlib.sha1(data[:100_000]).digest()).decode()
    resp = insp.patch(location, data[:30_000], 0, declared=100_000, checksum=f"sha1 {digest}")
    assert resp.status_code == 204 and resp.headers["Upload-Offset"] == "0"
    assert insp.head(location).headers["Upload-Offset"] == "0"


def test_a_second_writer_gets_423(app, insp, photos):
    """Two requests never write one upload at once (e.g. a retry while the first still streams)."""
    from media import store, tus
    from media.models import Upload
    from server.extensions import db

    data = (photos / "gps_DSCN0010.jpg").read_bytes()
    location = insp.create(data).headers["Location"]
    with app.app_context():
        upload = db.session.get(Upload, location.rsplit("/", 1)[1])
        path = store.part_path(upload.temp_key)
    with tus.PartFile(path):  # what a PATCH in progress holds
        resp = insp.patch(location, data[:1000], 0)
        assert_problem(resp, 423, "upload_locked")
        assert insp.delete(location).status_code == 423
    assert insp.patch(location, data[:1000], 0).status_code == 204


def test_bytes_lost_after_a_crash_are_asked_for_again(app, insp, photos):
    """If the partial file is shorter than the recorded offset, the server says where it really is."""
    from media import store
    from media.models import Upload
    from server.extensions import db

    data = (photos / "gps_DSCN0010.jpg").read_bytes()
    location = insp.create(data).headers["Location"]
    assert insp.patch(location, data[:50_000], 0).status_code == 204
    with app.app_context():
        path = store.part_path(db.session.get(Upload, location.rsplit("/", 1)[1]).temp_key)
    with open(path, "r+b") as f:
        f.truncate(20_000)
    resp = insp.patch(location, data[50_000:60_000], 50_000)
    body = assert_problem(resp, 409, "offset_mismatch")
    assert body["offset"] == 20_000
    assert insp.patch(location, data[20_000:], 20_000).status_code == 204


def test_leftover_bytes_past_the_offset_are_overwritten(app, insp, photos, client, login):
    """A crash after writing but before recording the offset leaves junk past it: never kept."""
    from media import store
    from media.models import Upload
    from server.extensions import db

    data = (photos / "gps_DSCN0010.jpg").read_bytes()
    media_id = "3d0e2a43-5a4b-4c1c-9f70-2b1d6a1e7c55"
    location = insp.create(data, media_id=media_id).headers["Location"]
    assert insp.patch(location, data[:10_000], 0).status_code == 204
    with app.app_context():
        path = store.part_path(db.session.get(Upload, location.rsplit("/", 1)[1]).temp_key)
    with open(path, "ab") as f:
        f.write(b"junk" * 1000)
    assert insp.patch(location, data[10_000:], 10_000).status_code == 204
    resp = client.get(f"/api/v1/media/{media_id}/original", headers=login("scjg-insp1"))
    assert resp.data == data


def test_a_lost_partial_file_restarts_the_upload_from_zero(app, client, login, insp, photos):
    from media import store
    from media.models import Upload
    from server.extensions import db

    data = (photos / "gps_DSCN0010.jpg").read_bytes()
    created = insp.create(data)
    location, media_id = created.headers["Location"], created.get_json()["media_id"]
    assert insp.patch(location, data[:50_000], 0).status_code == 204
    with app.app_context():
        store.part_path(db.session.get(Upload, location.rsplit("/", 1)[1]).temp_key).unlink()
    body = assert_problem(insp.patch(location, data[50_000:], 50_000), 409, "offset_mismatch")
    assert body["offset"] == 0 and insp.head(location).headers["Upload-Offset"] == "0"
    assert insp.patch(location, data, 0).status_code == 204
    assert client.get(f"/api/v1/media/{media_id}/original", headers=login("scjg-insp1")).data == data
