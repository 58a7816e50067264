"""The tus 1.0.0 server: discovery, creation, core, checksum, termination, expiration, per-user access."""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import uuid
from email.utils import parsedate_to_datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.media.tus_support import OFFSET_STREAM, TUS, UPLOADS, Tus, metadata, sha256, temp_files
from tests.support.http import assert_problem


@pytest.fixture
def insp(client, login):
    return Tus(client, login("scjg-insp1"))


@pytest.fixture
def jpeg(photos):
    return (photos / "gps_DSCN0010.jpg").read_bytes()


def created(resp) -> str:
    assert resp.status_code == 201, resp.get_data(as_text=True)
    return resp.headers["Location"]


def test_options_discovery(client):
    resp = client.options(UPLOADS)
    assert resp.status_code == 204
    assert resp.headers["Tus-Version"] == "1.0.0"
    assert resp.headers["Tus-Resumable"] == "1.0.0"
    extensions = resp.headers["Tus-Extension"].split(",")
    assert {"creation", "creation-with-upload", "checksum", "termination", "expiration"} <= set(extensions)
    assert resp.headers["Tus-Checksum-Algorithm"].split(",") == ["sha1", "sha256"]
    assert int(resp.headers["Tus-Max-Size"]) == 1024 * 1024 * 1024


def test_limits_are_advertised_as_json(client, login):
    resp = client.get(UPLOADS + "limits", headers=login("scjg-insp1"))
    assert resp.status_code == 200
    body = resp.get_json()
    assert body["limits"] == {"photo": 30 * 2**20, "video": 2**30, "audio": 100 * 2**20, "signature": 2 * 2**20}
    assert body["max_size"] == 2**30 and body["upload_expiry_days"] == 14
    assert set(body["required_metadata"]) == {"media_id", "sha256", "content_type", "filename"}


@pytest.mark.parametrize("version", [None, "0.2.2", "2.0.0"])
def test_unsupported_version_is_412(client, login, version):
    headers = {**login("scjg-insp1"), "Upload-Length": "10"}
    if version:
        headers["Tus-Resumable"] = version
    resp = client.post(UPLOADS, headers=headers)
    assert_problem(resp, 412, "tus_version_unsupported")
    assert resp.headers["Tus-Version"] == "1.0.0"


def test_create_head_patch_in_chunks(insp, jpeg):
    resp = insp.create(jpeg)
    location = created(resp)
    assert location.startswith(UPLOADS)
    assert resp.headers["Tus-Resumable"] == "1.0.0"
    assert resp.get_json()["offset"] == 0
    expires = parsedate_to_datetime(resp.headers["Upload-Expires"])
    assert dt.timedelta(days=13) < expires - dt.datetime.now(dt.timezone.utc) <= dt.timedelta(days=14)

    head = insp.head(location)
    assert head.status_code == 200
    assert (head.headers["Upload-Offset"], head.headers["Upload-Length"]) == ("0", str(len(jpeg)))
    assert head.headers["Cache-Control"] == "no-store"
    assert "media_id" in head.headers["Upload-Metadata"]

    resp = insp.patch(location, jpeg[:70_000], 0)
    assert resp.status_code == 204
    assert resp.headers["Upload-Offset"] == "70000" and "Upload-Expires" in resp.headers
    assert insp.head(location).headers["Upload-Offset"] == "70000"
    resp = insp.patch(location, jpeg[70_000:], 70_000)
    assert resp.status_code == 204 and resp.headers["Upload-Offset"] == str(len(jpeg))
    assert "Upload-Expires" not in resp.headers  # complete: nothing left to expire
    head = insp.head(location)
    assert head.headers["Upload-Offset"] == head.headers["Upload-Length"] == str(len(jpeg))


def test_offset_mismatch_is_409_and_changes_nothing(insp, jpeg):
    location = created(insp.create(jpeg))
    assert insp.patch(location, jpeg[:1000], 0).status_code == 204
    resp = insp.patch(location, jpeg[500:2000], 500)
    body = assert_problem(resp, 409, "offset_mismatch")
    assert body["offset"] == 1000 and resp.headers["Upload-Offset"] == "1000"
    assert insp.head(location).headers["Upload-Offset"] == "1000"


def test_patch_needs_the_offset_stream_content_type(insp, jpeg):
    location = created(insp.create(jpeg))
    resp = insp.client.patch(location, data=jpeg[:10], headers={**insp.headers, "Upload-Offset": "0",
                                                                 "Content-Type": "application/octet-stream"})
    assert_problem(resp, 415)
    resp = insp.client.patch(location, data=jpeg[:10], headers={**insp.headers, "Content-Type": OFFSET_STREAM})
    assert_problem(resp, 400, "invalid_upload_offset")


def test_creation_with_upload(insp, jpeg):
    resp = insp.create(jpeg, body=jpeg[:5000])
    location = created(resp)
    assert resp.headers["Upload-Offset"] == "5000"
    assert insp.head(location).headers["Upload-Offset"] == "5000"
    assert insp.patch(location, jpeg[5000:], 5000).status_code == 204


def test_creation_with_the_whole_file(insp, jpeg, client, login):
    media_id = str(uuid.uuid4())
    resp = insp.create(jpeg, media_id=media_id, body=jpeg)
    created(resp)
    assert resp.headers["Upload-Offset"] == str(len(jpeg)) and resp.get_json()["expires_at"] is None
    meta = client.get(f"/api/v1/media/{media_id}", headers=login("scjg-insp1")).get_json()
    assert meta["sha256"] == sha256(jpeg) and meta["status"] == "arrived"


@pytest.mark.parametrize("algorithm", ["sha1", "sha256"])
def test_chunk_checksums(insp, jpeg, algorithm):
    location = created(insp.create(jpeg))
    chunk = jpeg[:4096]
    good = base64.b64encode(hashlib.new(algorithm, chunk).digest()).decode()
    bad = base64.b64encode(hashlib.new(algorithm, b"something else").digest()).decode()
    resp = insp.patch(location, chunk, 0, checksum=f"{algorithm} {bad}")
    assert_problem(resp, 460, "chunk_checksum_mismatch")
    assert insp.head(location).headers["Upload-Offset"] == "0"  # the chunk was discarded
    resp = insp.patch(location, chunk, 0, checksum=f"{algorithm} {good}")
    assert resp.status_code == 204 and resp.headers["Upload-Offset"] == "4096"


@pytest.mark.parametrize("header,code", [
    ("md5 1B2M2Y8AsgTpgAmY7PhCfg==", "checksum_algorithm_unsupported"),
    ("sha1 not-base64!", "invalid_upload_checksum"),
    ("sha1 " + base64.b64encode(b"short").decode(), "invalid_upload_checksum"),
])
def test_bad_checksum_headers_are_400(insp, jpeg, header, code):
    location = created(insp.create(jpeg))
    assert_problem(insp.patch(location, jpeg[:100], 0, checksum=header), 400, code)
    assert insp.head(location).headers["Upload-Offset"] == "0"


def test_body_longer_than_the_upload_is_413(insp):
    data = b"\xff\xd8\xff" + b"\x00" * 997
    location = created(insp.create(data))
    body = assert_problem(insp.patch(location, data + b"extra", 0), 413, "upload_length_exceeded")
    assert body["limit_bytes"] == 1000
    assert insp.head(location).headers["Upload-Offset"] == "0"


def test_termination(insp, jpeg, app):
    location = created(insp.create(jpeg))
    assert insp.patch(location, jpeg[:1000], 0).status_code == 204
    assert len(temp_files(app)) == 1
    resp = insp.delete(location)
    assert resp.status_code == 204 and resp.headers["Tus-Resumable"] == "1.0.0"
    assert temp_files(app) == []
    assert insp.head(location).status_code == 404  # (a HEAD response has no body)
    assert_problem(insp.patch(location, jpeg[1000:2000], 1000), 404)


def test_method_override_header(insp, jpeg):
    """Clients behind proxies without PATCH/DELETE send POST + X-HTTP-Method-Override."""
    location = created(insp.create(jpeg))
    resp = insp.client.post(location, data=jpeg[:100], headers={
        **insp.headers, "X-HTTP-Method-Override": "PATCH", "Upload-Offset": "0", "Content-Type": OFFSET_STREAM})
    assert resp.status_code == 204 and resp.headers["Upload-Offset"] == "100"
    resp = insp.client.post(location, headers={**insp.headers, "X-HTTP-Method-Override": "DELETE"})
    assert resp.status_code == 204
    assert insp.head(location).status_code == 404


def test_uploads_are_per_user(client, login, jpeg):
    mine = Tus(client, login("scjg-insp1"))
    location = created(mine.create(jpeg))
    assert mine.patch(location, jpeg[:1000], 0).status_code == 204
    for other in ("scjg-insp2", "scjg-admin", "office"):
        theirs = Tus(client, login(other))
        head = theirs.head(location)
        assert head.status_code == 404 and "Upload-Offset" not in head.headers
        assert_problem(theirs.patch(location, jpeg[1000:2000], 1000), 404, "upload_not_found")
        assert_problem(theirs.delete(location), 404, "upload_not_found")
    assert mine.head(location).headers["Upload-Offset"] == "1000"  # untouched


def test_anonymous_is_401(client):
    resp = client.post(UPLOADS, headers={**TUS, "Upload-Length": "10"})
    assert_problem(resp, 401)


def test_expired_upload_is_410(insp, jpeg, app, dbs):
    from media.models import Upload

    location = created(insp.create(jpeg))
    upload_id = location.rsplit("/", 1)[1]
    with dbs() as s:
        s.get(Upload, upload_id).expires_at = dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=1)
        s.commit()
    assert insp.head(location).status_code == 410
    assert_problem(insp.patch(location, jpeg[:10], 0), 410, "upload_expired")
    assert insp.delete(location).status_code == 204  # freeing it is still allowed


def test_progress_pushes_the_expiry_forward(insp, jpeg, dbs):
    from media.models import Upload

    location = created(insp.create(jpeg))
    upload_id = location.rsplit("/", 1)[1]
    soon = dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=1)
    with dbs() as s:
        s.get(Upload, upload_id).expires_at = soon
        s.commit()
    resp = insp.patch(location, jpeg[:1000], 0)
    assert parsedate_to_datetime(resp.headers["Upload-Expires"]) > soon + dt.timedelta(days=13)


# -- creation: metadata and limits ---------------------------------------------------


def _post(insp, length, meta_header):
    headers = {**insp.headers, "Upload-Length": str(length)}
    if meta_header is not None:
        headers["Upload-Metadata"] = meta_header
    return insp.client.post(UPLOADS, headers=headers)


GOOD = {"media_id": "6f1c3b1e-8f0a-4d5e-9a51-0c7a3d2b9e10", "sha256": "ab" * 32, "content_type": "image/jpeg",
        "filename": "a.jpg"}


@pytest.mark.parametrize("missing", sorted(GOOD))
def test_each_required_metadata_key(insp, missing):
    meta = {k: v for k, v in GOOD.items() if k != missing}
    body = assert_problem(_post(insp, 100, metadata(**meta)), 422, "invalid_upload_metadata")
    assert missing in {e["field"] for e in body["errors"]}


@pytest.mark.parametrize("key,value", [
    ("media_id", "not-a-uuid"), ("sha256", "xyz"), ("sha256", "ab" * 31), ("content_type", "jpeg"),
    ("filename", ""), ("filename", "a\nb.jpg"), ("kind", "document"),
])
def test_invalid_metadata_values_are_422(insp, key, value):
    body = assert_problem(_post(insp, 100, metadata(**{**GOOD, key: value})), 422, "invalid_upload_metadata")
    assert key in {e["field"] for e in body["errors"]}


@pytest.mark.parametrize("header", ["media_id !!!", "media_id a,media_id b", "a b c", ",", "a" * 5000])
def test_malformed_metadata_header_is_400(insp, header):
    assert_problem(_post(insp, 100, header), 400, "invalid_upload_metadata")


def test_content_type_without_a_kind_is_422(insp):
    body = assert_problem(_post(insp, 100, metadata(**{**GOOD, "content_type": "application/pdf"})), 422)
    assert "kind" in {e["field"] for e in body["errors"]}


@pytest.mark.parametrize("value", [None, "-1", "abc", "1.5", "9" * 30])
def test_upload_length_must_be_a_number(insp, value):
    headers = {**insp.headers, "Upload-Metadata": metadata(**GOOD)}
    if value is not None:
        headers["Upload-Length"] = value
    assert_problem(insp.client.post(UPLOADS, headers=headers), 400, "invalid_upload_length")


def test_deferred_length_is_refused(insp):
    headers = {**insp.headers, "Upload-Defer-Length": "1", "Upload-Metadata": metadata(**GOOD)}
    assert_problem(insp.client.post(UPLOADS, headers=headers), 400, "defer_length_unsupported")


def test_empty_file_is_refused(insp):
    assert_problem(_post(insp, 0, metadata(**GOOD)), 422, "empty_upload")


@pytest.mark.parametrize("kind,content_type,limit", [
    ("photo", "image/jpeg", 30 * 2**20), ("signature", "image/png", 2 * 2**20),
    ("video", "video/mp4", 2**30), ("audio", "audio/mp4", 100 * 2**20),
])
def test_declared_length_over_the_kind_limit_is_413_at_creation(insp, app, kind, content_type, limit):
    meta = metadata(**{**GOOD, "content_type": content_type, "kind": kind})
    body = assert_problem(_post(insp, limit + 1, meta), 413, "upload_too_large")
    assert (body["limit_name"], body["limit_bytes"]) == (kind, limit)
    assert str(limit) in body["detail"]
    assert temp_files(app) == []
    assert _post(insp, limit, meta).status_code == 201


@pytest.mark.parametrize("app_config", [{"MEDIA_LIMITS": {"photo": 1000, "video": 5000, "audio": 5000,
                                                          "signature": 500}}])
def test_limits_come_from_the_configuration(insp, client):
    assert client.options(UPLOADS).headers["Tus-Max-Size"] == "5000"
    body = assert_problem(_post(insp, 1001, metadata(**GOOD)), 413, "upload_too_large")
    assert body["limit_bytes"] == 1000


# -- hostile headers ------------------------------------------------------------------

_HEADER_TEXT = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=255), max_size=120)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(length=_HEADER_TEXT, meta=_HEADER_TEXT, offset=_HEADER_TEXT, checksum=_HEADER_TEXT,
       body=st.binary(max_size=300))
def test_hostile_tus_headers_never_cause_a_5xx(insp, length, meta, offset, checksum, body):
    resp = insp.client.post(UPLOADS, headers={**insp.headers, "Upload-Length": length, "Upload-Metadata": meta})
    assert resp.status_code < 500 and resp.mimetype == "application/problem+json"
    location = insp.create(b"\xff\xd8\xff" + body, content_type="image/jpeg").headers["Location"]
    resp = insp.client.patch(location, data=body, headers={
        **insp.headers, "Upload-Offset": offset, "Upload-Checksum": checksum, "Content-Type": OFFSET_STREAM})
    assert resp.status_code < 500, resp.get_data(as_text=True)
    if resp.status_code >= 400:
        assert resp.mimetype == "application/problem+json"
