"""The worker against a real receiver on loopback: retries, Retry-After, 410, rotation, give-up."""
from __future__ import annotations

import datetime as dt
import email.utils
import json

from sqlalchemy import select, update

from server.audit.models import AuditEntry
from server.extensions import db
from server.delivery.models import DeliveryEndpoint, OutboxMessage
from server.delivery.outbox import MAX_ATTEMPTS
from server.types import utcnow
from tests.server.delivery.receiver import Receiver


def test_fails_then_arrives_exactly_once_with_verified_signatures(delivery, client, login):
    script = [(500, {}), (503, {"Retry-After": "3600"})]
    with Receiver(script=script) as rx:
        _, secret = delivery.endpoint("sthj", rx.url)
        rx.secrets = [secret]
        msg_id = delivery.enqueue("sthj", "p1", sender="scjg")

        delivery.run_once()  # attempt 1: 500 → retry in ~5 s
        m = delivery.message(msg_id)
        assert (m.status, m.attempts, m.last_status_code) == ("pending", 1, 500)
        a1 = m.attempt_rows[0]
        assert a1.outcome == "retry" and 4.5 <= (a1.next_attempt_at - a1.finished_at).total_seconds() <= 5.5

        delivery.run_once()  # not due yet: nothing is sent
        assert len(rx.requests) == 1

        delivery.make_due()
        delivery.run_once()  # attempt 2: 503 Retry-After 3600 > the scheduled ~5 min → honoured
        m = delivery.message(msg_id)
        a2 = m.attempt_rows[1]
        assert (a2.status_code, a2.retry_after_seconds, a2.retry_after_honoured) == (503, 3600, True)
        assert (a2.next_attempt_at - a2.finished_at).total_seconds() == 3600

        delivery.make_due()
        delivery.run_once()  # attempt 3: accepted
        delivery.make_due()
        delivery.run_once()  # nothing left to send

    m = delivery.message(msg_id)
    assert m.status == "delivered" and m.delivered_at is not None and m.attempts == 3
    assert [(a.attempt_no, a.status_code, a.outcome) for a in m.attempt_rows] == [
        (1, 500, "retry"), (2, 503, "retry"), (3, 200, "delivered")]
    # The receiver's view: three requests, one webhook-id, all signed correctly, processed once.
    assert {r.webhook_id for r in rx.requests} == {msg_id}
    assert all(r.verified_with == [0] for r in rx.requests)
    assert list(rx.accepted) == [msg_id] and rx.duplicates == 0
    # Thin payload: type, ids and a link; nothing else about the subject.
    payload = rx.accepted[msg_id]
    assert payload["type"] == "probe.created"
    assert payload["data"] == {"subject_type": "probe", "subject_id": "p1", "url": "/api/v1/delivery/subjects/probe/p1"}
    assert "测试对象" not in rx.requests[-1].body
    # Every retry carries the same body and a fresh timestamp in the signed content.
    assert len({r.body for r in rx.requests}) == 1

    # The sender sees the message and its attempts.
    r = client.get(f"/api/v1/delivery/messages/{msg_id}", headers=login("scjg-reviewer"))
    assert r.status_code == 200
    assert [a["status_code"] for a in r.get_json()["attempt_log"]] == [500, 503, 200]
    # Every attempt is in the audit log.
    with delivery.app.app_context():
        outcomes = [json.loads(e.payload)["data"]["outcome"] for e in db.session.execute(
            select(AuditEntry).where(AuditEntry.action == "delivery.attempt", AuditEntry.target_id == msg_id)
            .order_by(AuditEntry.seq)).scalars()]
        db.session.remove()
    assert outcomes == ["retry", "retry", "delivered"]


def test_retry_after_as_http_date(delivery):
    later = utcnow() + dt.timedelta(hours=2)
    with Receiver(script=[(429, {"Retry-After": email.utils.format_datetime(later, usegmt=True)})]) as rx:
        rx.secrets = [delivery.endpoint("sthj", rx.url)[1]]
        msg_id = delivery.enqueue("sthj")
        delivery.run_once()
    a = delivery.message(msg_id).attempt_rows[0]
    assert a.retry_after_honoured and 7100 <= a.retry_after_seconds <= 7201
    assert abs((a.next_attempt_at - later).total_seconds()) < 5


def test_gone_disables_endpoint_and_sender_sees_undelivered(delivery, client, login):
    with Receiver(script=[(410, {})]) as rx:
        ep_id, secret = delivery.endpoint("sthj", rx.url)
        rx.secrets = [secret]
        first = delivery.enqueue("sthj", "p1")
        second = delivery.enqueue("sthj", "p2")
        delivery.run_once(batch=1)  # only the first is sent: 410
        delivery.make_due()
        delivery.run_once()
    assert len(rx.requests) == 1  # the endpoint is not tried again
    for msg_id in (first, second):
        m = delivery.message(msg_id)
        assert m.status == "failed" and m.failed_at is not None and "410" in m.last_error
    with delivery.app.app_context():
        ep = db.session.get(DeliveryEndpoint, ep_id)
        assert not ep.enabled and ep.disabled_code == "gone" and first in ep.disabled_reason
        db.session.remove()

    r = client.get("/api/v1/delivery/messages?direction=sent&status=failed", headers=login("scjg-reviewer"))
    assert {m["id"] for m in r.get_json()["items"]} == {first, second}
    assert all(m["status_label"].startswith("未送达") for m in r.get_json()["items"])
    r = client.get("/api/v1/delivery/dashboard", headers=login("scjg-admin"))
    assert r.get_json()[0]["sent"] == {"pending": 0, "failed": 2}
    # The receiving department still has both in its in-app inbox.
    r = client.get("/api/v1/delivery/inbox", headers=login("sthj-admin"))
    assert {i["message"]["id"] for i in r.get_json()["items"]} == {first, second}


def test_redeliver_after_the_receiver_fixed_its_endpoint(delivery, client, login):
    with Receiver(script=[(410, {})]) as rx:
        ep_id, secret = delivery.endpoint("sthj", rx.url)
        rx.secrets = [secret]
        msg_id = delivery.enqueue("sthj", "p1")
        delivery.run_once()
        r = client.post(f"/api/v1/delivery/messages/{msg_id}/redeliver", headers=login("scjg-admin"))
        assert r.status_code == 409 and r.get_json()["code"] == "endpoint_disabled"
        r = client.patch(f"/api/v1/delivery/endpoints/{ep_id}", headers=login("sthj-admin"), json={"enabled": True})
        assert r.status_code == 200 and r.get_json()["disabled_reason"] is None
        r = client.post(f"/api/v1/delivery/messages/{msg_id}/redeliver", headers=login("scjg-admin"))
        assert r.status_code == 200 and r.get_json()["status"] == "pending"
        delivery.run_once()
    m = delivery.message(msg_id)
    assert m.status == "delivered" and [a.outcome for a in m.attempt_rows] == ["gone", "delivered"]
    assert [r.webhook_id for r in rx.requests] == [msg_id, msg_id]


def test_gives_up_after_the_last_scheduled_attempt(delivery):
    with Receiver(script=[(500, {})] * MAX_ATTEMPTS) as rx:
        rx.secrets = [delivery.endpoint("sthj", rx.url)[1]]
        msg_id = delivery.enqueue("sthj")
        for _ in range(MAX_ATTEMPTS + 2):
            delivery.make_due()
            delivery.run_once()
    m = delivery.message(msg_id)
    assert m.status == "failed" and m.attempts == MAX_ATTEMPTS == 10 and len(rx.requests) == 10
    assert [a.outcome for a in m.attempt_rows] == ["retry"] * 9 + ["failed"]
    assert "已尝试 10 次" in m.last_error
    # The gaps follow the schedule (±10 % jitter): 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h, 24 h.
    gaps = [(a.next_attempt_at - a.finished_at).total_seconds() for a in m.attempt_rows[:-1]]
    for gap, base in zip(gaps, [5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400]):
        assert 0.9 * base <= gap <= 1.1 * base


def test_connection_refused_and_redirects_are_failures(delivery):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{s.getsockname()[1]}/nobody"
    delivery.endpoint("sthj", closed)
    msg_id = delivery.enqueue("sthj")
    delivery.run_once()
    m = delivery.message(msg_id)
    assert m.status == "pending" and m.attempt_rows[0].status_code is None
    assert m.attempt_rows[0].error.startswith("连接失败")

    with Receiver(script=[(302, {"Location": "http://127.0.0.1:9/elsewhere"})]) as rx:
        rx.secrets = [delivery.endpoint("wsjk", rx.url)[1]]
        msg2 = delivery.enqueue("wsjk")
        delivery.run_once()
    a = delivery.message(msg2).attempt_rows[0]
    assert (a.status_code, a.outcome) == (302, "retry") and len(rx.requests) == 1


def test_rotation_signs_with_both_secrets_during_overlap(delivery, client, login):
    with Receiver() as rx:
        ep_id, old = delivery.endpoint("sthj", rx.url)
        r = client.post(f"/api/v1/delivery/endpoints/{ep_id}/rotate", headers=login("sthj-admin"), json={})
        assert r.status_code == 200
        new = r.get_json()["secret"]
        assert new.startswith("whsec_") and new != old and r.get_json()["endpoint"]["rotating"] is True
        rx.secrets = [old, new]
        during = delivery.enqueue("sthj", "p1")
        delivery.run_once()
        # The overlap ends: only the new secret signs.
        with delivery.app.app_context():
            db.session.execute(update(DeliveryEndpoint).values(
                previous_secret_expires_at=utcnow() - dt.timedelta(seconds=1)))
            db.session.commit()
            db.session.remove()
        after = delivery.enqueue("sthj", "p2")
        delivery.run_once()
    seen = {r.webhook_id: r for r in rx.requests}
    assert len(seen[during].signature.split(" ")) == 2 and seen[during].verified_with == [0, 1]
    assert len(seen[after].signature.split(" ")) == 1 and seen[after].verified_with == [1]
    assert delivery.message(during).attempt_rows[0].signatures == 2
    # The secret is never shown again.
    r = client.get(f"/api/v1/delivery/endpoints/{ep_id}", headers=login("sthj-admin"))
    assert old not in r.get_data(as_text=True) and new not in r.get_data(as_text=True)


def test_admin_disabling_keeps_queued_messages_in_the_inbox(delivery, client, login):
    ep_id, _ = delivery.endpoint("sthj", "http://127.0.0.1:9/unused")
    msg_id = delivery.enqueue("sthj")
    r = client.patch(f"/api/v1/delivery/endpoints/{ep_id}", headers=login("sthj-admin"),
                     json={"enabled": False, "reason": "改用站内收件箱"})
    assert r.status_code == 200 and r.get_json()["disabled_code"] == "admin"
    assert delivery.message(msg_id).status == "inbox_only"
    assert delivery.run_once()["attempts"] == 0


def test_two_workers_never_send_one_message_twice(delivery):
    """Concurrent claims (PostgreSQL: FOR UPDATE SKIP LOCKED; SQLite: BEGIN IMMEDIATE) split the work."""
    import threading

    from server.delivery.worker import Worker

    with Receiver() as rx:
        rx.secrets = [delivery.endpoint("sthj", rx.url)[1]]
        ids = [delivery.enqueue("sthj", "p1") for _ in range(50)]
        workers = [Worker(delivery.app, batch=5, poll_interval=0) for _ in range(2)]
        threads = [threading.Thread(target=w.run, kwargs={"once": True}) for w in workers]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
    assert sorted(r.webhook_id for r in rx.requests) == sorted(ids)  # each exactly once
    assert rx.duplicates == 0 and len(rx.accepted) == 50
    with delivery.app.app_context():
        rows = db.session.execute(select(OutboxMessage.status, OutboxMessage.attempts)).all()
        db.session.remove()
    assert set(rows) == {("delivered", 1)}
    assert sum(w.stats["delivered"] for w in workers) == 50


def test_a_message_that_keeps_killing_workers_is_given_up(delivery):
    delivery.endpoint("sthj", "http://127.0.0.1:9/unused")
    msg_id = delivery.enqueue("sthj")
    with delivery.app.app_context():  # as if ten workers had died sending it
        db.session.execute(update(OutboxMessage).values(
            status="delivering", attempts=MAX_ATTEMPTS, claimed_by="dead", claimed_until=utcnow() - dt.timedelta(seconds=1)))
        db.session.commit()
        db.session.remove()
    assert delivery.run_once()["attempts"] == 0
    m = delivery.message(msg_id)
    assert m.status == "failed" and "最后一次中断" in m.last_error


def test_a_damaged_secret_is_a_failed_attempt_not_a_loop(delivery):
    with Receiver() as rx:
        ep_id, _ = delivery.endpoint("sthj", rx.url)
        with delivery.app.app_context():
            db.session.execute(update(DeliveryEndpoint).values(secret="whsec_not-base64!"))
            db.session.commit()
            db.session.remove()
        msg_id = delivery.enqueue("sthj")
        delivery.run_once()
    m = delivery.message(msg_id)
    assert rx.requests == [] and m.status == "pending" and m.attempts == 1
    assert m.attempt_rows[0].outcome == "retry" and "发送前出错" in m.attempt_rows[0].error
