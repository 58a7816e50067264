"""The review workflow: queue, approve (= result entered), return, request evidence."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from sqlalchemy import func
import datetime as _dt

from ..accounts.auth import Principal
from ..accounts.models import Role
from ..audit import service as audit
from ..calendar.service import result_deadline, deadline_state, missing_message
from ..draws.access import may_read_task
from ..draws.models import InspectionTask
from ..errors import ApiError, Conflict, NotFound
from ..extensions import db
from ..registry.models import InspectionObject
from ..types import local_today, utcnow
from ..visits.announce import announce
from ..visits.hooks import media_arrived
from ..visits.models import Visit, MediaRef, VisitRecord, Amendment
from ..accounts.models import Department
from ..visits.rules import RESULT_CODES
from ..visits.views import current_codes, team
from ..types import SHANGHAI
from .models import REVIEW_STATUSES, PublishedResult, Review, ReviewComment

OPEN = ("pending", "returned", "evidence_requested")
SENT_BACK = ("returned", "evidence_requested")


def _may_review(principal: Principal, task: InspectionTask) -> bool:
    return principal.department_id == task.initiating_department_id and principal.has(Role.REVIEWER, Role.DEPT_ADMIN)


def sealed_visit(principal: Principal, visit_id: str, write: bool = False) -> tuple[Visit, VisitRecord, InspectionTask]:
    visit = db.session.get(Visit, visit_id)
    record = db.session.get(VisitRecord, visit_id) if visit else None
    task = db.session.get(InspectionTask, visit.task_id) if visit else None
    allowed = task is not None and (_may_review(principal, task) if write else may_read_task(principal, task))
    if visit is None or record is None or record.sealed_at is None or not allowed:
        raise NotFound("待审核的检查记录不存在。", code="review_not_found")
    return visit, record, task


def ensure_review(visit: Visit, record: VisitRecord, task: InspectionTask) -> Review:
    review = db.session.get(Review, visit.id)
    if review is None:
        due = result_deadline(record.check_ended_on)
        review = Review(visit_id=visit.id, task_id=task.id, department_id=task.initiating_department_id,
                        status="pending", check_ended_on=record.check_ended_on, due_on=due.due,
                        result_codes=current_codes(visit, record), created_at=utcnow(),
                        updated_at=utcnow())
        db.session.add(review)
        db.session.flush()
    return review


def missing_evidence(visit: Visit) -> list[str]:
    """Media referenced by the record whose bytes have not arrived yet."""
    ids = list(db.session.execute(select(MediaRef.media_id).where(MediaRef.visit_id == visit.id)).scalars())
    arrived = media_arrived(ids)
    return sorted(m for m in ids if not arrived.get(m))


def approve(principal: Principal, visit_id: str) -> Review:
    visit, record, task = sealed_visit(principal, visit_id, write=True)
    review = ensure_review(visit, record, task)
    if review.status not in OPEN:
        raise Conflict(f"该记录当前为“{REVIEW_STATUSES[review.status]}”，不能再审核通过。", code="review_wrong_state")
    pending = missing_evidence(visit)
    if pending:
        raise ApiError(f"还有 {len(pending)} 个照片或视频尚未上传到服务器，证据齐全后才能审核通过。",
                       code="evidence_pending", status=409, title="证据尚未到齐", extra={"media_ids": pending})
    now = utcnow()
    review.due_on = current_due(review)
    review.status, review.entered_at, review.entered_by, review.updated_at = "approved", now, principal.user_id, now
    review.entered_on_time = None if review.due_on is None else local_today() <= review.due_on
    review.result_codes = current_codes(visit, record)  # amendments included (a team's correction)
    audit.record(db.session, "review.approve", "visit", visit.id,
                 {"content_sha256": record.content_sha256, "due_on": review.due_on.isoformat() if review.due_on else None,
                  "on_time": review.entered_on_time, "result_codes": review.result_codes})
    announce(visit)
    return review


def send_back(principal: Principal, visit_id: str, comments: list[dict], kind: str) -> Review:
    """Return to the team (kind "return") or ask for more evidence (kind "evidence")."""
    visit, record, task = sealed_visit(principal, visit_id, write=True)
    review = ensure_review(visit, record, task)
    if review.status not in OPEN:
        raise Conflict(f"该记录当前为“{REVIEW_STATUSES[review.status]}”，不能退回。", code="review_wrong_state")
    review.returned_count += 1
    review.status = "returned" if kind == "return" else "evidence_requested"
    review.updated_at = utcnow()
    for c in comments:
        db.session.add(ReviewComment(visit_id=visit.id, round=review.returned_count, kind=kind, target=c["target"],
                                     text=c["text"], author_id=principal.user_id, created_at=utcnow()))
    audit.record(db.session, f"review.{kind}", "visit", visit.id,
                 {"round": review.returned_count, "comments": comments})
    announce(visit)  # the team sees the comments on its next pull
    return review


def comments_for(visit_id: str) -> list[dict]:
    rows = db.session.execute(select(ReviewComment).where(ReviewComment.visit_id == visit_id)
                              .order_by(ReviewComment.id)).scalars()
    return [{"id": c.id, "round": c.round, "kind": c.kind, "target": c.target, "text": c.text,
             "at": c.created_at.isoformat()} for c in rows]


def open_on_seal(visit: Visit, record: VisitRecord) -> None:
    """Registered with visits: sealing a record puts it in the back office's queue."""
    ensure_review(visit, record, db.session.get(InspectionTask, visit.task_id))


def reopen_on_amendment(visit: Visit, record: VisitRecord, amendment) -> None:
    """Registered with visits: the team's amendment answering a return or an evidence request
    puts the record back in the reviewer's queue as pending.

    The deadline stays as it was: results are due 20 working days after the check ended
    (Art. 20(3)), and an amendment does not end the check again. The send-back stays in the
    comments and the audit log; the resubmission is logged next to it.
    """
    # Locked, so an amendment racing a send-back sees the send-back once it is committed.
    review = db.session.execute(select(Review).where(Review.visit_id == visit.id).with_for_update()
                                .execution_options(populate_existing=True)).scalar_one_or_none()
    if review is None or review.status not in SENT_BACK:
        return
    previous, review.status, review.updated_at = review.status, "pending", utcnow()
    audit.record(db.session, "review.resubmit", "visit", visit.id,
                 {"round": review.returned_count, "from_status": previous, "amendment": amendment.id})


def current_due(review: Review):
    """The stored deadline, or (when a calendar year was missing at sealing) one computed again
    now that the administrator may have entered it. None while still unknown."""
    if review.due_on is not None:
        return review.due_on
    return result_deadline(review.check_ended_on).due


SORTS = ("due", "-due", "ended", "-ended")


def queue(principal: Principal, status: str | None = None, deadline: str | None = None, task_id: int | None = None,
          sort: str = "due", q: str | None = None, department_id: int | None = None) -> list[dict]:
    """Sealed records of the department's tasks, soonest deadline first (unknown last).

    Filters: review status, deadline state (ok / due_soon / overdue / unknown / done), task,
    initiating department (useful to the office and auditors, who see every department) and
    ``q``, a search in the business name, credit code, task name or number and the team's names.
    ``sort``: "due" (open records first, soonest deadline first), "-due" (latest first),
    "ended"/"-ended" (by the day the check ended)."""
    stmt = (select(Visit, VisitRecord, InspectionTask, Review)
            .join(VisitRecord, VisitRecord.visit_id == Visit.id)
            .join(InspectionTask, InspectionTask.id == Visit.task_id)
            .join(Review, Review.visit_id == Visit.id))
    if not principal.sees_everything:
        stmt = stmt.where(InspectionTask.initiating_department_id == principal.department_id)
    if status:
        stmt = stmt.where(Review.status == status)
    if task_id is not None:
        stmt = stmt.where(Review.task_id == task_id)
    if department_id is not None:
        stmt = stmt.where(InspectionTask.initiating_department_id == department_id)
    rows = [queue_row(*r) for r in db.session.execute(stmt).all()]
    if q and q.strip():
        needle = q.strip().lower()
        rows = [r for r in rows if any(needle in (x or "").lower() for x in
                                       (r["object_name"], r["credit_code"], r["task_name"], r["task_code"], *r["inspectors"]))]
    if deadline:
        rows = [r for r in rows if r["deadline_state"] == deadline]
    far = dt.date.max
    if sort in ("due", "-due"):
        rows.sort(key=lambda r: (r["due_on"] or far, r["visit_id"]), reverse=sort == "-due")
        # Stable: open records first, unknown deadlines last, each group in the order above.
        rows.sort(key=lambda r: (r["status"] not in OPEN, r["due_on"] is None))
    else:
        rows.sort(key=lambda r: (r["check_ended_on"], r["visit_id"]), reverse=sort == "-ended")
    return rows


def queue_row(visit, record, task, review) -> dict:
    obj = db.session.get(InspectionObject, visit.object_id)
    due = current_due(review)
    message = None if due is not None else missing_message(result_deadline(review.check_ended_on).missing_years)
    dept = db.session.get(Department, task.initiating_department_id)
    pub = (db.session.execute(select(PublishedResult).where(PublishedResult.visit_id == visit.id)).scalar_one_or_none()
           if review.status == "published" else None)
    return {"visit_id": visit.id, "task_id": task.id, "task_name": task.name, "task_code": task.code,
            "department_id": task.initiating_department_id, "department": dept.name if dept else None,
            "inspectors": [m["name"] for m in team(visit) if m.get("name")], "object_name": obj.name,
            "credit_code": obj.credit_code, "status": review.status, "status_label": REVIEW_STATUSES[review.status],
            "check_ended_on": review.check_ended_on, "due_on": due, "deadline_message": message,
            "deadline_state": deadline_state(due, local_today()) if review.status in OPEN else "done",
            "entered_on_time": review.entered_on_time, "result_codes": review.result_codes,
            "result_labels": [{"code": c, "label": RESULT_CODES.get(c, c)} for c in review.result_codes or []],
            "published_on": pub.published_at.astimezone(SHANGHAI).date() if pub else None,
            "revised_on": pub.revised_at.astimezone(SHANGHAI).date() if pub and pub.revised_at else None,
            "returned_count": review.returned_count, "evidence_pending": bool(missing_evidence(visit)),
            "amended_since_sent_back": amended_since_sent_back(visit.id) if review.status in OPEN else False}


def amended_since_sent_back(visit_id: str) -> bool:
    """The team answered the last return or evidence request with an amendment."""
    last_sent = db.session.execute(select(func.max(ReviewComment.created_at))
                                   .where(ReviewComment.visit_id == visit_id)).scalar()
    if last_sent is None:
        return False
    last_amend = db.session.execute(select(func.max(Amendment.created_at)).where(Amendment.visit_id == visit_id)).scalar()
    if last_amend is None:
        return False
    return _aware(last_amend) > _aware(last_sent)


def _aware(ts):
    return ts if ts.tzinfo else ts.replace(tzinfo=_dt.timezone.utc)
