"""Acceptance: each department that checked a joint record enters and publishes its own result
("谁检查、谁录入、谁负责", Art. 20(3); Art. 6), the initiating department publishes the summary,
and every entered result lands in the object's check history.

The demo joint task T01 is initiated by scjg (item SCJG-SP-001) with yjgl (YJGL-AQ-001) and
wsjk (WSJK-GC-001) taking part.
"""
from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest
from sqlalchemy import text

from tests.support.field import complete_inspection
from tests.support.http import assert_problem

ITEMS = {"scjg": "SCJG-SP-001", "yjgl": "YJGL-AQ-001", "wsjk": "WSJK-GC-001"}


@pytest.fixture
def seed_level():
    return "field"


def _dept_ids(dbs) -> dict[str, int]:
    with dbs() as s:
        return dict(s.execute(text("SELECT code, id FROM departments")).all())


def _yjgl_problem(client, office) -> dict:
    """A sealed joint record where yjgl's inspector recorded a finding on yjgl's item."""
    return complete_inspection(client, office, codes=("A",), followup="rectify", findings=[
        {"department": "yjgl", "description": "安全生产责任制未上墙公示", "measures": ["urge_rectify"]}])


def _row(client, headers, vid):
    return next(r for r in client.get("/api/v1/reviews", headers=headers).get_json() if r["visit_id"] == vid)


def test_two_departments_enter_separately_and_publish_their_own_rows(client, login, dbs, runner):
    office = login("office")
    ctx = _yjgl_problem(client, office)
    vid = ctx["visit_id"]
    scjg, yjgl, wsjk = login("scjg-reviewer"), login("yjgl-reviewer"), login("wsjk-reviewer")
    depts = _dept_ids(dbs)

    # Every department that checked finds the record in its own queue, as its own entry.
    for code, headers in (("scjg", scjg), ("yjgl", yjgl), ("wsjk", wsjk)):
        row = _row(client, headers, vid)
        assert row["department"] == code and row["joint"] is True and row["status"] == "pending"
        assert row["initiating"] is (code == "scjg")
    # The whole record is readable; only the reviewer's own entry is writable.
    detail = client.get(f"/api/v1/reviews/{vid}", headers=yjgl).get_json()
    assert {i["code"] for i in detail["sheet"]["items"]} == set(ITEMS.values())
    assert detail["review"]["department"] == "yjgl" and detail["review"]["writable"] is True
    assert detail["review"]["items"] == [ITEMS["yjgl"]]
    assert [(e["department"], e["items"]) for e in detail["entries"]] == [(c, [i]) for c, i in ITEMS.items()]
    assert detail["summary"] == {"published": False, "result": None, "pending_departments": ["scjg", "yjgl", "wsjk"],
                                 "publishable": False}

    # Each entry has its own deadline: yjgl's has passed, scjg's has not.
    with dbs() as s:
        for code, days in (("yjgl", -1), ("scjg", 30)):
            s.execute(text("UPDATE reviews SET due_on = :d WHERE visit_id = :v AND department_id = :dep"),
                      {"d": dt.date.today() + dt.timedelta(days=days), "v": vid, "dep": depts[code]})
        s.commit()
    assert _row(client, yjgl, vid)["deadline_state"] == "overdue"
    assert _row(client, scjg, vid)["deadline_state"] == "ok"

    # yjgl's item carries a finding: "未发现问题" is refused for yjgl's entry, never for scjg's.
    body = assert_problem(client.post(f"/api/v1/reviews/{vid}/approve", headers=yjgl, json={"result_codes": ["1"]}),
                          422, "result_inconsistent")
    assert body["errors"][0]["field"] == "result_codes"
    assert_problem(client.post(f"/api/v1/reviews/{vid}/approve", headers=yjgl, json={"result_codes": ["Z"]}),
                   422, "validation_failed")
    assert_problem(client.post(f"/api/v1/reviews/{vid}/approve", headers=yjgl, json={"result_codes": ["1", "A"]}),
                   422, "validation_failed")
    r = client.post(f"/api/v1/reviews/{vid}/approve", headers=yjgl)
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["department"] == "yjgl" and r.get_json()["result_codes"] == ["A"]
    assert r.get_json()["entered_on_time"] is False
    assert _row(client, scjg, vid)["status"] == "pending"  # scjg's entry is untouched
    r = client.post(f"/api/v1/reviews/{vid}/approve", headers=scjg, json={"result_codes": ["1"]})
    assert r.status_code == 200 and r.get_json()["result_codes"] == ["1"] and r.get_json()["entered_on_time"] is True

    # The summary waits for every department; only the initiating department publishes it.
    body = assert_problem(client.post(f"/api/v1/reviews/{vid}/publish-summary", headers=scjg), 409, "entries_incomplete")
    assert body["pending_departments"] == ["wsjk"]
    assert_problem(client.post(f"/api/v1/reviews/{vid}/publish-summary", headers=yjgl), 403, "not_initiating_department")
    assert client.post(f"/api/v1/reviews/{vid}/approve", headers=wsjk).get_json()["result_codes"] == ["1"]

    assert client.post(f"/api/v1/reviews/{vid}/publish", headers=scjg).status_code == 200
    assert client.post(f"/api/v1/reviews/{vid}/publish", headers=yjgl).status_code == 200
    r = client.post(f"/api/v1/reviews/{vid}/publish-summary", headers=scjg)
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["kind"] == "joint" and r.get_json()["result"] == "发现问题待后续处理"
    assert_problem(client.post(f"/api/v1/reviews/{vid}/publish-summary", headers=scjg), 409, "summary_published")

    # One public row per department that published, naming it, and the joint summary.
    names = {c: client.get(f"/api/v1/departments/{depts[c]}", headers=office).get_json()["name"] for c in ITEMS}
    items = client.get("/api/v1/public/results").get_json()["items"]
    got = sorted((i["kind"], i["authority"], i["result"]) for i in items)
    assert got == sorted([("department", names["scjg"], "未发现问题"), ("department", names["yjgl"], "发现问题待后续处理"),
                          ("joint", "、".join(names.values()), "发现问题待后续处理")])
    csv_text = client.get("/api/v1/public/results.csv").get_data(as_text=True)
    assert names["yjgl"] in csv_text and "联合检查汇总" in csv_text and "部门检查结果" in csv_text
    page = client.get("/public/results").get_data(as_text=True)
    assert names["yjgl"] in page and "联合检查汇总" in page
    detail = client.get(f"/api/v1/reviews/{vid}", headers=scjg).get_json()
    assert detail["summary"]["published"] is True and detail["summary"]["result"] == "发现问题待后续处理"
    assert [e["published"] for e in detail["entries"]] == [True, True, False]

    # Every step is in the audit log, naming the department; the chain verifies.
    with dbs() as s:
        rows = s.execute(text("SELECT action, payload FROM audit_entries WHERE target_id = :v ORDER BY seq"),
                         {"v": vid}).all()
    steps = [(a, json.loads(p)["data"].get("department_id"), json.loads(p)["data"].get("kind")) for a, p in rows
             if a in ("review.approve", "result.publish")]
    assert steps == [("review.approve", depts["yjgl"], None), ("review.approve", depts["scjg"], None),
                     ("review.approve", depts["wsjk"], None), ("result.publish", depts["scjg"], "department"),
                     ("result.publish", depts["yjgl"], "department"), ("result.publish", depts["scjg"], "joint")]
    res = runner.invoke(args=["audit", "verify"])
    assert res.exit_code == 0, res.output


def test_entered_results_make_the_objects_check_history(client, login, dbs):
    office = login("office")
    ctx = _yjgl_problem(client, office)
    vid, oid = ctx["visit_id"], ctx["visit"]["object"]["id"]
    depts = _dept_ids(dbs)
    with dbs() as s:
        ended = str(s.execute(text("SELECT check_ended_on FROM visit_records WHERE visit_id = :v"),
                              {"v": vid}).scalar_one())[:10]
    admin = login("scjg-admin")
    before = client.get(f"/api/v1/registry/objects/{oid}", headers=admin).get_json()
    assert before["checks"] == []
    scjg_before = {c["department_id"]: c["last_checked_on"] for c in before["last_checks"]}.get(depts["scjg"])
    assert client.post(f"/api/v1/reviews/{vid}/approve", headers=login("yjgl-reviewer")).status_code == 200
    obj = client.get(f"/api/v1/registry/objects/{oid}", headers=admin).get_json()
    assert obj["checks"] == [{"department": "yjgl", "item_code": ITEMS["yjgl"], "last_checked_on": ended,
                              "result_codes": ["A"], "visit_id": vid}]
    # The draw's "last checked" per department moves with it (only the department that entered).
    assert {c["department_id"]: c["last_checked_on"] for c in obj["last_checks"]}.get(depts["yjgl"]) == ended
    # scjg has not entered yet: its last check (the demo's, if any) stays as it was.
    assert {c["department_id"]: c["last_checked_on"] for c in obj["last_checks"]}.get(depts["scjg"]) == scjg_before
    assert client.post(f"/api/v1/reviews/{vid}/approve", headers=login("scjg-reviewer")).status_code == 200
    checks = client.get(f"/api/v1/registry/objects/{oid}", headers=admin).get_json()["checks"]
    assert [(c["department"], c["item_code"], c["result_codes"]) for c in checks] == [
        ("scjg", ITEMS["scjg"], ["1"]), ("yjgl", ITEMS["yjgl"], ["A"])]
    # Inspectors see the business, never its check history or credit data.
    assert "checks" not in client.get(f"/api/v1/registry/objects/{oid}", headers=login("scjg-insp1")).get_json()


def test_send_back_and_withholding_are_the_departments_own(client, login, dbs):
    office = login("office")
    ctx = _yjgl_problem(client, office)
    vid, lead = ctx["visit_id"], ctx["lead"]
    scjg, yjgl = login("scjg-reviewer"), login("yjgl-reviewer")
    r = client.post(f"/api/v1/reviews/{vid}/return", headers=yjgl,
                    json={"comments": [{"target": "general", "text": "请补充安全生产台账照片"}]})
    assert r.status_code == 200 and r.get_json()["status"] == "returned" and r.get_json()["department"] == "yjgl"
    assert _row(client, scjg, vid)["status"] == "pending"
    lead.pull()
    assert [(c["department"], c["text"]) for c in lead.visit(vid)["record"]["review_comments"]] == [
        ("yjgl", "请补充安全生产台账照片")]
    lead.ok("amendment.add", visit_id=vid, amendment_id=str(uuid.uuid4()), reason="补充安全生产台账说明",
            patch=[{"op": "replace", "path": "/answers/0/note", "value": "台账已查阅"}])
    row = _row(client, yjgl, vid)
    assert row["status"] == "pending" and row["amended_since_sent_back"] is True
    assert _row(client, scjg, vid)["amended_since_sent_back"] is False

    # Withholding: requested for yjgl's own entry, decided by yjgl's leader only.
    assert client.post(f"/api/v1/reviews/{vid}/approve", headers=yjgl).status_code == 200
    r = client.post(f"/api/v1/reviews/{vid}/withhold", headers=yjgl, json={"reason": "涉及正在立案调查的案件"})
    assert r.status_code == 201
    req = r.get_json()
    assert_problem(client.post(f"/api/v1/reviews/withholdings/{req['id']}/decision", headers=login("scjg-leader"),
                               json={"approve": True}), 404, "disclosure_not_found")
    r = client.post(f"/api/v1/reviews/withholdings/{req['id']}/decision", headers=login("yjgl-leader"),
                    json={"approve": True, "note": "同意暂不公示"})
    assert r.status_code == 200 and r.get_json()["status"] == "approved"
    assert _row(client, yjgl, vid)["status"] == "withheld"
    assert_problem(client.post(f"/api/v1/reviews/{vid}/publish", headers=yjgl), 409, "review_wrong_state")
    # The withheld entry stays out of the summary.
    for who in (scjg, login("wsjk-reviewer")):
        assert client.post(f"/api/v1/reviews/{vid}/approve", headers=who).status_code == 200
    r = client.post(f"/api/v1/reviews/{vid}/publish-summary", headers=scjg)
    assert r.status_code == 200 and r.get_json()["result"] == "未发现问题"
    # Statistics: each department counts its own entries.
    stats = client.get("/api/v1/statistics", headers=yjgl).get_json()
    (dept,) = stats["departments"]
    assert dept["department_code"] == "yjgl" and dept["entered"] == 1 and dept["returned_records"] == 1
    assert dept["sealed"] == 1
    everyone = {d["department_code"]: d for d in client.get("/api/v1/statistics", headers=office).get_json()["departments"]}
    assert {c: everyone[c]["entered"] for c in ITEMS} == {"scjg": 1, "yjgl": 1, "wsjk": 1}
    assert {c: everyone[c]["returns"] for c in ITEMS} == {"scjg": 0, "yjgl": 1, "wsjk": 0}
    # …and its own result codes: only yjgl's items showed the problem.
    assert {c: everyone[c]["outcomes"] for c in ITEMS} == {"scjg": {"1": 1}, "yjgl": {"A": 1}, "wsjk": {"1": 1}}


def test_migration_backfills_the_check_history_from_entered_results(app, client, login, dbs):
    """Results entered before the check history existed: upgrading writes the history of every
    item of the record (each department whose item it covers checked that day) and brings the
    draw's "last checked" per department up to date; the existing review is the initiating
    department's entry."""
    from flask_migrate import downgrade, upgrade

    from server.extensions import db

    office = login("office")
    ctx = complete_inspection(client, office)
    vid, oid = ctx["visit_id"], ctx["visit"]["object"]["id"]
    assert client.post(f"/api/v1/reviews/{vid}/approve", headers=login("scjg-reviewer")).status_code == 200
    depts = _dept_ids(dbs)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
        downgrade(revision="0016_task_departments")
        with db.engine.begin() as conn:
            assert conn.execute(text("SELECT COUNT(*) FROM reviews WHERE visit_id = :v"), {"v": vid}).scalar_one() == 1
            conn.execute(text("DELETE FROM object_dept_checks WHERE object_id = :o"), {"o": oid})
        db.engine.dispose()
        upgrade()
        db.engine.dispose()
    with dbs() as s:
        ended = s.execute(text("SELECT check_ended_on FROM visit_records WHERE visit_id = :v"), {"v": vid}).scalar_one()
        rows = s.execute(text("SELECT department_id, item_code, checked_on, result_codes FROM object_checks "
                              "WHERE visit_id = :v AND object_id = :o ORDER BY item_code"), {"v": vid, "o": oid}).all()
        last = dict(s.execute(text("SELECT department_id, last_checked_on FROM object_dept_checks WHERE object_id = :o"),
                              {"o": oid}).all())
        review = s.execute(text("SELECT department_id, status FROM reviews WHERE visit_id = :v"), {"v": vid}).all()
    codes = {r[1]: (r[0], str(r[2])[:10], r[3] if isinstance(r[3], list) else json.loads(r[3])) for r in rows}
    assert codes == {ITEMS[c]: (depts[c], str(ended)[:10], ["1"]) for c in ITEMS}
    assert {d: str(day)[:10] for d, day in last.items()} == {depts[c]: str(ended)[:10] for c in ITEMS}
    assert review == [(depts["scjg"], "approved")]
    checks = client.get(f"/api/v1/registry/objects/{oid}", headers=login("scjg-admin")).get_json()["checks"]
    assert [(c["department"], c["item_code"]) for c in checks] == [(c, ITEMS[c]) for c in ("scjg", "wsjk", "yjgl")]


def test_the_demo_has_a_joint_record_entered_per_department(empty_app):
    """A fresh demo shows a sealed joint record that scjg and yjgl entered separately (scjg also
    published its row); wsjk's entry is still open, so the joint summary waits for it."""
    from server.demo.cli import load_demo

    with empty_app.app_context():
        ctx = load_demo("demo-pass-123")
        vid = ctx["joint_record"]
    client = empty_app.test_client()

    def login(username):
        from tests.support.http import Session

        return Session.login(client, username, "demo-pass-123", f"demo-{username}").headers

    rows = {code: _row(client, login(f"{code}-reviewer"), vid) for code in ITEMS}
    assert {c: (r["status"], r["result_codes"]) for c, r in rows.items()} == {
        "scjg": ("published", ["1"]), "yjgl": ("approved", ["A"]), "wsjk": ("pending", ["1"])}
    scjg = login("scjg-reviewer")
    detail = client.get(f"/api/v1/reviews/{vid}", headers=scjg).get_json()
    assert detail["binding_verified"] is True and detail["summary"]["pending_departments"] == ["wsjk"]
    assert [f["item"] for f in detail["sheet"]["findings"]] == [ITEMS["yjgl"]]
    (public,) = client.get("/api/v1/public/results").get_json()["items"]
    assert public["kind"] == "department" and public["result"] == "未发现问题"
    assert client.post(f"/api/v1/reviews/{vid}/approve", headers=login("wsjk-reviewer")).status_code == 200
    r = client.post(f"/api/v1/reviews/{vid}/publish-summary", headers=scjg)
    assert r.status_code == 200 and r.get_json()["result"] == "发现问题待后续处理"
    result = empty_app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output


def test_a_check_of_one_department_has_one_entry_and_no_summary(client, login, dbs):
    """The departments that check are those whose items the task covers: with the X items gone,
    only scjg checks, enters and publishes; there is no joint summary to publish."""
    with dbs() as s:
        s.execute(text("DELETE FROM plan_task_items WHERE role = 'x'"))
        s.commit()
    # scjg's inspector recorded a problem on scjg's own item (sealing refuses "未发现问题" beside it).
    vid = complete_inspection(client, login("office"), codes=("A",), followup="rectify", findings=[
        {"department": "scjg", "description": "健康证明过期"}])["visit_id"]
    scjg, yjgl = login("scjg-reviewer"), login("yjgl-reviewer")
    row = _row(client, scjg, vid)
    assert row["joint"] is False and row["department"] == "scjg"
    assert client.get("/api/v1/reviews", headers=yjgl).get_json() == []
    assert_problem(client.post(f"/api/v1/reviews/{vid}/approve", headers=yjgl), 404, "review_not_found")
    detail = client.get(f"/api/v1/reviews/{vid}", headers=yjgl).get_json()  # a task department still reads it
    assert detail["review"]["writable"] is False and detail["summary"] is None and len(detail["entries"]) == 1
    # Entering "未发现问题" is refused: it contradicts scjg's own finding.
    assert_problem(client.post(f"/api/v1/reviews/{vid}/approve", headers=scjg, json={"result_codes": ["1"]}),
                   422, "result_inconsistent")
    r = client.post(f"/api/v1/reviews/{vid}/approve", headers=scjg)  # the team's codes, narrowed to scjg's items
    assert r.status_code == 200 and r.get_json()["result_codes"] == ["A"]
    assert_problem(client.post(f"/api/v1/reviews/{vid}/publish-summary", headers=scjg), 409, "summary_not_joint")
    assert client.post(f"/api/v1/reviews/{vid}/publish", headers=scjg).status_code == 200
    (public,) = client.get("/api/v1/public/results").get_json()["items"]
    assert public["kind"] == "department" and public["kind_label"] == "部门检查结果"
    assert public["result"] == "发现问题待后续处理"


def test_rectification_revises_the_entry_of_the_department_whose_finding_it_was(client, login, dbs):
    office = login("office")
    ctx = _yjgl_problem(client, office)
    vid, oid = ctx["visit_id"], ctx["visit"]["object"]["id"]
    scjg, yjgl = login("scjg-reviewer"), login("yjgl-reviewer")
    for who in (scjg, yjgl, login("wsjk-reviewer")):
        assert client.post(f"/api/v1/reviews/{vid}/approve", headers=who).status_code == 200
    for who in (scjg, yjgl):
        assert client.post(f"/api/v1/reviews/{vid}/publish", headers=who).status_code == 200
    assert client.post(f"/api/v1/reviews/{vid}/publish-summary", headers=scjg).status_code == 200
    order = client.post("/api/v1/leads/rectifications", headers=yjgl,
                        json={"finding_id": ctx["findings"][0], "deadline_workdays": 5}).get_json()
    r = client.post(f"/api/v1/leads/rectifications/{order['id']}/decision", headers=yjgl, json={"rectified": True})
    assert r.status_code == 200, r.get_json()
    assert _row(client, yjgl, vid)["result_codes"] == ["E"]
    assert _row(client, scjg, vid)["result_codes"] == ["1"]  # scjg's entry is scjg's
    rows = {(i["kind"], i["result"], bool(i["revised_on"])) for i in client.get("/api/v1/public/results").get_json()["items"]}
    assert rows == {("department", "未发现问题", False), ("department", "发现问题经责令已改正", True),
                    ("joint", "发现问题经责令已改正", True)}
    checks = client.get(f"/api/v1/registry/objects/{oid}", headers=login("yjgl-admin")).get_json()["checks"]
    assert {c["department"]: c["result_codes"] for c in checks} == {"scjg": ["1"], "yjgl": ["E"], "wsjk": ["1"]}
