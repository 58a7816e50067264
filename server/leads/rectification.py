"""Rectification orders (责令限期改正) and their follow-up.

An order names a finding of a sealed record and a deadline (a date, or a
number of working days counted from the day after the check). When the
deadline has passed, `process_due` creates a follow-up task with one
re-inspection visit for the same team; the visit reaches the team's phones
through their next sync pull. The decision after the re-inspection:
rectified → result code E is appended to the original record (an amendment:
the sealed version stays intact); not rectified → a lead (to the own
case-handling unit, i.e. a case, or to another competent department).
"""
from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import select

from ..accounts.auth import Principal
from ..audit import service as audit
from ..canonical import jcs_sha256
from ..draws.access import set_departments
from ..draws.models import InspectionTask
from ..errors import Conflict, Invalid, NotFound, field_error
from ..extensions import db
from ..pagination import keyset_page
from ..registry.models import InspectionObject
from ..review.entries import responsible_department
from ..review.publication import revise_entered_result
from ..types import local_today, utcnow
from ..visits.announce import announce
from ..visits.assignments import VISIT_NAMESPACE
from ..visits.jsonpatch import apply_patch
from ..visits.models import Visit, VisitMember, Amendment, Finding, VisitRecord
from ..visits.views import current_view
from .models import RectificationOrder
from .service import authored_finding, cfg, create_lead, due_after

OPEN, FOLLOW_UP, RECTIFIED, NOT_RECTIFIED = "open", "follow_up", "rectified", "not_rectified"
ORDER_STATUSES = {OPEN: "整改期内", FOLLOW_UP: "已到期，待复查", RECTIFIED: "已改正", NOT_RECTIFIED: "逾期未改正"}


def create_order(principal: Principal, args: dict) -> RectificationOrder:
    finding, visit, record, task = authored_finding(principal, args["finding_id"])
    if record is None or record.sealed_at is None:
        raise Conflict("检查记录尚未签名封存，不能下达整改令。", code="record_not_sealed")
    if db.session.execute(select(RectificationOrder.id).where(RectificationOrder.finding_id == finding.id)).first():
        raise Conflict("这个问题已经下达过整改令。", code="rectification_exists")
    workdays = args.get("deadline_workdays")
    deadline = args.get("deadline_on")
    if workdays is not None and deadline is not None:
        raise Invalid("整改期限请填写日期或工作日数之一。", code="validation_failed",
                      errors=[field_error("deadline_on", "与 deadline_workdays 只能选一个。")])
    if workdays is not None:
        deadline = due_after(record.check_ended_on or local_today(), workdays)
        if deadline is None:
            raise Invalid("工作日历缺少所需年份，无法按工作日计算期限，请改填日期。", code="calendar_missing",
                          errors=[field_error("deadline_workdays", "日历缺失。")])
    deadline = deadline or finding.rectify_deadline
    if deadline is None:
        raise Invalid("请填写整改期限（日期或工作日数）。", code="validation_failed",
                      errors=[field_error("deadline_on", "须填写期限。")])
    order = RectificationOrder(visit_id=visit.id, finding_id=finding.id, object_id=visit.object_id,
                               department_id=finding.department_id, deadline_workdays=workdays, deadline_on=deadline,
                               status=OPEN, created_by=principal.user_id, created_at=utcnow())
    db.session.add(order)
    db.session.flush()
    audit.record(db.session, "rectification.create", "rectification", order.id,
                 {"visit_id": visit.id, "finding_id": finding.id, "deadline_on": deadline.isoformat(),
                  "deadline_workdays": workdays})
    return order


def page(principal: Principal, args: dict) -> dict:
    stmt = select(RectificationOrder)
    if not principal.sees_everything:
        tasks = select(InspectionTask.id).where(InspectionTask.initiating_department_id == principal.department_id)
        visits = select(Visit.id).where(Visit.task_id.in_(tasks))
        stmt = stmt.where((RectificationOrder.department_id == principal.department_id)
                          | RectificationOrder.visit_id.in_(visits))
    if args.get("status"):
        stmt = stmt.where(RectificationOrder.status == args["status"])
    result = keyset_page(stmt, RectificationOrder.id, args["limit"], args.get("cursor"), descending=True)
    _load_shown(result["items"])
    return result


def _load_shown(orders: list[RectificationOrder]) -> None:
    """What a page of orders shows beside each (object, finding, follow-up visit and its record), in
    one query per kind, kept on each order as ``shown`` for the schema (`RectificationSchema`); a
    follow-up visit not started yet has no record, which is known too."""
    followups = {o.followup_visit_id for o in orders if o.followup_visit_id}
    loaded = {}
    for model, ids in ((InspectionObject, {o.object_id for o in orders}), (Finding, {o.finding_id for o in orders}),
                       (Visit, followups), (VisitRecord, followups)):
        key = model.__mapper__.primary_key[0]
        rows = db.session.execute(select(model).where(key.in_(sorted(ids)))).scalars().all() if ids else []
        loaded[model] = {getattr(r, key.key): r for r in rows}
    for o in orders:
        o.shown = {"object": loaded[InspectionObject].get(o.object_id), "finding": loaded[Finding].get(o.finding_id),
                   "visit": loaded[Visit].get(o.followup_visit_id), "record": loaded[VisitRecord].get(o.followup_visit_id)}


# --- the deadline passes ------------------------------------------------------------------

def process_due(today: dt.date | None = None) -> list[RectificationOrder]:
    """Create the follow-up visit of every open order whose deadline has passed (no commit)."""
    today = today or local_today()
    due = db.session.execute(select(RectificationOrder).where(
        RectificationOrder.status == OPEN, RectificationOrder.deadline_on < today)
        .order_by(RectificationOrder.id)).scalars().all()
    for order in due:
        create_followup(order, today)
    return due


def followup_visit_id(order_id: int) -> str:
    """Deterministic, so a retried run creates the very same visit."""
    return str(uuid.uuid5(VISIT_NAMESPACE, f"rectification:{order_id}"))


def create_followup(order: RectificationOrder, today: dt.date) -> Visit:
    original = db.session.get(Visit, order.visit_id)
    task = db.session.get(InspectionTask, original.task_id)
    window_end = due_after(today, int(cfg("LEAD_FOLLOWUP_WINDOW_WORKDAYS", 10))) or today + dt.timedelta(days=14)
    follow = InspectionTask(code=f"{task.code}-R{order.id}"[:80], name=f"{task.name}（整改复查）"[:200],
                            plan_task_id=task.plan_task_id, initiating_department_id=task.initiating_department_id,
                            participating_department_ids=list(task.participating_department_ids or []),
                            window_start=today, window_end=window_end, status="follow_up",
                            launched_by=order.created_by, launched_at=utcnow())
    db.session.add(follow)
    db.session.flush()
    set_departments(follow)
    visit = Visit(id=followup_visit_id(order.id), task_id=follow.id, object_id=original.object_id,
                  stratum=original.stratum, rank=1, status="not_started", version=1, created_at=utcnow())
    visit.members = [VisitMember(position=m.position, inspector_id=m.inspector_id, user_id=m.user_id,
                                 department_id=m.department_id, role=m.role, active=True)
                     for m in original.members if m.active]
    db.session.add(visit)
    db.session.flush()
    announce(visit)
    order.status, order.followup_task_id, order.followup_visit_id = FOLLOW_UP, follow.id, visit.id
    audit.record(db.session, "rectification.follow_up", "rectification", order.id,
                 {"task_id": follow.id, "task_code": follow.code, "visit_id": visit.id,
                  "deadline_on": order.deadline_on.isoformat(), "members": [m.inspector_id for m in visit.members]})
    return visit


# --- the decision ---------------------------------------------------------------------------

def decide(principal: Principal, order_id: int, args: dict) -> RectificationOrder:
    order = db.session.get(RectificationOrder, order_id)
    if order is None:
        raise NotFound("整改令不存在。", code="rectification_not_found")
    try:
        checked = authored_finding(principal, order.finding_id)  # only those who may order may decide
    except NotFound:
        raise NotFound("整改令不存在。", code="rectification_not_found")
    if order.status not in (OPEN, FOLLOW_UP):
        raise Conflict(f"整改令当前为“{ORDER_STATUSES[order.status]}”，已作出决定。", code="rectification_decided")
    now = utcnow()
    order.decision_note, order.decided_by, order.decided_at = args.get("note"), principal.user_id, now
    if args["rectified"]:
        order.status = RECTIFIED
        _mark_rectified(principal, order)
    else:
        spec = args.get("lead")
        if not spec:
            raise Invalid("逾期未改正的，须移送案件办理机构或有管辖权的部门。", code="validation_failed",
                          errors=[field_error("lead", "须填写移送信息。")])
        lead = create_lead(principal, {**spec, "finding_id": order.finding_id}, origin="rectification",
                           rectification_id=order.id, checked=checked)
        order.status, order.lead_id = NOT_RECTIFIED, lead.id
    audit.record(db.session, "rectification.decide", "rectification", order.id,
                 {"status": order.status, "note": order.decision_note, "lead_id": order.lead_id})
    return order


def _mark_rectified(principal: Principal, order: RectificationOrder) -> None:
    """Result code E on the original record, as an amendment (A, "follow-up pending", gives way to E)."""
    visit = db.session.get(Visit, order.visit_id)
    record = db.session.get(VisitRecord, visit.id)
    view = current_view(visit, record)
    codes = list((view.get("outcome") or {}).get("codes") or [])
    new = [c for c in codes if c not in ("A", "E")] + ["E"]
    if new == codes:
        return
    patch = [{"op": "replace", "path": "/outcome/codes", "value": new}]
    apply_patch(view, patch)  # refuses a patch that does not fit, before anything is written
    aid = str(uuid.uuid4())
    reason = f"整改复查：已按责令改正（整改令 {order.id}）"
    db.session.add(Amendment(id=aid, visit_id=visit.id, reason=reason, patch=patch, author_id=principal.user_id,
                             created_at=utcnow()))
    audit.record(db.session, "visit.amendment", "visit", visit.id,
                 {"amendment": aid, "reason": reason, "patch_sha256": jcs_sha256(patch), "rectification": order.id})
    record.version += 1
    visit.version += 1
    finding = db.session.get(Finding, order.finding_id)
    task = db.session.get(InspectionTask, visit.task_id)
    revise_entered_result(visit, responsible_department(task, finding.item_id, order.department_id),
                          {"rectification": order.id})
    announce(visit)
