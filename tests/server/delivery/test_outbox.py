"""The transactional outbox, signatures against the `standardwebhooks` package, schedule and Retry-After."""
from __future__ import annotations

import base64
import datetime as dt
import json
import random

import pytest
from sqlalchemy import func, select
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from server.audit.models import AuditEntry
from server.errors import Invalid
from server.extensions import db
from server.delivery import outbox, webhooks
from server.delivery.models import InboxItem, OutboxMessage
from server.settings import AppSetting


def _counts():
    return (db.session.scalar(select(func.count()).select_from(OutboxMessage)),
            db.session.scalar(select(func.count()).select_from(InboxItem)),
            db.session.scalar(select(func.count()).select_from(AuditEntry).where(
                AuditEntry.action == "delivery.enqueued")))


def test_rolled_back_transaction_leaves_no_message(app, delivery):
    sthj = delivery.dept("sthj")
    with app.app_context():
        before = _counts()
        db.session.add(AppSetting(key="t:lead-like", value={"x": 1}))  # the caller's own change
        outbox.enqueue(db.session, sthj, "probe.created", "probe", "p1")
        db.session.flush()
        db.session.rollback()
        assert _counts() == before
        assert db.session.get(AppSetting, "t:lead-like") is None
        # Committed together: both the change and its message exist.
        db.session.add(AppSetting(key="t:lead-like", value={"x": 1}))
        msg = outbox.enqueue(db.session, sthj, "probe.created", "probe", "p1")
        db.session.commit()
        assert _counts() == (before[0] + 1, before[1] + 1, before[2] + 1)
        assert db.session.get(AppSetting, "t:lead-like") is not None and db.session.get(OutboxMessage, msg.id)
        db.session.remove()


def test_every_department_gets_the_inbox_and_only_endpoints_get_webhooks(delivery):
    delivery.endpoint("sthj", "http://127.0.0.1:9/hook")
    with_hook = delivery.message(delivery.enqueue("sthj"))
    without = delivery.message(delivery.enqueue("wsjk"))
    assert with_hook.status == "pending" and with_hook.next_attempt_at is not None
    assert without.status == "inbox_only" and without.next_attempt_at is None
    with delivery.app.app_context():
        inbox = {i.message_id: i.department_id for i in db.session.execute(select(InboxItem)).scalars()}
        db.session.remove()
    assert inbox == {with_hook.id: delivery.dept("sthj"), without.id: delivery.dept("wsjk")}
    # Ids sort by creation time and contain no '.' (the signed content is id.timestamp.body).
    assert with_hook.id < without.id and with_hook.id.startswith("msg_") and "." not in with_hook.id
    body = json.loads(with_hook.body)
    assert set(body) == {"type", "timestamp", "data"} and body["timestamp"].endswith("Z")


def test_public_base_url_prefixes_links(app, delivery):
    app.config["DELIVERY_PUBLIC_BASE_URL"] = "https://dsr.example.gov.cn/"
    m = delivery.message(delivery.enqueue("sthj", "p2"))
    assert json.loads(m.body)["data"]["url"] == "https://dsr.example.gov.cn/api/v1/delivery/subjects/probe/p2"


@pytest.mark.parametrize("args", [
    ("Lead Created", "probe", "p1"), ("lead", "probe", "p1"), ("lead.created", "Probe!", "p1"),
    ("lead.created", "probe", "a.b"), ("lead.created", "probe", "x" * 65)])
def test_enqueue_refuses_malformed_messages(app, delivery, args):
    with app.app_context():
        with pytest.raises(Invalid):
            outbox.enqueue(db.session, delivery.dept("sthj"), *args)
        with pytest.raises(Invalid):
            outbox.enqueue(db.session, 999999, "lead.created", "probe", "p1")
        db.session.rollback()


def test_signatures_verify_with_the_standardwebhooks_package():
    old, new = webhooks.new_secret(), webhooks.new_secret()
    assert len(base64.b64decode(new[len("whsec_"):])) == 32
    body = '{"type":"probe.created","data":{"subject_id":"中文"}}'
    ts = int(dt.datetime.now(dt.timezone.utc).timestamp())
    headers = webhooks.signed_headers("msg_0123abcd", ts, body, [new, old])
    assert Webhook(new).verify(body, headers)["data"]["subject_id"] == "中文"
    assert Webhook(old).verify(body, headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(webhooks.new_secret()).verify(body, headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(new).verify(body.replace("probe", "prob3"), headers)
    stale = webhooks.signed_headers("msg_0123abcd", ts - 600, body, [new])
    with pytest.raises(WebhookVerificationError):
        Webhook(new).verify(body, stale)


def test_secret_format_is_checked():
    with pytest.raises(ValueError):
        webhooks.secret_key("whsec_" + base64.b64encode(b"short").decode())
    with pytest.raises(ValueError):
        webhooks.secret_key("nosuchprefix")
    with pytest.raises(ValueError):
        webhooks.new_secret(16)


def test_retry_schedule_and_give_up():
    rng = random.Random(1)
    bases = [5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400]
    for n, base in enumerate(bases, start=1):
        assert 0.9 * base <= outbox.retry_delay(n, rng) <= 1.1 * base
    assert outbox.retry_delay(10, rng) is None and outbox.MAX_ATTEMPTS == 10


def test_retry_after_parsing():
    now = dt.datetime(2026, 3, 1, 8, 0, tzinfo=dt.timezone.utc)
    assert webhooks.parse_retry_after("120", now) == 120
    assert webhooks.parse_retry_after("Sun, 01 Mar 2026 09:00:00 GMT", now) == 3600
    assert webhooks.parse_retry_after("Sun, 01 Mar 2026 07:00:00 GMT", now) == 0  # in the past
    for bad in (None, "", "soon", "-5", "1.5"):
        assert webhooks.parse_retry_after(bad, now) is None


@pytest.mark.parametrize("url,allow_http,ok", [
    ("https://hooks.sthj.gov.cn/dsr", False, True),
    ("http://hooks.sthj.gov.cn/dsr", False, False),
    ("http://127.0.0.1:8080/x", True, True),
    ("ftp://x.cn/a", True, False),
    ("https://user:pw@x.cn/a", False, False),
    ("https:///nohost", False, False),
    ("https://x.cn/a b", False, False),
    ("https://x.cn:99999/", False, False),
    ("https://x.cn/#frag", False, False),
])
def test_endpoint_url_rules(url, allow_http, ok):
    assert (webhooks.check_url(url, allow_http) is None) is ok
