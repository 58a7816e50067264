"""What the team's phones learn of a sealed record's review (issue 16): each department's entry
state, the reviewer's comments, the amendment that sends the record back to the queue; the evidence
flag as the server has it; the leader's per-member sections; schedule conflicts named by person."""
from __future__ import annotations

import uuid

from tests.support.field import Phone, complete_inspection, image_bytes, upload


def _states(visit: dict) -> dict[str, str]:
    return {r["department_code"]: r["status"] for r in visit["review"]}


def test_return_comments_and_amendment_reach_the_phone_and_the_queue(client, login):
    ctx = complete_inspection(client, login("office"))
    vid, lead = ctx["visit_id"], ctx["lead"]
    lead.pull()
    assert set(_states(lead.visit(vid)).values()) == {"pending"}
    item = next(i for i in ctx["task"]["items"] if i["department_id"] == ctx["task"]["initiating_department"]["id"])
    cp = item["checkpoints"][0]["key"]
    r = client.post(f"/api/v1/reviews/{vid}/return", headers=login("scjg-reviewer"), json={"comments": [
        {"target": "general", "text": "现场照片不清晰"}, {"target": f"answer:{item['item_id']}:{cp}", "text": "请补充说明"}]})
    assert r.status_code == 200, r.get_json()

    lead.pull()  # an incremental pull carries the return
    visit = lead.visit(vid)
    assert _states(visit)["scjg"] == "returned"
    row = next(r for r in visit["review"] if r["department_code"] == "scjg")
    assert row["status_label"] == "已退回检查组" and row["round"] == 1 and row["department_name"]
    assert {c["target"] for c in visit["record"]["review_comments"]} == {"general", f"answer:{item['item_id']}:{cp}"}

    key = f"{item['item_id']}:{cp}"
    res = lead.do("amendment.add", visit_id=vid, amendment_id=str(uuid.uuid4()), reason="按审核意见补充说明",
                  patch=[{"op": "replace", "path": f"/answers/{_answer_index(lead.visit(vid), key)}/note",
                          "value": "补充：现场核实无误"}])
    assert res["status"] == "applied", res
    lead.pull()
    assert _states(lead.visit(vid))["scjg"] == "pending"
    queue = client.get("/api/v1/reviews?status=pending", headers=login("scjg-reviewer")).get_json()
    mine = next(r for r in queue if r["visit_id"] == vid)
    assert mine["amended_since_sent_back"] is True

    # Approve and publish: the phone shows each state in turn.
    assert client.post(f"/api/v1/reviews/{vid}/approve", headers=login("scjg-reviewer")).status_code == 200
    lead.pull()
    assert _states(lead.visit(vid))["scjg"] == "approved"
    assert client.post(f"/api/v1/reviews/{vid}/publish", headers=login("scjg-reviewer")).status_code in (200, 201)
    lead.pull()
    assert _states(lead.visit(vid))["scjg"] == "published"


def _answer_index(visit: dict, key: str) -> int:
    """Index of the answer in the canonical (sorted) answer list the amendment patches."""
    keys = sorted(visit["record"]["answers"], key=lambda k: (int(k.split(":")[0]), k.split(":", 1)[1]))
    return keys.index(key)


def test_an_unsealed_visit_has_no_review_states(client, login):
    phone = Phone(client, "scjg-insp1")
    phone.pull()
    assert all(v["review"] == [] for v in phone.visits() if v["status"] != "sealed")


def test_evidence_flag_clears_on_the_phones_when_the_bytes_arrive(client, login):
    ctx = complete_inspection(client, login("office"), upload_bytes=False)
    vid, lead = ctx["visit_id"], ctx["lead"]
    lead.pull()
    assert lead.visit(vid)["evidence_pending"] is True
    for mid in ctx["media"]:
        upload(client, lead.headers, mid, image_bytes(mid))
    # Nothing else changed on the record: the arrival of the files alone sends it to the phone again.
    body = lead.pull()
    assert not body["reset"] and any(ch["entity"] == "visit" and ch["id"] == vid for ch in body["changes"])
    assert lead.visit(vid)["evidence_pending"] is False


def test_sections_show_each_members_department_completeness_and_sync(app, client, login):
    from server.extensions import db
    from server.visits.models import Visit
    from server.visits.sections import sections

    ctx = complete_inspection(client, login("office"), seal=False)
    vid = ctx["visit_id"]
    r = client.get(f"/api/v1/visits/{vid}/sections", headers=ctx["lead"].headers)
    assert r.status_code == 200, r.get_json()
    rows = r.get_json()
    with app.app_context():  # the response schema drops nothing the view returns
        assert rows == app.json.loads(app.json.dumps(sections(db.session.get(Visit, vid))))
    assert rows[0]["role"] == "leader"
    assert {m["inspector_id"] for m in rows} == {m["inspector_id"] for m in ctx["visit"]["team"]}
    for m in rows:
        assert m["department"]["name"] and m["name"]
        assert m["complete"] is True and m["checkpoints_answered"] == m["checkpoints_total"]
        assert m["handover"] is None
    synced = [m for m in rows if m["user_id"] is not None and m["last_push_at"]]
    assert synced, rows  # the phones that pushed answers


def test_sections_before_any_answer_are_incomplete(client, login):
    phone = Phone(client, "scjg-insp1")
    phone.pull()
    visit = next(v for v in phone.visits() if v["status"] == "not_started")
    rows = client.get(f"/api/v1/visits/{visit['id']}/sections", headers=phone.headers).get_json()
    assert any(m["checkpoints_total"] for m in rows)
    assert all(m["checkpoints_answered"] == 0 for m in rows)
    assert not all(m["complete"] for m in rows)


def test_sections_of_an_unknown_or_foreign_visit_are_not_found(client, login):
    r = client.get(f"/api/v1/visits/{uuid.uuid4()}/sections", headers=login("scjg-insp1"))
    assert r.status_code == 404 and r.get_json()["code"] == "visit_not_found"
    assert r.headers["Content-Type"].startswith("application/problem+json")
    r = client.get("/api/v1/visits/not-a-uuid/sections", headers=login("scjg-insp1"))
    assert r.status_code == 404
    phone = Phone(client, "scjg-insp1")
    phone.pull()
    vid = phone.visits()[0]["id"]
    r = client.get(f"/api/v1/visits/{vid}/sections", headers=login("sthj-admin"))
    assert r.status_code == 404 and r.get_json()["code"] == "visit_not_found"


def test_a_photo_sent_with_an_amendment_answers_an_evidence_request(app, client, login):
    import hashlib

    from server.extensions import db
    from server.visits.content import content_sha256
    from server.visits.models import Visit, VisitRecord

    ctx = complete_inspection(client, login("office"))
    vid, lead = ctx["visit_id"], ctx["lead"]
    r = client.post(f"/api/v1/reviews/{vid}/request-evidence", headers=login("scjg-reviewer"),
                    json={"comments": [{"target": "general", "text": "请补拍营业执照"}]})
    assert r.status_code == 200, r.get_json()
    lead.pull()
    assert _states(lead.visit(vid))["scjg"] == "evidence_requested"
    aid, mid = str(uuid.uuid4()), str(uuid.uuid4())
    data = image_bytes(mid)
    sha = hashlib.sha256(data).hexdigest()
    res = lead.push(
        lead.mutation("media.attach", visit_id=vid, media_id=mid, sha256=sha, kind="photo",
                      target={"type": "amendment", "id": aid}, claim={"captured_at": None}),
        lead.mutation("amendment.add", visit_id=vid, amendment_id=aid, reason="补拍营业执照",
                      patch=[{"op": "add", "path": "/media/-", "value": {"media_id": mid, "sha256": sha}}]))["results"]
    assert [x["status"] for x in res] == ["applied", "applied"], res
    lead.pull()
    visit = lead.visit(vid)
    assert _states(visit)["scjg"] == "pending" and visit["evidence_pending"] is True
    # The reviewer cannot approve before the new photo's bytes arrive; then can.
    r = client.post(f"/api/v1/reviews/{vid}/approve", headers=login("scjg-reviewer"))
    assert r.status_code == 409 and r.get_json()["code"] == "evidence_pending"
    upload(client, lead.headers, mid, data)
    lead.pull()
    assert lead.visit(vid)["evidence_pending"] is False
    # What was signed is unchanged: the amendment's photo is not part of the sealed content.
    with app.app_context():
        v, rec = db.session.get(Visit, vid), db.session.get(VisitRecord, vid)
        assert content_sha256(v, rec) == rec.content_sha256 == ctx["content_sha256"]
    assert client.post(f"/api/v1/reviews/{vid}/approve", headers=login("scjg-reviewer")).status_code == 200


def test_an_amendment_photo_needs_a_sealed_record(client, login):
    ctx = complete_inspection(client, login("office"), seal=False)
    mid = str(uuid.uuid4())
    res = ctx["lead"].do("media.attach", visit_id=ctx["visit_id"], media_id=mid, sha256="a" * 64, kind="photo",
                         target={"type": "amendment", "id": str(uuid.uuid4())}, claim={})
    assert res["status"] == "rejected" and res["problem"]["code"] == "not_sealed", res
    res = ctx["lead"].do("media.attach", visit_id=ctx["visit_id"], media_id=mid, sha256="a" * 64, kind="photo",
                         target={"type": "nowhere", "id": None}, claim={})
    assert res["status"] == "rejected" and res["problem"]["code"] == "validation_failed", res
