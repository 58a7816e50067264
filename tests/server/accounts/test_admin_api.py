"""Departments and users through the API, with per-object scoping."""
from __future__ import annotations

from tests.support.http import assert_problem


def _dept_id(client, h, code):
    return next(d["id"] for d in client.get("/api/v1/departments", headers=h).get_json() if d["code"] == code)


def test_dept_admin_manages_own_department_only(client, login):
    h = login("scjg-admin")
    scjg, sthj = _dept_id(client, h, "scjg"), _dept_id(client, h, "sthj")
    r = client.post("/api/v1/users", headers=h, json={"username": "scjg-new", "display_name": "新人",
                                                      "department_id": scjg, "roles": ["inspector"],
                                                      "password": "long-enough-1"})
    assert r.status_code == 201, r.get_json()
    new_id = r.get_json()["id"]
    assert "password" not in r.get_json()
    r = client.post("/api/v1/users", headers=h, json={"username": "sthj-new", "display_name": "外人",
                                                      "department_id": sthj, "password": "long-enough-1"})
    assert_problem(r, 403, "other_department")
    r = client.post("/api/v1/users", headers=h, json={"username": "scjg-aud", "display_name": "审计",
                                                      "department_id": scjg, "roles": ["auditor"],
                                                      "password": "long-enough-1"})
    assert_problem(r, 403, "role_not_grantable")
    # Listing shows only the own department.
    users = client.get("/api/v1/users?limit=500", headers=h).get_json()["items"]
    assert users and {u["department"]["code"] for u in users} == {"scjg"}
    # Another department's user is invisible (404), not forbidden.
    other = client.get("/api/v1/users?limit=500", headers=login("sthj-admin")).get_json()["items"][0]["id"]
    assert_problem(client.get(f"/api/v1/users/{other}", headers=h), 404, "user_not_found")
    assert_problem(client.patch(f"/api/v1/users/{other}", headers=h, json={"active": False}), 404, "user_not_found")
    # Deactivating the new user locks them out.
    assert client.patch(f"/api/v1/users/{new_id}", headers=h, json={"active": False}).get_json()["active"] is False
    r = client.post("/api/v1/auth/login", json={"username": "scjg-new", "password": "long-enough-1",
                                                 "device_id": "dev-new-0001", "device_name": "x"})
    assert_problem(r, 401, "account_disabled")


def test_roles_and_password_reset(client, login):
    h = login("office")
    users = client.get("/api/v1/users?limit=500", headers=h).get_json()["items"]
    insp = next(u for u in users if u["username"] == "wl-insp3")
    r = client.put(f"/api/v1/users/{insp['id']}/roles", headers=h, json={"roles": ["inspector", "reviewer"]})
    assert r.get_json()["roles"] == ["inspector", "reviewer"]
    r = client.put(f"/api/v1/users/{insp['id']}/roles", headers=h, json={"roles": ["office_admin"]})
    assert_problem(r, 422, "role_not_allowed")
    assert_problem(client.put(f"/api/v1/users/{insp['id']}/roles", headers=h, json={"roles": ["king"]}),
                   422, "validation_failed")
    assert client.post(f"/api/v1/users/{insp['id']}/password", headers=h,
                       json={"password": "fresh-password-9"}).status_code == 204
    r = client.post("/api/v1/auth/login", json={"username": "wl-insp3", "password": "fresh-password-9",
                                                 "device_id": "dev-wl3-0001", "device_name": "x"})
    assert r.status_code == 200


def test_departments(client, login):
    h = login("office")
    scjg = _dept_id(client, h, "scjg")
    r = client.post("/api/v1/departments", headers=h, json={"code": "scjg-bd", "name": "保德县市场监督管理局",
                                                            "level": "county", "region_code": "140931",
                                                            "parent_id": scjg, "industry_tags": ["食品经营"]})
    assert r.status_code == 201
    dept = r.get_json()
    assert dept["parent_id"] == scjg
    r = client.patch(f"/api/v1/departments/{dept['id']}", headers=h, json={"name": "保德县市场监管局"})
    assert r.get_json()["name"] == "保德县市场监管局"
    assert_problem(client.patch(f"/api/v1/departments/{dept['id']}", headers=h, json={"parent_id": dept["id"]}),
                   422, "validation_failed")
    r = client.post("/api/v1/departments", headers=h, json={"code": "office2", "name": "第二个办公室",
                                                            "level": "city", "region_code": "140900", "is_office": True})
    assert_problem(r, 409, "office_exists")
    assert_problem(client.get("/api/v1/departments/99999", headers=h), 404, "department_not_found")
    assert_problem(client.post("/api/v1/departments", headers=login("scjg-admin"),
                               json={"code": "x1", "name": "某局", "level": "city", "region_code": "140900"}),
                   403, "role_required")
