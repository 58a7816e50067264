"""Unavailable periods and conflict-of-interest declarations of inspectors.

Both are self-service: an inspector records their own leave and declares their own conflicts
(the product's preferred path); administrators do it for their department's inspectors,
including external experts who have no account. Conflicts are withdrawn, never deleted.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Select, literal, or_, select

from ..accounts.auth import Principal
from ..accounts.models import Role
from ..audit import service as audit
from ..errors import Conflict, Forbidden, Invalid, NotFound, field_error
from ..extensions import db
from ..identifiers import check_credit_code
from ..registry.models import InspectionObject
from ..types import local_today, utcnow
from .access import (existing_inspector, get_row, manages_department, reads_conflicts, self_service_inspector,
                     visible_inspector)
from .models import UNAVAILABILITY_REASONS, ConflictDeclaration, Inspector, InspectorUnavailability

MAX_PERIOD_DAYS = 3 * 366


def _actor_id(p: Principal | None) -> int | None:
    return p.user_id if p is not None else None


def _inspector(p: Principal | None, inspector_id: int, what: str) -> Inspector:
    return self_service_inspector(p, inspector_id, what) if p is not None else existing_inspector(inspector_id)


def check_period(start: dt.date, end: dt.date | None, start_field: str, end_field: str) -> None:
    """Dates in order, with a Chinese message naming the field."""
    if end is not None and end < start:
        raise Invalid("结束日期不能早于开始日期。", code="dates_reversed",
                      errors=[field_error(end_field, f"结束日期不能早于开始日期（{start_field}）。")])


# --- unavailable periods ------------------------------------------------------------------

def unavailability_view(row: InspectorUnavailability) -> dict:
    return {"inspector_id": row.inspector_id, "start_date": row.start_date.isoformat(),
            "end_date": row.end_date.isoformat(), "reason": row.reason, "note": row.note}


def list_unavailability(p: Principal, inspector_id: int) -> list[InspectorUnavailability]:
    """Everyone who can see the inspector sees when they are away: leaders plan with it."""
    visible_inspector(p, inspector_id)
    stmt = (select(InspectorUnavailability).where(InspectorUnavailability.inspector_id == inspector_id)
            .order_by(InspectorUnavailability.start_date, InspectorUnavailability.id))
    return list(db.session.execute(stmt).scalars())


def add_unavailability(p: Principal | None, inspector_id: int, data: dict) -> InspectorUnavailability:
    """Record leave, training, sickness, secondment or another absence (dates inclusive)."""
    insp = _inspector(p, inspector_id, "登记不可用期间")
    start, end = data["start_date"], data["end_date"]
    check_period(start, end, "start_date", "end_date")
    if (end - start).days >= MAX_PERIOD_DAYS:
        raise Invalid("单次不可用期间不能超过三年；长期不在岗请停用该检查人员。", code="period_too_long",
                      errors=[field_error("end_date", "单次不可用期间不能超过三年。")])
    reason = data["reason"]
    if reason not in UNAVAILABILITY_REASONS:
        raise Invalid("不可用原因无效。", code="bad_reason", errors=[field_error("reason", "不可用原因无效。")])
    note = (data.get("note") or "").strip() or None
    if reason == "other" and not note:
        raise Invalid("原因为“其他”时须填写说明。", code="note_required", errors=[field_error("note", "请填写说明。")])
    overlap = db.session.execute(select(InspectorUnavailability).where(
        InspectorUnavailability.inspector_id == insp.id,
        InspectorUnavailability.start_date <= end, InspectorUnavailability.end_date >= start)).scalars().first()
    if overlap is not None:
        raise Conflict(f"与已登记的不可用期间（{overlap.start_date}至{overlap.end_date}）重叠。",
                       code="unavailability_overlap")
    row = InspectorUnavailability(inspector_id=insp.id, start_date=start, end_date=end, reason=reason, note=note,
                                  created_by=_actor_id(p))
    db.session.add(row)
    db.session.flush()
    audit.record(db.session, "inspector.unavailability_add", "inspector_unavailability", row.id,
                 unavailability_view(row))
    return row


def delete_unavailability(p: Principal | None, inspector_id: int, period_id: int) -> None:
    """Remove a period (plans change); the audit log keeps what it was."""
    insp = _inspector(p, inspector_id, "删除不可用期间")
    row = get_row(InspectorUnavailability, period_id)
    if row is None or row.inspector_id != insp.id:
        raise NotFound("不可用期间不存在。", code="unavailability_not_found")
    audit.record(db.session, "inspector.unavailability_delete", "inspector_unavailability", row.id,
                 unavailability_view(row))
    db.session.delete(row)


# --- conflict-of-interest declarations --------------------------------------------------------

def conflict_view(row: ConflictDeclaration) -> dict:
    return {"inspector_id": row.inspector_id, "object_id": row.object_id, "credit_code": row.credit_code,
            "reason": row.reason, "valid_from": row.valid_from.isoformat(),
            "valid_until": row.valid_until.isoformat() if row.valid_until else None}


def _overlapping(start: dt.date, end: dt.date | None):
    c = ConflictDeclaration
    clauses = [c.valid_until.is_(None) | (c.valid_until >= start)]
    if end is not None:
        clauses.append(c.valid_from <= end)
    return clauses


def declare_conflict(p: Principal | None, inspector_id: int, data: dict) -> ConflictDeclaration:
    """Declare a conflict of interest with an object (by id) and/or a credit code."""
    insp = _inspector(p, inspector_id, "申报利害关系")
    object_id = data.get("object_id")
    raw_code = data.get("credit_code")
    credit_code = None
    if raw_code is not None and raw_code.strip():
        check = check_credit_code(raw_code)
        if not check.ok:
            msg = f"统一社会信用代码有误：{check.message}。"
            raise Invalid(msg, code="bad_credit_code", errors=[field_error("credit_code", msg)],
                          extra={"position": check.position} if check.position else None)
        credit_code = check.normalized
    if object_id is not None:
        if db.session.get(InspectionObject, object_id) is None:
            msg = "检查对象不存在。"
            raise Invalid(msg, code="object_not_found", errors=[field_error("object_id", msg)])
    if object_id is None and credit_code is None:
        msg = "须指明存在利害关系的检查对象或其统一社会信用代码。"
        raise Invalid(msg, code="conflict_target_required",
                      errors=[field_error("object_id", msg), field_error("credit_code", msg)])
    valid_from = data.get("valid_from") or local_today()
    valid_until = data.get("valid_until")
    check_period(valid_from, valid_until, "valid_from", "valid_until")
    reason = data["reason"].strip()
    if len(reason) < 2:
        raise Invalid("请说明利害关系（至少 2 个字）。", code="reason_required", errors=[field_error("reason", "请说明利害关系。")])
    c = ConflictDeclaration
    same_target = []
    if object_id is not None:
        same_target.append(c.object_id == object_id)
    if credit_code is not None:
        same_target.append(c.credit_code == credit_code)
    duplicate = db.session.execute(select(c.id).where(
        c.inspector_id == insp.id, c.withdrawn_at.is_(None), or_(*same_target),
        *_overlapping(valid_from, valid_until))).first()
    if duplicate:
        raise Conflict("已有一份针对同一对象、有效期重叠的利害关系申报。", code="conflict_already_declared")
    row = ConflictDeclaration(inspector_id=insp.id, object_id=object_id, credit_code=credit_code, reason=reason,
                              valid_from=valid_from, valid_until=valid_until, declared_by=_actor_id(p),
                              created_at=utcnow())
    db.session.add(row)
    db.session.flush()
    audit.record(db.session, "inspector.conflict_declare", "inspector_conflict", row.id, conflict_view(row))
    return row


def withdraw_conflict(p: Principal | None, inspector_id: int, conflict_id: int, reason: str) -> ConflictDeclaration:
    """Withdraw a declaration (kept on record). An inspector withdraws only what they declared
    themself: a conflict an administrator recorded about them is not theirs to lift."""
    insp = _inspector(p, inspector_id, "撤回利害关系申报")
    row = get_row(ConflictDeclaration, conflict_id)
    if row is None or row.inspector_id != insp.id:
        raise NotFound("利害关系申报不存在。", code="conflict_not_found")
    if p is not None and not manages_department(p, insp.department_id) and row.declared_by != p.user_id:
        raise Forbidden("这份申报由管理员登记，只能由管理员撤回。", code="declared_by_admin")
    if row.withdrawn_at is not None:
        raise Conflict("该申报已撤回。", code="conflict_already_withdrawn")
    row.withdrawn_at = utcnow()
    row.withdrawn_by = _actor_id(p)
    row.withdraw_reason = reason.strip()
    audit.record(db.session, "inspector.conflict_withdraw", "inspector_conflict", row.id,
                 {"inspector_id": insp.id, "reason": row.withdraw_reason})
    return row


def list_conflicts(p: Principal, inspector_id: int, include_withdrawn: bool = True) -> list[ConflictDeclaration]:
    """One inspector's declarations: the inspector, their department's admins, office, auditors."""
    insp = visible_inspector(p, inspector_id)
    if not reads_conflicts(p, insp):
        raise Forbidden("利害关系申报仅本人、本部门管理员、办公室和审计人员可以查看。", code="conflicts_restricted")
    stmt = select(ConflictDeclaration).where(ConflictDeclaration.inspector_id == insp.id)
    if not include_withdrawn:
        stmt = stmt.where(ConflictDeclaration.withdrawn_at.is_(None))
    return list(db.session.execute(stmt.order_by(ConflictDeclaration.id)).scalars())


def conflicts_stmt(p: Principal, f: dict) -> Select:
    """Declarations across the directory: a department admin sees their department's,
    the office and auditors everyone's."""
    c = ConflictDeclaration
    stmt = select(c).join(Inspector, Inspector.id == c.inspector_id)
    if not p.sees_everything:
        if not p.has(Role.DEPT_ADMIN):
            return stmt.where(literal(False))
        stmt = stmt.where(Inspector.department_id == p.department_id)
    if f.get("department_id") is not None:
        stmt = stmt.where(Inspector.department_id == f["department_id"])
    if f.get("object_id") is not None:
        stmt = stmt.where(c.object_id == f["object_id"])
    if f.get("credit_code"):
        stmt = stmt.where(c.credit_code == check_credit_code(f["credit_code"]).normalized)
    if not f.get("include_withdrawn"):
        stmt = stmt.where(c.withdrawn_at.is_(None))
    return stmt

