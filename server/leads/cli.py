"""`flask leads remind | follow-ups | tick`: overdue reminders and rectification follow-ups (cron, daily).

The delivery worker also sends the reminders (`LEAD_REMINDER_INTERVAL`); running `remind` or `tick`
as well is safe: a lead is reminded once per stage, whoever runs the pass.
"""
from __future__ import annotations

import datetime as dt

import click
from flask.cli import AppGroup

from ..audit.service import set_system_actor
from ..extensions import db
from . import rectification, reminders

leads_cli = AppGroup("leads", help="Violation leads: reminders and rectification follow-ups.")

TODAY = click.option("--today", type=click.DateTime(["%Y-%m-%d"]), default=None,
                     help="Run as of this date (Asia/Shanghai) instead of today.")


def _day(value) -> dt.date | None:
    return value.date() if value else None


def _remind(today):
    counts = reminders.remind_in_batches(today)
    click.echo(f"reminders: {counts['receipt']} overdue receipt, {counts['feedback']} overdue feedback")


def _follow_ups(today):
    due = rectification.process_due(today)
    db.session.commit()
    click.echo(f"follow-ups: {len(due)} re-inspection visit(s) created"
               + "".join(f"\n  order {o.id} → visit {o.followup_visit_id}" for o in due))


@leads_cli.command("remind")
@TODAY
def remind_command(today):
    """Remind receivers of leads not signed for or not concluded within the configured working days."""
    set_system_actor("cli:leads remind")
    _remind(_day(today))


@leads_cli.command("follow-ups")
@TODAY
def follow_ups_command(today):
    """Create the re-inspection visit of every rectification order whose deadline has passed."""
    set_system_actor("cli:leads follow-ups")
    _follow_ups(_day(today))


@leads_cli.command("tick")
@TODAY
def tick_command(today):
    """Both of the above (run daily from cron)."""
    set_system_actor("cli:leads tick")
    _follow_ups(_day(today))
    _remind(_day(today))
