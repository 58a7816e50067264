"""Visits and tasks shaped for phones, set-wise: every part of many visits (or tasks) is read with
one query per table for the whole set, as plain columns (no ORM objects), so a pull of fifty
visits costs the same statements as a pull of one (issue 20).

`views.visit_entity` and `views.task_entity` are these for a single visit or task.
"""
from __future__ import annotations

from types import SimpleNamespace

from sqlalchemy import bindparam, select
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

# The statements are built once, on the tables' columns (plain Core, no ORM compilation), with
# the ids as an expanding parameter: each execution reuses the compiled form.
IDS = bindparam("ids", expanding=True)


def _c(model):
    return model.__table__.c


# The visit columns an entity shows (a pull reads these, not Visit objects).
VISIT_COLUMNS = (Visit.id, Visit.task_id, Visit.object_id, Visit.status, Visit.scheduled_date, Visit.time_from,
                 Visit.time_to, Visit.version, Visit.object_closed_status, Visit.object_closed_on,
                 Visit.object_closed_batch, Visit.planned_method, Visit.method_planned_by)
_r = _c(VisitRecord)
_RECORD_COLUMNS = (_r.visit_id, _r.arrival_at, _r.arrival_gps, _r.present, _r.credentials_shown_at,
                   _r.rights_informed_at, _r.method, _r.method_details, _r.check_ended_at, _r.outcome, _r.sealed_at,
                   _r.content_sha256, _r.version)
_RECORDS = select(*_RECORD_COLUMNS).where(_r.visit_id.in_(IDS))

_d = _c(Department)
_DEPTS = select(_d.id, _d.code, _d.name).where(_d.id.in_(IDS))

_o, _cr = _c(InspectionObject), _c(ObjectCredit)
_BRIEF = (_o.id, _o.name, _o.credit_code, _o.object_type, _o.legal_rep_name, _o.phone, _o.registered_address,
          _o.business_address, _o.region_code, _o.industry, _o.registration_status, _o.online, _o.shop_url)
_OBJECTS = select(*_BRIEF).where(_o.id.in_(IDS))
_OBJECTS_CREDIT = (select(*_BRIEF, _cr.risk_class).select_from(InspectionObject.__table__)
                   .outerjoin(ObjectCredit.__table__, _cr.object_id == _o.id).where(_o.id.in_(IDS)))

_m, _i = _c(VisitMember), _c(Inspector)
_MEMBERS = (select(_m.visit_id, _m.inspector_id, _m.user_id, _m.department_id, _m.role, _i.name, _i.cert_no,
                   _d.code.label("department_code"))
            .select_from(VisitMember.__table__)
            .outerjoin(Inspector.__table__, _i.id == _m.inspector_id)
            .outerjoin(Department.__table__, _d.id == _m.department_id)
            .where(_m.visit_id.in_(IDS), _m.active.is_(True)).order_by(_m.visit_id, _m.position))

_a, _md, _f, _s, _am = _c(Answer), _c(MediaRef), _c(Finding), _c(Signature), _c(Amendment)
_ANSWERS = (select(_a.visit_id, _a.item_id, _a.checkpoint_key, _a.value, _a.note, _a.answered_by, _a.department_id,
                   _a.version, _a.item_version).where(_a.visit_id.in_(IDS)).order_by(_a.visit_id, _a.id))
_MEDIA = (select(_md.visit_id, _md.media_id, _md.sha256, _md.kind, _md.target_type, _md.target_id)
          .where(_md.visit_id.in_(IDS)).order_by(_md.visit_id, _md.attached_at))
_FINDINGS = (select(_f.visit_id, _f.id, _f.item_id, _f.checkpoint_key, _f.description, _f.legal_basis, _f.measures,
                    _f.rectify_deadline, _f.media_ids, _f.created_by, _f.version, _f.unlicensed)
             .where(_f.visit_id.in_(IDS)).order_by(_f.visit_id, _f.created_at))
_SIGNATURES = (select(_s.visit_id, _s.id, _s.role, _s.kind, _s.signer_name, _s.signer_inspector_id, _s.id_type,
                      _s.id_number_masked, _s.no_witness_reason, _s.content_sha256, _s.image_media_id, _s.refused,
                      _s.refusal_reason, _s.server_time)
               .where(_s.visit_id.in_(IDS)).order_by(_s.visit_id, _s.server_time))
_AMENDMENTS = (select(_am.visit_id, _am.id, _am.reason, _am.author_id, _am.created_at, _am.patch)
               .where(_am.visit_id.in_(IDS)).order_by(_am.visit_id, _am.created_at))

_t, _pt, _pv, _p = _c(InspectionTask), _c(PlanTask), _c(PlanVersion), _c(Plan)
_TASK_FACTS = (select(_t.id, _t.window_start, _t.window_end, _pt.default_method)
               .select_from(InspectionTask.__table__).join(PlanTask.__table__, _pt.id == _t.plan_task_id)
               .where(_t.id.in_(IDS)))
_TASKS = (select(_t.id, _t.code, _t.name, _t.plan_task_id, _t.initiating_department_id, _t.participating_department_ids,
                 _t.window_start, _t.window_end, _pt.check_type, _p.code.label("plan_code"), _p.title)
          .select_from(InspectionTask.__table__).join(PlanTask.__table__, _pt.id == _t.plan_task_id)
          .join(PlanVersion.__table__, _pv.id == _pt.plan_version_id).join(Plan.__table__, _p.id == _pv.plan_id)
          .where(_t.id.in_(IDS)).order_by(_t.id))
_pin, _v, _ci, _cp = _c(PlanTaskItem), _c(CheckItemVersion), _c(CheckItem), _c(Checkpoint)
# A plan task's pins in order, each with its version (None when missing) and the item's code and department.
_CHECKLISTS = (select(_pin.task_id, _pin.item_id.label("pin_item_id"), _pin.item_version, _v.id, _v.item_id,
                      _v.version, _v.name, _v.level, _v.methods, _v.documents_to_request, _v.legal_basis, _ci.code,
                      _ci.department_id)
               .select_from(PlanTaskItem.__table__)
               .outerjoin(CheckItemVersion.__table__, (_v.item_id == _pin.item_id) & (_v.version == _pin.item_version))
               .outerjoin(CheckItem.__table__, _ci.id == _v.item_id)
               .where(_pin.task_id.in_(IDS)).order_by(_pin.task_id, _pin.position))
_CHECKPOINTS = (select(_cp.item_version_id, _cp.key, _cp.prompt, _cp.legal_basis, _cp.answer_type, _cp.unit,
                       _cp.choices, _cp.photo_required, _cp.hint)
                .where(_cp.item_version_id.in_(IDS)).order_by(_cp.item_version_id, _cp.position))


def _iso(ts):
    return ts.isoformat() if ts else None


def _rows(stmt, ids):
    return db.session.execute(stmt, {"ids": list(ids)})


def depts_of(dept_ids) -> dict[int, dict]:
    """{id: {id, code, name}} of these departments, in one query."""
    return {r.id: {"id": r.id, "code": r.code, "name": r.name} for r in _rows(_DEPTS, set(dept_ids))}


def _grouped(stmt, key: str, ids) -> dict:
    out: dict = {i: [] for i in ids}
    for row in _rows(stmt, ids):
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
    credit = may_see_credit(principal)
    previous = hooks.previous_results_of(ids)
    out = {}
    for r in _rows(_OBJECTS_CREDIT if credit else _OBJECTS, ids):
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
    return _grouped(_MEMBERS, "visit_id", ids) if ids else {}


def team_view(members) -> list[dict]:
    """The team as shown, from `active_members_of` rows."""
    return [{"inspector_id": m.inspector_id, "user_id": m.user_id, "name": m.name,
             "department_id": m.department_id, "department_code": m.department_code,
             "role": "leader" if m.role == "leader" else "member", "slot": m.role, "cert_no": m.cert_no}
            for m in members]


def _no_record(visit_id: str):
    """What an unwritten record shows (as a VisitRecord not yet stored would)."""
    values = {c.key: None for c in _RECORD_COLUMNS}
    values.update(visit_id=visit_id, present=[], version=0)
    return SimpleNamespace(**values)


def _record_parts(ids) -> dict[str, dict]:
    """Answers, media (with arrival), findings, signatures, amendments, review comments and
    content mismatches of many visits: one query per kind."""
    answers = _grouped(_ANSWERS, "visit_id", ids)
    media = _grouped(_MEDIA, "visit_id", ids)
    arrived = hooks.media_arrived([m.media_id for rows in media.values() for m in rows])
    findings = _grouped(_FINDINGS, "visit_id", ids)
    signatures = _grouped(_SIGNATURES, "visit_id", ids)
    amendments = _grouped(_AMENDMENTS, "visit_id", ids)
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
    rows = _rows(_TASK_FACTS, set(task_ids)).all()
    remember_task_defaults({r.id: r.default_method for r in rows})
    return {r.id: (r.window_start, r.window_end) for r in rows}


def visit_entities(visits, principal) -> dict[str, dict]:
    """{visit id: entity} of these visits (Visit objects, or rows of VISIT_COLUMNS), in their order."""
    visits = list({v.id: v for v in visits}.values())
    if not visits:
        return {}
    ids = [v.id for v in visits]
    records = {r.visit_id: r for r in _rows(_RECORDS, ids)}
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
    """Each plan task's pinned item versions in its order, as the phone shows them: the pins with
    their versions and items' code and department in one query, the checkpoints in one more."""
    pt_ids = list(set(plan_task_ids))
    pins = _grouped(_CHECKLISTS, "task_id", pt_ids)
    version_ids = list({p.id for rows in pins.values() for p in rows if p.id is not None})
    checkpoints = _grouped(_CHECKPOINTS, "item_version_id", version_ids) if version_ids else {}
    out = {}
    for pt_id, rows in pins.items():
        missing = [(p.pin_item_id, p.item_version) for p in rows if p.id is None]
        if missing:
            raise NoResultFound(f"check item version(s) {missing} pinned by plan task {pt_id} not found")
        out[pt_id] = [{"item_id": v.item_id, "version": v.version, "code": v.code, "name": v.name,
                       "department_id": v.department_id, "level": v.level, "methods": v.methods,
                       "documents_to_request": v.documents_to_request, "legal_basis": v.legal_basis,
                       "checkpoints": [{"key": k.key, "prompt": k.prompt, "legal_basis": k.legal_basis,
                                        "answer_type": k.answer_type, "unit": k.unit, "choices": k.choices,
                                        "photo_required": k.photo_required, "hint": k.hint}
                                       for k in checkpoints[v.id]]} for v in rows]
    return out


def task_entities(task_ids) -> dict[str, dict]:
    """{task id (str): entity} of these tasks, ordered by id: the task with its plan task and plan
    in one query, the checklists in two, the departments in one."""
    ids = sorted(set(task_ids))
    if not ids:
        return {}
    tasks = _rows(_TASKS, ids).all()
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
