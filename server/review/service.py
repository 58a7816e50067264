"""The review workflow: queue, approve (= result entered), return, request evidence, each per
department that checked (its entry of the record)."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import bindparam, func, select

from ..accounts.auth import Principal
from ..accounts.models import Department, Role
from ..audit import service as audit
from ..calendar.service import deadline_of, deadline_state, provisional_message, result_deadline
from ..draws.access import may_read_task
from ..draws.models import InspectionTask
from ..errors import ApiError, Conflict, NotFound
from ..extensions import db
from ..registry.checks import record_entry
from ..registry.models import InspectionObject
from ..types import SHANGHAI, local_today, utcnow
from ..visits.announce import announce
from ..visits.checkdate import check_ended_on
from ..visits.hooks import media_arrived
from ..visits.models import Visit, MediaRef, VisitRecord, Amendment
from ..visits.rules import RESULT_CODES
from ..visits.views import team
from .entries import DeptItems, check_codes, default_codes, departments_that_checked, is_joint, items_of
from .models import REVIEW_STATUSES, PublishedResult, Review, ReviewComment

OPEN = ("pending", "returned", "evidence_requested")
SENT_BACK = ("returned", "evidence_requested")
ENTERED = ("approved", "published", "withheld")


def entering_department(principal: Principal, task: InspectionTask) -> DeptItems | None:
    """The principal's department's share of the record when the principal may enter it: a
    reviewer (or department administrator) of a department whose items the task covers."""
    if not principal.has(Role.REVIEWER, Role.DEPT_ADMIN):
        return None
    return items_of(task, principal.department_id)


def sealed_visit(principal: Principal, visit_id: str, write: bool = False) -> tuple[Visit, VisitRecord, InspectionTask]:
    visit = db.session.get(Visit, visit_id)
    record = db.session.get(VisitRecord, visit_id) if visit else None
    task = db.session.get(InspectionTask, visit.task_id) if visit else None
    allowed = task is not None and (entering_department(principal, task) is not None if write
                                    else may_read_task(principal, task))
    if visit is None or record is None or record.sealed_at is None or not allowed:
        raise NotFound("待审核的检查记录不存在。", code="review_not_found")
    return visit, record, task


def ensure_entries(visit: Visit, record: VisitRecord, task: InspectionTask) -> dict[int, Review]:
    """Every department that checked has its entry, each with its own deadline: 20 working days
    from the day the check ended on site (the record's `check_ended_on`)."""
    have = {r.department_id: r for r in db.session.execute(select(Review).where(Review.visit_id == visit.id)).scalars()}
    missing = [d for d in departments_that_checked(task) if d.department_id not in have]
    if missing:
        ended_on = check_ended_on(record)  # the day the check ended on site, as the phone recorded it
        due = result_deadline(ended_on)
        for d in missing:
            review = Review(visit_id=visit.id, task_id=task.id, department_id=d.department_id, status="pending",
                            check_ended_on=ended_on, due_on=due.due,
                            result_codes=default_codes(visit, record, task, d), created_at=utcnow(), updated_at=utcnow())
            db.session.add(review)
            have[d.department_id] = review
        db.session.flush()
    return have


def own_entry(principal: Principal, visit_id: str) -> tuple[Visit, VisitRecord, InspectionTask, Review, DeptItems]:
    """The record and the principal's department's entry of it (404 when it has none to enter)."""
    visit, record, task = sealed_visit(principal, visit_id, write=True)
    items = entering_department(principal, task)
    review = ensure_entries(visit, record, task).get(items.department_id)
    if review is None:  # a department that joined the task's items after its entries were written
        raise NotFound("待审核的检查记录不存在。", code="review_not_found")
    return visit, record, task, review, items


def missing_evidence(visit: Visit) -> list[str]:
    """Media referenced by the record whose bytes have not arrived yet."""
    ids = list(db.session.execute(select(MediaRef.media_id).where(MediaRef.visit_id == visit.id)).scalars())
    arrived = media_arrived(ids)
    return sorted(m for m in ids if not arrived.get(m))


def approve(principal: Principal, visit_id: str, result_codes: list[str] | None = None) -> Review:
    """The department enters the result of its own items (optionally with the codes it decided on)."""
    visit, record, task, review, items = own_entry(principal, visit_id)
    if review.status not in OPEN:
        raise Conflict(f"该记录当前为“{REVIEW_STATUSES[review.status]}”，不能再审核通过。", code="review_wrong_state")
    pending = missing_evidence(visit)
    if pending:
        raise ApiError(f"还有 {len(pending)} 个照片或视频尚未上传到服务器，证据齐全后才能审核通过。",
                       code="evidence_pending", status=409, title="证据尚未到齐", extra={"media_ids": pending})
    # The codes given, or the team's as amended, always checked against the department's own items.
    codes = check_codes(default_codes(visit, record, task, items) if result_codes is None else result_codes,
                        visit, record, items)
    now = utcnow()
    review.due_on = current_due(review)
    review.status, review.entered_at, review.entered_by, review.updated_at = "approved", now, principal.user_id, now
    # Judged against the provisional deadline while a calendar year is missing (statistics judge
    # it again against the final one once entered: ``entered_on_time``).
    review.entered_on_time = local_today() <= due_of(review)[0]
    review.result_codes = codes
    audit.record(db.session, "review.approve", "visit", visit.id,
                 {"department_id": review.department_id, "content_sha256": record.content_sha256,
                  "due_on": review.due_on.isoformat() if review.due_on else None,
                  "on_time": review.entered_on_time, "result_codes": review.result_codes,
                  "items": list(items.item_codes)})
    record_entry(visit.object_id, review.department_id, visit.id, review.check_ended_on, list(items.item_codes), codes)
    announce(visit)
    return review


def send_back(principal: Principal, visit_id: str, comments: list[dict], kind: str) -> Review:
    """Return to the team (kind "return") or ask for more evidence (kind "evidence"), for the
    principal's department's entry."""
    visit, record, task, review, _ = own_entry(principal, visit_id)
    if review.status not in OPEN:
        raise Conflict(f"该记录当前为“{REVIEW_STATUSES[review.status]}”，不能退回。", code="review_wrong_state")
    review.returned_count += 1
    review.status = "returned" if kind == "return" else "evidence_requested"
    review.updated_at = utcnow()
    for c in comments:
        db.session.add(ReviewComment(visit_id=visit.id, department_id=review.department_id, round=review.returned_count,
                                     kind=kind, target=c["target"], text=c["text"], author_id=principal.user_id,
                                     created_at=utcnow()))
    audit.record(db.session, f"review.{kind}", "visit", visit.id,
                 {"department_id": review.department_id, "round": review.returned_count, "comments": comments})
    announce(visit)  # the team sees the comments on its next pull
    return review


_rc, _rv, _dp = ReviewComment.__table__.c, Review.__table__.c, Department.__table__.c
_COMMENTS = (select(_rc.visit_id, _rc.id, _rc.round, _rc.kind, _rc.target, _rc.text, _rc.created_at, _dp.code)
             .select_from(ReviewComment.__table__).outerjoin(Department.__table__, _dp.id == _rc.department_id)
             .where(_rc.visit_id.in_(bindparam("ids", expanding=True))).order_by(_rc.visit_id, _rc.id))
_STATES = (select(_rv.visit_id, _rv.department_id, _rv.status, _rv.returned_count, _dp.code, _dp.name)
           .select_from(Review.__table__).join(Department.__table__, _dp.id == _rv.department_id)
           .where(_rv.visit_id.in_(bindparam("ids", expanding=True))).order_by(_rv.visit_id, _rv.department_id))


def comments_of(visit_ids) -> dict[str, list[dict]]:
    """Registered with visits: the review comments of many visits, in one query."""
    ids = list(dict.fromkeys(visit_ids))
    out: dict[str, list[dict]] = {i: [] for i in ids}
    if not ids:
        return out
    for c in db.session.execute(_COMMENTS, {"ids": ids}):
        out[c.visit_id].append({"id": c.id, "round": c.round, "kind": c.kind, "target": c.target, "text": c.text,
                                "at": c.created_at.isoformat(), "department": c.code})
    return out


def comments_for(visit_id: str) -> list[dict]:
    return comments_of([visit_id])[visit_id]


def states_of(visit_ids) -> dict[str, list[dict]]:
    """Registered with visits: each department's entry of each record as the team's phones see
    it, for many visits in one query."""
    ids = list(dict.fromkeys(visit_ids))
    out: dict[str, list[dict]] = {i: [] for i in ids}
    if not ids:
        return out
    for r in db.session.execute(_STATES, {"ids": ids}):
        out[r.visit_id].append({"department_id": r.department_id, "department_code": r.code,
                                "department_name": r.name, "status": r.status,
                                "status_label": REVIEW_STATUSES[r.status], "round": r.returned_count})
    return out


def states_for(visit_id: str) -> list[dict]:
    return states_of([visit_id])[visit_id]


def open_on_seal(visit: Visit, record: VisitRecord) -> None:
    """Registered with visits: sealing a record puts it in the queue of every department that checked."""
    ensure_entries(visit, record, db.session.get(InspectionTask, visit.task_id))


def reopen_on_amendment(visit: Visit, record: VisitRecord, amendment) -> None:
    """Registered with visits: the team's amendment answering a return or an evidence request
    puts the record back in the reviewer's queue as pending.

    The deadline stays as it was: results are due 20 working days after the check ended
    (Art. 20(3)), and an amendment does not end the check again. The send-back stays in the
    comments and the audit log; the resubmission is logged next to it.
    """
    # Locked, so an amendment racing a send-back sees the send-back once it is committed.
    reviews = db.session.execute(select(Review).where(Review.visit_id == visit.id).order_by(Review.department_id)
                                 .with_for_update().execution_options(populate_existing=True)).scalars().all()
    for review in reviews:
        if review.status not in SENT_BACK:
            continue
        previous, review.status, review.updated_at = review.status, "pending", utcnow()
        audit.record(db.session, "review.resubmit", "visit", visit.id,
                     {"department_id": review.department_id, "round": review.returned_count,
                      "from_status": previous, "amendment": amendment.id})


def current_due(review: Review):
    """The stored deadline, or (when a calendar year was missing at sealing) one computed again
    now that the administrator may have entered it. None while still unknown."""
    if review.due_on is not None:
        return review.due_on
    return result_deadline(review.check_ended_on).due


def due_of(review: Review) -> tuple[dt.date, bool]:
    """(deadline, provisional?): the final deadline, or the provisional one while a calendar year
    it runs into is not yet entered."""
    final = current_due(review)
    return (final, False) if final is not None else deadline_of(review.check_ended_on)


def entered_on_time(review: Review) -> bool | None:
    """Whether the result was entered within its deadline; a result entered while the deadline
    was provisional is judged again against the final deadline once the year is entered."""
    if review.entered_at is None:
        return review.entered_on_time
    if review.due_on is not None:
        return review.entered_on_time
    entered = _aware(review.entered_at).astimezone(SHANGHAI).date()
    return entered <= due_of(review)[0]


SORTS = ("due", "-due", "ended", "-ended")


def queue(principal: Principal, status: str | None = None, deadline: str | None = None, task_id: int | None = None,
          sort: str = "due", department: str | None = None, q: str | None = None,
          department_id: int | None = None) -> list[dict]:
    """The department's entries of sealed records (each department that checked enters its own),
    soonest deadline first (unknown last). The office and auditors see every department's, or one's
    (``department`` code or ``department_id``).

    Filters: review status, deadline state (ok / due_soon / overdue / unknown / done), task and
    ``q``, a search in the business name, credit code, task name or number and the team's names.
    ``sort``: "due" (open records first, soonest deadline first), "-due" (latest first),
    "ended"/"-ended" (by the day the check ended)."""
    stmt = (select(Visit, VisitRecord, InspectionTask, Review)
            .join(VisitRecord, VisitRecord.visit_id == Visit.id)
            .join(InspectionTask, InspectionTask.id == Visit.task_id)
            .join(Review, Review.visit_id == Visit.id))
    if not principal.sees_everything:
        stmt = stmt.where(Review.department_id == principal.department_id)
    elif department:
        stmt = stmt.where(Review.department_id == select(Department.id).where(Department.code == department)
                          .scalar_subquery())
    if status:
        stmt = stmt.where(Review.status == status)
    if task_id is not None:
        stmt = stmt.where(Review.task_id == task_id)
    if department_id is not None and principal.sees_everything:
        stmt = stmt.where(Review.department_id == department_id)
    rows = [queue_row(*r) for r in db.session.execute(stmt).all()]
    if q and q.strip():
        needle = q.strip().lower()
        rows = [r for r in rows if any(needle in (x or "").lower() for x in
                                       (r["object_name"], r["credit_code"], r["task_name"], r["task_code"], *r["inspectors"]))]
    if deadline:
        rows = [r for r in rows if r["deadline_state"] == deadline]
    far = dt.date.max
    rows.sort(key=lambda r: r["department"])
    if sort in ("due", "-due"):
        rows.sort(key=lambda r: (r["due_on"] or far, r["visit_id"]), reverse=sort == "-due")
        # Stable: open records first, each group in the order above.
        rows.sort(key=lambda r: r["status"] not in OPEN)
    else:
        rows.sort(key=lambda r: (r["check_ended_on"], r["visit_id"]), reverse=sort == "-ended")
    return rows


def queue_row(visit, record, task, review) -> dict:
    obj = db.session.get(InspectionObject, visit.object_id)
    dept = db.session.get(Department, review.department_id)
    due, provisional = due_of(review)
    message = provisional_message(result_deadline(review.check_ended_on).missing_years) if provisional else None
    pub = db.session.execute(select(PublishedResult).where(
        PublishedResult.visit_id == visit.id, PublishedResult.department_id == review.department_id,
        PublishedResult.kind == "department")).scalar_one_or_none() if review.status == "published" else None
    return {"visit_id": visit.id, "task_id": task.id, "task_name": task.name, "task_code": task.code,
            "inspectors": [m["name"] for m in team(visit) if m.get("name")], "object_name": obj.name,
            "credit_code": obj.credit_code, "department_id": review.department_id, "department": dept.code,
            "department_name": dept.name,
            "joint": is_joint(task), "initiating": review.department_id == task.initiating_department_id,
            "status": review.status, "status_label": REVIEW_STATUSES[review.status],
            "check_ended_on": review.check_ended_on, "due_on": due, "deadline_provisional": provisional,
            "deadline_message": message,
            "deadline_state": deadline_state(due, local_today()) if review.status in OPEN else "done",
            "entered_on_time": entered_on_time(review), "result_codes": review.result_codes,
            "result_labels": [{"code": c, "label": RESULT_CODES.get(c, c)} for c in review.result_codes or []],
            "published_on": pub.published_at.astimezone(SHANGHAI).date() if pub else None,
            "revised_on": pub.revised_at.astimezone(SHANGHAI).date() if pub and pub.revised_at else None,
            "returned_count": review.returned_count, "evidence_pending": bool(missing_evidence(visit)),
            "amended_since_sent_back": amended_since_sent_back(visit.id, review.department_id)
            if review.status in OPEN else False}


def amended_since_sent_back(visit_id: str, department_id: int) -> bool:
    """The team answered the department's last return or evidence request with an amendment."""
    last_sent = db.session.execute(select(func.max(ReviewComment.created_at)).where(
        ReviewComment.visit_id == visit_id, ReviewComment.department_id == department_id)).scalar()
    if last_sent is None:
        return False
    last_amend = db.session.execute(select(func.max(Amendment.created_at)).where(Amendment.visit_id == visit_id)).scalar()
    if last_amend is None:
        return False
    return _aware(last_amend) > _aware(last_sent)


def _aware(ts):
    return ts if ts.tzinfo else ts.replace(tzinfo=dt.timezone.utc)
