"""Statistics per county (the object's region code) and per inspector, beside the per-department
and per-task figures of ``statistics.py``: records drawn, sealed, results entered and on time."""
from __future__ import annotations

import datetime as dt
from collections import defaultdict

from sqlalchemy import select

from ..extensions import db
from ..inspectors.models import Inspector
from ..registry.models import InspectionObject
from ..visits.models import Visit, VisitMember, VisitRecord
from ..types import SHANGHAI
from .models import Review
from .service import current_due

ENTERED = ("approved", "published", "withheld")


def entered_on_time(r: Review) -> bool | None:
    """Whether a result was entered by its deadline; a deadline unknown when it was entered (a
    calendar year missing) is judged once the office has entered the year; None while unknown."""
    if r.entered_on_time is not None:
        return r.entered_on_time
    due = current_due(r)
    if due is None or r.entered_at is None:
        return None
    at = r.entered_at if r.entered_at.tzinfo else r.entered_at.replace(tzinfo=dt.timezone.utc)
    return at.astimezone(SHANGHAI).date() <= due


def _blank() -> dict:
    return {"visits": 0, "sealed": 0, "entered": 0, "entered_on_time": 0, "entered_deadline_unknown": 0}


def _rates(c: dict) -> dict:
    known = c["entered"] - c["entered_deadline_unknown"]
    c["entry_rate"] = None if c["sealed"] == 0 else round(c["entered"] / c["sealed"], 4)
    c["on_time_rate"] = None if known == 0 else round(c["entered_on_time"] / known, 4)
    return c


def breakdown(task_ids: list[int]) -> dict:
    if not task_ids:
        return {"regions": [], "inspectors": []}
    visits = db.session.execute(select(Visit.id, InspectionObject.region_code)
                                .join(InspectionObject, InspectionObject.id == Visit.object_id)
                                .where(Visit.task_id.in_(task_ids))).all()
    ids = [v for v, _ in visits]
    sealed = set(db.session.execute(select(VisitRecord.visit_id).where(VisitRecord.visit_id.in_(ids),
                                                                        VisitRecord.sealed_at.is_not(None))).scalars())
    reviews = {r.visit_id: r for r in db.session.execute(select(Review).where(Review.visit_id.in_(ids))).scalars()}
    members = defaultdict(list)
    for vid, iid, name in db.session.execute(select(VisitMember.visit_id, Inspector.id, Inspector.name)
                                             .join(Inspector, Inspector.id == VisitMember.inspector_id)
                                             .where(VisitMember.visit_id.in_(ids), VisitMember.active.is_(True))).all():
        members[vid].append((iid, name))
    regions: dict[str, dict] = defaultdict(_blank)
    people: dict[tuple, dict] = defaultdict(_blank)
    for vid, region in visits:
        for c in [regions[region or "未知"], *(people[m] for m in members[vid])]:
            c["visits"] += 1
            c["sealed"] += vid in sealed
            r = reviews.get(vid)
            if r is not None and r.status in ENTERED:
                c["entered"] += 1
                on_time = entered_on_time(r)
                c["entered_deadline_unknown"] += on_time is None
                c["entered_on_time"] += bool(on_time)
    return {"regions": [{"region_code": k, **_rates(c)} for k, c in sorted(regions.items())],
            "inspectors": [{"inspector_id": iid, "name": name, **_rates(c)}
                           for (iid, name), c in sorted(people.items(), key=lambda kv: (-kv[1]["visits"], kv[0][1]))]}
