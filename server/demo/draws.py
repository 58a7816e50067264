"""A completed joint draw with teams and schedules, so a new user can see one and verify it."""
from __future__ import annotations

import datetime as dt
import hashlib

from ..draws import service
from ..extensions import db
from ..types import utcnow
from ..visits.models import Visit
from ..visits.schedule import apply_schedule
from .catalog import principal_for

BEACON = {"source": "中国福利彩票3D（演示）", "reference": "演示第2026318期"}
BEACON_VALUE = "3 1 8"
# Not secret, and marked so: the demo draw is the same on every install (and in every test
# database), so its teams, and the demo inspectors' visits, do not change from one load to the next.
DEMO_NONCE = hashlib.sha256(b"dsr demo draw: a published, not secret, nonce").digest()


def load(ctx: dict) -> None:
    plan = ctx["plan"]
    admin = principal_for(ctx["users"]["scjg-admin"])
    task_t01 = next(t for t in plan.versions[-1].tasks if t.code == "T01")
    task = service.launch(admin, task_t01.id, BEACON, [], nonce=DEMO_NONCE)
    db.session.flush()
    # The public value is published after the commitment (here: a moment later).
    service.reveal(admin, task.id, BEACON_VALUE, utcnow() + dt.timedelta(seconds=1), BEACON["reference"])
    db.session.flush()
    # Leaders schedule their visits over working days, morning or afternoon, and never book an
    # inspector twice in one slot: each visit takes the first slot where its whole team is free.
    visits = db.session.execute(db.select(Visit).where(Visit.task_id == task.id).order_by(Visit.stratum, Visit.rank)).scalars().all()

    slots = [(dt.time(9, 0), dt.time(11, 30)), (dt.time(14, 30), dt.time(17, 0))]
    booked: dict[tuple[dt.date, int], set[int]] = {}
    first = max(task.window_start, dt.date.today())
    for v in visits:
        team = {m.inspector_id for m in v.members if m.active}
        day, slot = first, 0
        while True:
            if day.weekday() < 5 and not (booked.get((day, slot), set()) & team):
                break
            slot = (slot + 1) % 2
            if slot == 0:
                day += dt.timedelta(days=1)
        booked.setdefault((day, slot), set()).update(team)
        leader = next(m for m in v.members if m.role == "leader")
        apply_schedule(v, min(day, task.window_end), *slots[slot], leader.user_id or 0)
    ctx["task"] = task
