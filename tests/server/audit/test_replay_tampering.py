"""Issue 19's table, row by row: tamperings with database and disk access that `audit verify`
used to miss, each now caught by replaying the log against the tables (with and without an
exported checkpoint). Every tampering runs as an attacker would: SQL after dropping the guards,
files overwritten on disk, seals re-signed with the instance key file."""
from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select, text

from server.audit import ddl
from server.audit.models import AuditEntry
from tests.support.field import complete_inspection
from tests.support.tamper import drop_append_only_guards


@pytest.fixture
def seed_level():
    return "field"


@pytest.fixture
def archive(client, login):
    ctx = complete_inspection(client, login("office"))
    rev = login("scjg-reviewer")
    assert client.post(f"/api/v1/reviews/{ctx['visit_id']}/approve", headers=rev).status_code == 200
    assert client.post(f"/api/v1/reviews/{ctx['visit_id']}/publish", headers=rev).status_code == 200
    return ctx


@pytest.fixture
def exported(archive, runner, tmp_path):
    """A checkpoint exported before the tampering (kept outside the application)."""
    path = tmp_path / "checkpoint.txt"
    assert runner.invoke(args=["audit", "checkpoint", "--out", str(path)]).exit_code == 0
    return path


def _verify(runner, *checkpoints):
    args = ["audit", "verify"]
    for c in checkpoints:
        args += ["--checkpoint", str(c)]
    return runner.invoke(args=args)


def _caught(runner, exported, expected: str):
    for r in (_verify(runner), _verify(runner, exported)):
        assert r.exit_code == 1, r.output
        assert expected in r.output, r.output


def test_untouched_archive_passes_every_replay(archive, runner, exported):
    r = _verify(runner, exported)
    assert r.exit_code == 0, r.output
    for check in ("sealed records (log)", "results (log)", "media", "sync counters"):
        assert f"PASS {check}:" in r.output


# Row 1: published result and entered review codes changed with UPDATE.

def test_entered_codes_changed(archive, runner, exported, dbs):
    with dbs() as db:
        db.execute(text("UPDATE reviews SET result_codes = :c WHERE visit_id = :v"), {"c": '["A"]', "v": archive["visit_id"]})
        db.commit()
    _caught(runner, exported, f"FAIL review {archive['visit_id']} (log): entered result codes ['A'] differ from the logged ['1']")


def test_published_result_changed(archive, runner, exported, dbs):
    with dbs() as db:
        drop_append_only_guards(db)
        db.execute(text("UPDATE published_results SET result = '发现问题待后续处理', result_codes = :c WHERE visit_id = :v"),
                   {"c": '["A"]', "v": archive["visit_id"]})
        db.commit()
    _caught(runner, exported, f"FAIL published result {archive['visit_id']} (log): the published result “发现问题待后续处理”")


def test_published_result_changed_along_the_revision_path_without_a_decision(archive, runner, exported, dbs):
    with dbs() as db:  # the guards allow a revision: result, codes and a later revised_at
        db.execute(text("UPDATE published_results SET result = '发现问题经责令已改正', result_codes = :c, "
                        "revised_at = :t WHERE visit_id = :v"),
                   {"c": '["E"]', "t": "2099-01-01 00:00:00.000000", "v": archive["visit_id"]})
        db.commit()
    _caught(runner, exported, f"FAIL published result {archive['visit_id']} (log)")


# Row 2: sealed content and hash edited, seal and signature events re-signed with the instance key.

def test_sealed_content_rewritten_and_resigned_with_the_instance_key(archive, app, runner, exported):
    from server import keys
    from server.canonical import jcs
    from server.extensions import db
    from server.visits.content import canonical_record, content_sha256
    from server.visits.models import Answer, Signature, Visit, VisitRecord

    vid = archive["visit_id"]
    with app.app_context():
        drop_append_only_guards(db.session)
        answer = db.session.execute(select(Answer).where(Answer.visit_id == vid).order_by(Answer.id)).scalars().first()
        answer.note = "检查时发现问题（改写）"
        db.session.flush()
        visit, record = db.session.get(Visit, vid), db.session.get(VisitRecord, vid)
        old, new = record.content_sha256, content_sha256(visit, record)
        sigs = db.session.execute(select(Signature).where(Signature.visit_id == vid)).scalars().all()
        for s in sigs:
            s.event_json = s.event_json.replace(old, new)
            s.content_sha256, s.server_signature = new, keys.sign(s.event_json.encode())
        statement = {"visit_id": vid, "content_sha256": new, "signatures": sorted(s.id for s in sigs),
                     "sealed_at": record.sealed_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"), "sealed_by": record.sealed_by}
        record.sealed_content = jcs(canonical_record(visit, record)).decode()
        record.content_sha256, record.seal_signature = new, keys.sign(jcs(statement))
        db.session.commit()
        db.session.remove()
    r = _verify(runner)
    assert "PASS sealed records: 1 sealed records" in r.output  # the tables agree with themselves …
    _caught(runner, exported, f"FAIL sealed record {vid} (log): the sealed content hash")  # … not with the log


# Row 3: view/thumbnail images of a sealed photo replaced.

def _media_row(dbs, media_id):
    from media.models import MediaObject

    with dbs() as db:
        obj = db.get(MediaObject, media_id)
        return obj.sha256, obj.view_sha256, obj.thumb_sha256


def _file(app, namespace: str, sha: str) -> Path:
    return next((Path(app.config["MEDIA_ROOT"]) / namespace).rglob(sha))


def test_view_file_of_a_sealed_photo_replaced(archive, app, runner, exported, dbs):
    _, view, thumb = _media_row(dbs, archive["media"][0])
    assert view and thumb
    path = _file(app, "derivatives", view)
    path.chmod(0o644)
    path.write_bytes(_file(app, "derivatives", thumb).read_bytes())
    _caught(runner, exported, f"FAIL media {archive['media'][0]}: the stored view copy no longer matches")


def test_thumbnail_of_a_sealed_photo_swapped_with_its_row(archive, app, runner, exported, dbs):
    # Another genuine display copy, under its own name, and the row pointed at it.
    other = _media_row(dbs, archive["media"][1])[2]
    with dbs() as db:
        db.execute(text("UPDATE media_objects SET thumb_sha256 = :s WHERE media_id = :m"), {"s": other, "m": archive["media"][0]})
        db.commit()
    _caught(runner, exported, f"FAIL media {archive['media'][0]}: its thumb copy differs from the one logged at upload")


# Row 4: original photo of a not-yet-sealed record replaced.

@pytest.fixture
def unsealed(client, login, runner, tmp_path):
    ctx = complete_inspection(client, login("office"), seal=False)
    path = tmp_path / "checkpoint-unsealed.txt"
    assert runner.invoke(args=["audit", "checkpoint", "--out", str(path)]).exit_code == 0
    return ctx, path


def test_original_of_an_unsealed_record_replaced_on_disk(unsealed, app, runner, dbs):
    ctx, exported = unsealed
    sha = _media_row(dbs, ctx["media"][0])[0]
    path = _file(app, "originals", sha)
    path.chmod(0o644)
    path.write_bytes(_file(app, "originals", _media_row(dbs, ctx["media"][1])[0]).read_bytes())
    _caught(runner, exported, f"FAIL media {ctx['media'][0]}: the stored original no longer matches its SHA-256")


def test_original_of_an_unsealed_record_replaced_with_its_rows(unsealed, app, runner, dbs):
    ctx, exported = unsealed
    other = _media_row(dbs, ctx["media"][1])[0]  # a genuine stored file, under its own name
    with dbs() as db:
        db.execute(text("UPDATE media_objects SET sha256 = :s WHERE media_id = :m"), {"s": other, "m": ctx["media"][0]})
        db.execute(text("UPDATE visit_media SET sha256 = :s WHERE media_id = :m"), {"s": other, "m": ctx["media"][0]})
        db.commit()
    _caught(runner, exported, f"FAIL media {ctx['media'][0]}: its SHA-256")


# Row 5: end of the log cut, chain head fixed, stored checkpoints deleted.

def test_end_of_the_log_cut_without_an_exported_checkpoint(archive, app, runner, exported, dbs):
    assert runner.invoke(args=["audit", "checkpoint"]).exit_code == 0  # a stored one, too
    with dbs() as db:
        for stmt in ddl.drop_statements(app.config["TEST_BACKEND"]):
            db.execute(text(stmt))
        cut = db.execute(select(AuditEntry.seq).where(AuditEntry.action == "result.publish",
                                                      AuditEntry.target_id == archive["visit_id"])).scalar_one()
        db.execute(text("DELETE FROM audit_entries WHERE seq >= :s"), {"s": cut})
        head = db.execute(select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(1)).scalar_one()
        db.execute(text("UPDATE audit_chain_head SET seq = :n, head_hash = :h"), {"n": head.seq, "h": head.entry_hash})
        db.execute(text("DELETE FROM audit_checkpoints"))
        db.commit()
    r = _verify(runner)
    assert "PASS chain:" in r.output and "PASS head:" in r.output  # the chain alone looks whole …
    # … but a published row the log never describes gives the cut away.
    _caught(runner, exported, f"FAIL published result {archive['visit_id']} (log): published, but the log holds no publication")


def test_log_cut_back_to_before_the_seal(archive, app, runner, exported, dbs):
    with dbs() as db:
        for stmt in ddl.drop_statements(app.config["TEST_BACKEND"]):
            db.execute(text(stmt))
        cut = db.execute(select(AuditEntry.seq).where(AuditEntry.action == "visit.seal",
                                                      AuditEntry.target_id == archive["visit_id"])).scalar_one()
        db.execute(text("DELETE FROM audit_entries WHERE seq >= :s"), {"s": cut})
        head = db.execute(select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(1)).scalar_one()
        db.execute(text("UPDATE audit_chain_head SET seq = :n, head_hash = :h"), {"n": head.seq, "h": head.entry_hash})
        db.execute(text("DELETE FROM audit_checkpoints"))
        db.commit()
    r = _verify(runner)
    assert r.exit_code == 1
    assert f"FAIL sealed record {archive['visit_id']} (log): sealed, but the log holds no seal entry" in r.output
    assert "FAIL sync client" in r.output  # the phones' counters are ahead of the log
