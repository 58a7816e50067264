"""Role × endpoint permission matrix.

Every `/api/v1` route must have a row here (a test fails otherwise), so the
matrix grows with every endpoint. A row lists which personas may pass the
authorization check; everyone else must be refused (401 anonymous, 403 for a
role they lack, or 404 where an object outside their view is hidden).
"""
from __future__ import annotations

import importlib
from pathlib import Path

import pytest

from tests.conftest import DEMO_PASSWORD
from tests.support.http import Session
from tests.support.matrix import AUTHED, PERSONAS, Row, uniq


def _login_body(ctx, who):
    return "/api/v1/auth/login", {"json": {"username": "scjg-insp3", "password": DEMO_PASSWORD,
                                           "device_id": f"matrix-dev-{uniq():04d}", "device_name": "x"}}


def _refresh_body(ctx, who):
    s = Session.login(ctx["client"], "scjg-insp3", DEMO_PASSWORD, f"matrix-ref-{uniq():04d}")
    return "/api/v1/auth/refresh", {"json": {"refresh_token": s.refresh_token, "device_id": s.device_id}}


def _dept(ctx, who):
    n = uniq()
    return "/api/v1/departments", {"json": {"code": f"m{n}", "name": f"矩阵测试局{n}", "level": "city",
                                            "region_code": "140900"}}


def _user(ctx, who):
    n = uniq()
    return "/api/v1/users", {"json": {"username": f"matrix{n}", "display_name": "矩阵", "department_id": ctx["scjg"],
                                      "roles": ["inspector"], "password": "long-enough-1"}}


CORE: dict[tuple[str, str], Row] = {
    ("POST", "/api/v1/auth/login"): Row(set(PERSONAS), _login_body),
    ("POST", "/api/v1/auth/refresh"): Row(set(PERSONAS), _refresh_body),
    ("POST", "/api/v1/auth/logout"): Row(AUTHED, lambda c, w: ("/api/v1/auth/logout", {})),
    ("GET", "/api/v1/me"): Row(AUTHED, lambda c, w: ("/api/v1/me", {})),
    ("GET", "/api/v1/me/devices"): Row(AUTHED, lambda c, w: ("/api/v1/me/devices", {})),
    ("GET", "/api/v1/devices"): Row({"office", "auditor", "scjg-admin", "sthj-admin"},
                                    lambda c, w: ("/api/v1/devices", {})),
    ("POST", "/api/v1/devices/<int:device_id>/revoke"): Row(
        {"office", "scjg-admin"},
        lambda c, w: (f"/api/v1/devices/{c['insp2_device']}/revoke", {"json": {"reason": "矩阵测试"}}),
        hidden={"auditor", "scjg-leader", "scjg-reviewer", "scjg-insp1", "sthj-admin"}),
    ("GET", "/api/v1/departments"): Row(AUTHED, lambda c, w: ("/api/v1/departments", {})),
    ("POST", "/api/v1/departments"): Row({"office"}, _dept),
    ("GET", "/api/v1/departments/<int:dept_id>"): Row(AUTHED, lambda c, w: (f"/api/v1/departments/{c['scjg']}", {})),
    ("PATCH", "/api/v1/departments/<int:dept_id>"): Row(
        {"office"}, lambda c, w: (f"/api/v1/departments/{c['scjg']}", {"json": {"name": "忻州市市场监督管理局"}})),
    ("GET", "/api/v1/users"): Row({"office", "auditor", "scjg-admin", "sthj-admin"}, lambda c, w: ("/api/v1/users", {})),
    ("POST", "/api/v1/users"): Row({"office", "scjg-admin"}, _user, hidden=set()),
    ("GET", "/api/v1/users/<int:user_id>"): Row(
        AUTHED - {"sthj-admin"}, lambda c, w: (f"/api/v1/users/{c['insp2']}", {}), hidden={"sthj-admin"}),
    ("PATCH", "/api/v1/users/<int:user_id>"): Row(
        {"office", "scjg-admin"}, lambda c, w: (f"/api/v1/users/{c['insp2']}", {"json": {"phone": "13800000000"}}),
        hidden={"sthj-admin"}),
    ("PUT", "/api/v1/users/<int:user_id>/roles"): Row(
        {"office", "scjg-admin"}, lambda c, w: (f"/api/v1/users/{c['insp2']}/roles", {"json": {"roles": ["inspector"]}}),
        hidden={"sthj-admin"}),
    ("POST", "/api/v1/users/<int:user_id>/password"): Row(
        {"office", "scjg-admin"},
        lambda c, w: (f"/api/v1/users/{c['insp2']}/password", {"json": {"password": "matrix-pass-1"}}),
        hidden={"sthj-admin"}),
    # Everyone may change their own password (a wrong current one: 422 past the authorization check).
    ("POST", "/api/v1/me/password"): Row(
        AUTHED, lambda c, w: ("/api/v1/me/password", {"json": {"current_password": "wrong-wrong",
                                                               "new_password": "Matrix-pass-9"}})),
}

def _feature_modules():
    tests = Path(__file__).parent.parent
    for path in sorted([*tests.glob("server/*/matrix.py"), *tests.glob("*/matrix.py")]):
        if path.parent.name == "support":
            continue
        dotted = ".".join(path.relative_to(tests.parent).with_suffix("").parts)
        yield importlib.import_module(dotted)


FEATURES = list(_feature_modules())
MATRIX: dict[tuple[str, str], Row] = dict(CORE)
for _mod in FEATURES:
    overlap = set(MATRIX) & set(_mod.ROWS)
    assert not overlap, overlap
    MATRIX.update(_mod.ROWS)

# Documentation routes, open to all by design.
PUBLIC_DOCS = {("GET", "/api/v1/openapi.json"), ("GET", "/api/v1/docs")}


@pytest.fixture
def seed_level():
    """The whole demo (objects, a drawn joint task) so every route has something real to act on."""
    return "field"


def api_routes(app) -> set[tuple[str, str]]:
    out = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/") or rule.rule.startswith("/api/v1/public/"):
            continue
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            out.add((method, rule.rule))
    return out - PUBLIC_DOCS


def test_every_api_route_is_in_the_matrix(app):
    missing = sorted(api_routes(app) - set(MATRIX))
    assert not missing, f"add these routes to the permission matrix: {missing}"


@pytest.mark.parametrize("key", sorted(MATRIX), ids=lambda k: f"{k[0]} {k[1]}")
def test_matrix(app, client, key):
    row = MATRIX[key]
    method, _ = key
    sessions = {p: Session.login(client, p, DEMO_PASSWORD, f"matrix-{p}-{uniq():04d}") for p in AUTHED}
    users = client.get("/api/v1/users?limit=500", headers=sessions["office"].headers).get_json()["items"]
    insp2 = next(u["id"] for u in users if u["username"] == "scjg-insp2")
    phone = Session.login(client, "scjg-insp2", DEMO_PASSWORD, "matrix-insp2-phone")
    depts = client.get("/api/v1/departments", headers=sessions["office"].headers).get_json()
    ctx = {"client": client, "insp2": insp2, "scjg": next(d["id"] for d in depts if d["code"] == "scjg"),
           "insp2_device": client.get("/api/v1/me", headers=phone.headers).get_json()["device"]["id"],
           "sessions": sessions, "app": app}
    for mod in FEATURES:
        if hasattr(mod, "prepare"):
            mod.prepare(ctx)
    outcomes = {}
    for persona in PERSONAS:
        path, kwargs = row.request(ctx, persona)
        headers = sessions[persona].headers if persona in sessions else {}
        resp = client.open(path, method=method, headers=headers, **kwargs)
        outcomes[persona] = resp.status_code
        assert resp.status_code < 500, (persona, resp.get_data(as_text=True))
        if persona in row.allowed:
            assert resp.status_code not in (401, 403, 404), (persona, resp.status_code, resp.get_json())
        elif persona == "anonymous":
            assert resp.status_code == 401, (persona, resp.status_code)
        elif persona in row.hidden:
            assert resp.status_code == 404, (persona, resp.status_code)
        else:
            assert resp.status_code == 403, (persona, resp.status_code, resp.get_json())
        if resp.status_code >= 400:
            assert resp.mimetype == "application/problem+json"
