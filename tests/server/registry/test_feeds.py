"""Registration and credit feeds (issue 22): each kind of change, replay, order, bad records, encodings."""
from __future__ import annotations

import io
import json

from openpyxl import load_workbook
from sqlalchemy import func, select

from server.audit.models import AuditEntry
from server.registry.feeds.merge import created_summary
from server.registry.feeds.models import FeedBatch, ObjectComplaintMonth, ObjectListEntry, ObjectStatusChange
from server.registry.models import InspectionObject, ObjectCredit
from server.registry.state import content_hash, state_of
from server.types import local_today
from tests.conftest import DEMO_PASSWORD
from tests.server.registry.feed_support import FEEDS, code, entity, feed_csv, jsonl, post
from tests.support.http import Session, assert_problem


def _obj(s, credit_code):
    obj = s.execute(select(InspectionObject).where(InspectionObject.credit_code == credit_code)).scalar_one()
    return obj, s.get(ObjectCredit, obj.id)


def _this_month() -> str:
    return local_today().strftime("%Y-%m")


def test_each_kind_of_change_takes_effect_and_is_audited_with_its_batch(client, login, dbs):
    a, b = code(), code("140924", "92")
    month = _this_month()
    first = jsonl("gs-0001", "sxgs", 1, [entity("忻州市晋源食品有限公司", a, registration_status="存续", risk_class="B"),
                                          entity("繁峙县滹沱河畔农家乐", b, object_type="个体工商户")])
    r = post(client, login("office"), first)
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["counts"]["object"] == {"applied": 2, "unchanged": 0, "refused": 0}
    with dbs() as s:  # what the audit entry says was created, recomputable from the directory
        created = created_summary([(o.id, o.match_key, o.content_hash) for o in s.execute(select(InspectionObject)).scalars()])
        assert len(created["ids"]) == 1 and created["ids"][0][1] - created["ids"][0][0] == 1
    second = jsonl("gs-0002", "sxgs", 2, [
        {"kind": "status", "credit_code": b, "status": "deregistered", "date": "2026-11-30", "reason": "简易注销"},
        {"kind": "list", "credit_code": a, "list": "abnormal", "action": "enter", "date": "2026-10-01",
         "reason": "未按规定报送年度报告"},
        {"kind": "complaints", "credit_code": a, "period": month, "count": 3},
        {"kind": "risk", "credit_code": a, "risk_class": "D"},
        {"kind": "list", "credit_code": b, "list": "serious_violation", "action": "remove", "date": "2026-10-01"},
    ])
    r = post(client, login("office"), second)
    body = r.get_json()
    assert r.status_code == 201, body
    assert (body["applied"], body["unchanged"], body["refused"]) == (4, 1, 0)
    assert body["closed_objects"] == 1 and body["replayed"] is False
    with dbs() as s:
        obj_a, credit_a = _obj(s, a)
        obj_b, _ = _obj(s, b)
        assert obj_b.registration_status == "deregistered"
        assert (credit_a.abnormal_list, credit_a.complaint_count, credit_a.risk_class) == (True, 3, "D")
        # The content hash follows the credit data, as for every other writer of the directory.
        assert obj_a.content_hash == content_hash(*state_of(obj_a, credit_a)) and obj_a.version == 2
        entry = s.execute(select(ObjectListEntry).where(ObjectListEntry.object_id == obj_a.id)).scalar_one()
        assert (entry.list, entry.entered_on.isoformat(), entry.entry_batch, entry.removed_on) == \
               ("abnormal", "2026-10-01", "gs-0002", None)
        change = s.execute(select(ObjectStatusChange).where(ObjectStatusChange.object_id == obj_b.id)).scalar_one()
        assert (change.from_status, change.to_status, change.reason, change.batch_id) == \
               ("active", "deregistered", "简易注销", "gs-0002")
        assert s.get(ObjectComplaintMonth, (obj_a.id, month)).count == 3
        chunks = [json.loads(e.payload)["data"] for e in s.execute(
            select(AuditEntry).where(AuditEntry.action == "registry.feed.chunk").order_by(AuditEntry.seq)).scalars()]
        assert [c["batch_id"] for c in chunks] == ["gs-0001", "gs-0002"]
        assert chunks[0]["created"] == created and created["count"] == 2
        assert chunks[1]["status"] == [[obj_b.id, "active", "deregistered"]]
        assert chunks[1]["lists"] == [[obj_a.id, "abnormal", "enter"]]
        assert chunks[1]["complaints"] == [[obj_a.id, month, 3]]
    # Leaving the list closes the stay; a later month's complaints are added up over 12 months.
    third = jsonl("gs-0003", "sxgs", 3, [
        {"kind": "list", "credit_code": a, "list": "经营异常名录", "action": "移出", "date": "2026-12-01", "reason": "已补报"},
        {"kind": "complaints", "credit_code": a, "period": "1999-01", "count": 50}])
    assert post(client, login("office"), third).status_code == 201
    with dbs() as s:
        obj_a, credit_a = _obj(s, a)
        assert (credit_a.abnormal_list, credit_a.complaint_count) == (False, 3)  # 1999 is outside the window
        entry = s.execute(select(ObjectListEntry).where(ObjectListEntry.object_id == obj_a.id)).scalar_one()
        assert (entry.removed_on.isoformat(), entry.removal_reason, entry.removal_batch) == ("2026-12-01", "已补报", "gs-0003")


def test_a_replayed_batch_changes_nothing_and_answers_the_kept_report(client, login, dbs):
    body = jsonl("gs-r1", "replay", 1, [entity("忻州市重放测试有限公司")])
    first = post(client, login("office"), body)
    assert first.status_code == 201
    with dbs() as s:
        entries = s.execute(select(func.count()).select_from(AuditEntry)).scalar()
        objects = s.execute(select(func.count()).select_from(InspectionObject)).scalar()
    again = post(client, login("office"), body)
    assert again.status_code == 200
    assert again.get_json()["replayed"] is True and again.get_json()["applied"] == first.get_json()["applied"]
    with dbs() as s:
        assert s.execute(select(func.count()).select_from(AuditEntry)).scalar() == entries
        assert s.execute(select(func.count()).select_from(InspectionObject)).scalar() == objects
    other = jsonl("gs-r1", "replay", 1, [entity("忻州市另一家有限公司")])
    assert_problem(post(client, login("office"), other), 409, "feed_batch_id_reused")


def test_a_gap_in_the_sequence_is_refused_naming_the_missing_number(client, login, dbs):
    assert post(client, login("office"), jsonl("q-1", "seq", 1, [entity("忻州市序号一有限公司")])).status_code == 201
    body = assert_problem(post(client, login("office"), jsonl("q-4", "seq", 4, [entity("忻州市序号四有限公司")])),
                          409, "feed_sequence_gap")
    assert body["expected"] == 2 and body["missing"] == [2, 3] and "第 2 号" in body["detail"]
    assert_problem(post(client, login("office"), jsonl("q-1b", "seq", 1, [])), 409, "feed_sequence_used")
    # A first batch of a new source starts at 1.
    assert assert_problem(post(client, login("office"), jsonl("n-2", "newsrc", 2, [])), 409,
                          "feed_sequence_gap")["missing"] == [1]
    with dbs() as s:
        assert s.get(FeedBatch, "q-4") is None
        assert s.execute(select(func.count()).select_from(InspectionObject)
                         .where(InspectionObject.name == "忻州市序号四有限公司")).scalar() == 0
    assert post(client, login("office"), jsonl("q-2", "seq", 2, [])).status_code == 201


def test_bad_records_are_refused_by_line_and_change_nothing(client, login, dbs):
    good, unknown = code(), code()
    records = [entity("忻州市正常记录有限公司", good),                          # line 2
               "{not json",                                                   # line 3
               {"kind": "merge", "credit_code": good},                        # line 4
               entity("忻州市区划错误有限公司", region_code="999999"),          # line 5
               {"kind": "status", "credit_code": unknown, "status": "revoked"},  # line 6
               {"kind": "list", "credit_code": good, "list": "abnormal", "action": "enter"},  # line 7: no date
               {"kind": "complaints", "credit_code": good, "period": "2026-13", "count": 1},  # line 8
               {"kind": "object", "name": "忻州市带名单字段有限公司", "credit_code": code(), "abnormal_list": True}]  # 9
    r = post(client, login("office"), jsonl("bad-1", "bad", 1, records))
    body = r.get_json()
    assert r.status_code == 201, body
    assert body["applied"] == 1 and body["refused"] == 7
    assert [(x["line"], x["code"]) for x in body["refusals"]] == [
        (3, "json_invalid"), (4, "kind_unknown"), (5, "region_unknown"), (6, "object_unknown"),
        (7, "date_required"), (8, "period_invalid"), (9, "field_not_allowed")]
    assert all(x["message"] for x in body["refusals"])
    with dbs() as s:
        names = set(s.execute(select(InspectionObject.name)).scalars())
        assert names == {"忻州市正常记录有限公司"}
        assert not s.execute(select(ObjectListEntry)).first()
    xlsx = client.get(f"{FEEDS}/bad-1/report.xlsx", headers=login("auditor"))
    assert xlsx.status_code == 200
    wb = load_workbook(io.BytesIO(xlsx.data), read_only=True)
    rows = list(wb["拒绝明细"].iter_rows(values_only=True))
    assert rows[0][0] == "行号" and [row[0] for row in rows[1:]] == [3, 4, 5, 6, 7, 8, 9]
    summary = {row[0]: row[1] for row in wb["概况"].iter_rows(values_only=True) if row}
    assert summary["批次号"] == "bad-1" and summary["拒绝"] == 7


def test_unreadable_files_are_refused_whole(client, login, dbs):
    assert_problem(post(client, login("office"), b'{"batch": {"id": "x y", "source": "s", "sequence": 1}}\n'),
                   422, "feed_batch_invalid")
    assert_problem(post(client, login("office"), b"\xff\xfe\x00garbage"), 422)
    assert_problem(post(client, login("office"), b"name,credit_code\n a,b\n", "f.csv"), 422, "feed_header_missing")


def test_gb18030_csv_dry_run_then_apply_from_the_command_line(app, runner, dbs, tmp_path):
    a = code()
    path = tmp_path / "每日名录.csv"
    path.write_bytes(feed_csv("cli-1", "drop", 1, [
        {"kind": "object", "name": "岢岚县芦芽山杂粮种植专业合作社", "credit_code": code("140929", "93"),
         "registration_status": "存续"},
        {"kind": "object", "name": "忻州市五台山旅游商品有限公司", "credit_code": a},
        {"kind": "status", "credit_code": a, "status": "迁出", "date": "2026-12-01"}], encoding="gb18030"))
    r = runner.invoke(args=["objects", "feed", str(path), "--dry-run"])
    assert r.exit_code == 0, r.output
    assert "dry run" in r.output and "applied        2" in r.output
    with dbs() as s:
        assert s.execute(select(func.count()).select_from(InspectionObject)).scalar() == 0
        assert s.get(FeedBatch, "cli-1") is None
    report = tmp_path / "report.xlsx"
    r = runner.invoke(args=["objects", "feed", str(path), "--report", str(report)])
    assert r.exit_code == 0, r.output
    with dbs() as s:
        obj, _ = _obj(s, a)
        assert obj.registration_status == "moved_out"
        assert {o.name for o in s.execute(select(InspectionObject)).scalars()} >= {"岢岚县芦芽山杂粮种植专业合作社"}
        assert s.get(FeedBatch, "cli-1").encoding == "gb18030"
    assert load_workbook(report, read_only=True)["概况"]["A1"].value == "批次号"
    r = runner.invoke(args=["objects", "feed", str(path)])
    assert r.exit_code == 0 and "already applied" in r.output
    gap = tmp_path / "gap.jsonl"
    gap.write_bytes(jsonl("cli-3", "drop", 3, []))
    r = runner.invoke(args=["objects", "feed", str(gap)])
    assert r.exit_code == 2 and "feed_sequence_gap" in r.output


def test_the_platform_service_account_may_send_but_not_browse_the_directory(client, login):
    depts = client.get("/api/v1/departments", headers=login("office")).get_json()
    office = next(d["id"] for d in depts if d["is_office"])
    scjg = next(d["id"] for d in depts if d["code"] == "scjg")
    r = client.post("/api/v1/users", headers=login("office"), json={
        "username": "sxgx-feed", "display_name": "共享平台", "department_id": office, "roles": ["feed_service"],
        "password": DEMO_PASSWORD})
    assert r.status_code == 201, r.get_json()
    assert_problem(client.post("/api/v1/users", headers=login("scjg-admin"), json={
        "username": "scjg-feed", "display_name": "x", "department_id": scjg, "roles": ["feed_service"], "password": DEMO_PASSWORD}), 403,
        "role_not_grantable")
    svc = Session.login(client, "sxgx-feed", DEMO_PASSWORD, "platform-0001").headers
    # The office set its password: the platform's operator replaces it once (issue 19).
    assert client.post("/api/v1/me/password", headers=svc, json={
        "current_password": DEMO_PASSWORD, "new_password": "Platform-Feed-2026"}).status_code == 204
    assert post(client, svc, jsonl("svc-1", "platform", 1, [entity("忻州市平台推送有限公司")])).status_code == 201
    assert client.get(f"{FEEDS}/svc-1", headers=svc).get_json()["applied"] == 1
    assert client.get("/api/v1/registry/objects", headers=svc).status_code == 403


def test_a_batch_larger_than_an_ordinary_request_is_accepted_up_to_the_feed_limit(client, login, app):
    records = [entity(f"忻州市大批量第{i:05d}号商贸有限公司", registered_address=f"忻州市忻府区和平街{i}号" + "附" * 60)
               for i in range(4000)]
    body = jsonl("large-1", "large", 1, records)
    assert len(body) > 1024 * 1024  # above the ordinary 1 MB limit of API bodies
    r = post(client, login("office"), body)
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["applied"] == 4000
    app.config["REGISTRY_FEED_MAX_BYTES"] = len(body) - 1
    try:
        problem = assert_problem(post(client, login("office"), jsonl("large-2", "large", 2, records)), 413,
                                 "payload_too_large")
        assert problem["limit_bytes"] == len(body) - 1
    finally:
        del app.config["REGISTRY_FEED_MAX_BYTES"]


def test_an_objects_history_shows_what_the_feeds_changed_with_their_batches(client, login, dbs):
    a = code()
    office = login("office")
    month = _this_month()
    r = post(client, office, jsonl("hist-1", "hist", 1, [
        entity("忻州市历史记录有限公司", a),
        {"kind": "list", "credit_code": a, "list": "abnormal", "action": "enter", "date": "2026-10-01", "reason": "未年报"},
        {"kind": "complaints", "credit_code": a, "period": month, "count": 2}]))
    assert r.status_code == 201, r.get_json()
    r = post(client, office, jsonl("hist-2", "hist", 2, [
        {"kind": "list", "credit_code": a, "list": "abnormal", "action": "remove", "date": "2026-11-15", "reason": "已补报"},
        {"kind": "status", "credit_code": a, "status": "revoked", "date": "2026-12-01", "reason": "吊销营业执照"}]))
    assert r.status_code == 201, r.get_json()
    with dbs() as s:
        object_id = _obj(s, a)[0].id
    body = client.get(f"/api/v1/registry/objects/{object_id}/history", headers=login("scjg-reviewer")).get_json()
    assert [(c["from_label"], c["to_label"], c["changed_on"], c["reason"], c["batch_id"]) for c in body["status_changes"]] == [
        ("存续", "吊销", "2026-12-01", "吊销营业执照", "hist-2")]
    assert [(x["list_label"], x["entered_on"], x["entry_batch"], x["removed_on"], x["removal_reason"], x["removal_batch"])
            for x in body["list_stays"]] == [("经营异常名录", "2026-10-01", "hist-1", "2026-11-15", "已补报", "hist-2")]
    assert body["complaint_months"] == [{"period": month, "count": 2, "batch_id": "hist-1"}]
    assert_problem(client.get("/api/v1/registry/objects/987654321/history", headers=office), 404, "object_not_found")
    assert_problem(client.get(f"/api/v1/registry/objects/{object_id}/history", headers=login("scjg-insp1")),
                   403, None)
