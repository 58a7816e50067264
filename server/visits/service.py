"""Visits for staff screens and team leaders (phones read and write through sync).

Who may read a visit: its active team members, and whoever may read its task (the task's
departments' staff, the office, auditors: `draws.access`). Only the team leader schedules
(Art. 18: the leader sets the schedule).
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from ..accounts.auth import Principal
from ..audit import service as audit
from ..draws.access import may_read_task
from ..draws.models import InspectionTask
from ..errors import Forbidden, NotFound
from ..extensions import db
from .access import member_of, refuse_if_sealed
from .models import FieldHistory, Visit, VisitMember
from .schedule import apply_schedule
from .pull_views import VISIT_COLUMNS
from .views import visit_entity

LEADER = "leader"


def visit_not_found() -> NotFound:
    return NotFound("检查记录不存在。", code="visit_not_found")


def readable_visit(principal: Principal, visit_id: str) -> Visit:
    """The visit if the caller may read it; 404 otherwise, as if it did not exist."""
    visit = db.session.get(Visit, str(visit_id))
    if visit is None:
        raise visit_not_found()
    if member_of(visit, principal.user_id) is None and not may_read_task(principal, db.session.get(InspectionTask, visit.task_id)):
        raise visit_not_found()
    return visit


def _mine(stmt, principal: Principal):
    return stmt.join(VisitMember, VisitMember.visit_id == Visit.id).where(
        VisitMember.user_id == principal.user_id, VisitMember.active.is_(True), Visit.status != "withdrawn")


def my_task_ids(principal: Principal) -> set[int]:
    """The tasks of the visits `my_visits` lists (one query, no visit loaded)."""
    return set(db.session.execute(_mine(select(Visit.task_id), principal)).scalars())


def my_visits(principal: Principal, ids: list[str] | None = None, status: str | None = None) -> list[Visit]:
    """Visits of every team the caller is an active member of (withdrawn ones left out), by date."""
    stmt = _mine(select(Visit), principal)
    if ids is not None:
        stmt = stmt.where(Visit.id.in_(ids))
    if status is not None:
        stmt = stmt.where(Visit.status == status)
    return list(db.session.execute(stmt.order_by(Visit.scheduled_date, Visit.id)).scalars().unique())


def my_visit_rows(principal: Principal, ids: list[str] | None = None) -> list:
    """`my_visits` as rows of the columns a pull shows (`pull_views.VISIT_COLUMNS`), no Visit loaded."""
    stmt = _mine(select(*VISIT_COLUMNS), principal)
    if ids is not None:
        stmt = stmt.where(Visit.id.in_(ids))
    rows = db.session.execute(stmt.order_by(Visit.scheduled_date, Visit.id)).all()
    return list({r.id: r for r in rows}.values())


def led_visits(principal: Principal) -> list[Visit]:
    """Visits whose team the caller leads."""
    return list(db.session.execute(
        select(Visit).join(VisitMember, VisitMember.visit_id == Visit.id)
        .where(VisitMember.user_id == principal.user_id, VisitMember.active.is_(True), VisitMember.role == LEADER,
               Visit.status != "withdrawn").order_by(Visit.scheduled_date, Visit.id)).scalars().unique())


def open_conflicts(visit_ids: list[str]) -> dict[str, int]:
    """{visit id: unresolved edit conflicts} for many visits in one query."""
    if not visit_ids:
        return {}
    rows = db.session.execute(
        select(FieldHistory.visit_id, func.count()).where(
            FieldHistory.visit_id.in_(visit_ids), FieldHistory.conflict.is_(True), FieldHistory.resolved.is_(False))
        .group_by(FieldHistory.visit_id))
    return dict(rows.all())


def progress_row(visit: Visit, principal: Principal, conflicts: int, warnings: list[dict] | None = None) -> dict:
    """One line of the leader's progress view."""
    e = visit_entity(visit, principal)
    task = db.session.get(InspectionTask, visit.task_id)
    return {"id": visit.id, "task_id": str(visit.task_id), "task_name": task.name, "object_name": e["object"]["name"],
            "status": visit.status, "evidence_pending": e["evidence_pending"], "schedule": e["schedule"],
            "conflicts": conflicts,
            "schedule_warnings": e["schedule"]["conflicts"] if warnings is None else warnings}


def team_progress(principal: Principal) -> list[dict]:
    """The leader's view: every visit they lead, with its state, schedule warnings and open conflicts."""
    visits = led_visits(principal)
    counts = open_conflicts([v.id for v in visits])
    return [progress_row(v, principal, counts.get(v.id, 0)) for v in visits]


def edit_conflicts(principal: Principal, visit_id: str) -> list[FieldHistory]:
    """Values overwritten when team members changed the same checkpoint offline at the same time."""
    visit = readable_visit(principal, visit_id)
    return list(db.session.execute(select(FieldHistory).where(
        FieldHistory.visit_id == visit.id, FieldHistory.conflict.is_(True)).order_by(FieldHistory.id)).scalars())


def schedule(principal: Principal, visit_id: str, date: dt.date, time_from: dt.time | None,
             time_to: dt.time | None) -> tuple[Visit, list[dict]]:
    """The team leader sets the visit's date and time window; returns the visit and the warnings
    (outside the plan's window, an inspector double-booked). Queued for the team's phones."""
    visit = readable_visit(principal, visit_id)
    me = member_of(visit, principal.user_id)
    if me is None or me.role != LEADER:
        raise Forbidden("只有检查组组长可以安排检查日程。", code="not_team_leader")
    refuse_if_sealed(visit)
    warnings = apply_schedule(visit, date, time_from, time_to, principal.user_id)
    audit.record(db.session, "visit.schedule", "visit", visit.id,
                 {"date": date.isoformat(), "from": str(time_from), "to": str(time_to)})
    return visit, warnings
