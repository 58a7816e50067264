"""Statistics per county (the object's region code) and per inspector, beside the per-department
and per-task figures of ``statistics.py``: records drawn, sealed, results entered and on time."""
from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select

from ..extensions import db
from ..identifiers import XINZHOU_DIVISIONS
from ..inspectors.models import Inspector
from ..registry.models import InspectionObject
from ..visits.models import Visit, VisitMember, VisitRecord
from .models import Review
from .service import ENTERED, entered_on_time


def _blank() -> dict:
    return {"visits": 0, "sealed": 0, "entered": 0, "entered_on_time": 0, "entered_deadline_unknown": 0}


def _rates(c: dict) -> dict:
    known = c["entered"] - c["entered_deadline_unknown"]
    c["entry_rate"] = None if c["sealed"] == 0 else round(c["entered"] / c["sealed"], 4)
    c["on_time_rate"] = None if known == 0 else round(c["entered_on_time"] / known, 4)
    return c


def breakdown(task_ids: list[int], depts_of: dict[int, list[int]]) -> dict:
    """Per county and per inspector over the records of `task_ids`; `depts_of`: per task, the
    departments whose entries count for the reader (its own; the office's: every one)."""
    if not task_ids:
        return {"regions": [], "inspectors": []}
    visits = db.session.execute(select(Visit.id, Visit.task_id, InspectionObject.region_code)
                                .join(InspectionObject, InspectionObject.id == Visit.object_id)
                                .where(Visit.task_id.in_(task_ids))).all()
    ids = [v for v, _, _ in visits]
    sealed = set(db.session.execute(select(VisitRecord.visit_id).where(VisitRecord.visit_id.in_(ids),
                                                                        VisitRecord.sealed_at.is_not(None))).scalars())
    # A record counts as entered once every counted department has entered its own result, and as
    # entered on time when every one of them was.
    entries = defaultdict(list)
    for r in db.session.execute(select(Review).where(Review.visit_id.in_(ids))).scalars():
        if r.department_id in depts_of.get(r.task_id, ()):
            entries[r.visit_id].append(r)
    members = defaultdict(list)
    for vid, iid, name in db.session.execute(select(VisitMember.visit_id, Inspector.id, Inspector.name)
                                             .join(Inspector, Inspector.id == VisitMember.inspector_id)
                                             .where(VisitMember.visit_id.in_(ids), VisitMember.active.is_(True))).all():
        members[vid].append((iid, name))
    regions: dict[str, dict] = defaultdict(_blank)
    people: dict[tuple, dict] = defaultdict(_blank)
    for vid, _, region in visits:
        for c in [regions[region or "未知"], *(people[m] for m in members[vid])]:
            c["visits"] += 1
            c["sealed"] += vid in sealed
            es = entries.get(vid) or []
            if es and all(e.status in ENTERED for e in es):
                c["entered"] += 1
                times = [entered_on_time(e) for e in es]
                unknown = any(t is None for t in times)
                c["entered_deadline_unknown"] += unknown
                c["entered_on_time"] += not unknown and all(times)
    return {"regions": [{"region_code": k, "region_name": XINZHOU_DIVISIONS.get(k, k), **_rates(c)}
                        for k, c in sorted(regions.items())],
            "inspectors": [{"inspector_id": iid, "name": name, **_rates(c)}
                           for (iid, name), c in sorted(people.items(), key=lambda kv: (-kv[1]["visits"], kv[0][1]))]}
