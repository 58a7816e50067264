"""Who enters what of a sealed record: one entry per department that checked (Art. 20(3), Art. 6).

A department checked when at least one of the task's check items is its own; it enters the
result of its own items. The entry's default codes come from the team's outcome, narrowed to
what its items show; codes that say "no problem found" while one of its items failed or carries
a finding are refused (`result_inconsistent`).
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from ..catalog.models import CheckItem
from ..draws.models import InspectionTask
from ..errors import Invalid, field_error
from ..extensions import db
from ..visits.models import Finding, Visit, VisitRecord
from ..visits.rules import OUTCOMES, RESULT_CODES
from ..visits.seal import task_items
from ..visits.views import current_codes, current_view

NO_PROBLEM = "1"
PENDING_FOLLOWUP, RECTIFIED = "A", "E"


@dataclass(frozen=True)
class DeptItems:
    department_id: int
    item_ids: tuple[int, ...]
    item_codes: tuple[str, ...]


def departments_that_checked(task: InspectionTask) -> list[DeptItems]:
    """The departments owning the task's items in the plan's item order, the initiating one first
    (it alone when no item is any department's, so that every record has an entry).

    A task's items are pinned when its plan is published, so the answer is kept for the session
    (a queue asks once per row)."""
    cache = db.session.info.setdefault("review.departments_that_checked", {})
    if task.id not in cache:
        by_dept: dict[int, list[CheckItem]] = {}
        for v in task_items(task.id):
            item = db.session.get(CheckItem, v.item_id)
            by_dept.setdefault(item.department_id or task.initiating_department_id, []).append(item)
        order = sorted(by_dept, key=lambda d: d != task.initiating_department_id)  # stable: item order
        out = [DeptItems(d, tuple(i.id for i in by_dept[d]), tuple(i.code for i in by_dept[d])) for d in order]
        cache[task.id] = out or [DeptItems(task.initiating_department_id, (), ())]
    return cache[task.id]


def items_of(task: InspectionTask, department_id: int) -> DeptItems | None:
    return next((d for d in departments_that_checked(task) if d.department_id == department_id), None)


def is_joint(task: InspectionTask) -> bool:
    return len(departments_that_checked(task)) > 1


def has_problem(visit: Visit, record: VisitRecord, items: DeptItems) -> bool:
    """One of the department's items failed a checkpoint (as the record stands, amendments
    included) or carries a finding."""
    ids = set(items.item_ids)
    view = current_view(visit, record)
    for a in view.get("answers") or []:
        if isinstance(a, dict) and a.get("item_id") in ids and a.get("value") == "fail":
            return True
    if any(isinstance(f, dict) and f.get("item_id") in ids for f in view.get("findings") or []):
        return True
    # A finding tied to no item (e.g. unlicensed business) belongs to the department that recorded it.
    return db.session.execute(select(Finding.id).where(
        Finding.visit_id == visit.id, Finding.item_id.is_(None), Finding.department_id == items.department_id)
        .limit(1)).first() is not None


def default_codes(visit: Visit, record: VisitRecord, task: InspectionTask, items: DeptItems) -> list[str]:
    """What approving enters when the reviewer gives no codes.

    A single-department check enters the team's codes as they stand. In a joint check an Art. 21
    case (unreachable, refused, deregistered …) is the whole record's result; otherwise a
    department whose items showed a problem enters the team's problem codes ("A" when the team
    chose none), and one whose items showed none enters "未发现问题"."""
    codes = current_codes(visit, record)
    if not is_joint(task):
        return codes
    case = (current_view(visit, record).get("outcome") or {}).get("case")
    if case in OUTCOMES:
        return codes
    if has_problem(visit, record, items):
        return [c for c in codes if c != NO_PROBLEM] or [PENDING_FOLLOWUP]
    return [NO_PROBLEM]


def check_codes(codes: list[str], visit: Visit, record: VisitRecord, items: DeptItems) -> list[str]:
    """The codes a department enters, refused when unknown, contradictory, or "未发现问题" while one
    of its own items failed or carries a finding."""
    codes = list(dict.fromkeys(codes))
    unknown = [c for c in codes if c not in RESULT_CODES]
    if not codes or unknown:
        message = f"未知的结果代码：{'、'.join(unknown)}。" if unknown else "请选择检查结果。"
        raise Invalid(message, code="validation_failed", errors=[field_error("result_codes", message)])
    if NO_PROBLEM in codes and len(codes) > 1:
        message = "“未发现问题”不能与其他结果同时选择。"
        raise Invalid(message, code="validation_failed", errors=[field_error("result_codes", message)])
    if codes == [NO_PROBLEM] and has_problem(visit, record, items):
        message = "本部门检查的事项有不合格的检查要点或发现问题，不能录入“未发现问题”。"
        raise Invalid(message, code="result_inconsistent", title="检查结果与检查记录不一致",
                      errors=[field_error("result_codes", message)])
    return codes


def rectified(codes: list[str]) -> list[str]:
    """A department's codes once its rectification order was found done: "A" gives way to "E"."""
    return [c for c in codes if c not in (PENDING_FOLLOWUP, RECTIFIED, NO_PROBLEM)] + [RECTIFIED]


def responsible_department(task: InspectionTask, item_id: int | None, recorded_by_department: int) -> int:
    """Whose entry a finding (and an order on it) belongs to: the department of its item when that
    department entered a result, else the recording department's, else the initiating one's."""
    depts = departments_that_checked(task)
    for d in depts:
        if item_id is not None and item_id in d.item_ids:
            return d.department_id
    if any(d.department_id == recorded_by_department for d in depts):
        return recorded_by_department
    return task.initiating_department_id
