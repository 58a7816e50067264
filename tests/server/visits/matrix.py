"""Permission-matrix rows of draws, visits and the review (on the "field" demo data)."""
from __future__ import annotations

from tests.support.field import complete_inspection
from tests.support.matrix import Row

STAFF = {"office", "auditor", "scjg-admin", "scjg-leader", "scjg-reviewer", "sthj-admin"}
TASK_STAFF = STAFF - {"sthj-admin"}  # sthj takes no part in the demo joint task
REVIEWERS = {"scjg-admin", "scjg-reviewer"}


def prepare(ctx):
    client, office = ctx["client"], ctx["sessions"]["office"].headers
    ctx["task_id"] = client.get("/api/v1/draws", headers=office).get_json()[0]["id"]
    mine = client.get("/api/v1/visits/mine", headers=ctx["sessions"]["scjg-insp1"].headers).get_json()
    visit = mine[0]
    ctx["visit_id"] = visit["id"]
    ctx["visit_object"] = visit["object"]["id"]
    ctx["insp1_inspector"] = next(m["inspector_id"] for m in visit["team"] if m["department_code"] == "scjg")
    plans = client.get("/api/v1/plans", headers=office).get_json()
    t02 = next(t for p in plans for t in p["current"]["tasks"] if t["code"] == "T02")
    ctx["t02"] = t02["id"]


def sealed(ctx) -> str:
    """A sealed record (made once per matrix row, only for the rows that need it)."""
    if "sealed" not in ctx:
        ctx["sealed"] = complete_inspection(ctx["client"], ctx["sessions"]["office"].headers)["visit_id"]
    return ctx["sealed"]


def _replacement_event(ctx) -> int:
    if "event" not in ctx:
        r = ctx["client"].post(f"/api/v1/draws/{ctx['task_id']}/replacements", headers=ctx["sessions"]["scjg-admin"].headers,
                               json={"object_id": ctx["visit_object"], "inspector_id": ctx["insp1_inspector"],
                                     "reason_code": "work_clash", "reason": "同日另有案件"})
        assert r.status_code == 201, r.get_json()
        ctx["event"] = r.get_json()["id"]
    return ctx["event"]


def _withhold_request(ctx) -> int:
    if "withhold" not in ctx:
        vid = sealed(ctx)
        h = ctx["sessions"]["scjg-reviewer"].headers
        ctx["client"].post(f"/api/v1/reviews/{vid}/approve", headers=h)
        r = ctx["client"].post(f"/api/v1/reviews/{vid}/withhold", headers=h, json={"reason": "涉及正在办理的案件"})
        ctx["withhold"] = r.get_json().get("id", 0)
    return ctx["withhold"]


def _t(suffix, body=None):
    def make(ctx, who):
        return f"/api/v1/draws/{ctx['task_id']}{suffix}", ({"json": body(ctx) if callable(body) else body} if body is not None else {})
    return make


def _r(suffix, body=None):
    def make(ctx, who):
        return f"/api/v1/reviews/{sealed(ctx)}{suffix}", ({"json": body} if body is not None else {})
    return make


ROWS = {
    ("GET", "/api/v1/draws"): Row(STAFF, lambda c, w: ("/api/v1/draws", {})),
    ("POST", "/api/v1/draws"): Row({"scjg-admin"}, lambda c, w: ("/api/v1/draws", {"json": {
        "plan_task_id": c["t02"], "beacon": {"source": "福彩3D", "reference": "第2026320期"}}}), hidden={"sthj-admin"}),
    ("GET", "/api/v1/draws/<int:task_id>"): Row(TASK_STAFF, _t(""), hidden={"sthj-admin"}),
    ("GET", "/api/v1/draws/<int:task_id>/audit-package"): Row({"office", "auditor"}, _t("/audit-package")),
    ("GET", "/api/v1/draws/<int:task_id>/events"): Row(TASK_STAFF, _t("/events"), hidden={"sthj-admin"}),
    ("POST", "/api/v1/draws/<int:task_id>/reveal"): Row({"scjg-admin"}, _t("/reveal", {
        "beacon_value": "1 2 3", "reference": "演示第2026318期", "published_at": "2026-12-31T00:00:00+08:00"}),
        hidden={"sthj-admin"}),
    ("POST", "/api/v1/draws/<int:task_id>/replacements"): Row({"scjg-admin", "scjg-insp1"}, _t("/replacements", lambda c: {
        "object_id": c["visit_object"], "inspector_id": c["insp1_inspector"], "reason_code": "health", "reason": "住院"}),
        hidden={"sthj-admin"}),
    ("POST", "/api/v1/draws/<int:task_id>/substitutions"): Row({"scjg-admin"}, _t("/substitutions", lambda c: {
        "object_id": c["visit_object"], "reason": "经核实不属于本任务范围"}), hidden={"sthj-admin"}),
    ("POST", "/api/v1/draws/<int:task_id>/events/<int:event_id>/decision"): Row(
        {"scjg-leader"}, lambda c, w: (f"/api/v1/draws/{c['task_id']}/events/{_replacement_event(c)}/decision",
                                       {"json": {"approve": False, "note": "不同意"}})),
    ("GET", "/api/v1/visits/mine"): Row(STAFF | {"scjg-insp1"}, lambda c, w: ("/api/v1/visits/mine", {})),
    ("GET", "/api/v1/visits/team"): Row(STAFF | {"scjg-insp1"}, lambda c, w: ("/api/v1/visits/team", {})),
    ("GET", "/api/v1/visits/unsealed"): Row(STAFF | {"scjg-insp1"}, lambda c, w: ("/api/v1/visits/unsealed", {})),
    ("GET", "/api/v1/visits/<uuid:visit_id>"): Row(TASK_STAFF | {"scjg-insp1"}, lambda c, w: (f"/api/v1/visits/{c['visit_id']}", {}),
                                                  hidden={"sthj-admin"}),
    ("GET", "/api/v1/visits/<uuid:visit_id>/conflicts"): Row(
        TASK_STAFF | {"scjg-insp1"}, lambda c, w: (f"/api/v1/visits/{c['visit_id']}/conflicts", {}), hidden={"sthj-admin"}),
    ("GET", "/api/v1/visits/<uuid:visit_id>/sections"): Row(
        TASK_STAFF | {"scjg-insp1"}, lambda c, w: (f"/api/v1/visits/{c['visit_id']}/sections", {}), hidden={"sthj-admin"}),
    ("PUT", "/api/v1/visits/<uuid:visit_id>/schedule"): Row(
        {"scjg-insp1"}, lambda c, w: (f"/api/v1/visits/{c['visit_id']}/schedule", {"json": {"date": "2026-12-10"}}),
        hidden={"sthj-admin"}),
    ("PUT", "/api/v1/visits/<uuid:visit_id>/method"): Row(
        {"scjg-insp1", "scjg-admin"}, lambda c, w: (f"/api/v1/visits/{c['visit_id']}/method", {"json": {"method": "documentary"}}),
        hidden={"sthj-admin"}),
    ("GET", "/api/v1/visits/desk-checks"): Row(STAFF | {"scjg-insp1"}, lambda c, w: ("/api/v1/visits/desk-checks", {})),
    ("GET", "/api/v1/visits/<uuid:visit_id>/desk-check"): Row(
        {"scjg-admin", "scjg-reviewer"}, lambda c, w: (f"/api/v1/visits/{c['visit_id']}/desk-check", {}), hidden={"sthj-admin"}),
    ("POST", "/api/v1/visits/<uuid:visit_id>/desk-check"): Row(
        {"scjg-admin", "scjg-reviewer"}, lambda c, w: (f"/api/v1/visits/{c['visit_id']}/desk-check", {"json": {
            "documents_received": "营业执照复印件", "reviewed_by": "王晓明", "review_date": "2026-12-01", "answers": [],
            "codes": ["1"]}}), hidden={"sthj-admin"}),
    ("GET", "/api/v1/reviews"): Row(STAFF, lambda c, w: ("/api/v1/reviews", {})),
    ("GET", "/api/v1/reviews/<uuid:visit_id>"): Row(TASK_STAFF, _r(""), hidden={"sthj-admin"}),
    ("POST", "/api/v1/reviews/<uuid:visit_id>/approve"): Row(REVIEWERS, _r("/approve"), hidden={"sthj-admin"}),
    ("POST", "/api/v1/reviews/<uuid:visit_id>/return"): Row(REVIEWERS, _r("/return", {
        "comments": [{"target": "general", "text": "请补充现场照片"}]}), hidden={"sthj-admin"}),
    ("POST", "/api/v1/reviews/<uuid:visit_id>/request-evidence"): Row(REVIEWERS, _r("/request-evidence", {
        "comments": [{"target": "general", "text": "请上传营业执照照片"}]}), hidden={"sthj-admin"}),
    ("POST", "/api/v1/reviews/<uuid:visit_id>/publish"): Row(REVIEWERS, _r("/publish"), hidden={"sthj-admin"}),
    ("POST", "/api/v1/reviews/<uuid:visit_id>/withhold"): Row(REVIEWERS, _r("/withhold", {"reason": "案件办理中"}),
                                                             hidden={"sthj-admin"}),
    ("POST", "/api/v1/reviews/withholdings/<int:request_id>/decision"): Row(
        {"scjg-leader"}, lambda c, w: (f"/api/v1/reviews/withholdings/{_withhold_request(c)}/decision",
                                       {"json": {"approve": True}})),
}
