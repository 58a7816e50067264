"""Permission-matrix rows of annual plans."""
from __future__ import annotations

from tests.support.matrix import Row, STAFF_READERS, uniq

READERS = STAFF_READERS
SCJG_ONLY = {"scjg-admin"}


def task_body(ctx, code="M1") -> dict:
    return {
        "code": code, "name": "矩阵测试任务", "main_item": {"item_id": ctx["items"]["SCJG-SP-001"], "version": 1},
        "scope": {"object_types": ["enterprise"]},
        "ratios": {"A": "0.01", "B": "0.02", "C": "0.03", "D": "0.04", "U": "0.05"},
        "window_start": f"{ctx['year']}-03-01", "window_end": f"{ctx['year']}-06-30",
    }


def prepare(ctx):
    client, admin = ctx["client"], ctx["sessions"]["scjg-admin"].headers
    items = client.get("/api/v1/items?limit=500", headers=admin).get_json()["items"]
    ctx["items"] = {i["code"]: i["id"] for i in items}
    ctx["year"] = 2030
    r = client.post("/api/v1/plans", headers=admin, json={"year": ctx["year"], "title": f"矩阵计划{uniq()}"})
    assert r.status_code == 201, r.get_json()
    ctx["plan"] = r.get_json()["id"]
    r = client.put(f"/api/v1/plans/{ctx['plan']}/tasks", headers=admin, json=task_body(ctx))
    assert r.status_code == 200, r.get_json()


def _p(suffix, body=None):
    def make(ctx, who):
        kwargs = {"json": body(ctx) if callable(body) else body} if body is not None else {}
        return f"/api/v1/plans/{ctx['plan']}{suffix}", kwargs
    return make


ROWS = {
    ("GET", "/api/v1/plans"): Row(READERS, lambda c, w: ("/api/v1/plans", {})),
    ("POST", "/api/v1/plans"): Row({"scjg-admin", "sthj-admin"},
                                   lambda c, w: ("/api/v1/plans", {"json": {"year": 2031, "title": f"新计划{uniq()}"}})),
    ("GET", "/api/v1/plans/<int:plan_id>"): Row(READERS - {"sthj-admin"}, _p(""), hidden={"sthj-admin"}),
    ("GET", "/api/v1/plans/<int:plan_id>/versions/<int:version>"): Row(
        READERS - {"sthj-admin"}, _p("/versions/1"), hidden={"sthj-admin"}),
    ("GET", "/api/v1/plans/<int:plan_id>/diff"): Row(
        READERS - {"sthj-admin"}, lambda c, w: (f"/api/v1/plans/{c['plan']}/diff?base=1&target=1", {}),
        hidden={"sthj-admin"}),
    ("PUT", "/api/v1/plans/<int:plan_id>/tasks"): Row(SCJG_ONLY, _p("/tasks", lambda c: task_body(c, "M2")),
                                                      hidden={"sthj-admin"}),
    ("DELETE", "/api/v1/plans/<int:plan_id>/tasks/<code>"): Row(SCJG_ONLY, _p("/tasks/M1"), hidden={"sthj-admin"}),
    ("POST", "/api/v1/plans/<int:plan_id>/submit"): Row(SCJG_ONLY, _p("/submit"), hidden={"sthj-admin"}),
    ("POST", "/api/v1/plans/<int:plan_id>/adjust"): Row(SCJG_ONLY, _p("/adjust", {"reason": "调整"}),
                                                        hidden={"sthj-admin"}),
    ("POST", "/api/v1/plans/<int:plan_id>/aggregate"): Row({"office"}, _p("/aggregate")),
    ("POST", "/api/v1/plans/<int:plan_id>/approve"): Row({"office"}, _p("/approve", {"approval_ref": "忻政函〔2030〕1号"})),
    ("POST", "/api/v1/plans/<int:plan_id>/publish"): Row({"office"}, _p("/publish")),
    ("POST", "/api/v1/plans/<int:plan_id>/return"): Row({"office"}, _p("/return", {"reason": "请补充"})),
}
