"""Issue 15, point 3: a "1+X" task whose X items belong to the initiating department itself
launches and reveals (it used to validate as a plan and answer 500 at launch)."""
from __future__ import annotations

from server.types import local_today
from tests.server.draws.draw_support import (
    BEACON,
    audit_package,
    items_by_code,
    launched,
    plan_task_id,
    publish_extra_task,
    reveal,
    run_verifier,
)


def _publish_own_x_task(client, login) -> None:
    items = items_by_code(client, login)
    year = local_today().year
    publish_extra_task(client, login, {
        "code": "T03", "name": "餐饮单位食品安全与明码标价一并抽查",
        "main_item": {"item_id": items["SCJG-SP-001"]["id"], "version": 1},
        "x_items": [{"item_id": items["SCJG-JG-001"]["id"], "version": 1}],
        "participating_department_ids": [],
        "scope": {"sub_libraries": ["food_business"], "object_types": ["enterprise", "individual"]},
        "ratios": {"A": "0.02", "B": "0.05", "C": "0.05", "D": "0.05", "U": "0.05"},
        "min_team_size": 2, "per_inspector_cap": 20,
        "window_start": f"{year}-12-01", "window_end": f"{year}-12-31",
    })


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
