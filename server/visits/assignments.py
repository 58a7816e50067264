"""The visits' side of `draws.assignments`: a draw's result becomes visits (registered in
`server/wiring.py`). Visits are created in bulk at the reveal, changed by approved replacements
and substitutions, and checked against the verified draw by `audit verify`."""
from __future__ import annotations

import hashlib
import uuid

from sqlalchemy import select

from sync.changes import emit

from .. import bulk
from ..draws.assignments import Assignment, Member, Team
from ..draws.snapshot import row_id
from ..extensions import db
from ..types import utcnow
from .announce import announce, withdraw
from .models import Visit, VisitMember

VISIT_NAMESPACE = uuid.UUID("6f1d8a52-7c3e-4c55-9a41-1f0e2b9d7a10")
_VISIT_NS_BYTES = VISIT_NAMESPACE.bytes


def visit_uuid(task_code: str, object_id: int) -> str:
    """Deterministic, so a retried draw creates the very same visits: ``uuid5(VISIT_NAMESPACE,
    "<task code>:<object id>")``, formed directly (a draw makes tens of thousands at once)."""
    digest = bytearray(hashlib.sha1(_VISIT_NS_BYTES + f"{task_code}:{object_id}".encode("utf-8")).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x50  # version 5
    digest[8] = (digest[8] & 0x3F) | 0x80  # RFC 4122 variant
    h = digest.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _visit_of(task_id: int, object_id: int) -> Visit | None:
    return db.session.execute(select(Visit).where(Visit.task_id == task_id, Visit.object_id == object_id)
                              ).scalar_one_or_none()


def create(task, assignments: list[Assignment]) -> int:
    """Insert the drawn visits and their teams in two bulk writes (ORM objects and a flush per
    visit cost ~3 ms each), and queue each visit for its team's phones."""
    now = utcnow()
    visits, members = [], []
    # The task first, so a phone paging through its feed meets the task before its visits.
    emit(db.session, "task", task.id, {m["user_id"] for a in assignments for m in a.members if m["user_id"] is not None})
    for a in assignments:
        vid = visit_uuid(task.code, a.object_id)
        visits.append({"id": vid, "task_id": task.id, "object_id": a.object_id, "stratum": a.stratum, "rank": a.rank,
                       "status": "not_started", "version": 1, "created_at": now})
        members.extend({"visit_id": vid, **m} for m in a.members)
        emit(db.session, "visit", vid, {m["user_id"] for m in a.members if m["user_id"] is not None})
    db.session.flush()
    bulk.insert_rows(db.session, Visit.__table__, visits)
    bulk.insert_rows(db.session, VisitMember.__table__, members)
    return len(visits)


def team(task_id: int, object_id: int) -> Team | None:
    visit = _visit_of(task_id, object_id)
    if visit is None:
        return None
    return Team(status=visit.status, stratum=visit.stratum, rank=visit.rank, members=tuple(
        Member(m.inspector_id, m.user_id, m.department_id, m.role, m.active) for m in visit.members))


def replace_member(task, object_id: int, outgoing: int, incoming: dict) -> None:
    visit = _visit_of(task.id, object_id)
    old = next(m for m in visit.members if m.inspector_id == outgoing and m.active)
    old.active = False
    visit.members.append(VisitMember(**{**incoming, "position": len(visit.members), "active": True}))
    visit.version += 1
    db.session.flush()
    # The replaced inspector's phone drops the visit; the others and the newcomer get it.
    withdraw(visit, {old.user_id} if old.user_id is not None else set())
    announce(visit)


def substitute(task, outgoing_object: int, assignment: Assignment) -> None:
    old = _visit_of(task.id, outgoing_object)
    old.status = "withdrawn"
    old.version += 1
    withdraw(old, {m.user_id for m in old.members if m.user_id is not None})
    new = Visit(id=visit_uuid(task.code, assignment.object_id), task_id=task.id, object_id=assignment.object_id,
                stratum=assignment.stratum, rank=assignment.rank, status="not_started", version=1)
    new.members = [VisitMember(**m) for m in assignment.members]
    db.session.add(new)
    db.session.flush()
    announce(new)


def check(task, selection: set[str], teams: dict[str, list[str]]) -> tuple[bool, str]:
    visits = db.session.execute(select(Visit).where(Visit.task_id == task.id)).scalars().all()
    live = {row_id(v.object_id): v for v in visits if v.status != "withdrawn"}
    if set(live) != selection:
        return False, "the visits differ from the draw's selection"
    bad = next((row for row, v in sorted(live.items())
                if sorted(str(m.inspector_id) for m in v.members if m.active) != sorted(teams[row])), None)
    if bad:
        return False, f"team of object {bad} differs from the draw and its approved replacements"
    return True, f"{len(live)} visits match the verified draw"
