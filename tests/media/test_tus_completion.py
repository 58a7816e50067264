"""What happens when the last byte arrives: verification, type, processing, storage, audit."""
from __future__ import annotations

import io
import uuid

import pytest
from PIL import Image, ImageChops, ImageStat
from sqlalchemy import select

from tests.media.builders import mp4, png_declaring
from tests.media.tus_support import Tus, sha256, small_png, stored_files, temp_files
from tests.support.http import assert_problem


@pytest.fixture
def insp(client, login):
    return Tus(client, login("scjg-insp1"))


@pytest.fixture
def headers(login):
    return login("scjg-insp1")


def audit_actions(dbs) -> list[str]:
    from server.audit.models import AuditEntry

    with dbs() as s:
        return list(s.scalars(select(AuditEntry.action).where(AuditEntry.action.like("media.%")).order_by(AuditEntry.seq)))


def assert_nothing_kept(app, dbs, media_id):
    from media.models import MediaObject, Upload

    assert stored_files(app) == [] and stored_files(app, "derivatives") == []
    assert temp_files(app) == []
    with dbs() as s:
        assert s.get(MediaObject, media_id) is None
        assert s.scalars(select(Upload).where(Upload.media_id == media_id)).all() == []


def test_whole_file_sha256_mismatch_is_refused_and_nothing_is_kept(app, dbs, insp, photos):
    data = (photos / "gps_DSCN0010.jpg").read_bytes()
    media_id = str(uuid.uuid4())
    claimed = sha256(data[:-1] + b"\x00")  # the phone hashed other bytes
    location = insp.create(data, media_id=media_id, digest=claimed).headers["Location"]
    assert insp.patch(location, data[:100_000], 0).status_code == 204
    body = assert_problem(insp.patch(location, data[100_000:], 100_000), 422, "checksum_mismatch")
    assert "SHA-256" in body["detail"]
    assert_nothing_kept(app, dbs, media_id)
    assert insp.head(location).status_code == 404  # the upload is gone: start again
    assert audit_actions(dbs) == ["media.upload_rejected"]


def test_disallowed_type_is_refused_with_its_first_bytes(app, dbs, insp):
    data = b"%PDF-1.7\n" + b"0" * 200_000
    media_id = str(uuid.uuid4())
    location = insp.create(data, media_id=media_id).headers["Location"]
    resp = insp.patch(location, data[:65_536], 0)  # not after 200 KB: at the first chunk
    assert_problem(resp, 415, "unsupported_type")
    assert_nothing_kept(app, dbs, media_id)


def test_bytes_must_be_what_was_declared(app, dbs, insp):
    video = mp4(timescale=600, duration=6000)
    media_id = str(uuid.uuid4())
    resp = insp.create(video, media_id=media_id, body=video)  # declared image/jpeg
    body = assert_problem(resp, 415, "kind_mismatch")
    assert body["sniffed"] == "video/mp4"
    assert_nothing_kept(app, dbs, media_id)


def test_decompression_bomb_is_413_and_nothing_is_kept(app, dbs, insp):
    bomb = png_declaring(30000, 30000)
    media_id = str(uuid.uuid4())
    _, resp = insp.upload(bomb, media_id=media_id, content_type="image/png", filename="bomb.png")
    body = assert_problem(resp, 413, "image_too_large")
    assert "像素" in body["detail"]
    assert_nothing_kept(app, dbs, media_id)


def mean_abs_diff(a: Image.Image, b: Image.Image) -> float:
    return ImageStat.Stat(ImageChops.difference(a, b)).mean[0]


def test_eight_orientations_give_upright_thumbnails(client, insp, headers, photos):
    thumbs = {}
    for k in range(1, 9):
        media_id, resp = insp.upload((photos / f"orientation_landscape_{k}.jpg").read_bytes(),
                                     filename=f"o{k}.jpg")
        assert resp.status_code == 204
        meta = client.get(f"/api/v1/media/{media_id}", headers=headers).get_json()
        assert (meta["width"], meta["height"]) == (600, 450) and meta["exif"]["orientation"] == k
        thumb = client.get(f"/api/v1/media/{media_id}/thumb", headers=headers)
        assert thumb.status_code == 200
        thumbs[k] = Image.open(io.BytesIO(thumb.data)).convert("L")
        assert thumbs[k].size == (320, 240)
    for k in range(2, 9):
        right = mean_abs_diff(thumbs[k], thumbs[1])
        wrong = mean_abs_diff(thumbs[k], thumbs[1].transpose(Image.Transpose.ROTATE_180))
        assert right < 8 < 30 < wrong, (k, right, wrong)


def test_heic_from_an_iphone(client, insp, headers, photos):
    media_id, resp = insp.upload((photos / "mobile_iphone_13_pro_max.HEIC").read_bytes(), chunk=1_000_000,
                                 content_type="image/heic", filename="IMG_0001.HEIC")
    assert resp.status_code == 204
    meta = client.get(f"/api/v1/media/{media_id}", headers=headers).get_json()
    assert meta["mime"] == "image/heic" and meta["kind"] == "photo"
    assert meta["preview"]["state"] == "ready" and (meta["width"], meta["height"]) == (3024, 4032)
    assert meta["exif"]["model"] == "iPhone 13 Pro Max"
    view = client.get(f"/api/v1/media/{media_id}/view", headers=headers)
    assert Image.open(io.BytesIO(view.data)).size == (1200, 1600)


def test_gps_and_capture_time_from_exif(client, insp, headers, photos):
    media_id, resp = insp.upload((photos / "gps_DSCN0010.jpg").read_bytes())
    exif = client.get(f"/api/v1/media/{media_id}", headers=headers).get_json()["exif"]
    assert exif["captured_at"] == "2008-10-22T16:28:39" and exif["captured_at_naive"] is True
    assert exif["gps"]["lat"] == pytest.approx(43.467448, abs=1e-5)
    assert exif["gps"]["lon"] == pytest.approx(11.885127, abs=1e-5)
    assert exif["make"] == "NIKON"


def test_truncated_photo_is_stored_without_preview(client, insp, headers, truncated_jpeg):
    data = truncated_jpeg.read_bytes()
    media_id, resp = insp.upload(data)
    assert resp.status_code == 204
    meta = client.get(f"/api/v1/media/{media_id}", headers=headers).get_json()
    assert meta["status"] == "arrived" and meta["preview"]["state"] == "no_preview"
    assert meta["preview"]["reason_code"] == "truncated_image" and meta["preview"]["reason"]
    assert set(meta["variants"]) == {"original"}
    for variant in ("view", "thumb"):
        body = assert_problem(client.get(f"/api/v1/media/{media_id}/{variant}", headers=headers), 404, "no_preview")
        assert body["reason_code"] == "truncated_image"
    original = client.get(f"/api/v1/media/{media_id}/original", headers=headers)
    assert original.data == data  # the evidence is kept as received


def test_unreadable_image_is_stored_without_preview(client, insp, headers):
    data = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 40  # a JPEG signature, then garbage
    media_id, resp = insp.upload(data)
    assert resp.status_code == 204
    meta = client.get(f"/api/v1/media/{media_id}", headers=headers).get_json()
    assert meta["preview"] == {"state": "no_preview", "reason_code": "corrupt_image",
                               "reason": meta["preview"]["reason"]}
    assert client.get(f"/api/v1/media/{media_id}/original", headers=headers).data == data


@pytest.mark.parametrize("name", ["corrupted.jpg", "invalid_image01088.jpg", "xmp_no_exif.jpg", "Canon_40D.jpg"])
def test_odd_real_files_never_fail(client, insp, headers, photos, name):
    media_id, resp = insp.upload((photos / name).read_bytes(), chunk=512 * 1024)
    assert resp.status_code == 204
    meta = client.get(f"/api/v1/media/{media_id}", headers=headers).get_json()
    assert meta["preview"]["state"] in ("ready", "no_preview")


def test_video_is_stored_with_duration_and_no_preview(client, insp, headers):
    video = mp4(timescale=600, duration=7530, mdat_size=300_000)
    media_id, resp = insp.upload(video, chunk=100_000, content_type="video/mp4", filename="clip.mp4")
    assert resp.status_code == 204
    meta = client.get(f"/api/v1/media/{media_id}", headers=headers).get_json()
    assert (meta["kind"], meta["mime"], meta["duration"]) == ("video", "video/mp4", pytest.approx(12.55))
    assert (meta["width"], meta["height"]) == (1920, 1080)
    assert meta["preview"]["state"] == "no_preview" and meta["preview"]["reason_code"] == "not_an_image"
    assert_problem(client.get(f"/api/v1/media/{media_id}/thumb", headers=headers), 404, "no_preview")


def test_audio_only_mp4(client, insp, headers):
    audio = mp4(tracks=(b"soun",), timescale=1000, duration=2500)
    media_id, resp = insp.upload(audio, content_type="audio/mp4", filename="voice.m4a")
    assert resp.status_code == 204
    meta = client.get(f"/api/v1/media/{media_id}", headers=headers).get_json()
    assert (meta["kind"], meta["mime"], meta["duration"]) == ("audio", "audio/mp4", 2.5)


def test_signature_images(client, insp, headers):
    media_id, resp = insp.upload(small_png(), content_type="image/png", filename="sig.png", kind="signature")
    assert resp.status_code == 204
    assert client.get(f"/api/v1/media/{media_id}", headers=headers).get_json()["kind"] == "signature"
    _, resp = insp.upload(mp4(timescale=1, duration=1), content_type="image/png", filename="x.png", kind="signature")
    assert_problem(resp, 415, "kind_mismatch")


def test_same_media_again_succeeds_without_a_second_copy(app, dbs, client, insp, headers, photos):
    data = (photos / "gps_DSCN0010.jpg").read_bytes()
    media_id, first = insp.upload(data)
    assert first.status_code == 204
    files = stored_files(app)
    # The reply was lost; the phone sends the whole file again under a new upload.
    _, again = insp.upload(data, media_id=media_id, chunk=60_000)
    assert again.status_code == 204 and again.headers["Upload-Offset"] == str(len(data))
    assert stored_files(app) == files and temp_files(app) == []
    assert audit_actions(dbs) == ["media.upload_completed", "media.upload_completed"]


def test_same_media_id_with_other_bytes_is_409(app, client, insp, login, photos):
    data = (photos / "gps_DSCN0010.jpg").read_bytes()
    media_id, _ = insp.upload(data)
    other = (photos / "gps_DSCN0021.jpg").read_bytes()
    assert_problem(insp.create(other, media_id=media_id), 409, "media_id_conflict")
    # Another user cannot take over someone's media id either, even with the same bytes.
    theirs = Tus(client, login("scjg-insp2"))
    assert_problem(theirs.create(data, media_id=media_id), 409, "media_id_conflict")


def test_identical_bytes_under_two_media_ids_are_stored_once(app, client, insp, headers, photos):
    data = (photos / "Canon_40D.jpg").read_bytes()
    first, _ = insp.upload(data)
    second, _ = insp.upload(data)
    assert first != second
    assert len(stored_files(app)) == 1 and len(stored_files(app, "derivatives")) == 2
    for media_id in (first, second):
        assert client.get(f"/api/v1/media/{media_id}/original", headers=headers).data == data


def test_one_audit_entry_per_upload_not_per_chunk(dbs, insp, photos):
    from server.audit.models import AuditEntry

    data = (photos / "hdr_iphone_hdr_NO.jpg").read_bytes()
    media_id, resp = insp.upload(data, chunk=100_000)
    assert resp.status_code == 204
    assert audit_actions(dbs) == ["media.upload_completed"]
    with dbs() as s:
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "media.upload_completed")).one()
        assert entry.target_id == media_id and entry.actor_user_id is not None
        assert sha256(data) in entry.payload and '"duplicate":false' in entry.payload


def test_termination_is_audited_and_keeps_completed_evidence(app, dbs, client, insp, headers, photos):
    data = (photos / "gps_DSCN0010.jpg").read_bytes()
    created = insp.create(data)
    media_id = created.get_json()["media_id"]
    location = created.headers["Location"]
    assert insp.patch(location, data, 0).status_code == 204
    assert insp.delete(location).status_code == 204
    assert client.get(f"/api/v1/media/{media_id}/original", headers=headers).data == data
    # (and reading the original afterwards is logged as a read, issue 19)
    assert audit_actions(dbs) == ["media.upload_completed", "media.upload_terminated", "media.read"]
