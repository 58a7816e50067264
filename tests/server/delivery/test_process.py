"""`flask --app wsgi worker` as a real process: killed mid-delivery, stopped by SIGTERM, one per SQLite file."""
from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import update

from server.extensions import db
from server.delivery.models import OutboxMessage
from server.types import utcnow
from tests.conftest import base_config
from tests.server.delivery.receiver import Receiver

ROOT = Path(__file__).resolve().parents[3]
pytestmark = pytest.mark.slow  # real worker processes, started, killed and waited for


def start_worker(app, tmp_path, *args) -> subprocess.Popen:
    cfg = base_config(tmp_path / "worker-instance")
    env = {**os.environ, "APP_ENV": "testing", "SECRET_KEY": cfg["SECRET_KEY"],
           "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "DSR_INSTANCE_PATH": cfg["INSTANCE_PATH"],
           "PYTHONIOENCODING": "utf-8"}
    return subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "worker", *args], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, encoding="utf-8")


def wait_for_line(proc: subprocess.Popen, needle: str) -> list[str]:
    """Read the worker's stderr until a line contains `needle` (or the process ends)."""
    lines = []
    for line in proc.stderr:
        lines.append(line)
        if needle in line:
            return lines
    raise AssertionError(f"worker ended before printing {needle!r}: {''.join(lines)}")


def expire_leases(app) -> None:
    with app.app_context():
        db.session.execute(update(OutboxMessage).where(OutboxMessage.status == "delivering")
                           .values(claimed_until=utcnow() - dt.timedelta(seconds=1)))
        db.session.commit()
        db.session.remove()


def test_killed_mid_delivery_then_restarted_delivers_with_the_same_id(app, delivery, tmp_path):
    with Receiver(hang_first=True) as rx:
        rx.secrets = [delivery.endpoint("sthj", rx.url)[1]]
        msg_id = delivery.enqueue("sthj")
        proc = start_worker(app, tmp_path, "--poll-interval", "0.1")
        try:
            assert rx.got_request.wait(60), "the worker never sent the message"
        finally:
            proc.kill()
            proc.communicate(timeout=60)
        assert proc.returncode == -signal.SIGKILL

        m = delivery.message(msg_id)
        assert m.status == "delivering" and m.attempts == 1
        assert m.attempt_rows[0].finished_at is None  # the attempt was recorded before the request went out

        # While the lease holds, another worker leaves the message alone.
        assert start_worker(app, tmp_path, "--once").wait(60) == 0
        assert delivery.message(msg_id).status == "delivering" and len(rx.requests) == 1

        expire_leases(app)  # instead of waiting for it to lapse
        restarted = start_worker(app, tmp_path, "--once")
        out, err = restarted.communicate(timeout=60)
        assert restarted.returncode == 0, err

    m = delivery.message(msg_id)
    assert m.status == "delivered" and m.attempts == 2
    assert [(a.attempt_no, a.outcome) for a in m.attempt_rows] == [(1, "interrupted"), (2, "delivered")]
    assert "webhook-id 不变" in m.attempt_rows[0].error
    # At least once, never lost: the receiver got the same webhook-id twice and processed it once.
    assert [r.webhook_id for r in rx.requests] == [msg_id, msg_id]
    assert list(rx.accepted) == [msg_id] and rx.duplicates == 1
    assert all(r.verified_with == [0] for r in rx.requests)


def test_sigterm_finishes_the_delivery_in_flight_and_releases_the_rest(app, delivery, tmp_path):
    with Receiver(hang_first=True) as rx:
        rx.secrets = [delivery.endpoint("sthj", rx.url)[1]]
        ids = [delivery.enqueue("sthj", "p1") for _ in range(3)]
        proc = start_worker(app, tmp_path, "--batch", "3", "--poll-interval", "0.1")
        try:
            assert rx.got_request.wait(60)
            proc.send_signal(signal.SIGTERM)
            wait_for_line(proc, "SIGTERM")
            rx.release.set()  # the receiver answers only after the worker was told to stop
            out, _ = proc.communicate(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
    assert proc.returncode == 0
    assert "delivered 1" in out and "released 2" in out
    states = [delivery.message(i) for i in ids]
    delivered = [m for m in states if m.status == "delivered"]
    assert len(delivered) == 1 and delivered[0].id == rx.requests[0].webhook_id
    rest = [m for m in states if m.status != "delivered"]
    assert [(m.status, m.claimed_by, m.attempts) for m in rest] == [("pending", None, 0)] * 2
    assert len(rx.requests) == 1


def test_sigterm_when_idle_exits_zero(app, tmp_path):
    proc = start_worker(app, tmp_path, "--poll-interval", "30")
    try:
        wait_for_line(proc, "started")
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0


def test_sqlite_refuses_a_second_worker(app, tmp_path, backend):
    if backend != "sqlite":
        pytest.skip("PostgreSQL runs several workers")
    first = start_worker(app, tmp_path, "--poll-interval", "30")
    try:
        wait_for_line(first, "started")
        second = start_worker(app, tmp_path, "--once")
        _, err = second.communicate(timeout=60)
        assert second.returncode == 3 and "已有一个投递进程" in err
    finally:
        first.send_signal(signal.SIGTERM)
        first.communicate(timeout=60)
    assert first.returncode == 0
