"""Shaping visits and tasks for phones (pull) and for staff screens."""
from __future__ import annotations

import json

from sqlalchemy import bindparam, select

from ..accounts.models import Department, User, UserRole
from ..draws.models import InspectionTask
from ..extensions import db
from ..inspectors.models import Inspector
from ..settings import get_setting
from . import hooks
from .jsonpatch import apply_patch
from .models import Visit, Amendment, VisitRecord
from .pull_views import active_members_of, object_briefs, task_entities, team_view, visit_entities
from .rules import FOLLOWUPS, OUTCOMES, RESULT_CODES, SIGNER_ROLES


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


_u, _ur, _d, _i = (m.__table__.c for m in (User, UserRole, Department, Inspector))
# The caller, their department and inspector id: a row per role (none when they have no role).
_ME = (select(_u.id, _u.username, _u.display_name, _u.department_id, _d.code, _d.name, _i.id.label("inspector_id"),
              _ur.role)
       .select_from(User.__table__).join(Department.__table__, _d.id == _u.department_id)
       .outerjoin(Inspector.__table__, _i.user_id == _u.id).outerjoin(UserRole.__table__, _ur.user_id == _u.id)
       .where(_u.id == bindparam("user_id")).order_by(_ur.role))


def me_entity(principal) -> dict:
    rows = db.session.execute(_ME, {"user_id": principal.user_id}).all()
    user = rows[0]
    return {"user_id": user.id, "username": user.username, "display_name": user.display_name,
            "department": {"id": user.department_id, "code": user.code, "name": user.name},
            "roles": [r.role for r in rows if r.role is not None],
            "inspector_id": user.inspector_id, "demo": bool(get_setting("demo_data")),
            "result_codes": [{"code": k, "label": v} for k, v in RESULT_CODES.items()],
            "followups": [{"code": k, "label": v} for k, v in FOLLOWUPS.items()],
            "outcomes": [{"code": k, **v} for k, v in OUTCOMES.items()],
            "signer_roles": [{"code": k, "label": v} for k, v in SIGNER_ROLES.items()]}
