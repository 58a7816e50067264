"""Shaping visits and tasks for phones (pull) and for staff screens."""
from __future__ import annotations

import json

from sqlalchemy import select

from ..accounts.models import Department, Role, User
from ..catalog.models import CheckItem
from ..draws.models import InspectionTask
from ..extensions import db
from ..identifiers import XINZHOU_DIVISIONS
from ..inspectors.models import Inspector
from ..plans.models import PlanTask
from ..registry.models import InspectionObject, ObjectCredit
from ..settings import get_setting
from . import hooks
from .closed_objects import closure_view
from .jsonpatch import apply_patch
from .method_choice import planned_view
from .mismatch import mismatches_view
from .models import Visit, Amendment, Answer, Finding, MediaRef, Signature, VisitRecord
from .rules import FOLLOWUPS, OUTCOMES, RESULT_CODES, SIGNER_ROLES
from .schedule import schedule_warnings
from .seal import task_items


def _iso(ts):
    return ts.isoformat() if ts else None


def _dept(dept_id):
    return _depts([dept_id])[dept_id]


def _depts(dept_ids) -> dict[int, dict]:
    """{id: {id, code, name}} of these departments, in one query."""
    rows = db.session.execute(select(Department.id, Department.code, Department.name)
                              .where(Department.id.in_(set(dept_ids)))).all()
    return {r.id: {"id": r.id, "code": r.code, "name": r.name} for r in rows}


def task_entity(task: InspectionTask) -> dict:
    pt = db.session.get(PlanTask, task.plan_task_id)
    plan = pt.plan_version.plan
    items = []
    # Only the task's pinned items: never load the task's visits (a task may have thousands).
    versions = task_items(task.id)
    catalog = {r.id: r for r in db.session.execute(select(CheckItem.id, CheckItem.code, CheckItem.department_id)
                                                   .where(CheckItem.id.in_({v.item_id for v in versions})))}
    for v in versions:
        item = catalog[v.item_id]
        items.append({"item_id": v.item_id, "version": v.version, "code": item.code, "name": v.name,
                      "department_id": item.department_id, "level": v.level, "methods": v.methods,
                      "documents_to_request": v.documents_to_request, "legal_basis": v.legal_basis,
                      "checkpoints": [{"key": c.key, "prompt": c.prompt, "legal_basis": c.legal_basis,
                                       "answer_type": c.answer_type, "unit": c.unit, "choices": c.choices,
                                       "photo_required": c.photo_required, "hint": c.hint} for c in v.checkpoints]})
    depts = [task.initiating_department_id, *(task.participating_department_ids or [])]
    shown = _depts(depts)
    return {"id": str(task.id), "code": task.code, "name": task.name,
            "plan": {"code": plan.code, "title": plan.title}, "check_type": pt.check_type,
            "initiating_department": shown[task.initiating_department_id], "departments": [shown[d] for d in depts],
            "window_start": task.window_start.isoformat(), "window_end": task.window_end.isoformat(),
            "items": items}


def may_see_credit(principal) -> bool:
    """Inspectors see the business brief without its internal credit class."""
    return principal.has(Role.DEPT_ADMIN, Role.DEPT_LEADER, Role.REVIEWER, Role.OFFICE_ADMIN, Role.AUDITOR)


def object_brief(object_id: int, principal) -> dict:
    o = db.session.get(InspectionObject, object_id)
    credit = db.session.get(ObjectCredit, object_id) if may_see_credit(principal) else None
    return {"id": o.id, "name": o.name, "credit_code": o.credit_code, "object_type": o.object_type,
            "legal_rep_name": o.legal_rep_name, "phone": o.phone, "registered_address": o.registered_address,
            "business_address": o.business_address, "region_code": o.region_code,
            "region_name": XINZHOU_DIVISIONS.get(o.region_code), "industry": o.industry,
            "registration_status": o.registration_status, "online": o.online, "shop_url": o.shop_url,
            "risk_class": credit.risk_class if credit else None,
            "previous_results": previous_results(object_id)}


def previous_results(object_id: int) -> list[dict]:
    """Published results of earlier checks of this object (filled by publication)."""
    return hooks.previous_results(object_id)


def team(visit: Visit) -> list[dict]:
    rows = []
    active = [m for m in visit.members if m.active]
    inspectors = {r.id: r for r in db.session.execute(select(Inspector.id, Inspector.name, Inspector.cert_no)
                                                      .where(Inspector.id.in_({m.inspector_id for m in active})))}
    depts = _depts(m.department_id for m in active)
    for m in active:
        insp = inspectors.get(m.inspector_id)
        rows.append({"inspector_id": m.inspector_id, "user_id": m.user_id, "name": insp.name if insp else None,
                     "department_id": m.department_id, "department_code": depts[m.department_id]["code"],
                     "role": "leader" if m.role == "leader" else "member", "slot": m.role,
                     "cert_no": insp.cert_no if insp else None})
    return rows


def record_view(visit: Visit, record: VisitRecord | None) -> dict:
    record = record or VisitRecord(visit_id=visit.id, present=[], version=0)
    answers = {}
    for a in db.session.execute(select(Answer).where(Answer.visit_id == visit.id)).scalars():
        answers[f"{a.item_id}:{a.checkpoint_key}"] = {"value": a.value, "note": a.note, "by": a.answered_by,
                                                     "department_id": a.department_id, "version": a.version,
                                                     "item_version": a.item_version}
    media = list(db.session.execute(select(MediaRef).where(MediaRef.visit_id == visit.id).order_by(MediaRef.attached_at)).scalars())

    arrived = hooks.media_arrived([m.media_id for m in media])
    return {
        "arrival": {"at": record.arrival_at, "gps": record.arrival_gps} if record.arrival_at else None,
        "present": sorted(record.present or []), "credentials_shown_at": record.credentials_shown_at,
        "rights_informed_at": record.rights_informed_at, "method": record.method,
        "method_details": record.method_details, "check_ended_at": record.check_ended_at, "answers": answers,
        "findings": [{"id": f.id, "item_id": f.item_id, "checkpoint_key": f.checkpoint_key, "description": f.description,
                      "legal_basis": f.legal_basis, "measures": f.measures,
                      "rectify_deadline": f.rectify_deadline.isoformat() if f.rectify_deadline else None,
                      "media_ids": f.media_ids, "by": f.created_by, "version": f.version, "unlicensed": f.unlicensed}
                     for f in db.session.execute(select(Finding).where(Finding.visit_id == visit.id).order_by(Finding.created_at)).scalars()],
        "media": [{"media_id": m.media_id, "sha256": m.sha256, "kind": m.kind,
                   "target": {"type": m.target_type, "id": m.target_id}, "arrived": arrived.get(m.media_id, False)}
                  for m in media],
        "outcome": record.outcome,
        "signatures": [{"id": s.id, "role": s.role, "kind": s.kind or "signature", "signer_name": s.signer_name,
                        "inspector_id": s.signer_inspector_id, "id_type": s.id_type,
                        "id_number_masked": s.id_number_masked, "no_witness_reason": s.no_witness_reason,
                        "content_sha256": s.content_sha256,
                        "image_media_id": s.image_media_id, "refused": s.refused, "refusal_reason": s.refusal_reason,
                        "server_verified": True, "server_time": _iso(s.server_time)}
                       for s in db.session.execute(select(Signature).where(Signature.visit_id == visit.id).order_by(Signature.server_time)).scalars()],
        "sealed": {"at": _iso(record.sealed_at), "content_sha256": record.content_sha256} if record.sealed_at else None,
        "amendments": [{"id": a.id, "reason": a.reason, "by": a.author_id, "at": _iso(a.created_at), "patch": a.patch}
                       for a in db.session.execute(select(Amendment).where(Amendment.visit_id == visit.id).order_by(Amendment.created_at)).scalars()],
        "review_comments": hooks.review_comments(visit.id),
        "content_mismatches": mismatches_view(visit.id),
        "version": record.version,
    }


def visit_entity(visit: Visit, principal) -> dict:
    record = db.session.get(VisitRecord, visit.id)
    rec = record_view(visit, record)
    return {"id": visit.id, "task_id": str(visit.task_id), "status": visit.status,
            "evidence_pending": any(not m["arrived"] for m in rec["media"]),
            "review": hooks.review_states(visit.id) if record is not None and record.sealed_at else [],
            "object": object_brief(visit.object_id, principal), "team": team(visit),
            "schedule": {"date": visit.scheduled_date.isoformat() if visit.scheduled_date else None,
                         "time_from": visit.time_from.strftime("%H:%M") if visit.time_from else None,
                         "time_to": visit.time_to.strftime("%H:%M") if visit.time_to else None,
                         "conflicts": schedule_warnings(visit)},
            "record": rec, "planned_method": planned_view(visit), "object_closed": closure_view(visit),
            "version": visit.version}


def current_view(visit: Visit, record: VisitRecord) -> dict:
    """The sealed canonical content with every amendment applied in order."""
    view = json.loads(record.sealed_content)
    for a in db.session.execute(select(Amendment).where(Amendment.visit_id == visit.id).order_by(Amendment.created_at)).scalars():
        view = apply_patch(view, a.patch)
    return view


def current_codes(visit: Visit, record: VisitRecord) -> list[str]:
    """The result codes as they stand now: the sealed outcome with every amendment applied (a team's
    correction answering a return, or E after a rectification)."""
    return list((current_view(visit, record).get("outcome") or {}).get("codes") or [])


def me_entity(principal) -> dict:
    user = db.session.get(User, principal.user_id)
    insp = db.session.execute(select(Inspector).where(Inspector.user_id == user.id)).scalar_one_or_none()
    return {"user_id": user.id, "username": user.username, "display_name": user.display_name,
            "department": _dept(user.department_id), "roles": user.roles,
            "inspector_id": insp.id if insp else None, "demo": bool(get_setting("demo_data")),
            "result_codes": [{"code": k, "label": v} for k, v in RESULT_CODES.items()],
            "followups": [{"code": k, "label": v} for k, v in FOLLOWUPS.items()],
            "outcomes": [{"code": k, **v} for k, v in OUTCOMES.items()],
            "signer_roles": [{"code": k, "label": v} for k, v in SIGNER_ROLES.items()]}
