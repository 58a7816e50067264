"""Reading leads in bulk: the list's query count does not grow with the page, and the dashboard's counts."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, text, update

from server.leads.models import Lead
from server.delivery.models import OutboxMessage
from server.types import local_today
from tests.server.leads.lead_support import make_leads
from tests.support.sql import counted_statements

MESSAGE_STATES = ("pending", "delivered", "failed", "inbox_only", "delivering")
LEAD_STATES = ("sent", "received", "in_progress", "concluded", "returned")


@pytest.fixture
def seed_level():
    return "field"


def test_list_query_count_does_not_grow_with_the_page_and_each_lead_shows_its_own_delivery(app, client, login, dbs):
    ids = make_leads(client, login, 30)
    # Give every lead's message a state of its own (attempts = position) so a mix-up would show.
    with dbs() as s:
        msgs = dict(s.execute(select(Lead.id, Lead.message_id).where(Lead.id.in_(ids))).all())
        assert len(set(msgs.values())) == 30 and None not in msgs.values()
        for n, lead_id in enumerate(ids):
            status = MESSAGE_STATES[n % len(MESSAGE_STATES)]
            s.execute(update(OutboxMessage).where(OutboxMessage.id == msgs[lead_id]).values(
                status=status, attempts=n, last_error=f"错误 {n}" if status == "failed" else None,
                delivered_at=dt.datetime(2026, 12, 1, 8, n, tzinfo=dt.timezone.utc) if status == "delivered" else None))
        s.commit()
        expected = {lead_id: s.get(OutboxMessage, msgs[lead_id]) for lead_id in ids}
        expected = {k: (m.id, m.status, m.attempts, m.last_error, m.status == "failed") for k, m in expected.items()}

    office = login("office")
    client.get("/api/v1/leads?limit=1", headers=office)  # warm-up: first-use queries are not the page's
    counts = {}
    pages = {}
    for size in (1, 30):
        with counted_statements(app) as seen:
            r = client.get(f"/api/v1/leads?limit={size}", headers=office)
        assert r.status_code == 200, r.get_json()
        counts[size], pages[size] = len(seen), r.get_json()["items"]
    assert [x["id"] for x in pages[30]] == sorted(ids, reverse=True)
    assert len(pages[1]) == 1
    assert counts[30] == counts[1], counts
    for item in pages[30]:
        d = item["delivery"]
        assert (d["message_id"], d["status"], d["attempts"], d["last_error"], d["undelivered"]) == expected[item["id"]]
        assert (d["delivered_at"] is not None) == (d["status"] == "delivered")
    # The detail view shows the same state as the list.
    one = pages[30][7]
    assert client.get(f"/api/v1/leads/{one['id']}", headers=login("scjg-reviewer")).get_json()["delivery"] == one["delivery"]


def _reference(rows, today: dt.date, dept_ids) -> dict:
    """The dashboard's counts computed one lead at a time, independently of the service's SQL."""
    out = {d: {side: dict.fromkeys(("open", "awaiting_receipt", "in_progress", "overdue_receipt", "overdue_feedback",
                                    "closed", "concluded", "returned", "undelivered"), 0)
               for side in ("received", "sent")} for d in dept_ids}
    for lead_status, sender, receiver, receipt_due, feedback_due, msg_status in rows:
        for side, dept in (("received", receiver), ("sent", sender)):
            c = out[dept][side]
            c["open"] += lead_status in ("sent", "received", "in_progress")
            c["awaiting_receipt"] += lead_status == "sent"
            c["in_progress"] += lead_status in ("received", "in_progress")
            c["overdue_receipt"] += lead_status == "sent" and receipt_due is not None and receipt_due < today
            c["overdue_feedback"] += (lead_status in ("received", "in_progress") and feedback_due is not None
                                      and feedback_due < today)
            c["closed"] += lead_status in ("concluded", "returned")
            c["concluded"] += lead_status == "concluded"
            c["returned"] += lead_status == "returned"
        out[sender]["sent"]["undelivered"] += lead_status == "sent" and msg_status == "failed"
    return out


def test_dashboard_counts_every_state_and_deadline(client, login, dbs):
    ids = make_leads(client, login, 24)
    today = local_today()
    with dbs() as s:
        depts = list(s.execute(text("SELECT id FROM departments ORDER BY id")).scalars())
        msgs = dict(s.execute(select(Lead.id, Lead.message_id).where(Lead.id.in_(ids))).all())
        # Spread the leads over departments, states and deadlines (past, today, future, unknown).
        for n, lead_id in enumerate(ids):
            due = [today - dt.timedelta(days=3), today, today + dt.timedelta(days=2), None][n % 4]
            fb_due = [None, today - dt.timedelta(days=1), today + dt.timedelta(days=5)][n % 3]
            s.execute(update(Lead).where(Lead.id == lead_id).values(
                status=LEAD_STATES[n % len(LEAD_STATES)], sender_department_id=depts[n % 3],
                receiver_department_id=depts[(n * 5 + 1) % len(depts)], receipt_due_on=due, feedback_due_on=fb_due))
            if n % 2:
                s.execute(update(OutboxMessage).where(OutboxMessage.id == msgs[lead_id]).values(status="failed"))
        s.commit()
        rows = s.execute(select(Lead.status, Lead.sender_department_id, Lead.receiver_department_id,
                                Lead.receipt_due_on, Lead.feedback_due_on, OutboxMessage.status)
                         .join(OutboxMessage, OutboxMessage.id == Lead.message_id)).all()
        codes = dict(s.execute(text("SELECT id, code FROM departments")).all())
    want = _reference(rows, today, depts)
    # Every count is exercised: no column of the reference is zero everywhere.
    for side in ("received", "sent"):
        for key in want[depts[0]][side]:
            if side == "received" and key == "undelivered":
                continue
            assert any(want[d][side][key] for d in depts), (side, key)

    got = client.get("/api/v1/leads/dashboard", headers=login("office")).get_json()
    assert [r["department_id"] for r in got] == depts
    for row in got:
        assert row["department_code"] == codes[row["department_id"]]
        assert {"received": row["received"], "sent": row["sent"]} == want[row["department_id"]], row["department_code"]
    # A department sees its own row only, with the same counts.
    mine = client.get("/api/v1/leads/dashboard", headers=login(f"{codes[depts[1]]}-admin")).get_json()
    assert [(r["department_id"], r["received"], r["sent"]) for r in mine] == [
        (depts[1], want[depts[1]]["received"], want[depts[1]]["sent"])]
