"""A documentary check (书面检查) done at the desk of the back office (Art. 19, 20(1)).

When the method of a visit is documentary (the plan task's default or the leader's choice,
``method_choice``), the staff of the plan's department (reviewers, the department's
administrator) may do the check from the back office instead of a phone: they record the
documents received, who reviewed them, the day of the review, every checkpoint's answer, the
findings and the result, in one request. The record is sealed at once, like a phone's: its
canonical content is hashed, the reviewing staff member's confirmation is a server-signed
event bound to that hash (role ``desk_reviewer``, no handwriting: the staff are logged in),
and the seal is signed with the deployment key. The 20 working days run from the review day.
"""
from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import uuid

from sqlalchemy import and_, or_, select

from media import service as media_service
from media.uploads import arrive_bytes

from .. import keys
from ..accounts.auth import Principal
from ..accounts.models import Role, User
from ..audit import service as audit
from ..canonical import jcs, sha256_hex
from ..catalog.models import CheckItem
from ..draws.models import InspectionTask
from ..errors import ApiError, Conflict, Forbidden, Invalid, field_error
from ..extensions import db
from ..plans.models import PlanTask
from ..types import SHANGHAI, local_today, utcnow
from . import hooks
from .access import touched
from .content import canonical_record
from .method_choice import planned
from .models import Answer, Finding, MediaRef, Signature, Visit, VisitRecord
from .rules import CASE_CODES, FOLLOWUPS, METHODS, OUTCOME_EVIDENCE_KEYS, RESULT_CODES, check_answer_value, consistency_problems
from .seal import task_item_versions
from .views import object_brief

DESK_ROLES = (Role.REVIEWER, Role.DEPT_ADMIN)
LIMIT = 500  # the oldest first; a department rarely has more documentary checks waiting


def may_check_at_desk(principal: Principal, visit: Visit) -> bool:
    task = db.session.get(InspectionTask, visit.task_id)
    return principal.has(*DESK_ROLES) and principal.department_id == task.initiating_department_id


def _own(principal: Principal, visit: Visit) -> InspectionTask:
    if not may_check_at_desk(principal, visit):
        raise Forbidden("只有计划制定部门的后台审核人员或管理员可以在后台进行书面检查。", code="not_desk_staff")
    return db.session.get(InspectionTask, visit.task_id)


def _open(visit: Visit) -> None:
    if planned(visit) != "documentary":
        raise Conflict(f"本次检查的检查方式为“{METHODS[planned(visit)]['label']}”，不是书面检查；"
                       "如需在后台书面检查，请先由组长或计划制定部门将检查方式改为“书面检查”。", code="method_not_planned")
    record = db.session.get(VisitRecord, visit.id)
    if visit.status != "not_started" or record is not None:
        raise Conflict("检查组已开始（或已完成）本次检查，不能再在后台书面检查。", code="visit_started")


def pending(principal: Principal) -> list[dict]:
    """Visits of the caller's department's tasks to be checked by documents, not yet started."""
    if not principal.has(*DESK_ROLES):
        return []
    documentary = or_(Visit.planned_method == "documentary",
                      and_(Visit.planned_method.is_(None), PlanTask.default_method == "documentary"))
    rows = db.session.execute(
        select(Visit, InspectionTask).join(InspectionTask, InspectionTask.id == Visit.task_id)
        .join(PlanTask, PlanTask.id == InspectionTask.plan_task_id)
        .outerjoin(VisitRecord, VisitRecord.visit_id == Visit.id)
        .where(InspectionTask.initiating_department_id == principal.department_id, Visit.status == "not_started",
               VisitRecord.visit_id.is_(None), documentary)
        .order_by(Visit.scheduled_date, Visit.id).limit(LIMIT)).all()
    out = []
    for visit, task in rows:
        obj = object_brief(visit.object_id, principal)
        out.append({"visit_id": visit.id, "task_id": task.id, "task_name": task.name, "object_name": obj["name"],
                    "credit_code": obj["credit_code"], "scheduled_date": visit.scheduled_date,
                    "window_end": task.window_end})
    return out


def form(principal: Principal, visit: Visit) -> dict:
    """What the desk screen shows: the object and every checkpoint of the task's items."""
    task = _own(principal, visit)
    _open(visit)
    items = []
    for v in task_item_versions(visit):
        item = db.session.get(CheckItem, v.item_id)
        items.append({"item_id": v.item_id, "code": item.code, "name": v.name, "department_id": item.department_id,
                      "documents_to_request": list(v.documents_to_request or []),
                      "checkpoints": [{"key": c.key, "prompt": c.prompt, "answer_type": c.answer_type,
                                       "choices": list(c.choices or []), "unit": c.unit} for c in v.checkpoints]})
    return {"visit_id": visit.id, "task_name": task.name, "object": object_brief(visit.object_id, principal),
            "items": items, "window_start": task.window_start, "window_end": task.window_end,
            "result_codes": [{"code": c, "label": label} for c, label in RESULT_CODES.items() if c not in CASE_CODES],
            "followups": [{"code": c, "label": label} for c, label in FOLLOWUPS.items()]}


def _answers(visit: Visit, given: list[dict]) -> list[tuple]:
    """(item version, checkpoint key, value, note) of every checkpoint; refuses gaps and bad values."""
    by_key = {(a["item_id"], a["checkpoint_key"]): a for a in given}
    errors, out, unanswered = [], [], 0
    known = set()
    for v in task_item_versions(visit):
        for cp in v.checkpoints:
            known.add((v.item_id, cp.key))
            a = by_key.get((v.item_id, cp.key))
            if a is None or a["value"] in (None, ""):
                unanswered += 1
                continue
            bad = check_answer_value(cp.answer_type, a["value"], list(cp.choices or []))
            if bad:
                errors.append(field_error(f"answers.{v.item_id}:{cp.key}", bad))
            out.append((v, cp.key, a["value"], (a.get("note") or "").strip() or None))
    for key in by_key:
        if key not in known:
            errors.append(field_error(f"answers.{key[0]}:{key[1]}", "本任务没有这个检查要点。"))
    if errors:
        raise Invalid("检查要点的填写有误，请按各项说明修改。", code="validation_failed", errors=errors)
    if unanswered:
        raise ApiError(f"还有 {unanswered} 个检查要点未填写。", code="evidence_required", status=422, title="缺少必要内容")
    return out


def _scans(given: list[dict]) -> list[tuple[bytes, str]]:
    out = []
    for i, scan in enumerate(given):
        try:
            data = base64.b64decode(scan["data"], validate=True)
        except (binascii.Error, ValueError):
            raise Invalid("扫描件须为 base64 编码的图片。", code="validation_failed",
                          errors=[field_error(f"scans.{i}.data", "须为 base64 编码。")])
        if not data:
            raise Invalid("扫描件为空。", code="validation_failed", errors=[field_error(f"scans.{i}.data", "文件为空。")])
        out.append((data, scan["content_type"]))
    return out


def _review_moment(day: dt.date) -> str:
    """The end of the desk review as a time with its offset: now when it is today, else the
    end of that working day (17:30, Asia/Shanghai)."""
    now = dt.datetime.now(SHANGHAI).replace(microsecond=0)
    if day == now.date():
        return now.isoformat(timespec="seconds")
    return dt.datetime.combine(day, dt.time(17, 30), SHANGHAI).isoformat(timespec="seconds")


def record_and_seal(principal: Principal, visit: Visit, data: dict) -> VisitRecord:
    """Record the whole documentary check done at the desk and seal it (module docstring)."""
    task = _own(principal, visit)
    _open(visit)
    day = data["review_date"]
    if day > local_today():
        raise Invalid("审查日期不能晚于今天。", code="check_date_in_future",
                      errors=[field_error("review_date", "审查日期不能晚于今天。")])
    if day < task.window_start:
        raise Invalid(f"审查日期早于本任务的检查时间安排（{task.window_start.isoformat()} 起）。", code="check_date_out_of_window",
                      errors=[field_error("review_date", "审查日期早于任务开始日期。")])
    codes = list(dict.fromkeys(data["codes"]))
    if "1" in codes and len(codes) > 1:
        raise Invalid("“未发现问题”不能与其他结果同时选择。", code="validation_failed",
                      errors=[field_error("codes", "“未发现问题”不能与其他结果同时选择。")])
    answers = _answers(visit, data["answers"])
    failed = sum(1 for _, _, value, _ in answers if value == "fail")
    conflicts = consistency_problems(codes, failed, len(data["findings"]))
    if conflicts:
        raise ApiError("检查结果前后矛盾：" + "；".join(conflicts) + "。", code="result_inconsistent", status=422,
                       title="检查结果前后矛盾", extra={"problems": [{"code": "result_inconsistent", "message": m} for m in conflicts]})
    scans = _scans(data["scans"])

    now = utcnow()
    user = principal.user_id
    visit.status = "in_progress"
    record = VisitRecord(visit_id=visit.id, present=[], version=1, method="documentary", updated_at=now,
                         method_details={"documents_received": data["documents_received"].strip(),
                                         "reviewed_by": data["reviewed_by"].strip()},
                         check_ended_at=_review_moment(day),
                         outcome={"codes": codes, "followup": data["followup"],
                                  "followup_note": (data.get("followup_note") or "").strip() or None, "case": None,
                                  "evidence": {**{k: None for k in OUTCOME_EVIDENCE_KEYS}, "media_ids": []}})
    db.session.add(record)
    for v, key, value, note in answers:
        db.session.add(Answer(visit_id=visit.id, item_id=v.item_id, item_version=v.version, checkpoint_key=key, value=value,
                              note=note, answered_by=user, department_id=db.session.get(CheckItem, v.item_id).department_id,
                              version=1, updated_at=now))
    for f in data["findings"]:
        db.session.add(Finding(id=str(uuid.uuid4()), visit_id=visit.id, department_id=principal.department_id,
                               description=f["description"].strip(), legal_basis=(f.get("legal_basis") or "").strip() or None,
                               measures=[], media_ids=[], created_by=user, created_at=now, version=1))
    for scan, content_type in scans:
        mid, sha = str(uuid.uuid4()), hashlib.sha256(scan).hexdigest()
        db.session.add(MediaRef(media_id=mid, visit_id=visit.id, sha256=sha, kind="photo", target_type="method",
                                target_id=None, claim={"source": "desk_scan"}, attached_by=user, attached_at=now))
        media_service.record_claim(mid, {"source": "desk_scan", "sha256": sha})
        media_service.attach(mid, "visit", visit.id, by_user=user, may_share=set())
        arrive_bytes(mid, scan, "photo", content_type, user_id=user, filename="scan.png" if content_type == "image/png" else "scan.jpg")
    db.session.flush()
    _confirm_and_seal(principal, visit, record, day)
    return record


def _confirm_and_seal(principal: Principal, visit: Visit, record: VisitRecord, day: dt.date) -> None:
    body = canonical_record(visit, record)
    content = jcs(body)
    current = sha256_hex(content)
    sealed_at = utcnow()
    staff = db.session.get(User, principal.user_id)
    sid = str(uuid.uuid4())
    event = {"signature_id": sid, "visit_id": visit.id, "record_version": record.version, "content_sha256": current,
             "role": "desk_reviewer", "kind": "desk", "signer_name": staff.display_name, "user_id": staff.id,
             "device_id": principal.device_id, "server_time": sealed_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")}
    event_json = jcs(event).decode()
    db.session.add(Signature(id=sid, visit_id=visit.id, role="desk_reviewer", kind="desk", signer_name=staff.display_name[:64],
                             content_sha256=current, device_id=principal.device_id, server_time=sealed_at,
                             event_json=event_json, server_signature=keys.sign(event_json.encode())))
    statement = {"visit_id": visit.id, "content_sha256": current, "signatures": [sid],
                 "sealed_at": sealed_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"), "sealed_by": principal.user_id}
    record.sealed_content = content.decode()
    record.content_sha256 = current
    record.seal_signature = keys.sign(jcs(statement))
    record.sealed_at, record.sealed_by = sealed_at, principal.user_id
    record.check_ended_on = day
    visit.status = "sealed"
    hooks.sealed(visit, record)
    audit.record(db.session, "visit.desk_check", "visit", visit.id, {"content_sha256": current, "review_date": day.isoformat()})
    audit.record(db.session, "visit.signature", "visit", visit.id,
                 {"event_sha256": sha256_hex(event_json.encode()), "role": "desk_reviewer", "kind": "desk",
                  "content_sha256": current, "refused": False})
    audit.record(db.session, "visit.seal", "visit", visit.id, {**statement, "seal_signature": record.seal_signature})
    touched(visit, record)
