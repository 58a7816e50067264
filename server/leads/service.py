"""Creating leads from findings of sealed records, and reading them.

A lead is created only when its evidence has fully arrived: the record is
sealed and every media item of it (the selected photos, and everything the
record PDF lists) has been uploaded and verified. The lead, its first
timeline step and the message to the receiving department are written in the
caller's transaction (transactional outbox): the caller commits them together.
"""
from __future__ import annotations

import datetime as dt

from flask import current_app, has_app_context
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from ..accounts.auth import Principal
from ..accounts.models import Department
from ..calendar.service import work_calendar
from ..catalog.models import CheckItem
from ..dbsetup import begin_write
from ..delivery import outbox
from ..delivery.models import OutboxMessage
from ..draws.models import InspectionTask
from ..errors import ApiError, Conflict, Invalid, NotFound, field_error
from ..extensions import db
from ..pagination import keyset_page
from ..types import local_today, utcnow
from ..visits.hooks import media_arrived
from ..visits.models import Visit, Finding, MediaRef, VisitRecord
from . import access, timeline
from .models import CATEGORIES, OPEN_STATUSES, SENT, Lead
from .schemas import LeadSchema

EVENT_CREATED = "lead.created"


def cfg(key: str, default):
    return current_app.config.get(key, default) if has_app_context() else default


def due_after(start: dt.date, workdays: int) -> dt.date | None:
    """`workdays` working days after `start` (None when a calendar year is missing: no reminder then)."""
    return work_calendar().add_workdays(start, workdays).due


def _finding_context(finding_id: str) -> tuple[Finding, Visit, VisitRecord, InspectionTask]:
    finding = db.session.get(Finding, str(finding_id))
    visit = db.session.get(Visit, finding.visit_id) if finding else None
    if finding is None or visit is None:
        raise NotFound("发现的问题不存在。", code="finding_not_found")
    return finding, visit, db.session.get(VisitRecord, visit.id), db.session.get(InspectionTask, visit.task_id)


def authored_finding(principal: Principal, finding_id: str) -> tuple[Finding, Visit, VisitRecord, InspectionTask]:
    """The finding, if the caller may act on it (else 404, as if it did not exist)."""
    finding, visit, record, task = _finding_context(finding_id)
    if not access.may_author(principal, visit, task, finding.department_id):
        raise NotFound("发现的问题不存在。", code="finding_not_found")
    return finding, visit, record, task


def suggested_department(finding: Finding) -> int:
    """The department that owns the violated item (else the one that recorded the finding)."""
    if finding.item_id is not None:
        item = db.session.get(CheckItem, finding.item_id)
        if item is not None:
            return item.department_id
    return finding.department_id


def suggestion(principal: Principal, finding_id: str) -> dict:
    finding, visit, record, task = authored_finding(principal, finding_id)
    dept_id = suggested_department(finding)
    category = "case_unit" if dept_id == principal.department_id else "department"
    return {"finding_id": finding.id, "category": category, "department_id": dept_id,
            "department_name": db.session.get(Department, dept_id).name, "summary": finding.description,
            "legal_basis": finding.legal_basis, "media_ids": list(finding.media_ids or []),
            "evidence": evidence_state(visit, record)}


def evidence_state(visit: Visit, record: VisitRecord | None) -> dict:
    """Whether a lead may be created now: sealed record, every media item arrived."""
    ids = list(db.session.execute(select(MediaRef.media_id).where(MediaRef.visit_id == visit.id)).scalars())
    arrived = media_arrived(ids)
    pending = sorted(m for m in ids if not arrived.get(m))
    sealed = record is not None and record.sealed_at is not None
    return {"sealed": sealed, "pending_media_ids": pending, "complete": sealed and not pending}


def _require_evidence(visit: Visit, record: VisitRecord | None) -> None:
    state = evidence_state(visit, record)
    if not state["sealed"]:
        raise Conflict("检查记录尚未签名封存，证据未固定，不能移送线索。", code="record_not_sealed")
    if state["pending_media_ids"]:
        n = len(state["pending_media_ids"])
        raise ApiError(f"还有 {n} 个照片或视频尚未上传到服务器，证据到齐后才能移送线索。", code="evidence_pending",
                       status=409, title="证据尚未到齐", extra={"media_ids": state["pending_media_ids"]})


def _selected_media(visit: Visit, finding: Finding, media_ids: list[str] | None) -> list[dict]:
    wanted = [str(m) for m in (finding.media_ids or [] if media_ids is None else media_ids)]
    refs = {m.media_id: m for m in db.session.execute(select(MediaRef).where(
        MediaRef.visit_id == visit.id, MediaRef.kind != "signature")).scalars()}
    unknown = [m for m in wanted if m not in refs]
    if unknown:
        raise Invalid("所选证据不属于这份检查记录。", code="media_not_in_record",
                      errors=[field_error("media_ids", f"不属于该记录：{'、'.join(unknown[:5])}")])
    return [{"media_id": m, "sha256": refs[m].sha256, "kind": refs[m].kind} for m in dict.fromkeys(wanted)]


def create_lead(principal: Principal, args: dict, *, origin: str = "finding", rectification_id: int | None = None,
                checked: tuple | None = None) -> Lead:
    """Create a lead from a finding and queue its message to the receiving department (no commit).

    `args`: finding_id, category, department_id (default: own department for
    `case_unit`, else the suggested one), summary, legal_basis, media_ids.
    """
    finding, visit, record, task = checked or authored_finding(principal, args["finding_id"])
    category = args["category"]
    if category not in CATEGORIES:
        raise Invalid("线索类别无效。", code="validation_failed", errors=[field_error("category", "类别无效。")])
    suggested = suggested_department(finding)
    receiver = args.get("department_id")
    if receiver is None:
        receiver = principal.department_id if category == "case_unit" else suggested
    if db.session.get(Department, receiver) is None:
        raise Invalid("接收部门不存在。", code="department_not_found",
                      errors=[field_error("department_id", "部门不存在。")])
    if category == "case_unit" and receiver != principal.department_id:
        raise Invalid("移交本部门案件办理机构的线索，接收部门须为本部门。", code="validation_failed",
                      errors=[field_error("department_id", "须为本部门。")])
    _require_evidence(visit, record)
    media = _selected_media(visit, finding, args.get("media_ids"))
    now = utcnow()
    lead = Lead(visit_id=visit.id, finding_id=finding.id, object_id=visit.object_id, category=category,
                sender_department_id=principal.department_id, receiver_department_id=receiver,
                suggested_department_id=suggested, summary=args.get("summary") or finding.description,
                legal_basis=args.get("legal_basis") or finding.legal_basis, origin=origin,
                rectification_id=rectification_id, status=SENT, documents=[],
                receipt_due_on=due_after(local_today(), int(cfg("LEAD_RECEIPT_WORKDAYS", 3))),
                created_by=principal.user_id, created_at=now, updated_at=now, version=1,
                evidence={"record": {"visit_id": visit.id, "content_sha256": record.content_sha256,
                                     "sealed_at": record.sealed_at.isoformat()},
                          "media": media})
    db.session.add(lead)
    db.session.flush()
    lead.evidence = {**lead.evidence, "record": {**lead.evidence["record"], "pdf": f"/api/v1/leads/{lead.id}/record.pdf"}}
    msg = outbox.enqueue(db.session, receiver, EVENT_CREATED, "lead", lead.id,
                         sender_department_id=principal.department_id, created_by=principal.user_id)
    db.session.flush()  # the message row first: the lead refers to it
    lead.message_id = msg.id
    timeline.step(lead, "created", {"finding_id": finding.id, "category": category, "receiver_department_id": receiver,
                                    "suggested_department_id": suggested, "message_id": msg.id, "origin": origin,
                                    "media_ids": [m["media_id"] for m in media],
                                    "content_sha256": record.content_sha256},
                  user_id=principal.user_id, department_id=principal.department_id)
    return lead


# --- reading -------------------------------------------------------------------------------

def page(principal: Principal, args: dict) -> dict:
    """Leads the caller's department sent or received (`direction`), newest first; all for the office."""
    stmt = select(Lead)
    direction = args.get("direction") or "all"
    dept = args.get("department_id") if principal.sees_everything else principal.department_id
    if dept is not None:
        if direction == "sent":
            stmt = stmt.where(Lead.sender_department_id == dept)
        elif direction == "received":
            stmt = stmt.where(Lead.receiver_department_id == dept)
        else:
            stmt = stmt.where((Lead.sender_department_id == dept) | (Lead.receiver_department_id == dept))
    if args.get("status"):
        stmt = stmt.where(Lead.status == args["status"])
    if args.get("open"):
        stmt = stmt.where(Lead.status.in_(OPEN_STATUSES))
    if args.get("visit_id"):
        stmt = stmt.where(Lead.visit_id == str(args["visit_id"]))
    # Each lead shows its delivery state: load the page's messages in one query (not one per lead),
    # without their attempt rows, which the list does not show.
    stmt = stmt.options(selectinload(Lead.message).lazyload(OutboxMessage.attempt_rows))
    return keyset_page(stmt, Lead.id, args["limit"], args.get("cursor"), descending=True)


def read_lead(principal: Principal, lead_id: int) -> Lead:
    """A lead for its detail view. Reads by anyone but the sending department (the receiver,
    the office, auditors) are fetches of another department's evidence: logged, like the
    thin-payload fetch through `/api/v1/delivery/subjects/lead/<id>`."""
    lead = access.visible_lead(principal, lead_id)
    if principal.department_id != lead.sender_department_id:
        begin_write()
        lead = access.visible_lead(principal, lead_id)
        timeline.step(lead, "fetched", {"department_id": principal.department_id, "via": "lead_api"},
                      user_id=principal.user_id, department_id=principal.department_id, audit_action="lead.fetch")
        db.session.commit()
    return lead


def subject_view(principal, subject_id: str) -> dict:
    """What a receiver fetches with its own token (`/api/v1/delivery/subjects/lead/<id>`, logged there)."""
    lead = db.session.get(Lead, int(subject_id)) if subject_id.isdigit() else None
    if lead is None:
        raise access.lead_not_found()
    timeline.step(lead, "fetched", {"department_id": principal.department_id}, user_id=principal.user_id,
                  department_id=principal.department_id, audit_action="lead.fetch")
    return LeadSchema().dump(lead)


def counts_by_department() -> dict:
    """{department_id: {status: n}} for received leads (used by the dashboard)."""
    out: dict[int, dict[str, int]] = {}
    for dept, status, n in db.session.execute(select(Lead.receiver_department_id, Lead.status, func.count())
                                              .group_by(Lead.receiver_department_id, Lead.status)):
        out.setdefault(dept, {})[status] = n
    return out
