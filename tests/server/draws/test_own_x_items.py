"""Issue 15, point 3: a "1+X" task whose X items belong to the initiating department itself
launches and reveals (it used to validate as a plan and answer 500 at launch)."""
from __future__ import annotations

from server.types import local_today
from tests.server.draws.draw_support import BEACON, audit_package, launched, plan_task_id, reveal, run_verifier


def _publish_own_x_task(client, login) -> None:
    admin, office = login("scjg-admin"), login("office")
    items = {i["code"]: i for i in client.get("/api/v1/items?limit=500", headers=admin).get_json()["items"]}
    plan = next(p for p in client.get("/api/v1/plans", headers=office).get_json()
                if any(t["code"] == "T02" for t in p["current"]["tasks"]))
    r = client.post(f"/api/v1/plans/{plan['id']}/adjust", headers=admin, json={"reason": "增加本部门多事项抽查任务"})
    assert r.status_code == 201, r.get_json()
    year = local_today().year
    body = {
        "code": "T03", "name": "餐饮单位食品安全与明码标价一并抽查",
        "main_item": {"item_id": items["SCJG-SP-001"]["id"], "version": 1},
        "x_items": [{"item_id": items["SCJG-JG-001"]["id"], "version": 1}],
        "participating_department_ids": [],
        "scope": {"sub_libraries": ["food_business"], "object_types": ["enterprise", "individual"]},
        "ratios": {"A": "0.02", "B": "0.05", "C": "0.05", "D": "0.05", "U": "0.05"},
        "min_team_size": 2, "per_inspector_cap": 20,
        "window_start": f"{year}-12-01", "window_end": f"{year}-12-31",
    }
    r = client.put(f"/api/v1/plans/{plan['id']}/tasks", headers=admin, json=body)
    assert r.status_code == 200, r.get_json()
    for step, payload in (("submit", None), ("aggregate", None), ("approve", {"approval_ref": "忻政函〔2026〕20号"}),
                          ("publish", None)):
        r = client.post(f"/api/v1/plans/{plan['id']}/{step}", headers=admin if step == "submit" else office,
                        json=payload)
        assert r.status_code == 200, (step, r.get_json())


def test_task_with_the_initiating_departments_own_x_item_launches_and_reveals(client, login, tmp_path):
    _publish_own_x_task(client, login)
    assert plan_task_id(client, login("office"), "T03")
    body = launched(client, login, code="T03", beacon=BEACON)
    r = reveal(client, login, body["task"]["id"])
    assert r.status_code == 200, r.get_json()
    drawn = r.get_json()
    assert drawn["selected"], drawn
    package = audit_package(client, login, body["task"]["id"])
    teams = package["teams"]["teams"]
    assert len(teams) == len(drawn["selected"])
    # No participating slot: every member comes from the initiating department.
    assert {role for t in teams.values() for role in t["roles"].values()} <= {"leader", "scjg"}
    run = run_verifier(tmp_path, package)
    assert run.returncode == 0, run.stdout
