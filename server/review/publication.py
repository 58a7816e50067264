"""Publishing entered results (Art. 20(3)): each department that checked publishes its own entry
(Art. 6) and the initiating department the joint record's summary; withholding one only with its
own department leader's approval; revising a published result after a later official decision.
The public side (`server/public`) only reads what is written here."""
from __future__ import annotations

from sqlalchemy import select

from ..accounts.auth import Principal
from ..accounts.models import Department, Role, User
from ..audit import service as audit
from ..draws.models import InspectionTask
from ..visits.announce import announce
from ..visits.models import Visit
from ..errors import ApiError, Conflict, Forbidden, NotFound
from ..extensions import db
from ..plans.models import PlanTask
from ..registry.checks import revise_entry
from ..registry.models import InspectionObject
from ..registry.protect import public_name
from ..types import SHANGHAI, utcnow
from ..visits.rules import RESULT_CODES
from .entries import NO_PROBLEM, departments_that_checked, is_joint, rectified
from .models import PUBLISHED_KINDS, Disclosure, PublishedResult, Review
from .service import ENTERED, own_entry

MARKET_TYPES = {"enterprise", "farmer_coop", "individual"}
CHECK_TYPES = {"undirected": "不定向抽查", "directed": "定向抽查"}


def result_label(codes: list[str]) -> str:
    return "；".join(RESULT_CODES.get(c, c) for c in codes)


def _entry(principal: Principal, visit_id: str) -> tuple[Visit, Review]:
    visit, _, _, review, _ = own_entry(principal, visit_id)
    return visit, review


def _row(principal: Principal, visit: Visit, department_id: int, kind: str, codes: list[str],
         completed_on) -> PublishedResult:
    task = db.session.get(InspectionTask, visit.task_id)
    pt = db.session.get(PlanTask, task.plan_task_id)
    plan = pt.plan_version.plan
    obj = db.session.get(InspectionObject, visit.object_id)
    depts = [department_id] if kind == "department" else \
        [d.department_id for d in departments_that_checked(task)]
    row = PublishedResult(
        visit_id=visit.id, kind=kind, department_id=department_id, object_id=obj.id,
        market_entity=obj.object_type in MARKET_TYPES, object_name=public_name(obj), credit_code=obj.credit_code,
        plan_no=plan.code, plan_name=plan.title, task_no=task.code, task_name=task.name,
        check_type=CHECK_TYPES.get(pt.check_type, pt.check_type),
        authority="、".join(db.session.get(Department, d).name for d in depts),
        initiating_department_id=task.initiating_department_id, completed_on=completed_on,
        result=result_label(codes), result_codes=list(codes), published_at=utcnow(), published_by=principal.user_id)
    db.session.add(row)
    return row


def _withholding_pending(visit_id: str, department_id: int) -> bool:
    return db.session.execute(select(Disclosure.id).where(
        Disclosure.visit_id == visit_id, Disclosure.department_id == department_id,
        Disclosure.status == "requested")).first() is not None


def publish(principal: Principal, visit_id: str) -> PublishedResult:
    """The department publishes the result it entered, as a row naming the department (Art. 6)."""
    visit, review = _entry(principal, visit_id)
    if review.status != "approved":
        raise Conflict("只有已审核录入、且未申请不予公示的结果可以公示。", code="review_wrong_state")
    if _withholding_pending(visit.id, review.department_id):
        raise Conflict("不予公示申请尚在审批中。", code="disclosure_pending")
    row = _row(principal, visit, review.department_id, "department", review.result_codes, review.check_ended_on)
    review.status, review.updated_at = "published", utcnow()
    announce(visit)  # the team's phones show the record as published
    audit.record(db.session, "result.publish", "visit", visit.id,
                 {"kind": "department", "department_id": review.department_id, "task_no": row.task_no,
                  "result": row.result, "result_codes": row.result_codes, "market_entity": row.market_entity})
    return row


def summary_codes(entries: list[Review]) -> list[str]:
    """The joint record's result from the departments' entries: "未发现问题" when every department
    found none, otherwise every problem code entered (withheld entries are not disclosed)."""
    shown = [c for e in entries if e.status != "withheld" for c in e.result_codes]
    problems = [c for c in RESULT_CODES if c in shown and c != NO_PROBLEM]
    return problems or ([NO_PROBLEM] if shown else [])


def publish_summary(principal: Principal, visit_id: str) -> PublishedResult:
    """The initiating department publishes the joint record's summary once every department
    that checked has entered its result."""
    visit, record, task, own, _ = own_entry(principal, visit_id)
    if own.department_id != task.initiating_department_id:
        raise Forbidden("联合检查的汇总结果由发起部门公示。", code="not_initiating_department")
    if not is_joint(task):
        raise Conflict("该任务只有一个部门检查，无需公示联合检查汇总，公示本部门结果即可。", code="summary_not_joint")
    if db.session.execute(select(PublishedResult.id).where(PublishedResult.visit_id == visit.id,
                                                           PublishedResult.kind == "joint")).first():
        raise Conflict("联合检查汇总结果已经公示。", code="summary_published")
    order = [d.department_id for d in departments_that_checked(task)]
    entries = sorted(db.session.execute(select(Review).where(Review.visit_id == visit.id)).scalars(),
                     key=lambda e: order.index(e.department_id) if e.department_id in order else len(order))
    waiting = [db.session.get(Department, e.department_id).code for e in entries if e.status not in ENTERED]
    if waiting:
        names = "、".join(db.session.get(Department, e.department_id).name for e in entries if e.status not in ENTERED)
        raise ApiError(f"还有部门尚未录入本部门的检查结果：{names}。各部门录入后才能公示汇总结果。",
                       code="entries_incomplete", status=409, title="各部门结果尚未录入齐全",
                       extra={"pending_departments": waiting})
    if any(_withholding_pending(visit.id, e.department_id) for e in entries):
        raise Conflict("有部门的不予公示申请尚在审批中，审批后才能公示汇总结果。", code="disclosure_pending")
    codes = summary_codes(entries)
    if not codes:
        raise Conflict("各部门的结果均经批准不予公示，没有可公示的汇总结果。", code="nothing_to_publish")
    row = _row(principal, visit, task.initiating_department_id, "joint", codes, record.check_ended_on)
    audit.record(db.session, "result.publish", "visit", visit.id,
                 {"kind": "joint", "department_id": task.initiating_department_id, "task_no": row.task_no,
                  "result": row.result, "result_codes": row.result_codes, "market_entity": row.market_entity,
                  "entries": {db.session.get(Department, e.department_id).code: e.status for e in entries}})
    return row


def correct_summary(row: PublishedResult, codes: list[str], reason: dict) -> None:
    """An objection to a joint check's published summary, accepted by the initiating department:
    the summary row is corrected in place (the departments' own entries stay as they entered them)."""
    before, now = list(row.result_codes or []), utcnow()
    row.result, row.result_codes, row.revised_at = result_label(codes), list(codes), now
    audit.record(db.session, "result.revise", "visit", row.visit_id,
                 {**reason, "department_id": row.department_id, "from": before, "to": list(codes), "published": True,
                  "revised": [{"kind": row.kind, "result": row.result}]})


def revise_entered_result(visit: Visit, department_id: int, reason: dict, codes: list[str] | None = None) -> None:
    """A later official decision (the department's rectification order found done: E replaces A)
    changes the department's entered result. Its codes follow, its published row (and a published
    joint summary) is revised in place and shows the date of the revision, its check history
    follows; the change is logged with what it was before. An entry not yet approved needs nothing
    here: approving reads the amended record. ``codes``: the corrected codes (an accepted objection);
    by default "A" gives way to "E"."""
    review = db.session.get(Review, (visit.id, department_id))
    if review is None or review.status not in ENTERED:
        return
    codes = rectified(review.result_codes) if codes is None else list(codes)
    if review.result_codes == codes:
        return
    before, now = list(review.result_codes), utcnow()
    review.result_codes, review.updated_at = list(codes), now
    revise_entry(visit.id, department_id, codes)
    rows = db.session.execute(select(PublishedResult).where(PublishedResult.visit_id == visit.id)).scalars().all()
    entries = list(db.session.execute(select(Review).where(Review.visit_id == visit.id)).scalars())
    revised = []
    for row in rows:
        new = codes if row.kind == "department" and row.department_id == department_id else \
            summary_codes(entries) if row.kind == "joint" else None
        if new is not None and new != row.result_codes:
            row.result, row.result_codes, row.revised_at = result_label(new), list(new), now
            revised.append({"kind": row.kind, "result": row.result, "result_codes": list(new)})
    audit.record(db.session, "result.revise", "visit", visit.id,
                 {**reason, "department_id": department_id, "from": before, "to": list(codes),
                  "published": bool(revised), "revised": revised})


def request_withholding(principal: Principal, visit_id: str, reason: str) -> Disclosure:
    """A department asks not to publish its own entered result; its own leader decides."""
    visit, review = _entry(principal, visit_id)
    if review.status != "approved":
        raise Conflict("只有已审核录入、尚未公示的结果可以申请不予公示。", code="review_wrong_state")
    if _withholding_pending(visit.id, review.department_id):
        raise Conflict("已有待审批的不予公示申请。", code="disclosure_pending")
    d = Disclosure(visit_id=visit.id, department_id=review.department_id, reason=reason,
                   requested_by=principal.user_id, requested_at=utcnow())
    db.session.add(d)
    db.session.flush()
    audit.record(db.session, "result.withhold_request", "visit", visit.id,
                 {"request": d.id, "department_id": d.department_id, "reason": reason})
    return d


def decide_withholding(principal: Principal, request_id: int, approve: bool, note: str | None) -> Disclosure:
    """Decided by a leader of the department whose result it is (Art. 20(3)), never another's."""
    d = db.session.get(Disclosure, request_id)
    if d is None or d.department_id != principal.department_id:
        raise NotFound("申请不存在。", code="disclosure_not_found")
    if not principal.has(Role.DEPT_LEADER):
        raise Forbidden("不予公示须经部门领导审批。", code="role_required")
    if d.status != "requested":
        raise Conflict("该申请已处理。", code="disclosure_decided")
    d.status = "approved" if approve else "rejected"
    d.decided_by, d.decided_at, d.decision_note = principal.user_id, utcnow(), note
    if approve:
        review = db.session.get(Review, (d.visit_id, d.department_id))
        review.status, review.updated_at = "withheld", utcnow()
        announce(db.session.get(Visit, d.visit_id))
    audit.record(db.session, "result.withhold_" + ("approve" if approve else "reject"), "visit", d.visit_id,
                 {"request": d.id, "department_id": d.department_id, "note": note, "reason": d.reason})
    return d


def disclosure_view(d: Disclosure, visit: Visit | None = None) -> dict:
    """A withholding request as the desk shows it: the record it is about and who asked and decided."""
    visit = visit or db.session.get(Visit, d.visit_id)
    obj = db.session.get(InspectionObject, visit.object_id)
    task = db.session.get(InspectionTask, visit.task_id)
    review = db.session.get(Review, (d.visit_id, d.department_id))
    dept = db.session.get(Department, d.department_id)

    def name(uid):
        u = db.session.get(User, uid) if uid else None
        return u.display_name if u else None

    return {"id": d.id, "visit_id": d.visit_id, "reason": d.reason, "status": d.status,
            "requested_at": d.requested_at, "requested_by": name(d.requested_by), "decided_at": d.decided_at,
            "decided_by": name(d.decided_by), "decision_note": d.decision_note, "object_name": obj.name,
            "credit_code": obj.credit_code, "task_name": task.name, "department_id": d.department_id,
            "department": dept.code, "department_name": dept.name,
            "result": result_label(review.result_codes) if review else None}


def withholdings(principal: Principal, status: str | None = None) -> list[dict]:
    """Withholding requests for the department's own entries (the office and auditors: all), open ones first."""
    stmt = select(Disclosure, Visit).join(Visit, Visit.id == Disclosure.visit_id)
    if not principal.sees_everything:
        stmt = stmt.where(Disclosure.department_id == principal.department_id)
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
            "market_entity": r.market_entity, "kind": r.kind, "kind_label": PUBLISHED_KINDS.get(r.kind, r.kind),
            "revised_on": r.revised_at.astimezone(SHANGHAI).date().isoformat() if r.revised_at else None,
            "corrected_on": r.corrected_at.astimezone(SHANGHAI).date().isoformat() if r.corrected_at else None,
            "id": r.id}
