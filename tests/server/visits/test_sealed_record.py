"""A sealed record refuses every further mutation; corrections are amendments.

And the signature rules of trust.md: a signature binds the content hash the server
recomputes; a mismatch, a bad ID number or a stale signature is refused.
"""
from __future__ import annotations

import hashlib
import uuid

from server.visits.models import VisitRecord
from sync.registry import MUTATORS
from tests.server.visits.team import chinese, counts, team_of
from tests.support.field import LEGAL_REP_ID, STROKES, attach_photo, complete_inspection, content_sha256, phone_time


def _every_mutation(ctx) -> dict[str, dict]:
    """One well-formed call of every mutator against the sealed visit."""
    vid, visit, task = ctx["visit_id"], ctx["visit"], ctx["task"]
    item = task["items"][0]
    cp = item["checkpoints"][1]
    present = sorted(m["inspector_id"] for m in visit["team"])
    lead = ctx["lead"]
    finding_id = lead.visit(vid)["record"]["findings"][0]["id"] if lead.visit(vid)["record"]["findings"] else str(uuid.uuid4())
    sha = hashlib.sha256(b"late photo").hexdigest()
    return {
        "visit.arrive": dict(visit_id=vid, at=phone_time(3), gps=None, method="onsite"),
        "visit.present": dict(visit_id=vid, inspector_ids=present[:2]),
        "visit.method": dict(visit_id=vid, method="documentary", details={"documents_received": "营业执照复印件"}),
        "visit.end_check": dict(visit_id=vid, at=phone_time(0)),
        "visit.credentials_shown": dict(visit_id=vid, at=phone_time(2)),
        "visit.rights_informed": dict(visit_id=vid, at=phone_time(1)),
        "answer.set": dict(visit_id=vid, item_id=item["item_id"], checkpoint_key=cp["key"], value="fail", note="改",
                           base_version=None),
        "finding.add": dict(visit_id=vid, finding_id=str(uuid.uuid4()), item_id=None, checkpoint_key=None,
                            description="封存后补充的问题", legal_basis=None, measures=[], rectify_deadline=None, media_ids=[]),
        "finding.update": dict(visit_id=vid, finding_id=finding_id, description="封存后修改"),
        "media.attach": dict(visit_id=vid, media_id=str(uuid.uuid4()), sha256=sha, kind="photo",
                             target={"type": "visit", "id": None}, claim={}),
        "outcome.set": dict(visit_id=vid, codes=["A"], followup="rectify", followup_note=None, case=None),
        "signature.capture": dict(visit_id=vid, signature_id=str(uuid.uuid4()), role="inspector",
                                  signer_name=visit["team"][2]["name"], inspector_id=visit["team"][2]["inspector_id"],
                                  content_sha256=ctx["content_sha256"], strokes=STROKES, image_media_id=str(uuid.uuid4()),
                                  image_sha256=sha),
        "visit.seal": dict(visit_id=vid, content_sha256=ctx["content_sha256"]),
        "schedule.set": dict(visit_id=vid, date="2026-12-15", time_from="09:00", time_to="11:00"),
        "handoff.section": dict(visit_id=vid, v=1, member_user_id=visit["team"][1]["user_id"], client_id=str(uuid.uuid4()), seq=1,
                                handed_at=phone_time(5), section_sha256=sha,
                                mutations=[{"id": 1, "name": "answer.set", "client_time": phone_time(6),
                                            "args": dict(visit_id=vid, item_id=item["item_id"], checkpoint_key=cp["key"],
                                                         value="fail", note=None, base_version=None)}]),
    }


def test_every_mutation_of_a_sealed_record_is_refused(client, login, dbs, runner):
    office = login("office")
    ctx = complete_inspection(client, office)
    vid, lead = ctx["visit_id"], ctx["lead"]
    lead.pull()
    calls = _every_mutation(ctx)
    assert set(calls) | {"amendment.add"} >= {n for n in MUTATORS if not n.startswith("test.")}
    with dbs() as s:
        before = counts(s, vid)
        sealed = s.get(VisitRecord, vid).sealed_content
    # Every team member, for every mutation: rejected with record_sealed, in Chinese.
    phones = [lead] + [p for p in ctx["phones"].values() if p.username != lead.username]
    for name, args in calls.items():
        for phone in phones:
            res = phone.do(name, **args)
            assert res["status"] == "rejected", (name, phone.username, res)
            expected = "not_team_leader" if name == "schedule.set" and phone is not lead else "record_sealed"
            assert res["problem"]["code"] == expected, (name, res["problem"])
            assert chinese(res["problem"]["detail"])
    with dbs() as s:
        after = counts(s, vid)
        assert s.get(VisitRecord, vid).sealed_content == sealed
    # Nothing changed but the stored results and the audit of the pushes themselves.
    assert {k: v for k, v in after.items() if k not in ("sync_mutations", "audit")} == \
        {k: v for k, v in before.items() if k not in ("sync_mutations", "audit")}
    # The staff endpoint for rescheduling refuses too.
    r = client.put(f"/api/v1/visits/{vid}/schedule", headers=lead.headers, json={"date": "2026-12-15"})
    assert r.status_code == 409 and r.get_json()["code"] == "record_sealed"
    assert runner.invoke(args=["audit", "verify"]).exit_code == 0

    # A correction is an amendment: appended, with reason and author; the sealed version stays intact.
    aid = str(uuid.uuid4())
    patch = [{"op": "replace", "path": "/credentials_shown_at", "value": phone_time(29.5)}]
    lead.ok("amendment.add", visit_id=vid, amendment_id=aid, reason="出示证件时间记录有误，据执法记录仪更正", patch=patch)
    assert lead.do("amendment.add", visit_id=vid, amendment_id=aid, reason="重复提交", patch=patch)["status"] == "applied"
    bad = lead.do("amendment.add", visit_id=vid, amendment_id=str(uuid.uuid4()), reason="路径不存在",
                  patch=[{"op": "replace", "path": "/no/such", "value": 1}])
    assert bad["status"] == "rejected" and bad["problem"]["code"] == "invalid_patch"
    lead.pull()
    v = lead.visit(vid)
    assert [a["id"] for a in v["record"]["amendments"]] == [aid]
    amendment = v["record"]["amendments"][0]
    lead_uid = next(i for i, u in ctx["names"].items() if u == lead.username)
    assert amendment["reason"].startswith("出示证件") and amendment["by"] == lead_uid
    assert v["record"]["sealed"]["content_sha256"] == ctx["content_sha256"] == content_sha256(v)
    with dbs() as s:
        assert s.get(VisitRecord, vid).sealed_content == sealed
    assert runner.invoke(args=["audit", "verify"]).exit_code == 0


def test_amendment_needs_a_sealed_record(client, login):
    team = team_of(client, login("office"))
    res = team.lead.do("amendment.add", visit_id=team.visit_id, amendment_id=str(uuid.uuid4()), reason="提前更正",
                       patch=[{"op": "replace", "path": "/method", "value": "onsite"}])
    assert res["status"] == "rejected" and res["problem"]["code"] == "not_sealed"


def test_signature_over_another_content_hash_is_refused(client, login, dbs):
    ctx = complete_inspection(client, login("office"), seal=False)
    vid, lead, visit = ctx["visit_id"], ctx["lead"], ctx["visit"]
    lead.pull()
    current = content_sha256(lead.visit(vid))
    assert current == ctx["content_sha256"]
    sid = str(uuid.uuid4())
    img = attach_photo(lead, vid, {"type": "signature", "id": sid}, kind="signature")
    lead.pull()
    img_sha = next(m["sha256"] for m in lead.visit(vid)["record"]["media"] if m["media_id"] == img)
    base = dict(visit_id=vid, role="legal_rep", signer_name=visit["object"]["legal_rep_name"] or "法定代表人",
                id_number=LEGAL_REP_ID, strokes=STROKES, image_media_id=img, image_sha256=img_sha)

    # The phone shows an older or altered record: the server recomputes the hash and refuses.
    for wrong in (hashlib.sha256(b"something else").hexdigest(), current[:-1] + ("0" if current[-1] != "0" else "1")):
        res = lead.do("signature.capture", signature_id=str(uuid.uuid4()), content_sha256=wrong, **base)
        assert res["status"] == "rejected" and res["problem"]["code"] == "content_mismatch"
        assert res["problem"]["server_content_sha256"] == current and chinese(res["problem"]["detail"])
    # GB 11643: a wrong check digit is refused.
    bad_id = LEGAL_REP_ID[:-1] + ("0" if LEGAL_REP_ID[-1] != "0" else "1")
    res = lead.do("signature.capture", signature_id=str(uuid.uuid4()), content_sha256=current, **{**base, "id_number": bad_id})
    assert res["status"] == "rejected" and res["problem"]["code"] == "invalid_id_number"
    # Refusing to sign needs a reason; strokes and an image are needed otherwise.
    res = lead.do("signature.capture", signature_id=str(uuid.uuid4()), content_sha256=current,
                  **{**base, "refused": True, "strokes": [], "image_media_id": None, "image_sha256": None})
    assert res["status"] == "rejected" and {e["field"] for e in res["problem"]["errors"]} == {"refusal_reason"}
    res = lead.do("signature.capture", signature_id=str(uuid.uuid4()), content_sha256=current, **{**base, "strokes": []})
    assert res["status"] == "rejected" and res["problem"]["code"] == "validation_failed"
    # An inspector who is not present cannot sign as one.
    res = lead.do("signature.capture", signature_id=str(uuid.uuid4()), content_sha256=current,
                  **{**base, "role": "inspector", "inspector_id": 999999, "id_number": None})
    assert res["status"] == "rejected" and res["problem"]["code"] == "not_in_team"
    # The seal itself is bound to the same hash.
    res = lead.do("visit.seal", visit_id=vid, content_sha256=hashlib.sha256(b"x").hexdigest())
    assert res["status"] == "rejected" and res["problem"]["code"] == "content_mismatch"

    # Signed, then the record changes: the signatures no longer bind it and sealing is refused.
    lead.ok("visit.credentials_shown", visit_id=vid, at=phone_time(29.25))
    lead.pull()
    changed = content_sha256(lead.visit(vid))
    assert changed != current
    res = lead.do("visit.seal", visit_id=vid, content_sha256=changed)
    assert res["status"] == "rejected" and res["problem"]["code"] == "content_mismatch"
    assert any(p["code"] == "content_mismatch" for p in res["problem"]["problems"])
    with dbs() as s:
        assert s.get(VisitRecord, vid).sealed_at is None


def test_too_few_inspectors_cannot_seal(client, login):
    ctx = complete_inspection(client, login("office"), seal=False)
    vid, lead = ctx["visit_id"], ctx["lead"]
    lead.ok("visit.present", visit_id=vid, inspector_ids=[ctx["visit"]["team"][0]["inspector_id"]])
    lead.pull()
    res = lead.do("visit.seal", visit_id=vid, content_sha256=content_sha256(lead.visit(vid)))
    assert res["status"] == "rejected"
    codes = {p["code"] for p in res["problem"]["problems"]}
    assert "too_few_inspectors" in codes and "content_mismatch" in codes
