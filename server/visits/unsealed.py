"""Records checked but not sealed: the team leader's and the back office's reminder.

The 20 working days of Art. 20(3) run from the day the check ended on site, sealed or not; a
record still on a phone is invisible to the reviewers. This lists, for whoever may read the
task (its departments' staff, the office, auditors) or leads the team, every visit checked
(an end of the check, or an arrival, recorded) and not sealed after ``min_workdays`` working
days, oldest first, with its provisional or final deadline.
"""
from __future__ import annotations

import datetime as dt

from flask import current_app
from sqlalchemy import exists, or_, select

from ..accounts.auth import Principal
from ..calendar.service import deadline_of, work_calendar
from ..draws.access import readable_tasks
from ..draws.models import InspectionTask
from ..extensions import db
from ..registry.models import InspectionObject
from ..types import local_today
from .checkdate import local_day
from .models import Visit, VisitMember, VisitRecord
from .rules import METHODS

LIMIT = 500


def _led_by(user_id: int):
    return exists().where(VisitMember.visit_id == Visit.id, VisitMember.user_id == user_id,
                          VisitMember.active.is_(True), VisitMember.role == "leader")


def unsealed(principal: Principal, min_workdays: int | None = None, today: dt.date | None = None) -> list[dict]:
    """Visits checked and not sealed for at least ``min_workdays`` working days (default
    UNSEALED_ALERT_WORKDAYS), the longest waiting first."""
    today = today or local_today()
    if min_workdays is None:
        min_workdays = int(current_app.config.get("UNSEALED_ALERT_WORKDAYS", 2))
    rows = db.session.execute(
        select(Visit, VisitRecord, InspectionTask.name, InspectionObject.name)
        .join(VisitRecord, VisitRecord.visit_id == Visit.id)
        .join(InspectionTask, InspectionTask.id == Visit.task_id)
        .join(InspectionObject, InspectionObject.id == Visit.object_id)
        .where(Visit.status == "in_progress", VisitRecord.sealed_at.is_(None),
               or_(VisitRecord.check_ended_at.is_not(None), VisitRecord.arrival_at.is_not(None)),
               or_(readable_tasks(principal, Visit.task_id), _led_by(principal.user_id)))
        .order_by(Visit.id).limit(LIMIT)).all()
    cal = work_calendar()
    out = []
    for visit, record, task_name, object_name in rows:
        checked_on = local_day(record.check_ended_at) or local_day(record.arrival_at)
        if checked_on is None or checked_on > today:
            continue
        since = cal.workdays_between(checked_on, today)
        workdays = since.count if since.known else since.estimated_count
        if workdays < min_workdays:
            continue
        due, provisional = deadline_of(checked_on)
        leader = next((m for m in visit.members if m.active and m.role == "leader"), None)
        out.append({"visit_id": visit.id, "task_id": visit.task_id, "task_name": task_name, "object_name": object_name,
                    "method": record.method or "onsite", "method_label": METHODS[record.method or "onsite"]["label"],
                    "checked_on": checked_on, "check_ended": record.check_ended_at is not None,
                    "workdays_since": workdays, "days_since": (today - checked_on).days,
                    "due_on": due, "deadline_provisional": provisional,
                    "leader_user_id": leader.user_id if leader else None})
    out.sort(key=lambda r: (r["checked_on"], r["visit_id"]))
    return out
