"""Permission-matrix rows of the inspector directory.

Targets: scjg-insp2's record for staff-only routes (scjg-insp1 must not see a colleague), and
scjg-insp1's own record for self-service routes (own leave, own conflict declarations).
"""
from __future__ import annotations

import datetime as dt

from tests.support.matrix import STAFF_READERS, Row, uniq

BASE = "/api/v1/inspectors"
SCJG_READERS = {"office", "auditor", "scjg-admin", "scjg-leader", "scjg-reviewer"}
SCJG_MANAGERS = {"office", "scjg-admin"}
SELF_SERVICE = SCJG_MANAGERS | {"scjg-insp1"}


def _h(ctx, who):
    return ctx["sessions"][who].headers


def _ok(resp, status=201):
    assert resp.status_code == status, resp.get_json()
    return resp.get_json()


def _day(n: int) -> dt.date:
    """Distinct, far-future days so repeated requests never overlap each other."""
    return dt.date(2040, 1, 1) + dt.timedelta(days=3 * n)


def inspector_body(ctx, **over) -> dict:
    n = uniq()
    body = {"name": f"矩阵人员{n}", "department_id": ctx["scjg"], "cert_no": f"MX{n:08d}",
            "cert_valid_from": "2024-01-01", "cert_valid_until": "2030-12-31", "qualification_tags": ["食品安全执法"]}
    body.update(over)
    return body


def prepare(ctx):
    client, office = ctx["client"], _h(ctx, "office")
    users = {u["id"]: u["username"] for u in client.get("/api/v1/users?limit=500", headers=office).get_json()["items"]}
    listed = client.get(f"{BASE}?limit=500", headers=office).get_json()["items"]
    ctx["insp"] = {users[i["user_id"]]: i["id"] for i in listed if i["user_id"]}
    depts = client.get("/api/v1/departments", headers=office).get_json()
    ctx["dept"] = {d["code"]: d["id"] for d in depts}
    for d in depts:  # borrowing is only between departments of one field (Art. 17)
        if d["code"] in ("scjg", "sthj", "yjgl", "wsjk"):
            _ok(client.patch(f"/api/v1/departments/{d['id']}", headers=office,
                             json={"industry_tags": [*d["industry_tags"], "矩阵测试行业"]}), 200)
    ctx["borrow"] = _new_agreement(ctx)


def _new_agreement(ctx, lender: str = "yjgl") -> int:
    n = uniq()
    body = {"lender_department_id": ctx["dept"][lender], "reason": "矩阵测试：执法力量不足",
            "valid_from": _day(n).isoformat(), "valid_until": (_day(n) + dt.timedelta(days=1)).isoformat()}
    return _ok(ctx["client"].post(f"{BASE}/borrowing", headers=_h(ctx, "scjg-admin"), json=body))["id"]


def _fresh_inspector(ctx, active=True) -> int:
    return _ok(ctx["client"].post(BASE, headers=_h(ctx, "office"), json=inspector_body(ctx, active=active)))["id"]


def _period_body():
    n = uniq()
    return {"start_date": _day(n).isoformat(), "end_date": (_day(n) + dt.timedelta(days=1)).isoformat(),
            "reason": "leave"}


def _delete_period(ctx, who):
    me = ctx["insp"]["scjg-insp1"]
    pid = _ok(ctx["client"].post(f"{BASE}/{me}/unavailability", headers=_h(ctx, "office"), json=_period_body()))["id"]
    return f"{BASE}/{me}/unavailability/{pid}", {}


def _withdraw(ctx, who):
    me = ctx["insp"]["scjg-insp1"]
    body = {"object_id": 1 + uniq() % 1999, "reason": "亲属在该单位任职"}
    cid = _ok(ctx["client"].post(f"{BASE}/{me}/conflicts", headers=_h(ctx, "scjg-insp1"), json=body))["id"]
    return f"{BASE}/{me}/conflicts/{cid}/withdraw", {"json": {"reason": "亲属已离职"}}


ROWS = {
    ("GET", BASE): Row(STAFF_READERS, lambda c, w: (BASE, {})),
    ("POST", BASE): Row(SCJG_MANAGERS, lambda c, w: (BASE, {"json": inspector_body(c)})),
    ("GET", f"{BASE}/me"): Row({"scjg-insp1"}, lambda c, w: (f"{BASE}/me", {}),
                               hidden=STAFF_READERS),
    ("GET", f"{BASE}/<int:inspector_id>"): Row(
        SCJG_READERS, lambda c, w: (f"{BASE}/{c['insp']['scjg-insp2']}", {}), hidden={"sthj-admin", "scjg-insp1"}),
    ("PATCH", f"{BASE}/<int:inspector_id>"): Row(
        SCJG_MANAGERS, lambda c, w: (f"{BASE}/{c['insp']['scjg-insp2']}", {"json": {"post": f"岗位{uniq()}"}}),
        hidden={"sthj-admin"}),
    ("POST", f"{BASE}/<int:inspector_id>/deactivate"): Row(
        SCJG_MANAGERS, lambda c, w: (f"{BASE}/{_fresh_inspector(c)}/deactivate", {"json": {"reason": "调离执法岗位"}}),
        hidden={"sthj-admin"}),
    ("POST", f"{BASE}/<int:inspector_id>/reactivate"): Row(
        SCJG_MANAGERS, lambda c, w: (f"{BASE}/{_fresh_inspector(c, False)}/reactivate", {"json": {"reason": "重回执法岗位"}}),
        hidden={"sthj-admin"}),
    ("GET", f"{BASE}/<int:inspector_id>/unavailability"): Row(
        SCJG_READERS | {"scjg-insp1"}, lambda c, w: (f"{BASE}/{c['insp']['scjg-insp1']}/unavailability", {}),
        hidden={"sthj-admin"}),
    ("POST", f"{BASE}/<int:inspector_id>/unavailability"): Row(
        SELF_SERVICE, lambda c, w: (f"{BASE}/{c['insp']['scjg-insp1']}/unavailability", {"json": _period_body()}),
        hidden={"sthj-admin"}),
    ("DELETE", f"{BASE}/<int:inspector_id>/unavailability/<int:period_id>"): Row(
        SELF_SERVICE, _delete_period, hidden={"sthj-admin"}),
    ("GET", f"{BASE}/conflicts"): Row({"office", "auditor", "scjg-admin", "sthj-admin"},
                                      lambda c, w: (f"{BASE}/conflicts", {})),
    ("GET", f"{BASE}/<int:inspector_id>/conflicts"): Row(
        {"office", "auditor", "scjg-admin", "scjg-insp1"},
        lambda c, w: (f"{BASE}/{c['insp']['scjg-insp1']}/conflicts", {}), hidden={"sthj-admin"}),
    ("POST", f"{BASE}/<int:inspector_id>/conflicts"): Row(
        SELF_SERVICE, lambda c, w: (f"{BASE}/{c['insp']['scjg-insp1']}/conflicts",
                                    {"json": {"object_id": 1 + uniq() % 1999, "reason": "曾在该企业任职"}}),
        hidden={"sthj-admin"}),
    ("POST", f"{BASE}/<int:inspector_id>/conflicts/<int:conflict_id>/withdraw"): Row(
        SELF_SERVICE, _withdraw, hidden={"sthj-admin"}),
    ("GET", f"{BASE}/borrowing"): Row(STAFF_READERS, lambda c, w: (f"{BASE}/borrowing", {})),
    ("POST", f"{BASE}/borrowing"): Row(
        {"scjg-admin", "sthj-admin"},
        lambda c, w: (f"{BASE}/borrowing", {"json": {
            "lender_department_id": c["dept"]["wsjk"], "reason": "执法力量不足",
            "valid_from": _day(uniq()).isoformat(), "valid_until": _day(uniq()).isoformat()}})),
    ("GET", f"{BASE}/borrowing/<int:agreement_id>"): Row(
        SCJG_READERS, lambda c, w: (f"{BASE}/borrowing/{c['borrow']}", {}), hidden={"sthj-admin"}),
    ("POST", f"{BASE}/borrowing/<int:agreement_id>/consent"): Row(
        {"sthj-admin"}, lambda c, w: (f"{BASE}/borrowing/{_new_agreement(c, 'sthj')}/consent", {"json": {}})),
    ("POST", f"{BASE}/borrowing/<int:agreement_id>/revoke"): Row(
        SCJG_MANAGERS, lambda c, w: (f"{BASE}/borrowing/{_new_agreement(c)}/revoke", {"json": {"reason": "人员已补充"}}),
        hidden={"sthj-admin"}),
}
