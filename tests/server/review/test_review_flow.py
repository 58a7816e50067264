"""Acceptance: the back office's review flow on the "field" demo data.

Queue scoped to the initiating department, filterable and sortable by deadline; return →
amendment from the team's phone → approve → publish; what the public sees; non-disclosure
only with the leader; approval refused while evidence is pending; RFC 9457 errors.
"""
from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest
from sqlalchemy import text

from tests.support.field import LEGAL_REP_ID, Phone, complete_inspection, image_bytes, upload
from tests.support.http import assert_problem


@pytest.fixture
def seed_level():
    return "field"


def _visit_ids(client) -> list[str]:
    scout = Phone(client, "scjg-insp1")
    scout.pull()
    return [v["id"] for v in scout.visits()]


def _set_deadline(dbs, visit_id: str, ended: dt.date, due: dt.date | None) -> None:
    with dbs() as s:
        s.execute(text("UPDATE reviews SET check_ended_on = :e, due_on = :d WHERE visit_id = :v"),
                  {"e": ended, "d": due, "v": visit_id})
        s.commit()


def test_queue_is_the_initiating_departments_sorted_and_filtered_by_deadline(client, login, dbs):
    office = login("office")
    ids = _visit_ids(client)[:3]
    for vid in ids:
        complete_inspection(client, office, vid)
    today = dt.date.today()
    late, soon, unknown = ids
    _set_deadline(dbs, late, today - dt.timedelta(days=40), today - dt.timedelta(days=3))  # overdue
    _set_deadline(dbs, soon, today - dt.timedelta(days=1), today + dt.timedelta(days=60))
    # A check whose 20 working days run into a year nobody has entered yet: unknown, never a crash.
    _set_deadline(dbs, unknown, dt.date(2098, 12, 20), None)

    rev = login("scjg-reviewer")
    rows = client.get("/api/v1/reviews", headers=rev).get_json()
    assert [r["visit_id"] for r in rows] == [late, soon, unknown]
    assert [r["deadline_state"] for r in rows] == ["overdue", "ok", "ok"]
    # A provisional date, marked and explained (never "unknown", never a crash).
    assert [r["deadline_provisional"] for r in rows] == [False, False, True]
    assert rows[2]["due_on"].startswith("2099-01") and "2099 年" in rows[2]["deadline_message"]
    assert rows[2]["deadline_message"].startswith("暂定") and rows[0]["deadline_message"] is None
    assert all(r["status"] == "pending" and r["evidence_pending"] is False for r in rows)
    latest_first = client.get("/api/v1/reviews?sort=-due", headers=rev).get_json()
    assert [r["visit_id"] for r in latest_first] == [unknown, soon, late]  # its provisional date is the latest
    by_end = client.get("/api/v1/reviews?sort=ended", headers=rev).get_json()
    assert [r["visit_id"] for r in by_end] == [late, soon, unknown]
    overdue = client.get("/api/v1/reviews?deadline=overdue", headers=rev).get_json()
    assert [r["visit_id"] for r in overdue] == [late]
    assert client.get("/api/v1/reviews?deadline=unknown", headers=rev).get_json() == []
    task_id = rows[0]["task_id"]
    assert len(client.get(f"/api/v1/reviews?task_id={task_id}", headers=rev).get_json()) == 3
    assert client.get(f"/api/v1/reviews?task_id={task_id + 999}", headers=rev).get_json() == []
    assert_problem(client.get("/api/v1/reviews?deadline=someday", headers=rev), 422, "validation_failed")
    assert_problem(client.get("/api/v1/reviews?sort=name", headers=rev), 422, "validation_failed")

    # Department scoping: a department that took no part sees an empty queue and no record; a
    # participating department whose items the records cover sees its own entries of them (谁检查、谁录入).
    assert client.get("/api/v1/reviews", headers=login("sthj-reviewer")).get_json() == []
    assert_problem(client.get(f"/api/v1/reviews/{late}", headers=login("sthj-reviewer")), 404, "review_not_found")
    yjgl = login("yjgl-reviewer")
    mine = client.get("/api/v1/reviews", headers=yjgl).get_json()
    assert [r["visit_id"] for r in mine] == [late, soon, unknown]
    assert {(r["department"], r["joint"], r["initiating"]) for r in mine} == {("yjgl", True, False)}
    assert client.get(f"/api/v1/reviews/{late}", headers=yjgl).status_code == 200
    # The office sees every department's entries, and filters them by department.
    everyone = client.get("/api/v1/reviews", headers=office).get_json()
    assert {(r["visit_id"], r["department"]) for r in everyone} == {(v, d) for v in ids for d in ("scjg", "yjgl", "wsjk")}
    only = client.get("/api/v1/reviews?department=wsjk", headers=office).get_json()
    assert {r["visit_id"] for r in only} == set(ids) and {r["department"] for r in only} == {"wsjk"}
    assert client.get("/api/v1/reviews?department=nosuch", headers=office).get_json() == []


def test_return_amend_approve_publish(client, login, dbs):
    office, rev = login("office"), login("scjg-reviewer")
    ctx = complete_inspection(client, office)
    vid, lead = ctx["visit_id"], ctx["lead"]
    detail = client.get(f"/api/v1/reviews/{vid}", headers=rev).get_json()
    assert detail["binding_verified"] is True and detail["review"]["status"] == "pending"
    first = sorted(detail["visit"]["record"]["answers"])[0]
    item_id, cp = first.split(":", 1)

    r = client.post(f"/api/v1/reviews/{vid}/return", headers=rev, json={"comments": [
        {"target": f"answer:{item_id}:{cp}", "text": "请补充说明检查方法"},
        {"target": f"media:{ctx['media'][0]}", "text": "照片不清晰，请说明拍摄位置"}]})
    assert r.status_code == 200 and r.get_json()["status"] == "returned" and r.get_json()["returned_count"] == 1
    assert r.get_json()["amended_since_sent_back"] is False
    assert_problem(client.post(f"/api/v1/reviews/{vid}/return", headers=rev, json={"comments": [
        {"target": "answer:x", "text": "格式不对"}]}), 422, "validation_failed")

    # The team sees the comments on its next pull and answers with an amendment.
    lead.pull()
    comments = lead.visit(vid)["record"]["review_comments"]
    assert [c["target"] for c in comments] == [f"answer:{item_id}:{cp}", f"media:{ctx['media'][0]}"]
    lead.ok("amendment.add", visit_id=vid, amendment_id=str(uuid.uuid4()), reason="按审核意见补充检查方法",
            patch=[{"op": "replace", "path": "/answers/0/note", "value": "查阅台账并现场核对"}])
    lead.pull()
    assert lead.visit(vid)["record"]["amendments"][0]["reason"] == "按审核意见补充检查方法"
    row = next(r for r in client.get("/api/v1/reviews", headers=rev).get_json() if r["visit_id"] == vid)
    # The amendment answers the return: the record is back in the reviewer's queue, marked amended.
    assert row["status"] == "pending" and row["amended_since_sent_back"] is True
    detail = client.get(f"/api/v1/reviews/{vid}", headers=rev).get_json()
    assert len(detail["visit"]["record"]["amendments"]) == 1
    assert detail["binding_verified"] is True  # an amendment never touches the sealed content
    actions = [e["action"] for e in detail["audit_trail"]]
    assert "visit.seal" in actions and "review.return" in actions and "visit.amendment" in actions
    assert "review.resubmit" in actions

    # Only reviewers of the initiating department decide; a leader is not a reviewer.
    assert client.post(f"/api/v1/reviews/{vid}/approve", headers=login("scjg-leader")).status_code == 403
    r = client.post(f"/api/v1/reviews/{vid}/approve", headers=rev)
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["status"] == "approved" and r.get_json()["deadline_state"] == "done"
    assert_problem(client.post(f"/api/v1/reviews/{vid}/approve", headers=rev), 409, "review_wrong_state")
    assert_problem(client.post(f"/api/v1/reviews/{vid}/return", headers=rev,
                               json={"comments": [{"target": "general", "text": "再看看"}]}), 409, "review_wrong_state")

    assert client.get("/api/v1/public/results").get_json()["items"] == []  # approved is not yet published
    r = client.post(f"/api/v1/reviews/{vid}/publish", headers=rev)
    assert r.status_code == 200, r.get_json()
    assert_problem(client.post(f"/api/v1/reviews/{vid}/publish", headers=rev), 409, "review_wrong_state")
    items = client.get("/api/v1/public/results").get_json()["items"]
    assert len(items) == 1 and items[0]["result"] == "未发现问题"
    obj = ctx["visit"]["object"]
    if obj["credit_code"]:
        by_code = client.get(f"/api/v1/public/results?credit_code={obj['credit_code']}").get_json()["items"]
        assert len(by_code) == 1
    assert client.get(f"/api/v1/public/results?task={items[0]['task_no']}").get_json()["items"] == items
    assert client.get("/api/v1/public/results?name=不存在的名称").get_json()["items"] == []
    with dbs() as s:
        acts = s.execute(text("SELECT action FROM audit_entries WHERE target_id = :v ORDER BY seq"), {"v": vid}).scalars().all()
    changes = [a for a in acts if not a.endswith(".read")]  # the reviewer's reads are logged too
    assert changes[-4:] == ["visit.amendment", "review.resubmit", "review.approve", "result.publish"]


def test_approval_enters_the_codes_as_amended(client, login, dbs):
    """The team corrects the result codes after a return: approving enters the corrected codes, and
    the reviewer's sheet shows both (the signed ones stay in the sealed record)."""
    office, rev = login("office"), login("scjg-reviewer")
    ctx = complete_inspection(client, office, codes=("1",))
    vid, lead = ctx["visit_id"], ctx["lead"]
    assert client.post(f"/api/v1/reviews/{vid}/return", headers=rev, json={"comments": [
        {"target": "general", "text": "现场照片显示未公示年报，请核实检查结果"}]}).status_code == 200
    lead.pull()
    lead.ok("amendment.add", visit_id=vid, amendment_id=str(uuid.uuid4()), reason="按审核意见更正检查结果",
            patch=[{"op": "replace", "path": "/outcome/codes", "value": ["B"]},
                   {"op": "replace", "path": "/answers/0/value", "value": "fail"},
                   {"op": "replace", "path": "/answers/0/note", "value": "年报未公示"}])
    sheet = client.get(f"/api/v1/reviews/{vid}", headers=rev).get_json()["sheet"]
    assert sheet["outcome_labels"] == [{"code": "B", "label": "未按规定公示应当公示的信息"}]
    assert sheet["sealed_outcome_labels"] == [{"code": "1", "label": "未发现问题"}]
    # The amended checkpoint carries its new value and note; the signed ones stay beside them.
    first = min(((item["item_id"], cp["key"]), cp) for item in sheet["items"] for cp in item["checkpoints"])[1]
    assert first["amended"] == {"value": "fail", "note": "年报未公示"} and first["value"] == "pass"
    assert [cp["amended"] for item in sheet["items"] for cp in item["checkpoints"]].count(None) == \
        sum(len(item["checkpoints"]) for item in sheet["items"]) - 1
    r = client.post(f"/api/v1/reviews/{vid}/approve", headers=rev)
    assert r.status_code == 200 and r.get_json()["result_codes"] == ["B"], r.get_json()
    with dbs() as s:
        payload = s.execute(text("SELECT payload FROM audit_entries WHERE target_id = :v AND action = 'review.approve'"),
                            {"v": vid}).scalar_one()
    assert json.loads(payload)["data"]["result_codes"] == ["B"]
    assert client.post(f"/api/v1/reviews/{vid}/publish", headers=rev).status_code == 200
    (row,) = client.get("/api/v1/public/results").get_json()["items"]
    assert row["result"] == "未按规定公示应当公示的信息" and row["revised_on"] is None


PUBLIC_FIELDS = {"plan_no", "plan_name", "task_no", "task_name", "check_type", "authority", "completed_on", "result",
                 "object_name", "credit_code", "market_entity", "revised_on", "kind", "kind_label",
                 "corrected_on", "id"}  # id: the published row's number, to file an objection (异议) against
# The initiating department's (scjg) entry of a record; every department that checked has its own.
SCJG_ENTRY = " AND department_id = (SELECT id FROM departments WHERE code = 'scjg')"


def test_public_results_show_published_fields_only(client, login, dbs):
    """Never: credit class, ID numbers, phone numbers, photos, signatures; an individual
    business named after its operator shows as 王**."""
    office, rev = login("office"), login("scjg-reviewer")
    vid = _visit_ids(client)[0]
    with dbs() as s:
        oid = s.execute(text("SELECT object_id FROM visits WHERE id = :v"), {"v": vid}).scalar_one()
        s.execute(text("UPDATE objects SET name = '王小明', object_type = 'individual', phone = '13912345678' "
                       "WHERE id = :o"), {"o": oid})
        s.commit()
        risk = s.execute(text("SELECT risk_class FROM object_credit WHERE object_id = :o"), {"o": oid}).scalar()
    ctx = complete_inspection(client, office, vid)
    assert client.post(f"/api/v1/reviews/{vid}/approve", headers=rev).status_code == 200
    assert client.post(f"/api/v1/reviews/{vid}/publish", headers=rev).status_code == 200

    body = client.get("/api/v1/public/results").get_json()
    (row,) = body["items"]
    assert set(row) == PUBLIC_FIELDS
    assert row["object_name"] == "王**" and row["market_entity"] is True
    assert row["check_type"] in ("不定向抽查", "定向抽查") and "市场监督管理局" in row["authority"]
    with dbs() as s:
        ended = s.execute(text("SELECT check_ended_on FROM reviews WHERE visit_id = :v" + SCJG_ENTRY), {"v": vid}).scalar_one()
    assert row["completed_on"] == str(ended)[:10]
    everything = json.dumps(body, ensure_ascii=False) + client.get("/public/results").get_data(as_text=True) \
        + client.get("/api/v1/public/results.csv").get_data(as_text=True)
    assert "王小明" not in everything
    for secret in [LEGAL_REP_ID, "13912345678", *ctx["media"], *ctx["signatures"], ctx["content_sha256"]]:
        assert secret not in everything, secret
    for word in ("risk", "credit_class", "phone", "id_number", "signature", "photo", "media", "sha256"):
        assert word not in json.dumps(body), word
    if risk:
        assert f'"{risk}"' not in json.dumps(body)
    csv_text = client.get("/api/v1/public/results.csv").get_data(as_text=True)
    assert csv_text.lstrip("\ufeff").splitlines()[0].split(",")[:8] == [
        "计划编号", "计划名称", "任务编号", "任务名称", "抽查类型", "检查机关", "完成日期", "检查结果"]
    assert "王**" in csv_text and "王**" in client.get("/public/results").get_data(as_text=True)


def test_non_disclosure_needs_the_leader_with_a_reason_and_is_audited(client, login, dbs):
    office, rev, leader = login("office"), login("scjg-reviewer"), login("scjg-leader")
    vid = complete_inspection(client, office)["visit_id"]
    assert_problem(client.post(f"/api/v1/reviews/{vid}/withhold", headers=rev, json={"reason": "涉案"}),
                   409, "review_wrong_state")  # not yet approved
    assert client.post(f"/api/v1/reviews/{vid}/approve", headers=rev).status_code == 200
    assert_problem(client.post(f"/api/v1/reviews/{vid}/withhold", headers=rev, json={}), 422, "validation_failed")
    assert_problem(client.post(f"/api/v1/reviews/{vid}/withhold", headers=rev, json={"reason": " "}), 422)
    r = client.post(f"/api/v1/reviews/{vid}/withhold", headers=rev, json={"reason": "涉及正在立案调查的案件，公示将影响调查"})
    assert r.status_code == 201
    req = r.get_json()
    assert req["status"] == "requested"
    # While the request waits, nothing is published.
    assert_problem(client.post(f"/api/v1/reviews/{vid}/publish", headers=rev), 409, "disclosure_pending")
    # Only a department leader decides, and only of the initiating department.
    assert_problem(client.post(f"/api/v1/reviews/withholdings/{req['id']}/decision", headers=rev,
                               json={"approve": True}), 403)
    assert_problem(client.post(f"/api/v1/reviews/withholdings/{req['id']}/decision", headers=login("sthj-leader"),
                               json={"approve": True}), 404, "disclosure_not_found")
    r = client.post(f"/api/v1/reviews/withholdings/{req['id']}/decision", headers=leader,
                    json={"approve": True, "note": "同意暂不公示"})
    assert r.status_code == 200 and r.get_json()["status"] == "approved"
    assert_problem(client.post(f"/api/v1/reviews/withholdings/{req['id']}/decision", headers=leader,
                               json={"approve": False}), 409, "disclosure_decided")
    assert client.get(f"/api/v1/reviews?status=withheld", headers=rev).get_json()[0]["visit_id"] == vid
    assert_problem(client.post(f"/api/v1/reviews/{vid}/publish", headers=rev), 409, "review_wrong_state")
    assert client.get("/api/v1/public/results").get_json()["items"] == []
    with dbs() as s:
        rows = s.execute(text("SELECT action, actor_user_id, payload FROM audit_entries WHERE target_id = :v "
                              "AND action LIKE 'result.withhold%' ORDER BY seq"), {"v": vid}).all()
        leader_id = s.execute(text("SELECT id FROM users WHERE username = 'scjg-leader'")).scalar_one()
    assert [r.action for r in rows] == ["result.withhold_request", "result.withhold_approve"]
    assert rows[1].actor_user_id == leader_id
    assert "涉及正在立案调查的案件" in json.loads(rows[1].payload)["data"]["reason"]


def test_approval_is_refused_while_evidence_is_pending(client, login, dbs):
    office, rev = login("office"), login("scjg-reviewer")
    ctx = complete_inspection(client, office, upload_bytes=False)
    vid = ctx["visit_id"]
    row = next(r for r in client.get("/api/v1/reviews", headers=rev).get_json() if r["visit_id"] == vid)
    assert row["evidence_pending"] is True
    body = assert_problem(client.post(f"/api/v1/reviews/{vid}/approve", headers=rev), 409, "evidence_pending")
    assert sorted(body["media_ids"]) == sorted(ctx["media"])
    r = client.post(f"/api/v1/reviews/{vid}/request-evidence", headers=rev,
                    json={"comments": [{"target": "general", "text": "照片和签名图像尚未上传，请联网同步"}]})
    assert r.status_code == 200 and r.get_json()["status"] == "evidence_requested"
    for mid in ctx["media"][:-1]:
        upload(client, ctx["lead"].headers, mid, image_bytes(mid))
    body = assert_problem(client.post(f"/api/v1/reviews/{vid}/approve", headers=rev), 409, "evidence_pending")
    assert body["media_ids"] == [ctx["media"][-1]]
    upload(client, ctx["lead"].headers, ctx["media"][-1], image_bytes(ctx["media"][-1]))
    r = client.post(f"/api/v1/reviews/{vid}/approve", headers=rev)
    assert r.status_code == 200 and r.get_json()["status"] == "approved"
    with dbs() as s:
        assert s.execute(text("SELECT returned_count FROM reviews WHERE visit_id = :v" + SCJG_ENTRY), {"v": vid}).scalar_one() == 1


def test_bad_ids_and_other_departments_records_are_problems(client, login):
    office, rev = login("office"), login("scjg-reviewer")
    vid = complete_inspection(client, office)["visit_id"]
    for path in ["/api/v1/reviews/not-a-uuid", "/api/v1/reviews/not-a-uuid/approve"]:
        resp = client.get(path, headers=rev) if "approve" not in path else client.post(path, headers=rev)
        assert_problem(resp, 404)
    missing = str(uuid.uuid4())
    assert_problem(client.get(f"/api/v1/reviews/{missing}", headers=rev), 404, "review_not_found")
    assert_problem(client.post(f"/api/v1/reviews/{missing}/approve", headers=rev), 404, "review_not_found")
    assert_problem(client.post(f"/api/v1/reviews/{missing}/publish", headers=rev), 404, "review_not_found")
    assert_problem(client.post("/api/v1/reviews/withholdings/999999/decision", headers=login("scjg-leader"),
                               json={"approve": True}), 404, "disclosure_not_found")
    for who in ("sthj-reviewer", "sthj-admin"):
        h = login(who)
        assert_problem(client.get(f"/api/v1/reviews/{vid}", headers=h), 404, "review_not_found")
        assert_problem(client.post(f"/api/v1/reviews/{vid}/approve", headers=h), 404, "review_not_found")
        assert_problem(client.post(f"/api/v1/reviews/{vid}/return", headers=h,
                                   json={"comments": [{"target": "general", "text": "越权退回"}]}), 404)
    # An inspector is no reviewer; a record not yet sealed is not in review.
    assert_problem(client.get(f"/api/v1/reviews/{vid}", headers=login("scjg-insp1")), 403)
    other = next(v for v in _visit_ids(client) if v != vid)
    assert_problem(client.get(f"/api/v1/reviews/{other}", headers=rev), 404, "review_not_found")
    assert_problem(client.get("/api/v1/reviews", headers={}), 401)


def test_unknown_deadline_becomes_known_once_the_office_enters_the_year(client, login, dbs):
    """A check ending 2026-12-20 runs into 2027, which the package lacks: "unknown" in the
    queue (never a crash) until the office enters 2027's holidays and declares it complete."""
    office, rev = login("office"), login("scjg-reviewer")
    vid = complete_inspection(client, office)["visit_id"]
    _set_deadline(dbs, vid, dt.date(2026, 12, 20), None)
    (row,) = client.get("/api/v1/reviews", headers=rev).get_json()
    assert row["due_on"] == "2027-01-18" and row["deadline_provisional"] is True  # New Year's Day counted off already
    assert row["deadline_message"].startswith("暂定：2027 年的法定节假日安排尚未录入")
    assert client.post("/api/v1/calendar/overrides", headers=office, json={
        "from": "2027-01-01", "to": "2027-01-03", "is_workday": False, "note": "元旦"}).status_code == 200
    assert client.put("/api/v1/calendar/years/2027", headers=office, json={
        "declared_complete": True, "source": "国务院办公厅关于2027年部分节假日安排的通知"}).status_code == 200
    (row,) = client.get("/api/v1/reviews", headers=rev).get_json()
    assert row["due_on"] == "2027-01-18" and row["deadline_message"] is None and row["deadline_provisional"] is False
    assert client.post(f"/api/v1/reviews/{vid}/approve", headers=rev).status_code == 200
    with dbs() as s:
        assert str(s.execute(text("SELECT due_on FROM reviews WHERE visit_id = :v" + SCJG_ENTRY), {"v": vid}).scalar_one())[:10] == "2027-01-18"


def test_non_market_objects_go_to_the_departments_page_not_the_national_file(client, login, dbs):
    office, rev = login("office"), login("scjg-reviewer")
    vid = _visit_ids(client)[0]
    with dbs() as s:
        s.execute(text("UPDATE objects SET object_type = 'product' WHERE id = (SELECT object_id FROM visits WHERE id = :v)"),
                  {"v": vid})
        s.commit()
    complete_inspection(client, office, vid)
    assert client.post(f"/api/v1/reviews/{vid}/approve", headers=rev).status_code == 200
    row = client.post(f"/api/v1/reviews/{vid}/publish", headers=rev).get_json()
    assert row["market_entity"] is False
    assert "暂无公示结果" in client.get("/public/results").get_data(as_text=True)
    assert len(client.get("/api/v1/public/results.csv").get_data(as_text=True).strip().splitlines()) == 1  # header only
    page = client.get("/public/departments/scjg/results").get_data(as_text=True)
    assert row["task_no"] in page and row["object_name"] in page and "非市场主体" in page
    assert client.get("/public/departments/nope/results").status_code == 404
