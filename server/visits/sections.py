"""The team leader's view of a visit's sections: per member, their department, whether the server
has their department's checkpoints complete, when their phone last synced, and (where the handoff
feature tells) whether their section was handed over to the leader's phone.

Only what the server knows: answers that a phone has not synced yet are not counted here.
"""
from __future__ import annotations

from sqlalchemy import func, select

from sync.models import SyncClient

from ..accounts.models import Department
from ..catalog.models import CheckItem
from ..extensions import db
from ..inspectors.models import Inspector
from . import hooks
from .models import Answer, Finding, Visit
from .seal import task_items


def _iso(ts):
    return ts.isoformat() if ts else None


def _checkpoints_by_department(task_id: int) -> dict[int, int]:
    out: dict[int, int] = {}
    for v in task_items(task_id):
        dept = db.session.get(CheckItem, v.item_id).department_id
        out[dept] = out.get(dept, 0) + len(v.checkpoints)
    return out


def sections(visit: Visit) -> list[dict]:
    totals = _checkpoints_by_department(visit.task_id)
    answered = dict(db.session.execute(
        select(Answer.department_id, func.count()).where(Answer.visit_id == visit.id, Answer.value.is_not(None),
                                                         Answer.value != "").group_by(Answer.department_id)).all())
    by_user = dict(db.session.execute(select(Answer.answered_by, func.count()).where(Answer.visit_id == visit.id)
                                      .group_by(Answer.answered_by)).all())
    findings = dict(db.session.execute(select(Finding.created_by, func.count()).where(Finding.visit_id == visit.id)
                                       .group_by(Finding.created_by)).all())
    handovers = hooks.section_handovers(visit)
    members = [m for m in visit.members if m.active]
    users = [m.user_id for m in members if m.user_id is not None]
    synced = {u: (push, pull) for u, push, pull in db.session.execute(
        select(SyncClient.user_id, func.max(SyncClient.last_push_at), func.max(SyncClient.last_pull_at))
        .where(SyncClient.user_id.in_(users)).group_by(SyncClient.user_id)).all()} if users else {}
    rows = []
    for m in sorted(members, key=lambda m: (m.role != "leader", m.position)):
        insp = db.session.get(Inspector, m.inspector_id)
        dept = db.session.get(Department, m.department_id)
        total, done = totals.get(m.department_id, 0), answered.get(m.department_id, 0)
        push, pull = synced.get(m.user_id, (None, None))
        rows.append({
            "inspector_id": m.inspector_id, "user_id": m.user_id, "name": insp.name if insp else None,
            "role": "leader" if m.role == "leader" else "member",
            "department": {"id": dept.id, "code": dept.code, "name": dept.name},
            "checkpoints_total": total, "checkpoints_answered": min(done, total),
            "complete": done >= total,
            "answers_by_member": by_user.get(m.user_id, 0) if m.user_id else 0,
            "findings_by_member": findings.get(m.user_id, 0) if m.user_id else 0,
            "last_push_at": _iso(push), "last_pull_at": _iso(pull),
            "handover": handovers.get(m.inspector_id)})
    return rows
