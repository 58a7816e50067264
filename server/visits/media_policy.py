"""Who may see a visit's photos, videos and signature images."""
from __future__ import annotations

from ..draws.access import may_read_task
from ..draws.models import InspectionTask
from ..extensions import db
from .access import member_of
from .models import Visit


def may_read_media(principal, media) -> bool:
    """The visit's team, and whoever may read its task (its departments' staff, the office, auditors)."""
    if media.attached_type != "visit" or not media.attached_id:
        return False
    visit = db.session.get(Visit, media.attached_id)
    if visit is None:
        return False
    if member_of(visit, principal.user_id):
        return True
    return may_read_task(principal, db.session.get(InspectionTask, visit.task_id))


def may_send_visit_media(user_id: int, media) -> bool:
    """The bytes of a photo attached to a visit come from a member of that visit's team only."""
    if media.attached_type != "visit" or not media.attached_id:
        return False
    visit = db.session.get(Visit, media.attached_id)
    return visit is not None and member_of(visit, user_id) is not None
