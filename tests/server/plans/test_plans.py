"""Annual plans: validation, the workflow to publication, adjustments, public view."""
from __future__ import annotations

from sqlalchemy import select

from server.audit.models import AuditEntry
from tests.server.catalog.matrix import item_body
from tests.support.http import assert_problem

YEAR = 2027


def _items(client, h):
    return {i["code"]: i for i in client.get("/api/v1/items?limit=500", headers=h).get_json()["items"]}


def _depts(client, h):
    return {d["code"]: d["id"] for d in client.get("/api/v1/departments", headers=h).get_json()}


def task(items, depts, **over):
    body = {
        "code": "T01", "name": "餐饮单位联合抽查",
        "main_item": {"item_id": items["SCJG-SP-001"]["id"], "version": 1},
        "x_items": [{"item_id": items["YJGL-AQ-001"]["id"], "version": 1}],
        "participating_department_ids": [depts["yjgl"]],
        "scope": {"sub_libraries": ["food_business"], "object_types": ["enterprise", "individual"]},
        "ratios": {"A": "0.02", "B": "0.05", "C": "0.2", "D": "0.5", "U": "0.05"},
        "min_team_size": 3, "window_start": f"{YEAR}-04-01", "window_end": f"{YEAR}-06-30",
    }
    body.update(over)
    return body


def _new_plan(client, h, title="2027年度联合抽查计划"):
    r = client.post("/api/v1/plans", headers=h, json={"year": YEAR, "title": title})
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def test_workflow_draft_to_published_and_adjustment(client, login, dbs):
    admin, office = login("scjg-admin"), login("office")
    items, depts = _items(client, admin), _depts(client, admin)
    plan = _new_plan(client, admin)
    assert plan["code"].startswith("2027-SCJG-") and plan["current"]["status"] == "draft"
    r = client.put(f"/api/v1/plans/{plan['id']}/tasks", headers=admin, json=task(items, depts))
    assert r.status_code == 200, r.get_json()
    pid = plan["id"]
    r = client.post(f"/api/v1/plans/{pid}/submit", headers=admin)
    assert r.get_json()["current"]["status"] == "submitted" and r.get_json()["current"]["late"] is False
    assert_problem(client.put(f"/api/v1/plans/{pid}/tasks", headers=admin, json=task(items, depts)), 409, "plan_not_draft")
    assert_problem(client.post(f"/api/v1/plans/{pid}/approve", headers=office, json={"approval_ref": "x号"}),
                   409, "plan_wrong_state")
    assert client.post(f"/api/v1/plans/{pid}/aggregate", headers=office).get_json()["current"]["status"] == "aggregated"
    r = client.post(f"/api/v1/plans/{pid}/approve", headers=office, json={"approval_ref": "忻政函〔2027〕3号"})
    assert r.get_json()["current"]["approval_ref"] == "忻政函〔2027〕3号"
    assert client.post(f"/api/v1/plans/{pid}/publish", headers=office).get_json()["published_version"] == 1

    # Adjustment: a new version with a reason, re-approved and re-published.
    r = client.post(f"/api/v1/plans/{pid}/adjust", headers=admin, json={"reason": "新增特种设备抽查任务"})
    assert r.status_code == 201
    adjusted = r.get_json()
    assert adjusted["current_version"] == 2 and adjusted["current"]["status"] == "draft"
    assert adjusted["published_version"] == 1  # the published version stays public meanwhile
    t2 = task(items, depts, code="T02", name="特种设备抽查",
              main_item={"item_id": items["SCJG-TZ-001"]["id"], "version": 1}, x_items=[],
              participating_department_ids=[], scope={"object_types": ["enterprise"]})
    assert client.put(f"/api/v1/plans/{pid}/tasks", headers=admin, json=t2).status_code == 200
    changed = task(items, depts, ratios={"A": "0.03", "B": "0.05", "C": "0.2", "D": "0.5", "U": "0.05"})
    assert client.put(f"/api/v1/plans/{pid}/tasks", headers=admin, json=changed).status_code == 200
    for step, body in (("submit", None), ("aggregate", None), ("approve", {"approval_ref": "忻政函〔2027〕9号"}), ("publish", None)):
        h = admin if step == "submit" else office
        r = client.post(f"/api/v1/plans/{pid}/{step}", headers=h, json=body) if body else client.post(f"/api/v1/plans/{pid}/{step}", headers=h)
        assert r.status_code == 200, (step, r.get_json())
    final = r.get_json()
    assert final["published_version"] == 2
    assert [v["status"] for v in final["versions"]] == ["superseded", "published"]

    d = client.get(f"/api/v1/plans/{pid}/diff?base=1&target=2", headers=admin).get_json()
    assert d["added"] == ["T02"] and d["removed"] == []
    assert d["changed"]["T01"]["ratios"]["from"]["A"] == "0.02" and d["changed"]["T01"]["ratios"]["to"]["A"] == "0.03"

    with dbs() as s:
        actions = s.execute(select(AuditEntry.action).where(AuditEntry.target_type == "plan", AuditEntry.target_id == str(pid))
                            .order_by(AuditEntry.seq)).scalars().all()
    assert actions == ["plan.create", "plan.task_add", "plan.submit", "plan.aggregate", "plan.approve", "plan.publish",
                       "plan.adjust", "plan.task_add", "plan.task_update", "plan.submit", "plan.aggregate",
                       "plan.approve", "plan.publish"]

    public = [p for p in client.get(f"/api/v1/public/plans?year={YEAR}").get_json() if p["code"] == final["code"]][0]
    assert public["version"] == 2 and [t["code"] for t in public["tasks"]] == ["T01", "T02"]
    assert public["adjustments"] == [{"version": 2, "reason": "新增特种设备抽查任务"}]
    text = str(public)
    for internal in ("approval_ref", "created_by", "submitted_by", "zero_ratio_reasons", "risk_class", "id_number"):
        assert internal not in text


def test_item_version_pinned_by_task_survives_edit(client, login):
    admin = login("scjg-admin")
    depts = _depts(client, admin)
    r = client.post("/api/v1/items", headers=admin, json=item_body(code="SCJG-PIN-1", name="原名称", level="key", max_ratio=None))
    item = r.get_json()
    items = _items(client, admin)
    plan = _new_plan(client, admin)
    body = task(items, depts, main_item={"item_id": item["id"], "version": 1}, x_items=[], participating_department_ids=[],
                scope={"object_types": ["enterprise"]})
    client.put(f"/api/v1/plans/{plan['id']}/tasks", headers=admin, json=body)
    edit = item_body(name="修订后名称", level="key", max_ratio=None)
    edit.pop("code")
    assert client.put(f"/api/v1/items/{item['id']}", headers=admin, json=edit).get_json()["current_version"] == 2
    shown = client.get(f"/api/v1/plans/{plan['id']}", headers=admin).get_json()["current"]["tasks"][0]["items"][0]
    assert shown["version"] == 1 and shown["name"] == "原名称"


def test_task_validation(client, login):
    admin = login("scjg-admin")
    items, depts = _items(client, admin), _depts(client, admin)
    plan = _new_plan(client, admin)
    url = f"/api/v1/plans/{plan['id']}/tasks"

    def errors(**over):
        body = assert_problem(client.put(url, headers=admin, json=task(items, depts, **over)), 422)
        return {e["field"]: e["message"] for e in body.get("errors", [])}

    # General item's maximum ratio (价格 0.05) is respected for every class.
    e = errors(x_items=[{"item_id": items["SCJG-JG-001"]["id"], "version": 1}], participating_department_ids=[])
    assert "最高抽查比例为 0.05" in e["ratios.C"] and "ratios.A" not in e
    # A ratio is never silently 0, and never missing.
    assert "理由" in errors(ratios={"A": "0", "B": "0.05", "C": "0.2", "D": "0.5", "U": "0.05"})["ratios.A"]
    ok = client.put(url, headers=admin, json=task(items, depts, ratios={"A": "0", "B": "0.05", "C": "0.2", "D": "0.5", "U": "0.05"},
                                                   zero_ratio_reasons={"A": "A 类本年度已全覆盖检查"}))
    assert ok.status_code == 200
    assert "缺少：U" in errors(ratios={"A": "0.1", "B": "0.05", "C": "0.2", "D": "0.5"})["ratios"]
    # Participating departments own their X items.
    assert "参与部门" in errors(participating_department_ids=[])["x_items"]
    assert "没有检查事项" in errors(participating_department_ids=[depts["yjgl"], depts["sthj"]])["participating_department_ids"]
    # The "1" is the initiating department's own item.
    assert "发起部门" in errors(main_item={"item_id": items["YJGL-AQ-001"]["id"], "version": 1}, x_items=[],
                             participating_department_ids=[])["main_item.item_id"]
    assert "计划年度" in errors(window_start="2028-01-01", window_end="2028-02-01")["window_start"]
    assert "最少" in str(errors(min_team_size=1)) or "min_team_size" in errors(min_team_size=1)
    assert "第 7 版" in errors(main_item={"item_id": items["SCJG-SP-001"]["id"], "version": 7})["main_item.version"]


def test_late_submission_is_warned_and_recorded(client, login):
    admin = login("scjg-admin")
    items, depts = _items(client, admin), _depts(client, admin)
    r = client.post("/api/v1/plans", headers=admin, json={"year": 2024, "title": "补报的计划"})
    pid = r.get_json()["id"]
    assert any("报送期限" in w for w in r.get_json()["warnings"])
    body = task(items, depts, window_start="2024-05-01", window_end="2024-06-01")
    assert client.put(f"/api/v1/plans/{pid}/tasks", headers=admin, json=body).status_code == 200
    r = client.post(f"/api/v1/plans/{pid}/submit", headers=admin).get_json()
    assert r["current"]["late"] is True and "逾期" in r["warnings"][0]


def test_visibility_of_joint_tasks(client, login):
    admin = login("scjg-admin")
    items, depts = _items(client, admin), _depts(client, admin)
    plan = _new_plan(client, admin)
    client.put(f"/api/v1/plans/{plan['id']}/tasks", headers=admin, json=task(items, depts))
    # yjgl takes part in the joint task: it may read the plan; sthj does not.
    assert client.get(f"/api/v1/plans/{plan['id']}", headers=login("yjgl-leader")).status_code == 200
    assert_problem(client.get(f"/api/v1/plans/{plan['id']}", headers=login("sthj-admin")), 404, "plan_not_found")
    listed = [p["id"] for p in client.get("/api/v1/plans", headers=login("sthj-reviewer")).get_json()]
    assert plan["id"] not in listed
    # Only the drafting department edits it.
    assert_problem(client.put(f"/api/v1/plans/{plan['id']}/tasks", headers=login("yjgl-admin"), json=task(items, depts)),
                   404, "plan_not_found")
    assert_problem(client.get(f"/api/v1/plans/{plan['id']}", headers=login("scjg-insp1")), 403, "role_required")


def test_office_can_return_a_plan(client, login):
    admin, office = login("scjg-admin"), login("office")
    items, depts = _items(client, admin), _depts(client, admin)
    plan = _new_plan(client, admin)
    client.put(f"/api/v1/plans/{plan['id']}/tasks", headers=admin, json=task(items, depts))
    client.post(f"/api/v1/plans/{plan['id']}/submit", headers=admin)
    r = client.post(f"/api/v1/plans/{plan['id']}/return", headers=office, json={"reason": "请补充参与部门意见"})
    assert r.get_json()["current"]["status"] == "draft" and r.get_json()["current"]["returned_reason"]
    assert client.put(f"/api/v1/plans/{plan['id']}/tasks", headers=admin, json=task(items, depts)).status_code == 200


def test_demo_plan_is_published(client):
    plans = client.get("/api/v1/public/plans").get_json()
    assert plans and plans[0]["tasks"][0]["code"] == "T01"
    assert "忻州市应急管理局" in plans[0]["tasks"][0]["participating_departments"]
