"""Publishing entered results (Art. 20(3)), withholding them only with a department leader's
approval, and revising a published result after a later official decision. The public side
(`server/public`) only reads what is written here."""
from __future__ import annotations

from sqlalchemy import select

from ..accounts.auth import Principal
from ..accounts.models import Department, Role, User
from ..audit import service as audit
from ..draws.models import InspectionTask
from ..visits.models import Visit
from ..errors import Conflict, Forbidden, NotFound
from ..extensions import db
from ..plans.models import PlanTask
from ..registry.models import InspectionObject
from ..registry.protect import public_name
from ..types import SHANGHAI, utcnow
from ..visits.rules import RESULT_CODES
from .models import Disclosure, PublishedResult, Review
from .service import sealed_visit

MARKET_TYPES = {"enterprise", "farmer_coop", "individual"}
CHECK_TYPES = {"undirected": "不定向抽查", "directed": "定向抽查"}


def result_label(codes: list[str]) -> str:
    return "；".join(RESULT_CODES.get(c, c) for c in codes)


def _review(principal: Principal, visit_id: str) -> tuple[Visit, Review]:
    visit, record, task = sealed_visit(principal, visit_id, write=True)
    review = db.session.get(Review, visit.id)
    if review is None:
        raise NotFound("待审核的检查记录不存在。", code="review_not_found")
    return visit, review


def publish(principal: Principal, visit_id: str) -> PublishedResult:
    visit, review = _review(principal, visit_id)
    if review.status != "approved":
        raise Conflict("只有已审核录入、且未申请不予公示的结果可以公示。", code="review_wrong_state")
    if db.session.execute(select(Disclosure.id).where(Disclosure.visit_id == visit.id,
                                                      Disclosure.status == "requested")).first():
        raise Conflict("不予公示申请尚在审批中。", code="disclosure_pending")
    task = db.session.get(InspectionTask, visit.task_id)
    pt = db.session.get(PlanTask, task.plan_task_id)
    plan = pt.plan_version.plan
    obj = db.session.get(InspectionObject, visit.object_id)
    depts = [db.session.get(Department, d).name for d in [task.initiating_department_id, *(task.participating_department_ids or [])]]
    row = PublishedResult(
        visit_id=visit.id, object_id=obj.id, market_entity=obj.object_type in MARKET_TYPES, object_name=public_name(obj),
        credit_code=obj.credit_code, plan_no=plan.code, plan_name=plan.title, task_no=task.code, task_name=task.name,
        check_type=CHECK_TYPES.get(pt.check_type, pt.check_type), authority="、".join(depts),
        initiating_department_id=task.initiating_department_id, completed_on=review.check_ended_on,
        result=result_label(review.result_codes), result_codes=list(review.result_codes), published_at=utcnow(),
        published_by=principal.user_id)
    db.session.add(row)
    review.status, review.updated_at = "published", utcnow()
    audit.record(db.session, "result.publish", "visit", visit.id,
                 {"task_no": task.code, "result": row.result, "market_entity": row.market_entity})
    return row


def revise_entered_result(visit: Visit, codes: list[str], reason: dict) -> None:
    """A later official decision (a rectification found done: E replaces A) changes a result already
    entered. The entered codes follow; a published result is revised in place and shows the date of
    the revision; the change is logged with what it was before. A record not yet approved needs
    nothing here: approving reads the amended codes."""
    review = db.session.get(Review, visit.id)
    if review is None or review.status not in ("approved", "published", "withheld") or review.result_codes == codes:
        return
    before, now = list(review.result_codes), utcnow()
    review.result_codes, review.updated_at = list(codes), now
    row = db.session.execute(select(PublishedResult).where(PublishedResult.visit_id == visit.id)).scalar_one_or_none()
    if row is not None:
        row.result, row.result_codes, row.revised_at = result_label(codes), list(codes), now
    audit.record(db.session, "result.revise", "visit", visit.id,
                 {**reason, "from": before, "to": list(codes), "published": row is not None,
                  "result": row.result if row is not None else None})


def request_withholding(principal: Principal, visit_id: str, reason: str) -> Disclosure:
    visit, review = _review(principal, visit_id)
    if review.status != "approved":
        raise Conflict("只有已审核录入、尚未公示的结果可以申请不予公示。", code="review_wrong_state")
    if db.session.execute(select(Disclosure.id).where(Disclosure.visit_id == visit.id,
                                                      Disclosure.status == "requested")).first():
        raise Conflict("已有待审批的不予公示申请。", code="disclosure_pending")
    d = Disclosure(visit_id=visit.id, reason=reason, requested_by=principal.user_id, requested_at=utcnow())
    db.session.add(d)
    db.session.flush()
    audit.record(db.session, "result.withhold_request", "visit", visit.id, {"request": d.id, "reason": reason})
    return d


def decide_withholding(principal: Principal, request_id: int, approve: bool, note: str | None) -> Disclosure:
    d = db.session.get(Disclosure, request_id)
    task = None
    if d is not None:
        task = db.session.get(InspectionTask, db.session.get(Visit, d.visit_id).task_id)
    if d is None or task.initiating_department_id != principal.department_id:
        raise NotFound("申请不存在。", code="disclosure_not_found")
    if not principal.has(Role.DEPT_LEADER):
        raise Forbidden("不予公示须经部门领导审批。", code="role_required")
    if d.status != "requested":
        raise Conflict("该申请已处理。", code="disclosure_decided")
    d.status = "approved" if approve else "rejected"
    d.decided_by, d.decided_at, d.decision_note = principal.user_id, utcnow(), note
    if approve:
        review = db.session.get(Review, d.visit_id)
        review.status, review.updated_at = "withheld", utcnow()
    audit.record(db.session, "result.withhold_" + ("approve" if approve else "reject"), "visit", d.visit_id,
                 {"request": d.id, "note": note, "reason": d.reason})
    return d


def disclosure_view(d: Disclosure, visit: Visit | None = None) -> dict:
    """A withholding request as the desk shows it: the record it is about and who asked and decided."""
    visit = visit or db.session.get(Visit, d.visit_id)
    obj = db.session.get(InspectionObject, visit.object_id)
    task = db.session.get(InspectionTask, visit.task_id)
    review = db.session.get(Review, visit.id)

    def name(uid):
        u = db.session.get(User, uid) if uid else None
        return u.display_name if u else None

    return {"id": d.id, "visit_id": d.visit_id, "reason": d.reason, "status": d.status,
            "requested_at": d.requested_at, "requested_by": name(d.requested_by), "decided_at": d.decided_at,
            "decided_by": name(d.decided_by), "decision_note": d.decision_note, "object_name": obj.name,
            "credit_code": obj.credit_code, "task_name": task.name,
            "result": result_label(review.result_codes) if review else None}


def withholdings(principal: Principal, status: str | None = None) -> list[dict]:
    """Withholding requests of the department's tasks (the office and auditors: all), open ones first."""
    stmt = (select(Disclosure, Visit).join(Visit, Visit.id == Disclosure.visit_id)
            .join(InspectionTask, InspectionTask.id == Visit.task_id))
    if not principal.sees_everything:
        stmt = stmt.where(InspectionTask.initiating_department_id == principal.department_id)
    if status:
        stmt = stmt.where(Disclosure.status == status)
    rows = [disclosure_view(d, v) for d, v in db.session.execute(stmt.order_by(Disclosure.id)).all()]
    rows.sort(key=lambda r: r["status"] != "requested")
    return rows


def public_row(r: PublishedResult) -> dict:
    """The national publicity system's fields, plus the public identity of the object."""
    return {"plan_no": r.plan_no, "plan_name": r.plan_name, "task_no": r.task_no, "task_name": r.task_name,
            "check_type": r.check_type, "authority": r.authority, "completed_on": r.completed_on.isoformat(),
            "result": r.result, "object_name": r.object_name, "credit_code": r.credit_code,
            "market_entity": r.market_entity,
            "revised_on": r.revised_at.astimezone(SHANGHAI).date().isoformat() if r.revised_at else None,
            "corrected_on": r.corrected_at.astimezone(SHANGHAI).date().isoformat() if r.corrected_at else None,
            "id": r.id}
