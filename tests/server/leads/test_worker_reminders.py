"""The delivery worker sends the lead reminders: at start, then at most once per interval, never twice."""
from __future__ import annotations

import datetime as dt
import signal

import pytest
from sqlalchemy import func, select, text, update

from server.extensions import db
from server.leads import reminders
from server.leads.models import Lead, LeadEvent
from server.delivery.models import OutboxMessage
from server.delivery.worker import Worker
from server.types import local_today, utcnow
from tests.server.leads.lead_support import make_leads

HOUR = dt.timedelta(hours=1)


@pytest.fixture
def seed_level():
    return "field"


@pytest.fixture
def restore_signals():
    """`flask worker` installs SIGTERM/SIGINT handlers: give pytest its own back afterwards."""
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}
    yield
    for sig, handler in saved.items():
        signal.signal(sig, handler)


def make_overdue(dbs, *lead_ids: int) -> None:
    """Receipt was due two days ago (whatever today's working days are)."""
    with dbs() as s:
        s.execute(update(Lead).where(Lead.id.in_(lead_ids)).values(receipt_due_on=local_today() - dt.timedelta(days=2)))
        s.commit()


def reminders_sent(dbs, lead_id: int) -> dict:
    """How many reminder steps the lead's timeline has, and reminder messages its departments got."""
    with dbs() as s:
        steps = s.execute(select(func.count()).where(LeadEvent.lead_id == lead_id,
                                                     LeadEvent.kind == "reminder_receipt")).scalar_one()
        events = s.execute(select(OutboxMessage.event_type, func.count()).where(
            OutboxMessage.subject_type == "lead", OutboxMessage.subject_id == str(lead_id),
            OutboxMessage.event_type.in_(("lead.reminder_receipt", "lead.overdue_receipt")))
            .group_by(OutboxMessage.event_type)).all()
    return {"steps": steps, **dict(events)}


ONCE = {"steps": 1, "lead.reminder_receipt": 1, "lead.overdue_receipt": 1}
NONE = {"steps": 0}


def test_worker_sends_due_reminders_once_per_interval_and_never_twice(app, client, login, dbs, runner):
    first, second = make_leads(client, login, 2)
    make_overdue(dbs, first)
    now = [utcnow()]
    worker = Worker(app, poll_interval=0, clock=lambda: now[0], every={"lead_reminders": HOUR})

    stats = worker.run(once=True)
    assert stats["reminders"] == 1
    assert reminders_sent(dbs, first) == ONCE and reminders_sent(dbs, second) == NONE

    # Within the interval the pass does not run again, even for a lead that became overdue meanwhile.
    make_overdue(dbs, second)
    worker.run(once=True)
    assert worker.stats["reminders"] == 1 and reminders_sent(dbs, second) == NONE

    # After it, the pass runs: the new lead is reminded, the first one not a second time.
    now[0] += HOUR
    worker.run(once=True)
    assert worker.stats["reminders"] == 2
    assert reminders_sent(dbs, first) == ONCE and reminders_sent(dbs, second) == ONCE

    # Another worker (its own interval starts now) and the cron command find nothing left to send.
    assert Worker(app, poll_interval=0, every={"lead_reminders": HOUR}).run(once=True)["reminders"] == 0
    res = runner.invoke(args=["leads", "tick"])
    assert res.exit_code == 0 and "reminders: 0 overdue receipt, 0 overdue feedback" in res.output, res.output
    assert reminders_sent(dbs, first) == ONCE and reminders_sent(dbs, second) == ONCE
    # The sender's and the receiver's inboxes each got their reminder once.
    rev = login("scjg-reviewer")
    sender_inbox = client.get("/api/v1/delivery/inbox", headers=rev).get_json()["items"]
    assert sorted(i["message"]["subject_id"] for i in sender_inbox
                  if i["message"]["event_type"] == "lead.overdue_receipt") == sorted([str(first), str(second)])


def test_worker_command_reminds_unless_told_not_to_and_tick_still_does(client, login, dbs, runner, restore_signals):
    first, second = make_leads(client, login, 2)
    make_overdue(dbs, first)
    res = runner.invoke(args=["worker", "--once", "--remind-every", "0"])
    assert res.exit_code == 0 and "reminders 0" in res.output, res.output
    assert reminders_sent(dbs, first) == NONE
    res = runner.invoke(args=["leads", "tick"])
    assert "reminders: 1 overdue receipt" in res.output, res.output
    make_overdue(dbs, second)
    res = runner.invoke(args=["worker", "--once"])  # the configured interval: a pass at start
    assert res.exit_code == 0 and "reminders 1" in res.output, res.output
    assert reminders_sent(dbs, first) == ONCE and reminders_sent(dbs, second) == ONCE


def test_reminder_pass_commits_in_batches(app, client, login, dbs):
    ids = make_leads(client, login, 5)
    make_overdue(dbs, *ids)
    with app.app_context():
        assert reminders.remind_in_batches(batch=2) == {"receipt": 5, "feedback": 0}
        db.session.remove()
    assert all(reminders_sent(dbs, i) == ONCE for i in ids)
    with dbs() as s:
        # Three transactions of at most two leads: three distinct reminder times.
        assert s.execute(select(func.count(func.distinct(Lead.receipt_reminded_at)))
                         .where(Lead.id.in_(ids))).scalar_one() == 3


def test_two_passes_at_once_remind_a_lead_once(app, client, login, dbs):
    """Two workers on PostgreSQL: the second pass skips the leads the first one holds."""
    if app.config["TEST_BACKEND"] != "postgresql":
        pytest.skip("SQLite has one writer: a second pass begins only after the first one committed")
    (lead_id,) = make_leads(client, login, 1)
    make_overdue(dbs, lead_id)
    with app.app_context():
        assert reminders.remind() == {"receipt": 1, "feedback": 0}  # worker A, not committed yet
        db.session.flush()
        with app.app_context():  # worker B, its own session and connection
            # Waiting for A's locks would be the bug: fail after a while instead of hanging.
            db.session.execute(text("SET LOCAL lock_timeout = '10s'"))
            assert reminders.remind() == {"receipt": 0, "feedback": 0}
            db.session.commit()
        db.session.commit()
        with app.app_context():  # B again, after A committed: the lead no longer matches
            assert reminders.remind() == {"receipt": 0, "feedback": 0}
            db.session.commit()
        db.session.remove()
    assert reminders_sent(dbs, lead_id) == ONCE
