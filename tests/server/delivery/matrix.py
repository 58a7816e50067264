"""Permission-matrix rows of the delivery API (a message from sthj to scjg, scjg's endpoint)."""
from __future__ import annotations

from tests.support.matrix import Row

ANY_STAFF = {"office", "auditor", "scjg-admin", "scjg-leader", "scjg-reviewer", "sthj-admin"}
ENDPOINT_READERS = {"office", "auditor", "scjg-admin", "sthj-admin"}
RECEIVER_STAFF = {"scjg-admin", "scjg-leader", "scjg-reviewer"}


def prepare(ctx):
    from sqlalchemy import select

    from server.accounts.models import Department
    from server.extensions import db
    from server.delivery import outbox
    from server.delivery.models import InboxItem

    outbox.register_subject("matrix", lambda principal, subject_id: {"id": subject_id})
    client, admin = ctx["client"], ctx["sessions"]["scjg-admin"].headers
    r = client.post("/api/v1/delivery/endpoints", headers=admin, json={"url": "https://hooks.scjg.example.cn/dsr"})
    assert r.status_code == 201, r.get_json()
    ctx["delivery_endpoint"] = r.get_json()["endpoint"]["id"]
    with ctx["app"].app_context():
        sthj = db.session.execute(select(Department.id).where(Department.code == "sthj")).scalar_one()
        msg = outbox.enqueue(db.session, ctx["scjg"], "matrix.created", "matrix", "m1", sender_department_id=sthj)
        db.session.commit()
        ctx["delivery_message"] = msg.id
        ctx["delivery_inbox_item"] = db.session.execute(
            select(InboxItem.id).where(InboxItem.message_id == msg.id)).scalar_one()
        db.session.remove()


def _ep(suffix="", body=None):
    def make(ctx, who):
        return f"/api/v1/delivery/endpoints/{ctx['delivery_endpoint']}{suffix}", ({"json": body} if body is not None else {})
    return make


def _msg(suffix=""):
    return lambda c, w: (f"/api/v1/delivery/messages/{c['delivery_message']}{suffix}", {})


def _inbox(suffix):
    return lambda c, w: (f"/api/v1/delivery/inbox/{c['delivery_inbox_item']}{suffix}", {})


ROWS = {
    ("GET", "/api/v1/delivery/endpoints"): Row(ENDPOINT_READERS, lambda c, w: ("/api/v1/delivery/endpoints", {})),
    ("POST", "/api/v1/delivery/endpoints"): Row(
        {"scjg-admin", "sthj-admin"},
        lambda c, w: ("/api/v1/delivery/endpoints", {"json": {"url": "https://hooks.example.cn/matrix"}})),
    ("GET", "/api/v1/delivery/endpoints/<int:endpoint_id>"): Row(
        ENDPOINT_READERS - {"sthj-admin"}, _ep(), hidden={"sthj-admin"}),
    ("PATCH", "/api/v1/delivery/endpoints/<int:endpoint_id>"): Row(
        {"scjg-admin"}, _ep("", {"url": "https://hooks.scjg.example.cn/v2"}), hidden={"sthj-admin"}),
    ("DELETE", "/api/v1/delivery/endpoints/<int:endpoint_id>"): Row({"scjg-admin"}, _ep(), hidden={"sthj-admin"}),
    ("POST", "/api/v1/delivery/endpoints/<int:endpoint_id>/rotate"): Row(
        {"scjg-admin"}, _ep("/rotate", {}), hidden={"sthj-admin"}),
    ("GET", "/api/v1/delivery/messages"): Row(ANY_STAFF, lambda c, w: ("/api/v1/delivery/messages", {})),
    ("GET", "/api/v1/delivery/messages/<message_id>"): Row(ANY_STAFF, _msg()),
    # The message went to the inbox only, so allowed callers get 409 (not failed): past authorization.
    ("POST", "/api/v1/delivery/messages/<message_id>/redeliver"): Row(
        {"office", "scjg-admin", "sthj-admin"}, _msg("/redeliver")),
    ("GET", "/api/v1/delivery/inbox"): Row(ANY_STAFF, lambda c, w: ("/api/v1/delivery/inbox", {})),
    ("POST", "/api/v1/delivery/inbox/<int:item_id>/read"): Row(RECEIVER_STAFF, _inbox("/read"), hidden={"sthj-admin"}),
    ("POST", "/api/v1/delivery/inbox/<int:item_id>/acknowledge"): Row(
        RECEIVER_STAFF, _inbox("/acknowledge"), hidden={"sthj-admin"}),
    ("GET", "/api/v1/delivery/dashboard"): Row(ANY_STAFF, lambda c, w: ("/api/v1/delivery/dashboard", {})),
    ("GET", "/api/v1/delivery/subjects/<subject_type>/<subject_id>"): Row(
        {"office", "auditor"} | RECEIVER_STAFF, lambda c, w: ("/api/v1/delivery/subjects/matrix/m1", {}),
        hidden={"sthj-admin"}),
}


# --- leads and rectification orders (on the "field" demo data) -------------------------------------------
# The record: the visit scjg-insp1 leads in the demo, sealed with one finding, evidence complete.
# Lead "to_sthj" goes to sthj (the receiving persona); lead "elsewhere" goes to a department no persona belongs to.

LEAD_READERS = {"office", "auditor", "scjg-admin", "scjg-leader", "scjg-reviewer", "sthj-admin"}
# The initiating department's reviewer and administrator, and the team leader (an inspector).
AUTHORS = {"scjg-admin", "scjg-reviewer", "scjg-insp1"}
NOT_AUTHOR = {"sthj-admin"}  # a department outside the task


def _record(ctx) -> dict:
    if "lead_record" not in ctx:
        from tests.support.field import complete_inspection

        client, office = ctx["client"], ctx["sessions"]["office"].headers
        users = client.get("/api/v1/users?limit=500", headers=office).get_json()["items"]
        insp1 = next(u["id"] for u in users if u["username"] == "scjg-insp1")
        mine = client.get("/api/v1/visits/mine", headers=ctx["sessions"]["scjg-insp1"].headers).get_json()
        visit = mine[0]
        assert any(m["role"] == "leader" and m["user_id"] == insp1 for m in visit["team"]), "demo: insp1 leads"
        depts = {d["code"]: d["id"] for d in client.get("/api/v1/departments", headers=office).get_json()}
        rec = complete_inspection(client, office, visit["id"], findings=[{"department": None}], codes=("A", "5"),
                                  followup="transfer")
        ctx["lead_record"] = {"finding": rec["findings"][0], "sthj": depts["sthj"],
                              "elsewhere": depts["sw"] if "sw" not in {d["code"] for d in rec["task"]["departments"]}
                              else depts["wl"]}
    return ctx["lead_record"]


def _lead(ctx, to: str) -> int:
    key = f"lead_{to}"
    if key not in ctx:
        rec = _record(ctx)
        dept = rec["sthj"] if to == "sthj" else rec["elsewhere"]
        r = ctx["client"].post("/api/v1/leads", headers=ctx["sessions"]["scjg-reviewer"].headers,
                               json={"finding_id": rec["finding"], "category": "department", "department_id": dept})
        assert r.status_code == 201, r.get_json()
        ctx[key] = r.get_json()["id"]
    return ctx[key]


def _order(ctx) -> int:
    if "rect_order" not in ctx:
        r = ctx["client"].post("/api/v1/leads/rectifications", headers=ctx["sessions"]["scjg-reviewer"].headers,
                               json={"finding_id": _record(ctx)["finding"], "deadline_workdays": 10})
        assert r.status_code == 201, r.get_json()
        ctx["rect_order"] = r.get_json()["id"]
    return ctx["rect_order"]


def _seen(suffix=""):
    return lambda c, w: (f"/api/v1/leads/{_lead(c, 'elsewhere')}{suffix}", {})


def _act(suffix, body):
    return lambda c, w: (f"/api/v1/leads/{_lead(c, 'sthj')}{suffix}", {"json": body})


ROWS.update({
    ("GET", "/api/v1/leads"): Row(LEAD_READERS, lambda c, w: ("/api/v1/leads", {})),
    ("POST", "/api/v1/leads"): Row(
        AUTHORS, lambda c, w: ("/api/v1/leads", {"json": {"finding_id": _record(c)["finding"], "category": "department",
                                                          "department_id": _record(c)["sthj"]}}),
        hidden=NOT_AUTHOR),
    ("GET", "/api/v1/leads/suggestion"): Row(
        AUTHORS, lambda c, w: (f"/api/v1/leads/suggestion?finding_id={_record(c)['finding']}", {}), hidden=NOT_AUTHOR),
    ("GET", "/api/v1/leads/dashboard"): Row(LEAD_READERS, lambda c, w: ("/api/v1/leads/dashboard", {})),
    # Another department's lead is hidden (404) from sthj; sender and office see it.
    ("GET", "/api/v1/leads/<int:lead_id>"): Row(LEAD_READERS - {"sthj-admin"}, _seen(), hidden={"sthj-admin"}),
    ("GET", "/api/v1/leads/<int:lead_id>/timeline"): Row(
        LEAD_READERS - {"sthj-admin"}, _seen("/timeline"), hidden={"sthj-admin"}),
    ("GET", "/api/v1/leads/<int:lead_id>/record.pdf"): Row(
        LEAD_READERS - {"sthj-admin"}, _seen("/record.pdf"), hidden={"sthj-admin"}),
    # Only the receiving department acts; the sender's staff may look but get 403.
    ("POST", "/api/v1/leads/<int:lead_id>/receipt"): Row({"sthj-admin"}, _act("/receipt", {"handler_name": "张"})),
    ("POST", "/api/v1/leads/<int:lead_id>/progress"): Row({"sthj-admin"}, _act("/progress", {})),
    ("POST", "/api/v1/leads/<int:lead_id>/conclusion"): Row(
        {"sthj-admin"}, _act("/conclusion", {"result": "case_filed", "decision_no": "忻环立〔2026〕1号"})),
    ("POST", "/api/v1/leads/<int:lead_id>/return"): Row({"sthj-admin"}, _act("/return", {"reason": "不属于本部门职责"})),
    ("GET", "/api/v1/leads/rectifications"): Row(LEAD_READERS, lambda c, w: ("/api/v1/leads/rectifications", {})),
    ("POST", "/api/v1/leads/rectifications"): Row(
        AUTHORS, lambda c, w: ("/api/v1/leads/rectifications", {"json": {"finding_id": _record(c)["finding"],
                                                                         "deadline_on": "2027-01-15"}}),
        hidden=NOT_AUTHOR),
    ("GET", "/api/v1/leads/rectifications/<int:order_id>"): Row(
        LEAD_READERS - {"sthj-admin"}, lambda c, w: (f"/api/v1/leads/rectifications/{_order(c)}", {}),
        hidden={"sthj-admin"}),
    ("POST", "/api/v1/leads/rectifications/<int:order_id>/decision"): Row(
        AUTHORS, lambda c, w: (f"/api/v1/leads/rectifications/{_order(c)}/decision", {"json": {"rectified": True}}),
        hidden=NOT_AUTHOR),
})
