"""What a record needs before it can be sealed (Art. 20–21, trust.md)."""
from __future__ import annotations

from sqlalchemy import func, select, tuple_
from sqlalchemy.exc import NoResultFound

from ..catalog.models import CheckItemVersion
from ..draws.models import InspectionTask
from .models import Visit
from ..extensions import db
from ..plans.models import PlanTask
from .methods import method_media_count
from .models import Answer, Finding, MediaRef, Signature, VisitRecord
from .rules import MET_CASES, METHODS, consistency_problems, missing_method_evidence

# Closed (code 7) or unreachable premises, or a business that is gone: nobody to sign for it.
NO_PARTY_CASES = {"unreachable", "liquidating", "deregistered", "revoked", "cancelled", "moved_out"}
PARTY_ROLES = ("legal_rep", "person_in_charge")


def task_item_versions(visit: Visit) -> list[CheckItemVersion]:
    return task_items(visit.task_id)


def task_items(task_id: int) -> list[CheckItemVersion]:
    """The pinned check-item versions of a task (from its plan task), in its order: the versions
    in one query, their checkpoints in one more (selectin)."""
    task = db.session.get(InspectionTask, task_id)
    pt = db.session.get(PlanTask, task.plan_task_id)
    pinned = [(ref.item_id, ref.item_version) for ref in pt.items]
    if not pinned:
        return []
    found = {(v.item_id, v.version): v for v in db.session.execute(select(CheckItemVersion).where(
        tuple_(CheckItemVersion.item_id, CheckItemVersion.version).in_(pinned))).scalars()}
    missing = [p for p in pinned if p not in found]
    if missing:
        raise NoResultFound(f"check item version(s) {missing} pinned by task {task_id} not found")
    return [found[p] for p in pinned]


def _p(code: str, message: str) -> dict:
    return {"code": code, "message": message}


def seal_problems(visit: Visit, record: VisitRecord, content: str) -> list[dict]:
    """Everything that stops the record from being sealed, each with a stable code and the
    Chinese words the phone also shows before signing (pwa/js/model.js mirrors these rules)."""
    method = record.method or "onsite"
    onsite = method == "onsite"
    case = (record.outcome or {}).get("case")
    problems = []
    present = len(record.present or [])
    if onsite and present < 2:
        problems.append(_p("too_few_inspectors", "现场检查的执法人员不得少于 2 人（第二十条）"))
    elif not onsite and present < 1:
        problems.append(_p("too_few_inspectors", f"请记录实施{METHODS[method]['label']}的执法人员"))
    if not record.outcome:
        problems.append(_p("evidence_required", "请先填写检查结果"))
    if onsite and (not case or case in MET_CASES):
        # Somebody of the business was met: the on-site steps of Art. 20(2) apply.
        if not record.arrival_at:
            problems.append(_p("evidence_required", "未记录到达时间"))
        if not record.credentials_shown_at:
            problems.append(_p("evidence_required", "未记录出示执法证件"))
        if not case and not record.rights_informed_at:
            problems.append(_p("evidence_required", "未记录告知权利义务"))
    if not onsite:
        missing = missing_method_evidence(method, record.method_details, method_media_count(visit.id))
        if missing:
            problems.append(_p("evidence_required", f"{METHODS[method]['label']}须提供：{'、'.join(missing)}"))
    answers = {(a.item_id, a.checkpoint_key): a for a in
               db.session.execute(select(Answer).where(Answer.visit_id == visit.id)).scalars()}
    if not case:
        photos = {m.target_id for m in db.session.execute(select(MediaRef).where(
            MediaRef.visit_id == visit.id, MediaRef.target_type == "answer")).scalars()}
        unanswered, need_photo = 0, []
        for v in task_item_versions(visit):
            for cp in v.checkpoints:
                a = answers.get((v.item_id, cp.key))
                if a is None or a.value in (None, ""):
                    unanswered += 1
                elif onsite and cp.photo_required and a.value != "na" and f"{v.item_id}:{cp.key}" not in photos:
                    need_photo.append(cp.prompt[:20])
        if unanswered:
            problems.append(_p("evidence_required", f"还有 {unanswered} 个检查要点未填写"))
        if need_photo:
            problems.append(_p("evidence_required", f"{len(need_photo)} 个要点须拍照留证"))
    if record.outcome:
        failed = sum(1 for a in answers.values() if a.value == "fail")
        findings = db.session.execute(select(func.count()).select_from(Finding).where(Finding.visit_id == visit.id)).scalar()
        for message in consistency_problems(list(record.outcome.get("codes") or []), failed, findings):
            problems.append(_p("result_inconsistent", message))
    problems.extend(signature_problems(visit, record, content, onsite and case not in NO_PARTY_CASES))
    return problems


def signature_problems(visit: Visit, record: VisitRecord, content: str, party_needed: bool) -> list[dict]:
    """The signatures a record still needs, bound to ``content``.

    The party (Art. 20(3)): its representative's signature or the company stamp; or a refusal
    with its reason, witnessed by a signing witness or, when the leader judged a witness not
    necessary ("必要时"), with the reason why. Inspectors: 2 present on site, 1 otherwise.
    """
    problems = []
    sigs = list(db.session.execute(select(Signature).where(Signature.visit_id == visit.id)).scalars())
    stale = [s for s in sigs if s.content_sha256 != content]
    if stale:
        problems.append(_p("content_mismatch", f"{len(stale)} 个签名之后记录又被修改，须重新签名"))
    bound = [s for s in sigs if s.content_sha256 == content]
    if party_needed:
        party = [s for s in bound if s.role in PARTY_ROLES]
        signed = [s for s in party if not s.refused]
        refused = [s for s in party if s.refused]
        witnessed = any(s.role == "witness" for s in bound) or any((s.no_witness_reason or "").strip() for s in refused)
        if not signed and not refused:
            problems.append(_p("signature_required", "须由法定代表人（负责人）签字或者加盖公章确认；拒绝签字的须注明原因"))
        elif not signed and not witnessed:
            problems.append(_p("witness_required",
                               "当事人拒绝签字：须由见证人签名，或由组长注明无需见证的原因（第二十条“必要时”邀请见证）"))
    needed = 2 if (record.method or "onsite") == "onsite" else 1
    inspectors = {s.signer_inspector_id for s in bound if s.role == "inspector"}
    if len(inspectors & set(record.present or [])) < needed:
        problems.append(_p("signature_required", f"须由至少 {needed} 名{'在场' if needed == 2 else '实施检查的'}执法人员签名"))
    return problems
