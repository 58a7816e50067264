"""Shaping visits and tasks for phones (pull) and for staff screens."""
from __future__ import annotations

import json

from sqlalchemy import select

from ..accounts.models import User
from ..draws.models import InspectionTask
from ..extensions import db
from ..inspectors.models import Inspector
from ..settings import get_setting
from . import hooks
from .jsonpatch import apply_patch
from .models import Visit, Amendment, VisitRecord
from .pull_views import active_members_of, depts_of, object_briefs, task_entities, team_view, visit_entities
from .rules import FOLLOWUPS, OUTCOMES, RESULT_CODES, SIGNER_ROLES


def _dept(dept_id):
    return depts_of([dept_id])[dept_id]


def task_entity(task: InspectionTask) -> dict:
    return task_entities([task.id])[str(task.id)]


def object_brief(object_id: int, principal) -> dict:
    return object_briefs([object_id], principal)[object_id]


def previous_results(object_id: int) -> list[dict]:
    """Published results of earlier checks of this object (filled by publication)."""
    return hooks.previous_results(object_id)


def team(visit: Visit) -> list[dict]:
    return team_view(active_members_of([visit.id])[visit.id])


def visit_entity(visit: Visit, principal) -> dict:
    return visit_entities([visit], principal)[visit.id]


def current_view(visit: Visit, record: VisitRecord) -> dict:
    """The sealed canonical content with every amendment applied in order."""
    view = json.loads(record.sealed_content)
    for a in db.session.execute(select(Amendment).where(Amendment.visit_id == visit.id).order_by(Amendment.created_at)).scalars():
        view = apply_patch(view, a.patch)
    return view


def current_codes(visit: Visit, record: VisitRecord) -> list[str]:
    """The result codes as they stand now: the sealed outcome with every amendment applied (a team's
    correction answering a return, or E after a rectification)."""
    return list((current_view(visit, record).get("outcome") or {}).get("codes") or [])


def me_entity(principal) -> dict:
    user = db.session.get(User, principal.user_id)
    insp = db.session.execute(select(Inspector).where(Inspector.user_id == user.id)).scalar_one_or_none()
    return {"user_id": user.id, "username": user.username, "display_name": user.display_name,
            "department": _dept(user.department_id), "roles": user.roles,
            "inspector_id": insp.id if insp else None, "demo": bool(get_setting("demo_data")),
            "result_codes": [{"code": k, "label": v} for k, v in RESULT_CODES.items()],
            "followups": [{"code": k, "label": v} for k, v in FOLLOWUPS.items()],
            "outcomes": [{"code": k, **v} for k, v in OUTCOMES.items()],
            "signer_roles": [{"code": k, "label": v} for k, v in SIGNER_ROLES.items()]}
