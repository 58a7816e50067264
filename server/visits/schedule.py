"""The team leader sets each visit's date and time window (Art. 18)."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import bindparam, select

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


_v, _m, _i = Visit.__table__.c, VisitMember.__table__.c, Inspector.__table__.c
# The active bookings of these inspectors on these dates, with their names.
_OTHERS = (select(_v.id, _v.scheduled_date, _v.time_from, _v.time_to, _m.inspector_id, _i.name.label("inspector_name"))
           .select_from(Visit.__table__).join(VisitMember.__table__, _m.visit_id == _v.id)
           .outerjoin(Inspector.__table__, _i.id == _m.inspector_id)
           .where(_v.scheduled_date.in_(bindparam("dates", expanding=True)), _m.active.is_(True),
                  _m.inspector_id.in_(bindparam("inspectors", expanding=True)), _v.status != "withdrawn")
           .order_by(_v.id, _m.inspector_id))


def schedule_warnings(visit: Visit) -> list[dict]:
    """Flags: outside the plan's window; an inspector booked into overlapping visits."""
    if visit.scheduled_date is None:
        return []
    task = db.session.get(InspectionTask, visit.task_id)
    active = [m.inspector_id for m in visit.members if m.active]
    return warnings_of([visit], {visit.id: active}, {task.id: (task.window_start, task.window_end)})[visit.id]


def warnings_of(visits, active: dict[str, list[int]], windows: dict[int, tuple]) -> dict[str, list[dict]]:
    """schedule_warnings of many visits (Visits, or rows with their columns) at once: `active` holds
    each visit's active inspectors, `windows` each task's (window_start, window_end). One query
    for the other bookings of all of them, the inspectors' names joined."""
    out: dict[str, list[dict]] = {v.id: [] for v in visits}
    dated = [v for v in visits if v.scheduled_date is not None]
    inspectors = {i for v in dated for i in active.get(v.id, [])}
    others = db.session.execute(_OTHERS, {"dates": list({v.scheduled_date for v in dated}),
                                          "inspectors": list(inspectors)}).all() if inspectors else []
    for visit in dated:
        warnings = out[visit.id]
        start, end = windows[visit.task_id]
        if not (start <= visit.scheduled_date <= end):
            warnings.append({"code": "outside_window", "message": f"日期不在计划的检查时间安排内（{start} 至 {end}）"})
        mine = set(active.get(visit.id, []))
        for other in others:
            if (other.id == visit.id or other.scheduled_date != visit.scheduled_date or other.inspector_id not in mine
                    or not _overlap(visit.time_from, visit.time_to, other.time_from, other.time_to)):
                continue
            name = other.inspector_name if other.inspector_name is not None else "一名执法人员"
            warnings.append({"code": "inspector_double_booked", "inspector_id": other.inspector_id,
                             "inspector_name": name, "visit_id": other.id,
                             "message": f"{name}在同一时段（{_slot(other)}）另有检查安排"})
    return out


def apply_schedule(visit: Visit, date: dt.date, time_from, time_to, by: int) -> list[dict]:
    if time_from and time_to and time_to <= time_from:
        raise Invalid("结束时间须晚于开始时间。", code="validation_failed",
                      errors=[{"field": "time_to", "pointer": "/time_to", "message": "结束时间须晚于开始时间。"}])
    visit.scheduled_date, visit.time_from, visit.time_to, visit.scheduled_by = date, time_from, time_to, by
    visit.version += 1
    announce(visit)
    return schedule_warnings(visit)
