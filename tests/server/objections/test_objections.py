"""Objections (异议) to published results: filed by anyone with a contact and a reference number,
looked up by that number, accepted by the publishing department (the public row corrected and
marked 已更正 with the date) or rejected with reasons; every step audited; filing rate-limited."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from server.audit.models import AuditEntry
from server.extensions import db
from tests.support import field


@pytest.fixture
def seed_level():
    return "field"


@pytest.fixture
def published(client, login):
    office, rv = login("office"), login("scjg-reviewer")
    scout = field.Phone(client, "scjg-insp1")
    scout.pull()
    out = []
    for vid in [v["id"] for v in scout.visits()[:2]]:
        field.complete_inspection(client, office, vid, codes=("A",), followup="routine",
                                  findings=[{"department": "scjg", "description": "冷藏柜温度超标"}])
        assert client.post(f"/api/v1/reviews/{vid}/approve", headers=rv).status_code == 200
        assert client.post(f"/api/v1/reviews/{vid}/publish", headers=rv).status_code == 200
        out.append((vid, client.get(f"/api/v1/reviews/{vid}", headers=rv).get_json()["published"]["id"]))
    return out


def _file(client, result_id, **kw):
    body = {"result_id": result_id, "name": "忻府区孙家面馆", "contact": "13903501234", "text": "我店已当场整改，结果应为已改正", **kw}
    return client.post("/api/v1/public/objections", json=body)


def test_accepted_objection_corrects_the_public_row(app, client, login, published):
    (vid, rid), _ = published
    r = _file(client, rid)
    assert r.status_code == 201
    ref = r.get_json()["reference"]
    assert ref.startswith("YY") and r.get_json()["status_label"] == "待处理"
    assert "13903501234" not in r.get_data(as_text=True)  # the contact is never shown back publicly
    assert client.get(f"/api/v1/public/objections/{ref.lower()}").get_json()["status"] == "filed"
    rv = login("scjg-reviewer")
    listed = client.get("/api/v1/objections", headers=rv).get_json()
    (o,) = listed["items"]
    assert o["contact"] == "13903501234" and o["result_codes"] == ["A"]
    assert {"code": "E", "label": "发现问题经责令已改正"} in listed["result_codes"]
    assert client.get("/api/v1/objections", headers=login("sthj-admin")).get_json()["items"] == []
    # The other department cannot decide it; a correction must change the result.
    assert client.post(f"/api/v1/objections/{o['id']}/accept", headers=login("sthj-admin"),
                       json={"result_codes": ["E"], "reason": "核实"}).status_code == 404
    same = client.post(f"/api/v1/objections/{o['id']}/accept", headers=rv, json={"result_codes": ["A"], "reason": "核实"})
    assert same.status_code == 422 and same.get_json()["code"] == "objection_no_change"
    bad = client.post(f"/api/v1/objections/{o['id']}/accept", headers=rv, json={"result_codes": ["1", "A"], "reason": "核实"})
    assert bad.status_code == 422
    ok = client.post(f"/api/v1/objections/{o['id']}/accept", headers=rv,
                     json={"result_codes": ["E"], "reason": "经复核，当事人已当场改正"})
    assert ok.status_code == 200 and ok.get_json()["status"] == "accepted"
    again = client.post(f"/api/v1/objections/{o['id']}/reject", headers=rv, json={"reason": "重复"})
    assert again.status_code == 409 and again.get_json()["code"] == "objection_decided"
    today = dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).date().isoformat()
    row = next(x for x in client.get("/api/v1/public/results").get_json()["items"] if x["id"] == rid)
    assert row["result"] == "发现问题经责令已改正" and row["corrected_on"] == today
    page = client.get("/public/results").get_data(as_text=True)
    assert f"已更正（{today}）" in page
    looked = client.get(f"/api/v1/public/objections/{ref}").get_json()
    assert looked["status_label"] == "已受理并更正" and looked["corrected_on"] == today
    assert looked["decision_reason"] == "经复核，当事人已当场改正"
    assert client.get(f"/api/v1/reviews/{vid}", headers=rv).get_json()["published"]["corrected_on"] == today
    with app.app_context():
        actions = [e.action for e in db.session.execute(select(AuditEntry).where(AuditEntry.target_id == vid)
                                                        .order_by(AuditEntry.seq)).scalars()]
        data = [e.payload for e in db.session.execute(select(AuditEntry).where(
            AuditEntry.action.like("objection.%"))).scalars()]
    changes = [a for a in actions if not a.endswith(".read")]  # opening the record is logged as a read
    assert changes[-3:] == ["objection.file", "result.revise", "objection.accept"]
    assert all("13903501234" not in str(d) for d in data)


def test_rejected_objection_keeps_the_row(client, login, published):
    _, (vid, rid) = published
    ref = _file(client, rid).get_json()["reference"]
    rv = login("scjg-reviewer")
    oid = client.get("/api/v1/objections", headers=rv, query_string={"status": "filed"}).get_json()["items"][0]["id"]
    assert client.post(f"/api/v1/objections/{oid}/reject", headers=rv, json={"reason": "x"}).status_code == 422
    r = client.post(f"/api/v1/objections/{oid}/reject", headers=rv, json={"reason": "现场照片显示问题存在，原结果无误"})
    assert r.status_code == 200
    looked = client.get(f"/api/v1/public/objections/{ref}").get_json()
    assert looked["status_label"] == "不予采纳" and looked["corrected_on"] is None
    assert looked["result"] == "发现问题待后续处理"
    row = next(x for x in client.get("/api/v1/public/results").get_json()["items"] if x["id"] == rid)
    assert row["corrected_on"] is None and row["revised_on"] is None


def test_bad_filings_and_rate_limit(app, client, published):
    (_, rid), _ = published
    assert _file(client, 999999).get_json()["code"] == "objection_result_not_found"
    r = _file(client, rid, contact="随便写写")
    assert r.status_code == 422 and r.get_json()["code"] == "validation_failed"
    assert client.get("/api/v1/public/objections/YY20260101-NOPE2345").status_code == 404
    app.config["PUBLIC_OBJECTION_MAX_REQUESTS"] = 3
    codes = [_file(client, rid, text=f"第 {i} 次提出异议").status_code for i in range(4)]
    assert codes[-1] == 429  # the two bad filings above count too: a flood is refused whatever it sends
    limited = _file(client, rid)
    assert limited.get_json()["code"] == "objection_throttled" and int(limited.headers["Retry-After"]) > 0


def test_public_form_files_and_looks_up(client, published):
    (_, rid), _ = published
    form = client.get(f"/public/objections/new?result={rid}").get_data(as_text=True)
    assert "对公示结果提出异议" in form and "发现问题待后续处理" in form
    bad = client.post(f"/public/objections/new?result={rid}", data={"name": "孙", "contact": "x", "text": "不服"})
    assert bad.status_code == 422 and "未能提交" in bad.get_data(as_text=True)
    ok = client.post(f"/public/objections/new?result={rid}", data={"name": "孙", "contact": "13903501234",
                                                                   "text": "我店已当场整改完毕"})
    assert ok.status_code == 201
    html = ok.get_data(as_text=True)
    ref = html.split('id="reference">')[1].split("<")[0]
    assert "待处理" in client.get(f"/public/objections?reference={ref}").get_data(as_text=True)
    assert client.get("/public/objections?reference=NOPE").status_code == 404
    assert client.get("/public/objections/new?result=999999").status_code == 404


def test_joint_check_objections_go_to_the_publishing_department(client, login):
    """Per-department entries (谁检查、谁录入): an objection to yjgl's own row is yjgl's to decide and
    corrects yjgl's entry (and the joint summary follows); one to the joint summary is the initiating
    department's, and accepting it corrects the summary row."""
    office = login("office")
    ctx = field.complete_inspection(client, office, codes=("A",), followup="rectify",
                                    findings=[{"department": "yjgl", "description": "安全生产责任制未上墙公示"}])
    vid = ctx["visit_id"]
    depts = [d["department"] for d in client.get(f"/api/v1/reviews/{vid}", headers=login("scjg-reviewer"))
             .get_json()["entries"]]
    assert "yjgl" in depts and len(depts) > 1
    for code in depts:
        h = login(f"{code}-reviewer")
        assert client.post(f"/api/v1/reviews/{vid}/approve", headers=h).status_code == 200
        assert client.post(f"/api/v1/reviews/{vid}/publish", headers=h).status_code == 200
    assert client.post(f"/api/v1/reviews/{vid}/publish-summary", headers=login("scjg-reviewer")).status_code == 200
    rows = {(r["kind"], r["authority"]): r for r in client.get("/api/v1/public/results").get_json()["items"]}
    yjgl_row = next(r for (kind, auth), r in rows.items() if kind == "department" and "应急管理局" in auth)
    summary = next(r for (kind, _), r in rows.items() if kind == "joint")
    assert yjgl_row["result"] == summary["result"] == "发现问题待后续处理"

    _file(client, yjgl_row["id"])
    assert client.get("/api/v1/objections", headers=login("scjg-reviewer")).get_json()["items"] == []
    (o,) = client.get("/api/v1/objections", headers=login("yjgl-reviewer")).get_json()["items"]
    assert client.post(f"/api/v1/objections/{o['id']}/accept", headers=login("scjg-reviewer"),
                       json={"result_codes": ["E"], "reason": "核实"}).status_code == 404
    assert client.post(f"/api/v1/objections/{o['id']}/accept", headers=login("yjgl-reviewer"),
                       json={"result_codes": ["E"], "reason": "经复核已改正"}).status_code == 200
    after = {r["id"]: r for r in client.get("/api/v1/public/results").get_json()["items"]}
    assert after[yjgl_row["id"]]["result"] == "发现问题经责令已改正" and after[yjgl_row["id"]]["corrected_on"]
    assert after[summary["id"]]["result"] == "发现问题经责令已改正"  # the summary follows the entries
    entry = next(e for e in client.get(f"/api/v1/reviews/{vid}", headers=login("yjgl-reviewer")).get_json()["entries"]
                 if e["department"] == "yjgl")
    assert entry["result_codes"] == ["E"]

    _file(client, summary["id"], text="汇总结果有误")
    (s,) = client.get("/api/v1/objections", headers=login("scjg-reviewer")).get_json()["items"]
    assert client.post(f"/api/v1/objections/{s['id']}/accept", headers=login("scjg-reviewer"),
                       json={"result_codes": ["1"], "reason": "经复核未发现问题"}).status_code == 200
    after = {r["id"]: r for r in client.get("/api/v1/public/results").get_json()["items"]}
    assert after[summary["id"]]["result"] == "未发现问题" and after[summary["id"]]["corrected_on"]
    assert after[yjgl_row["id"]]["result"] == "发现问题经责令已改正"  # the department's own row stays
