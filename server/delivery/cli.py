"""`flask worker` (the delivery worker) and `flask delivery endpoints list|add|rotate`."""
from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import logging
import signal
import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext

from ..accounts import admin
from ..accounts.models import Department
from ..audit.service import set_system_actor
from ..errors import ApiError
from ..extensions import db
from . import endpoints
from .models import DeliveryEndpoint
from .worker import Worker

delivery_cli = AppGroup("delivery", help="Delivery of messages to departments (webhook endpoints).")
endpoints_cli = AppGroup("endpoints", help="Departments' webhook endpoints.")
delivery_cli.add_command(endpoints_cli)


@contextlib.contextmanager
def single_worker_guard(app):
    """On SQLite allow one worker per database file: a second one is refused.

    SQLite has one writer at a time, so a second worker would only queue for
    the same lock (claims would still be correct: they run in BEGIN IMMEDIATE
    transactions). The lock is an OS file lock next to the database, released
    by the OS even when the worker is killed. PostgreSQL runs any number.
    """
    url = db.engine.url
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        yield
        return
    path = Path(url.database).with_name(Path(url.database).name + ".worker.lock")
    fh = open(path, "a+")
    try:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            click.echo("错误：这个 SQLite 数据库已有一个投递进程在运行；SQLite 只需一个投递进程（PostgreSQL 可运行多个）。",
                       err=True)
            sys.exit(3)
        yield
    finally:
        fh.close()


@click.command("worker")
@click.option("--once", is_flag=True, help="Deliver what is due now, then exit (tests, cron).")
@click.option("--poll-interval", type=click.FloatRange(0.05, 3600), default=None,
              help="Seconds between polls when idle [config DELIVERY_POLL_INTERVAL, 2].")
@click.option("--batch", type=click.IntRange(1, 500), default=None,
              help="Messages claimed per round [config DELIVERY_BATCH, 10].")
@click.option("--remind-every", type=click.FloatRange(0, 24 * 60), default=None, metavar="MINUTES",
              help="Run the lead reminder pass at start and then this often; 0: never "
                   "[config LEAD_REMINDER_INTERVAL, 60].")
@with_appcontext
def worker_command(once: bool, poll_interval: float | None, batch: int | None, remind_every: float | None) -> None:
    """Deliver outbox messages to departments' webhook endpoints, at least once; send lead reminders;
    delete throttle rows that are over (THROTTLE_PRUNE_INTERVAL).

    Stops gracefully on SIGTERM or SIGINT: the delivery in flight finishes,
    unstarted claims are released, exit code 0. A second signal stops at once.
    """
    app = current_app._get_current_object()
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    with single_worker_guard(app):
        every = {} if remind_every is None else {"lead_reminders": dt.timedelta(minutes=remind_every)}
        worker = Worker(app, batch=batch, poll_interval=poll_interval, every=every)

        def on_signal(signum, frame):
            click.echo(f"收到信号 {signal.Signals(signum).name}，完成当前投递后退出 …", err=True)
            worker.request_stop()
            signal.signal(signum, signal.SIG_DFL)  # a second signal ends the process at once

        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
        click.echo(f"delivery worker {worker.id} started ({db.engine.url.get_backend_name()}, batch {worker.batch})",
                   err=True)
        stats = worker.run(once=once)
    click.echo("delivery worker stopped: " + ", ".join(f"{k} {v}" for k, v in stats.items()))


def _run(fn, *args, **kwargs):
    try:
        result = fn(*args, **kwargs)
        db.session.commit()
        return result
    except ApiError as err:
        db.session.rollback()
        click.echo(f"错误：{err.detail}", err=True)
        sys.exit(2)


def _endpoint(dept_code: str):
    dept = _run(admin.department_by_code, dept_code)
    ep = endpoints.endpoint_of(dept.id)
    if ep is None:
        click.echo(f"错误：部门 {dept_code} 没有登记接收端点。", err=True)
        sys.exit(2)
    return ep


@endpoints_cli.command("list")
def list_endpoints():
    """List endpoints (secrets are never shown)."""
    rows = db.session.execute(db.select(DeliveryEndpoint, Department).join(
        Department, Department.id == DeliveryEndpoint.department_id).order_by(Department.code)).all()
    for ep, dept in rows:
        state = "enabled" if ep.enabled else f"disabled ({ep.disabled_reason})"
        rotation = ""
        if ep.previous_secret_expires_at:
            rotation = f" previous secret valid until {ep.previous_secret_expires_at.isoformat(timespec='seconds')}"
        click.echo(f"{ep.id:4} {dept.code:12} {ep.url} {state}{rotation}")


@endpoints_cli.command("add")
@click.option("--department", "dept_code", required=True, help="Department code")
@click.option("--url", required=True)
@click.option("--disabled", is_flag=True, help="Register without enabling it yet")
def add_endpoint(dept_code: str, url: str, disabled: bool):
    """Register a department's endpoint and print its secret (shown only now)."""
    set_system_actor("cli:delivery endpoints add")
    dept = _run(admin.department_by_code, dept_code)
    ep, secret = _run(endpoints.create_endpoint, dept.id, url, not disabled)
    click.echo(f"endpoint {ep.id} for {dept.code}: {ep.url}")
    click.echo(f"secret (shown only now): {secret}")


@endpoints_cli.command("rotate")
@click.option("--department", "dept_code", required=True, help="Department code")
@click.option("--overlap-hours", type=click.FloatRange(0, endpoints.MAX_OVERLAP_HOURS), default=None,
              help="How long the old secret keeps signing [config DELIVERY_ROTATION_OVERLAP, 24 h].")
def rotate_endpoint(dept_code: str, overlap_hours: float | None):
    """Rotate a department's secret; print the new one (shown only now)."""
    set_system_actor("cli:delivery endpoints rotate")
    ep = _endpoint(dept_code)
    secret = _run(endpoints.rotate, ep, None if overlap_hours is None else dt.timedelta(hours=overlap_hours))
    click.echo(f"endpoint {ep.id} rotated; old secret valid until "
               f"{ep.previous_secret_expires_at.isoformat(timespec='seconds') if ep.previous_secret else 'now'}")
    click.echo(f"new secret (shown only now): {secret}")
