"""Leads from findings: evidence gate, webhook round trip, receipts and feedback, credit, permissions."""
from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import text

from tests.server.leads.lead_support import audit_actions, dept_codes, sealed_with_finding, upload_all
from tests.server.delivery.receiver import Receiver


@pytest.fixture
def seed_level():
    return "field"


def problem(resp, status, code):
    assert resp.status_code == status, (resp.status_code, resp.get_json())
    assert resp.mimetype == "application/problem+json"
    body = resp.get_json()
    assert body["code"] == code, body
    return body


def test_lead_waits_for_evidence_and_suggests_the_items_department(client, login, dbs):
    office, rev = login("office"), login("scjg-reviewer")
    ctx = sealed_with_finding(client, office, upload_bytes=False)
    codes = dept_codes(client, office)
    sug = client.get(f"/api/v1/leads/suggestion?finding_id={ctx['finding_id']}", headers=rev).get_json()
    # The finding is on a participating department's item: that department is suggested.
    item_dept = next(d for d in ctx["task"]["departments"][1:2])
    assert sug["department_id"] == item_dept["id"] and sug["category"] == "department"
    assert sug["evidence"]["sealed"] is True and sug["evidence"]["complete"] is False
    body = {"finding_id": ctx["finding_id"], "category": "department"}
    pending = problem(client.post("/api/v1/leads", headers=rev, json=body), 409, "evidence_pending")
    assert sorted(pending["media_ids"]) == sorted(ctx["media"])
    with dbs() as s:
        assert s.execute(text("SELECT count(*) FROM leads")).scalar_one() == 0
        assert s.execute(text("SELECT count(*) FROM outbox_messages WHERE subject_type = 'lead'")).scalar_one() == 0

    upload_all(client, ctx)
    r = client.post("/api/v1/leads", headers=rev, json=body)
    assert r.status_code == 201, r.get_json()
    lead = r.get_json()
    assert lead["receiver_department_id"] == item_dept["id"] == lead["suggested_department_id"]
    assert lead["status"] == "sent" and lead["legal_basis"] == "《食品安全法》第一百二十六条"
    finding_media = [m for m in ctx["media"] if m in {x["media_id"] for x in lead["evidence"]["media"]}]
    assert len(finding_media) == 1  # the finding's own photo, by default
    assert lead["evidence"]["record"]["content_sha256"] == ctx["content_sha256"]
    assert lead["evidence"]["record"]["pdf"] == f"/api/v1/leads/{lead['id']}/record.pdf"
    assert lead["delivery"]["status"] == "inbox_only" and lead["receipt_due_on"]
    # The lead and its message were written together.
    with dbs() as s:
        msg = s.execute(text("SELECT department_id, event_type FROM outbox_messages WHERE subject_type = 'lead' "
                             "AND subject_id = :i"), {"i": str(lead["id"])}).one()
    assert tuple(msg) == (item_dept["id"], "lead.created")
    assert codes[lead["receiver_department_id"]] == item_dept["code"]
    # A selected media item must belong to the record; an unknown category is refused.
    problem(client.post("/api/v1/leads", headers=rev, json={**body, "media_ids": ["6f1d8a52-7c3e-4c55-9a41-1f0e2b9d7a10"]}),
            422, "media_not_in_record")
    assert client.post("/api/v1/leads", headers=rev, json={**body, "category": "police"}).status_code == 422
    # A retried creation with the same Idempotency-Key creates nothing more.
    key = {**rev, "Idempotency-Key": "create-0001"}
    one = client.post("/api/v1/leads", headers=key, json={**body, "summary": "重试"})
    two = client.post("/api/v1/leads", headers=key, json={**body, "summary": "重试"})
    assert one.status_code == two.status_code == 201 and one.get_json()["id"] == two.get_json()["id"]
    problem(client.post("/api/v1/leads", headers=key, json={**body, "summary": "另一条"}), 409, "idempotency_key_reused")
    # Own case-handling unit: the receiver is the sender's own department.
    r = client.post("/api/v1/leads", headers=rev, json={**body, "category": "case_unit"})
    assert r.status_code == 201 and r.get_json()["receiver_department_id"] == r.get_json()["sender_department_id"]


def test_team_leader_may_create_other_inspectors_may_not(client, login):
    office = login("office")
    ctx = sealed_with_finding(client, office)
    body = {"finding_id": ctx["finding_id"], "category": "department"}
    r = client.post("/api/v1/leads", headers=ctx["lead"].headers, json=body)
    assert r.status_code == 201, r.get_json()
    leader_name = ctx["lead"].username
    other = next(u for u in ("scjg-insp1", "scjg-insp2", "scjg-insp3", "scjg-insp4") if u != leader_name)
    problem(client.post("/api/v1/leads", headers=login(other), json=body), 404, "finding_not_found")
    problem(client.post("/api/v1/leads", headers=login("sthj-admin"), json=body), 404, "finding_not_found")


def test_round_trip_webhook_receipt_feedback_credit(app, client, login, dbs, delivery, runner):
    office, rev = login("office"), login("scjg-reviewer")
    ctx = sealed_with_finding(client, office)
    codes = dept_codes(client, office)
    item_dept = ctx["task"]["departments"][1]
    code = item_dept["code"]
    receiver_admin = login(f"{code}-admin")
    with Receiver(script=[(500, {}), (200, {})]) as rx:
        _, secret = delivery.endpoint(code, rx.url)
        rx.secrets.append(secret)
        r = client.post("/api/v1/leads", headers=rev, json={"finding_id": ctx["finding_id"], "category": "department",
                                                          "summary": "未公示许可证，涉嫌违反卫生管理规定"})
        assert r.status_code == 201, r.get_json()
        lead = r.get_json()
        assert lead["delivery"]["status"] == "pending"
        delivery.run_once()
        delivery.make_due()
        delivery.run_once()
    # The receiver saw the lead exactly once, with a signature the standardwebhooks package accepts.
    assert [s.status for s in rx.requests] == [500, 200]
    assert all(s.verified_with == [0] for s in rx.requests)
    assert len(rx.accepted) == 1 and rx.duplicates == 0
    payload = next(iter(rx.accepted.values()))
    assert payload["type"] == "lead.created" and payload["data"]["subject_id"] == str(lead["id"])
    # Thin payload: the receiver fetches the lead with its own token; the fetch is logged.
    r = client.get(payload["data"]["url"], headers=receiver_admin)
    assert r.status_code == 200 and r.get_json()["data"]["summary"] == "未公示许可证，涉嫌违反卫生管理规定"
    lid = lead["id"]
    # Reading the lead's detail is a fetch too (logged); the sender's own reads are not.
    assert client.get(f"/api/v1/leads/{lid}", headers=receiver_admin).get_json()["summary"].startswith("未公示")
    assert client.get(f"/api/v1/leads/{lid}", headers=rev).status_code == 200
    fetches = [e["data"] for e in client.get(f"/api/v1/leads/{lid}/timeline", headers=rev).get_json()
               if e["kind"] == "fetched"]
    assert [f.get("via") for f in fetches] == [None, "lead_api"]

    # Receipt, idempotent by key.
    key = {"Idempotency-Key": "rx-receipt-0001"}
    first = client.post(f"/api/v1/leads/{lid}/receipt", headers={**receiver_admin, **key}, json={"handler_name": "王科长"})
    assert first.status_code == 200 and first.get_json()["status"] == "received"
    again = client.post(f"/api/v1/leads/{lid}/receipt", headers={**receiver_admin, **key}, json={"handler_name": "王科长"})
    assert again.status_code == 200 and again.get_json() == first.get_json()
    assert again.headers.get("Idempotent-Replayed") == "true"
    problem(client.post(f"/api/v1/leads/{lid}/receipt", headers={**receiver_admin, **key}, json={"handler_name": "李"}),
            409, "idempotency_key_reused")
    # Without a key a second receipt is a state conflict, not a second step.
    problem(client.post(f"/api/v1/leads/{lid}/receipt", headers=receiver_admin, json={}), 409, "lead_wrong_state")
    # Only the receiving department acts: the sender and the office may look, not sign.
    problem(client.post(f"/api/v1/leads/{lid}/progress", headers=rev, json={}), 403, "not_receiver")
    problem(client.post(f"/api/v1/leads/{lid}/progress", headers=office, json={}), 403, "role_required")
    assert client.post(f"/api/v1/leads/{lid}/progress", headers=receiver_admin, json={"note": "已指派"}).status_code == 200

    # Conclusion with a serious penalty; replay with a different body is refused.
    key = {"Idempotency-Key": "rx-conclusion-0001"}
    conclusion = {"result": "punished", "decision_no": "忻卫罚〔2026〕17号", "decided_on": "2026-12-20", "serious": True,
                  "documents": ["行政处罚决定书.pdf"], "note": "罚款五千元"}
    r = client.post(f"/api/v1/leads/{lid}/conclusion", headers={**receiver_admin, **key}, json=conclusion)
    assert r.status_code == 200, r.get_json()
    problem(client.post(f"/api/v1/leads/{lid}/conclusion", headers={**receiver_admin, **key},
                        json={**conclusion, "serious": False}), 409, "idempotency_key_reused")

    # The sender sees the result, in its lead view and in its inbox.
    seen = client.get(f"/api/v1/leads/{lid}", headers=rev).get_json()
    assert seen["status"] == "concluded" and seen["result"] == "punished" and seen["closed_at"]
    assert seen["decision_no"] == "忻卫罚〔2026〕17号" and seen["delivery"]["status"] == "delivered"
    inbox = client.get("/api/v1/delivery/inbox", headers=rev).get_json()["items"]
    events = sorted(i["message"]["event_type"] for i in inbox if i["message"]["subject_id"] == str(lid))
    assert events == ["lead.concluded", "lead.in_progress", "lead.received"]

    # The timeline covers every step, delivery attempts included.
    tl = client.get(f"/api/v1/leads/{lid}/timeline", headers=rev).get_json()
    kinds = [e["kind"] for e in tl]
    assert kinds[0] == "created"
    for k in ("attempt", "fetched", "received", "in_progress", "concluded", "credit_updated"):
        assert k in kinds, (k, kinds)
    attempts = [e["data"] for e in tl if e["kind"] == "attempt"]
    assert [(a["attempt_no"], a["outcome"]) for a in attempts] == [(1, "retry"), (2, "delivered")]
    assert kinds.index("created") < kinds.index("received") < kinds.index("concluded")
    # The audit chain covers each step.
    actions = audit_actions(dbs, "lead", lid)
    for a in ("lead.created", "lead.fetch", "lead.received", "lead.in_progress", "lead.concluded", "lead.credit_updated"):
        assert a in actions, (a, actions)
    # The object's credit record: violation history, serious-violation list, last check.
    obj = ctx["visit"]["object"]["id"]
    with dbs() as s:
        v = s.execute(text("SELECT decision_no, serious FROM object_violations WHERE object_id = :o"), {"o": obj}).one()
        assert v[0] == "忻卫罚〔2026〕17号" and bool(v[1]) is True
        assert bool(s.execute(text("SELECT serious_violation_list FROM object_credit WHERE object_id = :o"),
                              {"o": obj}).scalar_one()) is True
        checked = s.execute(text("SELECT last_checked_on FROM object_dept_checks WHERE object_id = :o AND "
                                 "department_id = :d"), {"o": obj, "d": seen["sender_department_id"]}).scalar_one()
        ended = s.execute(text("SELECT check_ended_on FROM visit_records WHERE visit_id = :v"),
                          {"v": ctx["visit_id"]}).scalar_one()
    assert checked == ended
    assert codes[seen["receiver_department_id"]] == code
    # The whole chain, sealed records included, still verifies.
    res = runner.invoke(args=["audit", "verify"])
    assert res.exit_code == 0, res.output
    # A concluded lead takes no further step.
    problem(client.post(f"/api/v1/leads/{lid}/return", headers=receiver_admin, json={"reason": "误送"}),
            409, "lead_wrong_state")


def test_return_flows_back_and_dashboard_counts(client, login):
    office, rev = login("office"), login("scjg-reviewer")
    ctx = sealed_with_finding(client, office)
    code = ctx["task"]["departments"][1]["code"]
    rx = login(f"{code}-admin")
    lid = client.post("/api/v1/leads", headers=rev, json={"finding_id": ctx["finding_id"], "category": "department"}
                      ).get_json()["id"]
    dash = {r["department_code"]: r for r in client.get("/api/v1/leads/dashboard", headers=office).get_json()}
    assert dash[code]["received"]["open"] == 1 and dash[code]["received"]["awaiting_receipt"] == 1
    assert dash["scjg"]["sent"]["open"] == 1
    mine = client.get("/api/v1/leads/dashboard", headers=rx).get_json()
    assert [r["department_code"] for r in mine] == [code]
    problem(client.post(f"/api/v1/leads/{lid}/return", headers=rx, json={"reason": " "}), 422, "validation_failed")
    r = client.post(f"/api/v1/leads/{lid}/return", headers=rx, json={"reason": "不属于本部门职责，建议移送商务局"})
    assert r.status_code == 200 and r.get_json()["status"] == "returned"
    assert client.get(f"/api/v1/leads/{lid}", headers=rev).get_json()["return_reason"].startswith("不属于")
    dash = {r["department_code"]: r for r in client.get("/api/v1/leads/dashboard", headers=rev).get_json()}
    assert dash["scjg"]["sent"]["closed"] == 1 and dash["scjg"]["sent"]["returned"] == 1
    # Lists: by direction; a department that has nothing to do with the lead sees nothing and gets 404.
    assert [x["id"] for x in client.get("/api/v1/leads?direction=sent", headers=rev).get_json()["items"]] == [lid]
    assert client.get("/api/v1/leads?direction=received", headers=rev).get_json()["items"] == []
    outsider = next(c for c in ("sw", "wl", "yjgl", "sthj") if c not in {d["code"] for d in ctx["task"]["departments"]})
    assert client.get("/api/v1/leads", headers=login(f"{outsider}-admin")).get_json()["items"] == []
    problem(client.get(f"/api/v1/leads/{lid}", headers=login(f"{outsider}-admin")), 404, "lead_not_found")
    problem(client.get(f"/api/v1/leads/{lid}/timeline", headers=login(f"{outsider}-admin")), 404, "lead_not_found")
    problem(client.get("/api/v1/leads/999999", headers=rev), 404, "lead_not_found")


def test_reminders_after_working_days_once_per_stage(client, login, runner, app):
    office, rev = login("office"), login("scjg-reviewer")
    ctx = sealed_with_finding(client, office)
    code = ctx["task"]["departments"][1]["code"]
    lead = client.post("/api/v1/leads", headers=rev, json={"finding_id": ctx["finding_id"], "category": "department"}
                       ).get_json()
    due = lead["receipt_due_on"]
    res = runner.invoke(args=["leads", "remind", "--today", due])
    assert "0 overdue receipt" in res.output, res.output
    after = (dt.date.fromisoformat(due) + dt.timedelta(days=1)).isoformat()
    res = runner.invoke(args=["leads", "remind", "--today", after])
    assert "1 overdue receipt" in res.output, res.output
    res = runner.invoke(args=["leads", "remind", "--today", after])
    assert "0 overdue receipt" in res.output, res.output
    tl = client.get(f"/api/v1/leads/{lead['id']}/timeline", headers=rev).get_json()
    assert [e["kind"] for e in tl].count("reminder_receipt") == 1
    rx = login(f"{code}-admin")
    inbox = client.get("/api/v1/delivery/inbox", headers=rx).get_json()["items"]
    assert "lead.reminder_receipt" in [i["message"]["event_type"] for i in inbox]
    sender_inbox = client.get("/api/v1/delivery/inbox", headers=rev).get_json()["items"]
    assert "lead.overdue_receipt" in [i["message"]["event_type"] for i in sender_inbox]


def test_endpoint_gone_shows_the_lead_undelivered(client, login, delivery):
    office, rev = login("office"), login("scjg-reviewer")
    ctx = sealed_with_finding(client, office)
    code = ctx["task"]["departments"][1]["code"]
    with Receiver(script=[(410, {})]) as rx:
        _, secret = delivery.endpoint(code, rx.url)
        rx.secrets.append(secret)
        lid = client.post("/api/v1/leads", headers=rev, json={"finding_id": ctx["finding_id"], "category": "department"}
                          ).get_json()["id"]
        delivery.run_once()
    seen = client.get(f"/api/v1/leads/{lid}", headers=rev).get_json()
    assert seen["delivery"]["undelivered"] is True and seen["status"] == "sent"
    dash = {r["department_code"]: r for r in client.get("/api/v1/leads/dashboard", headers=rev).get_json()}
    assert dash["scjg"]["sent"]["undelivered"] == 1 and dash["scjg"]["sent"]["awaiting_receipt"] == 1
    # Still in the receiver's in-app inbox: it can sign for it there.
    rx_admin = login(f"{code}-admin")
    assert client.post(f"/api/v1/leads/{lid}/receipt", headers=rx_admin, json={}).status_code == 200
    assert json.loads(json.dumps(seen))["delivery"]["attempts"] == 1


def _signed(secret: str, msg_id: str, body: dict, at: dt.datetime | None = None) -> tuple[str, dict]:
    """Sign with the `standardwebhooks` package, as a receiving department's own system would."""
    from standardwebhooks.webhooks import Webhook

    at = at or dt.datetime.now(dt.timezone.utc)
    text_body = json.dumps(body, ensure_ascii=False)
    headers = {"webhook-id": msg_id, "webhook-timestamp": str(int(at.timestamp())),
               "webhook-signature": Webhook(secret).sign(msg_id, at, text_body), "Content-Type": "application/json"}
    return text_body, headers


def test_receiver_reports_back_by_signed_webhook(client, login, delivery, dbs):
    office, rev = login("office"), login("scjg-reviewer")
    ctx = sealed_with_finding(client, office)
    code = ctx["task"]["departments"][1]["code"]
    _, secret = delivery.endpoint(code, "http://127.0.0.1:9/unused")
    lid = client.post("/api/v1/leads", headers=rev, json={"finding_id": ctx["finding_id"], "category": "department"}
                      ).get_json()["id"]
    url = f"/hooks/v1/leads/{code}"
    body, headers = _signed(secret, "msg_rx_0001", {"type": "lead.received", "lead_id": lid,
                                                    "data": {"handler_name": "系统对接"}})
    first = client.post(url, data=body, headers=headers)
    assert first.status_code == 200, first.get_json()
    assert first.get_json()["status"] == "received" and first.get_json()["handler_name"] == "系统对接"
    # A retried delivery (same webhook-id and body) gets the same reply; a changed body is refused.
    again = client.post(url, data=body, headers=headers)
    assert again.get_json() == first.get_json() and again.headers["Idempotent-Replayed"] == "true"
    body2, headers2 = _signed(secret, "msg_rx_0001", {"type": "lead.received", "lead_id": lid, "data": {}})
    problem(client.post(url, data=body2, headers=headers2), 409, "idempotency_key_reused")
    # Bad signatures, stale timestamps, another department's secret: 401.
    problem(client.post(url, data=body, headers={**headers, "webhook-signature": "v1,AAAA"}), 401,
            "webhook_signature_invalid")
    old = dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=10)
    b, h = _signed(secret, "msg_rx_0002", {"type": "lead.in_progress", "lead_id": lid, "data": {}}, at=old)
    problem(client.post(url, data=b, headers=h), 401, "webhook_signature_invalid")
    b, h = _signed(secret, "msg_rx_0003", {"type": "lead.in_progress", "lead_id": lid, "data": {}})
    problem(client.post("/hooks/v1/leads/scjg", data=b, headers=h), 401, "webhook_signature_invalid")
    problem(client.post(url, data=b, headers={k: v for k, v in h.items() if k != "webhook-signature"}), 401,
            "webhook_signature_invalid")
    # Conclusion by webhook; validation errors are problems.
    b, h = _signed(secret, "msg_rx_0004", {"type": "lead.concluded", "lead_id": lid, "data": {"result": "punished"}})
    problem(client.post(url, data=b, headers=h), 422, "validation_failed")
    b, h = _signed(secret, "msg_rx_0005", {"type": "lead.concluded", "lead_id": lid,
                                           "data": {"result": "not_filed", "note": "违法行为轻微并及时改正，不予立案"}})
    r = client.post(url, data=b, headers=h)
    assert r.status_code == 200 and r.get_json()["status"] == "concluded", r.get_json()
    seen = client.get(f"/api/v1/leads/{lid}", headers=rev).get_json()
    assert seen["result"] == "not_filed" and seen["result_note"].startswith("违法行为轻微")
    actions = audit_actions(dbs, "lead", lid)
    assert actions.count("lead.received") == 1 and "lead.concluded" in actions
    with dbs() as s:
        actor = s.execute(text("SELECT payload FROM audit_entries WHERE action = 'lead.concluded' "
                               "AND target_id = :i"), {"i": str(lid)}).scalar_one()
    assert json.loads(actor)["actor"]["system"] == f"webhook:{code}"
