"""The delivery worker: at least once, with leases, retries and a graceful stop.

One round: claim a batch of due messages (PostgreSQL: `SELECT … FOR UPDATE
SKIP LOCKED`, so several workers never claim the same row; SQLite: the
claim runs in a BEGIN IMMEDIATE transaction and one worker is enough),
mark them `delivering` with a lease, commit. Then, for each message, outside
any open transaction: record the attempt's start (and renew its lease),
commit, POST, and record the outcome in a new transaction.

A worker killed mid-delivery leaves its rows `delivering`; when the lease
lapses another (or the restarted) worker reclaims them, closes the open
attempt as interrupted and sends again with the same `webhook-id`, so the
receiver may see a message twice but never loses one. On SIGTERM/SIGINT the
in-flight delivery finishes, claims not yet started are released, and the
worker exits 0.

Between rounds the worker also runs the periodic jobs that features registered
(`jobs.register`, done in `server/wiring.py`): each at start and then at most once per its
configured interval. The lead reminder pass (`LEAD_REMINDER_INTERVAL`) de-duplicates on the
lead rows, so several workers (and a cron `leads tick`) never send one twice; pruning
login-throttle rows that are over (`THROTTLE_PRUNE_INTERVAL`) is harmless when several
workers do it.
"""
from __future__ import annotations

import datetime as dt
import logging
import os
import random
import secrets
import socket
import threading
import time
from typing import Callable

from flask import Flask
from sqlalchemy import and_, or_, select, update

from ..audit import service as audit
from ..extensions import db
from ..observability import logs, metrics
from ..types import utcnow
from . import jobs, webhooks
from .endpoints import active_secrets, disable_gone, endpoint_of
from .models import (DELIVERED, DELIVERING, DISABLED_GONE, FAILED, INBOX_ONLY, PENDING, DeliveryAttempt,
                     DeliveryEndpoint, OutboxMessage)
from .outbox import MAX_ATTEMPTS, retry_delay

log = logging.getLogger(__name__)


def new_worker_id() -> str:
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(3)}"


class Worker:
    """Delivers outbox messages. `run()` loops until stopped; `run(once=True)` drains what is due and returns."""

    def __init__(self, app: Flask, *, worker_id: str | None = None, batch: int | None = None,
                 poll_interval: float | None = None, clock: Callable[[], dt.datetime] = utcnow,
                 rng: random.Random | None = None, every: dict[str, dt.timedelta | None] | None = None) -> None:
        cfg = app.config
        self.app = app
        self.id = worker_id or new_worker_id()
        self.batch = batch or cfg["DELIVERY_BATCH"]
        self.poll_interval = cfg["DELIVERY_POLL_INTERVAL"] if poll_interval is None else poll_interval
        self.timeout = float(cfg["DELIVERY_TIMEOUT"])
        self.margin = cfg["DELIVERY_LEASE_MARGIN"]
        self.max_retry_after = cfg["DELIVERY_MAX_RETRY_AFTER"]
        self.proxy = cfg.get("DELIVERY_PROXY")
        self.clock = clock
        self.rng = rng or random.Random()
        # `every`: {job name: interval} overriding the configured ones; a zero interval (or a
        # configured None): that job never runs.
        self.jobs = jobs.registered()
        self.every = {j.name: (every or {}).get(j.name, cfg.get(j.interval_setting)) for j in self.jobs}
        self.next_pass_at: dict[str, dt.datetime] = {}  # job name → not before; absent: due now
        self.stop_event = threading.Event()
        self.stats = {"attempts": 0, "delivered": 0, "retry": 0, "failed": 0, "gone": 0, "inbox_only": 0,
                      "interrupted": 0, "released": 0, **{j.stat: 0 for j in self.jobs}}

    # --- control ---------------------------------------------------------------

    def request_stop(self, *_args) -> None:
        """Finish the delivery in flight, release the rest, return from `run` (signal-handler safe)."""
        self.stop_event.set()

    def run(self, once: bool = False) -> dict:
        with self.app.app_context():
            audit.set_system_actor(f"worker:{self.id}")
            try:
                self.run_due_jobs()  # before `started`: `--once` also delivers the messages they queued
                started = self.clock()
                while not self.stop_event.is_set():
                    metrics.worker_alive()
                    ids = self.claim(due_before=started if once else None)
                    if not ids:
                        if once:
                            break
                        self.stop_event.wait(self.poll_interval)
                    for i, message_id in enumerate(ids):
                        if self.stop_event.is_set():
                            self.release(ids[i:])
                            break
                        self.deliver(message_id)
                    if not once:
                        self.run_due_jobs()
            finally:
                db.session.remove()
        return self.stats

    # --- periodic jobs -------------------------------------------------------------

    def run_due_jobs(self) -> dict[str, int]:
        """Run every registered job that is due (at start, then at most once per its interval);
        returns {job name: count} of those that ran. A failing job is logged and rolled back:
        deliveries go on, and what it left undone is picked up by its next pass."""
        done = {}
        for job in self.jobs:
            now = self.clock()
            every, nxt = self.every[job.name], self.next_pass_at.get(job.name)
            if not every or self.stop_event.is_set() or (nxt is not None and now < nxt):
                continue
            self.next_pass_at[job.name] = now + every
            t0 = time.perf_counter()
            try:
                count = job.run(now, self.stop_event.is_set)
            except Exception:
                db.session.rollback()
                log.exception("the %s job failed; it runs again in %s", job.name, every)
                metrics.worker_job(job.name, False)
                logs.job_line(job.name, "failed", time.perf_counter() - t0)
                continue
            metrics.worker_job(job.name, True)
            logs.job_line(job.name, "ok", time.perf_counter() - t0, count=count)
            done[job.name] = count
            self.stats[job.stat] += count
            if count:
                log.info(job.log_message, count)
        return done

    # --- claiming ----------------------------------------------------------------

    def claim_lease(self) -> dt.timedelta:
        """Long enough for the whole batch to be sent one after another."""
        return self.batch * (dt.timedelta(seconds=self.timeout) + dt.timedelta(seconds=5)) + self.margin

    def claim(self, due_before: dt.datetime | None = None) -> list[str]:
        """Claim up to `batch` due messages (and ones whose lease lapsed); returns their ids."""
        now = self.clock()
        due = due_before or now
        stmt = (select(OutboxMessage)
                .where(or_(and_(OutboxMessage.status == PENDING, OutboxMessage.next_attempt_at <= due),
                           and_(OutboxMessage.status == DELIVERING, OutboxMessage.claimed_until < now)))
                .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
                .limit(self.batch)
                .with_for_update(skip_locked=True))
        try:
            rows = list(db.session.execute(stmt).scalars())
            until = now + self.claim_lease()
            ids = []
            for msg in rows:
                if msg.status == DELIVERING:
                    self._reclaim(msg, now)
                    if msg.attempts - msg.round_base >= MAX_ATTEMPTS:
                        # Workers keep dying on this one: stop like after any last attempt.
                        self._give_up(msg, now, f"已尝试 {MAX_ATTEMPTS} 次（最后一次中断），停止重试，请人工跟进。")
                        audit.record(db.session, "delivery.failed", "outbox_message", msg.id, {"reason": "interrupted"})
                        self.stats["failed"] += 1
                        continue
                msg.status, msg.claimed_by, msg.claimed_until = DELIVERING, self.id, until
                ids.append(msg.id)
            db.session.commit()
            return ids
        except Exception:
            db.session.rollback()
            log.exception("claiming messages failed")
            return []

    def _reclaim(self, msg: OutboxMessage, now: dt.datetime) -> None:
        """The previous worker's lease lapsed: close its open attempt as interrupted."""
        open_attempts = db.session.execute(select(DeliveryAttempt).where(
            DeliveryAttempt.message_id == msg.id, DeliveryAttempt.finished_at.is_(None))).scalars().all()
        for a in open_attempts:
            a.finished_at, a.outcome = now, "interrupted"
            a.error = "工作进程在投递中途停止，结果未知（租约到期后重新投递，webhook-id 不变）。"
            self.stats["interrupted"] += 1
        audit.record(db.session, "delivery.lease_expired", "outbox_message", msg.id,
                     {"previous_worker": msg.claimed_by, "interrupted_attempts": [a.attempt_no for a in open_attempts]})

    def release(self, ids: list[str]) -> None:
        """Give back claims not yet started (graceful stop)."""
        if not ids:
            return
        res = db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(ids), OutboxMessage.claimed_by == self.id, OutboxMessage.status == DELIVERING)
            .values(status=PENDING, claimed_by=None, claimed_until=None)
            .execution_options(synchronize_session=False))
        db.session.commit()
        self.stats["released"] += res.rowcount or 0

    # --- one delivery --------------------------------------------------------------

    def deliver(self, message_id: str) -> str | None:
        """Send one claimed message once; returns the outcome (None when the claim was lost)."""
        try:
            start = self._start(message_id)
            if start is None or isinstance(start, str):
                return start
            t0 = time.perf_counter()
            try:
                ts = int(self.clock().timestamp())
                headers = webhooks.signed_headers(message_id, ts, start["body"], start["secrets"])
                result = webhooks.post(start["url"], start["body"], headers, self.timeout, self.proxy)
            except Exception as exc:  # e.g. a damaged secret: a failed attempt like any other, never a loop
                log.exception("sending %s failed before any response", message_id)
                result = webhooks.Result(status_code=None, error=f"发送前出错：{type(exc).__name__}")
            outcome = self._finish(message_id, start, result)
            metrics.webhook_result(outcome == DELIVERED, result.status_code)
            logs.job_line("delivery", outcome, time.perf_counter() - t0, message_id=message_id,
                          attempt_no=start["attempt_no"], status=result.status_code)
            return outcome
        except Exception:
            # The database failed us: the lease lapses and the message is sent again (at least once).
            db.session.rollback()
            log.exception("delivering %s failed; it will be retried after its lease", message_id)
            return None

    def _start(self, message_id: str):
        now = self.clock()
        msg = db.session.get(OutboxMessage, message_id, with_for_update=True)
        if msg is None or msg.status != DELIVERING or msg.claimed_by != self.id:
            db.session.commit()
            return None
        ep = endpoint_of(msg.department_id)
        if ep is None or not ep.enabled:
            outcome = FAILED if ep is not None and ep.disabled_code == DISABLED_GONE else INBOX_ONLY
            msg.status, msg.claimed_by, msg.claimed_until, msg.next_attempt_at = outcome, None, None, None
            if outcome == FAILED:
                msg.failed_at, msg.last_error = now, "接收端点已停用（410 Gone），未送达，请人工跟进。"
            audit.record(db.session, "delivery." + outcome, "outbox_message", msg.id,
                         {"reason": "endpoint_gone" if outcome == FAILED else "no_enabled_endpoint"})
            db.session.commit()
            self.stats[outcome] += 1
            return outcome
        keys = active_secrets(ep, now)
        msg.attempts += 1
        msg.claimed_until = now + dt.timedelta(seconds=self.timeout) + self.margin
        attempt = DeliveryAttempt(message_id=msg.id, attempt_no=msg.attempts, worker=self.id, url=ep.url,
                                  signatures=len(keys), started_at=now)
        db.session.add(attempt)
        db.session.flush()
        start = {"attempt_id": attempt.id, "attempt_no": msg.attempts, "round_no": msg.attempts - msg.round_base,
                 "endpoint_id": ep.id, "url": ep.url, "body": msg.body, "secrets": keys}
        db.session.commit()
        return start

    def _finish(self, message_id: str, start: dict, result: webhooks.Result) -> str:
        now = self.clock()
        self.stats["attempts"] += 1
        msg = db.session.get(OutboxMessage, message_id, with_for_update=True)
        attempt = db.session.get(DeliveryAttempt, start["attempt_id"])
        ours = msg.status == DELIVERING and msg.claimed_by == self.id
        code = result.status_code
        attempt.finished_at, attempt.status_code, attempt.duration_ms = now, code, result.duration_ms
        attempt.response_snippet = (result.snippet or None) and result.snippet[:1000]
        msg.last_status_code = code
        if code is not None and 200 <= code < 300:
            outcome = DELIVERED
            if msg.status != DELIVERED:  # a success is a fact, even if our lease lapsed meanwhile
                msg.status, msg.delivered_at, msg.last_error = DELIVERED, now, None
                msg.claimed_by = msg.claimed_until = msg.next_attempt_at = None
        else:
            error = result.error or f"接收端返回 HTTP {code}。"
            if code == 410:
                outcome = "gone"
                ep = db.session.get(DeliveryEndpoint, start["endpoint_id"])
                if ep is not None and ep.enabled:
                    disable_gone(ep, message_id, code)
                error = "接收端返回 410 Gone：端点已停用，消息未送达，请人工跟进。"
                if ours:
                    self._give_up(msg, now, error)
            else:
                outcome = self._schedule_retry(msg, attempt, result, now, start["round_no"]) if ours else "retry"
                if outcome == FAILED and ours:
                    error = f"{error}已尝试 {start['round_no']} 次，停止重试，请人工跟进。"
            if not ours:
                error += "（投递期间租约已失效，消息状态由接管的工作进程更新。）"
            attempt.error = error[:500]
            if ours:
                msg.last_error = error[:500]
        attempt.outcome = outcome
        audit.record(db.session, "delivery.attempt", "outbox_message", message_id, {
            "attempt_no": start["attempt_no"], "outcome": outcome, "status_code": code, "error": attempt.error,
            "next_attempt_at": attempt.next_attempt_at.isoformat() if attempt.next_attempt_at else None})
        db.session.commit()
        self.stats[outcome if outcome in self.stats else "retry"] += 1
        return outcome

    def _give_up(self, msg: OutboxMessage, now: dt.datetime, error: str) -> None:
        msg.status, msg.failed_at, msg.last_error = FAILED, now, error[:500]
        msg.claimed_by = msg.claimed_until = msg.next_attempt_at = None

    def _schedule_retry(self, msg, attempt, result: webhooks.Result, now: dt.datetime, round_no: int) -> str:
        delay = retry_delay(round_no, self.rng)
        if delay is None:
            self._give_up(msg, now, result.error or f"接收端返回 HTTP {result.status_code}。")
            return FAILED
        asked = webhooks.parse_retry_after(result.retry_after, now)
        attempt.retry_after_seconds = asked
        if asked is not None and asked > delay:
            delay = min(float(asked), self.max_retry_after.total_seconds())
            attempt.retry_after_honoured = True
        nxt = now + dt.timedelta(seconds=delay)
        attempt.next_attempt_at = msg.next_attempt_at = nxt
        msg.status, msg.claimed_by, msg.claimed_until = PENDING, None, None
        return "retry"
