"""Delivery test helpers: a registered test subject type, endpoints, messages and the worker."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, update

from server.accounts.models import Department
from server.errors import NotFound
from server.extensions import db
from server.delivery import outbox
from server.delivery.models import OutboxMessage
from server.delivery.worker import Worker
from server.types import utcnow

PROBES = {"p1": {"title": "测试对象一", "detail": "仅供测试"}, "p2": {"title": "测试对象二", "detail": "仅供测试"}}


def _load_probe(principal, subject_id):
    if subject_id not in PROBES:
        raise NotFound("对象不存在。", code="subject_not_found")
    return dict(PROBES[subject_id])


@pytest.fixture(autouse=True)
def probe_subject():
    outbox.register_subject("probe", _load_probe)
    yield
    outbox.SUBJECTS.pop("probe", None)


class Delivery:
    """Small helpers around one app."""

    def __init__(self, app):
        self.app = app

    def dept(self, code: str) -> int:
        with self.app.app_context():
            dept_id = db.session.execute(select(Department.id).where(Department.code == code)).scalar_one()
            db.session.remove()
            return dept_id

    def endpoint(self, code: str, url: str) -> tuple[int, str]:
        from server.delivery import endpoints

        with self.app.app_context():
            ep, secret = endpoints.create_endpoint(self.dept(code), url)
            db.session.commit()
            ep_id = ep.id
            db.session.remove()
        return ep_id, secret

    def enqueue(self, to: str, subject_id: str = "p1", sender: str | None = "scjg", event: str = "probe.created") -> str:
        with self.app.app_context():
            msg = outbox.enqueue(db.session, self.dept(to), event, "probe", subject_id,
                                 sender_department_id=self.dept(sender) if sender else None)
            db.session.commit()
            msg_id = msg.id
            db.session.remove()
        return msg_id

    def make_due(self) -> int:
        """Skip the backoff: every pending message becomes due now (instead of sleeping)."""
        with self.app.app_context():
            res = db.session.execute(update(OutboxMessage).where(OutboxMessage.status == "pending")
                                     .values(next_attempt_at=utcnow() - dt.timedelta(seconds=1)))
            db.session.commit()
            db.session.remove()
            return res.rowcount

    def run_once(self, **kw) -> dict:
        return Worker(self.app, poll_interval=0, **kw).run(once=True)

    def message(self, msg_id: str) -> OutboxMessage:
        """A detached copy of the message with its attempts loaded."""
        with self.app.app_context():
            msg = db.session.get(OutboxMessage, msg_id)
            _ = msg.attempt_rows
            db.session.expunge_all()
            db.session.remove()
            return msg


@pytest.fixture
def delivery(app):
    return Delivery(app)
