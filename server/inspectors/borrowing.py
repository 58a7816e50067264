"""Same-industry borrowing (Art. 17): a department short of inspectors names another
department whose directory it may draw from.

The borrowing department's admin records the agreement with a reason and a validity period;
the two departments must share an industry field (`Department.industry_tags`: "同行业部门").
The lending department's admin then consents (`consent_agreement`); until then the agreement
cannot be used in a draw. The office sees every agreement, each department the ones it is
party to. The borrower's admin, the lender's admin or the office may revoke it. The draw asks
`usable_agreement` (or `lenders_for`) and records the borrowing it actually used in the draw
itself.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Select, literal, or_, select

from ..accounts.auth import Principal
from ..accounts.models import Department, Role
from ..audit import service as audit
from ..errors import Conflict, Forbidden, Invalid, NotFound, field_error
from ..extensions import db
from ..types import local_today, utcnow
from .access import DEPT_READERS, get_row
from .declarations import check_period
from .models import BorrowAgreement


def borrow_view(row: BorrowAgreement) -> dict:
    return {"department_id": row.department_id, "lender_department_id": row.lender_department_id,
            "reason": row.reason, "valid_from": row.valid_from.isoformat(), "valid_until": row.valid_until.isoformat()}


def shared_fields(a: Department, b: Department) -> list[str]:
    """The industry fields two departments share (Art. 17: "同行业部门" share at least one)."""
    return sorted(set(a.industry_tags or []) & set(b.industry_tags or []))


def active_on(on: dt.date):
    """SQL truth of "the agreement is in force on `on`" (consented, not revoked, in its period)."""
    b = BorrowAgreement
    return (b.revoked_at.is_(None), b.consented_at.is_not(None), b.valid_from <= on, b.valid_until >= on)


def lenders_for(department_id: int, on: dt.date) -> list[int]:
    """Ids of the departments `department_id` may borrow inspectors from on `on`, ascending."""
    b = BorrowAgreement
    stmt = select(b.lender_department_id).where(b.department_id == department_id, *active_on(on)).distinct()
    return sorted(db.session.execute(stmt).scalars())


def usable_agreement(borrower_id: int, lender_id: int, on: dt.date) -> BorrowAgreement:
    """The agreement a draw on `on` may use for `borrower_id` to borrow from `lender_id`, or
    `Invalid` naming why not: none in force, no consent yet, or no longer the same field."""
    b = BorrowAgreement
    rows = db.session.execute(select(b).where(
        b.department_id == borrower_id, b.lender_department_id == lender_id, b.revoked_at.is_(None),
        b.valid_from <= on, b.valid_until >= on).order_by(b.id)).scalars().all()
    borrower, lender = db.session.get(Department, borrower_id), db.session.get(Department, lender_id)
    names = (borrower.name if borrower else borrower_id, lender.name if lender else lender_id)
    if not rows:
        raise Invalid(f"“{names[0]}”与“{names[1]}”没有当前有效的借调约定（第十七条）。", code="borrow_not_allowed")
    consented = [r for r in rows if r.consented_at is not None]
    if not consented:
        raise Invalid(f"“{names[1]}”尚未同意“{names[0]}”的借调约定，借调人员不能参加抽取。",
                      code="borrow_not_consented")
    if not shared_fields(borrower, lender):
        raise Invalid(f"“{names[0]}”与“{names[1]}”不属于同一行业领域，不能借调执法检查人员（第十七条）。",
                      code="borrow_not_same_field")
    return consented[0]


def create_agreement(p: Principal | None, data: dict, borrower_id: int | None = None) -> BorrowAgreement:
    """The borrower is the caller's own department (`borrower_id` only from the command line)."""
    if p is not None and not p.has(Role.DEPT_ADMIN):
        raise Forbidden("借调约定由借入部门的管理员登记。", code="role_required")
    borrower = p.department_id if p is not None else borrower_id
    if borrower is None or db.session.get(Department, borrower) is None:
        raise Invalid("借入部门不存在。", code="department_not_found")
    lender_id = data["lender_department_id"]
    lender = db.session.get(Department, lender_id)
    if lender is None:
        raise Invalid("出借部门不存在。", code="department_not_found",
                      errors=[field_error("lender_department_id", "部门不存在。")])
    if lender.id == borrower:
        raise Invalid("不能向本部门借调执法检查人员。", code="borrow_from_self",
                      errors=[field_error("lender_department_id", "不能是本部门。")])
    if not shared_fields(db.session.get(Department, borrower), lender):
        raise Invalid(f"“{lender.name}”与本部门没有相同的行业领域，只能从同行业部门借调执法检查人员（第十七条）。",
                      code="borrow_not_same_field",
                      errors=[field_error("lender_department_id", "不是同行业部门。")])
    check_period(data["valid_from"], data["valid_until"], "valid_from", "valid_until")
    reason = data["reason"].strip()
    if len(reason) < 2:
        raise Invalid("请说明借调理由。", code="reason_required", errors=[field_error("reason", "请说明借调理由。")])
    b = BorrowAgreement
    overlap = db.session.execute(select(b.id).where(
        b.department_id == borrower, b.lender_department_id == lender.id, b.revoked_at.is_(None),
        b.valid_from <= data["valid_until"], b.valid_until >= data["valid_from"])).first()
    if overlap:
        raise Conflict(f"与“{lender.name}”已有有效期重叠的借调约定。", code="borrow_exists")
    row = BorrowAgreement(department_id=borrower, lender_department_id=lender.id, reason=reason,
                          valid_from=data["valid_from"], valid_until=data["valid_until"],
                          created_by=p.user_id if p is not None else None, created_at=utcnow())
    db.session.add(row)
    db.session.flush()
    audit.record(db.session, "inspector.borrow_create", "inspector_borrowing", row.id, borrow_view(row))
    return row


def _party(p: Principal, row: BorrowAgreement) -> bool:
    return p.department_id in (row.department_id, row.lender_department_id)


def visible_agreement(p: Principal, agreement_id: int) -> BorrowAgreement:
    row = get_row(BorrowAgreement, agreement_id)
    if row is None or not (p.sees_everything or (_party(p, row) and p.has(*DEPT_READERS))):
        raise NotFound("借调约定不存在。", code="borrowing_not_found")
    return row


def agreements_stmt(p: Principal, f: dict) -> Select:
    b = BorrowAgreement
    stmt = select(b)
    if not p.sees_everything:
        if not p.has(*DEPT_READERS):
            return stmt.where(literal(False))
        stmt = stmt.where(or_(b.department_id == p.department_id, b.lender_department_id == p.department_id))
    if f.get("department_id") is not None:
        stmt = stmt.where(or_(b.department_id == f["department_id"], b.lender_department_id == f["department_id"]))
    if f.get("active_on") is not None:
        stmt = stmt.where(*active_on(f["active_on"]))
    return stmt


def consent_agreement(p: Principal, agreement_id: int, note: str | None) -> BorrowAgreement:
    """The lending department's admin agrees to lend (Art. 17); only then can a draw use it."""
    row = visible_agreement(p, agreement_id)
    if not (p.has(Role.DEPT_ADMIN) and p.department_id == row.lender_department_id):
        raise Forbidden("只有出借部门的管理员可以同意借调约定。", code="not_lender_admin")
    if row.revoked_at is not None:
        raise Conflict("该借调约定已撤销，不能再同意。", code="borrowing_already_revoked")
    if row.consented_at is not None:
        raise Conflict("出借部门已同意该借调约定。", code="borrowing_already_consented")
    if row.valid_until < local_today():
        raise Conflict("该借调约定已过有效期。", code="borrowing_expired")
    if not shared_fields(row.department, row.lender):
        raise Conflict("借调双方已不属于同一行业领域，不能同意该借调约定（第十七条）。", code="borrow_not_same_field")
    row.consented_at = utcnow()
    row.consented_by = p.user_id
    row.consent_note = (note or "").strip() or None
    audit.record(db.session, "inspector.borrow_consent", "inspector_borrowing", row.id,
                 {"lender_department_id": row.lender_department_id, "note": row.consent_note})
    return row


def revoke_agreement(p: Principal, agreement_id: int, reason: str) -> BorrowAgreement:
    """Either party's admin, or the office, ends the agreement early."""
    row = visible_agreement(p, agreement_id)
    if not (p.has(Role.OFFICE_ADMIN) or (p.has(Role.DEPT_ADMIN) and _party(p, row))):
        raise Forbidden("只有借调双方的部门管理员或办公室管理员可以撤销借调约定。", code="not_party_admin")
    if row.revoked_at is not None:
        raise Conflict("该借调约定已撤销。", code="borrowing_already_revoked")
    row.revoked_at = utcnow()
    row.revoked_by = p.user_id
    row.revoke_reason = reason.strip()
    audit.record(db.session, "inspector.borrow_revoke", "inspector_borrowing", row.id, {"reason": row.revoke_reason})
    return row
