"""Who may see a visit's photos, videos and signature images."""
from __future__ import annotations

from ..draws.models import InspectionTask, Visit
from ..extensions import db
from .access import member_of


def may_read_media(principal, media) -> bool:
    """The visit's team, staff of the task's departments, the office and auditors."""
    if media.attached_type != "visit" or not media.attached_id:
        return False
    visit = db.session.get(Visit, media.attached_id)
    if visit is None:
        return False
    if principal.sees_everything or member_of(visit, principal.user_id):
        return True
    task = db.session.get(InspectionTask, visit.task_id)
    depts = {task.initiating_department_id, *(task.participating_department_ids or [])}
    return principal.department_id in depts and principal.has("reviewer", "dept_admin", "dept_leader")
