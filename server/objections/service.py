"""Filing, looking up and deciding objections to published results.

Anyone may object to a published row with a contact; the filer gets a reference number to look
the objection up. The publishing department accepts it (the entered result is corrected; the
public row is revised in place and marked 已更正 with the date) or rejects it with reasons. Every
step is an audit entry; the contact is never in the audit data or on a public page."""
from __future__ import annotations

import datetime as dt
import secrets

from sqlalchemy import select

from ..accounts.auth import Principal
from ..accounts.models import User
from ..audit import service as audit
from ..errors import Conflict, Invalid, NotFound, field_error
from ..extensions import db
from ..review.models import PublishedResult
from ..review.publication import correct_summary, public_row, revise_entered_result
from ..types import SHANGHAI, utcnow
from ..visits.models import Visit
from ..visits.rules import RESULT_CODES
from .models import OBJECTION_STATUSES, Objection

ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read over the phone


def new_reference(now: dt.datetime) -> str:
    return "YY" + now.astimezone(SHANGHAI).strftime("%Y%m%d") + "-" + "".join(secrets.choice(ALPHABET) for _ in range(8))


def file_objection(result_id: int, name: str, contact: str, text: str) -> Objection:
    row = db.session.get(PublishedResult, result_id)
    if row is None:
        raise NotFound("公示结果不存在。", code="objection_result_not_found")
    now = utcnow()
    obj = Objection(reference=new_reference(now), result_id=row.id, visit_id=row.visit_id,
                    department_id=row.department_id, name=name.strip(), contact=contact.strip(),
                    text=text.strip(), filed_at=now, status="filed")
    db.session.add(obj)
    db.session.flush()
    audit.record(db.session, "objection.file", "visit", row.visit_id,
                 {"objection": obj.id, "reference": obj.reference, "result": row.result})
    return obj


def by_reference(reference: str) -> Objection:
    obj = db.session.execute(select(Objection).where(Objection.reference == reference.strip().upper())).scalar_one_or_none()
    if obj is None:
        raise NotFound("没有这个异议编号，请核对后再查。", code="objection_not_found")
    return obj


def _day(ts: dt.datetime | None) -> str | None:
    return ts.astimezone(SHANGHAI).date().isoformat() if ts else None


def public_view(obj: Objection) -> dict:
    """What the filer sees by reference number: no contact, no staff names."""
    row = db.session.get(PublishedResult, obj.result_id)
    return {"reference": obj.reference, "status": obj.status, "status_label": OBJECTION_STATUSES[obj.status],
            "filed_on": _day(obj.filed_at), "decided_on": _day(obj.decided_at), "decision_reason": obj.decision_reason,
            "object_name": row.object_name, "task_name": row.task_name, "result": row.result,
            "corrected_on": _day(row.corrected_at)}


def staff_view(obj: Objection) -> dict:
    decider = db.session.get(User, obj.decided_by) if obj.decided_by else None
    return {**public_view(obj), "id": obj.id, "visit_id": obj.visit_id, "name": obj.name, "contact": obj.contact,
            "text": obj.text, "filed_at": obj.filed_at, "decided_at": obj.decided_at,
            "decided_by": decider.display_name if decider else None,
            "result_codes": list(db.session.get(PublishedResult, obj.result_id).result_codes or []),
            "result_before": obj.result_before, "result_after": obj.result_after}


def staff_list(principal: Principal, status: str | None = None) -> list[dict]:
    stmt = select(Objection).order_by(Objection.id)
    if not principal.sees_everything:
        stmt = stmt.where(Objection.department_id == principal.department_id)
    if status:
        stmt = stmt.where(Objection.status == status)
    rows = [staff_view(o) for o in db.session.execute(stmt).scalars()]
    rows.sort(key=lambda r: r["status"] != "filed")
    return rows


def _open(principal: Principal, objection_id: int) -> Objection:
    obj = db.session.get(Objection, objection_id)
    if obj is None or obj.department_id != principal.department_id:
        raise NotFound("异议不存在。", code="objection_not_found")
    if obj.status != "filed":
        raise Conflict(f"该异议已处理（{OBJECTION_STATUSES[obj.status]}）。", code="objection_decided")
    return obj


def check_codes(codes: list[str]) -> list[str]:
    codes = list(dict.fromkeys(codes))
    unknown = [c for c in codes if c not in RESULT_CODES]
    if not codes or unknown or ("1" in codes and len(codes) > 1):
        raise Invalid("更正后的检查结果须为有效的结果代码，且“未发现问题”不能与其他结果同时选择。",
                      code="validation_failed", errors=[field_error("result_codes", "结果代码无效。")])
    return codes


def accept(principal: Principal, objection_id: int, codes: list[str], reason: str) -> Objection:
    """The objection is founded: the publishing department's entered result becomes `codes` (for a
    joint check's summary: the summary row), the public row is revised and marked corrected (已更正)
    with today's date."""
    obj = _open(principal, objection_id)
    codes = check_codes(codes)
    row = db.session.get(PublishedResult, obj.result_id)
    before = list(row.result_codes or [])
    if codes == before:
        raise Invalid("更正后的结果与公示结果相同；异议不成立的，请选择不予采纳并说明理由。", code="objection_no_change",
                      errors=[field_error("result_codes", "与公示结果相同。")])
    why = {"reason": "objection", "objection": obj.id, "reference": obj.reference, "note": reason}
    if row.kind == "joint":
        correct_summary(row, codes, why)
    else:
        revise_entered_result(db.session.get(Visit, obj.visit_id), row.department_id, why, codes)
    now = utcnow()
    row.corrected_at = now
    obj.status, obj.decision_reason, obj.decided_by, obj.decided_at = "accepted", reason, principal.user_id, now
    obj.result_before, obj.result_after = before, codes
    audit.record(db.session, "objection.accept", "visit", obj.visit_id,
                 {"objection": obj.id, "reference": obj.reference, "from": before, "to": codes, "reason": reason,
                  "public": public_row(row)["result"]})
    return obj


def reject(principal: Principal, objection_id: int, reason: str) -> Objection:
    obj = _open(principal, objection_id)
    obj.status, obj.decision_reason, obj.decided_by, obj.decided_at = "rejected", reason, principal.user_id, utcnow()
    audit.record(db.session, "objection.reject", "visit", obj.visit_id,
                 {"objection": obj.id, "reference": obj.reference, "reason": reason})
    return obj


def result_choices() -> list[dict]:
    return [{"code": c, "label": label} for c, label in RESULT_CODES.items()]
