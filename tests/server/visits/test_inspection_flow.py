"""A whole normal inspection through sync: answers, signatures bound to the content, seal."""
from __future__ import annotations

from tests.support.field import complete_inspection, content_sha256
from tests.support.tamper import drop_append_only_guards


def test_full_inspection_is_sealed(client, login, dbs):
    ctx = complete_inspection(client, login("office"))
    lead = ctx["lead"]
    lead.pull()
    v = lead.visit(ctx["visit_id"])
    assert v["status"] == "sealed"
    assert v["record"]["sealed"]["content_sha256"] == ctx["content_sha256"] == content_sha256(v)
    assert all(s["content_sha256"] == ctx["content_sha256"] for s in v["record"]["signatures"])
    assert v["evidence_pending"] is False  # every photo and signature image arrived


def test_audit_verify_catches_edits_of_sealed_records_and_swapped_photos(app, client, login, dbs, runner):
    from pathlib import Path

    from sqlalchemy import text

    ctx = complete_inspection(client, login("office"))
    assert runner.invoke(args=["audit", "verify"]).exit_code == 0
    # A swapped photo file in storage.
    from media.models import MediaObject

    with dbs() as db:
        sha = db.get(MediaObject, ctx["media"][0]).sha256
    store = Path(app.config["MEDIA_ROOT"]) / "originals"
    path = next(p for p in store.rglob(sha))
    original = path.read_bytes()
    path.chmod(0o644)
    path.write_bytes(original[:-1] + bytes([original[-1] ^ 1]))
    r = runner.invoke(args=["audit", "verify"])
    assert r.exit_code == 1 and "no longer matches its SHA-256" in r.output
    path.write_bytes(original)
    assert runner.invoke(args=["audit", "verify"]).exit_code == 0
    # A database edit of a sealed answer.
    with dbs() as db:
        drop_append_only_guards(db)
        db.execute(text("UPDATE visit_answers SET value = 'fail' WHERE visit_id = :v AND id = "
                        "(SELECT MIN(id) FROM visit_answers WHERE visit_id = :v)"), {"v": ctx["visit_id"]})
        db.commit()
    r = runner.invoke(args=["audit", "verify"])
    assert r.exit_code == 1 and "changed after sealing" in r.output


def test_pulled_signatures_name_the_signing_inspector_by_id(client, login):
    ctx = complete_inspection(client, login("office"), seal=False)
    signers = {m["inspector_id"]: m["name"] for m in ctx["visit"]["team"][:2]}
    # Every team member's phone gets the ids, not only the phone that captured the signatures.
    for phone in ctx["phones"].values():
        phone.pull()
        sigs = {s["id"]: s for s in phone.visit(ctx["visit_id"])["record"]["signatures"]}
        assert set(sigs) == set(ctx["signatures"])
        inspectors = sorted((s["inspector_id"], s["signer_name"]) for s in sigs.values() if s["role"] == "inspector")
        assert inspectors == sorted(signers.items())
        assert [s["inspector_id"] for s in sigs.values() if s["role"] != "inspector"] == [None]  # the legal representative
