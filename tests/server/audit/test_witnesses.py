"""Witnesses countersign checkpoints (issue 19, trust.md): a log rewritten or cut and re-signed with
the server's key alone disagrees with every cosigned or published checkpoint kept outside."""
from __future__ import annotations

import base64
import http.server
import json
import threading

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import text

from server.audit import ddl
from tests.support.field import complete_inspection
from tests.support.tamper import drop_append_only_guards, resign_stored_checkpoints, rewrite_chain


@pytest.fixture
def seed_level():
    return "field"


def _key(tmp_path, name="witness"):
    key = Ed25519PrivateKey.generate()
    path = tmp_path / f"{name}.pem"
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))
    pub = base64.b64encode(key.public_key().public_bytes(serialization.Encoding.Raw,
                                                         serialization.PublicFormat.Raw)).decode()
    return path, pub


@pytest.fixture
def cosigned(client, login, runner, tmp_path):
    """A published archive and a checkpoint countersigned by the city audit bureau, kept by it."""
    ctx = complete_inspection(client, login("office"))
    rev = login("scjg-reviewer")
    assert client.post(f"/api/v1/reviews/{ctx['visit_id']}/approve", headers=rev).status_code == 200
    assert client.post(f"/api/v1/reviews/{ctx['visit_id']}/publish", headers=rev).status_code == 200
    keyfile, pub = _key(tmp_path)
    r = runner.invoke(args=["audit", "witness", "add", "--name", "市审计局", "--public-key", pub])
    assert r.exit_code == 0, r.output
    out = tmp_path / "cosigned.txt"
    r = runner.invoke(args=["audit", "checkpoint", "--cosign", str(keyfile), "--out", str(out)])
    assert r.exit_code == 0, r.output
    return ctx, out


def _verify(runner, *checkpoints):
    args = ["audit", "verify"]
    for c in checkpoints:
        args += ["--checkpoint", str(c)]
    return runner.invoke(args=args)


def test_cosigned_checkpoint_verifies(cosigned, runner):
    _, out = cosigned
    body = json.loads(out.read_text())
    assert body["cosignatures"][0]["witness"] == "市审计局"
    r = _verify(runner, out)
    assert r.exit_code == 0, r.output
    assert "cosigned by 市审计局" in r.output


def test_unregistered_key_cannot_cosign(cosigned, runner, tmp_path):
    keyfile, _ = _key(tmp_path, "stranger")
    r = runner.invoke(args=["audit", "checkpoint", "--cosign", str(keyfile)])
    assert r.exit_code == 2 and "not a registered witness" in r.output


def test_forged_cosignature_is_refused(cosigned, runner, tmp_path):
    _, out = cosigned
    keyfile, pub = _key(tmp_path, "forger")
    body = json.loads(out.read_text())
    forger = serialization.load_pem_private_key(keyfile.read_bytes(), password=None)
    statement = f"dsr-audit-checkpoint-v1\nsize {body['size']}\nhead {body['head']}\nat {body['at']}\n".encode()
    body["cosignatures"] = [{"witness": "市审计局", "key_id": "0" * 16, "public_key": pub,
                             "signature": base64.b64encode(forger.sign(statement)).decode()}]
    forged = tmp_path / "forged.txt"
    forged.write_text(json.dumps(body))
    r = _verify(runner, forged)
    assert r.exit_code == 1 and "not a registered witness" in r.output


def _rewrite(app, dbs, visit_id, strip_witnesses: bool):
    """Rewrite the publication (log and table, consistently), rehash the log, re-sign stored checkpoints."""
    def change(body, row):
        if body["action"] == "result.publish" and body["target"]["id"] == visit_id:
            body["data"]["result"] = "发现问题经责令已改正"
            return True
        if strip_witnesses and body["action"] == "audit.checkpoint":
            body["data"]["witnesses"] = []
            return True
        return False

    with dbs() as db:
        for stmt in ddl.drop_statements(app.config["TEST_BACKEND"]):
            db.execute(text(stmt))
        drop_append_only_guards(db)
        rewrite_chain(db, change)
        db.execute(text("UPDATE published_results SET result = '发现问题经责令已改正' WHERE visit_id = :v"), {"v": visit_id})
        resign_stored_checkpoints(db, keep_cosignatures=not strip_witnesses)
        db.commit()


def test_stored_checkpoint_resigned_with_the_server_key_is_caught(cosigned, app, dbs, runner):
    ctx, _ = cosigned
    _rewrite(app, dbs, ctx["visit_id"], strip_witnesses=False)
    r = _verify(runner)
    assert r.exit_code == 1
    assert "the countersignature of 市审计局" in r.output and "does not verify" in r.output


def test_full_rewrite_stripping_the_witnesses_is_caught_by_the_cosigned_copy(cosigned, app, dbs, runner):
    ctx, out = cosigned
    _rewrite(app, dbs, ctx["visit_id"], strip_witnesses=True)
    r = _verify(runner)
    assert r.exit_code == 0, r.output  # everything inside the deployment agrees …
    r = _verify(runner, out)  # … the auditor's cosigned copy does not
    assert r.exit_code == 1 and "the log was rewritten" in r.output


def test_deleted_stored_checkpoint_is_caught(cosigned, app, dbs, runner):
    with dbs() as db:
        db.execute(text("DELETE FROM audit_checkpoints"))
        db.commit()
    r = _verify(runner)
    assert r.exit_code == 1 and "no longer stored (deleted)" in r.output


def test_published_checkpoints_and_verify_from_a_url(cosigned, client, app, dbs, runner, tmp_path):
    ctx, _ = cosigned
    history = client.get("/api/v1/public/checkpoints")  # no login
    assert history.status_code == 200 and history.get_json()[0]["text"]
    latest = client.get("/api/v1/public/checkpoints/latest").get_json()
    assert json.loads(latest["text"])["cosignatures"][0]["witness"] == "市审计局"
    # An outsider keeps a copy and serves it from elsewhere.
    (tmp_path / "copy").mkdir()
    (tmp_path / "copy" / "latest.json").write_text(json.dumps(latest))
    handler = lambda *a, **k: http.server.SimpleHTTPRequestHandler(*a, directory=str(tmp_path / "copy"), **k)  # noqa: E731
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/latest.json"
        r = _verify(runner, url)
        assert r.exit_code == 0, r.output
        _rewrite(app, dbs, ctx["visit_id"], strip_witnesses=True)
        r = _verify(runner, url)
        assert r.exit_code == 1 and "the log was rewritten" in r.output
    finally:
        server.shutdown()
