"""The team leader sets each visit's date and time window (Art. 18)."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from ..draws.models import InspectionTask
from ..errors import Invalid
from ..extensions import db
from ..inspectors.models import Inspector
from .announce import announce
from .models import Visit, VisitMember


def _overlap(a_from, a_to, b_from, b_to) -> bool:
    a_from, b_from = a_from or dt.time(0, 0), b_from or dt.time(0, 0)
    a_to, b_to = a_to or dt.time(23, 59), b_to or dt.time(23, 59)
    return a_from < b_to and b_from < a_to


def _slot(visit) -> str:  # a Visit, or a row with its times
    if visit.time_from is None and visit.time_to is None:
        return "全天"
    return "–".join(t.strftime("%H:%M") if t else "" for t in (visit.time_from, visit.time_to))


def schedule_warnings(visit: Visit) -> list[dict]:
    """Flags: outside the plan's window; an inspector booked into overlapping visits."""
    out = []
    if visit.scheduled_date is None:
        return out
    task = db.session.get(InspectionTask, visit.task_id)
    if not (task.window_start <= visit.scheduled_date <= task.window_end):
        out.append({"code": "outside_window",
                    "message": f"日期不在计划的检查时间安排内（{task.window_start} 至 {task.window_end}）"})
    active = {m.inspector_id: m for m in visit.members if m.active}
    others = db.session.execute(
        select(Visit.id, Visit.time_from, Visit.time_to, VisitMember.inspector_id)
        .join(VisitMember, VisitMember.visit_id == Visit.id)
        .where(Visit.id != visit.id, Visit.scheduled_date == visit.scheduled_date, VisitMember.active.is_(True),
               VisitMember.inspector_id.in_(list(active)), Visit.status != "withdrawn")).all()
    clashes = [o for o in others if _overlap(visit.time_from, visit.time_to, o.time_from, o.time_to)]
    names = dict(db.session.execute(select(Inspector.id, Inspector.name).where(
        Inspector.id.in_({o.inspector_id for o in clashes}))).all()) if clashes else {}
    for other in clashes:
        name = names[other.inspector_id] if other.inspector_id in names else "一名执法人员"
        out.append({"code": "inspector_double_booked", "inspector_id": other.inspector_id, "inspector_name": name,
                    "visit_id": other.id, "message": f"{name}在同一时段（{_slot(other)}）另有检查安排"})
    return out


def apply_schedule(visit: Visit, date: dt.date, time_from, time_to, by: int) -> list[dict]:
    if time_from and time_to and time_to <= time_from:
        raise Invalid("结束时间须晚于开始时间。", code="validation_failed",
                      errors=[{"field": "time_to", "pointer": "/time_to", "message": "结束时间须晚于开始时间。"}])
    visit.scheduled_date, visit.time_from, visit.time_to, visit.scheduled_by = date, time_from, time_to, by
    visit.version += 1
    announce(visit)
    return schedule_warnings(visit)
