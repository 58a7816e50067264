"""Joint handoff by QR code (docs/field-contract.md, "Handoff by QR code"): the leader's phone pushes
each member's section; the members' own pushes of the same mutations are applied once, whichever
phone syncs first; what differs from what the party signed is a content mismatch, kept and logged."""
from __future__ import annotations

import hashlib
import json
import uuid

import rfc8785
from sqlalchemy import func, select

from tests.server.visits.team import counts, team_of
from tests.support.field import LEGAL_REP_ID, STROKES, content_sha256, image_bytes, phone_time, upload


def _value(cp, alt=False):
    return {"pass_fail_na": "na" if alt else "pass", "number": "7.5" if alt else "4.5", "text": "已整改" if alt else "情况正常",
            "choice": (cp["choices"] or ["x"])[-1 if alt else 0]}[cp["answer_type"]]


def member_work(team, dept: str) -> list[dict]:
    """The member's queued (unsent) mutations: every checkpoint of its item, photos where required, one finding."""
    phone = team.phones[dept]
    item = team.item(dept)
    out = []
    for cp in item["checkpoints"]:
        out.append(phone.mutation("answer.set", visit_id=team.visit_id, item_id=item["item_id"], checkpoint_key=cp["key"],
                                  value=_value(cp), note=None, base_version=None))
        if cp["photo_required"]:
            mid = str(uuid.uuid4())
            out.append(phone.mutation("media.attach", visit_id=team.visit_id, media_id=mid,
                                      sha256=hashlib.sha256(image_bytes(mid)).hexdigest(), kind="photo",
                                      target={"type": "answer", "id": f"{item['item_id']}:{cp['key']}"},
                                      claim={"captured_at": phone_time(20)}))
    return out


def section(team, dept: str, mutations: list[dict], seq: int = 1) -> dict:
    phone = team.phones[dept]
    member = next(m for m in team.visit["team"] if m["department_code"] == dept)
    body = {"v": 1, "visit_id": team.visit_id, "member_user_id": member["user_id"], "client_id": phone.client_id,
            "seq": seq, "handed_at": phone_time(5), "mutations": mutations}
    return {**body, "section_sha256": hashlib.sha256(rfc8785.dumps(body)).hexdigest()}


def leader_own_part(team):
    lead, vid = team.lead, team.visit_id
    lead.ok("visit.arrive", visit_id=vid, at=phone_time(30), gps={"lat": 38.4167, "lon": 112.7333, "accuracy": 12.5}, method="onsite")
    lead.ok("visit.present", visit_id=vid, inspector_ids=team.inspectors())
    lead.ok("visit.credentials_shown", visit_id=vid, at=phone_time(29))
    lead.ok("visit.rights_informed", visit_id=vid, at=phone_time(28))
    lead_dept = next(m["department_code"] for m in team.visit["team"] if m["role"] == "leader")
    assert all(r["status"] == "applied" for r in lead.push(*member_work(team, lead_dept))["results"])
    lead.ok("outcome.set", visit_id=vid, codes=["1"], followup="none", followup_note=None, case=None)


def sign_and_seal(team) -> str:
    lead, vid = team.lead, team.visit_id
    lead.pull()
    current = content_sha256(lead.visit(vid))
    for role, name, extra in [("legal_rep", "王某", {"id_number": LEGAL_REP_ID})] + \
            [("inspector", m["name"], {"inspector_id": m["inspector_id"]}) for m in team.visit["team"][:2]]:
        sid, img = str(uuid.uuid4()), str(uuid.uuid4())
        sha = hashlib.sha256(image_bytes(img)).hexdigest()
        lead.ok("media.attach", visit_id=vid, media_id=img, sha256=sha, kind="signature", target={"type": "signature", "id": sid},
                claim={})
        upload(lead.client, lead.headers, img, image_bytes(img))  # the desk shows the signature image
        lead.ok("signature.capture", visit_id=vid, signature_id=sid, role=role, signer_name=name, content_sha256=current,
                strokes=STROKES, image_media_id=img, image_sha256=sha, **extra)
    lead.ok("visit.seal", visit_id=vid, content_sha256=current)
    return current


def members(team):
    lead_dept = next(m["department_code"] for m in team.visit["team"] if m["role"] == "leader")
    return [d for d in sorted(team.phones) if d != lead_dept]


def _db_counts(app, vid):
    from server.extensions import db
    with app.app_context():
        return counts(db.session, vid)


def test_leader_first_then_members_apply_once(app, client, login):
    team = team_of(client, login("office"))
    leader_own_part(team)
    work = {d: member_work(team, d) for d in members(team)}
    for d, muts in work.items():
        res = team.lead.ok("handoff.section", **section(team, d, muts))
        assert res["data"]["applied"] == len(muts)
    # The same section again (a re-sent push): nothing more.
    again = team.lead.ok("handoff.section", **section(team, members(team)[0], work[members(team)[0]]))
    signed = sign_and_seal(team)
    before = _db_counts(app, team.visit_id)
    for d, muts in work.items():
        reply = team.phones[d].push(*muts)
        assert all(r["status"] == "applied" and r["data"] == {"handed_over": True} for r in reply["results"]), reply
    after = _db_counts(app, team.visit_id)
    for table in ("visit_answers", "visit_findings", "visit_media", "visit_signatures", "visit_field_history"):
        assert after[table] == before[table], table
    team.lead.pull()
    v = team.lead.visit(team.visit_id)
    assert v["status"] == "sealed" and v["record"]["sealed"]["content_sha256"] == signed
    assert content_sha256(v) == signed and v["record"]["content_mismatches"] == []
    # Each department's answers are attributed to its own inspector.
    by_dept = {m["department_id"]: m["user_id"] for m in team.visit["team"]}
    assert all(a["by"] == by_dept[a["department_id"]] for a in v["record"]["answers"].values())
    assert again["data"]["handoff_id"]


def test_members_first_then_leader_nothing_doubled(app, client, login):
    team = team_of(client, login("office"))
    leader_own_part(team)
    work = {d: member_work(team, d) for d in members(team)}
    for d, muts in work.items():
        team.phones[d].push(*muts)
    mid_counts = _db_counts(app, team.visit_id)
    for d, muts in work.items():
        res = team.lead.ok("handoff.section", **section(team, d, muts))
        assert res["data"] == {"handoff_id": res["data"]["handoff_id"], "applied": 0, "already_applied": len(muts)}
    after = _db_counts(app, team.visit_id)
    assert after["visit_answers"] == mid_counts["visit_answers"] and after["visit_media"] == mid_counts["visit_media"]
    sign_and_seal(team)
    team.lead.pull()
    assert team.lead.visit(team.visit_id)["record"]["content_mismatches"] == []


def test_change_after_handoff_synced_first_is_a_mismatch_and_the_signed_content_stands(app, client, login):
    team = team_of(client, login("office"))
    leader_own_part(team)
    d = members(team)[0]
    muts = member_work(team, d)
    sec = section(team, d, muts)
    phone = team.phones[d]
    first = muts[0]
    cp = next(c for c in team.item(d)["checkpoints"] if c["key"] == first["args"]["checkpoint_key"])
    changed = phone.mutation("answer.set", **{**first["args"], "value": _value(cp, alt=True), "note": "交接后修改"})
    phone.push(*muts, changed)  # the member syncs first, with a change made after the handoff
    for other in members(team)[1:]:
        team.lead.ok("handoff.section", **section(team, other, member_work(team, other)))
    res = team.lead.ok("handoff.section", **sec)
    assert res["data"]["already_applied"] == len(muts)
    signed = sign_and_seal(team)  # the party signed the handed-over section: the seal stands on it
    team.lead.pull()
    v = team.lead.visit(team.visit_id)
    key = f"{first['args']['item_id']}:{first['args']['checkpoint_key']}"
    assert v["record"]["answers"][key]["value"] == first["args"]["value"] and content_sha256(v) == signed
    [mm] = v["record"]["content_mismatches"]
    assert mm["field"] == f"answers.{key}" and mm["source"] == "handoff"
    assert mm["signed"]["value"] == first["args"]["value"] and mm["arrived"] == {"value": _value(cp, alt=True), "note": "交接后修改"}
    _logged_both(app, team.visit_id, first["args"]["value"], _value(cp, alt=True))


def test_change_after_seal_is_refused_as_mismatch_shown_to_leader_and_desk(app, client, login):
    team = team_of(client, login("office"))
    leader_own_part(team)
    work = {d: member_work(team, d) for d in members(team)}
    for d, muts in work.items():
        team.lead.ok("handoff.section", **section(team, d, muts))
    signed = sign_and_seal(team)
    d = members(team)[0]
    phone = team.phones[d]
    first = work[d][0]
    cp = next(c for c in team.item(d)["checkpoints"] if c["key"] == first["args"]["checkpoint_key"])
    changed = phone.mutation("answer.set", **{**first["args"], "value": _value(cp, alt=True), "note": None})
    same_again = phone.mutation("answer.set", **first["args"])  # a re-set to the signed value changes nothing
    reply = phone.push(*work[d], changed, same_again)["results"]
    assert [r["status"] for r in reply] == ["applied"] * len(work[d]) + ["rejected", "applied"], reply
    assert reply[-2]["problem"]["code"] == "content_mismatch"
    team.lead.pull()
    v = team.lead.visit(team.visit_id)
    assert v["record"]["sealed"]["content_sha256"] == signed and content_sha256(v) == signed
    [mm] = v["record"]["content_mismatches"]
    assert mm["source"] == "member_push" and mm["mutation_id"] == changed["id"]
    desk = client.get(f"/api/v1/reviews/{team.visit_id}", headers=login("scjg-reviewer")).get_json()
    assert desk["visit"]["record"]["content_mismatches"][0]["arrived"]["value"] == _value(cp, alt=True)
    _logged_both(app, team.visit_id, first["args"]["value"], _value(cp, alt=True))
    # A different body under an id that was handed over is a mismatch too, never a silent duplicate.
    d2 = members(team)[1]
    forged = {**work[d2][0], "args": {**work[d2][0]["args"], "note": "改过"}}
    reply = team.phones[d2].push(forged, *work[d2][1:])["results"]
    assert reply[0]["status"] == "rejected" and reply[0]["problem"]["code"] == "content_mismatch"
    assert all(r["status"] == "applied" for r in reply[1:])
    team.lead.pull()
    assert len(team.lead.visit(team.visit_id)["record"]["content_mismatches"]) == 2


def _logged_both(app, visit_id, signed_value, arrived_value):
    from server.audit.models import AuditEntry
    from server.extensions import db
    with app.app_context():
        entries = db.session.execute(select(AuditEntry).where(AuditEntry.action == "visit.content_mismatch",
                                                              AuditEntry.target_id == visit_id)).scalars().all()
        data = [json.loads(e.payload) for e in entries]
        data = [d.get("data", d) for d in data]
        assert any(d["signed"]["value"] == signed_value and d["arrived"]["value"] == arrived_value for d in data), data


def test_bad_sections_are_refused_and_nothing_is_written(app, client, login):
    team = team_of(client, login("office"))
    leader_own_part(team)
    d = members(team)[0]
    muts = member_work(team, d)
    before = _db_counts(app, team.visit_id)
    good = section(team, d, muts)
    corrupt = {**good, "mutations": good["mutations"][:-1]}
    assert team.lead.do("handoff.section", **corrupt)["problem"]["code"] == "section_corrupt"
    assert team.phones[members(team)[1]].do("handoff.section", **good)["problem"]["code"] == "not_team_leader"
    wrong_client = section(team, d, muts)
    wrong_client = {**wrong_client, "client_id": team.lead.client_id}
    body = {k: wrong_client[k] for k in ("v", "visit_id", "member_user_id", "client_id", "seq", "handed_at", "mutations")}
    wrong_client["section_sha256"] = hashlib.sha256(rfc8785.dumps(body)).hexdigest()
    assert team.lead.do("handoff.section", **wrong_client)["problem"]["code"] == "unknown_client"
    bad_value = section(team, d, [{**muts[0], "args": {**muts[0]["args"], "value": "不存在的值"}}])
    assert team.lead.do("handoff.section", **bad_value)["problem"]["code"] == "validation_failed"
    other_visit = section(team, d, [{**muts[0], "args": {**muts[0]["args"], "visit_id": str(uuid.uuid4())}}])
    assert team.lead.do("handoff.section", **other_visit)["problem"]["code"] == "section_corrupt"
    assert team.lead.do("handoff.section", **{**good, "v": 2})["problem"]["code"] == "validation_failed"
    after = _db_counts(app, team.visit_id)
    for table in ("visit_answers", "visit_findings", "visit_media"):
        assert after[table] == before[table], table
    from server.extensions import db
    from server.visits.models import HandoffMutation, HandoffSection
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(HandoffSection)) == 0
        assert db.session.scalar(select(func.count()).select_from(HandoffMutation)) == 0


def test_an_older_handover_after_a_newer_one_is_not_applied(app, client, login):
    team = team_of(client, login("office"))
    leader_own_part(team)
    d = members(team)[0]
    muts = member_work(team, d)
    phone = team.phones[d]
    first = muts[0]
    cp = next(c for c in team.item(d)["checkpoints"] if c["key"] == first["args"]["checkpoint_key"])
    changed = phone.mutation("answer.set", **{**first["args"], "value": _value(cp, alt=True)})
    newer = team.lead.ok("handoff.section", **section(team, d, muts + [changed], seq=2))
    assert newer["data"]["applied"] == len(muts) + 1
    older = team.lead.ok("handoff.section", **section(team, d, muts, seq=1))
    assert older["data"] == {"superseded_by_seq": 2}
    team.lead.pull()
    v = team.lead.visit(team.visit_id)
    key = f"{first['args']['item_id']}:{first['args']['checkpoint_key']}"
    assert v["record"]["answers"][key]["value"] == _value(cp, alt=True) and v["record"]["content_mismatches"] == []


def test_leaders_view_shows_which_sections_were_handed_over(client, login):
    """The leader's team view (GET /visits/<id>/sections) says which member's section reached the
    server by handoff, and when it was handed over (the newest handover of that member)."""
    team = team_of(client, login("office"))
    leader_own_part(team)
    d = members(team)[0]
    muts = member_work(team, d)
    team.lead.ok("handoff.section", **section(team, d, muts[:1], seq=1))
    newer = section(team, d, muts, seq=2)
    team.lead.ok("handoff.section", **newer)
    rows = client.get(f"/api/v1/visits/{team.visit_id}/sections", headers=team.lead.headers).get_json()
    member = next(m for m in team.visit["team"] if m["department_code"] == d)
    by_inspector = {r["inspector_id"]: r for r in rows}
    assert by_inspector[member["inspector_id"]]["handover"] == {"handed_over_at": newer["handed_at"]}
    others = [r for r in rows if r["inspector_id"] != member["inspector_id"]]
    assert others and all(r["handover"] is None for r in others)
