"""Permission-matrix rows of objections (the public endpoints are outside the matrix)."""
from __future__ import annotations

from tests.server.visits.matrix import sealed
from tests.support.matrix import Row

READERS = {"office", "auditor", "scjg-admin", "scjg-leader", "scjg-reviewer", "sthj-admin"}
DECIDERS = {"scjg-admin", "scjg-reviewer"}


def _objection(ctx) -> int:
    """A filed objection to a published result of the demo's scjg task (made once per row)."""
    if "objection" not in ctx:
        vid, c = sealed(ctx), ctx["client"]
        h = ctx["sessions"]["scjg-reviewer"].headers
        c.post(f"/api/v1/reviews/{vid}/approve", headers=h)
        c.post(f"/api/v1/reviews/{vid}/publish", headers=h)
        result_id = c.get(f"/api/v1/reviews/{vid}", headers=h).get_json()["published"]["id"]
        r = c.post("/api/v1/public/objections", json={"result_id": result_id, "name": "矩阵测试", "contact": "13800000000",
                                                       "text": "检查结果与事实不符"})
        assert r.status_code == 201, r.get_json()
        ctx["objection"] = c.get("/api/v1/objections", headers=h).get_json()["items"][0]["id"]
    return ctx["objection"]


ROWS = {
    ("GET", "/api/v1/objections"): Row(READERS, lambda c, w: ("/api/v1/objections", {})),
    ("POST", "/api/v1/objections/<int:objection_id>/accept"): Row(
        DECIDERS, lambda c, w: (f"/api/v1/objections/{_objection(c)}/accept",
                                {"json": {"result_codes": ["B"], "reason": "经核实，原结果有误"}}), hidden={"sthj-admin"}),
    ("POST", "/api/v1/objections/<int:objection_id>/reject"): Row(
        DECIDERS, lambda c, w: (f"/api/v1/objections/{_objection(c)}/reject", {"json": {"reason": "经核实，原结果无误"}}),
        hidden={"sthj-admin"}),
}
