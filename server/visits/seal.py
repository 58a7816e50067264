"""What a record needs before it can be sealed (Art. 20–21, trust.md)."""
from __future__ import annotations

from sqlalchemy import select

from ..catalog.models import CheckItemVersion
from ..draws.models import InspectionTask
from .models import Visit
from ..extensions import db
from ..plans.models import PlanTask
from .models import Answer, MediaRef, Signature, VisitRecord
from .rules import OUTCOMES

NO_PARTY_CASES = {"unreachable", "deregistered", "revoked", "cancelled", "moved_out"}


def task_item_versions(visit: Visit) -> list[CheckItemVersion]:
    return task_items(visit.task_id)


def task_items(task_id: int) -> list[CheckItemVersion]:
    """The pinned check-item versions of a task (from its plan task)."""
    task = db.session.get(InspectionTask, task_id)
    pt = db.session.get(PlanTask, task.plan_task_id)
    out = []
    for ref in pt.items:
        out.append(db.session.execute(select(CheckItemVersion).where(
            CheckItemVersion.item_id == ref.item_id, CheckItemVersion.version == ref.item_version)).scalar_one())
    return out


def _p(code: str, message: str) -> dict:
    return {"code": code, "message": message}


def seal_problems(visit: Visit, record: VisitRecord, content: str) -> list[dict]:
    problems = []
    if len(record.present or []) < 2:
        problems.append(_p("too_few_inspectors", "现场检查的执法人员不得少于 2 人（第二十条）"))
    if not record.outcome:
        problems.append(_p("evidence_required", "请先填写检查结果"))
    case = (record.outcome or {}).get("case")
    if not case:
        if not record.arrival_at:
            problems.append(_p("evidence_required", "未记录到达时间"))
        if not record.credentials_shown_at:
            problems.append(_p("evidence_required", "未记录出示执法证件"))
        if not record.rights_informed_at:
            problems.append(_p("evidence_required", "未记录告知权利义务"))
        answers = {(a.item_id, a.checkpoint_key): a for a in
                   db.session.execute(select(Answer).where(Answer.visit_id == visit.id)).scalars()}
        photos = {m.target_id for m in db.session.execute(select(MediaRef).where(
            MediaRef.visit_id == visit.id, MediaRef.target_type == "answer")).scalars()}
        unanswered, need_photo = 0, []
        for v in task_item_versions(visit):
            for cp in v.checkpoints:
                a = answers.get((v.item_id, cp.key))
                if a is None or a.value in (None, ""):
                    unanswered += 1
                elif cp.photo_required and a.value != "na" and f"{v.item_id}:{cp.key}" not in photos:
                    need_photo.append(cp.prompt[:20])
        if unanswered:
            problems.append(_p("evidence_required", f"还有 {unanswered} 个检查要点未填写"))
        if need_photo:
            problems.append(_p("evidence_required", f"{len(need_photo)} 个要点须拍照留证"))
    sigs = list(db.session.execute(select(Signature).where(Signature.visit_id == visit.id)).scalars())
    stale = [s for s in sigs if s.content_sha256 != content]
    if stale:
        problems.append(_p("content_mismatch", f"{len(stale)} 个签名之后记录又被修改，须重新签名"))
    bound = [s for s in sigs if s.content_sha256 == content]
    party = [s for s in bound if s.role in ("legal_rep", "person_in_charge")]
    if case not in NO_PARTY_CASES:
        signed = [s for s in party if not s.refused]
        refused = [s for s in party if s.refused]
        witness = [s for s in bound if s.role == "witness"]
        if not signed and not (refused and witness):
            problems.append(_p("signature_required", "须由法定代表人（负责人）签名；拒绝签名的须注明原因并由见证人签名"))
    inspectors = {s.signer_inspector_id for s in bound if s.role == "inspector"}
    if len(inspectors & set(record.present or [])) < 2:
        problems.append(_p("signature_required", "须由至少 2 名在场执法人员签名"))
    if case and case in OUTCOMES and case not in NO_PARTY_CASES | {"refused"}:
        pass  # other cases: a party may be present; the party rule above applies
    return problems
