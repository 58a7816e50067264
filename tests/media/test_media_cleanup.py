"""`flask media cleanup`: expired partial uploads go, evidence stays."""
from __future__ import annotations

import datetime as dt
import os
import time

import pytest
from sqlalchemy import select

from tests.media.tus_support import Tus, stored_files, temp_files

NOW = dt.datetime.now(dt.timezone.utc)


@pytest.fixture
def insp(client, login):
    return Tus(client, login("scjg-insp1"))


def _started(insp, data: bytes, sent: int) -> str:
    location = insp.create(data).headers["Location"]
    assert insp.patch(location, data[:sent], 0).status_code == 204
    return location.rsplit("/", 1)[1]


def _set(dbs, upload_id, **values):
    from media.models import Upload

    with dbs() as s:
        upload = s.get(Upload, upload_id)
        for k, v in values.items():
            setattr(upload, k, v)
        s.commit()


def _upload_ids(dbs) -> set[str]:
    from media.models import Upload

    with dbs() as s:
        return set(s.scalars(select(Upload.id)))


def test_cleanup_removes_expired_partial_uploads_only(app, dbs, runner, insp, client, login, photos):
    data = (photos / "gps_DSCN0010.jpg").read_bytes()
    expired = _started(insp, data, 50_000)
    _set(dbs, expired, expires_at=NOW - dt.timedelta(minutes=1))
    fresh = _started(insp, data, 20_000)
    done_location = insp.create(data).headers["Location"]
    assert insp.patch(done_location, data, 0).status_code == 204
    finished = done_location.rsplit("/", 1)[1]
    _set(dbs, finished, completed_at=NOW - dt.timedelta(days=15))
    orphan = temp_files(app)[0].parent / "tus-0123456789abcdef0123456789abcdef.part"
    orphan.write_bytes(b"x" * 1234)
    os.utime(orphan, (time.time() - 3 * 86400,) * 2)
    assert len(temp_files(app)) == 3

    result = runner.invoke(args=["media", "cleanup"])
    assert result.exit_code == 0, result.output
    assert "removed 1 expired partial uploads, 1 orphan temporary files (51234 bytes freed), " \
           "1 finished upload records" in result.output
    assert _upload_ids(dbs) == {fresh}
    assert len(temp_files(app)) == 1  # the fresh upload's partial file
    assert len(stored_files(app)) == 1  # the finished upload's evidence is untouched
    assert insp.head(f"/api/v1/uploads/{fresh}").headers["Upload-Offset"] == "20000"

    from server.audit.models import AuditEntry

    with dbs() as s:
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "media.uploads_cleaned")).one()
        assert expired in entry.payload and '"expired_uploads":1' in entry.payload
        assert entry.actor_user_id is None and "cli:media cleanup" in entry.payload


def test_older_than_days(app, dbs, runner, insp, photos):
    data = (photos / "gps_DSCN0010.jpg").read_bytes()
    recent = _started(insp, data, 1000)
    idle = _started(insp, data, 1000)
    _set(dbs, idle, updated_at=NOW - dt.timedelta(days=3))
    result = runner.invoke(args=["media", "cleanup", "--older-than-days", "2"])
    assert result.exit_code == 0 and "removed 1 expired partial uploads" in result.output
    assert _upload_ids(dbs) == {recent}


def test_an_upload_receiving_bytes_is_skipped(app, dbs, runner, insp, photos):
    from media import store, tus
    from media.models import Upload
    from server.extensions import db

    data = (photos / "gps_DSCN0010.jpg").read_bytes()
    busy = _started(insp, data, 1000)
    _set(dbs, busy, expires_at=NOW - dt.timedelta(minutes=1))
    with app.app_context():
        path = store.part_path(db.session.get(Upload, busy).temp_key)
    with tus.PartFile(path):  # a PATCH is streaming into it right now
        result = runner.invoke(args=["media", "cleanup"])
    assert "skipped 1 in progress" in result.output
    assert _upload_ids(dbs) == {busy} and path.exists()


def test_nothing_to_do(runner):
    result = runner.invoke(args=["media", "cleanup"])
    assert result.exit_code == 0
    assert "removed 0 expired partial uploads" in result.output
