"""Backups that restore (issue 21): a backup of a deployment with a sealed record restores into a
fresh, empty database and media root; the audit log verifies there, the record's photos come back
byte-exact and the last exported checkpoint still verifies. A damaged backup is refused."""
from __future__ import annotations

import json
from contextlib import contextmanager

import pytest
from sqlalchemy import inspect, text

from server.extensions import db
from tests.conftest import DEMO_PASSWORD, PG_URL, base_config
from tests.support import pg
from tests.support.field import complete_inspection
from tests.support.http import Session


@pytest.fixture
def seed_level():
    return "field"


@pytest.fixture
def fresh(backend, tmp_path):
    """A second deployment: an empty database (no tables at all) and an empty instance directory."""
    from server import create_app

    instance = tmp_path / "restored-instance"
    instance.mkdir()
    if backend == "sqlite":
        url, name = f"sqlite:///{tmp_path / 'restored.sqlite3'}", None
    else:
        name = pg.test_db_name(PG_URL, "restore")
        pg.recreate(PG_URL, name)
        url = pg.url_for(PG_URL, name)
    app = create_app({**base_config(instance), "SQLALCHEMY_DATABASE_URI": url})
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    if name:
        pg.drop(PG_URL, name)


def _originals(app, dbs, media_ids):
    from media.store import originals

    with dbs() as s:
        shas = dict(s.execute(text("SELECT media_id, sha256 FROM media_objects")).all())
    with app.app_context():
        return {mid: (shas[mid], originals().open(shas[mid]).read()) for mid in media_ids}


def test_backup_restores_into_a_fresh_database(app, client, login, dbs, runner, fresh, tmp_path):
    ctx = complete_inspection(client, login("office"))
    exported = tmp_path / "checkpoint.json"
    assert runner.invoke(args=["audit", "checkpoint", "--out", str(exported)]).exit_code == 0
    photos = _originals(app, dbs, ctx["media"])
    assert len(photos) >= 2 and all(photos.values())

    out = tmp_path / "backup"
    r = runner.invoke(args=["backup", "create", str(out)])
    assert r.exit_code == 0, r.output
    manifest = json.loads((out / "manifest.json").read_text())
    paths = {p["path"] for p in manifest["parts"]}
    assert manifest["database_file"] in paths and "keys/public_key.b64" in paths
    assert any(p.startswith("checkpoints/") for p in paths)
    assert all(f"media/originals/{sha[:2]}/{sha[2:4]}/{sha}" in paths for sha, _ in photos.values())
    r = runner.invoke(args=["backup", "verify", str(out)])
    assert r.exit_code == 0 and r.output.startswith("OK"), r.output

    new = fresh.test_cli_runner()
    r = new.invoke(args=["backup", "restore", str(out)])
    assert r.exit_code == 0, r.output
    r = new.invoke(args=["audit", "verify", "--checkpoint", str(exported)])
    assert r.exit_code == 0, r.output
    assert "FAIL" not in r.output and "checkpoint" in r.output

    @contextmanager
    def fresh_dbs():
        with fresh.app_context():
            try:
                yield db.session
            finally:
                db.session.remove()

    with fresh_dbs() as s:
        sealed = s.execute(text("SELECT sealed_at FROM visit_records WHERE visit_id = :v"),
                           {"v": ctx["visit_id"]}).scalar_one()
    assert sealed is not None
    assert _originals(fresh, fresh_dbs, ctx["media"]) == photos
    # The restored deployment's users log in with their passwords as before.
    Session.login(fresh.test_client(), "office", DEMO_PASSWORD, "restore-device-01")

    # A second restore into the now non-empty database is refused, leaving it as it is.
    r = new.invoke(args=["backup", "restore", str(out)])
    assert r.exit_code == 1 and "not empty" in r.output


def test_a_damaged_or_unfinished_backup_is_refused(app, runner, fresh, tmp_path):
    out = tmp_path / "backup"
    assert runner.invoke(args=["backup", "create", str(out)]).exit_code == 0
    assert runner.invoke(args=["backup", "create", str(out)]).exit_code == 1  # never into a used directory
    manifest = json.loads((out / "manifest.json").read_text())
    victim = out / manifest["database_file"]
    data = bytearray(victim.read_bytes())
    data[len(data) // 2] ^= 0xFF
    victim.write_bytes(bytes(data))
    (out / "stray.txt").write_text("x")
    r = runner.invoke(args=["backup", "verify", str(out)])
    assert r.exit_code == 1
    assert f"{manifest['database_file']}: SHA-256 differs" in r.output and "stray.txt: not in the manifest" in r.output
    new = fresh.test_cli_runner()
    r = new.invoke(args=["backup", "restore", str(out)])
    assert r.exit_code == 1 and "does not verify" in r.output
    with fresh.app_context():
        assert inspect(db.engine).get_table_names() == []  # nothing half-restored
    (out / "manifest.json").unlink()
    r = runner.invoke(args=["backup", "verify", str(out)])
    assert r.exit_code == 1 and "unfinished" in r.output
