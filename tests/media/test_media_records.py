"""Media records: per-object access, caching and ranges, claims beside EXIF, evidence pending."""
from __future__ import annotations

import uuid

import pytest

from tests.media.builders import mp4
from tests.media.tus_support import Tus, sha256
from tests.support.http import assert_problem


@pytest.fixture
def insp(client, login):
    return Tus(client, login("scjg-insp1"))


@pytest.fixture
def headers(login):
    return login("scjg-insp1")


@pytest.fixture
def photo_id(insp, photos):
    media_id, resp = insp.upload((photos / "gps_DSCN0010.jpg").read_bytes())
    assert resp.status_code == 204
    return media_id


def test_metadata(client, headers, photo_id, photos):
    data = (photos / "gps_DSCN0010.jpg").read_bytes()
    resp = client.get(f"/api/v1/media/{photo_id}", headers=headers)
    assert resp.status_code == 200 and resp.headers["Cache-Control"] == "no-store"
    meta = resp.get_json()
    assert meta["media_id"] == photo_id and meta["status"] == "arrived"
    assert (meta["sha256"], meta["size"], meta["kind"], meta["mime"]) == (sha256(data), len(data), "photo", "image/jpeg")
    assert meta["claim"] is None and meta["attached_to"] is None
    assert meta["variants"] == {v: f"/api/v1/media/{photo_id}/{v}" for v in ("original", "view", "thumb")}
    assert meta["uploader_id"] and meta["device_id"] and meta["uploaded_at"]


def test_other_users_get_404(client, login, photo_id):
    for other in ("scjg-insp2", "scjg-admin", "office", "auditor", "sthj-admin"):
        h = login(other)
        assert_problem(client.get(f"/api/v1/media/{photo_id}", headers=h), 404, "media_not_found")
        for variant in ("original", "view", "thumb"):
            assert_problem(client.get(f"/api/v1/media/{photo_id}/{variant}", headers=h), 404, "media_not_found")
        assert client.get(f"/api/v1/media?ids={photo_id}", headers=h).get_json() == {"items": []}


def test_a_registered_policy_opens_access(client, login, photo_id):
    from media import access

    def same_department_leaders(principal, media):
        return principal.has("dept_leader") and media.attached_type == "test_visit"

    access.register_policy(same_department_leaders)
    try:
        leader = login("scjg-leader")
        assert client.get(f"/api/v1/media/{photo_id}", headers=leader).status_code == 404  # not attached yet
        _attach(client.application, photo_id, "test_visit", "v-1")
        assert client.get(f"/api/v1/media/{photo_id}", headers=leader).status_code == 200
        assert client.get(f"/api/v1/media/{photo_id}/thumb", headers=leader).status_code == 200
        assert client.get(f"/api/v1/media/{photo_id}", headers=login("scjg-insp2")).status_code == 404
    finally:
        access.unregister_policy(same_department_leaders)


def _attach(app, media_id, entity_type, entity_id, claim=None):
    from media import service
    from server.extensions import db

    with app.app_context():
        service.attach(media_id, entity_type, entity_id)
        if claim is not None:
            service.record_claim(media_id, claim)
        db.session.commit()
        db.session.remove()


def test_unknown_and_malformed_ids_and_variants_are_404(client, headers, photo_id):
    assert_problem(client.get(f"/api/v1/media/{uuid.uuid4()}", headers=headers), 404, "media_not_found")
    assert_problem(client.get("/api/v1/media/not-a-uuid", headers=headers), 404, "media_not_found")
    assert_problem(client.get(f"/api/v1/media/{photo_id}/huge", headers=headers), 404, "unknown_variant")


def test_caching_headers_and_conditional_get(client, headers, photo_id):
    original = client.get(f"/api/v1/media/{photo_id}/original", headers=headers)
    meta = client.get(f"/api/v1/media/{photo_id}", headers=headers).get_json()
    assert original.headers["ETag"] == f'"{meta["sha256"]}"'
    assert original.headers["Cache-Control"] == "private, no-cache" and original.headers["ETag"]
    assert original.headers["Content-Type"] == "image/jpeg"
    assert original.headers["Content-Disposition"].startswith("inline")
    again = client.get(f"/api/v1/media/{photo_id}/original", headers={**headers, "If-None-Match": original.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""

    thumb = client.get(f"/api/v1/media/{photo_id}/thumb", headers=headers)
    assert thumb.headers["Cache-Control"] == "private, no-cache" and thumb.headers["ETag"]
    assert thumb.headers["ETag"] == f'"{sha256(thumb.data)}"'
    assert client.get(f"/api/v1/media/{photo_id}/thumb",
                      headers={**headers, "If-None-Match": thumb.headers["ETag"]}).status_code == 304


def test_range_requests_on_a_video(client, insp, headers):
    video = mp4(timescale=600, duration=6000, mdat_size=200_000)
    media_id, resp = insp.upload(video, content_type="video/mp4", filename="clip.mp4")
    assert resp.status_code == 204
    url = f"/api/v1/media/{media_id}/original"
    resp = client.get(url, headers={**headers, "Range": "bytes=1000-1999"})
    assert resp.status_code == 206 and resp.data == video[1000:2000]
    assert resp.headers["Content-Range"] == f"bytes 1000-1999/{len(video)}"
    assert resp.headers["Accept-Ranges"] == "bytes" and resp.headers["Content-Type"] == "video/mp4"
    tail = client.get(url, headers={**headers, "Range": "bytes=-500"})
    assert tail.status_code == 206 and tail.data == video[-500:]
    body = assert_problem(client.get(url, headers={**headers, "Range": f"bytes={len(video) + 10}-"}), 416,
                          "range_not_satisfiable")
    assert body["status"] == 416
    # If-Range with a stale validator: the whole file, not a piece of a different one.
    whole = client.get(url, headers={**headers, "Range": "bytes=0-9", "If-Range": '"stale"'})
    assert whole.status_code == 200 and whole.data == video


def test_batch_metadata(client, insp, headers, photo_id, photos):
    other, _ = insp.upload((photos / "Canon_40D.jpg").read_bytes())
    ids = f"{photo_id},{uuid.uuid4()},{other},junk"
    items = client.get(f"/api/v1/media?ids={ids}", headers=headers).get_json()["items"]
    assert [i["media_id"] for i in items] == [photo_id, other]
    too_many = ",".join(str(uuid.uuid4()) for _ in range(101))
    assert_problem(client.get(f"/api/v1/media?ids={too_many}", headers=headers), 422)
    assert_problem(client.get("/api/v1/media", headers=headers), 422)


# -- evidence pending, claims and attachments -------------------------------------------


def test_reference_before_bytes_is_evidence_pending(app, client, insp, headers, photos):
    from media import service

    data = (photos / "gps_DSCN0010.jpg").read_bytes()
    media_id = str(uuid.uuid4())
    claim = {"sha256": sha256(data), "captured_at": "2026-03-02T09:14:03+08:00",
             "gps": {"lat": 38.4167, "lon": 112.7333, "accuracy_m": 8}}
    _attach(app, media_id, "finding", "f-17", claim)
    with app.app_context():
        assert service.evidence_status([media_id]) == {media_id: "pending"}
        assert service.missing([media_id]) == [media_id]

    insp.upload(data, media_id=media_id)
    with app.app_context():
        assert service.evidence_status([media_id, media_id.upper()]) == {media_id: "arrived",
                                                                          media_id.upper(): "arrived"}
        assert service.missing([media_id, "not-a-uuid"]) == ["not-a-uuid"]
        assert [m.media_id for m in service.for_entity("finding", "f-17")] == [media_id]
    meta = client.get(f"/api/v1/media/{media_id}", headers=headers).get_json()
    # The app's claim and the file's EXIF side by side, never merged.
    assert meta["claim"] == claim
    assert meta["exif"]["gps"]["lat"] == pytest.approx(43.4674, abs=1e-3)
    assert meta["attached_to"]["type"] == "finding" and meta["attached_to"]["id"] == "f-17"


def test_bytes_before_reference(app, client, headers, photo_id):
    from media import service

    with app.app_context():
        assert service.evidence_status([photo_id]) == {photo_id: "arrived"}
    _attach(app, photo_id, "finding", "f-1", {"captured_at": "2026-03-02T09:14:03+08:00"})
    meta = client.get(f"/api/v1/media/{photo_id}", headers=headers).get_json()
    assert meta["claim"] == {"captured_at": "2026-03-02T09:14:03+08:00"}
    assert meta["exif"]["captured_at"] == "2008-10-22T16:28:39"


def test_upload_contradicting_the_referenced_sha256_is_refused(app, dbs, insp, photos):
    from media.models import MediaObject

    data = (photos / "gps_DSCN0010.jpg").read_bytes()
    media_id = str(uuid.uuid4())
    _attach(app, media_id, "finding", "f-2", {"sha256": "0" * 64})
    assert_problem(insp.create(data, media_id=media_id), 409, "media_id_conflict")
    with dbs() as s:
        assert not s.get(MediaObject, media_id).arrived


def test_claims_and_attachments_are_written_once(app, photo_id):
    from media import service
    from server.errors import Conflict, Invalid
    from server.extensions import db

    with app.app_context():
        service.attach(photo_id, "finding", "f-3")
        service.attach(photo_id, "finding", "f-3")  # the same again: a no-op
        with pytest.raises(Conflict) as err:
            service.attach(photo_id, "finding", "f-4")
        assert err.value.code == "media_attached_elsewhere"
        service.record_claim(photo_id, {"captured_at": "x"})
        service.record_claim(photo_id, {"captured_at": "x"})
        with pytest.raises(Conflict):
            service.record_claim(photo_id, {"captured_at": "y"})
        with pytest.raises(Invalid):
            service.record_claim(photo_id, ["not", "a", "dict"])
        with pytest.raises(Invalid):
            service.record_claim(photo_id, {"sha256": "XYZ"})
        with pytest.raises(Invalid):
            service.attach("not-a-uuid", "finding", "f-3")
        db.session.rollback()


def test_claim_contradicting_arrived_bytes_is_refused(app, photo_id):
    from media import service
    from server.errors import Conflict

    with app.app_context():
        with pytest.raises(Conflict) as err:
            service.record_claim(photo_id, {"sha256": "1" * 64})
        assert err.value.code == "claim_sha256_mismatch"


def test_pending_media_visible_through_a_policy(app, client, login):
    from media import access

    media_id = str(uuid.uuid4())
    _attach(app, media_id, "test_visit", "v-9")

    def everyone(principal, media):
        return media.attached_type == "test_visit"

    access.register_policy(everyone)
    try:
        h = login("scjg-leader")
        meta = client.get(f"/api/v1/media/{media_id}", headers=h).get_json()
        assert meta["status"] == "pending" and meta["sha256"] is None and meta["variants"] == {}
        assert_problem(client.get(f"/api/v1/media/{media_id}/original", headers=h), 404, "evidence_pending")
    finally:
        access.unregister_policy(everyone)


def test_attach_and_claim_are_audited(app, dbs, photo_id):
    from sqlalchemy import select

    from server.audit.models import AuditEntry

    _attach(app, photo_id, "finding", "f-5", {"captured_at": "t"})
    with dbs() as s:
        actions = list(s.scalars(select(AuditEntry.action).where(AuditEntry.target_id == photo_id)
                                 .order_by(AuditEntry.seq)))
    assert actions == ["media.upload_completed", "media.attached", "media.claim_recorded"]
