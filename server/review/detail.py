"""What a reviewer sees for one record, with the signature binding recomputed."""
from __future__ import annotations

from sqlalchemy import or_, select

from media import service as media_service

from ..accounts.models import Department, User
from ..audit.models import AuditEntry
from ..calendar.service import provisional_message, result_deadline
from ..extensions import db
from ..visits.models import Signature, MediaRef
from ..visits.rules import FOLLOWUPS, OUTCOMES, RESULT_CODES
from ..visits.seal import task_item_versions
from ..visits.verification import binding_verified
from ..visits.views import visit_entity, current_view
from .entries import default_codes, departments_that_checked, is_joint, items_of
from .models import REVIEW_STATUSES, Disclosure, PublishedResult, Review
from .pdf_sections import EVIDENCE_LABELS
from .publication import disclosure_view, public_row
from .record import pdf_record
from .service import ENTERED, OPEN, amended_since_sent_back, comments_for, due_of, entered_on_time, entering_department, sealed_visit


def review_detail(principal, visit_id: str) -> dict:
    """The whole record for anyone who may read the task; `review` is the reader's department's own
    entry (the initiating department's for readers without one), `entries` every department's."""
    visit, record, task = sealed_visit(principal, visit_id)
    entries = list(db.session.execute(select(Review).where(Review.visit_id == visit.id)).scalars())
    own = entering_department(principal, task)
    mine = next((e for e in entries if own and e.department_id == own.department_id), None)
    review = mine or next((e for e in entries if e.department_id == task.initiating_department_id), None)
    order = {d.department_id: i for i, d in enumerate(departments_that_checked(task))}
    entries.sort(key=lambda e: order.get(e.department_id, len(order)))
    trail = db.session.execute(select(AuditEntry).where(
        or_(AuditEntry.target_id == visit.id, AuditEntry.target_id == str(visit.task_id))).order_by(AuditEntry.seq)).scalars()
    return {"visit": visit_entity(visit, principal),
            "review": {**entry_view(review, task), "writable": mine is not None,
                       "proposed_labels": _proposed(visit, record, task, mine),
                       "result_choices": _choices(mine)} if review else None,
            "entries": [entry_view(e, task) for e in entries],
            "summary": summary_state(visit.id, task, entries),
            "comments": comments_for(visit.id), "binding_verified": binding_verified(visit, record),
            "withholdings": [disclosure_view(d, visit) for d in db.session.execute(
                select(Disclosure).where(Disclosure.visit_id == visit.id).order_by(Disclosure.id)).scalars()],
            "published": _published(review),
            "sheet": desk_sheet(visit, record, task),
            "audit_trail": [{"seq": e.seq, "at": e.created_at.isoformat(), "action": e.action,
                             "actor_user_id": e.actor_user_id, "actor": _name(e.actor_user_id),
                             "entry_hash": e.entry_hash} for e in trail
                            if e.target_type in ("visit", "task")]}


def entry_view(review: Review, task) -> dict:
    """One department's entry: its state, deadline, codes and its own items."""
    dept = db.session.get(Department, review.department_id)
    items = items_of(task, review.department_id)
    published = db.session.execute(select(PublishedResult.id).where(
        PublishedResult.visit_id == review.visit_id, PublishedResult.department_id == review.department_id,
        PublishedResult.kind == "department")).first() is not None
    return {"department": dept.code, "department_name": dept.name,
            "initiating": review.department_id == task.initiating_department_id,
            "items": list(items.item_codes) if items else [], "status": review.status,
            "status_label": REVIEW_STATUSES[review.status],
            **_deadline(review),
            "check_ended_on": review.check_ended_on.isoformat(), "entered_on_time": entered_on_time(review),
            "entered_at": review.entered_at.isoformat() if review.entered_at else None,
            "result_codes": list(review.result_codes or []),
            "result_labels": [{"code": c, "label": RESULT_CODES.get(c, c)} for c in review.result_codes or []],
            "returned_count": review.returned_count, "published": published,
            "amended_since_sent_back": review.status in OPEN and amended_since_sent_back(review.visit_id,
                                                                                        review.department_id)}


def summary_state(visit_id: str, task, entries: list[Review]) -> dict | None:
    """For a joint check: whether the initiating department's summary is published or may be."""
    if not is_joint(task):
        return None
    row = db.session.execute(select(PublishedResult).where(PublishedResult.visit_id == visit_id,
                                                           PublishedResult.kind == "joint")).scalar_one_or_none()
    waiting = [db.session.get(Department, e.department_id).code for e in entries if e.status not in ENTERED]
    return {"published": row is not None, "result": row.result if row else None, "pending_departments": waiting,
            "publishable": row is None and not waiting}


def _deadline(review: Review) -> dict:
    due, provisional = due_of(review)
    return {"due_on": due.isoformat(), "deadline_provisional": provisional,
            "deadline_message": provisional_message(result_deadline(review.check_ended_on).missing_years)
            if provisional else None}


def _proposed(visit, record, task, mine: Review | None) -> list[dict] | None:
    """What approving the reader's own open entry enters when no codes are given."""
    if mine is None or mine.status not in OPEN:
        return None
    return [{"code": c, "label": RESULT_CODES.get(c, c)}
            for c in default_codes(visit, record, task, items_of(task, mine.department_id))]


def _choices(mine: Review | None) -> list[dict] | None:
    """The result codes the reviewer may pick instead when approving the reader's own open entry."""
    if mine is None or mine.status not in OPEN:
        return None
    return [{"code": c, "label": label} for c, label in RESULT_CODES.items()]


def _published(review: Review | None) -> dict | None:
    """The entry's own published row (its department's result as the public sees it)."""
    if review is None:
        return None
    row = db.session.execute(select(PublishedResult).where(
        PublishedResult.visit_id == review.visit_id, PublishedResult.department_id == review.department_id,
        PublishedResult.kind == "department")).scalar_one_or_none()
    return None if row is None else {**public_row(row), "published_at": row.published_at.isoformat()}


def _name(user_id):
    u = db.session.get(User, user_id) if user_id else None
    return u.display_name if u else None


def desk_sheet(visit, record, task) -> dict:
    """The record laid out for the reviewer's screen: items with their department and
    checkpoint prompts, findings, outcome labels, media with EXIF beside the app's claims,
    signatures, amendments with names (the same facts the record PDF prints)."""
    sheet = pdf_record(visit, record, task)
    for s in sheet["signatures"]:
        s.pop("image_png", None)
        s["signed_at"] = s["signed_at"].isoformat() if s["signed_at"] else None
    for a in sheet["amendments"]:
        a["at"] = a["at"].isoformat() if a["at"] else None
    sheet["sealed_at"] = record.sealed_at.isoformat()
    refs = list(db.session.execute(select(MediaRef).where(MediaRef.visit_id == visit.id)
                                   .order_by(MediaRef.attached_at)).scalars())
    media = []
    for m in refs:
        obj = media_service.get_object(m.media_id)
        media.append({"media_id": m.media_id, "kind": m.kind, "sha256": m.sha256,
                      "target": {"type": m.target_type, "id": m.target_id},
                      "arrived": bool(obj and obj.uploaded_at), "claim": m.claim or {},
                      "exif": (obj.exif if obj else None) or {}, "width": obj.width if obj else None,
                      "height": obj.height if obj else None})
    sheet["media"] = media
    sigs = db.session.execute(select(Signature).where(Signature.visit_id == visit.id)
                              .order_by(Signature.server_time)).scalars().all()
    for out, s in zip(sheet["signatures"], sigs):
        out["id"], out["image_media_id"] = s.id, s.image_media_id

    def labels(codes):
        return [{"code": c, "label": RESULT_CODES.get(c, c)} for c in codes]

    # The record as it stands (the sealed content with every amendment applied) is what approving
    # enters; the sheet shows it, with the signed value beside anything an amendment changed.
    now = current_view(visit, record)
    outcome = now.get("outcome") or {}
    sealed_codes, codes = list((record.outcome or {}).get("codes") or []), list(outcome.get("codes") or [])
    sheet["outcome_labels"] = labels(codes)
    sheet["sealed_outcome_labels"] = labels(sealed_codes) if sealed_codes != codes else None
    sheet["followup_label"] = FOLLOWUPS.get(outcome.get("followup"))
    sheet["followup_note"] = outcome.get("followup_note")
    # Art. 21 cases (refused, unreachable…): the case and its evidence, labelled as the PDF prints them.
    case = outcome.get("case")
    sheet["case_label"] = OUTCOMES[case]["label"] if case in OUTCOMES else None
    evidence = outcome.get("evidence") if isinstance(outcome.get("evidence"), dict) else {}
    sheet["outcome_evidence"] = [{"key": k, "label": EVIDENCE_LABELS.get(k, k), "text": str(v).strip()}
                                 for k, v in evidence.items() if k != "media_ids" and v and str(v).strip()]
    sheet["outcome_media_ids"] = [str(m) for m in evidence.get("media_ids") or []]
    answers = {(a.get("item_id"), a.get("checkpoint_key")): a for a in now.get("answers") or [] if isinstance(a, dict)}
    # Item ids next to codes, so comments can target "answer:<item_id>:<key>".
    for item, v in zip(sheet["items"], task_item_versions(visit)):
        item["item_id"] = v.item_id
        for cp in item["checkpoints"]:
            current = answers.get((v.item_id, cp["key"])) or {}
            cp["amended"] = {k: current.get(k) for k in ("value", "note") if current.get(k) != cp[k]} or None
    return sheet
