"""The public verification of a sealed record (the record PDF's QR code leads here): its identity,
content hash and whether the stored record still matches it, and nothing private."""
from __future__ import annotations

from ..draws.models import InspectionTask
from ..visits.models import Visit
from ..extensions import db
from ..registry.models import InspectionObject
from ..registry.protect import public_name
from ..review.models import REVIEW_STATUSES, Review
from ..review.record import public_check, record_no
from ..visits.models import VisitRecord


def verification(visit_id: str) -> dict | None:
    """What anyone holding the paper may see: the record's identity, its content hash and
    whether the record as stored still matches it. None when there is no sealed record."""
    visit = db.session.get(Visit, visit_id)
    record = db.session.get(VisitRecord, visit_id) if visit else None
    if record is None or record.sealed_at is None:
        return None
    task = db.session.get(InspectionTask, visit.task_id)
    obj = db.session.get(InspectionObject, visit.object_id)
    try:
        problem = public_check(visit, record)
    except Exception as exc:  # a broken record is "not intact", never a crash of the public page
        problem = f"{type(exc).__name__}"
    review = db.session.get(Review, (visit_id, task.initiating_department_id))
    return {"visit_id": visit.id, "record_no": record_no(task, visit), "task_no": task.code, "task_name": task.name,
            "object_name": public_name(obj), "sealed_at": record.sealed_at.isoformat(),
            "content_sha256": record.content_sha256, "intact": problem is None,
            "problem": None if problem is None else "记录内容、签名或照片与封存时不一致",
            "review_status": REVIEW_STATUSES.get(review.status) if review else None}
