"""The delivery API: endpoints, messages, inbox, dashboard, audited subject fetch, and the CLI."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from server.audit.models import AuditEntry
from server.extensions import db
from tests.support.http import assert_problem

HOOK = "https://hooks.example.gov.cn/dsr"


def _audit(app, action):
    with app.app_context():
        rows = [(e.target_id, json.loads(e.payload)) for e in db.session.execute(
            select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.seq)).scalars()]
        db.session.remove()
    return rows


def test_endpoint_lifecycle_shows_the_secret_only_on_create_and_rotate(app, client, login):
    admin = login("sthj-admin")
    r = client.post("/api/v1/delivery/endpoints", headers=admin, json={"url": HOOK})
    assert r.status_code == 201
    body = r.get_json()
    secret, ep = body["secret"], body["endpoint"]
    assert secret.startswith("whsec_") and ep["enabled"] and ep["rotating"] is False
    assert_problem(client.post("/api/v1/delivery/endpoints", headers=admin, json={"url": HOOK}), 409, "endpoint_exists")

    for path in ("/api/v1/delivery/endpoints", f"/api/v1/delivery/endpoints/{ep['id']}"):
        r = client.get(path, headers=admin)
        assert r.status_code == 200 and "whsec_" not in r.get_data(as_text=True)
    r = client.get("/api/v1/delivery/endpoints", headers=login("office"))
    assert [e["id"] for e in r.get_json()] == [ep["id"]]
    assert client.get("/api/v1/delivery/endpoints", headers=login("scjg-admin")).get_json() == []
    assert_problem(client.get(f"/api/v1/delivery/endpoints/{ep['id']}", headers=login("scjg-admin")), 404,
                   "endpoint_not_found")

    r = client.patch(f"/api/v1/delivery/endpoints/{ep['id']}", headers=admin, json={"url": HOOK + "/v2"})
    assert r.status_code == 200 and r.get_json()["url"] == HOOK + "/v2"
    r = client.post(f"/api/v1/delivery/endpoints/{ep['id']}/rotate", headers=admin, json={"overlap_hours": 0})
    assert r.status_code == 200 and r.get_json()["secret"] != secret and r.get_json()["endpoint"]["rotating"] is False
    assert client.delete(f"/api/v1/delivery/endpoints/{ep['id']}", headers=admin).status_code == 204
    assert client.get("/api/v1/delivery/endpoints", headers=admin).get_json() == []

    for action in ("delivery.endpoint_created", "delivery.endpoint_updated", "delivery.endpoint_rotated",
                   "delivery.endpoint_deleted"):
        assert [t for t, _ in _audit(app, action)] == [str(ep["id"])], action
    assert all("whsec_" not in json.dumps(p) for _, p in _audit(app, "delivery.endpoint_rotated"))


def test_bad_endpoint_urls_are_refused(client, login):
    r = client.post("/api/v1/delivery/endpoints", headers=login("sthj-admin"), json={"url": "ftp://files.example.cn/"})
    assert_problem(r, 422, "invalid_endpoint_url")
    r = client.post("/api/v1/delivery/endpoints", headers=login("sthj-admin"), json={"url": "https://a.cn/x", "x": 1})
    assert_problem(r, 422)


class TestProductionRules:
    @pytest.fixture
    def app_config(self):
        return {"DELIVERY_ALLOW_HTTP": False}

    def test_https_is_required(self, client, login):
        r = client.post("/api/v1/delivery/endpoints", headers=login("sthj-admin"), json={"url": "http://a.example.cn/x"})
        body = assert_problem(r, 422, "invalid_endpoint_url")
        assert "HTTPS" in body["detail"]


def test_messages_are_seen_by_receiver_sender_and_oversight_only(delivery, client, login):
    msg_id = delivery.enqueue("sthj", "p1", sender="scjg")
    for who in ("sthj-admin", "sthj-reviewer", "scjg-reviewer", "scjg-leader", "office", "auditor"):
        assert client.get(f"/api/v1/delivery/messages/{msg_id}", headers=login(who)).status_code == 200, who
    for who in ("wsjk-admin", "yjgl-reviewer"):
        assert_problem(client.get(f"/api/v1/delivery/messages/{msg_id}", headers=login(who)), 404, "message_not_found")
    assert_problem(client.get(f"/api/v1/delivery/messages/{msg_id}", headers=login("sthj-insp1")), 403)

    received = client.get("/api/v1/delivery/messages", headers=login("sthj-reviewer")).get_json()["items"]
    assert [m["id"] for m in received] == [msg_id] and received[0]["status"] == "inbox_only"
    assert client.get("/api/v1/delivery/messages?direction=sent", headers=login("sthj-reviewer")).get_json()["items"] == []
    sent = client.get("/api/v1/delivery/messages?direction=sent", headers=login("scjg-reviewer")).get_json()["items"]
    assert [m["id"] for m in sent] == [msg_id]
    office = client.get(f"/api/v1/delivery/messages?department_id={delivery.dept('wsjk')}", headers=login("office"))
    assert office.get_json()["items"] == []


def test_message_pages_are_newest_first_with_a_cursor(delivery, client, login):
    ids = [delivery.enqueue("sthj", "p1") for _ in range(5)]
    seen, cursor = [], None
    while True:
        r = client.get("/api/v1/delivery/messages?limit=2" + (f"&cursor={cursor}" if cursor else ""),
                       headers=login("sthj-admin"))
        seen += [m["id"] for m in r.get_json()["items"]]
        cursor = r.get_json()["next_cursor"]
        if not cursor:
            break
    assert seen == ids[::-1]


def test_inbox_read_and_acknowledge(app, delivery, client, login):
    msg_id = delivery.enqueue("sthj")
    admin = login("sthj-reviewer")
    items = client.get("/api/v1/delivery/inbox?unread=true", headers=admin).get_json()["items"]
    assert [i["message"]["id"] for i in items] == [msg_id] and items[0]["read_at"] is None
    item_id = items[0]["id"]
    assert_problem(client.post(f"/api/v1/delivery/inbox/{item_id}/read", headers=login("scjg-reviewer")), 404)
    assert_problem(client.post(f"/api/v1/delivery/inbox/{item_id}/read", headers=login("office")), 403)

    first = client.post(f"/api/v1/delivery/inbox/{item_id}/read", headers=admin).get_json()
    again = client.post(f"/api/v1/delivery/inbox/{item_id}/read", headers=login("sthj-admin")).get_json()
    assert first["read_at"] == again["read_at"] and again["read_by"] == first["read_by"]
    assert client.get("/api/v1/delivery/inbox?unread=true", headers=admin).get_json()["items"] == []
    r = client.post(f"/api/v1/delivery/inbox/{item_id}/acknowledge", headers=admin)
    assert r.status_code == 200 and r.get_json()["acknowledged_at"]
    assert client.get("/api/v1/delivery/inbox?unacknowledged=true", headers=admin).get_json()["items"] == []
    assert len(_audit(app, "delivery.inbox_read")) == 1  # reading again changed nothing
    assert len(_audit(app, "delivery.inbox_acknowledged")) == 1


def test_dashboard_counts(delivery, client, login):
    delivery.endpoint("sthj", "http://127.0.0.1:9/hook")
    delivery.enqueue("sthj", sender="scjg")
    delivery.enqueue("wsjk", sender="scjg")
    rows = client.get("/api/v1/delivery/dashboard", headers=login("office")).get_json()
    by_code = {r["department_code"]: r for r in rows}
    assert by_code["sthj"]["received"] == {"pending": 1, "delivered": 0, "failed": 0, "inbox_only": 0}
    assert by_code["wsjk"]["received"]["inbox_only"] == 1 and by_code["wsjk"]["inbox"]["unread"] == 1
    assert by_code["scjg"]["sent"] == {"pending": 1, "failed": 0}
    own = client.get("/api/v1/delivery/dashboard", headers=login("sthj-leader")).get_json()
    assert [r["department_code"] for r in own] == ["sthj"]


def test_subject_fetch_is_for_the_receiver_and_is_logged(app, delivery, client, login):
    delivery.enqueue("sthj", "p1", sender="scjg")
    r = client.get("/api/v1/delivery/subjects/probe/p1", headers=login("sthj-reviewer"))
    assert r.status_code == 200 and r.get_json() == {"subject_type": "probe", "subject_id": "p1",
                                                     "data": {"title": "测试对象一", "detail": "仅供测试"}}
    # Not received by this department, never sent, an unknown type, a malformed id: all look absent.
    for who, path in (("wsjk-reviewer", "probe/p1"), ("sthj-reviewer", "probe/p2"), ("sthj-reviewer", "lead/p1"),
                      ("sthj-reviewer", "probe/..%2Fx")):
        assert_problem(client.get(f"/api/v1/delivery/subjects/{path}", headers=login(who)), 404)
    assert client.get("/api/v1/delivery/subjects/probe/p1", headers=login("auditor")).status_code == 200
    fetches = _audit(app, "delivery.fetch")
    assert [(t, p["data"]["as"]) for t, p in fetches] == [("p1", "receiver"), ("p1", "oversight")]


def test_cli_endpoints_add_list_rotate(app, runner):
    r = runner.invoke(args=["delivery", "endpoints", "add", "--department", "sthj", "--url", HOOK])
    assert r.exit_code == 0, r.output
    assert "secret (shown only now): whsec_" in r.output
    r = runner.invoke(args=["delivery", "endpoints", "list"])
    assert r.exit_code == 0 and "sthj" in r.output and HOOK in r.output and "whsec_" not in r.output
    r = runner.invoke(args=["delivery", "endpoints", "rotate", "--department", "sthj", "--overlap-hours", "2"])
    assert r.exit_code == 0 and "new secret (shown only now): whsec_" in r.output
    assert "previous secret valid until" in runner.invoke(args=["delivery", "endpoints", "list"]).output
    r = runner.invoke(args=["delivery", "endpoints", "rotate", "--department", "wsjk"])
    assert r.exit_code == 2
    r = runner.invoke(args=["delivery", "endpoints", "add", "--department", "sthj", "--url", HOOK])
    assert r.exit_code == 2 and "已登记" in r.output
