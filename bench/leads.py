"""Benchmark of the lead screens as leads pile up (prints figures only).

    .venv/bin/python bench/leads.py [--sizes 1000,20000] [--runs 5] [--backends sqlite,postgresql]

On a fresh database per backend with the "field" demo (bench/_setup.py), one inspection is
sealed with a finding and one lead is created through the API; then leads are bulk-inserted
up to each size (random departments, states and due dates), each with its own message to the
receiver (delivered, in-app inbox only, or failed), as the API would have written it; on
PostgreSQL the table is then vacuumed and analysed, as autovacuum would have done by the time
anyone looks at a dashboard. For each size it times, as the
office, medians of --runs interleaved: the dashboard, the first page of the list, one lead's
timeline, and `GET /api/v1/me` as the baseline of the same run (ratios against it), plus one
`leads remind` pass over all overdue leads (rolled back, so every run sees the same work).
"""
from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _setup import FIELD_STEPS, PASSWORD, bench_app, median  # noqa: E402  (also puts the repository on sys.path)


def _prepare(app):
    import tests.support.field as field
    from tests.support.http import Session

    field.DEMO_PASSWORD = PASSWORD
    client = app.test_client()
    office = Session.login(client, "office", PASSWORD, "bench-office-01").headers
    ctx = field.complete_inspection(client, office, findings=[{}], codes=("A", "5"), followup="transfer")
    rev = Session.login(client, "scjg-reviewer", PASSWORD, "bench-rev-0001").headers
    r = client.post("/api/v1/leads", headers=rev, json={"finding_id": ctx["findings"][0], "category": "department"})
    assert r.status_code == 201, r.get_json()
    return client, office, r.get_json()["id"]


def _fill(app, lead_id: int, total: int) -> None:
    """Copies of the real lead, spread over departments, states and due dates, each with its own message."""
    from sqlalchemy import func, insert, select, text

    from server.accounts.models import Department
    from server.extensions import db
    from server.leads.models import Lead
    from server.delivery.models import OutboxMessage
    from server.delivery.outbox import new_message_id

    rng = random.Random(7)
    with app.app_context():
        have = db.session.execute(select(func.count()).select_from(Lead)).scalar_one()
        base = db.session.get(Lead, lead_id)
        body = db.session.get(OutboxMessage, base.message_id).body
        depts = list(db.session.execute(select(Department.id)).scalars())
        today = dt.date.today()
        rows, messages = [], []
        for _ in range(total - have):
            status = rng.choice(["sent", "sent", "received", "in_progress", "concluded", "returned"])
            sender, receiver = rng.choice(depts), rng.choice(depts)
            msg_status = rng.choice(["delivered", "delivered", "inbox_only", "failed"])
            msg_id = new_message_id()
            messages.append({"id": msg_id, "department_id": receiver, "sender_department_id": sender,
                             "event_type": "lead.created", "subject_type": "lead", "subject_id": "0", "body": body,
                             "status": msg_status, "attempts": 1 if msg_status != "inbox_only" else 0, "round_base": 0,
                             "created_at": base.created_at})
            rows.append({
                "visit_id": base.visit_id, "finding_id": base.finding_id, "object_id": base.object_id,
                "category": "department", "sender_department_id": sender, "receiver_department_id": receiver,
                "summary": base.summary, "evidence": base.evidence, "message_id": msg_id,
                "origin": "finding", "status": status, "documents": [], "serious": False, "version": 1,
                "receipt_due_on": today + dt.timedelta(days=rng.randint(-30, 10)),
                "feedback_due_on": today + dt.timedelta(days=rng.randint(-30, 30)) if status != "sent" else None,
                "created_by": base.created_by, "created_at": base.created_at, "updated_at": base.created_at})
        for start in range(0, len(rows), 5000):
            db.session.execute(insert(OutboxMessage).execution_options(render_nulls=True), messages[start:start + 5000])
            db.session.execute(insert(Lead).execution_options(render_nulls=True), rows[start:start + 5000])
        db.session.commit()
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM ANALYZE leads"))
                conn.execute(text("VACUUM ANALYZE outbox_messages"))
        db.session.remove()


def _time(fn) -> float:
    t = time.perf_counter()
    fn()
    return (time.perf_counter() - t) * 1000


def _remind_once(app) -> float:
    from server.audit.service import set_system_actor
    from server.extensions import db
    from server.leads import reminders

    with app.app_context():
        set_system_actor("bench")
        t = time.perf_counter()
        counts = reminders.remind()
        db.session.flush()
        ms = (time.perf_counter() - t) * 1000
        db.session.rollback()
        db.session.remove()
    return ms, counts


def run(backend: str, sizes: list[int], runs: int) -> None:
    from server.demo.cli import STEPS

    with bench_app(backend, steps=FIELD_STEPS) as (app, _url):
        assert {label for label, _ in STEPS} >= FIELD_STEPS
        client, office, lead_id = _prepare(app)
        for size in sizes:
            _fill(app, lead_id, size)
            calls = {
                "me (baseline)": lambda: client.get("/api/v1/me", headers=office),
                "dashboard": lambda: client.get("/api/v1/leads/dashboard", headers=office),
                "list, first 50": lambda: client.get("/api/v1/leads?limit=50", headers=office),
                "timeline": lambda: client.get(f"/api/v1/leads/{lead_id}/timeline", headers=office),
            }
            for fn in calls.values():
                assert fn().status_code == 200
            samples = {k: [] for k in calls}
            for _ in range(runs):
                for k, fn in calls.items():
                    samples[k].append(_time(fn))
            base = median(samples["me (baseline)"])
            print(f"{backend:10} {size:>7} leads")
            for k, xs in samples.items():
                m = median(xs)
                print(f"  {k:16} {m:8.1f} ms  ({m / base:5.1f}× baseline)")
            ms, counts = _remind_once(app)
            print(f"  {'remind pass':16} {ms:8.1f} ms  ({counts['receipt']} receipt + {counts['feedback']} feedback "
                  f"reminders, {ms / max(1, counts['receipt'] + counts['feedback']):.2f} ms each)")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="1000,20000")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--backends", default="sqlite,postgresql")
    args = ap.parse_args()
    for backend in args.backends.split(","):
        run(backend, [int(s) for s in args.sizes.split(",")], args.runs)


if __name__ == "__main__":
    main()
