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
    from server.leads import outbox
    from server.leads.models import InboxItem

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
