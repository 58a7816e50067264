"""An object's directory history as the feeds wrote it: registration status changes, stays on the
abnormal-operation and serious-violation lists, complaints per month, each with its batch."""
from __future__ import annotations

from sqlalchemy import select

from ...extensions import db
from ..models import REGISTRATION_STATUSES
from ..service import get_object
from .models import LISTS, ObjectComplaintMonth, ObjectListEntry, ObjectStatusChange

LIMIT = 200  # per kind, newest first: an object's history is short; a page of it is enough to read


def object_history(object_id: int) -> dict:
    """The history of one object (NotFound if there is none), newest first, `LIMIT` rows per kind."""
    get_object(object_id)
    s, e, m = ObjectStatusChange, ObjectListEntry, ObjectComplaintMonth
    changes = db.session.execute(select(s).where(s.object_id == object_id)
                                 .order_by(s.recorded_at.desc(), s.id.desc()).limit(LIMIT)).scalars()
    stays = db.session.execute(select(e).where(e.object_id == object_id)
                               .order_by(e.entered_on.desc(), e.id.desc()).limit(LIMIT)).scalars()
    months = db.session.execute(select(m).where(m.object_id == object_id)
                                .order_by(m.period.desc()).limit(LIMIT)).scalars()
    return {
        "status_changes": [{
            "from_status": c.from_status, "from_label": REGISTRATION_STATUSES.get(c.from_status),
            "to_status": c.to_status, "to_label": REGISTRATION_STATUSES.get(c.to_status), "changed_on": c.changed_on,
            "reason": c.reason, "batch_id": c.batch_id, "recorded_at": c.recorded_at} for c in changes],
        "list_stays": [{
            "list": x.list, "list_label": LISTS.get(x.list), "entered_on": x.entered_on, "entry_reason": x.entry_reason,
            "entry_batch": x.entry_batch, "removed_on": x.removed_on, "removal_reason": x.removal_reason,
            "removal_batch": x.removal_batch} for x in stays],
        "complaint_months": [{"period": x.period, "count": x.count, "batch_id": x.batch_id} for x in months],
    }
