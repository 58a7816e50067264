"""Open visits of objects a directory feed closed (deregistered, revoked, cancelled, moved out).

The visit is flagged (status, date, batch) and queued for its team's phones, where the leader
sees that the result may be formed directly (Art. 21: 注销、吊销或迁出的，可直接作出检查结果).
Registered into the registry's closures port at app start (`server/wiring.py`).
"""
from __future__ import annotations

from sqlalchemy import select

from ..audit import service as audit
from ..extensions import db
from ..registry.closures import Closure
from ..registry.models import REGISTRATION_STATUSES
from .announce import announce
from .models import Visit

OPEN = ("not_started", "in_progress")
NOTE = "检查对象已{status}，可依法直接作出检查结果（《实施细则》第二十一条）。"


def flag_open_visits(closures: list[Closure], batch_id: str) -> int:
    """Flag the open visits of these objects; returns how many were flagged."""
    by_object = {c.object_id: c for c in closures}
    ids = sorted(by_object)
    flagged = 0
    for i in range(0, len(ids), 5000):
        visits = db.session.execute(select(Visit).where(Visit.object_id.in_(ids[i:i + 5000]),
                                                        Visit.status.in_(OPEN))).scalars().all()
        for visit in visits:
            c = by_object[visit.object_id]
            visit.object_closed_status, visit.object_closed_on, visit.object_closed_batch = c.status, c.on, batch_id
            announce(visit)
            audit.record(db.session, "visit.object_closed", "visit", visit.id,
                         {"object_id": c.object_id, "status": c.status, "on": c.on.isoformat() if c.on else None,
                          "batch_id": batch_id})
            flagged += 1
    return flagged


def closure_view(visit: Visit) -> dict | None:
    """What the visit entity shows of it (None while the object is open)."""
    if visit.object_closed_status is None:
        return None
    label = REGISTRATION_STATUSES.get(visit.object_closed_status, visit.object_closed_status)
    return {"status": visit.object_closed_status, "status_label": label,
            "on": visit.object_closed_on.isoformat() if visit.object_closed_on else None,
            "batch_id": visit.object_closed_batch, "note": NOTE.format(status=label)}
