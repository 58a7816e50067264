"""Visits and tasks shaped for phones, set-wise: every part of many visits (or tasks) is read with
one query per table for the whole set, as plain columns (no ORM objects), so a pull of fifty
visits costs the same statements as a pull of one (issue 20).

`views.visit_entity` and `views.task_entity` are these for a single visit or task.
"""
from __future__ import annotations

from types import SimpleNamespace

from sqlalchemy import select, tuple_
from sqlalchemy.exc import NoResultFound

from ..accounts.models import Department, Role
from ..catalog.models import CheckItem, CheckItemVersion, Checkpoint
from ..draws.models import InspectionTask
from ..extensions import db
from ..identifiers import XINZHOU_DIVISIONS
from ..inspectors.models import Inspector
from ..plans.models import Plan, PlanTask, PlanTaskItem, PlanVersion
from ..registry.models import InspectionObject, ObjectCredit
from . import hooks
from .closed_objects import closure_view
from .method_choice import planned_view, remember_task_defaults
from .mismatch import mismatches_of
from .models import Amendment, Answer, Finding, MediaRef, Signature, Visit, VisitMember, VisitRecord
from .schedule import warnings_of

# The visit columns an entity shows (a pull reads these, not Visit objects).
VISIT_COLUMNS = (Visit.id, Visit.task_id, Visit.object_id, Visit.status, Visit.scheduled_date, Visit.time_from,
                 Visit.time_to, Visit.version, Visit.object_closed_status, Visit.object_closed_on,
                 Visit.object_closed_batch, Visit.planned_method, Visit.method_planned_by)
_RECORD_COLUMNS = (VisitRecord.visit_id, VisitRecord.arrival_at, VisitRecord.arrival_gps, VisitRecord.present,
                   VisitRecord.credentials_shown_at, VisitRecord.rights_informed_at, VisitRecord.method,
                   VisitRecord.method_details, VisitRecord.check_ended_at, VisitRecord.outcome, VisitRecord.sealed_at,
                   VisitRecord.content_sha256, VisitRecord.version)


def _iso(ts):
    return ts.isoformat() if ts else None


def depts_of(dept_ids) -> dict[int, dict]:
    """{id: {id, code, name}} of these departments, in one query."""
    rows = db.session.execute(select(Department.id, Department.code, Department.name)
                              .where(Department.id.in_(set(dept_ids)))).all()
    return {r.id: {"id": r.id, "code": r.code, "name": r.name} for r in rows}


def _grouped(stmt, key: str, ids) -> dict:
    out: dict = {i: [] for i in ids}
    for row in db.session.execute(stmt):
        out[getattr(row, key)].append(row)
    return out


# --- visits -----------------------------------------------------------------------------------

def may_see_credit(principal) -> bool:
    """Inspectors see the business brief without its internal credit class."""
    return principal.has(Role.DEPT_ADMIN, Role.DEPT_LEADER, Role.REVIEWER, Role.OFFICE_ADMIN, Role.AUDITOR)


def object_briefs(object_ids, principal) -> dict[int, dict]:
    """The business brief of many objects (their credit class only for who may see it), in one
    query, and their earlier published results in one more."""
    ids = list(dict.fromkeys(object_ids))
    if not ids:
        return {}
    o = InspectionObject
    credit = may_see_credit(principal)
    stmt = select(o.id, o.name, o.credit_code, o.object_type, o.legal_rep_name, o.phone, o.registered_address,
                  o.business_address, o.region_code, o.industry, o.registration_status, o.online, o.shop_url,
                  *([ObjectCredit.risk_class] if credit else [])).where(o.id.in_(ids))
    if credit:
        stmt = stmt.outerjoin(ObjectCredit, ObjectCredit.object_id == o.id)
    previous = hooks.previous_results_of(ids)
    out = {}
    for r in db.session.execute(stmt):
        out[r.id] = {"id": r.id, "name": r.name, "credit_code": r.credit_code, "object_type": r.object_type,
                     "legal_rep_name": r.legal_rep_name, "phone": r.phone, "registered_address": r.registered_address,
                     "business_address": r.business_address, "region_code": r.region_code,
                     "region_name": XINZHOU_DIVISIONS.get(r.region_code), "industry": r.industry,
                     "registration_status": r.registration_status, "online": r.online, "shop_url": r.shop_url,
                     "risk_class": r.risk_class if credit else None, "previous_results": previous[r.id]}
    return out


def active_members_of(visit_ids) -> dict[str, list]:
    """Each visit's active members in team order, with the inspector's name and certificate and
    the department's code joined, in one query."""
    ids = list(dict.fromkeys(visit_ids))
    if not ids:
        return {}
    m = VisitMember
    return _grouped(select(m.visit_id, m.inspector_id, m.user_id, m.department_id, m.role, Inspector.name,
                           Inspector.cert_no, Department.code.label("department_code"))
                    .outerjoin(Inspector, Inspector.id == m.inspector_id)
                    .outerjoin(Department, Department.id == m.department_id)
                    .where(m.visit_id.in_(ids), m.active.is_(True)).order_by(m.visit_id, m.position), "visit_id", ids)


def team_view(members) -> list[dict]:
    """The team as shown, from `active_members_of` rows."""
    return [{"inspector_id": m.inspector_id, "user_id": m.user_id, "name": m.name,
             "department_id": m.department_id, "department_code": m.department_code,
             "role": "leader" if m.role == "leader" else "member", "slot": m.role, "cert_no": m.cert_no}
            for m in members]


def _records_of(ids) -> dict[str, SimpleNamespace]:
    return {r.visit_id: r for r in db.session.execute(select(*_RECORD_COLUMNS).where(VisitRecord.visit_id.in_(ids)))}


def _no_record(visit_id: str):
    """What an unwritten record shows (as a VisitRecord not yet stored would)."""
    values = {c.key: None for c in _RECORD_COLUMNS}
    values.update(visit_id=visit_id, present=[], version=0)
    return SimpleNamespace(**values)


def _record_parts(ids) -> dict[str, dict]:
    """Answers, media (with arrival), findings, signatures, amendments, review comments and
    content mismatches of many visits: one query per kind."""
    a, md, f, s, am = Answer, MediaRef, Finding, Signature, Amendment
    answers = _grouped(select(a.visit_id, a.item_id, a.checkpoint_key, a.value, a.note, a.answered_by,
                              a.department_id, a.version, a.item_version)
                       .where(a.visit_id.in_(ids)).order_by(a.visit_id, a.id), "visit_id", ids)
    media = _grouped(select(md.visit_id, md.media_id, md.sha256, md.kind, md.target_type, md.target_id)
                     .where(md.visit_id.in_(ids)).order_by(md.visit_id, md.attached_at), "visit_id", ids)
    arrived = hooks.media_arrived([m.media_id for rows in media.values() for m in rows])
    findings = _grouped(select(f.visit_id, f.id, f.item_id, f.checkpoint_key, f.description, f.legal_basis, f.measures,
                               f.rectify_deadline, f.media_ids, f.created_by, f.version, f.unlicensed)
                        .where(f.visit_id.in_(ids)).order_by(f.visit_id, f.created_at), "visit_id", ids)
    signatures = _grouped(select(s.visit_id, s.id, s.role, s.kind, s.signer_name, s.signer_inspector_id, s.id_type,
                                 s.id_number_masked, s.no_witness_reason, s.content_sha256, s.image_media_id,
                                 s.refused, s.refusal_reason, s.server_time)
                          .where(s.visit_id.in_(ids)).order_by(s.visit_id, s.server_time), "visit_id", ids)
    amendments = _grouped(select(am.visit_id, am.id, am.reason, am.author_id, am.created_at, am.patch)
                          .where(am.visit_id.in_(ids)).order_by(am.visit_id, am.created_at), "visit_id", ids)
    comments = hooks.review_comments_of(ids)
    mismatches = mismatches_of(ids)
    out = {}
    for vid in ids:
        out[vid] = {
            "answers": {f"{x.item_id}:{x.checkpoint_key}": {"value": x.value, "note": x.note, "by": x.answered_by,
                                                           "department_id": x.department_id, "version": x.version,
                                                           "item_version": x.item_version} for x in answers[vid]},
            "findings": [{"id": x.id, "item_id": x.item_id, "checkpoint_key": x.checkpoint_key,
                          "description": x.description, "legal_basis": x.legal_basis, "measures": x.measures,
                          "rectify_deadline": x.rectify_deadline.isoformat() if x.rectify_deadline else None,
                          "media_ids": x.media_ids, "by": x.created_by, "version": x.version,
                          "unlicensed": x.unlicensed} for x in findings[vid]],
            "media": [{"media_id": x.media_id, "sha256": x.sha256, "kind": x.kind,
                       "target": {"type": x.target_type, "id": x.target_id},
                       "arrived": arrived.get(x.media_id, False)} for x in media[vid]],
            "signatures": [{"id": x.id, "role": x.role, "kind": x.kind or "signature", "signer_name": x.signer_name,
                            "inspector_id": x.signer_inspector_id, "id_type": x.id_type,
                            "id_number_masked": x.id_number_masked, "no_witness_reason": x.no_witness_reason,
                            "content_sha256": x.content_sha256, "image_media_id": x.image_media_id,
                            "refused": x.refused, "refusal_reason": x.refusal_reason, "server_verified": True,
                            "server_time": _iso(x.server_time)} for x in signatures[vid]],
            "amendments": [{"id": x.id, "reason": x.reason, "by": x.author_id, "at": _iso(x.created_at),
                            "patch": x.patch} for x in amendments[vid]],
            "review_comments": comments[vid],
            "content_mismatches": mismatches[vid],
        }
    return out


def _record_view(record, parts: dict) -> dict:
    return {
        "arrival": {"at": record.arrival_at, "gps": record.arrival_gps} if record.arrival_at else None,
        "present": sorted(record.present or []), "credentials_shown_at": record.credentials_shown_at,
        "rights_informed_at": record.rights_informed_at, "method": record.method,
        "method_details": record.method_details, "check_ended_at": record.check_ended_at,
        "answers": parts["answers"], "findings": parts["findings"], "media": parts["media"],
        "outcome": record.outcome, "signatures": parts["signatures"],
        "sealed": {"at": _iso(record.sealed_at), "content_sha256": record.content_sha256} if record.sealed_at else None,
        "amendments": parts["amendments"], "review_comments": parts["review_comments"],
        "content_mismatches": parts["content_mismatches"], "version": record.version,
    }


def _task_facts(task_ids) -> dict[int, tuple]:
    """Each task's window, and its plan task's default method remembered for `planned_view`."""
    rows = db.session.execute(select(InspectionTask.id, InspectionTask.window_start, InspectionTask.window_end,
                                     PlanTask.default_method)
                              .join(PlanTask, PlanTask.id == InspectionTask.plan_task_id)
                              .where(InspectionTask.id.in_(set(task_ids)))).all()
    remember_task_defaults({r.id: r.default_method for r in rows})
    return {r.id: (r.window_start, r.window_end) for r in rows}


def visit_entities(visits, principal) -> dict[str, dict]:
    """{visit id: entity} of these visits (Visit objects, or rows of VISIT_COLUMNS), in their order."""
    visits = list({v.id: v for v in visits}.values())
    if not visits:
        return {}
    ids = [v.id for v in visits]
    records = _records_of(ids)
    parts = _record_parts(ids)
    members = active_members_of(ids)
    briefs = object_briefs([v.object_id for v in visits], principal)
    windows = _task_facts(v.task_id for v in visits)
    warnings = warnings_of(visits, {vid: [m.inspector_id for m in ms] for vid, ms in members.items()}, windows)
    sealed = [vid for vid in ids if vid in records and records[vid].sealed_at]
    states = hooks.review_states_of(sealed)
    out = {}
    for v in visits:
        rec = _record_view(records.get(v.id) or _no_record(v.id), parts[v.id])
        out[v.id] = {"id": v.id, "task_id": str(v.task_id), "status": v.status,
                     "evidence_pending": any(not m["arrived"] for m in rec["media"]),
                     "review": states[v.id] if v.id in states else [],
                     "object": briefs[v.object_id], "team": team_view(members[v.id]),
                     "schedule": {"date": v.scheduled_date.isoformat() if v.scheduled_date else None,
                                  "time_from": v.time_from.strftime("%H:%M") if v.time_from else None,
                                  "time_to": v.time_to.strftime("%H:%M") if v.time_to else None,
                                  "conflicts": warnings[v.id]},
                     "record": rec, "planned_method": planned_view(v), "object_closed": closure_view(v),
                     "version": v.version}
    return out


# --- tasks ------------------------------------------------------------------------------------

def _checklists(plan_task_ids) -> dict[int, list[dict]]:
    """Each plan task's pinned item versions in its order, as the phone shows them: the pins,
    the versions with their items' code and department, and their checkpoints: three queries."""
    pt_ids = list(set(plan_task_ids))
    pins = _grouped(select(PlanTaskItem.task_id, PlanTaskItem.item_id, PlanTaskItem.item_version)
                    .where(PlanTaskItem.task_id.in_(pt_ids)).order_by(PlanTaskItem.task_id, PlanTaskItem.position),
                    "task_id", pt_ids)
    wanted = {(p.item_id, p.item_version) for rows in pins.values() for p in rows}
    v = CheckItemVersion
    versions = {(r.item_id, r.version): r for r in db.session.execute(
        select(v.id, v.item_id, v.version, v.name, v.level, v.methods, v.documents_to_request, v.legal_basis,
               CheckItem.code, CheckItem.department_id).join(CheckItem, CheckItem.id == v.item_id)
        .where(tuple_(v.item_id, v.version).in_(wanted)))} if wanted else {}
    c = Checkpoint
    checkpoints = _grouped(select(c.item_version_id, c.key, c.prompt, c.legal_basis, c.answer_type, c.unit, c.choices,
                                  c.photo_required, c.hint)
                           .where(c.item_version_id.in_([r.id for r in versions.values()]))
                           .order_by(c.item_version_id, c.position), "item_version_id",
                           [r.id for r in versions.values()]) if versions else {}
    out = {}
    for pt_id, rows in pins.items():
        missing = [(p.item_id, p.item_version) for p in rows if (p.item_id, p.item_version) not in versions]
        if missing:
            raise NoResultFound(f"check item version(s) {missing} pinned by plan task {pt_id} not found")
        items = []
        for p in rows:
            ver = versions[(p.item_id, p.item_version)]
            items.append({"item_id": ver.item_id, "version": ver.version, "code": ver.code, "name": ver.name,
                          "department_id": ver.department_id, "level": ver.level, "methods": ver.methods,
                          "documents_to_request": ver.documents_to_request, "legal_basis": ver.legal_basis,
                          "checkpoints": [{"key": k.key, "prompt": k.prompt, "legal_basis": k.legal_basis,
                                           "answer_type": k.answer_type, "unit": k.unit, "choices": k.choices,
                                           "photo_required": k.photo_required, "hint": k.hint}
                                          for k in checkpoints[ver.id]]})
        out[pt_id] = items
    return out


def task_entities(task_ids) -> dict[str, dict]:
    """{task id (str): entity} of these tasks, ordered by id: the task with its plan task and plan
    in one query, the checklists in three, the departments in one."""
    ids = sorted(set(task_ids))
    if not ids:
        return {}
    t = InspectionTask
    tasks = db.session.execute(
        select(t.id, t.code, t.name, t.plan_task_id, t.initiating_department_id, t.participating_department_ids,
               t.window_start, t.window_end, PlanTask.check_type, Plan.code.label("plan_code"), Plan.title)
        .join(PlanTask, PlanTask.id == t.plan_task_id).join(PlanVersion, PlanVersion.id == PlanTask.plan_version_id)
        .join(Plan, Plan.id == PlanVersion.plan_id).where(t.id.in_(ids)).order_by(t.id)).all()
    checklists = _checklists(r.plan_task_id for r in tasks)
    dept_ids = {r.id: [r.initiating_department_id, *(r.participating_department_ids or [])] for r in tasks}
    shown = depts_of(d for ds in dept_ids.values() for d in ds)
    return {str(r.id): {"id": str(r.id), "code": r.code, "name": r.name,
                        "plan": {"code": r.plan_code, "title": r.title}, "check_type": r.check_type,
                        "initiating_department": shown[r.initiating_department_id],
                        "departments": [shown[d] for d in dept_ids[r.id]],
                        "window_start": r.window_start.isoformat(), "window_end": r.window_end.isoformat(),
                        "items": checklists[r.plan_task_id]}
            for r in tasks}
