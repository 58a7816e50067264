"""Case results into the object's credit record, as far as domain.md allows.

- Every concluded lead makes sure the checking department's "last checked"
  date covers the check (Art. 16 weighs objects by years since the last check).
- A penalty (`punished`) enters the object's violation history.
- A penalty marked serious (严重违法) puts the object on the serious-violation
  list, which the draw reads with the object's credit row.
The risk class is set by the monthly credit classification and is never
changed here; the abnormal-operation list and complaint counts have other
sources (annual reports, the registered address, complaints), not leads.
"""
from __future__ import annotations

from ..audit import service as audit
from ..extensions import db
from ..registry import service as registry
from ..registry.models import ObjectCredit
from ..registry.state import content_hash, state_of
from ..types import utcnow
from ..visits.models import VisitRecord
from .models import Lead, ObjectViolation


def apply_result(lead: Lead) -> dict:
    """Apply a concluded lead's result; returns what changed (empty when nothing did)."""
    changes: dict = {}
    record = db.session.get(VisitRecord, lead.visit_id)
    if record is not None and record.check_ended_on is not None:
        registry.record_check(lead.object_id, lead.sender_department_id, record.check_ended_on)
        changes["checked_on"] = record.check_ended_on.isoformat()
    if lead.result != "punished":
        return changes
    db.session.add(ObjectViolation(object_id=lead.object_id, lead_id=lead.id, department_id=lead.receiver_department_id,
                                   result=lead.result, decision_no=lead.decision_no, decided_on=lead.decided_on,
                                   serious=lead.serious, recorded_at=utcnow()))
    changes["violation"] = {"decision_no": lead.decision_no, "serious": lead.serious}
    if lead.serious and _set_serious(lead):
        changes["serious_violation_list"] = True
    return changes


def _set_serious(lead: Lead) -> bool:
    obj = registry.get_object(lead.object_id)
    row = db.session.get(ObjectCredit, obj.id)
    if row is not None and row.serious_violation_list:
        return False
    if row is None:
        row = ObjectCredit(object_id=obj.id, abnormal_list=False, serious_violation_list=False, complaint_count=0)
        db.session.add(row)
    now = utcnow()
    row.serious_violation_list, row.updated_at = True, now
    values, credit = state_of(obj, row)
    obj.content_hash, obj.version, obj.updated_at = content_hash(values, credit), obj.version + 1, now
    audit.record(db.session, "registry.object.update", "object", obj.id,
                 {"version": obj.version, "content_hash": obj.content_hash,
                  "changes": {"serious_violation_list": True}, "source": {"lead_id": lead.id,
                                                                          "decision_no": lead.decision_no}})
    return True
